// CUDA interop through libcuda: the CUDA device matched to the Vulkan device by UUID, Vulkan memory
// and semaphores imported into CUDA (binary and timeline), CUDA's exportable memory imported into
// Vulkan, and the imports that are refused, with the fds left as they were. Skipped where there is
// no CUDA driver (CI); run on the GPU machine.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { CUDA_INSTALL_HINT, CudaContext, cudaDevices, cudaDriverVersion } from "../../cuda/mod.ts";
import { noCuda, runCudaInterop } from "../../examples/cuda_interop.ts";
import { firstWrong, frameValue } from "../../examples/pipeline.ts";
import { libc, O_CLOEXEC, O_RDONLY, O_RDWR } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import {
  CommandBuffer,
  CudaError,
  Device,
  DeviceMemory,
  DisposedError,
  Fence,
  GpuBuffer,
  LibraryLoadError,
  type MemoryDescriptor,
  OwnedFd,
  Semaphore,
} from "../../mod.ts";
import { isOpenFd } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { openFdSet, pattern, suballocated } from "../_memory.ts";
import { cannotShareSemaphore, hostBuffer } from "../_sync.ts";
import { assertRule, sharedInstance } from "../_vk.ts";

const pd = sharedInstance().physicalDevices()[0];
const skip: string | false = (() => {
  using device = Device.create(pd);
  return noCuda(device) ?? false;
})();
const skipTimeline = skip || cannotShareSemaphore("timeline", "OPAQUE_FD");
const skipBinary = skip || cannotShareSemaphore("binary", "OPAQUE_FD");

/** The same UUID with its last byte changed: a GPU that is not this one. */
function otherUuid(uuid: string): string {
  const last = parseInt(uuid.slice(-2), 16) ^ 0xff;
  return uuid.slice(0, -2) + last.toString(16).padStart(2, "0");
}

/** Memory of `device` exported as OPAQUE_FD, filled with pattern `n` by Vulkan (host-synchronized). */
function filledExport(device: Device, size: number, n: number, dedicated = false) {
  const buffer = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
  const memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD", dedicated });
  {
    using cmd = CommandBuffer.create(device);
    using fence = Fence.create(device);
    cmd.record((r) => {
      for (let c = 0; c < 16; c++) {
        r.fill(buffer, frameValue(n, c), { offset: (c * size) / 16, size: size / 16 });
      }
    });
    device.queue().submit({ commandBuffers: [cmd], fence });
    assertEquals(fence.wait(10_000), "signaled");
  }
  return {
    buffer,
    memory,
    [Symbol.dispose]() {
      buffer[Symbol.dispose]();
      memory[Symbol.dispose]();
    },
  };
}

test("cudaDevices({ optional: true }) is [] where libcuda does not load; without it, LibraryLoadError", () => {
  const path = "/nonexistent/vkshare-test/libcuda.so.1";
  assertEquals(cudaDevices({ path, optional: true }), []);
  const e = assertThrows(() => cudaDevices({ path }), LibraryLoadError);
  assert(e.message.includes(path), e.message);
});

test("a libcuda that cannot be opened is a LibraryLoadError naming the path and what to install", () => {
  const e = assertThrows(
    () => CudaContext.forVulkan(pd, { path: "/nonexistent/libcuda.so.1" }),
    LibraryLoadError,
  );
  assertEquals(e.library, "libcuda");
  assertEquals(e.tried.map((t) => t.path), ["/nonexistent/libcuda.so.1"]);
  assert(e.message.includes(CUDA_INSTALL_HINT), e.message);
});

test("the CUDA device is the Vulkan device's GPU: its UUID is the deviceUUID", { skip }, () => {
  using device = Device.create(pd);
  const cuda = CudaContext.forVulkan(device);
  assertEquals(cuda.device.uuid, pd.deviceUUID);
  assert(cudaDevices().some((d) => d.uuid === pd.deviceUUID && d.name === cuda.device.name));
  assert(cudaDriverVersion() >= 11040, `driver version ${cudaDriverVersion()}`);
  // A descriptor carries the same identity: a consumer process finds the same GPU from it.
  using sem = Semaphore.create(device, { exportAs: "OPAQUE_FD" });
  using again = CudaContext.forVulkan(sem.descriptor("OPAQUE_FD"));
  assertEquals(again.device.ordinal, cuda.device.ordinal);
  console.log(
    `  CUDA ${cudaDriverVersion()}: device ${cuda.device.ordinal} "${cuda.device.name}", UUID ${cuda.device.uuid}`,
  );
  cuda[Symbol.dispose]();
  cuda[Symbol.dispose]();
  assertThrows(() => cuda.createStream(), DisposedError);
});

