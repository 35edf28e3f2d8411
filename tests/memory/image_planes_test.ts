// Multi-plane images (NV12) and DRM format modifiers: every plane written and read back; an NV12
// image's memory exported and imported into an image recreated from the export's descriptor,
// with the bytes of every plane checked; LINEAR images record where each plane lies; DRM
// modifiers where the device offers them (the GPU machine), and MissingExtensionError where it
// does not (lavapipe).
import { assert, assertEquals, assertThrows } from "@std/assert";
import { Format, type FormatName } from "../../core/mod.ts";
import { imageBytes } from "../../memory/mod.ts";
import {
  Device,
  DeviceMemory,
  drmFormatModifiers,
  GpuImage,
  MissingExtensionError,
  type PhysicalDevice,
  type PlaneLayout,
  Transfer,
} from "../../mod.ts";
import { externalImageFormatProperties, formatFeatures } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { rgba64 } from "../_image.ts";
import { pattern, withTwoDevices } from "../_memory.ts";
import { assertRule, sharedInstance } from "../_vk.ts";

const NV12: FormatName = "G8_B8R8_2PLANE_420_UNORM";
const pds = sharedInstance().physicalDevices();
const pd = pds[0];
/** The devices that share `tiling` NV12 images as OPAQUE_FD both ways. */
const sharesNv12 = (tiling: "OPTIMAL" | "LINEAR") => (p: PhysicalDevice) => {
  const c = externalImageFormatProperties(p, { handleType: "OPAQUE_FD", format: NV12, tiling });
  return c.supported && c.exportable && c.importable;
};
const nv12Devices = (tiling: "OPTIMAL" | "LINEAR") => pds.filter(sharesNv12(tiling));
const nv12 = (tiling: "OPTIMAL" | "LINEAR") =>
  nv12Devices(tiling).length
    ? false
    : `no device here shares ${tiling} NV12 images as OPAQUE_FD (Mesa 22's lavapipe has no Y'CbCr formats)`;

const drm = pd.hasExtension("VK_EXT_image_drm_format_modifier")
  ? false
  : `${pd.name} offers no VK_EXT_image_drm_format_modifier`;
const drmAnywhere = pds.some((p) => p.hasExtension("VK_EXT_image_drm_format_modifier"))
  ? false
  : "no device here offers VK_EXT_image_drm_format_modifier";

/** NV12 is a full-size Y plane and a half-size CbCr plane: 1.5 bytes a pixel. */
test(
  "NV12: imageBytes counts both planes",
  { skip: nv12("OPTIMAL") },
  withTwoDevices((a) => {
    using image = GpuImage.create(a, { width: 64, height: 32, format: NV12 });
    assertEquals(imageBytes(image), 64 * 32 + 32 * 16 * 2);
  }, sharesNv12("OPTIMAL")),
);

for (const tiling of ["OPTIMAL", "LINEAR"] as const) {
  test(
    `NV12 ${tiling}: both planes written and read back; exported, imported into an image made from the descriptor, every plane's bytes checked`,
    { skip: nv12(tiling) },
    withTwoDevices((a: Device, b: Device) => {
      const size = { width: 64, height: 32 };
      using image = GpuImage.create(a, { ...size, format: NV12, tiling, external: "OPAQUE_FD" });
      using memory = DeviceMemory.allocate(a, {
        for: image,
        exportAs: "OPAQUE_FD",
        dedicated: true,
      });
      assertEquals(image.info.planeLayouts, undefined, "only DRM images carry their layouts");
      if (tiling === "LINEAR") {
        // Bound now (lavapipe reports plane offsets only then): two planes that do not overlap.
        const [y, cbcr] = image.planeLayouts();
        const shown = JSON.stringify(image.planeLayouts());
        assert(y.rowPitch >= 64 && cbcr.rowPitch >= 64, shown);
        assert(y.size >= 64 * 32 && cbcr.size >= 32 * 16 * 2, shown);
        assert(cbcr.offset >= y.offset + y.size || y.offset >= cbcr.offset + cbcr.size, shown);
      } else assertThrows(() => image.planeLayouts(), RangeError);
      const bytes = pattern(imageBytes(image), 12);
      using ta = Transfer.create(a);
      ta.writeImage(image, bytes);
      assertEquals(ta.readImage(image), bytes, "both planes, on the exporter");
      ta.submit((r) => r.releaseImage(image, { oldLayout: "GENERAL", srcStage: "ALL_COMMANDS" }));
      using exp = memory.exportFd("OPAQUE_FD");
      const target = exp.descriptor.dedicated!;
      assertEquals(target.kind, "image");
      using twin = GpuImage.fromTarget(b, target);
      assertEquals(twin.describe(), target, "the recreated image is the exporter's");
      using _m = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: twin });
      using tb = Transfer.create(b);
      tb.submit((r) => r.acquireImage(twin, { newLayout: "GENERAL", dstStage: "ALL_COMMANDS" }));
      const back = tb.readImage(twin);
      const y = 64 * 32;
      assertEquals(back.subarray(0, y), bytes.subarray(0, y), "the Y plane");
      assertEquals(back.subarray(y), bytes.subarray(y), "the CbCr plane");
    }, sharesNv12(tiling)),
  );
}

