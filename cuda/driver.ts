/**
 * libcuda (the CUDA driver API) as the CUDA objects use it: loading and cuInit, CUresults as
 * CudaErrors, the device list with UUIDs, and what an object made by a context needs of it
 * ({@linkcode CudaScope}).
 *
 * @module
 */
import { CudaError, LibraryLoadError, ShareError } from "../core/errors.ts";
import { out64, outInt, uuidString } from "../core/out_params.ts";
import type { Resource } from "../core/resource.ts";
import { type CUDA, cuda as libcuda } from "../ffi/cuda.ts";
import { rt } from "../ffi/runtime.ts";
import type { FunctionsOf } from "../ffi/types.ts";

/** @ignore @internal libcuda's functions. */
export type Cu = FunctionsOf<typeof CUDA>;

/**
 * What the objects a `CudaContext` makes (streams, imports, allocations, buffers) need of it: a
 * `CudaContext` is one. Declared here so that those objects do not import the context that makes
 * them.
 *
 * @example
 * ```ts
 * const scope: CudaScope = cuda; // what a stream, import or allocation needs of its context
 * scope.synchronize();
 * ```
 *
 * @category CUDA
 */
export interface CudaScope extends Resource {
  /** The CUDA device. */
  readonly device: CudaDeviceInfo;
  /** `CUDA device 0 "NVIDIA H200"`. */
  readonly label: string;
  /** @ignore @internal Runs `fn` with the context current on the calling thread. */
  run<T>(fn: (cu: Cu) => T): T;
  /** @ignore @internal Throws a CudaError for `r` unless it is CUDA_SUCCESS. */
  check(r: number, call: string, details?: Record<string, unknown>): void;
  /** Reads a `CUdevice_attribute` of the device. */
  attribute(attribute: CudaDeviceAttribute): number;
  /** Waits for all the context's work (`cuCtxSynchronize`). */
  synchronize(): void;
}

/**
 * One CUDA device, as libcuda lists it.
 *
 * @example
 * ```ts
 * const d: CudaDeviceInfo = cuda.device;
 * d.uuid === pd.deviceUUID; // the same GPU
 * ```
 *
 * @category CUDA
 */
export interface CudaDeviceInfo {
  /** Its ordinal (what `CUdevice` is). */
  ordinal: number;
  /** Its name (`NVIDIA H200`). */
  name: string;
  /** Its UUID (`cuDeviceGetUuid`), in the form of Vulkan's `deviceUUID`. */
  uuid: string;
  /** Its memory in bytes. */
  totalMemory: number;
}

/**
 * Options of the functions that open libcuda.
 *
 * @example
 * ```ts
 * cudaDevices({ path: "/usr/lib/x86_64-linux-gnu/libcuda.so.1" });
 * ```
 *
 * @category CUDA
 */
export interface CudaLibraryOptions {
  /** The libcuda to open (default: `VKSHARE_LIBCUDA`, else `libcuda.so.1`). */
  path?: string;
}

// The libcuda handles cuInit has succeeded on (once per library; ffi/cuda.ts keeps the handles).
const initialized = new WeakSet<object>();

/** @ignore @internal libcuda (`path`, or the default), initialized once. */
export function lib(path?: string): Cu {
  const c = libcuda(path);
  if (!initialized.has(c)) {
    cuCheck(c, c.cuInit(0), "cuInit", {}, "is the NVIDIA kernel module loaded?");
    initialized.add(c);
  }
  return c;
}

function cuErrorText(c: Cu, f: "cuGetErrorName" | "cuGetErrorString", r: number): string | null {
  const p = out64();
  if (c[f](r, p) !== 0 || p[0] === 0n) return null;
  return rt.cstring(rt.pointer(p[0]));
}

export function cuCheck(
  c: Cu,
  r: number,
  call: string,
  details: Record<string, unknown> = {},
  note?: string,
): void {
  if (r === 0) return;
  const name = cuErrorText(c, "cuGetErrorName", r) ?? `CUresult ${r}`;
  const text = cuErrorText(c, "cuGetErrorString", r);
  throw new CudaError(call, r, name, details, [text, note].filter(Boolean).join("; "));
}

