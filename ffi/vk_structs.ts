/**
 * Vulkan struct layouts, hand-written from vulkan_core.h: each struct's C fields in order with
 * their C types. `tests/ffi/layout_test.ts` checks every size, alignment, field offset, sType value
 * and field declaration against the C compiler and the headers.
 *
 * @module
 */
import {
  array,
  bool32,
  bytes,
  chars,
  count,
  cstr,
  cstrArray,
  defineStruct,
  f32,
  fnPtr,
  handle,
  i32,
  pNext,
  struct,
  structPtr,
  sType,
  u32,
  u64,
  u8,
  valueArray,
  voidPtr,
} from "./layout.ts";
import type {
  ArrayField,
  BigIntField,
  BoolField,
  BytesField,
  CharsField,
  CStrArrayField,
  CStrField,
  FnPtrField,
  NumberField,
  PNextField,
  StructDef,
  StructField,
  StructPtrField,
  STypeField,
  ValueArrayField,
  VoidPtrField,
} from "./layout.ts";
import type { AnyStruct } from "./layout.ts";

/** `VK_MAX_PHYSICAL_DEVICE_NAME_SIZE` */
export const VK_MAX_PHYSICAL_DEVICE_NAME_SIZE = 256;
/** `VK_UUID_SIZE` */
export const VK_UUID_SIZE = 16;
/** `VK_LUID_SIZE` */
export const VK_LUID_SIZE = 8;
/** `VK_MAX_EXTENSION_NAME_SIZE` */
export const VK_MAX_EXTENSION_NAME_SIZE = 256;
/** `VK_MAX_DESCRIPTION_SIZE` */
export const VK_MAX_DESCRIPTION_SIZE = 256;
/** `VK_MAX_MEMORY_TYPES` */
export const VK_MAX_MEMORY_TYPES = 32;
/** `VK_MAX_MEMORY_HEAPS` */
export const VK_MAX_MEMORY_HEAPS = 16;
/** `VK_MAX_DRIVER_NAME_SIZE` */
export const VK_MAX_DRIVER_NAME_SIZE = 256;
/** `VK_MAX_DRIVER_INFO_SIZE` */
export const VK_MAX_DRIVER_INFO_SIZE = 256;

/** `VkStructureType` values of the structs below. */
export const ST = {
  APPLICATION_INFO: 0,
  INSTANCE_CREATE_INFO: 1,
  DEVICE_QUEUE_CREATE_INFO: 2,
  DEVICE_CREATE_INFO: 3,
  SUBMIT_INFO: 4,
  MEMORY_ALLOCATE_INFO: 5,
  FENCE_CREATE_INFO: 8,
  SEMAPHORE_CREATE_INFO: 9,
  BUFFER_CREATE_INFO: 12,
  IMAGE_CREATE_INFO: 14,
  COMMAND_POOL_CREATE_INFO: 39,
  COMMAND_BUFFER_ALLOCATE_INFO: 40,
  COMMAND_BUFFER_BEGIN_INFO: 42,
  BUFFER_MEMORY_BARRIER: 44,
  IMAGE_MEMORY_BARRIER: 45,
  PHYSICAL_DEVICE_FEATURES_2: 1000059000,
  PHYSICAL_DEVICE_PROPERTIES_2: 1000059001,
  FORMAT_PROPERTIES_2: 1000059002,
  IMAGE_FORMAT_PROPERTIES_2: 1000059003,
  PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2: 1000059004,
  PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO: 1000071000,
  EXTERNAL_IMAGE_FORMAT_PROPERTIES: 1000071001,
  PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO: 1000071002,
  EXTERNAL_BUFFER_PROPERTIES: 1000071003,
  PHYSICAL_DEVICE_ID_PROPERTIES: 1000071004,
  EXTERNAL_MEMORY_BUFFER_CREATE_INFO: 1000072000,
  EXTERNAL_MEMORY_IMAGE_CREATE_INFO: 1000072001,
  EXPORT_MEMORY_ALLOCATE_INFO: 1000072002,
  IMPORT_MEMORY_FD_INFO_KHR: 1000074000,
  MEMORY_FD_PROPERTIES_KHR: 1000074001,
  MEMORY_GET_FD_INFO_KHR: 1000074002,
  PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO: 1000076000,
  EXTERNAL_SEMAPHORE_PROPERTIES: 1000076001,
  EXPORT_SEMAPHORE_CREATE_INFO: 1000077000,
  IMPORT_SEMAPHORE_FD_INFO_KHR: 1000079000,
  SEMAPHORE_GET_FD_INFO_KHR: 1000079001,
  PHYSICAL_DEVICE_EXTERNAL_FENCE_INFO: 1000112000,
  EXTERNAL_FENCE_PROPERTIES: 1000112001,
  EXPORT_FENCE_CREATE_INFO: 1000113000,
  IMPORT_FENCE_FD_INFO_KHR: 1000115000,
  FENCE_GET_FD_INFO_KHR: 1000115001,
  MEMORY_DEDICATED_REQUIREMENTS: 1000127000,
  MEMORY_DEDICATED_ALLOCATE_INFO: 1000127001,
  DEBUG_UTILS_OBJECT_NAME_INFO_EXT: 1000128000,
  DEBUG_UTILS_LABEL_EXT: 1000128002,
  DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT: 1000128003,
  DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT: 1000128004,
  BUFFER_MEMORY_REQUIREMENTS_INFO_2: 1000146000,
  IMAGE_MEMORY_REQUIREMENTS_INFO_2: 1000146001,
  BIND_IMAGE_MEMORY_INFO: 1000157001,
  BIND_IMAGE_PLANE_MEMORY_INFO: 1000156002,
  IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO: 1000156003,
  MEMORY_REQUIREMENTS_2: 1000146003,
  DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT: 1000158000,
  PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT: 1000158002,
  IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT: 1000158003,
  IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT: 1000158004,
  IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT: 1000158005,
  DRM_FORMAT_MODIFIER_PROPERTIES_LIST_2_EXT: 1000158006,
  IMPORT_MEMORY_HOST_POINTER_INFO_EXT: 1000178000,
  MEMORY_HOST_POINTER_PROPERTIES_EXT: 1000178001,
  PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT: 1000178002,
  PHYSICAL_DEVICE_DRIVER_PROPERTIES: 1000196000,
  PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES: 1000207000,
  PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_PROPERTIES: 1000207001,
  SEMAPHORE_TYPE_CREATE_INFO: 1000207002,
  TIMELINE_SEMAPHORE_SUBMIT_INFO: 1000207003,
  SEMAPHORE_WAIT_INFO: 1000207004,
  SEMAPHORE_SIGNAL_INFO: 1000207005,
} as const;

// ---- plain structs ---------------------------------------------------------------------------

/** `VkExtent3D` */
export const VkExtent3D: StructDef<
  "VkExtent3D",
  { width: NumberField; height: NumberField; depth: NumberField },
  never
> = defineStruct("VkExtent3D", {
  width: u32(),
  height: u32(),
  depth: u32(),
});

/** `VkExtensionProperties` */
export const VkExtensionProperties: StructDef<
  "VkExtensionProperties",
  { extensionName: CharsField; specVersion: NumberField },
  never
> = defineStruct("VkExtensionProperties", {
  extensionName: chars(VK_MAX_EXTENSION_NAME_SIZE, "VK_MAX_EXTENSION_NAME_SIZE"),
  specVersion: u32(),
});

/** `VkLayerProperties` */
export const VkLayerProperties: StructDef<
  "VkLayerProperties",
  {
    layerName: CharsField;
    specVersion: NumberField;
    implementationVersion: NumberField;
    description: CharsField;
  },
  never
> = defineStruct("VkLayerProperties", {
  layerName: chars(VK_MAX_EXTENSION_NAME_SIZE, "VK_MAX_EXTENSION_NAME_SIZE"),
  specVersion: u32(),
  implementationVersion: u32(),
  description: chars(VK_MAX_DESCRIPTION_SIZE, "VK_MAX_DESCRIPTION_SIZE"),
});

/** `VkMemoryType` */
export const VkMemoryType: StructDef<
  "VkMemoryType",
  { propertyFlags: NumberField; heapIndex: NumberField },
  never
> = defineStruct("VkMemoryType", {
  propertyFlags: u32("VkMemoryPropertyFlags"),
  heapIndex: u32(),
});

/** `VkMemoryHeap` */
export const VkMemoryHeap: StructDef<
  "VkMemoryHeap",
  { size: BigIntField; flags: NumberField },
  never
> = defineStruct("VkMemoryHeap", {
  size: u64("VkDeviceSize"),
  flags: u32("VkMemoryHeapFlags"),
});

/** `VkPhysicalDeviceMemoryProperties` */
export const VkPhysicalDeviceMemoryProperties: StructDef<
  "VkPhysicalDeviceMemoryProperties",
  {
    memoryTypeCount: NumberField;
    memoryTypes: ArrayField<StructField<typeof VkMemoryType>>;
    memoryHeapCount: NumberField;
    memoryHeaps: ArrayField<StructField<typeof VkMemoryHeap>>;
  },
  never
> = defineStruct("VkPhysicalDeviceMemoryProperties", {
  memoryTypeCount: u32(),
  memoryTypes: array(struct(VkMemoryType), VK_MAX_MEMORY_TYPES, "VK_MAX_MEMORY_TYPES"),
  memoryHeapCount: u32(),
  memoryHeaps: array(struct(VkMemoryHeap), VK_MAX_MEMORY_HEAPS, "VK_MAX_MEMORY_HEAPS"),
});

/** `VkQueueFamilyProperties` */
export const VkQueueFamilyProperties: StructDef<
  "VkQueueFamilyProperties",
  {
    queueFlags: NumberField;
    queueCount: NumberField;
    timestampValidBits: NumberField;
    minImageTransferGranularity: StructField<typeof VkExtent3D>;
  },
  never
> = defineStruct("VkQueueFamilyProperties", {
  queueFlags: u32("VkQueueFlags"),
  queueCount: u32(),
  timestampValidBits: u32(),
  minImageTransferGranularity: struct(VkExtent3D),
});

