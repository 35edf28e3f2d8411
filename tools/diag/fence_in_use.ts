// The steps of tests/sync/fence_test.ts "a fence in use, or signaled, is refused ..." one by one,
// each named on stderr before it runs and timed after: `bun test` hung in that test on an NVIDIA
// H200 (driver 580.159.04) where Deno passed it, and a blocking FFI call cannot be interrupted,
// so the last line printed names the call that never returned.
//   deno run -A tools/diag/fence_in_use.ts      bun tools/diag/fence_in_use.ts
import { parseCli } from "../../cli/_args.ts";
import { rt } from "../../ffi/runtime.ts";
import { boundBuffer } from "../../memory/mod.ts";
import { CommandBuffer, Device, Fence, Instance, Semaphore, ShareError } from "../../mod.ts";

const cli = parseCli({
  name: "tools/diag/fence_in_use.ts",
  summary:
    "Runs the steps of the fence-in-use test one by one, naming each on stderr before it runs, so\nthat a call that never returns is the last one named. Exit 0 when every step did what the test\nexpects, 1 otherwise.",
  flags: {
    device: { type: "string", value: "N", description: "the device, by index", default: "0" },
  },
});
const index = cli.int("device", { min: 0 });

let failed = false;
/** Runs `fn` as step `what`, saying so before and after; `expect` checks what it returned. */
function step<T>(what: string, fn: () => T, expect?: (v: T) => boolean): T | undefined {
  console.error(`${rt.name}: ${what} ...`);
  const t0 = performance.now();
  try {
    const v = fn();
    const ok = expect ? expect(v) : true;
    if (!ok) failed = true;
    console.error(
      `${rt.name}:   ${ok ? "ok" : "UNEXPECTED"} (${(performance.now() - t0).toFixed(2)} ms)${
        v === undefined ? "" : `: ${String(v)}`
      }`,
    );
    return v;
  } catch (e) {
    const refused = e instanceof ShareError ? `ShareError ${e.rule}` : String(e);
    const ok = expect ? expect(refused as T) : false;
    if (!ok) failed = true;
    console.error(`${rt.name}:   ${ok ? "refused, as expected" : "THREW"}: ${refused}`);
    return undefined;
  }
}

using instance = Instance.create();
const pds = instance.physicalDevices();
if (index >= pds.length) cli.fail(`--device: ${index}, but there are ${pds.length} device(s)`);
const pd = pds[index];
console.error(`${rt.name} ${rt.version}: ${pd.name} (${pd.driverVersionString})`);
using device = Device.create(pd);
const q = device.queue();
using gate = Semaphore.create(device, { type: "timeline" });
using f = Fence.create(device);
using out = boundBuffer(device, {
  size: 256,
  memory: { properties: ["HOST_VISIBLE", "HOST_COHERENT"] },
});
using cmd = CommandBuffer.create(device).record((r) => r.fill(out, 7).hostRead(out));
const refusedAs = (rule: string) => (v: unknown) => v === `ShareError ${rule}`;

step(
  "submit: wait for gate = 1, then fill, signal the fence",
  () => q.submit({ wait: [{ semaphore: gate, value: 1 }], commandBuffers: [cmd], fence: f }),
);
step("fence.reset() while in use", () => f.reset(), refusedAs("IN_USE"));
step("submit with the fence in use", () => q.submit({ fence: f }), refusedAs("IN_USE"));
step("fence.status() (vkGetFenceStatus)", () => f.status(), (v) => v === "unsignaled");
step(
  "fence.wait(10 ms) (vkWaitForFences, timeout 10,000,000 ns)",
  () => f.wait(10),
  (v) => v === "timeout",
);
step("gate.value (vkGetSemaphoreCounterValue)", () => gate.value, (v) => v === 0n);
step("gate.signal(1) (vkSignalSemaphore)", () => gate.signal(1));
step("fence.wait(10 s)", () => f.wait(10_000), (v) => v === "signaled");
step("the fill's byte", () => out.memory!.map()[0], (v) => v === 7);
step("fence.reset()", () => f.reset());
console.error(
  `${rt.name}: ${
    failed ? "a step did not do what the test expects" : "every step as the test expects"
  }`,
);
process.exit(failed ? 1 : 0);
