/**
 * vkshare's FFI layer, for scripts that call libvulkan (or libc, libcuda) themselves beside
 * vkshare: the runtime-neutral types of foreign functions and pointers, the runtime backend in
 * use, and how libvulkan was found. Most scripts need only the main export.
 *
 * @example
 * ```ts
 * import { libvulkanPath, rt } from "vkshare/ffi";
 * console.log(rt.name, libvulkanPath());
 * ```
 *
 * @module
 */
export { rt } from "./runtime.ts";
export type {
  BufferArg,
  Callback,
  CallbackArgs,
  CallbackFn,
  ForeignFunction,
  FunctionOf,
  FunctionsOf,
  Library,
  NativeType,
  ParamOf,
  ParamsOf,
  Pointer,
  ResultOf,
  Runtime,
  SymbolTable,
} from "./types.ts";
export type { ExtensionTable } from "./vk_commands.ts";
export { INSTALL_HINT, LIBVULKAN_ENV, libvulkanPath } from "./vulkan.ts";
export type { ExtensionFunctions } from "./vulkan.ts";