/** `VkPhysicalDeviceLimits` */
export const VkPhysicalDeviceLimits: StructDef<
  "VkPhysicalDeviceLimits",
  {
    maxImageDimension1D: NumberField;
    maxImageDimension2D: NumberField;
    maxImageDimension3D: NumberField;
    maxImageDimensionCube: NumberField;
    maxImageArrayLayers: NumberField;
    maxTexelBufferElements: NumberField;
    maxUniformBufferRange: NumberField;
    maxStorageBufferRange: NumberField;
    maxPushConstantsSize: NumberField;
    maxMemoryAllocationCount: NumberField;
    maxSamplerAllocationCount: NumberField;
    bufferImageGranularity: BigIntField;
    sparseAddressSpaceSize: BigIntField;
    maxBoundDescriptorSets: NumberField;
    maxPerStageDescriptorSamplers: NumberField;
    maxPerStageDescriptorUniformBuffers: NumberField;
    maxPerStageDescriptorStorageBuffers: NumberField;
    maxPerStageDescriptorSampledImages: NumberField;
    maxPerStageDescriptorStorageImages: NumberField;
    maxPerStageDescriptorInputAttachments: NumberField;
    maxPerStageResources: NumberField;
    maxDescriptorSetSamplers: NumberField;
    maxDescriptorSetUniformBuffers: NumberField;
    maxDescriptorSetUniformBuffersDynamic: NumberField;
    maxDescriptorSetStorageBuffers: NumberField;
    maxDescriptorSetStorageBuffersDynamic: NumberField;
    maxDescriptorSetSampledImages: NumberField;
    maxDescriptorSetStorageImages: NumberField;
    maxDescriptorSetInputAttachments: NumberField;
    maxVertexInputAttributes: NumberField;
    maxVertexInputBindings: NumberField;
    maxVertexInputAttributeOffset: NumberField;
    maxVertexInputBindingStride: NumberField;
    maxVertexOutputComponents: NumberField;
    maxTessellationGenerationLevel: NumberField;
    maxTessellationPatchSize: NumberField;
    maxTessellationControlPerVertexInputComponents: NumberField;
    maxTessellationControlPerVertexOutputComponents: NumberField;
    maxTessellationControlPerPatchOutputComponents: NumberField;
    maxTessellationControlTotalOutputComponents: NumberField;
    maxTessellationEvaluationInputComponents: NumberField;
    maxTessellationEvaluationOutputComponents: NumberField;
    maxGeometryShaderInvocations: NumberField;
    maxGeometryInputComponents: NumberField;
    maxGeometryOutputComponents: NumberField;
    maxGeometryOutputVertices: NumberField;
    maxGeometryTotalOutputComponents: NumberField;
    maxFragmentInputComponents: NumberField;
    maxFragmentOutputAttachments: NumberField;
    maxFragmentDualSrcAttachments: NumberField;
    maxFragmentCombinedOutputResources: NumberField;
    maxComputeSharedMemorySize: NumberField;
    maxComputeWorkGroupCount: ArrayField<NumberField>;
    maxComputeWorkGroupInvocations: NumberField;
    maxComputeWorkGroupSize: ArrayField<NumberField>;
    subPixelPrecisionBits: NumberField;
    subTexelPrecisionBits: NumberField;
    mipmapPrecisionBits: NumberField;
    maxDrawIndexedIndexValue: NumberField;
    maxDrawIndirectCount: NumberField;
    maxSamplerLodBias: NumberField;
    maxSamplerAnisotropy: NumberField;
    maxViewports: NumberField;
    maxViewportDimensions: ArrayField<NumberField>;
    viewportBoundsRange: ArrayField<NumberField>;
    viewportSubPixelBits: NumberField;
    minMemoryMapAlignment: BigIntField;
    minTexelBufferOffsetAlignment: BigIntField;
    minUniformBufferOffsetAlignment: BigIntField;
    minStorageBufferOffsetAlignment: BigIntField;
    minTexelOffset: NumberField;
    maxTexelOffset: NumberField;
    minTexelGatherOffset: NumberField;
    maxTexelGatherOffset: NumberField;
    minInterpolationOffset: NumberField;
    maxInterpolationOffset: NumberField;
    subPixelInterpolationOffsetBits: NumberField;
    maxFramebufferWidth: NumberField;
    maxFramebufferHeight: NumberField;
    maxFramebufferLayers: NumberField;
    framebufferColorSampleCounts: NumberField;
    framebufferDepthSampleCounts: NumberField;
    framebufferStencilSampleCounts: NumberField;
    framebufferNoAttachmentsSampleCounts: NumberField;
    maxColorAttachments: NumberField;
    sampledImageColorSampleCounts: NumberField;
    sampledImageIntegerSampleCounts: NumberField;
    sampledImageDepthSampleCounts: NumberField;
    sampledImageStencilSampleCounts: NumberField;
    storageImageSampleCounts: NumberField;
    maxSampleMaskWords: NumberField;
    timestampComputeAndGraphics: BoolField;
    timestampPeriod: NumberField;
    maxClipDistances: NumberField;
    maxCullDistances: NumberField;
    maxCombinedClipAndCullDistances: NumberField;
    discreteQueuePriorities: NumberField;
    pointSizeRange: ArrayField<NumberField>;
    lineWidthRange: ArrayField<NumberField>;
    pointSizeGranularity: NumberField;
    lineWidthGranularity: NumberField;
    strictLines: BoolField;
    standardSampleLocations: BoolField;
    optimalBufferCopyOffsetAlignment: BigIntField;
    optimalBufferCopyRowPitchAlignment: BigIntField;
    nonCoherentAtomSize: BigIntField;
  },
  never
> = defineStruct("VkPhysicalDeviceLimits", {
  maxImageDimension1D: u32(),
  maxImageDimension2D: u32(),
  maxImageDimension3D: u32(),
  maxImageDimensionCube: u32(),
  maxImageArrayLayers: u32(),
  maxTexelBufferElements: u32(),
  maxUniformBufferRange: u32(),
  maxStorageBufferRange: u32(),
  maxPushConstantsSize: u32(),
  maxMemoryAllocationCount: u32(),
  maxSamplerAllocationCount: u32(),
  bufferImageGranularity: u64("VkDeviceSize"),
  sparseAddressSpaceSize: u64("VkDeviceSize"),
  maxBoundDescriptorSets: u32(),
  maxPerStageDescriptorSamplers: u32(),
  maxPerStageDescriptorUniformBuffers: u32(),
  maxPerStageDescriptorStorageBuffers: u32(),
  maxPerStageDescriptorSampledImages: u32(),
  maxPerStageDescriptorStorageImages: u32(),
  maxPerStageDescriptorInputAttachments: u32(),
  maxPerStageResources: u32(),
  maxDescriptorSetSamplers: u32(),
  maxDescriptorSetUniformBuffers: u32(),
  maxDescriptorSetUniformBuffersDynamic: u32(),
  maxDescriptorSetStorageBuffers: u32(),
  maxDescriptorSetStorageBuffersDynamic: u32(),
  maxDescriptorSetSampledImages: u32(),
  maxDescriptorSetStorageImages: u32(),
  maxDescriptorSetInputAttachments: u32(),
  maxVertexInputAttributes: u32(),
  maxVertexInputBindings: u32(),
  maxVertexInputAttributeOffset: u32(),
  maxVertexInputBindingStride: u32(),
  maxVertexOutputComponents: u32(),
  maxTessellationGenerationLevel: u32(),
  maxTessellationPatchSize: u32(),
  maxTessellationControlPerVertexInputComponents: u32(),
  maxTessellationControlPerVertexOutputComponents: u32(),
  maxTessellationControlPerPatchOutputComponents: u32(),
  maxTessellationControlTotalOutputComponents: u32(),
  maxTessellationEvaluationInputComponents: u32(),
  maxTessellationEvaluationOutputComponents: u32(),
  maxGeometryShaderInvocations: u32(),
  maxGeometryInputComponents: u32(),
  maxGeometryOutputComponents: u32(),
  maxGeometryOutputVertices: u32(),
  maxGeometryTotalOutputComponents: u32(),
  maxFragmentInputComponents: u32(),
  maxFragmentOutputAttachments: u32(),
  maxFragmentDualSrcAttachments: u32(),
  maxFragmentCombinedOutputResources: u32(),
  maxComputeSharedMemorySize: u32(),
  maxComputeWorkGroupCount: array(u32(), 3),
  maxComputeWorkGroupInvocations: u32(),
  maxComputeWorkGroupSize: array(u32(), 3),
  subPixelPrecisionBits: u32(),
  subTexelPrecisionBits: u32(),
  mipmapPrecisionBits: u32(),
  maxDrawIndexedIndexValue: u32(),
  maxDrawIndirectCount: u32(),
  maxSamplerLodBias: f32(),
  maxSamplerAnisotropy: f32(),
  maxViewports: u32(),
  maxViewportDimensions: array(u32(), 2),
  viewportBoundsRange: array(f32(), 2),
  viewportSubPixelBits: u32(),
  minMemoryMapAlignment: u64("size_t"),
  minTexelBufferOffsetAlignment: u64("VkDeviceSize"),
  minUniformBufferOffsetAlignment: u64("VkDeviceSize"),
  minStorageBufferOffsetAlignment: u64("VkDeviceSize"),
  minTexelOffset: i32(),
  maxTexelOffset: u32(),
  minTexelGatherOffset: i32(),
  maxTexelGatherOffset: u32(),
  minInterpolationOffset: f32(),
  maxInterpolationOffset: f32(),
  subPixelInterpolationOffsetBits: u32(),
  maxFramebufferWidth: u32(),
  maxFramebufferHeight: u32(),
  maxFramebufferLayers: u32(),
  framebufferColorSampleCounts: u32("VkSampleCountFlags"),
  framebufferDepthSampleCounts: u32("VkSampleCountFlags"),
  framebufferStencilSampleCounts: u32("VkSampleCountFlags"),
  framebufferNoAttachmentsSampleCounts: u32("VkSampleCountFlags"),
  maxColorAttachments: u32(),
  sampledImageColorSampleCounts: u32("VkSampleCountFlags"),
  sampledImageIntegerSampleCounts: u32("VkSampleCountFlags"),
  sampledImageDepthSampleCounts: u32("VkSampleCountFlags"),
  sampledImageStencilSampleCounts: u32("VkSampleCountFlags"),
  storageImageSampleCounts: u32("VkSampleCountFlags"),
  maxSampleMaskWords: u32(),
  timestampComputeAndGraphics: bool32(),
  timestampPeriod: f32(),
  maxClipDistances: u32(),
  maxCullDistances: u32(),
  maxCombinedClipAndCullDistances: u32(),
  discreteQueuePriorities: u32(),
  pointSizeRange: array(f32(), 2),
  lineWidthRange: array(f32(), 2),
  pointSizeGranularity: f32(),
  lineWidthGranularity: f32(),
  strictLines: bool32(),
  standardSampleLocations: bool32(),
  optimalBufferCopyOffsetAlignment: u64("VkDeviceSize"),
  optimalBufferCopyRowPitchAlignment: u64("VkDeviceSize"),
  nonCoherentAtomSize: u64("VkDeviceSize"),
});

/** `VkPhysicalDeviceSparseProperties` */
export const VkPhysicalDeviceSparseProperties: StructDef<
  "VkPhysicalDeviceSparseProperties",
  {
    residencyStandard2DBlockShape: BoolField;
    residencyStandard2DMultisampleBlockShape: BoolField;
    residencyStandard3DBlockShape: BoolField;
    residencyAlignedMipSize: BoolField;
    residencyNonResidentStrict: BoolField;
  },
  never
> = defineStruct("VkPhysicalDeviceSparseProperties", {
  residencyStandard2DBlockShape: bool32(),
  residencyStandard2DMultisampleBlockShape: bool32(),
  residencyStandard3DBlockShape: bool32(),
  residencyAlignedMipSize: bool32(),
  residencyNonResidentStrict: bool32(),
});

