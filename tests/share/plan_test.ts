// The import plan (share/plan.ts) judged without a driver: for every sharing rule an import can
// break, one request that breaks it and one that keeps it, on made-up device facts and real fds
// (memfds, pipes). The semaphore and fence rules, which lavapipe cannot reach (it has no sync
// fds), are covered here on every machine. The rules that are not import rules (queue
// submissions, maps, allocations, exports) are asserted by the tests of those objects: the last
// test checks that each is.
// @ts-types="../../cli/_node/fs.d.ts"
import { readdirSync, readFileSync } from "node:fs";

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { doctorHint } from "../../doctor/mod.ts";
import { libc } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import {
  dmaBufDescriptor,
  ImportError,
  type MemoryDescriptor,
  OwnedFd,
  OwnedHandle,
  parseMemoryDescriptor,
  ShareError,
  type SyncDescriptor,
} from "../../mod.ts";
import { finishExport } from "../../share/execute.ts";
import { isOpenFd } from "../../share/fd_kind.ts";
import {
  type DedicatedTarget,
  type ImporterFacts,
  type ImportRequest,
  type MemoryTargetFacts,
  planImport,
  planOrThrow,
  type PlanResult,
  relayRefusal,
  SHARE_RULES,
  type ShareRule,
  type Win32Source,
} from "../../share/mod.ts";
import { chooseMemoryType } from "../../share/plan.ts";
import { openExportCount } from "../../share/registry.ts";
import { forgedMemfd, MESA_SEALS, pipe } from "../_forge.ts";
import { test } from "../_harness.ts";

const SIZE = 65536;
libc(); // opened before the tests (a library opened inside one counts as a leak)
const DEVICE_UUID = "11111111-2222-3333-4444-555555555555";
const DRIVER_UUID = "66666666-7777-8888-9999-aaaaaaaaaaaa";
const MESA_ID = "0123456789abcdef0123456789abcdef";

/** A plain memfd of `size` bytes (what a lavapipe export is, without Mesa's header). */
function memfd(size = SIZE): number {
  const fd = libc().memfd_create!(cString("plan-test"), 1 /* MFD_CLOEXEC */);
  if (fd < 0) throw new Error("memfd_create failed");
  libc().ftruncate(fd, BigInt(size));
  return fd;
}

/** A memfd as Mesa exports it: header (size, data offset, driver id), sealed, `data` bytes. */
function mesaMemfd(data = SIZE): number {
  const offset = 4096;
  const size = offset + data;
  const header = new Uint8Array(32);
  const v = new DataView(header.buffer);
  v.setBigUint64(0, BigInt(size), true);
  v.setBigUint64(8, BigInt(offset), true);
  for (let i = 0; i < 16; i++) header[16 + i] = parseInt(MESA_ID.slice(2 * i, 2 * i + 2), 16);
  return forgedMemfd(size, header, MESA_SEALS, { at: offset - 8, value: BigInt(offset) });
}

/** The rules a plan broke, in order ([] when it is accepted). */
const rulesOf = (r: PlanResult) => r.ok ? [] : r.broken.map((b) => b.rule);

/** The rule of the ShareError `fn` throws. */
function shareRule(fn: () => unknown): string {
  return assertThrows(fn, ShareError).rule;
}

function importer(over: Partial<ImporterFacts> = {}): ImporterFacts {
  return {
    api: "vulkan",
    name: "plan-test GPU",
    deviceUUID: DEVICE_UUID,
    driverUUID: DRIVER_UUID,
    capability: () => ({ importable: true }),
    exportKind: () => ({ kind: "memfd", mesaDriverId: null }),
    memoryTypes: [
      { index: 0, propertyFlags: 0x1, flags: ["DEVICE_LOCAL"] },
      { index: 1, propertyFlags: 0x6, flags: ["HOST_VISIBLE", "HOST_COHERENT"] },
    ],
    fdMemoryTypeBits: () => 0b11,
    ...over,
  };
}

/** An NV12 image with a DRM format modifier, as an export's descriptor describes it. */
const NV12: DedicatedTarget = {
  kind: "image",
  imageType: 1,
  format: 1000156003,
  extent: { width: 64, height: 32, depth: 1 },
  mipLevels: 1,
  arrayLayers: 1,
  tiling: 1000158000,
  usage: 3,
  flags: 0,
  externalHandleTypes: 1,
  drmFormatModifier: "0x0300000000606014",
  planeLayouts: [
    { offset: 0, size: 2048, rowPitch: 64, arrayPitch: 2048, depthPitch: 2048 },
    { offset: 4096, size: 1024, rowPitch: 64, arrayPitch: 1024, depthPitch: 1024 },
  ],
};

const NV12_Y = { offset: 0, size: 2048, rowPitch: 64, arrayPitch: 2048, depthPitch: 2048 };

/** The importer's image: `NV12`, changed by `over`. */
const nv12Target = (over: Partial<Extract<DedicatedTarget, { kind: "image" }>> = {}) =>
  target({ label: "Image (plan test)", description: { ...NV12, ...over } as DedicatedTarget });

const BUFFER: DedicatedTarget = {
  kind: "buffer",
  size: SIZE,
  usage: 3,
  flags: 0,
  externalHandleTypes: 1,
};

