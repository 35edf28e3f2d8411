// A local stand-in for JSR's @std/assert (unreachable from our machines), with the same names and
// signatures for the parts we use, built on node:assert/strict. deno.json maps "@std/assert" here;
// switching back to JSR is one line there.
// @ts-types="../cli/_node/assert.d.ts"
import nodeAssert from "node:assert/strict";

// Node 26's node:assert refuses an explicit undefined message when the assertion fails (it
// throws ERR_INVALID_ARG_TYPE instead of the AssertionError): pass one only where there is one.
const said = (msg?: string): [] | [string] => msg === undefined ? [] : [msg];

/** Thrown when an assertion fails. */
export const AssertionError = nodeAssert.AssertionError;

/** Asserts that `expr` is truthy. */
export function assert(expr: unknown, msg?: string): asserts expr {
  nodeAssert.ok(expr, ...said(msg));
}

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, ...said(msg));
}

/** Asserts deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, ...said(msg));
}

/** Asserts `Object.is` equality. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  nodeAssert.strictEqual(actual, expected, ...said(msg));
}

/** Asserts that `actual` is neither null nor undefined. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === null || actual === undefined) {
    throw new AssertionError({ message: msg ?? `expected a value, got ${actual}` });
  }
}

/** Asserts that `actual` is an instance of `type`. */
export function assertInstanceOf<T extends abstract new(...args: never[]) => unknown>(
  actual: unknown,
  type: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  if (!(actual instanceof type)) {
    throw new AssertionError({
      message: msg ?? `expected an instance of ${type.name}, got ${String(actual)}`,
    });
  }
}

/** Asserts that `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  nodeAssert.match(actual, expected, ...said(msg));
}

/** Asserts that `actual` includes `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError({
      message: msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    });
  }
}

/** Asserts that `actual` includes every element of `expected`. */
export function assertArrayIncludes<T>(actual: ArrayLike<T>, expected: ArrayLike<T>, msg?: string) {
  const a = Array.from(actual);
  for (const e of Array.from(expected)) {
    if (!a.some((x) => isDeepEqual(x, e))) {
      throw new AssertionError({ message: msg ?? `expected ${String(a)} to include ${String(e)}` });
    }
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    nodeAssert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Asserts `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) {
    throw new AssertionError({ message: msg ?? `expected ${actual} > ${expected}` });
  }
}

/** Asserts `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) {
    throw new AssertionError({ message: msg ?? `expected ${actual} >= ${expected}` });
  }
}

/** Asserts `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) {
    throw new AssertionError({ message: msg ?? `expected ${actual} < ${expected}` });
  }
}

/** Fails. */
export function fail(msg?: string): never {
  throw new AssertionError({ message: msg ?? "failed" });
}

/**
 * Asserts that `fn` throws an error of class `ErrorClass` (if given) whose message includes
 * `msgIncludes` (if given), and returns it.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new(...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): E {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  return checkError(error, ErrorClass, msgIncludes, msg);
}

/** Like {@linkcode assertThrows}, for an async function. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new(...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  return checkError(error, ErrorClass, msgIncludes, msg);
}

function checkError<E extends Error>(
  error: unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: (abstract new(...args: any[]) => E) | undefined,
  msgIncludes: string | undefined,
  msg: string | undefined,
): E {
  const pre = msg ? `${msg}: ` : "";
  if (error === undefined) throw new AssertionError({ message: `${pre}expected a throw` });
  if (ErrorClass && !(error instanceof ErrorClass)) {
    throw new AssertionError({
      message: `${pre}expected ${ErrorClass.name}, got ${(error as Error)?.name}: ${
        (error as Error)?.message
      }`,
    });
  }
  const message = (error as Error).message ?? String(error);
  if (msgIncludes !== undefined && !message.includes(msgIncludes)) {
    throw new AssertionError({
      message: `${pre}expected the message to include ${JSON.stringify(msgIncludes)}, got ${
        JSON.stringify(message)
      }`,
    });
  }
  return error as E;
}
