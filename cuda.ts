/**
 * CUDA interop through libcuda (the CUDA driver API), with no compilation and no CUDA toolkit:
 * Vulkan memory and semaphores exported as OPAQUE_FD are imported into CUDA, and CUDA memory
 * created exportable is imported into Vulkan.
 *
 * - {@linkcode CudaContext.forVulkan} picks the CUDA device whose UUID is the Vulkan device's
 *   `deviceUUID` (the same GPU), and retains its primary context until dispose.
 * - {@linkcode CudaContext.importMemory} / {@linkcode CudaContext.importSemaphore}: the same
 *   checks as the Vulkan imports before CUDA sees the fd (descriptor, UUIDs, an open fd not
 *   consumed, the export's size, dedicated flag and fd kind). On success the fd is CUDA's (an
 *   OwnedFd is marked consumed); on failure it is still the caller's.
 * - {@linkcode CudaStream}: waits and signals of imported semaphores, ordered with the
 *   synchronous copy helpers of {@linkcode CudaBuffer} (a stream created this way synchronizes
 *   with CUDA's legacy default stream, which those helpers use).
 * - {@linkcode CudaContext.allocateExportable}: `cuMemCreate` with a POSIX fd handle type,
 *   mapped read-write in the context, exported with `cuMemExportToShareableHandle` as an
 *   OPAQUE_FD that `DeviceMemory.importFd` takes.
 *
 * Every CUresult other than CUDA_SUCCESS is a {@linkcode CudaError} with the name
 * `cuGetErrorName` gives.
 *
 * @example
 * ```ts
 * using cuda = CudaContext.forVulkan(device);
 * using exp = memory.exportFd("OPAQUE_FD");
 * using ext = cuda.importMemory(exp.fd, exp.descriptor);
 * using buf = ext.mapBuffer();
 * buf.read(0, 16); // the first 16 bytes, as CUDA sees them
 * ```
 *
 * @module
 */
import { Resource } from "./_resource.ts";
import { checkSyncOrigin, checkSyncSource, type SyncDescriptor, syncExports } from "./_sync.ts";
import { out64, outInt, uuidString } from "./_vk.ts";
import type { GpuBuffer } from "./buffer.ts";
import { Device } from "./device.ts";
import { CudaError, ShareError } from "./errors.ts";
import {
  checkFdKind,
  consumeImported,
  describeFd,
  fdKind,
  importableFd,
  importThroughDup,
  OwnedFd,
} from "./fd.ts";
import {
  CU_DEVICE_ATTRIBUTE,
  CU_EXTERNAL_MEMORY_HANDLE_TYPE,
  CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE,
  CU_MEM_ACCESS_FLAGS_PROT_READWRITE,
  CU_MEM_ALLOC_GRANULARITY_MINIMUM,
  CU_MEM_ALLOCATION_TYPE_PINNED,
  CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR,
  CU_MEM_LOCATION_TYPE_DEVICE,
  CU_STREAM_DEFAULT,
  type CUDA,
  cuda as libcuda,
  CUDA_ERROR_NOT_READY,
  CUDA_EXTERNAL_MEMORY_BUFFER_DESC,
  CUDA_EXTERNAL_MEMORY_DEDICATED,
  CUDA_EXTERNAL_MEMORY_HANDLE_DESC,
  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC,
  CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS,
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS,
  CUmemAccessDesc,
  CUmemAllocationProp,
} from "./ffi/cuda.ts";
import { Arena, encode, encodeArray } from "./ffi/layout.ts";
import { rt } from "./ffi/runtime.ts";
import type { FunctionsOf } from "./ffi/types.ts";
import type { GpuImage } from "./image.ts";
import {
  checkDescriptor,
  checkOrigin,
  DESCRIPTOR_VERSION,
  type MemoryDescriptor,
  type MemoryExport,
  originOf,
  recordExport,
} from "./memory.ts";
import { PhysicalDevice } from "./physical_device.ts";

type Cu = FunctionsOf<typeof CUDA>;

/**
 * One CUDA device, as libcuda lists it.
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
  totalMemory: bigint;
}

/**
 * Options of the functions that open libcuda.
 *
 * @category CUDA
 */
export interface CudaLibraryOptions {
  /** The libcuda to open (default: `VKSHARE_LIBCUDA`, else `libcuda.so.1`). */
  path?: string;
}

/**
 * Options of {@linkcode CudaContext.forVulkan} and {@linkcode CudaContext.create}.
 *
 * @category CUDA
 */
export interface CudaContextOptions extends CudaLibraryOptions {
  /** A CUDA device ordinal: it must be the Vulkan device's GPU (default: the one that is). */
  ordinal?: number;
}

const initialized = new WeakSet<object>();

function lib(path?: string): Cu {
  const c = libcuda(path);
  if (!initialized.has(c)) {
    cuCheck(c, c.cuInit(0), "cuInit", {}, "is the NVIDIA kernel module loaded?");
    initialized.add(c);
  }
  return c;
}

