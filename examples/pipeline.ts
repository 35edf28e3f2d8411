/**
 * A producer and a consumer on two Vulkan devices, synchronized on the GPU. Device A fills a
 * buffer of exported memory with a frame and signals an exported semaphore; device B imports
 * both, waits on the semaphore, copies the frame into host-visible memory, and the script
 * verifies every byte of every frame.
 *
 *     deno run -A examples/pipeline.ts [--mode timeline|binary|host] [--frames N] [--size BYTES]
 *                                      [--depth N] [--validate]
 *
 * - `timeline` (default): two shared timeline semaphores, `ready` (A signals n when frame n is
 *   written) and `consumed` (B signals n when it has copied frame n); up to `--depth` frames are
 *   in flight, and the host never waits between A and B.
 * - `binary`: a shared binary semaphore per direction, one frame at a time.
 * - `host`: no semaphore fds (lavapipe has none): the host waits for A's fence before B starts.
 *
 * The buffer changes hands with queue family ownership transfers to and from
 * VK_QUEUE_FAMILY_EXTERNAL. `--validate` turns the Khronos validation layer on and fails on any
 * error it reports.
 *
 * @module
 */
// @ts-types="../cli/_node/buffer.d.ts"
import { Buffer } from "node:buffer";

import { parseCli } from "../cli/_args.ts";
import { CommandBuffer, Device, DeviceMemory, Fence, GpuBuffer, Semaphore } from "../mod.ts";
import { openGpu } from "./_setup.ts";

/** How the two devices synchronize. */
export type PipelineMode = "timeline" | "binary" | "host";

/** Options of {@linkcode runPipeline}. */
export interface PipelineOptions {
  /** How A and B synchronize. */
  mode: PipelineMode;
  /** How many frames (default 100). */
  frames?: number;
  /** Bytes per frame, a multiple of 64 (default 1 MiB). */
  size?: number;
  /** Frames in flight in timeline mode (default 3). */
  depth?: number;
  /** Called with a line per frame and a summary. */
  log?: (line: string) => void;
  /** How long any one wait may take, in ms (default 10,000). */
  timeoutMs?: number;
}

/** What {@linkcode runPipeline} measured. */
export interface PipelineResult {
  /** Frames verified. */
  frames: number;
  /** Bytes per frame. */
  size: number;
  /** Wall time of the frame loop, in ms. */
  totalMs: number;
  /** The latency of each frame, from A's submission to the end of its verification, in ms. */
  frameMs: number[];
  /**
   * Where each frame's host time went, in ms (indexed as `frameMs`): recording its two command
   * buffers, submitting them, waiting for B (the timeline wait before its check; in host mode
   * both fence waits), and checking its bytes.
   */
  phasesMs: { record: number[]; submit: number[]; wait: number[]; check: number[] };
}

const CHUNKS = 16;

/** The 32-bit value chunk `c` of frame `n` is filled with. */
export function frameValue(n: number, c: number): number {
  let x = (Math.imul(n, 0x9e3779b1) ^ Math.imul(c + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16;
  return Math.imul(x, 0x7feb352d) >>> 0;
}

/** A chunk's expected words, reused from frame to frame (one per chunk size). */
let expectedChunk = new Uint32Array(0);

/**
 * Checks every byte of frame `n` in `bytes`; returns the index of the first wrong one, or -1.
 * Each chunk is compared with a native memcmp (node:buffer's Buffer.compare, in every runtime)
 * against a block of its value; a JS loop looks for the byte only in a chunk that differs.
 */
export function firstWrong(bytes: Uint8Array, n: number, size: number): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, size / 4);
  const chunk = size / 4 / CHUNKS;
  if (expectedChunk.length !== chunk) expectedChunk = new Uint32Array(chunk);
  const block = new Uint8Array(expectedChunk.buffer);
  for (let c = 0; c < CHUNKS; c++) {
    const v = frameValue(n, c);
    expectedChunk.fill(v);
    const at = bytes.byteOffset + c * chunk * 4;
    if (Buffer.compare(new Uint8Array(bytes.buffer, at, chunk * 4), block) === 0) continue;
    for (let i = c * chunk; i < (c + 1) * chunk; i++) {
      if (words[i] !== v) return i * 4;
    }
  }
  return -1;
}

/**
 * Runs the pipeline between devices `a` (producer) and `b` (consumer) of one physical device
 * (or two with the same UUIDs). Throws when a frame is wrong or a wait times out.
 */
