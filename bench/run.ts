/**
 * The benchmark runner: times every operation of bench/ops.ts through vkshare and the same calls
 * in C (bench/reference/vkbench.c, compiled here when cc and the Vulkan headers exist), in
 * interleaved rounds, over sizes from 4 KiB to 1 GiB, warm and cold; then writes JSON, Markdown
 * and an SVG chart.
 *
 *     deno task bench [--out DIR] [--rounds N] [--quick] [--ops mem.import,sem.export]
 *     bun bench/run.ts [the same]
 *
 * Each round of an (op, size): two new devices, the op once (cold), a warm-up (at least as many
 * runs as the measurement, 20 and 250 ms), then the warm samples, interleaved with those of the
 * op's bare FFI rows on the same devices; then one run of the C reference doing the same in a new
 * process (with its own warm-up). The report gives the p50 of both, vkshare/C, and the targets:
 * vkshare's warm p50 within 1.10× of C's or 2 µs of it, whichever is larger; the capability
 * query within 2× of the bare FFI call.
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawn, spawnSync } from "node:child_process";
// @ts-types="../cli/_node/fs.d.ts"
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
// @ts-types="../cli/_node/os.d.ts"
import { release, tmpdir } from "node:os";

import { parseBytes, parseCli } from "../cli/_args.ts";
import {
  bestMode,
  type PipelineMode,
  type PipelineResult,
  runPipeline,
} from "../examples/pipeline.ts";
import {
  runTorchFrames,
  type TorchFramesResult,
  TorchUnavailable,
} from "../examples/torch_frames.ts";
import { rt } from "../ffi/runtime.ts";
import { libvulkanPath } from "../ffi/vulkan.ts";
import { peerCommand, sendOffer, ShareServer } from "../ipc/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  GpuBuffer,
  Instance,
  type PhysicalDevice,
  Semaphore,
} from "../mod.ts";
import { type Op, OPS } from "./ops.ts";
import { bytes, duration, markdown, svg } from "./report.ts";

/** Statistics of a set of samples, in ns. */
export interface Stats {
  /** How many samples. */
  count: number;
  /** The fastest. */
  min: number;
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The 99th percentile. */
  p99: number;
  /** The slowest. */
  max: number;
}

/** One (op, size) measured through vkshare and, where it exists, C. */
export interface Row {
  /** The operation's name, shared with the C reference (`mem.import`). */
  op: string;
  /** What it times. */
  title: string;
  /** The size in bytes, for a sized operation. */
  size: number | null;
  /** vkshare's samples (null when it did not run). */
  vkshare: { warm: Stats; cold: Stats } | null;
  /** C's samples (null without a C side). */
  c: { warm: Stats; cold: Stats } | null;
  /**
   * The Python reference's samples (bench/reference/vkbench.py: the same calls through ctypes),
   * for the ops it makes; absent in results from before it.
   */
  python?: { warm: Stats; cold: Stats } | null;
  /** Why a side did not run (a missing capability, no compiler, no C reference). */
  notes: string[];
  /** vkshare's warm p50 / C's (or / the bare FFI call's, for the query). */
  ratio: number | null;
  /**
   * The target, and whether it was met (null when there is nothing to compare with). `bare`:
   * for a row missed where a bare-FFI row of the same call exists, whether vkshare stays within
   * 2 µs of that row (the runtime alone is then over C's target).
   */
  target: { rule: string; met: boolean; bare?: { rule: string; met: boolean } } | null;
}

/** What machine, driver and runtime the results come from. */
export interface Fingerprint {
  /** The device's name. */
  gpu: string;
  /** Its type (`discrete-gpu`, `cpu`). */
  deviceType: string;
  /** The driver's name, where Vulkan 1.2 gives it. */
  driverName: string | null;
  /** The driver's version, as the driver writes it. */
  driverVersion: string;
  /** The device's Vulkan version. */
  vulkanApiVersion: string;
  /** The device's deviceUUID. */
  deviceUUID: string;
  /** `deno` or `bun`. */
  runtime: string;
  /** The runtime's version. */
  runtimeVersion: string;
  /** The Linux kernel's release. */
  kernel: string;
  /** The libvulkan opened. */
  libvulkan: string;
  /** The C compiler of the reference, or null when it was not built. */
  compiler: string | null;
  /** When the run started (ISO 8601). */
  date: string;
}

/** The whole result file. */
export interface Results {
  /** Where the results come from. */
  fingerprint: Fingerprint;
  /** Interleaved rounds per row. */
  rounds: number;
  /** Every row, in report order. */
  rows: Row[];
}

const KiB = 1024, MiB = KiB * KiB, GiB = MiB * KiB;
const SIZES = [4 * KiB, 64 * KiB, MiB, 16 * MiB, 256 * MiB, GiB];

/** The statistics of `samples` (nearest-rank percentiles). */
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    count: s.length,
    min: s[0],
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: s[s.length - 1],
  };
}

/** The least time each round warms up for, in ms (with --quick: 20). */
const WARM_UP_MS = 250;

function warmCount(op: Op, size: number | null, quick: boolean): number {
  const n = op.batch
    ? 50
    : size !== null && size >= 256 * MiB
    ? 8
    : size !== null && size >= 16 * MiB
    ? 30
    : 100;
  return quick ? Math.max(3, Math.ceil(n / 10)) : n;
}

