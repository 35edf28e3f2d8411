/**
 * The generated parts of the documentation, each made from its one source and written between
 * `<!-- generated: NAME ... -->` and `<!-- generated: end -->` in its page:
 *
 * - `rules` in docs/rules.md: the sharing rules, from `SHARE_RULES` (core/rules.ts);
 * - `bench-summary` in README.md: the headline rows of the newest GPU results, from the committed
 *   JSON in bench/results/ (each row says what its time includes);
 * - `bench-all` in docs/benchmarks.md: every row with a target, of every committed run.
 *
 * `deno task docs` rewrites them (then `deno task fmt` aligns their tables); `--check` exits 1 when
 * one is not current, table padding aside (tests/tools/docs_test.ts).
 *
 *     deno run -A tools/docs.ts [--check]
 *
 * @module
 */
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

import { type Pick, summaryTable, verdict } from "../bench/report.ts";
import type { Results } from "../bench/run.ts";
import { parseCli } from "../cli/_args.ts";
import { SHARE_RULES } from "../core/rules.ts";

/** The rule list as Markdown: one item per rule, with what it refuses and its source. */
export function rulesMarkdown(): string {
  return Object.entries(SHARE_RULES)
    .map(([rule, r]) => `- \`${rule}\`: ${r.explains}. Source: ${r.source}.`)
    .join("\n");
}

/** The runs of one GPU on one day (one result file per runtime), and where they are. */
export interface RunGroup {
  /** `nvidia-h200_2026-12-01`: the files' common prefix. */
  key: string;
  /** Each runtime's results, Deno first. */
  runs: Results[];
  /** Their JSON files, relative to the repository. */
  files: string[];
}

/** The committed results, grouped by GPU and day, newest first. */
export function resultGroups(dir: URL): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const f of readdirSync(dir.pathname).filter((f) => f.endsWith(".json")).sort()) {
    const key = f.replace(/_[a-z]+\.json$/, "");
    const g = groups.get(key) ?? { key, runs: [], files: [] };
    g.runs.push(JSON.parse(readFileSync(new URL(f, dir), "utf8")));
    g.files.push(`bench/results/${f}`);
    groups.set(key, g);
  }
  // Deno's run first in each group, then the groups newest first.
  for (const g of groups.values()) {
    const order = g.runs.map((r, i) => [r, g.files[i]] as const)
      .sort((
        [a],
        [b],
      ) => (a.fingerprint.runtime === "deno" ? -1 : b.fingerprint.runtime === "deno" ? 1 : 0));
    g.runs = order.map(([r]) => r);
    g.files = order.map(([, f]) => f);
  }
  const date = (g: RunGroup) => g.runs[0].fingerprint.date;
  return [...groups.values()].sort((a, b) => date(b).localeCompare(date(a)));
}

/** The rows the README shows: the share's steps, the handoff, the sync round trip, the frames. */
export const SUMMARY_PICKS: readonly Pick[] = [
  ["mem.alloc", 1 << 20],
  ["mem.export", 1 << 20],
  ["mem.import", 1 << 16],
  ["mem.map", 1 << 20],
  ["handoff", 1 << 16],
  ["timeline.signal_wait", null],
  ["pipeline", 1 << 20],
  ["cuda.memory", 1 << 20],
  ["torch.frame", 16 << 20],
];

/** Where a group's numbers come from, in one sentence; its links relative to `page`. */
function provenance(g: RunGroup, page: string): string {
  const f = g.runs[0].fingerprint;
  const up = "../".repeat(page.split("/").length - 1);
  const links = g.runs.map((r, i) =>
    `[${r.fingerprint.runtime}](${up}${g.files[i].replace(/\.json$/, ".md")})`
  );
  return `${f.gpu}, ${f.driverName ?? "driver"} ${f.driverVersion}, Vulkan ${f.vulkanApiVersion}; ${
    g.runs.map((r) => `${r.fingerprint.runtime} ${r.fingerprint.runtimeVersion}`).join(" and ")
  }; ${g.runs[0].rounds} rounds, warm p50, measured ${f.date.slice(0, 10)} (full tables: ${
    links.join(", ")
  }).`;
}