/** `VkPhysicalDeviceProperties` */
export const VkPhysicalDeviceProperties: StructDef<
  "VkPhysicalDeviceProperties",
  {
    apiVersion: NumberField;
    driverVersion: NumberField;
    vendorID: NumberField;
    deviceID: NumberField;
    deviceType: NumberField;
    deviceName: CharsField;
    pipelineCacheUUID: BytesField;
    limits: StructField<typeof VkPhysicalDeviceLimits>;
    sparseProperties: StructField<typeof VkPhysicalDeviceSparseProperties>;
  },
  never
> = defineStruct("VkPhysicalDeviceProperties", {
  apiVersion: u32(),
  driverVersion: u32(),
  vendorID: u32(),
  deviceID: u32(),
  deviceType: u32("VkPhysicalDeviceType"),
  deviceName: chars(VK_MAX_PHYSICAL_DEVICE_NAME_SIZE, "VK_MAX_PHYSICAL_DEVICE_NAME_SIZE"),
  pipelineCacheUUID: bytes(VK_UUID_SIZE, "VK_UUID_SIZE"),
  limits: struct(VkPhysicalDeviceLimits),
  sparseProperties: struct(VkPhysicalDeviceSparseProperties),
});

/** `VkImageFormatProperties` */
export const VkImageFormatProperties: StructDef<
  "VkImageFormatProperties",
  {
    maxExtent: StructField<typeof VkExtent3D>;
    maxMipLevels: NumberField;
    maxArrayLayers: NumberField;
    sampleCounts: NumberField;
    maxResourceSize: BigIntField;
  },
  never
> = defineStruct("VkImageFormatProperties", {
  maxExtent: struct(VkExtent3D),
  maxMipLevels: u32(),
  maxArrayLayers: u32(),
  sampleCounts: u32("VkSampleCountFlags"),
  maxResourceSize: u64("VkDeviceSize"),
});

/** `VkExternalMemoryProperties` */
export const VkExternalMemoryProperties: StructDef<
  "VkExternalMemoryProperties",
  {
    externalMemoryFeatures: NumberField;
    exportFromImportedHandleTypes: NumberField;
    compatibleHandleTypes: NumberField;
  },
  never
> = defineStruct("VkExternalMemoryProperties", {
  externalMemoryFeatures: u32("VkExternalMemoryFeatureFlags"),
  exportFromImportedHandleTypes: u32("VkExternalMemoryHandleTypeFlags"),
  compatibleHandleTypes: u32("VkExternalMemoryHandleTypeFlags"),
});

/** `VkMemoryRequirements` */
export const VkMemoryRequirements: StructDef<
  "VkMemoryRequirements",
  { size: BigIntField; alignment: BigIntField; memoryTypeBits: NumberField },
  never
> = defineStruct("VkMemoryRequirements", {
  size: u64("VkDeviceSize"),
  alignment: u64("VkDeviceSize"),
  memoryTypeBits: u32(),
});

/** `VkConformanceVersion` */
export const VkConformanceVersion: StructDef<
  "VkConformanceVersion",
  { major: NumberField; minor: NumberField; subminor: NumberField; patch: NumberField },
  never
> = defineStruct("VkConformanceVersion", {
  major: u8(),
  minor: u8(),
  subminor: u8(),
  patch: u8(),
});

// ---- instance and device creation --------------------------------------------------------------

/** `VkApplicationInfo` */
export const VkApplicationInfo: StructDef<
  "VkApplicationInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    pApplicationName: CStrField;
    applicationVersion: NumberField;
    pEngineName: CStrField;
    engineVersion: NumberField;
    apiVersion: NumberField;
  },
  never
> = defineStruct("VkApplicationInfo", {
  sType: sType(),
  pNext: pNext(),
  pApplicationName: cstr(),
  applicationVersion: u32(),
  pEngineName: cstr(),
  engineVersion: u32(),
  apiVersion: u32(),
}, { sType: ST.APPLICATION_INFO });

/** `VkInstanceCreateInfo` */
export const VkInstanceCreateInfo: StructDef<
  "VkInstanceCreateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    pApplicationInfo: StructPtrField<typeof VkApplicationInfo>;
    enabledLayerCount: NumberField;
    ppEnabledLayerNames: CStrArrayField;
    enabledExtensionCount: NumberField;
    ppEnabledExtensionNames: CStrArrayField;
  },
  never
> = defineStruct("VkInstanceCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkInstanceCreateFlags"),
  pApplicationInfo: structPtr(VkApplicationInfo),
  enabledLayerCount: count(),
  ppEnabledLayerNames: cstrArray("enabledLayerCount"),
  enabledExtensionCount: count(),
  ppEnabledExtensionNames: cstrArray("enabledExtensionCount"),
}, { sType: ST.INSTANCE_CREATE_INFO });

/** `VkDebugUtilsMessengerCreateInfoEXT` (also chained to VkInstanceCreateInfo). */
export const VkDebugUtilsMessengerCreateInfoEXT: StructDef<
  "VkDebugUtilsMessengerCreateInfoEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    messageSeverity: NumberField;
    messageType: NumberField;
    pfnUserCallback: FnPtrField;
    pUserData: VoidPtrField;
  },
  "VkInstanceCreateInfo"
> = defineStruct(
  "VkDebugUtilsMessengerCreateInfoEXT",
  {
    sType: sType(),
    pNext: pNext(),
    flags: u32("VkDebugUtilsMessengerCreateFlagsEXT"),
    messageSeverity: u32("VkDebugUtilsMessageSeverityFlagsEXT"),
    messageType: u32("VkDebugUtilsMessageTypeFlagsEXT"),
    pfnUserCallback: fnPtr("PFN_vkDebugUtilsMessengerCallbackEXT"),
    pUserData: voidPtr("void*"),
  },
  { sType: ST.DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT, extends: ["VkInstanceCreateInfo"] },
);

/** `VkDebugUtilsLabelEXT` */
export const VkDebugUtilsLabelEXT: StructDef<
  "VkDebugUtilsLabelEXT",
  { sType: STypeField; pNext: PNextField; pLabelName: CStrField; color: ArrayField<NumberField> },
  never
> = defineStruct("VkDebugUtilsLabelEXT", {
  sType: sType(),
  pNext: pNext(),
  pLabelName: cstr(),
  color: array(f32(), 4),
}, { sType: ST.DEBUG_UTILS_LABEL_EXT });

/** `VkDebugUtilsObjectNameInfoEXT` */
export const VkDebugUtilsObjectNameInfoEXT: StructDef<
  "VkDebugUtilsObjectNameInfoEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    objectType: NumberField;
    objectHandle: BigIntField;
    pObjectName: CStrField;
  },
  never
> = defineStruct("VkDebugUtilsObjectNameInfoEXT", {
  sType: sType(),
  pNext: pNext(),
  objectType: u32("VkObjectType"),
  objectHandle: u64(),
  pObjectName: cstr(),
}, { sType: ST.DEBUG_UTILS_OBJECT_NAME_INFO_EXT });

/** `VkDebugUtilsMessengerCallbackDataEXT`: what the validation layers hand the messenger. */
export const VkDebugUtilsMessengerCallbackDataEXT: StructDef<
  "VkDebugUtilsMessengerCallbackDataEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    pMessageIdName: CStrField;
    messageIdNumber: NumberField;
    pMessage: CStrField;
    queueLabelCount: NumberField;
    pQueueLabels: StructPtrField<typeof VkDebugUtilsLabelEXT>;
    cmdBufLabelCount: NumberField;
    pCmdBufLabels: StructPtrField<typeof VkDebugUtilsLabelEXT>;
    objectCount: NumberField;
    pObjects: StructPtrField<typeof VkDebugUtilsObjectNameInfoEXT>;
  },
  never
> = defineStruct(
  "VkDebugUtilsMessengerCallbackDataEXT",
  {
    sType: sType(),
    pNext: pNext(),
    flags: u32("VkDebugUtilsMessengerCallbackDataFlagsEXT"),
    pMessageIdName: cstr(),
    messageIdNumber: i32(),
    pMessage: cstr(),
    queueLabelCount: count(),
    pQueueLabels: structPtr(VkDebugUtilsLabelEXT, "queueLabelCount"),
    cmdBufLabelCount: count(),
    pCmdBufLabels: structPtr(VkDebugUtilsLabelEXT, "cmdBufLabelCount"),
    objectCount: count(),
    pObjects: structPtr(VkDebugUtilsObjectNameInfoEXT, "objectCount"),
  },
  { sType: ST.DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT },
);

/** `VkDeviceQueueCreateInfo` */
export const VkDeviceQueueCreateInfo: StructDef<
  "VkDeviceQueueCreateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    queueFamilyIndex: NumberField;
    queueCount: NumberField;
    pQueuePriorities: ValueArrayField<NumberField>;
  },
  never
> = defineStruct("VkDeviceQueueCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkDeviceQueueCreateFlags"),
  queueFamilyIndex: u32(),
  queueCount: count(),
  pQueuePriorities: valueArray(f32(), "queueCount", "const float*"),
}, { sType: ST.DEVICE_QUEUE_CREATE_INFO });

/** `VkDeviceCreateInfo` (`pEnabledFeatures` is left NULL: features go in the pNext chain). */
export const VkDeviceCreateInfo: StructDef<
  "VkDeviceCreateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    queueCreateInfoCount: NumberField;
    pQueueCreateInfos: StructPtrField<typeof VkDeviceQueueCreateInfo>;
    enabledLayerCount: NumberField;
    ppEnabledLayerNames: CStrArrayField;
    enabledExtensionCount: NumberField;
    ppEnabledExtensionNames: CStrArrayField;
    pEnabledFeatures: VoidPtrField;
  },
  never
> = defineStruct("VkDeviceCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkDeviceCreateFlags"),
  queueCreateInfoCount: count(),
  pQueueCreateInfos: structPtr(VkDeviceQueueCreateInfo, "queueCreateInfoCount"),
  enabledLayerCount: count(),
  ppEnabledLayerNames: cstrArray("enabledLayerCount"),
  enabledExtensionCount: count(),
  ppEnabledExtensionNames: cstrArray("enabledExtensionCount"),
  pEnabledFeatures: voidPtr("const VkPhysicalDeviceFeatures*"),
}, { sType: ST.DEVICE_CREATE_INFO });

/** `VkPhysicalDeviceTimelineSemaphoreFeatures` */
export const VkPhysicalDeviceTimelineSemaphoreFeatures: StructDef<
  "VkPhysicalDeviceTimelineSemaphoreFeatures",
  { sType: STypeField; pNext: PNextField; timelineSemaphore: BoolField },
  "VkPhysicalDeviceFeatures2" | "VkDeviceCreateInfo"
> = defineStruct(
  "VkPhysicalDeviceTimelineSemaphoreFeatures",
  {
    sType: sType(),
    pNext: pNext("void*"),
    timelineSemaphore: bool32(),
  },
  {
    sType: ST.PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
    extends: ["VkPhysicalDeviceFeatures2", "VkDeviceCreateInfo"],
  },
);

/** `VkPhysicalDeviceTimelineSemaphoreProperties` */
export const VkPhysicalDeviceTimelineSemaphoreProperties: StructDef<
  "VkPhysicalDeviceTimelineSemaphoreProperties",
  { sType: STypeField; pNext: PNextField; maxTimelineSemaphoreValueDifference: BigIntField },
  "VkPhysicalDeviceProperties2"
