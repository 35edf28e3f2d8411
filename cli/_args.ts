/**
 * The command lines of vkshare's commands, examples, benchmarks and tools, on both runtimes, and
 * their one exit-code policy ({@linkcode EXIT}): flags are read with `node:util`'s `parseArgs`
 * (strict: an unknown flag or a flag without its value is an error), `--help` prints the usage
 * and exits 0 before any work, and a bad argument prints one line ("see --help") and exits 2,
 * before any device is created. What this machine lacks (an extension, a handle type, libcuda,
 * PyTorch) is a skip: one line naming it, exit 77. An expected refusal (any vkshare error) is
 * one line with its rule and the next step, exit 1, never a stack trace; a stack trace is a bug.
 *
 * @example
 * ```ts
 * const cli = parseCli({
 *   name: "examples/share_memory.ts",
 *   summary: "Two devices share a buffer.",
 *   flags: { size: { type: "string", value: "BYTES", description: "bytes", default: "65536" } },
 * });
 * const size = cli.int("size", { min: 1 });
 * ```
 *
 * @module
 */
// @ts-types="./_node/util.d.ts"
import { parseArgs } from "node:util";

// Nothing here loads the FFI: cli/main.ts imports this module under Node.js too, before it hands
// the command to Deno or Bun (the errors are told apart by their names).
import { doctorHint } from "../core/rules.ts";

/**
 * Every command's exit status: 0 done, 1 failed (a path asked about does not work, a check
 * failed, a refusal), 2 a usage error, 77 skipped (what it needs is missing here: the one line
 * before it names what; 77 is what automake and meson read as "skipped").
 */
export const EXIT = { done: 0, failed: 1, usage: 2, skipped: 77 } as const;

/** One flag: `--name VALUE` (string) or `--name` (boolean). */
export interface Flag {
  /** Its kind: a value follows it, or it stands alone. */
  type: "string" | "boolean";
  /** What it does, for the usage. */
  description: string;
  /** The value's name in the usage (`BYTES`). */
  value?: string;
  /** The value when the flag is absent (shown in the usage). */
  default?: string;
  /** Left out of the usage: a flag between the command and a child of its own. */
  hidden?: boolean;
}

/** What a command line takes. */
export interface CliSpec {
  /** How it is run: `examples/pipeline.ts`. */
  name: string;
  /** One or more lines saying what it does. */
  summary: string;
  /** Its flags, by long name (`--help` is added). */
  flags: Record<string, Flag>;
  /** Whether it takes positional arguments (default: none). */
  positionals?: boolean;
}

/** A parsed command line. */
export interface Cli {
  /** The string flags given (or their defaults), and the boolean flags given. */
  values: Record<string, string | boolean | undefined>;
  /** The positional arguments. */
  positionals: string[];
  /** The usage text. */
  usage: string;
  /** Prints `message` and "see --help" on one line of stderr, and exits 2. */
  fail(message: string): never;
  /** Prints "skipped: `what`" (what is missing here) on one line of stderr, and exits 77. */
  skip(what: string): never;
  /** The string flag `name` (or its default). */
  string(name: string): string | undefined;
  /** Whether boolean flag `name` was given. */
  flag(name: string): boolean;
  /** Flag `name` as an integer within `min`..`max` (and a multiple of `multipleOf`); fails (exit 2) otherwise. */
  int(name: string, range?: { min?: number; max?: number; multipleOf?: number }): number;
  /**
   * Flag `name` as a number of bytes (`65536`, `64KiB`, `16 MiB`, `1GiB`; K, M, G for short) within
   * `min`..`max` (and a multiple of `multipleOf`); fails (exit 2) otherwise.
   */
  bytes(name: string, range?: { min?: number; max?: number; multipleOf?: number }): number;
  /** Flag `name` as one of `choices`; fails (exit 2) otherwise. */
  choice<T extends string>(name: string, choices: readonly T[]): T;
}

