/**
 * Vulkan command signatures. Core commands are one symbol table, resolved from libvulkan by
 * name; each extension's commands are a table of their own, loaded as function pointers through
 * vkGetInstanceProcAddr / vkGetDeviceProcAddr when the instance or device enables it.
 *
 * `VkResult` is `i32` (its error codes are negative). Dispatchable handles (VkInstance,
 * VkPhysicalDevice, VkDevice, VkQueue, VkCommandBuffer) are pointers; non-dispatchable handles
 * are `u64`. Struct and out-parameters are `buffer`s from an arena.
 *
 * @module
 */

/** Core commands (Vulkan 1.0; 1.1+ marked optional so an older loader still opens). */
export const VK_CORE = {
  vkGetInstanceProcAddr: {
    parameters: [
      "pointer", // VkInstance instance
      "buffer", // const char* pName
    ],
    result: "pointer", // PFN_vkVoidFunction
  },
  vkGetDeviceProcAddr: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const char* pName
    ],
    result: "pointer", // PFN_vkVoidFunction
  },
  vkEnumerateInstanceVersion: {
    parameters: [
      "buffer", // uint32_t* pApiVersion
    ],
    result: "i32", // VkResult
    optional: true, // Vulkan 1.1
  },
  vkEnumerateInstanceExtensionProperties: {
    parameters: [
      "buffer", // const char* pLayerName
      "buffer", // uint32_t* pPropertyCount
      "buffer", // VkExtensionProperties* pProperties
    ],
    result: "i32",
  },
  vkEnumerateInstanceLayerProperties: {
    parameters: [
      "buffer", // uint32_t* pPropertyCount
      "buffer", // VkLayerProperties* pProperties
    ],
    result: "i32",
  },
  vkCreateInstance: {
    parameters: [
      "buffer", // const VkInstanceCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkInstance* pInstance
    ],
    result: "i32",
  },
  vkDestroyInstance: {
    parameters: [
      "pointer", // VkInstance instance
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkEnumeratePhysicalDevices: {
    parameters: [
      "pointer", // VkInstance instance
      "buffer", // uint32_t* pPhysicalDeviceCount
      "buffer", // VkPhysicalDevice* pPhysicalDevices
    ],
    result: "i32",
  },
  vkGetPhysicalDeviceProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // VkPhysicalDeviceProperties* pProperties
    ],
    result: "void",
  },
  vkGetPhysicalDeviceProperties2: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // VkPhysicalDeviceProperties2* pProperties
    ],
    result: "void",
    optional: true,
  },
  vkGetPhysicalDeviceFeatures2: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // VkPhysicalDeviceFeatures2* pFeatures
    ],
    result: "void",
    optional: true,
  },
  vkGetPhysicalDeviceMemoryProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // VkPhysicalDeviceMemoryProperties* pMemoryProperties
    ],
    result: "void",
  },
  vkGetPhysicalDeviceQueueFamilyProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // uint32_t* pQueueFamilyPropertyCount
      "buffer", // VkQueueFamilyProperties* pQueueFamilyProperties
    ],
    result: "void",
  },
  vkEnumerateDeviceExtensionProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // const char* pLayerName
      "buffer", // uint32_t* pPropertyCount
      "buffer", // VkExtensionProperties* pProperties
    ],
    result: "i32",
  },
  vkGetPhysicalDeviceExternalBufferProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // const VkPhysicalDeviceExternalBufferInfo* pExternalBufferInfo
      "buffer", // VkExternalBufferProperties* pExternalBufferProperties
    ],
    result: "void",
    optional: true,
  },
  vkGetPhysicalDeviceFormatProperties2: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "u32", // VkFormat format
      "buffer", // VkFormatProperties2* pFormatProperties
    ],
    result: "void",
    optional: true,
  },
  vkGetPhysicalDeviceImageFormatProperties2: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // const VkPhysicalDeviceImageFormatInfo2* pImageFormatInfo
      "buffer", // VkImageFormatProperties2* pImageFormatProperties
    ],
    result: "i32",
    optional: true,
  },
  vkGetPhysicalDeviceExternalSemaphoreProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // const VkPhysicalDeviceExternalSemaphoreInfo* pExternalSemaphoreInfo
      "buffer", // VkExternalSemaphoreProperties* pExternalSemaphoreProperties
    ],
    result: "void",
    optional: true,
  },
  vkGetPhysicalDeviceExternalFenceProperties: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // const VkPhysicalDeviceExternalFenceInfo* pExternalFenceInfo
      "buffer", // VkExternalFenceProperties* pExternalFenceProperties
    ],
    result: "void",
    optional: true,
  },
  vkCreateDevice: {
    parameters: [
      "pointer", // VkPhysicalDevice physicalDevice
      "buffer", // const VkDeviceCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkDevice* pDevice
    ],
    result: "i32",
  },
  vkDestroyDevice: {
    parameters: [
      "pointer", // VkDevice device
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkGetDeviceQueue: {
    parameters: [
      "pointer", // VkDevice device
      "u32", // uint32_t queueFamilyIndex
      "u32", // uint32_t queueIndex
      "buffer", // VkQueue* pQueue
    ],
    result: "void",
  },
  vkDeviceWaitIdle: {
    parameters: [
      "pointer", // VkDevice device
    ],
    result: "i32",
  },
  vkAllocateMemory: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkMemoryAllocateInfo* pAllocateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkDeviceMemory* pMemory
    ],
    result: "i32",
  },
  vkFreeMemory: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkDeviceMemory memory
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkMapMemory: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkDeviceMemory memory
      "u64", // VkDeviceSize offset
      "u64", // VkDeviceSize size
      "u32", // VkMemoryMapFlags flags
      "buffer", // void** ppData
    ],
    result: "i32",
  },
  vkUnmapMemory: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkDeviceMemory memory
    ],
    result: "void",
  },
  vkCreateBuffer: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkBufferCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkBuffer* pBuffer
    ],
    result: "i32",
  },
  vkDestroyBuffer: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkBuffer buffer
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkBindBufferMemory: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkBuffer buffer
      "u64", // VkDeviceMemory memory
      "u64", // VkDeviceSize memoryOffset
    ],
    result: "i32",
  },
  vkGetBufferMemoryRequirements2: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkBufferMemoryRequirementsInfo2* pInfo
      "buffer", // VkMemoryRequirements2* pMemoryRequirements
    ],
    result: "void",
    optional: true,
  },
  vkCreateImage: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkImageCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkImage* pImage
    ],
    result: "i32",
  },
  vkDestroyImage: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkImage image
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkGetImageSubresourceLayout: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkImage image
      "buffer", // const VkImageSubresource* pSubresource
      "buffer", // VkSubresourceLayout* pLayout
    ],
    result: "void",
  },
  vkBindImageMemory: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkImage image
      "u64", // VkDeviceMemory memory
      "u64", // VkDeviceSize memoryOffset
    ],
    result: "i32",
  },
  vkBindImageMemory2: {
    parameters: [
      "pointer", // VkDevice device
      "u32", // uint32_t bindInfoCount
      "buffer", // const VkBindImageMemoryInfo* pBindInfos
    ],
    result: "i32",
    optional: true,
  },
  vkGetImageMemoryRequirements2: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkImageMemoryRequirementsInfo2* pInfo
      "buffer", // VkMemoryRequirements2* pMemoryRequirements
    ],
    result: "void",
    optional: true,
  },
  vkCreateCommandPool: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkCommandPoolCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkCommandPool* pCommandPool
    ],
    result: "i32",
  },
  vkDestroyCommandPool: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkCommandPool commandPool
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkAllocateCommandBuffers: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkCommandBufferAllocateInfo* pAllocateInfo
      "buffer", // VkCommandBuffer* pCommandBuffers
    ],
    result: "i32",
  },
  vkFreeCommandBuffers: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkCommandPool commandPool
      "u32", // uint32_t commandBufferCount
      "buffer", // const VkCommandBuffer* pCommandBuffers
    ],
    result: "void",
  },
  vkBeginCommandBuffer: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "buffer", // const VkCommandBufferBeginInfo* pBeginInfo
    ],
    result: "i32",
  },
  vkEndCommandBuffer: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
    ],
    result: "i32",
  },
  vkCmdCopyBuffer: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkBuffer srcBuffer
      "u64", // VkBuffer dstBuffer
      "u32", // uint32_t regionCount
      "buffer", // const VkBufferCopy* pRegions
    ],
    result: "void",
  },
  vkCmdFillBuffer: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkBuffer dstBuffer
      "u64", // VkDeviceSize dstOffset
      "u64", // VkDeviceSize size
      "u32", // uint32_t data
    ],
    result: "void",
  },
  vkCreateShaderModule: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkShaderModuleCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkShaderModule* pShaderModule
    ],
    result: "i32",
  },
  vkDestroyShaderModule: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkShaderModule shaderModule
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreateDescriptorSetLayout: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkDescriptorSetLayoutCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkDescriptorSetLayout* pSetLayout
    ],
    result: "i32",
  },
  vkDestroyDescriptorSetLayout: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkDescriptorSetLayout descriptorSetLayout
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreatePipelineLayout: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkPipelineLayoutCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkPipelineLayout* pPipelineLayout
    ],
    result: "i32",
  },
  vkDestroyPipelineLayout: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkPipelineLayout pipelineLayout
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreateComputePipelines: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkPipelineCache pipelineCache
      "u32", // uint32_t createInfoCount
      "buffer", // const VkComputePipelineCreateInfo* pCreateInfos
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkPipeline* pPipelines
    ],
    result: "i32",
  },
  vkCreateGraphicsPipelines: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkPipelineCache pipelineCache
      "u32", // uint32_t createInfoCount
      "buffer", // const VkGraphicsPipelineCreateInfo* pCreateInfos
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkPipeline* pPipelines
    ],
    result: "i32",
  },
  vkDestroyPipeline: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkPipeline pipeline
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreateDescriptorPool: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkDescriptorPoolCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkDescriptorPool* pDescriptorPool
    ],
    result: "i32",
  },
  vkDestroyDescriptorPool: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkDescriptorPool descriptorPool
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkAllocateDescriptorSets: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkDescriptorSetAllocateInfo* pAllocateInfo
      "buffer", // VkDescriptorSet* pDescriptorSets
    ],
    result: "i32",
  },
  vkUpdateDescriptorSets: {
    parameters: [
      "pointer", // VkDevice device
      "u32", // uint32_t descriptorWriteCount
      "buffer", // const VkWriteDescriptorSet* pDescriptorWrites
      "u32", // uint32_t descriptorCopyCount
      "pointer", // const VkCopyDescriptorSet* pDescriptorCopies
    ],
    result: "void",
  },
  vkCreateImageView: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkImageViewCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkImageView* pView
    ],
    result: "i32",
  },
  vkDestroyImageView: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkImageView imageView
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreateSampler: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkSamplerCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkSampler* pSampler
    ],
    result: "i32",
  },
  vkDestroySampler: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkSampler sampler
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreateRenderPass: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkRenderPassCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkRenderPass* pRenderPass
    ],
    result: "i32",
  },
  vkDestroyRenderPass: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkRenderPass renderPass
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCreateFramebuffer: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkFramebufferCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkFramebuffer* pFramebuffer
    ],
    result: "i32",
  },
  vkDestroyFramebuffer: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkFramebuffer framebuffer
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkCmdBindPipeline: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u32", // VkPipelineBindPoint pipelineBindPoint
      "u64", // VkPipeline pipeline
    ],
    result: "void",
  },
  vkCmdBindDescriptorSets: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u32", // VkPipelineBindPoint pipelineBindPoint
      "u64", // VkPipelineLayout layout
      "u32", // uint32_t firstSet
      "u32", // uint32_t descriptorSetCount
      "buffer", // const VkDescriptorSet* pDescriptorSets
      "u32", // uint32_t dynamicOffsetCount
      "pointer", // const uint32_t* pDynamicOffsets
    ],
    result: "void",
  },
  vkCmdPushConstants: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkPipelineLayout layout
      "u32", // VkShaderStageFlags stageFlags
      "u32", // uint32_t offset
      "u32", // uint32_t size
      "buffer", // const void* pValues
    ],
    result: "void",
  },
  vkCmdDispatch: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u32", // uint32_t groupCountX
      "u32", // uint32_t groupCountY
      "u32", // uint32_t groupCountZ
    ],
    result: "void",
  },
  vkCmdBeginRenderPass: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "buffer", // const VkRenderPassBeginInfo* pRenderPassBegin
      "u32", // VkSubpassContents contents
    ],
    result: "void",
  },
  vkCmdEndRenderPass: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
    ],
    result: "void",
  },
  vkCmdDraw: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u32", // uint32_t vertexCount
      "u32", // uint32_t instanceCount
      "u32", // uint32_t firstVertex
      "u32", // uint32_t firstInstance
    ],
    result: "void",
  },
  vkCmdBlitImage: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkImage srcImage
      "u32", // VkImageLayout srcImageLayout
      "u64", // VkImage dstImage
      "u32", // VkImageLayout dstImageLayout
      "u32", // uint32_t regionCount
      "buffer", // const VkImageBlit* pRegions
      "u32", // VkFilter filter
    ],
    result: "void",
  },
  vkCmdClearColorImage: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkImage image
      "u32", // VkImageLayout imageLayout
      "buffer", // const VkClearColorValue* pColor
      "u32", // uint32_t rangeCount
      "buffer", // const VkImageSubresourceRange* pRanges
    ],
    result: "void",
  },
  vkCmdCopyBufferToImage: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkBuffer srcBuffer
      "u64", // VkImage dstImage
      "u32", // VkImageLayout dstImageLayout
      "u32", // uint32_t regionCount
      "buffer", // const VkBufferImageCopy* pRegions
    ],
    result: "void",
  },
  vkCmdCopyImageToBuffer: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u64", // VkImage srcImage
      "u32", // VkImageLayout srcImageLayout
      "u64", // VkBuffer dstBuffer
      "u32", // uint32_t regionCount
      "buffer", // const VkBufferImageCopy* pRegions
    ],
    result: "void",
  },
  vkCmdPipelineBarrier: {
    parameters: [
      "pointer", // VkCommandBuffer commandBuffer
      "u32", // VkPipelineStageFlags srcStageMask
      "u32", // VkPipelineStageFlags dstStageMask
      "u32", // VkDependencyFlags dependencyFlags
      "u32", // uint32_t memoryBarrierCount
      "buffer", // const VkMemoryBarrier* pMemoryBarriers
      "u32", // uint32_t bufferMemoryBarrierCount
      "buffer", // const VkBufferMemoryBarrier* pBufferMemoryBarriers
      "u32", // uint32_t imageMemoryBarrierCount
      "buffer", // const VkImageMemoryBarrier* pImageMemoryBarriers
    ],
    result: "void",
  },
  vkQueueSubmit: {
    parameters: [
      "pointer", // VkQueue queue
      "u32", // uint32_t submitCount
      "buffer", // const VkSubmitInfo* pSubmits
      "u64", // VkFence fence
    ],
    result: "i32",
  },
  vkQueueWaitIdle: {
    parameters: [
      "pointer", // VkQueue queue
    ],
    result: "i32",
  },
  vkCreateFence: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkFenceCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkFence* pFence
    ],
    result: "i32",
  },
  vkDestroyFence: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkFence fence
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkWaitForFences: {
    parameters: [
      "pointer", // VkDevice device
      "u32", // uint32_t fenceCount
      "buffer", // const VkFence* pFences
      "u32", // VkBool32 waitAll
      "u64", // uint64_t timeout
    ],
    result: "i32",
  },
  vkResetFences: {
    parameters: [
      "pointer", // VkDevice device
      "u32", // uint32_t fenceCount
      "buffer", // const VkFence* pFences
    ],
    result: "i32",
  },
  vkGetFenceStatus: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkFence fence
    ],
    result: "i32",
  },
  vkCreateSemaphore: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkSemaphoreCreateInfo* pCreateInfo
      "pointer", // const VkAllocationCallbacks* pAllocator
      "buffer", // VkSemaphore* pSemaphore
    ],
    result: "i32",
  },
  vkDestroySemaphore: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkSemaphore semaphore
      "pointer", // const VkAllocationCallbacks* pAllocator
    ],
    result: "void",
  },
  vkGetSemaphoreCounterValue: {
    parameters: [
      "pointer", // VkDevice device
      "u64", // VkSemaphore semaphore
      "buffer", // uint64_t* pValue
    ],
    result: "i32",
    optional: true, // Vulkan 1.2
  },
  vkWaitSemaphores: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkSemaphoreWaitInfo* pWaitInfo
      "u64", // uint64_t timeout
    ],
    result: "i32",
    optional: true, // Vulkan 1.2
  },
  vkSignalSemaphore: {
    parameters: [
      "pointer", // VkDevice device
      "buffer", // const VkSemaphoreSignalInfo* pSignalInfo
    ],
    result: "i32",
    optional: true, // Vulkan 1.2
  },
} as const;

