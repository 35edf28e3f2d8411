/**
 * C struct layouts, declared once as their C fields in order, with C types. Offsets, size and
 * alignment follow the C ABI of x86-64 and aarch64 Linux (LP64: natural alignment, padding
 * before each field to its alignment, tail padding to the struct's alignment).
 *
 * Encoders write a JS object into an {@linkcode Arena} (fill `sType`, derive counts from
 * arrays, chain `pNext` by what each struct extends, check every value fits its C type);
 * decoders read a struct back into a plain object.
 *
 * @example
 * ```ts
 * const Pair = defineStruct("Pair", { a: u32(), b: u64() });
 * Pair.size; // 16
 * using arena = new Arena();
 * const enc = encode(Pair, { a: 1, b: 2n }, arena);
 * enc.decode(); // { a: 1, b: 2n }
 * ```
 *
 * @module
 */
import { rt } from "./runtime.ts";
import type { Pointer } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Arena: memory that C reads during one call

interface Chunk {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly address: bigint;
  used: number;
}

/** Where an arena put something: its chunk, offset, and absolute address. */
export interface Slot {
  /** The bytes of the whole chunk. */
  readonly bytes: Uint8Array;
  /** A DataView over the whole chunk. */
  readonly view: DataView;
  /** Offset of the slot in the chunk. */
  readonly offset: number;
  /** Size of the slot in bytes. */
  readonly size: number;
  /** Address of the slot's first byte. */
  readonly address: bigint;
}

const CHUNK = 4096;

// Chunks of disposed arenas, zeroed again, for the next arena: making a chunk (an ArrayBuffer
// and its address through the FFI backend) costs microseconds, and most calls need one.
const pool: Chunk[] = [];
const POOL_MAX = 64;

function newChunk(size: number): Chunk {
  const bytes = new Uint8Array(new ArrayBuffer(size));
  return {
    bytes,
    view: new DataView(bytes.buffer),
    address: rt.address(rt.pointerOf(bytes)),
    used: 0,
  };
}

/**
 * Native-visible scratch memory for the structs, strings and arrays of one call. Every byte
 * it hands out, and every buffer given to {@linkcode Arena.keep}, stays alive as long as the
 * arena does: hold it until the call returns. The chunks are `ArrayBuffer`s made with
 * `new ArrayBuffer`, which engines never move; a disposed arena's chunks are zeroed and reused
 * by later arenas, so nothing may read an arena's memory after its dispose.
 */
export class Arena implements Disposable {
  #chunks: Chunk[] = [];
  #kept: unknown[] = [];

  /** Allocates `size` zeroed bytes aligned to `align`. */
  alloc(size: number, align = 8): Slot {
    let c = this.#chunks.at(-1);
    let off = c ? alignUp(c.used, align) : 0;
    if (!c || off + size > c.bytes.byteLength) {
      c = size <= CHUNK ? pool.pop() ?? newChunk(CHUNK) : newChunk(alignUp(size, 16));
      this.#chunks.push(c);
      off = 0;
    }
    c.used = off + size;
    return { bytes: c.bytes, view: c.view, offset: off, size, address: c.address + BigInt(off) };
  }

  /** Copies `s` as NUL-terminated UTF-8 and returns its address. */
  string(s: string, where: string): bigint {
    if (typeof s !== "string") {
      throw new TypeError(`${where}: expected a string, got ${describeValue(s)}`);
    }
    if (s.includes("\0")) throw new TypeError(`${where}: a C string cannot hold a NUL character`);
    const utf8 = new TextEncoder().encode(s);
    const slot = this.alloc(utf8.byteLength + 1, 1);
    slot.bytes.set(utf8, slot.offset);
    return slot.address;
  }

  /** Whether anything was allocated in the arena. */
  get used(): boolean {
    return this.#chunks.length > 0;
  }

  /** Keeps `obj` reachable for as long as the arena. */
  keep(obj: unknown): void {
    this.#kept.push(obj);
  }