test("another GPU's descriptor is refused, naming both devices and both UUIDs", { skip }, () => {
  using device = Device.create(pd);
  using sem = Semaphore.create(device, { exportAs: "OPAQUE_FD" });
  const d = { ...sem.descriptor("OPAQUE_FD"), deviceUUID: otherUuid(pd.deviceUUID) };
  const e = assertRule(() => CudaContext.forVulkan(d), "UUID_MISMATCH");
  assert(e.message.includes(d.deviceUUID) && e.message.includes(pd.deviceUUID), e.message);
  assert(e.message.includes(pd.name), e.message);
  const ordinal = cudaDevices().find((x) => x.uuid === pd.deviceUUID)!.ordinal;
  const e2 = assertRule(() => CudaContext.forVulkan(d, { ordinal }), "UUID_MISMATCH");
  assert(e2.message.includes(d.deviceUUID) && e2.message.includes(pd.deviceUUID), e2.message);
  // An import into the right GPU's context of an export that names another GPU.
  using cuda = CudaContext.forVulkan(device);
  using exp = sem.exportFd("OPAQUE_FD");
  assertRule(() => cuda.importSemaphore(exp.fd, d), "UUID_MISMATCH");
  assertEquals(exp.fd.state, "open");
});

test(
  "Vulkan → CUDA → Vulkan with a timeline semaphore: every byte checked both ways",
  { skip: skipTimeline },
  () => {
    using device = Device.create(pd);
    const steps = runCudaInterop(device, { semaphores: "timeline", size: 1 << 20 });
    for (const s of steps) console.log(`  ${s.name}: ${s.ms.toFixed(3)} ms`);
  },
);

test(
  "Vulkan → CUDA → Vulkan with binary semaphores: every byte checked both ways",
  { skip: skipBinary },
  () => {
    using device = Device.create(pd);
    runCudaInterop(device, { semaphores: "binary", size: 4 << 20 });
  },
);

test("a dedicated allocation imports with the dedicated flag and maps at offset 0 only", {
  skip,
}, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  const size = 1 << 20;
  using src = filledExport(device, size, 7, true);
  using exp = src.memory.exportFd();
  assert(exp.descriptor.dedicated !== null);
  using ext = cuda.importMemory(exp.fd, exp.descriptor);
  assertEquals(exp.fd.state, "consumed");
  assert(ext.dedicated);
  using all = ext.mapBuffer({ size });
  assertEquals(firstWrong(all.read(), 7, size), -1);
  assertRule(() => ext.mapBuffer({ offset: 4096, size: 4096 }), "ALIGNMENT");
  assertThrows(() => all.read(size - 4, 8), RangeError);
});

test("a plain import maps a range at an offset, and refuses one past its end", { skip }, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  const size = 1 << 20;
  using src = filledExport(device, size, 8);
  using exp = src.memory.exportFd();
  assertEquals(exp.descriptor.dedicated, null);
  using ext = cuda.importMemory(exp.fd, exp.descriptor);
  assert(!ext.dedicated);
  // Chunk 5 of 16, and 4 KiB inside chunk 9.
  using part = ext.mapBuffer({ offset: (5 * size) / 16, size: size / 16 });
  assert(new Uint32Array(part.read().buffer).every((w) => w === frameValue(8, 5)));
  using page = ext.mapBuffer({ offset: (9 * size) / 16 + 4096, size: 4096 });
  assert(new Uint32Array(page.read().buffer).every((w) => w === frameValue(8, 9)));
  assertThrows(() => ext.mapBuffer({ offset: size - 4096, size: 8192 }), RangeError);
});

test("CUDA memory imported into Vulkan: the size rounds up to the granularity", { skip }, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  const size = 3 * (1 << 20) + 64;
  using mem = cuda.allocateExportable(size);
  assert(mem.size >= size && mem.size % mem.granularity === 0, `${mem.size}/${mem.granularity}`);
  mem.buffer.fill32(0xa5a5a5a5);
  mem.buffer.write(new Uint8Array([1, 2, 3, 4]), 4096);
  cuda.synchronize();
  using buffer = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
  using exp = mem.exportFd(device, { for: buffer });
  using imported = DeviceMemory.importFd(device, exp.fd, exp.descriptor, { for: buffer });
  assertEquals(exp.fd.state, "consumed");
  using out = hostBuffer(device, size);
  using cmd = CommandBuffer.create(device);
  using fence = Fence.create(device);
  cmd.record((r) => {
    r.copy(buffer, out.buffer, { size });
    r.hostRead(out.buffer, { size });
  });
  device.queue().submit({ commandBuffers: [cmd], fence });
  assertEquals(fence.wait(10_000), "signaled");
  assertEquals([...out.bytes.subarray(4096, 4100)], [1, 2, 3, 4]);
  out.bytes.set([0xa5, 0xa5, 0xa5, 0xa5], 4096);
  assert(out.bytes.every((b) => b === 0xa5));
  assertEquals(imported.size, mem.size);
});

