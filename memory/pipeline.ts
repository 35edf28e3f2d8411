/**
 * Compute and draw, enough to write and read shared memory with a shader: `ComputePipeline`
 * (one SPIR-V compute shader, its bindings in set 0, push constants) and `DrawPipeline` (a vertex
 * and a fragment shader drawing into one color image, no vertex input). `Recorder.dispatch` and
 * `Recorder.draw` record them; the descriptor sets, image views and framebuffers they need live
 * until the command buffer is recorded again or disposed.
 *
 * @module
 */
import { Format, type FormatName, ImageLayout } from "../core/enums.ts";
import { check } from "../core/errors.ts";
import { Resource } from "../core/resource.ts";
import type { Pointer } from "../ffi/types.ts";
import {
  cmdBind,
  cmdDispatch,
  cmdDrawPass,
  createComputePipeline,
  createDescriptorSet,
  createFramebuffer,
  createGraphicsPipeline,
  createImageView,
  createLayouts,
  createRenderPass,
  createSampler,
  createShaderModule,
  DESCRIPTOR_TYPES,
  type DescriptorWrite,
  destroy,
  SHADER_STAGES,
} from "../ffi/vk_pipeline.ts";
import type { Device } from "../vulkan/device.ts";

/**
 * What a compute pipeline's binding i (set 0) holds: a storage buffer, a storage image, or an
 * image sampled through a combined image sampler (`sampler2D`).
 *
 * @example
 * ```ts
 * const bindings: BindingKind[] = ["sampled-image", "storage-buffer"];
 * ```
 *
 * @category Vulkan objects
 */
export type BindingKind = "storage-buffer" | "storage-image" | "sampled-image";

/**
 * Options of {@linkcode ComputePipeline.create}.
 *
 * @example
 * ```ts
 * const o: ComputePipelineOptions = { code: spirv, bindings: ["storage-buffer"], pushBytes: 12 };
 * ```
 *
 * @category Vulkan objects
 */
export interface ComputePipelineOptions {
  /** The SPIR-V words of a compute shader whose entry point is `main`. */
  code: Uint32Array;
  /** Its bindings in descriptor set 0, binding i = `bindings[i]`. */
  bindings: readonly BindingKind[];
  /** Bytes of push constants (a multiple of 4, at most 128; default 0). */
  pushBytes?: number;
}

/**
 * Options of {@linkcode DrawPipeline.create}.
 *
 * @example
 * ```ts
 * const o: DrawPipelineOptions = { vertex, fragment, width: 64, height: 64, pushBytes: 12 };
 * ```
 *
 * @category Vulkan objects
 */
export interface DrawPipelineOptions {
  /** The SPIR-V words of the vertex shader (entry point `main`; no vertex input). */
  vertex: Uint32Array;
  /** The SPIR-V words of the fragment shader (entry point `main`, output at location 0). */
  fragment: Uint32Array;
  /** The color attachment's format (default R8G8B8A8_UNORM). */
  format?: FormatName;
  /** The viewport's width: the target's. */
  width: number;
  /** The viewport's height. */
  height: number;
  /** Bytes of push constants (a multiple of 4, at most 128; default 0), for both stages. */
  pushBytes?: number;
}

/** @ignore @internal What recording a pipeline needs of it. */
export interface PipelineParts {
  point: "compute" | "graphics";
  pipeline: bigint;
  layout: bigint;
  setLayout: bigint;
  stages: number;
  types: number[];
  pushBytes: number;
  renderPass: bigint;
  format: number;
  width: number;
  height: number;
}

/** @ignore @internal The parts of a pipeline (a symbol: not in the documented API). */
export const PARTS: unique symbol = Symbol("vkshare.pipelineParts");

function checkPush(bytes: number | undefined): number {
  const n = bytes ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 128 || n % 4) {
    throw new RangeError(`pushBytes: expected a multiple of 4 from 0 to 128, got ${String(bytes)}`);
  }
  return n;
}

function checkCode(words: unknown, what: string): Uint32Array {
  if (!(words instanceof Uint32Array) || words.length < 5 || words[0] !== 0x07230203) {
    throw new TypeError(
      `${what}: expected the SPIR-V words (a Uint32Array starting with 0x07230203)`,
    );
  }
  return words;
}

/** @ignore @internal A thrower for VkResults, naming the device. */
export function failOn(device: Device): (r: number, call: string) => never {
  return (r: number, call: string): never => {
    check(r, call, { device: device.physicalDevice.name });
    throw new Error(`${call} returned ${r}`);
  };
}