/**
 * libcuda's driver version, as `cuDriverGetVersion` gives it (13000 for CUDA 13.0).
 *
 * @example
 * ```ts
 * cudaDriverVersion(); // 13000 for CUDA 13.0
 * ```
 *
 * @category CUDA
 */
export function cudaDriverVersion(options?: CudaLibraryOptions): number {
  options ??= {};
  const c = lib(options.path);
  const v = outInt();
  cuCheck(c, c.cuDriverGetVersion(v), "cuDriverGetVersion");
  return v[0];
}

/**
 * Every CUDA device libcuda sees, with its name and UUID. Throws LibraryLoadError without
 * libcuda, and a CudaError when cuInit fails (no NVIDIA kernel module); with `optional`, either
 * is no device: `[]`, so that "is there CUDA here?" needs no try/catch.
 *
 * @example
 * ```ts
 * const devices = cudaDevices({ optional: true }); // [] without libcuda
 * devices.map((d) => `${d.ordinal} ${d.name} ${d.uuid}`);
 * ```
 *
 * @category CUDA
 */
export function cudaDevices(
  options?: CudaLibraryOptions & { optional?: boolean },
): CudaDeviceInfo[] {
  options ??= {};
  let c: Cu;
  try {
    c = lib(options.path);
  } catch (e) {
    const absent = e instanceof LibraryLoadError || (e instanceof CudaError && e.call === "cuInit");
    if (options.optional && absent) return [];
    throw e;
  }
  const n = outInt();
  cuCheck(c, c.cuDeviceGetCount(n), "cuDeviceGetCount");
  return Array.from({ length: n[0] }, (_, ordinal) => deviceInfo(c, ordinal));
}

export function deviceInfo(c: Cu, ordinal: number): CudaDeviceInfo {
  const dev = outInt();
  cuCheck(c, c.cuDeviceGet(dev, ordinal), "cuDeviceGet", { ordinal });
  const name = new Uint8Array(256);
  cuCheck(c, c.cuDeviceGetName(name, name.length, dev[0]), "cuDeviceGetName", { ordinal });
  const uuid = new Uint8Array(16);
  cuCheck(c, c.cuDeviceGetUuid_v2(uuid, dev[0]), "cuDeviceGetUuid_v2", { ordinal });
  const mem = out64();
  cuCheck(c, c.cuDeviceTotalMem_v2(mem, dev[0]), "cuDeviceTotalMem_v2", { ordinal });
  return {
    ordinal: dev[0],
    name: new TextDecoder().decode(name.subarray(0, Math.max(0, name.indexOf(0)))),
    uuid: uuidString(uuid),
    totalMemory: Number(mem[0]),
  };
}

/**
 * A `CUdevice_attribute` that {@linkcode CudaContext.attribute} reads.
 *
 * @example
 * ```ts
 * cuda.attribute("TIMELINE_SEMAPHORE_INTEROP_SUPPORTED" satisfies CudaDeviceAttribute); // 1 where supported
 * ```
 *
 * @category CUDA
 */
export type CudaDeviceAttribute =
  | "PCI_BUS_ID"
  | "VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED"
  | "HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED"
  | "TIMELINE_SEMAPHORE_INTEROP_SUPPORTED";

export function bytesArg(v: number | bigint, what: string, min = 0n): bigint {
  const b = typeof v === "bigint" ? v : Number.isSafeInteger(v) ? BigInt(v) : NaN;
  if (typeof b !== "bigint" || b < min) {
    throw new RangeError(
      `${what}: expected an integer number of bytes >= ${min}, got ${String(v)}`,
    );
  }
  return b;
}

/** The UUID_MISMATCH of a Vulkan device (or export) that is not CUDA device `cu`. */
export function uuidMismatch(
  what: string,
  want: { uuid: string; name: string },
  cu: CudaDeviceInfo,
): ShareError {
  return new ShareError(
    "UUID_MISMATCH",
    `${what} "${want.name}" (deviceUUID ${want.uuid}) is not CUDA device ${cu.ordinal} "${cu.name}" (UUID ${cu.uuid}): the UUIDs must match`,
    want.uuid,
    cu.uuid,
  );
}