  /** Drops the arena's memory (the arena must not be used by C afterwards). */
  [Symbol.dispose](): void {
    for (const c of this.#chunks) {
      if (c.bytes.byteLength !== CHUNK || pool.length >= POOL_MAX) continue;
      c.bytes.fill(0, 0, c.used);
      c.used = 0;
      pool.push(c);
    }
    this.#chunks = [];
    this.#kept = [];
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function describeValue(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined || typeof v !== "object") return String(v);
  return v.constructor?.name ?? "object";
}

// ---------------------------------------------------------------------------------------------
// Field types

/** What a decoder knows while it reads a struct: the fields read so far. */
export type ReadContext = Record<string, unknown>;

/** One C field type: its layout and how a JS value is written to and read from it. */
export interface FieldType<In, Out> {
  /** The C type as declared (without array dimensions), e.g. `const char* const*`. */
  readonly c: string;
  /** The array dimension as declared (`VK_UUID_SIZE`, `4`), for fixed arrays. */
  readonly dims?: string;
  /** Size in bytes. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
  /** A special role: the struct's type tag, its extension chain, or a count of another field. */
  readonly role?: "sType" | "pNext" | "count";
  /** For pointers to arrays: the name of the field that holds the count. */
  readonly len?: string;
  /** For pointers to arrays: the number of elements in a value (to fill the count field). */
  lengthOf?(v: In): number;
  /** Writes `v` at `off`; throws a TypeError/RangeError naming `where` if C cannot hold it. */
  write(arena: Arena, view: DataView, off: number, v: In, where: string): void;
  /** Reads the field at `off`. */
  read(view: DataView, off: number, ctx: ReadContext): Out;
}

// deno-lint-ignore no-explicit-any
type AnyField = FieldType<any, any>;

/** A number field (`u32`, `i32`, `u16`, `i16`, `u8`, `count`, `f32`). */
export type NumberField = FieldType<number, number>;
/** A 64-bit field (`u64`, `handle`): a number or bigint in, a bigint out. */
export type BigIntField = FieldType<number | bigint, bigint>;
/** A `VkBool32` field. */
export type BoolField = FieldType<boolean, boolean>;
/** A `void*` field: an address, a typed array or a pointer in, the address out. */
export type VoidPtrField = FieldType<bigint | ArrayBufferView | Pointer, bigint>;
/** A function pointer field. */
export type FnPtrField = FieldType<Pointer, bigint>;
/** A `const char*` field. */
export type CStrField = FieldType<string | null, string | null>;
/** A `const char* const*` field (its count in another field). */
export type CStrArrayField = FieldType<readonly string[], string[]>;
/** A `char[N]` field. */
export type CharsField = FieldType<string, string>;
/** A `uint8_t[N]` field. */
export type BytesField = FieldType<Uint8Array | readonly number[], Uint8Array>;
/** An embedded struct field. */
export type StructField<S extends AnyStruct> = FieldType<Input<S>, Output<S>>;
/** A `const T*` field pointing at one struct or an array of them. */
export type StructPtrField<S extends AnyStruct> = FieldType<
  readonly Input<S>[] | Input<S> | null,
  Output<S>[]
>;
/** A union field read through one member `F` (or through none). */
export type UnionField<F> = F extends FieldType<infer I, infer O> ? FieldType<I, O | undefined>
  : never;
/** A fixed array of `F`. */
export type ArrayField<F> = F extends FieldType<infer I, infer O> ? FieldType<readonly I[], O[]>
  : never;
/** A pointer to an array of `F` (its count in another field). */
export type ValueArrayField<F> = F extends FieldType<infer I, infer O>
  ? FieldType<readonly I[] | ArrayLike<I>, O[]>
  : never;

function intField(
  c: string,
  size: 1 | 2 | 4,
  signed: boolean,
  role?: "count",
): FieldType<number, number> {
  const bits = size * 8;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const setter = size === 1
    ? (signed ? "setInt8" : "setUint8")
    : size === 2
    ? (signed ? "setInt16" : "setUint16")
    : (signed ? "setInt32" : "setUint32");
  const getter = setter.replace("set", "get") as "getUint32";
  return {
    c,
    size,
    align: size,
    role,
    write(_a, view, off, v, where) {
      checkInt(v, min, max, c, where);
      (view[setter] as (o: number, v: number, le: boolean) => void).call(view, off, v, true);
    },
    read: (view, off) => view[getter](off, true),
  };
}

function checkInt(v: unknown, min: number, max: number, c: string, where: string): void {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`${where}: ${c} needs an integer, got ${describeValue(v)}`);
  }
  if (v < min || v > max) {
    throw new RangeError(`${where}: ${v} does not fit in ${c} (${min}..${max})`);
  }
}

function toU64(v: unknown, c: string, where: string): bigint {
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isInteger(v)) {
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`${where}: ${v} is past 2^53: pass ${c} as a bigint`);
    }
    b = BigInt(v);
  } else throw new TypeError(`${where}: ${c} needs an integer or bigint, got ${describeValue(v)}`);
  if (b < 0n || b > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError(`${where}: ${b} does not fit in ${c} (0..2^64-1)`);
  }
  return b;
}

/** `uint32_t` and its aliases (flags, enums, counts): a JS integer in 0..2^32-1. */
export function u32(c = "uint32_t"): NumberField {
  return intField(c, 4, false);
}

/** `int32_t` (or `int`): a JS integer in -2^31..2^31-1. */
export function i32(c = "int32_t"): NumberField {
  return intField(c, 4, true);
}

/** `uint16_t` (or `unsigned short`, `sa_family_t`). */
export function u16(c = "uint16_t"): NumberField {
  return intField(c, 2, false);
}

/** `int16_t` (or `short`). */
export function i16(c = "int16_t"): NumberField {
  return intField(c, 2, true);
}

/** `uint8_t`. */
export function u8(c = "uint8_t"): NumberField {
  return intField(c, 1, false);
}

/** A `uint32_t` that counts the elements of a pointer field; filled from the array when omitted. */
export function count(c = "uint32_t"): NumberField {
  return intField(c, 4, false, "count");
}

