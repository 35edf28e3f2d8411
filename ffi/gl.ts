/**
 * libEGL and OpenGL, through the same FFI layer as libvulkan: libEGL.so.1 (libglvnd's, or any
 * EGL 1.5) is opened on first use, from `VKSHARE_LIBEGL` or `libEGL.so.1`; every EGL extension
 * function and every GL function is then resolved through `eglGetProcAddress`
 * (EGL_KHR_get_all_proc_addresses, which EGL 1.5 makes core), as C programs without a GL loader do.
 *
 * Each parameter is commented with its C declaration, and a test compares every table with the
 * prototypes of egl.h, eglext.h, glcorearb.h and glext.h (Debian: libegl-dev, libgl-dev).
 * EGLBoolean and EGLenum are `unsigned int`, EGLint is `int32_t`, EGLAttrib is `intptr_t`; the
 * EGL handles (EGLDisplay, EGLContext, EGLDeviceEXT, EGLImage) and GLsync are pointers.
 *
 * @module
 */
import { cString } from "./cstring.ts";
import { openFirst } from "./library.ts";
import { rt } from "./runtime.ts";
import type { ForeignFunction, FunctionOf, FunctionsOf, Library, SymbolTable } from "./types.ts";

/** libEGL's own exports (EGL 1.5), resolved by the dynamic loader. */
export const EGL = {
  eglGetError: { parameters: [], result: "i32" },
  eglGetProcAddress: {
    parameters: [
      "buffer", // const char *procname
    ],
    result: "pointer",
  },
  eglQueryString: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "i32", // EGLint name
    ],
    result: "pointer",
  },
  eglGetPlatformDisplay: {
    parameters: [
      "u32", // EGLenum platform
      "pointer", // void *native_display
      "buffer", // const EGLAttrib *attrib_list
    ],
    result: "pointer",
  },
  eglInitialize: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "buffer", // EGLint *major
      "buffer", // EGLint *minor
    ],
    result: "u32",
  },
  eglTerminate: {
    parameters: [
      "pointer", // EGLDisplay dpy
    ],
    result: "u32",
  },
  eglBindAPI: {
    parameters: [
      "u32", // EGLenum api
    ],
    result: "u32",
  },
  eglCreateContext: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "pointer", // EGLConfig config
      "pointer", // EGLContext share_context
      "buffer", // const EGLint *attrib_list
    ],
    result: "pointer",
  },
  eglDestroyContext: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "pointer", // EGLContext ctx
    ],
    result: "u32",
  },
  eglMakeCurrent: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "pointer", // EGLSurface draw
      "pointer", // EGLSurface read
      "pointer", // EGLContext ctx
    ],
    result: "u32",
  },
  eglGetCurrentContext: { parameters: [], result: "pointer" },
  eglCreateImage: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "pointer", // EGLContext ctx
      "u32", // EGLenum target
      "pointer", // EGLClientBuffer buffer
      "buffer", // const EGLAttrib *attrib_list
    ],
    result: "pointer",
  },
  eglDestroyImage: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "pointer", // EGLImage image
    ],
    result: "u32",
  },
} as const satisfies SymbolTable;

/** EGL extension functions (eglext.h), resolved through `eglGetProcAddress`. */
export const EGL_EXT = {
  eglQueryDevicesEXT: {
    parameters: [
      "i32", // EGLint max_devices
      "buffer", // EGLDeviceEXT *devices
      "buffer", // EGLint *num_devices
    ],
    result: "u32",
  },
  eglQueryDeviceStringEXT: {
    parameters: [
      "pointer", // EGLDeviceEXT device
      "i32", // EGLint name
    ],
    result: "pointer",
  },
  eglQueryDmaBufFormatsEXT: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "i32", // EGLint max_formats
      "buffer", // EGLint *formats
      "buffer", // EGLint *num_formats
    ],
    result: "u32",
  },
  eglQueryDmaBufModifiersEXT: {
    parameters: [
      "pointer", // EGLDisplay dpy
      "i32", // EGLint format
      "i32", // EGLint max_modifiers
      "buffer", // EGLuint64KHR *modifiers
      "buffer", // EGLBoolean *external_only
      "buffer", // EGLint *num_modifiers
    ],
    result: "u32",
  },
} as const satisfies SymbolTable;