function memoryDescriptor(over: Partial<MemoryDescriptor> = {}): MemoryDescriptor {
  return {
    version: 1,
    handleType: "OPAQUE_FD",
    size: SIZE,
    memoryTypeIndex: 0,
    memoryProperties: ["DEVICE_LOCAL"],
    dedicated: null,
    deviceUUID: DEVICE_UUID,
    driverUUID: DRIVER_UUID,
    deviceName: "the exporter",
    ...over,
  };
}

function syncDescriptor(
  object: "semaphore" | "fence",
  over: Partial<SyncDescriptor> = {},
): SyncDescriptor {
  return {
    version: 1,
    object,
    handleType: "OPAQUE_FD",
    ...(object === "semaphore" ? { semaphoreType: "binary" as const } : {}),
    deviceUUID: DEVICE_UUID,
    driverUUID: DRIVER_UUID,
    deviceName: "the exporter",
    ...over,
  };
}

function target(over: Partial<MemoryTargetFacts> = {}): MemoryTargetFacts {
  return {
    label: "Buffer (plan test)",
    sameDevice: true,
    bound: false,
    description: BUFFER,
    requirements: { size: SIZE, memoryTypeBits: 0b11, requiresDedicated: false },
    externalHandleTypes: ["OPAQUE_FD"],
    ...over,
  };
}

/** A memory import of a fresh memfd (the fd is made when the request is). */
function memory(over: Partial<Extract<ImportRequest, { object: "memory" }>> = {}): ImportRequest {
  return {
    object: "memory",
    importer: importer(),
    fd: memfd(),
    descriptor: memoryDescriptor(),
    ...over,
  };
}

/** A semaphore or fence import (default: an OPAQUE_FD of a binary semaphore, a memfd fd). */
function sync(
  object: "semaphore" | "fence",
  over: Partial<Extract<ImportRequest, { object: "semaphore" | "fence" }>> = {},
): ImportRequest {
  return {
    object,
    importer: importer(),
    target: {
      label: `a ${object} (plan test)`,
      ...(object === "semaphore" ? { semaphoreType: "binary" as const } : {}),
      inUse: false,
    },
    fd: memfd(),
    descriptor: syncDescriptor(object),
    ...over,
  };
}

/** Closes a request's fd, when it is a number this test opened. */
function close(r: ImportRequest): void {
  if (typeof r.fd === "number" && r.fd >= 0) libc().close(r.fd);
  else if (r.fd instanceof OwnedFd) r.fd.close();
}

interface Case {
  breaks: () => ImportRequest;
  keeps: () => ImportRequest;
}

/** A Windows handle of `kind` (not a real one: the plan never calls the driver or closes it). */
const winHandle = (kind: "nt" | "kmt" = "nt") => OwnedHandle.adopt(0x1234n, kind);

/** A memory import of a Windows handle (OPAQUE_WIN32 unless `over` says). */
function win32Memory(
  source: Win32Source,
  over: Partial<MemoryDescriptor> = {},
  req: Partial<Extract<ImportRequest, { object: "memory" }>> = {},
): ImportRequest {
  return memory({
    fd: null,
    win32: source,
    descriptor: memoryDescriptor({ handleType: "OPAQUE_WIN32", ...over }),
    ...req,
  });
}

