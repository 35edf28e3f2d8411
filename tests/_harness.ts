// The test runner's surface for vkshare's tests: `test(name, [options,] fn)`. On Deno it is
// Deno.test; on Bun, bun:test's `test` (one suite, two runners). A skip names its reason, which
// shows in the test's name: "... (skipped: no X)".

/** Options of one test. */
export interface TestOptions {
  /** A reason to skip (the missing capability), or false to run. */
  skip?: string | false;
  /** Check that the test closes every resource it opens (default true; Deno only). */
  sanitizeResources?: boolean;
}

type Fn = () => void | Promise<void>;

interface BunTest {
  (name: string, fn: Fn, timeoutMs?: number): void;
  skip(name: string, fn: Fn): void;
}

// @ts-types="./_node_child_process.d.ts"
import { spawnSync } from "node:child_process";

// bun:test by name at run time, so that Deno never resolves it.
const bunTest: BunTest | null = "Bun" in globalThis
  ? (await import(["bun", "test"].join(":")) as { test: BunTest }).test
  : null;

/** How long one test may run on Bun (bun:test's default is 5 s; the soaks take longer). */
const BUN_TIMEOUT_MS = 15 * 60_000;

/** Registers a test. */
export function test(name: string, a: TestOptions | Fn, b?: Fn): void {
  const options = typeof a === "function" ? {} : a;
  const fn = typeof a === "function" ? a : b!;
  const skip = options.skip || undefined;
  const full = skip ? `${name} (skipped: ${skip})` : name;
  if (bunTest) {
    if (skip) bunTest.skip(full, fn);
    else bunTest(full, fn, BUN_TIMEOUT_MS);
    return;
  }
  Deno.test({
    name: full,
    ignore: skip !== undefined,
    sanitizeResources: options.sanitizeResources ?? true,
    fn,
  });
}

/** Runs the script at `path` with this runtime (all permissions) and returns its output. */
export function runScript(
  path: string,
  args: readonly string[] = [],
): { code: number; out: string; err: string } {
  const argv = bunTest ? [path, ...args] : ["run", "-A", path, ...args];
  const r = spawnSync(process.execPath, argv, { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
