// tools/mesa.sh as a contributor runs it: --help (exit 0) and a usage error (exit 2) before it
// downloads anything. The download itself runs in CI, which points every suite at both versions.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assertEquals, assertStringIncludes } from "@std/assert";
import { test } from "../_harness.ts";

const MESA = new URL("../../tools/mesa.sh", import.meta.url).pathname;
const run = (...args: string[]) => spawnSync("sh", [MESA, ...args], { encoding: "utf8" });

test("tools/mesa.sh: --help says how to use it; another version than 22 or 25 is a usage error", () => {
  const help = run("--help");
  assertEquals(help.status, 0, help.stderr);
  assertStringIncludes(help.stdout, 'eval "$(sh tools/mesa.sh 22)"');
  for (const args of [[], ["24"], ["--bogus"]]) {
    const r = run(...args);
    assertEquals([r.status, r.stdout], [2, ""], args.join(" "));
    assertStringIncludes(r.stderr, "usage: sh tools/mesa.sh 22|25");
  }
});
