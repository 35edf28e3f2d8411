// Compute and draw (memory/pipeline.ts, Recorder.dispatch/draw/clearImage/blitImage) on a real
// driver: every word a compute shader writes, every texel a fragment shader writes, clears and
// blits that keep values exactly; and the refusals before any Vulkan call. The cross-process use
// is tests/ipc/matrix_test.ts.
import { assertEquals, assertThrows } from "@std/assert";
import { ComputePipeline, DrawPipeline } from "../../memory/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  DisposedError,
  Fence,
  GpuBuffer,
  GpuImage,
} from "../../mod.ts";
import { H, hostBuffer, IMAGE_USAGE, valueAt, W, WORDS } from "../../tools/ops.ts";
import { SPIRV } from "../../tools/shaders/spirv.ts";
import { test } from "../_harness.ts";
import { assertRule, forEachDevice } from "../_vk.ts";

const PUSH = (seed: number) => new Uint32Array([seed, WORDS, W]);

/** Runs `record` once and waits for it. */
function submit(device: Device, record: Parameters<CommandBuffer["record"]>[0]): void {
  using cmd = CommandBuffer.create(device);
  using fence = Fence.create(device);
  cmd.record(record);
  device.queue().submit({ commandBuffers: [cmd], fence });
  assertEquals(fence.wait(10_000), "signaled");
}

const words = (b: GpuBuffer) => {
  const m = b.memory!.map();
  return new Uint32Array(m.slice(0, WORDS * 4).buffer);
};
const want = (seed: number, flat = false) =>
  Uint32Array.from({ length: WORDS }, (_, i) => valueAt(flat ? 0 : i, seed));

test(
  "a compute pipeline writes every word its shader computes, and another copies them through two storage buffers",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using write = ComputePipeline.create(device, {
      code: SPIRV["buffer_write.comp"],
      bindings: ["storage-buffer"],
      pushBytes: 12,
    });
    using copy = ComputePipeline.create(device, {
      code: SPIRV["buffer_copy.comp"],
      bindings: ["storage-buffer", "storage-buffer"],
      pushBytes: 12,
    });
    using a = hostBuffer(device), b = hostBuffer(device);
    submit(device, (r) => {
      r.dispatch(write, { bindings: [a], groups: [WORDS / 64], push: PUSH(11) });
      r.barrier({
        buffer: a,
        srcStage: "COMPUTE_SHADER",
        srcAccess: "SHADER_WRITE",
        dstStage: "COMPUTE_SHADER",
        dstAccess: "SHADER_READ",
      });
      r.dispatch(copy, { bindings: [a, b], groups: [WORDS / 64], push: PUSH(0) });
      r.barrier({
        buffer: b,
        srcStage: "COMPUTE_SHADER",
        srcAccess: "SHADER_WRITE",
        dstStage: "HOST",
        dstAccess: "HOST_READ",
      });
    });
    assertEquals(words(a), want(11));
    assertEquals(words(b), want(11));
  }),
);

test(
  "a draw writes every texel its fragment shader computes; a clear and a blit keep values exactly; a sampled read fetches them",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using image = GpuImage.create(device, { width: W, height: H, usage: [...IMAGE_USAGE] });
    using _m = DeviceMemory.allocate(device, { for: image });
    using copy = GpuImage.create(device, { width: W, height: H, usage: [...IMAGE_USAGE] });
    using _c = DeviceMemory.allocate(device, { for: copy });
    using draw = DrawPipeline.create(device, {
      vertex: SPIRV["fullscreen.vert"],
      fragment: SPIRV["value.frag"],
      width: W,
      height: H,
      pushBytes: 12,
    });
    using sample = ComputePipeline.create(device, {
      code: SPIRV["image_sample.comp"],
      bindings: ["sampled-image", "storage-buffer"],
      pushBytes: 12,
    });
    using out = hostBuffer(device);
    submit(device, (r) => {
      r.imageBarrier({
        image,
        oldLayout: "UNDEFINED",
        newLayout: "COLOR_ATTACHMENT_OPTIMAL",
        srcStage: "TOP_OF_PIPE",
        dstStage: "COLOR_ATTACHMENT_OUTPUT",
        dstAccess: "COLOR_ATTACHMENT_WRITE",
      });
      r.draw(draw, { target: image, vertices: 3, push: PUSH(5) });
      r.imageBarrier({
        image,
        oldLayout: "COLOR_ATTACHMENT_OPTIMAL",
        newLayout: "TRANSFER_SRC_OPTIMAL",
        srcStage: "COLOR_ATTACHMENT_OUTPUT",
        srcAccess: "COLOR_ATTACHMENT_WRITE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_READ",
      });
      r.imageBarrier({
        image: copy,
        oldLayout: "UNDEFINED",
        newLayout: "TRANSFER_DST_OPTIMAL",
        srcStage: "TOP_OF_PIPE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_WRITE",
      });
      r.blitImage(image, copy);
      r.imageBarrier({
        image: copy,
        oldLayout: "TRANSFER_DST_OPTIMAL",
        newLayout: "SHADER_READ_ONLY_OPTIMAL",
        srcStage: "TRANSFER",
        srcAccess: "TRANSFER_WRITE",
        dstStage: "COMPUTE_SHADER",
        dstAccess: "SHADER_READ",
      });
      r.dispatch(sample, { bindings: [copy, out], groups: [W / 8, H / 8], push: PUSH(0) });
      r.barrier({
        buffer: out,
        srcStage: "COMPUTE_SHADER",
        srcAccess: "SHADER_WRITE",
        dstStage: "HOST",
        dstAccess: "HOST_READ",
      });
    });
    assertEquals(words(out), want(5), "drawn, blitted, sampled");
    const v = valueAt(0, 9);
    const rgba = [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff) / 255) as [
      number,
      number,
      number,
      number,
    ];
    submit(device, (r) => {
      r.imageBarrier({
        image,
        oldLayout: "UNDEFINED",
        newLayout: "TRANSFER_DST_OPTIMAL",
        srcStage: "TOP_OF_PIPE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_WRITE",
      });
      r.clearImage(image, rgba);
      r.imageBarrier({
        image,
        oldLayout: "TRANSFER_DST_OPTIMAL",
        newLayout: "TRANSFER_SRC_OPTIMAL",
        srcStage: "TRANSFER",
        srcAccess: "TRANSFER_WRITE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_READ",
      });
      r.copyImageToBuffer(image, out);
      r.hostRead(out);
    });
    assertEquals(words(out), want(9, true), "cleared");
  }),
);

