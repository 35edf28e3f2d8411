/**
 * The structs of the seeds' other handle types, declared as their C fields in order:
 * VK_NV_external_memory(_capabilities) (vulkan_core.h), the `_win32` handle types of memory,
 * semaphores and fences and VK_NV_external_memory_win32 (vulkan_win32.h: Windows' ABI, LLP64,
 * where `HANDLE` and pointers are 8 bytes and `DWORD` 4, as on Linux), and Android hardware
 * buffers (vulkan_android.h). Their layouts are checked against the compiler over those headers,
 * with the few windows.h types given explicitly (`PLATFORM_PRELUDE`), by
 * tests/ffi/platform_layout_test.ts.
 *
 * @module
 */
import {
  count,
  defineStruct,
  pNext,
  struct,
  sType,
  u32,
  u64,
  valueArray,
  voidPtr,
} from "./layout.ts";
import type {
  BigIntField,
  NumberField,
  PNextField,
  StructDef,
  StructField,
  STypeField,
  ValueArrayField,
  VoidPtrField,
} from "./layout.ts";
import { handle } from "./layout.ts";
import { VkImageFormatProperties } from "./vk_structs.ts";

/** The structure type values of these structs (vulkan_core.h). */
export const PLATFORM_ST = {
  EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV: 1000056000,
  EXPORT_MEMORY_ALLOCATE_INFO_NV: 1000056001,
  IMPORT_MEMORY_WIN32_HANDLE_INFO_NV: 1000057000,
  EXPORT_MEMORY_WIN32_HANDLE_INFO_NV: 1000057001,
  IMPORT_MEMORY_WIN32_HANDLE_INFO_KHR: 1000073000,
  EXPORT_MEMORY_WIN32_HANDLE_INFO_KHR: 1000073001,
  MEMORY_WIN32_HANDLE_PROPERTIES_KHR: 1000073002,
  MEMORY_GET_WIN32_HANDLE_INFO_KHR: 1000073003,
  IMPORT_SEMAPHORE_WIN32_HANDLE_INFO_KHR: 1000078000,
  EXPORT_SEMAPHORE_WIN32_HANDLE_INFO_KHR: 1000078001,
  D3D12_FENCE_SUBMIT_INFO_KHR: 1000078002,
  SEMAPHORE_GET_WIN32_HANDLE_INFO_KHR: 1000078003,
  IMPORT_FENCE_WIN32_HANDLE_INFO_KHR: 1000114000,
  EXPORT_FENCE_WIN32_HANDLE_INFO_KHR: 1000114001,
  FENCE_GET_WIN32_HANDLE_INFO_KHR: 1000114002,
  ANDROID_HARDWARE_BUFFER_USAGE_ANDROID: 1000129000,
  ANDROID_HARDWARE_BUFFER_PROPERTIES_ANDROID: 1000129001,
  ANDROID_HARDWARE_BUFFER_FORMAT_PROPERTIES_ANDROID: 1000129002,
  IMPORT_ANDROID_HARDWARE_BUFFER_INFO_ANDROID: 1000129003,
  MEMORY_GET_ANDROID_HARDWARE_BUFFER_INFO_ANDROID: 1000129004,
  EXTERNAL_FORMAT_ANDROID: 1000129005,
  ANDROID_HARDWARE_BUFFER_FORMAT_PROPERTIES_2_ANDROID: 1000129006,
} as const;

const ST = PLATFORM_ST;

/**
 * What the layout check's C program declares before vulkan_win32.h and vulkan_android.h: the
 * windows.h types they use, with Windows' sizes (a pointer, a 32-bit DWORD, a 32-bit BOOL).
 */
export const PLATFORM_PRELUDE: readonly string[] = [
  "#include <stdint.h>",
  "typedef void* HANDLE;",
  "typedef void* HINSTANCE;",
  "typedef void* HWND;",
  "typedef void* HMONITOR;",
  "typedef uint32_t DWORD;",
  "typedef int32_t BOOL;",
  "typedef const uint16_t* LPCWSTR;",
  "typedef struct _SECURITY_ATTRIBUTES { DWORD nLength; void* lpSecurityDescriptor; BOOL bInheritHandle; } SECURITY_ATTRIBUTES;",
];

