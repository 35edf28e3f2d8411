/**
 * The doctor's findings, as plain data (the JSON of `cli/doctor.ts --json`, schema
 * {@linkcode DOCTOR_SCHEMA}): the environment vkshare runs in, and for each device every sharing
 * path of the seeds' POSIX handle types, with a verdict and its causes. A verdict comes from
 * the capability queries unless `--prove` ran it (then `proof` says so, with its p50).
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawn, spawnSync } from "node:child_process";
// @ts-types="../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { versionString } from "../core/mod.ts";
import { CudaContext, type CudaDeviceInfo, cudaDevices, cudaDriverVersion } from "../cuda/mod.ts";
import { libc } from "../ffi/libc.ts";
import { rt } from "../ffi/runtime.ts";
import { libvulkanPath } from "../ffi/vulkan.ts";
import { peerCommand, receiveOffer, sendOffer, ShareServer, ShareSocket } from "../ipc/mod.ts";
import {
  Device,
  DeviceMemory,
  Fence,
  GpuBuffer,
  ImportError,
  type Instance,
  LibraryLoadError,
  type PhysicalDevice,
  ProtocolError,
  Semaphore,
  ShareError,
  Transfer,
} from "../mod.ts";
import { takeFd } from "../share/fd.ts";
import { isOpenFd, sameFile } from "../share/fd_kind.ts";
import {
  describeFd,
  externalBufferProperties,
  externalFenceProperties,
  externalImageFormatProperties,
  type ExternalMemoryCapability,
  externalSemaphoreProperties,
  type ExternalSyncCapability,
  relayRefusal,
  SHARE_RULES,
} from "../share/mod.ts";
import { diagnoseLoader } from "../vulkan/loader.ts";
import { loaderVersion } from "../vulkan/mod.ts";
import { availableLayers, VALIDATION_LAYER } from "../vulkan/mod.ts";
import { type Proof, proofFailed, proofOf, type Verdict } from "./proof.ts";
export type { Proof, Verdict } from "./proof.ts";
import { probeGl } from "../gl/mod.ts";
import { glMemoryPath, type GlPathReport, glSemaphorePath } from "./gl.ts";

/** The version of the doctor's JSON; a field that changes meaning gets a new one. */
export const DOCTOR_SCHEMA = "vkshare-doctor/1";

/** One sharing path of one device: an object of a kind, a handle type, its verdict and why. */
export interface PathReport {
  /** `memory` (a buffer), `image`, `binary semaphore`, `timeline semaphore`, `fence`, `host memory`. */
  object: string;
  /** What of it (an image's format and tiling), or "". */
  detail: string;
  /** The handle type. */
  handleType: string;
  /** The verdict between two VkDevices of this GPU (in this process or another). */
  verdict: Verdict;
  /** Why, in words: every cause found (empty for `works`, but for a dedicated-only path). */
  causes: string[];
  /** The handle types an export of this one can also be imported as, when there are others. */
  compatible?: string[];
  /** Into CUDA: `works`, or why not (only for OPAQUE_FD memory and semaphores); with `--prove`, its run. */
  cuda?: { verdict: Verdict; cause?: string; proof?: Proof };
  /**
   * From CUDA (OPAQUE_FD memory only): CUDA's own allocations (`cuMemCreate` with POSIX fds, as
   * PyTorch's expandable segments make) imported into Vulkan. `vendor` says whose path it is:
   * NVIDIA's driver takes them, the Vulkan spec covers OPAQUE_FD from Vulkan only. With
   * `--prove`, its run.
   */
  fromCuda?: { verdict: Verdict; vendor: "NVIDIA"; cause?: string; proof?: Proof };
  /**
   * Into OpenGL (EGL, on this GPU): `works` with the handoff that applies, or why not (OPAQUE_FD
   * buffers and binary semaphores); with `--prove`, its run.
   */
  gl?: GlPathReport;
  /** The end-to-end run of `--prove`, or null when the verdict comes from capability queries only. */
  proof: Proof | null;
  /** With `--prove`, the same between two processes (over a share socket), where it was run. */
  processProof?: Proof;
}

/** One device. */
export interface DeviceReport {
  /** Its index among the instance's physical devices. */
  index: number;
  /** Its name. */
  name: string;
  /** Its driver and version. */
  driver: string;
  /** Its deviceUUID. */
  deviceUUID: string;
  /** Its driverUUID. */
  driverUUID: string;
  /** The external extensions it offers. */
  extensions: string[];
  /** Driver facts of ../shared/DRIVERS.md that matter on this device. */
  quirks: string[];
  /** Every sharing path ({@linkcode sharePaths}). */
  paths: PathReport[];
}

