// The GL import rules, without a driver (share/gl_plan.ts): a GL context's facts go through the
// same planImport as a Vulkan device's (UUIDs, handle types, the semaphore's type), then the
// buffer's range with the driver's padding (GL_BUFFER_RANGE) and the texture against the image the
// memory is dedicated to (GL_TEXTURE_MISMATCH). On a real driver: tests/gl/gl_test.ts.
import { assert, assertEquals } from "@std/assert";
import { dmaBufDescriptor, type MemoryDescriptor } from "../../mod.ts";
import {
  GL_DRM_FORMATS,
  type GlFacts,
  glImporter,
  type GlTarget,
  planGlImport,
  planGlSemaphoreImport,
} from "../../share/gl_plan.ts";
import { planImport } from "../../share/plan.ts";
import { test } from "../_harness.ts";
import { rgba64 } from "../_image.ts";

const DEVICE = "6d657361-3232-2e33-2e36-000000000000";
const DRIVER = "6c6c766d-7069-7065-5555-494400000000";
const gl: GlFacts = {
  name: "a GL",
  deviceUUID: DEVICE,
  driverUUID: DRIVER,
  extensions: ["GL_EXT_memory_object", "GL_EXT_memory_object_fd"],
  bufferPadding: 8,
  bufferOffsets: true,
  maxTextureSize: 16384,
  linearTiling: true,
};

function memory(change: Partial<MemoryDescriptor> = {}): MemoryDescriptor {
  return {
    version: 1,
    handleType: "OPAQUE_FD",
    size: 65536,
    memoryTypeIndex: 0,
    memoryProperties: ["DEVICE_LOCAL"],
    dedicated: null,
    deviceUUID: DEVICE,
    driverUUID: DRIVER,
    deviceName: "a GPU",
    ...change,
  };
}

const LINEAR = "0x0000000000000000";
const TILED = "0x0300000000606015"; // an NVIDIA block-linear modifier
/** A GL whose EGL takes AB24 (RGBA8) linear and tiled, and R8 only as an external texture. */
const withDmaBuf: GlFacts = {
  ...gl,
  dmaBuf: {
    modifiers: true,
    formats: {
      AB24: [{ modifier: LINEAR, externalOnly: false }, { modifier: TILED, externalOnly: false }],
      "R8  ": [{ modifier: LINEAR, externalOnly: true }],
    },
  },
};

const rgba: GlTarget = { kind: "texture", format: "RGBA8", width: 64, height: 64 };
/** The planned texture of `rgba`, less its tiling. */
const rgba64Texture = { format: "RGBA8", width: 64, height: 64, levels: 1 } as const;

const plan = (d: unknown, target: GlTarget, facts = gl) =>
  planGlImport({ gl: facts, fd: null, descriptor: d, target, withoutFd: true });
const rules = (d: unknown, target: GlTarget, facts = gl) => {
  const r = plan(d, target, facts);
  return r.ok ? [] : r.broken.map((b) => b.rule);
};
const message = (d: unknown, target: GlTarget, facts = gl) => {
  const r = plan(d, target, facts);
  return r.ok ? "" : r.broken[0].message;
};

test("a buffer takes the whole memory less the driver's padding, or a range within it", () => {
  const whole = plan(memory(), { kind: "buffer" });
  assert(whole.ok);
  assertEquals(whole.plan.buffer, { offset: 0, size: 65536 - 8 });
  assertEquals(whole.plan.memory.size, 65536);
  const none = plan(memory(), { kind: "buffer" }, { ...gl, bufferPadding: 0 });
  assert(none.ok);
  assertEquals(none.plan.buffer, { offset: 0, size: 65536 });
  const range = plan(memory(), { kind: "buffer", offset: 4096, size: 4096 });
  assert(range.ok);
  assertEquals(range.plan.buffer, { offset: 4096, size: 4096 });
});