/**
 * An extension's command table: which level loads it, and its commands.
 *
 * @example
 * ```ts
 * const fns = device.extension(VK_KHR_external_memory_fd); // an ExtensionTable from the "./ffi" export
 * ```
 *
 * @category FFI
 */
export interface ExtensionTable {
  /** The extension's name, as enabled. */
  readonly name: string;
  /** Loaded through vkGetInstanceProcAddr (`instance`) or vkGetDeviceProcAddr (`device`). */
  readonly level: "instance" | "device";
  /** Its commands. */
  readonly commands: Readonly<Record<string, import("./types.ts").ForeignFunction>>;
}

/** VK_EXT_debug_utils (instance): the validation messenger. */
export const VK_EXT_debug_utils = {
  name: "VK_EXT_debug_utils",
  level: "instance",
  commands: {
    vkCreateDebugUtilsMessengerEXT: {
      parameters: [
        "pointer", // VkInstance instance
        "buffer", // const VkDebugUtilsMessengerCreateInfoEXT* pCreateInfo
        "pointer", // const VkAllocationCallbacks* pAllocator
        "buffer", // VkDebugUtilsMessengerEXT* pMessenger
      ],
      result: "i32",
    },
    vkDestroyDebugUtilsMessengerEXT: {
      parameters: [
        "pointer", // VkInstance instance
        "u64", // VkDebugUtilsMessengerEXT messenger
        "pointer", // const VkAllocationCallbacks* pAllocator
      ],
      result: "void",
    },
  },
} as const satisfies ExtensionTable;

