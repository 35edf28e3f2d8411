/**
 * `GlContext`: a headless OpenGL context through EGL, on the EGL device whose GL deviceUUID is a
 * Vulkan device's (EGL_EXT_platform_device; Mesa's surfaceless platform where EGL enumerates no
 * devices), and the GL calls vkshare makes in it.
 *
 * @module
 */
import { ShareError, VkshareError } from "../core/errors.ts";
import { uuidString } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import {
  EGL_ERROR_NAMES,
  EGL_INSTALL_HINT,
  eglExtensions,
  eglLibrary,
  type GL,
  GL_ERROR_NAMES,
  GLENUM as E,
  glFunctions,
  type ProcTable,
} from "../ffi/gl.ts";
import { LibraryLoadError } from "../ffi/library.ts";
import { rt } from "../ffi/runtime.ts";
import type { Pointer } from "../ffi/types.ts";
import { modifierHex } from "../share/capabilities.ts";
import {
  GL_DRM_FORMATS,
  type GlDmaBufFacts,
  type GlFacts,
  type GlImportPlan,
} from "../share/gl_plan.ts";

/**
 * A GL or EGL call failed: `code` is the GL error's name (`GL_OUT_OF_MEMORY`) or the EGL one
 * (`EGL_BAD_MATCH`), or `GL_MISSING` for a function or extension the context lacks.
 *
 * @example
 * ```ts
 * try {
 *   GlBuffer.import(gl, exp.fd, exp.descriptor);
 * } catch (e) {
 *   if (e instanceof GlError) console.error(e.call, e.code);
 * }
 * ```
 *
 * @category OpenGL
 */
export class GlError extends VkshareError {
  /** The call that failed (`glNamedBufferStorageMemEXT`). */
  readonly call: string;

  /** Says `call` failed with `code`, and what to do next. */
  constructor(call: string, code: string, detail: string) {
    super(code, `${call}: ${code}${detail ? `: ${detail}` : ""}`);
    this.call = call;
  }
}

/** The GL functions, each checked present where it is called. */
export type Gl = ProcTable<typeof GL>;

/**
 * What a context is asked to match: a deviceUUID, or anything with one (a Vulkan
 * `PhysicalDevice`, a `Device`'s `physicalDevice`, an export's descriptor).
 *
 * @example
 * ```ts
 * using gl = GlContext.create({ deviceUUID: exp.descriptor }); // the GPU that exported it
 * ```
 *
 * @category OpenGL
 */
export type GlDeviceIdentity = string | { deviceUUID: string; deviceName?: string; name?: string };

/**
 * Options of {@linkcode GlContext.create}.
 *
 * @example
 * ```ts
 * using gl = GlContext.create({ deviceUUID: device.physicalDevice });
 * ```
 *
 * @category OpenGL
 */
export interface GlContextOptions {
  /** The GPU to make the context on (default: the first EGL device with GL_EXT_memory_object). */
  deviceUUID?: GlDeviceIdentity;
}

interface Candidate {
  display: Pointer;
  context: Pointer;
  platform: "device" | "surfaceless";
  facts: GlFacts;
}

// EGL displays are one per device and platform in a process: initialized once, terminated when
// the last context on one goes.
const displayUsers = new Map<bigint, number>();

function eglCheck(ok: boolean, call: string, detail = ""): void {
  if (ok) return;
  const code = eglLibrary().eglGetError();
  throw new GlError(call, EGL_ERROR_NAMES[code] ?? `EGL error 0x${code.toString(16)}`, detail);
}

/**
 * What `display` imports as dma-buf images: nothing without EGL_EXT_image_dma_buf_import; with
 * EGL_EXT_image_dma_buf_import_modifiers, the modifiers of each DRM format vkshare maps.
 */
