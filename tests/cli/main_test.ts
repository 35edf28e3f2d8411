// `vkshare COMMAND` (cli/main.ts, the package's bin) as a user runs it: its usage and version,
// the usage errors (exit 2, before any device), each command reached with its own flags, and a
// machine without libvulkan answered in words with the next step (exit 1), not a stack trace.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { VERSION } from "../../cli/main.ts";
import { runScript, scriptCommand, test } from "../_harness.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

function vkshare(args: string[], env: Record<string, string> = {}) {
  const [cmd, ...argv] = scriptCommand(MAIN, args);
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync("env", [...vars, cmd, ...argv], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("vkshare --help lists the commands (exit 0); --version is deno.json's version", () => {
  const help = vkshare(["--help"]);
  assertEquals(help.code, 0, help.err);
  assertStringIncludes(help.out, "usage: vkshare COMMAND");
  for (const c of ["doctor", "caps", "setup"]) assert(help.out.includes(`\n  ${c} `), c);
  const deno = JSON.parse(readFileSync(new URL("../../deno.json", import.meta.url), "utf8"));
  assertEquals(VERSION, deno.version);
  const v = vkshare(["--version"]);
  assertEquals([v.code, v.out.trim()], [0, deno.version]);
});

test("vkshare: no command or an unknown one is a usage error (exit 2), before any device", () => {
  const noDriver = { VK_DRIVER_FILES: "/nonexistent/vkshare-cli-test.json" };
  for (
    const [args, says] of [[[], "which command?"], [["prove"], 'unknown command "prove"']] as const
  ) {
    const r = vkshare([...args], noDriver);
    assertEquals(r.code, 2, r.out + r.err);
    assertEquals(r.err.trimEnd(), `vkshare: ${says} (see --help)`);
  }
  // A command's own flags are its own: its usage, named as the user typed it.
  const help = vkshare(["doctor", "--help"], noDriver);
  assertEquals(help.code, 0, help.err);
  assertStringIncludes(help.out, "usage: vkshare doctor");
  const bad = vkshare(["caps", "--bogus"], noDriver);
  assertEquals(bad.code, 2, bad.out + bad.err);
  assertStringIncludes(bad.err.split("\n")[0], "--bogus");
  assertEquals(bad.err.trimEnd().split("\n").length, 1, bad.err);
  assert(bad.err.startsWith("vkshare caps: "), bad.err);
  assert(!bad.err.includes("vkCreateInstance"), bad.err);
});

test("vkshare caps --json is cli/caps.ts --json", () => {
  const r = vkshare(["caps", "--json"]);
  assertEquals(r.code, 0, r.err);
  const direct = runScript(new URL("../../cli/caps.ts", import.meta.url).pathname, ["--json"]);
  assertEquals(JSON.parse(r.out), JSON.parse(direct.out));
});

test("vkshare caps without libvulkan skips (77) in one line, naming what is missing and the next step", () => {
  const r = vkshare(["caps"], { VKSHARE_LIBVULKAN: "/nonexistent/libvulkan.so.1" });
  assertEquals(r.code, 77, r.out + r.err);
  const lines = r.err.trim().split("\n");
  assertEquals(lines.length, 1, r.err);
  assertStringIncludes(lines[0], "vkshare caps: skipped: LIBRARY_LOAD: could not load libvulkan");
  assertStringIncludes(r.err, "/nonexistent/libvulkan.so.1 (from VKSHARE_LIBVULKAN)");
  assert(lines[0].endsWith("next: vkshare setup (says what is missing, and installs it as root)"));
  assert(!r.err.includes("    at "), `a stack trace: ${r.err}`);
});
