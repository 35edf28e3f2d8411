// The allocation and host-import plans (share/allocate_plan.ts), without a driver: each rule on
// made-up facts, the order the rules are reported in, and the plan when none is broken.
import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  type AllocateRequest,
  type AllocationTargetFacts,
  declaredHandleTypes,
  externalDeclarationRules,
  type HostImportRequest,
  planAllocate,
  planHostImport,
} from "../../share/allocate_plan.ts";
import type { ExternalMemoryCapability } from "../../share/capabilities.ts";
import { test } from "../_harness.ts";

// Two memory types: 0 device-local, 1 host-visible and coherent (NVIDIA's order, roughly).
const TYPES = [
  { index: 0, propertyFlags: 0x1, flags: ["DEVICE_LOCAL"] },
  { index: 1, propertyFlags: 0x6, flags: ["HOST_VISIBLE", "HOST_COHERENT"] },
];

function target(over: Partial<AllocationTargetFacts> = {}): AllocationTargetFacts {
  return {
    label: "Buffer 0x1",
    sameDevice: true,
    bound: false,
    requirements: {
      size: 65536,
      memoryTypeBits: 0b11,
      requiresDedicated: false,
      prefersDedicated: false,
    },
    externalHandleTypes: ["OPAQUE_FD"],
    ...over,
  };
}

function cap(over: Partial<ExternalMemoryCapability> = {}): ExternalMemoryCapability {
  return {
    handleType: "OPAQUE_FD",
    exportable: true,
    importable: true,
    dedicatedOnly: false,
    compatibleHandleTypes: ["OPAQUE_FD"],
    exportFromImportedHandleTypes: ["OPAQUE_FD"],
    ...over,
  };
}

function allocate(over: Partial<AllocateRequest> = {}) {
  return planAllocate({ device: "gpu", memoryTypes: TYPES, exportAs: [], ...over });
}

const rules = (r: { ok: boolean; broken?: { rule: string }[] }) =>
  r.ok ? [] : r.broken!.map((b) => b.rule);

test("planAllocate: a plain allocation prefers device-local memory; asked flags choose the type", () => {
  assertEquals(allocate({ size: 4096n }), {
    ok: true,
    plan: { size: 4096n, memoryTypeIndex: 0, dedicated: false },
  });
  const host = allocate({ size: 4096n, properties: 0x2 });
  assert(host.ok && host.plan.memoryTypeIndex === 1);
  // For a target: its requirement's size, and dedicated where it prefers it.
  const r = allocate({
    target: target({ requirements: { ...target().requirements, prefersDedicated: true } }),
  });
  assertEquals(r, { ok: true, plan: { size: 65536n, memoryTypeIndex: 0, dedicated: true } });
});

test("planAllocate: WRONG_DEVICE, ALREADY_BOUND and SIZE_MISMATCH of the target, in that order", () => {
  const r = allocate({ target: target({ sameDevice: false, bound: true }), size: 4096n });
  assertEquals(rules(r), ["WRONG_DEVICE", "ALREADY_BOUND", "SIZE_MISMATCH"]);
  assert(!r.ok);
  assertEquals([r.broken[2].expected, r.broken[2].actual], [65536, 4096n]);
});

test("planAllocate: HANDLE_TYPE_UNSUPPORTED (import only, or unsupported) and NOT_EXTERNAL", () => {
  const importOnly = allocate({
    target: target({ externalHandleTypes: [] }),
    exportAs: [{ handleType: "DMA_BUF", capability: cap({ exportable: false }) }],
  });
  assertEquals(rules(importOnly), ["HANDLE_TYPE_UNSUPPORTED", "NOT_EXTERNAL"]);
  assert(!importOnly.ok && importOnly.broken[0].message.endsWith("(import only)"));
  const none = allocate({
    size: 4096n,
    exportAs: [{
      handleType: "DMA_BUF",
      capability: cap({ exportable: false, importable: false, unsupported: "no VK_EXT_x" }),
    }],
  });
  assert(!none.ok && none.broken[0].message.endsWith("(no VK_EXT_x)"), JSON.stringify(none));
});