/** The devices that can make `tiling` NV12 images DISJOINT (and share them as OPAQUE_FD). */
const disjointNv12 = (tiling: "OPTIMAL" | "LINEAR") => (p: PhysicalDevice) =>
  sharesNv12(tiling)(p) && formatFeatures(p, NV12)[tiling === "LINEAR" ? "linear" : "optimal"]
    .includes("DISJOINT");
const disjoint = (tiling: "OPTIMAL" | "LINEAR") =>
  pds.some(disjointNv12(tiling))
    ? false
    : `no device here has the DISJOINT feature for ${tiling} NV12 shared as OPAQUE_FD (Mesa 25's lavapipe has it; Mesa 22's has no Y'CbCr formats)`;

for (const tiling of ["OPTIMAL", "LINEAR"] as const) {
  test(
    `NV12 ${tiling} DISJOINT: a memory per plane, each exported and imported into the plane of an image made from the description, every plane's bytes checked`,
    { skip: disjoint(tiling) },
    withTwoDevices((a: Device, b: Device) => {
      const size = { width: 64, height: 32 };
      using image = GpuImage.create(a, {
        ...size,
        format: NV12,
        tiling,
        flags: ["DISJOINT"],
        external: "OPAQUE_FD",
      });
      assertEquals(image.planes.length, 2);
      assertEquals(image.memory, null, "not bound until every plane is");
      assertThrows(() => image.bind(null as never), TypeError, "DISJOINT");
      // Memory for the whole image: refused before anything is allocated.
      assertThrows(
        () => DeviceMemory.allocate(a, { for: image, exportAs: "OPAQUE_FD" }),
        TypeError,
        "image.plane(i)",
      );
      // A plane's memory is never dedicated (the spec forbids it for a disjoint image).
      assertRule(
        () =>
          DeviceMemory.allocate(a, { for: image.plane(0), exportAs: "OPAQUE_FD", dedicated: true }),
        "DEDICATED_MISMATCH",
        "01797",
      );
      const planes = image.planes.map((p) =>
        DeviceMemory.allocate(a, { for: p, exportAs: "OPAQUE_FD" })
      );
      try {
        assertEquals(image.memory, planes[0], "bound once every plane is");
        assert(planes.every((m) => m.dedicatedTo === null));
        // The Y plane is the full size, CbCr half each way at 2 bytes: each plane's own size.
        assert(planes[0].size >= 64 * 32 && planes[1].size >= 32 * 16 * 2);
        const bytes = pattern(imageBytes(image), 13);
        using ta = Transfer.create(a);
        ta.writeImage(image, bytes);
        assertEquals(ta.readImage(image), bytes, "both planes, on the exporter");
        ta.submit((r) => r.releaseImage(image, { oldLayout: "GENERAL", srcStage: "ALL_COMMANDS" }));
        using twin = GpuImage.fromTarget(b, image.describe());
        assertEquals(twin.planes.length, 2, "the description says DISJOINT");
        const exports = planes.map((m) => m.exportFd("OPAQUE_FD"));
        const imported: DeviceMemory[] = [];
        try {
          for (const [i, e] of exports.entries()) {
            assertEquals(e.descriptor.dedicated, null);
            imported.push(DeviceMemory.importFd(b, e.fd, e.descriptor, { for: twin.plane(i) }));
          }
          // A plane's export into the other plane, or into the whole image, is refused first.
          using again = planes[0].exportFd("OPAQUE_FD");
          assertThrows(
            () => DeviceMemory.importFd(b, again.fd, again.descriptor, { for: twin }),
            TypeError,
            "image.plane(i)",
          );
          assertEquals(again.fd.state, "open", "refused before the import: the fd is the caller's");
          assertRule(
            () => DeviceMemory.importFd(b, again.fd, again.descriptor, { for: twin.plane(1) }),
            "ALREADY_BOUND",
          );
          using tb = Transfer.create(b);
          tb.submit((r) =>
            r.acquireImage(twin, { newLayout: "GENERAL", dstStage: "ALL_COMMANDS" })
          );
          const back = tb.readImage(twin);
          const y = 64 * 32;
          assertEquals(back.subarray(0, y), bytes.subarray(0, y), "the Y plane");
          assertEquals(back.subarray(y), bytes.subarray(y), "the CbCr plane");
        } finally {
          for (const m of imported) m[Symbol.dispose]();
          for (const e of exports) e[Symbol.dispose]();
        }
      } finally {
        for (const m of planes) m[Symbol.dispose]();
      }
    }, disjointNv12(tiling)),
  );
}