function dmaBufFacts(display: Pointer): { dmaBuf?: GlDmaBufFacts } {
  const egl = eglLibrary(), ext = eglExtensions();
  const offered = rt.cstring(egl.eglQueryString(display, E.EGL_EXTENSIONS)).split(" ");
  if (!offered.includes("EGL_EXT_image_dma_buf_import")) return {};
  const query = ext.eglQueryDmaBufModifiersEXT;
  const modifiers = offered.includes("EGL_EXT_image_dma_buf_import_modifiers") && !!query;
  const formats: Record<string, { modifier: string; externalOnly: boolean }[]> = {};
  for (const f of modifiers ? Object.values(GL_DRM_FORMATS) : []) {
    const n = new Int32Array(1);
    const mods = new BigUint64Array(64), externalOnly = new Uint32Array(64);
    if (!query!(display, f!.code, 64, mods, externalOnly, n)) {
      egl.eglGetError(); // EGL_BAD_PARAMETER: a format this EGL does not import
      continue;
    }
    formats[f!.fourcc] = Array.from(mods.subarray(0, n[0]), (m, i) => ({
      modifier: modifierHex(m),
      externalOnly: externalOnly[i] !== 0,
    }));
  }
  return { dmaBuf: { modifiers, formats } };
}

/** The EGL displays to try: one per EGL device, or Mesa's surfaceless one. */
function displays(): { display: Pointer; platform: "device" | "surfaceless" }[] {
  const egl = eglLibrary(), ext = eglExtensions();
  const client = rt.cstring(egl.eglQueryString(null, E.EGL_EXTENSIONS)).split(" ");
  const none = new BigInt64Array([BigInt(E.EGL_NONE)]);
  const out: { display: Pointer; platform: "device" | "surfaceless" }[] = [];
  if (client.includes("EGL_EXT_platform_device") && ext.eglQueryDevicesEXT) {
    const devices = new BigUint64Array(16), n = new Int32Array(1);
    if (ext.eglQueryDevicesEXT(16, devices, n)) {
      for (const d of devices.subarray(0, n[0])) {
        const display = egl.eglGetPlatformDisplay(E.EGL_PLATFORM_DEVICE_EXT, rt.pointer(d), none);
        if (display) out.push({ display, platform: "device" });
      }
    }
  }
  if (!out.length && client.includes("EGL_MESA_platform_surfaceless")) {
    const display = egl.eglGetPlatformDisplay(E.EGL_PLATFORM_SURFACELESS_MESA, null, none);
    if (display) out.push({ display, platform: "surfaceless" });
  }
  return out;
}

function initialize(display: Pointer): boolean {
  const key = rt.address(display);
  const users = displayUsers.get(key) ?? 0;
  if (users === 0 && !eglLibrary().eglInitialize(display, new Int32Array(1), new Int32Array(1))) {
    return false;
  }
  displayUsers.set(key, users + 1);
  return true;
}

function release(display: Pointer, context: Pointer): void {
  const egl = eglLibrary();
  if (
    egl.eglGetCurrentContext() !== null
    && rt.address(egl.eglGetCurrentContext()) === rt.address(context)
  ) {
    egl.eglMakeCurrent(display, null, null, null);
  }
  if (context) egl.eglDestroyContext(display, context);
  const key = rt.address(display);
  const users = (displayUsers.get(key) ?? 1) - 1;
  if (users > 0) displayUsers.set(key, users);
  else {
    displayUsers.delete(key);
    egl.eglTerminate(display);
  }
}

/** A core-profile context (4.5, then any version), made current with no surface. */
function makeContext(display: Pointer): Pointer {
  const egl = eglLibrary();
  if (!egl.eglBindAPI(E.EGL_OPENGL_API)) return null;
  const attempts = [
    [
      E.EGL_CONTEXT_MAJOR_VERSION,
      4,
      E.EGL_CONTEXT_MINOR_VERSION,
      5,
      E.EGL_CONTEXT_OPENGL_PROFILE_MASK,
      E.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
      E.EGL_NONE,
    ],
    [E.EGL_NONE],
  ];
  for (const a of attempts) {
    const context = egl.eglCreateContext(display, null, null, new Int32Array(a));
    if (context && egl.eglMakeCurrent(display, null, null, context)) return context;
    if (context) egl.eglDestroyContext(display, context);
  }
  return null;
}

/**
 * Reads GL's error flags until none is left: at most one per kind of error (GL keeps one flag
 * each), so a lost context that answers GL_CONTEXT_LOST for ever cannot hold the loop.
 */
function clearErrors(gl: Gl): void {
  for (let i = 0; i < 16 && gl.glGetError!() !== E.GL_NO_ERROR; i++) { /* one flag a read */ }
}

