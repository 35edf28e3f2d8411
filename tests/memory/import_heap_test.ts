// What thousands of imports leave behind: nothing that a full collection does not free. (Without
// one, V8 lets the garbage of imports reach old space and collects it later: Deno's RSS grows in
// steps to a plateau; a test of RSS would measure V8's timing, not vkshare.)
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals } from "@std/assert";
import { test } from "../_harness.ts";
import { cannotShare } from "../_memory.ts";

const PROBE = new URL("./_heap_probe.ts", import.meta.url).pathname;

test(
  "4,000 export/import/free cycles: the JS heap after a full collection stays within 1 MiB",
  { skip: cannotShare("OPAQUE_FD") },
  () => {
    const args = "Bun" in globalThis
      ? [PROBE, "4000"]
      : "Deno" in globalThis
      ? ["run", "-A", "--v8-flags=--expose-gc", PROBE, "4000"]
      : ["--expose-gc", PROBE, "4000"];
    const r = spawnSync(process.execPath, args, { encoding: "utf8" });
    assertEquals(r.status, 0, r.stderr);
    const samples = r.stdout.trim().split("\n").map((l) =>
      JSON.parse(l) as { cycles: number; heapMB: number }
    );
    assertEquals(samples.length, 10);
    // From the first tenth on (the JIT's code and the driver's caches are made by then).
    const growth = samples.at(-1)!.heapMB - samples[0].heapMB;
    assert(growth < 1, `the heap grew ${growth.toFixed(2)} MiB: ${JSON.stringify(samples)}`);
  },
);
