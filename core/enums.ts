/**
 * Vulkan enums and flag bits that vkshare's API names, with conversions between bit masks and
 * lists of names (`["OPAQUE_FD", "DMA_BUF"]`).
 *
 * @module
 */

/**
 * `VkExternalMemoryHandleTypeFlagBits`, by short name.
 *
 * @example
 * ```ts
 * MemoryHandleType.DMA_BUF; // 0x200
 * ```
 *
 * @category Enums
 */
export const MemoryHandleType = {
  OPAQUE_FD: 0x1,
  OPAQUE_WIN32: 0x2,
  OPAQUE_WIN32_KMT: 0x4,
  D3D11_TEXTURE: 0x8,
  D3D11_TEXTURE_KMT: 0x10,
  D3D12_HEAP: 0x20,
  D3D12_RESOURCE: 0x40,
  HOST_ALLOCATION: 0x80,
  HOST_MAPPED_FOREIGN_MEMORY: 0x100,
  DMA_BUF: 0x200,
  ANDROID_HARDWARE_BUFFER: 0x400,
  ZIRCON_VMO: 0x800,
  RDMA_ADDRESS: 0x1000,
  SCREEN_BUFFER: 0x4000,
} as const;
/**
 * A memory handle type name.
 *
 * @example
 * ```ts
 * const t: MemoryHandleTypeName = "DMA_BUF";
 * ```
 *
 * @category Enums
 */
export type MemoryHandleTypeName = keyof typeof MemoryHandleType;

/**
 * `VkExternalSemaphoreHandleTypeFlagBits`, by short name.
 *
 * @example
 * ```ts
 * SemaphoreHandleType.OPAQUE_FD; // 0x1
 * ```
 *
 * @category Enums
 */
export const SemaphoreHandleType = {
  OPAQUE_FD: 0x1,
  OPAQUE_WIN32: 0x2,
  OPAQUE_WIN32_KMT: 0x4,
  D3D12_FENCE: 0x8,
  SYNC_FD: 0x10,
  ZIRCON_EVENT: 0x80,
} as const;
/**
 * A semaphore handle type name.
 *
 * @example
 * ```ts
 * const t: SemaphoreHandleTypeName = "OPAQUE_FD";
 * ```
 *
 * @category Enums
 */
export type SemaphoreHandleTypeName = keyof typeof SemaphoreHandleType;

/**
 * `VkExternalFenceHandleTypeFlagBits`, by short name.
 *
 * @example
 * ```ts
 * FenceHandleType.SYNC_FD; // 0x8
 * ```
 *
 * @category Enums
 */
export const FenceHandleType = {
  OPAQUE_FD: 0x1,
  OPAQUE_WIN32: 0x2,
  OPAQUE_WIN32_KMT: 0x4,
  SYNC_FD: 0x8,
} as const;
/**
 * A fence handle type name.
 *
 * @example
 * ```ts
 * const t: FenceHandleTypeName = "SYNC_FD";
 * ```
 *
 * @category Enums
 */
export type FenceHandleTypeName = keyof typeof FenceHandleType;

/**
 * `VkExternalMemoryFeatureFlagBits`
 *
 * @example
 * ```ts
 * const f = ExternalMemoryFeature.EXPORTABLE | ExternalMemoryFeature.IMPORTABLE; // 0x6
 * ```
 *
 * @category Enums
 */
export const ExternalMemoryFeature = {
  DEDICATED_ONLY: 0x1,
  EXPORTABLE: 0x2,
  IMPORTABLE: 0x4,
} as const;

/**
 * `VkExternalMemoryHandleTypeFlagBitsNV` (VK_NV_external_memory), by short name.
 *
 * @example
 * ```ts
 * ExternalMemoryHandleTypeNV.OPAQUE_WIN32; // 0x1
 * ```
 *
 * @category Enums
 */
export const ExternalMemoryHandleTypeNV = {
  OPAQUE_WIN32: 0x1,
  OPAQUE_WIN32_KMT: 0x2,
  D3D11_IMAGE: 0x4,
  D3D11_IMAGE_KMT: 0x8,
} as const;

