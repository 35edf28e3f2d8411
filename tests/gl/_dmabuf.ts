// A real dma-buf of GL texels, for the EGLImage import: a GL texture of its own EGL context,
// exported with EGL_MESA_image_dma_buf_export (NVIDIA's EGL offers it; Mesa's llvmpipe gives no
// fd without /dev/udmabuf). The tests' own raw EGL, so the import under test sees a dma-buf it
// did not make.
import { eglExtensions, eglLibrary, GLENUM as E, glFunctions } from "../../ffi/gl.ts";
import { libc } from "../../ffi/libc.ts";
import { rt } from "../../ffi/runtime.ts";

/** A dma-buf of `texels` (RGBA8, rows packed), where EGL exports one. */
export interface TexelsDmaBuf extends Disposable {
  fd: number;
  size: number;
  fourcc: number;
  modifier: bigint;
  offset: number;
  rowPitch: number;
  /** Reads the source texture back (what GL wrote into the dma-buf through the import). */
  readSource(): Uint8Array;
}

const proc = (name: string) =>
  eglLibrary().eglGetProcAddress(new TextEncoder().encode(`${name}\0`));

/** A dma-buf of `texels` as an RGBA8 `width` x `height` texture, or why there is none here. */
export function texelsDmaBuf(
  width: number,
  height: number,
  texels: Uint8Array,
): TexelsDmaBuf | string {
  const egl = eglLibrary();
  const query = proc("eglExportDMABUFImageQueryMESA"), exportFds = proc("eglExportDMABUFImageMESA");
  const storage2D = proc("glTextureStorage2D");
  if (!query || !exportFds || !storage2D) return "this EGL has no EGL_MESA_image_dma_buf_export";
  const devices = new BigUint64Array(1), n = new Int32Array(1);
  if (!eglExtensions().eglQueryDevicesEXT?.(1, devices, n) || n[0] < 1) return "no EGL device";
  const none = new BigInt64Array([BigInt(E.EGL_NONE)]);
  const dpy = egl.eglGetPlatformDisplay(E.EGL_PLATFORM_DEVICE_EXT, rt.pointer(devices[0]), none);
  if (!dpy || !egl.eglInitialize(dpy, new Int32Array(1), new Int32Array(1))) {
    return "no EGL display";
  }
  // glvnd answers eglGetProcAddress for any name: what the display offers is in its extensions.
  const offered = rt.cstring(egl.eglQueryString(dpy, E.EGL_EXTENSIONS)).split(" ");
  for (const need of ["EGL_MESA_image_dma_buf_export", "EGL_KHR_gl_texture_2D_image"]) {
    if (!offered.includes(need)) return `this EGL has no ${need}`;
  }
  egl.eglBindAPI(E.EGL_OPENGL_API);
  const ctx = egl.eglCreateContext(dpy, null, null, new Int32Array([E.EGL_NONE]));
  if (!ctx || !egl.eglMakeCurrent(dpy, null, null, ctx)) return "no EGL context";
  const gl = glFunctions();
  const tex = new Uint32Array(1);
  gl.glCreateTextures!(E.GL_TEXTURE_2D, 1, tex);
  const storage = rt.fn(
    storage2D,
    {
      parameters: ["u32", "i32", "u32", "i32", "i32"],
      result: "void",
    } as const,
  );
  storage(tex[0], 1, E.GL_RGBA8, width, height);
  gl.glPixelStorei!(E.GL_UNPACK_ALIGNMENT, 1);
  gl.glTextureSubImage2D!(tex[0], 0, 0, 0, width, height, E.GL_RGBA, E.GL_UNSIGNED_BYTE, texels);
  gl.glFinish!();
  const image = egl.eglCreateImage(dpy, ctx, 0x30b1, rt.pointer(BigInt(tex[0])), none); // EGL_GL_TEXTURE_2D
  let disposed = false;
  const done = () => {
    if (disposed) return;
    disposed = true;
    if (image) egl.eglDestroyImage(dpy, image);
    egl.eglMakeCurrent(dpy, null, null, ctx);
    gl.glDeleteTextures!(1, tex);
    egl.eglMakeCurrent(dpy, null, null, null);
    egl.eglDestroyContext(dpy, ctx);
  };
  const sig = {
    parameters: ["pointer", "pointer", "buffer", "buffer", "buffer"],
    result: "u32",
  } as const;
  const fourcc = new Int32Array(1), planes = new Int32Array(1), modifier = new BigUint64Array(4);
  const fds = new Int32Array(4).fill(-1), strides = new Int32Array(4), offsets = new Int32Array(4);
  const failed = !image
    ? "eglCreateImage of a GL texture failed"
    : !rt.fn(query, sig)(dpy, image, fourcc, planes, modifier)
    ? "eglExportDMABUFImageQueryMESA failed"
    : planes[0] !== 1
    ? `its image has ${planes[0]} planes (the test takes 1)`
    : !rt.fn(exportFds, sig)(dpy, image, fds, strides, offsets) || fds[0] < 0
    ? "eglExportDMABUFImageMESA failed"
    : undefined;
  if (failed) {
    const error = egl.eglGetError();
    done();
    return `EGL exports no dma-buf of a texture here: ${failed}${
      error === 0x3000 ? "" : ` (EGL error 0x${error.toString(16)})`
    }`;
  }
  const size = Number(libc().lseek(fds[0], 0n, 2));
  return {
    fd: fds[0],
    size,
    fourcc: fourcc[0],
    modifier: modifier[0],
    offset: offsets[0],
    rowPitch: strides[0],
    readSource() {
      egl.eglMakeCurrent(dpy, null, null, ctx);
      const out = new Uint8Array(width * height * 4);
      gl.glPixelStorei!(E.GL_PACK_ALIGNMENT, 1);
      gl.glGetTextureImage!(tex[0], 0, E.GL_RGBA, E.GL_UNSIGNED_BYTE, out.byteLength, out);
      return out;
    },
    [Symbol.dispose]: done,
  };
}