test(
  "compute and draw refuse bad arguments before any Vulkan call, and a pipeline of another device or a disposed one",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using other = Device.create(pd);
    assertThrows(
      () => ComputePipeline.create(device, { code: new Uint32Array(8), bindings: [] }),
      TypeError,
      "SPIR-V",
    );
    const code = SPIRV["buffer_write.comp"];
    assertThrows(
      () => ComputePipeline.create(device, { code, bindings: ["uniform" as never] }),
      RangeError,
      "bindings[0]",
    );
    assertThrows(
      () => ComputePipeline.create(device, { code, bindings: [], pushBytes: 6 }),
      RangeError,
      "pushBytes",
    );
    assertThrows(
      () =>
        DrawPipeline.create(device, {
          vertex: SPIRV["fullscreen.vert"],
          fragment: SPIRV["value.frag"],
          width: 0,
          height: 4,
        }),
      RangeError,
      "width",
    );
    using p = ComputePipeline.create(device, { code, bindings: ["storage-buffer"], pushBytes: 12 });
    using b = hostBuffer(device);
    using plain = GpuBuffer.create(device, { size: 64 });
    using cmd = CommandBuffer.create(device);
    const fails = (fn: Parameters<CommandBuffer["record"]>[0]) => () => cmd.record(fn);
    assertThrows(
      fails((r) => r.dispatch(p, { bindings: [], groups: [1], push: PUSH(0) })),
      RangeError,
      "1 binding(s), 0 given",
    );
    assertThrows(
      fails((r) => r.dispatch(p, { bindings: [b], groups: [1] })),
      RangeError,
      "12 bytes of push constants, 0 given",
    );
    assertThrows(
      fails((r) => r.dispatch(p, { bindings: [b], groups: [0], push: PUSH(0) })),
      RangeError,
      "groups",
    );
    assertThrows(
      fails((r) => r.dispatch(p, { bindings: [plain], groups: [1], push: PUSH(0) })),
      Error,
      "not bound to memory",
    );
    using q = ComputePipeline.create(other, { code, bindings: ["storage-buffer"], pushBytes: 12 });
    assertRule(
      () => cmd.record((r) => r.dispatch(q, { bindings: [b], groups: [1], push: PUSH(0) })),
      "WRONG_DEVICE",
    );
    const gone = ComputePipeline.create(device, {
      code,
      bindings: ["storage-buffer"],
      pushBytes: 12,
    });
    gone[Symbol.dispose]();
    assertThrows(
      fails((r) => r.dispatch(gone, { bindings: [b], groups: [1], push: PUSH(0) })),
      DisposedError,
    );
    using draw = DrawPipeline.create(device, {
      vertex: SPIRV["fullscreen.vert"],
      fragment: SPIRV["value.frag"],
      width: 8,
      height: 8,
      pushBytes: 12,
    });
    using image = GpuImage.create(device, { width: W, height: H, usage: [...IMAGE_USAGE] });
    using _m = DeviceMemory.allocate(device, { for: image });
    assertThrows(
      fails((r) => r.draw(draw, { target: image, vertices: 3 })),
      RangeError,
      "draws R8G8B8A8_UNORM 8x8",
    );
  }),
);
