/**
 * The rules of an OpenGL import (EXT_external_objects, EXT_external_objects_fd), judged without a
 * driver: a GL context's facts go through the same {@linkcode planImport} as a Vulkan device's
 * (the UUIDs, the handle type, the fd, the descriptor), then the rules GL adds for the buffer or
 * texture made on the memory (GL_BUFFER_RANGE, GL_TEXTURE_MISMATCH).
 *
 * @module
 */
import { enumName, Format, formatNameOf, ImageTiling, ImageType } from "../core/enums.ts";
import { GLENUM as E } from "../ffi/gl.ts";
import { type MemoryDescriptor, parseSyncSource } from "./descriptor.ts";
import type { OwnedFd } from "./fd.ts";
import { broken, Findings, knownPlan, planImport } from "./plan.ts";
import type { BrokenRule, ImporterFacts, ImportPlan, PlanCacheKey } from "./plan.ts";

/**
 * What the plan needs to know of a GL context: plain data, read once from the context.
 *
 * @example
 * ```ts
 * const facts: GlFacts = gl.facts;
 * facts.extensions.includes("GL_EXT_semaphore_fd");
 * ```
 *
 * @category OpenGL
 */
export interface GlFacts {
  /** GL_RENDERER, for messages. */
  name: string;
  /** GL_DEVICE_UUID_EXT, formatted as Vulkan's deviceUUID. */
  deviceUUID: string;
  /** GL_DRIVER_UUID_EXT, formatted as Vulkan's driverUUID. */
  driverUUID: string;
  /** The context's GL extensions. */
  extensions: readonly string[];
  /**
   * Bytes the driver adds to a buffer's storage that must also lie within the memory object:
   * llvmpipe's buffers are padded (measured: 8 on Mesa 22.3.6 and 25.0.7); 0 elsewhere.
   */
  bufferPadding: number;
  /**
   * Whether a buffer made at an offset into the memory starts there: llvmpipe ignores
   * glNamedBufferStorageMemEXT's offset (measured on Mesa 22.3.6 and 25.0.7: the buffer reads the
   * memory's first bytes), so vkshare makes buffers at offset 0 only there.
   */
  bufferOffsets: boolean;
  /** GL_MAX_TEXTURE_SIZE. */
  maxTextureSize: number;
  /**
   * Whether GL takes LINEAR-tiled textures (GL_TEXTURE_TILING_EXT = GL_LINEAR_TILING_EXT), asked
   * once per context: Mesa's llvmpipe does; NVIDIA's GL (580.159.04) answers GL_INVALID_VALUE.
   */
  linearTiling: boolean;
  /** What EGL imports as dma-buf images (EGL_EXT_image_dma_buf_import); absent: nothing. */
  dmaBuf?: GlDmaBufFacts;
}

/**
 * What a GL context's EGL display imports as dma-buf images: whether it takes explicit DRM format
 * modifiers (EGL_EXT_image_dma_buf_import_modifiers), and for each DRM format vkshare maps to a
 * GL format ({@linkcode GL_DRM_FORMATS}, by fourcc: `AB24`) the modifiers it takes, each with
 * whether it is external-only (GL_TEXTURE_EXTERNAL_OES only, so no texture storage).
 *
 * @example
 * ```ts
 * const linear = gl.facts.dmaBuf?.formats["AB24"]?.find((m) => m.modifier === "0x0000000000000000");
 * ```
 *
 * @category OpenGL
 */
export interface GlDmaBufFacts {
  /** EGL_EXT_image_dma_buf_import_modifiers: modifiers are listed and passed explicitly. */
  modifiers: boolean;
  /** By fourcc, the modifiers EGL lists (`0x` and 16 hex digits); empty without `modifiers`. */
  formats: Readonly<Record<string, readonly { modifier: string; externalOnly: boolean }[]>>;
}

/**
 * The DRM format (fourcc) of each GL format a dma-buf texture can have: the same bytes in memory
 * (drm_fourcc.h: ABGR8888 is R, G, B, A bytes).
 *
 * @example
 * ```ts
 * GL_DRM_FORMATS.RGBA8; // { fourcc: "AB24", code: 0x34324241 }
 * ```
 *
 * @category OpenGL
 */
export const GL_DRM_FORMATS: Readonly<Partial<Record<GlFormatName, GlDrmFormat>>> = {
  RGBA8: drmFormat("AB24"),
  R8: drmFormat("R8  "),
  RGBA16F: drmFormat("AB4H"),
};

