#!/usr/bin/env node
/**
 * The `vkshare` command: the doctor, the capability report and the setup check, from the
 * package as from a checkout.
 *
 *     bunx vkshare doctor [--prove] [--json]     deno run -A npm:vkshare doctor [...]
 *     bunx vkshare caps [--json]                 deno run -A npm:vkshare caps [...]
 *     bunx vkshare setup [--dry-run]             npx vkshare setup [...]   (Node 26.1 and later)
 *
 * vkshare runs on Deno, Bun and Node 26.1 and later (their FFI: node:ffi on Node). Started by an
 * older Node (`npx vkshare`, or a package manager that runs bins with node), the command runs
 * itself again with `bun` or `deno` where one is on the PATH, and otherwise says how to get one.
 * Exit status: the command's (0 when it did what was asked, 1 when what it checks does not work
 * here, 2 for a usage error).
 *
 * @example
 * ```ts
 * import { main } from "vkshare/cli";
 * const status = await main(["caps", "--json"]); // prints the capability matrix as JSON
 * ```
 *
 * @module
 */
// @ts-types="./_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="./_node/fs.d.ts"
import { realpathSync } from "node:fs";
import { nodeFfi } from "../ffi/process.ts";
import { scriptArgument } from "../ipc/peer.ts";
import { invokeAs, refusalOf } from "./_args.ts";

/** The package's version (deno.json's; `vkshare --version` prints it). */
export const VERSION = "0.2.0";

const COMMANDS: Record<string, string> = {
  doctor: "proves or explains every sharing path on this machine (--prove, --json, --explain FILE)",
  caps: "prints what each device can share, from the capability queries (--json)",
  setup: "checks libvulkan, a device and the validation layer; installs what is missing (as root)",
};

const USAGE = [
  "usage: vkshare COMMAND [ARGS...]",
  "",
  "Share GPU memory and synchronization between Vulkan devices, processes and CUDA.",
  "",
  ...Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(8)}${what}`),
  "",
  "  --help     print this and exit (COMMAND --help: that command's flags)",
  "  --version  print vkshare's version and exit",
].join("\n");

/**
 * Runs `vkshare` with `args` (`["doctor", "--prove"]`) and resolves to its exit status. A command
 * that decides its status itself (the doctor, setup) exits the process, and a command runs once
 * per process (its module runs when first imported).
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args[0] === "--" ? args.slice(1) : args;
  if (command === undefined) {
    console.error(`vkshare: which command? (see --help)`);
    return 2;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command === "--version") {
    console.log(VERSION);
    return 0;
  }
  if (!(command in COMMANDS)) {
    console.error(`vkshare: unknown command ${JSON.stringify(command)} (see --help)`);
    return 2;
  }
  if (!("Deno" in globalThis) && !("Bun" in globalThis) && !nodeFfi()) {
    return onAnotherRuntime(args);
  }
  invokeAs(`vkshare ${command}`, rest);
  try {
    // Literal specifiers, so that `deno pack` rewrites them to the packed .js files.
    if (command === "doctor") await import("./doctor.ts");
    else if (command === "caps") await import("./caps.ts");
    else await import("./setup.ts");
  } catch (e) {
    // vkshare's own errors (no libvulkan, no device) are answers, not crashes: one line each.
    const r = refusalOf(e);
    if (!r) throw e;
    console.error(r.line);
    return r.code;
  }
  return 0;
}

/**
 * A Node.js without node:ffi (before 26.1): runs this file again with bun or deno. `bunx` runs a
 * bin whose first line names node with node, and says which bun it is in `npm_execpath`.
 */
function onAnotherRuntime(args: string[]): number {
  const self = scriptArgument(import.meta.url);
  const env = process.env;
  const fromBun = env.npm_config_user_agent?.startsWith("bun/") ? env.npm_execpath : undefined;
  const tries: [string, string[]][] = [
    ...(fromBun ? [[fromBun, [self, ...args]] as [string, string[]]] : []),
    ["bun", [self, ...args]],
    ["deno", ["run", "-A", self, ...args]],
  ];
  for (const [cmd, argv] of tries) {
    const r = spawnSync(cmd, argv, { stdio: "inherit" });
    if (!r.error) return r.status ?? 1;
  }
  console.error(
    `vkshare runs on Deno 2, Bun 1.4 or Node 26.1 and later (node:ffi), not on Node ${process.version}, and neither bun nor deno is on the PATH.\n`
      + "Run it with one of them, without installing any:\n"
      + `  npx -y node@26 ${self} ${args.join(" ")}\n`
      + `  npx -y bun@1.4.5 x vkshare ${args.join(" ")}\n`
      + `  npx -y deno@2.9.6 run -A npm:vkshare ${args.join(" ")}`,
  );
  return 1;
}

/** Whether this module is the program (Node.js has no `import.meta.main` before 24). */
function isProgram(): boolean {
  if (typeof import.meta.main === "boolean") return import.meta.main;
  try {
    return realpathSync(process.argv[1]) === realpathSync(scriptArgument(import.meta.url));
  } catch {
    return false;
  }
}

if (isProgram()) process.exitCode = await main(process.argv.slice(2));
