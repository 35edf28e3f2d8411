/**
 * Frames from Vulkan to PyTorch, CuPy or JAX in another process and back, without a copy through
 * the host: the script's half (the Python half is `examples/torch_frames.py`, which this starts).
 *
 *     deno run -A examples/torch_frames.ts [--frames 1000] [--size 16777216] [--mode both]
 *     deno run -A examples/torch_frames.ts --mode zero-copy --consumer cupy   # or jax
 *     bun examples/torch_frames.ts --mode host-copy --compute numpy    # no GPU needed
 *
 * - zero-copy: Vulkan allocates the frames in exported memory and offers it, with two exported
 *   timeline semaphores, over a share socket. Python imports them into CUDA (the CUDA device is
 *   the one whose UUID is the Vulkan deviceUUID) and hands each frame to the consumer without a
 *   copy: `torch.from_dlpack`, `cupy.from_dlpack` or `jax.numpy.from_dlpack` (`--consumer`),
 *   each frame queueing its wait on the consumer's stream; or one torch tensor over the ring
 *   through `__cuda_array_interface__` (`--consumer torch-cai`). For each frame n the script
 *   fills it on the GPU and signals `filled` = n + 1; Python queues, on the consumer's stream, a
 *   wait for that value, a check of every element, y = 2x + 1 and a signal of `done` = n + 1
 *   (torch and CuPy never wait on the host; JAX, whose arrays are immutable, waits for its y and
 *   copies it into the frame); the script's queue waits for `done`, copies the frame to
 *   host-visible memory, and the script checks every element. Then Python makes 10,000 DLPack
 *   capsules that nobody takes, and counts what they held before and after.
 * - host-copy (the baseline, the ordinary way): the script copies each frame to host memory and
 *   into a memfd that Python maps (numpy); Python copies it to the GPU (torch), checks it,
 *   computes, copies the result back into the memfd, and says so; the script checks it there.
 *
 * Frame n holds x[i] = (i + n mod 251) mod 8191 as float32, so y = 2x + 1 is exact. It prints the
 * frame latency (p50, p99: from the fill's submission to the result visible to the script, with
 * `--ring` frames in flight) and the throughput of each mode, and both processes' fd counts.
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawn, spawnSync } from "node:child_process";
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync } from "node:fs";

import { parseCli } from "../cli/_args.ts";
import { sendOffer, ShareServer, type ShareSocket } from "../ipc/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  GpuBuffer,
  HostAllocation,
  Semaphore,
} from "../mod.ts";
import { openGpu } from "./_setup.ts";

/** x[i] of frame n is (i + n mod SHIFT) mod PERIOD. */
export const PERIOD = 8191;
/** How far the pattern moves from frame to frame (mod). */
export const SHIFT = 251;

/** The Python packages that can take the zero-copy frames (see {@linkcode TorchFramesOptions}). */
export const CONSUMERS = ["torch", "cupy", "jax", "torch-cai"] as const;
/** One of {@linkcode CONSUMERS}. */
export type FrameConsumer = typeof CONSUMERS[number];

/** Options of {@linkcode runTorchFrames}. */
export interface TorchFramesOptions {
  /** `zero-copy` or `host-copy`. */
  mode: "zero-copy" | "host-copy";
  /** Frames (default 1,000). */
  frames?: number;
  /** Bytes per frame, a multiple of 4 (default 16 MiB). */
  size?: number;
  /** Frames in flight (default 1: the latency is then a round trip with nothing queued). */
  ring?: number;
  /** The Python interpreter (default `python3`). */
  python?: string;
  /** What Python computes with: `torch` (on the GPU), or `numpy` (host-copy only, no GPU). */
  compute?: "torch" | "numpy";
  /**
   * Who takes the zero-copy frames (default `torch`): `torch`, `cupy` or `jax` through DLPack
   * (`from_dlpack`, each frame's wait queued on the consumer's stream), or `torch-cai` (one torch
   * tensor over the ring through `__cuda_array_interface__`).
   */
  consumer?: FrameConsumer;
  /** How long any one wait may take, in ms (default 60,000). */
  timeoutMs?: number;
  /** Variables for the Python process (CUDA_VISIBLE_DEVICES, say), added to this one's. */
  env?: Record<string, string>;
}