/**
 * A DRM format: its four characters, and the code drm_fourcc.h gives them.
 *
 * @example
 * ```ts
 * const f: GlDrmFormat = GL_DRM_FORMATS.RGBA8!;
 * ```
 *
 * @category OpenGL
 */
export interface GlDrmFormat {
  /** The four characters (`AB24`). */
  fourcc: string;
  /** fourcc_code(a, b, c, d): a | b << 8 | c << 16 | d << 24. */
  code: number;
}

function drmFormat(fourcc: string): GlDrmFormat {
  const c = [...fourcc].map((ch) => ch.charCodeAt(0));
  return { fourcc, code: (c[0] | c[1] << 8 | c[2] << 16 | c[3] << 24) >>> 0 };
}

/**
 * A GL internal format vkshare makes textures of, and the Vulkan format of the same bytes.
 *
 * @example
 * ```ts
 * const f: GlFormatName = "RGBA8"; // VK_FORMAT_R8G8B8A8_UNORM
 * ```
 *
 * @category OpenGL
 */
export type GlFormatName = "RGBA8" | "SRGB8_ALPHA8" | "R8" | "R32F" | "RGBA16F" | "RGBA32F";

/**
 * One GL internal format: its enumerant, the Vulkan format of the same bytes, the format/type
 * pair that reads and writes it, and the bytes of a texel.
 *
 * @example
 * ```ts
 * const f: GlFormat = GL_FORMATS.RGBA8;
 * ```
 *
 * @category OpenGL
 */
export interface GlFormat {
  /** The GL internal format (GL_RGBA8). */
  readonly internal: number;
  /** The VkFormat of the same bytes. */
  readonly vulkan: number;
  /** The pixel format that reads and writes it (GL_RGBA). */
  readonly format: number;
  /** The pixel type (GL_UNSIGNED_BYTE). */
  readonly type: number;
  /** Bytes a texel. */
  readonly bytes: number;
}

/**
 * The GL internal formats of textures on imported memory: their GL enumerants, the Vulkan format
 * of the same bytes, and the format/type pair that reads and writes them.
 *
 * @example
 * ```ts
 * GL_FORMATS.R32F.vulkan; // Format.R32_SFLOAT
 * ```
 *
 * @category OpenGL
 */
export const GL_FORMATS: Readonly<Record<GlFormatName, GlFormat>> = {
  RGBA8: glFormat(E.GL_RGBA8, Format.R8G8B8A8_UNORM, E.GL_RGBA, E.GL_UNSIGNED_BYTE, 4),
  SRGB8_ALPHA8: glFormat(E.GL_SRGB8_ALPHA8, Format.R8G8B8A8_SRGB, E.GL_RGBA, E.GL_UNSIGNED_BYTE, 4),
  R8: glFormat(E.GL_R8, Format.R8_UNORM, E.GL_RED, E.GL_UNSIGNED_BYTE, 1),
  R32F: glFormat(E.GL_R32F, Format.R32_SFLOAT, E.GL_RED, E.GL_FLOAT, 4),
  RGBA16F: glFormat(E.GL_RGBA16F, Format.R16G16B16A16_SFLOAT, E.GL_RGBA, E.GL_HALF_FLOAT, 8),
  RGBA32F: glFormat(E.GL_RGBA32F, Format.R32G32B32A32_SFLOAT, E.GL_RGBA, E.GL_FLOAT, 16),
};

/** One row of {@linkcode GL_FORMATS}. */
function glFormat(
  internal: number,
  vulkan: number,
  format: number,
  type: number,
  bytes: number,
): GlFormat {
  return { internal, vulkan, format, type, bytes };
}

/**
 * What is made on the imported memory: a buffer (a range of it), or a 2D texture.
 *
 * @example
 * ```ts
 * const target: GlTarget = { kind: "texture", format: "RGBA8", width: 256, height: 256 };
 * ```
 *
 * @category OpenGL
 */
export type GlTarget =
  | { kind: "buffer"; size?: number; offset?: number }
  | {
    kind: "texture";
    format: GlFormatName;
    width: number;
    height: number;
    levels?: number;
  };

