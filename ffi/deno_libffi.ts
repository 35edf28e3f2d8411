/**
 * Calls through C function pointers on Deno by libffi's `ffi_call`, dlopen'd from the system's
 * libffi.so.8 (it comes with libwayland-client0, which Mesa's and NVIDIA's Vulkan drivers pull
 * in). `Deno.UnsafeFnPointer` takes no fast-call path: about 1.3 µs a call on our machines and
 * 2.4 µs on the H200, against about 64 ns for a `Deno.dlopen` symbol like `ffi_call`, with its cif
 * prepared once per function.
 *
 * Each function gets its own cif, argument slots (8 bytes each, off V8's heap so their addresses
 * hold) and the array of slot addresses libffi reads; a call writes the arguments into the slots
 * and calls `ffi_call` once. Calls do not nest (no vkshare callback calls back into a function
 * pointer), so one set of slots per function is enough.
 *
 * @module
 */
import type { ForeignFunction, NativeType, Pointer } from "./types.ts";

/** libffi's ffi_type objects, by vkshare's native type. */
const FFI_TYPE: Readonly<Record<NativeType, string>> = {
  void: "ffi_type_void",
  bool: "ffi_type_uint8",
  u8: "ffi_type_uint8",
  i8: "ffi_type_sint8",
  u16: "ffi_type_uint16",
  i16: "ffi_type_sint16",
  u32: "ffi_type_uint32",
  i32: "ffi_type_sint32",
  u64: "ffi_type_uint64",
  i64: "ffi_type_sint64",
  usize: "ffi_type_uint64",
  isize: "ffi_type_sint64",
  f32: "ffi_type_float",
  f64: "ffi_type_double",
  pointer: "ffi_type_pointer",
  buffer: "ffi_type_pointer",
  function: "ffi_type_pointer",
};

/**
 * ffi.h on x86-64 System V: FFI_DEFAULT_ABI (FFI_UNIX64) and sizeof(ffi_cif), checked against the
 * header by tests/ffi/fn_pointer_test.ts where cc and libffi-dev are.
 */
export const LIBFFI_X86_64 = { abi: 2, cifBytes: 32 } as const;
const FFI_UNIX64 = LIBFFI_X86_64.abi, CIF_BYTES = LIBFFI_X86_64.cifBytes, FFI_OK = 0;

const SYMBOLS = {
  ffi_prep_cif: {
    // ffi_status ffi_prep_cif(ffi_cif *cif, ffi_abi abi, unsigned nargs, ffi_type *rtype,
    //                         ffi_type **atypes)
    parameters: ["buffer", "i32", "u32", "pointer", "buffer"],
    result: "i32",
  },
  // void ffi_call(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue)
  ffi_call: { parameters: ["buffer", "pointer", "buffer", "buffer"], result: "void" },
  ...Object.fromEntries(
    [...new Set(Object.values(FFI_TYPE))].map((name) => [name, { type: "pointer" }]),
  ),
} as const;

type Libffi = Deno.DynamicLibrary<Deno.ForeignLibraryInterface>;
let lib: Libffi | null | undefined;

/** libffi.so.8, or null where it does not load (or is not x86-64 Linux). */
function libffi(): Libffi | null {
  if (lib !== undefined) return lib;
  lib = null;
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return lib;
  try {
    lib = Deno.dlopen("libffi.so.8", SYMBOLS as unknown as Deno.ForeignLibraryInterface);
  } catch {
    lib = null;
  }
  return lib;
}

/** Whether function pointers can be called through libffi here. */
export function libffiLoads(): boolean {
  return libffi() !== null;
}

/** An off-heap buffer of `bytes` (at least 128, so V8 never keeps it on its heap). */
function offHeap(bytes: number): ArrayBuffer {
  return new ArrayBuffer(Math.max(128, bytes));
}

/**
 * Addresses already asked, by pointer object and by buffer: `Deno.UnsafePointer.of` costs about
 * 700 ns and `value` about 100 ns, a WeakMap lookup about 17 ns. A buffer's address holds once
 * asked (V8 moves its bytes off its heap for good, and never moves them again: seen after 10^7
 * allocations); a detached buffer has no bytes and is asked again, never from the map.
 */
const known = new WeakMap<object, bigint>();

const address = (p: unknown): bigint => {
  if (p === null) return 0n;
  let a = known.get(p as object);
  if (a === undefined) {
    a = BigInt(Deno.UnsafePointer.value(p as Deno.PointerObject));
    known.set(p as object, a);
  }
  return a;
};

