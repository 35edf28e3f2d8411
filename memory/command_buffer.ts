/**
 * `CommandBuffer`: a primary command buffer (with its own pool) recorded from a script with a
 * {@linkcode Recorder}: fill and copy buffers, and buffer barriers, including the ownership
 * transfers to and from `VK_QUEUE_FAMILY_EXTERNAL` that memory shared with another device or
 * API needs.
 *
 * @module
 */
import {
  Access,
  type AccessName,
  BufferUsage,
  enumValue,
  flagMask,
  Format,
  FORMAT_PLANES,
  FORMAT_TEXEL_BYTES,
  formatNameOf,
  ImageLayout,
  type ImageLayoutName,
  ImageUsage,
  PipelineStage,
  type PipelineStageName,
  QUEUE_FAMILY_EXTERNAL,
  QUEUE_FAMILY_IGNORED,
} from "../core/enums.ts";
import { check, ShareError, show } from "../core/errors.ts";
import { out64 } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import { SETTLE_MS, warnLeak } from "../core/time.ts";
import { Arena, encode, encodeFlat, fastPaths, KeptStruct } from "../ffi/layout.ts";
import { rt } from "../ffi/runtime.ts";
import type { Pointer } from "../ffi/types.ts";
import { cmdBlit, cmdClear } from "../ffi/vk_pipeline.ts";
import {
  VkBufferCopy,
  VkBufferImageCopy,
  VkBufferMemoryBarrier,
  VkCommandBufferAllocateInfo,
  VkCommandBufferBeginInfo,
  VkCommandPoolCreateInfo,
  VkImageMemoryBarrier,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import {
  type CommandBufferHooks,
  type Device,
  QUEUE_HOOKS,
  type Submission,
} from "../vulkan/device.ts";
import type { GpuBuffer } from "./gpu_buffer.ts";
import type { GpuImage } from "./gpu_image.ts";
import {
  type ComputePipeline,
  type DrawPipeline,
  failOn,
  PARTS,
  recordDispatch,
  recordDraw,
  type ResolvedBinding,
} from "./pipeline.ts";

/**
 * What each command buffer's recording made for its own use (descriptor sets, image views,
 * framebuffers): freed when it is recorded again or disposed, after its last execution.
 */
const transients = new WeakMap<CommandBuffer, (() => void)[]>();

function releaseTransients(cmd: CommandBuffer): void {
  const list = transients.get(cmd);
  transients.delete(cmd);
  list?.forEach((free) => free());
}

/**
 * Options of {@linkcode Recorder.dispatch}.
 *
 * @example
 * ```ts
 * const o: DispatchOptions = { bindings: [buffer], groups: [64], push: new Uint32Array([7, 4096, 0]) };
 * ```
 *
 * @category Vulkan objects
 */
export interface DispatchOptions {
  /**
   * Binding i of set 0: a buffer (a storage buffer), or an image (a storage image in GENERAL, a
   * sampled image in SHADER_READ_ONLY_OPTIMAL), or `{ image, layout }` for an image in another
   * layout (the one it is in when the dispatch runs).
   */
  bindings: readonly (GpuBuffer | GpuImage | { image: GpuImage; layout: ImageLayoutName })[];
  /** Workgroups in x, y and z (y and z default to 1). */
  groups: readonly [number, number?, number?];
  /** The push constants (the pipeline's `pushBytes` of them). */
  push?: Uint32Array;
}

const RESET_COMMAND_BUFFER = 0x2;
const ONE_TIME_SUBMIT = 0x1;
const SIMULTANEOUS_USE = 0x4;
const WHOLE = 0xffff_ffff_ffff_ffffn;

// The structs each recording rewrites, made at their first use: recording is synchronous, so
// one of each serves every command buffer (fastPaths off: each encoded on every call).
const kept: {
  copy?: KeptStruct<typeof VkBufferCopy>;
  barrier?: KeptStruct<typeof VkBufferMemoryBarrier>;
  begin: Map<boolean, Uint8Array>;
} = { begin: new Map() };

/** VkCommandBufferBeginInfo for a one-time recording or a reusable one (encoded once each). */
function beginInfo(oneTime: boolean): Uint8Array {
  let bytes = fastPaths.enabled ? kept.begin.get(oneTime) : undefined;
  if (!bytes) {
    bytes = encodeFlat(VkCommandBufferBeginInfo, {
      flags: oneTime ? ONE_TIME_SUBMIT : SIMULTANEOUS_USE,
    });
    kept.begin.set(oneTime, bytes);
  }
  return bytes;
}

/**
 * A byte range of a buffer.
 *
 * @example
 * ```ts
 * transfer.read(buffer, { offset: 4096, size: 256 } satisfies Range);
 * ```
 *
 * @category Vulkan objects
 */
export interface Range {
  /** Offset in bytes (default 0). */
  offset?: number | bigint;
  /** Size in bytes (default: to the end of the buffer). */
  size?: number | bigint;
}

/**
 * The regions of a copy.
 *
 * @example
 * ```ts
 * cmd.record((r) => r.copy(src, dst, { srcOffset: 0, dstOffset: 256, size: 1024 }));
 * ```
 *
 * @category Vulkan objects
 */
export interface CopyRegion {
  /** Offset in the source (default 0). */
  srcOffset?: number | bigint;
  /** Offset in the destination (default 0). */
  dstOffset?: number | bigint;
  /** Bytes to copy (default: the rest of the source). */
  size?: number | bigint;
}

/**
 * Stages or access types: one name, a list of names, or a mask (e.g. `"TRANSFER"`).
 *
 * @example
 * ```ts
 * const stages: Flags<PipelineStageName> = ["TRANSFER", "HOST"];
 * ```
 *
 * @category Vulkan objects
 */
export type Flags<N extends string> = N | readonly N[] | number;

/**
 * A queue family in a barrier: an index, `external` (another device or API), or `ignored`.
 *
 * @example
 * ```ts
 * const to: QueueFamilyRef = "external"; // another device, process or API
 * ```
 *
 * @category Vulkan objects
 */
export type QueueFamilyRef = number | "external" | "ignored";

/**
 * A `VkBufferMemoryBarrier` with the stages around it.
 *
 * @example
 * ```ts
 * cmd.record((r) => r.barrier({ buffer, srcStage: "TRANSFER", dstStage: "HOST", srcAccess: "TRANSFER_WRITE", dstAccess: "HOST_READ" }));
 * ```
 *
 * @category Vulkan objects
 */
export interface BufferBarrier {
  /** The buffer. */
  buffer: GpuBuffer;
  /** The range (default: all of it). */
  range?: Range;
  /** Stages that must finish first. */
  srcStage: Flags<PipelineStageName>;
  /** Stages that wait. */
  dstStage: Flags<PipelineStageName>;
  /** Writes to make available (default none). */
  srcAccess?: Flags<AccessName>;
  /** Accesses to make them visible to (default none). */
  dstAccess?: Flags<AccessName>;
  /** The queue family that releases ownership (default `ignored`: no transfer). */
  srcQueueFamily?: QueueFamilyRef;
  /** The queue family that acquires it (default `ignored`). */
  dstQueueFamily?: QueueFamilyRef;
}

/**
 * A `VkImageMemoryBarrier` over a whole image (every mip level and layer), with its stages.
 *
 * @example
 * ```ts
 * cmd.record((r) =>
 *   r.imageBarrier({ image, oldLayout: "UNDEFINED", newLayout: "TRANSFER_DST_OPTIMAL", srcStage: "TOP_OF_PIPE", dstStage: "TRANSFER", dstAccess: "TRANSFER_WRITE" })
 * );
 * ```
 *
 * @category Vulkan objects
 */
export interface ImageBarrier {
  /** The image. */
  image: GpuImage;
  /** The layout it is in (`UNDEFINED` discards its contents). */
  oldLayout: ImageLayoutName;
  /** The layout it moves to. */
  newLayout: ImageLayoutName;
  /** Stages that must finish first. */
  srcStage: Flags<PipelineStageName>;
  /** Stages that wait. */
  dstStage: Flags<PipelineStageName>;
  /** Writes to make available (default none). */
  srcAccess?: Flags<AccessName>;
  /** Accesses to make them visible to (default none). */
  dstAccess?: Flags<AccessName>;
  /** The queue family that releases ownership (default `ignored`: no transfer). */
  srcQueueFamily?: QueueFamilyRef;
  /** The queue family that acquires it (default `ignored`). */
  dstQueueFamily?: QueueFamilyRef;
}

/**
 * The bytes of mip level 0 of `image`, every layer, tightly packed: what
 * {@linkcode Recorder.copyBufferToImage} and {@linkcode Recorder.copyImageToBuffer} move.
 *
 * @example
 * ```ts
 * imageBytes(image); // width × height × depth × layers × texel bytes
 * ```
 *
 * @category Vulkan objects
 */
export function imageBytes(image: GpuImage): number {
  return imagePlanes(image).reduce((n, p) => n + p.bytes, 0);
}

/** One plane of an image as the copies move it: its aspect, extent and packed size. */
interface PlaneCopy {
  aspect: number;
  extent: { width: number; height: number; depth: number };
  bytes: number;
}

/**
 * The planes of `image` as {@linkcode imageBytes} packs them, in order: one per plane of a
 * multi-plane format (aspect PLANE_i, its extent divided as {@linkcode FORMAT_PLANES} says), else
 * the whole image (COLOR, or DEPTH for D32_SFLOAT).
 */
function imagePlanes(image: GpuImage): PlaneCopy[] {
  if (!isImageLike(image)) wrongKind("GpuImage", image);
  const { extent, arrayLayers, format } = image.info;
  const name = formatNameOf(format)!;
  const planes = FORMAT_PLANES[name];
  if (!planes) {
    const aspect = format === Format.D32_SFLOAT ? 0x2 : 0x1; // DEPTH : COLOR
    const bytes = extent.width * extent.height * extent.depth * arrayLayers
      * FORMAT_TEXEL_BYTES[name];
    return [{ aspect, extent, bytes }];
  }
  return planes.map((p, i) => {
    const e = {
      width: Math.ceil(extent.width / p.widthDivisor),
      height: Math.ceil(extent.height / p.heightDivisor),
      depth: extent.depth,
    };
    return {
      aspect: 0x10 << i, // VK_IMAGE_ASPECT_PLANE_i_BIT
      extent: e,
      bytes: e.width * e.height * e.depth * arrayLayers * p.texelBytes,
    };
  });
}

function aspectOf(image: GpuImage): number {
  // A barrier on a multi-plane image (not disjoint) names COLOR for all of its planes.
  return image.info.format === Format.D32_SFLOAT ? 0x2 : 0x1; // DEPTH : COLOR
}

/**
 * @ignore @internal Checks a range of `buffer`; returns offset and size.
 *
 * @category Vulkan objects
 */
export function checkRange(buffer: GpuBuffer, r?: Range): { offset: bigint; size: bigint } {
  if (!isBufferLike(buffer)) wrongKind("GpuBuffer", buffer);
  r ??= {};
  const offset = BigInt(r.offset ?? 0);
  const size = r.size === undefined ? BigInt(buffer.size) - offset : BigInt(r.size);
  if (offset < 0n || size <= 0n || offset + size > buffer.size) {
    throw new RangeError(`range: offset ${offset} and size ${size} do not fit in ${buffer.label}`);
  }
  return { offset, size };
}

// Whether `v` looks like a GpuBuffer (its size) or a GpuImage (its info): the classes are not
// imported here (they import this module).
function isBufferLike(v: unknown): boolean {
  const b = v as { size?: unknown; usage?: unknown } | null;
  return typeof b?.size === "number" && typeof b?.usage === "number";
}

function isImageLike(v: unknown): boolean {
  const info = (v as { info?: { kind?: unknown } } | null)?.info;
  return typeof info === "object" && info?.kind === "image";
}

/** The TypeError for an argument that is not the `expected` kind (an image for a buffer, say). */
function wrongKind(expected: "GpuBuffer" | "GpuImage", v: unknown): never {
  const label = (v as { label?: unknown } | null)?.label;
  const is = (what: string) => typeof label === "string" && label.startsWith(what);
  const hint = expected !== "GpuBuffer"
    ? ""
    : is("Image ")
    ? " (an image: Transfer.writeImage and readImage copy images)"
    : is("Memory ")
    ? " (memory: copy through a GpuBuffer bound to it, or map() host-visible memory)"
    : "";
  throw new TypeError(
    `expected a ${expected}, got ${typeof label === "string" ? label : show(v)}${hint}`,
  );
}

function flags<N extends string>(
  table: Record<N, number>,
  v: Flags<N> | undefined,
  what: string,
): number {
  if (v === undefined) return 0;
  return flagMask(table, typeof v === "string" ? [v] : v as readonly N[] | number, what);
}

function family(f: QueueFamilyRef | undefined): number {
  if (f === undefined || f === "ignored") return QUEUE_FAMILY_IGNORED;
  if (f === "external") return QUEUE_FAMILY_EXTERNAL;
  if (!Number.isInteger(f) || f < 0) {
    throw new RangeError(`queue family: ${f} is not an index`);
  }
  return f;
}

/**
 * Records commands into a {@linkcode CommandBuffer}; valid only inside `record`'s callback.
 *
 * @example
 * ```ts
 * cmd.record((r) => {
 *   r.fill(buffer, 0xdeadbeef);
 *   r.release(buffer); // to another device, after the fill
 * });
 * ```
 *
 * @category Vulkan objects
 */
export class Recorder {
  readonly #cmd: CommandBuffer;
  #open = true;

  /** @ignore @internal Made by {@linkcode CommandBuffer.record}. */
  constructor(cmd: CommandBuffer) {
    this.#cmd = cmd;
  }

  /** Fills a range of `dst` (offset and size multiples of 4) with the 32-bit `value`. */
  fill(dst: GpuBuffer, value: number, range?: Range): this {
    range ??= {};
    const h = this.#buffer(dst, "TRANSFER_DST");
    const { offset, size } = checkRange(dst, range);
    if (offset % 4n || (range.size !== undefined && size % 4n)) {
      throw new RangeError(`fill: offset ${offset} and size ${size} must be multiples of 4`);
    }
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`fill: value must be a uint32, got ${value}`);
    }
    vk().vkCmdFillBuffer(this.#handle, h, offset, range.size === undefined ? WHOLE : size, value);
    return this;
  }

  /** Copies bytes from `src` to `dst` (ranges in one buffer must not overlap). */
  copy(src: GpuBuffer, dst: GpuBuffer, region?: CopyRegion): this {
    region ??= {};
    const hs = this.#buffer(src, "TRANSFER_SRC");
    const hd = this.#buffer(dst, "TRANSFER_DST");
    const s = checkRange(src, { offset: region.srcOffset, size: region.size });
    const t = checkRange(dst, { offset: region.dstOffset, size: s.size });
    if (src === dst && s.offset < t.offset + s.size && t.offset < s.offset + s.size) {
      throw new RangeError(
        `copy: the source [${s.offset}, +${s.size}) and destination [${t.offset}, +${s.size}) overlap in ${src.label}`,
      );
    }
    const copied = { srcOffset: s.offset, dstOffset: t.offset, size: s.size };
    if (fastPaths.enabled) {
      const k = kept.copy ??= new KeptStruct(VkBufferCopy, copied);
      k.setU64("srcOffset", s.offset);
      k.setU64("dstOffset", t.offset);
      k.setU64("size", s.size);
      vk().vkCmdCopyBuffer(this.#handle, hs, hd, 1, k.bytes);
      return this;
    }
    using arena = new Arena();
    vk().vkCmdCopyBuffer(this.#handle, hs, hd, 1, encode(VkBufferCopy, copied, arena).bytes);
    return this;
  }

  /** Records one buffer memory barrier (`vkCmdPipelineBarrier`). */
  barrier(b: BufferBarrier): this {
    const h = this.#buffer(b.buffer);
    const { offset, size } = checkRange(b.buffer, b.range);
    const value = {
      srcAccessMask: flags(Access, b.srcAccess, "srcAccess"),
      dstAccessMask: flags(Access, b.dstAccess, "dstAccess"),
      srcQueueFamilyIndex: family(b.srcQueueFamily),
      dstQueueFamilyIndex: family(b.dstQueueFamily),
      buffer: h,
      offset,
      size: b.range?.size === undefined ? WHOLE : size,
    };
    if (fastPaths.enabled) {
      const k = kept.barrier ??= new KeptStruct(VkBufferMemoryBarrier, value);
      k.setU32("srcAccessMask", value.srcAccessMask);
      k.setU32("dstAccessMask", value.dstAccessMask);
      k.setU32("srcQueueFamilyIndex", value.srcQueueFamilyIndex);
      k.setU32("dstQueueFamilyIndex", value.dstQueueFamilyIndex);
      k.setU64("buffer", h);
      k.setU64("offset", offset);
      k.setU64("size", value.size);
      return this.#pipelineBarrier("barrier", b, k.bytes, null);
    }
    using arena = new Arena();
    const barrier = encode(VkBufferMemoryBarrier, value, arena);
    return this.#pipelineBarrier("barrier", b, barrier.bytes, null);
  }

  /**
   * Releases `buffer` to another device or API (to `VK_QUEUE_FAMILY_EXTERNAL`), after the
   * writes of `srcStage` (default: transfer writes). Signal a semaphore after it.
   */
  release(
    buffer: GpuBuffer,
    options?: { srcStage?: Flags<PipelineStageName>; srcAccess?: Flags<AccessName> },
  ): this {
    options ??= {};
    return this.barrier({ buffer, ...this.#toExternal(options) });
  }

  /**
   * Acquires `buffer` from another device or API (from `VK_QUEUE_FAMILY_EXTERNAL`) for the
   * accesses of `dstStage` (default: transfer reads and writes). Wait on a semaphore before it.
   */
  acquire(
    buffer: GpuBuffer,
    options?: { dstStage?: Flags<PipelineStageName>; dstAccess?: Flags<AccessName> },
  ): this {
    options ??= {};
    return this.barrier({ buffer, ...this.#fromExternal(options) });
  }

  /**
   * Hands `image` off to another device or API: moves it from `oldLayout` to `layout` (default
   * `GENERAL`) and releases it to `VK_QUEUE_FAMILY_EXTERNAL` in one barrier, after the writes of
   * `srcStage`. `GENERAL` is what an API that is not Vulkan-compatible needs: the external memory
   * extension (its issue 2) says an image shared with one is transitioned to
   * `VK_IMAGE_LAYOUT_GENERAL` before it is handed off. Signal a semaphore after it.
   *
   * @example
   * ```ts
   * cmd.record((r) => r.releaseImage(image, { oldLayout: "TRANSFER_DST_OPTIMAL" }));
   * ```
   */
  releaseImage(
    image: GpuImage,
    options: {
      oldLayout: ImageLayoutName;
      layout?: ImageLayoutName;
      srcStage?: Flags<PipelineStageName>;
      srcAccess?: Flags<AccessName>;
    },
  ): this {
    return this.imageBarrier({
      image,
      oldLayout: options.oldLayout,
      newLayout: options.layout ?? "GENERAL",
      ...this.#toExternal(options),
    });
  }

  /**
   * Takes `image` back from another device or API: acquires it from `VK_QUEUE_FAMILY_EXTERNAL`
   * in the layout it was handed off in (`layout`, default `GENERAL`, as
   * {@linkcode Recorder.releaseImage} leaves it) and moves it to `newLayout` for the accesses of
   * `dstStage`. Wait on a semaphore before it.
   *
   * @example
   * ```ts
   * cmd.record((r) => r.acquireImage(image, { newLayout: "TRANSFER_SRC_OPTIMAL" }));
   * ```
   */
  acquireImage(
    image: GpuImage,
    options: {
      newLayout: ImageLayoutName;
      layout?: ImageLayoutName;
      dstStage?: Flags<PipelineStageName>;
      dstAccess?: Flags<AccessName>;
    },
  ): this {
    return this.imageBarrier({
      image,
      oldLayout: options.layout ?? "GENERAL",
      newLayout: options.newLayout,
      ...this.#fromExternal(options),
    });
  }

  /** A release's half of a barrier: after `srcStage`'s writes, to VK_QUEUE_FAMILY_EXTERNAL. */
  #toExternal(o: { srcStage?: Flags<PipelineStageName>; srcAccess?: Flags<AccessName> }) {
    return {
      srcStage: o.srcStage ?? "TRANSFER",
      srcAccess: o.srcAccess ?? "TRANSFER_WRITE",
      dstStage: "BOTTOM_OF_PIPE",
      srcQueueFamily: this.#cmd.queueFamily,
      dstQueueFamily: "external",
    } as const;
  }

  /** An acquire's half: from VK_QUEUE_FAMILY_EXTERNAL, for `dstStage`'s accesses. */
  #fromExternal(o: { dstStage?: Flags<PipelineStageName>; dstAccess?: Flags<AccessName> }) {
    return {
      srcStage: "TOP_OF_PIPE",
      dstStage: o.dstStage ?? "TRANSFER",
      dstAccess: o.dstAccess ?? ["TRANSFER_READ", "TRANSFER_WRITE"],
      srcQueueFamily: "external",
      dstQueueFamily: this.#cmd.queueFamily,
    } as const;
  }

  /** Records one image memory barrier over the whole image (`vkCmdPipelineBarrier`). */
  imageBarrier(b: ImageBarrier): this {
    const h = this.#image(b.image);
    // A transfer layout needs the matching usage (VUID-VkImageMemoryBarrier-oldLayout-01212/01213).
    for (const layout of [b.oldLayout, b.newLayout]) {
      if (layout === "TRANSFER_SRC_OPTIMAL") this.#image(b.image, "TRANSFER_SRC");
      if (layout === "TRANSFER_DST_OPTIMAL") this.#image(b.image, "TRANSFER_DST");
    }
    using arena = new Arena();
    const barrier = encode(VkImageMemoryBarrier, {
      srcAccessMask: flags(Access, b.srcAccess, "srcAccess"),
      dstAccessMask: flags(Access, b.dstAccess, "dstAccess"),
      oldLayout: enumValue(ImageLayout, b.oldLayout, "oldLayout"),
      newLayout: enumValue(ImageLayout, b.newLayout, "newLayout"),
      srcQueueFamilyIndex: family(b.srcQueueFamily),
      dstQueueFamilyIndex: family(b.dstQueueFamily),
      image: h,
      subresourceRange: {
        aspectMask: aspectOf(b.image),
        baseMipLevel: 0,
        levelCount: b.image.info.mipLevels,
        baseArrayLayer: 0,
        layerCount: b.image.info.arrayLayers,
      },
    }, arena);
    this.#pipelineBarrier("imageBarrier", b, null, barrier.bytes);
    // What later commands of vkshare's (Transfer.readImage) take it to be in.
    b.image.layout = b.dstQueueFamily === "external" ? null : b.newLayout;
    return this;
  }

  /**
   * Copies {@linkcode imageBytes} bytes of `buffer` (tightly packed texels from `bufferOffset`)
   * into mip level 0, every layer, of `image`, which is in `layout` (default
   * `TRANSFER_DST_OPTIMAL`: transition it first with {@linkcode Recorder.imageBarrier}).
   */
  copyBufferToImage(
    buffer: GpuBuffer,
    image: GpuImage,
    options?: { bufferOffset?: number | bigint; layout?: ImageLayoutName },
  ): this {
    options ??= {};
    return this.#copyImage("to image", buffer, image, options);
  }

  /**
   * Copies mip level 0, every layer, of `image` (in `layout`, default `TRANSFER_SRC_OPTIMAL`)
   * into `buffer` at `bufferOffset`, tightly packed ({@linkcode imageBytes} bytes).
   */
  copyImageToBuffer(
    image: GpuImage,
    buffer: GpuBuffer,
    options?: { bufferOffset?: number | bigint; layout?: ImageLayoutName },
  ): this {
    options ??= {};
    return this.#copyImage("to buffer", buffer, image, options);
  }

  #copyImage(
    direction: "to image" | "to buffer",
    buffer: GpuBuffer,
    image: GpuImage,
    options: { bufferOffset?: number | bigint; layout?: ImageLayoutName },
  ): this {
    const toImage = direction === "to image";
    const hb = this.#buffer(buffer, toImage ? "TRANSFER_SRC" : "TRANSFER_DST");
    const hi = this.#image(image, toImage ? "TRANSFER_DST" : "TRANSFER_SRC");
    const layout = enumValue(
      ImageLayout,
      options.layout ?? (toImage ? "TRANSFER_DST_OPTIMAL" : "TRANSFER_SRC_OPTIMAL"),
      "layout",
    );
    using arena = new Arena();
    const [count, regions] = this.#imageRegions(buffer, image, options.bufferOffset, arena);
    if (toImage) vk().vkCmdCopyBufferToImage(this.#handle, hb, hi, layout, count, regions);
    else vk().vkCmdCopyImageToBuffer(this.#handle, hi, layout, hb, count, regions);
    return this;
  }

  /** One `vkCmdPipelineBarrier` with a buffer or an image barrier, between `b`'s stages. */
  #pipelineBarrier(
    what: string,
    b: { srcStage: Flags<PipelineStageName>; dstStage: Flags<PipelineStageName> },
    buffer: Uint8Array | null,
    image: Uint8Array | null,
  ): this {
    const srcStage = flags(PipelineStage, b.srcStage, "srcStage");
    const dstStage = flags(PipelineStage, b.dstStage, "dstStage");
    if (!srcStage || !dstStage) {
      throw new RangeError(`${what}: srcStage and dstStage are required`);
    }
    vk().vkCmdPipelineBarrier(
      this.#handle,
      srcStage,
      dstStage,
      0,
      0,
      null,
      buffer ? 1 : 0,
      buffer,
      image ? 1 : 0,
      image,
    );
    return this;
  }

  /** One VkBufferImageCopy per plane, the planes packed one after another in `buffer`. */
  #imageRegions(
    buffer: GpuBuffer,
    image: GpuImage,
    bufferOffset: number | bigint | undefined,
    arena: Arena,
  ): [number, Uint8Array] {
    const planes = imagePlanes(image);
    const bytes = BigInt(planes.reduce((n, p) => n + p.bytes, 0));
    const { offset } = checkRange(buffer, { offset: bufferOffset ?? 0, size: bytes });
    const out = new Uint8Array(VkBufferImageCopy.size * planes.length);
    let at = offset;
    planes.forEach((p, i) => {
      out.set(
        encode(VkBufferImageCopy, {
          bufferOffset: at,
          bufferRowLength: 0,
          bufferImageHeight: 0,
          imageSubresource: {
            aspectMask: p.aspect,
            mipLevel: 0,
            baseArrayLayer: 0,
            layerCount: image.info.arrayLayers,
          },
          imageOffset: { x: 0, y: 0, z: 0 },
          imageExtent: p.extent,
        }, arena).bytes,
        i * VkBufferImageCopy.size,
      );
      at += BigInt(p.bytes);
    });
    return [planes.length, out];
  }

  /**
   * Records a dispatch of `pipeline`: its bindings (set 0) made from `options.bindings`, its push
   * constants, and `options.groups` workgroups. Put the barriers the shader's accesses need
   * around it (stage COMPUTE_SHADER, access SHADER_READ or SHADER_WRITE).
   *
   * @example
   * ```ts
   * cmd.record((r) => r.dispatch(pipeline, { bindings: [src, dst], groups: [16, 16] }));
   * ```
   */
  dispatch(pipeline: ComputePipeline, options: DispatchOptions): this {
    const handle = this.#handle;
    this.#sameDevice(pipeline);
    const kinds = pipeline.bindings;
    if (options.bindings.length !== kinds.length) {
      throw new RangeError(
        `dispatch: ${pipeline.label} has ${kinds.length} binding(s), ${options.bindings.length} given`,
      );
    }
    const bindings = options.bindings.map((b, i) => this.#binding(kinds[i], b, i));
    const [x, y, z] = options.groups;
    const groups = [x, y ?? 1, z ?? 1] as [number, number, number];
    if (!groups.every((g) => Number.isInteger(g) && g >= 1 && g <= 65535)) {
      throw new RangeError(
        `dispatch: groups must be integers from 1 to 65535, got [${options.groups.join(", ")}]`,
      );
    }
    const push = this.#push(pipeline.pushBytes, options.push);
    const device = this.#cmd.device;
    this.#keep(
      recordDispatch(
        handle,
        device.handle,
        pipeline[PARTS],
        bindings,
        { groups, push },
        failOn(device),
      ),
    );
    return this;
  }

  /**
   * Records a draw of `vertices` vertices with `pipeline` into `target` (an image of the
   * pipeline's format and size with COLOR_ATTACHMENT usage, in COLOR_ATTACHMENT_OPTIMAL: its
   * contents are loaded, drawn over and stored). Barrier stage COLOR_ATTACHMENT_OUTPUT, access
   * COLOR_ATTACHMENT_WRITE.
   *
   * @example
   * ```ts
   * cmd.record((r) => r.draw(pipeline, { target: image, vertices: 3, push: new Uint32Array([1, 0, 64]) }));
   * ```
   */
  draw(
    pipeline: DrawPipeline,
    options: { target: GpuImage; vertices: number; push?: Uint32Array },
  ): this {
    const handle = this.#handle;
    this.#sameDevice(pipeline);
    const parts = pipeline[PARTS];
    const target = this.#image(options.target, "COLOR_ATTACHMENT");
    const { extent, format } = options.target.info;
    if (format !== parts.format || extent.width !== parts.width || extent.height !== parts.height) {
      throw new RangeError(
        `draw: ${options.target.label} is ${
          formatNameOf(format)
        } ${extent.width}x${extent.height}; ${pipeline.label} draws ${pipeline.format} ${parts.width}x${parts.height}`,
      );
    }
    if (!Number.isInteger(options.vertices) || options.vertices < 1) {
      throw new RangeError(
        `draw: vertices must be an integer >= 1, got ${String(options.vertices)}`,
      );
    }
    const push = this.#push(pipeline.pushBytes, options.push);
    const device = this.#cmd.device;
    this.#keep(
      recordDraw(
        handle,
        device.handle,
        parts,
        target,
        { vertices: options.vertices, push },
        failOn(device),
      ),
    );
    return this;
  }

  /** Clears mip level 0, layer 0, of `image` (in `layout`, default TRANSFER_DST_OPTIMAL) to `rgba`. */
  clearImage(
    image: GpuImage,
    rgba: readonly [number, number, number, number],
    options?: { layout?: ImageLayoutName },
  ): this {
    const h = this.#image(image, "TRANSFER_DST");
    const layout = enumValue(ImageLayout, options?.layout ?? "TRANSFER_DST_OPTIMAL", "layout");
    if (rgba.length !== 4 || !rgba.every((c) => typeof c === "number" && Number.isFinite(c))) {
      throw new RangeError(`clearImage: rgba is four finite numbers, got ${String(rgba)}`);
    }
    cmdClear(this.#handle, h, layout, rgba);
    return this;
  }

  /**
   * Blits mip level 0, layer 0, of `src` (in `srcLayout`, default TRANSFER_SRC_OPTIMAL) onto the
   * whole of `dst` (in `dstLayout`, default TRANSFER_DST_OPTIMAL), nearest filtering.
   */
  blitImage(
    src: GpuImage,
    dst: GpuImage,
    options?: { srcLayout?: ImageLayoutName; dstLayout?: ImageLayoutName },
  ): this {
    const s = this.#image(src, "TRANSFER_SRC"), d = this.#image(dst, "TRANSFER_DST");
    const layout = (l: ImageLayoutName | undefined, fallback: ImageLayoutName) =>
      enumValue(ImageLayout, l ?? fallback, "layout");
    const side = (i: GpuImage, h: bigint, l: number) => ({
      image: h,
      layout: l,
      width: i.info.extent.width,
      height: i.info.extent.height,
    });
    cmdBlit(
      this.#handle,
      side(src, s, layout(options?.srcLayout, "TRANSFER_SRC_OPTIMAL")),
      side(dst, d, layout(options?.dstLayout, "TRANSFER_DST_OPTIMAL")),
    );
    return this;
  }

  /** One dispatch binding, checked against the pipeline's kind at `i`. */
  #binding(kind: string, b: DispatchOptions["bindings"][number], i: number): ResolvedBinding {
    if (kind === "storage-buffer") {
      if (!("usage" in b) || "info" in b) {
        throw new RangeError(`dispatch: binding ${i} is a storage buffer: give a GpuBuffer`);
      }
      return { kind, buffer: this.#buffer(b as GpuBuffer, "STORAGE_BUFFER") };
    }
    const given = "image" in b && !("info" in b) ? b : { image: b as GpuImage, layout: undefined };
    if (!("info" in given.image)) {
      throw new RangeError(`dispatch: binding ${i} is an image: give a GpuImage`);
    }
    const storage = kind === "storage-image";
    const image = this.#image(given.image, storage ? "STORAGE" : "SAMPLED");
    const layout = enumValue(
      ImageLayout,
      given.layout ?? (storage ? "GENERAL" : "SHADER_READ_ONLY_OPTIMAL"),
      "layout",
    );
    return {
      kind: kind as "storage-image" | "sampled-image",
      image,
      format: given.image.info.format,
      layout,
    };
  }

  /** The push constants: exactly the pipeline's bytes of them, or none for none. */
  #push(bytes: number, push: Uint32Array | undefined): Uint32Array | null {
    const n = push?.byteLength ?? 0;
    if (push !== undefined && !(push instanceof Uint32Array)) {
      throw new TypeError("push: expected a Uint32Array");
    }
    if (n !== bytes) {
      throw new RangeError(`push: the pipeline takes ${bytes} bytes of push constants, ${n} given`);
    }
    return push ?? null;
  }

  #sameDevice(p: ComputePipeline | DrawPipeline): void {
    void p[PARTS]; // alive
    if (p.device !== this.#cmd.device) {
      throw new ShareError(
        "WRONG_DEVICE",
        `${p.label} belongs to ${p.device.label}, not to ${this.#cmd.device.label}`,
      );
    }
  }

  #keep(free: () => void): void {
    const list = transients.get(this.#cmd) ?? [];
    list.push(free);
    transients.set(this.#cmd, list);
  }

  /** Makes transfer writes to `buffer` visible to the host (map it after the submission). */
  hostRead(buffer: GpuBuffer, range?: Range): this {
    return this.barrier({
      buffer,
      range,
      srcStage: "TRANSFER",
      srcAccess: "TRANSFER_WRITE",
      dstStage: "HOST",
      dstAccess: "HOST_READ",
    });
  }

  /** @ignore @internal Ends recording: later calls throw. */
  close(): void {
    this.#open = false;
  }

  get #handle(): Pointer {
    if (!this.#open) {
      throw new Error("Recorder used outside CommandBuffer.record's callback");
    }
    return this.#cmd.handle;
  }

  #image(i: GpuImage, usage?: keyof typeof ImageUsage): bigint {
    if (!isImageLike(i)) wrongKind("GpuImage", i);
    return this.#usable(i, "an image", i.info.usage, usage, usage && ImageUsage[usage]);
  }

  #buffer(b: GpuBuffer, usage?: keyof typeof BufferUsage): bigint {
    if (!isBufferLike(b)) wrongKind("GpuBuffer", b);
    return this.#usable(b, "a buffer", b.usage, usage, usage && BufferUsage[usage]);
  }

  /** The handle of `r`, a buffer or image of this device, bound, with usage `bit` (if any). */
  #usable(
    r: GpuBuffer | GpuImage,
    what: string,
    usage: number,
    name: string | undefined,
    bit: number | undefined,
  ): bigint {
    const h = r.live;
    if (r.device !== this.#cmd.device) {
      throw new ShareError(
        "WRONG_DEVICE",
        `${r.label} belongs to ${r.device.label}, not to ${this.#cmd.device.label}: import its memory into ${what} of this device`,
      );
    }
    if (!r.memory) throw new RangeError(`${r.label} is not bound to memory`);
    if (bit !== undefined && !(usage & bit)) {
      throw new RangeError(`${r.label} was created without ${name} usage`);
    }
    return h;
  }
}

