// Every fast path beside its plain path, on the same inputs: the same work is done with the fast
// paths on (encodings and structs kept and rewritten, import plans and capability answers
// remembered) and off (each made from scratch on every call: ffi/layout.ts `fastPaths`), and what
// comes out is compared. The work crosses each fast path at least twice, so that a kept value is
// reused with other inputs (another size, semaphore type, fence state, handle type).
import { assert, assertEquals } from "@std/assert";
import { fastPaths } from "../ffi/layout.ts";
import {
  capabilityMatrix,
  CommandBuffer,
  type Device,
  DeviceMemory,
  Fence,
  GpuBuffer,
  type PhysicalDevice,
  Semaphore,
  Transfer,
} from "../mod.ts";
import { externalFenceProperties, externalSemaphoreProperties } from "../share/mod.ts";
import { test } from "./_harness.ts";
import { cannotShare, withTwoDevices } from "./_memory.ts";

/** Runs `fn` with the fast paths on or off. */
async function withFastPaths<T>(on: boolean, fn: () => T | Promise<T>): Promise<T> {
  const was = fastPaths.enabled;
  fastPaths.enabled = on;
  try {
    return await fn();
  } finally {
    fastPaths.enabled = was;
  }
}

/** Memory: exports imported plainly (kept allocate info) and again (known plan), bytes read back. */
function memoryWork(a: Device, b: Device): unknown[] {
  const out: unknown[] = [];
  using ta = Transfer.create(a), tb = Transfer.create(b);
  for (const size of [65536, 4096, 65536]) {
    using src = GpuBuffer.create(a, { size, external: "OPAQUE_FD" });
    using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
    ta.write(src, new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff));
    for (let round = 0; round < 2; round++) {
      using exp = mem.exportFd();
      const { fdKind: _, ...descriptor } = exp.descriptor;
      // Plain (no target: the kept VkImportMemoryFdInfoKHR), then bound to a buffer.
      using plain = DeviceMemory.importFd(b, exp.fd, exp.descriptor);
      using exp2 = mem.exportFd();
      using dst = GpuBuffer.create(b, { size, external: "OPAQUE_FD" });
      using bound = DeviceMemory.importFd(b, exp2.fd, exp2.descriptor, { for: dst });
      const bytes = tb.read(dst);
      out.push({
        descriptor,
        plain: [plain.size, plain.memoryTypeIndex],
        bound: [bound.size, bound.memoryTypeIndex],
        sum: bytes.reduce((s, x) => (s + x) | 0, 0),
      });
    }
  }
  return out;
}

/** Plain allocations (known_allocations.ts): the same values again, in new option objects. */
function allocationWork(a: Device): unknown[] {
  const out: unknown[] = [];
  for (const size of [65536, 4096n, 65536, 4096n]) {
    const exportAs = typeof size === "bigint" ? undefined : "OPAQUE_FD" as const;
    using m = DeviceMemory.allocate(a, { size, exportAs, properties: ["DEVICE_LOCAL"] });
    using e = exportAs ? m.exportFd() : undefined;
    out.push([m.size, m.memoryTypeIndex, m.exportHandleTypes, e?.descriptor.size]);
  }
  return out;
}

/** Fences and semaphores made with different options (kept create infos), and timeline waits. */
function syncWork(pd: PhysicalDevice, a: Device, b: Device): unknown[] {
  const out: unknown[] = [];
  for (const signaled of [true, false, true]) {
    using f = Fence.create(a, { signaled });
    out.push(f.status());
  }
  for (const type of ["timeline", "binary", "timeline"] as const) {
    using s = Semaphore.create(a, { type, initialValue: type === "timeline" ? 3 : undefined });
    out.push([s.type, s.type === "timeline" ? s.value : null]);
    if (type !== "timeline") continue;
    for (const v of [4, 9, 10]) {
      s.signal(v);
      out.push([s.wait(v, 1000), s.value]);
    }
  }
  const sem = externalSemaphoreProperties(pd, {
    handleType: "OPAQUE_FD",
    semaphoreType: "timeline",
  });
  if (sem.exportable && sem.importable) {
    // The kept get-fd info (per object and handle type) and import info (per kind).
    using s = Semaphore.create(a, { type: "timeline", exportAs: "OPAQUE_FD" });
    for (const v of [1, 2]) {
      using exp = s.exportFd("OPAQUE_FD");
      using t = Semaphore.importFd(b, exp.fd, exp.descriptor);
      s.signal(v);
      out.push([t.wait(v, 5000), t.value >= BigInt(v)]);
    }
  }
  const fence = externalFenceProperties(pd, { handleType: "OPAQUE_FD" });
  if (fence.exportable && fence.importable) {
    using f = Fence.create(a, { exportAs: "OPAQUE_FD", signaled: true });
    for (let i = 0; i < 2; i++) {
      using exp = f.exportFd("OPAQUE_FD");
      using g = Fence.importFd(b, exp.fd, exp.descriptor);
      out.push(g.status());
    }
  }
  return out;
}