function cString(c: Cu, f: "cuGetErrorName" | "cuGetErrorString", r: number): string | null {
  const p = out64();
  if (c[f](r, p) !== 0 || p[0] === 0n) return null;
  return rt.cstring(rt.pointer(p[0]));
}

function cuCheck(
  c: Cu,
  r: number,
  call: string,
  details: Record<string, unknown> = {},
  note?: string,
): void {
  if (r === 0) return;
  const name = cString(c, "cuGetErrorName", r) ?? `CUresult ${r}`;
  const text = cString(c, "cuGetErrorString", r);
  throw new CudaError(call, r, name, details, [text, note].filter(Boolean).join("; "));
}

/**
 * libcuda's driver version, as `cuDriverGetVersion` gives it (13000 for CUDA 13.0).
 *
 * @category CUDA
 */
export function cudaDriverVersion(options: CudaLibraryOptions = {}): number {
  const c = lib(options.path);
  const v = outInt();
  cuCheck(c, c.cuDriverGetVersion(v), "cuDriverGetVersion");
  return v[0];
}

/**
 * Every CUDA device libcuda sees, with its name and UUID. Throws LibraryLoadError without it.
 *
 * @category CUDA
 */
export function cudaDevices(options: CudaLibraryOptions = {}): CudaDeviceInfo[] {
  const c = lib(options.path);
  const n = outInt();
  cuCheck(c, c.cuDeviceGetCount(n), "cuDeviceGetCount");
  return Array.from({ length: n[0] }, (_, ordinal) => deviceInfo(c, ordinal));
}

function deviceInfo(c: Cu, ordinal: number): CudaDeviceInfo {
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
    totalMemory: mem[0],
  };
}

/**
 * What identifies a Vulkan GPU for CUDA: a device, a physical device, or an export's descriptor.
 *
 * @category CUDA
 */
export type VulkanIdentity = Device | PhysicalDevice | MemoryDescriptor | SyncDescriptor;

function identity(v: VulkanIdentity): { uuid: string; name: string } {
  if (v instanceof Device) v = v.physicalDevice;
  if (v instanceof PhysicalDevice) return { uuid: v.deviceUUID, name: v.name };
  if (v && typeof v === "object" && typeof v.deviceUUID === "string") {
    return { uuid: v.deviceUUID, name: String(v.deviceName) };
  }
  throw new TypeError(
    `expected a Device, a PhysicalDevice or an export descriptor, got ${String(v)}`,
  );
}

function uuidMismatch(what: string, want: { uuid: string; name: string }, cu: CudaDeviceInfo) {
  return new ShareError(
    "UUID_MISMATCH",
    `${what} "${want.name}" (deviceUUID ${want.uuid}) is not CUDA device ${cu.ordinal} "${cu.name}" (UUID ${cu.uuid}): the UUIDs must match`,
    want.uuid,
    cu.uuid,
  );
}

/**
 * A `CUdevice_attribute` that {@linkcode CudaContext.attribute} reads.
 *
 * @category CUDA
 */
export type CudaDeviceAttribute =
  | "PCI_BUS_ID"
  | "VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED"
  | "HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED"
  | "TIMELINE_SEMAPHORE_INTEROP_SUPPORTED";

/** How long a stream's or context's disposal waits for its work, in ms. */
const SETTLE_MS = 5_000;

/**
 * A CUDA device's primary context, retained until dispose, and the GPU it belongs to. The
 * objects it makes (streams, imports, allocations) are its children, disposed before it.
 *
 * @example
 * ```ts
 * using cuda = CudaContext.forVulkan(device); // the same GPU as `device`, or a ShareError
 * console.log(cuda.device.name, cuda.device.uuid);
 * ```
 *
 * @category CUDA
 */
export class CudaContext extends Resource {
  /** The CUDA device. */
  readonly device: CudaDeviceInfo;
  /** The libcuda functions it uses. */
  readonly #cu: Cu;
  #ctx: bigint;

  private constructor(cu: Cu, device: CudaDeviceInfo) {
    super();
    this.#cu = cu;
    this.device = device;
    const ctx = out64();
    cuCheck(cu, cu.cuDevicePrimaryCtxRetain(ctx, device.ordinal), "cuDevicePrimaryCtxRetain", {
      device: device.name,
    });
    this.#ctx = ctx[0];
  }

  /** `CUDA device 0 "NVIDIA H200"`. */
  get label(): string {
    return `CUDA device ${this.device.ordinal} "${this.device.name}"`;
  }