/** The headers of these structs, after the prelude. */
export const PLATFORM_HEADERS: readonly string[] = [
  "vulkan/vulkan_core.h",
  "vulkan/vulkan_win32.h",
  "vulkan/vulkan_android.h",
];

/** `VkComponentMapping` */
export const VkComponentMapping: StructDef<
  "VkComponentMapping",
  { r: NumberField; g: NumberField; b: NumberField; a: NumberField },
  never
> = defineStruct("VkComponentMapping", {
  r: u32("VkComponentSwizzle"),
  g: u32("VkComponentSwizzle"),
  b: u32("VkComponentSwizzle"),
  a: u32("VkComponentSwizzle"),
});

// ---- VK_NV_external_memory, VK_NV_external_memory_capabilities --------------------------------

/** `VkExternalImageFormatPropertiesNV` */
export const VkExternalImageFormatPropertiesNV: StructDef<
  "VkExternalImageFormatPropertiesNV",
  {
    imageFormatProperties: StructField<typeof VkImageFormatProperties>;
    externalMemoryFeatures: NumberField;
    exportFromImportedHandleTypes: NumberField;
    compatibleHandleTypes: NumberField;
  },
  never
> = defineStruct(
  "VkExternalImageFormatPropertiesNV",
  {
    imageFormatProperties: struct(VkImageFormatProperties),
    externalMemoryFeatures: u32("VkExternalMemoryFeatureFlagsNV"),
    exportFromImportedHandleTypes: u32("VkExternalMemoryHandleTypeFlagsNV"),
    compatibleHandleTypes: u32("VkExternalMemoryHandleTypeFlagsNV"),
  },
);

/** `VkExternalMemoryImageCreateInfoNV` */
export const VkExternalMemoryImageCreateInfoNV: StructDef<
  "VkExternalMemoryImageCreateInfoNV",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkImageCreateInfo"
> = defineStruct(
  "VkExternalMemoryImageCreateInfoNV",
  { sType: sType(), pNext: pNext(), handleTypes: u32("VkExternalMemoryHandleTypeFlagsNV") },
  { sType: ST.EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV, extends: ["VkImageCreateInfo"] },
);

/** `VkExportMemoryAllocateInfoNV` */
export const VkExportMemoryAllocateInfoNV: StructDef<
  "VkExportMemoryAllocateInfoNV",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkMemoryAllocateInfo"
> = defineStruct(
  "VkExportMemoryAllocateInfoNV",
  { sType: sType(), pNext: pNext(), handleTypes: u32("VkExternalMemoryHandleTypeFlagsNV") },
  { sType: ST.EXPORT_MEMORY_ALLOCATE_INFO_NV, extends: ["VkMemoryAllocateInfo"] },
);

/** `VkImportMemoryWin32HandleInfoNV` */
export const VkImportMemoryWin32HandleInfoNV: StructDef<
  "VkImportMemoryWin32HandleInfoNV",
  { sType: STypeField; pNext: PNextField; handleType: NumberField; handle: VoidPtrField },
  "VkMemoryAllocateInfo"
> = defineStruct(
  "VkImportMemoryWin32HandleInfoNV",
  {
    sType: sType(),
    pNext: pNext(),
    handleType: u32("VkExternalMemoryHandleTypeFlagsNV"),
    handle: voidPtr("HANDLE"),
  },
  { sType: ST.IMPORT_MEMORY_WIN32_HANDLE_INFO_NV, extends: ["VkMemoryAllocateInfo"] },
);

/** `VkExportMemoryWin32HandleInfoNV` */
export const VkExportMemoryWin32HandleInfoNV: StructDef<
  "VkExportMemoryWin32HandleInfoNV",
  { sType: STypeField; pNext: PNextField; pAttributes: VoidPtrField; dwAccess: NumberField },
  "VkMemoryAllocateInfo"