/**
 * A GL import that may be made: the memory's plan, and the buffer or texture on it.
 *
 * @example
 * ```ts
 * const r = planGlImport({ gl: gl.facts, fd, descriptor, target: { kind: "buffer" } });
 * if (r.ok) console.log(r.plan.buffer?.size);
 * ```
 *
 * @category OpenGL
 */
export interface GlImportPlan {
  /** The memory's plan (size, dedicated, the fd to import). */
  memory: ImportPlan;
  /** A buffer's range, in bytes. */
  buffer?: { offset: number; size: number };
  /** A texture's parameters, with the tiling the Vulkan image has. */
  texture?: {
    format: GlFormatName;
    width: number;
    height: number;
    levels: number;
    tiling: "OPTIMAL" | "LINEAR" | "DRM_FORMAT_MODIFIER";
    /** A dma-buf's image for EGL (EGL_LINUX_DMA_BUF_EXT): its format, modifier and plane. */
    dmaBuf?: { fourcc: number; modifier: string; offset: number; rowPitch: number };
  };
}

/**
 * The importer facts of a GL context, for {@linkcode planImport}: OPAQUE_FD memory where the
 * context has GL_EXT_memory_object_fd, OPAQUE_FD semaphores where it has GL_EXT_semaphore_fd
 * (timelines also need GL_NV_timeline_semaphore: {@linkcode planGlSemaphoreImport}).
 *
 * @example
 * ```ts
 * const importer = glImporter(gl.facts);
 * planImport({ object: "memory", importer, fd, descriptor });
 * ```
 *
 * @category OpenGL
 */
export function glImporter(gl: GlFacts): ImporterFacts {
  return {
    api: "gl",
    name: gl.name,
    deviceUUID: gl.deviceUUID,
    driverUUID: gl.driverUUID,
    capability: (t, d) => {
      if (t === "DMA_BUF") {
        return gl.dmaBuf
          ? { importable: true }
          : {
            importable: false,
            unsupported: "this GL context's EGL has no EGL_EXT_image_dma_buf_import",
          };
      }
      const need = "object" in d ? "GL_EXT_semaphore_fd" : "GL_EXT_memory_object_fd";
      return gl.extensions.includes(need)
        ? { importable: true }
        : { importable: false, unsupported: `this GL context has no ${need}` };
    },
  };
}

/**
 * An accepted GL semaphore import: the import's plan, and the type of GL semaphore to make.
 *
 * @example
 * ```ts
 * const r = planGlSemaphoreImport({ gl: gl.facts, label: gl.label, fd: exp.fd, descriptor: exp.descriptor });
 * if (r.ok) console.log(r.plan.semaphoreType, r.plan.semaphore.fd);
 * ```
 *
 * @category OpenGL
 */
export interface GlSemaphorePlan {
  /** The import's plan, as for a Vulkan semaphore. */
  semaphore: ImportPlan;
  /** Binary, or a timeline (the export's type, where GL has GL_NV_timeline_semaphore). */
  semaphoreType: "binary" | "timeline";
}

/** The GL extension that gives timeline semaphores (GL_NV_timeline_semaphore). */
export const GL_TIMELINES = "GL_NV_timeline_semaphore";

/**
 * Plans a GL import of a semaphore (GL_EXT_semaphore_fd, OPAQUE_FD): every rule of
 * {@linkcode planImport}, into a binary GL semaphore, or a timeline one where the context has
 * GL_NV_timeline_semaphore and the export is a timeline (SEMAPHORE_TYPE_MISMATCH otherwise,
 * naming the missing extension). The import is permanent: GL has no temporary imports.
 *
 * @example
 * ```ts
 * const r = planGlSemaphoreImport({ gl: gl.facts, label: gl.label, fd: exp.fd, descriptor: exp.descriptor });
 * if (r.ok) console.log(r.plan.semaphoreType); // "binary" or "timeline"
 * ```
 *
 * @category OpenGL
 */
export function planGlSemaphoreImport(req: {
  gl: GlFacts;
  label: string;
  fd: OwnedFd | number | null;
  descriptor: unknown;
  withoutFd?: boolean;
}): { ok: true; plan: GlSemaphorePlan } | { ok: false; broken: BrokenRule[] } {
  const timelines = req.gl.extensions.includes(GL_TIMELINES);
  const semaphoreType = timelines && declaredType(req.descriptor) === "timeline"
    ? "timeline"
    : "binary";
  const r = planImport({
    object: "semaphore",
    importer: glImporter(req.gl),
    target: {
      label: timelines ? req.label : `${req.label}, which has no ${GL_TIMELINES},`,
      semaphoreType,
      inUse: false,
    },
    fd: req.fd,
    descriptor: req.descriptor,
    options: { temporary: false },
    withoutFd: req.withoutFd,
  });
  return r.ok ? { ok: true, plan: { semaphore: r.plan, semaphoreType } } : r;
}

