/**
 * The `ts` blocks of the project's Markdown pages (README.md, docs/), each a whole program: what
 * tests/docs_test.ts runs, and what `.ci/package` runs against the package installed by name.
 *
 *     deno run -A tools/blocks.ts FILE [--index N] [--heading TEXT]
 *
 * prints block N (from 1; default 1) of FILE, or the first block under the heading TEXT. A block
 * that needs a capability says so in an HTML comment above it (`<!-- needs: OPAQUE_FD memory -->`).
 *
 * @module
 */
// @ts-types="../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { parseCli } from "../cli/_args.ts";

/** One `ts` block of a page. */
export interface Block {
  /** The heading it is under (`(top)` above the first). */
  heading: string;
  /** Its code, with a final newline. */
  code: string;
  /** What it needs (its `<!-- needs: ... -->` comment), or null. */
  needs: string | null;
  /** Its first line of code in the page (from 1). */
  line: number;
}

/** The `ts` blocks of `markdown`, with the heading above each and what it needs. */
export function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = "(top)";
  let needs: string | null = null;
  let fence: string | null = null;
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    // A fence opens with ``` (and a language, or none) and closes with the same; headings and
    // comments inside another language's block are its text, not the page's.
    if (fence !== null) {
      if (l.trimEnd() === fence) fence = null;
      continue;
    }
    if (l.startsWith("#")) heading = l.replace(/^#+\s*/, "");
    const m = l.match(/^<!-- needs: (.+) -->$/);
    if (m) needs = m[1];
    if (l === "```ts") {
      const end = lines.indexOf("```", i + 1);
      if (end < 0) throw new Error(`an unclosed ts block under "${heading}" (line ${i + 1})`);
      blocks.push({ heading, code: lines.slice(i + 1, end).join("\n") + "\n", needs, line: i + 2 });
      needs = null;
      i = end;
    } else if (/^```/.test(l)) fence = "```";
  }
  return blocks;
}

if (import.meta.main) {
  const cli = parseCli({
    name: "tools/blocks.ts",
    summary:
      "Prints one ts block of a Markdown page: the Nth (from 1), or the first under a heading.",
    positionals: true,
    flags: {
      index: { type: "string", value: "N", description: "which block, from 1", default: "1" },
      heading: { type: "string", value: "TEXT", description: "the first block under this heading" },
    },
  });
  const [file] = cli.positionals;
  if (file === undefined || cli.positionals.length > 1) cli.fail("expected one FILE");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    cli.fail(`cannot read ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const blocks = tsBlocks(text!);
  const heading = cli.string("heading");
  const block = heading === undefined
    ? blocks[cli.int("index", { min: 1 }) - 1]
    : blocks.find((b) => b.heading === heading);
  if (!block) {
    cli.fail(
      `${file} has no such block (its ts blocks: ${
        blocks.map((b, i) => `${i + 1} "${b.heading}"`).join(", ") || "none"
      })`,
    );
  }
  process.stdout.write(block!.code);
}