/**
 * An NV memory handle type name.
 *
 * @example
 * ```ts
 * const t: ExternalMemoryHandleTypeNVName = "D3D11_IMAGE";
 * ```
 *
 * @category Enums
 */
export type ExternalMemoryHandleTypeNVName = keyof typeof ExternalMemoryHandleTypeNV;

/**
 * `VkExternalSemaphoreFeatureFlagBits` and `VkExternalFenceFeatureFlagBits` (same values).
 *
 * @example
 * ```ts
 * flagNames(ExternalSyncFeature, 0x3); // ["EXPORTABLE", "IMPORTABLE"]
 * ```
 *
 * @category Enums
 */
export const ExternalSyncFeature = {
  EXPORTABLE: 0x1,
  IMPORTABLE: 0x2,
} as const;

/**
 * `VkMemoryPropertyFlagBits`
 *
 * @example
 * ```ts
 * flagNames(MemoryProperty, 0x6); // ["HOST_VISIBLE", "HOST_COHERENT"]
 * ```
 *
 * @category Enums
 */
export const MemoryProperty = {
  DEVICE_LOCAL: 0x1,
  HOST_VISIBLE: 0x2,
  HOST_COHERENT: 0x4,
  HOST_CACHED: 0x8,
  LAZILY_ALLOCATED: 0x10,
  PROTECTED: 0x20,
  DEVICE_COHERENT_AMD: 0x40,
  DEVICE_UNCACHED_AMD: 0x80,
  RDMA_CAPABLE_NV: 0x100,
} as const;
/**
 * A memory property name.
 *
 * @example
 * ```ts
 * const p: MemoryPropertyName[] = ["HOST_VISIBLE", "HOST_COHERENT"];
 * ```
 *
 * @category Enums
 */
export type MemoryPropertyName = keyof typeof MemoryProperty;

/**
 * `VkMemoryHeapFlagBits`
 *
 * @example
 * ```ts
 * flagNames(MemoryHeapFlag, 0x1); // ["DEVICE_LOCAL"]
 * ```
 *
 * @category Enums
 */
export const MemoryHeapFlag = {
  DEVICE_LOCAL: 0x1,
  MULTI_INSTANCE: 0x2,
} as const;

/**
 * `VkQueueFlagBits`
 *
 * @example
 * ```ts
 * pd.queueFamilies.filter((f) => f.queueFlags & QueueFlag.COMPUTE);
 * ```
 *
 * @category Enums
 */
export const QueueFlag = {
  GRAPHICS: 0x1,
  COMPUTE: 0x2,
  TRANSFER: 0x4,
  SPARSE_BINDING: 0x8,
  PROTECTED: 0x10,
  VIDEO_DECODE: 0x20,
  VIDEO_ENCODE: 0x40,
  OPTICAL_FLOW: 0x100,
} as const;

/**
 * `VkBufferUsageFlagBits`
 *
 * @example
 * ```ts
 * flagMask(BufferUsage, ["TRANSFER_SRC", "TRANSFER_DST"], "usage"); // 0x3
 * ```
 *
 * @category Enums
 */
export const BufferUsage = {
  TRANSFER_SRC: 0x1,
  TRANSFER_DST: 0x2,
  UNIFORM_TEXEL_BUFFER: 0x4,
  STORAGE_TEXEL_BUFFER: 0x8,
  UNIFORM_BUFFER: 0x10,
  STORAGE_BUFFER: 0x20,
  INDEX_BUFFER: 0x40,
  VERTEX_BUFFER: 0x80,
  INDIRECT_BUFFER: 0x100,
  SHADER_DEVICE_ADDRESS: 0x20000,
} as const;
/**
 * A buffer usage name.
 *
 * @example
 * ```ts
 * const u: BufferUsageName[] = ["STORAGE_BUFFER", "TRANSFER_DST"];
 * ```
 *
 * @category Enums
 */
export type BufferUsageName = keyof typeof BufferUsage;

/**
 * `VkBufferCreateFlagBits`
 *
 * @example
 * ```ts
 * flagMask(BufferCreateFlag, ["SPARSE_BINDING"], "flags"); // 0x1
 * ```
 *
 * @category Enums
 */