> = defineStruct(
  "VkPhysicalDeviceTimelineSemaphoreProperties",
  {
    sType: sType(),
    pNext: pNext("void*"),
    maxTimelineSemaphoreValueDifference: u64(),
  },
  {
    sType: ST.PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_PROPERTIES,
    extends: ["VkPhysicalDeviceProperties2"],
  },
);

/** `VkPhysicalDeviceFeatures` */
export const VkPhysicalDeviceFeatures: StructDef<
  "VkPhysicalDeviceFeatures",
  {
    robustBufferAccess: BoolField;
    fullDrawIndexUint32: BoolField;
    imageCubeArray: BoolField;
    independentBlend: BoolField;
    geometryShader: BoolField;
    tessellationShader: BoolField;
    sampleRateShading: BoolField;
    dualSrcBlend: BoolField;
    logicOp: BoolField;
    multiDrawIndirect: BoolField;
    drawIndirectFirstInstance: BoolField;
    depthClamp: BoolField;
    depthBiasClamp: BoolField;
    fillModeNonSolid: BoolField;
    depthBounds: BoolField;
    wideLines: BoolField;
    largePoints: BoolField;
    alphaToOne: BoolField;
    multiViewport: BoolField;
    samplerAnisotropy: BoolField;
    textureCompressionETC2: BoolField;
    textureCompressionASTC_LDR: BoolField;
    textureCompressionBC: BoolField;
    occlusionQueryPrecise: BoolField;
    pipelineStatisticsQuery: BoolField;
    vertexPipelineStoresAndAtomics: BoolField;
    fragmentStoresAndAtomics: BoolField;
    shaderTessellationAndGeometryPointSize: BoolField;
    shaderImageGatherExtended: BoolField;
    shaderStorageImageExtendedFormats: BoolField;
    shaderStorageImageMultisample: BoolField;
    shaderStorageImageReadWithoutFormat: BoolField;
    shaderStorageImageWriteWithoutFormat: BoolField;
    shaderUniformBufferArrayDynamicIndexing: BoolField;
    shaderSampledImageArrayDynamicIndexing: BoolField;
    shaderStorageBufferArrayDynamicIndexing: BoolField;
    shaderStorageImageArrayDynamicIndexing: BoolField;
    shaderClipDistance: BoolField;
    shaderCullDistance: BoolField;
    shaderFloat64: BoolField;
    shaderInt64: BoolField;
    shaderInt16: BoolField;
    shaderResourceResidency: BoolField;
    shaderResourceMinLod: BoolField;
    sparseBinding: BoolField;
    sparseResidencyBuffer: BoolField;
    sparseResidencyImage2D: BoolField;
    sparseResidencyImage3D: BoolField;
    sparseResidency2Samples: BoolField;
    sparseResidency4Samples: BoolField;
    sparseResidency8Samples: BoolField;
    sparseResidency16Samples: BoolField;
    sparseResidencyAliased: BoolField;
    variableMultisampleRate: BoolField;
    inheritedQueries: BoolField;
  },
  never
> = defineStruct("VkPhysicalDeviceFeatures", {
  robustBufferAccess: bool32(),
  fullDrawIndexUint32: bool32(),
  imageCubeArray: bool32(),
  independentBlend: bool32(),
  geometryShader: bool32(),
  tessellationShader: bool32(),
  sampleRateShading: bool32(),
  dualSrcBlend: bool32(),
  logicOp: bool32(),
  multiDrawIndirect: bool32(),
  drawIndirectFirstInstance: bool32(),
  depthClamp: bool32(),
  depthBiasClamp: bool32(),
  fillModeNonSolid: bool32(),
  depthBounds: bool32(),
  wideLines: bool32(),
  largePoints: bool32(),
  alphaToOne: bool32(),
  multiViewport: bool32(),
  samplerAnisotropy: bool32(),
  textureCompressionETC2: bool32(),
  textureCompressionASTC_LDR: bool32(),
  textureCompressionBC: bool32(),
  occlusionQueryPrecise: bool32(),
  pipelineStatisticsQuery: bool32(),
  vertexPipelineStoresAndAtomics: bool32(),
  fragmentStoresAndAtomics: bool32(),
  shaderTessellationAndGeometryPointSize: bool32(),
  shaderImageGatherExtended: bool32(),
  shaderStorageImageExtendedFormats: bool32(),
  shaderStorageImageMultisample: bool32(),
  shaderStorageImageReadWithoutFormat: bool32(),
  shaderStorageImageWriteWithoutFormat: bool32(),
  shaderUniformBufferArrayDynamicIndexing: bool32(),
  shaderSampledImageArrayDynamicIndexing: bool32(),
  shaderStorageBufferArrayDynamicIndexing: bool32(),
  shaderStorageImageArrayDynamicIndexing: bool32(),
  shaderClipDistance: bool32(),
  shaderCullDistance: bool32(),
  shaderFloat64: bool32(),
  shaderInt64: bool32(),
  shaderInt16: bool32(),
  shaderResourceResidency: bool32(),
  shaderResourceMinLod: bool32(),
  sparseBinding: bool32(),
  sparseResidencyBuffer: bool32(),
  sparseResidencyImage2D: bool32(),
  sparseResidencyImage3D: bool32(),
  sparseResidency2Samples: bool32(),
  sparseResidency4Samples: bool32(),
  sparseResidency8Samples: bool32(),
  sparseResidency16Samples: bool32(),
  sparseResidencyAliased: bool32(),
  variableMultisampleRate: bool32(),
  inheritedQueries: bool32(),
});

/** `VkPhysicalDeviceFeatures2`: the feature query, with feature structs chained to it. */
export const VkPhysicalDeviceFeatures2: StructDef<
  "VkPhysicalDeviceFeatures2",
  { sType: STypeField; pNext: PNextField; features: StructField<typeof VkPhysicalDeviceFeatures> },
  never
> = defineStruct("VkPhysicalDeviceFeatures2", {
  sType: sType(),
  pNext: pNext("void*"),
  features: struct(VkPhysicalDeviceFeatures),
}, { sType: ST.PHYSICAL_DEVICE_FEATURES_2 });

// ---- physical device properties ------------------------------------------------------------

/** `VkPhysicalDeviceProperties2` */
export const VkPhysicalDeviceProperties2: StructDef<
  "VkPhysicalDeviceProperties2",
  {
    sType: STypeField;
    pNext: PNextField;
    properties: StructField<typeof VkPhysicalDeviceProperties>;
  },
  never
> = defineStruct("VkPhysicalDeviceProperties2", {
  sType: sType(),
  pNext: pNext("void*"),
  properties: struct(VkPhysicalDeviceProperties),
}, { sType: ST.PHYSICAL_DEVICE_PROPERTIES_2 });

/** `VkPhysicalDeviceIDProperties`: the UUIDs that match devices across APIs and processes. */
export const VkPhysicalDeviceIDProperties: StructDef<
  "VkPhysicalDeviceIDProperties",
  {
    sType: STypeField;
    pNext: PNextField;
    deviceUUID: BytesField;
    driverUUID: BytesField;
    deviceLUID: BytesField;
    deviceNodeMask: NumberField;
    deviceLUIDValid: BoolField;
  },
  "VkPhysicalDeviceProperties2"
> = defineStruct("VkPhysicalDeviceIDProperties", {
  sType: sType(),
  pNext: pNext("void*"),
  deviceUUID: bytes(VK_UUID_SIZE, "VK_UUID_SIZE"),
  driverUUID: bytes(VK_UUID_SIZE, "VK_UUID_SIZE"),
  deviceLUID: bytes(VK_LUID_SIZE, "VK_LUID_SIZE"),
  deviceNodeMask: u32(),
  deviceLUIDValid: bool32(),
}, { sType: ST.PHYSICAL_DEVICE_ID_PROPERTIES, extends: ["VkPhysicalDeviceProperties2"] });

/** `VkPhysicalDeviceDriverProperties` (Vulkan 1.2). */
export const VkPhysicalDeviceDriverProperties: StructDef<
  "VkPhysicalDeviceDriverProperties",
  {
    sType: STypeField;
    pNext: PNextField;
    driverID: NumberField;
    driverName: CharsField;
    driverInfo: CharsField;
    conformanceVersion: StructField<typeof VkConformanceVersion>;
  },
  "VkPhysicalDeviceProperties2"
> = defineStruct("VkPhysicalDeviceDriverProperties", {
  sType: sType(),
  pNext: pNext("void*"),
  driverID: u32("VkDriverId"),
  driverName: chars(VK_MAX_DRIVER_NAME_SIZE, "VK_MAX_DRIVER_NAME_SIZE"),
  driverInfo: chars(VK_MAX_DRIVER_INFO_SIZE, "VK_MAX_DRIVER_INFO_SIZE"),
  conformanceVersion: struct(VkConformanceVersion),
}, { sType: ST.PHYSICAL_DEVICE_DRIVER_PROPERTIES, extends: ["VkPhysicalDeviceProperties2"] });

/** `VkPhysicalDeviceExternalMemoryHostPropertiesEXT` */
export const VkPhysicalDeviceExternalMemoryHostPropertiesEXT: StructDef<
  "VkPhysicalDeviceExternalMemoryHostPropertiesEXT",
  { sType: STypeField; pNext: PNextField; minImportedHostPointerAlignment: BigIntField },
  "VkPhysicalDeviceProperties2"
> = defineStruct(
  "VkPhysicalDeviceExternalMemoryHostPropertiesEXT",
  {
    sType: sType(),
    pNext: pNext("void*"),
    minImportedHostPointerAlignment: u64("VkDeviceSize"),
  },
  {
    sType: ST.PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
    extends: ["VkPhysicalDeviceProperties2"],
  },
);

// ---- external capability queries ------------------------------------------------------------

/** `VkPhysicalDeviceExternalBufferInfo` */
export const VkPhysicalDeviceExternalBufferInfo: StructDef<
  "VkPhysicalDeviceExternalBufferInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    usage: NumberField;
    handleType: NumberField;
  },
  never
> = defineStruct(
  "VkPhysicalDeviceExternalBufferInfo",
  {
    sType: sType(),
    pNext: pNext(),
    flags: u32("VkBufferCreateFlags"),
    usage: u32("VkBufferUsageFlags"),
    handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
  },
  { sType: ST.PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO },
);

/** `VkExternalBufferProperties` */
export const VkExternalBufferProperties: StructDef<
  "VkExternalBufferProperties",
  {
    sType: STypeField;
    pNext: PNextField;
    externalMemoryProperties: StructField<typeof VkExternalMemoryProperties>;
  },
  never
> = defineStruct("VkExternalBufferProperties", {
  sType: sType(),
  pNext: pNext("void*"),
  externalMemoryProperties: struct(VkExternalMemoryProperties),
}, { sType: ST.EXTERNAL_BUFFER_PROPERTIES });

/** `VkPhysicalDeviceImageFormatInfo2` */
export const VkPhysicalDeviceImageFormatInfo2: StructDef<
  "VkPhysicalDeviceImageFormatInfo2",
  {
    sType: STypeField;
    pNext: PNextField;
    format: NumberField;
    type: NumberField;
    tiling: NumberField;
    usage: NumberField;
    flags: NumberField;
  },
  never
