/**
 * Two Vulkan devices share an image: RGBA, or NV12 with its two planes, or with a DRM format
 * modifier where the GPU offers them. The first writes a pattern into every plane and exports the
 * memory; the second makes the same image from the export's descriptor (`GpuImage.fromTarget`:
 * format, extent, tiling, and for a DRM image its modifier and plane layouts), imports the memory
 * and checks every plane's bytes. Each step prints its latency.
 *
 *     deno run -A examples/share_image.ts [--format rgba|nv12] [--tiling optimal|linear|drm]
 *
 * A combination the device cannot share says so (with the capability's answer) and exits 0.
 *
 * @module
 */
import {
  Device,
  DeviceMemory,
  drmFormatModifiers,
  externalImageFormatProperties,
  FORMAT_PLANES,
  type FormatName,
  GpuImage,
  imageBytes,
  type PhysicalDevice,
  Transfer,
} from "../mod.ts";
import { parseCli } from "../tools/_cli.ts";
import { openGpu, step } from "./_setup.ts";

const FORMATS = { rgba: "R8G8B8A8_UNORM", nv12: "G8_B8R8_2PLANE_420_UNORM" } as const;

/** Why `pd` cannot share this image as OPAQUE_FD, or null; for DRM, the modifiers it can. */
export function imagePath(
  pd: PhysicalDevice,
  format: FormatName,
  tiling: "optimal" | "linear" | "drm",
): { why: string } | { modifiers: bigint[] | null } {
  if (tiling === "drm") {
    if (!pd.hasExtension("VK_EXT_image_drm_format_modifier")) {
      return { why: "no VK_EXT_image_drm_format_modifier" };
    }
    const modifiers = drmFormatModifiers(pd, format).filter((m) => {
      if (
        !m.tilingFeatures.includes("TRANSFER_SRC") || !m.tilingFeatures.includes("TRANSFER_DST")
      ) {
        return false;
      }
      const c = externalImageFormatProperties(pd, {
        handleType: "OPAQUE_FD",
        format,
        usage: ["TRANSFER_SRC", "TRANSFER_DST"],
        drmFormatModifier: m.modifier,
      });
      return c.supported && c.exportable && c.importable;
    }).map((m) => m.modifier);
    return modifiers.length
      ? { modifiers }
      : { why: `no DRM format modifier of ${format} shares as OPAQUE_FD with transfers` };
  }
  const c = externalImageFormatProperties(pd, {
    handleType: "OPAQUE_FD",
    format,
    tiling: tiling === "linear" ? "LINEAR" : "OPTIMAL",
    usage: ["TRANSFER_SRC", "TRANSFER_DST"],
  });
  if (c.unsupported) return { why: c.unsupported };
  if (!c.supported) return { why: `${format} ${tiling} images are not supported with OPAQUE_FD` };
  if (!c.exportable || !c.importable) return { why: "OPAQUE_FD images are not shared both ways" };
  return { modifiers: null };
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/share_image.ts",
    summary:
      "Two Vulkan devices share an image (RGBA or NV12; optimal, linear or DRM-modifier tiling):\nthe importer makes the same image from the export's descriptor, and every plane's bytes are checked.",
    flags: {
      format: { type: "string", value: "NAME", description: "rgba or nv12", default: "rgba" },
      tiling: {
        type: "string",
        value: "TILING",
        description: "optimal, linear or drm",
        default: "optimal",
      },
      width: { type: "string", value: "N", description: "width (even for nv12)", default: "256" },
      height: { type: "string", value: "N", description: "height (even for nv12)", default: "128" },
    },
  });
  const format: FormatName = FORMATS[cli.choice("format", ["rgba", "nv12"] as const)];
  const tiling = cli.choice("tiling", ["optimal", "linear", "drm"] as const);
  const planes = FORMAT_PLANES[format]?.length ?? 1;
  const multipleOf = planes > 1 ? 2 : 1;
  const width = cli.int("width", { min: multipleOf, max: 16384, multipleOf });
  const height = cli.int("height", { min: multipleOf, max: 16384, multipleOf });

  using gpu = openGpu("vkshare share_image");
  const { pd } = gpu;
  const path = imagePath(pd, format, tiling);
  console.log(`${pd.name}: ${width}x${height} ${format}, ${tiling} tiling, ${planes} plane(s)`);
  if ("why" in path) {
    console.log(`${pd.name} cannot share this image: ${path.why}: nothing to do`);
  } else {
    using a = step("create device A (exporter) and B (importer)", () => Device.create(pd));
    using b = Device.create(pd);
    using image = step("create the image on A", () =>
      GpuImage.create(a, {
        width,
        height,
        format,
        external: "OPAQUE_FD",
        ...(path.modifiers
          ? { drmFormatModifiers: path.modifiers }
          : { tiling: tiling === "linear" ? "LINEAR" : "OPTIMAL" }),
      }));
    if (image.info.drmFormatModifier) {
      console.log(
        `  the driver chose modifier ${image.info.drmFormatModifier}, plane layouts ${
          JSON.stringify(image.info.planeLayouts)
        }`,
      );
    }
    using memory = step(
      "allocate exportable memory for it (dedicated)",
      () => DeviceMemory.allocate(a, { for: image, exportAs: "OPAQUE_FD", dedicated: true }),
    );
    const bytes = new Uint8Array(imageBytes(image)).map((_, i) => (i * 13 + (i >>> 10)) & 0xff);
    using ta = Transfer.create(a);
    step(`write ${bytes.length} bytes into its ${planes} plane(s) on A, hand it off`, () => {
      ta.writeImage(image, bytes);
      ta.submit((r) => r.releaseImage(image, { oldLayout: "GENERAL", srcStage: "ALL_COMMANDS" }));
    });
    using exp = step("export an fd", () => memory.exportFd("OPAQUE_FD"));
    using twin = step(
      "make the same image on B from the descriptor (GpuImage.fromTarget)",
      () => GpuImage.fromTarget(b, exp.descriptor.dedicated!),
    );
    using _imported = step(
      "import the memory into B, bound to it",
      () => DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: twin }),
    );
    using tb = Transfer.create(b);
    const back = step("take it back on B and read every plane", () => {
      tb.submit((r) => r.acquireImage(twin, { newLayout: "GENERAL", dstStage: "ALL_COMMANDS" }));
      return tb.readImage(twin);
    });
    let bad = 0;
    for (let i = 0; i < bytes.length; i++) if (back[i] !== bytes[i]) bad++;
    if (bad) {
      console.error(`FAILED: ${bad} of ${bytes.length} bytes differ`);
      process.exit(1);
    }
    console.log(`OK: every byte of every plane written on A was read on B (${bytes.length} bytes)`);
  }
}