/**
 * Recording and submission (the kept barrier, copy and begin structs; the kept submit info, and
 * the encoded one past its 4 of a kind): bytes copied on the device between barriers, each
 * submission signaling and waiting on timeline values, read back.
 */
function submitWork(a: Device): unknown[] {
  const out: unknown[] = [];
  using t = Transfer.create(a);
  using src = GpuBuffer.create(a, { size: 4096 });
  using dst = GpuBuffer.create(a, { size: 4096 });
  using _m1 = DeviceMemory.allocate(a, { for: src });
  using _m2 = DeviceMemory.allocate(a, { for: dst });
  using cmd = CommandBuffer.create(a);
  using done = Fence.create(a);
  const sems = Array.from({ length: 6 }, () => Semaphore.create(a, { type: "timeline" }));
  using _s = { [Symbol.dispose]: () => sems.forEach((s) => s[Symbol.dispose]()) };
  for (const [n, offset] of [[1, 0], [5, 256], [2, 512]]) {
    t.write(src, new Uint8Array(4096).map((_, i) => (i * n + offset) & 0xff));
    cmd.record((r) => {
      r.barrier({
        buffer: src,
        srcStage: "TRANSFER",
        dstStage: "TRANSFER",
        srcAccess: "TRANSFER_WRITE",
        dstAccess: "TRANSFER_READ",
      });
      r.copy(src, dst, { srcOffset: offset, dstOffset: 1024, size: 1024 });
      r.hostRead(dst, { offset: 1024, size: 1024 });
    });
    const used = sems.slice(0, n);
    const targets = used.map((s) => s.value + 1n);
    a.queue().submit({
      commandBuffers: [cmd],
      wait: used.map((s) => ({ semaphore: s, value: s.value, stage: "TRANSFER" as const })),
      signal: used.map((s) => ({ semaphore: s, value: s.value + 1n })),
      fence: done,
    });
    // lavapipe may signal the fence a moment before the batch's timeline values land: wait
    // for each, then read it.
    out.push(done.wait(5000));
    used.forEach((s, i) => s.wait(targets[i], 5000));
    out.push(used.map((s) => s.value));
    done.reset();
    out.push(Array.from(t.read(dst).subarray(1024, 2048)).reduce((x, y) => (x * 31 + y) | 0, 7));
  }
  return out;
}

test(
  "fast paths beside plain paths: the same memory, fences, semaphores and capabilities come out",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a, b, pd) => {
    const run = () => ({
      matrix: JSON.stringify(capabilityMatrix(pd)),
      memory: memoryWork(a, b),
      allocations: allocationWork(a),
      sync: syncWork(pd, a, b),
      submit: submitWork(a),
    });
    const fast = await withFastPaths(true, run);
    const plain = await withFastPaths(false, run);
    const fastAgain = await withFastPaths(true, run);
    assertEquals(plain, fast);
    assertEquals(fastAgain, fast);
    // The work did something: bytes arrived, fences and semaphores answered.
    assertEquals((fast.memory as { sum: number }[]).length, 6);
    assert((fast.memory as { sum: number }[]).every((m) => m.sum !== 0));
    assertEquals(fast.allocations.length, 4);
    assertEquals(fast.sync.slice(0, 3), ["signaled", "unsignaled", "signaled"]);
    assertEquals(fast.submit.filter((x) => x === "signaled").length, 3);
  }),
);