  /**
   * The context of the CUDA device that is the same GPU as `target` (its UUID equals the Vulkan
   * `deviceUUID`). With `ordinal`, that device, which must be the same GPU: a ShareError
   * UUID_MISMATCH names both devices and both UUIDs otherwise, as it does when no CUDA device
   * is that GPU.
   */
  static forVulkan(target: VulkanIdentity, options: CudaContextOptions = {}): CudaContext {
    const want = identity(target);
    const cu = lib(options.path);
    const all = cudaDevices(options);
    if (options.ordinal !== undefined) {
      const d = all.find((x) => x.ordinal === options.ordinal);
      if (!d) {
        throw new RangeError(
          `CUDA device ${options.ordinal} does not exist (libcuda sees ${all.length})`,
        );
      }
      if (d.uuid !== want.uuid) throw uuidMismatch("the Vulkan device", want, d);
      return new CudaContext(cu, d);
    }
    const d = all.find((x) => x.uuid === want.uuid);
    if (!d) {
      throw new ShareError(
        "UUID_MISMATCH",
        `no CUDA device is the Vulkan device "${want.name}" (deviceUUID ${want.uuid}); libcuda sees ${
          all.length
            ? all.map((x) => `${x.ordinal} "${x.name}" (UUID ${x.uuid})`).join(", ")
            : "none"
        }`,
        want.uuid,
        all.map((x) => x.uuid),
      );
    }
    return new CudaContext(cu, d);
  }