/** `uint64_t`, `VkDeviceSize`, `size_t`: a number (up to 2^53) or bigint; read as bigint. */
export function u64(c = "uint64_t"): BigIntField {
  return {
    c,
    size: 8,
    align: 8,
    write(_a, view, off, v, where) {
      view.setBigUint64(off, toU64(v, c, where), true);
    },
    read: (view, off) => view.getBigUint64(off, true),
  };
}

/** A non-dispatchable handle (`VkDeviceMemory`, `VkBuffer`, ...): a bigint, `0n` for none. */
export function handle(c: string): BigIntField {
  return { ...u64(c), c };
}

/** `float`. */
export function f32(c = "float"): NumberField {
  return {
    c,
    size: 4,
    align: 4,
    write(_a, view, off, v, where) {
      if (typeof v !== "number") {
        throw new TypeError(`${where}: ${c} needs a number, got ${describeValue(v)}`);
      }
      view.setFloat32(off, v, true);
    },
    read: (view, off) => view.getFloat32(off, true),
  };
}

/** `VkBool32`: a boolean. */
export function bool32(c = "VkBool32"): BoolField {
  return {
    c,
    size: 4,
    align: 4,
    write(_a, view, off, v, where) {
      if (typeof v !== "boolean") {
        throw new TypeError(`${where}: ${c} needs a boolean, got ${describeValue(v)}`);
      }
      view.setUint32(off, v ? 1 : 0, true);
    },
    read: (view, off) => view.getUint32(off, true) !== 0,
  };
}

/**
 * An untyped pointer (`void*`, `const void*`, a dispatchable handle): an address as bigint, a
 * buffer (kept alive by the arena), or null. Read as a bigint address.
 */
export function voidPtr(c = "void*"): VoidPtrField {
  return {
    c,
    size: 8,
    align: 8,
    write(arena, view, off, v, where) {
      view.setBigUint64(off, pointerValue(arena, v, c, where), true);
    },
    read: (view, off) => view.getBigUint64(off, true),
  };
}

/**
 * A C union, or a member vkshare never sets (a nested struct of another platform's fields):
 * `size` bytes aligned to `align`, zero unless a value is given, which is written through
 * `member` at the union's offset 0.
 */
export function union<In, Out>(
  c: string,
  size: number,
  align: number,
  member?: FieldType<In, Out>,
): FieldType<In, Out | undefined> {
  return {
    c,
    size,
    align,
    write(arena, view, off, v, where) {
      if (!member) throw new TypeError(`${where}: ${c} is written as zeros only`);
      member.write(arena, view, off, v, where);
    },
    read: (view, off, ctx) => member?.read(view, off, ctx),
  };
}

/** A function pointer (`PFN_...`): a {@linkcode Pointer} from a callback. Read as bigint. */
export function fnPtr(c: string): FnPtrField {
  return { ...voidPtr(c), c } as FieldType<Pointer, bigint>;
}

function pointerValue(arena: Arena, v: unknown, c: string, where: string): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === "bigint") return toU64(v, c, where);
  if (ArrayBuffer.isView(v)) {
    if (v.byteLength === 0) return 0n;
    arena.keep(v);
    return rt.address(rt.pointerOf(v));
  }
  if (rt.isPointer(v)) return rt.address(v);
  throw new TypeError(
    `${where}: ${c} needs a pointer, bigint address or buffer, got ${describeValue(v)}`,
  );
}

function readPtr(view: DataView, off: number): Pointer {
  const a = view.getBigUint64(off, true);
  return a === 0n ? null : rt.pointer(a);
}

/** `const char*`: a JS string (no NUL inside) or null; read back as a string or null. */
export function cstr(c = "const char*"): CStrField {
  return {
    c,
    size: 8,
    align: 8,
    write(arena, view, off, v, where) {
      view.setBigUint64(off, v === null || v === undefined ? 0n : arena.string(v, where), true);
    },
    read(view, off) {
      const p = readPtr(view, off);
      return p === null ? null : rt.cstring(p);
    },
  };
}

/** `const char* const*` with its count in field `len`: an array of strings. */
export function cstrArray(
  len: string,
  c = "const char* const*",
): CStrArrayField {
  return {
    c,
    size: 8,
    align: 8,
    len,
    lengthOf: (v) => v.length,
    write(arena, view, off, v, where) {
      if (!Array.isArray(v)) throw new TypeError(`${where}: expected an array of strings`);
      if (v.length === 0) return view.setBigUint64(off, 0n, true);
      const arr = arena.alloc(8 * v.length, 8);
      v.forEach((s, i) => {
        arr.view.setBigUint64(arr.offset + 8 * i, arena.string(s, `${where}[${i}]`), true);
      });
      view.setBigUint64(off, arr.address, true);
    },
    read(view, off, ctx) {
      const p = readPtr(view, off);
      const n = ctx[len] as number;
      if (p === null || !n) return [];
      const dv = new DataView(rt.view(p, 8 * n));
      return Array.from({ length: n }, (_, i) => {
        const s = dv.getBigUint64(8 * i, true);
        return s === 0n ? "" : rt.cstring(rt.pointer(s));
      });
    },
  };
}

