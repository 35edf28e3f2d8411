/**
 * Deno's `buffer` parameters, as the other paths take them: Deno's `buffer` type takes a typed
 * array or null, where vkshare's libffi path (and Bun's, and Node's) also takes an address (a
 * bigint). A function pointer called through the trampoline or `Deno.UnsafeFnPointer` gets a
 * second binding with `pointer` for `buffer`, made with its first call that gives an address.
 *
 * @module
 */
import { compileOwn } from "./own_code.ts";
import type { NativeType } from "./types.ts";

type Call = (...a: unknown[]) => unknown;

/** A `buffer` argument as a `pointer` one: an address, a view, or null. */
function asPointer(a: unknown): unknown {
  if (typeof a === "bigint") return Deno.UnsafePointer.create(a);
  if (a === null || a === undefined) return null;
  return Deno.UnsafePointer.of(a as BufferSource);
}

/** `params` with `pointer` for each `buffer`: the signature of the second binding. */
export function buffersAsPointers(params: readonly NativeType[]): NativeType[] {
  return params.map((t) => t === "buffer" ? "pointer" : t);
}

/**
 * `call`, which also takes an address (a bigint) for a `buffer` parameter: such a call goes
 * through `byPointer()` (the same function with {@linkcode buffersAsPointers}' signature, made
 * once), every buffer argument made a pointer (about 1 µs: rare). `call` itself where no
 * parameter is a buffer. Code of its own where it can be made (`own_code.ts` says why).
 */
export function takingAddresses(
  params: readonly NativeType[],
  call: Call,
  byPointer: () => Call,
): Call {
  const buffers = params.flatMap((t, i) => t === "buffer" ? [i] : []);
  if (buffers.length === 0) return call;
  let slow: Call | undefined;
  const other = (...args: unknown[]) =>
    (slow ??= byPointer())(...args.map((a, i) => buffers.includes(i) ? asPointer(a) : a));
  const names = params.map((_, i) => `a${i}`), args = names.join(", ");
  const addressed = buffers.map((i) => `typeof a${i} === "bigint"`).join(" || ");
  const make = compileOwn(
    "p",
    `const { call, other } = p;\nreturn (${args}) => ${addressed} ? other(${args}) : call(${args});`,
  );
  if (make) return make({ call, other }) as Call;
  return (...a) => buffers.some((i) => typeof a[i] === "bigint") ? other(...a) : call(...a);
}