export const BufferCreateFlag = {
  SPARSE_BINDING: 0x1,
  SPARSE_RESIDENCY: 0x2,
  SPARSE_ALIASED: 0x4,
  PROTECTED: 0x8,
  DEVICE_ADDRESS_CAPTURE_REPLAY: 0x10,
} as const;
/**
 * A buffer create flag name.
 *
 * @example
 * ```ts
 * const f: BufferCreateFlagName = "PROTECTED";
 * ```
 *
 * @category Enums
 */
export type BufferCreateFlagName = keyof typeof BufferCreateFlag;

/**
 * `VkImageUsageFlagBits`
 *
 * @example
 * ```ts
 * flagMask(ImageUsage, ["SAMPLED", "TRANSFER_DST"], "usage"); // 0x6
 * ```
 *
 * @category Enums
 */
export const ImageUsage = {
  TRANSFER_SRC: 0x1,
  TRANSFER_DST: 0x2,
  SAMPLED: 0x4,
  STORAGE: 0x8,
  COLOR_ATTACHMENT: 0x10,
  DEPTH_STENCIL_ATTACHMENT: 0x20,
  TRANSIENT_ATTACHMENT: 0x40,
  INPUT_ATTACHMENT: 0x80,
} as const;
/**
 * An image usage name.
 *
 * @example
 * ```ts
 * const u: ImageUsageName[] = ["SAMPLED", "TRANSFER_DST"];
 * ```
 *
 * @category Enums
 */
export type ImageUsageName = keyof typeof ImageUsage;

/**
 * `VkImageCreateFlagBits` (the ones that matter for sharing).
 *
 * @example
 * ```ts
 * flagMask(ImageCreateFlag, ["MUTABLE_FORMAT"], "flags"); // 0x8
 * ```
 *
 * @category Enums
 */
export const ImageCreateFlag = {
  SPARSE_BINDING: 0x1,
  SPARSE_RESIDENCY: 0x2,
  SPARSE_ALIASED: 0x4,
  MUTABLE_FORMAT: 0x8,
  CUBE_COMPATIBLE: 0x10,
  DISJOINT: 0x200,
  ALIAS: 0x400,
} as const;
/**
 * An image create flag name.
 *
 * @example
 * ```ts
 * const f: ImageCreateFlagName = "MUTABLE_FORMAT";
 * ```
 *
 * @category Enums
 */
export type ImageCreateFlagName = keyof typeof ImageCreateFlag;

/**
 * `VkImageTiling`
 *
 * @example
 * ```ts
 * ImageTiling.LINEAR; // 1
 * ```
 *
 * @category Enums
 */
export const ImageTiling = { OPTIMAL: 0, LINEAR: 1, DRM_FORMAT_MODIFIER: 1000158000 } as const;
/**
 * An image tiling name.
 *
 * @example
 * ```ts
 * const t: ImageTilingName = "LINEAR";
 * ```
 *
 * @category Enums
 */
export type ImageTilingName = keyof typeof ImageTiling;

/**
 * `VkImageType`
 *
 * @example
 * ```ts
 * ImageType["2D"]; // 1
 * ```
 *
 * @category Enums
 */
export const ImageType = { "1D": 0, "2D": 1, "3D": 2 } as const;
/**
 * An image type name.
 *
 * @example
 * ```ts
 * const t: ImageTypeName = "2D";
 * ```
 *
 * @category Enums
 */
export type ImageTypeName = keyof typeof ImageType;

/**
 * `VkFormat`: a few common formats by name.
 *
 * @example
 * ```ts
 * Format.R8G8B8A8_UNORM; // 37
 * ```
 *
 * @category Enums
 */