/**
 * A pointer to `len` scalars (`const uint32_t*`, `const float*`, `const VkSemaphore*`,
 * `const VkCommandBuffer*`) with its count in field `len`: an array of element values.
 */
export function valueArray<In, Out>(
  elem: FieldType<In, Out>,
  len: string,
  c: string,
): FieldType<readonly In[] | ArrayLike<In>, Out[]> {
  return {
    c,
    size: 8,
    align: 8,
    len,
    lengthOf: (v) => v.length,
    write(arena, view, off, v, where) {
      if (v === null || v === undefined || v.length === 0) return view.setBigUint64(off, 0n, true);
      const arr = arena.alloc(elem.size * v.length, elem.align);
      for (let i = 0; i < v.length; i++) {
        elem.write(arena, arr.view, arr.offset + elem.size * i, v[i], `${where}[${i}]`);
      }
      view.setBigUint64(off, arr.address, true);
    },
    read(view, off, ctx) {
      const p = readPtr(view, off);
      const n = ctx[len] as number;
      if (p === null || !n) return [];
      const dv = new DataView(rt.view(p, elem.size * n));
      return Array.from({ length: n }, (_, i) => elem.read(dv, elem.size * i, {}));
    },
  };
}

/** A fixed `char name[N]`: a string of at most N-1 UTF-8 bytes. */
export function chars(n: number, dims: string = String(n)): CharsField {
  return {
    c: "char",
    dims,
    size: n,
    align: 1,
    write(_a, view, off, v, where) {
      if (typeof v !== "string") {
        throw new TypeError(`${where}: expected a string, got ${describeValue(v)}`);
      }
      if (v.includes("\0")) throw new TypeError(`${where}: a C string cannot hold a NUL character`);
      const utf8 = new TextEncoder().encode(v);
      if (utf8.byteLength >= n) {
        throw new RangeError(`${where}: ${utf8.byteLength} bytes do not fit in char[${dims}]`);
      }
      new Uint8Array(view.buffer, view.byteOffset + off, n).set(utf8);
    },
    read(view, off) {
      const b = new Uint8Array(view.buffer, view.byteOffset + off, n);
      const end = b.indexOf(0);
      return new TextDecoder().decode(b.subarray(0, end < 0 ? n : end));
    },
  };
}

/** A fixed `uint8_t name[N]`: a Uint8Array (or array) of at most N bytes; read as a copy. */
export function bytes(
  n: number,
  dims: string = String(n),
): BytesField {
  return {
    c: "uint8_t",
    dims,
    size: n,
    align: 1,
    write(_a, view, off, v, where) {
      if (!(v instanceof Uint8Array) && !Array.isArray(v)) {
        throw new TypeError(`${where}: expected a Uint8Array, got ${describeValue(v)}`);
      }
      if (v.length > n) throw new RangeError(`${where}: ${v.length} bytes do not fit in [${dims}]`);
      for (let i = 0; i < v.length; i++) checkInt(v[i], 0, 255, "uint8_t", `${where}[${i}]`);
      new Uint8Array(view.buffer, view.byteOffset + off, n).set(v);
    },
    read: (view, off) => new Uint8Array(view.buffer, view.byteOffset + off, n).slice(),
  };
}

/** A fixed array `T name[N]` of a scalar or struct element: a JS array of at most N values. */
export function array<In, Out>(
  elem: FieldType<In, Out>,
  n: number,
  dims: string = String(n),
): FieldType<readonly In[], Out[]> {
  return {
    c: elem.c,
    dims,
    size: elem.size * n,
    align: elem.align,
    write(arena, view, off, v, where) {
      if (!Array.isArray(v)) {
        throw new TypeError(`${where}: expected an array, got ${describeValue(v)}`);
      }
      if (v.length > n) {
        throw new RangeError(`${where}: ${v.length} elements do not fit in [${dims}]`);
      }
      v.forEach((x, i) => elem.write(arena, view, off + elem.size * i, x, `${where}[${i}]`));
    },
    read: (view, off) =>
      Array.from({ length: n }, (_, i) => elem.read(view, off + elem.size * i, {})),
  };
}

// ---------------------------------------------------------------------------------------------
// Structs

/** The fields of a struct, in C order. */
export type Fields = Readonly<Record<string, AnyField>>;

/** A value that can go in the `pNext` chain of a struct named `Target`. */
export interface Link<Target extends string> {
  /** The definition of the chained struct. */
  readonly def: AnyStruct;
  /** Its value. */
  readonly value: Readonly<Record<string, unknown>>;
  /** Type-level only: which structs this one may extend (checked contravariantly). */
  readonly extendsTarget?: (target: Target) => void;
}

/** The `sType` field: filled from the struct's definition, never given. */
export interface STypeField extends FieldType<never, never> {
  readonly role: "sType";
}
/** The `pNext` field: a typed chain of links. */
export interface PNextField extends FieldType<never, never> {
  readonly role: "pNext";
}

