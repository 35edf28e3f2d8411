/**
 * Two Vulkan devices share an image: RGBA, or NV12 with its two planes, or with a DRM format
 * modifier where the GPU offers them. The first writes a pattern into every plane and exports the
 * memory; the second makes the same image from the export's descriptor (`GpuImage.fromTarget`:
 * format, extent, tiling, and for a DRM image its modifier and plane layouts), imports the memory
 * and checks every plane's bytes. With `--disjoint` (NV12), each plane has memory of its own,
 * exported and imported on its own into the plane of the importer's image. Each step prints its
 * latency.
 *
 *     deno run -A examples/share_image.ts [--format rgba|nv12] [--tiling optimal|linear|drm] [--disjoint]
 *
 * A combination the device cannot share says so (with the capability's answer) and exits 0.
 *
 * @module
 */
import { EXIT, parseCli } from "../cli/_args.ts";
import { FORMAT_PLANES, type FormatName } from "../core/mod.ts";
import { imageBytes } from "../memory/mod.ts";
import {
  Device,
  DeviceMemory,
  drmFormatModifiers,
  GpuImage,
  type PhysicalDevice,
  Transfer,
} from "../mod.ts";
import { externalImageFormatProperties, formatFeatures } from "../share/mod.ts";

/** `list`, disposed together (last first) with the object. */
function disposables<T extends Disposable>(list: T[]): { list: T[] } & Disposable {
  return {
    list,
    [Symbol.dispose]: () => {
      for (const x of list.reverse()) x[Symbol.dispose]();
    },
  };
}
import { openGpu, step } from "./_setup.ts";

const FORMATS = { rgba: "R8G8B8A8_UNORM", nv12: "G8_B8R8_2PLANE_420_UNORM" } as const;

/** Why `pd` cannot share this image as OPAQUE_FD, or null; for DRM, the modifiers it can. */
export function imagePath(
  pd: PhysicalDevice,
  format: FormatName,
  tiling: "optimal" | "linear" | "drm",
  disjoint = false,
): { why: string } | { modifiers: bigint[] | null } {
  if (disjoint) {
    if (tiling === "drm") return { why: "vkshare makes disjoint images LINEAR or OPTIMAL" };
    const features = formatFeatures(pd, format)[tiling];
    if (!features.includes("DISJOINT")) {
      return { why: `no DISJOINT feature for ${format} with ${tiling} tiling` };
    }
  }
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
      disjoint: { type: "boolean", description: "a memory per plane (nv12, optimal or linear)" },
    },
  });
  const format: FormatName = FORMATS[cli.choice("format", ["rgba", "nv12"] as const)];
  const tiling = cli.choice("tiling", ["optimal", "linear", "drm"] as const);
  const planes = FORMAT_PLANES[format]?.length ?? 1;
  const multipleOf = planes > 1 ? 2 : 1;
  const width = cli.int("width", { min: multipleOf, max: 16384, multipleOf });
  const height = cli.int("height", { min: multipleOf, max: 16384, multipleOf });
  const disjoint = cli.flag("disjoint");
  if (disjoint && planes < 2) cli.fail("--disjoint needs a multi-plane format: --format nv12");

  using gpu = openGpu("vkshare share_image");
  const { pd } = gpu;
  const path = imagePath(pd, format, tiling, disjoint);
  console.log(
    `${pd.name}: ${width}x${height} ${format}, ${tiling} tiling, ${planes} plane(s)${
      disjoint ? ", disjoint" : ""
    }`,
  );
  if ("why" in path) cli.skip(`${pd.name} cannot share this image: ${path.why}`);
  else {
    using a = step("create device A (exporter) and B (importer)", () => Device.create(pd));
    using b = Device.create(pd);
    using image = step("create the image on A", () =>
      GpuImage.create(a, {
        width,
        height,
        format,
        external: "OPAQUE_FD",
        ...(disjoint ? { flags: ["DISJOINT" as const] } : {}),
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
    // One memory (dedicated to the image), or one per plane of a disjoint image.
    const targets = disjoint ? image.planes : [image];
    using memories = step(
      disjoint
        ? `allocate exportable memory for each of its ${planes} planes`
        : "allocate exportable memory for it (dedicated)",
      () =>
        disposables(
          targets.map((t) =>
            DeviceMemory.allocate(a, { for: t, exportAs: "OPAQUE_FD", dedicated: !disjoint })
          ),
        ),
    );
    const bytes = new Uint8Array(imageBytes(image)).map((_, i) => (i * 13 + (i >>> 10)) & 0xff);
    using ta = Transfer.create(a);
    step(`write ${bytes.length} bytes into its ${planes} plane(s) on A, hand it off`, () => {
      ta.writeImage(image, bytes);
      ta.submit((r) => r.releaseImage(image, { oldLayout: "GENERAL", srcStage: "ALL_COMMANDS" }));
    });
    using exports = step(
      disjoint ? "export an fd per plane" : "export an fd",
      () => disposables(memories.list.map((m) => m.exportFd("OPAQUE_FD"))),
    );
    // A dedicated export's descriptor describes its image; a plane's memory is plain, so the
    // image's own description travels beside it (image.describe()).
    using twin = step(
      "make the same image on B from the description (GpuImage.fromTarget)",
      () =>
        GpuImage.fromTarget(b, disjoint ? image.describe() : exports.list[0].descriptor.dedicated!),
    );
    const twinTargets = disjoint ? twin.planes : [twin];
    using _imported = step(
      disjoint
        ? "import each plane's memory into B, bound to its plane"
        : "import the memory into B, bound to it",
      () =>
        disposables(
          exports.list.map((e, i) =>
            DeviceMemory.importFd(b, e.fd, e.descriptor, { for: twinTargets[i] })
          ),
        ),
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
      process.exit(EXIT.failed);
    }
    console.log(`OK: every byte of every plane written on A was read on B (${bytes.length} bytes)`);
  }
}
