/**
 * Vulkan and OpenGL (headless, through EGL) on one GPU, sharing memory both ways, every byte
 * checked on both sides:
 *
 *     deno run -A examples/share_gl.ts [--size BYTES]              # one process
 *     deno run -A examples/share_gl.ts --process [--frames N]      # a GL consumer in another process
 *
 * In one process:
 * 1. GL: a context on the EGL device whose GL deviceUUID is the Vulkan device's.
 * 2. A buffer: Vulkan fills exported memory; GL imports it (GlBuffer), reads and checks it, writes
 *    a new pattern; Vulkan copies it back and checks it.
 * 3. A texture: Vulkan writes an RGBA8 image of dedicated exported memory; GL imports it
 *    (GlTexture), reads and checks every texel, writes new ones; Vulkan reads them back.
 *
 * Between the two APIs, the handoff is a semaphore where GL has GL_EXT_semaphore_fd (Vulkan
 * signals, GL waits; GL signals, Vulkan waits), and the host elsewhere (Mesa): Vulkan's fence is
 * waited before GL reads, and GL's work is finished (`gl.finish()`) before Vulkan reads.
 *
 * With `--process`, this script serves the memory (and two binary semaphores, where Vulkan exports
 * them) over a share socket and starts itself again as the GL consumer (`--consume ADDRESS`),
 * which imports the offer and, for each frame, checks the pattern Vulkan wrote, writes the next one
 * through GL and acknowledges. The consumer picks the handoff: the semaphores where its GL has
 * GL_EXT_semaphore_fd, else the host (`gl.finish()`). A GL buffer used again after Vulkan wrote to
 * it sees the new bytes only after a semaphore wait where GL has semaphores (NVIDIA: measured).
 *
 * Where there is no EGL or no GL on the Vulkan device's GPU, it says why and exits with 77.
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawn } from "node:child_process";

import { parseCli } from "../cli/_args.ts";
import { GlBuffer, GlContext, GlSemaphore, GlTexture, probeGl } from "../gl/mod.ts";
import { peerCommand, receiveOffer, sendOffer, ShareServer, ShareSocket } from "../ipc/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  Fence,
  GpuBuffer,
  GpuImage,
  Semaphore,
  Transfer,
} from "../mod.ts";
import { externalSemaphoreProperties } from "../share/mod.ts";
import { openGpu, stepRecorder, type TimedStep } from "./_setup.ts";
import { firstWrong, frameValue } from "./pipeline.ts";

const CHUNKS = 16;
/**
 * Bytes of the Vulkan buffer past what GL uses: GL drivers may pad a buffer's storage (llvmpipe
 * by 8 bytes), and the padding must lie within the memory (the GL_BUFFER_RANGE rule).
 */
const GL_SLACK = 256;

/** Options of {@linkcode runGlInterop}. */
export interface GlInteropOptions {
  /** Bytes shared, a multiple of 64 (default 1 MiB). */
  size?: number;
  /** Called with a line per step. */
  log?: (line: string) => void;
  /** How long any one wait may take, in ms (default 10,000). */
  timeoutMs?: number;
}

/** One step of the exchange and how long it took. */
export type GlInteropStep = TimedStep;

/** Pattern n as Vulkan's fill writes it: chunk c of 16 holds frameValue(n, c). */
export function glPattern(n: number, size: number): Uint8Array {
  const words = new Uint32Array(size / 4);
  for (let c = 0; c < CHUNKS; c++) {
    words.fill(frameValue(n, c), (c * words.length) / CHUNKS, ((c + 1) * words.length) / CHUNKS);
  }
  return new Uint8Array(words.buffer);
}

/** Why GL cannot share with `device` here (no EGL, no GL on its GPU), or null. */
export function noGl(device: Device): string | null {
  const gl = probeGl(device.physicalDevice);
  return typeof gl === "string" ? gl : null;
}

/** Whether `device` exports binary OPAQUE_FD semaphores (for GL to import). */
function exportsSemaphores(device: Device): boolean {
  const p = externalSemaphoreProperties(device.physicalDevice, {
    handleType: "OPAQUE_FD",
    semaphoreType: "binary",
  });
  return p.exportable && p.importable;
}

/**
 * Runs the exchange between `device` and a GL context on the same GPU; throws on a wrong byte.
 * Returns each step with its latency, and the handoff used.
 */