/** The JS object an encoder takes for a struct: every field optional (zero when omitted). */
export type Input<S> = S extends StructDef<infer N, infer F, string> ? {
    -readonly [K in keyof F as F[K] extends STypeField ? never : K]?: F[K] extends PNextField
      ? readonly Link<N>[]
      : F[K] extends FieldType<infer I, unknown> ? I
      : never;
  }
  : never;

/** The JS object a decoder returns for a struct (without `sType` and `pNext`). */
export type Output<S> = S extends StructDef<string, infer F, string> ? {
    -readonly [K in keyof F as F[K] extends STypeField | PNextField ? never : K]: F[K] extends
      FieldType<unknown, infer O> ? O : never;
  }
  : never;

/** A struct: its name, fields, layout, `sType` value and the structs it can extend. */
export interface StructDef<N extends string, F extends Fields, E extends string> {
  /** The C name. */
  readonly name: N;
  /** The fields, in C order. */
  readonly fields: F;
  /** Field offsets, by name. */
  readonly offsets: { readonly [K in keyof F]: number };
  /** `sizeof`. */
  readonly size: number;
  /** `_Alignof`. */
  readonly align: number;
  /** The `VkStructureType` value, when the struct has an `sType`. */
  readonly sType: number | undefined;
  /** The structs whose `pNext` chain may hold this one (vk.xml's `structextends`). */
  readonly extends: readonly E[];
}

// deno-lint-ignore no-explicit-any
export type AnyStruct = StructDef<string, any, string>;

/**
 * Declares a struct from its C fields, in order, and computes its layout by the C ABI.
 *
 * @example
 * ```ts
 * const VkExtent3D = defineStruct("VkExtent3D", { width: u32(), height: u32(), depth: u32() });
 * ```
 */
export function defineStruct<N extends string, F extends Fields, E extends string = never>(
  name: N,
  fields: F,
  options: { sType?: number; extends?: readonly E[] } = {},
): StructDef<N, F, E> {
  const offsets: Record<string, number> = {};
  let off = 0;
  let align = 1;
  for (const [k, f] of Object.entries(fields)) {
    off = alignUp(off, f.align);
    offsets[k] = off;
    off += f.size;
    align = Math.max(align, f.align);
  }
  if ("sType" in fields && options.sType === undefined) {
    throw new Error(`${name}: a struct with sType needs its VkStructureType value`);
  }
  return {
    name,
    fields,
    offsets: offsets as StructDef<N, F, E>["offsets"],
    size: alignUp(off, align),
    align,
    sType: options.sType,
    extends: options.extends ?? [],
  };
}

/** `VkStructureType sType`: filled by the encoder from the struct's definition. */
export function sType(): STypeField {
  return {
    c: "VkStructureType",
    size: 4,
    align: 4,
    role: "sType",
    write() {},
    read: () => undefined as never,
  };
}

/** `const void* pNext` (or `void*` in output structs): a typed extension chain. */
export function pNext(c = "const void*"): PNextField {
  return {
    c,
    size: 8,
    align: 8,
    role: "pNext",
    write() {},
    read: () => undefined as never,
  };
}

/** An embedded struct. */
export function struct<S extends AnyStruct>(
  def: S,
  c: string = def.name,
): StructField<S> {
  return {
    c,
    size: def.size,
    align: def.align,
    write(arena, view, off, v, where) {
      writeStruct(def, arena, view, off, v ?? {}, where);
    },
    read: (view, off) => readStruct(def, view, off) as Output<S>,
  };
}

/**
 * `const T*` pointing at `len` structs (or at one struct when `len` is omitted): an array of
 * inputs (or one input, or null). Read back as an array.
 */
export function structPtr<S extends AnyStruct>(
  def: S,
  len?: string,
  c = `const ${def.name}*`,
): StructPtrField<S> {
  const list = (v: readonly Input<S>[] | Input<S> | null) =>
    v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
  return {
    c,
    size: 8,
    align: 8,
    len,
    lengthOf: (v) => list(v).length,
    write(arena, view, off, v, where) {
      const items = list(v);
      if (items.length === 0) return view.setBigUint64(off, 0n, true);
      view.setBigUint64(off, encodeArray(def, items, arena, where).address, true);
    },
    read(view, off, ctx) {
      const p = readPtr(view, off);
      const n = len === undefined ? 1 : ctx[len] as number;
      if (p === null || !n) return [];
      const dv = new DataView(rt.view(p, def.size * n));
      return Array.from({ length: n }, (_, i) => readStruct(def, dv, def.size * i) as Output<S>);
    },
  };
}

/**
 * A link for a `pNext` chain. The type system only accepts it in the chain of a struct it
 * extends; the encoder checks the same at run time.
 */
export function link<N extends string, F extends Fields, E extends string>(
  def: StructDef<N, F, E>,
  value: Omit<Input<StructDef<N, F, E>>, "pNext"> = {} as Omit<Input<StructDef<N, F, E>>, "pNext">,
): Link<E> {
  return { def, value: value as Record<string, unknown> };
}

