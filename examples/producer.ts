/**
 * The exporting half of a two-process pipeline (run `examples/consumer.ts` in a second
 * terminal). It listens on a share socket, exports a buffer of GPU memory and, where the driver
 * can export it, a timeline semaphore; then it writes frames into the buffer on the GPU and
 * signals frame n as value n (or, without semaphore fds, as lavapipe, sends a "frame" message
 * after its fence). It writes frame n + 1 only after the consumer acknowledges frame n. A consumer
 * that stays silent (says nothing within 5 s of connecting, or stops acknowledging) is dropped, and
 * the next one is served from frame 1.
 *
 *     deno run -A examples/producer.ts [--socket PATH] [--frames N] [--size BYTES] [--timeout-ms MS]
 *     bun examples/producer.ts ...
 *
 * @module
 */
import { parseCli } from "../cli/_args.ts";
import { sendOffer, ShareServer, type ShareSocket } from "../ipc/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  ErrnoError,
  Fence,
  GpuBuffer,
  ProtocolError,
  Semaphore,
} from "../mod.ts";
import { openGpu } from "./_setup.ts";
import { frameValue } from "./pipeline.ts";

const CHUNKS = 16;
const cli = parseCli({
  name: "examples/producer.ts",
  summary:
    "The exporting half of a two-process pipeline: listens on a share socket, offers GPU memory\n(and a timeline semaphore where the driver exports one), writes frames and waits for each\nacknowledgement. Run examples/consumer.ts --socket PATH in a second terminal.",
  flags: {
    socket: {
      type: "string",
      value: "PATH",
      description: "where to listen (default: a new private directory)",
    },
    frames: { type: "string", value: "N", description: "frames to send", default: "60" },
    size: {
      type: "string",
      value: "BYTES",
      description: `frame size, a multiple of ${4 * CHUNKS}`,
      default: String(1 << 20),
    },
    "timeout-ms": {
      type: "string",
      value: "MS",
      description: "how long to wait for the consumer",
      default: "30000",
    },
  },
});
const frames = cli.int("frames", { min: 1, max: 1_000_000 });
const size = cli.bytes("size", { min: 4 * CHUNKS, max: 2 ** 32, multipleOf: 4 * CHUNKS });
const timeoutMs = cli.int("timeout-ms", { min: 1 });
const socketPath = cli.string("socket");

using gpu = openGpu("vkshare producer");
const { pd } = gpu;
using device = Device.create(pd);
using buffer = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
using memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
// Where the driver exports one, each consumer gets a timeline semaphore of its own (its frame n is
// value n); without, frames are announced by message.
const timelineWhy = (() => {
  try {
    Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" })[Symbol.dispose]();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
})();
if (timelineWhy) {
  console.log(`no shareable timeline semaphore (${timelineWhy}): frames are announced by message`);
}

using server = ShareServer.listen(socketPath ? { at: socketPath } : {});
console.log(`listening on ${JSON.stringify(server.address)}`);
// A consumer that stays silent (connects and says nothing, or stops acknowledging) is dropped,
// and the next one is served, each from frame 1: one silent client cannot hold the only slot.
const handshakeMs = Math.min(timeoutMs, 5_000);
let released = false; // the buffer was released to the consumer: acquire it before writing again
for (;;) {
  using peer = await server.accept({ timeoutMs });
  console.log(`consumer connected: pid ${peer.peer.pid}`);
  try {
    await serve(peer);
    break;
  } catch (e) {
    const silent = e instanceof ProtocolError
      || (e instanceof ErrnoError && ["ETIMEDOUT", "EPIPE", "ECONNRESET"].includes(e.code));
    if (!silent) throw e;
    console.log(
      `consumer pid ${peer.peer.pid} dropped (${
        (e as Error).message.split("\n")[0]
      }): waiting for the next`,
    );
  }
}

/** Offers the memory (and a timeline semaphore of its own) to `peer` and sends it every frame. */
async function serve(peer: ShareSocket): Promise<void> {
  using timeline = timelineWhy
    ? null
    : Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
  {
    using mem = memory.exportFd("OPAQUE_FD");
    using sem = timeline?.exportFd("OPAQUE_FD") ?? null;
    await sendOffer(peer, { label: "frames", memory: mem, semaphores: sem ? [sem] : [] }, {
      timeoutMs: handshakeMs,
    });
  }
  await peer.send({ type: "start", frames, size, chunks: CHUNKS, semaphore: timeline !== null });
  await peer.expect("ready", { timeoutMs: handshakeMs });

  using cmd = CommandBuffer.create(device);
  using fence = Fence.create(device);
  const t0 = performance.now();
  for (let n = 1; n <= frames; n++) {
    cmd.record((r) => {
      if (released) r.acquire(buffer);
      for (let c = 0; c < CHUNKS; c++) {
        r.fill(buffer, frameValue(n, c), { offset: (c * size) / CHUNKS, size: size / CHUNKS });
      }
      r.release(buffer);
    });
    device.queue().submit({
      commandBuffers: [cmd],
      signal: timeline ? [{ semaphore: timeline, value: n }] : [],
      fence,
    });
    if (fence.wait(timeoutMs) === "timeout") throw new Error(`frame ${n}: the GPU did not finish`);
    fence.reset();
    released = true;
    if (!timeline) await peer.send({ type: "frame", n });
    const ack = await peer.expect("ack", { timeoutMs });
    if (ack.message.n !== n) {
      throw new Error(`expected the ack of frame ${n}, got ${ack.message.n}`);
    }
    if (n === 1 || n === frames || n % Math.ceil(frames / 5) === 0) {
      console.log(`frame ${n}: acknowledged`);
    }
  }
  await peer.send({ type: "done" });
  const ms = performance.now() - t0;
  console.log(
    `OK: ${frames} frames of ${size} bytes shared with pid ${peer.peer.pid} in ${
      ms.toFixed(1)
    } ms (${(ms / frames).toFixed(3)} ms per frame, ${
      timeline ? "timeline semaphore" : "messages"
    })`,
  );
}