/** What vkshare runs on. */
export interface EnvironmentReport {
  /** `deno`, `bun` or `node`. */
  runtime: string;
  /** Its version. */
  runtimeVersion: string;
  /**
   * How extension commands (function pointers) are called: `trampoline` (Deno and Node on x86-64
   * Linux: a symbol of vkshare's own that jumps to the pointer), `libffi` (through libffi.so.8:
   * VKSHARE_FNPTR=libffi, or where the trampoline does not open), `UnsafeFnPointer` (Deno without
   * either, or VKSHARE_FNPTR=deno), `CFunction` (Bun).
   */
  fnPointers: string;
  /**
   * Why Deno or Node does not call them through the trampoline here (`VKSHARE_FNPTR`, another
   * architecture, a kernel that refuses executable memfds), or null where it does (and on Bun).
   */
  fnPointersWhy: string | null;
  /** The libvulkan loaded. */
  libvulkan: string;
  /** The loader's Vulkan version. */
  loaderVersion: string;
  /** The ICD manifests the loader reads, and the variables in force. */
  manifests: string[];
  /** The loader's variables in force (VK_DRIVER_FILES, ...). */
  variables: Record<string, string>;
  /** The validation layer's version, or null when it is not installed. */
  validationLayer: string | null;
  /** Whether kcmp answers here (it finds an fd that is a dup of an export). */
  kcmp: boolean;
  /** Whether pidfd_getfd works here (takeFd), or what refused it; and yama's ptrace_scope. */
  pidfdGetfd: true | string;
  /**
   * Whether a child process may take one of its parent's fds with pidfd_getfd (true), or why not:
   * what PyTorch's own CUDA sharing between processes needs with `expandable_segments:True`
   * (its consumer takes the producer's fds so). vkshare's socket passes fds with SCM_RIGHTS and
   * needs no such permission.
   */
  torchIpc: true | string;
  /** yama's ptrace_scope, or null where there is none. */
  ptraceScope: number | null;
  /** The soft limit on open fds (`ulimit -n`), or null when unknown. */
  fdLimit: number | null;
  /** libcuda: its version and devices, or why not. */
  cuda: { driverVersion: number; devices: CudaDeviceInfo[] } | { unavailable: string };
}

/**
 * One path from one device to another (`from` exports, `to` imports): whether vkshare lets it
 * through, and why not. Only the objects and handle types the first exports and the second
 * imports are listed.
 */
export interface PairReport {
  /** The exporting device's index. */
  from: number;
  /** The importing device's index. */
  to: number;
  /** `memory`, `binary semaphore`, `timeline semaphore` or `fence`. */
  object: string;
  /** The handle type. */
  handleType: string;
  /** `works` when an import would pass vkshare's checks, `fails` when it would be refused. */
  verdict: "works" | "fails";
  /** The rules an import would break (`RULE: message`), from the import plan (no fd, no driver). */
  causes: string[];
  /**
   * With `--prove`: a real export offered to a real import. `refusedBy` says who refused it:
   * `vkshare` (a ShareError: the driver saw nothing, the fd stayed open), `driver` (an
   * ImportError), or null when it imported.
   */
  proof:
    | {
      refusedBy: "vkshare" | "driver" | null;
      rule: string | null;
      fdStillOpen: boolean;
      bothStillAllocate: boolean;
      what: string;
    }
    | null;
}

/**
 * The doctor's command (cli/doctor.ts beside this folder; doctor.js in the packed package, whose
 * modules are .js): the other process of a proof between processes.
 */
const DOCTOR_SCRIPT = new URL(
  `../cli/doctor.${import.meta.url.endsWith(".js") ? "js" : "ts"}`,
  import.meta.url,
);

/** The whole report. */
export interface DoctorReport {
  /** {@linkcode DOCTOR_SCHEMA}. */
  schema: typeof DOCTOR_SCHEMA;
  /** What vkshare runs on. */
  environment: EnvironmentReport;
  /** Each device. */
  devices: DeviceReport[];
  /** Every ordered pair of devices, for what the first exports and the second imports. */
  pairs: PairReport[];
  /** How many paths of each verdict. */
  summary: Record<Verdict, number>;
}

/** The environment, read without creating a device. */
export function environment(): EnvironmentReport {
  const d = diagnoseLoader();
  let cuda: EnvironmentReport["cuda"];
  try {
    cuda = { driverVersion: cudaDriverVersion(), devices: cudaDevices() };
  } catch (e) {
    cuda = {
      unavailable: e instanceof LibraryLoadError
        ? "no libcuda here (it comes with the NVIDIA driver: libcuda1 on Debian)"
        : (e as Error).message.replace(/\s+/g, " ").slice(0, 200),
    };
  }
  const layer = availableLayers().find((l) => l.name === VALIDATION_LAYER);
  return {
    runtime: rt.name,
    runtimeVersion: rt.version,
    fnPointers: rt.fnPointers,
    fnPointersWhy: rt.fnPointersWhy,
    libvulkan: libvulkanPath(),
    loaderVersion: versionString(loaderVersion()),
    manifests: d.manifests,
    variables: d.variables,
    validationLayer: layer?.specVersion ?? null,
    kcmp: sameFile(0, 0) === true,
    pidfdGetfd: pidfdWorks(),
    torchIpc: childTakesParentFd(),
    ptraceScope: readNumber("/proc/sys/kernel/yama/ptrace_scope"),
    fdLimit: fdLimit(),
    cuda,
  };
}

function pidfdWorks(): true | string {
  const said = tryTakingFd(libc().getpid(), 0);
  return said === "works" ? true : said;
}

let childTakes: true | string | undefined;

/**
 * Whether a child process may take an fd of this one with pidfd_getfd (as a consumer of
 * torch.multiprocessing takes its producer's), asked once per process: the doctor's command
 * tries it in a child (`--serve-pidfd PID FD`) and says what happened.
 */
