// Semaphores on one device (these run on every driver): timeline values from the host and from
// queue submissions, binary signal→wait, and the rules vkshare checks before the driver sees a
// call. Export and import across devices are in sync_share_test.ts.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { libc, MFD_CLOEXEC } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import {
  CommandBuffer,
  Device,
  DisposedError,
  Fence,
  OwnedFd,
  Semaphore,
  type SyncDescriptor,
} from "../../mod.ts";
import { isOpenFd } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, openFdSet } from "../_memory.ts";
import { allWords, cannotShareSemaphore, hostBuffer, noTimeline } from "../_sync.ts";
import { assertRule, forEachDevice } from "../_vk.ts";

test(
  "a timeline semaphore counts from its initial value; the host signals, reads and waits",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using t = Semaphore.create(device, { type: "timeline", initialValue: 5 });
    assertEquals(t.type, "timeline");
    assertEquals(t.value, 5n);
    assertEquals(t.wait(5, 0), "signaled");
    assertEquals(t.wait(6, 0), "timeout");
    assertEquals(t.wait(6, 5), "timeout");
    t.signal(7);
    assertEquals(t.value, 7n);
    assertEquals(t.wait(6, 0), "signaled");
    using u = Semaphore.create(device, { type: "timeline" });
    assertEquals(u.value, 0n);
    assertEquals(
      Semaphore.waitMany([{ semaphore: t, value: 7 }, { semaphore: u, value: 1 }], 0),
      "timeout",
    );
    assertEquals(
      Semaphore.waitMany([{ semaphore: t, value: 7 }, { semaphore: u, value: 1 }], 0, {
        any: true,
      }),
      "signaled",
    );
    u.signal(1n);
    assertEquals(
      Semaphore.waitMany([{ semaphore: t, value: 7 }, { semaphore: u, value: 1 }], Infinity),
      "signaled",
    );
  }),
);

test(
  "submissions signal and wait on timeline values, also a wait submitted before its signal",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    const q = device.queue();
    using t = Semaphore.create(device, { type: "timeline" });
    using gate = Semaphore.create(device, { type: "timeline" });
    q.submit({ signal: [{ semaphore: t, value: 1 }] });
    assertEquals(t.wait(1, 10_000), "signaled");
    // The queue waits for gate=3 (signaled later, by the host), then signals t=2.
    q.submit({ wait: [{ semaphore: gate, value: 3 }], signal: [{ semaphore: t, value: 2 }] });
    assertEquals(t.wait(2, 20), "timeout");
    assertEquals(t.value, 1n);
    gate.signal(3);
    assertEquals(t.wait(2, 10_000), "signaled");
    assertEquals(t.value, 2n);
    q.waitIdle();
  }),
);

test(
  "a binary semaphore whose last submission has no fence is destroyed once that batch is done (the queue's own timeline), and the layer agrees",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    const q = device.queue();
    using gate = Semaphore.create(device, { type: "timeline" });
    using other = Semaphore.create(device);
    for (const gated of [false, true]) {
      const s = Semaphore.create(device);
      // Signaled, then waited on, by batches with no fence and no timeline of the caller's: the
      // queue's own timeline marks them. Gated: the wait's batch also waits for the host, which
      // signals just before the disposal, so it may still be running then.
      q.submit({ signal: [s] });
      q.submit({ wait: gated ? [s, { semaphore: gate, value: 1 }] : [s], signal: [other] });
      if (gated) gate.signal(1);
      // The validation layer (forEachDevice) fails the test if it is destroyed while in use.
      s[Symbol.dispose]();
      assert(s.disposed);
      using fence = Fence.create(device);
      q.submit({ wait: [other], fence });
      assertEquals(fence.wait(10_000), "signaled");
    }
  }),
);

test(
  "binary semaphores order two submissions: a fill, then a copy that waits for it",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    const q = device.queue();
    using src = hostBuffer(device, 4096);
    using dst = hostBuffer(device, 4096);
    using s = Semaphore.create(device);
    using fence = Fence.create(device);
    assertEquals(s.state, "unsignaled");
    using fill = CommandBuffer.create(device).record((r) => r.fill(src.buffer, 0xa5a5a5a5));
    using copy = CommandBuffer.create(device).record((r) =>
      r.copy(src.buffer, dst.buffer).hostRead(dst.buffer)
    );
    q.submit({ commandBuffers: [fill], signal: [s] });
    assertEquals(s.state, "pending");
    q.submit({ wait: [{ semaphore: s, stage: "TRANSFER" }], commandBuffers: [copy], fence });
    assertEquals(s.state, "unsignaled");
    assertEquals(fence.wait(10_000), "signaled");
    assert(allWords(dst.bytes, 0xa5a5a5a5), "the copy saw the fill");
  }),
);