export function runGlInterop(
  device: Device,
  options: GlInteropOptions = {},
): { steps: GlInteropStep[]; handoff: "semaphore" | "host" } {
  const size = options.size ?? 1 << 20;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.log ?? (() => {});
  if (size % (4 * CHUNKS) || size < 4 * CHUNKS) {
    throw new RangeError(`size must be a multiple of ${4 * CHUNKS}`);
  }
  const steps: GlInteropStep[] = [];
  const step = stepRecorder(steps, log);
  const check = (bytes: Uint8Array, want: Uint8Array, who: string) => {
    const at = bytes.findIndex((v, i) => v !== want[i]);
    if (at >= 0) throw new Error(`${who}: byte ${at} is ${bytes[at]}, expected ${want[at]}`);
  };
  using gl = step(
    "GL: a context on the Vulkan device's GPU (UUID match)",
    () => GlContext.create({ deviceUUID: device.physicalDevice }),
  );
  const semaphores = gl.sync === "semaphore" && exportsSemaphores(device);
  const handoff = semaphores ? "semaphore" : "host";
  log(
    `handoff: ${
      handoff === "semaphore"
        ? "semaphores (GL_EXT_semaphore_fd)"
        : "the host (fence wait, glFinish)"
    }`,
  );
  bufferExchange(device, gl, { size, timeoutMs, semaphores, step, check });
  textureExchange(device, gl, { step, check });
  return { steps, handoff };
}

interface Exchange {
  step: <T>(name: string, fn: () => T) => T;
  check: (bytes: Uint8Array, want: Uint8Array, who: string) => void;
}

function bufferExchange(
  device: Device,
  gl: GlContext,
  x: Exchange & { size: number; timeoutMs: number; semaphores: boolean },
): void {
  const { size, timeoutMs, step, check } = x;
  using buffer = GpuBuffer.create(device, { size: size + GL_SLACK, external: "OPAQUE_FD" });
  using memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
  using toGl = x.semaphores ? Semaphore.create(device, { exportAs: "OPAQUE_FD" }) : null;
  using toVulkan = x.semaphores ? Semaphore.create(device, { exportAs: "OPAQUE_FD" }) : null;
  using cmd = CommandBuffer.create(device);
  using fence = Fence.create(device);
  using transfer = Transfer.create(device);
  const queue = device.queue();
  using glBuffer = step(`GL: import ${size} bytes of Vulkan memory (OPAQUE_FD) as a buffer`, () => {
    using exp = memory.exportFd("OPAQUE_FD");
    return GlBuffer.import(gl, exp.fd, exp.descriptor, { size });
  });
  const importSemaphore = (s: Semaphore) => {
    using exp = s.exportFd("OPAQUE_FD");
    return GlSemaphore.import(gl, exp.fd, exp.descriptor);
  };
  using glToGl = toGl && importSemaphore(toGl);
  using glToVulkan = toVulkan && importSemaphore(toVulkan);
  step(`Vulkan: fill pattern 1, then ${x.semaphores ? "signal" : "wait on the host"}`, () => {
    cmd.record((r) => {
      for (let c = 0; c < CHUNKS; c++) {
        r.fill(buffer, frameValue(1, c), { offset: (c * size) / CHUNKS, size: size / CHUNKS });
      }
      r.release(buffer);
    });
    queue.submit({ commandBuffers: [cmd], signal: toGl ? [toGl] : [], fence });
    if (!toGl && fence.wait(timeoutMs) === "timeout") {
      throw new Error("Vulkan: the fill did not finish");
    }
  });
  step("GL: wait, read the buffer and check every byte", () => {
    glToGl?.wait({ buffers: [glBuffer] });
    check(glBuffer.read(), glPattern(1, size), "GL");
  });
  step(`GL: write pattern 2, then ${x.semaphores ? "signal" : "finish (glFinish)"}`, () => {
    glBuffer.write(glPattern(2, size));
    if (glToVulkan) glToVulkan.signal({ buffers: [glBuffer] });
    else gl.finish();
  });
  step("Vulkan: wait, read the buffer back and check every byte", () => {
    if (fence.wait(timeoutMs) === "timeout") throw new Error("Vulkan: the fill did not finish");
    fence.reset();
    queue.submit({ wait: toVulkan ? [{ semaphore: toVulkan, stage: "TRANSFER" }] : [], fence });
    if (fence.wait(timeoutMs) === "timeout") throw new Error("Vulkan: GL's signal did not arrive");
    check(transfer.read(buffer, { size }), glPattern(2, size), "Vulkan");
  });
}

