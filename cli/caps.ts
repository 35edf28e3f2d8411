// Prints every Vulkan device and what it can share: identity, memory types, and the matrix of
// external memory (buffers, images), semaphores, fences and host pointers.
//
//   deno run -A cli/caps.ts            a readable table
//   deno run -A cli/caps.ts --json     the same as JSON, for machines
import { type CapabilityMatrix, capabilityMatrix, Instance } from "../mod.ts";
import { parseCli } from "./_args.ts";

const cli = parseCli({
  name: "cli/caps.ts",
  summary:
    "Prints every Vulkan device and what it can share: identity, memory types, and the matrix of\nexternal memory (buffers, images), semaphores, fences and host pointers.",
  flags: { json: { type: "boolean", description: "print JSON instead of tables" } },
});
const json = cli.flag("json");
using instance = Instance.create({ applicationName: "vkshare caps" });
const devices = instance.physicalDevices();

if (json) {
  const out = devices.map((pd) => ({
    ...capabilityMatrix(pd),
    memoryTypes: pd.memoryTypes,
    memoryHeaps: pd.memoryHeaps.map((h) => ({ ...h, size: h.size.toString() })),
    queueFamilies: pd.queueFamilies,
  }));
  console.log(JSON.stringify(out, null, 2));
} else {
  if (devices.length === 0) console.log("no Vulkan device found");
  for (const pd of devices) {
    const m = capabilityMatrix(pd);
    printDevice(m);
    section("memory types");
    table(
      ["index", "heap", "flags"],
      pd.memoryTypes.map((t) => [String(t.index), String(t.heapIndex), t.flags.join(" ") || "-"]),
    );
    section("memory heaps");
    table(
      ["index", "size", "flags"],
      pd.memoryHeaps.map((h) => [String(h.index), gib(h.size), h.flags.join(" ") || "-"]),
    );
    printMatrix(m);
    console.log();
  }
}

function printDevice(m: CapabilityMatrix): void {
  const d = m.device;
  console.log(`\n${d.index}: ${d.name}`);
  console.log(
    `   type ${d.type}, vendor ${d.vendor} (0x${d.vendorId.toString(16)}), device 0x${
      d.deviceId.toString(16)
    }`,
  );
  console.log(
    `   Vulkan ${d.apiVersion}, driver ${d.driverName ?? "?"} ${d.driverVersion} (${
      d.driverInfo ?? "-"
    })`,
  );
  console.log(`   deviceUUID ${d.deviceUUID}`);
  console.log(`   driverUUID ${d.driverUUID}`);
  console.log(`   deviceLUID ${d.deviceLUID ?? "-"}`);
  const exts = Object.entries(m.extensions).map(([e, ok]) => `${ok ? "+" : "-"}${e}`);
  console.log(`   extensions ${exts.join(" ")}`);
  console.log(
    `   host pointers: ${
      m.hostPointer ? `alignment ${m.hostPointer.minImportedHostPointerAlignment}` : "no"
    }; timeline semaphores: ${m.timelineSemaphores ? "yes" : "no"}`,
  );
}

function features(
  c: { exportable: boolean; importable: boolean; dedicatedOnly?: boolean; unsupported?: string },
) {
  if (c.unsupported) return `- (${c.unsupported})`;
  const f = [
    c.exportable ? "export" : "",
    c.importable ? "import" : "",
    c.dedicatedOnly ? "dedicated-only" : "",
  ]
    .filter(Boolean);
  return f.length ? f.join(" ") : "-";
}

function printMatrix(m: CapabilityMatrix): void {
  section("buffers");
  table(
    ["handle type", "usage", "features", "compatible"],
    m.buffers.map((
      b,
    ) => [b.handleType, b.usage.join("|"), features(b), b.compatibleHandleTypes.join(" ") || "-"]),
  );
  section("images (2D)");
  table(
    ["handle type", "format", "tiling", "usage", "features", "max extent"],
    m.images.map((i) => [
      i.handleType,
      i.format,
      i.tiling,
      i.usage.join("|"),
      i.supported ? features(i) : `- (${i.unsupported})`,
      i.maxExtent ? `${i.maxExtent.width}x${i.maxExtent.height}` : "-",
    ]),
  );
  section("semaphores");
  table(
    ["handle type", "type", "features", "compatible"],
    m.semaphores.map((
      s,
    ) => [s.handleType, s.semaphoreType, features(s), s.compatibleHandleTypes.join(" ") || "-"]),
  );
  section("fences");
  table(
    ["handle type", "features", "compatible"],
    m.fences.map((f) => [f.handleType, features(f), f.compatibleHandleTypes.join(" ") || "-"]),
  );
  section("the seeds' other handle types (Windows, Android, NV)");
  table(
    ["object", "handle type", "features"],
    m.otherHandleTypes.map((r) => [r.object, r.handleType, features(r)]),
  );
  section("DRM format modifiers");
  const drm = m.drmFormatModifiers;
  if ("unsupported" in drm) console.log(`   - (${drm.unsupported})`);
  else {
    table(
      ["format", "modifier", "planes", "features"],
      drm.flatMap((f) =>
        f.modifiers.length
          ? f.modifiers.map((
            x,
          ) => [f.format, x.hex, String(x.planeCount), x.tilingFeatures.join(" ")])
          : [[f.format, "-", "-", "none offered"]]
      ),
    );
  }
}

function section(title: string): void {
  console.log(`\n   ${title}`);
}

function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => "   " + r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
  console.log(line(head));
  console.log(line(w.map((n) => "-".repeat(n))));
  for (const r of rows) console.log(line(r));
}

function gib(n: number): string {
  return `${(n / 2 ** 30).toFixed(1)} GiB`;
}