test(
  "the spec's rules for signals and waits are refused before the call",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using other = Device.create(pd);
    const q = device.queue();
    using b = Semaphore.create(device);
    using t = Semaphore.create(device, { type: "timeline", initialValue: 10 });

    // Binary: a wait needs a submitted signal; a second signal needs a wait between.
    assertRule(() => q.submit({ wait: [b] }), "NO_PENDING_SIGNAL");
    q.submit({ signal: [b] });
    assertRule(() => q.submit({ signal: [b] }), "SIGNAL_PENDING");
    q.submit({ wait: [b], signal: [b] }); // waits, then signals again: valid
    assertRule(() => q.submit({ signal: [{ semaphore: b, value: 1 }] }), "NOT_TIMELINE");
    assertRule(() => b.signal(1), "NOT_TIMELINE");
    assertRule(() => b.wait(1, 0), "NOT_TIMELINE");
    assertRule(() => b.value, "NOT_TIMELINE");
    assertRule(() => Semaphore.create(device, { initialValue: 1 }), "NOT_TIMELINE");
    q.submit({ wait: [b] });

    // Timeline: values only grow, and each wait and signal has one.
    assertRule(() => t.signal(10), "TIMELINE_VALUE", "greater than the current value 10");
    assertRule(() => q.submit({ signal: [t] }), "TIMELINE_VALUE", "needs a value");
    assertRule(() => q.submit({ wait: [t] }), "TIMELINE_VALUE", "needs a value");
    q.submit({ wait: [{ semaphore: t, value: 20 }], signal: [] });
    t.signal(20);
    // A signal of 30 that cannot run before the host signals the gate: 25 would come after it.
    using gate = Semaphore.create(device, { type: "timeline" });
    q.submit({ wait: [{ semaphore: gate, value: 1 }], signal: [{ semaphore: t, value: 30 }] });
    assertRule(
      () => q.submit({ signal: [{ semaphore: t, value: 25 }] }),
      "TIMELINE_VALUE",
      "30 already submitted",
    );
    assertRule(() => t.signal(25), "TIMELINE_VALUE", "30 already submitted");
    gate.signal(1);
    assertEquals(t.wait(30, 10_000), "signaled");
    assertRule(
      () => q.submit({ signal: [{ semaphore: t, value: 40 }, { semaphore: t, value: 50 }] }),
      "SIGNAL_PENDING",
    );
    assertThrows(() => t.signal(-1), RangeError);
    assertThrows(() => t.wait(31, -1), RangeError);

    // Objects of another device, or disposed.
    using foreign = Semaphore.create(other);
    assertRule(() => q.submit({ signal: [foreign] }), "WRONG_DEVICE", "import it first");
    const gone = Semaphore.create(device);
    gone[Symbol.dispose]();
    assertThrows(() => q.submit({ signal: [gone] }), DisposedError);
    assertThrows(() => Semaphore.waitMany([], 0), RangeError);
    assertRule(
      () => Semaphore.waitMany([{ semaphore: t, value: 1 }, { semaphore: foreign, value: 1 }], 0),
      ["WRONG_DEVICE", "NOT_TIMELINE"],
    );
    q.waitIdle();
  }),
);

