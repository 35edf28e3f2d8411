/**
 * vkshare: share GPU memory and GPU synchronization across Vulkan devices, processes and APIs
 * from a script, through FFI to libvulkan, with no native compilation step.
 *
 * The main export holds what scripts use: the Vulkan objects, memory, buffers, images,
 * semaphores, fences, the capability matrix, owned fds and handles, descriptors, and the errors.
 * The rest is on sub-paths, each name in one place (the errors aside):
 * `vkshare/enums` (enum tables and name types), `vkshare/vulkan` (loader queries, property types),
 * `vkshare/memory` (recording, planes, bound memory), `vkshare/plan` (the rules, the import plan,
 * raw capability queries, fd kinds), `vkshare/ipc` (sockets and offers), `vkshare/cuda` (libcuda),
 * `vkshare/doctor` (the sharing paths' verdicts), `vkshare/ffi` (the FFI layer) and `vkshare/cli`.
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
// ---- errors (also on the sub-paths that throw them) ---------------------------------------------
export {
  CudaError,
  DisposedError,
  ErrnoError,
  ImportError,
  LibraryLoadError,
  MissingExtensionError,
  ProtocolError,
  ShareError,
  VkError,
  VkshareError,
  Win32Error,
} from "./core/errors.ts";
export type { Resource } from "./core/resource.ts";

// ---- vulkan: instance, physical devices, devices and queues -------------------------------------
export { Device, Queue } from "./vulkan/device.ts";
export type { DeviceOptions, SubmitOptions } from "./vulkan/device.ts";
export { Instance, PhysicalDevice } from "./vulkan/instance.ts";
export type { InstanceOptions } from "./vulkan/instance.ts";

// ---- share: capabilities, owned fds and handles, descriptors ------------------------------------
export { capabilityMatrix, drmFormatModifiers } from "./share/capabilities.ts";
export type { CapabilityMatrix } from "./share/capabilities.ts";
export { dmaBufDescriptor, parseMemoryDescriptor, parseSyncSource } from "./share/descriptor.ts";
export type {
  ExportDescriptor,
  ForeignDmaBuf,
  MemoryDescriptor,
  PlaneLayout,
  SyncDescriptor,
} from "./share/descriptor.ts";
export type { MemoryExport, SyncExport } from "./share/execute.ts";
export { OwnedFd, takeFd } from "./share/fd.ts";
export { OwnedHandle } from "./share/handle.ts";

// ---- memory: device memory, buffers, images, host allocations, transfers ------------------------
export { CommandBuffer } from "./memory/command_buffer.ts";
export { DeviceMemory } from "./memory/device_memory.ts";
export type { AllocateOptions, HostImportOptions, ImportOptions } from "./memory/device_memory.ts";
export { GpuBuffer } from "./memory/gpu_buffer.ts";
export type { BufferOptions } from "./memory/gpu_buffer.ts";
export { GpuImage } from "./memory/gpu_image.ts";
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