/** What a run measured. */
export interface TorchFramesResult {
  /** The mode. */
  mode: "zero-copy" | "host-copy";
  /** Frames checked on both sides. */
  frames: number;
  /** Bytes per frame. */
  size: number;
  /** Frames in flight. */
  ring: number;
  /** zero-copy: from sending the offer to Python's "tensor ready" (ms). */
  offerToTensorMs: number | null;
  /** Python's own part of it: import, map, tensor (ms). */
  pythonImportMs: number | null;
  /** The torch device Python used (`cuda:N`), or `cpu (numpy)`. */
  pythonDevice: string;
  /** zero-copy: who took the frames; null for host-copy. */
  consumer: FrameConsumer | null;
  /** zero-copy: how many frames the consumer saw at the imported pointer itself (no copy). */
  samePointer: number | null;
  /**
   * zero-copy: 10,000 DLPack capsules that nobody took, and Python's counts before and after
   * them (live capsules, fds, CUDA imports, references to the imported memory).
   */
  unconsumed: UnconsumedCapsules | null;
  /** Frame latency percentiles, ms. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Each frame's latency, ms, in frame order. */
  latencySamplesMs: number[];
  /** Frames per second and GB/s (one frame's bytes each way counted once). */
  throughput: { fps: number; gbps: number };
  /** The script's own element checks, ms per frame (p50). */
  checkMs: number;
  /** The script's fd count after frame 1 and after the last. */
  fds: { before: number; after: number };
  /** Python's fd count after frame 1 and after the last. */
  pythonFds: { before: number; after: number };
  /** Python's note on host synchronisation in its loop. */
  pythonSync: string;
}

/** Python's counts around capsules that no consumer took. */
export interface UnconsumedCapsules {
  /** How many capsules were made and dropped. */
  count: number;
  /** The counts before them. */
  before: PythonCounts;
  /** The counts after them (and a garbage collection). */
  after: PythonCounts;
}

/** Counts in the Python process. */
export interface PythonCounts {
  /** DLPack tensors made and not yet deleted. */
  liveCapsules: number;
  /** Open fds. */
  fds: number;
  /** Live CUDA imports of Vulkan memory and semaphores. */
  imports: { memory: number; semaphore: number };
  /** References to the imported memory (sys.getrefcount). */
  memoryReferences: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

/** This machine cannot run the example: no python3, numpy, PyTorch or CUDA GPU (`reason`). */
export class TorchUnavailable extends Error {
  /** Why: what is missing. */
  readonly reason: string;
  /** Says `reason`. */
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

const openFdCount = () => readdirSync("/proc/self/fd").length;

/** The index of the first element of frame `n`'s result (y = 2x + 1) that is wrong, or -1. */
export function firstWrongElement(y: Float32Array, n: number): number {
  let v = n % SHIFT % PERIOD;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 2 * v + 1) return i;
    if (++v === PERIOD) v = 0;
  }
  return -1;
}

/**
 * Runs the frame loop against the Python half in a child process (started here, connected over
 * a new share socket). Throws on a wrong element on either side, on a wait that times out, or
 * when Python fails.
 */