/** The semaphore type a descriptor declares, or undefined (planImport says what is wrong). */
function declaredType(descriptor: unknown): string | undefined {
  try {
    return parseSyncSource(descriptor, "semaphore").semaphoreType;
  } catch {
    return undefined;
  }
}

/**
 * Plans a GL import of memory: every rule of {@linkcode planImport}, then the buffer's or the
 * texture's (GL_BUFFER_RANGE, GL_TEXTURE_MISMATCH). A buffer without a size takes the whole
 * memory, less the driver's padding.
 *
 * @example
 * ```ts
 * const r = planGlImport({ gl: gl.facts, fd: exp.fd, descriptor: exp.descriptor, target: { kind: "buffer" } });
 * if (!r.ok) console.log(r.broken.map((b) => b.rule));
 * ```
 *
 * @category OpenGL
 */
export function planGlImport(req: {
  gl: GlFacts;
  fd: OwnedFd | number | null;
  descriptor: unknown;
  target: GlTarget;
  withoutFd?: boolean;
  /** Where the memory's accepted plan may be remembered (see `PlanCacheKey`): the GL context. */
  cacheAs?: PlanCacheKey;
}): { ok: true; plan: GlImportPlan } | { ok: false; broken: BrokenRule[] } {
  const known = req.cacheAs && !req.withoutFd
    ? knownPlan(req.cacheAs, req.fd, req.descriptor)
    : undefined;
  const memory = known ? { ok: true as const, plan: known } : planImport({
    object: "memory",
    importer: glImporter(req.gl),
    fd: req.fd,
    descriptor: req.descriptor,
    withoutFd: req.withoutFd,
    cacheAs: req.cacheAs,
  });
  if (!memory.ok) return memory;
  const m = memory.plan.descriptor as MemoryDescriptor;
  const found = new Findings();
  const t = req.target;
  if (m.handleType === "DMA_BUF") {
    const texture = found.check(() => dmaBufTextureOf(req.gl, m, t));
    return found.result(() => ({ memory: memory.plan, texture: texture! }));
  }
  if (t.kind === "buffer") {
    const buffer = found.check(() => bufferRange(req.gl, m, t));
    return found.result(() => ({ memory: memory.plan, buffer: buffer! }));
  }
  const texture = found.check(() => textureOf(req.gl, m, t));
  return found.result(() => ({ memory: memory.plan, texture: texture! }));
}

const whole = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** A buffer's range within the memory, with the driver's padding after it. */
function bufferRange(
  gl: GlFacts,
  m: MemoryDescriptor,
  t: { size?: number; offset?: number },
): { offset: number; size: number } {
  const offset = t.offset ?? 0;
  const size = t.size ?? m.size - offset - gl.bufferPadding;
  if (!whole(offset) || offset < 0 || !whole(size) || size <= 0) {
    broken(
      "GL_BUFFER_RANGE",
      `a GL buffer needs a whole offset ≥ 0 and size > 0 within the ${m.size}-byte memory, got offset ${offset}, size ${size}`,
      `0 < size ≤ ${m.size - offset - gl.bufferPadding}`,
      { offset, size },
    );
  }
  if (offset !== 0 && !gl.bufferOffsets) {
    broken(
      "GL_BUFFER_RANGE",
      `${gl.name} ignores a GL buffer's offset into imported memory (its buffer would read the memory's first bytes, not those at ${offset}): make the buffer at offset 0, or export the range as memory of its own`,
      0,
      offset,
    );
  }
  const end = offset + size + gl.bufferPadding;
  if (end > m.size) {
    broken(
      "GL_BUFFER_RANGE",
      `a GL buffer of ${size} bytes at offset ${offset} needs ${end} bytes of the ${m.size}-byte memory${
        gl.bufferPadding
          ? ` (${gl.name} adds ${gl.bufferPadding} bytes of padding to a buffer)`
          : ""
      }: give size ≤ ${m.size - offset - gl.bufferPadding}, or leave it out`,
      m.size - offset - gl.bufferPadding,
      size,
    );
  }
  return { offset, size };
}

