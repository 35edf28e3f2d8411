/**
 * Picks the FFI backend for the runtime the script runs on. The rest of vkshare imports `rt`
 * from here and never a backend directly.
 *
 * @module
 */
import type { Runtime } from "./types.ts";

async function load(): Promise<Runtime> {
  // Bun first: it may define a `Deno` shim one day; Deno never defines `Bun`.
  if ("Bun" in globalThis) return (await import("./bun.ts")).runtime;
  if ("Deno" in globalThis) return (await import("./deno.ts")).runtime;
  const versions = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions;
  if (versions?.node) return (await import("./node.ts")).runtime;
  throw new Error(
    "vkshare: unsupported runtime: it runs on Deno 2, Bun 1.4 (bun:ffi) and Node 26.1 (node:ffi)",
  );
}

/** The active runtime backend. */
export const rt: Runtime = await load();
