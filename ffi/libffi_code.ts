/**
 * Code of its own for each function that libffi calls (`libffi.ts`): its argument writes, its
 * `ffi_call` and its result read in one function made with `new Function`, from source that no
 * other function shares.
 *
 * Shared closures would see every signature's writers, readers and arguments at the same call
 * sites (`own_code.ts` says why that costs): on Deno, a second libffi function of the query's
 * signature took 86 ns a call where the first took 57 (our machine, lavapipe); with code of their
 * own, each stays at the first's speed.
 *
 * The source is written from fixed pieces picked by the native types (nothing a caller passes is
 * written into it).
 *
 * @module
 */
import { compileOwn } from "./own_code.ts";
import type { NativeType } from "./types.ts";

/** What the generated function reads and calls: the views of its slots, its call, its helpers. */
export interface CallParts {
  /** The argument slots (8 bytes each) as 32-bit words: u8, u16, u32 and bool arguments. */
  u32: Uint32Array;
  /** The same slots for i8, i16 and i32 arguments. */
  i32: Int32Array;
  /** The same slots for u64 and usize arguments, and for addresses. */
  u64: BigUint64Array;
  /** The same slots for i64 and isize arguments. */
  i64: BigInt64Array;
  /** The same slots for f32 arguments (the low word of each). */
  f32: Float32Array;
  /** The same slots for f64 arguments. */
  f64: Float64Array;
  /** libffi's return slot. */
  ret: DataView;
  /** `ffi_call(cif, fn, rvalue, avalue)`, bound once. */
  call: () => void;
  /** A `pointer` argument's address. */
  pointerAddress: (p: unknown) => bigint;
  /** A `buffer` argument's address. */
  bufferAddress: (b: unknown) => bigint;
  /** The backend's pointer for an address. */
  pointerFrom: (a: bigint) => unknown;
}

/**
 * An address argument, written only when it is not the last one written here (the slot still
 * holds that one's address: only this function writes it). `pointer`: any value but undefined
 * is kept (an object by identity, a bigint by value). `buffer`: a view is kept while it is not
 * empty (a detached view is asked again), null is not kept.
 */
function address(i: number, t: "pointer" | "buffer"): string {
  const a = `a${i}`, l = `l${i}`;
  return t === "pointer"
    ? `if (${a} !== ${l} || ${a} === undefined) {
    u64[${i}] = pointerAddress(${a});
    ${l} = ${a};
  }`
    : `if (${a} !== ${l} || ${a} === undefined || (typeof ${a} === "object" && ${a}.byteLength === 0)) {
    u64[${i}] = bufferAddress(${a});
    ${l} = ${a} === null ? undefined : ${a};
  }`;
}

/** A typed array over the argument slots, by the name {@linkcode CallParts} gives it. */
export type SlotView = "u32" | "i32" | "u64" | "i64" | "f32" | "f64";

/**
 * Where an argument of each non-address type goes in its 8-byte slot (little-endian: the low
 * word for 32-bit types): the view, its index per slot (2 for 32-bit views), and whether the
 * value is made a BigInt or a bool's 0/1 first. Both kinds of function (`ownCode` and the shared
 * closures of `libffi.ts`) write by it.
 */
export const ARGUMENT_SLOT: Readonly<
  Record<
    Exclude<NativeType, "void" | "pointer" | "buffer" | "function">,
    { view: SlotView; per: 1 | 2; as?: "BigInt" | "bool" }
  >
> = {
  bool: { view: "u32", per: 2, as: "bool" },
  u8: { view: "u32", per: 2 },
  u16: { view: "u32", per: 2 },
  u32: { view: "u32", per: 2 },
  i8: { view: "i32", per: 2 },
  i16: { view: "i32", per: 2 },
  i32: { view: "i32", per: 2 },
  u64: { view: "u64", per: 1, as: "BigInt" },
  usize: { view: "u64", per: 1, as: "BigInt" },
  i64: { view: "i64", per: 1, as: "BigInt" },
  isize: { view: "i64", per: 1, as: "BigInt" },
  f32: { view: "f32", per: 2 },
  f64: { view: "f64", per: 1 },
};

/**
 * How a result of each type is read from libffi's return slot (a full register for integers):
 * the DataView getter (little-endian), and whether it is a pointer (made the runtime's by
 * `pointerFrom`) or a bool. Both kinds of function read by it.
 */
export const RESULT_READ: Readonly<
  Record<Exclude<NativeType, "void">, { get: DataViewGetter; as?: "pointer" | "bool" }>
> = {
  pointer: { get: "getBigUint64", as: "pointer" },
  buffer: { get: "getBigUint64", as: "pointer" },
  function: { get: "getBigUint64", as: "pointer" },
  u64: { get: "getBigUint64" },
  usize: { get: "getBigUint64" },
  i64: { get: "getBigInt64" },
  isize: { get: "getBigInt64" },
  f32: { get: "getFloat32" },
  f64: { get: "getFloat64" },
  bool: { get: "getUint8", as: "bool" },
  u8: { get: "getUint8" },
  i8: { get: "getInt8" },
  u16: { get: "getUint16" },
  i16: { get: "getInt16" },
  i32: { get: "getInt32" },
  u32: { get: "getUint32" },
};

/** A DataView getter ({@linkcode RESULT_READ}'s). */
export type DataViewGetter = Extract<keyof DataView, `get${string}`>;

/** The statement that writes argument `i` of type `t` into its slot. */
function writeArg(t: NativeType, i: number): string {
  if (t === "pointer" || t === "function") return address(i, "pointer");
  if (t === "buffer") return address(i, "buffer");
  if (t === "void") throw new TypeError("void is not an argument type");
  const { view, per, as } = ARGUMENT_SLOT[t];
  const a = `a${i}`;
  return `${view}[${per * i}] = ${
    as === "BigInt" ? `BigInt(${a})` : as === "bool" ? `${a} ? 1 : 0` : a
  };`;
}

/** The expression that reads the result of type `t`. */
function readResult(t: NativeType): string {
  if (t === "void") return "undefined";
  const { get, as } = RESULT_READ[t];
  const read = `ret.${get}(0, true)`;
  return as === "pointer" ? `pointerFrom(${read})` : as === "bool" ? `${read} !== 0` : read;
}

/**
 * The function over `parts` for `params` and `result`, made from code of its own; null where
 * code cannot be made from strings (`--disallow-code-generation-from-strings`): then the shared
 * closures of `libffi.ts` serve.
 */
export function ownCode(
  params: readonly NativeType[],
  result: NativeType,
  parts: CallParts,
): ((...args: unknown[]) => unknown) | null {
  const names = params.map((_, i) => `a${i}`).join(", ");
  const lasts = params.map((_, i) => `l${i}`).join(", ");
  const made = compileOwn(
    "parts",
    `const { u32, i32, u64, i64, f32, f64, ret, call, pointerAddress, bufferAddress, pointerFrom } = parts;
${params.length ? `let ${lasts};` : ""}
return function (${names}) {
  ${params.map(writeArg).join("\n  ")}
  call();
  return ${readResult(result)};
};`,
  );
  return made ? made(parts) as (...args: unknown[]) => unknown : null;
}