function childTakesParentFd(): true | string {
  if (childTakes !== undefined) return childTakes;
  const fd = [0, 1, 2].find(isOpenFd);
  if (fd === undefined) return childTakes = "untried: this process has no fd 0, 1 or 2 to offer";
  const [program, ...args] = peerCommand(DOCTOR_SCRIPT, [
    "--serve-pidfd",
    `${libc().getpid()} ${fd}`,
  ]);
  const r = spawnSync(program, args, { encoding: "utf8", timeout: 30_000 });
  const said = String(r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  childTakes = said === "works"
    ? true
    : said || `untried: the probe process ended with ${r.status ?? r.signal ?? r.error}`;
  return childTakes;
}

/**
 * The doctor's child side of {@linkcode childTakesParentFd}: takes fd `fd` of process `pid` with
 * pidfd_getfd; "works", or pidfd_getfd's refusal in one line.
 */
export function tryTakingFd(pid: number, fd: number): string {
  try {
    takeFd(pid, fd).close();
    return "works";
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

function readNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function fdLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) =>
      l.startsWith("Max open files")
    );
    const n = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

const isLavapipe = (pd: PhysicalDevice) => pd.name.startsWith("llvmpipe");

/** Why a memory handle type is not offered, with what offers it where vkshare knows. */
function memoryCauses(pd: PhysicalDevice, t: string, cap: ExternalMemoryCapability): string[] {
  const out: string[] = [];
  if (cap.unsupported) {
    out.push(cap.unsupported);
    if (t === "DMA_BUF" && isLavapipe(pd)) {
      out.push("lavapipe imports DMA_BUF from Mesa 25 (bookworm-backports), not 22.3");
    }
    return out;
  }
  if (!cap.exportable) out.push(`${pd.name} does not export ${t} (import only)`);
  if (!cap.importable) out.push(`${pd.name} does not import ${t} (export only)`);
  if (!cap.exportable && t === "DMA_BUF" && isLavapipe(pd)) {
    out.push("a dma-buf from another exporter (a GPU driver, a camera, V4L2) imports here");
  }
  return out;
}

function syncCauses(pd: PhysicalDevice, what: string, t: string, cap: ExternalSyncCapability) {
  const out: string[] = [];
  if (cap.unsupported) out.push(cap.unsupported);
  else {
    if (!cap.exportable) out.push(`${pd.name} does not export a ${what} as ${t}`);
    if (!cap.importable) out.push(`${pd.name} does not import a ${what} as ${t}`);
  }
  return out;
}

/**
 * A path's verdict from the capability queries: `not-offered` unless the driver offers it both
 * ways (an export and an import: a path one way only is no path between two devices, and no
 * failure); offered, `works` unless a cause says otherwise. A proof that fails says so in its
 * `proof` (and the doctor exits 1).
 */
function verdictOf(offered: boolean, causes: string[]): Verdict {
  return !offered ? "not-offered" : causes.length ? "fails" : "works";
}

/** The CUDA verdict of an OPAQUE_FD path of `pd` (memory, or semaphores of `type`). */
function cudaVerdict(
  pd: PhysicalDevice,
  env: EnvironmentReport,
  semaphoreType?: string,
): { verdict: Verdict; cause?: string } {
  if ("unavailable" in env.cuda) return { verdict: "not-offered", cause: env.cuda.unavailable };
  const dev = env.cuda.devices.find((d) => d.uuid === pd.deviceUUID);
  if (!dev) {
    return {
      verdict: "not-offered",
      cause: `no CUDA device is this GPU (deviceUUID ${pd.deviceUUID}); libcuda sees ${
        env.cuda.devices.map((d) => `${d.ordinal} ${d.uuid}`).join(", ") || "none"
      } (rule UUID_MISMATCH)`,
    };
  }
  if (semaphoreType === "timeline" && env.cuda.driverVersion < 11020) {
    return { verdict: "fails", cause: "timeline semaphores need CUDA 11.2 or later" };
  }
  return { verdict: "works" };
}

/** The CUDA-VMM → Vulkan path's verdict (NVIDIA's driver only), with its run when `prove`. */
function fromCudaPath(
  pd: PhysicalDevice,
  env: EnvironmentReport,
  prove: boolean,
): { verdict: Verdict; vendor: "NVIDIA"; cause?: string; proof?: Proof } {
  const v = cudaVerdict(pd, env);
  if (v.verdict !== "works") return { ...v, vendor: "NVIDIA" };
  if (!`${pd.driverName ?? ""} ${pd.name}`.includes("NVIDIA")) {
    return {
      verdict: "not-offered",
      vendor: "NVIDIA",
      cause:
        "CUDA's own allocations import as OPAQUE_FD on NVIDIA's Vulkan driver only: the spec covers OPAQUE_FD from Vulkan (KhronosGroup/Vulkan-Docs#1783)",
    };
  }
  return prove ? { verdict: "works", vendor: "NVIDIA", proof: proveFromCuda(pd) } : {
    verdict: "works",
    vendor: "NVIDIA",
  };
}

/**
 * Runs the CUDA-VMM → Vulkan path 20 times: 64 KiB that CUDA allocated (cuMemCreate) and filled,
 * exported as a POSIX fd, imported into Vulkan, copied to host memory, bytes checked.
 */
function proveFromCuda(pd: PhysicalDevice): Proof {
  const runs = 20;
  try {
    using a = Device.create(pd);
    using cuda = CudaContext.forVulkan(a);
    using memory = cuda.allocateExportable(65536);
    memory.buffer.fill32(0x5a17c0de);
    cuda.synchronize();
    using transfer = Transfer.create(a);
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      using target = GpuBuffer.create(a, { size: 65536, external: "OPAQUE_FD" });
      {
        using exp = memory.exportFd(a, { for: target });
        using _imported = DeviceMemory.importFd(a, exp.fd, exp.descriptor, { for: target });
        const back = new Uint32Array(transfer.read(target).slice().buffer);
        ok &&= back.every((v) => v === 0x5a17c0de);
      }
      times.push(performance.now() - t0);
    }
    return proofOf(
      ok,
      times,
      `64 KiB allocated by CUDA device ${cuda.device.ordinal} (cuMemCreate), exported as a POSIX fd, imported into Vulkan, copied and checked (${runs} runs; NVIDIA's path)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/** `v`, with the CUDA path run end to end when `prove` and it works. */
function withCudaProof(
  pd: PhysicalDevice,
  what: string,
  v: { verdict: Verdict; cause?: string },
  prove: boolean,
): { verdict: Verdict; cause?: string; proof?: Proof } {
  return prove && v.verdict === "works" ? { ...v, proof: proveCuda(pd, what) } : v;
}

/**
 * Runs the path into CUDA end to end, 20 times, on the CUDA device that is `pd`'s GPU: memory
 * (64 KiB written by Vulkan, exported, imported into CUDA, mapped and read back, bytes
 * checked), or a semaphore (exported, imported into CUDA; a CUDA stream waits for it, Vulkan
 * signals it, the stream finishes). The p50 covers the export, the import and the check.
 */
function proveCuda(pd: PhysicalDevice, what: string): Proof {
  const runs = 20;
  try {
    using a = Device.create(pd);
    using cuda = CudaContext.forVulkan(a);
    using stream = cuda.createStream();
    const times: number[] = [];
    let ok = true;
    if (what === "memory") {
      const size = 65536;
      using src = GpuBuffer.create(a, { size, external: "OPAQUE_FD" });
      using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
      using transfer = Transfer.create(a);
      const pattern = new Uint8Array(size).map((_, i) => (i * 11 + 1) & 0xff);
      transfer.write(src, pattern);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        using exp = mem.exportFd("OPAQUE_FD");
        using imported = cuda.importMemory(exp.fd, exp.descriptor);
        using buffer = imported.mapBuffer();
        const back = buffer.read();
        times.push(performance.now() - t0);
        ok &&= back.every((v, j) => v === pattern[j]);
      }
    } else {
      const timeline = what === "timeline semaphore";
      using sem = Semaphore.create(a, {
        type: timeline ? "timeline" : "binary",
        exportAs: "OPAQUE_FD",
      });
      for (let i = 1; i <= runs; i++) {
        const t0 = performance.now();
        using exp = sem.exportFd("OPAQUE_FD");
        using imported = cuda.importSemaphore(exp.fd, exp.descriptor);
        stream.wait(timeline ? { semaphore: imported, value: i } : imported);
        if (timeline) sem.signal(i);
        else a.queue().submit({ signal: [sem] });
        ok &&= stream.synchronize(10_000) === "done";
        times.push(performance.now() - t0);
        a.waitIdle();
      }
    }
    return proofOf(
      ok,
      times,
      what === "memory"
        ? `64 KiB exported, imported into CUDA device ${cuda.device.ordinal}, mapped and read back, bytes checked (${runs} runs)`
        : `exported, imported into CUDA device ${cuda.device.ordinal}; a CUDA stream waited for Vulkan's signal (${what}, ${runs} runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/**
 * What {@linkcode sharePaths} takes.
 *
 * @example
 * ```ts
 * const options: SharePathOptions = { prove: true }; // run every path that works, end to end
 * ```
 */
export interface SharePathOptions {
  /** Run every path that works end to end (memory, semaphores, fences, CUDA), with its p50. */
  prove?: boolean;
  /** The environment, where the caller read it already (default: read now). */
  environment?: EnvironmentReport;
}

/**
 * The verdict of every sharing path of `pd` (memory, images, host memory, binary and timeline
 * semaphores, fences; by POSIX handle type; into another VkDevice of the same GPU or process,
 * and into CUDA), with its causes: what the doctor prints for a device, as data. From the
 * capability queries, or with `prove` run end to end. A path `not-offered` is one this driver
 * does not offer (not a failure); `fails` is offered but does not work both ways.
 *
 * @example
 * ```ts
 * import { Instance } from "vkshare";
 * import { sharePaths } from "vkshare/doctor";
 *
 * using instance = Instance.create();
 * const pd = instance.physicalDevices()[0];
 * const memory = sharePaths(pd).find((p) => p.object === "memory" && p.handleType === "OPAQUE_FD");
 * console.log(memory?.verdict, memory?.causes);
 * ```
 */
export function sharePaths(pd: PhysicalDevice, options?: SharePathOptions): PathReport[] {
  const env = options?.environment ?? environment();
  const prove = options?.prove ?? false;
  const paths = [
    ...memoryPaths(pd, env, prove),
    hostPath(pd),
    ...semaphorePaths(pd, env, prove),
    ...fencePaths(pd, prove),
  ];
  return withGlPaths(pd, paths, prove);
}

/** The OPAQUE_FD buffer and semaphore paths, with their verdicts into GL. */
function withGlPaths(pd: PhysicalDevice, paths: PathReport[], prove: boolean): PathReport[] {
  const facts = probeGl(pd);
  return paths.map((p) => {
    if (p.handleType !== "OPAQUE_FD") return p;
    if (p.object === "memory") return { ...p, gl: glMemoryPath(pd, facts, p.verdict, prove) };
    if (p.object === "binary semaphore" || p.object === "timeline semaphore") {
      const type = p.object === "binary semaphore" ? "binary" : "timeline";
      return { ...p, gl: glSemaphorePath(pd, facts, p.verdict, prove, type) };
    }
    return p;
  });
}

/** The buffer and image paths of the fd handle types (OPAQUE_FD into CUDA too). */
function memoryPaths(pd: PhysicalDevice, env: EnvironmentReport, prove: boolean): PathReport[] {
  const paths: PathReport[] = [];
  for (const t of ["OPAQUE_FD", "DMA_BUF"] as const) {
    const cap = externalBufferProperties(pd, { handleType: t });
    const causes = memoryCauses(pd, t, cap);
    if (cap.dedicatedOnly) {
      causes.push(`${t} buffers must be dedicated allocations (DEDICATED_ONLY)`);
    }
    const both = !cap.unsupported && cap.exportable && cap.importable;
    const verdict = verdictOf(both, cap.dedicatedOnly ? [] : causes);
    paths.push({
      object: "memory",
      detail: "buffer",
      handleType: t,
      verdict,
      causes: verdict === "works" ? (cap.dedicatedOnly ? causes : []) : causes,
      ...(cap.compatibleHandleTypes.length > 1 ? { compatible: cap.compatibleHandleTypes } : {}),
      ...(t === "OPAQUE_FD"
        ? {
          cuda: withCudaProof(pd, "memory", cudaVerdict(pd, env), prove),
          fromCuda: fromCudaPath(pd, env, prove),
        }
        : {}),
      proof: prove ? proveMemory(pd, t, verdict) : null,
    });
    paths.push(...imagePaths(pd, t));
  }
  return paths;
}

/** The image paths of handle type `t`: three formats, OPTIMAL and LINEAR. */
function imagePaths(pd: PhysicalDevice, t: "OPAQUE_FD" | "DMA_BUF"): PathReport[] {
  const paths: PathReport[] = [];
  for (const format of ["R8G8B8A8_UNORM", "B8G8R8A8_UNORM", "R32_SFLOAT"] as const) {
    for (const tiling of ["OPTIMAL", "LINEAR"] as const) {
      const ic = externalImageFormatProperties(pd, { handleType: t, format, tiling });
      const c = memoryCauses(pd, t, ic);
      if (!ic.unsupported && !ic.supported) {
        c.push(`${format} ${tiling} images are not supported with ${t}`);
      }
      if (ic.supported && ic.dedicatedOnly) {
        c.push(`such images take dedicated allocations only (DEDICATED_ONLY)`);
      }
      const both = !ic.unsupported && ic.supported && ic.exportable && ic.importable;
      const verdict = verdictOf(both, ic.dedicatedOnly ? c.slice(0, -1) : c);
      paths.push({
        object: "image",
        detail: `${format} ${tiling}`,
        handleType: t,
        verdict,
        causes: c,
        ...(ic.compatibleHandleTypes.length > 1 ? { compatible: ic.compatibleHandleTypes } : {}),
        proof: null,
      });
    }
  }
  return paths;
}

/** The host-pointer import path. */
function hostPath(pd: PhysicalDevice): PathReport {
  const host = externalBufferProperties(pd, { handleType: "HOST_ALLOCATION" });
  const hc = memoryCauses(pd, "HOST_ALLOCATION", host).filter((c) => !c.includes("export"));
  return {
    object: "host memory",
    detail: pd.minImportedHostPointerAlignment
      ? `alignment ${pd.minImportedHostPointerAlignment}`
      : "",
    handleType: "HOST_ALLOCATION",
    verdict: host.importable ? "works" : "not-offered",
    causes: host.importable ? [] : hc,
    proof: null,
  };
}

/** The binary and timeline semaphore paths (OPAQUE_FD into CUDA too). */
function semaphorePaths(pd: PhysicalDevice, env: EnvironmentReport, prove: boolean): PathReport[] {
  const paths: PathReport[] = [];
  for (const semaphoreType of ["binary", "timeline"] as const) {
    for (const t of ["OPAQUE_FD", "SYNC_FD"] as const) {
      const what = `${semaphoreType} semaphore`;
      let causes: string[];
      let offered = true;
      if (semaphoreType === "timeline" && !pd.timelineSemaphores) {
        causes = [`${pd.name} has no timelineSemaphore feature`];
        offered = false;
      } else if (semaphoreType === "timeline" && t === "SYNC_FD") {
        causes = ["SYNC_FD is for binary semaphores only (spec; rule SEMAPHORE_TYPE_MISMATCH)"];
        offered = false;
      } else {
        const cap = externalSemaphoreProperties(pd, { handleType: t, semaphoreType });
        causes = syncCauses(pd, what, t, cap);
        offered = !cap.unsupported && cap.exportable && cap.importable;
      }
      const verdict = verdictOf(offered, causes);
      paths.push({
        object: what,
        detail: "",
        handleType: t,
        verdict,
        causes,
        ...(t === "OPAQUE_FD"
          ? {
            cuda: verdict === "works"
              ? withCudaProof(pd, what, cudaVerdict(pd, env, semaphoreType), prove)
              : { verdict: "not-offered" as const, cause: "Vulkan does not export it" },
          }
          : {}),
        proof: prove ? proveSync(pd, what, t, verdict) : null,
      });
    }
  }
  return paths;
}

/** The fence paths. */
function fencePaths(pd: PhysicalDevice, prove: boolean): PathReport[] {
  return (["OPAQUE_FD", "SYNC_FD"] as const).map((t) => {
    const cap = externalFenceProperties(pd, { handleType: t });
    const causes = syncCauses(pd, "fence", t, cap);
    const verdict = verdictOf(!cap.unsupported && cap.exportable && cap.importable, causes);
    return {
      object: "fence",
      detail: "",
      handleType: t,
      verdict,
      causes,
      proof: prove ? proveSync(pd, "fence", t, verdict) : null,
    };
  });
}

/** Driver facts (../shared/DRIVERS.md's, in a sentence each) that matter on `pd`. */
function quirksOf(pd: PhysicalDevice, env: EnvironmentReport): string[] {
  const quirks: string[] = [];
  if (pd.name.includes("NVIDIA")) {
    quirks.push(
      "NVIDIA: after a refused memory import the VkDevice allocates nothing more, and after a refused semaphore or fence import it imports none (ImportError.deviceStillAllocates / deviceStillImports say so): make a new Device",
      "NVIDIA: the 31st vkCreateInstance of a process fails with VK_ERROR_INCOMPATIBLE_DRIVER: create one instance per process",
    );
  }
  const relay = relayRefusal(pd);
  if (relay) quirks.push(`relays (importFd with exportAs) are refused: ${relay}`);
  if (isLavapipe(pd)) {
    quirks.push(
      "lavapipe: an export is a memfd with Mesa's header; vkshare checks a received one's header and seals (FD_FORGED) before lavapipe maps it",
      "lavapipe: no semaphore or fence fds",
    );
  }
  if (!env.kcmp) {
    quirks.push(
      "kcmp is refused here (seccomp?): a raw fd number that is a dup of an export is not recognised, and a failed import leaves its dup open",
    );
  }
  return quirks;
}

/** Device `index` (`pd`): its identity, quirks and every path ({@linkcode sharePaths}). */
export function deviceReport(
  pd: PhysicalDevice,
  index: number,
  env: EnvironmentReport,
  prove: boolean,
): DeviceReport {
  return {
    index,
    name: pd.name,
    driver: pd.driverInfo ?? pd.driverVersionString,
    deviceUUID: pd.deviceUUID,
    driverUUID: pd.ids.driverUUID,
    extensions: [
      "VK_KHR_external_memory_fd",
      "VK_EXT_external_memory_dma_buf",
      "VK_EXT_external_memory_host",
      "VK_KHR_external_semaphore_fd",
      "VK_KHR_external_fence_fd",
    ].filter((e) => pd.hasExtension(e)),
    quirks: quirksOf(pd, env),
    paths: sharePaths(pd, { prove, environment: env }),
  };
}

/**
 * Runs a semaphore or fence path end to end, 20 times: exported by one VkDevice of `pd`,
 * imported into another, signaled on the first (the host for a timeline, a queue otherwise) and
 * seen signaled on the second (a host wait, or a queue wait and its fence). The p50 is from the
 * signal to the second device seeing it, the export and import included.
 */
function proveSync(
  pd: PhysicalDevice,
  what: string,
  t: "OPAQUE_FD" | "SYNC_FD",
  verdict: Verdict,
): Proof {
  if (verdict !== "works") return { notRun: "the path does not work here" };
  const runs = 20;
  try {
    using a = Device.create(pd);
    using b = Device.create(pd);
    using fb = Fence.create(b);
    const times: number[] = [];
    let ok = true;
    const seen = (r: string) => (ok &&= r === "signaled");
    if (what === "timeline semaphore") {
      using ta = Semaphore.create(a, { type: "timeline", exportAs: t });
      for (let i = 1; i <= runs; i++) {
        const t0 = performance.now();
        using exp = ta.exportFd(t);
        using tb = Semaphore.importFd(b, exp.fd!, exp.descriptor);
        ta.signal(i);
        seen(tb.wait(i, 10_000));
        times.push(performance.now() - t0);
      }
    } else if (what === "binary semaphore") {
      using sa = Semaphore.create(a, { exportAs: t });
      using own = Semaphore.create(b);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        a.queue().submit({ signal: [sa] });
        if (t === "SYNC_FD") {
          // A SYNC_FD is exported after the signal (it acts as a wait) and imported temporarily.
          using exp = sa.exportFd("SYNC_FD");
          if (exp.fd === null) own.importFd(-1, "SYNC_FD");
          else own.importFd(exp.fd, exp.descriptor);
          b.queue().submit({ wait: [own], fence: fb });
        } else {
          using exp = sa.exportFd(t);
          using sb = Semaphore.importFd(b, exp.fd!, exp.descriptor);
          b.queue().submit({ wait: [sb], fence: fb });
          seen(fb.wait(10_000));
        }
        if (t === "SYNC_FD") seen(fb.wait(10_000));
        times.push(performance.now() - t0);
        fb.reset();
        a.waitIdle();
      }
    } else {
      using fa = Fence.create(a, { exportAs: t });
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        a.queue().submit({ fence: fa });
        if (t === "SYNC_FD") {
          // Exported after the submission (it acts as a reset of fa), imported temporarily.
          using exp = fa.exportFd("SYNC_FD");
          if (exp.fd === null) fb.importFd(-1, "SYNC_FD");
          else fb.importFd(exp.fd, exp.descriptor);
          seen(fb.wait(10_000));
          times.push(performance.now() - t0);
          fb.reset();
        } else {
          using exp = fa.exportFd(t);
          using imported = Fence.importFd(b, exp.fd, exp.descriptor);
          seen(imported.wait(10_000));
          times.push(performance.now() - t0);
          seen(fa.wait(10_000));
          fa.reset();
        }
        a.waitIdle();
      }
    }
    return proofOf(
      ok,
      times,
      `exported by one VkDevice, imported into a second, signaled on the first and seen on the second (${what}, ${t}, ${runs} runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/**
 * Runs a memory path end to end, 20 times: 64 KiB exported from one VkDevice and imported into
 * another of the same GPU, the bytes written through the first and checked through the second.
 */
function proveMemory(
  pd: PhysicalDevice,
  t: "OPAQUE_FD" | "DMA_BUF",
  verdict: Verdict,
): Proof {
  if (verdict !== "works") return { notRun: "the path does not work here" };
  const size = 65536;
  try {
    using a = Device.create(pd);
    using b = Device.create(pd);
    using ta = Transfer.create(a);
    using tb = Transfer.create(b);
    using src = GpuBuffer.create(a, { size, external: t });
    using mem = DeviceMemory.allocate(a, { for: src, exportAs: t });
    const pattern = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff);
    ta.write(src, pattern);
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < 20; i++) {
      using dst = GpuBuffer.create(b, { size, external: t });
      const t0 = performance.now();
      using exp = mem.exportFd(t);
      using _imported = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: dst });
      times.push(performance.now() - t0);
      const back = tb.read(dst);
      ok &&= back.every((v, j) => v === pattern[j]);
    }
    return proofOf(
      ok,
      times,
      `64 KiB exported and imported into a second VkDevice, bytes checked (${t}, 20 runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/**
 * What {@linkcode doctorReport} takes.
 *
 * @example
 * ```ts
 * const options: DoctorOptions = { prove: true };
 * ```
 */
export interface DoctorOptions {
  /** Run every path that works end to end, the memory paths between two processes too. */
  prove?: boolean;
  /**
   * The command that runs the other process of a proof between processes (it must call
   * {@linkcode serveImport}); default: vkshare's doctor under this runtime.
   */
  peer?: (address: string, deviceUUID: string) => string[];
}

/**
 * The doctor's whole report (`vkshare doctor --json`): the environment, every device's paths
 * ({@linkcode sharePaths}), every pair of devices, and how many paths of each verdict.
 *
 * @example
 * ```ts
 * import { Instance } from "vkshare";
 * import { doctorReport } from "vkshare/doctor";
 *
 * using instance = Instance.create();
 * const report = await doctorReport(instance);
 * console.log(report.summary); // { works: 8, fails: 0, "not-offered": 13 } on lavapipe
 * ```
 */
export async function doctorReport(
  instance: Instance,
  options?: DoctorOptions,
): Promise<DoctorReport> {
  const prove = options?.prove ?? false;
  const peer = options?.peer
    ?? ((address: string, deviceUUID: string) =>
      peerCommand(DOCTOR_SCRIPT, ["--serve-import", address, "--serve-device", deviceUUID]));
  const env = environment();
  const devices = instance.physicalDevices().map((pd, i) => deviceReport(pd, i, env, prove));
  if (prove) {
    for (const d of devices) {
      const pd = instance.physicalDevices()[d.index];
      for (const p of d.paths) {
        if (p.object !== "memory") continue;
        p.processProof = p.verdict === "works"
          ? await proveProcess(pd, p.handleType as "OPAQUE_FD" | "DMA_BUF", peer)
          : { notRun: "the path does not work here" };
      }
    }
  }
  const summary: Record<Verdict, number> = { "works": 0, "fails": 0, "not-offered": 0 };
  for (const d of devices) for (const p of d.paths) summary[p.verdict]++;
  const pairs = pairReports(instance.physicalDevices(), prove);
  return { schema: DOCTOR_SCHEMA, environment: env, devices, pairs, summary };
}

type PairObject = "memory" | "binary semaphore" | "timeline semaphore" | "fence";

/** Whether `pd` exports (`"export"`) or imports `object` as `t`, by its capability queries. */
function can(pd: PhysicalDevice, object: PairObject, t: "OPAQUE_FD" | "DMA_BUF", way: string) {
  const cap = object === "memory"
    ? externalBufferProperties(pd, { handleType: t })
    : object === "fence"
    ? externalFenceProperties(pd, { handleType: t as "OPAQUE_FD" })
    : object === "timeline semaphore" && !pd.timelineSemaphores
    ? null
    : externalSemaphoreProperties(pd, {
      handleType: t as "OPAQUE_FD",
      semaphoreType: object === "binary semaphore" ? "binary" : "timeline",
    });
  return cap !== null && (way === "export" ? cap.exportable : cap.importable);
}

/** Allocates 4 KiB on `d`: whether it still can. */
function allocates(d: Device): boolean {
  try {
    DeviceMemory.allocate(d, { size: 4096 })[Symbol.dispose]();
    return true;
  } catch {
    return false;
  }
}

/**
 * Every ordered pair of `pds`: for each path the first exports and the second imports, the
 * import plan's verdict (an export's real descriptor, planned against the importer without its
 * fd: no driver import). With `prove`, the import itself, and who refused it.
 */
export function pairReports(pds: readonly PhysicalDevice[], prove: boolean): PairReport[] {
  const out: PairReport[] = [];
  const paths: [PairObject, "OPAQUE_FD" | "DMA_BUF"][] = [
    ["memory", "OPAQUE_FD"],
    ["memory", "DMA_BUF"],
    ["binary semaphore", "OPAQUE_FD"],
    ["timeline semaphore", "OPAQUE_FD"],
    ["fence", "OPAQUE_FD"],
  ];
  for (let i = 0; i < pds.length; i++) {
    for (let j = 0; j < pds.length; j++) {
      if (i === j) continue;
      const todo = paths.filter(([o, t]) =>
        can(pds[i], o, t, "export") && can(pds[j], o, t, "import")
      );
      if (!todo.length) continue;
      using a = Device.create(pds[i]);
      using b = Device.create(pds[j]);
      for (const [object, t] of todo) out.push(pairReport(a, b, i, j, object, t, prove));
    }
  }
  return out;
}

function pairReport(
  a: Device,
  b: Device,
  from: number,
  to: number,
  object: PairObject,
  t: "OPAQUE_FD" | "DMA_BUF",
  prove: boolean,
): PairReport {
  using scope = new DisposableStack();
  let exp: { fd: { state: string }; descriptor: unknown } & Disposable;
  let plan: (
    fd: unknown,
  ) => { ok: true } | { ok: false; broken: { rule: string; message: string }[] };
  let doImport: () => Disposable;
  if (object === "memory") {
    const src = scope.use(GpuBuffer.create(a, { size: 65536, external: t }));
    const mem = scope.use(DeviceMemory.allocate(a, { for: src, exportAs: t }));
    const dst = scope.use(GpuBuffer.create(b, { size: 65536, external: t }));
    const e = scope.use(mem.exportFd(t));
    exp = e;
    plan = (fd) => DeviceMemory.planImport(b, fd as null, e.descriptor, { for: dst });
    doImport = () => DeviceMemory.importFd(b, e.fd, e.descriptor, { for: dst });
  } else if (object === "fence") {
    const f = scope.use(Fence.create(a, { exportAs: "OPAQUE_FD" }));
    const e = scope.use(f.exportFd("OPAQUE_FD"));
    const g = scope.use(Fence.create(b));
    exp = e as typeof exp;
    plan = (fd) => Fence.planImport(b, fd as null, e.descriptor);
    doImport = () => (g.importFd(e.fd!, e.descriptor), { [Symbol.dispose]() {} });
  } else {
    const type = object === "binary semaphore" ? "binary" : "timeline";
    const sem = scope.use(Semaphore.create(a, { type, exportAs: "OPAQUE_FD" }));
    const e = scope.use(sem.exportFd("OPAQUE_FD"));
    exp = e as typeof exp;
    plan = (fd) => Semaphore.planImport(b, fd as null, e.descriptor);
    doImport = () => Semaphore.importFd(b, e.fd!, e.descriptor);
  }
  const planned = plan(null);
  const causes = planned.ok ? [] : planned.broken.map((x) => `${x.rule}: ${x.message}`);
  const report: PairReport = {
    from,
    to,
    object,
    handleType: t,
    verdict: planned.ok ? "works" : "fails",
    causes,
    proof: null,
  };
  if (!prove) return report;
  let refusedBy: "vkshare" | "driver" | null = null;
  let rule: string | null = null;
  let what: string;
  try {
    using _imported = doImport();
    what = `imported into device ${to}`;
  } catch (e) {
    if (e instanceof ShareError) {
      refusedBy = "vkshare";
      rule = e.rule;
      what = `refused by vkshare's check (ShareError ${e.rule}) before any driver import`;
    } else if (e instanceof ImportError) {
      refusedBy = "driver";
      rule = e.resultName;
      what = `refused by the driver (${e.resultName})`;
    } else throw e;
  }
  const fdStillOpen = exp.fd.state === "open";
  const bothStillAllocate = allocates(a) && allocates(b);
  report.proof = {
    refusedBy,
    rule,
    fdStillOpen,
    bothStillAllocate,
    what: `${what}; the export's fd ${fdStillOpen ? "stayed open" : "was consumed"}; ${
      bothStillAllocate ? "both devices still allocate" : "a device no longer allocates"
    }`,
  };
  return report;
}

/** The rules an explanation names, with their one-line text (from SHARE_RULES). */
export function ruleText(rule: string): string {
  return (SHARE_RULES as Record<string, { explains: string }>)[rule]?.explains ?? "";
}

export { describeFd };

/** A checksum of `b` (FNV-1a), to compare bytes across processes. */
export function checksum(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return h;
}

/**
 * The memory path between two processes, 20 times: 64 KiB written through this process's device,
 * exported and offered over a share socket; the child imports it, reads it back and answers
 * with a checksum of the bytes.
 */
async function proveProcess(
  pd: PhysicalDevice,
  t: "OPAQUE_FD" | "DMA_BUF",
  peer: (address: string, deviceUUID: string) => string[],
): Promise<Proof> {
  const size = 65536;
  try {
    using a = Device.create(pd);
    using transfer = Transfer.create(a);
    using src = GpuBuffer.create(a, { size, external: t });
    using mem = DeviceMemory.allocate(a, { for: src, exportAs: t });
    const pattern = new Uint8Array(size).map((_, i) => (i * 13 + 5) & 0xff);
    transfer.write(src, pattern);
    using server = ShareServer.listen();
    const [cmd, ...args] = peer(server.address as string, pd.deviceUUID);
    const child = spawn(cmd, args, { stdio: "ignore" });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const times: number[] = [];
    let ok = true;
    {
      using socket = await server.accept({ timeoutMs: 30_000 });
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        {
          using exp = mem.exportFd(t);
          await sendOffer(socket, { label: `doctor ${i}`, memory: exp });
        }
        const { message } = await socket.expect("read", { timeoutMs: 30_000 });
        times.push(performance.now() - t0);
        ok &&= message.checksum === checksum(pattern);
      }
    } // closing the socket ends the child's loop
    const code = await exited;
    return proofOf(
      ok && code === 0,
      times,
      `64 KiB offered to another process (share socket), imported there and read back (${t}, 20 runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/**
 * The other process of a `--prove`: connects to `address`, and for each offer imports the memory
 * into the device whose deviceUUID is `deviceUUID` (bound to a buffer), reads it back and answers with its checksum, until
 * the exporter closes the socket.
 */
export async function serveImport(
  instance: Instance,
  address: string,
  deviceUUID: string,
): Promise<void> {
  const pd = instance.deviceFor(deviceUUID);
  using device = Device.create(pd);
  using transfer = Transfer.create(device);
  using socket = await ShareSocket.connect(address, { timeoutMs: 10_000 });
  for (;;) {
    let offer;
    try {
      offer = await receiveOffer(socket, { timeoutMs: 30_000, device });
    } catch (e) {
      if (e instanceof ProtocolError && e.reason === "closed") return;
      throw e;
    }
    using o = offer;
    const d = o.memory!.descriptor;
    using buffer = GpuBuffer.create(device, { size: d.size, external: d.handleType });
    using _m = DeviceMemory.importFd(device, o.memory!.fd, d, { for: buffer });
    await socket.send({ type: "read", checksum: checksum(transfer.read(buffer)) });
  }
}
