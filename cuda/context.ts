/**
 * `CudaContext`: a CUDA device's primary context, matched to a Vulkan device by UUID, and the
 * imports into it (through the one import plan and execution of share/).
 *
 * @module
 */
import { ShareError } from "../core/errors.ts";
import { out64, outInt } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import {
  CU_DEVICE_ATTRIBUTE,
  CU_EXTERNAL_MEMORY_HANDLE_TYPE,
  CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE,
  CUDA_EXTERNAL_MEMORY_DEDICATED,
  CUDA_EXTERNAL_MEMORY_HANDLE_DESC,
  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC,
} from "../ffi/cuda.ts";
import { fastPaths, KeptStruct } from "../ffi/layout.ts";
import type { MemoryDescriptor, SyncDescriptor } from "../share/descriptor.ts";
import { executeImport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import type { ExportKind } from "../share/fd_kind.ts";
import {
  type ImporterFacts,
  knownPlan,
  planImport,
  planOrThrow,
  type PlanResult,
} from "../share/plan.ts";
import { Device } from "../vulkan/device.ts";
import { PhysicalDevice } from "../vulkan/instance.ts";
import {
  type Cu,
  cuCheck,
  type CudaDeviceAttribute,
  type CudaDeviceInfo,
  cudaDevices,
  type CudaLibraryOptions,
  deviceInfo,
  lib,
  uuidMismatch,
} from "./driver.ts";
import { CudaExternalMemory } from "./external_memory.ts";
import { CudaExternalSemaphore } from "./external_semaphore.ts";
import { CudaMemory } from "./memory.ts";
import { CudaStream } from "./stream.ts";

/** What every export CUDA imports is: a /dev/nvidiactl descriptor (NVIDIA's drivers). */
const CUDA_EXPORT_KIND: ExportKind = { kind: "/dev/nvidiactl", mesaDriverId: null };

/**
 * Options of {@linkcode CudaContext.forVulkan} and {@linkcode CudaContext.create}.
 *
 * @example
 * ```ts
 * using cuda = CudaContext.forVulkan(device, { ordinal: 0 });
 * ```
 *
 * @category CUDA
 */
export interface CudaContextOptions extends CudaLibraryOptions {
  /** A CUDA device ordinal: it must be the Vulkan device's GPU (default: the one that is). */
  ordinal?: number;
}

/**
 * What identifies a Vulkan GPU for CUDA: a device, a physical device, or an export's descriptor.
 *
 * @example
 * ```ts
 * CudaContext.forVulkan(exp.descriptor satisfies VulkanIdentity); // the GPU that exported it
 * ```
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
  /** The plan cache's keys of its imports (see knownPlan). */
  readonly #keys = {
    memory: { importer: this, variant: "cuda memory" },
    semaphore: { importer: this, variant: "cuda semaphore" },
  };
  /** cuCtxGetCurrent's out-parameter. */
  readonly #current = out64();
  /** The import calls' out-parameter, read right after the call. */
  readonly #imported = out64();
  /** The import descriptions, encoded once: only the fd, size and flags change per import. */
  #memoryDesc?: KeptStruct<typeof CUDA_EXTERNAL_MEMORY_HANDLE_DESC>;
  #semaphoreDesc?: KeptStruct<typeof CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC>;

  /** @ignore Made by the class's own static methods. */
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
  static forVulkan(target: VulkanIdentity, options?: CudaContextOptions): CudaContext {
    options ??= {};
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
  static create(options?: CudaContextOptions): CudaContext {
    options ??= {};
    const cu = lib(options.path);
    const n = outInt();
    cuCheck(cu, cu.cuDeviceGetCount(n), "cuDeviceGetCount");
    const ordinal = options.ordinal ?? 0;
    if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= n[0]) {
      throw new RangeError(`CUDA device ${ordinal} does not exist (libcuda sees ${n[0]})`);
    }
    return new CudaContext(cu, deviceInfo(cu, ordinal));
  }

  /**
   * @ignore @internal Runs `fn` with this context current on the calling thread. Where no context is
   * current, this one is made current and left so (as the CUDA runtime's `cudaSetDevice` leaves
   * the primary context), so later calls cost one `cuCtxGetCurrent`; where another one is
   * current, this one is pushed for `fn` and popped after.
   */
  run<T>(fn: (cu: Cu) => T): T {
    this.alive();
    const cu = this.#cu, current = this.#current;
    if (cu.cuCtxGetCurrent(current) === 0) {
      if (current[0] === this.#ctx) return fn(cu);
      if (current[0] === 0n && cu.cuCtxSetCurrent(this.#ctx) === 0) return fn(cu);
    }
    cuCheck(cu, cu.cuCtxPushCurrent_v2(this.#ctx), "cuCtxPushCurrent_v2", { device: this.label });
    try {
      return fn(cu);
    } finally {
      cu.cuCtxPopCurrent_v2(current);
    }
  }

  /** @ignore @internal Throws a CudaError for `r` unless it is CUDA_SUCCESS. */
  check(r: number, call: string, details?: Record<string, unknown>): void {
    details ??= {};
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
    const plan = knownPlan(this.#keys.memory, fd, descriptor)
      ?? planOrThrow(this.#plan("memory", fd, descriptor, false));
    const d = plan.descriptor as MemoryDescriptor;
    const handle = this.#imported;
    if (!this.#memoryDesc || !fastPaths.enabled) {
      this.#memoryDesc = new KeptStruct(CUDA_EXTERNAL_MEMORY_HANDLE_DESC, {
        type: CU_EXTERNAL_MEMORY_HANDLE_TYPE.OPAQUE_FD,
        handle: -1,
        size: 0n,
        flags: 0,
      });
    }
    const desc = this.#memoryDesc;
    this.run((cu) =>
      executeImport(fd, plan, () => this.label, (dup) => {
        desc.setI32("handle", dup);
        desc.setU64("size", BigInt(d.size));
        desc.setI32("flags", d.dedicated ? CUDA_EXTERNAL_MEMORY_DEDICATED : 0);
        const r = cu.cuImportExternalMemory(handle, desc.bytes);
        if (r !== 0) {
          this.check(r, "cuImportExternalMemory", {
            fd: plan.fd,
            size: d.size,
            dedicated: d.dedicated !== null,
          });
        }
      })
    );
    return new CudaExternalMemory(this, handle[0], d);
  }

  /**
   * Plans an import of `descriptor` (memory, or a semaphore) into this CUDA device without
   * importing: every rule the import would break, or its plan. With `fd` null, the fd's own rules
   * are not judged (what `deno task doctor --explain FILE --cuda N` asks).
   *
   * @example
   * ```ts
   * const r = cuda.planImport("memory", null, offer.memory!.descriptor);
   * if (!r.ok) console.log(r.broken.map((b) => b.rule));
   * ```
   */
  planImport(
    object: "memory" | "semaphore",
    fd: OwnedFd | number | null,
    descriptor: unknown,
  ): PlanResult {
    this.alive();
    return this.#plan(object, fd, descriptor, fd === null);
  }

  /** The one import plan of this CUDA device (`withoutFd`: the fd's own rules not judged). */
  #plan(
    object: "memory" | "semaphore",
    fd: OwnedFd | number | null,
    descriptor: unknown,
    withoutFd: boolean,
  ): PlanResult {
    return planImport({
      object,
      importer: this.#importer(),
      fd,
      descriptor,
      withoutFd,
      // Nothing but the fd can change the plan of an import into this context (no target, no
      // options): an accepted one is remembered (knownPlan).
      cacheAs: this.#keys[object],
    });
  }

  /** What the import plan needs to know of this CUDA device as an importer. */
  #importer(): ImporterFacts {
    return {
      api: "cuda",
      name: this.label,
      deviceUUID: this.device.uuid,
      driverUUID: null,
      // CUDA imports what NVIDIA's drivers export (Vulkan's, and CUDA's own), each a descriptor
      // of /dev/nvidiactl: a received fd of another kind (a pipe, socket, eventfd, file, memfd)
      // is refused before cuImportExternal* reads it (the Python peer checks the same).
      exportKind: () => CUDA_EXPORT_KIND,
      capability: (_t, d) =>
        "object" in d && d.semaphoreType === "timeline"
          && !this.attribute("TIMELINE_SEMAPHORE_INTEROP_SUPPORTED")
          ? {
            importable: false,
            unsupported: "CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED is 0",
          }
          : { importable: true },
    };
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
    const plan = knownPlan(this.#keys.semaphore, fd, descriptor)
      ?? planOrThrow(this.#plan("semaphore", fd, descriptor, false));
    const d = plan.descriptor as SyncDescriptor;
    const timeline = d.semaphoreType === "timeline";
    const handle = this.#imported;
    const type = timeline
      ? CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.TIMELINE_SEMAPHORE_FD
      : CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.OPAQUE_FD;
    if (!this.#semaphoreDesc || !fastPaths.enabled) {
      this.#semaphoreDesc = new KeptStruct(CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC, {
        type,
        handle: -1,
        flags: 0,
      });
    }
    const desc = this.#semaphoreDesc;
    this.run((cu) =>
      executeImport(fd, plan, () => this.label, (dup) => {
        desc.setI32("type", type);
        desc.setI32("handle", dup);
        const r = cu.cuImportExternalSemaphore(handle, desc.bytes);
        if (r !== 0) {
          this.check(r, "cuImportExternalSemaphore", {
            fd: plan.fd,
            semaphoreType: d.semaphoreType,
          });
        }
      })
    );
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
    // Not left current on this thread once released (run() may have made it current).
    if (cu.cuCtxGetCurrent(this.#current) === 0 && this.#current[0] === this.#ctx) {
      cu.cuCtxSetCurrent(0n);
    }
    cuCheck(cu, cu.cuDevicePrimaryCtxRelease_v2(this.device.ordinal), "cuDevicePrimaryCtxRelease");
    this.#ctx = 0n;
  }
}
