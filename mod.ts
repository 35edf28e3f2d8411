/**
 * vkshare: share GPU memory and GPU synchronization across Vulkan devices, processes and APIs
 * from a script, through FFI to libvulkan, with no native compilation step.
 *
 * @example
 * ```ts
 * import { capabilityMatrix, Instance } from "vkshare";
 *
 * using instance = Instance.create();
 * for (const pd of instance.physicalDevices()) {
 *   console.log(pd.name, capabilityMatrix(pd).buffers.filter((b) => b.exportable));
 * }
 * ```
 *
 * @module
 */
// ---- core: enums, errors and the sharing rules, lifetimes ---------------------------------------
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
} from "./core/enums.ts";
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
} from "./core/enums.ts";
export {
  check,
  CudaError,
  DisposedError,
  DOCTOR_HINT,
  ERRNO_NAMES,
  ErrnoError,
  ImportError,
  LibraryLoadError,
  MissingExtensionError,
  ProtocolError,
  resultName,
  ShareError,
  VK_RESULT_NAMES,
  VkError,
  VkshareError,
  Win32Error,
} from "./core/errors.ts";
export type { DriverReport } from "./core/errors.ts";
export type { Resource } from "./core/resource.ts";
export { SHARE_RULES } from "./core/rules.ts";
export type { ShareRule } from "./core/rules.ts";
export { timeoutNs } from "./core/time.ts";

// ---- vulkan: instance, physical devices, devices and queues ---------------------------------------
export { Device, EXTERNAL_EXTENSIONS, Queue } from "./vulkan/device.ts";
export type {
  DeviceOptions,
  QueueCommandBuffer,
  QueueFence,
  QueueSemaphore,
  SemaphoreSignal,
  SemaphoreWait,
  SubmitOptions,
} from "./vulkan/device.ts";
export {
  availableInstanceExtensions,
  availableLayers,
  Instance,
  loaderVersion,
  PhysicalDevice,
  VALIDATION_LAYER,
} from "./vulkan/instance.ts";
export type {
  DeviceIds,
  DeviceLimits,
  InstanceOptions,
  MemoryHeapInfo,
  MemoryTypeInfo,
  QueueFamilyInfo,
  Severity,
  ValidationMessage,
  ValidationOptions,
} from "./vulkan/instance.ts";
// The types of Device.extension and Instance.instanceExtension (raw extension commands); the rest
// of the FFI vocabulary is under the "./ffi" export.
export type { Pointer } from "./ffi/types.ts";
export type { ExtensionTable } from "./ffi/vk_commands.ts";
export type { ExtensionFunctions } from "./ffi/vulkan.ts";
export { INSTALL_HINT, LIBVULKAN_ENV, libvulkanPath } from "./ffi/vulkan.ts";

// ---- share: capabilities, owned fds, descriptors, the import plan -------------------------------
export {
  capabilityMatrix,
  drmFormatModifiers,
  externalBufferProperties,
  externalFenceProperties,
  externalImageFormatProperties,
  externalImageFormatPropertiesNV,
  externalSemaphoreProperties,
  FENCE_HANDLE_EXTENSION,
  formatFeatures,
  MEMORY_HANDLE_EXTENSION,
  SEMAPHORE_HANDLE_EXTENSION,
} from "./share/capabilities.ts";
export type {
  BufferQuery,
  CapabilityMatrix,
  DrmFormatModifier,
  ExternalImageCapability,
  ExternalImageCapabilityNV,
  ExternalMemoryCapability,
  ExternalSyncCapability,
  ImageQuery,
  MatrixOptions,
} from "./share/capabilities.ts";
export {
  DESCRIPTOR_VERSION,
  objectOf,
  parseMemoryDescriptor,
  parseSyncSource,
  SYNC_DESCRIPTOR_VERSION,
} from "./share/descriptor.ts";
export type {
  DedicatedTarget,
  ExportDescriptor,
  MemoryDescriptor,
  PlaneLayout,
  SyncDescriptor,
  SyncHandleTypeName,
  SyncSource,
} from "./share/descriptor.ts";
export type { MemoryExport, SyncExport } from "./share/execute.ts";
export type { ExportKind } from "./share/export_kind.ts";
export { describeFd, fdKind, isOpenFd, OwnedFd, takeFd } from "./share/fd.ts";
export type { FdState } from "./share/fd.ts";
export { OwnedHandle, WIN32_HANDLE_TYPES, win32HandleKind } from "./share/handle.ts";
export type {
  HandleState,
  MemoryWin32HandleTypeName,
  SyncWin32HandleTypeName,
  Win32Export,
  Win32HandleKind,
  Win32Source,
} from "./share/handle.ts";
export { planImport, planOrThrow, relayRefusal } from "./share/plan.ts";
export type {
  BrokenRule,
  ImporterFacts,
  ImportPlan,
  ImportRequest,
  MemoryTargetFacts,
  PlanMemoryType,
  PlanResult,
  SyncTargetFacts,
} from "./share/plan.ts";
export { openExportCount } from "./share/registry.ts";

