/**
 * The end of a view of native memory that vkshare hands a script (a mapping, a host allocation):
 * detached before the memory goes, so that no JavaScript reads it after.
 *
 * @module
 */

/**
 * Detaches `buffer`, a non-empty view of native memory about to be unmapped, and returns true;
 * false when the script detached it first (a `transfer()`, a `postMessage` to a Worker with the
 * buffer in its transfer list): another ArrayBuffer may then hold the same memory, which must
 * stay readable.
 */
export function detachView(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength === 0) return false; // detached: a view vkshare makes is never empty
  buffer.transfer(0);
  return true;
}