function compileReference(
  dir: string,
): { path: string | null; why: string | null; cc: string | null } {
  try {
    statSync("/usr/include/vulkan/vulkan.h");
  } catch {
    return { path: null, why: "no Vulkan headers (libvulkan-dev)", cc: null };
  }
  const version = spawnSync("cc", ["--version"], { encoding: "utf8" });
  if (version.status !== 0) return { path: null, why: "no C compiler (cc)", cc: null };
  const src = new URL("./reference/vkbench.c", import.meta.url).pathname;
  const out = `${dir}/vkbench`;
  const r = spawnSync("cc", [
    "-O2",
    "-std=c11",
    "-Wall",
    "-Werror",
    "-o",
    out,
    src,
    "-lvulkan",
    "-ldl",
  ], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`bench: the C reference did not compile:\n${r.stderr}`);
  return { path: out, why: null, cc: String(version.stdout).split("\n")[0] };
}

interface CRun {
  cold_ns?: number;
  warm_ns?: number[];
  unsupported?: string;
  /** What vkbench said of a composite op's phases on stderr (`phases: ...`), if anything. */
  phases?: string;
}

function runC(path: string, op: string, size: number, n: number, batch: number): CRun {
  return runReference([path], op, size, n, batch);
}

/** The Python reference (vkbench.py): the same command line and JSON as vkbench. */
const PYTHON_REFERENCE = new URL("./reference/vkbench.py", import.meta.url).pathname;

/**
 * One round of the Python reference, its samples added to `into` (none where it lacks `op`);
 * returns what it said of the op's phases, if anything.
 */
function pythonRound(
  into: { warm: number[]; cold: number[] },
  op: string,
  size: number,
  n: number,
  batch: number,
): string | undefined {
  const out = runReference(["python3", PYTHON_REFERENCE], op, size, n, batch);
  if (out.unsupported) return;
  into.cold.push(out.cold_ns!);
  into.warm.push(...out.warm_ns!);
  return out.phases;
}

/** Whether python3 runs here (the Python reference needs nothing else). */
function hasPython(): boolean {
  return spawnSync("python3", ["--version"], { encoding: "utf8" }).status === 0;
}

function runReference(
  argv: string[],
  op: string,
  size: number,
  n: number,
  batch: number,
): CRun {
  const [path, ...pre] = argv;
  const r = spawnSync(path, [...pre, op, String(size), String(n), String(batch)], {
    encoding: "utf8",
  });
  if (r.status !== 0) {
    throw new Error(`bench: ${argv.join(" ")} ${op} ${size} failed (${r.status}):\n${r.stderr}`);
  }
  // The soak's phases, or the handoff's: the exporter's, and its consumer's.
  const phases = String(r.stderr).match(/^(consumer )?phases: .+$/gm)?.join("; ");
  return { ...JSON.parse(String(r.stdout)), ...(phases ? { phases } : {}) };
}

/**
 * `mkdir -p`, one level at a time: Node's `mkdirSync(path, { recursive: true })` never returns
 * for a path under /proc (Node 20 and 26: it retries the ENOENT forever).
 */
function makeDirs(path: string): void {
  let prefix = path.startsWith("/") ? "" : ".";
  for (const part of path.split("/").filter(Boolean)) {
    prefix += `/${part}`;
    if (!existsSync(prefix)) mkdirSync(prefix);
  }
}

