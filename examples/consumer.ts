/**
 * The importing half of `examples/producer.ts`: connects to its share socket, checks and imports
 * the offered memory (and timeline semaphore), then for each frame waits for it (on the
 * semaphore, or for a "frame" message), copies it to host-visible memory, verifies every byte,
 * and acknowledges.
 *
 *     deno run -A examples/consumer.ts --socket PATH [--timeout-ms MS]
 *     bun examples/consumer.ts --socket PATH
 *
 * @module
 */
// @ts-types="../cli/_node/fs.d.ts"
import { existsSync } from "node:fs";

import { parseCli } from "../cli/_args.ts";
import { receiveOffer, ShareSocket } from "../ipc/mod.ts";
import { CommandBuffer, Device, DeviceMemory, Fence, GpuBuffer, Semaphore } from "../mod.ts";
import { openGpu } from "./_setup.ts";
import { firstWrong } from "./pipeline.ts";

const cli = parseCli({
  name: "examples/consumer.ts",
  summary:
    "The importing half of examples/producer.ts: connects to its share socket, imports the offered\nmemory (and timeline semaphore), verifies every byte of every frame and acknowledges it.",
  flags: {
    socket: {
      type: "string",
      value: "PATH",
      description: "the path producer.ts prints (@name: abstract)",
    },
    "timeout-ms": {
      type: "string",
      value: "MS",
      description: "how long each wait may take",
      default: "30000",
    },
  },
});
const path = cli.string("socket") ?? cli.fail("--socket PATH is required (producer.ts prints it)");
const timeoutMs = cli.int("timeout-ms", { min: 1 });
const at = path.startsWith("@") ? { abstract: path.slice(1) } : path;
if (typeof at === "string") {
  const dir = at.includes("/") ? at.slice(0, at.lastIndexOf("/")) || "/" : ".";
  if (!existsSync(dir)) {
    cli.fail(`--socket: no directory ${dir}: is producer.ts running? It prints the path`);
  }
  if (!existsSync(at)) {
    console.log(`waiting up to ${timeoutMs} ms for producer.ts to listen at ${at}`);
  }
}

using gpu = openGpu("vkshare consumer");
using socket = await ShareSocket.connect(at, { timeoutMs });
console.log(`connected to pid ${socket.peer.pid}`);
using offer = await receiveOffer(socket, { timeoutMs });
if (!offer.memory) throw new Error("the producer offered no memory");
// The device that is the producer's GPU, by UUID: with two GPUs, this process may enumerate them
// in another order than the producer's (a ShareError lists them when none is).
const pd = gpu.instance.deviceFor(offer.memory.descriptor);
using device = Device.create(pd);
const start = (await socket.expect("start", { timeoutMs })).message as {
  frames: number;
  size: number;
};
const m = offer.memory;
// The peer's numbers, checked before they size anything.
if (!Number.isSafeInteger(start.frames) || start.frames < 1) {
  throw new Error(`the producer announced ${JSON.stringify(start.frames)} frames`);
}
if (
  !Number.isSafeInteger(start.size) || start.size < 64 || start.size % 64
  || start.size > m.descriptor.size
) {
  throw new Error(
    `the producer announced frames of ${
      JSON.stringify(start.size)
    } bytes (its memory has ${m.descriptor.size})`,
  );
}
using shared = GpuBuffer.create(device, { size: m.descriptor.size, external: "OPAQUE_FD" });
using _memory = DeviceMemory.importFd(device, m.fd, m.descriptor, { for: shared });
using timeline = offer.semaphores.length
  ? Semaphore.importFd(device, offer.semaphores[0].fd, offer.semaphores[0].descriptor)
  : null;
using host = GpuBuffer.create(device, { size: start.size });
using hostMemory = DeviceMemory.allocate(device, {
  for: host,
  properties: ["HOST_VISIBLE", "HOST_COHERENT"],
});
const bytes = hostMemory.map().subarray(0, start.size);
console.log(`imported ${m.descriptor.size} bytes${timeline ? " and a timeline semaphore" : ""}`);
await socket.send({ type: "ready" });

using cmd = CommandBuffer.create(device).record((r) => {
  r.acquire(shared);
  r.copy(shared, host, { size: start.size });
  r.release(shared, { srcAccess: [] });
  r.hostRead(host);
});
using fence = Fence.create(device);
for (let n = 1; n <= start.frames; n++) {
  if (!timeline) {
    const f = await socket.expect("frame", { timeoutMs });
    if (f.message.n !== n) throw new Error(`expected frame ${n}, got ${f.message.n}`);
  }
  device.queue().submit({
    wait: timeline ? [{ semaphore: timeline, value: n, stage: "TRANSFER" }] : [],
    commandBuffers: [cmd],
    fence,
  });
  if (fence.wait(timeoutMs) === "timeout") throw new Error(`frame ${n} did not arrive`);
  fence.reset();
  const at = firstWrong(bytes, n, start.size);
  if (at >= 0) throw new Error(`frame ${n}: byte ${at} is wrong`);
  await socket.send({ type: "ack", n });
}
await socket.expect("done", { timeoutMs });
console.log(`OK: ${start.frames} frames of ${start.size} bytes verified`);
