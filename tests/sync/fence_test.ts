// Fences on one device (these run on every driver): status, wait with a timeout as a result,
// reset, and the rules vkshare checks before the driver sees a call (a fence in use, a fence
// already signaled, SYNC_FD's copy transference). Export and import are in sync_share_test.ts.
import { assertEquals, assertThrows } from "@std/assert";
import { CommandBuffer, Device, Fence, Semaphore } from "../../mod.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, openFdSet } from "../_memory.ts";
import { hostBuffer, noTimeline } from "../_sync.ts";
import { assertRule, forEachDevice } from "../_vk.ts";

test(
  "a fence's status, wait and reset; a submission signals it",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using f = Fence.create(device);
    assertEquals(f.status(), "unsignaled");
    assertEquals(f.wait(0), "timeout");
    assertEquals(f.wait(5), "timeout");
    device.queue().submit({ fence: f });
    assertEquals(f.wait(10_000), "signaled");
    assertEquals(f.status(), "signaled");
    f.reset();
    assertEquals(f.status(), "unsignaled");
    using g = Fence.create(device, { signaled: true });
    assertEquals(g.status(), "signaled");
    assertEquals(Fence.waitMany([f, g], 0), "timeout");
    assertEquals(Fence.waitMany([f, g], 0, { any: true }), "signaled");
    assertThrows(() => Fence.waitMany([], 0), RangeError);
    assertThrows(() => f.wait(NaN), RangeError);
  }),
);

test(
  "a fence in use, or signaled, is refused; so is re-recording a command buffer still running",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    const q = device.queue();
    using gate = Semaphore.create(device, { type: "timeline" });
    using f = Fence.create(device);
    using out = hostBuffer(device, 256);
    using cmd = CommandBuffer.create(device).record((r) =>
      r.fill(out.buffer, 7).hostRead(out.buffer)
    );
    // After the objects: NVIDIA's driver opens fds of its own for a device's first semaphores.
    const before = openFdSet();
    // The submission cannot run before the host signals the gate.
    q.submit({ wait: [{ semaphore: gate, value: 1 }], commandBuffers: [cmd], fence: f });
    try {
      assertRule(() => f.reset(), "IN_USE", "has not finished");
      assertRule(() => q.submit({ fence: f }), "IN_USE");
      assertRule(() => f.importFd(-1, "SYNC_FD"), "IN_USE");
      assertRule(() => cmd.record((r) => r.fill(out.buffer, 8)), "IN_USE", "still running");
      assertEquals(f.wait(10), "timeout");
    } finally {
      gate.signal(1);
    }
    assertEquals(f.wait(10_000), "signaled");
    assertEquals(out.bytes[0], 7);
    assertRule(() => q.submit({ fence: f }), "FENCE_SIGNALED", "reset it");
    f.reset();
    cmd.record((r) => r.fill(out.buffer, 8)); // finished: it can be recorded again
    assertNoFdLeak(before);
  }),
);

test(
  "the spec's rules for fence fds are refused before the call",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using f = Fence.create(device);
    assertRule(() => f.exportFd("SYNC_FD"), "NO_PENDING_SIGNAL", "signaled or a signal submitted");
    assertRule(() => f.importFd(-1, "SYNC_FD", { temporary: false }), "TEMPORARY_REQUIRED");
    assertRule(() => f.importFd(-1, f.descriptor("OPAQUE_FD")), "FD_NOT_OPEN");
    assertRule(
      () => f.importFd(-1, { ...f.descriptor("SYNC_FD"), object: "semaphore" }),
      "BAD_DESCRIPTOR",
    );
    using s = Fence.create(device, { signaled: true });
    assertRule(() => s.exportFd("OPAQUE_FD"), "NOT_EXPORTABLE");
    assertRule(() => s.exportFd("SYNC_FD"), "NOT_EXPORTABLE");
  }),
);

test(
  "command buffers: a one-time recording submits once; a failed recording cannot be submitted",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using other = Device.create(pd);
    const q = device.queue();
    using out = hostBuffer(device, 256);
    using foreign = hostBuffer(other, 256);
    using f = Fence.create(device);
    using cmd = CommandBuffer.create(device);
    assertRule(() => q.submit({ commandBuffers: [cmd] }), "NOT_EXECUTABLE", "record it first");
    cmd.record((r) => r.fill(out.buffer, 1), { oneTime: true });
    q.submit({ commandBuffers: [cmd], fence: f });
    assertRule(() => q.submit({ commandBuffers: [cmd] }), "NOT_EXECUTABLE", "one submission");
    assertEquals(f.wait(10_000), "signaled");
    assertThrows(
      () => cmd.record((r) => r.fill(out.buffer, 1, { offset: 2 })),
      RangeError,
      "multiples of 4",
    );
    assertRule(() => q.submit({ commandBuffers: [cmd] }), "NOT_EXECUTABLE");
    assertRule(
      () => cmd.record((r) => r.copy(foreign.buffer, out.buffer)),
      "WRONG_DEVICE",
      "import its memory",
    );
    assertThrows(() => cmd.record((r) => r.copy(out.buffer, out.buffer)), RangeError, "overlap");
    assertThrows(() => cmd.record((r) => r.fill(out.buffer, 2 ** 32)), RangeError, "uint32");
    let kept: { fill(b: unknown, v: number): unknown } | undefined;
    cmd.record((r) => {
      kept = r;
    });
    assertThrows(() => kept!.fill(out.buffer, 1), Error, "outside");
  }),
);
