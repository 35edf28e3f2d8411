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

/** The statement that writes argument `i` of type `t` into its slot (little-endian). */
function writeArg(t: NativeType, i: number): string {
  switch (t) {
    case "pointer":
    case "function":
      return address(i, "pointer");
    case "buffer":
      return address(i, "buffer");
    case "u64":
    case "usize":
      return `u64[${i}] = BigInt(a${i});`;
    case "i64":
    case "isize":
      return `i64[${i}] = BigInt(a${i});`;
    case "f32":
      return `f32[${2 * i}] = a${i};`;
    case "f64":
      return `f64[${i}] = a${i};`;
    case "bool":
      return `u32[${2 * i}] = a${i} ? 1 : 0;`;
    case "i8":
    case "i16":
    case "i32":
      return `i32[${2 * i}] = a${i};`;
    default: // u8, u16, u32
      return `u32[${2 * i}] = a${i};`;
  }
}

/** The expression that reads the result of type `t` (a full register for integers). */
function readResult(t: NativeType): string {
  switch (t) {
    case "void":
      return "undefined";
    case "pointer":
    case "buffer":
    case "function":
      return "pointerFrom(ret.getBigUint64(0, true))";
    case "u64":
    case "usize":
      return "ret.getBigUint64(0, true)";
    case "i64":
    case "isize":
      return "ret.getBigInt64(0, true)";
    case "f32":
      return "ret.getFloat32(0, true)";
    case "f64":
      return "ret.getFloat64(0, true)";
    case "bool":
      return "ret.getUint8(0) !== 0";
    case "u8":
      return "ret.getUint8(0)";
    case "i8":
      return "ret.getInt8(0)";
    case "u16":
      return "ret.getUint16(0, true)";
    case "i16":
      return "ret.getInt16(0, true)";
    case "i32":
      return "ret.getInt32(0, true)";
    default: // u32
      return "ret.getUint32(0, true)";
  }
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
