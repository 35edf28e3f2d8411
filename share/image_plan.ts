/**
 * The rules an image description must keep before it reaches `vkCreateImage`, whoever wrote it (a
 * script, or a peer's `descriptor.dedicated` through `GpuImage.fromTarget`): the drivers check
 * nothing there, and lavapipe corrupts its heap, crashes, or answers a memory requirement of 0
 * for what is out of bounds. Plain data in, every broken rule out: testable without a driver.
 *
 * - IMAGE_TYPE: the extent and the layers fit the image type, the mip levels the extent, and a
 *   4:2:0 format's subsampled planes the extent (even sides);
 * - IMAGE_LIMITS: the device supports the format, type, tiling, usage and flags (and the handle
 *   types, and the modifier), within the limits it gives for them;
 * - PLANE_LAYOUT: a DRM_FORMAT_MODIFIER image's plane layouts are one per memory plane of its
 *   modifier, each holding its rows, and (at an import) within the memory.
 *
 * @module
 */
import {
  FORMAT_PLANES,
  FORMAT_TEXEL_BYTES,
  type FormatName,
  formatNameOf,
  ImageTiling,
  ImageType,
} from "../core/enums.ts";
import { show } from "../core/errors.ts";
import type { DedicatedTarget, PlaneLayout } from "./descriptor.ts";
import type { BrokenRule } from "./plan.ts";

/** An image's description, as descriptors carry it (numeric Vulkan values). */
export type ImageDescription = Extract<DedicatedTarget, { kind: "image" }>;

/**
 * What the device says of one image description, for {@linkcode planImage}: the limits that
 * `vkGetPhysicalDeviceImageFormatProperties2` gives for its format, type, tiling, usage, flags,
 * handle types (and modifier), or why there are none; and for a DRM_FORMAT_MODIFIER image, how
 * many memory planes the device's modifier has (null: the device does not offer it for the
 * format).
 *
 * @example
 * ```ts
 * const facts: ImageFacts = {
 *   device: "llvmpipe",
 *   limits: { maxExtent: { width: 16384, height: 16384, depth: 1 }, maxMipLevels: 15, maxArrayLayers: 2048 },
 * };
 * ```
 *
 * @category Memory
 */
export interface ImageFacts {
  /** The device's name, for messages. */
  device: string;
  /** Its limits for the description, or why it does not support it. */
  limits: ImageLimits | { unsupported: string };
  /** A DRM_FORMAT_MODIFIER image's modifier: its memory plane count, or null where not offered. */
  modifierPlanes?: number | null;
}

/**
 * The limits of `VkImageFormatProperties` that an image's description is checked against.
 *
 * @example
 * ```ts
 * const l: ImageLimits = { maxExtent: { width: 8, height: 8, depth: 1 }, maxMipLevels: 4, maxArrayLayers: 1 };
 * ```
 *
 * @category Memory
 */
export interface ImageLimits {
  /** The largest extent. */
  maxExtent: { width: number; height: number; depth: number };
  /** The most mip levels. */
  maxMipLevels: number;
  /** The most array layers. */
  maxArrayLayers: number;
  /** The largest resource in bytes, where known (no plane lies past it). */
  maxResourceSize?: number;
}

const TYPE_NAMES = ["1D", "2D", "3D"] as const;

/** `d`'s format name, or undefined where vkshare names none. */
function formatName(d: ImageDescription): FormatName | undefined {
  return formatNameOf(d.format);
}

/** IMAGE_TYPE: the extent and layers that its type allows, the mip levels its extent allows. */
function typeRules(d: ImageDescription): BrokenRule[] {
  const out: BrokenRule[] = [];
  const { width, height, depth } = d.extent;
  const type = TYPE_NAMES[d.imageType] ?? String(d.imageType);
  const shape = `${width}x${height}x${depth}, ${d.arrayLayers} layer(s)`;
  const no = (message: string, expected: unknown, actual: unknown) =>
    out.push({ rule: "IMAGE_TYPE", message: `a ${type} image ${message}`, expected, actual });
  if (d.imageType === ImageType["1D"] && (height !== 1 || depth !== 1)) {
    no(`has height and depth 1, not ${shape}`, { height: 1, depth: 1 }, { height, depth });
  }
  if (d.imageType === ImageType["2D"] && depth !== 1) no(`has depth 1, not ${shape}`, 1, depth);
  if (d.imageType === ImageType["3D"] && d.arrayLayers !== 1) {
    no(`has one array layer, not ${shape}`, 1, d.arrayLayers);
  }
  // A multi-plane format whose chroma planes are subsampled needs a whole number of them.
  const name = formatName(d);
  const planes = name ? FORMAT_PLANES[name] : undefined;
  if (planes?.some((p) => p.widthDivisor > 1) && width % 2) {
    no(`of ${name} has an even width, not ${width}`, "even", width);
  }
  if (planes?.some((p) => p.heightDivisor > 1) && height % 2) {
    no(`of ${name} has an even height, not ${height}`, "even", height);
  }
  const most = Math.floor(Math.log2(Math.max(width, height, depth))) + 1;
  if (d.mipLevels > most) {
    no(
      `of ${width}x${height}x${depth} has at most ${most} mip levels, not ${d.mipLevels}`,
      most,
      d.mipLevels,
    );
  }
  return out;
}

