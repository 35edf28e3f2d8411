/**
 * The Node.js backend of {@linkcode Runtime}: `node:ffi` (Node 26.1 and later), behind the same
 * interface as the Deno and Bun backends.
 *
 * How Node differs, and what this file does about it:
 * - Pointers are bigints on Node (objects on Deno, numbers on Bun), with NULL as `null`: they stay
 *   opaque `Pointer`s outside `ffi/`, converted only by `address` and `pointer`.
 * - `node:ffi` takes 64-bit integers only as bigints: a number argument is widened first.
 * - `node:ffi` has no call through a raw function pointer (`getFunction(name)` only): function
 *   pointers go through vkshare's trampoline (`trampoline.ts`: a symbol that jumps to the pointer,
 *   bound once per signature), or libffi.so.8's `ffi_call` (`libffi.ts`) where it does not open,
 *   for a signature it does not take, or with `VKSHARE_FNPTR=libffi`.
 * - `node:ffi` has no non-blocking calls: a `nonblocking` definition is refused.
 *
 * `node:ffi` is taken with `process.getBuiltinModule` (`nodeFfi` in `process.ts`), so that Deno
 * and Bun never resolve it.
 *
 * @module
 */
import { converting, same } from "./convert.ts";
import { cachedAddresses, FFI_TYPE_NAMES, libffiCall, type LibffiHost } from "./libffi.ts";
import { nodeFfi, proc, processParts } from "./process.ts";
import {
  FNPTR_ENV,
  MEMFD_CALLS,
  type Opened,
  openTrampoline,
  platformRefusal,
  pointerFirst,
  signatureKey,
  TRAMPOLINE_SONAME,
  TRAMPOLINE_SYMBOL,
  trampolineRefusal,
} from "./trampoline.ts";
import type {
  Callback,
  CallbackFn,
  ForeignFunction,
  FunctionOf,
  Library,
  NativeType,
  Pointer,
  Runtime,
  SymbolTable,
} from "./types.ts";

type NodeType = string;
interface NodeSignature {
  arguments: NodeType[];
  return: NodeType;
}
type Fn = (...a: unknown[]) => unknown;
// The parts of node:ffi this backend uses.
interface NodeLibrary {
  getFunction(name: string, signature: NodeSignature): Fn;
  getSymbol(name: string): bigint;
  registerCallback(signature: NodeSignature, fn: Fn): bigint;
  unregisterCallback(pointer: bigint): void;
  close(): void;
}
interface NodeFFI {
  DynamicLibrary: new(path: string | null) => NodeLibrary;
  getRawPointer(source: ArrayBufferView | ArrayBuffer): bigint;
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
  toString(pointer: bigint): string;
}
const ffi = nodeFfi() as NodeFFI | undefined;
if (!ffi) {
  throw new Error(
    `vkshare: this Node (${proc.version}) has no node:ffi: use Node 26.1 or later, `
      + "without --no-experimental-ffi",
  );
}

const TYPES: Record<NativeType, NodeType> = {
  void: "void",
  bool: "bool",
  u8: "uint8",
  i8: "int8",
  u16: "uint16",
  i16: "int16",
  u32: "uint32",
  i32: "int32",
  u64: "uint64",
  i64: "int64",
  usize: "uint64",
  isize: "int64",
  f32: "float32",
  f64: "float64",
  pointer: "pointer",
  buffer: "pointer",
  function: "pointer",
};
const WIDE = new Set<NativeType>(["u64", "i64", "usize", "isize"]);
const POINTERS = new Set<NativeType>(["pointer", "buffer", "function"]);

function signature(def: ForeignFunction, what: string): NodeSignature {
  if (def.nonblocking) throw new TypeError(`${what}: Node's FFI has no non-blocking calls`);
  return { arguments: def.parameters.map((p) => TYPES[p]), return: TYPES[def.result] };
}

const big = (a: unknown): unknown => typeof a === "number" ? BigInt(a) : a;
const nullable = (r: unknown): unknown => r === 0n ? null : r;

/** How one argument is converted before node:ffi sees it (null: as it is). */
function converter(p: NativeType): ((a: unknown) => unknown) | null {
  if (WIDE.has(p)) return big;
  // A typed array as its cached address: node:ffi converts a buffer argument itself, at about
  // 470 ns a call, against about 190 ns for the call with a bigint address.
  if (p === "buffer") return bufferAddress;
  return null;
}

