/**
 * Opening native libraries from a list of candidate paths, with an error that names every path
 * tried and what to install. Used for libvulkan now, and for libc and libcuda.
 *
 * @module
 */
import { VkshareError } from "./error.ts";
import { rt } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

/**
 * A native library could not be opened from any candidate path (`code`: `LIBRARY_LOAD`).
 *
 * @example
 * ```ts
 * try {
 *   Instance.create();
 * } catch (e) {
 *   if (e instanceof LibraryLoadError) console.error(e.message); // every path tried, and what to install
 * }
 * ```
 *
 * @category Errors
 */
export class LibraryLoadError extends VkshareError {
  /** The library's short name (`libvulkan`). */
  readonly library: string;
  /** Each path tried, with why it failed. */
  readonly tried: readonly { path: string; error: string }[];
  /** What to install to get it. */
  readonly install: string;

  /** Lists every path `tried` and what to `install`. */
  constructor(library: string, tried: { path: string; error: string }[], install: string) {
    super(
      "LIBRARY_LOAD",
      `could not load ${library}; tried:\n${
        tried.map((t) => `  ${t.path}: ${t.error}`).join("\n")
      }\n${install}`,
    );
    this.library = library;
    this.tried = tried;
    this.install = install;
  }
}

/**
 * Opens the first of `paths` that loads. When `envVar` is set in the environment, its value is
 * the only path tried (an empty `envVar` reads no variable).
 *
 * @category Errors
 */
export function openFirst<S extends SymbolTable>(
  library: string,
  envVar: string,
  paths: readonly string[],
  symbols: S,
  install: string,
): Library<S> {
  const override = envVar ? rt.env(envVar) : undefined;
  const candidates = override ? [override] : paths;
  const tried: { path: string; error: string }[] = [];
  for (const path of candidates) {
    try {
      return rt.open(path, symbols);
    } catch (e) {
      tried.push({
        path: override ? `${path} (from ${envVar})` : path,
        error: (e as Error).message.split("\n")[0],
      });
    }
  }
  throw new LibraryLoadError(library, tried, install);
}
