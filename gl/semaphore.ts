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
import { glImporter } from "../share/gl_plan.ts";
import { planImport, planOrThrow } from "../share/plan.ts";
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

/**
 * A binary Vulkan semaphore imported into GL (permanently: GL owns the payload once imported).
 *
 * @example
 * ```ts
 * if (gl.sync === "semaphore") {
 *   using ready = GlSemaphore.import(gl, exp.fd, exp.descriptor);
 *   ready.wait({ buffers: [buf] }); // GL's next commands wait for Vulkan's signal
 * }
 * ```
 *
 * @category OpenGL
 */
export class GlSemaphore extends Resource {
  /** The GL semaphore's name. */
  readonly name: number;
  readonly #gl: GlContext;

  /** @ignore Made by {@linkcode GlSemaphore.import}. */
  private constructor(gl: GlContext, name: number) {
    super();
    this.#gl = gl;
    this.name = name;
    this.adopt(gl);
  }

  /**
   * Imports an OPAQUE_FD binary semaphore export into `gl`. Refused before GL sees it (a
   * ShareError: UUID_MISMATCH, SEMAPHORE_TYPE_MISMATCH for a timeline, HANDLE_TYPE_UNSUPPORTED
   * without GL_EXT_semaphore_fd); on success the fd is consumed.
   */
  static import(gl: GlContext, fd: OwnedFd | number, descriptor: unknown): GlSemaphore {
    const plan = planOrThrow(planImport({
      object: "semaphore",
      importer: glImporter(gl.facts),
      target: { label: gl.label, semaphoreType: "binary", inUse: false },
      fd,
      descriptor,
      options: { temporary: false },
    }));
    const gen = gl.fn("glGenSemaphoresEXT", "GL_EXT_semaphore");
    const importFd = gl.fn("glImportSemaphoreFdEXT", "GL_EXT_semaphore_fd");
    const name = glName(gl, "glGenSemaphoresEXT", (out) => gen(1, out));
    try {
      executeImport(
        fd,
        plan,
        gl.label,
        (dup) =>
          gl.call(
            "glImportSemaphoreFdEXT",
            () => importFd(name, GLENUM.GL_HANDLE_TYPE_OPAQUE_FD_EXT, dup),
          ),
      );
    } catch (e) {
      gl.call("glDeleteSemaphoresEXT", (g) => g.glDeleteSemaphoresEXT!(1, new Uint32Array([name])));
      throw e;
    }
    return new GlSemaphore(gl, name);
  }

  /** `GL semaphore 1`. */
  get label(): string {
    return `GL semaphore ${this.name}`;
  }

  /** GL's next commands wait for the semaphore (glWaitSemaphoreEXT); textures are in `layout`. */
  wait(over?: GlHandover): void {
    const b = barriers(over, this.label);
    const f = this.#gl.fn("glWaitSemaphoreEXT", "GL_EXT_semaphore");
    this.#gl.call(
      "glWaitSemaphoreEXT",
      () => f(this.name, b.buffers.length, b.buffers, b.textures.length, b.textures, b.layouts),
    );
  }

  /**
   * Signals the semaphore after GL's commands so far (glSignalSemaphoreEXT, then glFlush);
   * textures are left in `layout` for Vulkan.
   */
  signal(over?: GlHandover): void {
    const b = barriers(over, this.label);
    const f = this.#gl.fn("glSignalSemaphoreEXT", "GL_EXT_semaphore");
    this.#gl.call("glSignalSemaphoreEXT", (g) => {
      f(this.name, b.buffers.length, b.buffers, b.textures.length, b.textures, b.layouts);
      g.glFlush!();
    });
  }

  /** Deletes the GL semaphore (nothing to do once the context is gone). */
  protected destroy(): void {
    if (this.#gl.disposed) return;
    this.#gl.call(
      "glDeleteSemaphoresEXT",
      (g) => g.glDeleteSemaphoresEXT!(1, new Uint32Array([this.name])),
    );
  }
}