const formatName = (v: number) => formatNameOf(v) ?? String(v);

/** The texture, checked against the image the memory is dedicated to. */
function textureOf(
  gl: GlFacts,
  m: MemoryDescriptor,
  t: Extract<GlTarget, { kind: "texture" }>,
): NonNullable<GlImportPlan["texture"]> {
  const { levels } = textureBasics(gl, t);
  const image = m.dedicated;
  if (image?.kind !== "image") {
    broken(
      "GL_TEXTURE_MISMATCH",
      `a texture is made only on memory dedicated to a Vulkan image (the descriptor says how its texels lie); this memory is ${
        image ? "dedicated to a buffer" : "a plain allocation"
      }: export the image's dedicated memory, or make a GL buffer`,
      "dedicated: image",
      image?.kind ?? null,
    );
  }
  sameImage(image, t, levels);
  const tiling = enumName(ImageTiling, image.tiling) ?? String(image.tiling);
  if (tiling !== "OPTIMAL" && tiling !== "LINEAR") {
    broken(
      "GL_TEXTURE_MISMATCH",
      `a ${tiling} image is not a GL memory-object texture (GL_TEXTURE_TILING_EXT is OPTIMAL or LINEAR): export it as DMA_BUF, which GL takes as an EGLImage`,
      ["OPTIMAL", "LINEAR"],
      tiling,
    );
  }
  if (tiling === "LINEAR" && !gl.linearTiling) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `${gl.name} takes no LINEAR-tiled texture (GL_TEXTURE_TILING_EXT = GL_LINEAR_TILING_EXT is GL_INVALID_VALUE there): make the Vulkan image OPTIMAL`,
      "OPTIMAL",
      tiling,
    );
  }
  return { format: t.format, width: t.width, height: t.height, levels, tiling };
}

type DedicatedImage = Extract<NonNullable<MemoryDescriptor["dedicated"]>, { kind: "image" }>;

/** GL_TEXTURE_MISMATCH unless the texture is `image`: 2D, one layer, format, extent, levels. */
function sameImage(
  image: DedicatedImage,
  t: Extract<GlTarget, { kind: "texture" }>,
  levels: number,
): void {
  const want = {
    imageType: "2D",
    format: formatName(GL_FORMATS[t.format].vulkan),
    extent: `${t.width}x${t.height}x1`,
    mipLevels: levels,
    arrayLayers: 1,
  };
  const got = {
    imageType: enumName(ImageType, image.imageType) ?? String(image.imageType),
    format: formatName(image.format),
    extent: `${image.extent.width}x${image.extent.height}x${image.extent.depth}`,
    mipLevels: image.mipLevels,
    arrayLayers: image.arrayLayers,
  };
  const differ = (Object.keys(want) as (keyof typeof want)[]).filter((k) => want[k] !== got[k]);
  if (differ.length) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `a ${t.format} texture of ${t.width}x${t.height}, ${levels} level(s), is not the exported image: ${
        differ.map((k) => `${k} ${got[k]} (texture: ${want[k]})`).join(", ")
      }`,
      got,
      want,
    );
  }
}

/** The EGL image of a dma-buf: GL_TEXTURE_MISMATCH unless EGL takes its format and modifier. */
function dmaBufTextureOf(
  gl: GlFacts,
  m: MemoryDescriptor,
  t: GlTarget,
): NonNullable<GlImportPlan["texture"]> {
  if (t.kind !== "texture") {
    broken(
      "HANDLE_TYPE_UNSUPPORTED",
      "a dma-buf goes to GL as a texture (an EGLImage), not a buffer: import it with GlTexture.import",
      "texture",
      "buffer",
    );
  }
  const base = textureBasics(gl, t);
  const drm = GL_DRM_FORMATS[t.format];
  if (!drm) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `a dma-buf texture is ${
        Object.keys(GL_DRM_FORMATS).join(", ")
      } (a DRM format EGL knows), not ${t.format}`,
      Object.keys(GL_DRM_FORMATS),
      t.format,
    );
  }
  if (base.levels !== 1) {
    broken("GL_TEXTURE_MISMATCH", "a dma-buf texture has one level (an EGLImage)", 1, base.levels);
  }
  if (m.dedicated?.kind === "image") sameImage(m.dedicated, t, 1);
  const layout = dmaBufLayout(m);
  const bpp = GL_FORMATS[t.format].bytes;
  const last = layout.offset + layout.rowPitch * (t.height - 1) + t.width * bpp;
  if (layout.rowPitch < t.width * bpp || last > m.size) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `a ${t.width}x${t.height} ${t.format} texture at offset ${layout.offset}, ${layout.rowPitch} bytes a row, does not fit the dma-buf's ${m.size} bytes (a row needs ${
        t.width * bpp
      })`,
      m.size,
      last,
    );
  }
  eglTakes(gl.dmaBuf!, drm!, layout.modifier);
  return {
    ...base,
    levels: 1,
    tiling: "DRM_FORMAT_MODIFIER",
    dmaBuf: { fourcc: drm!.code, ...layout },
  };
}

