// Every `ts` block of README.md runs as written, as a script of its own with this runtime (Deno
// or Bun), and prints what its comments say where a test below checks it. A block that needs a
// capability says so in an HTML comment above it (`<!-- needs: OPAQUE_FD memory -->`); it is
// skipped, naming what is missing, where the first device lacks it.
// @ts-types="../cli/_node/fs.d.ts"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
// @ts-types="../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { externalBufferProperties, relayRefusal } from "../mod.ts";
import { runScript, test } from "./_harness.ts";
import { cannotShare } from "./_memory.ts";
import { cannotShareSemaphore } from "./_sync.ts";
import { sharedInstance } from "./_vk.ts";

interface Block {
  heading: string;
  code: string;
  needs: string | null;
}

/** The `ts` blocks of `markdown`, with the heading above each and what it needs. */
export function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = "(top)";
  let needs: string | null = null;
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("#")) heading = l.replace(/^#+\s*/, "");
    const m = l.match(/^<!-- needs: (.+) -->$/);
    if (m) needs = m[1];
    if (l === "```ts") {
      const end = lines.indexOf("```", i + 1);
      assert(end > i, `an unclosed ts block under "${heading}"`);
      blocks.push({ heading, code: lines.slice(i + 1, end).join("\n") + "\n", needs });
      needs = null;
      i = end;
    }
  }
  return blocks;
}

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks = tsBlocks(README);

/** Why a block that needs `needs` cannot run here, or false. */
function missing(needs: string | null): string | false {
  if (needs === null) return false;
  if (needs === "OPAQUE_FD memory") return cannotShare("OPAQUE_FD");
  if (needs === "OPAQUE_WIN32 memory") return cannotShare("OPAQUE_WIN32");
  if (needs === "OPAQUE_FD relays") {
    const pd = sharedInstance().physicalDevices()[0];
    const again = externalBufferProperties(pd, { handleType: "OPAQUE_FD" });
    return cannotShare("OPAQUE_FD") || relayRefusal(pd)
      || (again.exportFromImportedHandleTypes.includes("OPAQUE_FD")
        ? false
        : `${pd.name} cannot export imported OPAQUE_FD memory again`);
  }
  if (needs === "OPAQUE_FD timeline semaphores") {
    return cannotShareSemaphore("timeline", "OPAQUE_FD");
  }
  throw new Error(`README: unknown need "${needs}"`);
}

/** Runs `code` as a script (its `./mod.ts` imports pointed at this checkout). */
function run(code: string): { code: number; out: string; err: string } {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-readme-`);
  const file = `${dir}/example.ts`;
  writeFileSync(file, code.replaceAll(`"./mod.ts"`, `"${new URL("../mod.ts", import.meta.url)}"`));
  try {
    return runScript(file);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test("the README's ts blocks are found, each a whole program (it imports what it uses)", () => {
  assert(blocks.length >= 6, `${blocks.length} blocks`);
  for (const b of blocks) assertStringIncludes(b.code, `from "./mod.ts"`, b.heading);
  // The extractor itself, on a made-up page.
  const page = "# A\n```ts\nx\n```\n## B\n<!-- needs: OPAQUE_FD memory -->\n\n```ts\ny\n```\n";
  assertEquals(tsBlocks(page), [
    { heading: "A", code: "x\n", needs: null },
    { heading: "B", code: "y\n", needs: "OPAQUE_FD memory" },
  ]);
});

const expected: Record<string, (out: string) => void> = {
  "vkshare": (out) => assertStringIncludes(out, "exports buffer memory as"),
  "Share memory between two devices": (out) =>
    assertStringIncludes(out, "Uint8Array(4) [ 1, 2, 3, 4 ]"),
  "Relays": (out) => assertStringIncludes(out, "Uint8Array(3) [ 7, 8, 9 ]"),
  "Synchronize two devices": (out) => assertEquals(out, "timeout\nsignaled 1n\n"),
  "Share between processes": (out) => assertStringIncludes(out, "Uint8Array(4) [ 1, 2, 3, 4 ]"),
  "Share with CUDA": (out) =>
    assert(
      out === "no CUDA driver here\n"
        || out.includes("done signaled\nUint8Array(4) [ 120, 86, 52, 18 ]"),
      out,
    ),
};

blocks.forEach((b, i) => {
  test(`README block ${i + 1} ("${b.heading}") runs as written`, { skip: missing(b.needs) }, () => {
    const r = run(b.code);
    assertEquals(r.code, 0, `${r.err}\n${r.out}`);
    expected[b.heading]?.(r.out);
  });
});