test(
  "DISJOINT: refused for a one-plane format, and where the tiling lacks the feature, before the driver",
  withTwoDevices((a: Device) => {
    assertRule(
      () => GpuImage.create(a, { width: 8, height: 8, flags: ["DISJOINT"] }),
      "IMAGE_LIMITS",
      "multi-plane",
    );
    assertThrows(
      () => GpuImage.create(a, { width: 8, height: 8 }).plane(0),
      RangeError,
      "not DISJOINT",
    );
    const p = a.physicalDevice;
    for (const tiling of ["OPTIMAL", "LINEAR"] as const) {
      const has = Object.hasOwn(Format, NV12)
        && formatFeatures(p, NV12)[tiling === "LINEAR" ? "linear" : "optimal"].includes("DISJOINT");
      if (has) continue;
      assertRule(
        () =>
          GpuImage.create(a, { width: 8, height: 8, format: NV12, tiling, flags: ["DISJOINT"] }),
        "IMAGE_LIMITS",
        "DISJOINT feature",
      );
    }
  }),
);

test("GpuImage.fromTarget refuses what is not an image's description: BAD_DESCRIPTOR, before any device call", () => {
  using device = sharedDevice();
  const image = rgba64();
  const bad: [unknown, string][] = [
    [{ kind: "buffer", size: 1, usage: 1, flags: 0, externalHandleTypes: 1 }, "a buffer's"],
    [{ ...image, format: 7777 }, ".format: expected one of"],
    [{ ...image, extent: undefined }, ".extent: expected an object"],
    [
      { ...image, extent: { width: 64, height: 0, depth: 1 } },
      ".extent.height: expected an integer",
    ],
    [{ ...image, mipLevels: 2 ** 32 }, ".mipLevels: expected an integer from 1"],
    [{ ...image, planeLayouts: [{ offset: -1 }] }, ".planeLayouts: expected a list"],
    [{ ...image, tiling: 1000158000 }, "needs drmFormatModifier and planeLayouts"],
    [{ ...image, extra: 1 }, ".extra: not a field"],
    [null, "take the offer's `image`"],
    [undefined, "take the offer's `image`"],
  ];
  for (const [target, says] of bad) {
    const e = assertRule(() => GpuImage.fromTarget(device, target as never), "BAD_DESCRIPTOR");
    assert(e.message.includes(says), `${JSON.stringify(target)}: ${e.message}`);
  }
});