test(
  "a timeline wait that nothing signals times out; a host signal from Vulkan ends it",
  { skip: skipTimeline },
  () => {
    using device = Device.create(pd);
    using cuda = CudaContext.forVulkan(device);
    using sem = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
    using exp = sem.exportFd();
    using csem = cuda.importSemaphore(exp.fd, exp.descriptor);
    assertEquals(csem.type, "timeline");
    using stream = cuda.createStream();
    stream.wait({ semaphore: csem, value: 100 });
    assertEquals(stream.synchronize(50), "timeout");
    assertEquals(stream.done(), false);
    sem.signal(100);
    assertEquals(stream.synchronize(5_000), "done");
    // CUDA signals, the Vulkan host sees the value.
    stream.signal({ semaphore: csem, value: 101 });
    assertEquals(sem.wait(101, 5_000), "signaled");
    assertEquals(sem.value, 101n);
  },
);

test("semaphore values are checked before CUDA sees them", { skip: skipTimeline }, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  using t = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
  using b = Semaphore.create(device, { type: "binary", exportAs: "OPAQUE_FD" });
  using et = t.exportFd(), eb = b.exportFd();
  using ct = cuda.importSemaphore(et.fd, et.descriptor);
  using cb = cuda.importSemaphore(eb.fd, eb.descriptor);
  assertEquals(cb.type, "binary");
  using stream = cuda.createStream();
  assertRule(() => stream.signal({ semaphore: cb, value: 1 }), "NOT_TIMELINE");
  assertRule(() => stream.wait(ct), "TIMELINE_VALUE");
  assertRule(() => stream.signal({ semaphore: ct, value: 0 }), "TIMELINE_VALUE");
  using other = CudaContext.forVulkan(device);
  using otherStream = other.createStream();
  assertRule(() => otherStream.wait({ semaphore: ct, value: 1 }), "WRONG_DEVICE");
});

test("bad imports are refused before CUDA sees them, and leave the fd open", { skip }, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  using src = filledExport(device, 1 << 16, 1);
  using sem = Semaphore.create(device, { exportAs: "OPAQUE_FD" });
  const before = openFdSet();
  {
    using exp = src.memory.exportFd();
    const d = exp.descriptor;
    assertRule(() => cuda.importMemory(exp.fd, { ...d, size: d.size * 2 }), "SIZE_MISMATCH");
    assertRule(
      () =>
        cuda.importMemory(exp.fd, {
          ...d,
          dedicated: { kind: "buffer", size: d.size, usage: 1, flags: 0, externalHandleTypes: 1 },
        } as unknown as MemoryDescriptor),
      "DEDICATED_MISMATCH",
    );
    assertRule(
      () => cuda.importMemory(exp.fd, { ...d, handleType: "DMA_BUF" }),
      "HANDLE_TYPE_UNSUPPORTED",
    );
    assertRule(() => cuda.importMemory(exp.fd, { ...d, version: 99 }), "BAD_DESCRIPTOR");
    assertRule(() => cuda.importMemory(exp.fd, { ...d, fdKind: "memfd" }), "FD_KIND_MISMATCH");
    assertEquals(exp.fd.state, "open");
    // A semaphore's fd given as memory: its descriptor is refused.
    using se = sem.exportFd();
    assertRule(
      () => cuda.importMemory(se.fd, se.descriptor as unknown as MemoryDescriptor),
      "BAD_DESCRIPTOR",
    );
    // Consumed: an OwnedFd, then the raw number of one.
    cuda.importMemory(exp.fd, d)[Symbol.dispose]();
    assertRule(() => cuda.importMemory(exp.fd, d), "FD_CONSUMED");
    using exp2 = src.memory.exportFd();
    const n = exp2.fd.release();
    cuda.importMemory(n, exp2.descriptor)[Symbol.dispose]();
    assertRule(() => cuda.importMemory(n, exp2.descriptor), "FD_CONSUMED");
    assertRule(
      () => cuda.importSemaphore(se.fd, { ...se.descriptor, handleType: "SYNC_FD" }),
      "HANDLE_TYPE_UNSUPPORTED",
    );
    // What CUDA itself accepts silently: a binary semaphore's fd as a timeline one, a memory fd
    // as a semaphore, a semaphore fd as memory (tools/diag/cuda_import_failure.ts).
    assertRule(
      () => cuda.importSemaphore(se.fd, { ...se.descriptor, semaphoreType: "timeline" }),
      "SEMAPHORE_TYPE_MISMATCH",
    );
    using exp3 = src.memory.exportFd();
    assertRule(() => cuda.importSemaphore(exp3.fd, se.descriptor), "FD_KIND_MISMATCH");
    assertRule(() => cuda.importMemory(se.fd, exp3.descriptor), "FD_KIND_MISMATCH");
    assertEquals(se.fd.state, "open");
  }
  const left = [...openFdSet()].filter((f) => !before.has(f));
  assertEquals(left, [], `fds left open: ${left}`);
});

