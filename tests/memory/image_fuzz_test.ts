// A hostile peer's image descriptions, fuzzed: 3,000 a run (seeded), each a genuine description
// with fields changed, made with GpuImage.fromTarget in a process of its own, bound to the
// genuine export's memory (imported under that description) or to memory of its own, and read
// back. None crashes the process; each is refused with a ShareError, or made and read within its
// memory; a script's own misuse (reading an image made without TRANSFER_SRC) is its RangeError.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals } from "@std/assert";
import { peerCommand } from "../../ipc/peer.ts";
import { test } from "../_harness.ts";
import { cannotShare } from "../_memory.ts";

const FUZZ = new URL("./_image_fuzz.ts", import.meta.url).pathname;
const COUNT = 3000;

test(
  `image descriptions, fuzzed: ${COUNT} a run crash nothing and are refused by rule or read within their memory`,
  {
    skip: cannotShare("OPAQUE_FD"),
  },
  () => {
    const [program, ...args] = peerCommand(FUZZ, ["7", String(COUNT)]);
    const r = spawnSync(program, args, { encoding: "utf8" });
    assertEquals(r.status, 0, `the fuzz process ended with ${r.status}: ${r.stderr.slice(-2000)}`);
    const { count, ended } = JSON.parse(r.stdout) as {
      count: number;
      ended: Record<string, number>;
    };
    assertEquals(Object.values(ended).reduce((a, b) => a + b, 0), count);
    const rules = /^(fromTarget|bound or read): [A-Z][A-Z_0-9]+$/;
    for (const [how, n] of Object.entries(ended)) {
      assert(
        rules.test(how) || how === "read within its memory"
          || how.includes("was created without TRANSFER_SRC"),
        `${n} ended: ${how}`,
      );
    }
    assert(!Object.keys(ended).some((h) => h.includes("PAST")), JSON.stringify(ended));
    assert((ended["read within its memory"] ?? 0) > 100, JSON.stringify(ended));
  },
);
