// The test runner's surface for vkshare's tests: `test(name, [options,] fn)`. On Deno it is
// Deno.test; on Bun, bun:test's `test`; on Node, node:test's `test` (one suite, three runners). A skip names its reason, which
// shows in the test's name: "... (skipped: no X)".

/** Options of one test. */
export interface TestOptions {
  /** A reason to skip (the missing capability), or false to run. */
  skip?: string | false;
  /** Check that the test closes every resource it opens (default true; Deno only). */
  sanitizeResources?: boolean;
  /** Check that the test ends every async op it starts (default true; Deno only). */
  sanitizeOps?: boolean;
}

type Fn = () => void | Promise<void>;

interface BunTest {
  (name: string, fn: Fn, timeoutMs?: number): void;
  skip(name: string, fn: Fn): void;
}

import { assert, assertEquals, assertStringIncludes } from "@std/assert";

// @ts-types="../cli/_node/child_process.d.ts"
import { spawn, spawnSync } from "node:child_process";

import { peerCommand } from "../ipc/peer.ts";

// bun:test by name at run time, so that Deno never resolves it.
const bunTest: BunTest | null = "Bun" in globalThis
  ? (await import(["bun", "test"].join(":")) as { test: BunTest }).test
  : null;

interface NodeTest {
  (name: string, options: { skip?: string; timeout?: number }, fn: Fn): void;
}
// node:test where neither Deno nor Bun runs the suite.
const nodeTest: NodeTest | null = !bunTest && !("Deno" in globalThis)
  ? (await import("node:test") as unknown as { test: NodeTest }).test
  : null;

/** How long one test may run on Bun and Node (bun:test's default is 5 s; the soaks take longer). */
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
  if (nodeTest) {
    nodeTest(full, skip ? { skip } : { timeout: BUN_TIMEOUT_MS }, fn);
    return;
  }
  Deno.test({
    name: full,
    ignore: skip !== undefined,
    sanitizeResources: options.sanitizeResources ?? true,
    sanitizeOps: options.sanitizeOps ?? true,
    fn,
  });
}

/** Runs `fn` with console.warn collected; returns what was warned. */
export function warnings(fn: () => void): string[] {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void seen.push(a.join(" "));
  try {
    fn();
  } finally {
    console.warn = warn;
  }
  return seen;
}

/** A command's skip (exit 77): one line on stderr, "NAME: skipped: ...", holding `says`. */
export function assertSkipLine(err: string, name: string, says: string): void {
  const lines = err.trimEnd().split("\n");
  assertEquals(lines.length, 1, err);
  assert(lines[0].startsWith(`${name}: skipped: `), lines[0]);
  assertStringIncludes(lines[0], says);
}

/** The command line that runs the script at `path` with this runtime (all permissions). */
export function scriptCommand(path: string, args: readonly string[] = []): string[] {
  return peerCommand(path, args);
}

/** A script running in a child process. */
export interface Child {
  /** Its pid. */
  readonly pid: number;
  /** What it printed so far (stdout). */
  readonly out: () => string;
  /** Resolves with its stdout line that includes `text`; rejects after `timeoutMs`. */
  line(text: string, timeoutMs?: number): Promise<string>;
  /** Sends it a signal. */
  kill(signal: "SIGKILL" | "SIGTERM" | "SIGINT"): void;
  /** Resolves when it exits. */
  readonly exited: Promise<
    { code: number | null; signal: string | null; out: string; err: string }
  >;
}

/** Starts the script at `path` with this runtime; `prefix` runs it through another command. */
export function startScript(
  path: string,
  args: readonly string[] = [],
  prefix: readonly string[] = [],
  env?: Record<string, string | undefined>,
): Child {
  return startCommand([...prefix, ...scriptCommand(path, args)], env);
}

/** Starts `argv` (a command and its arguments) in a child process. */
export function startCommand(
  argv: readonly string[],
  env?: Record<string, string | undefined>,
): Child {
  const [cmd, ...rest] = argv;
  const child = spawn(cmd, rest, { env: env ? { ...process.env, ...env } : undefined });
  let out = "", err = "";
  const waiters: (() => void)[] = [];
  const decoder = new TextDecoder();
  child.stdout.on("data", (b) => {
    out += decoder.decode(b);
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr.on("data", (b) => (err += new TextDecoder().decode(b)));
  const exited = new Promise<
    { code: number | null; signal: string | null; out: string; err: string }
  >(
    (resolve) =>
      child.on("exit", (code, signal) => {
        waiters.splice(0).forEach((w) => w());
        // The last output may still be on its way.
        setTimeout(() => resolve({ code, signal, out, err }), 50);
      }),
  );
  let done = false;
  exited.then(() => (done = true));
  return {
    pid: child.pid ?? -1,
    out: () => out,
    async line(text: string, timeoutMs = 30_000): Promise<string> {
      const end = performance.now() + timeoutMs;
      for (;;) {
        const l = out.split("\n").find((x) => x.includes(text));
        if (l !== undefined) return l;
        if (done) throw new Error(`the child exited without printing "${text}":\n${out}\n${err}`);
        if (performance.now() > end) {
          throw new Error(
            `the child did not print "${text}" within ${timeoutMs} ms:\n${out}\n${err}`,
          );
        }
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    kill: (signal) => void child.kill(signal),
    exited,
  };
}

/** Runs the script at `path` with this runtime (all permissions) and returns its output. */
export function runScript(
  path: string,
  args: readonly string[] = [],
  env?: Record<string, string>,
): { code: number; out: string; err: string } {
  const [cmd, ...argv] = scriptCommand(path, args);
  const r = spawnSync(cmd, argv, {
    encoding: "utf8",
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