test("CUDA's own refusal is a CudaError with the CUresult's name; the fd stays the caller's", {
  skip,
}, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  using src = filledExport(device, 1 << 16, 2);
  const exp = src.memory.exportFd();
  const descriptor = exp.descriptor;
  // A /dev/nvidiactl fd of its own (what NVIDIA's exports are, so vkshare's checks pass) that
  // holds no exported memory, under a descriptor with no fd kind: CUDA refuses it.
  using ctl = OwnedFd.adopt(libc().open(cString("/dev/nvidiactl"), O_RDWR | O_CLOEXEC, 0));
  const { fdKind: _, ...bare } = descriptor;
  const e = assertThrows(() => cuda.importMemory(ctl, bare), CudaError);
  assert(e.resultName.startsWith("CUDA_ERROR_"), e.message);
  assertEquals(e.call, "cuImportExternalMemory");
  assertEquals(ctl.state, "open");
  assert(isOpenFd(ctl.fd));
  console.log(`  a fresh /dev/nvidiactl fd: ${e.message}`);
  // /dev/null never reaches CUDA: FD_KIND_MISMATCH, the fd still open.
  using devnull = OwnedFd.adopt(libc().open(cString("/dev/null"), O_RDONLY | O_CLOEXEC, 0));
  assertRule(() => cuda.importMemory(devnull, bare), "FD_KIND_MISMATCH", "/dev/nvidiactl");
  assertEquals(devnull.state, "open");
  // The context still imports.
  using ext = cuda.importMemory(exp.fd, descriptor);
  using b = ext.mapBuffer();
  assertEquals(firstWrong(b.read(), 2, 1 << 16), -1);
});

test("1,000 CUDA imports of memory and semaphores leave the fd count flat", { skip }, () => {
  using device = Device.create(pd);
  using cuda = CudaContext.forVulkan(device);
  using src = filledExport(device, 1 << 16, 3);
  using sem = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
  const cycle = () => {
    using exp = src.memory.exportFd();
    using ext = cuda.importMemory(exp.fd, exp.descriptor);
    using b = ext.mapBuffer({ size: 64 });
    b.read(0, 64);
    using se = sem.exportFd();
    cuda.importSemaphore(se.fd, se.descriptor)[Symbol.dispose]();
  };
  for (let i = 0; i < 10; i++) cycle();
  const before = openFdSet();
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) cycle();
  const ms = performance.now() - t0;
  const after = openFdSet();
  const left = [...after].filter((f) => !before.has(f));
  assertEquals(left, [], `fds left open: ${left}`);
  console.log(`  ${(ms / 1000).toFixed(3)} ms a cycle; fds ${before.size} → ${after.size}`);
});

test(
  "64 buffers suballocated in one exported 64 MiB memory: CUDA imports it once and reads each at its range",
  { skip },
  () => {
    const MiB = 1 << 20;
    using device = Device.create(pd);
    using mem = suballocated(device, 64, MiB);
    using cuda = CudaContext.forVulkan(device);
    using exp = mem.exportFd();
    using imported = cuda.importMemory(exp.fd, exp.descriptor);
    const wrong = [];
    for (let i = 0; i < 64; i++) {
      using view = imported.mapBuffer({ offset: i * MiB, size: MiB });
      const want = pattern(MiB, i);
      wrong.push(view.read().findIndex((b, j) => b !== want[j]));
    }
    assertEquals(wrong, new Array(64).fill(-1), "each range holds its own pattern in CUDA");
  },
);
