// The benchmark runner as a user runs it (one op, quick, into a temporary folder): it writes JSON
// with a fingerprint, Markdown and SVG; its statistics, its C reference (where cc is here) and its
// Python reference (where python3 is); the GL rows where the device's GPU has GL.
// @ts-types="../cli/_node/fs.d.ts"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
// @ts-types="../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { bytes, duration } from "../bench/report.ts";
import { type Results, stats } from "../bench/run.ts";
import { rt } from "../ffi/runtime.ts";
import { type GlFacts, probeGl } from "../gl/mod.ts";
import { externalSemaphoreProperties } from "../share/mod.ts";
import { haveCompiler } from "../tools/layout_c.ts";
import { runScript, test } from "./_harness.ts";
import { sharedInstance } from "./_vk.ts";

test("stats: count, min, percentiles and max of the samples", () => {
  const s = stats(Array.from({ length: 100 }, (_, i) => 100 - i));
  assertEquals(s, { count: 100, min: 1, p50: 51, p90: 91, p99: 100, max: 100 });
  assertEquals(duration(37), "37 ns");
  assertEquals(duration(4400), "4.40 µs");
  assertEquals(duration(1_630_000), "1.63 ms");
  assertEquals(bytes(1 << 30), "1 GiB");
});

test("bench/run.ts --quick writes JSON, Markdown and SVG, with the C and Python references beside vkshare", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-bench-test-`);
  try {
    const r = runScript(new URL("../bench/run.ts", import.meta.url).pathname, [
      "--quick",
      "--ops",
      "query,query.ffi,mem.alloc",
      "--sizes",
      "4096",
      "--out",
      dir,
    ]);
    assertEquals(r.code, 0, r.err);
    const files = readdirSync(dir).sort();
    assertEquals(files.map((f) => f.replace(/^.*\./, "")), ["json", "md", "svg"]);
    const json: Results = JSON.parse(readFileSync(`${dir}/${files[0]}`, "utf8"));
    assert(json.fingerprint.gpu && json.fingerprint.deviceUUID && json.fingerprint.kernel);
    assertEquals(json.rows.map((x) => x.op), ["query", "query.ffi", "mem.alloc"]);
    // The C reference is built wherever cc and the Vulkan headers are (a new machine has neither).
    const withC = json.fingerprint.compiler !== null;
    assertEquals(withC, haveCompiler(), `compiler: ${json.fingerprint.compiler}`);
    // The Python reference (ctypes, no packages) runs wherever python3 is.
    const withPython = spawnSync("python3", ["--version"]).status === 0;
    for (const row of json.rows) {
      if (row.notes.some((n) => n.startsWith("not run"))) continue;
      assert(row.vkshare!.warm.count > 0 && row.vkshare!.warm.p50 > 0, row.op);
      if (withC && row.op !== "query.ffi") {
        assert(row.c && row.c.warm.p50 > 0, `${row.op}: no C side`);
        assert(row.ratio! > 0 && row.target !== null, row.op);
      }
      const python = withPython && row.op !== "query.ffi";
      assertEquals(Boolean(row.python?.warm.p50), python, `${row.op}: Python side`);
    }
    const md = readFileSync(`${dir}/${files[1]}`, "utf8");
    assertStringIncludes(md, "| operation | size | vkshare p50");
    assertStringIncludes(md, "| Python (ctypes) p50 |");
    assertStringIncludes(md, json.fingerprint.gpu);
    const chart = readFileSync(`${dir}/${files[2]}`, "utf8");
    assertStringIncludes(chart, "<svg");
    // The ratio chart with its legend and axis title, rows by their titles.
    for (
      const s of [
        "vkshare p50 / C p50",
        "target met",
        "target missed",
        "runtime: its bare call is over",
      ]
    ) {
      assertStringIncludes(chart, s);
    }
    // A row is drawn in the ratio chart only against its C side; without one the chart says why.
    if (withC) assertStringIncludes(chart, "capability query (externalBufferProperties)");
    else {
      assertStringIncludes(chart, "C: not built");
      assertStringIncludes(chart, "no row has a C side: the C reference was not built here");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("query.fnpointer: its target is 2 × query.ffi's, beside libffi's ffi_call alone where it calls pointers", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-bench-test-`);
  try {
    const json = quickRun("query,query.ffi,query.fnpointer,query.ffi_call", dir);
    const row = (op: string) => json.rows.find((r) => r.op === op)!;
    const [f, p, bare] = ["query.ffi", "query.fnpointer", "query.ffi_call"].map(row);
    assertEquals(p.target!.rule, "p50 ≤ 2 × query.ffi's");
    const times = p.vkshare!.warm.p50 / f.vkshare!.warm.p50;
    assertEquals(p.target!.met, times <= 2);
    assertStringIncludes(p.notes.join("\n"), `${times.toFixed(2)} × query.ffi's p50`);
    if (rt.fnPointers === "libffi") {
      assert(bare.vkshare!.warm.p50 > 0, "ffi_call alone was timed");
      assertStringIncludes(p.notes.join("\n"), "libffi's ffi_call alone (query.ffi_call) takes");
    } else {
      assertEquals(
        bare.vkshare ?? null,
        null,
        `${rt.name} calls pointers through ${rt.fnPointers}`,
      );
      assertStringIncludes(bare.notes.join("\n"), "not libffi");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `bench/run.ts --quick --ops <op>` into `dir`: its results. */
function quickRun(op: string, dir: string): Results {
  const path = new URL("../bench/run.ts", import.meta.url).pathname;
  const r = runScript(path, ["--quick", "--ops", op, "--out", dir]);
  assertEquals(r.code, 0, r.err);
  const file = readdirSync(dir).find((f) => f.endsWith(".json"))!;
  return JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
}

test("the handoff row: each side's phases, after a warm-up, beside C's and Python's pairs", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-bench-test-`);
  try {
    const json = quickRun("handoff", dir);
    const [row] = json.rows;
    assertEquals([json.rows.length, row.op, row.size], [1, "handoff", 1 << 16]);
    // --quick: 20 measured handoffs (after the cold one, and a warm-up of at least 20 handoffs
    // and 20 ms: the peer counts the measured ones' phases only).
    assertEquals([row.vkshare!.warm.count, row.vkshare!.cold.count], [20, 1]);
    const notes = row.notes.join("\n");
    assert(
      /vkshare per handoff \(p50\): export [\d.]+ us, send [\d.]+ us, wait for the ack [\d.]+ us; consumer phases: receive [\d.]+ us, import [\d.]+ us, free [\d.]+ us, ack [\d.]+ us/
        .test(notes),
      notes,
    );
    if (spawnSync("python3", ["--version"]).status === 0) {
      assertEquals(row.python!.warm.count, 20);
      assert(
        /Python per handoff \(p50\): consumer phases: receive [\d.]+ us, .*; phases: export [\d.]+ us/
          .test(notes),
        notes,
      );
    } else assertEquals(row.python ?? null, null);
    if (haveCompiler()) {
      assertEquals(row.c!.warm.count, 20);
      assertEquals(row.target!.rule, "p50 ≤ 2 × C");
      assert(/C per handoff \(p50\): consumer phases: receive [\d.]+ us/.test(notes), notes);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the pipeline row: the example's frame loop against the same loop in C, in the same mode", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-bench-test-`);
  try {
    const json = quickRun("pipeline", dir);
    const [row] = json.rows;
    assertEquals([json.rows.length, row.op, row.size], [1, "pipeline", 1 << 20]);
    // --quick: 2 rounds of 20 frames, each checked word for word on both sides.
    assertEquals(row.vkshare!.warm.count, 40);
    assert(row.notes.some((n) => /^(timeline|host) mode/.test(n)), row.notes.join("; "));
    if (haveCompiler()) {
      assertEquals(row.c!.warm.count, 40);
      assert(row.c!.warm.p50 > 0 && row.ratio! > 0);
      assertEquals(row.target!.rule, "p50 ≤ 1.25 × C");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const glFacts = probeGl(sharedInstance().physicalDevices()[0]);

test(
  "the GL rows: the import beside C's same calls, the semaphore round trip where GL has semaphores",
  { skip: typeof glFacts === "string" ? glFacts : false },
  () => {
    const dir = mkdtempSync(`${tmpdir()}/vkshare-bench-test-`);
    try {
      const path = new URL("../bench/run.ts", import.meta.url).pathname;
      const args = ["--quick", "--ops", "gl.import,gl.semaphore", "--sizes", "64KiB", "--out", dir];
      const r = runScript(path, args);
      assertEquals(r.code, 0, r.err);
      const file = readdirSync(dir).find((f) => f.endsWith(".json"))!;
      const json: Results = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
      assertEquals(json.rows.map((x) => x.op), ["gl.import", "gl.semaphore"]);
      const [imports, roundTrip] = json.rows;
      const semaphores = (glFacts as GlFacts).extensions.includes("GL_EXT_semaphore_fd")
        && externalSemaphoreProperties(sharedInstance().physicalDevices()[0], {
          handleType: "OPAQUE_FD",
        }).exportable;
      const measured = semaphores ? [imports, roundTrip] : [imports];
      for (const row of measured) {
        assert(row.vkshare!.warm.count > 0 && row.vkshare!.warm.p50 > 0, row.notes.join("; "));
        if (haveCompiler()) assert(row.c!.warm.p50 > 0, `${row.op}: ${row.notes.join("; ")}`);
      }
      if (!semaphores) {
        assertEquals(roundTrip.vkshare, null);
        assert(
          roundTrip.notes.some((n) => /^not run: .*(GL_EXT_semaphore_fd|semaphore)/.test(n)),
          roundTrip.notes.join("; "),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "vkbench.py's ctypes structs have the sizes and field offsets cc gives from vulkan_core.h",
  {
    skip: !haveCompiler()
      ? "no C compiler or Vulkan headers (cc, libvulkan-dev)"
      : spawnSync("python3", ["--version"]).status !== 0
      ? "no python3"
      : false,
  },
  () => {
    const py = spawnSync("python3", [
      new URL("../bench/reference/vkbench.py", import.meta.url).pathname,
      "--layouts",
    ], { encoding: "utf8" });
    assertEquals(py.status, 0, py.stderr);
    const layouts: Record<string, { size: number; fields: Record<string, number> }> = JSON.parse(
      py.stdout,
    );
    assert(Object.keys(layouts).length >= 25, Object.keys(layouts).join(", "));
    const lines = Object.entries(layouts).map(([name, l]) =>
      `  printf("%s %zu${
        Object.keys(l.fields).map(() => " %zu").join("")
      }\\n", "${name}", sizeof(${name})${
        Object.keys(l.fields).map((f) => `, offsetof(${name}, ${f})`).join("")
      });`
    );
    const dir = mkdtempSync(`${tmpdir()}/vkshare-vkbench-py-`);
    try {
      const src = `${dir}/layouts.c`;
      writeFileSync(
        src,
        `#include <stddef.h>\n#include <stdio.h>\n#include <vulkan/vulkan.h>\nint main(void) {\n${
          lines.join("\n")
        }\n  return 0;\n}\n`,
      );
      const cc = spawnSync("cc", ["-o", `${dir}/layouts`, src], { encoding: "utf8" });
      assertEquals(cc.status, 0, cc.stderr);
      const out = spawnSync(`${dir}/layouts`, [], { encoding: "utf8" }).stdout.trim().split("\n");
      const want = Object.entries(layouts).map(([name, l]) =>
        [name, l.size, ...Object.values(l.fields)].join(" ")
      );
      assertEquals(out, want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
