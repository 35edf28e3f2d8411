// The sharing rules are defined once (SHARE_RULES in core/rules.ts): each is explained and sourced,
// each is thrown somewhere in the library or the Python peer (no driver needed); docs/rules.md's
// list is generated from it (tests/tools/docs_test.ts).
// @ts-types="../../cli/_node/fs.d.ts"
import { readdirSync, readFileSync } from "node:fs";

import { assert, assertEquals } from "@std/assert";
import { ShareError } from "../../mod.ts";
import { SHARE_RULES } from "../../share/mod.ts";
import { test } from "../_harness.ts";

const root = new URL("../../", import.meta.url);
const LIBRARY_FOLDERS = ["core/", "vulkan/", "share/", "memory/", "sync/", "ipc/", "cuda/"];

test("every rule says what it refuses and where it comes from", () => {
  for (const [rule, r] of Object.entries(SHARE_RULES)) {
    assert(/^[A-Z][A-Z0-9_]*$/.test(rule), rule);
    assert(r.explains.length > 20 && !r.explains.endsWith("."), `${rule}: ${r.explains}`);
    assert(/^(spec|drivers|vkshare|CUDA): /.test(r.source), `${rule}: ${r.source}`);
  }
});

test("every rule is thrown somewhere in the library, and every rule thrown is in the table", () => {
  const sources = LIBRARY_FOLDERS.flatMap((dir) =>
    readdirSync(new URL(dir, root).pathname)
      .filter((f) => f.endsWith(".ts") && !(dir === "core/" && f === "rules.ts"))
      .map((f) => readFileSync(new URL(dir + f, root), "utf8"))
  ).join("\n") + readFileSync(new URL("python/vkshare_peer.py", root), "utf8"); // its CUDA rules
  for (const rule of Object.keys(SHARE_RULES)) {
    assert(sources.includes(`"${rule}"`), `${rule} is never thrown`);
  }
  const thrown = new Set(
    [...sources.matchAll(/new ShareError\(\s*"([A-Z_]+)"/g)].map((m) => m[1]),
  );
  for (const rule of thrown) assert(rule in SHARE_RULES, `${rule} is thrown but not defined`);
  // And a ShareError carries its rule's name.
  assertEquals(new ShareError("FD_CONSUMED", "x").rule, "FD_CONSUMED");
});