/**
 * `f` as vkshare calls it: number arguments of 64-bit parameters widened, buffers as their
 * addresses, a NULL pointer result as null. None is needed where nothing applies; otherwise a
 * wrapper of the function's own arity for the common counts (a rest array and a map cost as
 * much as the call itself).
 */
function wrap(f: Fn, def: ForeignFunction): Fn {
  const convs = def.parameters.map(converter);
  const g = convs.some(Boolean) ? converting(f, convs.map((c) => c ?? same)) : f;
  return POINTERS.has(def.result) ? (...a) => nullable(g(...a)) : g;
}

/** The process's own image, which the callbacks are registered with. */
let self: NodeLibrary | undefined;
const processLibrary = () => self ??= new ffi.DynamicLibrary(null);

/** A typed array's address, asked once (`getRawPointer` costs about 120 ns). */
const bufferAddress = cachedAddresses((view) => ffi!.getRawPointer(view));

const pointerAddress = (p: unknown): bigint => p === null || p === undefined ? 0n : p as bigint;

let libffi: LibffiHost | null | undefined;

/** libffi.so.8 through node:ffi, or null where it does not load. */
function libffiHost(): LibffiHost | null {
  if (libffi !== undefined) return libffi;
  libffi = null;
  if (proc.platform !== "linux" || proc.arch !== "x64") return libffi;
  let lib: NodeLibrary;
  try {
    lib = new ffi!.DynamicLibrary("libffi.so.8");
  } catch {
    return libffi;
  }
  const prep = lib.getFunction("ffi_prep_cif", {
    arguments: ["uint64", "int32", "uint32", "uint64", "uint64"],
    return: "int32",
  });
  // Declared with pointer arguments (bigints): 38 ns a call here, against 590 ns as uint64s.
  const call = lib.getFunction("ffi_call", {
    arguments: ["pointer", "pointer", "pointer", "pointer"],
    return: "void",
  });
  const types = new Map(FFI_TYPE_NAMES.map((n) => [n, lib.getSymbol(n)]));
  libffi = {
    typeAddress: (name) => types.get(name)!,
    prep: (cif, abi, n, rtype, atypes) =>
      prep(bufferAddress(cif), abi, n, rtype, bufferAddress(atypes)) as number,
    caller: (cif, fn, rvalue, avalue) => {
      const c = bufferAddress(cif), r = bufferAddress(rvalue), v = bufferAddress(avalue);
      const f = pointerAddress(fn);
      return () => call(c, f, r, v);
    },
    fixedAddress: bufferAddress,
    pointerAddress,
    bufferAddress,
    pointerFrom: nullable,
  };
  return libffi;
}

/** How this backend calls function pointers (`none`: libffi.so.8 is needed, and missing). */
type Path = "trampoline" | "libffi" | "none";

let trampoline: Opened<NodeLibrary> | undefined;

/**
 * The trampoline (`trampoline.ts`) opened from its memfd, once, or why not: not x86-64 Linux,
 * no executable memfd, or VKSHARE_FNPTR=libffi asks for libffi.
 */
function openedTrampoline(): Opened<NodeLibrary> {
  if (trampoline !== undefined) return trampoline;
  const platform = platformRefusal(processParts.os, processParts.arch);
  if (platform !== null) return trampoline = { refused: platform };
  const asked = proc.env[FNPTR_ENV];
  if (asked === "libffi") return trampoline = { refused: `${FNPTR_ENV}=libffi asks for libffi` };
  try {
    using libc = runtime.open("libc.so.6", MEMFD_CALLS);
    return trampoline = openTrampoline(libc.symbols, (path) => new ffi!.DynamicLibrary(path));
  } catch (e) {
    return trampoline = { refused: `libc's memfd_create did not open: ${(e as Error).message}` };
  }
}

/** The trampoline's library, or null where it did not open. */
function trampolineLibrary(): NodeLibrary | null {
  const t = openedTrampoline();
  return "library" in t ? t.library : null;
}

// The trampoline's symbol, bound and wrapped once per signature (the pointer, then the rest).
const bound = new Map<string, Fn>();

