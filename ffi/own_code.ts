/**
 * Functions made from source of their own (`new Function`), for the wrappers that every foreign
 * function gets (`libffi_code.ts`, `convert.ts`).
 *
 * V8 keeps call and type feedback per place a closure is made, not per closure, and JavaScriptCore
 * per function body: wrappers made by shared closures see every function's arguments, converters
 * and callees at the same call sites, which go megamorphic once a few functions are in use. A
 * wrapper compiled from its own source keeps its call sites to itself. The sources are written
 * from fixed pieces only; a number in each keeps them unique (V8 would give equal sources one
 * feedback cell).
 *
 * @module
 */

let made = 0;
let refused = false;

/**
 * `new Function(param, body)`, its source unique; null where code cannot be made from strings
 * (an EvalError: `--disallow-code-generation-from-strings`, or a test's `refuseOwnCode`). The
 * callers fall back to their shared closures.
 */
export function compileOwn(param: string, body: string): ((arg: unknown) => unknown) | null {
  if (refused) return null;
  try {
    return new Function(param, `"use strict"; // own code ${++made}\n${body}`) as (
      arg: unknown,
    ) => unknown;
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    refused = true;
    return null;
  }
}

/** @ignore @internal For tests: refuse code from strings from now on (`false` undoes it). */
export function refuseOwnCode(refuse: boolean): void {
  refused = refuse;
}