/** The README's benchmark summary: the newest discrete GPU's runs, the picked rows. */
export function benchSummary(groups: readonly RunGroup[]): string {
  const g = groups.find((g) => g.runs[0].fingerprint.deviceType === "discrete-gpu");
  if (!g) throw new Error("bench/results has no discrete GPU's results");
  const picks = SUMMARY_PICKS.filter(([op, size]) =>
    g.runs.some((r) => r.rows.some((x) => x.op === op && x.size === size))
  );
  return `${provenance(g, "README.md")}\n\n${summaryTable(g.runs, picks)}`;
}

/** docs/benchmarks.md's tables: every row with a target, of every committed run, newest first. */
export function benchAll(groups: readonly RunGroup[]): string {
  return groups.map((g) => {
    const picks: Pick[] = [];
    for (const x of g.runs.flatMap((r) => r.rows)) {
      if (x.target && !picks.some(([op, size]) => op === x.op && size === x.size)) {
        picks.push([x.op, x.size]);
      }
    }
    const counts = g.runs.map((r) => {
      const rows = r.rows.filter((x) => x.target);
      const n = (v: string) => rows.filter((x) => verdict(x) === v).length;
      return `${r.fingerprint.runtime}: ${n("met")} of ${rows.length} met, ${n("runtime")} runtime`;
    });
    return `### ${g.runs[0].fingerprint.gpu}, ${g.runs[0].fingerprint.date.slice(0, 10)}\n\n${
      provenance(g, "docs/benchmarks.md")
    } ${counts.join("; ")}.\n\n${summaryTable(g.runs, picks)}`;
  }).join("\n\n");
}

/**
 * `page` with each table row's padding taken out, so that a page that the formatter (dprint)
 * aligned compares equal to the generator's own unaligned rows.
 */
export function withoutTablePadding(page: string): string {
  return page.split("\n").map((l) =>
    l.startsWith("|") ? l.replace(/ *\| */g, "|").replace(/-{3,}/g, "---") : l
  ).join("\n");
}

/** `page` with the generated part `name` replaced by `content`. */
export function withGenerated(page: string, name: string, content: string): string {
  const begin = new RegExp(`<!-- generated: ${name}\\b[^>]*-->`);
  const m = page.match(begin);
  const end = "<!-- generated: end -->";
  const b = m ? page.indexOf(end, m.index!) : -1;
  if (!m || b < 0) throw new Error(`no "<!-- generated: ${name} -->" ... "${end}" in the page`);
  const a = m.index! + m[0].length;
  return `${page.slice(0, a)}\n\n${content}\n\n${page.slice(b)}`;
}

/** Every page with its generated parts, as they should be: path → text. */
export function generatedPages(root: URL): Map<string, string> {
  const groups = resultGroups(new URL("bench/results/", root));
  const parts: [string, string, string][] = [
    ["docs/rules.md", "rules", rulesMarkdown()],
    ["README.md", "bench-summary", benchSummary(groups)],
    ["docs/benchmarks.md", "bench-all", benchAll(groups)],
  ];
  const pages = new Map<string, string>();
  for (const [path, name, content] of parts) {
    const page = pages.get(path) ?? readFileSync(new URL(path, root), "utf8");
    pages.set(path, withGenerated(page, name, content));
  }
  return pages;
}

if (import.meta.main) {
  const cli = parseCli({
    name: "tools/docs.ts",
    summary:
      "Rewrites the generated parts of README.md and docs/ (the rules, the benchmark tables) from\ntheir sources: core/rules.ts and the committed results in bench/results/.",
    flags: {
      check: { type: "boolean", description: "exit 1 when a part is not current; write nothing" },
    },
  });
  const root = new URL("../", import.meta.url);
  const stale: string[] = [];
  for (const [path, text] of generatedPages(root)) {
    const now = readFileSync(new URL(path, root), "utf8");
    if (withoutTablePadding(now) === withoutTablePadding(text)) continue;
    stale.push(path);
    if (!cli.flag("check")) writeFileSync(new URL(path, root).pathname, text);
  }
  if (cli.flag("check") && stale.length) {
    console.error(`not current: ${stale.join(", ")}: run deno task docs`);
    process.exit(1);
  }
  if (!cli.flag("check")) console.log(stale.length ? `rewrote ${stale.join(", ")}` : "all current");
}