/** One field of a struct, as the encoder and decoder walk it: everything that does not change. */
interface FieldStep {
  readonly key: string;
  readonly offset: number;
  readonly field: FieldType<unknown, unknown>;
  /** `VkStruct.field`, for messages. */
  readonly where: string;
  /** For a count field: the array fields whose length it is. */
  readonly arrays: readonly FieldStep[];
}

/** A struct type's fields, in order, with what a call needs of each, worked out once. */
interface StructPlan {
  readonly steps: readonly FieldStep[];
  /** The fields a value may give (all but `sType`). */
  readonly accepts: ReadonlySet<string>;
}

// The plans of the struct types encoded or decoded so far: a struct type's layout never changes,
// so each is worked out on its first use and kept for the process's life.
const plans = new WeakMap<AnyStruct, StructPlan>();

function structPlanOf(def: AnyStruct): StructPlan {
  let plan = plans.get(def);
  if (plan) return plan;
  const fields = def.fields as Fields;
  const steps: FieldStep[] = Object.entries(fields).map(([key, field]) => ({
    key,
    offset: def.offsets[key],
    field,
    where: `${def.name}.${key}`,
    arrays: [],
  }));
  for (const st of steps) {
    if (st.field.role !== "count") continue;
    (st.arrays as FieldStep[]).push(...steps.filter((x) => x.field.len === st.key));
  }
  plan = {
    steps,
    accepts: new Set(steps.filter((x) => x.field.role !== "sType").map((x) => x.key)),
  };
  plans.set(def, plan);
  return plan;
}

function writeStruct(
  def: AnyStruct,
  arena: Arena,
  view: DataView,
  base: number,
  value: Record<string, unknown>,
  where: string,
): void {
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `${where}: expected an object for ${def.name}, got ${describeValue(value)}`,
    );
  }
  const plan = structPlanOf(def);
  for (const k in value) {
    if (Object.hasOwn(value, k) && !plan.accepts.has(k)) {
      throw new TypeError(`${where}: ${def.name} has no field ${JSON.stringify(k)}`);
    }
  }
  for (const st of plan.steps) {
    const off = base + st.offset;
    const role = st.field.role;
    if (role === "sType") {
      view.setInt32(off, def.sType!, true);
      continue;
    }
    if (role === "pNext") {
      const chain = value[st.key] as readonly Link<string>[] | undefined;
      view.setBigUint64(off, chain?.length ? encodeChain(def, chain, arena, st.where) : 0n, true);
      continue;
    }
    let v = value[st.key];
    if (role === "count") v = countFor(def, st, value, v);
    if (v === undefined) continue; // zero-filled
    st.field.write(arena, view, off, v, st.where);
  }
}

function countFor(
  def: AnyStruct,
  count: FieldStep,
  value: Record<string, unknown>,
  given: unknown,
): unknown {
  for (const a of count.arrays) {
    const v = value[a.key];
    if (v === undefined || v === null) continue;
    const n = a.field.lengthOf!(v);
    if (given === undefined) given = n;
    else if (given !== n) {
      throw new RangeError(
        `${count.where}: is ${describeValue(given)} but ${def.name}.${a.key} has ${n} elements`,
      );
    }
  }
  return given;
}

/** Encodes a pNext chain; returns the address of its first link. */
function encodeChain(
  target: AnyStruct,
  chain: readonly Link<string>[],
  arena: Arena,
  where: string,
): bigint {
  const seen = new Set<string>();
  const slots: Slot[] = [];
  for (const l of chain) {
    if (!l || typeof l !== "object" || !l.def) {
      throw new TypeError(`${where}: a pNext link must come from link(def, value)`);
    }
    if (!l.def.extends.includes(target.name)) {
      throw new TypeError(`${where}: ${l.def.name} cannot extend ${target.name}`);
    }
    if (seen.has(l.def.name)) throw new TypeError(`${where}: ${l.def.name} appears twice`);
    seen.add(l.def.name);
    const s = arena.alloc(l.def.size, l.def.align);
    if ("pNext" in (l.value ?? {})) {
      throw new TypeError(`${where}: give the whole chain to ${target.name}, not to a link`);
    }
    writeStruct(l.def, arena, s.view, s.offset, l.value ?? {}, l.def.name);
    slots.push(s);
  }
  for (let i = 0; i < slots.length - 1; i++) {
    const s = slots[i];
    s.view.setBigUint64(s.offset + chain[i].def.offsets.pNext, slots[i + 1].address, true);
  }
  return slots[0].address;
}

/** Reads a struct at `off` of `view` (pointer fields are followed through the runtime). */
export function readStruct<S extends AnyStruct>(def: S, view: DataView, off: number): Output<S> {
  const out: Record<string, unknown> = {};
  for (const st of structPlanOf(def).steps) {
    const role = st.field.role;
    if (role === "sType" || role === "pNext") continue;
    out[st.key] = st.field.read(view, off + st.offset, out);
  }
  return out as Output<S>;
}

