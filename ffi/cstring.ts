/**
 * C strings for FFI calls: what a `const char*` argument is given.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `s`, to pass as a `const char*` buffer argument. */
export function cString(s: string): Uint8Array {
  const b = new Uint8Array(new ArrayBuffer(s.length * 3 + 1));
  const { written } = encoder.encodeInto(s, b);
  return b.subarray(0, written + 1);
}
