// The image rules, without a driver (share/image_plan.ts): what a description must keep before it
// reaches vkCreateImage. The attack's descriptions (mipLevels 1000, a 65536 height, 65536 layers,
// a 2D image with a depth, a 3D one with layers) are refused by name; on a real driver:
// tests/memory/image_limits_test.ts.
import { assert, assertEquals } from "@std/assert";
import { checkRequirement } from "../../memory/bindable.ts";
import { planeLayoutRules, planImage } from "../../share/image_plan.ts";
import type { ImageDescription, ImageFacts } from "../../share/image_plan.ts";
import { test } from "../_harness.ts";
import { rgba64 } from "../_image.ts";
import { assertRule } from "../_vk.ts";

const LIMITS = {
  maxExtent: { width: 16384, height: 16384, depth: 1 },
  maxMipLevels: 15,
  maxArrayLayers: 2048,
};
const facts: ImageFacts = { device: "a GPU", limits: LIMITS };

const image = rgba64;

const rules = (f: ImageFacts, d: ImageDescription) => planImage(f, d).map((b) => b.rule);

test("a description within the device's limits breaks no rule", () => {
  assertEquals(planImage(facts, image()), []);
  assertEquals(planImage(facts, image({ mipLevels: 7, arrayLayers: 6 })), []);
  assertEquals(
    planImage(
      { ...facts, limits: { ...LIMITS, maxExtent: { width: 2048, height: 2048, depth: 2048 } } },
      image({ imageType: 2, extent: { width: 64, height: 64, depth: 4 } }),
    ),
    [],
  );
});

test("IMAGE_TYPE: 1D has height and depth 1, 2D depth 1, 3D one layer; mip levels fit the extent", () => {
  const cases: [Partial<ImageDescription>, string][] = [
    [
      { imageType: 0, extent: { width: 64, height: 2, depth: 1 } },
      "a 1D image has height and depth 1",
    ],
    [{ extent: { width: 64, height: 64, depth: 64 } }, "a 2D image has depth 1"],
    [
      { imageType: 2, extent: { width: 64, height: 64, depth: 4 }, arrayLayers: 2 },
      "one array layer",
    ],
    [{ mipLevels: 1000 }, "at most 7 mip levels, not 1000"],
    [{ mipLevels: 8 }, "at most 7 mip levels, not 8"],
    [
      { format: 1000156003, extent: { width: 64, height: 63, depth: 1 } },
      "G8_B8R8_2PLANE_420_UNORM has an even height, not 63",
    ],
    [
      { format: 1000156002, extent: { width: 63, height: 64, depth: 1 } },
      "G8_B8_R8_3PLANE_420_UNORM has an even width, not 63",
    ],
  ];
  for (const [change, says] of cases) {
    const broken = planImage(facts, image(change));
    assertEquals(broken.map((b) => b.rule), ["IMAGE_TYPE"], says);
    assert(broken[0].message.includes(says), broken[0].message);
  }
  // The shape is judged first: the limits are not asked about a description of no shape.
  assertEquals(rules(facts, image({ mipLevels: 1000, arrayLayers: 65536 })), ["IMAGE_TYPE"]);
});

test("IMAGE_LIMITS: the extent, mip levels and layers the device gives; an unsupported combination", () => {
  const cases: [Partial<ImageDescription>, string][] = [
    [{ extent: { width: 64, height: 65536, depth: 1 } }, "an extent up to"],
    [{ extent: { width: 2 ** 32 - 1, height: 1, depth: 1 } }, "an extent up to"],
    [{ arrayLayers: 65536 }, "array layers up to 2048, not 65536"],
    [{ extent: { width: 65536, height: 65536, depth: 1 }, mipLevels: 16 }, "mip levels up to 15"],
  ];
  for (const [change, says] of cases) {
    const broken = planImage(facts, image(change));
    assert(broken.length && broken.every((b) => b.rule === "IMAGE_LIMITS"), JSON.stringify(broken));
    assert(broken.some((b) => b.message.includes(says)), JSON.stringify(broken));
  }
  const none: ImageFacts = {
    device: "a GPU",
    limits: { unsupported: "VK_ERROR_FORMAT_NOT_SUPPORTED" },
  };
  const [b] = planImage(none, image());
  assertEquals(b.rule, "IMAGE_LIMITS");
  assert(
    b.message.includes("does not support") && b.message.includes("VK_ERROR_FORMAT_NOT_SUPPORTED"),
  );
});