  /** The context of CUDA device `ordinal` (default 0), with no Vulkan device to match. */
  static create(options: CudaContextOptions = {}): CudaContext {
    const cu = lib(options.path);
    const n = outInt();
    cuCheck(cu, cu.cuDeviceGetCount(n), "cuDeviceGetCount");
    const ordinal = options.ordinal ?? 0;
    if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= n[0]) {
      throw new RangeError(`CUDA device ${ordinal} does not exist (libcuda sees ${n[0]})`);
    }
    return new CudaContext(cu, deviceInfo(cu, ordinal));
  }

  /** @internal Runs `fn` with this context current on the calling thread. */
  run<T>(fn: (cu: Cu) => T): T {
    this.alive();
    const cu = this.#cu;
    cuCheck(cu, cu.cuCtxPushCurrent_v2(this.#ctx), "cuCtxPushCurrent_v2", { device: this.label });
    try {
      return fn(cu);
    } finally {
      cu.cuCtxPopCurrent_v2(out64());
    }
  }

  /** @internal Throws a CudaError for `r` unless it is CUDA_SUCCESS. */
  check(r: number, call: string, details: Record<string, unknown> = {}): void {
    cuCheck(this.#cu, r, call, { device: this.device.name, ...details });
  }

  /**
   * Waits for all the context's work, including the copy helpers of {@linkcode CudaBuffer}
   * (`cuCtxSynchronize`). No timeout: for work that waits on a semaphore, use
   * {@linkcode CudaStream.synchronize}.
   */
  synchronize(): void {
    this.run((cu) => this.check(cu.cuCtxSynchronize(), "cuCtxSynchronize"));
  }

  /** Reads a `CUdevice_attribute` of the device. */
  attribute(attribute: CudaDeviceAttribute): number {
    const v = outInt();
    this.check(
      this.#cu.cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE[attribute], this.device.ordinal),
      "cuDeviceGetAttribute",
      { attribute },
    );
    return v[0];
  }

  /** A new stream (CU_STREAM_DEFAULT: ordered with the legacy default stream). */
  createStream(): CudaStream {
    return new CudaStream(this);
  }

  /**
   * Imports Vulkan memory exported as OPAQUE_FD (`cuImportExternalMemory`), with the size and
   * dedicated flag of its descriptor. Checked first, each a ShareError: the descriptor's shape,
   * OPAQUE_FD, the exporter's UUID equal to this device's, an open fd not consumed by an earlier
   * import, the export's own size and dedicated flag (when the export is in this process), its fd
   * kind. On success the fd is CUDA's: an {@linkcode OwnedFd} is marked consumed, a raw number is
   * closed. On failure (a CudaError) it is still open and the caller's.
   */
  importMemory(fd: OwnedFd | number, descriptor: MemoryDescriptor): CudaExternalMemory {
    this.alive();
    const d = checkDescriptor(descriptor);
    if (d.handleType !== "OPAQUE_FD") {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `CUDA imports OPAQUE_FD memory, not ${d.handleType} (CUDA takes a dma_buf only on Tegra)`,
        "OPAQUE_FD",
        d.handleType,
      );
    }
    if (d.deviceUUID !== this.device.uuid) {
      throw uuidMismatch(
        "memory exported by",
        { uuid: d.deviceUUID, name: d.deviceName },
        this.device,
      );
    }
    const n = importableFd(fd);
    const other = syncExports.originOf(fd);
    if (other) {
      throw new ShareError(
        "FD_KIND_MISMATCH",
        `fd ${n} is the export of a ${other.object}, not of memory`,
        "memory",
        other.object,
      );
    }
    const origin = originOf(fd);
    if (origin) checkOrigin(n, origin, d, ["handleType", "size", "dedicated"]);
    checkFdKind(n, origin === descriptor ? undefined : d.fdKind, "OPAQUE_FD memory", origin);
    const handle = out64();
    const details = { fd: n, size: d.size, dedicated: d.dedicated !== null };
    this.run((cu) => {
      importThroughDup(n, (dup) => {
        using arena = new Arena();
        const desc = encode(CUDA_EXTERNAL_MEMORY_HANDLE_DESC, {
          type: CU_EXTERNAL_MEMORY_HANDLE_TYPE.OPAQUE_FD,
          handle: dup,
          size: BigInt(d.size),
          flags: d.dedicated ? CUDA_EXTERNAL_MEMORY_DEDICATED : 0,
        }, arena);
        this.check(
          cu.cuImportExternalMemory(handle, desc.bytes),
          "cuImportExternalMemory",
          details,
        );
        return true;
      });
    });
    consumeImported(fd, `a CUDA import into ${this.label}`);
    return new CudaExternalMemory(this, handle[0], d);
  }

  /**
   * Imports a Vulkan semaphore exported as OPAQUE_FD (`cuImportExternalSemaphore`): a binary
   * one as CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD, a timeline one as
   * TIMELINE_SEMAPHORE_FD. The checks and the fd's fate are those of
   * {@linkcode CudaContext.importMemory} (`fd` is typed as `SyncExport.fd` is; only a SYNC_FD
   * export can be null, and CUDA takes none).
   */
  importSemaphore(
    fd: OwnedFd | number | null,
    descriptor: SyncDescriptor,
  ): CudaExternalSemaphore {
    this.alive();
    const d = checkSyncSource(descriptor, "semaphore");
    if (d.handleType !== "OPAQUE_FD") {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `CUDA imports OPAQUE_FD semaphores, not ${d.handleType}`,
        "OPAQUE_FD",
        d.handleType,
      );
    }
    if (d.deviceUUID !== this.device.uuid) {
      throw uuidMismatch(
        "a semaphore exported by",
        { uuid: d.deviceUUID, name: d.deviceName },
        this.device,
      );
    }
    const timeline = d.semaphoreType === "timeline";
    if (timeline && !this.attribute("TIMELINE_SEMAPHORE_INTEROP_SUPPORTED")) {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `${this.label} does not import timeline semaphores (CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED is 0)`,
        "timeline interop",
        0,
      );
    }
    if (fd === null) {
      throw new ShareError("FD_NOT_OPEN", "fd is null: an OPAQUE_FD semaphore export has an fd");
    }
    const n = importableFd(fd);
    if (originOf(fd)) {
      throw new ShareError(
        "FD_KIND_MISMATCH",
        `fd ${n} is the export of memory, not of a semaphore`,
        "semaphore",
        "memory",
      );
    }
    const origin = checkSyncOrigin(fd, n, d);
    checkFdKind(n, origin === descriptor ? undefined : d.fdKind, "OPAQUE_FD semaphore", origin);
    const handle = out64();
    const type = timeline
      ? CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.TIMELINE_SEMAPHORE_FD
      : CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.OPAQUE_FD;
    this.run((cu) => {
      importThroughDup(n, (dup) => {
        using arena = new Arena();
        const desc = encode(CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC, { type, handle: dup }, arena);
        this.check(cu.cuImportExternalSemaphore(handle, desc.bytes), "cuImportExternalSemaphore", {
          fd: n,
          semaphoreType: d.semaphoreType,
        });
        return true;
      });
    });
    consumeImported(fd, `a CUDA import into ${this.label}`);
    return new CudaExternalSemaphore(this, handle[0], timeline ? "timeline" : "binary");
  }

  /**
   * Allocates device memory that can be exported as a POSIX fd (`cuMemCreate` with
   * CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR), `size` rounded up to the allocation granularity,
   * and maps it read-write in this context. Throws a ShareError HANDLE_TYPE_UNSUPPORTED where the
   * device has no virtual memory management or no POSIX fd handles.
   */
  allocateExportable(size: number | bigint): CudaMemory {
    this.alive();
    return new CudaMemory(this, size);
  }

  /** Releases the primary context (`cuDevicePrimaryCtxRelease`). */
  protected destroy(): void {
    const cu = this.#cu;
    cuCheck(cu, cu.cuDevicePrimaryCtxRelease_v2(this.device.ordinal), "cuDevicePrimaryCtxRelease");
    this.#ctx = 0n;
  }
}

function bytesArg(v: number | bigint, what: string, min = 0n): bigint {
  const b = typeof v === "bigint" ? v : Number.isSafeInteger(v) ? BigInt(v) : NaN;
  if (typeof b !== "bigint" || b < min) {
    throw new RangeError(
      `${what}: expected an integer number of bytes >= ${min}, got ${String(v)}`,
    );
  }
  return b;
}

/**
 * Vulkan memory imported into CUDA (`CUexternalMemory`). Map a range of it with
 * {@linkcode CudaExternalMemory.mapBuffer}.
 *
 * @category CUDA
 */
export class CudaExternalMemory extends Resource {
  /** The context it was imported into. */
  readonly context: CudaContext;
  /** The `CUexternalMemory` handle. */
  readonly handle: bigint;
  /** The size imported (the export's `allocationSize`). */
  readonly size: number;
  /** Whether it was imported as a dedicated allocation. */
  readonly dedicated: boolean;
  /** The exporter's descriptor. */
  readonly descriptor: MemoryDescriptor;

