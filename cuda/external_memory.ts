/**
 * `CudaExternalMemory`: Vulkan memory imported into CUDA, mapped as `CudaBuffer`s.
 *
 * @module
 */
import { ShareError } from "../core/errors.ts";
import { out64 } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import { CUDA_EXTERNAL_MEMORY_BUFFER_DESC } from "../ffi/cuda.ts";
import { Arena, encode } from "../ffi/layout.ts";
import type { MemoryDescriptor } from "../share/descriptor.ts";
import { CudaBuffer } from "./buffer.ts";
import { bytesArg, type CudaScope } from "./driver.ts";

/**
 * Vulkan memory imported into CUDA (`CUexternalMemory`). Map a range of it with
 * {@linkcode CudaExternalMemory.mapBuffer}.
 *
 * @example
 * ```ts
 * using imported = cuda.importMemory(exp.fd, exp.descriptor);
 * using buf = imported.mapBuffer({ size: 4096 });
 * ```
 *
 * @category CUDA
 */
export class CudaExternalMemory extends Resource {
  /** The context it was imported into. */
  readonly context: CudaScope;
  /** The `CUexternalMemory` handle. */
  readonly handle: bigint;
  /** The size imported (the export's `allocationSize`). */
  readonly size: number;
  /** Whether it was imported as a dedicated allocation. */
  readonly dedicated: boolean;
  /** The exporter's descriptor. */
  readonly descriptor: MemoryDescriptor;

  /** @ignore @internal */
  constructor(context: CudaScope, handle: bigint, descriptor: MemoryDescriptor) {
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
  mapBuffer(options?: { offset?: number | bigint; size?: number | bigint }): CudaBuffer {
    options ??= {};
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
