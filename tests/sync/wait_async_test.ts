// Awaitable waits (Semaphore.waitAsync, Fence.waitAsync): the event loop runs while the GPU
// works, which these tests prove by having a timer do what the wait waits for. Their cost and a
// 1 ms interval's lateness are the bench's timeline.wait_async row, not timed here.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { CommandBuffer, Device, DisposedError, Fence, Semaphore, ShareError } from "../../mod.ts";
import { test } from "../_harness.ts";
import { allWords, hostBuffer, noTimeline } from "../_sync.ts";
import { forEachDevice } from "../_vk.ts";

const later = (ms: number, fn: () => void) => setTimeout(fn, ms);

test(
  "an awaited timeline wait lets a timer run: the host signal it waits for comes from a setTimeout",
  { skip: noTimeline },
  forEachDevice(async (pd) => {
    using device = Device.create(pd);
    using t = Semaphore.create(device, { type: "timeline" });
    // A synchronous wait here would never return: nothing else runs until it does.
    later(5, () => t.signal(3));
    assertEquals(await t.waitAsync(3, 10_000), "signaled");
    assertEquals(t.value, 3n);
    // Already reached: resolved at once; a value not reached in time: "timeout".
    assertEquals(await t.waitAsync(2), "signaled");
    assertEquals(await t.waitAsync(4, 5), "timeout");
  }),
);

test(
  "an awaited wait for GPU work: a submission gated by the host, and the bytes it wrote",
  { skip: noTimeline },
  forEachDevice(async (pd) => {
    using device = Device.create(pd);
    using gate = Semaphore.create(device, { type: "timeline" });
    using done = Semaphore.create(device, { type: "timeline" });
    using fence = Fence.create(device);
    using out = hostBuffer(device, 1 << 16);
    using cmd = CommandBuffer.create(device).record((r) =>
      r.fill(out.buffer, 0x0badf00d).hostRead(out.buffer)
    );
    const q = device.queue();
    q.submit({
      wait: [{ semaphore: gate, value: 1 }],
      commandBuffers: [cmd],
      signal: [{ semaphore: done, value: 1 }],
    });
    q.submit({ wait: [{ semaphore: done, value: 1 }], fence });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    later(3, () => gate.signal(1));
    try {
      assertEquals(await fence.waitAsync(10_000), "signaled");
      assertEquals(await done.waitAsync(1, 0), "signaled");
    } finally {
      clearInterval(timer);
    }
    assert(allWords(out.bytes, 0x0badf00d), "the fill ran before the wait resolved");
    assert(ticks > 0, "the interval ran during the wait");
  }),
);

test(
  "awaited waits refuse what waits refuse, and a semaphore disposed during one rejects it",
  { skip: noTimeline },
  forEachDevice(async (pd) => {
    using device = Device.create(pd);
    using binary = Semaphore.create(device);
    const e = await assertRejects(() => binary.waitAsync(1), ShareError);
    assertEquals(e.rule, "NOT_TIMELINE");
    using fence = Fence.create(device);
    await assertRejects(() => fence.waitAsync(-1), RangeError);
    assertEquals(await fence.waitAsync(0), "timeout");
    const t = Semaphore.create(device, { type: "timeline" });
    const waiting = t.waitAsync(1, 10_000);
    later(2, () => t[Symbol.dispose]());
    await assertRejects(() => waiting, DisposedError);
  }),
);