  /** @internal */
  constructor(context: CudaContext, handle: bigint, descriptor: MemoryDescriptor) {
    super();
    this.context = context;
    this.handle = handle;
    this.size = descriptor.size;
    this.dedicated = descriptor.dedicated !== null;
    this.descriptor = descriptor;
    this.adopt(context);
  }

  /** `CUDA import of 1048576 bytes from "NVIDIA H200"`. */
  get label(): string {
    return `CUDA import of ${this.size} bytes from "${this.descriptor.deviceName}"`;
  }

  /**
   * Maps `size` bytes at `offset` (default: all of it) as a device pointer
   * (`cuExternalMemoryGetMappedBuffer`). A range outside the memory is a RangeError; an offset
   * other than 0 in a dedicated import is a ShareError ALIGNMENT (CUDA refuses it).
   */
  mapBuffer(options: { offset?: number | bigint; size?: number | bigint } = {}): CudaBuffer {
    this.alive();
    const offset = bytesArg(options.offset ?? 0, "offset");
    const size = bytesArg(options.size ?? BigInt(this.size) - offset, "size", 1n);
    if (offset + size > BigInt(this.size)) {
      throw new RangeError(
        `mapBuffer: offset ${offset} + size ${size} is past the end of ${this.label} (${this.size} bytes)`,
      );
    }
    if (this.dedicated && offset !== 0n) {
      throw new ShareError(
        "ALIGNMENT",
        `mapBuffer: a dedicated import maps at offset 0 only (NVIDIA's CUDA 13 refuses offset ${offset} with CUDA_ERROR_INVALID_VALUE): map from 0 and add the offset to the pointer`,
        0,
        offset,
      );
    }
    const ptr = out64();
    this.context.run((cu) => {
      using arena = new Arena();
      const desc = encode(CUDA_EXTERNAL_MEMORY_BUFFER_DESC, { offset, size }, arena);
      this.context.check(
        cu.cuExternalMemoryGetMappedBuffer(ptr, this.handle, desc.bytes),
        "cuExternalMemoryGetMappedBuffer",
        { offset, size },
      );
    });
    return new CudaBuffer(this, this.context, ptr[0], Number(size), true);
  }

  /** Destroys the import (`cuDestroyExternalMemory`), after its mapped buffers. */
  protected destroy(): void {
    this.context.run((cu) =>
      this.context.check(cu.cuDestroyExternalMemory(this.handle), "cuDestroyExternalMemory")
    );
  }
}

/**
 * A range of CUDA device memory (`CUdeviceptr`), with synchronous copy helpers. They run on
 * CUDA's legacy default stream, so they are ordered after the work of a {@linkcode CudaStream}
 * (which waits for them in turn); `read` returns once the data is on the host.
 *
 * @category CUDA
 */
export class CudaBuffer extends Resource {
  /** The context it lives in. */
  readonly context: CudaContext;
  /** The device address. */
  readonly pointer: bigint;
  /** Its size in bytes. */
  readonly size: number;
  readonly #owned: boolean;

  /** @internal */
  constructor(
    parent: Resource,
    context: CudaContext,
    pointer: bigint,
    size: number,
    owned: boolean,
  ) {
    super();
    this.context = context;
    this.pointer = pointer;
    this.size = size;
    this.#owned = owned;
    this.adopt(parent);
  }

  /** `CUDA buffer 0x7f... (1048576 bytes)`. */
  get label(): string {
    return `CUDA buffer 0x${this.pointer.toString(16)} (${this.size} bytes)`;
  }

  #range(offset: number, length: number, what: string): void {
    if (
      !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0
      || offset + length > this.size
    ) {
      throw new RangeError(
        `${what}: offset ${offset} + ${length} bytes is outside ${this.label}`,
      );
    }
  }

  /** Copies `data` to `offset` (`cuMemcpyHtoD`). */
  write(data: ArrayBufferView, offset = 0): void {
    this.alive();
    this.#range(offset, data.byteLength, "write");
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemcpyHtoD_v2(this.pointer + BigInt(offset), bytes, BigInt(bytes.byteLength)),
        "cuMemcpyHtoD",
        { offset, size: bytes.byteLength },
      )
    );
  }

  /** Copies `length` bytes at `offset` (default: to the end) to the host (`cuMemcpyDtoH`). */
  read(offset = 0, length: number = this.size - offset): Uint8Array {
    this.alive();
    this.#range(offset, length, "read");
    const out = new Uint8Array(length);
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemcpyDtoH_v2(out, this.pointer + BigInt(offset), BigInt(length)),
        "cuMemcpyDtoH",
        { offset, size: length },
      )
    );
    return out;
  }

  /**
   * Sets `count` 32-bit words at `offset` (default: the whole buffer) to `value`
   * (`cuMemsetD32`); `offset` must be a multiple of 4.
   */
  fill32(value: number, options: { offset?: number; count?: number } = {}): void {
    this.alive();
    const offset = options.offset ?? 0;
    const count = options.count ?? Math.floor((this.size - offset) / 4);
    if (offset % 4) throw new RangeError(`fill32: offset ${offset} is not a multiple of 4`);
    this.#range(offset, count * 4, "fill32");
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`fill32: value ${value} is not a 32-bit unsigned integer`);
    }
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemsetD32_v2(this.pointer + BigInt(offset), value, BigInt(count)),
        "cuMemsetD32",
        { offset, count, value },
      )
    );
  }

  /** Frees a mapping of an import (`cuMemFree`); a CudaMemory's own mapping goes with it. */
  protected destroy(): void {
    if (!this.#owned) return;
    this.context.run((cu) => this.context.check(cu.cuMemFree_v2(this.pointer), "cuMemFree"));
  }
}

