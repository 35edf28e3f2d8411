/**
 * The sharing rules, defined once: what each refuses, and where it comes from. A
 * {@linkcode ShareError} names one; the import plan (share/plan.ts) reports every one an import
 * breaks; the README's list is rendered from this table (`deno task rules`).
 *
 * @module
 */

/**
 * Every sharing rule vkshare checks before a driver sees the call, defined once: what it refuses,
 * and where the rule comes from — the Vulkan specification's valid usage ("spec"), a driver fact
 * measured in vkshare's DRIVERS notes ("drivers"), or vkshare's own protocol ("vkshare"). The
 * README's list of rules is this table (a test compares them).
 *
 * @example
 * ```ts
 * console.log(SHARE_RULES.FD_CONSUMED.explains);
 * ```
 *
 * @category Errors
 */
export const SHARE_RULES = {
  UUID_MISMATCH: {
    explains:
      "an OPAQUE_FD payload (memory, semaphore, fence) is imported only where deviceUUID and driverUUID equal the exporter's, in Vulkan and in CUDA",
    source:
      "spec: external memory/semaphore/fence handle types, OPAQUE_FD compatibility (same device and driver UUIDs)",
  },
  HANDLE_TYPE_UNSUPPORTED: {
    explains:
      "a handle type is exported or imported only where the capability query says the device can",
    source:
      "spec: vkGetPhysicalDeviceExternal{Buffer,Semaphore,Fence}Properties and VkExternalMemoryFeatureFlagBits",
  },
  NOT_EXPORTABLE: {
    explains:
      "memory, a semaphore or a fence is exported only as a handle type it was created exportable as",
    source:
      "spec: VkMemoryGetFdInfoKHR, VkSemaphoreGetFdInfoKHR, VkFenceGetFdInfoKHR valid usage (handleType in the export info's handleTypes)",
  },
  BAD_EXPORT: {
    explains: "an export that returned VK_SUCCESS with a negative fd is refused, not handed on",
    source: "drivers: lavapipe's vkGetMemoryFdKHR returns VK_SUCCESS with fd -1",
  },
  BAD_DESCRIPTOR: {
    explains:
      "a descriptor must be of this vkshare version, of the right object, with every field of its type",
    source: "vkshare: the descriptor format",
  },
  SIZE_MISMATCH: {
    explains:
      "an import's size must equal the export's, and cover the buffer or image it is bound to; the fd must hold at least that much",
    source:
      "spec: VkMemoryAllocateInfo valid usage for imports (allocationSize equal to the exported payload's); drivers: both accept half or double the size",
  },
  MEMORY_TYPE_MISMATCH: {
    explains: "an OPAQUE_FD import uses the exporter's memory type index",
    source:
      "spec: VkMemoryAllocateInfo valid usage for OPAQUE_FD imports (the same memoryTypeIndex); drivers: both accept another",
  },
  MEMORY_TYPE_NOT_ALLOWED: {
    explains:
      "memory is allocated or bound only with a memory type that the buffer's or image's memoryTypeBits (or the fd's) allow",
    source:
      "spec: vkBindBufferMemory/vkBindImageMemory and vkGetMemoryFdPropertiesKHR memoryTypeBits",
  },
  NO_MEMORY_TYPE: {
    explains: "no memory type has the property flags asked for among those allowed",
    source: "spec: VkPhysicalDeviceMemoryProperties",
  },
  DEDICATED_MISMATCH: {
    explains:
      "a dedicated export is imported only with a buffer or image like its own, and a plain one never into a resource that requires dedicated memory",
    source:
      "spec: VkMemoryDedicatedAllocateInfo valid usage for imports (the same kind and description of resource)",
  },
  DEDICATED_REQUIRED: {
    explains:
      "memory is made dedicated where the driver or the handle type requires it, and a dedicated allocation needs its resource",
    source: "spec: VkMemoryDedicatedRequirements, VkExternalMemoryProperties (DEDICATED_ONLY)",
  },
  IMAGE_TYPE: {
    explains:
      "an image's extent and layers fit its type (1D: height and depth 1; 2D: depth 1; 3D: one array layer), its mip levels at most log2 of its largest side plus one, and a 4:2:0 format's sides are even",
    source:
      "spec: VkImageCreateInfo valid usage (imageType-00956, -00957, -00961; mipLevels-00958; format-04712, -04713); drivers: lavapipe writes and reads past the memory of a 2D image with a depth",
  },
  IMAGE_LIMITS: {
    explains:
      "an image is created only with a format, type, tiling, usage, flags and handle types the device supports, within the extent, mip levels and array layers it gives for them",
    source:
      "spec: VkImageCreateInfo valid usage (extent-02252..02254, mipLevels-02255, arrayLayers-02256, against vkGetPhysicalDeviceImageFormatProperties2); drivers: lavapipe corrupts its heap or crashes beyond them",
  },
  PLANE_LAYOUT: {
    explains:
      "a DRM format modifier image's plane layouts are one per memory plane of its modifier, each with a row pitch of at least a row, a size that holds its rows, and within the memory it is bound to; a foreign dma-buf's modifier and layouts are the image's it is imported for",
    source:
      "spec: VkImageDrmFormatModifierExplicitCreateInfoEXT valid usage (drmFormatModifierPlaneCount-02265, size and pitch rules); vkshare: a layout past the memory would make the device read or write outside it",
  },
  EMPTY_REQUIREMENT: {
    explains:
      "memory is bound only to a buffer or image that needs more than 0 bytes of it, and an allocation counts only with a memory handle",
    source:
      "drivers: lavapipe answers a requirement of 0 bytes for images beyond its limits, and binding a null memory handle crashes",
  },
  FD_NOT_OPEN: {
    explains: "an import takes an open fd (-1 stands for 'already signaled' only for SYNC_FD)",
    source: "drivers: NVIDIA imports fd -1 as private memory with VK_SUCCESS",
  },
  FD_CONSUMED: {
    explains:
      "an fd consumed by an import (closed by vkshare) is not imported again while its number still names that file",
    source:
      "spec: a successful import transfers the fd's ownership; drivers: a reused number imports an unrelated allocation",
  },
  FD_OWNED: {
    explains:
      "an fd number that an OwnedFd owns is not adopted by a second one (each would close it, the second time whatever file then has the number); an import of that number consumes its owner",
    source: "vkshare: an fd is closed once, by its one owner",
  },
  FD_KIND_MISMATCH: {
    explains:
      "an fd is imported only if it is of the kind the export was, and of the kind the importing device's own exports are, as the kernel tells (a dma-buf by its filesystem, never by its /proc name; never a pipe, socket or FIFO)",
    source:
      "drivers: lavapipe read()s the fd and blocks for good on a pipe, and maps a file named /dmabuf:... that its sender can truncate (SIGBUS); NVIDIA exports are /dev/nvidiactl",
  },
  FD_FORGED: {
    explains:
      "a memfd offered to lavapipe must carry Mesa's header for this driver, consistent with its size, and seals against shrinking",
    source:
      "drivers: a forged Mesa memfd header makes lavapipe map past the file (SIGBUS) or before its data (SIGSEGV)",
  },
  ALIGNMENT: {
    explains:
      "a host pointer import, and a CUDA mapping of a dedicated import, start and end at the alignment the driver needs",
    source:
      "spec: VkImportMemoryHostPointerInfoEXT valid usage (minImportedHostPointerAlignment); CUDA: dedicated imports map at offset 0",
  },
  WIN32_HANDLE: {
    explains:
      "a Windows handle import gives an open OwnedHandle of the kind its handle type is (NT or KMT), or, for an NT handle type only, the name of a named object; never both",
    source:
      "spec: VkImportMemoryWin32HandleInfoKHR, VkImportSemaphoreWin32HandleInfoKHR and VkImportFenceWin32HandleInfoKHR valid usage (a handle or a name; names for NT handle types only)",
  },
  WIN32_EXPORTED_ONCE: {
    explains:
      "an NT handle of memory, a semaphore or a fence is exported at most once per object and handle type",
    source:
      "spec: VUID-VkMemoryGetWin32HandleInfoKHR-handleType-00663 and the semaphore and fence equivalents (NT handles: no more than once per object and handle type)",
  },
  NOT_EXTERNAL: {
    explains:
      "shared memory is bound only to a buffer or image created with its handle type in VkExternalMemory{Buffer,Image}CreateInfo",
    source: "spec: vkBindBufferMemory/vkBindImageMemory valid usage for external memory",
  },
  NOT_HOST_VISIBLE: {
    explains: "memory is mapped only if its type is host-visible and host-coherent",
    source: "spec: vkMapMemory valid usage (HOST_VISIBLE)",
  },
  ALREADY_BOUND: {
    explains: "a buffer or image is bound to memory once, and not used after that memory is gone",
    source: "spec: vkBindBufferMemory/vkBindImageMemory valid usage (not already bound)",
  },
  WRONG_DEVICE: {
    explains: "objects used together belong to the same VkDevice (import them first)",
    source: "spec: valid usage 'must have been created, allocated, or retrieved from device'",
  },
  SEMAPHORE_TYPE_MISMATCH: {
    explains:
      "an OPAQUE_FD semaphore import uses the exporter's semaphore type; SYNC_FD is for binary semaphores only",
    source:
      "spec: VkImportSemaphoreFdInfoKHR valid usage (semaphore type compatibility); drivers: CUDA accepts either",
  },
  TEMPORARY_REQUIRED: {
    explains: "a SYNC_FD payload is imported temporarily only",
    source: "spec: VkImportSemaphoreFdInfoKHR and VkImportFenceFdInfoKHR valid usage for SYNC_FD",
  },
  PERMANENT_REQUIRED: {
    explains: "a timeline semaphore is imported permanently only",
    source:
      "spec: VkImportSemaphoreFdInfoKHR valid usage (no temporary import into a timeline semaphore)",
  },
  NO_PENDING_SIGNAL: {
    explains: "a SYNC_FD export needs a signal already submitted (or a signaled fence)",
    source: "spec: VkSemaphoreGetFdInfoKHR and VkFenceGetFdInfoKHR valid usage for SYNC_FD",
  },
  SIGNAL_PENDING: {
    explains:
      "a binary semaphore is not signaled again before a wait consumed its signal, nor twice in one submission",
    source: "spec: vkQueueSubmit valid usage for binary semaphore signal operations",
  },
  TIMELINE_VALUE: {
    explains:
      "a timeline value grows, and stays within maxTimelineSemaphoreValueDifference of the current value",
    source: "spec: VkTimelineSemaphoreSubmitInfo and VkSemaphoreSignalInfo valid usage",
  },
  NOT_TIMELINE: {
    explains: "host signal, wait and counter reads are for timeline semaphores only",
    source:
      "spec: VkSemaphoreSignalInfo and VkSemaphoreWaitInfo valid usage (VK_SEMAPHORE_TYPE_TIMELINE)",
  },
  FENCE_SIGNALED: {
    explains: "a submission signals only an unsignaled fence",
    source: "spec: vkQueueSubmit valid usage (fence must be unsignaled)",
  },
  GL_BUFFER_RANGE: {
    explains:
      "a GL buffer made on imported memory lies within it, with the bytes the GL driver adds to a buffer's storage (llvmpipe pads every buffer: one of the memory's full size is GL_OUT_OF_MEMORY), and at offset 0 where the driver ignores the offset (llvmpipe)",
    source:
      "spec: EXT_external_objects (BufferStorageMemEXT: offset + size within the memory object); drivers: llvmpipe (Mesa 22.3.6, 25.0.7) compares the padded size with the memory object's, and starts every buffer at the memory's byte 0",
  },
  GL_TEXTURE_MISMATCH: {
    explains:
      "a GL texture made on imported memory is the image the memory is dedicated to: a 2D image of one layer, of a format GL names (RGBA8 is R8G8B8A8_UNORM, R32F is R32_SFLOAT, ...), the same extent and mip levels, OPTIMAL or LINEAR tiling; a dma-buf's texture (an EGLImage) has a DRM format and modifier EGL takes for a texture (not external-only), one level, one plane, and its texels within the dma-buf",
    source:
      "spec: EXT_external_objects (TexStorageMem*EXT: the texture's parameters and TEXTURE_TILING_EXT must match the Vulkan image's); EGL_EXT_image_dma_buf_import_modifiers (eglQueryDmaBufModifiersEXT's external_only), EXT_EGL_image_storage",
  },
  IN_USE: {
    explains:
      "a fence, semaphore or command buffer is not reset, re-recorded or resubmitted while a submission that uses it may still run",
    source:
      "spec: vkResetFences, vkQueueSubmit and vkBeginCommandBuffer valid usage (not in use by a pending submission)",
  },
  NOT_EXECUTABLE: {
    explains:
      "a command buffer is submitted only when recorded successfully, and a one-time one only once",
    source: "spec: vkQueueSubmit valid usage (command buffers in the executable or pending state)",
  },
  RANGE_OUT_OF_BOUNDS: {
    explains:
      "a range an offer names inside its memory is two integers (offset, size ≥ 1) that end within the memory",
    source:
      "spec: vkBindBufferMemory valid usage (the buffer lies within the memory); vkshare: the offer format",
  },
  RANGE_MISALIGNED: {
    explains:
      "a buffer bound at an offered range starts at a multiple of the alignment its memory requirements give",
    source:
      "spec: vkBindBufferMemory valid usage (memoryOffset a multiple of VkMemoryRequirements::alignment)",
  },
  NOT_CUDA_VMM: {
    explains:
      "memory offered from CUDA to Vulkan (the Python peer's export_range and export_tensor) comes from CUDA's virtual memory management (cuMemCreate), not cudaMalloc, which has no shareable handle",
    source:
      "CUDA: cuMemRetainAllocationHandle and cuMemExportToShareableHandle take cuMemCreate allocations only; PyTorch allocates so with expandable segments",
  },
  SPANS_ALLOCATIONS: {
    explains:
      "a range offered from CUDA (a torch tensor, say) lies in one CUDA allocation: an offer carries one allocation's fd",
    source:
      "CUDA: cuMemExportToShareableHandle exports one allocation handle; PyTorch's expandable segments map many handles side by side",
  },
  NOT_CONTIGUOUS: {
    explains:
      "a torch tensor exported to Vulkan is contiguous: Vulkan reads its bytes as one range",
    source: "vkshare: an offer names one byte range of an allocation",
  },
  DEVICE_MISMATCH: {
    explains:
      "a torch tensor exported to Vulkan is on the CUDA device that is the Vulkan device's GPU",
    source:
      "spec: external memory handle types, OPAQUE_FD compatibility (the same device); CUDA: an allocation exports from its own device",
  },
  ACCESS_UNINITIALIZED: {
    explains:
      "a shared image or buffer is read only after a write ended: a reader of contents nobody wrote gets this refusal, not garbage",
    source:
      "vkshare: the access protocol (after Dawn's SharedTextureMemory BeginAccess, whose state says whether contents are initialized)",
  },
  ACCESS_WRITER_ACTIVE: {
    explains:
      "one writer at a time: while a write is begun and not ended, no other access (read or write) begins",
    source: "vkshare: the access protocol (one writer, or many readers)",
  },
  ACCESS_READERS_ACTIVE: {
    explains: "a write begins only when every read of the resource has ended",
    source: "vkshare: the access protocol (one writer, or many readers)",
  },
  ACCESS_NOT_HELD: {
    explains: "an access is ended once, by the participant it was granted to",
    source: "vkshare: the access protocol",
  },
  ACCESS_LAYOUT: {
    explains:
      "an image write ends in a layout other than UNDEFINED, a read ends in the layout it began in (readers share the image, so none may transition it), and a buffer has no layout",
    source:
      "spec: VkImageMemoryBarrier valid usage (newLayout is not UNDEFINED); vkshare: the access protocol",
  },
  ACCESS_LIMIT: {
    explains: "a participant holds at most 64 accesses of one resource at once",
    source: "vkshare: the access protocol (the owner's state stays bounded whatever a peer asks)",
  },
  ACCESS_SIGNAL_ORDER: {
    explains:
      "each participant's ends name timeline values that increase, since a timeline semaphore's value only goes up",
    source:
      "spec: VkTimelineSemaphoreSubmitInfo valid usage (a signal value greater than the semaphore's current value and pending signals)",
  },
} as const satisfies Record<string, { explains: string; source: string }>;