/** Reads a struct from native memory at `pointer`. */
export function readStructAt<S extends AnyStruct>(def: S, pointer: Pointer): Output<S> {
  return readStruct(def, new DataView(rt.view(pointer, def.size)), 0);
}

/** A struct written into an arena, with its pNext chain, ready to be passed to C and read back. */
export interface Encoded<S extends AnyStruct> {
  /** The struct's bytes (a view into the arena): pass as a `buffer` argument. */
  readonly bytes: Uint8Array;
  /** The struct's address. */
  readonly address: bigint;
  /** Reads the struct back (after C has filled it). */
  decode(): Output<S>;
  /** Reads back the chained struct of type `def`, which must be in the chain. */
  chained<L extends AnyStruct>(def: L): Output<L>;
}

/** Writes `value` as a `def` into `arena`. */
export function encode<S extends AnyStruct>(def: S, value: Input<S>, arena: Arena): Encoded<S> {
  const slot = encodeArray(def, [value], arena, def.name);
  return {
    bytes: slot.bytes.subarray(slot.offset, slot.offset + def.size),
    address: slot.address,
    decode: () => readStruct(def, slot.view, slot.offset),
    chained<L extends AnyStruct>(l: L): Output<L> {
      // Walk the chain as C sees it: each link's pNext is an address inside the arena.
      let cur = slot.view.getBigUint64(slot.offset + def.offsets.pNext, true);
      while (cur !== 0n) {
        const dv = new DataView(rt.view(rt.pointer(cur), 16));
        if (dv.getInt32(0, true) === l.sType) return readStructAt(l, rt.pointer(cur));
        cur = dv.getBigUint64(8, true);
      }
      throw new Error(`${l.name} is not in the pNext chain of ${def.name}`);
    },
  };
}

/**
 * Encodes `value` into bytes of its own, to be kept and passed to C on many calls: for a struct
 * whose fields point at no other memory (no pNext chain, strings or arrays), such as an info
 * struct of handles and flags. Throws a TypeError for a value that needs more memory.
 */
export function encodeFlat<S extends AnyStruct>(def: S, value: Input<S>): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(def.size));
  const arena = new Arena();
  try {
    writeStruct(
      def,
      arena,
      new DataView(bytes.buffer),
      0,
      value as Record<string, unknown>,
      def.name,
    );
    if (arena.used) {
      throw new TypeError(`${def.name}: encodeFlat takes no value that points at memory`);
    }
  } finally {
    arena[Symbol.dispose]();
  }
  return bytes;
}

/**
 * @ignore @internal The fast paths' switch. Each fast path (an encoding or a struct kept and
 * rewritten, a plan or a capability answer remembered) stands beside a plain path that makes the
 * same from scratch on every call; tests/fast_paths_test.ts turns them off to run both on the
 * same inputs and compare what comes out.
 */
export const fastPaths = { enabled: true };

// Encodings kept per owner (a device) by a key of what they encode, each with the arena its
// structs live in: a few dozen at most per owner, kept as long as the owner object.
const keptEncodings = new WeakMap<object, Map<string, { value: unknown; arena: Arena }>>();
const ENCODINGS_KEPT = 32;

/**
 * What `make` encodes for `key` (structs in the arena it is given, and whatever it returns with
 * them), made the first time for `owner` and kept while `owner` lives, so that a call made again
 * with the same options encodes nothing. At most 32 keys per owner, the oldest dropped first; a
 * throw from `make` is not kept.
 *
 * @example
 * ```ts
 * const info = keptEncoding(device, `fence ${flags}`, (arena) =>
 *   encode(VkFenceCreateInfo, { flags }, arena).bytes);
 * ```
 */
export function keptEncoding<K>(owner: object, key: string, make: (arena: Arena) => K): K {
  let m = keptEncodings.get(owner);
  if (!m) keptEncodings.set(owner, m = new Map());
  let kept = fastPaths.enabled ? m.get(key) : undefined;
  if (!kept) {
    const arena = new Arena();
    try {
      kept = { value: make(arena), arena };
    } catch (e) {
      arena[Symbol.dispose]();
      throw e;
    }
    m.delete(key);
    if (m.size >= ENCODINGS_KEPT) m.delete(m.keys().next().value!);
    m.set(key, kept);
  }
  return kept.value as K;
}

/**
 * @ignore @internal The keys of {@linkcode keptEncoding} for options made of two names (or
 * undefined): `${prefix} ${a} ${b}` for every `a` of `as` and `b` of `bs`, each string made once.
 * A key made on every call (a template string) costs more to build and hash than the lookup it
 * serves (100-400 ns a call measured on Deno, Bun and Node); these are found in two Map lookups.
 * A name not in the lists has no key (undefined): encode that call from scratch.
 *
 * @example
 * ```ts
 * const key = keysOf("fence", ["OPAQUE_FD"], ["true", "false"]);
 * key("OPAQUE_FD", "false"); // "fence OPAQUE_FD false", the same string on every call
 * ```
 */