// For every rule the plan checks: a request that breaks it, and the nearest one that does not.
const CASES: Partial<Record<ShareRule, Case[]>> = {
  WIN32_HANDLE: [
    {
      // A handle or a name, never both.
      breaks: () => win32Memory({ handle: winHandle(), name: "Local\\frames" }),
      keeps: () => win32Memory({ handle: winHandle() }),
    },
    {
      // A name only for an NT handle type: a KMT (global share) one needs its handle.
      breaks: () => win32Memory({ name: "Local\\frames" }, { handleType: "OPAQUE_WIN32_KMT" }),
      keeps: () => win32Memory({ name: "Local\\frames" }),
    },
    {
      // The handle's kind is its handle type's.
      breaks: () => win32Memory({ handle: winHandle("nt") }, { handleType: "OPAQUE_WIN32_KMT" }),
      keeps: () => win32Memory({ handle: winHandle("kmt") }, { handleType: "OPAQUE_WIN32_KMT" }),
    },
    {
      // An open handle: one closed (a KMT one closes without a call) or handed on is refused.
      breaks: () => {
        const h = winHandle("kmt");
        h.close();
        return win32Memory({ handle: h }, { handleType: "OPAQUE_WIN32_KMT" });
      },
      keeps: () => win32Memory({ handle: winHandle("kmt") }, { handleType: "OPAQUE_WIN32_KMT" }),
    },
    {
      breaks: () =>
        sync("semaphore", {
          fd: null,
          win32: {},
          descriptor: syncDescriptor("semaphore", { handleType: "D3D12_FENCE" }),
        }),
      keeps: () =>
        sync("semaphore", {
          fd: null,
          win32: { handle: winHandle() },
          descriptor: syncDescriptor("semaphore", { handleType: "D3D12_FENCE" }),
        }),
    },
  ],
  BAD_DESCRIPTOR: [
    {
      breaks: () => memory({ descriptor: { ...memoryDescriptor(), extra: true } }),
      keeps: () => memory(),
    },
    {
      breaks: () => memory({ descriptor: memoryDescriptor({ deviceName: 7 as never }) }),
      keeps: () => memory({ descriptor: memoryDescriptor({ deviceName: "7" }) }),
    },
    {
      // A dedicated buffer of no usage flag: Vulkan makes none (usage-requiredbitmask).
      breaks: () =>
        memory({
          importer: cuda("memfd"),
          descriptor: memoryDescriptor({ dedicated: { ...BUFFER, usage: 0 } }),
        }),
      keeps: () =>
        memory({ importer: cuda("memfd"), descriptor: memoryDescriptor({ dedicated: BUFFER }) }),
    },
    {
      breaks: () => sync("fence", { descriptor: syncDescriptor("semaphore") }),
      keeps: () => sync("fence"),
    },
    {
      // D3D12_FENCE is a semaphore handle type, not a fence's.
      breaks: () =>
        sync("fence", {
          fd: null,
          win32: { handle: winHandle() },
          descriptor: syncDescriptor("fence", { handleType: "D3D12_FENCE" }),
        }),
      keeps: () =>
        sync("fence", {
          fd: null,
          win32: { handle: winHandle() },
          descriptor: syncDescriptor("fence", { handleType: "OPAQUE_WIN32" }),
        }),
    },
  ],
  UUID_MISMATCH: [
    {
      breaks: () => memory({ descriptor: memoryDescriptor({ driverUUID: DEVICE_UUID }) }),
      keeps: () => memory(),
    },
    {
      breaks: () =>
        sync("semaphore", { descriptor: syncDescriptor("semaphore", { deviceUUID: DRIVER_UUID }) }),
      keeps: () => sync("semaphore"),
    },
    {
      // An opaque Windows handle too: only into the exporter's device and driver.
      breaks: () => win32Memory({ handle: winHandle() }, { driverUUID: DEVICE_UUID }),
      keeps: () => win32Memory({ handle: winHandle() }),
    },
    {
      // CUDA has no driverUUID: its deviceUUID alone must match.
      breaks: () =>
        memory({
          importer: importer({ api: "cuda", driverUUID: null, deviceUUID: DRIVER_UUID }),
        }),
      keeps: () => memory({ importer: importer({ api: "cuda", driverUUID: null }) }),
    },
  ],
  HANDLE_TYPE_UNSUPPORTED: [
    {
      // A Windows handle type goes through importWin32, an fd's through importFd.
      breaks: () => memory({ descriptor: memoryDescriptor({ handleType: "OPAQUE_WIN32" }) }),
      keeps: () => win32Memory({ handle: winHandle() }),
    },
    {
      breaks: () => win32Memory({ handle: winHandle() }, { handleType: "OPAQUE_FD" }),
      keeps: () => memory(),
    },
    {
      // A fence's importWin32 takes its Windows handle types only.
      breaks: () =>
        sync("fence", {
          fd: null,
          win32: { handle: winHandle("kmt") },
          descriptor: syncDescriptor("fence", { handleType: "OPAQUE_FD" }),
        }),
      keeps: () =>
        sync("fence", {
          fd: null,
          win32: { handle: winHandle("kmt") },
          descriptor: syncDescriptor("fence", { handleType: "OPAQUE_WIN32_KMT" }),
        }),
    },
    {
      breaks: () =>
        memory({
          importer: importer({ capability: () => ({ importable: false, unsupported: "none" }) }),
        }),
      keeps: () => memory(),
    },
    {
      // Exported again after the import: only as exportFromImportedHandleTypes allows.
      breaks: () =>
        memory({
          importer: importer({
            capability: () => ({ importable: true, exportFromImportedHandleTypes: ["OPAQUE_FD"] }),
          }),
          options: { exportAs: "DMA_BUF" },
        }),
      keeps: () =>
        memory({
          importer: importer({
            capability: () => ({ importable: true, exportFromImportedHandleTypes: ["OPAQUE_FD"] }),
          }),
          options: { exportAs: "OPAQUE_FD" },
        }),
    },
    {
      breaks: () =>
        sync("fence", {
          importer: importer({ capability: () => ({ importable: false }) }),
        }),
      keeps: () => sync("fence"),
    },
    {
      breaks: () =>
        memory({ descriptor: memoryDescriptor({ handleType: "HOST_ALLOCATION" }), fd: memfd() }),
      keeps: () => memory(),
    },
  ],
  SIZE_MISMATCH: [
    {
      breaks: () => memory({ fd: memfd(SIZE / 2) }),
      keeps: () => memory({ fd: memfd(SIZE) }),
    },
    {
      breaks: () =>
        memory({
          target: target({
            requirements: { size: 2 * SIZE, memoryTypeBits: 3, requiresDedicated: false },
          }),
        }),
      keeps: () => memory({ target: target() }),
    },
    {
      breaks: () => memory({ descriptor: memoryDescriptor({ size: 0 }) }),
      keeps: () => memory({ descriptor: memoryDescriptor({ size: 4096 }) }),
    },
  ],
  MEMORY_TYPE_MISMATCH: [{
    breaks: () => memory({ options: { memoryTypeIndex: 1 } }),
    keeps: () => memory({ options: { memoryTypeIndex: 0 } }),
  }],
  MEMORY_TYPE_NOT_ALLOWED: [{
    breaks: () =>
      memory({
        target: target({
          requirements: { size: SIZE, memoryTypeBits: 0b10, requiresDedicated: false },
        }),
      }),
    keeps: () => memory({ target: target() }),
  }],
  DEDICATED_MISMATCH: [
    {
      // A plane of a disjoint image takes plain memory only: never a dedicated export's.
      breaks: () =>
        memory({
          descriptor: memoryDescriptor({ dedicated: BUFFER }),
          target: target({ noDedicated: "a plane of a disjoint image (plan test)" }),
        }),
      keeps: () =>
        memory({ target: target({ noDedicated: "a plane of a disjoint image (plan test)" }) }),
    },
    {
      // An image's memory planes must lie where the exporter's did (LINEAR, DRM modifiers).
      breaks: () =>
        memory({
          descriptor: memoryDescriptor({ dedicated: NV12 }),
          target: nv12Target({
            planeLayouts: [NV12_Y, {
              offset: 2048,
              size: 1024,
              rowPitch: 64,
              arrayPitch: 1024,
              depthPitch: 1024,
            }],
          }),
        }),
      keeps: () =>
        memory({ descriptor: memoryDescriptor({ dedicated: NV12 }), target: nv12Target() }),
    },
    {
      // ... and with the same DRM format modifier.
      breaks: () =>
        memory({
          descriptor: memoryDescriptor({ dedicated: NV12 }),
          target: nv12Target({ drmFormatModifier: "0x0000000000000000" }),
        }),
      keeps: () =>
        memory({ descriptor: memoryDescriptor({ dedicated: NV12 }), target: nv12Target() }),
    },
    {
      breaks: () => memory({ descriptor: memoryDescriptor({ dedicated: BUFFER }) }),
      keeps: () =>
        memory({ descriptor: memoryDescriptor({ dedicated: BUFFER }), target: target() }),
    },
    {
      // CUDA imports a dedicated export with the dedicated flag: it needs no buffer or image.
      // (The test's fd is a memfd: the CUDA importer here takes that kind.)
      breaks: () => memory({ descriptor: memoryDescriptor({ dedicated: BUFFER }) }),
      keeps: () =>
        memory({ importer: cuda("memfd"), descriptor: memoryDescriptor({ dedicated: BUFFER }) }),
    },
    {
      breaks: () =>
        memory({
          descriptor: memoryDescriptor({ dedicated: { ...BUFFER, usage: 1 } }),
          target: target(),
        }),
      keeps: () =>
        memory({ descriptor: memoryDescriptor({ dedicated: BUFFER }), target: target() }),
    },
    {
      breaks: () =>
        memory({
          target: target({
            requirements: { size: SIZE, memoryTypeBits: 3, requiresDedicated: true },
          }),
        }),
      keeps: () => memory({ target: target() }),
    },
  ],
  FD_NOT_OPEN: [
    {
      breaks: () => memory({ fd: 0x7ffff }),
      keeps: () => memory(),
    },
    {
      // -1 means "already signaled" only for a SYNC_FD.
      breaks: () => sync("fence", { fd: -1 }),
      keeps: () => sync("fence", { fd: -1, descriptor: "SYNC_FD" }),
    },
    {
      breaks: () =>
        memory({
          fd: (() => {
            const o = OwnedFd.adopt(memfd());
            o.close();
            return o;
          })(),
        }),
      keeps: () => memory({ fd: OwnedFd.adopt(memfd()) }),
    },
  ],
  FD_CONSUMED: [{
    breaks: () =>
      memory({
        fd: (() => {
          const o = OwnedFd.adopt(memfd());
          o.consume("a plan test");
          return o;
        })(),
      }),
    keeps: () => memory({ fd: OwnedFd.adopt(memfd()) }),
  }],
  FD_KIND_MISMATCH: [
    {
      breaks: () => memory({ fd: pipeEnd() }),
      keeps: () => memory(),
    },
    {
      // Where the importer has no exports of its own to compare with, the fd must be of the
      // kind the descriptor says the export's was.
      breaks: () =>
        memory({
          importer: importer({ exportKind: undefined }),
          descriptor: memoryDescriptor({ fdKind: "/dev/nvidiactl" }),
        }),
      keeps: () =>
        memory({
          importer: importer({ exportKind: undefined }),
          descriptor: memoryDescriptor({ fdKind: "memfd" }),
        }),
    },
    {
      // CUDA imports what NVIDIA's drivers export, whatever the descriptor says: a pipe is
      // refused. (/dev/null plays /dev/nvidiactl here.)
      breaks: () =>
        memory({
          importer: cuda("/dev/null"),
          fd: pipeEnd(),
          descriptor: memoryDescriptor({ fdKind: "/dev/null" }),
        }),
      keeps: () =>
        memory({ importer: cuda("/dev/null"), fd: libc().open(cString("/dev/null"), 0, 0) }),
    },
    {
      // A SYNC_FD is a sync_file: a memfd is not one.
      breaks: () => sync("fence", { descriptor: "SYNC_FD" }),
      keeps: () => sync("fence", { descriptor: "SYNC_FD", fd: -1 }),
    },
    {
      // A received fd is checked against this device's own exports, whatever the descriptor says.
      breaks: () =>
        sync("semaphore", {
          importer: importer({
            exportKind: () => ({ kind: "/dev/nvidiactl", mesaDriverId: null }),
          }),
        }),
      keeps: () => sync("semaphore"),
    },
  ],
  FD_FORGED: [
    {
      breaks: () =>
        memory({ importer: importer({ exportKind: () => mesa() }), fd: memfd(SIZE + 4096) }),
      keeps: () => memory({ importer: importer({ exportKind: () => mesa() }), fd: mesaMemfd() }),
    },
    {
      // Mesa's header, but data shorter than the descriptor says.
      breaks: () =>
        memory({ importer: importer({ exportKind: () => mesa() }), fd: mesaMemfd(SIZE / 2) }),
      keeps: () => memory({ importer: importer({ exportKind: () => mesa() }), fd: mesaMemfd() }),
    },
  ],
  NOT_EXTERNAL: [{
    breaks: () => memory({ target: target({ externalHandleTypes: ["DMA_BUF"] }) }),
    keeps: () => memory({ target: target({ externalHandleTypes: ["DMA_BUF", "OPAQUE_FD"] }) }),
  }],
  ALREADY_BOUND: [{
    breaks: () => memory({ target: target({ bound: true }) }),
    keeps: () => memory({ target: target({ bound: false }) }),
  }],
  WRONG_DEVICE: [{
    breaks: () => memory({ target: target({ sameDevice: false }) }),
    keeps: () => memory({ target: target({ sameDevice: true }) }),
  }],
  SEMAPHORE_TYPE_MISMATCH: [
    {
      breaks: () =>
        sync("semaphore", {
          descriptor: syncDescriptor("semaphore", { semaphoreType: "timeline" }),
        }),
      keeps: () => sync("semaphore"),
    },
    {
      // A SYNC_FD goes into binary semaphores only.
      breaks: () =>
        sync("semaphore", {
          descriptor: "SYNC_FD",
          fd: -1,
          target: { label: "a timeline semaphore", semaphoreType: "timeline", inUse: false },
        }),
      keeps: () => sync("semaphore", { descriptor: "SYNC_FD", fd: -1 }),
    },
  ],
  TEMPORARY_REQUIRED: [{
    breaks: () => sync("fence", { descriptor: "SYNC_FD", fd: -1, options: { temporary: false } }),
    keeps: () => sync("fence", { descriptor: "SYNC_FD", fd: -1, options: { temporary: true } }),
  }],
  PERMANENT_REQUIRED: [{
    breaks: () =>
      sync("semaphore", {
        descriptor: syncDescriptor("semaphore", { semaphoreType: "timeline" }),
        target: { label: "a timeline semaphore", semaphoreType: "timeline", inUse: false },
        options: { temporary: true },
      }),
    keeps: () =>
      sync("semaphore", {
        descriptor: syncDescriptor("semaphore", { semaphoreType: "timeline" }),
        target: { label: "a timeline semaphore", semaphoreType: "timeline", inUse: false },
        options: { temporary: false },
      }),
  }],
  IN_USE: [
    {
      breaks: () => sync("fence", { target: { label: "a fence", inUse: true } }),
      keeps: () => sync("fence", { target: { label: "a fence", inUse: false } }),
    },
    {
      breaks: () =>
        sync("semaphore", {
          target: { label: "a semaphore", semaphoreType: "binary", inUse: true },
        }),
      keeps: () => sync("semaphore"),
    },
  ],
};

