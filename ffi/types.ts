/**
 * The runtime-neutral FFI interface. Everything above `ffi/` talks to native code through
 * {@linkcode Runtime}; `ffi/deno.ts` implements it with `Deno.dlopen`, and `ffi/bun.ts`
 * implements the same with `bun:ffi`. Nothing outside a backend names `Deno` or `bun:ffi`.
 *
 * @module
 */

/** C types a foreign function can take or return. Widths are exact: `i32` is never read as 64 bits. */
export type NativeType =
  | "void"
  | "bool"
  | "u8"
  | "i8"
  | "u16"
  | "i16"
  | "u32"
  | "i32"
  | "u64"
  | "i64"
  | "usize"
  | "isize"
  | "f32"
  | "f64"
  | "pointer"
  | "buffer"
  | "function";

/** The signature of one foreign function. */
export interface ForeignFunction {
  /** Parameter types, in order. */
  readonly parameters: readonly NativeType[];
  /** Result type. */
  readonly result: NativeType;
  /** Run the call on a worker thread and return a Promise (Deno only; see the backend). */
  readonly nonblocking?: boolean;
  /** The symbol may be missing from the library: it is then `null` instead of failing the load. */
  readonly optional?: boolean;
}

/** A table of foreign functions, by symbol name. */
export type SymbolTable = Readonly<Record<string, ForeignFunction>>;

/**
 * An opaque native pointer, or `null` for NULL. Its representation belongs to the backend
 * (an object on Deno, a number on Bun, a bigint on Node): convert with {@linkcode Runtime.address} and
 * {@linkcode Runtime.pointer}, never by hand.
 *
 * @example
 * ```ts
 * const p: Pointer = host.pointer; // an opaque pointer of the runtime (Deno, Bun or Node)
 * ```
 *
 * @category FFI
 */
export type Pointer = { readonly "vkshare.pointer": never } | null;

/** Bytes whose address is taken for the length of a call. */
export type BufferArg = ArrayBufferView | null;

/** The JS type of an argument of native type `T`. */
export type ParamOf<T extends NativeType> = T extends "bool" ? boolean
  : T extends "u64" | "i64" | "usize" | "isize" ? number | bigint
  : T extends "pointer" | "function" ? Pointer
  : T extends "buffer" ? BufferArg
  : T extends "void" ? never
  : number;

/** The JS type of a result of native type `T` (64-bit integers are bigint). */
export type ResultOf<T extends NativeType> = T extends "void" ? void
  : T extends "bool" ? boolean
  : T extends "u64" | "i64" | "usize" | "isize" ? bigint
  : T extends "pointer" | "function" | "buffer" ? Pointer
  : number;

/** The JS types of a parameter list. */
export type ParamsOf<T extends readonly NativeType[]> = { [K in keyof T]: ParamOf<T[K]> };

/** The JS function type of a foreign function: 64-bit results are always `bigint`. */
export type FunctionOf<F extends ForeignFunction> = (
  ...args: ParamsOf<F["parameters"]>
) => F["nonblocking"] extends true ? Promise<ResultOf<F["result"]>> : ResultOf<F["result"]>;

/** The JS object of a loaded symbol table. Optional symbols may be `null`. */
export type FunctionsOf<S extends SymbolTable> = {
  readonly [K in keyof S]: S[K]["optional"] extends true ? FunctionOf<S[K]> | null
    : FunctionOf<S[K]>;
};

/** An opened shared library. */
export interface Library<S extends SymbolTable> extends Disposable {
  /** The path it was opened from. */
  readonly path: string;
  /** Its functions. */
  readonly symbols: FunctionsOf<S>;
  /** Unloads the library (idempotent). */
  close(): void;
}

/** A JS function made callable from C, as a function pointer. */
export interface Callback extends Disposable {
  /** The C function pointer. */
  readonly pointer: Pointer;
  /** Frees the trampoline (idempotent); the pointer must not be called afterwards. */
  close(): void;
}

/** The JS signature of a callback with definition `F`. */
export type CallbackFn<F extends ForeignFunction> = (
  ...args: CallbackArgs<F["parameters"]>
) => ParamOf<F["result"]> | void;

/** The JS arguments a callback receives for native parameter types `T`. */
export type CallbackArgs<T extends readonly NativeType[]> = {
  -readonly [K in keyof T]: ResultOf<T[K]>;
};

/** One runtime's implementation of native calls and raw memory access. */
export interface Runtime {
  /** `"deno"`, `"bun"` or `"node"`. */
  readonly name: "deno" | "bun" | "node";
  /** The runtime's version string. */
  readonly version: string;
  /** Opens a shared library; throws the backend's error when it cannot. */
  open<S extends SymbolTable>(path: string, symbols: S): Library<S>;
  /** Wraps a C function pointer (from vkGet*ProcAddr) as a callable JS function. */
  fn<F extends ForeignFunction>(pointer: Pointer, definition: F): FunctionOf<F>;
  /**
   * How {@linkcode Runtime.fn} calls a function pointer: `trampoline` (Deno on x86-64 Linux: a
   * symbol of vkshare's own that jumps to the pointer, `trampoline.ts`), `libffi` (through
   * libffi.so.8's `ffi_call`: Node, or Deno with `VKSHARE_FNPTR=libffi` or without the
   * trampoline), `UnsafeFnPointer` (Deno without either, or `VKSHARE_FNPTR=deno`), `CFunction`
   * (Bun), or `none` (Node without libffi.so.8: `fn` throws, naming the package).
   */
  readonly fnPointers: "trampoline" | "libffi" | "UnsafeFnPointer" | "CFunction" | "none";
  /**
   * Why Deno or Node does not call function pointers through the trampoline here (`VKSHARE_FNPTR`
   * asks for another path, another architecture, a kernel that refuses executable memfds, ...),
   * or null where it does (and on Bun).
   */
  readonly fnPointersWhy: string | null;
  /** Makes a JS function callable from C on the calling thread. */
  callback<F extends ForeignFunction>(definition: F, fn: CallbackFn<F>): Callback;
  /** The address of the first byte of `view`. The caller keeps `view` alive. */
  pointerOf(view: ArrayBufferView): Pointer;
  /** Whether `v` is a non-NULL pointer of this backend (an object on Deno, a number on Bun). */
  isPointer(v: unknown): v is Pointer;
  /** The numeric address of a pointer (0n for NULL). */
  address(pointer: Pointer): bigint;
  /** A pointer for a numeric address (NULL for 0). */
  pointer(address: bigint | number): Pointer;
  /** The `byteLength` bytes at `pointer + offset`, without copying: valid while the memory is. */
  view(pointer: Pointer, byteLength: number, offset?: number): ArrayBuffer;
  /** Reads the NUL-terminated UTF-8 string at `pointer + offset`. */
  cstring(pointer: Pointer, offset?: number): string;
  /** Reads an environment variable (undefined when unset or not permitted). */
  env(name: string): string | undefined;
  /** Calls `fn` when the process gets `signal`, until the returned function is called. */
  onSignal(signal: "SIGINT" | "SIGTERM", fn: () => void): () => void;
  /** Ends the process with exit status `code`. */
  exit(code: number): never;
  /** The OS (`"linux"`, `"darwin"`, `"windows"`, ...). */
  readonly os: string;
  /** The CPU architecture (`"x86_64"` or `"aarch64"`). */
  readonly arch: string;
}