/**
 * Options of {@linkcode CommandBuffer.record}.
 *
 * @example
 * ```ts
 * cmd.record((r) => r.fill(buffer, 0), { oneTime: true });
 * ```
 *
 * @category Vulkan objects
 */
export interface RecordOptions {
  /**
   * Recorded for one submission (`ONE_TIME_SUBMIT`); default false: it can be submitted again,
   * also while an earlier submission of it runs (`SIMULTANEOUS_USE`).
   */
  oneTime?: boolean;
}

/**
 * A primary command buffer and its command pool, on the device's queue family.
 *
 * @example
 * ```ts
 * using cmd = CommandBuffer.create(device).record((r) => r.fill(buffer, 7));
 * device.queue().submit({ commandBuffers: [cmd], fence });
 * ```
 *
 * @category Vulkan objects
 */
export class CommandBuffer extends Resource {
  /** The device. */
  readonly device: Device;
  /** The VkCommandBuffer. */
  readonly handle: Pointer;
  /** The queue family it is for. */
  readonly queueFamily: number;
  /** `CommandBuffer 0x... of Device "..."`, for messages. */
  readonly label: string;
  readonly #pool: bigint;
  #executable = false;
  #oneTime = false;
  #submittedOnce = false;
  #lastUse: Submission | null = null;