> = defineStruct("VkPhysicalDeviceImageFormatInfo2", {
  sType: sType(),
  pNext: pNext(),
  format: u32("VkFormat"),
  type: u32("VkImageType"),
  tiling: u32("VkImageTiling"),
  usage: u32("VkImageUsageFlags"),
  flags: u32("VkImageCreateFlags"),
}, { sType: ST.PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2 });

/** `VkPhysicalDeviceExternalImageFormatInfo` */
export const VkPhysicalDeviceExternalImageFormatInfo: StructDef<
  "VkPhysicalDeviceExternalImageFormatInfo",
  { sType: STypeField; pNext: PNextField; handleType: NumberField },
  "VkPhysicalDeviceImageFormatInfo2"
> = defineStruct(
  "VkPhysicalDeviceExternalImageFormatInfo",
  {
    sType: sType(),
    pNext: pNext(),
    handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
  },
  {
    sType: ST.PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
    extends: ["VkPhysicalDeviceImageFormatInfo2"],
  },
);

/** `VkImageFormatProperties2` */
export const VkImageFormatProperties2: StructDef<
  "VkImageFormatProperties2",
  {
    sType: STypeField;
    pNext: PNextField;
    imageFormatProperties: StructField<typeof VkImageFormatProperties>;
  },
  never
> = defineStruct("VkImageFormatProperties2", {
  sType: sType(),
  pNext: pNext("void*"),
  imageFormatProperties: struct(VkImageFormatProperties),
}, { sType: ST.IMAGE_FORMAT_PROPERTIES_2 });

/** `VkExternalImageFormatProperties` */
export const VkExternalImageFormatProperties: StructDef<
  "VkExternalImageFormatProperties",
  {
    sType: STypeField;
    pNext: PNextField;
    externalMemoryProperties: StructField<typeof VkExternalMemoryProperties>;
  },
  "VkImageFormatProperties2"
> = defineStruct("VkExternalImageFormatProperties", {
  sType: sType(),
  pNext: pNext("void*"),
  externalMemoryProperties: struct(VkExternalMemoryProperties),
}, { sType: ST.EXTERNAL_IMAGE_FORMAT_PROPERTIES, extends: ["VkImageFormatProperties2"] });

/** `VkPhysicalDeviceExternalSemaphoreInfo` */
export const VkPhysicalDeviceExternalSemaphoreInfo: StructDef<
  "VkPhysicalDeviceExternalSemaphoreInfo",
  { sType: STypeField; pNext: PNextField; handleType: NumberField },
  never
> = defineStruct(
  "VkPhysicalDeviceExternalSemaphoreInfo",
  {
    sType: sType(),
    pNext: pNext(),
    handleType: u32("VkExternalSemaphoreHandleTypeFlagBits"),
  },
  { sType: ST.PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO },
);

/** `VkSemaphoreTypeCreateInfo` */
export const VkSemaphoreTypeCreateInfo: StructDef<
  "VkSemaphoreTypeCreateInfo",
  { sType: STypeField; pNext: PNextField; semaphoreType: NumberField; initialValue: BigIntField },
  "VkSemaphoreCreateInfo" | "VkPhysicalDeviceExternalSemaphoreInfo"
> = defineStruct("VkSemaphoreTypeCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  semaphoreType: u32("VkSemaphoreType"),
  initialValue: u64(),
}, {
  sType: ST.SEMAPHORE_TYPE_CREATE_INFO,
  extends: ["VkSemaphoreCreateInfo", "VkPhysicalDeviceExternalSemaphoreInfo"],
});

/** `VkExternalSemaphoreProperties` */
export const VkExternalSemaphoreProperties: StructDef<
  "VkExternalSemaphoreProperties",
  {
    sType: STypeField;
    pNext: PNextField;
    exportFromImportedHandleTypes: NumberField;
    compatibleHandleTypes: NumberField;
    externalSemaphoreFeatures: NumberField;
  },
  never
> = defineStruct("VkExternalSemaphoreProperties", {
  sType: sType(),
  pNext: pNext("void*"),
  exportFromImportedHandleTypes: u32("VkExternalSemaphoreHandleTypeFlags"),
  compatibleHandleTypes: u32("VkExternalSemaphoreHandleTypeFlags"),
  externalSemaphoreFeatures: u32("VkExternalSemaphoreFeatureFlags"),
}, { sType: ST.EXTERNAL_SEMAPHORE_PROPERTIES });

/** `VkPhysicalDeviceExternalFenceInfo` */
export const VkPhysicalDeviceExternalFenceInfo: StructDef<
  "VkPhysicalDeviceExternalFenceInfo",
  { sType: STypeField; pNext: PNextField; handleType: NumberField },
  never
> = defineStruct(
  "VkPhysicalDeviceExternalFenceInfo",
  {
    sType: sType(),
    pNext: pNext(),
    handleType: u32("VkExternalFenceHandleTypeFlagBits"),
  },
  { sType: ST.PHYSICAL_DEVICE_EXTERNAL_FENCE_INFO },
);

/** `VkExternalFenceProperties` */
export const VkExternalFenceProperties: StructDef<
  "VkExternalFenceProperties",
  {
    sType: STypeField;
    pNext: PNextField;
    exportFromImportedHandleTypes: NumberField;
    compatibleHandleTypes: NumberField;
    externalFenceFeatures: NumberField;
  },
  never
> = defineStruct("VkExternalFenceProperties", {
  sType: sType(),
  pNext: pNext("void*"),
  exportFromImportedHandleTypes: u32("VkExternalFenceHandleTypeFlags"),
  compatibleHandleTypes: u32("VkExternalFenceHandleTypeFlags"),
  externalFenceFeatures: u32("VkExternalFenceFeatureFlags"),
}, { sType: ST.EXTERNAL_FENCE_PROPERTIES });

// ---- memory sharing -------------------------------------------------------------------------

/** `VkMemoryAllocateInfo` */
export const VkMemoryAllocateInfo: StructDef<
  "VkMemoryAllocateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    allocationSize: BigIntField;
    memoryTypeIndex: NumberField;
  },
  never
> = defineStruct("VkMemoryAllocateInfo", {
  sType: sType(),
  pNext: pNext(),
  allocationSize: u64("VkDeviceSize"),
  memoryTypeIndex: u32(),
}, { sType: ST.MEMORY_ALLOCATE_INFO });

/** `VkExportMemoryAllocateInfo` */
export const VkExportMemoryAllocateInfo: StructDef<
  "VkExportMemoryAllocateInfo",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkMemoryAllocateInfo"
> = defineStruct("VkExportMemoryAllocateInfo", {
  sType: sType(),
  pNext: pNext(),
  handleTypes: u32("VkExternalMemoryHandleTypeFlags"),
}, { sType: ST.EXPORT_MEMORY_ALLOCATE_INFO, extends: ["VkMemoryAllocateInfo"] });

/** `VkImportMemoryFdInfoKHR` */
export const VkImportMemoryFdInfoKHR: StructDef<
  "VkImportMemoryFdInfoKHR",
  { sType: STypeField; pNext: PNextField; handleType: NumberField; fd: NumberField },
  "VkMemoryAllocateInfo"
> = defineStruct("VkImportMemoryFdInfoKHR", {
  sType: sType(),
  pNext: pNext(),
  handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
  fd: i32("int"),
}, { sType: ST.IMPORT_MEMORY_FD_INFO_KHR, extends: ["VkMemoryAllocateInfo"] });

/** `VkMemoryGetFdInfoKHR` */
export const VkMemoryGetFdInfoKHR: StructDef<
  "VkMemoryGetFdInfoKHR",
  { sType: STypeField; pNext: PNextField; memory: BigIntField; handleType: NumberField },
  never
> = defineStruct("VkMemoryGetFdInfoKHR", {
  sType: sType(),
  pNext: pNext(),
  memory: handle("VkDeviceMemory"),
  handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
}, { sType: ST.MEMORY_GET_FD_INFO_KHR });

/** `VkMemoryFdPropertiesKHR` */
export const VkMemoryFdPropertiesKHR: StructDef<
  "VkMemoryFdPropertiesKHR",
  { sType: STypeField; pNext: PNextField; memoryTypeBits: NumberField },
  never
> = defineStruct("VkMemoryFdPropertiesKHR", {
  sType: sType(),
  pNext: pNext("void*"),
  memoryTypeBits: u32(),
}, { sType: ST.MEMORY_FD_PROPERTIES_KHR });

/** `VkMemoryDedicatedAllocateInfo` */
export const VkMemoryDedicatedAllocateInfo: StructDef<
  "VkMemoryDedicatedAllocateInfo",
  { sType: STypeField; pNext: PNextField; image: BigIntField; buffer: BigIntField },
  "VkMemoryAllocateInfo"
> = defineStruct("VkMemoryDedicatedAllocateInfo", {
  sType: sType(),
  pNext: pNext(),
  image: handle("VkImage"),
  buffer: handle("VkBuffer"),
}, { sType: ST.MEMORY_DEDICATED_ALLOCATE_INFO, extends: ["VkMemoryAllocateInfo"] });

/** `VkImportMemoryHostPointerInfoEXT` */
export const VkImportMemoryHostPointerInfoEXT: StructDef<
  "VkImportMemoryHostPointerInfoEXT",
  { sType: STypeField; pNext: PNextField; handleType: NumberField; pHostPointer: VoidPtrField },
  "VkMemoryAllocateInfo"
> = defineStruct("VkImportMemoryHostPointerInfoEXT", {
  sType: sType(),
  pNext: pNext(),
  handleType: u32("VkExternalMemoryHandleTypeFlagBits"),
  pHostPointer: voidPtr("void*"),
}, { sType: ST.IMPORT_MEMORY_HOST_POINTER_INFO_EXT, extends: ["VkMemoryAllocateInfo"] });

/** `VkMemoryHostPointerPropertiesEXT` */
export const VkMemoryHostPointerPropertiesEXT: StructDef<
  "VkMemoryHostPointerPropertiesEXT",
  { sType: STypeField; pNext: PNextField; memoryTypeBits: NumberField },
  never
> = defineStruct("VkMemoryHostPointerPropertiesEXT", {
  sType: sType(),
  pNext: pNext("void*"),
  memoryTypeBits: u32(),
}, { sType: ST.MEMORY_HOST_POINTER_PROPERTIES_EXT });

/** `VkBufferCreateInfo` */
export const VkBufferCreateInfo: StructDef<
  "VkBufferCreateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    size: BigIntField;
    usage: NumberField;
    sharingMode: NumberField;
    queueFamilyIndexCount: NumberField;
    pQueueFamilyIndices: ValueArrayField<NumberField>;
  },
  never
> = defineStruct("VkBufferCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkBufferCreateFlags"),
  size: u64("VkDeviceSize"),
  usage: u32("VkBufferUsageFlags"),
  sharingMode: u32("VkSharingMode"),
  queueFamilyIndexCount: count(),
  pQueueFamilyIndices: valueArray(u32(), "queueFamilyIndexCount", "const uint32_t*"),
}, { sType: ST.BUFFER_CREATE_INFO });