function textureExchange(device: Device, gl: GlContext, { step, check }: Exchange): void {
  const width = 64, height = 64;
  using image = GpuImage.create(device, {
    width,
    height,
    format: "R8G8B8A8_UNORM",
    usage: ["TRANSFER_SRC", "TRANSFER_DST", "SAMPLED"],
    external: "OPAQUE_FD",
  });
  using memory = DeviceMemory.allocate(device, {
    for: image,
    exportAs: "OPAQUE_FD",
    dedicated: true,
  });
  using transfer = Transfer.create(device);
  const texels = glPattern(3, width * height * 4);
  step(
    "Vulkan: write a 64x64 RGBA8 image (OPTIMAL, dedicated memory)",
    () => transfer.writeImage(image, texels),
  );
  using texture = step("GL: import the image's memory as an RGBA8 texture", () => {
    using exp = memory.exportFd("OPAQUE_FD");
    return GlTexture.import(gl, exp.fd, exp.descriptor, { format: "RGBA8", width, height });
  });
  step("GL: read the texture and check every texel", () => check(texture.read(), texels, "GL"));
  const back = glPattern(4, width * height * 4);
  step("GL: write new texels, then finish", () => {
    texture.write(back);
    gl.finish();
  });
  step(
    "Vulkan: read the image back and check every texel",
    () => check(transfer.readImage(image), back, "Vulkan"),
  );
}

/** The producer of `--process`: serves the memory, starts the GL consumer, runs the frames. */
async function serve(
  size: number,
  frames: number,
  timeoutMs: number,
  skip: (why: string) => never,
): Promise<void> {
  using gpu = openGpu("vkshare share_gl");
  using device = Device.create(gpu.pd);
  const why = noGl(device);
  if (why) skip(`${gpu.pd.name}: ${why}`);
  using server = ShareServer.listen();
  const [program, ...args] = peerCommand(new URL(import.meta.url), [
    "--consume",
    typeof server.address === "string" ? server.address : `@${server.address.abstract}`,
    "--timeout-ms",
    String(timeoutMs),
  ]);
  const child = spawn(program, args, { stdio: "inherit" });
  const exited = new Promise<number>((ok) => child.on("exit", (code) => ok(code ?? 1)));
  using peer = await server.accept({ timeoutMs });
  using buffer = GpuBuffer.create(device, { size: size + GL_SLACK, external: "OPAQUE_FD" });
  using memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
  using transfer = Transfer.create(device);
  const offered = exportsSemaphores(device);
  using toGl = offered ? Semaphore.create(device, { exportAs: "OPAQUE_FD" }) : null;
  using toVulkan = offered ? Semaphore.create(device, { exportAs: "OPAQUE_FD" }) : null;
  {
    using exp = memory.exportFd("OPAQUE_FD");
    using a = toGl?.exportFd("OPAQUE_FD");
    using b = toVulkan?.exportFd("OPAQUE_FD");
    await sendOffer(peer, {
      label: "share_gl frames",
      memory: exp,
      semaphores: a && b ? [a, b] : [],
    });
  }
  await peer.send({ type: "start", frames, size });
  const handoff = (await peer.expect("ready", { timeoutMs })).message.handoff;
  const semaphores = handoff === "semaphore" && toGl && toVulkan;
  using fence = Fence.create(device);
  const queue = device.queue();
  const t0 = performance.now();
  for (let n = 1; n <= frames; n++) {
    transfer.write(buffer, glPattern(2 * n - 1, size)); // waited on the host
    if (semaphores) queue.submit({ signal: [toGl] });
    await peer.send({ type: "frame", n });
    await peer.expect("ack", { timeoutMs });
    if (semaphores) {
      queue.submit({ wait: [{ semaphore: toVulkan, stage: "TRANSFER" }], fence });
      if (fence.wait(timeoutMs) === "timeout") {
        throw new Error("Vulkan: GL's signal did not arrive");
      }
      fence.reset();
    }
    const at = firstWrong(transfer.read(buffer, { size }), 2 * n, size);
    if (at >= 0) throw new Error(`Vulkan: frame ${n}: byte ${at} is not what GL wrote`);
  }
  const ms = (performance.now() - t0) / frames;
  await peer.send({ type: "done" });
  const code = await exited;
  if (code !== 0) throw new Error(`the GL consumer exited with ${code}`);
  console.log(
    `OK: ${frames} frames of ${size} bytes, Vulkan -> GL in another process -> Vulkan, every byte checked on both sides, ${
      ms.toFixed(3)
    } ms a frame`,
  );
}