> = defineStruct(
  "VkExportMemoryWin32HandleInfoNV",
  {
    sType: sType(),
    pNext: pNext(),
    pAttributes: voidPtr("const SECURITY_ATTRIBUTES*"),
    dwAccess: u32("DWORD"),
  },
  { sType: ST.EXPORT_MEMORY_WIN32_HANDLE_INFO_NV, extends: ["VkMemoryAllocateInfo"] },
);

// ---- VK_KHR_external_memory_win32 ---------------------------------------------------------------

/** `VkImportMemoryWin32HandleInfoKHR` */
export const VkImportMemoryWin32HandleInfoKHR: StructDef<
  "VkImportMemoryWin32HandleInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    handleType: NumberField;
    handle: VoidPtrField;
    name: VoidPtrField;
  },
  "VkMemoryAllocateInfo"
> = defineStruct(
  "VkImportMemoryWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
    handle: voidPtr("HANDLE"),
    name: voidPtr("LPCWSTR"),
  },
  { sType: ST.IMPORT_MEMORY_WIN32_HANDLE_INFO_KHR, extends: ["VkMemoryAllocateInfo"] },
);

/** `VkExportMemoryWin32HandleInfoKHR` */
export const VkExportMemoryWin32HandleInfoKHR: StructDef<
  "VkExportMemoryWin32HandleInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    pAttributes: VoidPtrField;
    dwAccess: NumberField;
    name: VoidPtrField;
  },
  "VkMemoryAllocateInfo"
> = defineStruct(
  "VkExportMemoryWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    pAttributes: voidPtr("const SECURITY_ATTRIBUTES*"),
    dwAccess: u32("DWORD"),
    name: voidPtr("LPCWSTR"),
  },
  { sType: ST.EXPORT_MEMORY_WIN32_HANDLE_INFO_KHR, extends: ["VkMemoryAllocateInfo"] },
);

/** `VkMemoryWin32HandlePropertiesKHR` */
export const VkMemoryWin32HandlePropertiesKHR: StructDef<
  "VkMemoryWin32HandlePropertiesKHR",
  { sType: STypeField; pNext: PNextField; memoryTypeBits: NumberField },
  never
> = defineStruct(
  "VkMemoryWin32HandlePropertiesKHR",
  { sType: sType(), pNext: pNext("void*"), memoryTypeBits: u32() },
  { sType: ST.MEMORY_WIN32_HANDLE_PROPERTIES_KHR },
);

/** `VkMemoryGetWin32HandleInfoKHR` */
export const VkMemoryGetWin32HandleInfoKHR: StructDef<
  "VkMemoryGetWin32HandleInfoKHR",
  { sType: STypeField; pNext: PNextField; memory: BigIntField; handleType: NumberField },
  never
> = defineStruct(
  "VkMemoryGetWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    memory: handle("VkDeviceMemory"),
    handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
  },
  { sType: ST.MEMORY_GET_WIN32_HANDLE_INFO_KHR },
);

// ---- VK_KHR_external_semaphore_win32 ------------------------------------------------------------

/** `VkImportSemaphoreWin32HandleInfoKHR` */
export const VkImportSemaphoreWin32HandleInfoKHR: StructDef<
  "VkImportSemaphoreWin32HandleInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    semaphore: BigIntField;
    flags: NumberField;
    handleType: NumberField;
    handle: VoidPtrField;
    name: VoidPtrField;
  },
  never
> = defineStruct(
  "VkImportSemaphoreWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    semaphore: handle("VkSemaphore"),
    flags: u32("VkSemaphoreImportFlags"),
    handleType: u32("VkExternalSemaphoreHandleTypeFlagBits"),
    handle: voidPtr("HANDLE"),
    name: voidPtr("LPCWSTR"),
  },
  { sType: ST.IMPORT_SEMAPHORE_WIN32_HANDLE_INFO_KHR },
);

/** `VkExportSemaphoreWin32HandleInfoKHR` */
export const VkExportSemaphoreWin32HandleInfoKHR: StructDef<
  "VkExportSemaphoreWin32HandleInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    pAttributes: VoidPtrField;
    dwAccess: NumberField;
    name: VoidPtrField;
  },
  "VkSemaphoreCreateInfo"