/** An NV12 DRM_FORMAT_MODIFIER image of 64×32 with `layouts`. */
function nv12(layouts: ImageDescription["planeLayouts"]): ImageDescription {
  return image({
    format: 1000156003, // G8_B8R8_2PLANE_420_UNORM
    extent: { width: 64, height: 32, depth: 1 },
    tiling: 1000158000,
    drmFormatModifier: "0x0000000000000000",
    planeLayouts: layouts,
  });
}
const plane = (offset: number, size: number, rowPitch: number) => ({
  offset,
  size,
  rowPitch,
  arrayPitch: 0,
  depthPitch: 0,
});

test("PLANE_LAYOUT: one layout per memory plane, a row pitch of a row, a size that holds the rows", () => {
  const drm: ImageFacts = { ...facts, modifierPlanes: 2 };
  const good = nv12([plane(0, 64 * 32, 64), plane(2048, 64 * 16, 64)]);
  assertEquals(planImage(drm, good), []);
  const cases: [ImageDescription, ImageFacts, string][] = [
    [nv12([plane(0, 2048, 64)]), drm, "has 2 memory plane(s) on a GPU; the description gives 1"],
    [
      nv12([plane(0, 2048, 32), plane(2048, 1024, 64)]),
      drm,
      "plane 0's row pitch 32 is less than a row of it (64 bytes)",
    ],
    [
      nv12([plane(0, 2048, 64), plane(2048, 1024, 63)]),
      drm,
      "plane 1's row pitch 63 is less than a row of it (64 bytes)",
    ],
    [
      nv12([plane(0, 100, 64), plane(2048, 1024, 64)]),
      drm,
      "plane 0's size 100 cannot hold its rows (2048 bytes)",
    ],
    [good, { ...facts, modifierPlanes: null }, "offers no DRM format modifier 0x0000000000000000"],
  ];
  for (const [d, f, says] of cases) {
    const broken = planImage(f, d);
    assert(broken.length && broken.every((b) => b.rule === "PLANE_LAYOUT"), JSON.stringify(broken));
    assert(broken.some((b) => b.message.includes(says)), `${says}: ${JSON.stringify(broken)}`);
  }
  // At an import: within the memory it is bound to.
  assertEquals(planeLayoutRules({ device: "a GPU" }, good, 4096), []);
  const past = planeLayoutRules({ device: "a GPU" }, good, 3000);
  assertEquals(past.map((b) => b.rule), ["PLANE_LAYOUT"]);
  assert(past[0].message.includes("plane 1 lies at 2048..3072, past the memory's 3000 bytes"));
  // Past the device's largest resource (known at fromTarget, before any memory).
  const huge = nv12([plane(0, 2048, 64), plane(2 ** 40, 1024, 64)]);
  const big = planImage({ ...drm, limits: { ...LIMITS, maxResourceSize: 2 ** 31 } }, huge);
  assertEquals(big.map((b) => b.rule), ["PLANE_LAYOUT"]);
  assert(
    big[0].message.includes("past a GPU's largest resource (2147483648 bytes)"),
    big[0].message,
  );
  // Not a DRM modifier image: no plane layout rule.
  assertEquals(planeLayoutRules({ device: "a GPU" }, image(), 1), []);
});

test("EMPTY_REQUIREMENT: a requirement of 0 bytes is refused", () => {
  checkRequirement("image", 0x10n, 4096n);
  const e = assertRule(() => checkRequirement("image", 0x10n, 0n), "EMPTY_REQUIREMENT");
  assert(e.message.includes("needs 0 bytes of memory"), e.message);
});