/** A CUDA importer, whose received fds must be of `kind` (NVIDIA's: /dev/nvidiactl). */
function cuda(kind = "/dev/nvidiactl"): ImporterFacts {
  return importer({
    api: "cuda",
    driverUUID: null,
    exportKind: () => ({ kind, mesaDriverId: null }),
  });
}

function mesa() {
  return { kind: "memfd", mesaDriverId: MESA_ID };
}

function pipeEnd(): number {
  const [r, w] = pipe();
  libc().close(w);
  return r;
}

for (const [rule, cases] of Object.entries(CASES) as [ShareRule, Case[]][]) {
  test(`plan: ${rule} (${cases.length} case${cases.length > 1 ? "s" : ""})`, () => {
    for (const [i, c] of cases.entries()) {
      const bad = c.breaks();
      const good = c.keeps();
      try {
        const r = planImport(bad);
        assert(!r.ok, `case ${i}: the breaking request was planned`);
        const rules = r.broken.map((b) => b.rule);
        assert(rules.includes(rule), `case ${i}: ${rule} not among ${rules.join(", ")}`);
        for (const b of r.broken) {
          assert(b.message.length > 10 && !b.message.startsWith(b.rule), b.message);
        }
        const ok = planImport(good);
        assert(
          ok.ok,
          `case ${i}: the request that keeps ${rule} was refused: ${
            ok.ok ? "" : ok.broken.map((b) => `${b.rule}: ${b.message}`).join("; ")
          }`,
        );
        // The plan imports nothing: the fds are the caller's, still open.
        for (const r of [bad, good]) {
          if (typeof r.fd === "number" && r.fd >= 0 && r.fd !== 0x7ffff) {
            assert(isOpenFd(r.fd), `case ${i}: fd ${r.fd} still open`);
          }
        }
      } finally {
        close(bad);
        close(good);
      }
    }
  });
}