export const Format = {
  UNDEFINED: 0,
  R8_UNORM: 9,
  R8G8B8A8_UNORM: 37,
  R8G8B8A8_SRGB: 43,
  B8G8R8A8_UNORM: 44,
  R16G16B16A16_SFLOAT: 97,
  R32_UINT: 98,
  R32_SFLOAT: 100,
  R32G32B32A32_SFLOAT: 109,
  D32_SFLOAT: 126,
  /** 4:2:0 Y'CbCr, three planes (I420 / YV12 order: Y, Cb, Cr). */
  G8_B8_R8_3PLANE_420_UNORM: 1000156002,
  /** 4:2:0 Y'CbCr, two planes (NV12: Y, then interleaved CbCr). */
  G8_B8R8_2PLANE_420_UNORM: 1000156003,
  /** 4:2:0 Y'CbCr, 10 bits in 16, two planes (P010). */
  G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16: 1000156013,
} as const;
/**
 * A format name.
 *
 * @example
 * ```ts
 * const f: FormatName = "R8G8B8A8_UNORM";
 * ```
 *
 * @category Enums
 */
export type FormatName = keyof typeof Format;

/**
 * `VkImageLayout` (the layouts a transfer-and-share toolkit names).
 *
 * @example
 * ```ts
 * ImageLayout.TRANSFER_DST_OPTIMAL; // 7
 * ```
 *
 * @category Enums
 */
export const ImageLayout = {
  UNDEFINED: 0,
  GENERAL: 1,
  COLOR_ATTACHMENT_OPTIMAL: 2,
  SHADER_READ_ONLY_OPTIMAL: 5,
  TRANSFER_SRC_OPTIMAL: 6,
  TRANSFER_DST_OPTIMAL: 7,
} as const;
/**
 * An image layout name.
 *
 * @example
 * ```ts
 * const l: ImageLayoutName = "GENERAL";
 * ```
 *
 * @category Enums
 */
export type ImageLayoutName = keyof typeof ImageLayout;

/**
 * The size in bytes of one texel of each format vkshare names (`D32_SFLOAT`: its depth).
 *
 * @example
 * ```ts
 * FORMAT_TEXEL_BYTES.R8G8B8A8_UNORM; // 4
 * ```
 *
 * @category Enums
 */
export const FORMAT_TEXEL_BYTES: Readonly<Record<FormatName, number>> = {
  UNDEFINED: 0,
  R8_UNORM: 1,
  R8G8B8A8_UNORM: 4,
  R8G8B8A8_SRGB: 4,
  B8G8R8A8_UNORM: 4,
  R16G16B16A16_SFLOAT: 8,
  R32_UINT: 4,
  R32_SFLOAT: 4,
  R32G32B32A32_SFLOAT: 16,
  D32_SFLOAT: 4,
  // Multi-plane formats have no one texel size: see FORMAT_PLANES.
  G8_B8_R8_3PLANE_420_UNORM: 0,
  G8_B8R8_2PLANE_420_UNORM: 0,
  G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16: 0,
};

/**
 * `VkFormatFeatureFlagBits` (the ones a sharing toolkit reports: what an image of a format, tiling
 * or DRM format modifier can be used for).
 *
 * @example
 * ```ts
 * flagNames(FormatFeature, 0xc001); // ["SAMPLED_IMAGE", "TRANSFER_SRC", "TRANSFER_DST"]
 * ```
 *
 * @category Enums
 */
export const FormatFeature = {
  SAMPLED_IMAGE: 0x1,
  STORAGE_IMAGE: 0x2,
  STORAGE_IMAGE_ATOMIC: 0x4,
  COLOR_ATTACHMENT: 0x80,
  COLOR_ATTACHMENT_BLEND: 0x100,
  DEPTH_STENCIL_ATTACHMENT: 0x200,
  BLIT_SRC: 0x400,
  BLIT_DST: 0x800,
  SAMPLED_IMAGE_FILTER_LINEAR: 0x1000,
  TRANSFER_SRC: 0x4000,
  TRANSFER_DST: 0x8000,
  MIDPOINT_CHROMA_SAMPLES: 0x20000,
  DISJOINT: 0x400000,
  COSITED_CHROMA_SAMPLES: 0x800000,
} as const;

/**
 * One plane of a multi-plane format: its texel size and how its extent divides the image's.
 *
 * @example
 * ```ts
 * const cbcr: FormatPlane = FORMAT_PLANES.G8_B8R8_2PLANE_420_UNORM![1]; // 2 bytes, half size
 * ```
 *
 * @category Enums
 */