/** The GL consumer of `--process`: imports the offer, checks and rewrites every frame. */
async function consume(address: string, timeoutMs: number): Promise<void> {
  const at = address.startsWith("@") ? { abstract: address.slice(1) } : address;
  using socket = await ShareSocket.connect(at, { timeoutMs });
  using offer = await receiveOffer(socket, { timeoutMs });
  const memory = offer.memory;
  if (!memory) throw new Error("the offer has no memory");
  const start = (await socket.expect("start", { timeoutMs })).message as {
    frames: number;
    size: number;
  };
  using gl = GlContext.create({ deviceUUID: memory.descriptor });
  using buffer = GlBuffer.import(gl, memory.fd, memory.descriptor, { size: start.size });
  // The offered semaphores where GL has GL_EXT_semaphore_fd; the host otherwise.
  const [a, b] = offer.semaphores;
  const useSemaphores = gl.sync === "semaphore" && a !== undefined && b !== undefined;
  using toGl = useSemaphores ? GlSemaphore.import(gl, a.fd, a.descriptor) : null;
  using toVulkan = useSemaphores ? GlSemaphore.import(gl, b.fd, b.descriptor) : null;
  const handoff = useSemaphores ? "semaphore" : "host";
  console.log(`  GL consumer: ${gl.facts.name} (${gl.platform} platform), handoff: ${handoff}`);
  await socket.send({ type: "ready", handoff });
  for (let i = 0; i < start.frames; i++) {
    const n = (await socket.expect("frame", { timeoutMs })).message.n as number;
    toGl?.wait({ buffers: [buffer] }); // Vulkan's bytes are GL's to read
    const at = firstWrong(buffer.read(), 2 * n - 1, start.size);
    if (at >= 0) throw new Error(`GL: frame ${n}: byte ${at} is not what Vulkan wrote`);
    buffer.write(glPattern(2 * n, start.size));
    if (toVulkan) toVulkan.signal({ buffers: [buffer] });
    else gl.finish(); // GL's writes are done before Vulkan reads them
    await socket.send({ type: "ack", n });
  }
  await socket.expect("done", { timeoutMs });
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/share_gl.ts",
    summary:
      "Vulkan and headless OpenGL (EGL) share memory both ways on one GPU, a buffer and a texture,\nevery byte checked on both sides; --process puts the GL side in another process.",
    flags: {
      size: {
        type: "string",
        value: "BYTES",
        description: `bytes shared, a multiple of ${4 * CHUNKS}`,
        default: String(1 << 20),
      },
      process: { type: "boolean", description: "a GL consumer in another process (share socket)" },
      frames: {
        type: "string",
        value: "N",
        description: "frames for --process",
        default: "10",
      },
      "timeout-ms": {
        type: "string",
        value: "MS",
        description: "how long any one wait may take",
        default: "10000",
      },
      consume: {
        type: "string",
        value: "ADDRESS",
        description: "run as --process's GL consumer",
        hidden: true,
      },
    },
  });
  const size = cli.bytes("size", { min: 4 * CHUNKS, max: 2 ** 31, multipleOf: 4 * CHUNKS });
  const frames = cli.int("frames", { min: 1, max: 1_000_000 });
  const timeoutMs = cli.int("timeout-ms", { min: 1, max: 3_600_000 });
  const consumeAt = cli.string("consume");
  if (consumeAt) await consume(consumeAt, timeoutMs);
  else if (cli.flag("process")) await serve(size, frames, timeoutMs, (why) => cli.skip(why));
  else {
    using gpu = openGpu("vkshare share_gl");
    using device = Device.create(gpu.pd);
    const why = noGl(device);
    if (why) cli.skip(`${gpu.pd.name}: ${why}`);
    else {
      console.log(`${gpu.pd.name}, deviceUUID ${gpu.pd.deviceUUID}: ${size} bytes`);
      const { steps, handoff } = runGlInterop(device, { size, log: (l) => console.log(`  ${l}`) });
      const total = steps.reduce((s, x) => s + x.ms, 0);
      console.log(
        `OK: every byte checked on both sides and both ways (handoff: ${handoff}), ${
          total.toFixed(3)
        } ms`,
      );
    }
  }
}
