/**
 * `GpuImage`: a VkImage, optionally declared external (`VkExternalMemoryImageCreateInfo`) so that
 * it can be bound to exported or imported memory.
 *
 * @module
 */
import {
  enumName,
  enumValue,
  type ExternalMemoryHandleTypeNVName,
  flagMask,
  flagNames,
  Format,
  FORMAT_PLANES,
  type FormatName,
  formatNameOf,
  handleTypeMask,
  ImageCreateFlag,
  type ImageCreateFlagName,
  type ImageLayoutName,
  ImageTiling,
  type ImageTilingName,
  ImageType,
  type ImageTypeName,
  ImageUsage,
  type ImageUsageName,
  MemoryHandleType,
  type MemoryHandleTypeName,
  usageMask,
} from "../core/enums.ts";
import { check, DisposedError, MissingExtensionError, ShareError } from "../core/errors.ts";
import { out64 } from "../core/out_params.ts";
import { Arena, encode, encodeArray, link } from "../ffi/layout.ts";
import { VK_EXT_image_drm_format_modifier } from "../ffi/vk_commands.ts";
import { VkExternalMemoryImageCreateInfoNV } from "../ffi/vk_platform_structs.ts";
import {
  VkBindImageMemoryInfo,
  VkBindImagePlaneMemoryInfo,
  VkExternalMemoryImageCreateInfo,
  VkImageCreateInfo,
  VkImageDrmFormatModifierExplicitCreateInfoEXT,
  VkImageDrmFormatModifierListCreateInfoEXT,
  VkImageDrmFormatModifierPropertiesEXT,
  VkImageSubresource,
  VkSubresourceLayout,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import {
  drmFormatModifiers,
  formatFeatures,
  imageLimits,
  modifierHex,
} from "../share/capabilities.ts";
import {
  type DedicatedTarget,
  parseDedicatedTarget,
  type PlaneLayout,
} from "../share/descriptor.ts";
import { type ImageDescription, type ImageFacts, planImage } from "../share/image_plan.ts";
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

/** An image's DRM format modifiers as asked: a list to choose from, or one with its planes. */
interface Modifiers {
  drm: boolean;
  list: bigint[];
  explicit: { modifier: bigint; planeLayouts: readonly PlaneLayout[] } | null;
}

/** `options`' modifiers, checked (one form, a non-empty list, the device's extension). */
function modifiersOf(device: Device, options: ImageOptions): Modifiers {
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
  return {
    drm,
    list: (list ?? []).map((m, i) => modifierValue(m, `drmFormatModifiers[${i}]`)),
    explicit: explicit
      ? {
        modifier: modifierValue(explicit.modifier, "drmFormatModifier.modifier"),
        planeLayouts: explicit.planeLayouts,
      }
      : null,
  };
}

/** The image `options` ask for, as a descriptor's dedicated target describes one. */
function describeImage(
  options: ImageOptions,
  formatName: FormatName,
  drm: boolean,
  nvMask: number,
): Extract<DedicatedTarget, { kind: "image" }> {
  return {
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
    usage: usageMask(ImageUsage, options.usage ?? ["TRANSFER_SRC", "TRANSFER_DST"], "usage"),
    flags: flagMask(ImageCreateFlag, options.flags ?? [], "flags"),
    externalHandleTypes: handleTypeMask(options.external, "external"),
    ...(nvMask ? { externalHandleTypesNV: nvMask } : {}),
  };
}

/** The VkImageCreateInfo of `info`, with its external and modifier structs chained. */
function imageCreateInfo(
  info: Extract<DedicatedTarget, { kind: "image" }>,
  nvMask: number,
  mods: Modifiers,
  arena: Arena,
) {
  const ext = info.externalHandleTypes;
  const explicit = mods.explicit;
  return encode(VkImageCreateInfo, {
    pNext: [
      ...(ext ? [link(VkExternalMemoryImageCreateInfo, { handleTypes: ext })] : []),
      ...(nvMask ? [link(VkExternalMemoryImageCreateInfoNV, { handleTypes: nvMask })] : []),
      ...(mods.list.length
        ? [link(VkImageDrmFormatModifierListCreateInfoEXT, { pDrmFormatModifiers: mods.list })]
        : []),
      ...(explicit
        ? [link(VkImageDrmFormatModifierExplicitCreateInfoEXT, {
          drmFormatModifier: explicit.modifier,
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
}

/** A DRM_FORMAT_MODIFIER image's modifier (the driver's choice) and plane layouts, in `info`. */
function recordModifier(
  device: Device,
  handle: bigint,
  info: Extract<DedicatedTarget, { kind: "image" }>,
  formatName: FormatName,
  arena: Arena,
): void {
  const f = device.extension(VK_EXT_image_drm_format_modifier);
  const props = encode(VkImageDrmFormatModifierPropertiesEXT, {}, arena);
  check(
    f.vkGetImageDrmFormatModifierPropertiesEXT(device.live, handle, props.bytes),
    "vkGetImageDrmFormatModifierPropertiesEXT",
    { device: device.physicalDevice.name, format: formatName },
  );
  const chosen = props.decode().drmFormatModifier;
  const planes = drmFormatModifiers(device.physicalDevice, formatName)
    .find((m) => m.modifier === chosen)?.planeCount ?? 1;
  info.drmFormatModifier = modifierHex(chosen);
  info.planeLayouts = planeLayoutsOf(
    device,
    handle,
    Array.from({ length: planes }, (_, i) => 0x80 << i), // MEMORY_PLANE_i_BIT_EXT
  );
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

/**
 * Plans the image `info` describes on `device` before `vkCreateImage` (share/image_plan.ts): a
 * ShareError IMAGE_TYPE, IMAGE_LIMITS or PLANE_LAYOUT names the first rule it breaks. With a
 * list of modifiers, the limits are those of the first one that supports the image (the driver
 * picks among them); with one modifier, its own, and its plane count for the layouts.
 */
function checkImagePlan(
  device: Device,
  format: FormatName,
  info: ImageDescription,
  modifiers: readonly bigint[],
  explicit: { modifier: bigint; planeLayouts: readonly PlaneLayout[] } | undefined,
): void {
  const pd = device.physicalDevice;
  const values = {
    format: info.format,
    type: info.imageType,
    tiling: info.tiling,
    usage: info.usage,
    flags: info.flags,
    handleTypes: info.externalHandleTypes,
  };
  const candidates: (bigint | null)[] = explicit
    ? [explicit.modifier]
    : modifiers.length
    ? [...modifiers]
    : [null];
  let limits: ImageFacts["limits"] = { unsupported: "no modifier supports it" };
  for (const modifier of candidates) {
    limits = imageLimits(pd, { ...values, modifier });
    if (!("unsupported" in limits)) break;
  }
  const description: ImageDescription = explicit
    ? {
      ...info,
      drmFormatModifier: modifierHex(explicit.modifier),
      planeLayouts: [...explicit.planeLayouts],
    }
    : info;
  const facts: ImageFacts = {
    device: pd.name,
    limits,
    ...(explicit
      ? {
        modifierPlanes: drmFormatModifiers(pd, format).find((m) => m.modifier === explicit.modifier)
          ?.planeCount ?? null,
      }
      : {}),
  };
  const broken = planImage(facts, description);
  if (broken.length) {
    const [first, ...rest] = broken;
    // Another break of the first's rule says what (an odd height beside an odd width).
    const others = rest.map((b) => b.rule === first.rule ? `${b.rule}: ${b.message}` : b.rule);
    const also = rest.length ? ` (it also breaks: ${[...new Set(others)].join("; ")})` : "";
    throw new ShareError(first.rule, `${first.message}${also}`, first.expected, first.actual);
  }
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

  /** A disjoint image's planes, each bound to memory of its own (empty otherwise). */
  readonly planes: readonly ImagePlane[];

  /**
   * The layout its last recorded barrier (`Recorder.imageBarrier`, `acquireImage`,
   * `releaseImage`, and `Transfer`'s) leaves it in on this device: `UNDEFINED` for a new image
   * (an image made for imported memory too: acquire it, or the first transition may discard its
   * contents), null once released to another device or API. `Transfer.readImage` starts from it.
   */
  layout: ImageLayoutName | null = "UNDEFINED";

  /** @ignore Made by the class's own static methods. */
  private constructor(
    device: Device,
    handle: bigint,
    info: Extract<DedicatedTarget, { kind: "image" }>,
    req: MemoryRequirements,
    formatName: string,
    planes: readonly MemoryRequirements[] = [],
  ) {
    super(device, handle, info.externalHandleTypes, req);
    this.info = info;
    const e = info.extent;
    this.label = `Image 0x${handle.toString(16)} (${e.width}x${e.height}x${e.depth} ${formatName}${
      planes.length ? ", disjoint" : ""
    }) of ${device.label}`;
    this.planes = planes.map((r, i) => new ImagePlane(this, i, r));
  }

  /**
   * Plane `index` of a disjoint image: the target to allocate or import its memory `for`
   * (`DeviceMemory.allocate(device, { for: image.plane(0), exportAs: "OPAQUE_FD" })`). A
   * RangeError for an image that is not disjoint, or an index past its planes.
   */
  plane(index: number): ImagePlane {
    const p = this.planes[index];
    if (!Number.isInteger(index) || p === undefined) {
      throw new RangeError(
        this.planes.length
          ? `plane: index ${index} is out of range (0..${this.planes.length - 1})`
          : `plane: ${this.label} is not DISJOINT: its memory is bound as a whole`,
      );
    }
    return p;
  }

  /**
   * The memory it is bound to, or null; for a disjoint image, plane 0's once every plane is bound
   * (null until then).
   */
  override get memory(): DeviceMemory | null {
    if (!this.planes.length) return super.memory;
    return this.planes.every((p) => p.memory !== null) ? this.planes[0].memory : null;
  }

  /** The handle, after checking that it and its memory (every plane's) are alive. */
  override get live(): bigint {
    const h = super.live;
    for (const p of this.planes) p.assertPlaneMemory();
    return h;
  }

  /**
   * @ignore @internal Binds plane `index` to `memory` at `offset` once every other plane has its memory
   * (planes bound before were only recorded: their `memory`), all in one `vkBindImageMemory2`
   * (VkBindImagePlaneMemoryInfo, PLANE_i_BIT each). Returns the VkResult (VK_SUCCESS while
   * planes are still missing). Should that call fail (the driver out of memory), the earlier
   * planes stay recorded as bound: dispose the image and make another.
   */
  bindPlanes(index: number, memory: bigint, offset: bigint): number {
    const given = this.planes.map((p, i) =>
      i === index
        ? { memory, offset }
        : p.memory && { memory: p.memory.handle, offset: p.memoryOffset }
    );
    if (given.some((g) => !g)) return 0;
    const bind2 = vk().vkBindImageMemory2;
    if (!bind2) {
      throw new MissingExtensionError("vkBindImageMemory2", "libvulkan", "offered");
    }
    using arena = new Arena();
    const infos = encodeArray(
      VkBindImageMemoryInfo,
      given.map((g, i) => ({
        pNext: [link(VkBindImagePlaneMemoryInfo, { planeAspect: 0x10 << i })],
        image: this.handle,
        memory: g!.memory,
        memoryOffset: g!.offset,
      })),
      arena,
    );
    const bytes = infos.bytes.subarray(infos.offset, infos.offset + infos.size);
    return bind2(this.device.live, this.planes.length, bytes);
  }

  /** A disjoint image's memory is per plane: why it is not a target as a whole. */
  get boundPerPlane(): string | undefined {
    return this.planes.length
      ? `${this.label} is DISJOINT: allocate or import the memory of each plane for image.plane(i)`
      : undefined;
  }

  /** A disjoint image has no dedicated allocation (its planes have memory of their own). */
  get noDedicated(): string | undefined {
    return this.boundPerPlane;
  }

  /** Binds it to `memory` at `offset`; a disjoint image binds each plane instead. */
  override bind(memory: DeviceMemory, offset?: number | bigint): void {
    offset ??= 0;
    if (this.planes.length) {
      throw new TypeError(
        `${this.label} is DISJOINT: bind each plane to memory of its own (image.plane(i))`,
      );
    }
    super.bind(memory, offset);
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
    const mods = modifiersOf(device, options);
    const nvMask = nvHandleTypeMask(options?.externalNV, "externalNV");
    if (nvMask) {
      if (options.external !== undefined) {
        throw new TypeError("external and externalNV: give one (the spec allows not both)");
      }
      requireNV(device, "externalNV");
    }
    const info = describeImage(options, formatName as FormatName, mods.drm, nvMask);
    requireDeclarable(device, "an image", info.externalHandleTypes);
    const disjoint = (info.flags & ImageCreateFlag.DISJOINT) !== 0;
    if (disjoint) checkDisjoint(device, formatName as FormatName, info.tiling);
    checkImagePlan(
      device,
      formatName as FormatName,
      info,
      mods.list,
      mods.explicit ?? undefined,
    );
    const d = device.live;
    using arena = new Arena();
    const ci = imageCreateInfo(info, nvMask, mods, arena);
    const out = out64();
    check(vk().vkCreateImage(d, ci.bytes, null, out), "vkCreateImage", {
      device: device.physicalDevice.name,
      format: formatName,
      extent: [info.extent.width, info.extent.height, info.extent.depth],
      usage: flagNames(ImageUsage, info.usage),
      external: flagNames(MemoryHandleType, info.externalHandleTypes),
    });
    const handle = out[0];
    try {
      if (mods.drm) recordModifier(device, handle, info, formatName as FormatName, arena);
      if (disjoint) {
        const planes = Array.from(
          { length: FORMAT_PLANES[formatName as FormatName]!.length },
          (_, i) => queryRequirements(d, "image", handle, 0x10 << i), // PLANE_i_BIT
        );
        return new GpuImage(device, handle, info, combined(planes), formatName, planes);
      }
      const req = queryRequirements(d, "image", handle);
      return new GpuImage(device, handle, info, req, formatName);
    } catch (e) {
      vk().vkDestroyImage(d, handle, null);
      throw e;
    }
  }

  /**
   * An image like the one `target` describes (a received offer's `image`, or an export's
   * `descriptor.dedicated`): the same format, extent, tiling, usage, flags and external handle
   * types, and for a DRM_FORMAT_MODIFIER image the same modifier and plane layouts, given
   * explicitly. Import the export's memory `for` it. No description (an export that is not
   * dedicated, received without the offer's `image`) is a BAD_DESCRIPTOR that says where to get
   * one.
   *
   * @example
   * ```ts
   * using image = GpuImage.fromTarget(device, offer.image!);
   * using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, { for: image });
   * ```
   */
  static fromTarget(device: Device, given: DedicatedTarget | null | undefined): GpuImage {
    // A peer's description: its shape checked first (BAD_DESCRIPTOR), then, in create, what the
    // device allows of it (IMAGE_TYPE, IMAGE_LIMITS, PLANE_LAYOUT), before vkCreateImage.
    if (given === undefined || given === null) {
      throw new ShareError(
        "BAD_DESCRIPTOR",
        `fromTarget: no image description (got ${given}): a descriptor carries one only when its export is dedicated; take the offer's \`image\` (the exporter sends it: sendOffer(socket, { memory, image })), or the exporter's image.describe()`,
        "an image's description",
        given,
      );
    }
    const target = parseDedicatedTarget(given, "fromTarget: the description");
    if (target.kind !== "image") {
      throw new ShareError(
        "BAD_DESCRIPTOR",
        `fromTarget: expected an image's description, got a ${target.kind}'s`,
        "image",
        target.kind,
      );
    }
    const name = <T extends Record<string, number>>(table: T, v: number) => enumName(table, v)!;
    const drm = target.tiling === DRM_TILING;
    if (drm && (!target.drmFormatModifier || !target.planeLayouts)) {
      throw new ShareError(
        "BAD_DESCRIPTOR",
        "fromTarget: a DRM_FORMAT_MODIFIER image's description needs drmFormatModifier and planeLayouts",
      );
    }
    return GpuImage.create(device, {
      width: target.extent.width,
      height: target.extent.height,
      depth: target.extent.depth,
      format: name(Format, target.format),
      type: name(ImageType, target.imageType),
      ...(drm
        ? {
          drmFormatModifier: {
            modifier: target.drmFormatModifier!,
            planeLayouts: target.planeLayouts!,
          },
        }
        : {
          tiling: name(ImageTiling, target.tiling) as Exclude<
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
    const name = formatNameOf(this.info.format)!;
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

  /** Destroys the VkImage (its planes, and the memory they own, first). */
  protected destroy(): void {
    for (const p of this.planes) p[Symbol.dispose]();
    vk().vkDestroyImage(this.device.handle, this.handle, null);
  }
}

/**
 * One plane of a disjoint multi-plane image (`GpuImage.create` with `flags: ["DISJOINT"]`): a
 * memory target of its own, with its own requirements (`vkGetImageMemoryRequirements2` with
 * `VkImagePlaneMemoryRequirementsInfo`), bound with `vkBindImageMemory2` and
 * `VkBindImagePlaneMemoryInfo`. Its memory is never dedicated (the spec forbids a dedicated
 * allocation of a disjoint image): each plane's memory is exported and imported on its own.
 *
 * @example
 * ```ts
 * using y = DeviceMemory.allocate(device, { for: nv12.plane(0), exportAs: "OPAQUE_FD" });
 * ```
 *
 * @category Memory
 */
export class ImagePlane extends Bindable {
  /** The image. */
  readonly image: GpuImage;
  /** Its index (0: Y of NV12, 1: CbCr). */
  readonly index: number;
  /** `plane 0 of Image 0x... (...)`, for messages. */
  readonly label: string;
  /** Why its memory is never dedicated. */
  readonly noDedicated =
    "a plane of a disjoint image has memory of its own, never a dedicated allocation (VUID-VkMemoryDedicatedAllocateInfo-image-01797)";
  /** The bind command, for errors. */
  protected readonly bindCommand = "vkBindImageMemory2";

  /** @ignore @internal Made by its image. */
  constructor(image: GpuImage, index: number, requirements: MemoryRequirements) {
    super(image.device, image.handle, image.externalHandleTypes, {
      ...requirements,
      prefersDedicated: false,
      requiresDedicated: false,
    });
    this.image = image;
    this.index = index;
    this.label = `plane ${index} of ${image.label}`;
  }

  /** The image's description: what an importer makes its own image from. */
  describe(): DedicatedTarget {
    return this.image.describe();
  }

  /** @ignore @internal Throws when it, or the memory it is bound to, was disposed. */
  assertPlaneMemory(): void {
    void super.live;
  }

  /** The image's handle, after checking that it, the image and its memory are alive. */
  override get live(): bigint {
    if (this.image.disposed) throw new DisposedError(this.image.label);
    return super.live;
  }

  /**
   * Binds the plane: the spec wants every plane of a disjoint image bound in one
   * `vkBindImageMemory2` call (VUID-vkBindImageMemory2-pBindInfos-02858), so a plane's memory
   * is kept until the last plane's comes, and that one binds them all. Returns the VkResult.
   */
  protected bindCall(_handle: bigint, memory: bigint, offset: bigint): number {
    return this.image.bindPlanes(this.index, memory, offset);
  }

  /** Nothing of its own to destroy: the image owns the VkImage. */
  protected destroy(): void {}
}

/** What a disjoint image needs in all: every plane's size, their common types and alignment. */
function combined(planes: readonly MemoryRequirements[]): MemoryRequirements {
  return {
    size: planes.reduce((n, p) => n + p.size, 0),
    alignment: planes.reduce((a, p) => Math.max(a, p.alignment), 1),
    memoryTypeBits: planes.reduce((bits, p) => bits & p.memoryTypeBits, 0xffffffff) >>> 0,
    prefersDedicated: false,
    requiresDedicated: false,
  };
}

/**
 * A disjoint image needs a multi-plane format whose tiling has the DISJOINT feature: a
 * ShareError IMAGE_LIMITS naming what is missing otherwise (a peer's description may ask for it).
 */
function checkDisjoint(device: Device, format: FormatName, tiling: number): void {
  if ((FORMAT_PLANES[format]?.length ?? 0) < 2) {
    throw new ShareError(
      "IMAGE_LIMITS",
      `flags DISJOINT: ${format} has one plane; DISJOINT is for multi-plane formats (NV12 = G8_B8R8_2PLANE_420_UNORM, ...)`,
    );
  }
  if (tiling === DRM_TILING) {
    throw new ShareError(
      "IMAGE_LIMITS",
      "flags DISJOINT: vkshare makes disjoint images LINEAR or OPTIMAL, not with a DRM format modifier",
    );
  }
  const features = formatFeatures(device.physicalDevice, format);
  const which = tiling === ImageTiling.LINEAR ? "linear" : "optimal";
  if (!features[which].includes("DISJOINT")) {
    throw new ShareError(
      "IMAGE_LIMITS",
      `flags DISJOINT: ${device.physicalDevice.name} has no DISJOINT feature for ${format} with ${which.toUpperCase()} tiling (its features: ${
        features[which].join(", ") || "none"
      })`,
    );
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
  const made = GpuImage.create(device, image);
  if (!made.planes.length) return withOwnMemory(made, memory);
  try {
    for (const p of made.planes) withOwnMemory(p, memory); // a memory per plane
  } catch (e) {
    made[Symbol.dispose]();
    throw e;
  }
  return made;
}
