// The image description the image tests start from: a 64×64 RGBA8 2D image, OPTIMAL, transfer
// source and destination, OPAQUE_FD (numeric Vulkan values, as a descriptor carries them).
import type { ImageDescription } from "../share/image_plan.ts";

/** A 64×64 RGBA8 2D image's description, with `change` applied. */
export function rgba64(change: Partial<ImageDescription> = {}): ImageDescription {
  return {
    kind: "image",
    imageType: 1,
    format: 37, // R8G8B8A8_UNORM
    extent: { width: 64, height: 64, depth: 1 },
    mipLevels: 1,
    arrayLayers: 1,
    tiling: 0,
    usage: 3,
    flags: 0,
    externalHandleTypes: 1,
    ...change,
  };
}
