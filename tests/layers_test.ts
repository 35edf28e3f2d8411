// The tree's layers (CONTRIBUTING.md): each folder imports only from the folders before it, or
// from itself; the main export (mod.ts) sits above the library, below the doctor and the command.
// (cli/_node's .d.ts files are type shims for node: modules, imported by any layer.)
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync, readFileSync } from "node:fs";

import { assertEquals } from "@std/assert";
import { test } from "./_harness.ts";

const LAYERS = [
  "ffi",
  "core",
  "vulkan",
  "share",
  "sync",
  "memory",
  "ipc",
  "cuda",
  "gl",
  "mod.ts",
  "doctor",
  "cli",
];
const root = new URL("../", import.meta.url);

test("every library import runs one way, down the layers", () => {
  const against: string[] = [];
  let imports = 0;
  for (const [rank, dir] of LAYERS.entries()) {
    if (dir === "mod.ts") continue;
    for (const file of readdirSync(new URL(dir, root).pathname)) {
      if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
      const text = readFileSync(new URL(`${dir}/${file}`, root), "utf8");
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.\.?\/[^"]+)"/g)) {
        if (m[1].includes("/_node/")) continue;
        const target = new URL(m[1], new URL(`${dir}/${file}`, root)).pathname
          .slice(new URL(".", root).pathname.length).split("/")[0];
        imports++;
        const to = LAYERS.indexOf(target);
        if (to < 0 || to > rank) against.push(`${dir}/${file} imports ${m[1]}`);
      }
    }
  }
  assertEquals(against, []);
  if (imports < 200) throw new Error(`only ${imports} imports read: the parser lost some`);
});