/** The current context's facts (GL_EXT_memory_object gives the UUIDs). */
function readFacts(gl: Gl): GlFacts {
  const str = (name: number) => rt.cstring(gl.glGetString!(name));
  const n = new Int32Array(1);
  gl.glGetIntegerv!(E.GL_NUM_EXTENSIONS, n);
  const extensions: string[] = [];
  for (let i = 0; i < n[0]; i++) extensions.push(rt.cstring(gl.glGetStringi!(E.GL_EXTENSIONS, i)));
  const device = new Uint8Array(16), driver = new Uint8Array(16);
  if (extensions.includes("GL_EXT_memory_object") && gl.glGetUnsignedBytei_vEXT) {
    gl.glGetUnsignedBytei_vEXT(E.GL_DEVICE_UUID_EXT, 0, device);
    gl.glGetUnsignedBytevEXT!(E.GL_DRIVER_UUID_EXT, driver);
  }
  gl.glGetIntegerv!(E.GL_MAX_TEXTURE_SIZE, n);
  const name = str(E.GL_RENDERER);
  clearErrors(gl);
  return {
    name,
    deviceUUID: uuidString(device),
    driverUUID: uuidString(driver),
    extensions,
    // Measured on llvmpipe (Mesa 22.3.6, 25.0.7): a buffer needs 8 bytes past its end, and
    // starts at the memory's byte 0 whatever offset it is given (tests/gl/gl_test.ts).
    bufferPadding: name.startsWith("llvmpipe") ? 8 : 0,
    bufferOffsets: !name.startsWith("llvmpipe"),
    maxTextureSize: n[0],
    linearTiling: takesLinearTiling(gl, extensions),
  };
}

/** Whether GL takes GL_LINEAR_TILING_EXT for a texture (asked on a texture made and deleted). */
function takesLinearTiling(gl: Gl, extensions: readonly string[]): boolean {
  if (!extensions.includes("GL_EXT_memory_object")) return false;
  const t = new Uint32Array(1);
  gl.glCreateTextures!(E.GL_TEXTURE_2D, 1, t);
  gl.glTextureParameteri!(t[0], E.GL_TEXTURE_TILING_EXT, E.GL_LINEAR_TILING_EXT);
  const ok = gl.glGetError!() === E.GL_NO_ERROR;
  gl.glDeleteTextures!(1, t);
  clearErrors(gl);
  return ok;
}

function wantOf(v: GlDeviceIdentity | undefined): { uuid: string; name: string } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return { uuid: v, name: v };
  if (v && typeof v === "object" && typeof v.deviceUUID === "string") {
    return { uuid: v.deviceUUID, name: String(v.deviceName ?? v.name ?? v.deviceUUID) };
  }
  throw new TypeError(
    `deviceUUID: expected a UUID string, or a PhysicalDevice or descriptor with one, got ${
      String(v)
    }`,
  );
}

/** The first EGL device whose context matches `want` (or has external objects). */
function pick(want: { uuid: string; name: string } | undefined): Candidate {
  const seen: string[] = [];
  const list = displays();
  if (!list.length) {
    throw new GlError(
      "eglGetPlatformDisplay",
      "GL_MISSING",
      "this EGL has neither EGL_EXT_platform_device devices nor EGL_MESA_platform_surfaceless: no headless GL here (Mesa: apt-get install libegl-mesa0 libgl1-mesa-dri; NVIDIA: the driver's libEGL_nvidia)",
    );
  }
  for (const { display, platform } of list) {
    if (!initialize(display)) {
      seen.push(`an EGL ${platform} display that does not initialize`);
      continue;
    }
    const context = makeContext(display);
    if (!context) {
      seen.push(`an EGL ${platform} display with no OpenGL context`);
      release(display, null);
      continue;
    }
    const facts = readFacts(glFunctions());
    const external = facts.extensions.includes("GL_EXT_memory_object_fd");
    if (external && (!want || facts.deviceUUID === want.uuid)) {
      return { display, context, platform, facts: { ...facts, ...dmaBufFacts(display) } };
    }
    seen.push(
      `"${facts.name}" (deviceUUID ${facts.deviceUUID}${
        external ? "" : ", no GL_EXT_memory_object_fd"
      })`,
    );
    release(display, context);
  }
  if (want) {
    throw new ShareError(
      "UUID_MISMATCH",
      `no GL context is the Vulkan device "${want.name}" (deviceUUID ${want.uuid}); EGL offers ${
        seen.join(", ")
      }: GL must run on the GPU and driver that exported the memory (on Mesa, the same Mesa version)`,
      want.uuid,
      seen,
    );
  }
  throw new GlError(
    "glGetStringi",
    "GL_MISSING",
    `no EGL device has GL_EXT_memory_object_fd: EGL offers ${seen.join(", ")}`,
  );
}