/**
 * A compute pipeline: one SPIR-V shader, its set 0 of `bindings`, and push constants.
 * Record it with `Recorder.dispatch`.
 *
 * @example
 * ```ts
 * using fill = ComputePipeline.create(device, { code: spirv, bindings: ["storage-buffer"], pushBytes: 12 });
 * cmd.record((r) => r.dispatch(fill, { bindings: [buffer], groups: [64], push: new Uint32Array([7, 4096, 0]) }));
 * ```
 *
 * @category Vulkan objects
 */
export class ComputePipeline extends Resource {
  /** The device. */
  readonly device: Device;
  /** Its bindings, in order. */
  readonly bindings: readonly BindingKind[];
  /** Its push constants' size in bytes. */
  readonly pushBytes: number;
  /** `ComputePipeline of Device "..."`, for messages. */
  readonly label: string;
  readonly #parts: PipelineParts;

  /** @ignore @internal What recording it needs (after checking it is alive). */
  get [PARTS](): PipelineParts {
    this.alive();
    return this.#parts;
  }

  /** @ignore Made by {@linkcode ComputePipeline.create}. */
  private constructor(device: Device, options: ComputePipelineOptions, parts: PipelineParts) {
    super();
    this.device = device;
    this.bindings = [...options.bindings];
    this.pushBytes = options.pushBytes ?? 0;
    this.label = `ComputePipeline of ${device.label}`;
    this.#parts = parts;
    this.adopt(device);
  }

  /** Creates the shader module, the layouts and the pipeline (the module is freed after). */
  static create(device: Device, options: ComputePipelineOptions): ComputePipeline {
    const code = checkCode(options?.code, "code");
    const pushBytes = checkPush(options.pushBytes);
    const types = (options.bindings ?? []).map((b, i) => {
      if (!Object.hasOwn(DESCRIPTOR_TYPES, b)) {
        throw new RangeError(
          `bindings[${i}]: expected one of ${Object.keys(DESCRIPTOR_TYPES).join(", ")}, got ${
            String(b)
          }`,
        );
      }
      return DESCRIPTOR_TYPES[b];
    });
    const d = device.live;
    const fail = failOn(device);
    const module = createShaderModule(d, code, fail);
    let layouts: { setLayout: bigint; layout: bigint } | null = null;
    try {
      layouts = createLayouts(d, types, SHADER_STAGES.compute, pushBytes, fail);
      const pipeline = createComputePipeline(d, module, layouts.layout, fail);
      const parts = {
        point: "compute" as const,
        pipeline,
        ...layouts,
        stages: SHADER_STAGES.compute,
        types,
        pushBytes,
        renderPass: 0n,
        format: 0,
        width: 0,
        height: 0,
      };
      return new ComputePipeline(device, options, parts);
    } catch (e) {
      if (layouts) destroyParts(d, { ...layouts, pipeline: 0n, renderPass: 0n });
      throw e;
    } finally {
      destroy(d, "shader", module);
    }
  }

  /** Destroys the pipeline and its layouts. */
  protected destroy(): void {
    destroyParts(this.device.handle, this.#parts);
  }
}

/**
 * A draw pipeline: a vertex and a fragment shader drawing into one color image of `format`,
 * `width` × `height`, kept in COLOR_ATTACHMENT_OPTIMAL (its contents are loaded and stored).
 * Record it with `Recorder.draw`.
 *
 * @example
 * ```ts
 * using draw = DrawPipeline.create(device, { vertex, fragment, width: 64, height: 64 });
 * cmd.record((r) => r.draw(draw, { target: image, vertices: 3 }));
 * ```
 *
 * @category Vulkan objects
 */
export class DrawPipeline extends Resource {
  /** The device. */
  readonly device: Device;
  /** The target's format. */
  readonly format: FormatName;
  /** Its push constants' size in bytes. */
  readonly pushBytes: number;
  /** `DrawPipeline of Device "..."`, for messages. */
  readonly label: string;
  readonly #parts: PipelineParts;

  /** @ignore @internal What recording it needs (after checking it is alive). */
  get [PARTS](): PipelineParts {
    this.alive();
    return this.#parts;
  }

  /** @ignore Made by {@linkcode DrawPipeline.create}. */
  private constructor(device: Device, format: FormatName, parts: PipelineParts) {
    super();
    this.device = device;
    this.format = format;
    this.pushBytes = parts.pushBytes;
    this.label = `DrawPipeline of ${device.label}`;
    this.#parts = parts;
    this.adopt(device);
  }