test("plan: every rule an import breaks is listed, each with its values; planOrThrow names them", () => {
  const r = memory({
    descriptor: memoryDescriptor({ driverUUID: DEVICE_UUID }),
    target: target({
      externalHandleTypes: [],
      requirements: { size: 2 * SIZE, memoryTypeBits: 3, requiresDedicated: false },
    }),
  });
  try {
    const p = planImport(r);
    assert(!p.ok);
    assertEquals(p.broken.map((b) => b.rule), ["UUID_MISMATCH", "NOT_EXTERNAL", "SIZE_MISMATCH"]);
    assertEquals(p.broken[2].expected, 2 * SIZE);
    assertEquals(p.broken[2].actual, SIZE);
    const e = assertThrows(() => planOrThrow(p), ShareError);
    assertEquals(e.rule, "UUID_MISMATCH");
    assert(e.message.includes("also breaks: NOT_EXTERNAL, SIZE_MISMATCH"), e.message);
    assert(
      e.message.endsWith(doctorHint("UUID_MISMATCH")),
      "a refused import points to the doctor",
    );
    const ie = new ImportError("vkAllocateMemory", -1000072003, {}, true);
    assert(ie.message.endsWith(doctorHint()), ie.message);
    // The doctor's command is this runtime's, and it is left out where it cannot help.
    assert(
      doctorHint().includes(
        "Bun" in globalThis
          ? "bunx vkshare doctor"
          : "Deno" in globalThis
          ? "deno run -A npm:vkshare doctor"
          : "npx vkshare doctor",
      ),
    );
    assertEquals(doctorHint("FD_CONSUMED"), "");
    const consumed = assertThrows(
      () =>
        planOrThrow({ ok: false, broken: [{ rule: "FD_CONSUMED", message: "fd 9 was consumed" }] }),
      ShareError,
    );
    assertEquals(consumed.message, "FD_CONSUMED: fd 9 was consumed");
  } finally {
    close(r);
  }
});