> = defineStruct(
  "VkExportSemaphoreWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    pAttributes: voidPtr("const SECURITY_ATTRIBUTES*"),
    dwAccess: u32("DWORD"),
    name: voidPtr("LPCWSTR"),
  },
  { sType: ST.EXPORT_SEMAPHORE_WIN32_HANDLE_INFO_KHR, extends: ["VkSemaphoreCreateInfo"] },
);

/** `VkD3D12FenceSubmitInfoKHR` */
export const VkD3D12FenceSubmitInfoKHR: StructDef<
  "VkD3D12FenceSubmitInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    waitSemaphoreValuesCount: NumberField;
    pWaitSemaphoreValues: ValueArrayField<BigIntField>;
    signalSemaphoreValuesCount: NumberField;
    pSignalSemaphoreValues: ValueArrayField<BigIntField>;
  },
  "VkSubmitInfo"
> = defineStruct(
  "VkD3D12FenceSubmitInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    waitSemaphoreValuesCount: count(),
    pWaitSemaphoreValues: valueArray(u64(), "waitSemaphoreValuesCount", "const uint64_t*"),
    signalSemaphoreValuesCount: count(),
    pSignalSemaphoreValues: valueArray(u64(), "signalSemaphoreValuesCount", "const uint64_t*"),
  },
  { sType: ST.D3D12_FENCE_SUBMIT_INFO_KHR, extends: ["VkSubmitInfo"] },
);

/** `VkSemaphoreGetWin32HandleInfoKHR` */
export const VkSemaphoreGetWin32HandleInfoKHR: StructDef<
  "VkSemaphoreGetWin32HandleInfoKHR",
  { sType: STypeField; pNext: PNextField; semaphore: BigIntField; handleType: NumberField },
  never
> = defineStruct(
  "VkSemaphoreGetWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    semaphore: handle("VkSemaphore"),
    handleType: u32("VkExternalSemaphoreHandleTypeFlagBits"),
  },
  { sType: ST.SEMAPHORE_GET_WIN32_HANDLE_INFO_KHR },
);

// ---- VK_KHR_external_fence_win32 ----------------------------------------------------------------

/** `VkImportFenceWin32HandleInfoKHR` */
export const VkImportFenceWin32HandleInfoKHR: StructDef<
  "VkImportFenceWin32HandleInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    fence: BigIntField;
    flags: NumberField;
    handleType: NumberField;
    handle: VoidPtrField;
    name: VoidPtrField;
  },
  never
> = defineStruct(
  "VkImportFenceWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    fence: handle("VkFence"),
    flags: u32("VkFenceImportFlags"),
    handleType: u32("VkExternalFenceHandleTypeFlagBits"),
    handle: voidPtr("HANDLE"),
    name: voidPtr("LPCWSTR"),
  },
  { sType: ST.IMPORT_FENCE_WIN32_HANDLE_INFO_KHR },
);

/** `VkExportFenceWin32HandleInfoKHR` */
export const VkExportFenceWin32HandleInfoKHR: StructDef<
  "VkExportFenceWin32HandleInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    pAttributes: VoidPtrField;
    dwAccess: NumberField;
    name: VoidPtrField;
  },
  "VkFenceCreateInfo"
> = defineStruct(
  "VkExportFenceWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    pAttributes: voidPtr("const SECURITY_ATTRIBUTES*"),
    dwAccess: u32("DWORD"),
    name: voidPtr("LPCWSTR"),
  },
  { sType: ST.EXPORT_FENCE_WIN32_HANDLE_INFO_KHR, extends: ["VkFenceCreateInfo"] },
);

/** `VkFenceGetWin32HandleInfoKHR` */
export const VkFenceGetWin32HandleInfoKHR: StructDef<
  "VkFenceGetWin32HandleInfoKHR",
  { sType: STypeField; pNext: PNextField; fence: BigIntField; handleType: NumberField },
  never
> = defineStruct(
  "VkFenceGetWin32HandleInfoKHR",
  {
    sType: sType(),
    pNext: pNext(),
    fence: handle("VkFence"),
    handleType: u32("VkExternalFenceHandleTypeFlagBits"),
  },
  { sType: ST.FENCE_GET_WIN32_HANDLE_INFO_KHR },
);

