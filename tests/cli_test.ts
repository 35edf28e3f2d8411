// Every command line (examples, bench, tools) answers --help with its usage and exit 0 without
// doing the work, and refuses an unknown flag, a flag without its value, a non-number or an
// out-of-range number with one line ("see --help") and exit 2, before it creates a device: each runs
// with a Vulkan driver list that names nothing, so a CLI that reached vkCreateInstance would fail
// with another status and message.
// @ts-types="../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { assertSkipLine, scriptCommand, test } from "./_harness.ts";

const CLIS = [
  "examples/caps.ts",
  "examples/consumer.ts",
  "examples/cuda_interop.ts",
  "examples/pipeline.ts",
  "examples/producer.ts",
  "examples/share_gl.ts",
  "examples/share_image.ts",
  "examples/share_memory.ts",
  "examples/torch_frames.ts",
  "bench/run.ts",
  "bench/deno_fnpointer.ts",
  "cli/caps.ts",
  "cli/doctor.ts",
  "cli/setup.ts",
  "tools/blocks.ts",
  "tools/docs.ts",
  "tools/layouts.ts",
  "tools/pack.ts",
  "tools/diag/cuda_import_failure.ts",
  "tools/diag/fence_in_use.ts",
  "tools/diag/stress_devices.ts",
  "tools/diag/sync_import_failure.ts",
];

/** A usage error: one line, naming the command, ending "(see --help)". */
function assertUsageLine(err: string, path: string): void {
  const lines = err.trimEnd().split("\n");
  assertEquals(lines.length, 1, `${path}: a usage error of ${lines.length} lines:\n${err}`);
  assert(lines[0].startsWith(`${path}: `) && lines[0].endsWith("(see --help)"), lines[0]);
}

