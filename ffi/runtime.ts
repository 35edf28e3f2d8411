/**
 * Picks the FFI backend for the runtime the script runs on. The rest of vkshare imports `rt`
 * from here and never a backend directly.
 *
 * @module
 */
import type { Runtime } from "./types.ts";

async function load(): Promise<Runtime> {
  if ("Deno" in globalThis) return (await import("./deno.ts")).runtime;
  throw new Error(
    "vkshare: unsupported runtime: the Deno backend needs Deno 2 (a Bun backend is planned)",
  );
}

/** The active runtime backend. */
export const rt: Runtime = await load();