// ---- VK_ANDROID_external_memory_android_hardware_buffer ---------------------------------------

/** `VkAndroidHardwareBufferUsageANDROID` */
export const VkAndroidHardwareBufferUsageANDROID: StructDef<
  "VkAndroidHardwareBufferUsageANDROID",
  { sType: STypeField; pNext: PNextField; androidHardwareBufferUsage: BigIntField },
  "VkImageFormatProperties2"
> = defineStruct(
  "VkAndroidHardwareBufferUsageANDROID",
  { sType: sType(), pNext: pNext("void*"), androidHardwareBufferUsage: u64() },
  {
    sType: ST.ANDROID_HARDWARE_BUFFER_USAGE_ANDROID,
    extends: ["VkImageFormatProperties2"],
  },
);

/** `VkAndroidHardwareBufferPropertiesANDROID` */
export const VkAndroidHardwareBufferPropertiesANDROID: StructDef<
  "VkAndroidHardwareBufferPropertiesANDROID",
  {
    sType: STypeField;
    pNext: PNextField;
    allocationSize: BigIntField;
    memoryTypeBits: NumberField;
  },
  never
> = defineStruct(
  "VkAndroidHardwareBufferPropertiesANDROID",
  {
    sType: sType(),
    pNext: pNext("void*"),
    allocationSize: u64("VkDeviceSize"),
    memoryTypeBits: u32(),
  },
  { sType: ST.ANDROID_HARDWARE_BUFFER_PROPERTIES_ANDROID },
);

/** `VkAndroidHardwareBufferFormatPropertiesANDROID` */
export const VkAndroidHardwareBufferFormatPropertiesANDROID: StructDef<
  "VkAndroidHardwareBufferFormatPropertiesANDROID",
  {
    sType: STypeField;
    pNext: PNextField;
    format: NumberField;
    externalFormat: BigIntField;
    formatFeatures: NumberField;
    samplerYcbcrConversionComponents: StructField<typeof VkComponentMapping>;
    suggestedYcbcrModel: NumberField;
    suggestedYcbcrRange: NumberField;
    suggestedXChromaOffset: NumberField;
    suggestedYChromaOffset: NumberField;
  },
  "VkAndroidHardwareBufferPropertiesANDROID"
> = defineStruct(
  "VkAndroidHardwareBufferFormatPropertiesANDROID",
  {
    sType: sType(),
    pNext: pNext("void*"),
    format: u32("VkFormat"),
    externalFormat: u64(),
    formatFeatures: u32("VkFormatFeatureFlags"),
    samplerYcbcrConversionComponents: struct(VkComponentMapping),
    suggestedYcbcrModel: u32("VkSamplerYcbcrModelConversion"),
    suggestedYcbcrRange: u32("VkSamplerYcbcrRange"),
    suggestedXChromaOffset: u32("VkChromaLocation"),
    suggestedYChromaOffset: u32("VkChromaLocation"),
  },
  {
    sType: ST.ANDROID_HARDWARE_BUFFER_FORMAT_PROPERTIES_ANDROID,
    extends: ["VkAndroidHardwareBufferPropertiesANDROID"],
  },
);

/** `VkImportAndroidHardwareBufferInfoANDROID` */
export const VkImportAndroidHardwareBufferInfoANDROID: StructDef<
  "VkImportAndroidHardwareBufferInfoANDROID",
  { sType: STypeField; pNext: PNextField; buffer: VoidPtrField },
  "VkMemoryAllocateInfo"
> = defineStruct(
  "VkImportAndroidHardwareBufferInfoANDROID",
  { sType: sType(), pNext: pNext(), buffer: voidPtr("struct AHardwareBuffer*") },
  {
    sType: ST.IMPORT_ANDROID_HARDWARE_BUFFER_INFO_ANDROID,
    extends: ["VkMemoryAllocateInfo"],
  },
);

/** `VkMemoryGetAndroidHardwareBufferInfoANDROID` */
export const VkMemoryGetAndroidHardwareBufferInfoANDROID: StructDef<
  "VkMemoryGetAndroidHardwareBufferInfoANDROID",
  { sType: STypeField; pNext: PNextField; memory: BigIntField },
  never