/** OpenGL functions (glcorearb.h, glext.h), resolved through `eglGetProcAddress`. */
export const GL = {
  glGetError: { parameters: [], result: "u32" },
  glGetString: {
    parameters: [
      "u32", // GLenum name
    ],
    result: "pointer",
  },
  glGetStringi: {
    parameters: [
      "u32", // GLenum name
      "u32", // GLuint index
    ],
    result: "pointer",
  },
  glGetIntegerv: {
    parameters: [
      "u32", // GLenum pname
      "buffer", // GLint *data
    ],
    result: "void",
  },
  glGetUnsignedBytevEXT: {
    parameters: [
      "u32", // GLenum pname
      "buffer", // GLubyte *data
    ],
    result: "void",
  },
  glGetUnsignedBytei_vEXT: {
    parameters: [
      "u32", // GLenum target
      "u32", // GLuint index
      "buffer", // GLubyte *data
    ],
    result: "void",
  },
  glFinish: { parameters: [], result: "void" },
  glFlush: { parameters: [], result: "void" },
  glPixelStorei: {
    parameters: [
      "u32", // GLenum pname
      "i32", // GLint param
    ],
    result: "void",
  },
  glCreateMemoryObjectsEXT: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // GLuint *memoryObjects
    ],
    result: "void",
  },
  glDeleteMemoryObjectsEXT: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // const GLuint *memoryObjects
    ],
    result: "void",
  },
  glMemoryObjectParameterivEXT: {
    parameters: [
      "u32", // GLuint memoryObject
      "u32", // GLenum pname
      "buffer", // const GLint *params
    ],
    result: "void",
  },
  glImportMemoryFdEXT: {
    parameters: [
      "u32", // GLuint memory
      "u64", // GLuint64 size
      "u32", // GLenum handleType
      "i32", // GLint fd
    ],
    result: "void",
  },
  glCreateBuffers: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // GLuint *buffers
    ],
    result: "void",
  },
  glDeleteBuffers: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // const GLuint *buffers
    ],
    result: "void",
  },
  glNamedBufferStorageMemEXT: {
    parameters: [
      "u32", // GLuint buffer
      "isize", // GLsizeiptr size
      "u32", // GLuint memory
      "u64", // GLuint64 offset
    ],
    result: "void",
  },
  glNamedBufferStorage: {
    parameters: [
      "u32", // GLuint buffer
      "isize", // GLsizeiptr size
      "pointer", // const void *data
      "u32", // GLbitfield flags
    ],
    result: "void",
  },
  glCopyNamedBufferSubData: {
    parameters: [
      "u32", // GLuint readBuffer
      "u32", // GLuint writeBuffer
      "isize", // GLintptr readOffset
      "isize", // GLintptr writeOffset
      "isize", // GLsizeiptr size
    ],
    result: "void",
  },
  glNamedBufferSubData: {
    parameters: [
      "u32", // GLuint buffer
      "isize", // GLintptr offset
      "isize", // GLsizeiptr size
      "buffer", // const void *data
    ],
    result: "void",
  },
  glGetNamedBufferSubData: {
    parameters: [
      "u32", // GLuint buffer
      "isize", // GLintptr offset
      "isize", // GLsizeiptr size
      "buffer", // void *data
    ],
    result: "void",
  },
  glCreateTextures: {
    parameters: [
      "u32", // GLenum target
      "i32", // GLsizei n
      "buffer", // GLuint *textures
    ],
    result: "void",
  },
  glDeleteTextures: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // const GLuint *textures
    ],
    result: "void",
  },
  glTextureParameteri: {
    parameters: [
      "u32", // GLuint texture
      "u32", // GLenum pname
      "i32", // GLint param
    ],
    result: "void",
  },
  glTextureStorageMem2DEXT: {
    parameters: [
      "u32", // GLuint texture
      "i32", // GLsizei levels
      "u32", // GLenum internalFormat
      "i32", // GLsizei width
      "i32", // GLsizei height
      "u32", // GLuint memory
      "u64", // GLuint64 offset
    ],
    result: "void",
  },
  glTextureSubImage2D: {
    parameters: [
      "u32", // GLuint texture
      "i32", // GLint level
      "i32", // GLint xoffset
      "i32", // GLint yoffset
      "i32", // GLsizei width
      "i32", // GLsizei height
      "u32", // GLenum format
      "u32", // GLenum type
      "buffer", // const void *pixels
    ],
    result: "void",
  },
  glGetTextureImage: {
    parameters: [
      "u32", // GLuint texture
      "i32", // GLint level
      "u32", // GLenum format
      "u32", // GLenum type
      "i32", // GLsizei bufSize
      "buffer", // void *pixels
    ],
    result: "void",
  },
  glGenSemaphoresEXT: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // GLuint *semaphores
    ],
    result: "void",
  },
  glDeleteSemaphoresEXT: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // const GLuint *semaphores
    ],
    result: "void",
  },
  glEGLImageTargetTextureStorageEXT: {
    parameters: [
      "u32", // GLuint texture
      "pointer", // GLeglImageOES image
      "buffer", // const GLint* attrib_list
    ],
    result: "void",
  },
  glCreateSemaphoresNV: {
    parameters: [
      "i32", // GLsizei n
      "buffer", // GLuint *semaphores
    ],
    result: "void",
  },
  glSemaphoreParameterivNV: {
    parameters: [
      "u32", // GLuint semaphore
      "u32", // GLenum pname
      "buffer", // const GLint *params
    ],
    result: "void",
  },
  glSemaphoreParameterui64vEXT: {
    parameters: [
      "u32", // GLuint semaphore
      "u32", // GLenum pname
      "buffer", // const GLuint64 *params
    ],
    result: "void",
  },
  glImportSemaphoreFdEXT: {
    parameters: [
      "u32", // GLuint semaphore
      "u32", // GLenum handleType
      "i32", // GLint fd
    ],
    result: "void",
  },
  glWaitSemaphoreEXT: {
    parameters: [
      "u32", // GLuint semaphore
      "u32", // GLuint numBufferBarriers
      "buffer", // const GLuint *buffers
      "u32", // GLuint numTextureBarriers
      "buffer", // const GLuint *textures
      "buffer", // const GLenum *srcLayouts
    ],
    result: "void",
  },
  glSignalSemaphoreEXT: {
    parameters: [
      "u32", // GLuint semaphore
      "u32", // GLuint numBufferBarriers
      "buffer", // const GLuint *buffers
      "u32", // GLuint numTextureBarriers
      "buffer", // const GLuint *textures
      "buffer", // const GLenum *dstLayouts
    ],
    result: "void",
  },
} as const satisfies SymbolTable;