class Progress {
  #done = 0;
  #tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY);
  readonly total: number;
  constructor(total: number) {
    this.total = total;
  }
  #lastLine = 0;
  step(label: string): void {
    this.#done++;
    if (!this.#tty) {
      // Not a terminal (a log, CI): one line at every tenth of the work, and at its end.
      const tenth = Math.floor((10 * this.#done) / this.total);
      if (tenth > this.#lastLine || this.#done === this.total) {
        this.#lastLine = tenth;
        process.stderr.write(`bench: ${this.#done}/${this.total} ${label}\n`);
      }
      return;
    }
    const w = 30, f = Math.round((w * this.#done) / this.total);
    process.stderr.write(
      `\r[${"#".repeat(f)}${".".repeat(w - f)}] ${this.#done}/${this.total} ${
        label.padEnd(40).slice(0, 40)
      }`,
    );
    if (this.#done === this.total) process.stderr.write("\n");
  }
}

/**
 * Measures `op` and the bare FFI rows of the same call (`partners`: the rows whose reference it
 * is) together: each round makes two devices, prepares every one of them on those devices, and
 * interleaves their samples (vkshare, bare, vkshare, bare...), so the bare rows see the same
 * driver state as vkshare's (NVIDIA's small allocations, say, run at one of two speeds per
 * device pair). Then one run of the C reference, in a new process. One Row per op, `op` first.
 */
function measure(
  pd: PhysicalDevice,
  op: Op,
  partners: readonly Op[],
  size: number | null,
  rounds: number,
  warm: number,
  warmUpMs: number,
  c: string | null,
  python: boolean,
  progress: Progress,
): Row[] {
  const ops = [op, ...partners];
  const py = { warm: [] as number[], cold: [] as number[] };
  const why = ops.map((o) => o.unsupported(pd));
  const rows = ops.map((o, i) => {
    const row = emptyRow(o.name, o.title, size);
    if (why[i]) row.notes.push(`not run: ${why[i]}`);
    return row;
  });
  if (why[0]) {
    for (let r = 0; r < rounds; r++) progress.step(`${op.name} (skipped)`);
    return rows;
  }
  // The ops that run (their indices in ops): op first.
  const run = ops.flatMap((_, i) => (why[i] ? [] : [i]));
  const reference = op.reference === undefined ? op.name : op.reference;
  const warmS = run.map((): number[] => []), coldS = run.map((): number[] => []);
  const cw: number[] = [], cc: number[] = [], cPhases: string[] = [];
  for (let r = 0; r < rounds; r++) {
    progress.step(`${op.name}${size ? ` ${bytes(size)}` : ""}`);
    {
      using a = Device.create(pd);
      using b = Device.create(pd);
      using stack = new DisposableStack();
      const runs = run.map((i) => stack.use(ops[i].prepare(a, b, size ?? 0)));
      // Alternate which goes first, round by round and sample by sample.
      const order = (i: number) => runs.map((_, k) => (k + i + r) % runs.length);
      for (const k of order(0)) coldS[k].push(runs[k]());
      // The warm-up: at least 20 runs and warmUpMs, so that the runtime's JIT has compiled the
      // path (V8 tiers a function up after some hundreds of calls) and the driver's caches are
      // warm.
      const until = performance.now() + warmUpMs;
      for (let i = 0; i < Math.max(20, warm) || performance.now() < until; i++) {
        for (const k of order(i)) runs[k]();
      }
      for (let i = 0; i < warm; i++) for (const k of order(i)) warmS[k].push(runs[k]());
    }
    if (c && reference && reference === op.name) {
      const out = runC(c, reference, size ?? 0, warm, op.batch ?? 1);
      if (out.unsupported) {
        const note = `C: ${out.unsupported}`;
        if (!rows[0].notes.includes(note)) rows[0].notes.push(note);
      } else {
        cc.push(out.cold_ns!);
        cw.push(...out.warm_ns!);
        if (out.phases) cPhases.push(out.phases);
      }
    }
    if (python && reference && reference === op.name) {
      pythonRound(py, reference, size ?? 0, warm, op.batch ?? 1);
    }
  }
  if (py.warm.length) rows[0].python = { warm: stats(py.warm), cold: stats(py.cold) };
  for (const [k, i] of run.entries()) {
    rows[i].vkshare = { warm: stats(warmS[k]), cold: stats(coldS[k]) };
    if (i > 0) {
      rows[i].notes.push(`measured with ${op.name}, samples interleaved on the same devices`);
    }
  }
  const row = rows[0];
  row.notes.push(...(op.notes?.() ?? []));
  for (const [r, p] of cPhases.entries()) row.notes.push(`C per cycle (p50), round ${r + 1}: ${p}`);
  if (!c) row.notes.push("no C reference run (no compiler or headers)");
  else if (reference === null) row.notes.push("no C side: a piece of what vkshare adds");
  else if (reference !== op.name && op.name === "query.ffi") {
    row.notes.push(`compared with the ${reference} row`);
  }
  if (cw.length) {
    row.c = { warm: stats(cw), cold: stats(cc) };
    const v = row.vkshare!.warm.p50, base = row.c.warm.p50;
    row.ratio = v / base;
    row.target = op.ratio
      ? { rule: `p50 ≤ ${op.ratio} × C`, met: v <= op.ratio * base }
      : { rule: "p50 ≤ max(1.10 × C, C + 2 µs)", met: v <= Math.max(1.1 * base, base + 2000) };
  }
  return rows;
}

/**
 * A call through a function pointer against the same call as a symbol: query.fnpointer's p50
 * ≤ 2 × query.ffi's; and where libffi makes it, what `ffi_call` alone takes of it.
 */
function fnPointerTarget(rows: Row[]): void {
  const row = (op: string) => rows.find((r) => r.op === op && r.vkshare);
  const p = row("query.fnpointer"), f = row("query.ffi"), bare = row("query.ffi_call");
  if (!p?.vkshare || !f?.vkshare) return;
  const times = p.vkshare.warm.p50 / f.vkshare.warm.p50;
  p.target = { rule: "p50 ≤ 2 × query.ffi's", met: times <= 2 };
  p.notes.push(`${times.toFixed(2)} × query.ffi's p50`);
  if (bare?.vkshare) {
    const over = p.vkshare.warm.p50 - bare.vkshare.warm.p50;
    p.notes.push(
      `libffi's ffi_call alone (query.ffi_call) takes ${duration(bare.vkshare.warm.p50)} (${
        (bare.vkshare.warm.p50 / f.vkshare.warm.p50).toFixed(2)
      } × query.ffi's); vkshare adds ${duration(Math.max(0, over))} to it`,
    );
  }
}

/**
 * The handoff's phases on both sides, as a note: p50s in µs, as vkbench prints C's (the peer
 * sends its own p50s, in ns).
 */
function handoffPhases(exporter: number[][], peer: unknown): string {
  const us = (xs: number[]) => `${(stats(xs).p50 / 1e3).toFixed(1)} us`;
  const [exp, send, wait] = exporter.map(us);
  const p = peer as Record<string, number> | undefined;
  const ns = (x: number) => `${(x / 1e3).toFixed(1)} us`;
  const consumer = p && ["receive", "import", "free", "ack"].every((k) => typeof p[k] === "number")
    ? `; consumer phases: receive ${ns(p.receive)}, import ${ns(p.import)}, free ${
      ns(p.free)
    }, ack ${ns(p.ack)}`
    : "";
  return `vkshare per handoff (p50): export ${exp}, send ${send}, wait for the ack ${wait}${consumer}`;
}

/**
 * The cross-process handoff: send an offer, the peer (another process, with its own device)
 * imports it and acknowledges. Its C reference is vkbench's `handoff`: the same framing, an
 * offer's JSON of the same fields, the same import in a child process, the same ack.
 */
async function handoff(
  pd: PhysicalDevice,
  n: number,
  warmUpMs: number,
  c: string | null,
  python: boolean,
  progress: Progress,
): Promise<Row> {
  const row = emptyRow(
    "handoff",
    "cross-process handoff: send an offer, the peer imports and acknowledges",
    64 * KiB,
  );
  using a = Device.create(pd);
  using buffer = GpuBuffer.create(a, { size: 64 * KiB, external: "OPAQUE_FD" });
  using mem = DeviceMemory.allocate(a, { for: buffer, exportAs: "OPAQUE_FD" });
  using server = ShareServer.listen();
  // The peer imports until an offer without memory, and counts the phases of the offers
  // labelled "handoff" (the measured ones).
  const [program, ...args] = peerCommand(new URL("../tools/peer.ts", import.meta.url), [
    "import-loop",
    server.address as string,
    "until",
    "plain",
  ]);
  const child = spawn(program, args, { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  using socket = await server.accept({ timeoutMs: 30_000 });
  // One handoff: its time and its phases (export, send, wait for the ack), in ns.
  const once = async (label: string): Promise<number[]> => {
    const t0 = performance.now();
    let t1: number;
    {
      using exp = mem.exportFd();
      t1 = performance.now();
      await sendOffer(socket, { label, memory: exp });
    }
    const t2 = performance.now();
    await socket.expect("ack", { timeoutMs: 30_000 });
    const t3 = performance.now();
    return [t3 - t0, t1 - t0, t2 - t1, t3 - t2].map((t) => t * 1e6);
  };
  const cold = (await once("cold"))[0];
  progress.step("handoff");
  // The warm-up of every row (at least max(n, 20) handoffs and warmUpMs), so that both
  // runtimes' JITs have compiled the path (C's, vkbench's, warms up max(n, 20)).
  const until = performance.now() + warmUpMs;
  for (let i = 0; i < Math.max(n, 20) || performance.now() < until; i++) await once(`warm-up ${i}`);
  const samples: number[] = [];
  const phases: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) {
    const [t, ...parts] = await once(`handoff ${i}`);
    samples.push(t);
    parts.forEach((p, k) => phases[k].push(p));
    if (i % Math.ceil(n / 10) === 0) progress.step("handoff");
  }
  await sendOffer(socket, { label: "stop" });
  const fds = await socket.expect("fds", { timeoutMs: 30_000 });
  row.notes.push(handoffPhases(phases, fds.message.phases));
  await socket.send({ type: "done" });
  await exited;
  row.vkshare = { warm: stats(samples), cold: stats([cold]) };
  if (python) {
    const py = { warm: [] as number[], cold: [] as number[] };
    const phases = pythonRound(py, "handoff", 64 * KiB, n, 1);
    if (py.warm.length) row.python = { warm: stats(py.warm), cold: stats(py.cold) };
    if (phases) row.notes.push(`Python per handoff (p50): ${phases}`);
  }
  if (!c) {
    row.notes.push("no C reference run (no compiler or headers)");
    return row;
  }
  const out = runC(c, "handoff", 64 * KiB, n, 1);
  if (out.unsupported) row.notes.push(`C: ${out.unsupported}`);
  else {
    if (out.phases) row.notes.push(`C per handoff (p50): ${out.phases}`);
    row.c = { warm: stats(out.warm_ns!), cold: stats([out.cold_ns!]) };
    const v = row.vkshare.warm.p50, base = row.c.warm.p50;
    row.ratio = v / base;
    row.target = { rule: "p50 ≤ 2 × C", met: v <= 2 * base };
  }
  return row;
}

/**
 * The pipeline example (examples/pipeline.ts: device A fills 1 MiB frames into exported memory,
 * device B copies each to host memory, the host checks every word; timeline semaphores with
 * three frames in flight where the driver shares them, else host waits) against vkbench's
 * `pipeline`, the same loop in C: per round, two new devices and `frames` measured frames after
 * 20 of warm-up on each side. A frame's latency: from its first submission to the end of its
 * check. The target: p50 within 1.25× of C's. Both sides say where each frame's host time
 * went (recording, submitting, waiting, checking).
 */
function pipelineRow(
  pd: PhysicalDevice,
  frames: number,
  rounds: number,
  c: string | null,
  progress: Progress,
): Row {
  const size = MiB, warm = 20;
  const row = emptyRow(
    "pipeline",
    "pipeline example: A fills a frame, B copies it out, the host checks it (frame latency)",
    size,
  );
  const v: number[] = [], vc: number[] = [], cw: number[] = [], cc: number[] = [];
  const phases: Record<keyof PipelineResult["phasesMs"], number[]> = {
    record: [],
    submit: [],
    wait: [],
    check: [],
  };
  const cPhases: string[] = [];
  let mode: PipelineMode = "host";
  for (let r = 0; r < rounds; r++) {
    progress.step("pipeline");
    {
      using a = Device.create(pd);
      using b = Device.create(pd);
      // The C side has timeline and host modes: binary (semaphore fds without timelines) runs
      // as host here too.
      mode = bestMode(a) === "timeline" ? "timeline" : "host";
      const out = runPipeline(a, b, { mode, frames: 1 + warm + frames, size });
      vc.push(out.frameMs[0] * 1e6);
      v.push(...out.frameMs.slice(1 + warm).map((ms) => ms * 1e6));
      for (const [k, xs] of Object.entries(out.phasesMs)) {
        phases[k as keyof typeof phases].push(...xs.slice(1 + warm).map((ms) => ms * 1e6));
      }
    }
    if (c) {
      const out = runC(c, "pipeline", size, frames, 1) as CRun & { mode?: string };
      if (out.mode !== mode) {
        throw new Error(`bench: the C pipeline ran in ${out.mode} mode, vkshare's in ${mode}`);
      }
      cc.push(out.cold_ns!);
      cw.push(...out.warm_ns!);
      if (out.phases) cPhases.push(out.phases);
    }
  }
  row.vkshare = { warm: stats(v), cold: stats(vc) };
  row.notes.push(
    `${mode} mode${mode === "timeline" ? ", 3 frames in flight" : ""}; ${frames} frames a round`,
    `vkshare per frame (p50): ${
      Object.entries(phases).map(([k, xs]) => `${k} ${(stats(xs).p50 / 1e3).toFixed(1)} us`)
        .join(", ")
    }`,
  );
  for (const [r, p] of cPhases.entries()) row.notes.push(`C per frame (p50), round ${r + 1}: ${p}`);
  if (!c) {
    row.notes.push("no C reference run (no compiler or headers)");
    return row;
  }
  row.c = { warm: stats(cw), cold: stats(cc) };
  row.ratio = row.vkshare.warm.p50 / row.c.warm.p50;
  row.target = { rule: "p50 ≤ 1.25 × C", met: row.ratio <= 1.25 };
  return row;
}

/**
 * PyTorch in another process (examples/torch_frames.ts and .py): "offer → tensor ready" (from
 * sending the offer of the frames' memory and two timeline semaphores to Python's "ready": CUDA
 * import, map, tensor; one sample per run, `runs` runs) and the per-frame round trip, zero-copy,
 * beside the host copy through numpy (the baseline zero-copy must beat). 16 MiB frames, one in
 * flight. Rows without PyTorch on a CUDA GPU say why.
 */
async function torchRows(
  pd: PhysicalDevice,
  frames: number,
  runs: number,
  progress: Progress,
): Promise<Row[]> {
  const size = 16 << 20;
  const offer = emptyRow(
    "torch.offer",
    "offer → tensor ready in PyTorch (another process: CUDA import, map, tensor)",
    size,
  );
  const frame = emptyRow(
    "torch.frame",
    "frame round trip to PyTorch: fill, y = 2x + 1 in torch, result visible to the script (zero-copy, the CUDA array interface)",
    size,
  );

  using device = Device.create(pd);
  const offers: number[] = [];
  const zero: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await runTorchFrames(device, {
        mode: "zero-copy",
        consumer: "torch-cai",
        frames: Math.ceil(frames / runs),
        size,
      });
      offers.push(r.offerToTensorMs! * 1e6);
      zero.push(...r.latencySamplesMs.map((ms) => ms * 1e6));
      progress.step("torch");
    }
    const base = await runTorchFrames(device, { mode: "host-copy", frames, size });
    progress.step("torch");
    offer.vkshare = { warm: stats(offers.slice(1)), cold: stats(offers.slice(0, 1)) };
    if (offers.length < 2) offer.vkshare.warm = stats(offers);
    offer.notes.push(
      "one sample per run (a new Python process whose CUDA context is warm); warm: the runs after the first",
    );
    frame.vkshare = { warm: stats(zero.slice(1)), cold: stats(zero.slice(0, 1)) };
    const host = stats(base.latencySamplesMs.slice(1).map((ms) => ms * 1e6));
    frame.ratio = frame.vkshare.warm.p50 / host.p50;
    frame.target = { rule: "p50 < the host copy's p50 (numpy, torch)", met: frame.ratio < 1 };
    frame.notes.push(
      `the host copy through numpy (the baseline): p50 ${duration(host.p50)}, p99 ${
        duration(host.p99)
      }; ratio: zero-copy p50 / host copy p50`,
      `throughput: zero-copy ${
        (1e9 / frame.vkshare.warm.p50).toFixed(1)
      } frames/s one in flight, host copy ${(1e9 / host.p50).toFixed(1)}`,
    );
    const dlpack = [];
    for (const consumer of ["torch", "cupy", "jax"] as const) {
      dlpack.push(await dlpackRow(device, consumer, frames, host));
      progress.step("torch");
    }
    return [offer, frame, ...dlpack];
  } catch (e) {
    if (!(e instanceof TorchUnavailable)) throw e;
    for (const r of [offer, frame]) r.notes.push(`not run: ${e.reason}`);
  }
  return [offer, frame];
}

/**
 * The frame round trip with `consumer` taking each 16 MiB frame through DLPack (`from_dlpack`,
 * the wait queued on its stream), `frames` frames, judged against the host copy's p50 (`host`,
 * ns). A consumer Python lacks gives a row that says so.
 */
async function dlpackRow(
  device: Device,
  consumer: "torch" | "cupy" | "jax",
  frames: number,
  host: Stats,
): Promise<Row> {
  const size = 16 << 20;
  const row = emptyRow(
    `dlpack.frame.${consumer}`,
    `frame round trip through DLPack to ${consumer}: fill, ${consumer}.from_dlpack, y = 2x + 1, result visible to the script`,
    size,
  );
  let r: TorchFramesResult;
  try {
    r = await runTorchFrames(device, { mode: "zero-copy", consumer, frames, size });
  } catch (e) {
    // A consumer that fails is this row's result, not the end of the bench.
    const failed = !(e instanceof TorchUnavailable);
    row.notes.push(failed ? `FAILED: ${(e as Error).message}` : `not run: ${e.reason}`);
    if (failed) row.target = { rule: "p50 < the host copy's p50 (numpy, torch)", met: false };
    return row;
  }
  const ns = r.latencySamplesMs.map((ms) => ms * 1e6);
  row.vkshare = { warm: stats(ns.slice(1)), cold: stats(ns.slice(0, 1)) };
  row.ratio = row.vkshare.warm.p50 / host.p50;
  row.target = { rule: "p50 < the host copy's p50 (numpy, torch)", met: row.ratio < 1 };
  const u = r.unconsumed!;
  row.notes.push(
    `ratio: p50 / the host copy's p50 (${
      duration(host.p50)
    }); ${r.samePointer} of ${r.frames} frames at the imported pointer (zero-copy)`,
    `Python's loop: ${r.pythonSync}`,
    `${u.count} capsules nobody took: live ${u.before.liveCapsules} → ${u.after.liveCapsules}, fds ${u.before.fds} → ${u.after.fds}`,
  );
  return row;
}

/**
 * timeline.wait_async: a host signal on one device and an awaited wait (`Semaphore.waitAsync`) on
 * the other, each sample both, against C's timeline.signal_wait (`c`, from this run): the target
 * is p50 ≤ C + 20 µs. Beside it, how late a 1 ms `setInterval` fires while 1,000 awaited waits
 * for GPU work (about 1 ms each on a GPU) run, in the notes.
 */
async function waitAsyncRow(
  pd: PhysicalDevice,
  samples: number,
  c: Row | undefined,
  progress: Progress,
): Promise<Row> {
  const row = emptyRow(
    "timeline.wait_async",
    "timeline: host signal on one device, awaited wait (waitAsync) on the other",
    null,
  );
  progress.step("timeline.wait_async");
  if (!pd.timelineSemaphores) {
    row.notes.push(`not run: ${pd.name} has no timeline semaphores`);
    return row;
  }
  // Across two devices as C's row is, where the semaphore can be shared; on one otherwise.
  const why = OPS.find((o) => o.name === "timeline.signal_wait")!.unsupported(pd);
  using a = Device.create(pd);
  using b = Device.create(pd);
  using s = Semaphore.create(a, { type: "timeline", ...(why ? {} : { exportAs: "OPAQUE_FD" }) });
  using imported = why ? null : (() => {
    using e = s.exportFd("OPAQUE_FD");
    return Semaphore.importFd(b, e.fd, e.descriptor);
  })();
  const sb = imported ?? s;
  if (why) row.notes.push(`one device: ${why}`);
  const ns: number[] = [];
  for (let n = 1; n <= samples + 50; n++) {
    const t0 = performance.now();
    s.signal(n);
    if (await sb.waitAsync(n, 10_000) !== "signaled") throw new Error(`wait_async: no value ${n}`);
    ns.push((performance.now() - t0) * 1e6);
  }
  row.vkshare = { warm: stats(ns.slice(50)), cold: stats(ns.slice(0, 1)) };
  const late = await intervalLateness(b, 1000);
  row.notes.push(
    `a 1 ms setInterval during 1,000 awaited waits for GPU work (${late.fills} fills of 16 MiB each): the longest gap between ticks ${
      late.maxGapMs.toFixed(2)
    } ms (p50 ${late.p50GapMs.toFixed(2)} ms), ${late.ticks} ticks; within 2 ms of schedule: ${
      late.maxGapMs <= 3 ? "yes" : "no"
    }`,
  );
  if (!c?.c || why) {
    row.notes.push("no target: C's timeline.signal_wait was not measured in this run");
    return row;
  }
  row.c = c.c;
  row.ratio = row.vkshare.warm.p50 / c.c.warm.p50;
  row.target = {
    rule: "p50 ≤ C + 20 µs (C: timeline.signal_wait, a blocking wait)",
    met: row.vkshare.warm.p50 <= c.c.warm.p50 + 20_000,
  };
  row.notes.push("C: the timeline.signal_wait row's (C has no event loop to keep running)");
  return row;
}

/** The gaps between a 1 ms setInterval's ticks while `waits` awaited waits for GPU work run. */
async function intervalLateness(
  device: Device,
  waits: number,
): Promise<{ maxGapMs: number; p50GapMs: number; ticks: number; fills: number }> {
  const size = 16 << 20;
  using buffer = GpuBuffer.create(device, { size });
  using _m = DeviceMemory.allocate(device, { for: buffer, properties: ["DEVICE_LOCAL"] });
  using cmd = CommandBuffer.create(device);
  // About 1 ms of work a wait on a GPU (64 fills of 16 MiB), so that the interval has ticks to
  // keep; one fill on a CPU device (lavapipe), where a fill alone takes that long.
  const fills = device.physicalDevice.type === "cpu" ? 1 : 64;
  cmd.record((r) => {
    for (let i = 0; i < fills; i++) r.fill(buffer, 0x5a5a5a5a + i);
  });
  using t = Semaphore.create(device, { type: "timeline" });
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 1);
  try {
    for (let n = 1; n <= waits; n++) {
      device.queue().submit({ commandBuffers: [cmd], signal: [{ semaphore: t, value: n }] });
      if (await t.waitAsync(n, 10_000) !== "signaled") throw new Error(`no value ${n}`);
    }
  } finally {
    clearInterval(timer);
  }
  const gaps = ticks.slice(1).map((x, i) => x - ticks[i]).sort((x, y) => x - y);
  return {
    maxGapMs: gaps.at(-1) ?? 0,
    p50GapMs: gaps[gaps.length >> 1] ?? 0,
    ticks: ticks.length,
    fills,
  };
}

/** A row that has measured nothing yet. */
function emptyRow(op: string, title: string, size: number | null): Row {
  return { op, title, size, vkshare: null, c: null, notes: [], ratio: null, target: null };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

if (import.meta.main) {
  const names = [
    ...OPS.map((o) => o.name),
    "timeline.wait_async",
    "handoff",
    "pipeline",
    "torch",
  ];
  const cli = parseCli({
    name: "bench/run.ts",
    summary:
      "Times each operation through vkshare and through the same calls in C (bench/reference/vkbench.c),\nin interleaved rounds; writes <gpu>_<date>_<runtime>.{json,md,svg} to --out.",
    flags: {
      rounds: { type: "string", value: "N", description: "rounds (default: 3, or 2 with --quick)" },
      quick: { type: "boolean", description: "fewer samples and handoffs" },
      ops: { type: "string", value: "A,B", description: `operations, of: ${names.join(", ")}` },
      sizes: {
        type: "string",
        value: "N,M",
        description:
          "memory sizes, multiples of 4 KiB: 65536,64KiB,16MiB,1GiB (default: 4 KiB to 1 GiB)",
      },
      device: {
        type: "string",
        value: "N",
        description: "the device to measure, by index (its deviceUUID is in the results)",
        default: "0",
      },
      out: {
        type: "string",
        value: "DIR",
        description: "where the results go, made if missing (default: bench/results)",
      },
    },
  });
  const quick = cli.flag("quick");
  const rounds = cli.string("rounds") === undefined
    ? (quick ? 2 : 3)
    : cli.int("rounds", { min: 1, max: 1000 });
  const only = cli.string("ops")?.split(",");
  for (const o of only ?? []) {
    if (!names.includes(o)) cli.fail(`--ops: unknown operation ${JSON.stringify(o)}`);
  }
  const sizes = cli.string("sizes")?.split(",").map((x) => {
    const n = parseBytes(x);
    if (n === null) {
      cli.fail(`--sizes: ${JSON.stringify(x)} is not a size (65536, 64KiB, 16MiB, 1GiB)`);
    }
    if (n! < 4096 || n! % 4096) {
      cli.fail(`--sizes: ${JSON.stringify(x)} is ${n} bytes, not a multiple of 4 KiB`);
    }
    return n!;
  }) ?? SIZES;
  const deviceIndex = cli.int("device", { min: 0, max: 63 });
  const outDir = cli.string("out") ?? new URL("./results", import.meta.url).pathname;
  try {
    makeDirs(outDir);
    const probe = `${outDir}/.vkshare-write-test`;
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (e) {
    cli.fail(`--out: cannot write to ${outDir}: ${(e as Error).message}`);
  }
  const ops = OPS.filter((o) => !only || only.includes(o.name));
  const tmp = mkdtempSync(`${tmpdir()}/vkshare-bench-`);
  try {
    const ref = compileReference(tmp);
    const python = hasPython();
    using instance = Instance.create({ applicationName: "vkshare bench" });
    const all = instance.physicalDevices();
    const pd = all[deviceIndex];
    if (!pd) cli.fail(`--device: ${deviceIndex} is not a device here (there are ${all.length})`);
    // The C reference and the handoff's other process measure the same GPU, picked by UUID.
    process.env.VKBENCH_DEVICE_UUID = pd.deviceUUID;
    process.env.VKSHARE_PEER_DEVICE_UUID = pd.deviceUUID;
    const v = pd.apiVersion;
    const fingerprint: Fingerprint = {
      gpu: pd.name,
      deviceType: pd.type,
      driverName: pd.driverName ?? null,
      driverVersion: pd.driverVersionString,
      vulkanApiVersion: `${v >>> 22}.${(v >>> 12) & 0x3ff}.${v & 0xfff}`,
      deviceUUID: pd.deviceUUID,
      runtime: rt.name,
      runtimeVersion: rt.version,
      kernel: release(),
      libvulkan: libvulkanPath(),
      compiler: ref.cc,
      date: new Date().toISOString(),
    };
    // A bare row is measured with the row it is the bare call of, when both are asked for.
    const partnersOf = (o: Op) =>
      ops.filter((p) => p !== o && p.reference === o.name && p.sized === o.sized);
    const paired = new Set(ops.flatMap(partnersOf));
    const work = ops.filter((o) => !paired.has(o)).flatMap((o) =>
      (o.sized ? sizes : [null]).map((s) => [o, s] as const)
    );
    const handoffs = quick ? 20 : 200;
    const progress = new Progress(
      work.length * rounds + (only && !only.includes("handoff") ? 0 : 11)
        + (only && !only.includes("timeline.wait_async") ? 0 : 1)
        + (only && !only.includes("pipeline") ? 0 : rounds)
        + (only && !only.includes("torch") ? 0 : rounds + 4),
    );
    console.error(
      `bench: ${pd.name} (${fingerprint.driverName} ${fingerprint.driverVersion}), ${rt.name} ${rt.version}, ${
        ref.path ? "with" : `without (${ref.why})`
      } the C reference, ${rounds} rounds`,
    );
    const rows: Row[] = [];
    for (const [op, size] of work) {
      rows.push(
        ...measure(
          pd,
          op,
          partnersOf(op),
          size,
          rounds,
          warmCount(op, size, quick),
          quick ? 20 : WARM_UP_MS,
          ref.path,
          python,
          progress,
        ),
      );
    }
    // Report order: the operations' own, then size.
    const order = (r: Row) => OPS.findIndex((o) => o.name === r.op) * 1e12 + (r.size ?? 0);
    rows.sort((x, y) => order(x) - order(y));
    // A bare FFI row shows the C side of the op it is the bare call of: toolkit overhead is
    // vkshare's row minus this one, runtime overhead this one minus C.
    for (const r of rows) {
      const ref = OPS.find((o) => o.name === r.op)?.reference;
      if (!ref || ref === r.op || r.op === "query.ffi") continue;
      const base = rows.find((x) => x.op === ref && x.size === r.size);
      if (!base?.c || !r.vkshare) continue;
      r.c = base.c;
      r.ratio = r.vkshare.warm.p50 / base.c.warm.p50;
      // (query.fnpointer's target is query.ffi's: fnPointerTarget.)
      const why = r.op === "query.fnpointer" ? "" : " (no target: the bare call is not vkshare)";
      r.notes.push(`C: the ${ref} row's${why}`);
    }
    // A missed row whose bare-FFI row shows the runtime alone over C's target: vkshare must stay
    // within 2 µs of the bare row.
    for (const r of rows) {
      if (!r.target || r.target.met || !r.vkshare) continue;
      const bare = rows.find((x) => x.op === `${r.op}.ffi` && x.size === r.size);
      if (!bare?.vkshare) continue;
      const over = r.vkshare.warm.p50 - bare.vkshare.warm.p50;
      r.target.bare = { rule: "p50 ≤ the bare FFI row's p50 + 2 µs", met: over <= 2000 };
      r.notes.push(
        `the bare FFI call alone (${bare.op}) takes ${
          duration(bare.vkshare.warm.p50)
        }; vkshare adds ${duration(Math.max(0, over))} to it`,
      );
    }
    // The query against the bare FFI call: the second target.
    const q = rows.find((r) => r.op === "query"), f = rows.find((r) => r.op === "query.ffi");
    q?.notes.push(
      "vkshare answers from its per-device cache after the first call (the driver's answer cannot change), so its cold column is not the driver's first call",
    );
    if (q?.vkshare && f?.vkshare) {
      f.ratio = q.vkshare.warm.p50 / f.vkshare.warm.p50;
      f.target = { rule: "vkshare's query p50 ≤ 2 × the bare FFI call's", met: f.ratio <= 2 };
      f.notes.push("ratio: the vkshare query's p50 / this row's");
    }
    fnPointerTarget(rows);
    if (!only || only.includes("timeline.wait_async")) {
      const c = rows.find((r) => r.op === "timeline.signal_wait");
      rows.push(await waitAsyncRow(pd, quick ? 100 : 2000, c, progress));
    }
    if (!only || only.includes("handoff")) {
      rows.push(await handoff(pd, handoffs, quick ? 20 : WARM_UP_MS, ref.path, python, progress));
    }
    if (!only || only.includes("pipeline")) {
      rows.push(pipelineRow(pd, quick ? 20 : 200, rounds, ref.path, progress));
    }
    if (!only || only.includes("torch")) {
      rows.push(...await torchRows(pd, quick ? 200 : 1000, rounds, progress));
    }
    const results: Results = { fingerprint, rounds, rows };
    // With several devices (two of one model, say), the file names say which one.
    const which = all.length > 1 ? `_${pd.deviceUUID}` : "";
    const base = `${outDir}/${slug(pd.name)}${which}_${fingerprint.date.slice(0, 10)}_${rt.name}`;
    writeFileSync(`${base}.json`, JSON.stringify(results, null, 1) + "\n");
    writeFileSync(`${base}.md`, markdown(results));
    writeFileSync(`${base}.svg`, svg(results));
    console.log(markdown(results));
    console.error(`bench: wrote ${base}.{json,md,svg}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
