/**
 * The lesser parts of vkshare's memory objects (the `vkshare/memory` export): command recording
 * (`Recorder`, barriers, copy regions), an image's planes, memory bound from an offset
 * (`boundBuffer`, `boundImage`, `bufferInRange`), compute and draw (`ComputePipeline`,
 * `DrawPipeline`, recorded with `Recorder.dispatch` and `Recorder.draw`), and the types of
 * requirements and targets. `DeviceMemory`,
 * `GpuBuffer`, `GpuImage`, `HostAllocation`, `Transfer` and `CommandBuffer` are in the main export.
 *
 * @example
 * ```ts
 * import { Device, GpuBuffer, Instance } from "vkshare";
 * import { imageBytes } from "vkshare/memory";
 *
 * using instance = Instance.create();
 * using device = Device.create(instance.physicalDevices()[0]);
 * using buffer = GpuBuffer.create(device, { size: imageBytes("R8G8B8A8_UNORM", 64, 64) });
 * console.log(buffer.size);
 * ```
 *
 * @module
 */
export type { Bindable, BoundMemoryOptions, MemoryRequirements } from "./bindable.ts";
export { imageBytes, Recorder } from "./command_buffer.ts";
export type {
  BufferBarrier,
  CopyRegion,
  DispatchOptions,
  Flags,
  ImageBarrier,
  QueueFamilyRef,
  Range,
  RecordOptions,
} from "./command_buffer.ts";
export type { MemoryTarget } from "./device_memory.ts";
export { boundBuffer, bufferInRange } from "./gpu_buffer.ts";
export { boundImage, ImagePlane } from "./gpu_image.ts";
export { ComputePipeline, DrawPipeline } from "./pipeline.ts";
export type { BindingKind, ComputePipelineOptions, DrawPipelineOptions } from "./pipeline.ts";
