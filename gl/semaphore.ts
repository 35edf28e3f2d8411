/**
 * Vulkan semaphores in GL (GL_EXT_semaphore_fd): an OPAQUE_FD binary semaphore imported into a
 * GL context, then waited on and signaled in GL's command stream with the layouts the images
 * are in, so neither side waits on the host.
 *
 * @module
 */
import { Resource } from "../core/resource.ts";
import { GLENUM } from "../ffi/gl.ts";
import { executeImport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import { planGlSemaphoreImport } from "../share/gl_plan.ts";
import { planOrThrow } from "../share/plan.ts";
import { type GlContext, glName } from "./context.ts";
import type { GlBuffer, GlTexture } from "./memory.ts";

/**
 * A Vulkan image layout as GL names it (GL_LAYOUT_*_EXT), for the textures a wait or signal
 * hands over.
 *
 * @example
 * ```ts
 * const layout: GlLayoutName = "SHADER_READ_ONLY_OPTIMAL";
 * ```
 *
 * @category OpenGL
 */
export type GlLayoutName =
  | "UNDEFINED"
  | "GENERAL"
  | "COLOR_ATTACHMENT_OPTIMAL"
  | "DEPTH_STENCIL_ATTACHMENT_OPTIMAL"
  | "DEPTH_STENCIL_READ_ONLY_OPTIMAL"
  | "SHADER_READ_ONLY_OPTIMAL"
  | "TRANSFER_SRC_OPTIMAL"
  | "TRANSFER_DST_OPTIMAL";

/** Vulkan image layouts by name, and GL's enumerant for each (glext.h). */
const GL_LAYOUTS: Readonly<Record<GlLayoutName, number>> = {
  UNDEFINED: GLENUM.GL_NONE,
  GENERAL: GLENUM.GL_LAYOUT_GENERAL_EXT,
  COLOR_ATTACHMENT_OPTIMAL: GLENUM.GL_LAYOUT_COLOR_ATTACHMENT_EXT,
  DEPTH_STENCIL_ATTACHMENT_OPTIMAL: GLENUM.GL_LAYOUT_DEPTH_STENCIL_ATTACHMENT_EXT,
  DEPTH_STENCIL_READ_ONLY_OPTIMAL: GLENUM.GL_LAYOUT_DEPTH_STENCIL_READ_ONLY_EXT,
  SHADER_READ_ONLY_OPTIMAL: GLENUM.GL_LAYOUT_SHADER_READ_ONLY_EXT,
  TRANSFER_SRC_OPTIMAL: GLENUM.GL_LAYOUT_TRANSFER_SRC_EXT,
  TRANSFER_DST_OPTIMAL: GLENUM.GL_LAYOUT_TRANSFER_DST_EXT,
};

/**
 * What a GL semaphore wait or signal hands over: buffers, and textures with their layouts.
 *
 * @example
 * ```ts
 * const over: GlHandover = { buffers: [buf], textures: [{ texture: tex, layout: "GENERAL" }] };
 * ```
 *
 * @category OpenGL
 */
export interface GlHandover {
  /**
   * A timeline semaphore's value to wait for or to signal (required for a timeline, refused
   * for a binary semaphore).
   */
  value?: bigint | number;
  /** The buffers whose memory the other API used or will use. */
  buffers?: readonly GlBuffer[];
  /** The textures, each with the layout the image is in (wait) or is to be in (signal). */
  textures?: readonly { texture: GlTexture; layout: GlLayoutName }[];
}

function barriers(over: GlHandover | undefined, label: string) {
  const buffers = new Uint32Array((over?.buffers ?? []).map((b) => b.name));
  const t = over?.textures ?? [];
  const textures = new Uint32Array(t.map((x) => x.texture.name));
  const layouts = new Uint32Array(t.map((x) => {
    const v = GL_LAYOUTS[x.layout];
    if (v === undefined) {
      throw new TypeError(
        `${label}: layout ${String(x.layout)} is not one GL names (${
          Object.keys(GL_LAYOUTS).join(", ")
        })`,
      );
    }
    return v;
  }));
  return { buffers, textures, layouts };
}

/** A new GL semaphore's name: binary (glGenSemaphoresEXT), or a timeline (GL_NV_timeline_semaphore). */
function makeSemaphore(gl: GlContext, type: "binary" | "timeline"): number {
  if (type === "binary") {
    const gen = gl.fn("glGenSemaphoresEXT", "GL_EXT_semaphore");
    return glName(gl, "glGenSemaphoresEXT", (out) => gen(1, out));
  }
  const create = gl.fn("glCreateSemaphoresNV", "GL_NV_timeline_semaphore");
  const name = glName(gl, "glCreateSemaphoresNV", (out) => create(1, out));
  const param = gl.fn("glSemaphoreParameterivNV", "GL_NV_timeline_semaphore");
  const timeline = new Int32Array([GLENUM.GL_SEMAPHORE_TYPE_TIMELINE_NV]);
  deletedOnThrow(gl, name, () => {
    gl.call("glSemaphoreParameterivNV", () => param(name, GLENUM.GL_SEMAPHORE_TYPE_NV, timeline));
  });
  return name;
}

/** Runs `fn`; if it throws, the GL semaphore `name` is deleted and the error goes on. */
function deletedOnThrow(gl: GlContext, name: number, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    deleteSemaphore(gl, name);
    throw e;
  }
}

function deleteSemaphore(gl: GlContext, name: number): void {
  gl.call("glDeleteSemaphoresEXT", (g) => g.glDeleteSemaphoresEXT!(1, new Uint32Array([name])));
}