/**
 * A headless OpenGL context (EGL, no window), made current when vkshare calls GL through it. Its
 * imports (buffers, textures, semaphores) are its children, disposed before it.
 *
 * @example
 * ```ts
 * using gl = GlContext.create({ deviceUUID: device.physicalDevice });
 * console.log(gl.facts.name, gl.sync); // "llvmpipe (LLVM 15.0.6, 256 bits)" "host"
 * ```
 *
 * @category OpenGL
 */
export class GlContext extends Resource {
  /** What the context is: its renderer, UUIDs, extensions, and the driver facts the rules use. */
  readonly facts: GlFacts;
  /** The EGL platform it was made on: an EGL device, or Mesa's surfaceless platform. */
  readonly platform: "device" | "surfaceless";
  #display: Pointer;
  #context: Pointer;
  #gl: Gl;
  /** The extensions as a set, and the functions already found (a frozen array's `includes` is slow on Bun). */
  #extensions: ReadonlySet<string>;
  #found = new Map<string, unknown>();

  /** @ignore Made by {@linkcode GlContext.create}. */
  private constructor(c: Candidate) {
    super();
    this.#display = c.display;
    this.#context = c.context;
    this.platform = c.platform;
    this.facts = Object.freeze({ ...c.facts, extensions: Object.freeze([...c.facts.extensions]) });
    this.#gl = glFunctions();
    this.#extensions = new Set(c.facts.extensions);
  }

  /**
   * A context on the EGL device that is `deviceUUID`'s GPU (its GL_DEVICE_UUID_EXT equals the
   * Vulkan deviceUUID), or on the first with GL_EXT_memory_object_fd. A ShareError UUID_MISMATCH
   * names every EGL device seen when none is that GPU; a LibraryLoadError when there is no
   * libEGL.so.1.
   */
  static create(options?: GlContextOptions): GlContext {
    return new GlContext(pick(wantOf(options?.deviceUUID)));
  }

  /** `GL context "llvmpipe (LLVM 15.0.6, 256 bits)"`. */
  get label(): string {
    return `GL context "${this.facts.name}"`;
  }

  /**
   * How GL and Vulkan hand work to each other here: `semaphore` where the context has
   * GL_EXT_semaphore_fd (import a Vulkan semaphore, then wait and signal it in GL), `host`
   * elsewhere (GL work is finished with {@linkcode GlContext.finish} before Vulkan uses the
   * memory, and Vulkan's work is waited on by the host before GL uses it). Where it says
   * `semaphore`, hand off through semaphores that name the buffers and textures: that is what
   * makes Vulkan's writes visible to GL (EXT_external_objects).
   */
  get sync(): "semaphore" | "host" {
    return this.#extensions.has("GL_EXT_semaphore_fd") ? "semaphore" : "host";
  }