/** The environment variable that names the libEGL to load instead of `libEGL.so.1`. */
export const LIBEGL_ENV = "VKSHARE_LIBEGL";

/** What to install to get EGL and a GL driver for it. */
export const EGL_INSTALL_HINT =
  "EGL comes with libglvnd and a GL driver: on Debian, apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri (Mesa's llvmpipe, no GPU needed), or the NVIDIA driver's libnvidia-egl (libEGL_nvidia.so.0)";

let egl: Library<typeof EGL> | undefined;

/** The libEGL functions; opens the library on the first call (throws LibraryLoadError). */
export function eglLibrary(): FunctionsOf<typeof EGL> {
  egl ??= openFirst("libEGL", LIBEGL_ENV, ["libEGL.so.1", "libEGL.so"], EGL, EGL_INSTALL_HINT);
  return egl.symbols;
}

/** A table resolved through `eglGetProcAddress`: each function, or null where EGL has none. */
export type ProcTable<S extends SymbolTable> = { readonly [K in keyof S]: FunctionOf<S[K]> | null };

function resolve<S extends SymbolTable>(table: S): ProcTable<S> {
  const get = eglLibrary().eglGetProcAddress;
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table) as [string, ForeignFunction][]) {
    const p = get(cString(name));
    out[name] = p === null ? null : rt.fn(p, def);
  }
  return out as ProcTable<S>;
}

let eglExt: ProcTable<typeof EGL_EXT> | undefined;
let gl: ProcTable<typeof GL> | undefined;

/** The EGL extension functions (null where this EGL lacks one), resolved once. */
export function eglExtensions(): ProcTable<typeof EGL_EXT> {
  return eglExt ??= resolve(EGL_EXT);
}

/**
 * The GL functions (null where this EGL resolves none), resolved once: libglvnd's dispatch
 * stubs call into whichever context is current on the thread.
 */
export function glFunctions(): ProcTable<typeof GL> {
  return gl ??= resolve(GL);
}

/**
 * EGL and GL enumerants used by vkshare, each checked against its #define in egl.h, eglext.h,
 * glcorearb.h or glext.h (tests/ffi/gl_commands_test.ts).
 */
