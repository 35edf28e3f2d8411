// The generated parts of the pages (tools/docs.ts) are current: docs/rules.md's list is
// SHARE_RULES, and the README's and docs/benchmarks.md's tables are the committed results'.
// `deno task docs` rewrites them. No driver needed.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { SHARE_RULES } from "../../share/mod.ts";
import {
  benchSummary,
  generatedPages,
  resultGroups,
  rulesMarkdown,
  withGenerated,
  withoutTablePadding,
} from "../../tools/docs.ts";
import { test } from "../_harness.ts";

const root = new URL("../../", import.meta.url);

test("the generated parts of README.md and docs/ are current (deno task docs)", () => {
  for (const [path, want] of generatedPages(root)) {
    const have = readFileSync(new URL(path, root), "utf8");
    assertEquals(
      withoutTablePadding(have),
      withoutTablePadding(want),
      `${path}: run deno task docs`,
    );
  }
});

test("the rule list has every rule of SHARE_RULES, once", () => {
  const list = rulesMarkdown().split("\n");
  assertEquals(list.length, Object.keys(SHARE_RULES).length);
  for (const rule of Object.keys(SHARE_RULES)) {
    assertEquals(list.filter((l) => l.startsWith(`- \`${rule}\`: `)).length, 1, rule);
  }
});

test("the README's figures are the newest GPU run's, each with what its time includes", () => {
  const groups = resultGroups(new URL("bench/results/", root));
  const gpu = groups.find((g) => g.runs[0].fingerprint.deviceType === "discrete-gpu")!;
  assertEquals(gpu.runs.map((r) => r.fingerprint.runtime), ["deno", "bun", "node"]);
  const summary = benchSummary(groups);
  assertStringIncludes(summary, `measured ${gpu.runs[0].fingerprint.date.slice(0, 10)}`);
  const handoff = gpu.runs[0].rows.find((x) => x.op === "handoff")!;
  const line = summary.split("\n").find((l) => l.startsWith(`| ${handoff.title}`));
  assert(line, summary);
  assertStringIncludes(line, `(target: ${handoff.target!.rule})`);
  assertStringIncludes(line, `${handoff.ratio!.toFixed(2)}× ${handoff.target!.met ? "met" : ""}`);
});

test("withGenerated replaces only between its markers, and says when they are missing", () => {
  const page = "a\n<!-- generated: x by y -->\nold\n<!-- generated: end -->\nb\n";
  assertEquals(
    withGenerated(page, "x", "new"),
    "a\n<!-- generated: x by y -->\n\nnew\n\n<!-- generated: end -->\nb\n",
  );
  assertThrows(() => withGenerated("no markers", "x", "new"), Error, "generated: x");
  assertEquals(withoutTablePadding("| a   | b |\n| --- | ----- |"), "|a|b|\n|---|---|");
});