export function runPipeline(a: Device, b: Device, options: PipelineOptions): PipelineResult {
  const frames = options.frames ?? 100;
  const size = options.size ?? 1 << 20;
  const depth = options.mode === "timeline" ? options.depth ?? 3 : 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.log ?? (() => {});
  if (size % (4 * CHUNKS)) throw new RangeError(`size must be a multiple of ${4 * CHUNKS}`);

  // The shared buffer: A's exported memory, imported by B.
  using srcA = GpuBuffer.create(a, { size, external: "OPAQUE_FD" });
  using memA = DeviceMemory.allocate(a, { for: srcA, exportAs: "OPAQUE_FD" });
  using srcB = GpuBuffer.create(b, { size, external: "OPAQUE_FD" });
  {
    using exp = memA.exportFd("OPAQUE_FD");
    DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: srcB });
  }
  // B's host-visible destination: one slot per frame in flight.
  using out = GpuBuffer.create(b, { size: size * depth });
  using outMem = DeviceMemory.allocate(b, {
    for: out,
    properties: ["HOST_VISIBLE", "HOST_COHERENT"],
  });
  const bytes = outMem.map();

  // The semaphores: `ready` A→B, `consumed` B→A.
  const type = options.mode === "timeline" ? "timeline" : "binary";
  using ready = options.mode === "host"
    ? null
    : Semaphore.create(a, { type, exportAs: "OPAQUE_FD" });
  using consumed = options.mode === "host"
    ? null
    : Semaphore.create(b, { type, exportAs: "OPAQUE_FD" });
  using readyB = ready && share(ready, b);
  using consumedA = consumed && share(consumed, a);
  // A command buffer and a fence per frame in flight, on each device: a slot is recorded again
  // only after its fences say the frame that used it has finished.
  const cmdA = Array.from({ length: depth }, () => CommandBuffer.create(a));
  const cmdB = Array.from({ length: depth }, () => CommandBuffer.create(b));
  const fenceA = Array.from({ length: depth }, () => Fence.create(a));
  const fenceB = Array.from({ length: depth }, () => Fence.create(b));
  using _slots = {
    [Symbol.dispose]: () =>
      [...cmdA, ...cmdB, ...fenceA, ...fenceB].forEach((o) => o[Symbol.dispose]()),
  };
  const qa = a.queue(), qb = b.queue();

  const started: number[] = [];
  const frameMs: number[] = [];
  const phasesMs: PipelineResult["phasesMs"] = { record: [], submit: [], wait: [], check: [] };
  const verify = (m: number) => {
    const w0 = performance.now();
    if (options.mode === "timeline" && consumed!.wait(m, timeoutMs) === "timeout") {
      throw new Error(`frame ${m}: B did not signal consumed=${m} within ${timeoutMs} ms`);
    }
    const c0 = performance.now();
    if (options.mode === "timeline") phasesMs.wait[m - 1] = c0 - w0;
    const slot = ((m - 1) % depth) * size;
    const at = firstWrong(bytes.subarray(slot, slot + size), m, size);
    phasesMs.check[m - 1] = performance.now() - c0;
    if (at >= 0) {
      throw new Error(`frame ${m}: byte ${at} is ${bytes[slot + at]}, not frame ${m}'s`);
    }
    frameMs[m - 1] = performance.now() - started[m - 1];
    if (frames <= 20 || m % Math.ceil(frames / 10) === 0 || m === 1) {
      log(`frame ${m}: ${size} bytes verified, ${frameMs[m - 1].toFixed(3)} ms`);
    }
  };

  const t0 = performance.now();
  for (let n = 1; n <= frames; n++) {
    started[n - 1] = performance.now();
    const slot = (n - 1) % depth;
    if (n > depth) {
      waitFor(fenceA[slot], timeoutMs);
      waitFor(fenceB[slot], timeoutMs);
      fenceA[slot].reset();
      fenceB[slot].reset();
    }
    const r0 = performance.now();
    // A: take the buffer back (after frame 1), fill frame n, hand it to B.
    cmdA[slot].record((r) => {
      if (n > 1) r.acquire(srcA);
      for (let c = 0; c < CHUNKS; c++) {
        r.fill(srcA, frameValue(n, c), { offset: (c * size) / CHUNKS, size: size / CHUNKS });
      }
      r.release(srcA);
    });
    // B: take the buffer, copy frame n to its slot, hand the buffer back, make it host-visible.
    cmdB[slot].record((r) => {
      r.acquire(srcB);
      r.copy(srcB, out, { dstOffset: slot * size, size });
      r.release(srcB, { srcAccess: [] });
      r.hostRead(out, { offset: slot * size, size });
    });
    const s0 = performance.now();
    phasesMs.record[n - 1] = s0 - r0;
    const a1 = { commandBuffers: [cmdA[slot]], fence: fenceA[slot] };
    const b1 = { commandBuffers: [cmdB[slot]], fence: fenceB[slot] };
    if (options.mode === "timeline") {
      qa.submit({
        ...a1,
        wait: n > 1 ? [{ semaphore: consumedA!, value: n - 1, stage: "TRANSFER" }] : [],
        signal: [{ semaphore: ready!, value: n }],
      });
      qb.submit({
        ...b1,
        wait: [{ semaphore: readyB!, value: n, stage: "TRANSFER" }],
        signal: [{ semaphore: consumed!, value: n }],
      });
      phasesMs.submit[n - 1] = performance.now() - s0;
      if (n >= depth) verify(n - depth + 1);
    } else if (options.mode === "binary") {
      qa.submit({
        ...a1,
        wait: n > 1 ? [{ semaphore: consumedA!, stage: "TRANSFER" }] : [],
        signal: [ready!],
      });
      // The last frame's `consumed` is not waited on by A: B does not signal it then.
      qb.submit({
        ...b1,
        wait: [{ semaphore: readyB!, stage: "TRANSFER" }],
        signal: n < frames ? [consumed!] : [],
      });
      const w0 = performance.now();
      phasesMs.submit[n - 1] = w0 - s0;
      waitFor(fenceB[slot], timeoutMs);
      phasesMs.wait[n - 1] = performance.now() - w0;
      verify(n);
    } else {
      const t = [performance.now()];
      qa.submit(a1);
      t.push(performance.now());
      waitFor(fenceA[slot], timeoutMs);
      t.push(performance.now());
      qb.submit(b1);
      t.push(performance.now());
      waitFor(fenceB[slot], timeoutMs);
      t.push(performance.now());
      phasesMs.submit[n - 1] = t[1] - t[0] + t[3] - t[2];
      phasesMs.wait[n - 1] = t[2] - t[1] + t[4] - t[3];
      verify(n);
    }
  }
  if (options.mode === "timeline") {
    for (let m = Math.max(1, frames - depth + 2); m <= frames; m++) verify(m);
  }
  const totalMs = performance.now() - t0;
  qa.waitIdle();
  qb.waitIdle();
  return { frames, size, totalMs, frameMs, phasesMs };
}

