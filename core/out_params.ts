// Small helpers shared by the typed API: out-parameters, the two-call enumeration idiom, and
// text forms of UUIDs.
import { Arena, decodeArray } from "../ffi/layout.ts";
import type { AnyStruct, Output } from "../ffi/layout.ts";
import type { Pointer } from "../ffi/types.ts";
import type { ExtensionTable } from "../ffi/vk_commands.ts";
import { type ExtensionFunctions, loadExtension, MissingCommands } from "../ffi/vulkan.ts";
import { check, MissingExtensionError } from "./errors.ts";

/** Checks a size argument: a positive integer number of bytes. */
export function positiveSize(v: unknown, what: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === "bigint" && v > 0n && v <= 0xffff_ffff_ffff_ffffn) return v;
  throw new RangeError(`${what}: expected a positive integer number of bytes, got ${String(v)}`);
}

/** An out-parameter for one 64-bit value (a handle), in memory that never moves. */
export function out64(): BigUint64Array {
  return new BigUint64Array(new ArrayBuffer(8));
}

/** An out-parameter for one 32-bit value. */
export function out32(): Uint32Array {
  return new Uint32Array(new ArrayBuffer(4));
}

/** An out-parameter for one C `int`. */
export function outInt(): Int32Array {
  return new Int32Array(new ArrayBuffer(4));
}

const VK_INCOMPLETE = 5;

/**
 * The two-call idiom: asks for the count, then fills an array of `def`, again while the driver
 * answers VK_INCOMPLETE.
 */
export function enumerate<S extends AnyStruct>(
  def: S,
  command: string,
  call: (count: Uint32Array, out: Uint8Array | null) => number | void,
  details?: Record<string, unknown>,
): Output<S>[] {
  for (;;) {
    const n = out32();
    const r0 = call(n, null);
    if (typeof r0 === "number") check(r0, command, details);
    if (n[0] === 0) return [];
    using arena = new Arena();
    const slot = arena.alloc(def.size * n[0], def.align);
    const r = call(n, slot.bytes.subarray(slot.offset, slot.offset + slot.size));
    if (typeof r === "number") {
      if (check(r, command, details) === VK_INCOMPLETE) continue;
    }
    return decodeArray(def, slot, n[0]);
  }
}

/** The 16 bytes of a UUID as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function uuidString(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Bytes as lowercase hex. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Loads an enabled extension's commands through `handle`; throws a MissingExtensionError naming
 * `owner` when the driver does not give them all.
 */
export function loadEnabledExtension<T extends ExtensionTable>(
  table: T,
  handle: Pointer,
  owner: string,
): ExtensionFunctions<T> {
  const f = loadExtension(table, handle);
  if (f instanceof MissingCommands) {
    throw new MissingExtensionError(
      table.name,
      owner,
      "offered",
      `the driver gives no ${f.names.join(", ")}`,
    );
  }
  return f;
}