test(
  "the spec's rules for semaphore fds are refused before the call, and leak no fd",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using b = Semaphore.create(device);
    using t = Semaphore.create(device, { type: "timeline" });
    // After the objects: NVIDIA's driver opens fds of its own for a device's first semaphores.
    const before = openFdSet();
    const opaque = (type: "binary" | "timeline"): SyncDescriptor => ({
      ...b.descriptor("OPAQUE_FD"),
      semaphoreType: type,
    });
    using memfd = OwnedFd.adopt(
      libc().memfd_create!(cString("not a semaphore"), MFD_CLOEXEC),
    );

    // SYNC_FD: copy transference, temporary only, binary only.
    assertRule(() => b.importFd(-1, "SYNC_FD", { temporary: false }), "TEMPORARY_REQUIRED");
    assertRule(() => t.importFd(-1, "SYNC_FD"), "SEMAPHORE_TYPE_MISMATCH", "binary");
    assertRule(() => t.exportFd("SYNC_FD"), "SEMAPHORE_TYPE_MISMATCH");
    assertRule(
      () => Semaphore.create(device, { type: "timeline", exportAs: "SYNC_FD" }),
      "SEMAPHORE_TYPE_MISMATCH",
    );
    assertRule(() => b.exportFd("SYNC_FD"), "NO_PENDING_SIGNAL");
    assertRule(() => b.importFd(memfd, "SYNC_FD"), "FD_KIND_MISMATCH", "sync_file");
    // OPAQUE_FD: the exporter's type; a timeline imports permanently; -1 is no fd.
    assertRule(() => t.importFd(memfd, opaque("binary")), "SEMAPHORE_TYPE_MISMATCH");
    assertRule(() => b.importFd(memfd, opaque("timeline")), "SEMAPHORE_TYPE_MISMATCH");
    assertRule(
      () => t.importFd(memfd, opaque("timeline"), { temporary: true }),
      "PERMANENT_REQUIRED",
    );
    assertRule(() => b.importFd(-1, opaque("binary")), "FD_NOT_OPEN", "only for a SYNC_FD");
    assertRule(() => b.importFd(null, opaque("binary")), "FD_NOT_OPEN");
    assertRule(
      () =>
        b.importFd(memfd, {
          ...opaque("binary"),
          deviceUUID: "00000000-0000-0000-0000-000000000000",
        }),
      "UUID_MISMATCH",
    );
    assertRule(() => b.importFd(memfd, { ...opaque("binary"), object: "fence" }), "BAD_DESCRIPTOR");
    assertRule(() => b.importFd(memfd, { ...opaque("binary"), version: 9 }), "BAD_DESCRIPTOR");
    assertRule(
      // deno-lint-ignore no-explicit-any
      () => b.importFd(memfd, "OPAQUE_FD" as any),
      "BAD_DESCRIPTOR",
      "needs its UUIDs",
    );
    assertRule(() => b.exportFd("OPAQUE_FD"), "NOT_EXPORTABLE");
    const closed = memfd.dup();
    const n = closed.fd;
    closed.close();
    assertRule(() => b.importFd(n, opaque("binary")), "FD_NOT_OPEN");
    assertRule(() => b.importFd(closed, opaque("binary")), "FD_NOT_OPEN");
    // The memfd was never consumed: it is still open and still ours.
    assertEquals(memfd.state, "open");
    assert(isOpenFd(memfd.fd));
    memfd.close();
    assertNoFdLeak(before);
  }),
);

test(
  "without semaphore fds, exportAs and imports name what the device lacks",
  { skip: cannotShareSemaphore("binary", "OPAQUE_FD") ? false : "this device has semaphore fds" },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using b = Semaphore.create(device);
    const e = assertRule(
      () => Semaphore.create(device, { exportAs: "OPAQUE_FD" }),
      "HANDLE_TYPE_UNSUPPORTED",
      "no VK_KHR_external_semaphore_fd",
    );
    assertEquals(e.expected, "exportable");
    assertRule(() => b.importFd(-1, "SYNC_FD"), "HANDLE_TYPE_UNSUPPORTED");
    assertRule(() => b.exportFd(), "NOT_EXPORTABLE");
  }),
);

test(
  "an OPAQUE_FD export's fd is typed non-null (an OwnedFd), a SYNC_FD export's may be null",
  { skip: cannotShareSemaphore("binary", "OPAQUE_FD") },
  forEachDevice((pd) => {
    using d = Device.create(pd);
    using s = Semaphore.create(d, { exportAs: "OPAQUE_FD" });
    using e = s.exportFd();
    const fd: OwnedFd = e.fd; // compiles without `!`: deno task check is the other half
    assertEquals(fd.state, "open");
    const sync: (h: "SYNC_FD") => OwnedFd | null = (h) => s.exportFd(h).fd;
    assert(typeof sync === "function");
  }),
);

test(
  "what create's options make is kept per device, and bad options are refused after good ones",
  { skip: noTimeline },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    // The same options again: the same kind, a new semaphore each time.
    using t1 = Semaphore.create(device, { type: "timeline", initialValue: 3 });
    using t2 = Semaphore.create(device, { type: "timeline", initialValue: 3n });
    assert(t1.handle !== t2.handle);
    assertEquals([t1.value, t2.value], [3n, 3n]);
    using t3 = Semaphore.create(device, { type: "timeline", initialValue: 4 });
    assertEquals(t3.value, 4n);
    using b = Semaphore.create(device);
    assertEquals(b.type, "binary");
    // Refused every time, whatever was made before.
    for (let i = 0; i < 2; i++) {
      assertRule(() => Semaphore.create(device, { initialValue: 1 }), "NOT_TIMELINE");
      assertThrows(() => Semaphore.create(device, { type: "timeline", initialValue: -1 }));
      assertThrows(
        () => Semaphore.create(device, { type: "bogus" as "binary" }),
        RangeError,
        "unknown value",
      );
      assertThrows(
        () => Semaphore.create(device, { type: "toString" as "binary" }),
        RangeError,
        "unknown value",
      );
      assertRule(
        () => Semaphore.create(device, { type: "timeline", exportAs: "SYNC_FD" }),
        "SEMAPHORE_TYPE_MISMATCH",
      );
    }
    using f = Fence.create(device, { signaled: true });
    using g = Fence.create(device);
    assertEquals([f.status(), g.status()], ["signaled", "unsignaled"]);
  }),
);
