/**
 * `GpuImage`: a VkImage, optionally declared external (`VkExternalMemoryImageCreateInfo`) so that
 * it can be bound to exported or imported memory.
 *
 * @module
 */
import {
  enumValue,
  flagMask,
  flagNames,
  Format,
  type FormatName,
  handleTypeMask,
  ImageCreateFlag,
  type ImageCreateFlagName,
  ImageTiling,
  type ImageTilingName,
  ImageType,
  type ImageTypeName,
  ImageUsage,
  type ImageUsageName,
  MemoryHandleType,
  type MemoryHandleTypeName,
} from "../core/enums.ts";
import { check } from "../core/errors.ts";
import { out64 } from "../core/out_params.ts";
import { Arena, encode, link } from "../ffi/layout.ts";
import { VkExternalMemoryImageCreateInfo, VkImageCreateInfo } from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import type { DedicatedTarget } from "../share/descriptor.ts";
import type { Device } from "../vulkan/device.ts";
import {
  Bindable,
  type BoundMemoryOptions,
  type MemoryRequirements,
  queryRequirements,
  withOwnMemory,
} from "./bindable.ts";

/**
 * Options of {@linkcode GpuImage.create}.
 *
 * @example
 * ```ts
 * GpuImage.create(device, { width: 256, height: 256, format: "R8G8B8A8_UNORM", external: "OPAQUE_FD" });
 * ```
 *
 * @category Memory
 */
export interface ImageOptions {
  /** Width in texels. */
  width: number;
  /** Height in texels (default 1). */
  height?: number;
  /** Depth (default 1). */
  depth?: number;
  /** Format (default `R8G8B8A8_UNORM`). */
  format?: FormatName;
  /** Image type (default `2D`). */
  type?: ImageTypeName;
  /** Tiling (default `OPTIMAL`). */
  tiling?: Exclude<ImageTilingName, "DRM_FORMAT_MODIFIER">;
  /** Usage (default transfer source and destination). */
  usage?: readonly ImageUsageName[] | number;
  /** Create flags (default none). */
  flags?: readonly ImageCreateFlagName[] | number;
  /** Mip levels (default 1). */
  mipLevels?: number;
  /** Array layers (default 1). */
  arrayLayers?: number;
  /** External memory handle types it may be bound to (default none). */
  external?: readonly MemoryHandleTypeName[] | MemoryHandleTypeName;
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isInteger(v) && v > 0 && v <= 0xffffffff) return v;
  throw new RangeError(`${what}: expected a positive integer, got ${String(v)}`);
}

/**
 * An image (single-sampled). Dispose it (or its device) to destroy it.
 *
 * @example
 * ```ts
 * using image = GpuImage.create(device, { width: 256, height: 256, external: "OPAQUE_FD" });
 * image.requirements.requiresDedicated;
 * ```
 *
 * @category Memory
 */
export class GpuImage extends Bindable {
  /** What it was created with (numeric Vulkan values). */
  readonly info: Extract<DedicatedTarget, { kind: "image" }>;
  /** `Image 0x... (256x256 R8G8B8A8_UNORM) of Device "..."`, for messages. */
  readonly label: string;
  /** The bind command, for errors. */
  protected readonly bindCommand = "vkBindImageMemory";

  private constructor(
    device: Device,
    handle: bigint,
    info: Extract<DedicatedTarget, { kind: "image" }>,
    req: MemoryRequirements,
    formatName: string,
  ) {
    super(device, handle, info.externalHandleTypes, req);
    this.info = info;
    const e = info.extent;
    this.label = `Image 0x${
      handle.toString(16)
    } (${e.width}x${e.height}x${e.depth} ${formatName}) of ${device.label}`;
  }

  /** Creates an image on `device`. */
  static create(device: Device, options: ImageOptions): GpuImage {
    const formatName = options?.format ?? "R8G8B8A8_UNORM";
    const info: Extract<DedicatedTarget, { kind: "image" }> = {
      kind: "image",
      imageType: enumValue(ImageType, options.type ?? "2D", "type"),
      format: enumValue(Format, formatName, "format"),
      extent: {
        width: positiveInt(options.width, "width"),
        height: positiveInt(options.height ?? 1, "height"),
        depth: positiveInt(options.depth ?? 1, "depth"),
      },
      mipLevels: positiveInt(options.mipLevels ?? 1, "mipLevels"),
      arrayLayers: positiveInt(options.arrayLayers ?? 1, "arrayLayers"),
      tiling: enumValue(ImageTiling, options.tiling ?? "OPTIMAL", "tiling"),
      usage: flagMask(ImageUsage, options.usage ?? ["TRANSFER_SRC", "TRANSFER_DST"], "usage"),
      flags: flagMask(ImageCreateFlag, options.flags ?? [], "flags"),
      externalHandleTypes: handleTypeMask(options.external, "external"),
    };
    const d = device.live;
    using arena = new Arena();
    const ext = info.externalHandleTypes;
    const ci = encode(VkImageCreateInfo, {
      pNext: ext ? [link(VkExternalMemoryImageCreateInfo, { handleTypes: ext })] : [],
      flags: info.flags,
      imageType: info.imageType,
      format: info.format,
      extent: info.extent,
      mipLevels: info.mipLevels,
      arrayLayers: info.arrayLayers,
      samples: 1,
      tiling: info.tiling,
      usage: info.usage,
      sharingMode: 0,
      initialLayout: 0, // VK_IMAGE_LAYOUT_UNDEFINED
    }, arena);
    const out = out64();
    check(vk().vkCreateImage(d, ci.bytes, null, out), "vkCreateImage", {
      device: device.physicalDevice.name,
      format: formatName,
      extent: [info.extent.width, info.extent.height, info.extent.depth],
      usage: flagNames(ImageUsage, info.usage),
      external: flagNames(MemoryHandleType, ext),
    });
    const handle = out[0];
    try {
      const req = queryRequirements(d, "image", handle);
      return new GpuImage(device, handle, info, req, formatName);
    } catch (e) {
      vk().vkDestroyImage(d, handle, null);
      throw e;
    }
  }

  /** What an importer compares with when this image is the target of dedicated memory. */
  describe(): DedicatedTarget {
    return structuredClone(this.info);
  }

  /** Binds the handle to `memory` at `offset`; returns the VkResult. */
  protected bindCall(handle: bigint, memory: bigint, offset: bigint): number {
    return vk().vkBindImageMemory(this.device.live, handle, memory, offset);
  }

  /** Destroys the VkImage. */
  protected destroy(): void {
    vk().vkDestroyImage(this.device.handle, this.handle, null);
  }
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
  return withOwnMemory(GpuImage.create(device, image), memory);
}