/** VK_KHR_external_memory_fd (device): export and import memory as POSIX fds. */
export const VK_KHR_external_memory_fd = {
  name: "VK_KHR_external_memory_fd",
  level: "device",
  commands: {
    vkGetMemoryFdKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkMemoryGetFdInfoKHR* pGetFdInfo
        "buffer", // int* pFd
      ],
      result: "i32",
    },
    vkGetMemoryFdPropertiesKHR: {
      parameters: [
        "pointer", // VkDevice device
        "u32", // VkExternalMemoryHandleTypeFlagBits handleType
        "i32", // int fd
        "buffer", // VkMemoryFdPropertiesKHR* pMemoryFdProperties
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_EXT_external_memory_host (device): import host allocations. */
export const VK_EXT_external_memory_host = {
  name: "VK_EXT_external_memory_host",
  level: "device",
  commands: {
    vkGetMemoryHostPointerPropertiesEXT: {
      parameters: [
        "pointer", // VkDevice device
        "u32", // VkExternalMemoryHandleTypeFlagBits handleType
        "pointer", // const void* pHostPointer
        "buffer", // VkMemoryHostPointerPropertiesEXT* pMemoryHostPointerProperties
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_KHR_external_semaphore_fd (device): export and import semaphores as fds. */
export const VK_KHR_external_semaphore_fd = {
  name: "VK_KHR_external_semaphore_fd",
  level: "device",
  commands: {
    vkGetSemaphoreFdKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkSemaphoreGetFdInfoKHR* pGetFdInfo
        "buffer", // int* pFd
      ],
      result: "i32",
    },
    vkImportSemaphoreFdKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkImportSemaphoreFdInfoKHR* pImportSemaphoreFdInfo
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_KHR_external_fence_fd (device): export and import fences as fds. */
export const VK_KHR_external_fence_fd = {
  name: "VK_KHR_external_fence_fd",
  level: "device",
  commands: {
    vkGetFenceFdKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkFenceGetFdInfoKHR* pGetFdInfo
        "buffer", // int* pFd
      ],
      result: "i32",
    },
    vkImportFenceFdKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkImportFenceFdInfoKHR* pImportFenceFdInfo
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_EXT_external_memory_dma_buf has no commands: it adds the DMA_BUF handle type. */
export const VK_EXT_external_memory_dma_buf = {
  name: "VK_EXT_external_memory_dma_buf",
  level: "device",
  commands: {},
} as const satisfies ExtensionTable;

/**
 * `VK_EXT_image_drm_format_modifier` (device): the modifier an image was given. Its formats'
 * modifier lists come through vkGetPhysicalDeviceFormatProperties2.
 *
 * @example
 * ```ts
 * device.extension(VK_EXT_image_drm_format_modifier).vkGetImageDrmFormatModifierPropertiesEXT;
 * ```
 *
 * @category FFI
 */
export const VK_EXT_image_drm_format_modifier = {
  name: "VK_EXT_image_drm_format_modifier",
  level: "device",
  commands: {
    vkGetImageDrmFormatModifierPropertiesEXT: {
      parameters: [
        "pointer", // VkDevice device
        "u64", // VkImage image
        "buffer", // VkImageDrmFormatModifierPropertiesEXT* pProperties
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/**
 * VK_NV_external_memory_capabilities (instance): what an image of a format can share with the NV
 * handle types (older NVIDIA drivers, Windows).
 */
export const VK_NV_external_memory_capabilities = {
  name: "VK_NV_external_memory_capabilities",
  level: "instance",
  commands: {
    vkGetPhysicalDeviceExternalImageFormatPropertiesNV: {
      parameters: [
        "pointer", // VkPhysicalDevice physicalDevice
        "u32", // VkFormat format
        "u32", // VkImageType type
        "u32", // VkImageTiling tiling
        "u32", // VkImageUsageFlags usage
        "u32", // VkImageCreateFlags flags
        "u32", // VkExternalMemoryHandleTypeFlagsNV externalHandleType
        "buffer", // VkExternalImageFormatPropertiesNV* pExternalImageFormatProperties
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_NV_external_memory_win32 (device): export NV memory as a Windows HANDLE. */
export const VK_NV_external_memory_win32 = {
  name: "VK_NV_external_memory_win32",
  level: "device",
  commands: {
    vkGetMemoryWin32HandleNV: {
      parameters: [
        "pointer", // VkDevice device
        "u64", // VkDeviceMemory memory
        "u32", // VkExternalMemoryHandleTypeFlagsNV handleType
        "buffer", // HANDLE* pHandle
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_KHR_external_memory_win32 (device): export and import memory as Windows HANDLEs. */
export const VK_KHR_external_memory_win32 = {
  name: "VK_KHR_external_memory_win32",
  level: "device",
  commands: {
    vkGetMemoryWin32HandleKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkMemoryGetWin32HandleInfoKHR* pGetWin32HandleInfo
        "buffer", // HANDLE* pHandle
      ],
      result: "i32",
    },
    vkGetMemoryWin32HandlePropertiesKHR: {
      parameters: [
        "pointer", // VkDevice device
        "u32", // VkExternalMemoryHandleTypeFlagBits handleType
        "pointer", // HANDLE handle
        "buffer", // VkMemoryWin32HandlePropertiesKHR* pMemoryWin32HandleProperties
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_KHR_external_semaphore_win32 (device): export and import semaphores as Windows HANDLEs. */
export const VK_KHR_external_semaphore_win32 = {
  name: "VK_KHR_external_semaphore_win32",
  level: "device",
  commands: {
    vkImportSemaphoreWin32HandleKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkImportSemaphoreWin32HandleInfoKHR* pImportSemaphoreWin32HandleInfo
      ],
      result: "i32",
    },
    vkGetSemaphoreWin32HandleKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkSemaphoreGetWin32HandleInfoKHR* pGetWin32HandleInfo
        "buffer", // HANDLE* pHandle
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/** VK_KHR_external_fence_win32 (device): export and import fences as Windows HANDLEs. */
export const VK_KHR_external_fence_win32 = {
  name: "VK_KHR_external_fence_win32",
  level: "device",
  commands: {
    vkImportFenceWin32HandleKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkImportFenceWin32HandleInfoKHR* pImportFenceWin32HandleInfo
      ],
      result: "i32",
    },
    vkGetFenceWin32HandleKHR: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkFenceGetWin32HandleInfoKHR* pGetWin32HandleInfo
        "buffer", // HANDLE* pHandle
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;

/**
 * VK_ANDROID_external_memory_android_hardware_buffer (device): import and export memory as
 * Android hardware buffers.
 */
export const VK_ANDROID_external_memory_android_hardware_buffer = {
  name: "VK_ANDROID_external_memory_android_hardware_buffer",
  level: "device",
  commands: {
    vkGetAndroidHardwareBufferPropertiesANDROID: {
      parameters: [
        "pointer", // VkDevice device
        "pointer", // const struct AHardwareBuffer* buffer
        "buffer", // VkAndroidHardwareBufferPropertiesANDROID* pProperties
      ],
      result: "i32",
    },
    vkGetMemoryAndroidHardwareBufferANDROID: {
      parameters: [
        "pointer", // VkDevice device
        "buffer", // const VkMemoryGetAndroidHardwareBufferInfoANDROID* pInfo
        "buffer", // struct AHardwareBuffer** pBuffer
      ],
      result: "i32",
    },
  },
} as const satisfies ExtensionTable;