export const GLENUM = {
  EGL_NONE: 0x3038,
  EGL_EXTENSIONS: 0x3055,
  EGL_OPENGL_API: 0x30a2,
  EGL_CONTEXT_MAJOR_VERSION: 0x3098,
  EGL_CONTEXT_MINOR_VERSION: 0x30fb,
  EGL_CONTEXT_OPENGL_PROFILE_MASK: 0x30fd,
  EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT: 0x1,
  EGL_PLATFORM_DEVICE_EXT: 0x313f,
  EGL_PLATFORM_SURFACELESS_MESA: 0x31dd,
  EGL_WIDTH: 0x3057,
  EGL_HEIGHT: 0x3056,
  EGL_LINUX_DMA_BUF_EXT: 0x3270,
  EGL_LINUX_DRM_FOURCC_EXT: 0x3271,
  EGL_DMA_BUF_PLANE0_FD_EXT: 0x3272,
  EGL_DMA_BUF_PLANE0_OFFSET_EXT: 0x3273,
  EGL_DMA_BUF_PLANE0_PITCH_EXT: 0x3274,
  EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT: 0x3443,
  EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT: 0x3444,
  GL_NO_ERROR: 0,
  GL_NONE: 0,
  GL_RENDERER: 0x1f01,
  GL_EXTENSIONS: 0x1f03,
  GL_NUM_EXTENSIONS: 0x821d,
  GL_TEXTURE_2D: 0x0de1,
  GL_PACK_ALIGNMENT: 0x0d05,
  GL_UNPACK_ALIGNMENT: 0x0cf5,
  GL_RGBA: 0x1908,
  GL_RED: 0x1903,
  GL_UNSIGNED_BYTE: 0x1401,
  GL_FLOAT: 0x1406,
  GL_HALF_FLOAT: 0x140b,
  GL_MAX_TEXTURE_SIZE: 0x0d33,
  GL_RGBA8: 0x8058,
  GL_SRGB8_ALPHA8: 0x8c43,
  GL_R8: 0x8229,
  GL_R32F: 0x822e,
  GL_RGBA16F: 0x881a,
  GL_RGBA32F: 0x8814,
  GL_TEXTURE_TILING_EXT: 0x9580,
  GL_DEDICATED_MEMORY_OBJECT_EXT: 0x9581,
  GL_OPTIMAL_TILING_EXT: 0x9584,
  GL_LINEAR_TILING_EXT: 0x9585,
  GL_HANDLE_TYPE_OPAQUE_FD_EXT: 0x9586,
  GL_DEVICE_UUID_EXT: 0x9597,
  GL_LAYOUT_GENERAL_EXT: 0x958d,
  GL_LAYOUT_COLOR_ATTACHMENT_EXT: 0x958e,
  GL_LAYOUT_DEPTH_STENCIL_ATTACHMENT_EXT: 0x958f,
  GL_LAYOUT_DEPTH_STENCIL_READ_ONLY_EXT: 0x9590,
  GL_LAYOUT_SHADER_READ_ONLY_EXT: 0x9591,
  GL_LAYOUT_TRANSFER_SRC_EXT: 0x9592,
  GL_LAYOUT_TRANSFER_DST_EXT: 0x9593,
  GL_DRIVER_UUID_EXT: 0x9598,
  GL_TIMELINE_SEMAPHORE_VALUE_NV: 0x9595,
  GL_SEMAPHORE_TYPE_NV: 0x95b3,
  GL_SEMAPHORE_TYPE_TIMELINE_NV: 0x95b5,
} as const;

/** GL's error codes by value, for messages. */
export const GL_ERROR_NAMES: Readonly<Record<number, string>> = {
  0x0500: "GL_INVALID_ENUM",
  0x0501: "GL_INVALID_VALUE",
  0x0502: "GL_INVALID_OPERATION",
  0x0503: "GL_STACK_OVERFLOW",
  0x0504: "GL_STACK_UNDERFLOW",
  0x0505: "GL_OUT_OF_MEMORY",
  0x0506: "GL_INVALID_FRAMEBUFFER_OPERATION",
  0x0507: "GL_CONTEXT_LOST",
};

/** EGL's error codes by value, for messages. */
export const EGL_ERROR_NAMES: Readonly<Record<number, string>> = {
  0x3000: "EGL_SUCCESS",
  0x3001: "EGL_NOT_INITIALIZED",
  0x3002: "EGL_BAD_ACCESS",
  0x3003: "EGL_BAD_ALLOC",
  0x3004: "EGL_BAD_ATTRIBUTE",
  0x3005: "EGL_BAD_CONFIG",
  0x3006: "EGL_BAD_CONTEXT",
  0x3007: "EGL_BAD_CURRENT_SURFACE",
  0x3008: "EGL_BAD_DISPLAY",
  0x3009: "EGL_BAD_MATCH",
  0x300a: "EGL_BAD_NATIVE_PIXMAP",
  0x300b: "EGL_BAD_NATIVE_WINDOW",
  0x300c: "EGL_BAD_PARAMETER",
  0x300d: "EGL_BAD_SURFACE",
  0x300e: "EGL_CONTEXT_LOST",
};