/**
 * A Vulkan semaphore imported into CUDA (`CUexternalSemaphore`).
 *
 * @category CUDA
 */
export class CudaExternalSemaphore extends Resource {
  /** The context it was imported into. */
  readonly context: CudaContext;
  /** The `CUexternalSemaphore` handle. */
  readonly handle: bigint;
  /** The Vulkan semaphore's type. */
  readonly type: "binary" | "timeline";

  /** @internal */
  constructor(context: CudaContext, handle: bigint, type: "binary" | "timeline") {
    super();
    this.context = context;
    this.handle = handle;
    this.type = type;
    this.adopt(context);
  }

  /** `CUDA timeline semaphore 0x...`. */
  get label(): string {
    return `CUDA ${this.type} semaphore 0x${this.handle.toString(16)}`;
  }

  /** Destroys the import (`cuDestroyExternalSemaphore`). */
  protected destroy(): void {
    this.context.run((cu) =>
      this.context.check(cu.cuDestroyExternalSemaphore(this.handle), "cuDestroyExternalSemaphore")
    );
  }
}

/**
 * A semaphore operation: a binary semaphore, or a timeline semaphore and its value.
 *
 * @category CUDA
 */
export type CudaSemaphoreOp =
  | CudaExternalSemaphore
  | { semaphore: CudaExternalSemaphore; value?: number | bigint };

/**
 * What a {@linkcode CudaStream.synchronize} found: all work done, or the timeout.
 *
 * @category CUDA
 */
export type CudaSyncResult = "done" | "timeout";

/**
 * A CUDA stream (CU_STREAM_DEFAULT), for semaphore waits and signals.
 *
 * @category CUDA
 */
export class CudaStream extends Resource {
  /** The context it belongs to. */
  readonly context: CudaContext;
  /** The `CUstream` handle. */
  readonly handle: bigint;

  /** @internal */
  constructor(context: CudaContext) {
    super();
    this.context = context;
    const s = out64();
    context.run((cu) =>
      context.check(cu.cuStreamCreate(s, CU_STREAM_DEFAULT), "cuStreamCreate", {})
    );
    this.handle = s[0];
    this.adopt(context);
  }

  /** `CUDA stream 0x...`. */
  get label(): string {
    return `CUDA stream 0x${this.handle.toString(16)}`;
  }

