/**
 * VK_NV_external_memory's options of images and allocations (`externalNV`, `exportAsNV`): their
 * masks, and the refusal where the device lacks the extension.
 *
 * @module
 */
import {
  ExternalMemoryHandleTypeNV,
  type ExternalMemoryHandleTypeNVName,
  flagMask,
} from "../core/enums.ts";
import { MissingExtensionError } from "../core/errors.ts";
import type { Device } from "../vulkan/device.ts";

/** The device extension of the NV handle types. */
export const NV_EXTENSION = "VK_NV_external_memory";

/** The mask of NV handle types `v` names (one name or a list). */
export function nvHandleTypeMask(
  v: readonly ExternalMemoryHandleTypeNVName[] | ExternalMemoryHandleTypeNVName | undefined,
  what: string,
): number {
  if (v === undefined) return 0;
  return flagMask(ExternalMemoryHandleTypeNV, typeof v === "string" ? [v] : v, what);
}

/** Throws the MissingExtensionError of an NV option used on a device without the extension. */
export function requireNV(device: Device, what: string): void {
  if (device.extensions.includes(NV_EXTENSION)) return;
  const offered = device.physicalDevice.hasExtension(NV_EXTENSION);
  throw new MissingExtensionError(
    NV_EXTENSION,
    device.physicalDevice.name,
    offered ? "enabled" : "offered",
    offered
      ? `${what} needs it: create the Device with it in \`extensions\``
      : `${what} needs it (older NVIDIA drivers offer it); the KHR handle types are the portable way`,
  );
}