export interface FormatPlane {
  /** Bytes per texel of this plane. */
  texelBytes: number;
  /** The image's width divided by this, rounded up, is the plane's. */
  widthDivisor: number;
  /** The image's height divided by this, rounded up, is the plane's. */
  heightDivisor: number;
}

/**
 * The planes of each multi-plane (Y'CbCr) format vkshare names, in plane order (the Vulkan spec's
 * "Plane Format Compatibility" table). NV12 is a plane of R8 (Y) and a half-size plane of R8G8
 * (CbCr).
 *
 * @example
 * ```ts
 * FORMAT_PLANES.G8_B8R8_2PLANE_420_UNORM!.length; // 2
 * ```
 *
 * @category Enums
 */
export const FORMAT_PLANES: Readonly<Partial<Record<FormatName, readonly FormatPlane[]>>> = {
  G8_B8_R8_3PLANE_420_UNORM: [
    { texelBytes: 1, widthDivisor: 1, heightDivisor: 1 },
    { texelBytes: 1, widthDivisor: 2, heightDivisor: 2 },
    { texelBytes: 1, widthDivisor: 2, heightDivisor: 2 },
  ],
  G8_B8R8_2PLANE_420_UNORM: [
    { texelBytes: 1, widthDivisor: 1, heightDivisor: 1 },
    { texelBytes: 2, widthDivisor: 2, heightDivisor: 2 },
  ],
  G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16: [
    { texelBytes: 2, widthDivisor: 1, heightDivisor: 1 },
    { texelBytes: 4, widthDivisor: 2, heightDivisor: 2 },
  ],
};

/**
 * `VkPipelineStageFlagBits` (the stages a transfer-and-compute toolkit names).
 *
 * @example
 * ```ts
 * flagMask(PipelineStage, ["TRANSFER"], "stage"); // 0x1000
 * ```
 *
 * @category Enums
 */
export const PipelineStage = {
  TOP_OF_PIPE: 0x1,
  DRAW_INDIRECT: 0x2,
  VERTEX_INPUT: 0x4,
  VERTEX_SHADER: 0x8,
  FRAGMENT_SHADER: 0x80,
  COLOR_ATTACHMENT_OUTPUT: 0x400,
  COMPUTE_SHADER: 0x800,
  TRANSFER: 0x1000,
  BOTTOM_OF_PIPE: 0x2000,
  HOST: 0x4000,
  ALL_GRAPHICS: 0x8000,
  ALL_COMMANDS: 0x10000,
} as const;
/**
 * A pipeline stage name.
 *
 * @example
 * ```ts
 * const s: PipelineStageName = "ALL_COMMANDS";
 * ```
 *
 * @category Enums
 */
export type PipelineStageName = keyof typeof PipelineStage;

/**
 * `VkAccessFlagBits`
 *
 * @example
 * ```ts
 * Access.TRANSFER_WRITE; // 0x1000, as VkAccessFlagBits names it
 * ```
 *
 * @category Enums
 */
export const Access = {
  INDIRECT_COMMAND_READ: 0x1,
  INDEX_READ: 0x2,
  VERTEX_ATTRIBUTE_READ: 0x4,
  UNIFORM_READ: 0x8,
  SHADER_READ: 0x20,
  SHADER_WRITE: 0x40,
  COLOR_ATTACHMENT_READ: 0x80,
  COLOR_ATTACHMENT_WRITE: 0x100,
  TRANSFER_READ: 0x800,
  TRANSFER_WRITE: 0x1000,
  HOST_READ: 0x2000,
  HOST_WRITE: 0x4000,
  MEMORY_READ: 0x8000,
  MEMORY_WRITE: 0x10000,
} as const;
/**
 * An access type name.
 *
 * @example
 * ```ts
 * const a: AccessName = "TRANSFER_WRITE";
 * ```
 *
 * @category Enums
 */
export type AccessName = keyof typeof Access;

/**
 * `VK_QUEUE_FAMILY_IGNORED`
 *
 * @example
 * ```ts
 * QUEUE_FAMILY_IGNORED; // 0xffffffff: no ownership transfer
 * ```
 *
 * @category Enums
 */