  /** @ignore Made by the class's own static methods. */
  private constructor(device: Device, pool: bigint, handle: Pointer) {
    super();
    this.device = device;
    this.#pool = pool;
    this.handle = handle;
    this.queueFamily = device.queueFamily;
    this.label = `CommandBuffer 0x${rt.address(handle).toString(16)} of ${device.label}`;
    this.adopt(device);
  }

  /** Creates a command pool on the device's queue family and one primary command buffer. */
  static create(device: Device): CommandBuffer {
    const d = device.live;
    const name = device.physicalDevice.name;
    using arena = new Arena();
    const out = out64();
    check(
      vk().vkCreateCommandPool(
        d,
        encode(VkCommandPoolCreateInfo, {
          flags: RESET_COMMAND_BUFFER,
          queueFamilyIndex: device.queueFamily,
        }, arena).bytes,
        null,
        out,
      ),
      "vkCreateCommandPool",
      { device: name },
    );
    const pool = out[0];
    const r = vk().vkAllocateCommandBuffers(
      d,
      encode(
        VkCommandBufferAllocateInfo,
        { commandPool: pool, level: 0, commandBufferCount: 1 },
        arena,
      ).bytes,
      out,
    );
    if (r < 0) vk().vkDestroyCommandPool(d, pool, null);
    check(r, "vkAllocateCommandBuffers", { device: name });
    return new CommandBuffer(device, pool, rt.pointer(out[0]));
  }