/** IMAGE_LIMITS: supported at all, and within the device's limits for it. */
function limitRules(f: ImageFacts, d: ImageDescription): BrokenRule[] {
  const what = `${formatName(d) ?? d.format} ${TYPE_NAMES[d.imageType] ?? d.imageType} image`;
  if ("unsupported" in f.limits) {
    return [{
      rule: "IMAGE_LIMITS",
      message: `${f.device} does not support this ${what} (tiling ${d.tiling}, usage 0x${
        d.usage.toString(16)
      }, flags 0x${d.flags.toString(16)}): ${f.limits.unsupported}`,
    }];
  }
  const l = f.limits;
  const out: BrokenRule[] = [];
  const over = (field: string, max: unknown, actual: unknown) =>
    out.push({
      rule: "IMAGE_LIMITS",
      message: `${f.device} makes a ${what} with ${field} up to ${show(max)}, not ${show(actual)}`,
      expected: max,
      actual,
    });
  const e = d.extent, m = l.maxExtent;
  if (e.width > m.width || e.height > m.height || e.depth > m.depth) over("an extent", m, e);
  if (d.mipLevels > l.maxMipLevels) over("mip levels", l.maxMipLevels, d.mipLevels);
  if (d.arrayLayers > l.maxArrayLayers) over("array layers", l.maxArrayLayers, d.arrayLayers);
  return out;
}

/** The bytes of one row of memory plane `i` of `d`, where the format says (else null). */
function rowBytes(d: ImageDescription, i: number, planes: number): number | null {
  const name = formatName(d);
  if (!name) return null;
  const formatPlanes = FORMAT_PLANES[name];
  if (!formatPlanes) return planes === 1 ? d.extent.width * FORMAT_TEXEL_BYTES[name] : null;
  const p = formatPlanes[i];
  // A modifier whose memory planes are not the format's (compression metadata) has no row size
  // vkshare can tell.
  if (planes !== formatPlanes.length || !p) return null;
  return Math.ceil(d.extent.width / p.widthDivisor) * p.texelBytes;
}

/** The rows of memory plane `i` of `d` (its height, divided as the format's plane is). */
function rows(d: ImageDescription, i: number): number {
  const name = formatName(d);
  const p = name ? FORMAT_PLANES[name]?.[i] : undefined;
  return Math.ceil(d.extent.height / (p?.heightDivisor ?? 1));
}

/**
 * PLANE_LAYOUT: a DRM_FORMAT_MODIFIER image has one layout per memory plane of its modifier, each
 * at least a row wide (rowPitch) and holding its rows (size), and, where `memorySize` is known
 * (an import), within the memory.
 */
export function planeLayoutRules(
  f: Pick<ImageFacts, "device" | "modifierPlanes"> & { maxResourceSize?: number },
  d: ImageDescription,
  memorySize?: number,
): BrokenRule[] {
  if (d.tiling !== ImageTiling.DRM_FORMAT_MODIFIER) return [];
  const layouts: readonly PlaneLayout[] = d.planeLayouts ?? [];
  const out: BrokenRule[] = [];
  const no = (message: string, expected?: unknown, actual?: unknown) =>
    out.push({ rule: "PLANE_LAYOUT", message, expected, actual });
  if (f.modifierPlanes === null) {
    no(`${f.device} offers no DRM format modifier ${d.drmFormatModifier} for this format`);
    return out;
  }
  const planes = f.modifierPlanes;
  if (planes !== undefined && layouts.length !== planes) {
    no(
      `modifier ${d.drmFormatModifier} has ${planes} memory plane(s) on ${f.device}; the description gives ${layouts.length} layout(s)`,
      planes,
      layouts.length,
    );
  }
  layouts.forEach((l, i) => {
    const row = rowBytes(d, i, layouts.length);
    if (row !== null && l.rowPitch < row) {
      no(
        `plane ${i}'s row pitch ${l.rowPitch} is less than a row of it (${row} bytes)`,
        row,
        l.rowPitch,
      );
    }
    const need = row === null ? 0 : l.rowPitch * (rows(d, i) - 1) + row;
    if (l.size < need) {
      no(`plane ${i}'s size ${l.size} cannot hold its rows (${need} bytes)`, need, l.size);
    }
    const largest = f.maxResourceSize;
    if (largest !== undefined && l.offset + l.size > largest) {
      no(
        `plane ${i} lies at ${l.offset}..${
          l.offset + l.size
        }, past ${f.device}'s largest resource (${largest} bytes)`,
        largest,
        l.offset + l.size,
      );
    }
    if (memorySize !== undefined && l.offset + l.size > memorySize) {
      no(
        `plane ${i} lies at ${l.offset}..${
          l.offset + l.size
        }, past the memory's ${memorySize} bytes`,
        memorySize,
        l.offset + l.size,
      );
    }
  });
  return out;
}

/**
 * Every rule `d` breaks on the device `f` describes (IMAGE_TYPE, IMAGE_LIMITS, PLANE_LAYOUT), in
 * that order; none where `vkCreateImage` may take it. The limits are not asked about once the
 * shape itself is wrong.
 *
 * @example
 * ```ts
 * const broken = planImage(facts, exp.descriptor.dedicated as ImageDescription);
 * for (const b of broken) console.log(b.rule, b.message);
 * ```
 *
 * @category Memory
 */
export function planImage(f: ImageFacts, d: ImageDescription): BrokenRule[] {
  const shape = typeRules(d);
  if (shape.length) return shape;
  const largest = "unsupported" in f.limits ? undefined : f.limits.maxResourceSize;
  return [...limitRules(f, d), ...planeLayoutRules({ ...f, maxResourceSize: largest }, d)];
}