export async function runTorchFrames(
  device: Device,
  options: TorchFramesOptions,
): Promise<TorchFramesResult> {
  const frames = options.frames ?? 1000;
  const size = options.size ?? 16 << 20;
  const ring = options.ring ?? 1;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const compute = options.compute ?? "torch";
  const consumer = options.consumer ?? "torch";
  if (size % 4 || size <= 0) throw new RangeError(`size: a positive multiple of 4, got ${size}`);
  if (!CONSUMERS.includes(consumer)) {
    throw new RangeError(`consumer: one of ${CONSUMERS.join(", ")}, got ${String(consumer)}`);
  }
  if (compute === "numpy" && options.mode === "zero-copy") {
    throw new RangeError("zero-copy needs torch on a CUDA GPU: --compute numpy is host-copy only");
  }
  const pd = device.physicalDevice;
  const python = options.python ?? "python3";
  if (spawnSync(python, ["--version"]).status !== 0) throw new TorchUnavailable(`no ${python}`);
  using server = ShareServer.listen();
  const script = new URL("./torch_frames.py", import.meta.url).pathname;
  const child = spawn(python, [
    script,
    server.address as string,
    "--compute",
    compute,
  ], {
    stdio: ["ignore", "inherit", "pipe"],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  let stderr = "";
  child.stderr.on("data", (b: Uint8Array) => (stderr += new TextDecoder().decode(b)));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  let out: TorchFramesResult;
  try {
    using socket = await server.accept({ timeoutMs });
    await socket.send({
      type: "plan",
      mode: options.mode,
      consumer,
      frames,
      size,
      ring,
      period: PERIOD,
      shift: SHIFT,
      deviceUUID: pd.deviceUUID,
      deviceName: pd.name,
    });
    const answer = (await socket.receive({ timeoutMs })).message as Record<string, unknown>;
    if (answer?.type === "unavailable") throw new TorchUnavailable(String(answer.reason));
    if (answer?.type !== "plan-ok") {
      throw new Error(`torch_frames.py answered the plan with ${JSON.stringify(answer)}`);
    }
    const run = options.mode === "zero-copy" ? zeroCopy : hostCopy;
    const r = await run(device, socket, { frames, size, ring, timeoutMs });
    const result = (await socket.expect("result", { timeoutMs })).message;
    if (result.errors !== 0) {
      throw new Error(`Python found ${result.errors} wrong element(s) in the frames it received`);
    }
    const latency = r.latencies;
    out = {
      mode: options.mode,
      frames,
      size,
      ring,
      offerToTensorMs: r.offerToTensorMs,
      pythonImportMs: (result.importMs as number | null) ?? null,
      pythonDevice: String(result.device),
      consumer: options.mode === "zero-copy" ? consumer : null,
      samePointer: (result.samePointer as number | undefined) ?? null,
      unconsumed: (result.unconsumed as UnconsumedCapsules | undefined) ?? null,
      latencyMs: { p50: pct(latency, 0.5), p99: pct(latency, 0.99), max: Math.max(...latency) },
      latencySamplesMs: latency,
      throughput: {
        fps: frames / (r.loopMs / 1000),
        gbps: frames * size / (r.loopMs / 1000) / 1e9,
      },
      checkMs: pct(r.checks, 0.5),
      fds: r.fds,
      pythonFds: { before: result.fdsBefore as number, after: result.fdsAfter as number },
      pythonSync: String(result.sync),
    };
  } catch (e) {
    if (e instanceof TorchUnavailable) {
      await exited;
      throw e;
    }
    child.kill("SIGKILL");
    await exited;
    if (stderr) (e as Error).message += `\nPython said:\n${stderr.trim()}`;
    throw e;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    exited,
    new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), 10_000))),
  ]);
  clearTimeout(timer);
  if (code === "hung") {
    child.kill("SIGKILL");
    throw new Error("torch_frames.py did not exit within 10 s of its result");
  }
  if (code !== 0) throw new Error(`torch_frames.py exited with ${code}:\n${stderr.trim()}`);
  return out;
}

interface Loop {
  frames: number;
  size: number;
  ring: number;
  timeoutMs: number;
}

interface LoopResult {
  latencies: number[];
  checks: number[];
  loopMs: number;
  offerToTensorMs: number | null;
  fds: { before: number; after: number };
}

/** The script's side of the loop's bookkeeping: submit times, latencies, checks, fd counts. */
class Tally {
  readonly submitted: number[] = [];
  readonly latencies: number[] = [];
  readonly checks: number[] = [];
  fdsBefore = 0;
  readonly #size: number;
  readonly #ring: number;

  constructor(size: number, ring: number) {
    this.#size = size;
    this.#ring = ring;
  }