/** `VkExternalMemoryBufferCreateInfo` */
export const VkExternalMemoryBufferCreateInfo: StructDef<
  "VkExternalMemoryBufferCreateInfo",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkBufferCreateInfo"
> = defineStruct("VkExternalMemoryBufferCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  handleTypes: u32("VkExternalMemoryHandleTypeFlags"),
}, { sType: ST.EXTERNAL_MEMORY_BUFFER_CREATE_INFO, extends: ["VkBufferCreateInfo"] });

/** `VkImageCreateInfo` */
export const VkImageCreateInfo: StructDef<
  "VkImageCreateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    imageType: NumberField;
    format: NumberField;
    extent: StructField<typeof VkExtent3D>;
    mipLevels: NumberField;
    arrayLayers: NumberField;
    samples: NumberField;
    tiling: NumberField;
    usage: NumberField;
    sharingMode: NumberField;
    queueFamilyIndexCount: NumberField;
    pQueueFamilyIndices: ValueArrayField<NumberField>;
    initialLayout: NumberField;
  },
  never
> = defineStruct("VkImageCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkImageCreateFlags"),
  imageType: u32("VkImageType"),
  format: u32("VkFormat"),
  extent: struct(VkExtent3D),
  mipLevels: u32(),
  arrayLayers: u32(),
  samples: u32("VkSampleCountFlagBits"),
  tiling: u32("VkImageTiling"),
  usage: u32("VkImageUsageFlags"),
  sharingMode: u32("VkSharingMode"),
  queueFamilyIndexCount: count(),
  pQueueFamilyIndices: valueArray(u32(), "queueFamilyIndexCount", "const uint32_t*"),
  initialLayout: u32("VkImageLayout"),
}, { sType: ST.IMAGE_CREATE_INFO });

/** `VkExternalMemoryImageCreateInfo` */
export const VkExternalMemoryImageCreateInfo: StructDef<
  "VkExternalMemoryImageCreateInfo",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkImageCreateInfo"
> = defineStruct("VkExternalMemoryImageCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  handleTypes: u32("VkExternalMemoryHandleTypeFlags"),
}, { sType: ST.EXTERNAL_MEMORY_IMAGE_CREATE_INFO, extends: ["VkImageCreateInfo"] });

/** `VkBufferMemoryRequirementsInfo2` */
export const VkBufferMemoryRequirementsInfo2: StructDef<
  "VkBufferMemoryRequirementsInfo2",
  { sType: STypeField; pNext: PNextField; buffer: BigIntField },
  never
> = defineStruct("VkBufferMemoryRequirementsInfo2", {
  sType: sType(),
  pNext: pNext(),
  buffer: handle("VkBuffer"),
}, { sType: ST.BUFFER_MEMORY_REQUIREMENTS_INFO_2 });

/** `VkImageMemoryRequirementsInfo2` */
export const VkImageMemoryRequirementsInfo2: StructDef<
  "VkImageMemoryRequirementsInfo2",
  { sType: STypeField; pNext: PNextField; image: BigIntField },
  never
> = defineStruct("VkImageMemoryRequirementsInfo2", {
  sType: sType(),
  pNext: pNext(),
  image: handle("VkImage"),
}, { sType: ST.IMAGE_MEMORY_REQUIREMENTS_INFO_2 });

/** `VkImagePlaneMemoryRequirementsInfo`: the plane of a disjoint image asked about. */
export const VkImagePlaneMemoryRequirementsInfo: StructDef<
  "VkImagePlaneMemoryRequirementsInfo",
  { sType: STypeField; pNext: PNextField; planeAspect: NumberField },
  "VkImageMemoryRequirementsInfo2"
> = defineStruct(
  "VkImagePlaneMemoryRequirementsInfo",
  {
    sType: sType(),
    pNext: pNext(),
    planeAspect: u32("VkImageAspectFlagBits"),
  },
  {
    sType: ST.IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO,
    extends: ["VkImageMemoryRequirementsInfo2"],
  },
);

/** `VkBindImageMemoryInfo` (vkBindImageMemory2) */
export const VkBindImageMemoryInfo: StructDef<
  "VkBindImageMemoryInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    image: BigIntField;
    memory: BigIntField;
    memoryOffset: BigIntField;
  },
  never
> = defineStruct("VkBindImageMemoryInfo", {
  sType: sType(),
  pNext: pNext(),
  image: handle("VkImage"),
  memory: handle("VkDeviceMemory"),
  memoryOffset: u64("VkDeviceSize"),
}, { sType: ST.BIND_IMAGE_MEMORY_INFO });

/** `VkBindImagePlaneMemoryInfo`: the plane of a disjoint image bound. */
export const VkBindImagePlaneMemoryInfo: StructDef<
  "VkBindImagePlaneMemoryInfo",
  { sType: STypeField; pNext: PNextField; planeAspect: NumberField },
  "VkBindImageMemoryInfo"
> = defineStruct("VkBindImagePlaneMemoryInfo", {
  sType: sType(),
  pNext: pNext(),
  planeAspect: u32("VkImageAspectFlagBits"),
}, { sType: ST.BIND_IMAGE_PLANE_MEMORY_INFO, extends: ["VkBindImageMemoryInfo"] });

/** `VkMemoryRequirements2` */
export const VkMemoryRequirements2: StructDef<
  "VkMemoryRequirements2",
  {
    sType: STypeField;
    pNext: PNextField;
    memoryRequirements: StructField<typeof VkMemoryRequirements>;
  },
  never
> = defineStruct("VkMemoryRequirements2", {
  sType: sType(),
  pNext: pNext("void*"),
  memoryRequirements: struct(VkMemoryRequirements),
}, { sType: ST.MEMORY_REQUIREMENTS_2 });

/** `VkMemoryDedicatedRequirements` */
export const VkMemoryDedicatedRequirements: StructDef<
  "VkMemoryDedicatedRequirements",
  {
    sType: STypeField;
    pNext: PNextField;
    prefersDedicatedAllocation: BoolField;
    requiresDedicatedAllocation: BoolField;
  },
  "VkMemoryRequirements2"
> = defineStruct("VkMemoryDedicatedRequirements", {
  sType: sType(),
  pNext: pNext("void*"),
  prefersDedicatedAllocation: bool32(),
  requiresDedicatedAllocation: bool32(),
}, { sType: ST.MEMORY_DEDICATED_REQUIREMENTS, extends: ["VkMemoryRequirements2"] });

// ---- command buffers, submission, fences ----------------------------------------------------

/** `VkCommandPoolCreateInfo` */
export const VkCommandPoolCreateInfo: StructDef<
  "VkCommandPoolCreateInfo",
  { sType: STypeField; pNext: PNextField; flags: NumberField; queueFamilyIndex: NumberField },
  never
> = defineStruct("VkCommandPoolCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkCommandPoolCreateFlags"),
  queueFamilyIndex: u32(),
}, { sType: ST.COMMAND_POOL_CREATE_INFO });

/** `VkCommandBufferAllocateInfo` */
export const VkCommandBufferAllocateInfo: StructDef<
  "VkCommandBufferAllocateInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    commandPool: BigIntField;
    level: NumberField;
    commandBufferCount: NumberField;
  },
  never
> = defineStruct("VkCommandBufferAllocateInfo", {
  sType: sType(),
  pNext: pNext(),
  commandPool: handle("VkCommandPool"),
  level: u32("VkCommandBufferLevel"),
  commandBufferCount: u32(),
}, { sType: ST.COMMAND_BUFFER_ALLOCATE_INFO });

/** `VkCommandBufferBeginInfo` (no inheritance info: primary command buffers only). */
export const VkCommandBufferBeginInfo: StructDef<
  "VkCommandBufferBeginInfo",
  { sType: STypeField; pNext: PNextField; flags: NumberField; pInheritanceInfo: VoidPtrField },
  never
> = defineStruct("VkCommandBufferBeginInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkCommandBufferUsageFlags"),
  pInheritanceInfo: voidPtr("const VkCommandBufferInheritanceInfo*"),
}, { sType: ST.COMMAND_BUFFER_BEGIN_INFO });

/** `VkSubmitInfo` */
export const VkSubmitInfo: StructDef<
  "VkSubmitInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    waitSemaphoreCount: NumberField;
    pWaitSemaphores: ValueArrayField<BigIntField>;
    pWaitDstStageMask: ValueArrayField<NumberField>;
    commandBufferCount: NumberField;
    pCommandBuffers: ValueArrayField<VoidPtrField>;
    signalSemaphoreCount: NumberField;
    pSignalSemaphores: ValueArrayField<BigIntField>;
  },
  never
> = defineStruct("VkSubmitInfo", {
  sType: sType(),
  pNext: pNext(),
  waitSemaphoreCount: count(),
  pWaitSemaphores: valueArray(handle("VkSemaphore"), "waitSemaphoreCount", "const VkSemaphore*"),
  pWaitDstStageMask: valueArray(
    u32("VkPipelineStageFlags"),
    "waitSemaphoreCount",
    "const VkPipelineStageFlags*",
  ),
  commandBufferCount: count(),
  pCommandBuffers: valueArray(
    voidPtr("VkCommandBuffer"),
    "commandBufferCount",
    "const VkCommandBuffer*",
  ),
  signalSemaphoreCount: count(),
  pSignalSemaphores: valueArray(
    handle("VkSemaphore"),
    "signalSemaphoreCount",
    "const VkSemaphore*",
  ),
}, { sType: ST.SUBMIT_INFO });

/** `VkFenceCreateInfo` */
export const VkFenceCreateInfo: StructDef<
  "VkFenceCreateInfo",
  { sType: STypeField; pNext: PNextField; flags: NumberField },
  never
> = defineStruct("VkFenceCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkFenceCreateFlags"),
}, { sType: ST.FENCE_CREATE_INFO });

/** `VkBufferCopy` */
export const VkBufferCopy: StructDef<
  "VkBufferCopy",
  { srcOffset: BigIntField; dstOffset: BigIntField; size: BigIntField },
  never
> = defineStruct("VkBufferCopy", {
  srcOffset: u64("VkDeviceSize"),
  dstOffset: u64("VkDeviceSize"),
  size: u64("VkDeviceSize"),
});

/** `VkBufferMemoryBarrier` */
export const VkBufferMemoryBarrier: StructDef<
  "VkBufferMemoryBarrier",
  {
    sType: STypeField;
    pNext: PNextField;
    srcAccessMask: NumberField;
    dstAccessMask: NumberField;
    srcQueueFamilyIndex: NumberField;
    dstQueueFamilyIndex: NumberField;
    buffer: BigIntField;
    offset: BigIntField;
    size: BigIntField;
  },
  never
> = defineStruct("VkBufferMemoryBarrier", {
  sType: sType(),
  pNext: pNext(),
  srcAccessMask: u32("VkAccessFlags"),
  dstAccessMask: u32("VkAccessFlags"),
  srcQueueFamilyIndex: u32(),
  dstQueueFamilyIndex: u32(),
  buffer: handle("VkBuffer"),
  offset: u64("VkDeviceSize"),
  size: u64("VkDeviceSize"),
}, { sType: ST.BUFFER_MEMORY_BARRIER });