  /** Whether it holds a complete recording that can be submitted. */
  get executable(): boolean {
    return this.#executable && !(this.#oneTime && this.#submittedOnce);
  }

  /**
   * Records commands with `fn` (replacing what it held). Refused while a submission of it that
   * vkshare can see (through a fence or a timeline signal) has not finished; when vkshare cannot
   * tell, the queue is waited for first. If `fn` throws, nothing can be submitted until the next
   * complete recording.
   */
  record(fn: (r: Recorder) => void, options?: RecordOptions): this {
    options ??= {};
    this.alive();
    const last = this.#lastUse;
    if (last && last.done() === false) {
      throw new ShareError(
        "IN_USE",
        `${this.label} is still running (its last submission has not finished): wait for its fence or semaphore before recording it again`,
      );
    }
    if (last && !last.settle()) {
      throw new ShareError(
        "IN_USE",
        `${this.label}: its last submission did not finish within ${SETTLE_MS} ms, so it cannot be recorded again`,
      );
    }
    releaseTransients(this);
    this.#executable = false;
    const begun = vk().vkBeginCommandBuffer(this.handle, beginInfo(options.oneTime ?? false));
    if (begun < 0) {
      check(begun, "vkBeginCommandBuffer", { device: this.device.physicalDevice.name });
    }
    const r = new Recorder(this);
    let ok = false;
    try {
      fn(r);
      ok = true;
    } finally {
      r.close();
      const e = vk().vkEndCommandBuffer(this.handle);
      if (ok && e < 0) check(e, "vkEndCommandBuffer", { device: this.device.physicalDevice.name });
    }
    this.#executable = true;
    this.#oneTime = options.oneTime ?? false;
    this.#submittedOnce = false;
    return this;
  }

  /** @ignore What {@linkcode Queue.submit} asks of it. */
  readonly [QUEUE_HOOKS]: CommandBufferHooks = {
    checkSubmit: () => this.#checkSubmit(),
    submitted: (sub) => {
      this.#lastUse = sub;
      this.#submittedOnce = true;
    },
  };

  /** Checks that it can be submitted. */
  #checkSubmit(): void {
    if (!this.executable) {
      throw new ShareError(
        "NOT_EXECUTABLE",
        this.#executable
          ? `${this.label} was recorded for one submission and has been submitted: record it again`
          : `${this.label} holds no complete recording: record it first`,
      );
    }
  }

  /** Waits for its last submission (if not known finished), then destroys the pool. */
  protected destroy(): void {
    if (this.#lastUse && !this.#lastUse.settle()) return warnLeak(this.label);
    releaseTransients(this);
    vk().vkDestroyCommandPool(this.device.handle, this.#pool, null);
  }
}