test("planAllocate: DEDICATED_REQUIRED and DEDICATED_MISMATCH", () => {
  assertEquals(rules(allocate({ size: 4096n, dedicated: true })), ["DEDICATED_REQUIRED"]);
  const only = allocate({
    target: target(),
    exportAs: [{ handleType: "OPAQUE_FD", capability: cap({ dedicatedOnly: true }) }],
    dedicated: false,
  });
  assertEquals(rules(only), ["DEDICATED_REQUIRED"]);
  const plane = target({ noDedicated: "a plane of a disjoint image" });
  assertEquals(rules(allocate({ target: plane, dedicated: true })), ["DEDICATED_MISMATCH"]);
  // A handle type that takes dedicated allocations only makes one.
  const made = allocate({
    target: target(),
    exportAs: [{ handleType: "OPAQUE_FD", capability: cap({ dedicatedOnly: true }) }],
  });
  assert(made.ok && made.plan.dedicated);
});

test("planAllocate: NO_MEMORY_TYPE and MEMORY_TYPE_NOT_ALLOWED; an index the device lacks is a RangeError", () => {
  assertEquals(rules(allocate({ size: 4096n, properties: 0x8 })), ["NO_MEMORY_TYPE"]);
  const t = target({ requirements: { ...target().requirements, memoryTypeBits: 0b01 } });
  assertEquals(rules(allocate({ target: t, memoryTypeIndex: 1 })), ["MEMORY_TYPE_NOT_ALLOWED"]);
  assertThrows(() => allocate({ size: 4096n, memoryTypeIndex: 7 }), RangeError);
  // Once a rule is broken, a check that cannot be made adds nothing (no RangeError).
  assertEquals(rules(allocate({ size: 4096n, dedicated: true, memoryTypeIndex: 7 })), [
    "DEDICATED_REQUIRED",
  ]);
});

function host(over: Partial<HostImportRequest> = {}): HostImportRequest {
  return {
    device: "gpu",
    memoryTypes: TYPES,
    label: "Uint8Array at 0x1000",
    address: 0x10000n,
    size: 8192n,
    alignment: 4096n,
    capability: cap({ handleType: "HOST_ALLOCATION", exportable: false }),
    hostMemoryTypeBits: () => 0b10,
    ...over,
  };
}

test("planHostImport: the plan takes a type the host pointer allows", () => {
  assertEquals(planHostImport(host()), {
    ok: true,
    plan: { size: 8192n, memoryTypeIndex: 1, dedicated: false },
  });
});

test("planHostImport: ALIGNMENT, HANDLE_TYPE_UNSUPPORTED, NOT_EXTERNAL, SIZE_MISMATCH; the driver is not asked then", () => {
  let asked = 0;
  const r = planHostImport(host({
    address: 0x10010n,
    capability: cap({ importable: false, unsupported: "no VK_EXT_external_memory_host" }),
    target: target({ externalHandleTypes: [] }),
    hostMemoryTypeBits: () => (asked++, 0b10),
  }));
  assertEquals(rules(r), ["ALIGNMENT", "HANDLE_TYPE_UNSUPPORTED", "NOT_EXTERNAL", "SIZE_MISMATCH"]);
  assertEquals(asked, 0, "vkGetMemoryHostPointerPropertiesEXT is asked only when the rest holds");
  assert(!r.ok);
  assertEquals(r.broken[0].expected, 4096n);
});

test("planHostImport: NO_MEMORY_TYPE where the host pointer's types lack what is asked", () => {
  assertEquals(rules(planHostImport(host({ properties: 0x1 }))), ["NO_MEMORY_TYPE"]);
  const t = target({
    externalHandleTypes: ["HOST_ALLOCATION"],
    requirements: { ...target().requirements, size: 4096, memoryTypeBits: 0b01 },
  });
  assertEquals(rules(planHostImport(host({ target: t }))), ["NO_MEMORY_TYPE"]);
});

test("externalDeclarationRules: a handle type whose extension the device lacks is refused at creation", () => {
  const declared = declaredHandleTypes(
    ["OPAQUE_FD", "DMA_BUF"],
    (e) => e !== "VK_EXT_external_memory_dma_buf",
  );
  assertEquals(declared, [
    { handleType: "OPAQUE_FD" },
    { handleType: "DMA_BUF", missing: "VK_EXT_external_memory_dma_buf" },
  ]);
  const broken = externalDeclarationRules("llvmpipe", "a buffer", declared);
  assertEquals(broken.map((b) => b.rule), ["HANDLE_TYPE_UNSUPPORTED"]);
  assert(broken[0].message.includes("VK_EXT_external_memory_dma_buf"), broken[0].message);
  assertEquals(
    externalDeclarationRules("gpu", "a buffer", declaredHandleTypes(["DMA_BUF"], () => true)),
    [],
  );
});
