/**
 * `GpuImage`: a VkImage, optionally declared external (`VkExternalMemoryImageCreateInfo`) so that
 * it can be bound to exported or imported memory.
 *
 * @module
 */
import {
  enumValue,
  type ExternalMemoryHandleTypeNVName,
  flagMask,
  flagNames,
  Format,
  FORMAT_PLANES,
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
import { check, MissingExtensionError } from "../core/errors.ts";
import { out64 } from "../core/out_params.ts";
import { Arena, encode, link } from "../ffi/layout.ts";
import { VK_EXT_image_drm_format_modifier } from "../ffi/vk_commands.ts";
import { VkExternalMemoryImageCreateInfoNV } from "../ffi/vk_platform_structs.ts";
import {
  VkExternalMemoryImageCreateInfo,
  VkImageCreateInfo,
  VkImageDrmFormatModifierExplicitCreateInfoEXT,
  VkImageDrmFormatModifierListCreateInfoEXT,
  VkImageDrmFormatModifierPropertiesEXT,
  VkImageSubresource,
  VkSubresourceLayout,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { drmFormatModifiers, modifierHex } from "../share/capabilities.ts";
import type { DedicatedTarget, PlaneLayout } from "../share/descriptor.ts";
import type { Device } from "../vulkan/device.ts";
import {
  Bindable,
  type BoundMemoryOptions,
  type MemoryRequirements,
  queryRequirements,
  withOwnMemory,
} from "./bindable.ts";
import { nvHandleTypeMask, requireNV } from "./nv.ts";

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
  /**
   * DRM format modifiers it may take (`drmFormatModifiers(pd, format)` lists them): the driver
   * picks one, and the tiling is DRM_FORMAT_MODIFIER. Needs VK_EXT_image_drm_format_modifier.
   */
  drmFormatModifiers?: readonly (bigint | string)[];
  /**
   * One modifier and the plane layouts to use with it, exactly (what an importer recreates an
   * exported image with: {@linkcode GpuImage.fromTarget}).
   */
  drmFormatModifier?: { modifier: bigint | string; planeLayouts: readonly PlaneLayout[] };
  /**
   * VK_NV_external_memory's handle types it may be bound to (`VkExternalMemoryImageCreateInfoNV`:
   * what older NVIDIA drivers offer on Windows; `externalImageFormatPropertiesNV` says which).
   * The device must have VK_NV_external_memory enabled; not with `external`.
   */
  externalNV?: readonly ExternalMemoryHandleTypeNVName[] | ExternalMemoryHandleTypeNVName;
}

const DRM_EXTENSION = "VK_EXT_image_drm_format_modifier";
const DRM_TILING = 1000158000;

function modifierValue(m: bigint | string, what: string): bigint {
  try {
    const v = typeof m === "bigint" ? m : BigInt(m);
    if (v >= 0n && v < 1n << 64n) return v;
  } catch { /* not a number: below */ }
  throw new RangeError(`${what}: expected a 64-bit modifier (bigint or "0x..."), got ${String(m)}`);
}

/** The plane layouts of `handle` (LINEAR and DRM_FORMAT_MODIFIER images), one per memory plane. */
function planeLayoutsOf(device: Device, handle: bigint, aspects: readonly number[]): PlaneLayout[] {
  using arena = new Arena();
  return aspects.map((aspectMask) => {
    const sub = encode(VkImageSubresource, { aspectMask, mipLevel: 0, arrayLayer: 0 }, arena);
    const out = encode(VkSubresourceLayout, {}, arena);
    vk().vkGetImageSubresourceLayout(device.live, handle, sub.bytes, out.bytes);
    const l = out.decode();
    return {
      offset: Number(l.offset),
      size: Number(l.size),
      rowPitch: Number(l.rowPitch),
      arrayPitch: Number(l.arrayPitch),
      depthPitch: Number(l.depthPitch),
    };
  });
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

  /**
   * Creates an image on `device`. With `drmFormatModifiers` or `drmFormatModifier`, its tiling is
   * DRM_FORMAT_MODIFIER (a MissingExtensionError where the device lacks
   * VK_EXT_image_drm_format_modifier), and it records its modifier and where each memory plane
   * lies (`info.drmFormatModifier`, `info.planeLayouts`): an export's descriptor carries them,
   * and an importer's image must have the same.
   */
  static create(device: Device, options: ImageOptions): GpuImage {
    const formatName = options?.format ?? "R8G8B8A8_UNORM";
    const list = options?.drmFormatModifiers;
    const explicit = options?.drmFormatModifier;
    const drm = list !== undefined || explicit !== undefined;
    if (list !== undefined && explicit !== undefined) {
      throw new TypeError("drmFormatModifiers and drmFormatModifier: give one, not both");
    }
    if (list !== undefined && (!Array.isArray(list) || list.length === 0)) {
      throw new RangeError("drmFormatModifiers: expected a non-empty list of modifiers");
    }
    if (drm && !device.extensions.includes(DRM_EXTENSION)) {
      throw new MissingExtensionError(
        DRM_EXTENSION,
        device.physicalDevice.name,
        device.physicalDevice.hasExtension(DRM_EXTENSION) ? "enabled" : "offered",
        "drmFormatModifiers(pd, format) says which modifiers a device offers",
      );
    }
    const nvMask = nvHandleTypeMask(options?.externalNV, "externalNV");
    if (nvMask) {
      if (options.external !== undefined) {
        throw new TypeError("external and externalNV: give one (the spec allows not both)");
      }
      requireNV(device, "externalNV");
    }
    const modifiers = (list ?? []).map((m, i) => modifierValue(m, `drmFormatModifiers[${i}]`));
    const explicitModifier = explicit
      ? modifierValue(explicit.modifier, "drmFormatModifier.modifier")
      : null;
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
      tiling: drm ? DRM_TILING : enumValue(ImageTiling, options.tiling ?? "OPTIMAL", "tiling"),
      usage: flagMask(ImageUsage, options.usage ?? ["TRANSFER_SRC", "TRANSFER_DST"], "usage"),
      flags: flagMask(ImageCreateFlag, options.flags ?? [], "flags"),
      externalHandleTypes: handleTypeMask(options.external, "external"),
      ...(nvMask ? { externalHandleTypesNV: nvMask } : {}),
    };
    const d = device.live;
    using arena = new Arena();
    const ext = info.externalHandleTypes;
    const ci = encode(VkImageCreateInfo, {
      pNext: [
        ...(ext ? [link(VkExternalMemoryImageCreateInfo, { handleTypes: ext })] : []),
        ...(nvMask ? [link(VkExternalMemoryImageCreateInfoNV, { handleTypes: nvMask })] : []),
        ...(list
          ? [link(VkImageDrmFormatModifierListCreateInfoEXT, { pDrmFormatModifiers: modifiers })]
          : []),
        ...(explicit
          ? [link(VkImageDrmFormatModifierExplicitCreateInfoEXT, {
            drmFormatModifier: explicitModifier!,
            // The spec's rules for the create info (VUIDs 02267-02269): size 0, and no array or
            // depth pitch for one layer or one slice. The descriptor keeps what the driver said.
            pPlaneLayouts: explicit.planeLayouts.map((l) => ({
              offset: l.offset,
              size: 0,
              rowPitch: l.rowPitch,
              arrayPitch: info.arrayLayers === 1 ? 0 : l.arrayPitch,
              depthPitch: info.extent.depth === 1 ? 0 : l.depthPitch,
            })),
          })]
          : []),
      ],
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
      if (drm) {
        const f = device.extension(VK_EXT_image_drm_format_modifier);
        const props = encode(VkImageDrmFormatModifierPropertiesEXT, {}, arena);
        check(
          f.vkGetImageDrmFormatModifierPropertiesEXT(d, handle, props.bytes),
          "vkGetImageDrmFormatModifierPropertiesEXT",
          { device: device.physicalDevice.name, format: formatName },
        );
        const chosen = props.decode().drmFormatModifier;
        const planes = drmFormatModifiers(device.physicalDevice, formatName as FormatName)
          .find((m) => m.modifier === chosen)?.planeCount ?? 1;
        info.drmFormatModifier = modifierHex(chosen);
        info.planeLayouts = planeLayoutsOf(
          device,
          handle,
          Array.from({ length: planes }, (_, i) => 0x80 << i), // MEMORY_PLANE_i_BIT_EXT
        );
      }
      const req = queryRequirements(d, "image", handle);
      return new GpuImage(device, handle, info, req, formatName);
    } catch (e) {
      vk().vkDestroyImage(d, handle, null);
      throw e;
    }
  }

  /**
   * An image like the one `target` describes (an export's `descriptor.dedicated`): the same
   * format, extent, tiling, usage, flags and external handle types, and for a
   * DRM_FORMAT_MODIFIER image the same modifier and plane layouts, given explicitly. Import the
   * export's memory `for` it.
   *
   * @example
   * ```ts
   * using image = GpuImage.fromTarget(device, offer.memory!.descriptor.dedicated!);
   * using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, { for: image });
   * ```
   */
  static fromTarget(device: Device, target: DedicatedTarget): GpuImage {
    if (target?.kind !== "image") {
      throw new TypeError(
        `fromTarget: expected an image's description, got ${String(target?.kind)}`,
      );
    }
    const name = <T extends Record<string, number>>(table: T, v: number, what: string) => {
      const n = Object.entries(table).find(([, x]) => x === v)?.[0];
      if (n === undefined) {
        throw new RangeError(`fromTarget: ${what} ${v} is not one vkshare names`);
      }
      return n as keyof T & string;
    };
    const drm = target.tiling === DRM_TILING;
    if (drm && (!target.drmFormatModifier || !target.planeLayouts)) {
      throw new RangeError(
        "fromTarget: a DRM_FORMAT_MODIFIER image's description needs drmFormatModifier and planeLayouts",
      );
    }
    return GpuImage.create(device, {
      width: target.extent.width,
      height: target.extent.height,
      depth: target.extent.depth,
      format: name(Format, target.format, "format"),
      type: name(ImageType, target.imageType, "imageType"),
      ...(drm
        ? {
          drmFormatModifier: {
            modifier: target.drmFormatModifier!,
            planeLayouts: target.planeLayouts!,
          },
        }
        : {
          tiling: name(ImageTiling, target.tiling, "tiling") as Exclude<
            ImageTilingName,
            "DRM_FORMAT_MODIFIER"
          >,
        }),
      usage: target.usage,
      flags: target.flags,
      mipLevels: target.mipLevels,
      arrayLayers: target.arrayLayers,
      external: flagNames(MemoryHandleType, target.externalHandleTypes) as MemoryHandleTypeName[],
    });
  }

  /**
   * Where each plane of a LINEAR image lies in its memory now (`vkGetImageSubresourceLayout`,
   * PLANE_i aspects for a multi-plane format), or of a DRM_FORMAT_MODIFIER image (its memory
   * planes). Ask after binding: lavapipe adds a plane's offset only once memory is bound (it
   * answers 0 for every plane before). An OPTIMAL image has no defined layout: a RangeError.
   *
   * @example
   * ```ts
   * const [y, cbcr] = nv12.planeLayouts(); // where NV12's Y and CbCr planes start
   * ```
   */
  planeLayouts(): PlaneLayout[] {
    this.alive();
    if (this.info.tiling === DRM_TILING) {
      const n = this.info.planeLayouts?.length ?? 1;
      return planeLayoutsOf(
        this.device,
        this.handle,
        Array.from({ length: n }, (_, i) => 0x80 << i),
      );
    }
    if (this.info.tiling !== ImageTiling.LINEAR) {
      throw new RangeError(
        `planeLayouts: ${this.label} is not LINEAR: its layout is the driver's own`,
      );
    }
    const name = Object.entries(Format).find(([, v]) => v === this.info.format)?.[0] as FormatName;
    const planes = FORMAT_PLANES[name]?.length ?? 0;
    return planeLayoutsOf(
      this.device,
      this.handle,
      planes
        ? Array.from({ length: planes }, (_, i) => 0x10 << i) // PLANE_i_BIT
        : [this.info.format === Format.D32_SFLOAT ? 0x2 : 0x1],
    );
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
