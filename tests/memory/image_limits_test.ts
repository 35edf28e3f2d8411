// A peer's image description on a real driver: what lavapipe crashed or corrupted its heap on
// (mipLevels 1000, a 65536 height, 65536 layers, 2^32-1 wide, a 2D image with a depth, a 3D one
// with layers, past maxExtent) is refused by name before vkCreateImage, and the process goes on;
// a copy is bounded by the memory bound. The rules themselves: tests/share/image_plan_test.ts.
import { assert, assertEquals } from "@std/assert";
import { imageBytes } from "../../memory/mod.ts";
import { Device, DeviceMemory, GpuImage, Transfer } from "../../mod.ts";
import { externalImageFormatProperties } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { rgba64 } from "../_image.ts";
import { cannotShare, withTwoDevices } from "../_memory.ts";
import { assertRule, sharedInstance } from "../_vk.ts";

const pd = sharedInstance().physicalDevices()[0];
const limits = externalImageFormatProperties(pd, {
  handleType: "OPAQUE_FD",
  usage: ["TRANSFER_SRC", "TRANSFER_DST"],
});
const base = rgba64();

test(
  "fromTarget: descriptions past the device's limits or their type are refused before vkCreateImage",
  {
    skip: limits.supported ? false : `${pd.name} has no OPAQUE_FD RGBA8 images`,
  },
  () => {
    using device = Device.create(pd);
    const max = limits.maxExtent!;
    const cases: [Partial<typeof base>, "IMAGE_TYPE" | "IMAGE_LIMITS"][] = [
      [{ mipLevels: 1000 }, "IMAGE_TYPE"],
      [{ mipLevels: 32 }, "IMAGE_TYPE"],
      [{ extent: { width: 64, height: 65536, depth: 1 } }, "IMAGE_LIMITS"],
      [{ extent: { width: 2 ** 32 - 1, height: 1, depth: 1 } }, "IMAGE_LIMITS"],
      [{ arrayLayers: 65536 }, "IMAGE_LIMITS"],
      [{ extent: { width: max.width + 1, height: 1, depth: 1 } }, "IMAGE_LIMITS"],
      [{ imageType: 2, extent: { width: 64, height: 64, depth: 4 }, arrayLayers: 2 }, "IMAGE_TYPE"],
      [{ extent: { width: 64, height: 64, depth: 64 } }, "IMAGE_TYPE"],
    ];
    for (const [change, rule] of cases) {
      const e = assertRule(() => GpuImage.fromTarget(device, { ...base, ...change }), rule);
      assert(e.message.includes(pd.name) || rule === "IMAGE_TYPE", e.message);
    }
    // The device is unharmed: an image within the limits is made, and memory bound to it.
    using image = GpuImage.fromTarget(device, base);
    using _memory = DeviceMemory.allocate(device, { for: image });
    assertEquals(image.info.extent, base.extent);
    // And the same rules hold for a script's own image.
    assertRule(
      () => GpuImage.create(device, { width: 64, height: 64, mipLevels: 1000 }),
      "IMAGE_TYPE",
    );
    // Two breaks of one rule: the second is said too, not only its rule's name.
    const odd = assertRule(
      () => GpuImage.create(device, { width: 3, height: 3, format: "G8_B8R8_2PLANE_420_UNORM" }),
      "IMAGE_TYPE",
      "has an even width, not 3",
    );
    assert(odd.message.includes("also breaks: IMAGE_TYPE: a 2D image of"), odd.message);
    assert(odd.message.includes("has an even height, not 3)"), odd.message);
  },
);

test(
  "a shared image's copy is bounded by the memory bound, and the importer reads what was written",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using image = GpuImage.fromTarget(a, base);
    using memory = DeviceMemory.allocate(a, { for: image, exportAs: "OPAQUE_FD", dedicated: true });
    using ta = Transfer.create(a);
    const bytes = new Uint8Array(imageBytes(image)).map((_, i) => i & 0xff);
    ta.writeImage(image, bytes, { release: true });
    assertEquals(image.layout, null, "released");
    using exp = memory.exportFd();
    using twin = GpuImage.fromTarget(b, exp.descriptor.dedicated!);
    assertEquals(twin.layout, "UNDEFINED");
    using _imported = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: twin });
    using tb = Transfer.create(b);
    assertEquals(tb.readImage(twin, { acquire: true }), bytes);
    assertEquals(twin.layout, "GENERAL");
    assertEquals(tb.readImage(twin), bytes, "again, from where the last read left it");
    // Never written: read from UNDEFINED (no validation error), whatever it holds.
    using fresh = GpuImage.fromTarget(b, base);
    using _freshMemory = DeviceMemory.allocate(b, { for: fresh });
    assertEquals(tb.readImage(fresh).length, bytes.length);
    // Not bound: nothing to copy from.
    using loose = GpuImage.fromTarget(b, base);
    assertRule(() => tb.readImage(loose), "SIZE_MISMATCH", "bound to 0");
  }),
);