test("plan: an image's other DRM modifier or plane layouts are named in the refusal", () => {
  const cases: [Partial<Extract<DedicatedTarget, { kind: "image" }>>, string][] = [
    [{ drmFormatModifier: "0x0000000000000000" }, "drmFormatModifier"],
    [{ planeLayouts: [] }, "planeLayouts"],
  ];
  for (const [over, field] of cases) {
    const req = memory({
      descriptor: memoryDescriptor({ dedicated: NV12 }),
      target: nv12Target(over),
    });
    const r = planImport(req);
    close(req);
    assert(!r.ok);
    const b = r.broken.find((x) => x.rule === "DEDICATED_MISMATCH");
    assert(b, JSON.stringify(r.broken));
    assertStringIncludes(b.message, `${field}: the export's is`);
  }
});

test("plan: a plan is plain data (the memory type, dedication, temporariness decided)", () => {
  const r = memory({
    descriptor: memoryDescriptor({ dedicated: BUFFER, memoryTypeIndex: 1 }),
    target: target(),
  });
  try {
    const p = planOrThrow(planImport(r));
    assertEquals(JSON.parse(JSON.stringify(p)), p);
    assertEquals([p.object, p.handleType, p.size, p.memoryTypeIndex, p.dedicated], [
      "memory",
      "OPAQUE_FD",
      SIZE,
      1,
      "buffer",
    ]);
  } finally {
    close(r);
  }
  const s = planOrThrow(planImport(sync("semaphore", { descriptor: "SYNC_FD", fd: null })));
  assertEquals([s.fd, s.temporary], [-1, true]);
});

test("plan: the memory type step chooses, or names why none fits (NO_MEMORY_TYPE)", () => {
  const types = importer().memoryTypes!;
  assertEquals(chooseMemoryType("gpu", types, 0b11, 0x6, undefined, "x"), 1);
  const e = assertThrows(
    () => chooseMemoryType("gpu", types, 0b01, 0x6, undefined, "x"),
    ShareError,
  );
  assertEquals(e.rule, "NO_MEMORY_TYPE");
  assertEquals(
    assertThrows(() => chooseMemoryType("gpu", types, 0b11, 0x6, 0, "x"), ShareError).rule,
    "NO_MEMORY_TYPE",
  );
  assertThrows(() => chooseMemoryType("gpu", types, 0b11, 0, 5, "x"), RangeError);
});

