/**
 * The base of every error vkshare throws, at the lowest layer so that the FFI layer's own failure
 * (a library that will not load) shares it: `code` names the failure for programs, and stays the
 * same across versions (a VkResult or CUresult name, a sharing rule, an errno name, or one of
 * vkshare's own: `LIBRARY_LOAD`, `MISSING_EXTENSION`, `DISPOSED`, `PROTOCOL_*`).
 *
 * @module
 */

/**
 * An error of vkshare's, with a stable `code`.
 *
 * @example
 * ```ts
 * try {
 *   // any vkshare call
 * } catch (e) {
 *   if (e instanceof VkshareError) console.log(e.code); // e.g. "FD_CONSUMED", "EBADF"
 * }
 * ```
 *
 * @category Errors
 */
export class VkshareError extends Error {
  /** What failed, for programs: stable across versions. */
  readonly code: string;

  /** Makes the error with `code` and `message`; its name is the subclass's. */
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