/** Exports `s` as OPAQUE_FD and imports it (permanently) into a new semaphore of `to`. */
function share(s: Semaphore, to: Device): Semaphore {
  using exp = s.exportFd("OPAQUE_FD");
  return Semaphore.importFd(to, exp.fd, exp.descriptor);
}

function waitFor(f: Fence, timeoutMs: number): void {
  if (f.wait(timeoutMs) === "timeout") throw new Error(`${f.label}: no signal in ${timeoutMs} ms`);
}

/** The mode a device pair can run: timeline, else binary, else host. */
export function bestMode(a: Device): PipelineMode {
  const sem = (t: "binary" | "timeline") => {
    try {
      Semaphore.create(a, { type: t, exportAs: "OPAQUE_FD" })[Symbol.dispose]();
      return true;
    } catch {
      return false;
    }
  };
  return sem("timeline") ? "timeline" : sem("binary") ? "binary" : "host";
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/pipeline.ts",
    summary:
      "Device A fills frames into exported memory and signals them; device B waits, copies each to\nhost memory, and the script checks every byte. Prints ms per frame, GB/s and latency.",
    flags: {
      mode: {
        type: "string",
        value: "MODE",
        description: "timeline, binary or host (default: the best the driver offers)",
      },
      frames: { type: "string", value: "N", description: "frames", default: "100" },
      size: {
        type: "string",
        value: "BYTES",
        description: `frame size, a multiple of ${4 * CHUNKS}`,
        default: String(1 << 20),
      },
      depth: {
        type: "string",
        value: "N",
        description: "frames in flight (timeline mode)",
        default: "3",
      },
      validate: { type: "boolean", description: "enable the validation layer; fail on any error" },
    },
  });
  const asked = cli.string("mode") === undefined
    ? undefined
    : cli.choice("mode", ["timeline", "binary", "host"] as const);
  const frames = cli.int("frames", { min: 1, max: 10_000_000 });
  const size = cli.bytes("size", { min: 4 * CHUNKS, max: 2 ** 32, multipleOf: 4 * CHUNKS });
  const depth = cli.int("depth", { min: 1, max: 64 });
  const validate = cli.flag("validate");
  using gpu = openGpu("vkshare pipeline", { validation: validate });
  const { instance, pd } = gpu;
  using a = Device.create(pd);
  using b = Device.create(pd);
  const mode: PipelineMode = asked ?? bestMode(a);
  console.log(
    `${pd.name} (${
      pd.driverName ?? "driver"
    } ${pd.driverVersionString}): ${mode} mode, ${frames} frames of ${size} bytes`,
  );
  const r = runPipeline(a, b, {
    mode,
    frames,
    size,
    depth,
    log: (l) => console.log(l),
  });
  const sorted = [...r.frameMs].sort((x, y) => x - y);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(
    `OK: ${r.frames} frames verified in ${r.totalMs.toFixed(1)} ms (${
      (r.totalMs / r.frames).toFixed(3)
    } ms/frame, ${((r.frames * r.size) / r.totalMs / 1e6).toFixed(2)} GB/s); frame latency p50 ${
      p(0.5).toFixed(3)
    } ms, p99 ${p(0.99).toFixed(3)} ms`,
  );
  if (validate) instance.assertNoValidationErrors();
}
