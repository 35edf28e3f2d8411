/**
 * libvulkan: opened once, on first use, from `VKSHARE_LIBVULKAN` or the usual paths; extension
 * command tables loaded as function pointers through vkGet*ProcAddr.
 *
 * @module
 */
import { openFirst } from "./library.ts";
import { rt } from "./runtime.ts";
import type { Library, Pointer } from "./types.ts";
import type { FunctionsOf } from "./types.ts";
import { type ExtensionTable, VK_CORE } from "./vk_commands.ts";

/**
 * The environment variable that names the libvulkan to load.
 *
 * @example
 * ```ts
 * Deno.env.get(LIBVULKAN_ENV); // "VKSHARE_LIBVULKAN": a libvulkan to load instead of the system's
 * ```
 *
 * @category Loading
 */
export const LIBVULKAN_ENV = "VKSHARE_LIBVULKAN";

/**
 * The command that installs the Vulkan loader and Mesa's software driver on Debian/Ubuntu.
 *
 * @example
 * ```ts
 * console.error(INSTALL_HINT); // what to install when libvulkan is missing
 * ```
 *
 * @category Loading
 */
export const INSTALL_HINT =
  "install the Vulkan loader and a driver, e.g. on Debian/Ubuntu: sudo apt-get install -y libvulkan1 mesa-vulkan-drivers";

function candidates(): string[] {
  const arch = rt.arch === "aarch64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  if (rt.os === "darwin") return ["libvulkan.1.dylib", "libMoltenVK.dylib"];
  if (rt.os === "windows") return ["vulkan-1.dll"];
  return [
    "libvulkan.so.1",
    `/usr/lib/${arch}/libvulkan.so.1`,
    "/usr/lib64/libvulkan.so.1",
    "/usr/lib/libvulkan.so.1",
    "/usr/local/lib/libvulkan.so.1",
    "libvulkan.so",
  ];
}

let lib: Library<typeof VK_CORE> | undefined;

/** The core Vulkan commands; opens libvulkan on the first call (throws LibraryLoadError). */
export function vk(): FunctionsOf<typeof VK_CORE> {
  lib ??= openFirst("libvulkan", LIBVULKAN_ENV, candidates(), VK_CORE, INSTALL_HINT);
  return lib.symbols;
}

/**
 * The path libvulkan was opened from (opening it if needed).
 *
 * @example
 * ```ts
 * console.log(libvulkanPath()); // the libvulkan that was (or will be) opened
 * ```
 *
 * @category Loading
 */
export function libvulkanPath(): string {
  vk();
  return lib!.path;
}

/**
 * The loaded commands of an extension table.
 *
 * @example
 * ```ts
 * const fns: ExtensionFunctions<typeof VK_KHR_external_memory_fd> = device.extension(VK_KHR_external_memory_fd);
 * fns.vkGetMemoryFdKHR; // callable
 * ```
 *
 * @category FFI
 */
export type ExtensionFunctions<T extends ExtensionTable> = FunctionsOf<T["commands"]>;

/** The commands of an extension table that the driver did not give. */
export class MissingCommands {
  /** The command names. */
  readonly names: readonly string[];
  constructor(names: string[]) {
    this.names = names;
  }
}

/**
 * Loads every command of `table` through `getProcAddr(handle, name)`. Returns the missing
 * command names instead when the driver does not give them all.
 */
export function loadExtension<T extends ExtensionTable>(
  table: T,
  handle: Pointer,
): ExtensionFunctions<T> | MissingCommands {
  const get = table.level === "instance" ? vk().vkGetInstanceProcAddr : vk().vkGetDeviceProcAddr;
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, def] of Object.entries(table.commands)) {
    const p = get(handle, cString(name));
    if (p === null) missing.push(name);
    else out[name] = rt.fn(p, def);
  }
  return missing.length ? new MissingCommands(missing) : out as ExtensionFunctions<T>;
}

import { cString } from "./cstring.ts";
export { cString };