/** `VkOffset3D` */
export const VkOffset3D: StructDef<
  "VkOffset3D",
  { x: NumberField; y: NumberField; z: NumberField },
  never
> = defineStruct("VkOffset3D", {
  x: i32(),
  y: i32(),
  z: i32(),
});

/** `VkImageSubresourceLayers` */
export const VkImageSubresourceLayers: StructDef<
  "VkImageSubresourceLayers",
  {
    aspectMask: NumberField;
    mipLevel: NumberField;
    baseArrayLayer: NumberField;
    layerCount: NumberField;
  },
  never
> = defineStruct("VkImageSubresourceLayers", {
  aspectMask: u32("VkImageAspectFlags"),
  mipLevel: u32(),
  baseArrayLayer: u32(),
  layerCount: u32(),
});

/** `VkImageSubresourceRange` */
export const VkImageSubresourceRange: StructDef<
  "VkImageSubresourceRange",
  {
    aspectMask: NumberField;
    baseMipLevel: NumberField;
    levelCount: NumberField;
    baseArrayLayer: NumberField;
    layerCount: NumberField;
  },
  never
> = defineStruct("VkImageSubresourceRange", {
  aspectMask: u32("VkImageAspectFlags"),
  baseMipLevel: u32(),
  levelCount: u32(),
  baseArrayLayer: u32(),
  layerCount: u32(),
});

/** `VkBufferImageCopy` */
export const VkBufferImageCopy: StructDef<
  "VkBufferImageCopy",
  {
    bufferOffset: BigIntField;
    bufferRowLength: NumberField;
    bufferImageHeight: NumberField;
    imageSubresource: StructField<typeof VkImageSubresourceLayers>;
    imageOffset: StructField<typeof VkOffset3D>;
    imageExtent: StructField<typeof VkExtent3D>;
  },
  never
> = defineStruct("VkBufferImageCopy", {
  bufferOffset: u64("VkDeviceSize"),
  bufferRowLength: u32(),
  bufferImageHeight: u32(),
  imageSubresource: struct(VkImageSubresourceLayers),
  imageOffset: struct(VkOffset3D),
  imageExtent: struct(VkExtent3D),
});

/** `VkImageMemoryBarrier` */
export const VkImageMemoryBarrier: StructDef<
  "VkImageMemoryBarrier",
  {
    sType: STypeField;
    pNext: PNextField;
    srcAccessMask: NumberField;
    dstAccessMask: NumberField;
    oldLayout: NumberField;
    newLayout: NumberField;
    srcQueueFamilyIndex: NumberField;
    dstQueueFamilyIndex: NumberField;
    image: BigIntField;
    subresourceRange: StructField<typeof VkImageSubresourceRange>;
  },
  never
> = defineStruct("VkImageMemoryBarrier", {
  sType: sType(),
  pNext: pNext(),
  srcAccessMask: u32("VkAccessFlags"),
  dstAccessMask: u32("VkAccessFlags"),
  oldLayout: u32("VkImageLayout"),
  newLayout: u32("VkImageLayout"),
  srcQueueFamilyIndex: u32(),
  dstQueueFamilyIndex: u32(),
  image: handle("VkImage"),
  subresourceRange: struct(VkImageSubresourceRange),
}, { sType: ST.IMAGE_MEMORY_BARRIER });

// ---- semaphores and fences ------------------------------------------------------------------

/** `VkSemaphoreCreateInfo` */
export const VkSemaphoreCreateInfo: StructDef<
  "VkSemaphoreCreateInfo",
  { sType: STypeField; pNext: PNextField; flags: NumberField },
  never
> = defineStruct("VkSemaphoreCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkSemaphoreCreateFlags"),
}, { sType: ST.SEMAPHORE_CREATE_INFO });

/** `VkExportSemaphoreCreateInfo` */
export const VkExportSemaphoreCreateInfo: StructDef<
  "VkExportSemaphoreCreateInfo",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkSemaphoreCreateInfo"
> = defineStruct("VkExportSemaphoreCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  handleTypes: u32("VkExternalSemaphoreHandleTypeFlags"),
}, { sType: ST.EXPORT_SEMAPHORE_CREATE_INFO, extends: ["VkSemaphoreCreateInfo"] });

/** `VkSemaphoreGetFdInfoKHR` */
export const VkSemaphoreGetFdInfoKHR: StructDef<
  "VkSemaphoreGetFdInfoKHR",
  { sType: STypeField; pNext: PNextField; semaphore: BigIntField; handleType: NumberField },
  never
> = defineStruct("VkSemaphoreGetFdInfoKHR", {
  sType: sType(),
  pNext: pNext(),
  semaphore: handle("VkSemaphore"),
  handleType: u32("VkExternalSemaphoreHandleTypeFlagBits"),
}, { sType: ST.SEMAPHORE_GET_FD_INFO_KHR });

/** `VkImportSemaphoreFdInfoKHR` */
export const VkImportSemaphoreFdInfoKHR: StructDef<
  "VkImportSemaphoreFdInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    semaphore: BigIntField;
    flags: NumberField;
    handleType: NumberField;
    fd: NumberField;
  },
  never
> = defineStruct("VkImportSemaphoreFdInfoKHR", {
  sType: sType(),
  pNext: pNext(),
  semaphore: handle("VkSemaphore"),
  flags: u32("VkSemaphoreImportFlags"),
  handleType: u32("VkExternalSemaphoreHandleTypeFlagBits"),
  fd: i32("int"),
}, { sType: ST.IMPORT_SEMAPHORE_FD_INFO_KHR });

/** `VkTimelineSemaphoreSubmitInfo` */
export const VkTimelineSemaphoreSubmitInfo: StructDef<
  "VkTimelineSemaphoreSubmitInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    waitSemaphoreValueCount: NumberField;
    pWaitSemaphoreValues: ValueArrayField<BigIntField>;
    signalSemaphoreValueCount: NumberField;
    pSignalSemaphoreValues: ValueArrayField<BigIntField>;
  },
  "VkSubmitInfo"
> = defineStruct("VkTimelineSemaphoreSubmitInfo", {
  sType: sType(),
  pNext: pNext(),
  waitSemaphoreValueCount: count(),
  pWaitSemaphoreValues: valueArray(u64(), "waitSemaphoreValueCount", "const uint64_t*"),
  signalSemaphoreValueCount: count(),
  pSignalSemaphoreValues: valueArray(u64(), "signalSemaphoreValueCount", "const uint64_t*"),
}, { sType: ST.TIMELINE_SEMAPHORE_SUBMIT_INFO, extends: ["VkSubmitInfo"] });

/** `VkSemaphoreWaitInfo` */
export const VkSemaphoreWaitInfo: StructDef<
  "VkSemaphoreWaitInfo",
  {
    sType: STypeField;
    pNext: PNextField;
    flags: NumberField;
    semaphoreCount: NumberField;
    pSemaphores: ValueArrayField<BigIntField>;
    pValues: ValueArrayField<BigIntField>;
  },
  never
> = defineStruct("VkSemaphoreWaitInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkSemaphoreWaitFlags"),
  semaphoreCount: count(),
  pSemaphores: valueArray(handle("VkSemaphore"), "semaphoreCount", "const VkSemaphore*"),
  pValues: valueArray(u64(), "semaphoreCount", "const uint64_t*"),
}, { sType: ST.SEMAPHORE_WAIT_INFO });

/** `VkSemaphoreSignalInfo` */
export const VkSemaphoreSignalInfo: StructDef<
  "VkSemaphoreSignalInfo",
  { sType: STypeField; pNext: PNextField; semaphore: BigIntField; value: BigIntField },
  never
> = defineStruct("VkSemaphoreSignalInfo", {
  sType: sType(),
  pNext: pNext(),
  semaphore: handle("VkSemaphore"),
  value: u64(),
}, { sType: ST.SEMAPHORE_SIGNAL_INFO });

/** `VkExportFenceCreateInfo` */
export const VkExportFenceCreateInfo: StructDef<
  "VkExportFenceCreateInfo",
  { sType: STypeField; pNext: PNextField; handleTypes: NumberField },
  "VkFenceCreateInfo"
> = defineStruct("VkExportFenceCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  handleTypes: u32("VkExternalFenceHandleTypeFlags"),
}, { sType: ST.EXPORT_FENCE_CREATE_INFO, extends: ["VkFenceCreateInfo"] });

/** `VkFenceGetFdInfoKHR` */
export const VkFenceGetFdInfoKHR: StructDef<
  "VkFenceGetFdInfoKHR",
  { sType: STypeField; pNext: PNextField; fence: BigIntField; handleType: NumberField },
  never
> = defineStruct("VkFenceGetFdInfoKHR", {
  sType: sType(),
  pNext: pNext(),
  fence: handle("VkFence"),
  handleType: u32("VkExternalFenceHandleTypeFlagBits"),
}, { sType: ST.FENCE_GET_FD_INFO_KHR });

/** `VkImportFenceFdInfoKHR` */
export const VkImportFenceFdInfoKHR: StructDef<
  "VkImportFenceFdInfoKHR",
  {
    sType: STypeField;
    pNext: PNextField;
    fence: BigIntField;
    flags: NumberField;
    handleType: NumberField;
    fd: NumberField;
  },
  never
> = defineStruct("VkImportFenceFdInfoKHR", {
  sType: sType(),
  pNext: pNext(),
  fence: handle("VkFence"),
  flags: u32("VkFenceImportFlags"),
  handleType: u32("VkExternalFenceHandleTypeFlagBits"),
  fd: i32("int"),
}, { sType: ST.IMPORT_FENCE_FD_INFO_KHR });

/** Every Vulkan struct declared here, for the layout check. */
// ---- DRM format modifiers (VK_EXT_image_drm_format_modifier) and plane layouts ----------------

/** `VkFormatProperties` */
export const VkFormatProperties: StructDef<
  "VkFormatProperties",
  {
    linearTilingFeatures: NumberField;
    optimalTilingFeatures: NumberField;
    bufferFeatures: NumberField;
  },
  never
> = defineStruct("VkFormatProperties", {
  linearTilingFeatures: u32("VkFormatFeatureFlags"),
  optimalTilingFeatures: u32("VkFormatFeatureFlags"),
  bufferFeatures: u32("VkFormatFeatureFlags"),
});

/** `VkFormatProperties2` */
export const VkFormatProperties2: StructDef<
  "VkFormatProperties2",
  {
    sType: STypeField;
    pNext: PNextField;
    formatProperties: StructField<typeof VkFormatProperties>;
  },
  never
> = defineStruct("VkFormatProperties2", {
  sType: sType(),
  pNext: pNext("void*"),
  formatProperties: struct(VkFormatProperties),
}, { sType: ST.FORMAT_PROPERTIES_2 });

/** `VkDrmFormatModifierPropertiesEXT` */
export const VkDrmFormatModifierPropertiesEXT: StructDef<
  "VkDrmFormatModifierPropertiesEXT",
  {
    drmFormatModifier: BigIntField;
    drmFormatModifierPlaneCount: NumberField;
    drmFormatModifierTilingFeatures: NumberField;
  },
  never
> = defineStruct("VkDrmFormatModifierPropertiesEXT", {
  drmFormatModifier: u64(),
  drmFormatModifierPlaneCount: u32(),
  drmFormatModifierTilingFeatures: u32("VkFormatFeatureFlags"),
});

