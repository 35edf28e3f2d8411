/**
 * vkshare: share GPU memory and GPU synchronization across Vulkan devices, processes and APIs
 * from a script, through FFI to libvulkan, with no native compilation step.
 *
 * @example
 * ```ts
 * import { capabilityMatrix, Instance } from "@vkshare/vkshare";
 *
 * using instance = Instance.create();
 * for (const pd of instance.physicalDevices()) {
 *   console.log(pd.name, capabilityMatrix(pd).buffers.filter((b) => b.exportable));
 * }
 * ```
 *
 * @module
 */
export type { Bindable, DedicatedTarget, MemoryRequirements } from "./_bindable.ts";
export type { Resource } from "./_resource.ts";
export { SYNC_DESCRIPTOR_VERSION } from "./_sync.ts";
export type {
  SyncDescriptor,
  SyncExport,
  SyncHandleTypeName,
  SyncImportOptions,
  SyncSource,
  WaitResult,
} from "./_sync.ts";
export { boundBuffer, boundImage } from "./bound.ts";
export type { BoundMemoryOptions } from "./bound.ts";
export { GpuBuffer } from "./buffer.ts";
export type { BufferOptions } from "./buffer.ts";
export {
  capabilityMatrix,
  externalBufferProperties,
  externalFenceProperties,
  externalImageFormatProperties,
  externalSemaphoreProperties,
  FENCE_HANDLE_EXTENSION,
  MEMORY_HANDLE_EXTENSION,
  SEMAPHORE_HANDLE_EXTENSION,
} from "./capabilities.ts";
export type {
  BufferQuery,
  CapabilityMatrix,
  ExternalImageCapability,
  ExternalMemoryCapability,
  ExternalSyncCapability,
  ImageQuery,
  MatrixOptions,
} from "./capabilities.ts";
export { CommandBuffer, imageBytes, Recorder } from "./commands.ts";
export type {
  BufferBarrier,
  CopyRegion,
  Flags,
  ImageBarrier,
  QueueFamilyRef,
  Range,
  RecordOptions,
} from "./commands.ts";
export {
  CudaBuffer,
  CudaContext,
  cudaDevices,
  cudaDriverVersion,
  CudaExternalMemory,
  CudaExternalSemaphore,
  CudaMemory,
  CudaStream,
} from "./cuda.ts";
export type {
  CudaContextOptions,
  CudaDeviceAttribute,
  CudaDeviceInfo,
  CudaLibraryOptions,
  CudaSemaphoreOp,
  CudaSyncResult,
  VulkanIdentity,
} from "./cuda.ts";
export { Device, EXTERNAL_EXTENSIONS } from "./device.ts";
export type { DeviceOptions } from "./device.ts";
export {
  Access,
  BufferCreateFlag,
  BufferUsage,
  driverVersionString,
  enumValue,
  ExternalMemoryFeature,
  ExternalSyncFeature,
  FenceHandleType,
  flagMask,
  flagNames,
  Format,
  FORMAT_TEXEL_BYTES,
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
  FenceHandleTypeName,
  FormatName,
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
export {
  check,
  CudaError,
  DisposedError,
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
} from "./errors.ts";
export { type DriverReport, SHARE_RULES, type ShareRule } from "./errors.ts";
export { describeFd, fdKind, isOpenFd, OwnedFd, takeFd } from "./fd.ts";
export type { FdState } from "./fd.ts";
export { Fence } from "./fence.ts";
export type { FenceOptions } from "./fence.ts";
export { CUDA_INSTALL_HINT, LIBCUDA_ENV } from "./ffi/cuda.ts";
export type { Pointer } from "./ffi/types.ts";
// The types of Device.extension and Instance.instanceExtension (raw extension commands); the rest
// of the FFI vocabulary is under the "./ffi" export.
export type { ExtensionTable } from "./ffi/vk_commands.ts";
export type { ExtensionFunctions } from "./ffi/vulkan.ts";
export { INSTALL_HINT, LIBVULKAN_ENV, libvulkanPath } from "./ffi/vulkan.ts";
export { HostAllocation } from "./host.ts";
export { GpuImage } from "./image.ts";
export type { ImageOptions } from "./image.ts";
export {
  availableInstanceExtensions,
  availableLayers,
  Instance,
  loaderVersion,
  VALIDATION_LAYER,
} from "./instance.ts";
export type {
  InstanceOptions,
  Severity,
  ValidationMessage,
  ValidationOptions,
} from "./instance.ts";
export { DESCRIPTOR_VERSION, DeviceMemory } from "./memory.ts";
export type {
  AllocateOptions,
  HostImportOptions,
  ImportOptions,
  MemoryDescriptor,
  MemoryExport,
} from "./memory.ts";
export { PhysicalDevice } from "./physical_device.ts";
export type {
  DeviceIds,
  DeviceLimits,
  MemoryHeapInfo,
  MemoryTypeInfo,
  QueueFamilyInfo,
} from "./physical_device.ts";
export { Queue } from "./queue.ts";
export type { SemaphoreSignal, SemaphoreWait, SubmitOptions } from "./queue.ts";
export { Semaphore } from "./semaphore.ts";
export type { BinaryState, SemaphoreOptions } from "./semaphore.ts";
export { OFFER_VERSION, receiveOffer, sendOffer } from "./share.ts";
export type { Offer, ReceivedExport, ReceivedOffer } from "./share.ts";
export {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  ShareServer,
  ShareSocket,
  SOCKET_PROTOCOL_VERSION,
} from "./socket.ts";
export type {
  ListenOptions,
  PeerCredentials,
  Received,
  SecurityOptions,
  SocketAddress,
  WaitOptions,
} from "./socket.ts";
export { Transfer } from "./transfer.ts";
export type { TransferOptions } from "./transfer.ts";
