/**
 * vkshare's enum tables and name vocabularies (the `vkshare/enums` export): each Vulkan enum or
 * flag type as a frozen name→value table, the name types the typed API takes (`FormatName`,
 * `MemoryHandleTypeName`, ...), converters between names and masks, version helpers, and the
 * name tables of VkResult and errno. Scripts pass names as strings; they need this module only to
 * name a type, list the names, or read a raw value.
 *
 * @example
 * ```ts
 * import { flagNames, MemoryProperty, type MemoryHandleTypeName } from "vkshare/enums";
 *
 * const types: MemoryHandleTypeName[] = ["OPAQUE_FD", "DMA_BUF"];
 * console.log(types, flagNames(MemoryProperty, 0x7));
 * ```
 *
 * @module
 */
export {
  Access,
  BufferCreateFlag,
  BufferUsage,
  driverVersionString,
  enumValue,
  ExternalMemoryFeature,
  ExternalMemoryHandleTypeNV,
  ExternalSyncFeature,
  FenceHandleType,
  flagMask,
  flagNames,
  Format,
  FORMAT_PLANES,
  FORMAT_TEXEL_BYTES,
  FormatFeature,
  ImageCreateFlag,
  ImageLayout,
  ImageTiling,
  ImageType,
  ImageUsage,
  makeVersion,
  MemoryHandleType,
  MemoryHeapFlag,
  MemoryProperty,
  PHYSICAL_DEVICE_TYPES,
  PipelineStage,
  QUEUE_FAMILY_EXTERNAL,
  QUEUE_FAMILY_IGNORED,
  QueueFlag,
  SemaphoreHandleType,
  SemaphoreType,
  VENDORS,
  versionString,
} from "./enums.ts";
export type {
  AccessName,
  BufferCreateFlagName,
  BufferUsageName,
  ExternalMemoryHandleTypeNVName,
  FenceHandleTypeName,
  FormatName,
  FormatPlane,
  ImageCreateFlagName,
  ImageLayoutName,
  ImageTilingName,
  ImageTypeName,
  ImageUsageName,
  MemoryHandleTypeName,
  MemoryPropertyName,
  PhysicalDeviceTypeName,
  PipelineStageName,
  SemaphoreHandleTypeName,
  SemaphoreTypeName,
} from "./enums.ts";
export { ERRNO_NAMES, resultName, VK_RESULT_NAMES } from "./errors.ts";