> = defineStruct(
  "VkMemoryGetAndroidHardwareBufferInfoANDROID",
  { sType: sType(), pNext: pNext(), memory: handle("VkDeviceMemory") },
  { sType: ST.MEMORY_GET_ANDROID_HARDWARE_BUFFER_INFO_ANDROID },
);

/** `VkExternalFormatANDROID` */
export const VkExternalFormatANDROID: StructDef<
  "VkExternalFormatANDROID",
  { sType: STypeField; pNext: PNextField; externalFormat: BigIntField },
  "VkImageCreateInfo" | "VkSamplerYcbcrConversionCreateInfo"
> = defineStruct(
  "VkExternalFormatANDROID",
  { sType: sType(), pNext: pNext("void*"), externalFormat: u64() },
  {
    sType: ST.EXTERNAL_FORMAT_ANDROID,
    extends: ["VkImageCreateInfo", "VkSamplerYcbcrConversionCreateInfo"],
  },
);

/** `VkAndroidHardwareBufferFormatProperties2ANDROID` */
export const VkAndroidHardwareBufferFormatProperties2ANDROID: StructDef<
  "VkAndroidHardwareBufferFormatProperties2ANDROID",
  {
    sType: STypeField;
    pNext: PNextField;
    format: NumberField;
    externalFormat: BigIntField;
    formatFeatures: BigIntField;
    samplerYcbcrConversionComponents: StructField<typeof VkComponentMapping>;
    suggestedYcbcrModel: NumberField;
    suggestedYcbcrRange: NumberField;
    suggestedXChromaOffset: NumberField;
    suggestedYChromaOffset: NumberField;
  },
  "VkAndroidHardwareBufferPropertiesANDROID"
> = defineStruct(
  "VkAndroidHardwareBufferFormatProperties2ANDROID",
  {
    sType: sType(),
    pNext: pNext("void*"),
    format: u32("VkFormat"),
    externalFormat: u64(),
    formatFeatures: u64("VkFormatFeatureFlags2"),
    samplerYcbcrConversionComponents: struct(VkComponentMapping),
    suggestedYcbcrModel: u32("VkSamplerYcbcrModelConversion"),
    suggestedYcbcrRange: u32("VkSamplerYcbcrRange"),
    suggestedXChromaOffset: u32("VkChromaLocation"),
    suggestedYChromaOffset: u32("VkChromaLocation"),
  },
  {
    sType: ST.ANDROID_HARDWARE_BUFFER_FORMAT_PROPERTIES_2_ANDROID,
    extends: ["VkAndroidHardwareBufferPropertiesANDROID"],
  },
);

/** Every struct declared here, for the layout check. */
export const PLATFORM_STRUCTS = [
  VkComponentMapping,
  VkExternalImageFormatPropertiesNV,
  VkExternalMemoryImageCreateInfoNV,
  VkExportMemoryAllocateInfoNV,
  VkImportMemoryWin32HandleInfoNV,
  VkExportMemoryWin32HandleInfoNV,
  VkImportMemoryWin32HandleInfoKHR,
  VkExportMemoryWin32HandleInfoKHR,
  VkMemoryWin32HandlePropertiesKHR,
  VkMemoryGetWin32HandleInfoKHR,
  VkImportSemaphoreWin32HandleInfoKHR,
  VkExportSemaphoreWin32HandleInfoKHR,
  VkD3D12FenceSubmitInfoKHR,
  VkSemaphoreGetWin32HandleInfoKHR,
  VkImportFenceWin32HandleInfoKHR,
  VkExportFenceWin32HandleInfoKHR,
  VkFenceGetWin32HandleInfoKHR,
  VkAndroidHardwareBufferUsageANDROID,
  VkAndroidHardwareBufferPropertiesANDROID,
  VkAndroidHardwareBufferFormatPropertiesANDROID,
  VkImportAndroidHardwareBufferInfoANDROID,
  VkMemoryGetAndroidHardwareBufferInfoANDROID,
  VkExternalFormatANDROID,
  VkAndroidHardwareBufferFormatProperties2ANDROID,
] as const;