// ---- memory: device memory, buffers, images, host allocations, transfers ------------------------
export type { Bindable, MemoryRequirements } from "./memory/bindable.ts";
export type { BoundMemoryOptions } from "./memory/bindable.ts";
export { CommandBuffer, imageBytes, Recorder } from "./memory/command_buffer.ts";
export type {
  BufferBarrier,
  CopyRegion,
  Flags,
  ImageBarrier,
  QueueFamilyRef,
  Range,
  RecordOptions,
} from "./memory/command_buffer.ts";
export { DeviceMemory } from "./memory/device_memory.ts";
export type {
  AllocateOptions,
  HostImportOptions,
  ImportOptions,
  MemoryTarget,
} from "./memory/device_memory.ts";
export { boundBuffer } from "./memory/gpu_buffer.ts";
export { GpuBuffer } from "./memory/gpu_buffer.ts";
export type { BufferOptions } from "./memory/gpu_buffer.ts";
export { boundImage } from "./memory/gpu_image.ts";
export { GpuImage, ImagePlane } from "./memory/gpu_image.ts";
export type { ImageOptions } from "./memory/gpu_image.ts";
export { HostAllocation } from "./memory/host_allocation.ts";
export { Transfer } from "./memory/transfer.ts";
export type { TransferOptions } from "./memory/transfer.ts";

// ---- sync: semaphores and fences ----------------------------------------------------------------
export { Fence } from "./sync/fence.ts";
export type { FenceOptions } from "./sync/fence.ts";
export { Semaphore } from "./sync/semaphore.ts";
export type { BinaryState, SemaphoreOptions } from "./sync/semaphore.ts";
export type { SyncImportOptions, WaitResult } from "./sync/sync_fd.ts";

// ---- ipc: sockets and offers (also the "./ipc" export) ------------------------------------------
export { OFFER_VERSION, receiveOffer, sendOffer } from "./ipc/offer.ts";
export type { Offer, ReceivedExport, ReceivedOffer } from "./ipc/offer.ts";
export {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  ShareServer,
  ShareSocket,
  SOCKET_PROTOCOL_VERSION,
} from "./ipc/socket.ts";
export type {
  ListenOptions,
  PeerCredentials,
  Received,
  SecurityOptions,
  SocketAddress,
  WaitOptions,
} from "./ipc/socket.ts";

// ---- cuda: libcuda interop (also the "./cuda" export) -------------------------------------------
export {
  CudaBuffer,
  CudaContext,
  cudaDevices,
  cudaDriverVersion,
  CudaExternalMemory,
  CudaExternalSemaphore,
  CudaMemory,
  CudaStream,
} from "./cuda/mod.ts";
export type {
  CudaContextOptions,
  CudaDeviceAttribute,
  CudaDeviceInfo,
  CudaLibraryOptions,
  CudaScope,
  CudaSemaphoreOp,
  CudaSyncResult,
  VulkanIdentity,
} from "./cuda/mod.ts";
export { CUDA_INSTALL_HINT, LIBCUDA_ENV } from "./ffi/cuda.ts";
