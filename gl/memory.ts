/**
 * Vulkan memory in GL: a memory object imported from an OPAQUE_FD export
 * (GL_EXT_memory_object_fd), with a buffer or a 2D texture made on it, each planned by
 * `planGlImport` (share/gl_plan.ts) before GL sees a call.
 *
 * @module
 */
import { Resource } from "../core/resource.ts";
import { GLENUM as E } from "../ffi/gl.ts";
import { libc } from "../ffi/libc.ts";
import { executeImport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import {
  GL_FORMATS,
  type GlFormatName,
  type GlImportPlan,
  type GlTarget,
  planGlImport,
} from "../share/gl_plan.ts";
import { planOrThrow } from "../share/plan.ts";
import { type GlContext, glName } from "./context.ts";

/** A GL memory object holding an imported payload; deleted with the buffer or texture on it. */
function importMemoryObject(gl: GlContext, fd: OwnedFd | number, plan: GlImportPlan): number {
  const create = gl.fn("glCreateMemoryObjectsEXT", "GL_EXT_memory_object");
  const importFd = gl.fn("glImportMemoryFdEXT", "GL_EXT_memory_object_fd");
  const memory = glName(gl, "glCreateMemoryObjectsEXT", (out) => create(1, out));
  try {
    if (plan.memory.dedicated) {
      const param = gl.fn("glMemoryObjectParameterivEXT", "GL_EXT_memory_object");
      gl.call(
        "glMemoryObjectParameterivEXT",
        () => param(memory, E.GL_DEDICATED_MEMORY_OBJECT_EXT, new Int32Array([1])),
      );
    }
    executeImport(fd, plan.memory, () => gl.label, (dup) =>
      gl.call(
        "glImportMemoryFdEXT",
        () => importFd(memory, plan.memory.size, E.GL_HANDLE_TYPE_OPAQUE_FD_EXT, dup),
        () => `${plan.memory.size} bytes of OPAQUE_FD memory; the fd stays the caller's`,
      ));
    return memory;
  } catch (e) {
    deleteMemoryObject(gl, memory);
    throw e;
  }
}

function deleteMemoryObject(gl: GlContext, memory: number): void {
  const del = gl.fn("glDeleteMemoryObjectsEXT", "GL_EXT_memory_object");
  gl.call("glDeleteMemoryObjectsEXT", () => del(1, new Uint32Array([memory])));
}

function checkedBytes(data: unknown, what: string): Uint8Array {
  if (!ArrayBuffer.isView(data)) {
    throw new TypeError(`${what}: expected a typed array or DataView, got ${String(data)}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkedRange(offset: number, size: number, total: number, label: string): void {
  if (
    !Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0
    || offset + size > total
  ) {
    throw new RangeError(
      `${label}: bytes ${offset}..${offset + size} are not within its ${total} bytes`,
    );
  }
}

/**
 * A GL buffer whose storage is imported Vulkan memory (glNamedBufferStorageMemEXT): what GL
 * writes to it, Vulkan reads, and the other way, once the work is handed off (see
 * {@linkcode GlContext.sync}).
 *
 * @example
 * ```ts
 * using buf = GlBuffer.import(gl, exp.fd, exp.descriptor); // the whole memory, less GL's padding
 * buf.write(new Uint8Array([1, 2, 3, 4]));
 * gl.finish(); // now Vulkan may read it
 * ```
 *
 * @category OpenGL
 */
export class GlBuffer extends Resource {
  /** The GL buffer's name. */
  readonly name: number;
  /** Its size in bytes. */
  readonly size: number;
  /** Where it starts in the imported memory. */
  readonly offset: number;
  /** The GL memory object's name. */
  readonly memoryObject: number;
  readonly #gl: GlContext;

  /** @ignore Made by {@linkcode GlBuffer.import}. */
  private constructor(gl: GlContext, memory: number, name: number, range: GlImportPlan["buffer"]) {
    super();
    this.#gl = gl;
    this.memoryObject = memory;
    this.name = name;
    this.offset = range!.offset;
    this.size = range!.size;
    this.adopt(gl);
  }

  /**
   * Imports an OPAQUE_FD memory export into `gl` and makes a buffer on `size` bytes of it from
   * `offset` (default: all of it, less the bytes the driver pads a buffer with). Refused before
   * GL sees it (a ShareError) as a Vulkan import would be, and for GL_BUFFER_RANGE; on success
   * the fd is consumed, on failure it stays the caller's.
   */
  static import(
    gl: GlContext,
    fd: OwnedFd | number,
    descriptor: unknown,
    range?: { size?: number; offset?: number },
  ): GlBuffer {
    const target: GlTarget = { kind: "buffer", ...range };
    const cacheAs = { importer: gl, variant: "gl memory" };
    const plan = planOrThrow(planGlImport({ gl: gl.facts, fd, descriptor, target, cacheAs }));
    const memory = importMemoryObject(gl, fd, plan);
    try {
      const create = gl.fn("glCreateBuffers", "");
      const storage = gl.fn("glNamedBufferStorageMemEXT", "GL_EXT_memory_object");
      const name = glName(gl, "glCreateBuffers", (out) => create(1, out));
      const { offset, size } = plan.buffer!;
      try {
        gl.call(
          "glNamedBufferStorageMemEXT",
          () => storage(name, size, memory, offset),
          () => `a ${size}-byte buffer at offset ${offset} of ${plan.memory.size} bytes`,
        );
      } catch (e) {
        gl.call("glDeleteBuffers", (g) => g.glDeleteBuffers!(1, new Uint32Array([name])));
        throw e;
      }
      return new GlBuffer(gl, memory, name, plan.buffer);
    } catch (e) {
      deleteMemoryObject(gl, memory);
      throw e;
    }
  }

  /** `GL buffer 3 (4096 bytes)`. */
  get label(): string {
    return `GL buffer ${this.name} (${this.size} bytes)`;
  }

  /** Writes `data` at `offset` bytes into the buffer, through GL (glNamedBufferSubData). */
  write(data: ArrayBufferView, offset?: number): void {
    offset ??= 0;
    const bytes = checkedBytes(data, "data");
    checkedRange(offset, bytes.byteLength, this.size, this.label);
    const f = this.#gl.fn("glNamedBufferSubData", "");
    this.#gl.call("glNamedBufferSubData", () => f(this.name, offset, bytes.byteLength, bytes));
  }

  /**
   * Reads `size` bytes from `offset` (default: all of it), through GL: copied on the GPU into a
   * buffer of GL's own (glCopyNamedBufferSubData), then read from there
   * (glGetNamedBufferSubData). Read straight from the imported buffer, NVIDIA's GL (580.159.04)
   * answered with the bytes GL last wrote, not those Vulkan wrote since, semaphore or not.
   */
  read(offset?: number, size?: number): Uint8Array {
    offset ??= 0;
    size ??= this.size - offset;
    checkedRange(offset, size, this.size, this.label);
    const out = new Uint8Array(size);
    if (size === 0) return out;
    const gl = this.#gl;
    const create = gl.fn("glCreateBuffers", ""), storage = gl.fn("glNamedBufferStorage", "");
    const copy = gl.fn("glCopyNamedBufferSubData", ""), get = gl.fn("glGetNamedBufferSubData", "");
    const staging = glName(gl, "glCreateBuffers", (o) => create(1, o));
    try {
      gl.call("glNamedBufferStorage", () => storage(staging, size, null, 0));
      gl.call("glCopyNamedBufferSubData", () => copy(this.name, staging, offset, 0, size));
      gl.call("glGetNamedBufferSubData", () => get(staging, 0, size, out));
    } finally {
      gl.call("glDeleteBuffers", (g) => g.glDeleteBuffers!(1, new Uint32Array([staging])));
    }
    return out;
  }

  /** Deletes the GL object and its memory object (nothing to do once the context is gone). */
  protected destroy(): void {
    if (this.#gl.disposed) return;
    this.#gl.call("glDeleteBuffers", (g) => g.glDeleteBuffers!(1, new Uint32Array([this.name])));
    deleteMemoryObject(this.#gl, this.memoryObject);
  }
}

/**
 * A GL 2D texture whose storage is an imported Vulkan image's dedicated memory
 * (glTextureStorageMem2DEXT, with the image's tiling): the same texels in both APIs.
 *
 * @example
 * ```ts
 * using tex = GlTexture.import(gl, exp.fd, exp.descriptor, { format: "RGBA8", width: 64, height: 64 });
 * const texels = tex.read(); // 64 * 64 * 4 bytes, as GL sees them
 * ```
 *
 * @category OpenGL
 */
export class GlTexture extends Resource {
  /** The GL texture's name. */
  readonly name: number;
  /** Its format. */
  readonly format: GlFormatName;
  /** Its width in texels. */
  readonly width: number;
  /** Its height in texels. */
  readonly height: number;
  /** Its mip levels. */
  readonly levels: number;
  /**
   * The Vulkan image's tiling, given to GL as GL_TEXTURE_TILING_EXT; DRM_FORMAT_MODIFIER for a
   * dma-buf (made through an EGLImage with its modifier).
   */
  readonly tiling: "OPTIMAL" | "LINEAR" | "DRM_FORMAT_MODIFIER";
  /** The GL memory object's name (null for a dma-buf, which has none). */
  readonly memoryObject: number | null;
  readonly #gl: GlContext;

  /** @ignore Made by {@linkcode GlTexture.import}. */
  private constructor(
    gl: GlContext,
    memory: number | null,
    name: number,
    t: GlImportPlan["texture"],
  ) {
    super();
    this.#gl = gl;
    this.memoryObject = memory;
    this.name = name;
    this.format = t!.format;
    this.width = t!.width;
    this.height = t!.height;
    this.levels = t!.levels;
    this.tiling = t!.tiling;
    this.adopt(gl);
  }

  /**
   * Imports the OPAQUE_FD export of a Vulkan image's dedicated memory into `gl` as a texture of
   * `format`, `width` x `height` and `levels` (default 1): refused (GL_TEXTURE_MISMATCH) unless
   * they are the image's. A DMA_BUF (a Vulkan image's export, or a foreign dma-buf described by
   * `dmaBufDescriptor({ size, modifier, planeLayouts })`) becomes an EGLImage
   * (EGL_EXT_image_dma_buf_import_modifiers) and the texture's storage
   * (GL_EXT_EGL_image_storage): refused unless EGL takes its DRM format and modifier for a
   * texture. On success the fd is consumed, on failure it stays the caller's.
   */
  static import(
    gl: GlContext,
    fd: OwnedFd | number,
    descriptor: unknown,
    texture: { format: GlFormatName; width: number; height: number; levels?: number },
  ): GlTexture {
    const target: GlTarget = { kind: "texture", ...texture };
    const cacheAs = { importer: gl, variant: "gl memory" };
    const plan = planOrThrow(planGlImport({ gl: gl.facts, fd, descriptor, target, cacheAs }));
    const t = plan.texture!;
    if (t.dmaBuf) return GlTexture.#fromDmaBuf(gl, fd, plan);
    const memory = importMemoryObject(gl, fd, plan);
    try {
      const create = gl.fn("glCreateTextures", "");
      const storage = gl.fn("glTextureStorageMem2DEXT", "GL_EXT_memory_object");
      const name = glName(gl, "glCreateTextures", (out) => create(E.GL_TEXTURE_2D, 1, out));
      const tiling = t.tiling === "LINEAR" ? E.GL_LINEAR_TILING_EXT : E.GL_OPTIMAL_TILING_EXT;
      try {
        gl.call(
          "glTextureParameteri",
          (g) => g.glTextureParameteri!(name, E.GL_TEXTURE_TILING_EXT, tiling),
        );
        gl.call(
          "glTextureStorageMem2DEXT",
          () =>
            storage(name, t.levels, GL_FORMATS[t.format].internal, t.width, t.height, memory, 0),
          () => `${t.format} ${t.width}x${t.height}, ${t.levels} level(s), ${t.tiling}`,
        );
      } catch (e) {
        gl.call("glDeleteTextures", (g) => g.glDeleteTextures!(1, new Uint32Array([name])));
        throw e;
      }
      return new GlTexture(gl, memory, name, t);
    } catch (e) {
      deleteMemoryObject(gl, memory);
      throw e;
    }
  }

  /** A texture on an EGLImage of the dma-buf, destroyed once the texture holds its storage. */
  static #fromDmaBuf(gl: GlContext, fd: OwnedFd | number, plan: GlImportPlan): GlTexture {
    const t = plan.texture!;
    const image = executeImport(fd, plan.memory, () => gl.label, (dup) => {
      const made = gl.dmaBufImage(dup, t);
      libc().close(dup); // EGL holds the dma-buf itself
      return made;
    });
    try {
      const create = gl.fn("glCreateTextures", "");
      const storage = gl.fn("glEGLImageTargetTextureStorageEXT", "GL_EXT_EGL_image_storage");
      const name = glName(gl, "glCreateTextures", (out) => create(E.GL_TEXTURE_2D, 1, out));
      try {
        gl.call(
          "glEGLImageTargetTextureStorageEXT",
          () => storage(name, image, new Int32Array([E.GL_NONE])),
          () =>
            `${t.format} ${t.width}x${t.height} from a dma-buf (modifier ${t.dmaBuf!.modifier})`,
        );
      } catch (e) {
        gl.call("glDeleteTextures", (g) => g.glDeleteTextures!(1, new Uint32Array([name])));
        throw e;
      }
      return new GlTexture(gl, null, name, t);
    } finally {
      gl.destroyImage(image);
    }
  }

  /** `GL texture 2 (RGBA8 64x64)`. */
  get label(): string {
    return `GL texture ${this.name} (${this.format} ${this.width}x${this.height})`;
  }

  /** The bytes of level 0, rows packed (width * texel size each). */
  get byteLength(): number {
    return this.width * this.height * GL_FORMATS[this.format].bytes;
  }

  /** Writes level 0 from `data` (rows packed), through GL (glTextureSubImage2D). */
  write(data: ArrayBufferView): void {
    const bytes = checkedBytes(data, "data");
    if (bytes.byteLength !== this.byteLength) {
      throw new RangeError(
        `${this.label}: expected ${this.byteLength} bytes, got ${bytes.byteLength}`,
      );
    }
    const f = GL_FORMATS[this.format];
    this.#gl.call("glTextureSubImage2D", (g) => {
      g.glPixelStorei!(E.GL_UNPACK_ALIGNMENT, 1);
      g.glTextureSubImage2D!(this.name, 0, 0, 0, this.width, this.height, f.format, f.type, bytes);
    });
  }

  /** Reads level 0 (rows packed), through GL (glGetTextureImage). */
  read(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    const f = GL_FORMATS[this.format];
    this.#gl.call("glGetTextureImage", (g) => {
      g.glPixelStorei!(E.GL_PACK_ALIGNMENT, 1);
      g.glGetTextureImage!(this.name, 0, f.format, f.type, out.byteLength, out);
    });
    return out;
  }

  /** Deletes the GL object and its memory object (nothing to do once the context is gone). */
  protected destroy(): void {
    if (this.#gl.disposed) return;
    this.#gl.call("glDeleteTextures", (g) => g.glDeleteTextures!(1, new Uint32Array([this.name])));
    if (this.memoryObject !== null) deleteMemoryObject(this.#gl, this.memoryObject);
  }
}