  #ops(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[], what: "wait" | "signal") {
    const list = (Array.isArray(ops) ? ops : [ops]) as CudaSemaphoreOp[];
    if (list.length === 0) throw new RangeError(`${what}: no semaphores`);
    return list.map((op, i) => {
      const s = op instanceof CudaExternalSemaphore ? op : op?.semaphore;
      if (!(s instanceof CudaExternalSemaphore)) {
        throw new TypeError(
          `${what}[${i}]: expected a CudaExternalSemaphore or { semaphore, value }`,
        );
      }
      s.assertAlive();
      if (s.context !== this.context) {
        throw new ShareError(
          "WRONG_DEVICE",
          `${what}[${i}]: ${s.label} belongs to ${s.context.label}, the stream to ${this.context.label}`,
        );
      }
      const value = op instanceof CudaExternalSemaphore ? undefined : op.value;
      if (s.type === "binary" && value !== undefined) {
        throw new ShareError(
          "NOT_TIMELINE",
          `${what}[${i}]: ${s.label} is binary: it takes no value (got ${value})`,
        );
      }
      if (s.type === "timeline") {
        const ok = (typeof value === "bigint" && value > 0n)
          || (typeof value === "number" && Number.isSafeInteger(value) && value > 0);
        if (!ok) {
          throw new ShareError(
            "TIMELINE_VALUE",
            `${what}[${i}]: ${s.label} needs a positive integer value, got ${String(value)}`,
            "a value > 0",
            value,
          );
        }
      }
      return { handle: s.handle, value: value === undefined ? 0n : BigInt(value) };
    });
  }

  /** Makes the stream's later work wait for the semaphores (`cuWaitExternalSemaphoresAsync`). */
  wait(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[]): void {
    this.#enqueue(ops, "wait");
  }

  /** Signals the semaphores after the stream's earlier work (`cuSignalExternalSemaphoresAsync`). */
  signal(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[]): void {
    this.#enqueue(ops, "signal");
  }

  #enqueue(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[], what: "wait" | "signal"): void {
    this.alive();
    const list = this.#ops(ops, what);
    const [def, call] = what === "wait"
      ? [CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS, "cuWaitExternalSemaphoresAsync" as const]
      : [CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS, "cuSignalExternalSemaphoresAsync" as const];
    this.context.run((cu) => {
      using arena = new Arena();
      const params = encodeArray(def, list.map((o) => ({ params: { fence: o.value } })), arena);
      this.context.check(
        cu[call](
          new BigUint64Array(list.map((o) => o.handle)),
          params.bytes.subarray(params.offset, params.offset + params.size),
          list.length,
          this.handle,
        ),
        call,
        { values: list.map((o) => o.value) },
      );
    });
  }

  /** Whether all the stream's work has finished (`cuStreamQuery`). */
  done(): boolean {
    this.alive();
    return this.#query();
  }

  #query(): boolean {
    const r = this.context.run((cu) => cu.cuStreamQuery(this.handle));
    if (r === CUDA_ERROR_NOT_READY) return false;
    this.context.check(r, "cuStreamQuery");
    return true;
  }

  /**
   * Waits until all the stream's work has finished, or `timeoutMs` (default 10 s) has passed:
   * `"done"` or `"timeout"` (a wait on a semaphore that nothing signals never finishes). Polls
   * `cuStreamQuery`, without sleeping for the first millisecond, then in steps of up to 1 ms.
   */
  synchronize(timeoutMs = 10_000): CudaSyncResult {
    this.alive();
    return this.#settle(timeoutMs);
  }

  #settle(timeoutMs: number): CudaSyncResult {
    const start = performance.now();
    let step = 0.02;
    for (;;) {
      if (this.#query()) return "done";
      const elapsed = performance.now() - start;
      if (elapsed >= timeoutMs) return "timeout";
      if (elapsed > 1) {
        Atomics.wait(sleeper, 0, 0, Math.min(step, timeoutMs - elapsed));
        step = Math.min(1, step * 2);
      }
    }
  }

  /** Waits up to 5 s for the stream's work (warning otherwise), then destroys it. */
  protected destroy(): void {
    if (this.#settle(SETTLE_MS) === "timeout") {
      console.warn(
        `vkshare: ${this.label} still had work after ${SETTLE_MS} ms (a wait that nothing signals?): it is destroyed, and CUDA frees it when the work completes`,
      );
    }
    this.context.run((cu) =>
      this.context.check(cu.cuStreamDestroy_v2(this.handle), "cuStreamDestroy")
    );
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * CUDA memory that can be exported as a POSIX fd (`cuMemCreate`), mapped read-write in its
 * context as {@linkcode CudaMemory.buffer}. {@linkcode CudaMemory.exportFd} gives an OPAQUE_FD
 * and a descriptor that `DeviceMemory.importFd` takes.
 *
 * @example
 * ```ts
 * using mem = cuda.allocateExportable(1 << 20);
 * mem.buffer.fill32(0x12345678);
 * using exp = mem.exportFd(device);
 * using imported = DeviceMemory.importFd(device, exp.fd, exp.descriptor, { for: buffer });
 * ```
 *
 * @category CUDA
 */
export class CudaMemory extends Resource {
  /** The context it was allocated in. */
  readonly context: CudaContext;
  /** The `CUmemGenericAllocationHandle`. */
  readonly handle: bigint;
  /** Its size: the size asked for, rounded up to the allocation granularity. */
  readonly size: number;
  /** The allocation granularity it was rounded to. */
  readonly granularity: number;
  /** The mapping of the whole allocation in the context. */
  readonly buffer: CudaBuffer;
  #va = 0n;
  #mapped = false;

  /** @internal */
  constructor(context: CudaContext, size: number | bigint) {
    super();
    this.context = context;
    const wanted = bytesArg(size, "size", 1n);
    for (
      const a of [
        "VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED",
        "HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED",
      ] as const
    ) {
      if (!context.attribute(a)) {
        throw new ShareError(
          "HANDLE_TYPE_UNSUPPORTED",
          `${context.label} cannot allocate exportable memory: CU_DEVICE_ATTRIBUTE_${a} is 0`,
          1,
          0,
        );
      }
    }
    using arena = new Arena();
    const prop = encode(CUmemAllocationProp, {
      type: CU_MEM_ALLOCATION_TYPE_PINNED,
      requestedHandleTypes: CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR,
      location: { type: CU_MEM_LOCATION_TYPE_DEVICE, id: context.device.ordinal },
    }, arena);
    const g = out64();
    const h = out64();
    context.run((cu) =>
      context.check(
        cu.cuMemGetAllocationGranularity(g, prop.bytes, CU_MEM_ALLOC_GRANULARITY_MINIMUM),
        "cuMemGetAllocationGranularity",
      )
    );
    const rounded = (wanted + g[0] - 1n) / g[0] * g[0];
    this.granularity = Number(g[0]);
    this.size = Number(rounded);
    context.run((cu) =>
      context.check(cu.cuMemCreate(h, rounded, prop.bytes, 0n), "cuMemCreate", { size: rounded })
    );
    this.handle = h[0];
    this.adopt(context);
    try {
      this.#map();
    } catch (e) {
      this[Symbol.dispose]();
      throw e;
    }
    this.buffer = new CudaBuffer(this, context, this.#va, this.size, false);
  }

  #map(): void {
    const size = BigInt(this.size);
    const va = out64();
    this.context.run((cu) => {
      this.context.check(
        cu.cuMemAddressReserve(va, size, BigInt(this.granularity), 0n, 0n),
        "cuMemAddressReserve",
        { size },
      );
      this.#va = va[0];
      this.context.check(cu.cuMemMap(this.#va, size, 0n, this.handle, 0n), "cuMemMap", { size });
      this.#mapped = true;
      using arena = new Arena();
      const access = encode(CUmemAccessDesc, {
        location: { type: CU_MEM_LOCATION_TYPE_DEVICE, id: this.context.device.ordinal },
        flags: CU_MEM_ACCESS_FLAGS_PROT_READWRITE,
      }, arena);
      this.context.check(cu.cuMemSetAccess(this.#va, size, access.bytes, 1n), "cuMemSetAccess");
    });
  }

  /** `CUDA exportable memory (2097152 bytes)`. */
  get label(): string {
    return `CUDA exportable memory (${this.size} bytes)`;
  }

  /**
   * Exports the memory as a new POSIX fd (`cuMemExportToShareableHandle`), with the descriptor
   * a Vulkan import of it needs on `device` (which must be the same GPU: UUID_MISMATCH
   * otherwise). The descriptor's memory type is `memoryTypeIndex`, or the first DEVICE_LOCAL
   * type that `for` (a buffer or image to import it for) allows. CUDA has no driverUUID: the
   * descriptor carries `device`'s, whose deviceUUID has been checked to be this GPU's.
   */
  exportFd(
    device: Device | PhysicalDevice,
    options: { for?: GpuBuffer | GpuImage; memoryTypeIndex?: number } = {},
  ): MemoryExport {
    this.alive();
    const pd = device instanceof Device ? device.physicalDevice : device;
    if (pd.deviceUUID !== this.context.device.uuid) {
      throw uuidMismatch(
        "the Vulkan device",
        { uuid: pd.deviceUUID, name: pd.name },
        this.context.device,
      );
    }
    const types = pd.memoryTypes;
    const bits = options.for ? options.for.requirements.memoryTypeBits : (1 << types.length) - 1;
    const index = options.memoryTypeIndex
      ?? types.find((t) => (bits & (1 << t.index)) && t.flags.includes("DEVICE_LOCAL"))?.index;
    if (index === undefined || !types[index]) {
      throw new ShareError(
        "NO_MEMORY_TYPE",
        `${pd.name} has no DEVICE_LOCAL memory type among 0x${bits.toString(16)}`,
      );
    }
    const out = outInt();
    out[0] = -1;
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemExportToShareableHandle(
          out,
          this.handle,
          CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR,
          0n,
        ),
        "cuMemExportToShareableHandle",
        { size: this.size },
      )
    );
    if (out[0] < 0) {
      throw new ShareError(
        "BAD_EXPORT",
        `cuMemExportToShareableHandle returned CUDA_SUCCESS with fd ${out[0]}`,
        ">= 0",
        out[0],
      );
    }
    const fd = OwnedFd.received(out[0], `POSIX fd export of ${this.label}`);
    const ids = pd.ids;
    const descriptor: MemoryDescriptor = {
      version: DESCRIPTOR_VERSION,
      handleType: "OPAQUE_FD",
      size: this.size,
      memoryTypeIndex: index,
      memoryProperties: types[index].flags,
      dedicated: null,
      deviceUUID: ids.deviceUUID,
      driverUUID: ids.driverUUID,
      deviceName: `CUDA ${this.context.device.name}`,
    };
    descriptor.fdKind = fdKind(describeFd(fd.number) ?? "?");
    recordExport(fd, descriptor);
    return { fd, descriptor, [Symbol.dispose]: () => fd.close() };
  }

  /** Unmaps, frees the address range, and releases the allocation. */
  protected destroy(): void {
    const size = BigInt(this.size);
    this.context.run((cu) => {
      if (this.#mapped) this.context.check(cu.cuMemUnmap(this.#va, size), "cuMemUnmap");
      if (this.#va) this.context.check(cu.cuMemAddressFree(this.#va, size), "cuMemAddressFree");
      this.context.check(cu.cuMemRelease(this.handle), "cuMemRelease");
    });
  }
}