/** The usage text of `spec`. */
export function usageOf(spec: CliSpec): string {
  const shown = Object.entries(spec.flags).filter(([, f]) => !f.hidden);
  const rows = Object.entries({
    ...Object.fromEntries(shown),
    help: { type: "boolean", description: "print this and exit" } as Flag,
  }).map(([name, f]) => {
    const left = `--${name}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`;
    const def = f.default !== undefined ? ` (default: ${f.default})` : "";
    return [left, `${f.description}${def}`];
  });
  const w = Math.max(...rows.map(([l]) => l.length));
  return [
    `usage: ${spec.name}${spec.positionals ? " [ARGS...]" : ""} [flags]`,
    "",
    ...spec.summary.split("\n").map((l) => l ? `${l}` : ""),
    "",
    ...rows.map(([l, r]) => `  ${l.padEnd(w)}  ${r}`),
  ].join("\n");
}

/** The command `vkshare` (cli/main.ts) runs, with its arguments, when it runs one. */
let invoked: { name: string; args: string[] } | undefined;

/**
 * Makes the next `parseCli` read `args` and name itself `name` (`vkshare doctor`) instead of
 * this process's arguments and the script's path: how `vkshare COMMAND ARGS` hands a command
 * module its arguments before importing it.
 */
export function invokeAs(name: string, args: string[]): void {
  invoked = { name, args };
}

/**
 * Parses `argv` (default: this process's arguments, or what `invokeAs` gave) against `spec`.
 * `--help` prints the usage and exits 0; an unknown flag, a missing value or a positional where
 * none is taken exits 2.
 */
export function parseCli(spec: CliSpec, argv?: string[]): Cli {
  // A command's own arguments (not a test's): its uncaught refusals end it by the policy.
  const command = argv === undefined;
  argv ??= process.argv.slice(2);
  if (invoked) {
    spec = { ...spec, name: invoked.name };
    argv = invoked.args;
    invoked = undefined;
  }
  const usage = usageOf(spec);
  // `deno task bench -- --quick` hands the script the "--" too: a leading one separates nothing.
  if (argv[0] === "--") argv = argv.slice(1);
  const fail = (message: string): never => {
    console.error(`${spec.name}: ${oneLine(message)} (see --help)`);
    process.exit(EXIT.usage);
  };
  program = spec.name;
  if (command) catchRefusals();
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [name, f] of Object.entries(spec.flags)) options[name] = { type: f.type };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: spec.positionals ?? false,
    });
  } catch (e) {
    // parseArgs's messages are one line, and name the flag.
    return fail((e as Error).message.split("\n")[0]);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    values[name] = parsed.values[name] ?? f.default;
  }
  const string = (name: string) => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  return {
    values,
    positionals: parsed.positionals,
    usage,
    fail,
    skip: skipRun,
    string,
    flag: (name) => values[name] === true,
    int(name, range = {}) {
      const raw = string(name);
      const n = raw !== undefined && /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) {
        return fail(`--${name}: expected an integer, got ${JSON.stringify(raw ?? "")}`);
      }
      return withinRange(n, `--${name}`, range, fail);
    },
    bytes(name, range) {
      const raw = string(name);
      const n = raw === undefined ? null : parseBytes(raw);
      if (n === null) {
        return fail(
          `--${name}: expected bytes (65536, 64KiB, 16MiB, 1GiB), got ${JSON.stringify(raw ?? "")}`,
        );
      }
      return withinRange(n, `--${name}`, range ?? {}, fail);
    },
    choice<T extends string>(name: string, choices: readonly T[]): T {
      const raw = string(name);
      if (raw === undefined || !(choices as readonly string[]).includes(raw)) {
        return fail(`--${name}: expected one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`);
      }
      return raw as T;
    },
  };
}

/**
 * `text` as a terminal can show it whatever it holds: each control character (ESC, OSC, CR, LF
 * of a peer's string) written as `\u{..}`, so that nothing a peer sent can move the cursor,
 * retitle the window or forge a line.
 */
export function printableText(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

const UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  K: 2 ** 10,
  KIB: 2 ** 10,
  M: 2 ** 20,
  MIB: 2 ** 20,
  G: 2 ** 30,
  GIB: 2 ** 30,
};

