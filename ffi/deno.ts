/**
 * The Deno backend of {@linkcode Runtime}: `Deno.dlopen`, `Deno.UnsafeFnPointer`,
 * `Deno.UnsafeCallback`, `Deno.UnsafePointer(View)`. FFI is stable in Deno 2: no flag is needed
 * beyond `--allow-ffi`.
 *
 * @module
 */
import { buffersAsPointers, takingAddresses } from "./deno_buffers.ts";
import { libffiFunction, libffiLoads } from "./deno_libffi.ts";
import { trampolineFunction, trampolineRefused } from "./deno_trampoline.ts";
import { FNPTR_ENV } from "./trampoline.ts";
import type {
  Callback,
  CallbackFn,
  ForeignFunction,
  FunctionOf,
  Library,
  Pointer,
  Runtime,
  SymbolTable,
} from "./types.ts";

const WIDE = new Set(["u64", "i64", "usize", "isize"]);

// Deno returns a 64-bit integer as a number when it fits in 53 bits: widen it so that callers
// always see a bigint, whatever the value.
function widenResult<T extends (...a: never[]) => unknown>(f: T, def: ForeignFunction): T {
  if (!WIDE.has(def.result)) return f;
  if (def.nonblocking) {
    return ((...a: never[]) => (f(...a) as Promise<number | bigint>).then(BigInt)) as T;
  }
  return ((...a: never[]) => BigInt(f(...a) as number | bigint)) as T;
}

function asDeno(def: ForeignFunction): Deno.ForeignFunction {
  return def as unknown as Deno.ForeignFunction;
}

/** How this backend calls function pointers. */
type Path = "trampoline" | "libffi" | "UnsafeFnPointer";
const ASKED: Readonly<Record<string, Path>> = {
  trampoline: "trampoline",
  libffi: "libffi",
  deno: "UnsafeFnPointer",
};

/**
 * The path VKSHARE_FNPTR asks for (the trampoline when unset or empty; another value is named
 * on stderr, once, and ignored), or the next one down where it does not load here: the
 * trampoline, then libffi, then Deno.UnsafeFnPointer; and why it is not the trampoline (null
 * where it is).
 */
function fnPointerPath(): { path: Path; why: string | null } {
  let asked: string | undefined;
  try {
    asked = Deno.env.get(FNPTR_ENV) || undefined; // empty is unset
  } catch {
    asked = undefined;
  }
  if (asked !== undefined && !Object.hasOwn(ASKED, asked)) {
    console.error(
      `vkshare: ${FNPTR_ENV}=${JSON.stringify(asked)} is none of trampoline, libffi and deno: `
        + "it is ignored",
    );
  }
  const want = asked !== undefined && Object.hasOwn(ASKED, asked) ? ASKED[asked] : "trampoline";
  const why = want === "trampoline"
    ? trampolineRefused()
    : `${FNPTR_ENV}=${asked} asks for ${want}`;
  if (why === null) return { path: "trampoline", why };
  if (want !== "UnsafeFnPointer" && libffiLoads()) return { path: "libffi", why };
  return {
    path: "UnsafeFnPointer",
    why: want === "UnsafeFnPointer" ? why : `${why}; libffi.so.8 did not load`,
  };
}

let chosen: { path: Path; why: string | null } | undefined;
/** The path and why it is not the trampoline, asked once. */
const choice = () => chosen ??= fnPointerPath();

/**
 * `pointer` as a JS function by the path in use; a signature the trampoline cannot take goes
 * through libffi, and one libffi refuses through Deno.UnsafeFnPointer. Null for the last.
 */
function fastFunction(pointer: Pointer, definition: ForeignFunction) {
  if (definition.nonblocking) return null;
  const p = choice().path;
  return (p === "trampoline" ? trampolineFunction(pointer, definition) : null)
    ?? (p !== "UnsafeFnPointer" && libffiLoads() ? libffiFunction(pointer, definition) : null);
}

/** `pointer` as a `Deno.UnsafeFnPointer` of `definition`, its call bound. */
function unsafeFnPointer(pointer: Pointer, definition: ForeignFunction) {
  const fp = new Deno.UnsafeFnPointer(
    pointer as unknown as Deno.PointerObject<Deno.ForeignFunction>,
    asDeno(definition),
  );
  return fp.call.bind(fp) as unknown as (...a: unknown[]) => unknown;
}

