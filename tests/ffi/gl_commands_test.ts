// Every function of ffi/gl.ts (libEGL's exports, the EGL extensions, the GL functions) is declared
// as its header prototype says: the same parameters, in order, each commented with its C
// declaration, a native type of the right size for it, and a result of the right size. Checked
// against egl.h, eglext.h, glcorearb.h and glext.h (Debian: libegl-dev, libgl-dev; no driver).
// @ts-types="../../cli/_node/fs.d.ts"
import { existsSync, readFileSync } from "node:fs";

import { assert, assertEquals } from "@std/assert";
import { EGL, EGL_ERROR_NAMES, EGL_EXT, GL, GL_ERROR_NAMES, GLENUM } from "../../ffi/gl.ts";
import type { SymbolTable } from "../../ffi/types.ts";
import { test } from "../_harness.ts";

const HEADERS = [
  "/usr/include/EGL/egl.h",
  "/usr/include/EGL/eglext.h",
  "/usr/include/GL/glcorearb.h",
  "/usr/include/GL/glext.h",
];
const missing = HEADERS.filter((h) => !existsSync(h));
const source = readFileSync(new URL("../../ffi/gl.ts", import.meta.url), "utf8");

/** The prototypes of the headers: name -> [result, parameters' declarations], normalized. */
function prototypes(): Map<string, [string, string[]]> {
  const out = new Map<string, [string, string[]]>();
  const norm = (p: string) => p.replace(/\s+/g, " ").replace(/ \*/g, " *").trim();
  for (const h of HEADERS) {
    const text = readFileSync(h, "utf8");
    const re =
      /(?:EGLAPI|GLAPI) ([^;(]+?)\s*(?:EGLAPIENTRY|APIENTRY) ((?:egl|gl)\w+) \(([^)]*)\);/g;
    for (const m of text.matchAll(re)) {
      const params = m[3].split(",").map(norm).filter(Boolean);
      out.set(m[2], [norm(m[1]), params.length === 1 && params[0] === "void" ? [] : params]);
    }
  }
  return out;
}

/** The functions of gl.ts: name -> [native type, commented C declaration][]. */
function declared(): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const m of source.matchAll(/((?:egl|gl)\w+): \{\s*parameters: \[([^\]]*)\]/g)) {
    const params = [...m[2].matchAll(/"(\w+)",\s*\/\/\s*([^\n]+)/g)].map((p) =>
      [p[1], p[2].replace(/\s+/g, " ").replace(/ \*/g, " *").trim()] as [string, string]
    );
    out.set(m[1], params);
  }
  return out;
}

const SIZE: Record<string, number> = {
  pointer: 8,
  buffer: 8,
  u64: 8,
  i64: 8,
  usize: 8,
  isize: 8,
  u32: 4,
  i32: 4,
  f32: 4,
  void: 0,
};

/** The size of a C type of these headers on LP64. */
function sizeOf(c: string): number {
  if (c === "void") return 0;
  if (c.includes("*")) return 8;
  const type = c.replace(/^const /, "").split(" ")[0];
  if (
    /^(EGLDisplay|EGLContext|EGLSurface|EGLConfig|EGLImage|EGLDeviceEXT|EGLClientBuffer|GLsync|GLeglImageOES|__eglMustCastToProperFunctionPointerType|EGLAttrib|GLsizeiptr|GLintptr|GLuint64|EGLuint64KHR)$/
      .test(type)
  ) return 8;
  if (/^(EGLBoolean|EGLenum|EGLint|GLenum|GLuint|GLint|GLsizei|GLbitfield)$/.test(type)) return 4;
  throw new Error(`no size known for ${c}`);
}

test(
  "every EGL and GL function is declared as in its header: parameters, in order, and sizes",
  {
    skip: missing.length
      ? `no ${missing.join(", ")} (apt-get install libegl-dev libgl-dev)`
      : false,
  },
  () => {
    const protos = prototypes();
    const mine = declared();
    const tables: SymbolTable[] = [EGL, EGL_EXT, GL];
    const names = tables.flatMap((t) => Object.keys(t));
    assertEquals([...mine.keys()].sort(), [...names].sort());
    for (const table of tables) {
      for (const [name, def] of Object.entries(table)) {
        const proto = protos.get(name);
        assert(proto, `${name} is in no header`);
        const params = mine.get(name)!;
        assertEquals(params.length, def.parameters.length, `${name}: every parameter commented`);
        assertEquals(params.map(([, c]) => c), proto[1], name);
        for (const [native, c] of params) {
          assertEquals(SIZE[native], sizeOf(c), `${name}: ${native} for ${c}`);
        }
        assertEquals(
          SIZE[def.result],
          sizeOf(proto[0]),
          `${name}: result ${def.result} for ${proto[0]}`,
        );
      }
    }
  },
);

test(
  "every EGL and GL enumerant and error name vkshare uses has its header's value",
  {
    skip: missing.length
      ? `no ${missing.join(", ")} (apt-get install libegl-dev libgl-dev)`
      : false,
  },
  () => {
    const defined = new Map<string, number>();
    for (const h of HEADERS) {
      for (
        const m of readFileSync(h, "utf8").matchAll(
          /^#define ((?:EGL|GL)_\w+)\s+(0x[0-9A-Fa-f]+|\d+)\s*$/gm,
        )
      ) {
        defined.set(m[1], Number(m[2]));
      }
    }
    assert(defined.size > 1000, `read ${defined.size} definitions`);
    for (const [name, value] of Object.entries(GLENUM)) {
      assertEquals(value, defined.get(name), name);
    }
    for (const [value, name] of Object.entries({ ...GL_ERROR_NAMES, ...EGL_ERROR_NAMES })) {
      assertEquals(Number(value), defined.get(name), name);
    }
  },
);
