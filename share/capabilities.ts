/**
 * What a device can share: external memory for buffers and images, external semaphores (binary
 * and timeline) and fences, per handle type, decoded into named flags; and the whole matrix in
 * one call as a plain JSON-able object.
 *
 * @module
 */
import {
  BufferCreateFlag,
  type BufferCreateFlagName,
  BufferUsage,
  type BufferUsageName,
  enumValue,
  ExternalMemoryFeature,
  ExternalMemoryHandleTypeNV,
  type ExternalMemoryHandleTypeNVName,
  ExternalSyncFeature,
  FenceHandleType,
  type FenceHandleTypeName,
  flagMask,
  flagNames,
  Format,
  FormatFeature,
  type FormatName,
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
  SemaphoreHandleType,
  type SemaphoreHandleTypeName,
  SemaphoreType,
  type SemaphoreTypeName,
  usageMask,
} from "../core/enums.ts";
import { check, MissingExtensionError } from "../core/errors.ts";
import { Arena, encode, fastPaths, link } from "../ffi/layout.ts";
import { VK_NV_external_memory_capabilities } from "../ffi/vk_commands.ts";
import { VkExternalImageFormatPropertiesNV } from "../ffi/vk_platform_structs.ts";
import {
  VkDrmFormatModifierPropertiesListEXT,
  VkExternalBufferProperties,
  VkExternalFenceProperties,
  VkExternalImageFormatProperties,
  VkExternalSemaphoreProperties,
  VkFormatProperties2,
  VkImageFormatProperties2,
  VkPhysicalDeviceExternalBufferInfo,
  VkPhysicalDeviceExternalFenceInfo,
  VkPhysicalDeviceExternalImageFormatInfo,
  VkPhysicalDeviceExternalSemaphoreInfo,
  VkPhysicalDeviceImageDrmFormatModifierInfoEXT,
  VkPhysicalDeviceImageFormatInfo2,
  VkSemaphoreTypeCreateInfo,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { availableInstanceExtensions, type PhysicalDevice } from "../vulkan/instance.ts";
import type { ImageLimits } from "./image_plan.ts";
import { deepFreeze } from "./registry.ts";

/**
 * The device extension a memory handle type needs, for the POSIX handle types.
 *
 * @example
 * ```ts
 * MEMORY_HANDLE_EXTENSION.DMA_BUF; // "VK_EXT_external_memory_dma_buf"
 * ```
 *
 * @category Capabilities
 */
export const MEMORY_HANDLE_EXTENSION: Partial<Record<MemoryHandleTypeName, string>> = {
  OPAQUE_FD: "VK_KHR_external_memory_fd",
  DMA_BUF: "VK_EXT_external_memory_dma_buf",
  HOST_ALLOCATION: "VK_EXT_external_memory_host",
  HOST_MAPPED_FOREIGN_MEMORY: "VK_EXT_external_memory_host",
  OPAQUE_WIN32: "VK_KHR_external_memory_win32",
  OPAQUE_WIN32_KMT: "VK_KHR_external_memory_win32",
  D3D11_TEXTURE: "VK_KHR_external_memory_win32",
  D3D11_TEXTURE_KMT: "VK_KHR_external_memory_win32",
  D3D12_HEAP: "VK_KHR_external_memory_win32",
  D3D12_RESOURCE: "VK_KHR_external_memory_win32",
  ANDROID_HARDWARE_BUFFER: "VK_ANDROID_external_memory_android_hardware_buffer",
};

/**
 * The device extension a semaphore handle type needs.
 *
 * @example
 * ```ts
 * SEMAPHORE_HANDLE_EXTENSION.OPAQUE_FD; // "VK_KHR_external_semaphore_fd"
 * ```
 *
 * @category Capabilities
 */
export const SEMAPHORE_HANDLE_EXTENSION: Partial<Record<SemaphoreHandleTypeName, string>> = {
  OPAQUE_FD: "VK_KHR_external_semaphore_fd",
  SYNC_FD: "VK_KHR_external_semaphore_fd",
  OPAQUE_WIN32: "VK_KHR_external_semaphore_win32",
  OPAQUE_WIN32_KMT: "VK_KHR_external_semaphore_win32",
  D3D12_FENCE: "VK_KHR_external_semaphore_win32",
};

/**
 * The device extension a fence handle type needs.
 *
 * @example
 * ```ts
 * FENCE_HANDLE_EXTENSION.SYNC_FD; // "VK_KHR_external_fence_fd"
 * ```
 *
 * @category Capabilities
 */
export const FENCE_HANDLE_EXTENSION: Partial<Record<FenceHandleTypeName, string>> = {
  OPAQUE_FD: "VK_KHR_external_fence_fd",
  SYNC_FD: "VK_KHR_external_fence_fd",
  OPAQUE_WIN32: "VK_KHR_external_fence_win32",
  OPAQUE_WIN32_KMT: "VK_KHR_external_fence_win32",
};

/**
 * What a device can do with memory of one handle type (`VkExternalMemoryProperties`).
 *
 * @example
 * ```ts
 * const cap = externalBufferProperties(pd, { handleType: "DMA_BUF" });
 * cap.importable && !cap.exportable; // lavapipe 25: imports only
 * ```
 *
 * @category Capabilities
 */
export interface ExternalMemoryCapability {
  /** The handle type asked about. */
  handleType: MemoryHandleTypeName;
  /** Memory of this handle type can be exported. */
  exportable: boolean;
  /** Memory of this handle type can be imported. */
  importable: boolean;
  /** Exported or imported memory must be a dedicated allocation. */
  dedicatedOnly: boolean;
  /** Handle types that can be exported together with this one from the same allocation. */
  compatibleHandleTypes: string[];
  /** Handle types that memory imported from this one can be exported as. */
  exportFromImportedHandleTypes: string[];
  /** Why it is not supported, when the device lacks the extension the handle type needs. */
  unsupported?: string;
}

/**
 * What a device can do with a semaphore or fence of one handle type.
 *
 * @example
 * ```ts
 * const cap = externalSemaphoreProperties(pd, { handleType: "SYNC_FD", semaphoreType: "binary" });
 * cap.exportable || cap.unsupported;
 * ```
 *
 * @category Capabilities
 */
export interface ExternalSyncCapability {
  /** Can be exported. */
  exportable: boolean;
  /** Can be imported. */
  importable: boolean;
  /** Handle types that can be exported together with this one. */
  compatibleHandleTypes: string[];
  /** Handle types an object imported from this one can be exported as. */
  exportFromImportedHandleTypes: string[];
  /** Why it is not supported, when the device lacks the extension or feature. */
  unsupported?: string;
}

function memoryCapability(
  handleType: MemoryHandleTypeName,
  p: {
    externalMemoryFeatures: number;
    compatibleHandleTypes: number;
    exportFromImportedHandleTypes: number;
  },
): ExternalMemoryCapability {
  const f = p.externalMemoryFeatures;
  return {
    handleType,
    exportable: (f & ExternalMemoryFeature.EXPORTABLE) !== 0,
    importable: (f & ExternalMemoryFeature.IMPORTABLE) !== 0,
    dedicatedOnly: (f & ExternalMemoryFeature.DEDICATED_ONLY) !== 0,
    compatibleHandleTypes: flagNames(MemoryHandleType, p.compatibleHandleTypes),
    exportFromImportedHandleTypes: flagNames(MemoryHandleType, p.exportFromImportedHandleTypes),
  };
}

// A physical device's answers to these queries cannot change: each query is asked of the driver
// once, and its answer kept (frozen) per physical device. The inputs are still checked each call.
const answers = new WeakMap<PhysicalDevice, Map<string | number, unknown>>();

/** The answer kept for `key` on `pd`, or `ask()`'s, kept (frozen) for the next time. */
function remembered<T>(pd: PhysicalDevice, key: string | number, ask: () => T): T {
  let m = answers.get(pd);
  if (!m) answers.set(pd, m = new Map());
  let v = fastPaths.enabled ? m.get(key) as T | undefined : undefined;
  if (v === undefined) m.set(key, v = deepFreeze(ask()));
  return v;
}

/** Why handle type `t` cannot be used on `pd` (its extension is missing), or undefined. */
function missingExtension<T extends string>(
  pd: PhysicalDevice,
  table: Partial<Record<T, string>>,
  t: T,
): string | undefined {
  const ext = table[t];
  if (ext === undefined) return `${t} is not a handle type of this platform`;
  return pd.hasExtension(ext) ? undefined : `no ${ext}`;
}

function unsupportedMemory(t: MemoryHandleTypeName, why: string): ExternalMemoryCapability {
  return {
    handleType: t,
    exportable: false,
    importable: false,
    dedicatedOnly: false,
    compatibleHandleTypes: [],
    exportFromImportedHandleTypes: [],
    unsupported: why,
  };
}

/**
 * A buffer usage for an external buffer query.
 *
 * @example
 * ```ts
 * const q: BufferQuery = { handleType: "OPAQUE_FD", usage: ["STORAGE_BUFFER"] };
 * externalBufferProperties(pd, q).exportable;
 * ```
 *
 * @category Capabilities
 */
export interface BufferQuery {
  /** The memory handle type. */
  handleType: MemoryHandleTypeName;
  /** The buffer usage (default: transfer source and destination). */
  usage?: readonly BufferUsageName[] | number;
  /** The buffer create flags (default none). */
  flags?: readonly BufferCreateFlagName[] | number;
}

/**
 * `vkGetPhysicalDeviceExternalBufferProperties`: can buffers with this usage share memory of
 * this handle type?
 *
 * @example
 * ```ts
 * const cap = externalBufferProperties(pd, { handleType: "OPAQUE_FD", usage: ["STORAGE_BUFFER"] });
 * if (cap.exportable) {}
 * ```
 *
 * @category Capabilities
 */
export function externalBufferProperties(
  pd: PhysicalDevice,
  query: BufferQuery,
): ExternalMemoryCapability {
  const handleType = enumValue(MemoryHandleType, query.handleType, "handleType");
  const usage = query.usage === undefined
    ? DEFAULT_BUFFER_USAGE
    : usageMask(BufferUsage, query.usage, "usage");
  const flags = query.flags === undefined ? 0 : flagMask(BufferCreateFlag, query.flags, "flags");
  // The key is one number where it fits (the query is asked in loops: no key text to build).
  const key = handleType < 2 ** 17 && flags < 32
    ? handleType * 2 ** 36 + usage * 32 + flags
    : `buffer ${handleType} ${usage} ${flags}`;
  return remembered(pd, key, () => {
    const why = missingExtension(pd, MEMORY_HANDLE_EXTENSION, query.handleType);
    if (why) return unsupportedMemory(query.handleType, why);
    using arena = new Arena();
    const info = encode(VkPhysicalDeviceExternalBufferInfo, { flags, usage, handleType }, arena);
    const props = encode(VkExternalBufferProperties, {}, arena);
    vk().vkGetPhysicalDeviceExternalBufferProperties!(pd.live, info.bytes, props.bytes);
    return memoryCapability(query.handleType, props.decode().externalMemoryProperties);
  });
}

const DEFAULT_BUFFER_USAGE = BufferUsage.TRANSFER_SRC | BufferUsage.TRANSFER_DST;

/**
 * An image for an external image format query.
 *
 * @example
 * ```ts
 * const q: ImageQuery = { handleType: "OPAQUE_FD", format: "R8G8B8A8_UNORM", tiling: "OPTIMAL" };
 * externalImageFormatProperties(pd, q).supported;
 * ```
 *
 * @category Capabilities
 */
export interface ImageQuery {
  /** The memory handle type. */
  handleType: MemoryHandleTypeName;
  /** The format (default `R8G8B8A8_UNORM`). */
  format?: FormatName;
  /** The image type (default `2D`). */
  type?: ImageTypeName;
  /** The tiling (default `OPTIMAL`). */
  tiling?: ImageTilingName;
  /** The usage (default sampled, transfer source and destination). */
  usage?: readonly ImageUsageName[] | number;
  /** Create flags (default none). */
  flags?: readonly ImageCreateFlagName[] | number;
  /**
   * A DRM format modifier (`drmFormatModifiers` lists them): the tiling is then
   * DRM_FORMAT_MODIFIER, and the answer is for that modifier.
   */
  drmFormatModifier?: bigint | string;
}

/**
 * What a device can do with an image of a given format, tiling and usage, shared externally.
 *
 * @example
 * ```ts
 * const cap = externalImageFormatProperties(pd, { handleType: "OPAQUE_FD" });
 * if (cap.supported) console.log(cap.maxExtent, cap.dedicatedOnly);
 * ```
 *
 * @category Capabilities
 */
export interface ExternalImageCapability extends ExternalMemoryCapability {
  /** Whether the driver supports the format/tiling/usage with this handle type at all. */
  supported: boolean;
  /** The largest extent, when supported. */
  maxExtent?: { width: number; height: number; depth: number };
  /** The most mip levels, when supported. */
  maxMipLevels?: number;
  /** The most array layers, when supported. */
  maxArrayLayers?: number;
  /** The largest resource size in bytes, when supported. */
  maxResourceSize?: number;
}

/** The values of an image query's format, type, tiling, usage and flags (with their defaults). */
function imageValues(query: Omit<ImageQuery, "handleType">) {
  return {
    format: enumValue(Format, query.format ?? "R8G8B8A8_UNORM", "format"),
    type: enumValue(ImageType, query.type ?? "2D", "type"),
    tiling: enumValue(ImageTiling, query.tiling ?? "OPTIMAL", "tiling"),
    usage: usageMask(
      ImageUsage,
      query.usage ?? ["SAMPLED", "TRANSFER_SRC", "TRANSFER_DST"],
      "usage",
    ),
    flags: flagMask(ImageCreateFlag, query.flags ?? [], "flags"),
  };
}

/** A 64-bit DRM format modifier from a query, checked (a RangeError otherwise). */
function modifierArg(modifier: bigint | string): bigint {
  let m: bigint;
  try {
    m = BigInt(modifier);
  } catch {
    throw new RangeError(`drmFormatModifier: expected a 64-bit value, got ${String(modifier)}`);
  }
  if (m < 0n || m >= 1n << 64n) {
    throw new RangeError(`drmFormatModifier: expected a 64-bit value, got ${String(modifier)}`);
  }
  return m;
}

/** The numeric values of one `vkGetPhysicalDeviceImageFormatProperties2` question. */
interface ImageFormatValues {
  format: number;
  type: number;
  tiling: number;
  usage: number;
  flags: number;
  /** An external memory handle type (one bit), or 0 for none. */
  handleType: number;
  /** A DRM format modifier (the tiling is then DRM_FORMAT_MODIFIER), or null. */
  modifier: bigint | null;
}

/**
 * `vkGetPhysicalDeviceImageFormatProperties2` for `v`: the image format properties and (with a
 * handle type) the external memory properties, or null where the driver says
 * VK_ERROR_FORMAT_NOT_SUPPORTED.
 */
function imageFormatQuery(pd: PhysicalDevice, v: ImageFormatValues) {
  using arena = new Arena();
  const info = encode(VkPhysicalDeviceImageFormatInfo2, {
    pNext: [
      ...(v.handleType
        ? [link(VkPhysicalDeviceExternalImageFormatInfo, { handleType: v.handleType })]
        : []),
      ...(v.modifier !== null
        ? [link(VkPhysicalDeviceImageDrmFormatModifierInfoEXT, {
          drmFormatModifier: v.modifier,
          sharingMode: 0,
          pQueueFamilyIndices: [],
        })]
        : []),
    ],
    format: v.format,
    type: v.type,
    tiling: v.modifier !== null ? ImageTiling.DRM_FORMAT_MODIFIER : v.tiling,
    usage: v.usage,
    flags: v.flags,
  }, arena);
  const props = encode(VkImageFormatProperties2, {
    pNext: v.handleType ? [link(VkExternalImageFormatProperties)] : [],
  }, arena);
  const r = vk().vkGetPhysicalDeviceImageFormatProperties2!(pd.live, info.bytes, props.bytes);
  if (r === -11) return null; // VK_ERROR_FORMAT_NOT_SUPPORTED
  check(r, "vkGetPhysicalDeviceImageFormatProperties2", {
    device: pd.name,
    format: v.format,
    handleType: v.handleType,
  });
  return {
    image: props.decode().imageFormatProperties,
    external: v.handleType
      ? props.chained(VkExternalImageFormatProperties).externalMemoryProperties
      : null,
  };
}

/**
 * The limits `pd` gives for an image of these numeric values (each external handle type of
 * `handleTypes` asked about in turn, the tightest kept), or why it has none: what
 * {@linkcode planImage} checks a description against before `vkCreateImage`.
 *
 * @example
 * ```ts
 * const limits = imageLimits(pd, { format: 37, type: 1, tiling: 0, usage: 3, flags: 0, handleTypes: 1, modifier: null });
 * if (!("unsupported" in limits)) console.log(limits.maxExtent);
 * ```
 *
 * @category Capabilities
 */
export function imageLimits(
  pd: PhysicalDevice,
  v: Omit<ImageFormatValues, "handleType"> & { handleTypes: number },
): ImageLimits | { unsupported: string } {
  const bits = [...Array(32).keys()].map((i) => (1 << i) >>> 0).filter((b) =>
    (v.handleTypes & b) !== 0
  );
  let limits = null as ImageLimits | null;
  for (const handleType of bits.length ? bits : [0]) {
    const q = imageFormatQuery(pd, { ...v, handleType });
    if (!q) {
      const with_ = handleType
        ? ` with handle type ${flagNames(MemoryHandleType, handleType)}`
        : "";
      return { unsupported: `VK_ERROR_FORMAT_NOT_SUPPORTED${with_}` };
    }
    const p = q.image;
    limits = {
      maxExtent: {
        width: Math.min(p.maxExtent.width, limits?.maxExtent.width ?? Infinity),
        height: Math.min(p.maxExtent.height, limits?.maxExtent.height ?? Infinity),
        depth: Math.min(p.maxExtent.depth, limits?.maxExtent.depth ?? Infinity),
      },
      maxMipLevels: Math.min(p.maxMipLevels, limits?.maxMipLevels ?? Infinity),
      maxArrayLayers: Math.min(p.maxArrayLayers, limits?.maxArrayLayers ?? Infinity),
      maxResourceSize: Math.min(Number(p.maxResourceSize), limits?.maxResourceSize ?? Infinity),
    };
  }
  return limits!;
}

/**
 * `vkGetPhysicalDeviceImageFormatProperties2` with an external handle type. An unsupported
 * combination (VK_ERROR_FORMAT_NOT_SUPPORTED) is a value: `supported: false`.
 *
 * @example
 * ```ts
 * const cap = externalImageFormatProperties(pd, { handleType: "OPAQUE_FD", format: "R8G8B8A8_UNORM" });
 * cap.supported && cap.exportable;
 * ```
 *
 * @category Capabilities
 */
export function externalImageFormatProperties(
  pd: PhysicalDevice,
  query: ImageQuery,
): ExternalImageCapability {
  const handleType = enumValue(MemoryHandleType, query.handleType, "handleType");
  const { format, type, tiling, usage, flags } = imageValues(query);
  // The arguments first: a bad modifier is a RangeError whatever the device has.
  const given = query.drmFormatModifier;
  if (query.tiling === "DRM_FORMAT_MODIFIER" && given === undefined) {
    throw new RangeError("tiling: a DRM_FORMAT_MODIFIER query needs its drmFormatModifier");
  }
  const modifier = given === undefined ? null : modifierArg(given);
  const why = missingExtension(pd, MEMORY_HANDLE_EXTENSION, query.handleType);
  if (why) return { ...unsupportedMemory(query.handleType, why), supported: false };
  if (modifier !== null && !pd.hasExtension("VK_EXT_image_drm_format_modifier")) {
    throw new MissingExtensionError("VK_EXT_image_drm_format_modifier", pd.name, "offered");
  }
  const q = imageFormatQuery(pd, { format, type, tiling, usage, flags, handleType, modifier });
  if (!q) {
    return {
      ...unsupportedMemory(query.handleType, "VK_ERROR_FORMAT_NOT_SUPPORTED"),
      supported: false,
    };
  }
  const p = q.image;
  return {
    ...memoryCapability(query.handleType, q.external!),
    supported: true,
    maxExtent: p.maxExtent,
    maxMipLevels: p.maxMipLevels,
    maxArrayLayers: p.maxArrayLayers,
    maxResourceSize: Number(p.maxResourceSize),
  };
}

function syncCapability(
  table: Record<string, number>,
  p: { exportFromImportedHandleTypes: number; compatibleHandleTypes: number },
  features: number,
): ExternalSyncCapability {
  return {
    exportable: (features & ExternalSyncFeature.EXPORTABLE) !== 0,
    importable: (features & ExternalSyncFeature.IMPORTABLE) !== 0,
    compatibleHandleTypes: flagNames(table, p.compatibleHandleTypes),
    exportFromImportedHandleTypes: flagNames(table, p.exportFromImportedHandleTypes),
  };
}

function unsupportedSync(why: string): ExternalSyncCapability {
  return {
    exportable: false,
    importable: false,
    compatibleHandleTypes: [],
    exportFromImportedHandleTypes: [],
    unsupported: why,
  };
}

/**
 * `vkGetPhysicalDeviceExternalSemaphoreProperties` for a binary or timeline semaphore.
 *
 * @example
 * ```ts
 * externalSemaphoreProperties(pd, { handleType: "OPAQUE_FD", semaphoreType: "timeline" });
 * ```
 *
 * @category Capabilities
 */
export function externalSemaphoreProperties(
  pd: PhysicalDevice,
  query: { handleType: SemaphoreHandleTypeName; semaphoreType?: SemaphoreTypeName },
): ExternalSyncCapability & {
  handleType: SemaphoreHandleTypeName;
  semaphoreType: SemaphoreTypeName;
} {
  const handleType = enumValue(SemaphoreHandleType, query.handleType, "handleType");
  const semaphoreType = query.semaphoreType ?? "binary";
  const typeValue = enumValue(SemaphoreType, semaphoreType, "semaphoreType");
  const h = pd.live;
  const key = `semaphore ${handleType} ${typeValue}`;
  return remembered(pd, key, () => {
    const base = { handleType: query.handleType, semaphoreType };
    const why = missingExtension(pd, SEMAPHORE_HANDLE_EXTENSION, query.handleType);
    if (why) return { ...base, ...unsupportedSync(why) };
    if (semaphoreType === "timeline" && !pd.timelineSemaphores) {
      return { ...base, ...unsupportedSync("no timelineSemaphore feature") };
    }
    using arena = new Arena();
    const info = encode(VkPhysicalDeviceExternalSemaphoreInfo, {
      pNext: semaphoreType === "timeline"
        ? [link(VkSemaphoreTypeCreateInfo, { semaphoreType: typeValue, initialValue: 0 })]
        : [],
      handleType,
    }, arena);
    const props = encode(VkExternalSemaphoreProperties, {}, arena);
    vk().vkGetPhysicalDeviceExternalSemaphoreProperties!(h, info.bytes, props.bytes);
    const p = props.decode();
    return {
      ...base,
      ...syncCapability(SemaphoreHandleType, p, p.externalSemaphoreFeatures),
    };
  });
}

/**
 * `vkGetPhysicalDeviceExternalFenceProperties`.
 *
 * @example
 * ```ts
 * externalFenceProperties(pd, { handleType: "SYNC_FD" }).exportable;
 * ```
 *
 * @category Capabilities
 */
export function externalFenceProperties(
  pd: PhysicalDevice,
  query: { handleType: FenceHandleTypeName },
): ExternalSyncCapability & { handleType: FenceHandleTypeName } {
  const handleType = enumValue(FenceHandleType, query.handleType, "handleType");
  const h = pd.live;
  const key = `fence ${handleType}`;
  return remembered(pd, key, () => {
    const base = { handleType: query.handleType };
    const why = missingExtension(pd, FENCE_HANDLE_EXTENSION, query.handleType);
    if (why) return { ...base, ...unsupportedSync(why) };
    using arena = new Arena();
    const info = encode(VkPhysicalDeviceExternalFenceInfo, { handleType }, arena);
    const props = encode(VkExternalFenceProperties, {}, arena);
    vk().vkGetPhysicalDeviceExternalFenceProperties!(h, info.bytes, props.bytes);
    const p = props.decode();
    return { ...base, ...syncCapability(FenceHandleType, p, p.externalFenceFeatures) };
  });
}

/**
 * The handle types, usages and formats {@linkcode capabilityMatrix} asks about.
 *
 * @example
 * ```ts
 * capabilityMatrix(pd, { memoryHandleTypes: ["OPAQUE_FD"], imageFormats: ["R8G8B8A8_UNORM"] });
 * ```
 *
 * @category Capabilities
 */
export interface MatrixOptions {
  /** Memory handle types (default OPAQUE_FD, DMA_BUF, HOST_ALLOCATION). */
  memoryHandleTypes?: readonly MemoryHandleTypeName[];
  /** Buffer usages (default: transfer; storage; uniform; vertex and index). */
  bufferUsages?: readonly (readonly BufferUsageName[])[];
  /** Buffer create flag sets (default: none). */
  bufferFlags?: readonly (readonly BufferCreateFlagName[])[];
  /** Image formats (default R8G8B8A8_UNORM, R32_SFLOAT). */
  imageFormats?: readonly FormatName[];
  /** Image tilings (default OPTIMAL, LINEAR). */
  imageTilings?: readonly ImageTilingName[];
  /** Image usages (default: sampled; color attachment; storage; each with transfer). */
  imageUsages?: readonly (readonly ImageUsageName[])[];
  /** Formats whose DRM format modifiers are listed (default B8G8R8A8_UNORM, R8G8B8A8_UNORM, NV12). */
  drmFormats?: readonly FormatName[];
}

/**
 * The whole sharing matrix of one device, as plain JSON-able data.
 *
 * @example
 * ```ts
 * const m: CapabilityMatrix = capabilityMatrix(pd);
 * m.semaphores.filter((s) => s.exportable).map((s) => `${s.semaphoreType} ${s.handleType}`);
 * ```
 *
 * @category Capabilities
 */
export interface CapabilityMatrix {
  /** Who the device is. */
  device: {
    index: number;
    name: string;
    type: string;
    vendor: string;
    vendorId: number;
    deviceId: number;
    apiVersion: string;
    driverVersion: string;
    driverName: string | null;
    driverInfo: string | null;
    deviceUUID: string;
    driverUUID: string;
    deviceLUID: string | null;
  };
  /** Which external extensions the device offers. */
  extensions: Record<string, boolean>;
  /** Host pointer import: the alignment, or null without VK_EXT_external_memory_host. */
  hostPointer: { minImportedHostPointerAlignment: number } | null;
  /** Whether timeline semaphores are supported. */
  timelineSemaphores: boolean;
  /** One row per handle type × usage × flags. */
  buffers: (ExternalMemoryCapability & { usage: string[]; flags: string[] })[];
  /** One row per handle type × format × tiling × usage. */
  images: (ExternalImageCapability & {
    format: string;
    tiling: string;
    usage: string[];
  })[];
  /** One row per handle type × semaphore type. */
  semaphores: (ExternalSyncCapability & { handleType: string; semaphoreType: string })[];
  /** One row per handle type. */
  fences: (ExternalSyncCapability & { handleType: string })[];
  /**
   * The DRM format modifiers of each format asked about (modifier as hex, plane count,
   * features), or why there are none (no VK_EXT_image_drm_format_modifier).
   */
  drmFormatModifiers:
    | {
      format: string;
      modifiers: { hex: string; planeCount: number; tilingFeatures: string[] }[];
    }[]
    | { unsupported: string };
  /**
   * The seeds' other handle types: Windows' memory, semaphore and fence handles, Android hardware
   * buffers, and VK_NV_external_memory's (for an R8G8B8A8_UNORM image): each as a buffer,
   * semaphore, fence or image would be shared, or why not on this device (the extension it lacks).
   */
  otherHandleTypes: {
    object: "memory" | "semaphore" | "fence" | "image (NV)";
    handleType: string;
    exportable: boolean;
    importable: boolean;
    unsupported?: string;
  }[];
}

/**
 * Every external capability of a device in one call: buffers, images, semaphores, fences, host
 * pointers, identity. The result is plain data (`JSON.stringify` works on it).
 *
 * @example
 * ```ts
 * using instance = Instance.create();
 * const m = capabilityMatrix(instance.physicalDevices()[0]);
 * console.log(JSON.stringify(m, null, 2));
 * ```
 *
 * @category Capabilities
 */
export function capabilityMatrix(
  pd: PhysicalDevice,
  options?: MatrixOptions,
): CapabilityMatrix {
  options ??= {};
  const memoryTypes = options.memoryHandleTypes ?? ["OPAQUE_FD", "DMA_BUF", "HOST_ALLOCATION"];
  const align = pd.minImportedHostPointerAlignment;
  return {
    device: deviceIdentity(pd),
    extensions: Object.fromEntries(MATRIX_EXTENSIONS.map((e) => [e, pd.hasExtension(e)])),
    hostPointer: align === null ? null : { minImportedHostPointerAlignment: align },
    timelineSemaphores: pd.timelineSemaphores,
    buffers: matrixBuffers(pd, memoryTypes, options),
    images: matrixImages(pd, memoryTypes, options),
    semaphores: (["OPAQUE_FD", "SYNC_FD"] as const).flatMap((handleType) =>
      (["binary", "timeline"] as const).map((semaphoreType) =>
        externalSemaphoreProperties(pd, { handleType, semaphoreType })
      )
    ),
    fences: (["OPAQUE_FD", "SYNC_FD"] as const).map((handleType) =>
      externalFenceProperties(pd, { handleType })
    ),
    drmFormatModifiers: matrixDrm(pd, options),
    otherHandleTypes: otherHandleTypeRows(pd),
  };
}

/** The extensions the matrix says a device has or not. */
const MATRIX_EXTENSIONS = [
  "VK_KHR_external_memory_fd",
  "VK_EXT_external_memory_dma_buf",
  "VK_EXT_external_memory_host",
  "VK_KHR_external_semaphore_fd",
  "VK_KHR_external_fence_fd",
  "VK_KHR_dedicated_allocation",
  "VK_EXT_image_drm_format_modifier",
];

/** Who `pd` is: the matrix's `device`. */
function deviceIdentity(pd: PhysicalDevice): CapabilityMatrix["device"] {
  return {
    index: pd.index,
    name: pd.name,
    type: pd.type,
    vendor: pd.vendorName,
    vendorId: pd.vendorId,
    deviceId: pd.deviceId,
    apiVersion: pd.apiVersionString,
    driverVersion: pd.driverVersionString,
    driverName: pd.driverName,
    driverInfo: pd.driverInfo,
    deviceUUID: pd.deviceUUID,
    driverUUID: pd.driverUUID,
    deviceLUID: pd.deviceLUID,
  };
}

/** Each memory handle type × buffer usage × flags. */
function matrixBuffers(
  pd: PhysicalDevice,
  memoryTypes: readonly MemoryHandleTypeName[],
  options: MatrixOptions,
): CapabilityMatrix["buffers"] {
  const usages = options.bufferUsages ?? [
    ["TRANSFER_SRC", "TRANSFER_DST"],
    ["STORAGE_BUFFER", "TRANSFER_SRC", "TRANSFER_DST"],
    ["UNIFORM_BUFFER", "TRANSFER_DST"],
    ["VERTEX_BUFFER", "INDEX_BUFFER", "TRANSFER_DST"],
  ];
  const flagSets = options.bufferFlags ?? [[]];
  return memoryTypes.flatMap((handleType) =>
    usages.flatMap((usage) =>
      flagSets.map((flags) => ({
        ...externalBufferProperties(pd, { handleType, usage, flags }),
        usage: [...usage],
        flags: [...flags],
      }))
    )
  );
}

/** Each memory handle type (host pointers aside) × image format × tiling × usage. */
function matrixImages(
  pd: PhysicalDevice,
  memoryTypes: readonly MemoryHandleTypeName[],
  options: MatrixOptions,
): CapabilityMatrix["images"] {
  const formats = options.imageFormats ?? ["R8G8B8A8_UNORM", "R32_SFLOAT"];
  const tilings = options.imageTilings ?? ["OPTIMAL", "LINEAR"];
  const usages = options.imageUsages ?? [
    ["SAMPLED", "TRANSFER_SRC", "TRANSFER_DST"],
    ["COLOR_ATTACHMENT", "TRANSFER_SRC", "TRANSFER_DST"],
    ["STORAGE", "TRANSFER_SRC", "TRANSFER_DST"],
  ];
  const host = ["HOST_ALLOCATION", "HOST_MAPPED_FOREIGN_MEMORY"];
  return memoryTypes.filter((t) => !host.includes(t)).flatMap((handleType) =>
    formats.flatMap((format) =>
      tilings.flatMap((tiling) =>
        usages.map((usage) => ({
          ...externalImageFormatProperties(pd, { handleType, format, tiling, usage }),
          format,
          tiling,
          usage: [...usage],
        }))
      )
    )
  );
}

/** The DRM format modifiers of a few formats, or why there are none. */
function matrixDrm(
  pd: PhysicalDevice,
  options: MatrixOptions,
): CapabilityMatrix["drmFormatModifiers"] {
  if (!pd.hasExtension("VK_EXT_image_drm_format_modifier")) {
    return { unsupported: "no VK_EXT_image_drm_format_modifier" };
  }
  const formats = options.drmFormats
    ?? ["B8G8R8A8_UNORM", "R8G8B8A8_UNORM", "G8_B8R8_2PLANE_420_UNORM"];
  return formats.map((format) => ({
    format,
    modifiers: drmFormatModifiers(pd, format).map(({ hex, planeCount, tilingFeatures }) => ({
      hex,
      planeCount,
      tilingFeatures,
    })),
  }));
}

type OtherRow = CapabilityMatrix["otherHandleTypes"][number];

/** One row of `otherHandleTypes`. */
function row(
  object: OtherRow["object"],
  handleType: string,
  c: { exportable: boolean; importable: boolean; unsupported?: string },
): OtherRow {
  return {
    object,
    handleType,
    exportable: c.exportable,
    importable: c.importable,
    ...(c.unsupported ? { unsupported: c.unsupported } : {}),
  };
}

/** A VK_NV_external_memory handle type's row (for R8G8B8A8_UNORM images). */
function nvRow(pd: PhysicalDevice, t: ExternalMemoryHandleTypeNVName): OtherRow {
  try {
    const c = externalImageFormatPropertiesNV(pd, { handleType: t });
    return row("image (NV)", t, {
      ...c,
      ...(c.supported ? {} : { unsupported: "not supported for R8G8B8A8_UNORM images" }),
    });
  } catch (e) {
    if (!(e instanceof MissingExtensionError)) throw e;
    const offered = availableInstanceExtensions().includes("VK_NV_external_memory_capabilities");
    return row("image (NV)", t, {
      exportable: false,
      importable: false,
      unsupported: `VK_NV_external_memory_capabilities is not ${
        offered ? "enabled on this Instance" : "offered here"
      }`,
    });
  }
}

/** The handle types of other platforms (Windows, Android) and of VK_NV_external_memory. */
function otherHandleTypeRows(pd: PhysicalDevice): OtherRow[] {
  return [
    ...([
      "OPAQUE_WIN32",
      "OPAQUE_WIN32_KMT",
      "D3D11_TEXTURE",
      "D3D11_TEXTURE_KMT",
      "D3D12_HEAP",
      "D3D12_RESOURCE",
      "ANDROID_HARDWARE_BUFFER",
    ] as const).map((t) => row("memory", t, externalBufferProperties(pd, { handleType: t }))),
    ...(["OPAQUE_WIN32", "OPAQUE_WIN32_KMT", "D3D12_FENCE"] as const).map((t) =>
      row("semaphore", t, externalSemaphoreProperties(pd, { handleType: t }))
    ),
    ...(["OPAQUE_WIN32", "OPAQUE_WIN32_KMT"] as const).map((t) =>
      row("fence", t, externalFenceProperties(pd, { handleType: t }))
    ),
    ...(["OPAQUE_WIN32", "OPAQUE_WIN32_KMT", "D3D11_IMAGE", "D3D11_IMAGE_KMT"] as const).map((t) =>
      nvRow(pd, t)
    ),
  ];
}

/**
 * What an image can share through a VK_NV_external_memory handle type
 * (`vkGetPhysicalDeviceExternalImageFormatPropertiesNV`).
 *
 * @example
 * ```ts
 * const cap = externalImageFormatPropertiesNV(pd, { handleType: "OPAQUE_WIN32" });
 * cap.supported && cap.exportable;
 * ```
 *
 * @category Capabilities
 */
export interface ExternalImageCapabilityNV {
  /** The NV handle type asked about. */
  handleType: ExternalMemoryHandleTypeNVName;
  /** Whether the driver supports the format, tiling and usage with it at all. */
  supported: boolean;
  /** It can be exported. */
  exportable: boolean;
  /** It can be imported. */
  importable: boolean;
  /** It must be a dedicated allocation. */
  dedicatedOnly: boolean;
  /** NV handle types an export can also be imported as. */
  compatibleHandleTypes: string[];
  /** NV handle types memory imported from it can be exported as. */
  exportFromImportedHandleTypes: string[];
}

/**
 * `vkGetPhysicalDeviceExternalImageFormatPropertiesNV` (VK_NV_external_memory_capabilities, an
 * instance extension that NVIDIA's drivers offer). An instance without it is a
 * MissingExtensionError naming it ("offered" when no driver here has it, "enabled" when the
 * Instance was created without it in `extensions`); an unsupported combination is a value.
 *
 * @example
 * ```ts
 * using instance = Instance.create({ extensions: ["VK_NV_external_memory_capabilities"] });
 * externalImageFormatPropertiesNV(instance.physicalDevices()[0], { handleType: "OPAQUE_WIN32" });
 * ```
 *
 * @category Capabilities
 */
export function externalImageFormatPropertiesNV(
  pd: PhysicalDevice,
  query: {
    handleType: ExternalMemoryHandleTypeNVName;
    format?: FormatName;
    type?: ImageTypeName;
    tiling?: Exclude<ImageTilingName, "DRM_FORMAT_MODIFIER">;
    usage?: readonly ImageUsageName[] | number;
    flags?: readonly ImageCreateFlagName[] | number;
  },
): ExternalImageCapabilityNV {
  const handleType = enumValue(ExternalMemoryHandleTypeNV, query.handleType, "handleType");
  const { format, type, tiling, usage, flags } = imageValues(query);
  const h = pd.live;
  const name = VK_NV_external_memory_capabilities.name;
  const instance = pd.instance;
  if (!instance.extensions.includes(name)) {
    const offered = availableInstanceExtensions().includes(name);
    throw new MissingExtensionError(
      name,
      offered ? "the instance" : "this machine's Vulkan drivers",
      offered ? "enabled" : "offered",
      offered
        ? "create the Instance with it in `extensions`"
        : "NVIDIA's drivers offer it; the KHR handle types (externalImageFormatProperties) are the portable way",
    );
  }
  const f = instance.instanceExtension(VK_NV_external_memory_capabilities);
  using arena = new Arena();
  const out = encode(VkExternalImageFormatPropertiesNV, {}, arena);
  const r = f.vkGetPhysicalDeviceExternalImageFormatPropertiesNV(
    h,
    format,
    type,
    tiling,
    usage,
    flags,
    handleType,
    out.bytes,
  );
  const base = { handleType: query.handleType };
  if (r === -11) { // VK_ERROR_FORMAT_NOT_SUPPORTED: a value
    return {
      ...base,
      supported: false,
      exportable: false,
      importable: false,
      dedicatedOnly: false,
      compatibleHandleTypes: [],
      exportFromImportedHandleTypes: [],
    };
  }
  check(r, "vkGetPhysicalDeviceExternalImageFormatPropertiesNV", {
    device: pd.name,
    handleType: query.handleType,
    format: query.format ?? "R8G8B8A8_UNORM",
  });
  const p = out.decode();
  return {
    ...base,
    supported: true,
    exportable: (p.externalMemoryFeatures & 0x2) !== 0,
    importable: (p.externalMemoryFeatures & 0x4) !== 0,
    dedicatedOnly: (p.externalMemoryFeatures & 0x1) !== 0,
    compatibleHandleTypes: flagNames(ExternalMemoryHandleTypeNV, p.compatibleHandleTypes),
    exportFromImportedHandleTypes: flagNames(
      ExternalMemoryHandleTypeNV,
      p.exportFromImportedHandleTypes,
    ),
  };
}

/**
 * One DRM format modifier a device offers for a format (`VkDrmFormatModifierPropertiesEXT`).
 *
 * @example
 * ```ts
 * const m: DrmFormatModifier = drmFormatModifiers(pd, "B8G8R8A8_UNORM")[0];
 * console.log(m.hex, m.planeCount, m.tilingFeatures);
 * ```
 *
 * @category Capabilities
 */
export interface DrmFormatModifier {
  /** The modifier: 0n is DRM_FORMAT_MOD_LINEAR; the top byte names the vendor's layouts. */
  modifier: bigint;
  /** The same as `0x` and 16 hex digits (how descriptors carry it: JSON has no 64-bit ints). */
  hex: string;
  /** Memory planes an image with it has (which may differ from the format's planes). */
  planeCount: number;
  /** What an image with it can be used for (FormatFeature names). */
  tilingFeatures: string[];
}

/** `0x` and 16 hex digits. */
export function modifierHex(m: bigint): string {
  return `0x${m.toString(16).padStart(16, "0")}`;
}

/**
 * The DRM format modifiers `pd` offers for `format` (`vkGetPhysicalDeviceFormatProperties2` with
 * `VkDrmFormatModifierPropertiesListEXT`): what a compositor, camera or video pipeline shares
 * images with. A device without VK_EXT_image_drm_format_modifier is a MissingExtensionError
 * naming it; a format without modifiers gives an empty list.
 *
 * @example
 * ```ts
 * for (const m of drmFormatModifiers(pd, "G8_B8R8_2PLANE_420_UNORM")) console.log(m.hex, m.planeCount);
 * ```
 *
 * @category Capabilities
 */
export function drmFormatModifiers(pd: PhysicalDevice, format: FormatName): DrmFormatModifier[] {
  const f = enumValue(Format, format, "format");
  const name = "VK_EXT_image_drm_format_modifier";
  if (!pd.hasExtension(name)) {
    throw new MissingExtensionError(
      name,
      pd.name,
      "offered",
      "images with DRM format modifiers need it (NVIDIA, AMD, Intel and Mesa's GPU drivers offer it; lavapipe does not)",
    );
  }
  const call = vk().vkGetPhysicalDeviceFormatProperties2;
  if (!call) {
    throw new MissingExtensionError("vkGetPhysicalDeviceFormatProperties2", "libvulkan", "offered");
  }
  const h = pd.live;
  const query = (n: number) => {
    using arena = new Arena();
    const props = encode(VkFormatProperties2, {
      pNext: [link(VkDrmFormatModifierPropertiesListEXT, {
        drmFormatModifierCount: n,
        pDrmFormatModifierProperties: n ? Array.from({ length: n }, () => ({})) : null,
      })],
    }, arena);
    call(h, f, props.bytes);
    return props.chained(VkDrmFormatModifierPropertiesListEXT);
  };
  const n = query(0).drmFormatModifierCount;
  if (!n) return [];
  return query(n).pDrmFormatModifierProperties.map((p) => ({
    modifier: p.drmFormatModifier,
    hex: modifierHex(p.drmFormatModifier),
    planeCount: p.drmFormatModifierPlaneCount,
    tilingFeatures: flagNames(FormatFeature, p.drmFormatModifierTilingFeatures),
  }));
}

/**
 * What `pd` supports for `format`, per tiling (`vkGetPhysicalDeviceFormatProperties2`), as
 * FormatFeature names: `DISJOINT` in a tiling's list says a multi-plane image of that tiling can
 * have a memory per plane.
 *
 * @example
 * ```ts
 * formatFeatures(pd, "G8_B8R8_2PLANE_420_UNORM").optimal.includes("DISJOINT");
 * ```
 *
 * @category Capabilities
 */
export function formatFeatures(
  pd: PhysicalDevice,
  format: FormatName,
): { linear: string[]; optimal: string[]; buffer: string[] } {
  const f = enumValue(Format, format, "format");
  const call = vk().vkGetPhysicalDeviceFormatProperties2;
  if (!call) {
    throw new MissingExtensionError("vkGetPhysicalDeviceFormatProperties2", "libvulkan", "offered");
  }
  using arena = new Arena();
  const props = encode(VkFormatProperties2, {}, arena);
  call(pd.live, f, props.bytes);
  const p = props.decode().formatProperties;
  return {
    linear: flagNames(FormatFeature, p.linearTilingFeatures),
    optimal: flagNames(FormatFeature, p.optimalTilingFeatures),
    buffer: flagNames(FormatFeature, p.bufferFeatures),
  };
}