test("GL_BUFFER_RANGE: the buffer and the driver's padding lie within the memory", () => {
  assertEquals(rules(memory(), { kind: "buffer", size: 65536 }), ["GL_BUFFER_RANGE"]);
  assert(message(memory(), { kind: "buffer", size: 65536 }).includes("adds 8 bytes of padding"));
  assert(message(memory(), { kind: "buffer", size: 65536 }).includes("size ≤ 65528"));
  assertEquals(rules(memory(), { kind: "buffer", size: 65529 }), ["GL_BUFFER_RANGE"]);
  assertEquals(rules(memory(), { kind: "buffer", size: 65528 }), []);
  assertEquals(rules(memory(), { kind: "buffer", offset: 65536 - 8, size: 1 }), [
    "GL_BUFFER_RANGE",
  ]);
  for (const bad of [{ size: 0 }, { size: -1 }, { offset: -8 }, { size: 1.5 }, { offset: NaN }]) {
    assertEquals(
      rules(memory(), { kind: "buffer", ...bad }),
      ["GL_BUFFER_RANGE"],
      JSON.stringify(bad),
    );
  }
  assertEquals(rules(memory(), { kind: "buffer", size: 65536 }, { ...gl, bufferPadding: 0 }), []);
});

test("GL_BUFFER_RANGE: at offset 0 only where the driver ignores the offset", () => {
  const ignores = { ...gl, bufferOffsets: false };
  const at = { kind: "buffer", offset: 4096, size: 4096 } as const;
  assertEquals(rules(memory(), at, ignores), ["GL_BUFFER_RANGE"]);
  assert(message(memory(), at, ignores).includes("ignores a GL buffer's offset"));
  assertEquals(rules(memory(), { kind: "buffer", size: 4096 }, ignores), []);
  assertEquals(rules(memory(), at), []);
});

test("UUID_MISMATCH: GL imports only what its own device and driver exported, naming both", () => {
  const other = memory({ deviceUUID: "6d657361-3235-2e30-2e37-2d327e627000" });
  assertEquals(rules(other, { kind: "buffer" }), ["UUID_MISMATCH"]);
  const m = message(other, { kind: "buffer" });
  assert(m.includes("6d657361-3235") && m.includes(DEVICE), m);
  assertEquals(rules(memory({ driverUUID: DEVICE }), { kind: "buffer" }), ["UUID_MISMATCH"]);
});

test("HANDLE_TYPE_UNSUPPORTED: GL takes OPAQUE_FD memory, with GL_EXT_memory_object_fd", () => {
  const dmaBuf = memory({ handleType: "DMA_BUF" });
  assertEquals(rules(dmaBuf, { kind: "buffer" }), ["HANDLE_TYPE_UNSUPPORTED"]);
  assert(message(dmaBuf, { kind: "buffer" }).includes("EGL_EXT_image_dma_buf_import"));
  assertEquals(rules(dmaBuf, { kind: "buffer" }, withDmaBuf), ["HANDLE_TYPE_UNSUPPORTED"]);
  assert(message(dmaBuf, { kind: "buffer" }, withDmaBuf).includes("not a buffer"));
  const without = { ...gl, extensions: ["GL_EXT_memory_object"] };
  assertEquals(rules(memory(), { kind: "buffer" }, without), ["HANDLE_TYPE_UNSUPPORTED"]);
  assert(message(memory(), { kind: "buffer" }, without).includes("GL_EXT_memory_object_fd"));
});

