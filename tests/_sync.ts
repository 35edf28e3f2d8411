// Fixtures for synchronization tests: what the first device can do with semaphore and fence fds
// (probed once, so that a test that cannot run is skipped with the missing capability in its
// name), and small buffers to fill, copy and read.
import type { SemaphoreTypeName } from "../core/mod.ts";
import { boundBuffer } from "../memory/mod.ts";
import type { Device, GpuBuffer } from "../mod.ts";
import {
  externalFenceProperties,
  externalSemaphoreProperties,
  type SyncHandleTypeName,
} from "../share/mod.ts";
import { sharedInstance } from "./_vk.ts";

function why(
  c: { exportable: boolean; importable: boolean; unsupported?: string },
  what: string,
): string | false {
  if (c.exportable && c.importable) return false;
  const name = sharedInstance().physicalDevices()[0].name;
  if (c.unsupported) return `${name}: ${c.unsupported}`;
  return `${name} cannot ${c.exportable ? "import" : "export"} ${what}`;
}

const first = sharedInstance().physicalDevices()[0];

/** Why a test of timeline semaphores cannot run here, or false. */
export const noTimeline: string | false = first.timelineSemaphores
  ? false
  : `${first.name}: no timelineSemaphore feature`;

/** Why a test that exports and imports a `type` semaphore as `handle` cannot run here, or false. */
export function cannotShareSemaphore(
  type: SemaphoreTypeName,
  handle: SyncHandleTypeName,
): string | false {
  const pd = sharedInstance().physicalDevices()[0];
  return why(
    externalSemaphoreProperties(pd, { handleType: handle, semaphoreType: type }),
    `${type} semaphores as ${handle}`,
  );
}

/** Why a test that exports and imports a fence as `handle` cannot run here, or false. */
export function cannotShareFence(handle: SyncHandleTypeName): string | false {
  const pd = sharedInstance().physicalDevices()[0];
  return why(externalFenceProperties(pd, { handleType: handle }), `fences as ${handle}`);
}

/** A host-visible buffer (bound, mapped) to fill and copy into, disposed with its memory. */
export function hostBuffer(
  device: Device,
  size: number,
): { buffer: GpuBuffer; bytes: Uint8Array } & Disposable {
  const buffer = boundBuffer(device, {
    size,
    memory: { properties: ["HOST_VISIBLE", "HOST_COHERENT"] },
  });
  return {
    buffer,
    bytes: buffer.memory!.map().subarray(0, size),
    [Symbol.dispose]: () => buffer[Symbol.dispose](),
  };
}

/** Whether every 32-bit word of `bytes` is `value`. */
export function allWords(bytes: Uint8Array, value: number): boolean {
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return w.every((x) => x === value);
}
