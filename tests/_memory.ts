// Fixtures for memory-sharing tests: what the first device can share (probed once, so that a
// test that cannot run is skipped with the missing capability in its name), two devices on it,
// and the process's open fd count.
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync } from "node:fs";

import { assertEquals } from "@std/assert";
import { bufferInRange } from "../memory/mod.ts";
import {
  Device,
  DeviceMemory,
  GpuBuffer,
  type Instance,
  type PhysicalDevice,
  Transfer,
} from "../mod.ts";
import { externalBufferProperties } from "../share/mod.ts";
import { forEachDevice, sharedInstance } from "./_vk.ts";

/** What the first device of a plain instance offers for memory sharing. */
export interface Probe {
  name: string;
  opaqueFd: { exportable: boolean; importable: boolean; why?: string };
  dmaBuf: { exportable: boolean; importable: boolean; why?: string };
  opaqueWin32: { exportable: boolean; importable: boolean; why?: string };
  host: { importable: boolean; why?: string };
  /** Whether any memory type is host-visible. */
  hostVisible: boolean;
  /** A memory type that is not host-visible (device-only), if the device has one. */
  deviceOnlyType: number | null;
  /** The driver's own description (`Mesa 22.3.6 (LLVM 15.0.6)`). */
  driverInfo: string;
}

function probe(): Probe {
  const pd = sharedInstance().physicalDevices()[0];
  if (!pd) throw new Error("no Vulkan device: run deno task setup");
  const cap = (t: "OPAQUE_FD" | "DMA_BUF" | "HOST_ALLOCATION" | "OPAQUE_WIN32") =>
    externalBufferProperties(pd, { handleType: t });
  const o = cap("OPAQUE_FD"), d = cap("DMA_BUF"), h = cap("HOST_ALLOCATION");
  const w = cap("OPAQUE_WIN32");
  return {
    name: pd.name,
    opaqueFd: { exportable: o.exportable, importable: o.importable, why: o.unsupported },
    dmaBuf: { exportable: d.exportable, importable: d.importable, why: d.unsupported },
    opaqueWin32: { exportable: w.exportable, importable: w.importable, why: w.unsupported },
    host: { importable: h.importable, why: h.unsupported },
    hostVisible: pd.memoryTypes.some((t) => t.flags.includes("HOST_VISIBLE")),
    deviceOnlyType: pd.memoryTypes.find((t) => !t.flags.includes("HOST_VISIBLE"))?.index ?? null,
    driverInfo: pd.driverInfo ?? "",
  };
}

/** The probe of the first device. */
export const caps: Probe = probe();

/** Why a test of exporting and importing `t` cannot run here, or false. */
export function cannotShare(t: "OPAQUE_FD" | "DMA_BUF" | "OPAQUE_WIN32"): string | false {
  const c = t === "OPAQUE_FD" ? caps.opaqueFd : t === "DMA_BUF" ? caps.dmaBuf : caps.opaqueWin32;
  if (c.exportable && c.importable) return false;
  if (c.why) return c.why;
  return `${caps.name} ${c.importable ? "imports" : "does not export"} ${t}${
    c.importable ? " only, and no other exporter is available here" : ""
  }`;
}

/**
 * Runs `fn` with two devices (exporter, importer) on each physical device (those `where` accepts:
 * with several GPUs, the ones that have what the test needs).
 */
export function withTwoDevices(
  fn: (a: Device, b: Device, pd: PhysicalDevice, instance: Instance) => void | Promise<void>,
  where: (pd: PhysicalDevice) => boolean = () => true,
): () => Promise<void> {
  return forEachDevice(async (pd, instance) => {
    if (!where(pd)) return;
    using a = Device.create(pd);
    using b = Device.create(pd);
    await fn(a, b, pd, instance);
  });
}

/** Asserts that `d` still allocates (NVIDIA's devices stop after a failed import). */
export function stillAllocates(d: Device): void {
  using m = DeviceMemory.allocate(d, { size: 4096 });
  if (m.handle === 0n) throw new Error(`${d.label} returned a null allocation`);
}

/** The fd numbers this process has open. */
export function openFdSet(): Set<number> {
  return new Set(readdirSync("/proc/self/fd").map(Number));
}

/**
 * Asserts that no fd opened since `before` (an {@linkcode openFdSet}) is still open: a leak is a
 * new fd left open. (Sets, not counts: the runtime may close one of its own meanwhile, as Bun
 * does depending on which test file ran before.)
 */
export function assertNoFdLeak(before: ReadonlySet<number>, message?: string): void {
  const left = [...openFdSet()].filter((n) => !before.has(n));
  assertEquals(left, [], `${message ?? "no fd leaked"}: left open ${left.join(", ")}`);
}

/** The number of fds this process has open. */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length - 1; // the directory's own fd
}

import { pattern } from "../tools/pattern.ts";
export { pattern };

/**
 * One exported OPAQUE_FD memory of `count` × `each` bytes (device-local where it can be), not
 * dedicated, with range i holding pattern(each, i): what allocators share, for the range tests.
 */
export function suballocated(device: Device, count: number, each: number): DeviceMemory {
  const bits = (() => {
    using probe = GpuBuffer.create(device, { size: each, external: "OPAQUE_FD" });
    return probe.requirements.memoryTypeBits;
  })();
  const allowed = device.physicalDevice.memoryTypes.filter((t) => bits & (1 << t.index));
  const type = (allowed.find((t) => t.flags.includes("DEVICE_LOCAL")) ?? allowed[0]).index;
  const mem = DeviceMemory.allocate(device, {
    size: count * each,
    exportAs: "OPAQUE_FD",
    memoryTypeIndex: type,
  });
  using transfer = Transfer.create(device);
  for (let i = 0; i < count; i++) {
    using b = bufferInRange(mem, { offset: i * each, size: each });
    transfer.write(b, pattern(each, i));
  }
  return mem;
}
