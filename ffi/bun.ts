/**
 * The Bun backend of {@linkcode Runtime}: `bun:ffi`'s `dlopen`, `CFunction`, `JSCallback`, `ptr`,
 * `toArrayBuffer` and `CString`, behind the same interface as the Deno backend.
 *
 * How the two runtimes differ, and what this file does about it:
 * - Pointers are numbers on Bun (objects on Deno): they stay opaque `Pointer`s outside `ffi/`,
 *   converted only by `address` and `pointer`.
 * - 64-bit integers are declared `u64`/`i64` (never `u64_fast`/`i64_fast`, which return a number
 *   when the value fits): results are always bigint, as on Deno.
 * - `buffer` parameters become `ptr`, to which Bun passes a typed array's address (and NULL for
 *   null).
 * - Bun's `dlopen` fails when one symbol is missing: optional symbols are opened one by one.
 * - Bun has no non-blocking calls: a `nonblocking` definition is refused.
 *
 * `bun:ffi` is imported by name at run time, so that Deno type-checks this file against the few
 * declarations below and never loads it.
 *
 * @module
 */
import { converting, same } from "./convert.ts";
import { processParts } from "./process.ts";
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

type BunType = string;
interface BunDefinition {
  args: BunType[];
  returns: BunType;
}
type BunPointer = number | null;
// The parts of bun:ffi this backend uses.
interface BunFFI {
  dlopen(
    path: string,
    symbols: Record<string, BunDefinition>,
  ): { symbols: Record<string, (...a: unknown[]) => unknown>; close(): void };
  CFunction(definition: BunDefinition & { ptr: number }): (...a: unknown[]) => unknown;
  JSCallback: new(
    fn: (...a: unknown[]) => unknown,
    definition: BunDefinition,
  ) => { readonly ptr: BunPointer; close(): void };
  ptr(view: ArrayBufferView): number;
  toArrayBuffer(pointer: number, byteOffset: number, byteLength: number): ArrayBuffer;
  CString: new(pointer: number, byteOffset?: number) => string;
}
interface BunGlobal {
  version: string;
}

// Through Bun's import.meta.require, which Deno neither resolves nor analyzes (a dynamic import of
// a computed specifier would be a publish warning; a literal one, a resolution error on Deno).
const ffi = (import.meta as unknown as { require(id: string): unknown }).require(
  "bun:ffi",
) as BunFFI;
const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;

const TYPES: Record<NativeType, BunType> = {
  void: "void",
  bool: "bool",
  u8: "u8",
  i8: "i8",
  u16: "u16",
  i16: "i16",
  u32: "u32",
  i32: "i32",
  u64: "u64",
  i64: "i64",
  usize: "u64",
  isize: "i64",
  f32: "f32",
  f64: "f64",
  pointer: "ptr",
  buffer: "ptr",
  function: "function",
};
const WIDE = new Set<NativeType>(["u64", "i64", "usize", "isize"]);

function definition(def: ForeignFunction, what: string): BunDefinition {
  if (def.nonblocking) {
    throw new TypeError(`${what}: Bun's FFI has no non-blocking calls`);
  }
  return { args: def.parameters.map((p) => TYPES[p]), returns: TYPES[def.result] };
}

// Bun gives a DataView's or an ArrayBuffer's address only through ptr(); typed arrays go as they
// are. A NULL pointer result comes back as null already.
function argument(a: unknown): unknown {
  return a instanceof DataView ? ffi.ptr(a) : a;
}

type Fn = (...a: unknown[]) => unknown;

/** `f` as vkshare calls it: a DataView argument of a pointer parameter passed as its address. */
function wrap(f: Fn, parameters: readonly string[]): Fn {
  const isPointer = (p: string) => p === "pointer" || p === "buffer";
  if (!parameters.some(isPointer)) return f;
  return converting(f, parameters.map((p) => isPointer(p) ? argument : same));
}

/** The Bun runtime backend. */
export const runtime: Runtime = {
  name: "bun",
  version: bun.version,

  open<S extends SymbolTable>(path: string, symbols: S): Library<S> {
    const required: Record<string, BunDefinition> = {};
    const optional: [string, BunDefinition][] = [];
    for (const [k, v] of Object.entries(symbols)) {
      if (v.optional) optional.push([k, definition(v, k)]);
      else required[k] = definition(v, k);
    }
    const libs = [ffi.dlopen(path, required)];
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(libs[0].symbols)) {
      out[k] = wrap(f as Fn, symbols[k].parameters);
    }
    for (const [k, def] of optional) {
      try {
        const one = ffi.dlopen(path, { [k]: def });
        libs.push(one);
        out[k] = wrap(one.symbols[k] as Fn, symbols[k].parameters);
      } catch {
        out[k] = null;
      }
    }
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      for (const l of libs) l.close();
    };
    return { path, symbols: out as Library<S>["symbols"], close, [Symbol.dispose]: close };
  },

  fnPointers: "CFunction",
  fnPointersWhy: null,

  fn<F extends ForeignFunction>(pointer: Pointer, def: F): FunctionOf<F> {
    if (pointer === null) throw new TypeError("cannot call a NULL function pointer");
    const f = ffi.CFunction({ ...definition(def, "function pointer"), ptr: pointer as never });
    return wrap(f as Fn, def.parameters) as unknown as FunctionOf<F>;
  },

  callback<F extends ForeignFunction>(def: F, fn: CallbackFn<F>): Callback {
    const wide = def.parameters.map((p) => WIDE.has(p));
    const target = (...args: unknown[]) =>
      (fn as (...a: unknown[]) => unknown)(
        ...args.map((a, i) => (wide[i] ? BigInt(a as number | bigint) : a)),
      );
    const cb = new ffi.JSCallback(target, definition(def, "callback"));
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      cb.close();
    };
    return { pointer: cb.ptr as unknown as Pointer, close, [Symbol.dispose]: close };
  },

  pointerOf(view: ArrayBufferView): Pointer {
    return ffi.ptr(view) as unknown as Pointer;
  },

  isPointer(v: unknown): v is Pointer {
    return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
  },

  address(pointer: Pointer): bigint {
    return pointer === null ? 0n : BigInt(pointer as unknown as number);
  },

  pointer(address: bigint | number): Pointer {
    const n = Number(address);
    if (BigInt(n) !== BigInt(address)) {
      throw new RangeError(`address 0x${address.toString(16)} does not fit a Bun pointer`);
    }
    return (n === 0 ? null : n) as unknown as Pointer;
  },

  view(pointer: Pointer, byteLength: number, offset = 0): ArrayBuffer {
    if (pointer === null) throw new TypeError("cannot read through a NULL pointer");
    return ffi.toArrayBuffer(pointer as unknown as number, offset, byteLength);
  },

  cstring(pointer: Pointer, offset = 0): string {
    if (pointer === null) throw new TypeError("cannot read a string through a NULL pointer");
    return String(new ffi.CString(pointer as unknown as number, offset));
  },

  ...processParts,
};
