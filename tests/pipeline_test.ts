// The cross-device pipeline of examples/pipeline.ts, with the validation layer on: device A
// fills exported memory and signals, device B waits, copies to host-visible memory, and every
// byte of every frame is checked.
import { assertEquals } from "@std/assert";
import { firstWrong, frameValue, runPipeline } from "../examples/pipeline.ts";
import { test } from "./_harness.ts";
import { cannotShare, withTwoDevices } from "./_memory.ts";
import { cannotShareSemaphore } from "./_sync.ts";

test("the pipeline's check finds a wrong byte", () => {
  const size = 1024;
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer);
  for (let c = 0; c < 16; c++) words.fill(frameValue(5, c), c * 16, (c + 1) * 16);
  assertEquals(firstWrong(bytes, 5, size), -1);
  assertEquals(firstWrong(bytes, 4, size), 0);
  bytes[777] ^= 1;
  assertEquals(firstWrong(bytes, 5, size), 776);
});

test(
  "pipeline, timeline semaphores: 300 frames, 3 in flight, every byte verified",
  { skip: cannotShare("OPAQUE_FD") || cannotShareSemaphore("timeline", "OPAQUE_FD") },
  withTwoDevices((a, b) => {
    const r = runPipeline(a, b, { mode: "timeline", frames: 300, size: 1 << 18, depth: 3 });
    assertEquals(r.frameMs.length, 300);
    console.log(`  ${(r.totalMs / r.frames).toFixed(3)} ms/frame`);
  }),
);

test(
  "pipeline, binary semaphores: 100 frames, every byte verified",
  { skip: cannotShare("OPAQUE_FD") || cannotShareSemaphore("binary", "OPAQUE_FD") },
  withTwoDevices((a, b) => {
    const r = runPipeline(a, b, { mode: "binary", frames: 100, size: 1 << 18 });
    assertEquals(r.frameMs.length, 100);
  }),
);

test(
  "pipeline, host-synchronized (no semaphore fds needed): 50 frames, every byte verified",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    const r = runPipeline(a, b, { mode: "host", frames: 50, size: 1 << 18 });
    assertEquals(r.frameMs.length, 50);
  }),
);
