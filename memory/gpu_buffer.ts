/**
 * `GpuBuffer`: a VkBuffer, optionally declared external (`VkExternalMemoryBufferCreateInfo`) so
 * that it can be bound to exported or imported memory.
 *
 * @module
 */
import {
  BufferCreateFlag,
  type BufferCreateFlagName,
  BufferUsage,
  type BufferUsageName,
  flagMask,
  flagNames,
  handleTypeMask,
  MemoryHandleType,
  type MemoryHandleTypeName,
  usageMask,
} from "../core/enums.ts";
import { check } from "../core/errors.ts";
import { out64, positiveSize } from "../core/out_params.ts";
import { Arena, encode, link } from "../ffi/layout.ts";
import { VkBufferCreateInfo, VkExternalMemoryBufferCreateInfo } from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import type { DedicatedTarget } from "../share/descriptor.ts";
import { checkRange, checkRangeAlignment, type MemoryRange } from "../share/range.ts";
import type { Device } from "../vulkan/device.ts";
import {
  Bindable,
  type BoundMemoryOptions,
  type MemoryRequirements,
  queryRequirements,
  requireDeclarable,
  withOwnMemory,
} from "./bindable.ts";
import type { DeviceMemory } from "./device_memory.ts";

/**
 * Options of {@linkcode GpuBuffer.create}.
 *
 * @example
 * ```ts
 * GpuBuffer.create(device, { size: 1 << 20, usage: ["STORAGE_BUFFER", "TRANSFER_DST"], external: "OPAQUE_FD" });
 * ```
 *
 * @category Memory
 */
export interface BufferOptions {
  /** Size in bytes (a positive integer). */
  size: number | bigint;
  /** Usage (default: transfer source and destination). */
  usage?: readonly BufferUsageName[] | number;
  /** Create flags (default none). */
  flags?: readonly BufferCreateFlagName[] | number;
  /** External memory handle types it may be bound to (default none: a plain buffer). */
  external?: readonly MemoryHandleTypeName[] | MemoryHandleTypeName;
}

/**
 * A buffer. Dispose it (or its device) to destroy it.
 *
 * @example
 * ```ts
 * using buffer = GpuBuffer.create(device, { size: 65536, external: "OPAQUE_FD" });
 * buffer.requirements.memoryTypeBits;
 * ```
 *
 * @category Memory
 */
export class GpuBuffer extends Bindable {
  /** Its size in bytes. */
  readonly size: number;
  /** Its usage flags. */
  readonly usage: number;
  /** Its create flags. */
  readonly flags: number;
  /** `Buffer 0x... (65536 bytes) of Device "..."`, for messages. */
  readonly label: string;
  /** The bind command, for errors. */
  protected readonly bindCommand = "vkBindBufferMemory";

  /** @ignore Made by the class's own static methods. */
  private constructor(
    device: Device,
    handle: bigint,
    size: bigint,
    usage: number,
    flags: number,
    external: number,
    req: MemoryRequirements,
  ) {
    super(device, handle, external, req);
    this.size = Number(size);
    this.usage = usage;
    this.flags = flags;
    this.label = `Buffer 0x${handle.toString(16)} (${size} bytes) of ${device.label}`;
  }

  /** Creates a buffer on `device`. */
  static create(device: Device, options: BufferOptions): GpuBuffer {
    const size = positiveSize(options?.size, "size");
    const usage = usageMask(
      BufferUsage,
      options.usage ?? ["TRANSFER_SRC", "TRANSFER_DST"],
      "usage",
    );
    const flags = flagMask(BufferCreateFlag, options.flags ?? [], "flags");
    const external = handleTypeMask(options.external, "external");
    const d = device.live;
    requireDeclarable(device, "a buffer", external);
    using arena = new Arena();
    const info = encode(VkBufferCreateInfo, {
      pNext: external ? [link(VkExternalMemoryBufferCreateInfo, { handleTypes: external })] : [],
      flags,
      size,
      usage,
      sharingMode: 0, // VK_SHARING_MODE_EXCLUSIVE
    }, arena);
    const out = out64();
    check(vk().vkCreateBuffer(d, info.bytes, null, out), "vkCreateBuffer", {
      device: device.physicalDevice.name,
      size,
      usage: flagNames(BufferUsage, usage),
      external: flagNames(MemoryHandleType, external),
    });
    const handle = out[0];
    try {
      const req = queryRequirements(d, "buffer", handle);
      return new GpuBuffer(device, handle, size, usage, flags, external, req);
    } catch (e) {
      vk().vkDestroyBuffer(d, handle, null);
      throw e;
    }
  }

  /** The usage flags, by name. */
  get usageNames(): string[] {
    return flagNames(BufferUsage, this.usage);
  }

  /** What an importer compares with when this buffer is the target of dedicated memory. */
  describe(): DedicatedTarget {
    return {
      kind: "buffer",
      size: this.size,
      usage: this.usage,
      flags: this.flags,
      externalHandleTypes: this.externalHandleTypes,
    };
  }

  /** Binds the handle to `memory` at `offset`; returns the VkResult. */
  protected bindCall(handle: bigint, memory: bigint, offset: bigint): number {
    return vk().vkBindBufferMemory(this.device.live, handle, memory, offset);
  }

  /** Destroys the VkBuffer. */
  protected destroy(): void {
    vk().vkDestroyBuffer(this.device.handle, this.handle, null);
  }
}

/**
 * A buffer over `range` of `memory` (an offered range, say: a buffer suballocated in a larger
 * export): `range.size` bytes, declared external as the memory is, bound at `range.offset`.
 * ShareError RANGE_OUT_OF_BOUNDS for a range outside the memory, RANGE_MISALIGNED for an offset
 * the buffer cannot be bound at (its memory requirements' alignment); the buffer is not kept
 * then. Disposing the buffer leaves the memory alone.
 *
 * @example
 * ```ts
 * using offer = await receiveOffer(socket, { device });
 * using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor);
 * using buffer = bufferInRange(memory, offer.range!);
 * ```
 *
 * @category Memory
 */
export function bufferInRange(
  memory: DeviceMemory,
  range: MemoryRange,
  options?: Omit<BufferOptions, "size" | "external">,
): GpuBuffer {
  const r = checkRange(range, memory.size, memory.label);
  const types = memory.importedAs ?? memory.exportHandleTypes;
  const external = flagNames(MemoryHandleType, types) as MemoryHandleTypeName[];
  const buffer = GpuBuffer.create(memory.device, { ...options, size: r.size, external });
  try {
    checkRangeAlignment(r, buffer.requirements.alignment, buffer.label);
    buffer.bind(memory, r.offset);
    return buffer;
  } catch (e) {
    buffer[Symbol.dispose]();
    throw e;
  }
}

/**
 * A buffer with memory of its own, bound; disposing the buffer frees the memory too.
 *
 * @example
 * ```ts
 * using buffer = boundBuffer(device, {
 *   size: 65536,
 *   external: "OPAQUE_FD",
 *   memory: { exportAs: "OPAQUE_FD", properties: ["HOST_VISIBLE", "HOST_COHERENT"] },
 * });
 * buffer.memory!.map().fill(7);
 * using exp = buffer.memory!.exportFd();
 * ```
 *
 * @category Memory
 */
export function boundBuffer(
  device: Device,
  options: BufferOptions & { memory?: BoundMemoryOptions },
): GpuBuffer {
  const { memory, ...buffer } = options;
  return withOwnMemory(GpuBuffer.create(device, buffer), memory);
}
