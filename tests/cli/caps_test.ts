// `vkshare caps` (cli/caps.ts): the capability report, as tables and as JSON, run as a user runs it.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { capabilityMatrix } from "../../mod.ts";
import { runScript, test } from "../_harness.ts";
import { sharedInstance } from "../_vk.ts";

const CAPS = new URL("../../cli/caps.ts", import.meta.url).pathname;

test("cli/caps.ts --json prints the same matrix as capabilityMatrix", () => {
  const r = runScript(CAPS, ["--json"]);
  assertEquals(r.code, 0, r.err);
  const printed = JSON.parse(r.out);
  const instance = sharedInstance();
  const pds = instance.physicalDevices();
  assertEquals(printed.length, pds.length);
  pds.forEach((pd, i) => {
    const { memoryTypes, memoryHeaps: _h, queueFamilies: _q, ...matrix } = printed[i];
    assertEquals(matrix, JSON.parse(JSON.stringify(capabilityMatrix(pd))));
    assertEquals(memoryTypes, pd.memoryTypes);
  });
});

test("cli/caps.ts prints a readable table for every device", () => {
  const r = runScript(CAPS);
  assertEquals(r.code, 0, r.err);
  const instance = sharedInstance();
  for (const pd of instance.physicalDevices()) {
    assertStringIncludes(r.out, pd.name);
    assertStringIncludes(r.out, pd.deviceUUID);
  }
  for (const s of ["buffers", "images (2D)", "semaphores", "fences", "memory types"]) {
    assertStringIncludes(r.out, s);
  }
  assert(/OPAQUE_FD\s+TRANSFER_SRC\|TRANSFER_DST\s+export import/.test(r.out));
});