test("semaphores: OPAQUE_FD with GL_EXT_semaphore_fd; timelines with GL_NV_timeline_semaphore", () => {
  const semaphore = (semaphoreType: "binary" | "timeline", facts = gl) =>
    planGlSemaphoreImport({
      gl: facts,
      label: "GL context",
      fd: null,
      descriptor: {
        version: 1,
        object: "semaphore",
        handleType: "OPAQUE_FD",
        semaphoreType,
        deviceUUID: DEVICE,
        driverUUID: DRIVER,
        deviceName: "a GPU",
      },
      withoutFd: true,
    });
  const ruleOf = (r: ReturnType<typeof semaphore>) => r.ok ? [] : r.broken.map((b) => b.rule);
  const typeOf = (r: ReturnType<typeof semaphore>) => r.ok ? r.plan.semaphoreType : null;
  assertEquals(ruleOf(semaphore("binary")), ["HANDLE_TYPE_UNSUPPORTED"]); // no GL_EXT_semaphore_fd
  const withSemaphores = { ...gl, extensions: [...gl.extensions, "GL_EXT_semaphore_fd"] };
  assertEquals(typeOf(semaphore("binary", withSemaphores)), "binary");
  const noTimeline = semaphore("timeline", withSemaphores);
  assertEquals(ruleOf(noTimeline), ["SEMAPHORE_TYPE_MISMATCH"]);
  assert(!noTimeline.ok && noTimeline.broken[0].message.includes("GL_NV_timeline_semaphore"));
  const withTimelines = {
    ...withSemaphores,
    extensions: [...withSemaphores.extensions, "GL_NV_timeline_semaphore"],
  };
  assertEquals(typeOf(semaphore("timeline", withTimelines)), "timeline");
  assertEquals(typeOf(semaphore("binary", withTimelines)), "binary");
  const fence = planImport({
    object: "fence",
    importer: glImporter(withSemaphores),
    fd: null,
    descriptor: {
      version: 1,
      object: "fence",
      handleType: "OPAQUE_FD",
      deviceUUID: DEVICE,
      driverUUID: DRIVER,
      deviceName: "a GPU",
    },
    withoutFd: true,
  });
  assert(!fence.ok && fence.broken[0].rule === "HANDLE_TYPE_UNSUPPORTED");
  assert(fence.broken[0].message.includes("not fences"), fence.broken[0].message);
});

test("a texture is the image the memory is dedicated to: format, extent, levels, tiling", () => {
  const img = (change = {}) => memory({ dedicated: rgba64(change) });
  const ok = plan(img(), rgba);
  assert(ok.ok);
  assertEquals(ok.plan.texture, { ...rgba64Texture, tiling: "OPTIMAL" });
  const linear = plan(img({ tiling: 1, format: 100 }), { ...rgba, format: "R32F" });
  assert(linear.ok && linear.plan.texture?.tiling === "LINEAR");
  const noLinear = { ...gl, linearTiling: false };
  assertEquals(rules(img({ tiling: 1 }), rgba, noLinear), ["GL_TEXTURE_MISMATCH"]);
  assert(message(img({ tiling: 1 }), rgba, noLinear).includes("takes no LINEAR-tiled texture"));
  const cases: [MemoryDescriptor, GlTarget, string][] = [
    [img(), { ...rgba, format: "R32F" }, "format R8G8B8A8_UNORM (texture: R32_SFLOAT)"],
    [img(), { ...rgba, width: 32 }, "extent 64x64x1 (texture: 32x64x1)"],
    [img(), { ...rgba, levels: 2 }, "mipLevels 1 (texture: 2)"],
    [img({ arrayLayers: 6 }), rgba, "arrayLayers 6 (texture: 1)"],
    [img({ imageType: 2, extent: { width: 64, height: 64, depth: 4 } }), rgba, "imageType 3D"],
    [img({ tiling: 1000158000, drmFormatModifier: "0x0000000000000000" }), rgba, "EGLImage"],
    [memory(), rgba, "a plain allocation"],
    [
      memory({
        dedicated: { kind: "buffer", size: 65536, usage: 3, flags: 0, externalHandleTypes: 1 },
      }),
      rgba,
      "dedicated to a buffer",
    ],
    [img(), { ...rgba, format: "BGRA8" as "RGBA8" }, "not one vkshare shares"],
    [img(), { ...rgba, width: 0 }, "width is a whole number from 1 to 16384"],
    [img(), { ...rgba, height: 16385 }, "GL_MAX_TEXTURE_SIZE"],
  ];
  for (const [d, t, says] of cases) {
    assertEquals(rules(d, t), ["GL_TEXTURE_MISMATCH"], says);
    assert(message(d, t).includes(says), `${says}: ${message(d, t)}`);
  }
});

