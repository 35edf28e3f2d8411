/**
 * The README's list of sharing rules, rendered from `SHARE_RULES` (core/rules.ts), the one place the
 * rules are defined: `deno task rules` rewrites it between the README's markers, and
 * tests/core/rules_test.ts checks that it is current.
 *
 *     deno run -A tools/rules.ts [--check]
 *
 * @module
 */
// @ts-types="../cli/_node/fs.d.ts"
import { readFileSync, writeFileSync } from "node:fs";

import { parseCli } from "../cli/_args.ts";
import { SHARE_RULES } from "../core/rules.ts";

/** The markers around the rule list in README.md. */
export const RULES_BEGIN = "<!-- rules: generated from SHARE_RULES by `deno task rules` -->";
/** The end marker. */
export const RULES_END = "<!-- rules: end -->";

/** The rule list as Markdown: one item per rule, with what it refuses and its source. */
export function rulesMarkdown(): string {
  return Object.entries(SHARE_RULES)
    .map(([rule, r]) => `- \`${rule}\`: ${r.explains}. Source: ${r.source}.`)
    .join("\n");
}

/** `readme` with its rule list replaced by the current one. */
export function withRules(readme: string): string {
  const a = readme.indexOf(RULES_BEGIN), b = readme.indexOf(RULES_END);
  if (a < 0 || b < a) throw new Error(`README.md has no "${RULES_BEGIN}" ... "${RULES_END}"`);
  return `${readme.slice(0, a + RULES_BEGIN.length)}\n\n${rulesMarkdown()}\n\n${readme.slice(b)}`;
}

if (import.meta.main) {
  const cli = parseCli({
    name: "tools/rules.ts",
    summary: "Rewrites README.md's list of sharing rules from SHARE_RULES (core/rules.ts).",
    flags: {
      check: { type: "boolean", description: "exit 1 when the list is not current; write nothing" },
    },
  });
  const path = new URL("../README.md", import.meta.url).pathname;
  const readme = readFileSync(path, "utf8");
  const next = withRules(readme);
  if (cli.flag("check")) {
    if (next !== readme) {
      console.error("README.md's rule list is not current: run deno task rules");
      process.exit(1);
    }
  } else if (next !== readme) writeFileSync(path, next);
}