/** `pointer` called through the trampoline; null where it is not open or refuses the signature. */
function trampolineFunction(pointer: Pointer, def: ForeignFunction): Fn | null {
  const lib = trampolineLibrary();
  if (lib === null || trampolineRefusal(def.parameters) !== null) return null;
  const key = signatureKey(def.parameters, def.result);
  let sym = bound.get(key);
  if (sym === undefined) {
    const full = { parameters: ["pointer", ...def.parameters], result: def.result } as const;
    // node:ffi binds a symbol to one signature per library object: each signature opens the
    // image again, by its soname (the loader's reference count, no file), and keeps it open.
    try {
      const own = bound.size === 0 ? lib : new ffi!.DynamicLibrary(TRAMPOLINE_SONAME);
      sym = wrap(own.getFunction(TRAMPOLINE_SYMBOL, signature(full, TRAMPOLINE_SYMBOL)), full);
    } catch {
      return null; // libffi calls it instead
    }
    bound.set(key, sym);
  }
  return pointerFirst(sym, pointer, def.parameters.length);
}

/** The path in use: the trampoline, else libffi, else none. */
function fnPath(): Path {
  return trampolineLibrary() ? "trampoline" : libffiHost() ? "libffi" : "none";
}

/** Why function pointers do not go through the trampoline here, or null where they do. */
function fnPathWhy(): string | null {
  const t = openedTrampoline();
  if ("library" in t) return null;
  return libffiHost() ? t.refused : `${t.refused}; libffi.so.8 did not load`;
}

/** The Node runtime backend. */
export const runtime: Runtime = {
  name: "node",
  version: proc.version.replace(/^v/, ""),

  open<S extends SymbolTable>(path: string, symbols: S): Library<S> {
    const lib = new ffi.DynamicLibrary(path);
    const out: Record<string, unknown> = {};
    try {
      for (const [k, v] of Object.entries(symbols)) {
        const sig = signature(v, k);
        try {
          out[k] = wrap(lib.getFunction(k, sig), v);
        } catch (e) {
          if (!v.optional) throw e;
          out[k] = null;
        }
      }
    } catch (e) {
      lib.close();
      throw e;
    }
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      lib.close();
    };
    return { path, symbols: out as Library<S>["symbols"], close, [Symbol.dispose]: close };
  },

  get fnPointers(): Path {
    return fnPath();
  },

  get fnPointersWhy(): string | null {
    return fnPathWhy();
  },

  fn<F extends ForeignFunction>(pointer: Pointer, def: F): FunctionOf<F> {
    if (pointer === null) throw new TypeError("cannot call a NULL function pointer");
    signature(def, "function pointer");
    const t = trampolineFunction(pointer, def);
    if (t) return t as unknown as FunctionOf<F>;
    const host = libffiHost();
    if (!host) {
      throw new Error(
        "vkshare: Node calls C function pointers (Vulkan's extension commands) through "
          + "libffi.so.8, which did not load: install it (Debian: apt install libffi8)",
      );
    }
    const f = libffiCall(host, pointer, def);
    if (!f) throw new TypeError(`libffi refused the signature ${JSON.stringify(def)}`);
    return f as unknown as FunctionOf<F>;
  },

  callback<F extends ForeignFunction>(def: F, fn: CallbackFn<F>): Callback {
    const ptrs = def.parameters.map((p) => POINTERS.has(p));
    const ptrResult = POINTERS.has(def.result);
    const target = (...args: unknown[]) => {
      const r = (fn as Fn)(...args.map((a, i) => (ptrs[i] ? nullable(a) : a)));
      return ptrResult && (r === null || r === undefined) ? 0n : r;
    };
    const lib = processLibrary();
    const pointer = lib.registerCallback(signature(def, "callback"), target);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      lib.unregisterCallback(pointer);
    };
    return { pointer: pointer as unknown as Pointer, close, [Symbol.dispose]: close };
  },

  pointerOf(view: ArrayBufferView): Pointer {
    return nullable(ffi.getRawPointer(view)) as Pointer;
  },

  isPointer(v: unknown): v is Pointer {
    return typeof v === "bigint" && v > 0n;
  },

  address(pointer: Pointer): bigint {
    return pointer === null ? 0n : pointer as unknown as bigint;
  },

  pointer(address: bigint | number): Pointer {
    return nullable(BigInt(address)) as Pointer;
  },

  view(pointer: Pointer, byteLength: number, offset = 0): ArrayBuffer {
    if (pointer === null) throw new TypeError("cannot read through a NULL pointer");
    return ffi.toArrayBuffer((pointer as unknown as bigint) + BigInt(offset), byteLength, false);
  },

  cstring(pointer: Pointer, offset = 0): string {
    if (pointer === null) throw new TypeError("cannot read a string through a NULL pointer");
    return ffi.toString((pointer as unknown as bigint) + BigInt(offset));
  },

  ...processParts,
};