test(
  "DRM format modifiers: a device without the extension says so (MissingExtensionError), for the query and for an image",
  { skip: drm ? false : `${pd.name} offers VK_EXT_image_drm_format_modifier` },
  () => {
    const e = assertThrows(() => drmFormatModifiers(pd, "B8G8R8A8_UNORM"), MissingExtensionError);
    assert(e.message.includes("VK_EXT_image_drm_format_modifier"), e.message);
    assertThrows(
      () => externalImageFormatProperties(pd, { handleType: "OPAQUE_FD", drmFormatModifier: 0n }),
      MissingExtensionError,
    );
    assertThrows(
      () =>
        externalImageFormatProperties(pd, {
          handleType: "OPAQUE_FD",
          tiling: "DRM_FORMAT_MODIFIER",
        }),
      RangeError,
    );
    using device = sharedDevice();
    assertThrows(
      () => GpuImage.create(device, { width: 16, height: 16, drmFormatModifiers: [0n] }),
      MissingExtensionError,
    );
  },
);

test(
  "DRM format modifiers: the offered ones listed; an image with one exported, recreated from the descriptor (explicit modifier and plane layouts), bytes checked",
  { skip: drmAnywhere },
  withTwoDevices((a: Device, b: Device, pd) => {
    const refused: string[] = [];
    const checked: string[] = [];
    let shared = 0;
    for (const format of ["B8G8R8A8_UNORM", NV12] as const) {
      const mods = drmFormatModifiers(pd, format).filter((m) => {
        if (!m.tilingFeatures.includes("TRANSFER_SRC")) return false;
        if (!m.tilingFeatures.includes("TRANSFER_DST")) return false;
        const c = externalImageFormatProperties(pd, {
          handleType: "OPAQUE_FD",
          format,
          usage: ["TRANSFER_SRC", "TRANSFER_DST"],
          drmFormatModifier: m.modifier,
        });
        if (!(c.supported && c.exportable && c.importable)) {
          refused.push(
            `${format} ${m.hex}: OPAQUE_FD ${c.supported ? "not both ways" : "unsupported"}`,
          );
          return false;
        }
        return true;
      });
      console.log(
        `  ${format}: ${
          mods.map((m) => `${m.hex} (${m.planeCount} plane(s))`).join(", ") || "none"
        }`,
      );
      if (!mods.length) continue;
      let image: GpuImage;
      try {
        image = GpuImage.create(a, {
          width: 64,
          height: 32,
          format,
          drmFormatModifiers: mods.map((m) => m.modifier),
          external: "OPAQUE_FD",
        });
      } catch (e) {
        refused.push(`${format}: ${(e as Error).message}`);
        continue;
      }
      using _i = image;
      assert(
        mods.some((m) => m.hex === image.info.drmFormatModifier),
        image.info.drmFormatModifier,
      );
      assert(image.info.planeLayouts!.length >= 1);
      using memory = DeviceMemory.allocate(a, {
        for: image,
        exportAs: "OPAQUE_FD",
        dedicated: true,
      });
      const bytes = pattern(imageBytes(image), 5);
      using ta = Transfer.create(a);
      ta.writeImage(image, bytes);
      ta.submit((r) => r.releaseImage(image, { oldLayout: "GENERAL", srcStage: "ALL_COMMANDS" }));
      using exp = memory.exportFd("OPAQUE_FD");
      const target = exp.descriptor.dedicated!;
      assertEquals(
        (target as { drmFormatModifier?: string }).drmFormatModifier,
        image.info.drmFormatModifier,
      );
      using twin = GpuImage.fromTarget(b, target);
      assertEquals(twin.describe(), target);
      using _m = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: twin });
      using tb = Transfer.create(b);
      tb.submit((r) => r.acquireImage(twin, { newLayout: "GENERAL", dstStage: "ALL_COMMANDS" }));
      assertEquals(tb.readImage(twin), bytes, `${format}: every plane`);
      shared++;
      // A peer's plane layouts, changed: refused before vkCreateImage (or, past the memory, at
      // the import), the genuine ones having passed the same rules above.
      const layouts = (target as { planeLayouts: PlaneLayout[] }).planeLayouts;
      const changed = (planeLayouts: PlaneLayout[]) => ({ ...target, planeLayouts });
      assertRule(() => GpuImage.fromTarget(b, changed([...layouts, layouts[0]])), "PLANE_LAYOUT");
      assertRule(
        () =>
          GpuImage.fromTarget(
            b,
            changed([{ ...layouts[0], offset: 2 ** 52 }, ...layouts.slice(1)]),
          ),
        "PLANE_LAYOUT",
        "largest resource",
      );
      if (
        mods.find((m) => m.hex === image.info.drmFormatModifier)!.planeCount
          === (format === NV12 ? 2 : 1)
      ) {
        assertRule(
          () =>
            GpuImage.fromTarget(b, changed([{ ...layouts[0], rowPitch: 1 }, ...layouts.slice(1)])),
          "PLANE_LAYOUT",
          "row pitch 1",
        );
      }
      const past = changed([{ ...layouts[0], offset: exp.descriptor.size }, ...layouts.slice(1)]);
      using far = GpuImage.fromTarget(b, past);
      using again = memory.exportFd("OPAQUE_FD");
      const told = { ...again.descriptor, dedicated: past };
      // As a peer in another process would be judged (no record of the export): PLANE_LAYOUT.
      const plan = DeviceMemory.planImport(b, null, told, { for: far });
      assert(!plan.ok, `${format}: a plane past the memory was planned`);
      const layout = plan.broken.find((r) => r.rule === "PLANE_LAYOUT");
      assert(layout?.message.includes("past the memory"), JSON.stringify(plan.broken));
      // In this process the export's own description is known too: refused, the fd still open.
      assertRule(
        () => DeviceMemory.importFd(b, again.fd, told, { for: far }),
        ["DEDICATED_MISMATCH", "PLANE_LAYOUT"],
        "PLANE_LAYOUT",
      );
      assertEquals(again.fd.state, "open");
      checked.push(`${format} ${image.info.drmFormatModifier}: ${JSON.stringify(layouts)}`);
    }
    // Something must have crossed, or the note needs what the driver refused.
    assert(shared > 0, `no DRM-modifier image was shared; refused:\n${refused.join("\n")}`);
    console.log(`  plane layouts checked (PLANE_LAYOUT): ${checked.join("; ")}`);
  }, (p) => p.hasExtension("VK_EXT_image_drm_format_modifier")),
);