/** Runs `path` with `args`; by default with no driver (VK_DRIVER_FILES names nothing, so creating an instance would fail loudly). */
function cli(
  path: string,
  args: string[],
  env = "VK_DRIVER_FILES=/nonexistent/vkshare-cli-test.json",
) {
  const [cmd, ...argv] = scriptCommand(new URL(`../${path}`, import.meta.url).pathname, args);
  const r = spawnSync("env", [env, cmd, ...argv], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("every CLI: --help prints its usage and exits 0, before any device", () => {
  for (const path of CLIS) {
    const r = cli(path, ["--help"]);
    assertEquals(r.code, 0, `${path} --help: ${r.err}`);
    assertStringIncludes(r.out, `usage: ${path}`);
    assertStringIncludes(r.out, "--help");
  }
});

test("every CLI: an unknown flag prints one line (see --help), and exits 2", () => {
  for (const path of CLIS) {
    const r = cli(path, ["--bogus"]);
    assertEquals(r.code, 2, `${path} --bogus: ${r.out}${r.err}`);
    const [first] = r.err.split("\n");
    assertStringIncludes(first, "--bogus");
    assertUsageLine(r.err, path);
  }
});

test("every CLI: a leading -- (what `deno task NAME -- --flag` passes) is skipped, not a positional", () => {
  for (const path of CLIS) {
    const r = cli(path, ["--", "--help"]);
    assertEquals(r.code, 0, `${path} -- --help: ${r.err}`);
    assertStringIncludes(r.out, `usage: ${path}`);
  }
  // And through deno task itself, as the README writes it.
  if ("Deno" in globalThis) {
    const r = spawnSync(Deno.execPath(), ["task", "bench", "--", "--bogus"], { encoding: "utf8" });
    assertEquals(r.status, 2, r.stderr);
    assertStringIncludes(r.stderr, "--bogus");
  }
});

test("CLIs: missing values, non-numbers, out-of-range numbers and unknown names exit 2 before any device", () => {
  const bad: [string, string[], string][] = [
    ["examples/share_memory.ts", ["--size", "abc"], "--size: expected bytes"],
    ["examples/share_memory.ts", ["--size", "6KB"], "--size: expected bytes"],
    ["bench/run.ts", ["--sizes", "64MiB,5000"], "not a multiple of 4 KiB"],
    ["bench/run.ts", ["--sizes", "64MB"], "is not a size"],
    ["examples/share_memory.ts", ["--size", "6"], "multiple of 4"],
    ["examples/share_memory.ts", ["--handle", "NOPE"], "--handle: expected one of"],
    ["examples/share_memory.ts", ["--size"], "--size"],
    ["examples/pipeline.ts", ["--frames", "0"], "--frames: expected"],
    ["examples/pipeline.ts", ["--mode", "foo"], "--mode: expected one of timeline, binary, host"],
    ["examples/pipeline.ts", ["--depth", "-1"], "--depth"],
    ["examples/pipeline.ts", ["--size", "1000"], "multiple of 64"],
    ["examples/producer.ts", ["--frames", "x"], "--frames: expected an integer"],
    ["examples/consumer.ts", [], "--socket PATH is required"],
    ["examples/consumer.ts", ["--socket"], "--socket"],
    [
      "examples/consumer.ts",
      ["--socket", "/nonexistent/dir/x.sock"],
      "no directory /nonexistent/dir",
    ],
    ["examples/cuda_interop.ts", ["--semaphores", "both"], "--semaphores: expected one of"],
    ["examples/share_image.ts", ["--format", "yuv"], "--format: expected one of"],
    ["examples/share_gl.ts", ["--size", "100"], "multiple of 64"],
    ["examples/share_gl.ts", ["--frames", "x"], "--frames: expected an integer"],
    ["examples/share_image.ts", ["--format", "nv12", "--width", "7"], "multiple of 2"],
    ["examples/torch_frames.ts", ["--size", "6"], "multiple of 4"],
    ["examples/torch_frames.ts", ["--mode", "fast"], "--mode: expected one of"],
    ["examples/torch_frames.ts", ["--compute", "numpy"], "host-copy baseline only"],
    ["bench/run.ts", ["--ops", "nosuch"], 'unknown operation "nosuch"'],
    ["bench/run.ts", ["--rounds", "abc"], "--rounds: expected an integer"],
    ["bench/run.ts", ["--device", "x"], "--device: expected an integer"],
    ["cli/doctor.ts", ["--cuda", "0"], "--cuda goes with --explain"],
    ["bench/run.ts", ["--sizes", "4096,12"], "--sizes"],
    ["bench/run.ts", ["--out", "/proc/vkshare-no"], "--out: cannot write"],
    ["tools/diag/stress_devices.ts", ["--devices", "many"], "--devices"],
    ["tools/diag/fence_in_use.ts", ["--device", "-1"], "--device"],
    ["examples/caps.ts", ["extra"], "extra"],
    ["tools/blocks.ts", [], "expected one FILE"],
    ["tools/blocks.ts", ["README.md", "--index", "0"], "--index: expected at least 1"],
    [
      "tools/blocks.ts",
      ["README.md", "--heading", "No such heading"],
      "README.md has no such block",
    ],
  ];
  for (const [path, args, says] of bad) {
    const t0 = performance.now();
    const r = cli(path, args);
    assertEquals(r.code, 2, `${path} ${args.join(" ")}: ${r.out}${r.err}`);
    assertStringIncludes(r.err.split("\n")[0], says);
    assertUsageLine(r.err, path);
    assert(!r.err.includes("vkCreateInstance"), `${path} ${args.join(" ")} created an instance`);
    assert(performance.now() - t0 < 20_000, `${path} ${args.join(" ")} took long`);
  }
});

test("bench/deno_fnpointer.ts times the same libc call through Deno.dlopen and UnsafeFnPointer (on Deno; elsewhere it says it is Deno's)", () => {
  const r = cli("bench/deno_fnpointer.ts", ["--calls", "1000"]);
  if (!("Deno" in globalThis)) {
    assertEquals(r.code, 2, r.out + r.err);
    assertStringIncludes(r.err, "this reproduction is for Deno");
    return;
  }
  assertEquals(r.code, 0, r.err);
  for (const row of ["getpid()", "memcmp(buffer, buffer, 64)"]) {
    const line = r.out.split("\n").find((l) => l.startsWith(row));
    assert(
      line && /Deno\.dlopen +[\d.]+ ns +UnsafeFnPointer +[\d.]+ ns +[\d.]+x/.test(line),
      r.out,
    );
  }
});

test("what a command needs and this machine lacks is a skip: exit 77, one line naming it", () => {
  const cases: [string, string, string][] = [
    ["examples/share_memory.ts", "VK_DRIVER_FILES=/nonexistent/vkshare.json", "vkCreateInstance"],
    ["examples/cuda_interop.ts", "VKSHARE_LIBCUDA=/nonexistent/libcuda.so.1", "libcuda"],
    ["tools/diag/cuda_import_failure.ts", "VKSHARE_LIBCUDA=/nonexistent/libcuda.so.1", "libcuda"],
    [
      "examples/share_gl.ts",
      "VKSHARE_LIBEGL=/nonexistent/libEGL.so.1",
      "no libEGL.so.1 (EGL comes",
    ],
  ];
  for (const [path, env, says] of cases) {
    const r = cli(path, [], env);
    assertEquals(r.code, 77, `${path} with ${env}: ${r.err}`);
    assertSkipLine(r.err, path, says);
    // No driver: the next step is setup, not the doctor (which cannot start either).
    if (says === "vkCreateInstance") assertStringIncludes(r.err, "; next: vkshare setup");
  }
});