/** A texture's format and extent within GL's limits. */
function textureBasics(gl: GlFacts, t: Extract<GlTarget, { kind: "texture" }>) {
  if (!GL_FORMATS[t.format]) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `GL format ${String(t.format)} is not one vkshare shares: ${
        Object.keys(GL_FORMATS).join(", ")
      }`,
      Object.keys(GL_FORMATS),
      t.format,
    );
  }
  const levels = t.levels ?? 1;
  for (const [k, v] of [["width", t.width], ["height", t.height], ["levels", levels]] as const) {
    if (!whole(v) || v < 1 || v > gl.maxTextureSize) {
      broken(
        "GL_TEXTURE_MISMATCH",
        `a texture's ${k} is a whole number from 1 to ${gl.maxTextureSize} (GL_MAX_TEXTURE_SIZE), got ${v}`,
        `1..${gl.maxTextureSize}`,
        v,
      );
    }
  }
  return { format: t.format, width: t.width, height: t.height, levels };
}

/**
 * Where a dma-buf's texels lie: its modifier and one plane, from the image it was exported with
 * or from the descriptor of a foreign dma-buf.
 */
function dmaBufLayout(m: MemoryDescriptor) {
  const image = m.dedicated?.kind === "image" ? m.dedicated : null;
  const linear = image && image.tiling === ImageTiling.LINEAR ? "0x0000000000000000" : undefined;
  const modifier = image ? image.drmFormatModifier ?? linear : m.drmFormatModifier;
  const planes = image ? image.planeLayouts : m.planeLayouts;
  if (modifier === undefined || planes?.length !== 1) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `a dma-buf goes to EGL with its DRM format modifier and one plane's layout; this descriptor has ${
        modifier === undefined ? "no modifier" : `${planes?.length ?? 0} plane layouts`
      }: describe a foreign dma-buf with dmaBufDescriptor({ size, modifier, planeLayouts })`,
      "a modifier and 1 plane layout",
      { modifier: modifier ?? null, planes: planes?.length ?? 0 },
    );
  }
  return { modifier: modifier!, offset: planes![0].offset, rowPitch: planes![0].rowPitch };
}

/** GL_TEXTURE_MISMATCH unless EGL lists `modifier` for `drm`, not external-only. */
function eglTakes(facts: GlDmaBufFacts, drm: GlDrmFormat, modifier: string): void {
  const linear = /^0x0+$/.test(modifier);
  if (!facts.modifiers) {
    if (linear) return;
    broken(
      "GL_TEXTURE_MISMATCH",
      `this EGL has no EGL_EXT_image_dma_buf_import_modifiers: it takes linear dma-bufs only, not modifier ${modifier}`,
      "0x0000000000000000",
      modifier,
    );
  }
  const listed = facts.formats[drm.fourcc] ?? [];
  const found = listed.find((x) => x.modifier === modifier);
  if (!found || found.externalOnly) {
    broken(
      "GL_TEXTURE_MISMATCH",
      `EGL ${found ? "takes" : "does not take"} ${drm.fourcc} with modifier ${modifier}${
        found
          ? " only as an external texture (GL_TEXTURE_EXTERNAL_OES), with no texture storage"
          : ""
      }; it takes ${
        listed.filter((x) => !x.externalOnly).map((x) => x.modifier).join(", ") || "none"
      } for a texture`,
      listed.filter((x) => !x.externalOnly).map((x) => x.modifier),
      modifier,
    );
  }
}