function bufferAddress(b: unknown): bigint {
  if (b === null || b === undefined) return 0n;
  const view = b as ArrayBufferView;
  if (view.byteLength === 0) return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
  let a = known.get(view);
  if (a === undefined) {
    a = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
    known.set(view, a);
  }
  return a;
}

/**
 * A JS function that calls `pointer` as `definition` says, through libffi's `ffi_call`; null
 * where libffi does not load or refuses the signature.
 */
export function libffiFunction(
  pointer: Pointer,
  definition: ForeignFunction,
): ((...args: unknown[]) => unknown) | null {
  const ffi = libffi();
  if (!ffi) return null;
  const s = ffi.symbols as unknown as Record<string, unknown>;
  const params = definition.parameters as readonly NativeType[];
  const result = definition.result as NativeType;
  const n = params.length;
  const types = new BigUint64Array(offHeap(8 * n), 0, Math.max(n, 1));
  params.forEach((t, i) => types[i] = address(s[FFI_TYPE[t]]));
  const cif = new Uint8Array(offHeap(CIF_BYTES));
  const prep = s.ffi_prep_cif as (...a: unknown[]) => number;
  if (prep(cif, FFI_UNIX64, n, s[FFI_TYPE[result]], types) !== FFI_OK) return null;
  const slots = offHeap(8 * n);
  const u64 = new BigUint64Array(slots), i64 = new BigInt64Array(slots);
  const u32 = new Uint32Array(slots), i32 = new Int32Array(slots);
  const f32 = new Float32Array(slots), f64 = new Float64Array(slots);
  const avalue = new BigUint64Array(offHeap(8 * n), 0, Math.max(n, 1));
  const base = address(Deno.UnsafePointer.of(new Uint8Array(slots)));
  for (let i = 0; i < n; i++) avalue[i] = base + BigInt(8 * i);
  const ret = offHeap(8);
  const retView = new DataView(ret);
  const call = s.ffi_call as (...a: unknown[]) => void;
  const writers = params.map((t) => writer(t, { u64, i64, u32, i32, f32, f64 }));
  const read = reader(result, retView);
  const retBytes = new Uint8Array(ret);
  return (...args: unknown[]) => {
    for (let i = 0; i < n; i++) writers[i](i, args[i]);
    call(cif, pointer, retBytes, avalue);
    return read();
  };
}

interface Views {
  u64: BigUint64Array;
  i64: BigInt64Array;
  u32: Uint32Array;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;
}

/** Writes argument `i` of type `t` into its 8-byte slot (little-endian: low bytes first). */
function writer(t: NativeType, v: Views): (i: number, a: unknown) => void {
  switch (t) {
    case "pointer":
    case "function":
      return (i, a) => v.u64[i] = address(a);
    case "buffer":
      return (i, a) => v.u64[i] = bufferAddress(a);
    case "u64":
    case "usize":
      return (i, a) => v.u64[i] = BigInt(a as number | bigint);
    case "i64":
    case "isize":
      return (i, a) => v.i64[i] = BigInt(a as number | bigint);
    case "f32":
      return (i, a) => v.f32[2 * i] = a as number;
    case "f64":
      return (i, a) => v.f64[i] = a as number;
    case "bool":
      return (i, a) => v.u32[2 * i] = a ? 1 : 0;
    case "i8":
    case "i16":
    case "i32":
      return (i, a) => v.i32[2 * i] = a as number;
    default: // u8, u16, u32
      return (i, a) => v.u32[2 * i] = a as number;
  }
}

/** Reads the result of type `t` from libffi's return slot (a full register for integers). */
function reader(t: NativeType, d: DataView): () => unknown {
  switch (t) {
    case "void":
      return () => undefined;
    case "pointer":
    case "buffer":
    case "function":
      return () => Deno.UnsafePointer.create(d.getBigUint64(0, true));
    case "u64":
    case "usize":
      return () => d.getBigUint64(0, true);
    case "i64":
    case "isize":
      return () => d.getBigInt64(0, true);
    case "f32":
      return () => d.getFloat32(0, true);
    case "f64":
      return () => d.getFloat64(0, true);
    case "bool":
      return () => d.getUint8(0) !== 0;
    case "u8":
      return () => d.getUint8(0);
    case "i8":
      return () => d.getInt8(0);
    case "u16":
      return () => d.getUint16(0, true);
    case "i16":
      return () => d.getInt16(0, true);
    case "i32":
      return () => d.getInt32(0, true);
    default: // u32
      return () => d.getUint32(0, true);
  }
}