/** A timeline value: a whole number from 1 to 2^64 - 1. */
function timelineValue(v: unknown, what: string): bigint {
  const ok = (typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v)))
    && BigInt(v) > 0n && BigInt(v) < 1n << 64n;
  if (!ok) {
    throw new TypeError(`${what}: expected a whole number from 1 to 2^64 - 1, got ${String(v)}`);
  }
  return BigInt(v as bigint | number);
}

/**
 * A Vulkan semaphore imported into GL (permanently: GL owns the payload once imported): binary,
 * or a timeline where the context has GL_NV_timeline_semaphore (then each wait and signal names
 * its value).
 *
 * @example
 * ```ts
 * if (gl.sync === "semaphore") {
 *   using ready = GlSemaphore.import(gl, exp.fd, exp.descriptor);
 *   ready.wait({ buffers: [buf] }); // GL's next commands wait for Vulkan's signal
 * }
 * // A timeline (GL_NV_timeline_semaphore): wait for 1, signal 2 after GL's work.
 * using t = GlSemaphore.import(gl, timelineExport.fd, timelineExport.descriptor);
 * t.wait({ value: 1n, buffers: [buf] });
 * t.signal({ value: 2n, buffers: [buf] });
 * ```
 *
 * @category OpenGL
 */
export class GlSemaphore extends Resource {
  /** The GL semaphore's name. */
  readonly name: number;
  /** Binary, or a timeline (GL_NV_timeline_semaphore). */
  readonly type: "binary" | "timeline";
  readonly #gl: GlContext;
  /** A timeline's next value, passed to GL (one array, so its address is asked once). */
  readonly #value = new BigUint64Array(1);

  /** @ignore Made by {@linkcode GlSemaphore.import}. */
  private constructor(gl: GlContext, name: number, type: "binary" | "timeline") {
    super();
    this.#gl = gl;
    this.name = name;
    this.type = type;
    this.adopt(gl);
  }

  /**
   * Imports an OPAQUE_FD semaphore export into `gl`. Refused before GL sees it (a ShareError:
   * UUID_MISMATCH, HANDLE_TYPE_UNSUPPORTED without GL_EXT_semaphore_fd, SEMAPHORE_TYPE_MISMATCH
   * for a timeline without GL_NV_timeline_semaphore); on success the fd is consumed.
   */
  static import(gl: GlContext, fd: OwnedFd | number, descriptor: unknown): GlSemaphore {
    const { semaphore: plan, semaphoreType } = planOrThrow(
      planGlSemaphoreImport({ gl: gl.facts, label: gl.label, fd, descriptor }),
    );
    const importFd = gl.fn("glImportSemaphoreFdEXT", "GL_EXT_semaphore_fd");
    const name = makeSemaphore(gl, semaphoreType);
    deletedOnThrow(gl, name, () => {
      executeImport(fd, plan, () => gl.label, (dup) =>
        gl.call(
          "glImportSemaphoreFdEXT",
          () => importFd(name, GLENUM.GL_HANDLE_TYPE_OPAQUE_FD_EXT, dup),
        ));
    });
    return new GlSemaphore(gl, name, semaphoreType);
  }

  /** `GL semaphore 1`. */
  get label(): string {
    return `GL semaphore ${this.name}`;
  }

  /**
   * GL's next commands wait for the semaphore (glWaitSemaphoreEXT), a timeline for
   * `over.value`; textures are in `layout`.
   */
  wait(over?: GlHandover): void {
    const b = barriers(over, this.label);
    this.#setValue(over, "wait");
    const f = this.#gl.fn("glWaitSemaphoreEXT", "GL_EXT_semaphore");
    this.#gl.call(
      "glWaitSemaphoreEXT",
      () => f(this.name, b.buffers.length, b.buffers, b.textures.length, b.textures, b.layouts),
    );
  }

  /**
   * Signals the semaphore after GL's commands so far (glSignalSemaphoreEXT, then glFlush), a
   * timeline to `over.value`; textures are left in `layout` for Vulkan.
   */
  signal(over?: GlHandover): void {
    const b = barriers(over, this.label);
    this.#setValue(over, "signal");
    const f = this.#gl.fn("glSignalSemaphoreEXT", "GL_EXT_semaphore");
    this.#gl.call("glSignalSemaphoreEXT", (g) => {
      f(this.name, b.buffers.length, b.buffers, b.textures.length, b.textures, b.layouts);
      g.glFlush!();
    });
  }

  /** A timeline's value for the next wait or signal (glSemaphoreParameterui64vEXT). */
  #setValue(over: GlHandover | undefined, what: "wait" | "signal"): void {
    const v = over?.value;
    if (this.type === "binary") {
      if (v !== undefined) {
        throw new TypeError(`${this.label} is binary: a ${what} takes no value (got ${String(v)})`);
      }
      return;
    }
    this.#value[0] = timelineValue(v, `${this.label}: a timeline ${what}'s value`);
    const f = this.#gl.fn("glSemaphoreParameterui64vEXT", "GL_EXT_semaphore");
    this.#gl.call(
      "glSemaphoreParameterui64vEXT",
      () => f(this.name, GLENUM.GL_TIMELINE_SEMAPHORE_VALUE_NV, this.#value),
    );
  }

  /** Deletes the GL semaphore (nothing to do once the context is gone). */
  protected destroy(): void {
    if (this.#gl.disposed) return;
    deleteSemaphore(this.#gl, this.name);
  }
}