  /** Frame `n`'s result is visible in `bytes` (the ring): its latency, then every element. */
  arrived(n: number, bytes: Uint8Array): void {
    this.latencies.push(performance.now() - this.submitted[n]);
    const c0 = performance.now();
    const at = bytes.byteOffset + (n % this.#ring) * this.#size;
    const y = new Float32Array(bytes.buffer, at, this.#size / 4);
    const wrong = firstWrongElement(y, n);
    if (wrong >= 0) throw new Error(`frame ${n}: element ${wrong} is ${y[wrong]}, not 2x + 1`);
    this.checks.push(performance.now() - c0);
    if (n === 0) this.fdsBefore = openFdCount();
  }

  /** The loop's results, `loopMs` long. */
  result(loopMs: number, offerToTensorMs: number | null): LoopResult {
    return {
      latencies: this.latencies,
      checks: this.checks,
      loopMs,
      offerToTensorMs,
      fds: { before: this.fdsBefore, after: openFdCount() },
    };
  }
}

/** The pattern every frame is copied from: base[j] = j mod PERIOD, SHIFT elements longer. */
function baseBuffer(device: Device, size: number): { buffer: GpuBuffer; memory: DeviceMemory } {
  const n = size / 4 + SHIFT;
  const base = new Float32Array(n);
  for (let j = 0, v = 0; j < n; j++, v = v + 1 === PERIOD ? 0 : v + 1) base[j] = v;
  const buffer = GpuBuffer.create(device, { size: n * 4 });
  const memory = DeviceMemory.allocate(device, { for: buffer, properties: ["DEVICE_LOCAL"] });
  using staging = GpuBuffer.create(device, { size: n * 4 });
  using sm = DeviceMemory.allocate(device, {
    for: staging,
    properties: ["HOST_VISIBLE", "HOST_COHERENT"],
  });
  sm.map().set(new Uint8Array(base.buffer));
  using cmd = CommandBuffer.create(device);
  cmd.record((r) => r.copy(staging, buffer, { size: n * 4 }));
  using done = Semaphore.create(device, { type: "timeline" });
  device.queue().submit({ commandBuffers: [cmd], signal: [{ semaphore: done, value: 1 }] });
  if (done.wait(1, 60_000) === "timeout") throw new Error("the base pattern's upload hung");
  return { buffer, memory };
}

async function zeroCopy(device: Device, socket: ShareSocket, o: Loop): Promise<LoopResult> {
  const { frames, size, ring, timeoutMs } = o;
  const base = baseBuffer(device, size);
  using _b = base.buffer;
  using _bm = base.memory;
  using shared = GpuBuffer.create(device, { size: ring * size, external: "OPAQUE_FD" });
  using sharedMemory = DeviceMemory.allocate(device, {
    for: shared,
    exportAs: "OPAQUE_FD",
    properties: ["DEVICE_LOCAL"],
  });
  using readback = GpuBuffer.create(device, { size: ring * size });
  using readbackMemory = DeviceMemory.allocate(device, {
    for: readback,
    properties: ["HOST_VISIBLE", "HOST_COHERENT"],
  });
  const host = readbackMemory.map();
  using filled = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
  using done = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
  using copied = Semaphore.create(device, { type: "timeline" });
  const fill = Array.from({ length: ring }, () => CommandBuffer.create(device));
  const back = Array.from({ length: ring }, () => CommandBuffer.create(device));
  using _cmds = { [Symbol.dispose]: () => [...fill, ...back].forEach((c) => c[Symbol.dispose]()) };
  const queue = device.queue();

  const t0 = performance.now();
  {
    using mem = sharedMemory.exportFd("OPAQUE_FD");
    using f = filled.exportFd("OPAQUE_FD");
    using d = done.exportFd("OPAQUE_FD");
    await sendOffer(socket, { label: "frames", memory: mem, semaphores: [f, d] });
  }
  await socket.expect("ready", { timeoutMs });
  const offerToTensorMs = performance.now() - t0;

  const tally = new Tally(size, ring);
  const check = (n: number) => {
    if (copied.wait(n + 1, timeoutMs) === "timeout") {
      throw new Error(`frame ${n}: no result within ${timeoutMs} ms (done = ${done.value})`);
    }
    tally.arrived(n, host);
  };
  const loop0 = performance.now();
  for (let n = 0; n < frames; n++) {
    if (n >= ring) check(n - ring);
    const slot = n % ring;
    const range = { offset: slot * size, size };
    fill[slot].record((r) => {
      r.copy(base.buffer, shared, { srcOffset: (n % SHIFT) * 4, dstOffset: slot * size, size });
      r.barrier({
        buffer: shared,
        range,
        srcStage: "TRANSFER",
        srcAccess: "TRANSFER_WRITE",
        dstStage: "BOTTOM_OF_PIPE",
        srcQueueFamily: device.queueFamily,
        dstQueueFamily: "external",
      });
    });
    back[slot].record((r) => {
      r.barrier({
        buffer: shared,
        range,
        srcStage: "TOP_OF_PIPE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_READ",
        srcQueueFamily: "external",
        dstQueueFamily: device.queueFamily,
      });
      r.copy(shared, readback, { srcOffset: slot * size, dstOffset: slot * size, size });
      r.hostRead(readback, range);
    });
    tally.submitted[n] = performance.now();
    queue.submit({ commandBuffers: [fill[slot]], signal: [{ semaphore: filled, value: n + 1 }] });
    queue.submit({
      wait: [{ semaphore: done, value: n + 1, stage: "TRANSFER" }],
      commandBuffers: [back[slot]],
      signal: [{ semaphore: copied, value: n + 1 }],
    });
    // Let the socket's peer and the event loop run between frames (nothing to receive here).
    if (n % 64 === 63) await new Promise((r) => setTimeout(r, 0));
  }
  for (let n = Math.max(0, frames - ring); n < frames; n++) check(n);
  return tally.result(performance.now() - loop0, offerToTensorMs);
}

async function hostCopy(device: Device, socket: ShareSocket, o: Loop): Promise<LoopResult> {
  const { frames, size, ring, timeoutMs } = o;
  const base = baseBuffer(device, size);
  using _b = base.buffer;
  using _bm = base.memory;
  using frame = GpuBuffer.create(device, { size: ring * size });
  using _fm = DeviceMemory.allocate(device, { for: frame, properties: ["DEVICE_LOCAL"] });
  using staging = GpuBuffer.create(device, { size: ring * size });
  using stagingMemory = DeviceMemory.allocate(device, {
    for: staging,
    properties: ["HOST_VISIBLE", "HOST_COHERENT"],
  });
  const host = stagingMemory.map();
  using shm = HostAllocation.createShared(ring * size, "vkshare-torch-frames");
  await socket.send({ type: "host-frames", size: shm.size }, [shm.fd!]);
  await socket.expect("ready", { timeoutMs });
  using copied = Semaphore.create(device, { type: "timeline" });
  const cmds = Array.from({ length: ring }, () => CommandBuffer.create(device));
  using _cmds = { [Symbol.dispose]: () => cmds.forEach((c) => c[Symbol.dispose]()) };
  const queue = device.queue();

  const tally = new Tally(size, ring);
  const sent: Promise<void>[] = [];
  // Frame n: on the GPU, filled and copied to host-visible memory; then copied into the memfd
  // and announced; Python answers "done" once the result is back in the memfd.
  const hand = async (n: number) => {
    if (copied.wait(n + 1, timeoutMs) === "timeout") {
      throw new Error(`frame ${n}: the GPU copy did not finish within ${timeoutMs} ms`);
    }
    const slot = n % ring;
    shm.bytes.set(host.subarray(slot * size, (slot + 1) * size), slot * size);
    await socket.send({ type: "frame", n });
  };
  const check = async (n: number) => {
    await sent[n];
    const m = (await socket.expect("done", { timeoutMs })).message;
    if (m.n !== n) throw new Error(`expected "done" for frame ${n}, got ${JSON.stringify(m)}`);
    tally.arrived(n, shm.bytes);
  };
  const loop0 = performance.now();
  for (let n = 0; n < frames; n++) {
    if (n >= ring) await check(n - ring);
    const slot = n % ring;
    cmds[slot].record((r) => {
      r.copy(base.buffer, frame, { srcOffset: (n % SHIFT) * 4, dstOffset: slot * size, size });
      r.barrier({
        buffer: frame,
        range: { offset: slot * size, size },
        srcStage: "TRANSFER",
        srcAccess: "TRANSFER_WRITE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_READ",
      });
      r.copy(frame, staging, { srcOffset: slot * size, dstOffset: slot * size, size });
      r.hostRead(staging, { offset: slot * size, size });
    });
    tally.submitted[n] = performance.now();
    queue.submit({ commandBuffers: [cmds[slot]], signal: [{ semaphore: copied, value: n + 1 }] });
    sent[n] = hand(n);
    if (ring === 1) await sent[n];
  }
  for (let n = Math.max(0, frames - ring); n < frames; n++) await check(n);
  return tally.result(performance.now() - loop0, null);
}

/** The results as the lines the example prints. */
export function describeResult(r: TorchFramesResult): string[] {
  const f = (x: number | null, d = 3) => x === null ? "-" : x.toFixed(d);
  const u = r.unconsumed;
  return [
    `${r.mode}: ${r.frames} frames of ${r.size} bytes, ${r.ring} in flight, Python on ${r.pythonDevice}${
      r.consumer ? ` (${r.consumer})` : ""
    }`,
    ...(r.offerToTensorMs !== null
      ? [
        `  offer → ready in Python (${r.consumer}): ${
          f(r.offerToTensorMs)
        } ms (Python's import, map and first setup: ${f(r.pythonImportMs)} ms)`,
      ]
      : []),
    `  frame latency: p50 ${f(r.latencyMs.p50)} ms, p99 ${f(r.latencyMs.p99)} ms, max ${
      f(r.latencyMs.max)
    } ms`,
    `  throughput: ${f(r.throughput.fps, 1)} frames/s, ${
      f(r.throughput.gbps, 2)
    } GB/s (the script's element check: ${f(r.checkMs)} ms a frame, p50)`,
    `  fds: script ${r.fds.before} → ${r.fds.after}, Python ${r.pythonFds.before} → ${r.pythonFds.after}`,
    `  Python's loop: ${r.pythonSync}`,
    ...(r.samePointer === null ? [] : [
      `  zero-copy: ${r.samePointer} of ${r.frames} frames at the imported pointer itself`,
    ]),
    ...(u
      ? [
        `  ${u.count} capsules nobody took: live ${u.before.liveCapsules} → ${u.after.liveCapsules}, fds ${u.before.fds} → ${u.after.fds}, CUDA imports ${
          u.before.imports.memory + u.before.imports.semaphore
        } → ${
          u.after.imports.memory + u.after.imports.semaphore
        }, references to the memory ${u.before.memoryReferences} → ${u.after.memoryReferences}`,
      ]
      : []),
  ];
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/torch_frames.ts",
    summary:
      "Frames from Vulkan to PyTorch in another process (examples/torch_frames.py, started here)\nand back: zero-copy (CUDA imports the memory and timeline semaphores; no host copy, no host\nwait in Python's loop) beside the ordinary host copy through numpy. Every element is checked\non both sides.",
    flags: {
      frames: { type: "string", value: "N", description: "frames per mode", default: "1000" },
      size: {
        type: "string",
        value: "BYTES",
        description: "bytes per frame, a multiple of 4",
        default: String(16 << 20),
      },
      ring: { type: "string", value: "N", description: "frames in flight", default: "1" },
      mode: {
        type: "string",
        value: "MODE",
        description: "zero-copy, host-copy or both",
        default: "both",
      },
      compute: {
        type: "string",
        value: "WITH",
        description: "torch, or numpy (host-copy only, no GPU)",
        default: "torch",
      },
      consumer: {
        type: "string",
        value: "WHO",
        description:
          "zero-copy: torch, cupy or jax (DLPack), or torch-cai (__cuda_array_interface__)",
        default: "torch",
      },
      python: {
        type: "string",
        value: "CMD",
        description: "the Python interpreter",
        default: "python3",
      },
      json: { type: "boolean", description: "print the results as JSON" },
    },
  });
  const frames = cli.int("frames", { min: 1, max: 10_000_000 });
  const size = cli.bytes("size", { min: 4, max: 2 ** 32, multipleOf: 4 });
  const ring = cli.int("ring", { min: 1, max: 16 });
  const mode = cli.choice("mode", ["zero-copy", "host-copy", "both"] as const);
  const compute = cli.choice("compute", ["torch", "numpy"] as const);
  const consumer = cli.choice("consumer", CONSUMERS);
  if (compute === "numpy" && mode !== "host-copy") {
    cli.fail("--compute numpy runs the host-copy baseline only: add --mode host-copy");
  }
  const python = cli.string("python")!;
  using gpu = openGpu("vkshare torch_frames");
  using device = Device.create(gpu.pd);
  const results: TorchFramesResult[] = [];
  const unavailable: string[] = [];
  for (const m of mode === "both" ? ["zero-copy", "host-copy"] as const : [mode]) {
    let r: TorchFramesResult;
    try {
      r = await runTorchFrames(device, { mode: m, frames, size, ring, compute, consumer, python });
    } catch (e) {
      if (!(e instanceof TorchUnavailable)) throw e;
      unavailable.push(`${m}: ${e.reason}`);
      continue;
    }
    results.push(r);
    if (!cli.flag("json")) describeResult(r).forEach((l) => console.log(l));
  }
  if (results.length === 0) cli.skip(unavailable.join("; "));
  for (const u of unavailable) console.log(`${u}: not run`);
  if (cli.flag("json")) {
    console.log(JSON.stringify(results.map(({ latencySamplesMs: _, ...r }) => r), null, 2));
  } else if (results.length === 2) {
    const [z, h] = results;
    console.log(
      `zero-copy vs host copy: latency p50 ${
        (h.latencyMs.p50 / z.latencyMs.p50).toFixed(2)
      }× lower, throughput ${(z.throughput.fps / h.throughput.fps).toFixed(2)}× higher`,
    );
  }
}
