/**
 * Deno's half of the trampoline (`trampoline.ts`): the image opened with `Deno.dlopen`, its one
 * symbol bound once per signature, and a function of its own per function pointer that passes
 * the pointer first. A call is a `Deno.dlopen` symbol's fast call.
 *
 * @module
 */
import { buffersAsPointers, takingAddresses } from "./deno_buffers.ts";
import {
  MEMFD_CALLS,
  openTrampoline,
  platformRefusal,
  pointerFirst,
  signatureKey,
  TRAMPOLINE_SONAME,
  TRAMPOLINE_SYMBOL,
  trampolineRefusal,
} from "./trampoline.ts";
import type { ForeignFunction, NativeType, Pointer } from "./types.ts";
import * as vkCommands from "./vk_commands.ts";

type Bound = (...a: unknown[]) => unknown;

// The trampoline's symbol, bound once per signature (the pointer, then the parameters).
const bound = new Map<string, Bound>();

/**
 * The signatures of vkshare's Vulkan extension tables that the trampoline takes: bound together
 * when it opens (about 3 ms on our machines, 0.3 ms each), so that creating a device binds
 * nothing (and loads no library inside a caller's test).
 */
function knownSignatures(): Map<string, Deno.ForeignFunction> {
  const out = new Map<string, Deno.ForeignFunction>();
  for (const table of Object.values(vkCommands)) {
    if (typeof table !== "object" || !("commands" in table)) continue;
    for (const def of Object.values(table.commands as Record<string, ForeignFunction>)) {
      const params = def.parameters as readonly NativeType[];
      if (trampolineRefusal(params) !== null) continue;
      out.set(
        signatureKey(params, def.result as NativeType),
        binding(params, def.result as NativeType),
      );
    }
  }
  return out;
}

/** The trampoline's symbol as a Deno definition for one signature. */
function binding(params: readonly NativeType[], result: NativeType): Deno.ForeignFunction {
  return {
    name: TRAMPOLINE_SYMBOL,
    parameters: ["pointer", ...params],
    result,
  } as unknown as Deno.ForeignFunction;
}

/**
 * Opens the image (by its memfd) with the known signatures bound, once. The library stays open
 * for the life of the process: while it is, later bindings find the image by its soname. Null
 * where it opened, else why not.
 */
let refused: string | null | undefined;
function openFirst(): string | null {
  if (refused !== undefined) return refused;
  refused = platformRefusal(Deno.build.os, Deno.build.arch);
  if (refused !== null) return refused;
  let libc: Deno.DynamicLibrary<Deno.ForeignLibraryInterface> | undefined;
  try {
    libc = Deno.dlopen("libc.so.6", MEMFD_CALLS as unknown as Deno.ForeignLibraryInterface);
    const calls = libc.symbols as unknown as Parameters<typeof openTrampoline>[0];
    const known = knownSignatures();
    const lib = openTrampoline(calls, (path) => Deno.dlopen(path, Object.fromEntries(known)));
    if ("refused" in lib) return refused = lib.refused;
    const symbols = lib.library.symbols as unknown as Record<string, Bound>;
    for (const key of known.keys()) bound.set(key, symbols[key]);
    return refused = null;
  } catch (e) {
    return refused = `libc's memfd_create did not open: ${(e as Error).message}`;
  } finally {
    libc?.close();
  }
}

/** Why the trampoline does not open here, or null where it does (x86-64 Linux, a memfd). */
export function trampolineRefused(): string | null {
  return openFirst();
}

/**
 * The trampoline bound to a signature: a known one, or one bound now (about 0.3 ms); null where
 * Deno refuses to open the image by its soname (libffi calls the function instead).
 */
function symbolFor(params: readonly NativeType[], result: NativeType): Bound | null {
  const key = signatureKey(params, result);
  let s = bound.get(key);
  if (s === undefined) {
    try {
      const lib = Deno.dlopen(TRAMPOLINE_SONAME, { call: binding(params, result) });
      s = lib.symbols.call as unknown as Bound;
    } catch {
      return null;
    }
    bound.set(key, s);
  }
  return s;
}

/**
 * A JS function that calls `pointer` as `definition` says, through the trampoline; null where
 * it does not open here, cannot take the signature (`trampolineRefusal`) or cannot bind it. An
 * address for a `buffer` parameter goes through a binding with `pointer` (`deno_buffers.ts`).
 */
export function trampolineFunction(
  pointer: Pointer,
  definition: ForeignFunction,
): ((...args: unknown[]) => unknown) | null {
  const params = definition.parameters as readonly NativeType[];
  const result = definition.result as NativeType;
  if (trampolineRefusal(params) !== null || openFirst() !== null) return null;
  const sym = symbolFor(params, result);
  if (sym === null) return null;
  return takingAddresses(params, pointerFirst(sym, pointer, params.length), () => {
    const bySym = symbolFor(buffersAsPointers(params), result);
    if (bySym === null) throw new Error(`vkshare: the trampoline could not bind ${params}`);
    return pointerFirst(bySym, pointer, params.length);
  });
}
