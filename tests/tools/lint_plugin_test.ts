// tools/lint_plugin.ts, the rules `deno lint` adds: each fires where it should and nowhere else
// (Deno.lint.runPlugin runs a plugin on a source; deno lint runs it on the whole tree in CI).
import { assertEquals } from "@std/assert";
import plugin, { MAX_FUNCTION_LINES } from "../../tools/lint_plugin.ts";
import { test } from "../_harness.ts";

// Deno.lint is Deno's (deno lint runs the plugin): on Bun and Node the tests check the plugin's rules are
// there, and run them on Deno only.
const onDeno = "Deno" in globalThis;

const run = (file: string, source: string): string[] =>
  Deno.lint.runPlugin(plugin, file, source).map((d) => d.id);

const fn = (lines: number) =>
  `export function f(): number {\n${"  1;\n".repeat(lines - 3)}  return 1;\n}\n`;

test(
  "lint plugin: a library function over the limit is reported; tests, tools and examples are not library",
  () => {
    assertEquals(Object.keys(plugin.rules), ["function-length", "no-tests-import"]);
    if (!onDeno) return;
    assertEquals(run("/r/share/a.ts", fn(MAX_FUNCTION_LINES)), []);
    assertEquals(run("/r/share/a.ts", fn(MAX_FUNCTION_LINES + 1)), ["vkshare/function-length"]);
    for (const dir of ["tests", "tools", "bench", "examples"]) {
      assertEquals(run(`/r/${dir}/a.ts`, fn(MAX_FUNCTION_LINES + 1)), [], dir);
    }
  },
);

test("lint plugin: an import from tests/ outside tests/ is reported", () => {
  assertEquals(plugin.name, "vkshare");
  if (!onDeno) return;
  const src = 'import { test } from "../tests/_harness.ts";\nexport { x } from "../tests/y.ts";\n';
  assertEquals(run("/r/bench/run.ts", src), [
    "vkshare/no-tests-import",
    "vkshare/no-tests-import",
  ]);
  assertEquals(run("/r/tests/a_test.ts", src), []);
  assertEquals(run("/r/bench/run.ts", 'import { x } from "../tools/peer.ts";\n'), []);
});