export const QUEUE_FAMILY_IGNORED = 0xffff_ffff;
/**
 * `VK_QUEUE_FAMILY_EXTERNAL`: the queue family of "any other device or API" in a barrier.
 *
 * @example
 * ```ts
 * r.barrier({ buffer, srcStage: "TRANSFER", dstStage: "BOTTOM_OF_PIPE", srcQueueFamily: device.queueFamily, dstQueueFamily: "external" }); // QUEUE_FAMILY_EXTERNAL
 * ```
 *
 * @category Enums
 */
export const QUEUE_FAMILY_EXTERNAL = 0xffff_fffe;

/**
 * `VkSemaphoreType`
 *
 * @example
 * ```ts
 * SemaphoreType.timeline; // 1
 * ```
 *
 * @category Enums
 */
export const SemaphoreType = { binary: 0, timeline: 1 } as const;
/**
 * A semaphore type name.
 *
 * @example
 * ```ts
 * const t: SemaphoreTypeName = "timeline";
 * ```
 *
 * @category Enums
 */
export type SemaphoreTypeName = keyof typeof SemaphoreType;

/**
 * `VkPhysicalDeviceType`, as names.
 *
 * @example
 * ```ts
 * PHYSICAL_DEVICE_TYPES[2]; // "discrete-gpu"
 * ```
 *
 * @category Enums
 */
export const PHYSICAL_DEVICE_TYPES = [
  "other",
  "integrated-gpu",
  "discrete-gpu",
  "virtual-gpu",
  "cpu",
] as const;
/**
 * A physical device type name.
 *
 * @example
 * ```ts
 * const t: PhysicalDeviceTypeName = pd.type; // "discrete-gpu", "cpu", ...
 * ```
 *
 * @category Enums
 */
export type PhysicalDeviceTypeName = (typeof PHYSICAL_DEVICE_TYPES)[number];

/**
 * The vendor names of the PCI vendor IDs Vulkan drivers report.
 *
 * @example
 * ```ts
 * VENDORS[0x10de]; // "NVIDIA"
 * ```
 *
 * @category Enums
 */
export const VENDORS: Readonly<Record<number, string>> = {
  0x1002: "AMD",
  0x1010: "ImgTec",
  0x10de: "NVIDIA",
  0x13b5: "ARM",
  0x5143: "Qualcomm",
  0x8086: "Intel",
  0x10005: "Mesa",
  0x106b: "Apple",
  0x1af4: "virtio",
};

const FORMAT_NAMES = new Map(
  (Object.entries(Format) as [FormatName, number][]).map(([name, v]) => [v, name]),
);

/**
 * The name vkshare gives the VkFormat value `value`, or undefined where it names none.
 *
 * @example
 * ```ts
 * formatNameOf(37); // "R8G8B8A8_UNORM"
 * ```
 *
 * @category Enums
 */
export function formatNameOf(value: number): FormatName | undefined {
  return FORMAT_NAMES.get(value);
}

/**
 * The names of the bits set in `mask`, by a flag table; unknown bits come back as hex.
 *
 * @example
 * ```ts
 * flagNames(MemoryHandleType, 0x201); // ["OPAQUE_FD", "DMA_BUF"]
 * ```
 *
 * @category Enums
 */
export function flagNames<T extends Record<string, number>>(table: T, mask: number): string[] {
  const out: string[] = [];
  let rest = mask >>> 0;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & bit) === bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  for (let b = 0; b < 32 && rest; b++) {
    const bit = (1 << b) >>> 0;
    if (rest & bit) {
      out.push(`0x${bit.toString(16)}`);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return out;
}

/**
 * The mask of a list of flag names (or a mask, passed through), checking every name.
 *
 * @example
 * ```ts
 * flagMask(BufferUsage, ["TRANSFER_SRC", "TRANSFER_DST"], "usage"); // 3
 * ```
 *
 * @category Enums
 */
export function flagMask<T extends Record<string, number>>(
  table: T,
  value: readonly (keyof T & string)[] | number,
  what: string,
): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`${what}: ${value} is not a 32-bit flag mask`);
    }
    return value;
  }
  if (!Array.isArray(value)) {
    throw new TypeError(`${what}: expected a list of flag names or a mask`);
  }
  let mask = 0;
  for (const name of value) {
    const bit = table[name];
    if (typeof bit !== "number") {
      throw new RangeError(
        `${what}: unknown flag ${JSON.stringify(name)} (one of ${Object.keys(table).join(", ")})`,
      );
    }
    mask = (mask | bit) >>> 0;
  }
  return mask;
}

