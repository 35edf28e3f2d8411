// The reading process of the cross-process op matrix (tests/ipc/matrix_test.ts):
//   matrix_peer.ts <socket>   connects, then for each scenario: receives its message and its
//                             offer (memory, and a semaphore for binary and timeline sync),
//                             imports them, reads the resource with the scenario's read op
//                             (after waiting on the semaphore, on the GPU), checks every word,
//                             and answers the first wrong word's index (-1: none) and its fd
//                             count; "stop" ends it.
// The device is the test's (VKSHARE_PEER_DEVICE_UUID); VKSHARE_VALIDATE=1 turns the validation
// layer on, and a message it reports fails the scenario.
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync } from "node:fs";
import type { ImageLayoutName } from "../core/mod.ts";
import { type ReceivedOffer, receiveOffer, ShareSocket } from "../ipc/mod.ts";
import { bufferInRange } from "../memory/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  Fence,
  GpuBuffer,
  GpuImage,
  Instance,
  Semaphore,
} from "../mod.ts";
import { BUFFER_USAGE, BYTES, firstWrong, Ops, type Scenario } from "./ops.ts";

const [where] = process.argv.slice(2);
const at = where?.startsWith("@") ? { abstract: where.slice(1) } : where;
const validate = process.env.VKSHARE_VALIDATE === "1";
using instance = Instance.create({ validation: validate });
const wanted = process.env.VKSHARE_PEER_DEVICE_UUID;
using device = Device.create(wanted ? instance.deviceFor(wanted) : instance.physicalDevices()[0]);
using ops = new Ops(device);
// Deno opens a socketpair of its own about 0.5 s after it starts: connect after that, so that the
// fd counts the test compares are this script's alone.
while (performance.now() < 1000) await new Promise((r) => setTimeout(r, 20));
using socket = await ShareSocket.connect(at!, { timeoutMs: 10_000 });
using cmd = CommandBuffer.create(device);
using fence = Fence.create(device);

for (;;) {
  const { message: m } = await socket.receive({ timeoutMs: 600_000 });
  const s = m as Scenario & { type: string; seed: number; layout: string };
  if (s.type === "stop") break;
  let wrong: number;
  let error: string | null = null;
  try {
    wrong = await readOne(s);
    if (validate) instance.assertNoValidationErrors();
  } catch (e) {
    wrong = -2;
    error = (e as Error).message;
  }
  await socket.send({ type: "read", wrong, error, fds: readdirSync("/proc/self/fd").length });
}

/** Imports the scenario's offer, reads it with its op after its sync, checks every word. */
async function readOne(s: Scenario & { seed: number; layout: string }): Promise<number> {
  using offer = await receiveOffer(socket, { device, timeoutMs: 30_000 });
  using shared = importShared(s, offer);
  using semaphore = offer.semaphores.length
    ? Semaphore.importFd(device, offer.semaphores[0].fd, offer.semaphores[0].descriptor)
    : null;
  cmd.record((r) => ops.recordRead(r, s.read, shared.source, s.layout as ImageLayoutName));
  const value = s.sync === "timeline" ? { value: 1 } : {};
  const wait = semaphore ? [{ semaphore, ...value, stage: "ALL_COMMANDS" as const }] : [];
  device.queue().submit({ wait, commandBuffers: [cmd], fence });
  if (await fence.waitAsync(30_000) === "timeout") {
    throw new Error("the read did not finish in 30 s");
  }
  fence.reset();
  return firstWrong(ops.result(), s.write, s.seed);
}

/** The offered buffer or image, imported (a buffer, one at its range, or the image's twin). */
function importShared(
  s: Scenario,
  offer: ReceivedOffer,
): { source: GpuBuffer | GpuImage } & Disposable {
  const owned: Disposable[] = [];
  const dispose = () => owned.reverse().forEach((o) => o[Symbol.dispose]());
  const { fd, descriptor } = offer.memory!;
  try {
    let source: GpuBuffer | GpuImage;
    if (s.resource === "image") {
      source = GpuImage.fromTarget(device, offer.image);
      owned.push(source, DeviceMemory.importFd(device, fd, descriptor, { for: source }));
    } else if (s.resource === "buffer") {
      source = GpuBuffer.create(device, {
        size: BYTES,
        usage: [...BUFFER_USAGE],
        external: "OPAQUE_FD",
      });
      owned.push(source, DeviceMemory.importFd(device, fd, descriptor, { for: source }));
    } else {
      const memory = DeviceMemory.importFd(device, fd, descriptor);
      owned.push(memory);
      source = bufferInRange(memory, offer.range!, { usage: [...BUFFER_USAGE] });
      owned.push(source);
    }
    return { source, [Symbol.dispose]: dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
