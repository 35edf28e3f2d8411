// The package's entry points (deno.json "exports"): a main export a script writer can hold in
// their head (a budget of names, checked here), and sub-paths for the rest, each name in one
// entry point (the errors aside). Each entry resolves; the FFI vocabulary is under "./ffi" only.
// @ts-types="../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assert, assertEquals } from "@std/assert";
import { VkshareError } from "../mod.ts";
import { test } from "./_harness.ts";

const root = new URL("../", import.meta.url);
const config = JSON.parse(readFileSync(new URL("deno.json", root), "utf8"));

/** The main export's budget: what scripts use. */
const ROOT_BUDGET = 60;

/** The names an entry module exports (values and types), from its `export { ... }` lists. */
function exportedNames(path: string): string[] {
  const text = readFileSync(new URL(path, root), "utf8");
  const names: string[] = [];
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().replace(/^type /, "").split(/\s+as\s+/).pop()!.trim();
      if (name) names.push(name);
    }
  }
  for (const m of text.matchAll(/^export (?:const|function|class|interface|type) (\w+)/gm)) {
    names.push(m[1]);
  }
  return names;
}

test("deno.json exports the main module and its sub-paths", () => {
  assertEquals(config.exports, {
    ".": "./mod.ts",
    "./enums": "./core/mod.ts",
    "./vulkan": "./vulkan/mod.ts",
    "./memory": "./memory/mod.ts",
    "./plan": "./share/mod.ts",
    "./ipc": "./ipc/mod.ts",
    "./cuda": "./cuda/mod.ts",
    "./gl": "./gl/mod.ts",
    "./doctor": "./doctor/mod.ts",
    "./ffi": "./ffi/mod.ts",
    "./cli": "./cli/main.ts",
  });
});

test(`the main export has at most ${ROOT_BUDGET} names, none generic`, () => {
  const names = exportedNames("mod.ts");
  assert(names.length <= ROOT_BUDGET, `mod.ts exports ${names.length} names: ${names.join(", ")}`);
  assert(names.length >= 30, `mod.ts exports only ${names.length} names: the parser lost some`);
  for (
    const generic of ["check", "Range", "Flags", "Pointer", "Received", "objectOf", "enumValue"]
  ) {
    assert(!names.includes(generic), `mod.ts exports ${generic}`);
  }
  for (const hook of ["QueueSemaphore", "QueueFence", "QueueCommandBuffer"]) {
    assert(!names.includes(hook), `mod.ts exports ${hook}`);
  }
});

test("each entry point resolves, and no name is in two of them but the errors", async () => {
  const seen = new Map<string, string>();
  for (const [key, path] of Object.entries(config.exports as Record<string, string>)) {
    if (key === "./cli") continue; // the command: tests/cli/main_test.ts
    const module = await import(new URL(path, root).href) as Record<string, unknown>;
    const names = exportedNames(path);
    assert(names.length > 0, `${key} exports nothing`);
    for (const name of names) {
      const value = module[name];
      const isError = typeof value === "function" && value.prototype instanceof VkshareError;
      const before = seen.get(name);
      assert(before === undefined || isError, `${name} is in both ${before} and ${key}`);
      seen.set(name, key);
    }
  }
  assert(seen.size > 150, `${seen.size} names in all`);
});

test("the FFI vocabulary is under ./ffi, not in the main export", () => {
  const names = exportedNames("ffi/mod.ts");
  const main = exportedNames("mod.ts");
  for (const name of ["ForeignFunction", "FunctionsOf", "SymbolTable", "NativeType", "Pointer"]) {
    assert(names.includes(name), `./ffi lacks ${name}`);
    assert(!main.includes(name), `mod.ts exports ${name}`);
  }
});