/**
 * `text` as a number of bytes: an integer with an optional binary unit (`B`, `KiB`, `MiB`,
 * `GiB`, or `K`, `M`, `G`; any case, a space allowed), or null when it is not one.
 */
export function parseBytes(text: string): number | null {
  const m = text.trim().match(/^(\d+)\s*([a-zA-Z]*)$/);
  const unit = m ? UNITS[m[2].toUpperCase()] : undefined;
  if (!m || unit === undefined) return null;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : null;
}

/** `n` when it is within `range` (a bound, a multiple), else `fail` with why. */
function withinRange(
  n: number,
  what: string,
  range: { min?: number; max?: number; multipleOf?: number },
  fail: (message: string) => never,
): number {
  const min = range.min ?? -Infinity, max = range.max ?? Infinity;
  if (n < min || n > max) {
    const bounds = max === Infinity ? `at least ${min}` : `from ${min} to ${max}`;
    return fail(`${what}: expected ${bounds}, got ${n}`);
  }
  if (range.multipleOf && n % range.multipleOf !== 0) {
    return fail(`${what}: expected a multiple of ${range.multipleOf}, got ${n}`);
  }
  return n;
}

/** vkshare's error classes, by name (VkshareError and its subclasses). */
const ERROR_CLASSES = new Set([
  "VkshareError",
  "VkError",
  "ImportError",
  "ShareError",
  "MissingExtensionError",
  "LibraryLoadError",
  "DisposedError",
  "ErrnoError",
  "ProtocolError",
  "CudaError",
  "Win32Error",
]);

/** The name of the command that parsed its arguments last (for the lines below). */
let program = "vkshare";

/** `text` on one line: its line breaks made "; ". */
function oneLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).join("; ");
}

/** Ends the command as skipped: "NAME: skipped: `what`" on stderr, exit 77. */
export function skipRun(what: string): never {
  console.error(`${program}: skipped: ${oneLine(what)}`);
  process.exit(EXIT.skipped);
}

/**
 * How an uncaught error ends a command: a vkshare error is an expected refusal, one line with
 * its rule (or code) and the next step; skipped (77) where it says this machine lacks something
 * (an extension, a handle type, a library), failed (1) otherwise. Anything else is a bug: null,
 * and the runtime prints its stack trace.
 */
export function refusalOf(e: unknown): { code: number; line: string } | null {
  // A VkshareError (ffi/error.ts): an Error with a string `code`, named after its class.
  if (!(e instanceof Error) || !ERROR_CLASSES.has(e.name)) return null;
  if (typeof (e as { code?: unknown }).code !== "string") return null;
  const { name } = e;
  const { code, command } = e as Error & { code: string; command?: string };
  const rule = (e as { rule?: string }).rule ?? code;
  const library = name === "LibraryLoadError";
  const noDriver = name === "VkError" && command === "vkCreateInstance";
  const missing = library || noDriver || name === "MissingExtensionError"
    || (name === "ShareError" && rule === "HANDLE_TYPE_UNSUPPORTED");
  // Without a library or a driver the doctor can say no more: setup can.
  const hint = library || noDriver
    ? "vkshare setup (says what is missing, and installs it as root)"
    : e.message.includes("doctor")
    ? ""
    : doctorHint(rule);
  return {
    code: missing ? EXIT.skipped : EXIT.failed,
    line: `${program}: ${missing ? "skipped" : "refused"}: ${
      e.message.startsWith(`${rule}: `) ? "" : `${rule}: `
    }${oneLine(e.message)}${hint ? `; next: ${hint}` : ""}`,
  };
}

let catching = false;

/** Ends the process on an uncaught vkshare error as {@linkcode refusalOf} says (once). */
function catchRefusals(): void {
  if (catching) return;
  catching = true;
  const end = (e: unknown) => {
    const r = refusalOf(e);
    if (!r) {
      console.error(e);
      process.exit(EXIT.failed);
    }
    console.error(r.line);
    process.exit(r.code);
  };
  process.on("uncaughtException", end);
  process.on("unhandledRejection", end);
}
