// The test runner's surface for vkshare's tests: `test(name, [options,] fn)`. On Deno it is
// Deno.test. A skip names its reason, which shows in the test's name: "... (skipped: no X)".

/** Options of one test. */
export interface TestOptions {
  /** A reason to skip (the missing capability), or false to run. */
  skip?: string | false;
  /** Check that the test closes every resource it opens (default true). */
  sanitizeResources?: boolean;
}

type Fn = () => void | Promise<void>;

/** Registers a test. */
export function test(name: string, a: TestOptions | Fn, b?: Fn): void {
  const options = typeof a === "function" ? {} : a;
  const fn = typeof a === "function" ? a : b!;
  const skip = options.skip || undefined;
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== undefined,
    sanitizeResources: options.sanitizeResources ?? true,
    fn,
  });
}
