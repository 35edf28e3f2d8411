// What each Vulkan device here can share, from the capability queries alone (nothing is
// allocated): which handle types its buffer memory exports and imports, and which its
// semaphores and fences do. The full report (images, host memory, memory types, DRM format
// modifiers, the other platforms' handle types) is `vkshare caps`; the proof is `vkshare doctor`.
//
//   deno run -A examples/caps.ts [--json]      (or: bun examples/caps.ts [--json])
import { parseCli } from "../cli/_args.ts";
import { capabilityMatrix, Instance } from "../mod.ts";

const cli = parseCli({
  name: "examples/caps.ts",
  summary:
    "Prints what each Vulkan device here can share (buffer memory, semaphores, fences), from the\ncapability queries alone. The full report: vkshare caps.",
  flags: { json: { type: "boolean", description: "print JSON instead of text" } },
});

using instance = Instance.create({ applicationName: "vkshare caps example" });
const summaries = instance.physicalDevices().map((pd) => {
  const m = capabilityMatrix(pd);
  // What a row can do, as words: ["export", "import"], and "dedicated-only" where that holds.
  const can = (c: { exportable: boolean; importable: boolean; dedicatedOnly?: boolean }) =>
    [c.exportable && "export", c.importable && "import", c.dedicatedOnly && "dedicated-only"]
      .filter((x): x is string => typeof x === "string");
  const memory: Record<string, string[]> = {};
  for (const b of m.buffers) memory[b.handleType] ??= can(b);
  return {
    name: pd.name,
    deviceUUID: pd.deviceUUID,
    memory,
    semaphores: m.semaphores.map((s) => ({ [`${s.semaphoreType} ${s.handleType}`]: can(s) })),
    fences: m.fences.map((f) => ({ [f.handleType]: can(f) })),
  };
});

if (cli.flag("json")) console.log(JSON.stringify(summaries, null, 2));
else if (summaries.length === 0) console.log("no Vulkan device found: run `vkshare doctor`");
for (const s of cli.flag("json") ? [] : summaries) {
  console.log(`${s.name} (deviceUUID ${s.deviceUUID})`);
  const line = (what: string, can: string[]) =>
    console.log(`  ${what.padEnd(30)} ${can.length ? can.join(", ") : "-"}`);
  for (const [type, can] of Object.entries(s.memory)) line(`buffer memory ${type}`, can);
  for (
    const row of [
      ...s.semaphores.map((x) => ["semaphore", x]),
      ...s.fences.map((x) => ["fence", x]),
    ] as const
  ) {
    for (const [type, can] of Object.entries(row[1])) line(`${row[0]} ${type}`, can);
  }
}
