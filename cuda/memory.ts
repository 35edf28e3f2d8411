/**
 * `CudaMemory`: CUDA memory made exportable as a POSIX fd (`cuMemCreate`), mapped in its context
 * and exported (through the one export epilogue of share/) as an OPAQUE_FD Vulkan imports.
 *
 * @module
 */
import { ShareError } from "../core/errors.ts";
import { out64, outInt } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import {
  CU_MEM_ACCESS_FLAGS_PROT_READWRITE,
  CU_MEM_ALLOC_GRANULARITY_MINIMUM,
  CU_MEM_ALLOCATION_TYPE_PINNED,
  CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR,
  CU_MEM_LOCATION_TYPE_DEVICE,
  CUmemAccessDesc,
  CUmemAllocationProp,
} from "../ffi/cuda.ts";
import { Arena, encode } from "../ffi/layout.ts";
import type { MemoryTarget } from "../memory/device_memory.ts";
import { DESCRIPTOR_VERSION, type MemoryDescriptor } from "../share/descriptor.ts";
import type { MemoryExport } from "../share/execute.ts";
import { finishExport } from "../share/execute.ts";
import { Device } from "../vulkan/device.ts";
import type { PhysicalDevice } from "../vulkan/instance.ts";
import { CudaBuffer } from "./buffer.ts";
import { bytesArg, type CudaScope, uuidMismatch } from "./driver.ts";

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
  readonly context: CudaScope;
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

  /** @ignore @internal */
  constructor(context: CudaScope, size: number | bigint) {
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
    options?: { for?: MemoryTarget; memoryTypeIndex?: number },
  ): MemoryExport {
    options ??= {};
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
    const ids = pd.ids;
    return finishExport(out[0], {
      call: "cuMemExportToShareableHandle",
      success: "CUDA_SUCCESS",
      label: this.label,
      handleType: "OPAQUE_FD",
      describe: (fdKind): MemoryDescriptor => ({
        version: DESCRIPTOR_VERSION,
        handleType: "OPAQUE_FD",
        size: this.size,
        memoryTypeIndex: index,
        memoryProperties: types[index].flags,
        dedicated: null,
        deviceUUID: ids.deviceUUID,
        driverUUID: ids.driverUUID,
        deviceName: `CUDA ${this.context.device.name}`,
        ...(fdKind ? { fdKind } : {}),
      }),
    }) as MemoryExport;
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