/**
 * The value of one enum name, checking it.
 *
 * @example
 * ```ts
 * enumValue(Format, "R8G8B8A8_UNORM", "format"); // 37
 * ```
 *
 * @category Enums
 */
export function enumValue<T extends Record<string, number>>(
  table: T,
  name: keyof T & string,
  what: string,
): number {
  // (A number, not whatever a name of Object.prototype such as `toString` gives.)
  const v = table[name];
  if (typeof v !== "number") {
    throw new RangeError(
      `${what}: unknown value ${JSON.stringify(name)} (one of ${Object.keys(table).join(", ")})`,
    );
  }
  return v;
}

/**
 * The name of `value` in an enum table (the reverse of {@linkcode enumValue}), or undefined
 * where the table names no such value.
 *
 * @example
 * ```ts
 * enumName(ImageTiling, 1); // "LINEAR"
 * ```
 *
 * @category Enums
 */
export function enumName<T extends Record<string, number>>(
  table: T,
  value: number,
): (keyof T & string) | undefined {
  for (const [name, v] of Object.entries(table)) if (v === value) return name as keyof T & string;
  return undefined;
}

/**
 * A Vulkan version number as text: `1.3.280`.
 *
 * @example
 * ```ts
 * versionString((1 << 22) | (3 << 12) | 280); // "1.3.280"
 * ```
 *
 * @category Enums
 */
export function versionString(v: number): string {
  return `${(v >>> 22) & 0x7f}.${(v >>> 12) & 0x3ff}.${v & 0xfff}`;
}

/**
 * `VK_MAKE_API_VERSION(0, major, minor, patch)`.
 *
 * @example
 * ```ts
 * makeVersion(1, 3); // 4206592
 * ```
 *
 * @category Enums
 */
export function makeVersion(major: number, minor: number, patch?: number): number {
  patch ??= 0;
  return ((major << 22) | (minor << 12) | patch) >>> 0;
}

/**
 * A driver version as its vendor writes it: NVIDIA packs 10.8.8.6 bits, others use
 * Vulkan's version packing.
 *
 * @example
 * ```ts
 * driverVersionString(0x10de, 0x9127c100); // "580.159.4.0"
 * ```
 *
 * @category Enums
 */
export function driverVersionString(vendorId: number, v: number): string {
  if (vendorId === 0x10de) {
    return `${(v >>> 22) & 0x3ff}.${(v >>> 14) & 0xff}.${(v >>> 6) & 0xff}.${v & 0x3f}`;
  }
  return versionString(v);
}

/**
 * Converts one or several memory handle type names to a mask.
 *
 * @example
 * ```ts
 * handleTypeMask(["OPAQUE_FD", "DMA_BUF"], "exportAs"); // 0x201
 * ```
 *
 * @category Enums
 */
export function handleTypeMask(
  v: readonly MemoryHandleTypeName[] | MemoryHandleTypeName | undefined,
  what: string,
): number {
  if (v === undefined) return 0;
  return flagMask(MemoryHandleType, typeof v === "string" ? [v] : v, what);
}

/**
 * @ignore @internal A usage mask, as {@linkcode flagMask} reads it, that Vulkan accepts: at
 * least one flag (a usage of 0 breaks VkBufferCreateInfo's, VkImageCreateInfo's and the
 * capability queries' "usage-requiredbitmask" rule). A RangeError that lists the names otherwise.
 */
export function usageMask<T extends Record<string, number>>(
  table: T,
  value: readonly (keyof T & string)[] | number,
  what: string,
): number {
  const mask = flagMask(table, value, what);
  if (mask !== 0) return mask;
  throw new RangeError(
    `${what}: at least one usage flag is needed, got none (one of ${
      Object.keys(table).join(", ")
    })`,
  );
}
