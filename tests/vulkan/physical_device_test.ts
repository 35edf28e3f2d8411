// PhysicalDevice: identity, memory types and heaps, queue families, extensions, as the driver
// reports them, cross-checked with vulkaninfo where it is installed.
import { assert, assertEquals, assertMatch } from "@std/assert";
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
import { test } from "../_harness.ts";
import { forEachDevice } from "../_vk.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function vulkaninfo(): string | undefined {
  try {
    const r = spawnSync("vulkaninfo", [], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return r.status === 0 ? r.stdout : undefined;
  } catch {
    return undefined;
  }
}
const info = vulkaninfo();

test(
  "identity: name, type, versions and UUIDs are well formed",
  forEachDevice((pd) => {
    assert(pd.name.length > 0);
    assert(["other", "integrated-gpu", "discrete-gpu", "virtual-gpu", "cpu"].includes(pd.type));
    assertMatch(pd.apiVersionString, /^1\.\d+\.\d+$/);
    assertMatch(pd.deviceUUID, UUID);
    assertMatch(pd.driverUUID, UUID);
    assertEquals(pd.idBytes.deviceUUID.length, 16);
    assert(pd.deviceUUID !== "00000000-0000-0000-0000-000000000000");
    assertEquals(pd.toJSON().deviceUUID, pd.deviceUUID);
    assertEquals(JSON.parse(JSON.stringify(pd.toJSON())).name, pd.name);
  }),
);

test(
  "identity matches vulkaninfo",
  { skip: info ? false : "vulkaninfo is missing or failed to run" },
  forEachDevice((pd) => {
    const hex = (u: string) => u.replaceAll("-", "");
    const uuids = [...info!.matchAll(/(deviceUUID|driverUUID)\s*=\s*([0-9a-f-]+)/g)]
      .map((m) => [m[1], hex(m[2])].join(":"));
    assert(
      uuids.includes(`deviceUUID:${hex(pd.deviceUUID)}`),
      `${pd.deviceUUID} not in vulkaninfo`,
    );
    assert(uuids.includes(`driverUUID:${hex(pd.driverUUID)}`));
    assert(info!.includes(pd.name));
  }),
);

test(
  "memory types point at real heaps, and the flags decode",
  forEachDevice((pd) => {
    const types = pd.memoryTypes;
    const heaps = pd.memoryHeaps;
    assert(types.length > 0 && types.length <= 32);
    assert(heaps.length > 0 && heaps.length <= 16);
    for (const t of types) {
      assert(t.heapIndex < heaps.length, `type ${t.index} heap ${t.heapIndex}`);
      assertEquals(t.flags.includes("HOST_VISIBLE"), (t.propertyFlags & 2) !== 0);
    }
    // Every device has a host-visible, host-coherent type (spec: memory-device section).
    assert(
      types.some((t) => t.flags.includes("HOST_VISIBLE") && t.flags.includes("HOST_COHERENT")),
    );
    assert(heaps.some((h) => h.flags.includes("DEVICE_LOCAL") && h.size > 0));
  }),
);

test(
  "queue families: at least one does graphics or compute",
  forEachDevice((pd) => {
    const fams = pd.queueFamilies;
    assert(fams.length > 0);
    assert(fams.some((f) => f.flags.includes("GRAPHICS") || f.flags.includes("COMPUTE")));
    for (const f of fams) assert(f.queueCount > 0);
  }),
);

test(
  "extensions: the external memory fd extension is offered, names are sorted",
  forEachDevice((pd) => {
    const names = pd.extensionNames;
    assertEquals(names, [...names].sort());
    assert(
      pd.hasExtension("VK_KHR_external_memory_fd"),
      `${pd.name} lacks VK_KHR_external_memory_fd`,
    );
    assertEquals(
      pd.minImportedHostPointerAlignment !== null,
      pd.hasExtension("VK_EXT_external_memory_host"),
    );
    const a = pd.minImportedHostPointerAlignment;
    if (a !== null) assertEquals(a & (a - 1), 0, "alignment is a power of two");
  }),
);

test(
  "maxTimelineSemaphoreValueDifference is at least the spec's minimum where timelines exist",
  forEachDevice((pd) => {
    const max = pd.maxTimelineSemaphoreValueDifference;
    if (!pd.timelineSemaphores) return assertEquals(max, null);
    assert(typeof max === "bigint" && max >= 2n ** 31n - 1n, `${pd.name}: ${max}`);
  }),
);