test("plan: a relay (exportAs on an import) is refused where the driver is known to import nothing then (NVIDIA), whatever exportFromImportedHandleTypes say", () => {
  const nvidia = relayRefusal({
    vendorId: 0x10de,
    driverName: "NVIDIA",
    driverVersionString: "580.159.4.0",
  });
  assert(nvidia?.includes("580.159.4.0"), nvidia);
  assertEquals(relayRefusal({ vendorId: 0x10005, driverName: "llvmpipe" }), undefined);
  assertEquals(relayRefusal({ vendorId: 0x10de, driverName: "NVK" }), undefined);
  const capability = () => ({ importable: true, exportFromImportedHandleTypes: ["OPAQUE_FD"] });
  const fd = memfd();
  const ok = planImport(
    memory({ importer: importer({ capability }), fd, options: { exportAs: "OPAQUE_FD" } }),
  );
  assert(ok.ok, JSON.stringify(ok));
  const r = planImport(memory({
    importer: importer({ capability, relayRefused: nvidia }),
    fd,
    options: { exportAs: "OPAQUE_FD" },
  }));
  assert(!r.ok && r.broken[0].rule === "HANDLE_TYPE_UNSUPPORTED", JSON.stringify(r));
  assertStringIncludes(r.broken[0].message, "imports nothing");
  // Without exportAs the same driver imports as before.
  assert(planImport(memory({ importer: importer({ capability, relayRefused: nvidia }), fd })).ok);
  libc().close(fd);
});

test("plan: with no flags asked for, a preferred flag picks among the allowed types (NVIDIA's first type has none)", () => {
  // NVIDIA's order: a type without flags, then DEVICE_LOCAL, then host-visible ones.
  const nvidia = [
    { index: 0, propertyFlags: 0, flags: [] },
    { index: 1, propertyFlags: 0x1, flags: ["DEVICE_LOCAL"] },
    { index: 2, propertyFlags: 0x6, flags: ["HOST_VISIBLE", "HOST_COHERENT"] },
  ];
  const DL = 0x1;
  assertEquals(chooseMemoryType("gpu", nvidia, 0b111, 0, undefined, "x"), 0);
  assertEquals(chooseMemoryType("gpu", nvidia, 0b111, 0, undefined, "x", DL), 1);
  // Not allowed, or not with what was asked for: the first that fits, preferred or not.
  assertEquals(chooseMemoryType("gpu", nvidia, 0b101, 0, undefined, "x", DL), 0);
  assertEquals(chooseMemoryType("gpu", nvidia, 0b111, 0x6, undefined, "x", DL), 2);
  // An explicit index wins over the preference.
  assertEquals(chooseMemoryType("gpu", nvidia, 0b111, 0, 2, "x", DL), 2);
});

test("export epilogue: a negative fd is BAD_EXPORT; an export is owned, close-on-exec and recorded", () => {
  const facts = {
    call: "vkGetMemoryFdKHR",
    success: "VK_SUCCESS",
    label: "Memory (test)",
    handleType: "OPAQUE_FD",
    describe: (fdKind: string | undefined) => memoryDescriptor(fdKind ? { fdKind } : {}),
  };
  const e = assertThrows(() => finishExport(-1, facts), ShareError);
  assertEquals(e.rule, "BAD_EXPORT");
  assertEquals(finishExport(-1, { ...facts, signaledIsNull: true }).fd, null);
  const before = openExportCount();
  const raw = memfd();
  {
    using exp = finishExport(raw, facts);
    assertEquals(exp.descriptor.fdKind, "memfd");
    assertEquals(openExportCount(), before + 1);
    assertEquals(exp.fd!.state, "open");
  }
  assertEquals(openExportCount(), before);
  assert(!isOpenFd(raw), "disposing the export closed its fd");
});

test("export epilogue: a device's first export of a kind says whether its fds come close-on-exec; later ones are fcntl'ed only where they did not", () => {
  const facts = (device: object) => ({
    call: "vkGetMemoryFdKHR",
    success: "VK_SUCCESS",
    label: "Memory (test)",
    handleType: "OPAQUE_FD",
    learn: { device, key: "memory:OPAQUE_FD" },
    describe: (fdKind: string | undefined) => memoryDescriptor(fdKind ? { fdKind } : {}),
  });
  const cloexec = (fd: number) => (libc().fcntl(fd, 1, /* F_GETFD */ 0) & 1) === 1;
  const plain = () => {
    const fd = libc().memfd_create!(cString("plan-test"), 0);
    if (fd < 0) throw new Error("memfd_create failed");
    return fd;
  };
  // A driver whose exports come close-on-exec (NVIDIA): the next one is trusted, not fcntl'ed.
  const nvidiaLike = {};
  finishExport(memfd(), facts(nvidiaLike))[Symbol.dispose]();
  {
    using exp = finishExport(plain(), facts(nvidiaLike));
    assert(!cloexec(exp.fd!.fd), "an fd of a kind learned close-on-exec is not fcntl'ed again");
  }
  // One whose exports do not (lavapipe): every export is made close-on-exec.
  const lavapipeLike = {};
  finishExport(plain(), facts(lavapipeLike))[Symbol.dispose]();
  {
    using exp = finishExport(plain(), facts(lavapipeLike));
    assert(cloexec(exp.fd!.fd));
  }
});

