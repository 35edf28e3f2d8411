/**
 * Deno's half of the libffi caller (`libffi.ts`): libffi.so.8 opened with `Deno.dlopen`.
 * `Deno.UnsafeFnPointer` takes no fast-call path: about 1.3 µs a call on our machines and 2.4 µs
 * on the H200, against about 64 ns for a `Deno.dlopen` symbol like `ffi_call`, with its cif
 * prepared once per function.
 *
 * @module
 */
import { cachedAddresses, FFI_TYPE_NAMES, libffiCall, type LibffiHost } from "./libffi.ts";
import type { ForeignFunction, Pointer } from "./types.ts";

const SYMBOLS = {
  ffi_prep_cif: {
    // ffi_status ffi_prep_cif(ffi_cif *cif, ffi_abi abi, unsigned nargs, ffi_type *rtype,
    //                         ffi_type **atypes)
    parameters: ["buffer", "i32", "u32", "pointer", "buffer"],
    result: "i32",
  },
  // void ffi_call(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue)
  ffi_call: { parameters: ["pointer", "pointer", "pointer", "pointer"], result: "void" },
  ...Object.fromEntries(FFI_TYPE_NAMES.map((name) => [name, { type: "pointer" }])),
} as const;

type Libffi = Deno.DynamicLibrary<Deno.ForeignLibraryInterface>;
let host: LibffiHost | null | undefined;

/** libffi.so.8, or null where it does not load (or is not x86-64 Linux). */
function open(): Libffi | null {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return null;
  try {
    return Deno.dlopen("libffi.so.8", SYMBOLS as unknown as Deno.ForeignLibraryInterface);
  } catch {
    return null;
  }
}

/**
 * Pointer objects' addresses, asked once each: `Deno.UnsafePointer.value` costs about 100 ns, a
 * WeakMap lookup about 17 ns.
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

/** A view's address (`Deno.UnsafePointer.of` costs about 700 ns). */
const addressOf = (view: ArrayBufferView): bigint =>
  BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view as unknown as BufferSource)));

const bufferAddress = cachedAddresses(addressOf);

/** The host over an opened libffi. */
function makeHost(ffi: Libffi): LibffiHost {
  const s = ffi.symbols as unknown as Record<string, unknown>;
  const prep = s.ffi_prep_cif as (...a: unknown[]) => number;
  const call = s.ffi_call as (...a: unknown[]) => void;
  return {
    typeAddress: (name) => address(s[name]),
    prep: (cif, abi, n, rtype, atypes) =>
      prep(cif, abi, n, Deno.UnsafePointer.create(rtype), atypes),
    // Pointer objects made once: a buffer argument costs a typed-array check per call.
    caller: (cif, fn, rvalue, avalue) => {
      const [c, r, a] = [cif, rvalue, avalue].map((v) =>
        Deno.UnsafePointer.of(v as unknown as BufferSource)
      );
      return () => call(c, fn, r, a);
    },
    fixedAddress: addressOf,
    pointerAddress: address,
    bufferAddress,
    pointerFrom: (a) => Deno.UnsafePointer.create(a),
  };
}

/** The libffi host, or null where libffi does not load. */
function libffiHost(): LibffiHost | null {
  if (host !== undefined) return host;
  const lib = open();
  return host = lib ? makeHost(lib) : null;
}

/** Whether function pointers can be called through libffi here. */
export function libffiLoads(): boolean {
  return libffiHost() !== null;
}

/**
 * A JS function that calls `pointer` as `definition` says, through libffi's `ffi_call`; null
 * where libffi does not load or refuses the signature.
 */
export function libffiFunction(
  pointer: Pointer,
  definition: ForeignFunction,
): ((...args: unknown[]) => unknown) | null {
  const h = libffiHost();
  return h ? libffiCall(h, pointer, definition) : null;
}