  /** @ignore @internal Runs `fn` with this context current, checking GL's error after. */
  call<T>(call: string, fn: (gl: Gl) => T, detail?: () => string): T {
    this.alive();
    const egl = eglLibrary();
    const current = egl.eglGetCurrentContext();
    if (current === null || rt.address(current) !== rt.address(this.#context)) {
      eglCheck(!!egl.eglMakeCurrent(this.#display, null, null, this.#context), "eglMakeCurrent");
    }
    const gl = this.#gl;
    const out = fn(gl);
    const e = gl.glGetError!();
    if (e !== E.GL_NO_ERROR) {
      clearErrors(gl);
      throw new GlError(
        call,
        GL_ERROR_NAMES[e] ?? `GL error 0x${e.toString(16)}`,
        detail?.() ?? "",
      );
    }
    return out;
  }

  /**
   * @ignore @internal An EGLImage of the dma-buf `fd` (EGL_LINUX_DMA_BUF_EXT) as `t` describes
   * it; EGL keeps its own reference to the dma-buf, the caller still owns `fd`.
   */
  dmaBufImage(fd: number, t: NonNullable<GlImportPlan["texture"]>): Pointer {
    this.alive();
    const d = t.dmaBuf!;
    const m = BigInt(d.modifier);
    const attribs = [
      E.EGL_WIDTH,
      t.width,
      E.EGL_HEIGHT,
      t.height,
      E.EGL_LINUX_DRM_FOURCC_EXT,
      d.fourcc,
      E.EGL_DMA_BUF_PLANE0_FD_EXT,
      fd,
      E.EGL_DMA_BUF_PLANE0_OFFSET_EXT,
      d.offset,
      E.EGL_DMA_BUF_PLANE0_PITCH_EXT,
      d.rowPitch,
      ...(this.facts.dmaBuf?.modifiers
        ? [
          E.EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT,
          Number(m & 0xffffffffn),
          E.EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT,
          Number(m >> 32n),
        ]
        : []),
      E.EGL_NONE,
    ];
    const egl = eglLibrary();
    const list = new BigInt64Array(attribs.map(BigInt));
    const image = egl.eglCreateImage(this.#display, null, E.EGL_LINUX_DMA_BUF_EXT, null, list);
    eglCheck(
      image !== null,
      "eglCreateImage",
      `a ${t.width}x${t.height} dma-buf image, DRM format 0x${
        d.fourcc.toString(16)
      }, modifier ${d.modifier}, offset ${d.offset}, ${d.rowPitch} bytes a row`,
    );
    return image;
  }

  /** @ignore @internal Destroys an EGLImage of this context's display. */
  destroyImage(image: Pointer): void {
    if (!this.disposed) eglLibrary().eglDestroyImage(this.#display, image);
  }

  /** @ignore @internal The GL function `name`, or a GlError naming the extension it needs. */
  fn<K extends keyof Gl>(name: K, extension: string): NonNullable<Gl[K]> {
    const key = `${name} ${extension}`;
    const known = this.#found.get(key);
    if (known) return known as NonNullable<Gl[K]>;
    const f = this.#gl[name];
    if (!f || (extension && !this.#extensions.has(extension))) {
      throw new GlError(
        String(name),
        "GL_MISSING",
        `${this.label} has no ${extension || String(name)}${
          this.facts.name.startsWith("llvmpipe") && extension === "GL_EXT_semaphore_fd"
            ? " (Mesa's llvmpipe has no GL semaphores: hand off through the host, GlContext.finish)"
            : ""
        }`,
      );
    }
    this.#found.set(key, f);
    return f as NonNullable<Gl[K]>;
  }

  /**
   * Waits until every GL command so far has finished (glFinish): the host handoff from GL to
   * Vulkan where the context has no semaphores. After it, Vulkan may read what GL wrote.
   */
  finish(): void {
    this.call("glFinish", (gl) => gl.glFinish!());
  }

  /** Destroys the context, and terminates its EGL display when no other context uses it. */
  protected destroy(): void {
    release(this.#display, this.#context);
  }
}

/** @ignore @internal A GL name (buffer, texture, memory object) made by `create`. */
export function glName(
  ctx: GlContext,
  call: keyof Gl,
  create: (out: Uint32Array) => void,
): number {
  nameOut[0] = 0;
  ctx.call(String(call), () => create(nameOut));
  const name = nameOut[0];
  if (name === 0) throw new GlError(String(call), "GL_MISSING", "no name was made");
  return name;
}

/**
 * Where glName's calls write the name: one array for all (GL calls do not nest), so that Deno's
 * libffi path asks its address once instead of for a new array at each call (about 700 ns).
 */
const nameOut = new Uint32Array(1);

/**
 * The facts of a GL context on the GPU `deviceUUID` names (made, read and disposed), or why
 * none can be made here, in one line: no libEGL.so.1 (and what to install), no headless EGL, or
 * no GL on that GPU (every EGL device seen). What a script, the doctor or a test asks before it
 * shares with GL; errors that are not vkshare's are thrown.
 *
 * @example
 * ```ts
 * const gl = probeGl(device.physicalDevice);
 * if (typeof gl === "string") console.log(`no GL: ${gl}`);
 * else console.log(gl.name, gl.extensions.includes("GL_EXT_semaphore_fd"));
 * ```
 *
 * @category OpenGL
 */
export function probeGl(deviceUUID?: GlDeviceIdentity): GlFacts | string {
  try {
    using gl = GlContext.create({ deviceUUID });
    return gl.facts;
  } catch (e) {
    if (e instanceof LibraryLoadError) return `no libEGL.so.1 (${EGL_INSTALL_HINT})`;
    if (!(e instanceof VkshareError)) throw e;
    return e.message.split("\n").join(" ");
  }
}