test("an export's descriptor is frozen: given back, it is trusted as made; a changed copy is checked", () => {
  using exp = finishExport(memfd(), {
    call: "vkGetMemoryFdKHR",
    success: "VK_SUCCESS",
    label: "Memory (test)",
    handleType: "OPAQUE_FD",
    describe: (fdKind: string | undefined) => memoryDescriptor(fdKind ? { fdKind } : {}),
  });
  const d = exp.descriptor;
  assert(Object.isFrozen(d));
  assertThrows(() => {
    (d as { size: number }).size = 1;
  }, TypeError);
  const fd = exp.fd!;
  assert(planImport({ object: "memory", importer: importer(), fd, descriptor: d }).ok);
  const r = planImport({
    object: "memory",
    importer: importer(),
    fd,
    descriptor: { ...d, size: 4096 },
  });
  assert(!r.ok && r.broken[0].rule === "SIZE_MISMATCH", "a copy that disagrees with the export");
});

test("every sharing rule is judged by a plan test here, or asserted by the tests of its objects", () => {
  const tests = new URL("../", import.meta.url);
  const others = readdirSync(tests.pathname, { recursive: true }).map(String)
    .filter((f) => f.endsWith("_test.ts") && !/(^|\/)(plan|rules)_test\.ts$/.test(f))
    .map((f) => readFileSync(new URL(f, tests), "utf8"))
    .join("\n");
  // Judged by the tests above, outside CASES: the memory type step and the export epilogue.
  const here: ShareRule[] = ["NO_MEMORY_TYPE", "BAD_EXPORT"];
  for (const rule of Object.keys(SHARE_RULES) as ShareRule[]) {
    if (CASES[rule] || here.includes(rule)) continue;
    assert(others.includes(`"${rule}"`), `${rule}: no plan case and no other test asserts it`);
  }
});

test("dmaBufDescriptor: a foreign dma-buf has no exporter and no memory type; only it may leave the UUIDs empty", () => {
  const d = dmaBufDescriptor({ size: 8192, modifier: 0x0300000000606014n, planeLayouts: [NV12_Y] });
  assertEquals([d.handleType, d.size, d.deviceUUID, d.driverUUID], ["DMA_BUF", 8192, "", ""]);
  assertEquals(d.drmFormatModifier, "0x0300000000606014");
  assertEquals(
    dmaBufDescriptor({ size: 4096, modifier: "0x10" }).drmFormatModifier,
    "0x0000000000000010",
  );
  assertThrows(() => dmaBufDescriptor({ size: 4096, modifier: -1n }), RangeError);
  assertThrows(() => dmaBufDescriptor({ size: 4096, modifier: "x" }), RangeError);
  assertEquals(shareRule(() => dmaBufDescriptor({ size: 0 })), "SIZE_MISMATCH");
  // An export's descriptor names its exporter: empty UUIDs, or a modifier of its own, are refused.
  for (
    const over of [{ deviceUUID: "" }, { driverUUID: "" }, {
      drmFormatModifier: "0x0000000000000000",
    }]
  ) {
    assertEquals(
      shareRule(() => parseMemoryDescriptor(memoryDescriptor(over))),
      "BAD_DESCRIPTOR",
      JSON.stringify(over),
    );
  }
});

test("a foreign dma-buf: any memory type the fd allows, dedicated where the target requires it, its planes the image's", () => {
  const foreign = (over: Partial<MemoryDescriptor> = {}) => ({
    ...dmaBufDescriptor({ size: SIZE }),
    ...over,
  });
  const plan = (descriptor: MemoryDescriptor, t?: MemoryTargetFacts) =>
    planImport({
      object: "memory",
      importer: importer(),
      fd: null,
      withoutFd: true,
      descriptor,
      ...(t ? { target: t } : {}),
    });
  // No UUID rule, no memory type of the descriptor's (its 0 is no choice), and the target's
  // requirement of dedicated memory met by the import.
  const t = target({
    externalHandleTypes: ["DMA_BUF"],
    requirements: { size: SIZE, memoryTypeBits: 0b11, requiresDedicated: true },
  });
  const r = plan(foreign(), t);
  assert(r.ok, JSON.stringify(r));
  assertEquals(r.plan.dedicated, "buffer");
  // An export that is not foreign still must be dedicated for such a target.
  const own = memoryDescriptor({ handleType: "DMA_BUF" });
  assertEquals(rulesOf(plan(own, t)), ["DEDICATED_MISMATCH"]);
  // Its modifier and layouts are the image's, or PLANE_LAYOUT.
  const image = nv12Target({ externalHandleTypes: 0x200 });
  const withPlanes = foreign({
    drmFormatModifier: NV12.drmFormatModifier,
    planeLayouts: NV12.planeLayouts,
  });
  const img = {
    ...image,
    externalHandleTypes: ["DMA_BUF"],
    requirements: { ...image.requirements, size: 4096 },
  };
  assert(
    plan({ ...withPlanes, size: 8192 }, img).ok,
    JSON.stringify(plan({ ...withPlanes, size: 8192 }, img)),
  );
  assertEquals(
    rulesOf(plan({ ...withPlanes, size: 8192, drmFormatModifier: "0x0000000000000000" }, img)),
    ["PLANE_LAYOUT"],
  );
  assertEquals(rulesOf(plan({ ...withPlanes, size: 8192, planeLayouts: [NV12_Y] }, img)), [
    "PLANE_LAYOUT",
  ]);
  assertEquals(
    rulesOf(
      plan(withPlanes, { ...t, requirements: { ...t.requirements, requiresDedicated: false } }),
    ),
    ["PLANE_LAYOUT"],
  );
});