/** The Deno runtime backend. */
export const runtime: Runtime = {
  name: "deno",
  version: Deno.version.deno,
  os: Deno.build.os,
  arch: Deno.build.arch,

  open<S extends SymbolTable>(path: string, symbols: S): Library<S> {
    const defs: Record<string, Deno.ForeignFunction> = {};
    for (const [k, v] of Object.entries(symbols)) defs[k] = asDeno(v);
    const lib = Deno.dlopen(path, defs);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(symbols)) {
      const f = (lib.symbols as Record<string, ((...a: never[]) => unknown) | null>)[k];
      out[k] = f === null || f === undefined ? null : widenResult(f, v);
    }
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      lib.close();
    };
    return {
      path,
      symbols: out as Library<S>["symbols"],
      close,
      [Symbol.dispose]: close,
    };
  },

  get fnPointers(): Path {
    return choice().path;
  },

  get fnPointersWhy(): string | null {
    return choice().why;
  },

  fn<F extends ForeignFunction>(pointer: Pointer, definition: F): FunctionOf<F> {
    if (pointer === null) throw new TypeError("cannot call a NULL function pointer");
    const f = fastFunction(pointer, definition);
    if (f) return widenResult(f, definition) as unknown as FunctionOf<F>;
    // An address for a `buffer` parameter goes through a second pointer (`deno_buffers.ts`).
    const call = takingAddresses(
      definition.parameters,
      unsafeFnPointer(pointer, definition),
      () =>
        unsafeFnPointer(pointer, {
          ...definition,
          parameters: buffersAsPointers(definition.parameters),
        }),
    );
    return widenResult(call, definition) as unknown as FunctionOf<F>;
  },

  callback<F extends ForeignFunction>(definition: F, fn: CallbackFn<F>): Callback {
    const wide = definition.parameters.map((p) => WIDE.has(p));
    const target = wide.some(Boolean)
      ? (...args: unknown[]) =>
        (fn as (...a: unknown[]) => unknown)(
          ...args.map((a, i) => wide[i] ? BigInt(a as number | bigint) : a),
        )
      : fn as (...a: unknown[]) => unknown;
    const cb = new Deno.UnsafeCallback(
      definition as unknown as Deno.UnsafeCallbackDefinition,
      target as unknown as Deno.UnsafeCallbackFunction,
    );
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      cb.close();
    };
    return { pointer: cb.pointer as unknown as Pointer, close, [Symbol.dispose]: close };
  },

  pointerOf(view: ArrayBufferView): Pointer {
    return Deno.UnsafePointer.of(view as unknown as BufferSource) as unknown as Pointer;
  },

  isPointer(v: unknown): v is Pointer {
    return typeof v === "object" && v !== null && !ArrayBuffer.isView(v);
  },

  address(pointer: Pointer): bigint {
    return BigInt(Deno.UnsafePointer.value(pointer as unknown as Deno.PointerValue));
  },

  pointer(address: bigint | number): Pointer {
    return Deno.UnsafePointer.create(BigInt(address)) as unknown as Pointer;
  },

  view(pointer: Pointer, byteLength: number, offset = 0): ArrayBuffer {
    if (pointer === null) throw new TypeError("cannot read through a NULL pointer");
    return Deno.UnsafePointerView.getArrayBuffer(
      pointer as unknown as Deno.PointerObject,
      byteLength,
      offset,
    );
  },

  cstring(pointer: Pointer, offset = 0): string {
    if (pointer === null) throw new TypeError("cannot read a string through a NULL pointer");
    return Deno.UnsafePointerView.getCString(pointer as unknown as Deno.PointerObject, offset);
  },

  env(name: string): string | undefined {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  },

  onSignal(signal: "SIGINT" | "SIGTERM", fn: () => void): () => void {
    Deno.addSignalListener(signal, fn);
    return () => Deno.removeSignalListener(signal, fn);
  },

  exit(code: number): never {
    Deno.exit(code);
  },
};