export function keysOf(
  prefix: string,
  as: readonly string[],
  bs: readonly string[],
): (a: string | undefined, b: string | undefined) => string | undefined {
  const table = new Map<string | undefined, Map<string | undefined, string>>();
  for (const a of [undefined, ...as]) {
    const row = new Map<string | undefined, string>();
    for (const b of [undefined, ...bs]) row.set(b, `${prefix} ${a} ${b}`);
    table.set(a, row);
  }
  return (a, b) => table.get(a)?.get(b);
}

/**
 * A struct encoded once into memory of its own and kept, for a call made many times with a few
 * values changed (a host signal's value, a wait's value): {@linkcode KeptStruct.setU64} rewrites
 * a 64-bit field of the struct, {@linkcode KeptStruct.setI32} a 32-bit one (an fd),
 * {@linkcode KeptStruct.setU64Element} one element of a 64-bit array it points at. Its memory
 * lives as long as the object.
 *
 * @example
 * ```ts
 * const info = new KeptStruct(VkSemaphoreSignalInfo, { semaphore: handle, value: 0n });
 * info.setU64("value", 5n); // then pass info.bytes
 * ```
 */
export class KeptStruct<S extends AnyStruct> {
  /** The struct's bytes: pass as a `buffer` argument. */
  readonly bytes: Uint8Array;
  /** The struct's address (to chain it from another struct's pNext). */
  readonly address: bigint;
  readonly #def: S;
  readonly #view: DataView;
  readonly #arena = new Arena(); // never disposed: the struct and its arrays live in it
  readonly #elements = new Map<string, DataView[]>(); // the views made, by field and index
  readonly #lengths = new Map<string, number>(); // the arrays given, by field

  constructor(def: S, value: Input<S>) {
    this.#def = def;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (Array.isArray(v)) this.#lengths.set(k, v.length);
    }
    const encoded = encode(def, value, this.#arena);
    this.bytes = encoded.bytes;
    this.address = encoded.address;
    this.#view = new DataView(this.bytes.buffer, this.bytes.byteOffset, def.size);
  }

  /** Sets 32-bit signed field `field` (an fd) to `v`. */
  setI32(field: string & keyof S["offsets"], v: number): void {
    this.#view.setInt32(this.#def.offsets[field], v, true);
  }

  /** Sets 32-bit unsigned field `field` (a count, a mask, an index) to `v`. */
  setU32(field: string & keyof S["offsets"], v: number): void {
    this.#view.setUint32(this.#def.offsets[field], v, true);
  }

  /** Sets 64-bit field `field` (an integer or a handle) to `v`. */
  setU64(field: string & keyof S["offsets"], v: bigint): void {
    this.#view.setBigUint64(this.#def.offsets[field], v, true);
  }

  /** Sets element `index` of the 64-bit array that field `field` points at to `v`. */
  setU64Element(field: string & keyof S["offsets"], index: number, v: bigint): void {
    this.#element(field, index, 8).setBigUint64(0, v, true);
  }

  /** Sets element `index` of the 32-bit array that field `field` points at to `v` (a mask). */
  setU32Element(field: string & keyof S["offsets"], index: number, v: number): void {
    this.#element(field, index, 4).setUint32(0, v, true);
  }

  /** A view of element `index` (of `bytes` bytes) of the array that field `field` points at. */
  #element(field: string & keyof S["offsets"], index: number, bytes: 4 | 8): DataView {
    // By field, then index: no key string built per call (this is on every wait and submit).
    let views = this.#elements.get(field);
    if (!views) this.#elements.set(field, views = []);
    let dv = views[index];
    if (!dv) {
      const n = this.#lengths.get(field) ?? 0;
      if (!Number.isInteger(index) || index < 0 || index >= n) {
        throw new RangeError(
          `${this.#def.name}.${field}: element ${index} of an array of ${n} given at encoding`,
        );
      }
      const at = this.#view.getBigUint64(this.#def.offsets[field], true) + BigInt(bytes * index);
      dv = new DataView(rt.view(rt.pointer(at), bytes));
      views[index] = dv;
    }
    return dv;
  }
}

/** Writes an array of `def` into `arena` (contiguous, as C arrays are). */
export function encodeArray<S extends AnyStruct>(
  def: S,
  values: readonly Input<S>[],
  arena: Arena,
  where: string = def.name,
): Slot {
  const slot = arena.alloc(def.size * Math.max(1, values.length), def.align);
  values.forEach((v, i) => {
    writeStruct(
      def,
      arena,
      slot.view,
      slot.offset + def.size * i,
      v as Record<string, unknown>,
      values.length > 1 ? `${where}[${i}]` : where,
    );
  });
  return slot;
}

/** Reads `n` structs from a slot written by {@linkcode encodeArray}. */
export function decodeArray<S extends AnyStruct>(def: S, slot: Slot, n: number): Output<S>[] {
  return Array.from(
    { length: n },
    (_, i) => readStruct(def, slot.view, slot.offset + def.size * i),
  );
}