test("a descriptor that is not one is BAD_DESCRIPTOR before any GL rule", () => {
  assertEquals(rules({ version: 1 }, { kind: "buffer" }), ["BAD_DESCRIPTOR"]);
  assertEquals(rules({ ...memory(), deviceUUID: 7 }, { kind: "buffer" }), ["BAD_DESCRIPTOR"]);
});

test("a dma-buf is a texture EGL takes: its DRM format, modifier and plane, within its size", () => {
  const layout = (rowPitch: number, offset = 0) => [
    { offset, size: rowPitch * 64, rowPitch, arrayPitch: 0, depthPitch: 0 },
  ];
  const foreign = (modifier: string | undefined, planeLayouts = layout(256)) =>
    dmaBufDescriptor({ size: 16384, modifier, planeLayouts });
  const ok = plan(foreign(LINEAR), rgba, withDmaBuf);
  assert(ok.ok);
  assertEquals(ok.plan.texture, {
    ...rgba64Texture,
    tiling: "DRM_FORMAT_MODIFIER",
    dmaBuf: { fourcc: 0x34324241, modifier: LINEAR, offset: 0, rowPitch: 256 },
  });
  assertEquals(GL_DRM_FORMATS.RGBA8, { fourcc: "AB24", code: 0x34324241 });
  // A Vulkan image exported as DMA_BUF brings its own modifier and plane layout.
  const imageOf = (change = {}) =>
    memory({
      handleType: "DMA_BUF",
      size: 16384,
      dedicated: rgba64({
        tiling: 1000158000,
        drmFormatModifier: TILED,
        planeLayouts: layout(256),
        ...change,
      }),
    });
  const image = imageOf();
  const fromImage = plan(image, rgba, withDmaBuf);
  assert(fromImage.ok && fromImage.plan.texture?.dmaBuf?.modifier === TILED);
  const noModifiers = { ...withDmaBuf, dmaBuf: { modifiers: false, formats: {} } };
  assert(plan(foreign(LINEAR), rgba, noModifiers).ok);
  const cases: [MemoryDescriptor, GlTarget, string, GlFacts?][] = [
    [foreign(LINEAR), { ...rgba, format: "R32F" }, "not R32F"],
    [foreign(LINEAR), { ...rgba, format: "R8" }, "only as an external texture"],
    [foreign("0x00ffffffffffffff"), rgba, "does not take AB24 with modifier 0x00ffffffffffffff"],
    [foreign(TILED), rgba, "takes linear dma-bufs only", noModifiers],
    [foreign(undefined), rgba, "no modifier"],
    [foreign(LINEAR, [...layout(128), ...layout(128, 8192)]), rgba, "2 plane layouts"],
    [foreign(LINEAR, layout(128)), rgba, "a row needs 256"],
    [foreign(LINEAR, layout(256, 4096)), rgba, "does not fit the dma-buf's 16384 bytes"],
    [foreign(LINEAR), { ...rgba, levels: 2 }, "one level"],
    [image, { ...rgba, format: "RGBA16F" }, "format R8G8B8A8_UNORM (texture: R16G16B16A16_SFLOAT)"],
    [image, { ...rgba, width: 32 }, "extent 64x64x1 (texture: 32x64x1)"],
    [imageOf({ arrayLayers: 6 }), rgba, "arrayLayers 6 (texture: 1)"],
  ];
  for (const [d, t, says, facts] of cases) {
    assertEquals(rules(d, t, facts ?? withDmaBuf), ["GL_TEXTURE_MISMATCH"], says);
    const m = message(d, t, facts ?? withDmaBuf);
    assert(m.includes(says), `${says}: ${m}`);
  }
});