/**
 * Which sharing rule a {@linkcode ShareError} is about (a key of {@linkcode SHARE_RULES}).
 *
 * @example
 * ```ts
 * const rule: ShareRule = "UUID_MISMATCH";
 * console.log(SHARE_RULES[rule].explains);
 * ```
 *
 * @category Errors
 */
export type ShareRule = keyof typeof SHARE_RULES;

/**
 * The rules the doctor cannot help with: what the caller did with an fd or an object, not what
 * the device shares. A refusal by one of them ends with no pointer to the doctor.
 */
const NOT_THE_DEVICE: ReadonlySet<string> = new Set([
  "FD_NOT_OPEN",
  "FD_CONSUMED",
  "FD_OWNED",
  "ALREADY_BOUND",
  "WRONG_DEVICE",
  "NO_PENDING_SIGNAL",
  "SIGNAL_PENDING",
  "TIMELINE_VALUE",
  "FENCE_SIGNALED",
  "IN_USE",
  "NOT_EXECUTABLE",
  "ACCESS_UNINITIALIZED",
  "ACCESS_WRITER_ACTIVE",
  "ACCESS_READERS_ACTIVE",
  "ACCESS_NOT_HELD",
  "ACCESS_LAYOUT",
  "ACCESS_SIGNAL_ORDER",
  "ACCESS_LIMIT",
]);

/**
 * The doctor's command under this runtime: `bunx vkshare doctor` on Bun, `deno run -A
 * npm:vkshare doctor` on Deno, `npx vkshare doctor` on Node.
 */
function doctorCommand(): string {
  if ("Bun" in globalThis) return "bunx vkshare doctor";
  if ("Deno" in globalThis) return "deno run -A npm:vkshare doctor";
  return "npx vkshare doctor";
}

/**
 * What a refused import's message ends with, where the doctor adds something: the command (for
 * this runtime) that shows what a device shares and lists every rule a descriptor breaks. For a
 * refusal by `rule` that is about the caller's fd or object (FD_CONSUMED, IN_USE, ...), "".
 *
 * @example
 * ```ts
 * console.log(doctorHint("UUID_MISMATCH")); // "what this device shares, and why: bunx vkshare doctor ..."
 * doctorHint("FD_CONSUMED"); // ""
 * ```
 */
export function doctorHint(rule?: string): string {
  if (rule !== undefined && NOT_THE_DEVICE.has(rule)) return "";
  return `what this device shares, and why: ${doctorCommand()} (--explain FILE: the rules a descriptor breaks)`;
}
