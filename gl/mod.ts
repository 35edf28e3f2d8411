/**
 * vkshare's OpenGL peer (`vkshare/gl`): a headless GL context through EGL on the GPU that
 * exported the memory, Vulkan memory as GL buffers and textures, and Vulkan semaphores in GL
 * where the driver has GL_EXT_semaphore_fd (elsewhere a host handoff, `GlContext.finish`).
 *
 * @example
 * ```ts
 * import { GlBuffer, GlContext } from "vkshare/gl";
 * using gl = GlContext.create({ deviceUUID: exp.descriptor });
 * using buf = GlBuffer.import(gl, exp.fd, exp.descriptor);
 * console.log(buf.read(0, 16));
 * ```
 *
 * @module
 */
export {
  GL_DRM_FORMATS,
  GL_FORMATS,
  GL_TIMELINES,
  glImporter,
  planGlImport,
  planGlSemaphoreImport,
} from "../share/gl_plan.ts";
export type {
  GlDmaBufFacts,
  GlDrmFormat,
  GlFacts,
  GlFormat,
  GlFormatName,
  GlImportPlan,
  GlSemaphorePlan,
  GlTarget,
} from "../share/gl_plan.ts";
export { GlContext, GlError, probeGl } from "./context.ts";
export type { GlContextOptions, GlDeviceIdentity } from "./context.ts";
export { GlBuffer, GlTexture } from "./memory.ts";
export { GlSemaphore } from "./semaphore.ts";
export type { GlHandover, GlLayoutName } from "./semaphore.ts";
