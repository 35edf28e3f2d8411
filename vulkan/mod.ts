/**
 * The lesser parts of vkshare's Vulkan objects (the `vkshare/vulkan` export): what the loader
 * offers before an instance exists, the validation layer's name, the types of an instance's and a
 * device's properties, `check` for a script's own Vulkan calls, and `timeoutNs`. The objects
 * themselves (`Instance`, `PhysicalDevice`, `Device`, `Queue`) are in the main export.
 *
 * @example
 * ```ts
 * import { Instance } from "vkshare";
 * import { availableLayers, VALIDATION_LAYER } from "vkshare/vulkan";
 *
 * using instance = Instance.create({ validation: availableLayers().includes(VALIDATION_LAYER) });
 * console.log(instance.physicalDevices().map((pd) => pd.name));
 * ```
 *
 * @module
 */
export { check } from "../core/errors.ts";
export { timeoutNs } from "../core/time.ts";
export { EXTERNAL_EXTENSIONS } from "./device.ts";
export type {
  QueueCommandBuffer,
  QueueFence,
  QueueSemaphore,
  SemaphoreSignal,
  SemaphoreWait,
} from "./device.ts";
export {
  availableInstanceExtensions,
  availableLayers,
  loaderVersion,
  VALIDATION_LAYER,
} from "./instance.ts";
export type {
  DeviceIds,
  DeviceLimits,
  MemoryHeapInfo,
  MemoryTypeInfo,
  QueueFamilyInfo,
  Severity,
  ValidationMessage,
  ValidationOptions,
} from "./instance.ts";
