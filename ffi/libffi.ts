/**
 * Calls through C function pointers by libffi's `ffi_call`, dlopen'd from the system's
 * libffi.so.8 (it comes with libwayland-client0, which Mesa's and NVIDIA's Vulkan drivers pull
 * in). The runtime-neutral half: a backend (`deno_libffi.ts`, `node.ts`) supplies a
 * {@linkcode LibffiHost} that opens libffi its own way and makes the two calls.
 *
 * Each function gets its own cif, argument slots (8 bytes each, off V8's heap so their addresses
 * hold), the array of slot addresses libffi reads, and code of its own (`libffi_code.ts`); a call
 * writes the arguments that changed into the slots and calls `ffi_call` once. Calls do not nest
 * (no vkshare callback calls back into a function pointer), so one set of slots per function is
 * enough.
 *
 * @module
 */
import { ARGUMENT_SLOT, ownCode, RESULT_READ } from "./libffi_code.ts";
import type { ForeignFunction, NativeType, Pointer } from "./types.ts";

/** libffi's ffi_type objects, by vkshare's native type. */
export const FFI_TYPE: Readonly<Record<NativeType, string>> = {
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

/** The names of every ffi_type object {@linkcode FFI_TYPE} uses, once each. */
export const FFI_TYPE_NAMES: readonly string[] = [...new Set(Object.values(FFI_TYPE))];

/**
 * ffi.h on x86-64 System V: FFI_DEFAULT_ABI (FFI_UNIX64) and sizeof(ffi_cif), checked against the
 * header by tests/ffi/fn_pointer_test.ts where cc and libffi-dev are.
 */
export const LIBFFI_X86_64 = { abi: 2, cifBytes: 32 } as const;
const FFI_UNIX64 = LIBFFI_X86_64.abi, CIF_BYTES = LIBFFI_X86_64.cifBytes, FFI_OK = 0;

/** What a runtime backend gives the libffi caller. */
export interface LibffiHost {
  /** The address of libffi's ffi_type object `name` (`ffi_type_pointer`, ...). */
  typeAddress(name: string): bigint;
  /** `ffi_prep_cif(cif, abi, nargs, rtype, atypes)`: FFI_OK (0) or libffi's error. */
  prep(cif: Uint8Array, abi: number, n: number, rtype: bigint, atypes: BigUint64Array): number;
  /** `() => ffi_call(cif, fn, rvalue, avalue)`, bound once per function. */
  caller(cif: Uint8Array, fn: Pointer, rvalue: Uint8Array, avalue: BigUint64Array): () => void;
  /** The address of a buffer that lives as long as the function (off V8's heap). */
  fixedAddress(view: ArrayBufferView): bigint;
  /** The address of a `pointer` argument (0n for null). */
  pointerAddress(p: unknown): bigint;
  /** The address of a `buffer` argument (0n for null). */
  bufferAddress(b: unknown): bigint;
  /** The backend's pointer for an address (null for 0). */
  pointerFrom(address: bigint): unknown;
}

/**
 * A `buffer` argument's address, through `ask` (the runtime's own, which costs 120-700 ns) once
 * per typed array, then from a WeakMap (about 17 ns). An address holds once asked: V8 moves the
 * bytes off its heap for good and never moves them again (seen after 10^7 allocations on Deno,
 * and after 20 full collections on Node). An empty view may be detached, so it is asked each
 * time; null is 0n, and a bigint is already an address.
 */
export function cachedAddresses(ask: (view: ArrayBufferView) => bigint): (b: unknown) => bigint {
  const known = new WeakMap<object, bigint>();
  return (b) => {
    if (b === null || b === undefined) return 0n;
    if (typeof b === "bigint") return b;
    const view = b as ArrayBufferView;
    if (view.byteLength === 0) return ask(view);
    let a = known.get(view);
    if (a === undefined) {
      a = ask(view);
      known.set(view, a);
    }
    return a;
  };
}

/** An off-heap buffer of `bytes` (at least 128, so V8 never keeps it on its heap). */
function offHeap(bytes: number): ArrayBuffer {
  return new ArrayBuffer(Math.max(128, bytes));
}

/**
 * A JS function that calls `pointer` as `definition` says, through `host`'s `ffi_call`; null
 * where libffi refuses the signature (or this is not x86-64).
 */
export function libffiCall(
  host: LibffiHost,
  pointer: Pointer,
  definition: ForeignFunction,
): ((...args: unknown[]) => unknown) | null {
  const params = definition.parameters as readonly NativeType[];
  const result = definition.result as NativeType;
  const n = params.length;
  const types = new BigUint64Array(offHeap(8 * n), 0, Math.max(n, 1));
  params.forEach((t, i) => types[i] = host.typeAddress(FFI_TYPE[t]));
  const cif = new Uint8Array(offHeap(CIF_BYTES));
  if (host.prep(cif, FFI_UNIX64, n, host.typeAddress(FFI_TYPE[result]), types) !== FFI_OK) {
    return null;
  }
  const slots = offHeap(8 * n);
  const views: Views = {
    u64: new BigUint64Array(slots),
    i64: new BigInt64Array(slots),
    u32: new Uint32Array(slots),
    i32: new Int32Array(slots),
    f32: new Float32Array(slots),
    f64: new Float64Array(slots),
  };
  const avalue = new BigUint64Array(offHeap(8 * n), 0, Math.max(n, 1));
  const base = host.fixedAddress(new Uint8Array(slots));
  for (let i = 0; i < n; i++) avalue[i] = base + BigInt(8 * i);
  const ret = new Uint8Array(offHeap(8));
  const call = host.caller(cif, pointer, ret, avalue);
  const retView = new DataView(ret.buffer);
  const f = ownCode(params, result, {
    ...views,
    ret: retView,
    call,
    pointerAddress: (p) => host.pointerAddress(p),
    bufferAddress: (b) => host.bufferAddress(b),
    pointerFrom: (a) => host.pointerFrom(a),
  }) ?? sharedCode(params, result, { views, ret: retView }, host, call);
  // libffi keeps raw addresses of these (the cif points at `types`; `call` may hold only
  // addresses): the function holds the buffers, so that they live exactly as long as it does.
  const buffers = [types, cif, slots, avalue, ret];
  Object.defineProperty(f, "libffiBuffers", { value: buffers });
  // The bare call (libffiCallOf) holds them too: it may be kept without the function.
  Object.defineProperty(call, "libffiBuffers", { value: buffers });
  bareCalls.set(f, call);
  return f;
}

// Each libffi function's ffi_call, its arguments as the last call wrote them.
const bareCalls = new WeakMap<object, () => void>();

/**
 * @ignore @internal `f`'s `ffi_call` alone, with the arguments of `f`'s last call (the bench's
 * query.ffi_call row: the floor of a call through a function pointer, no vkshare code in it);
 * undefined when `f` is not a libffi function. It holds libffi's buffers itself; the memory that
 * `f`'s last arguments point at must live as long as it is called.
 */
export function libffiCallOf(f: unknown): (() => void) | undefined {
  return typeof f === "function" ? bareCalls.get(f) : undefined;
}

/**
 * The function from closures shared by every libffi function, where code cannot be made from
 * strings (`ownCode`): the same calls, at megamorphic call sites.
 */
function sharedCode(
  params: readonly NativeType[],
  result: NativeType,
  slots: { views: Views; ret: DataView },
  host: LibffiHost,
  call: () => void,
): (...args: unknown[]) => unknown {
  const writers = params.map((t, i) => writer(t, slots.views, host, i));
  const read = reader(result, slots.ret, host);
  return byArity(writers, call, read);
}

interface Views {
  u64: BigUint64Array;
  i64: BigInt64Array;
  u32: Uint32Array;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;
}

type Writer = (a: unknown) => void;

/**
 * The call with its arguments in fixed parameters for the usual arities (no rest array, no loop:
 * on Deno they cost about as much as ffi_call itself), a loop above six.
 */
function byArity(w: Writer[], call: () => void, read: () => unknown): (...a: unknown[]) => unknown {
  const [w0, w1, w2, w3, w4, w5] = w;
  switch (w.length) {
    case 0:
      return () => (call(), read());
    case 1:
      return (a) => (w0(a), call(), read());
    case 2:
      return (a, b) => (w0(a), w1(b), call(), read());
    case 3:
      return (a, b, c) => (w0(a), w1(b), w2(c), call(), read());
    case 4:
      return (a, b, c, d) => (w0(a), w1(b), w2(c), w3(d), call(), read());
    case 5:
      return (a, b, c, d, e) => (w0(a), w1(b), w2(c), w3(d), w4(e), call(), read());
    case 6:
      return (a, b, c, d, e, f) => (w0(a), w1(b), w2(c), w3(d), w4(e), w5(f), call(), read());
    default:
      return (...args) => {
        for (let i = 0; i < w.length; i++) w[i](args[i]);
        call();
        return read();
      };
  }
}

/**
 * An address writer that remembers the last argument and its address (an argument position
 * usually gets the same kept struct or handle call after call): a hit costs a comparison, where
 * the runtime's cache costs a WeakMap lookup (about 17 ns).
 */
function lastOne(
  address: (a: unknown) => bigint,
  u64: BigUint64Array,
  i: number,
  keep: (a: unknown) => boolean,
): Writer {
  let last: unknown = undefined, at = 0n;
  return (a) => {
    if (a !== last || a === undefined || !keep(a)) {
      at = address(a);
      last = a === null || typeof a !== "object" ? undefined : a;
    }
    u64[i] = at;
  };
}

/** Writes argument `i` of type `t` into its 8-byte slot, as {@linkcode ARGUMENT_SLOT} says. */
function writer(t: NativeType, v: Views, host: LibffiHost, i: number): Writer {
  if (t === "pointer" || t === "function") {
    return lastOne((a) => host.pointerAddress(a), v.u64, i, () => true);
  }
  if (t === "buffer") {
    // A detached view (length 0) is asked again: its address is not kept.
    return lastOne(
      (a) => host.bufferAddress(a),
      v.u64,
      i,
      (a) => (a as ArrayBufferView).byteLength > 0,
    );
  }
  if (t === "void") throw new TypeError("void is not an argument type");
  const { view, per, as } = ARGUMENT_SLOT[t];
  const slots = v[view] as unknown as { [k: number]: unknown }, k = per * i;
  if (as === "BigInt") return (a) => slots[k] = BigInt(a as number | bigint);
  if (as === "bool") return (a) => slots[k] = a ? 1 : 0;
  return (a) => slots[k] = a;
}

/** Reads the result of type `t` from libffi's return slot, as {@linkcode RESULT_READ} says. */
function reader(t: NativeType, d: DataView, host: LibffiHost): () => unknown {
  if (t === "void") return () => undefined;
  const { get, as } = RESULT_READ[t];
  const read = (d[get] as (offset: number, littleEndian: boolean) => number | bigint).bind(d);
  if (as === "pointer") return () => host.pointerFrom(read(0, true) as bigint);
  if (as === "bool") return () => read(0, true) !== 0;
  return () => read(0, true);
}