function sharedDevice() {
  return Device.create(pd);
}

test(
  "VK_NV_external_memory: externalNV and exportAsNV need the extension (MissingExtensionError), and are not mixed with the KHR options",
  () => {
    using device = sharedDevice();
    const nv = device.physicalDevice.hasExtension("VK_NV_external_memory");
    const e = assertThrows(
      () => GpuImage.create(device, { width: 16, height: 16, externalNV: "OPAQUE_WIN32" }),
      MissingExtensionError,
    );
    assert(e.message.includes("VK_NV_external_memory"), e.message);
    assert(e.message.includes(nv ? "enabled" : "does not offer"), e.message);
    assertThrows(
      () => DeviceMemory.allocate(device, { size: 4096, exportAsNV: ["OPAQUE_WIN32"] }),
      MissingExtensionError,
    );
    assertThrows(
      () =>
        GpuImage.create(device, {
          width: 16,
          external: "OPAQUE_FD",
          externalNV: "OPAQUE_WIN32",
        }),
      TypeError,
    );
    assertThrows(
      () =>
        DeviceMemory.allocate(device, {
          size: 4096,
          exportAs: "OPAQUE_FD",
          exportAsNV: "OPAQUE_WIN32",
        }),
      TypeError,
    );
    assertThrows(
      () => GpuImage.create(device, { width: 16, externalNV: ["NOPE" as never] }),
      RangeError,
    );
  },
);

test("externalImageFormatProperties: a modifier out of 64 bits is a RangeError, whatever the device offers", () => {
  for (const drmFormatModifier of [2n ** 64n, -1n, "0x1" + "0".repeat(16), "nope"]) {
    assertThrows(
      () => externalImageFormatProperties(pd, { handleType: "OPAQUE_FD", drmFormatModifier }),
      RangeError,
      "drmFormatModifier: expected a 64-bit value",
    );
  }
});