  /** Creates the shader modules, the layout, the render pass and the pipeline. */
  static create(device: Device, options: DrawPipelineOptions): DrawPipeline {
    const vertexCode = checkCode(options?.vertex, "vertex");
    const fragmentCode = checkCode(options.fragment, "fragment");
    const pushBytes = checkPush(options.pushBytes);
    const formatName = options.format ?? "R8G8B8A8_UNORM";
    if (!Object.hasOwn(Format, formatName)) {
      throw new RangeError(`format: ${String(formatName)} is not a format vkshare names`);
    }
    const { width, height } = options;
    for (const [k, v] of [["width", width], ["height", height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 16384) {
        throw new RangeError(`${k}: expected 1 to 16384, got ${String(v)}`);
      }
    }
    const d = device.live;
    const fail = failOn(device);
    const stages = SHADER_STAGES.vertex | SHADER_STAGES.fragment;
    const made = { pipeline: 0n, layout: 0n, setLayout: 0n, renderPass: 0n };
    const vertex = createShaderModule(d, vertexCode, fail);
    let fragment = 0n;
    try {
      fragment = createShaderModule(d, fragmentCode, fail);
      Object.assign(made, createLayouts(d, [], stages, pushBytes, fail));
      const format = Format[formatName];
      made.renderPass = createRenderPass(d, format, ImageLayout.COLOR_ATTACHMENT_OPTIMAL, fail);
      made.pipeline = createGraphicsPipeline(
        d,
        { vertex, fragment },
        made.layout,
        made.renderPass,
        { width, height },
        fail,
      );
      const parts = {
        point: "graphics" as const,
        ...made,
        stages,
        types: [],
        pushBytes,
        format,
        width,
        height,
      };
      return new DrawPipeline(device, formatName, parts);
    } catch (e) {
      destroyParts(d, made);
      throw e;
    } finally {
      destroy(d, "shader", vertex);
      destroy(d, "shader", fragment);
    }
  }

  /** Destroys the pipeline, its render pass and its layouts. */
  protected destroy(): void {
    destroyParts(this.device.handle, this.#parts);
  }
}

function destroyParts(
  d: Parameters<typeof destroy>[0],
  p: { pipeline: bigint; layout: bigint; setLayout: bigint; renderPass: bigint },
): void {
  destroy(d, "pipeline", p.pipeline);
  destroy(d, "renderPass", p.renderPass);
  destroy(d, "layout", p.layout);
  destroy(d, "setLayout", p.setLayout);
}

/** @ignore @internal One binding resolved by the recorder: a buffer, or an image in a layout. */
export type ResolvedBinding =
  | { kind: "storage-buffer"; buffer: bigint }
  | { kind: "storage-image" | "sampled-image"; image: bigint; format: number; layout: number };

/**
 * @ignore @internal Records a dispatch of `parts` with `bindings` on `cmd`; returns what frees
 * the descriptor set, views and sampler it made (after the command buffer's execution).
 */
export function recordDispatch(
  cmd: Pointer,
  device: Pointer,
  parts: PipelineParts,
  bindings: readonly ResolvedBinding[],
  run: { groups: readonly [number, number, number]; push: Uint32Array | null },
  fail: (r: number, call: string) => never,
): () => void {
  const views: bigint[] = [];
  let sampler = 0n;
  let pool = 0n;
  const cleanup = () => {
    destroy(device, "pool", pool);
    views.forEach((v) => destroy(device, "view", v));
    destroy(device, "sampler", sampler);
  };
  try {
    const writes: DescriptorWrite[] = bindings.map((b, i) => {
      const type = parts.types[i];
      if (b.kind === "storage-buffer") return { type, buffer: b.buffer };
      const view = createImageView(device, b.image, b.format, fail);
      views.push(view);
      if (b.kind === "storage-image") return { type, view, layout: b.layout };
      sampler ||= createSampler(device, fail);
      return { type, view, layout: b.layout, sampler };
    });
    const made = writes.length
      ? createDescriptorSet(device, parts.setLayout, parts.types, writes, fail)
      : null;
    pool = made?.pool ?? 0n;
    cmdBind(cmd, { ...parts, set: made?.set ?? null }, run.push);
    cmdDispatch(cmd, run.groups);
    return cleanup;
  } catch (e) {
    cleanup();
    throw e;
  }
}

/**
 * @ignore @internal Records a draw of `vertices` with `parts` into `target` (in
 * COLOR_ATTACHMENT_OPTIMAL) on `cmd`; returns what frees the view and framebuffer it made.
 */
export function recordDraw(
  cmd: Pointer,
  device: Pointer,
  parts: PipelineParts,
  target: bigint,
  run: { vertices: number; push: Uint32Array | null },
  fail: (r: number, call: string) => never,
): () => void {
  const view = createImageView(device, target, parts.format, fail);
  let framebuffer = 0n;
  const cleanup = () => {
    destroy(device, "framebuffer", framebuffer);
    destroy(device, "view", view);
  };
  try {
    framebuffer = createFramebuffer(device, parts.renderPass, view, parts, fail);
    cmdBind(cmd, { ...parts, set: null }, run.push);
    cmdDrawPass(cmd, { ...parts, framebuffer }, run.vertices);
    return cleanup;
  } catch (e) {
    cleanup();
    throw e;
  }
}
