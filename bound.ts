/**
 * A buffer or image with its memory, in one call: created, memory allocated for it (by the
 * same rules as {@linkcode DeviceMemory.allocate} with `for`), bound, and disposed together. The
 * memory is `resource.memory`, to map or export.
 *
 * @module
 */
import { GpuBuffer } from "./buffer.ts";
import type { BufferOptions } from "./buffer.ts";
import type { Device } from "./device.ts";
import { GpuImage } from "./image.ts";
import type { ImageOptions } from "./image.ts";
import type { AllocateOptions } from "./memory.ts";
import { DeviceMemory } from "./memory.ts";

/**
 * How the memory of {@linkcode boundBuffer} and {@linkcode boundImage} is allocated.
 *
 * @category Memory
 */
export type BoundMemoryOptions = Omit<AllocateOptions, "for" | "size">;

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
  return bind(GpuBuffer.create(device, buffer), memory);
}

/**
 * An image with memory of its own, bound; disposing the image frees the memory too.
 *
 * @example
 * ```ts
 * using image = boundImage(device, {
 *   width: 64,
 *   height: 64,
 *   external: "OPAQUE_FD",
 *   memory: { exportAs: "OPAQUE_FD" },
 * });
 * ```
 *
 * @category Memory
 */
export function boundImage(
  device: Device,
  options: ImageOptions & { memory?: BoundMemoryOptions },
): GpuImage {
  const { memory, ...image } = options;
  return bind(GpuImage.create(device, image), memory);
}

function bind<T extends GpuBuffer | GpuImage>(resource: T, options: BoundMemoryOptions = {}): T {
  try {
    resource.own(DeviceMemory.allocate(resource.device, { ...options, for: resource }));
  } catch (e) {
    resource[Symbol.dispose]();
    throw e;
  }
  return resource;
}