/** `VkDrmFormatModifierPropertiesListEXT` */
export const VkDrmFormatModifierPropertiesListEXT: StructDef<
  "VkDrmFormatModifierPropertiesListEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    drmFormatModifierCount: NumberField;
    pDrmFormatModifierProperties: StructPtrField<typeof VkDrmFormatModifierPropertiesEXT>;
  },
  "VkFormatProperties2"
> = defineStruct(
  "VkDrmFormatModifierPropertiesListEXT",
  {
    sType: sType(),
    pNext: pNext("void*"),
    drmFormatModifierCount: count(),
    pDrmFormatModifierProperties: structPtr(
      VkDrmFormatModifierPropertiesEXT,
      "drmFormatModifierCount",
      "VkDrmFormatModifierPropertiesEXT*",
    ),
  },
  { sType: ST.DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT, extends: ["VkFormatProperties2"] },
);

/** `VkDrmFormatModifierProperties2EXT` */
export const VkDrmFormatModifierProperties2EXT: StructDef<
  "VkDrmFormatModifierProperties2EXT",
  {
    drmFormatModifier: BigIntField;
    drmFormatModifierPlaneCount: NumberField;
    drmFormatModifierTilingFeatures: BigIntField;
  },
  never
> = defineStruct(
  "VkDrmFormatModifierProperties2EXT",
  {
    drmFormatModifier: u64(),
    drmFormatModifierPlaneCount: u32(),
    drmFormatModifierTilingFeatures: u64("VkFormatFeatureFlags2"),
  },
);

/** `VkDrmFormatModifierPropertiesList2EXT` */
export const VkDrmFormatModifierPropertiesList2EXT: StructDef<
  "VkDrmFormatModifierPropertiesList2EXT",
  {
    sType: STypeField;
    pNext: PNextField;
    drmFormatModifierCount: NumberField;
    pDrmFormatModifierProperties: StructPtrField<typeof VkDrmFormatModifierProperties2EXT>;
  },
  "VkFormatProperties2"
> = defineStruct(
  "VkDrmFormatModifierPropertiesList2EXT",
  {
    sType: sType(),
    pNext: pNext("void*"),
    drmFormatModifierCount: count(),
    pDrmFormatModifierProperties: structPtr(
      VkDrmFormatModifierProperties2EXT,
      "drmFormatModifierCount",
      "VkDrmFormatModifierProperties2EXT*",
    ),
  },
  { sType: ST.DRM_FORMAT_MODIFIER_PROPERTIES_LIST_2_EXT, extends: ["VkFormatProperties2"] },
);

/** `VkPhysicalDeviceImageDrmFormatModifierInfoEXT` */
export const VkPhysicalDeviceImageDrmFormatModifierInfoEXT: StructDef<
  "VkPhysicalDeviceImageDrmFormatModifierInfoEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    drmFormatModifier: BigIntField;
    sharingMode: NumberField;
    queueFamilyIndexCount: NumberField;
    pQueueFamilyIndices: ValueArrayField<NumberField>;
  },
  "VkPhysicalDeviceImageFormatInfo2"
> = defineStruct(
  "VkPhysicalDeviceImageDrmFormatModifierInfoEXT",
  {
    sType: sType(),
    pNext: pNext(),
    drmFormatModifier: u64(),
    sharingMode: u32("VkSharingMode"),
    queueFamilyIndexCount: count(),
    pQueueFamilyIndices: valueArray(u32(), "queueFamilyIndexCount", "const uint32_t*"),
  },
  {
    sType: ST.PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT,
    extends: ["VkPhysicalDeviceImageFormatInfo2"],
  },
);

/** `VkImageDrmFormatModifierListCreateInfoEXT` */
export const VkImageDrmFormatModifierListCreateInfoEXT: StructDef<
  "VkImageDrmFormatModifierListCreateInfoEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    drmFormatModifierCount: NumberField;
    pDrmFormatModifiers: ValueArrayField<BigIntField>;
  },
  "VkImageCreateInfo"
> = defineStruct(
  "VkImageDrmFormatModifierListCreateInfoEXT",
  {
    sType: sType(),
    pNext: pNext(),
    drmFormatModifierCount: count(),
    pDrmFormatModifiers: valueArray(u64(), "drmFormatModifierCount", "const uint64_t*"),
  },
  { sType: ST.IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT, extends: ["VkImageCreateInfo"] },
);

/** `VkSubresourceLayout` */
export const VkSubresourceLayout: StructDef<
  "VkSubresourceLayout",
  {
    offset: BigIntField;
    size: BigIntField;
    rowPitch: BigIntField;
    arrayPitch: BigIntField;
    depthPitch: BigIntField;
  },
  never
> = defineStruct("VkSubresourceLayout", {
  offset: u64("VkDeviceSize"),
  size: u64("VkDeviceSize"),
  rowPitch: u64("VkDeviceSize"),
  arrayPitch: u64("VkDeviceSize"),
  depthPitch: u64("VkDeviceSize"),
});

/** `VkImageDrmFormatModifierExplicitCreateInfoEXT` */
export const VkImageDrmFormatModifierExplicitCreateInfoEXT: StructDef<
  "VkImageDrmFormatModifierExplicitCreateInfoEXT",
  {
    sType: STypeField;
    pNext: PNextField;
    drmFormatModifier: BigIntField;
    drmFormatModifierPlaneCount: NumberField;
    pPlaneLayouts: StructPtrField<typeof VkSubresourceLayout>;
  },
  "VkImageCreateInfo"
> = defineStruct(
  "VkImageDrmFormatModifierExplicitCreateInfoEXT",
  {
    sType: sType(),
    pNext: pNext(),
    drmFormatModifier: u64(),
    drmFormatModifierPlaneCount: count(),
    pPlaneLayouts: structPtr(VkSubresourceLayout, "drmFormatModifierPlaneCount"),
  },
  {
    sType: ST.IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
    extends: ["VkImageCreateInfo"],
  },
);

/** `VkImageDrmFormatModifierPropertiesEXT` */
export const VkImageDrmFormatModifierPropertiesEXT: StructDef<
  "VkImageDrmFormatModifierPropertiesEXT",
  { sType: STypeField; pNext: PNextField; drmFormatModifier: BigIntField },
  never
> = defineStruct(
  "VkImageDrmFormatModifierPropertiesEXT",
  {
    sType: sType(),
    pNext: pNext("void*"),
    drmFormatModifier: u64(),
  },
  { sType: ST.IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT },
);

/** `VkImageSubresource` */
export const VkImageSubresource: StructDef<
  "VkImageSubresource",
  { aspectMask: NumberField; mipLevel: NumberField; arrayLayer: NumberField },
  never
> = defineStruct("VkImageSubresource", {
  aspectMask: u32("VkImageAspectFlags"),
  mipLevel: u32(),
  arrayLayer: u32(),
});

export const VK_STRUCTS: readonly AnyStruct[] = [
  VkExtent3D,
  VkExtensionProperties,
  VkLayerProperties,
  VkMemoryType,
  VkMemoryHeap,
  VkPhysicalDeviceMemoryProperties,
  VkQueueFamilyProperties,
  VkPhysicalDeviceLimits,
  VkPhysicalDeviceSparseProperties,
  VkPhysicalDeviceProperties,
  VkImageFormatProperties,
  VkExternalMemoryProperties,
  VkMemoryRequirements,
  VkConformanceVersion,
  VkApplicationInfo,
  VkInstanceCreateInfo,
  VkDebugUtilsMessengerCreateInfoEXT,
  VkDebugUtilsLabelEXT,
  VkDebugUtilsObjectNameInfoEXT,
  VkDebugUtilsMessengerCallbackDataEXT,
  VkDeviceQueueCreateInfo,
  VkDeviceCreateInfo,
  VkPhysicalDeviceTimelineSemaphoreFeatures,
  VkPhysicalDeviceTimelineSemaphoreProperties,
  VkPhysicalDeviceFeatures,
  VkPhysicalDeviceFeatures2,
  VkPhysicalDeviceProperties2,
  VkPhysicalDeviceIDProperties,
  VkPhysicalDeviceDriverProperties,
  VkPhysicalDeviceExternalMemoryHostPropertiesEXT,
  VkPhysicalDeviceExternalBufferInfo,
  VkExternalBufferProperties,
  VkPhysicalDeviceImageFormatInfo2,
  VkPhysicalDeviceExternalImageFormatInfo,
  VkImageFormatProperties2,
  VkExternalImageFormatProperties,
  VkPhysicalDeviceExternalSemaphoreInfo,
  VkSemaphoreTypeCreateInfo,
  VkExternalSemaphoreProperties,
  VkPhysicalDeviceExternalFenceInfo,
  VkExternalFenceProperties,
  VkMemoryAllocateInfo,
  VkExportMemoryAllocateInfo,
  VkImportMemoryFdInfoKHR,
  VkMemoryGetFdInfoKHR,
  VkMemoryFdPropertiesKHR,
  VkMemoryDedicatedAllocateInfo,
  VkImportMemoryHostPointerInfoEXT,
  VkMemoryHostPointerPropertiesEXT,
  VkBufferCreateInfo,
  VkExternalMemoryBufferCreateInfo,
  VkImageCreateInfo,
  VkExternalMemoryImageCreateInfo,
  VkBufferMemoryRequirementsInfo2,
  VkImageMemoryRequirementsInfo2,
  VkImagePlaneMemoryRequirementsInfo,
  VkBindImageMemoryInfo,
  VkBindImagePlaneMemoryInfo,
  VkMemoryRequirements2,
  VkMemoryDedicatedRequirements,
  VkCommandPoolCreateInfo,
  VkCommandBufferAllocateInfo,
  VkCommandBufferBeginInfo,
  VkSubmitInfo,
  VkFenceCreateInfo,
  VkBufferCopy,
  VkBufferMemoryBarrier,
  VkOffset3D,
  VkImageSubresourceLayers,
  VkImageSubresourceRange,
  VkBufferImageCopy,
  VkImageMemoryBarrier,
  VkSemaphoreCreateInfo,
  VkExportSemaphoreCreateInfo,
  VkSemaphoreGetFdInfoKHR,
  VkImportSemaphoreFdInfoKHR,
  VkTimelineSemaphoreSubmitInfo,
  VkSemaphoreWaitInfo,
  VkSemaphoreSignalInfo,
  VkExportFenceCreateInfo,
  VkFenceGetFdInfoKHR,
  VkImportFenceFdInfoKHR,
  VkFormatProperties,
  VkFormatProperties2,
  VkDrmFormatModifierPropertiesEXT,
  VkDrmFormatModifierPropertiesListEXT,
  VkDrmFormatModifierProperties2EXT,
  VkDrmFormatModifierPropertiesList2EXT,
  VkPhysicalDeviceImageDrmFormatModifierInfoEXT,
  VkImageDrmFormatModifierListCreateInfoEXT,
  VkSubresourceLayout,
  VkImageDrmFormatModifierExplicitCreateInfoEXT,
  VkImageDrmFormatModifierPropertiesEXT,
  VkImageSubresource,
];
