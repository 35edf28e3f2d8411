/**
 * The two ends of the share protocol that touch an fd, written once for every importer and
 * exporter:
 *
 * - {@linkcode executeImport}: after a plan (share/plan.ts), the driver gets a close-on-exec dup
 *   of the caller's fd; on success the caller's fd is consumed (an OwnedFd is marked so, a raw
 *   number is closed and remembered); on failure the dup is cleaned up and the caller's fd is
 *   still open and usable.
 * - {@linkcode finishExport}: the fd a driver returned becomes an OwnedFd (close-on-exec), its
 *   kind is learned, its descriptor made and recorded in the one export registry.
 *
 * @module
 */
import { ShareError } from "../core/errors.ts";
import type { ExportDescriptor, MemoryDescriptor, SyncDescriptor } from "./descriptor.ts";
import { consumeImported, importThroughDup, OwnedFd } from "./fd.ts";
import { exportFileOf, learnExportKind } from "./fd_kind.ts";
import { fdKindOf } from "./fd_kind.ts";
import { recordExport } from "./registry.ts";

/**
 * An export of memory: the fd (owned, closes on dispose unless handed on) and its descriptor.
 *
 * @example
 * ```ts
 * using exp: MemoryExport = memory.exportFd("OPAQUE_FD");
 * exp.fd.release(); // hand the fd on; exp.descriptor goes with it
 * ```
 *
 * @category Memory
 */
export interface MemoryExport extends Disposable {
  /** The exported fd. */
  fd: OwnedFd;
  /** What an importer needs. */
  descriptor: MemoryDescriptor;
}

/**
 * An exported semaphore or fence: the fd (owned, closes on dispose unless handed on) and its
 * descriptor. `fd` is null when a SYNC_FD export found the payload already signaled (the driver
 * returned -1, which imports as "already signaled").
 *
 * @example
 * ```ts
 * using exp: SyncExport = semaphore.exportFd("SYNC_FD");
 * exp.fd === null; // already signaled
 * ```
 *
 * @category Synchronization
 */
export interface SyncExport<F extends OwnedFd | null = OwnedFd | null> extends Disposable {
  /**
   * The exported fd, or null for an already-signaled SYNC_FD (an OPAQUE_FD export's type says it
   * is never null).
   */
  fd: F;
  /** What an importer needs. */
  descriptor: SyncDescriptor;
}

/**
 * Imports `fd` as `plan` (an `ImportPlan` of share/plan.ts) says: `call` gets the fd number to hand the driver (a dup; -1 for an
 * already-signaled SYNC_FD) and throws when the driver refuses (an ImportError or CudaError
 * that says what the device can still do). On success `fd` is consumed by `into` (what is
 * imported into, for the consumed fd's record: a label, or what makes it when it is first read).
 *
 * @example
 * ```ts
 * const handle = executeImport(fd, plan, () => device.label, (dup) => importCall(dup));
 * ```
 *
 * @category File descriptors
 */
export function executeImport<T>(
  fd: OwnedFd | number | null,
  plan: { readonly fd: number },
  into: string | (() => string),
  call: (fd: number) => T,
): T {
  if (plan.fd === -1) return call(-1); // "already signaled": no fd to dup or consume
  let out: T | undefined;
  // A throw from the call counts as a failure: the dup is cleaned up, the error goes on.
  importThroughDup(plan.fd, (dup) => {
    out = call(dup);
    return true;
  });
  consumeImported(fd!, () => `an import into ${typeof into === "string" ? into : into()}`);
  return out as T;
}

/**
 * What {@linkcode finishExport} needs to know of an export.
 *
 * @category File descriptors
 */
export interface ExportFacts<D extends ExportDescriptor> {
  /** The call that returned the fd (`vkGetMemoryFdKHR`), for messages. */
  call: string;
  /** What it returns on success: `VK_SUCCESS` or `CUDA_SUCCESS`. */
  success: string;
  /** What was exported, for messages and the fd's label. */
  label: string;
  /** The handle type (its name), for messages and the fd's label. */
  handleType: string;
  /** Whether -1 means "already signaled" (a SYNC_FD): then the export has no fd. */
  signaledIsNull?: boolean;
  /** The exporting Vulkan device and key, to learn (once) what its exports of this kind are. */
  learn?: { device: object; key: string; size?: number };
  /** The descriptor, given the fd's kind. */
  describe(fdKind: string | undefined): D;
}

/**
 * Finishes an export whose fd the driver returned as `raw`: a negative fd is a ShareError
 * BAD_EXPORT (except -1 where it means "already signaled"); otherwise the fd is owned and
 * close-on-exec, and its descriptor recorded while it is open here.
 *
 * @example
 * ```ts
 * const { fd, descriptor } = finishExport(raw, facts);
 * ```
 *
 * @category File descriptors
 */
export function finishExport<D extends ExportDescriptor>(
  raw: number,
  facts: ExportFacts<D>,
): { fd: OwnedFd | null; descriptor: D } & Disposable {
  let fd: OwnedFd | null = null;
  if (raw === -1 && facts.signaledIsNull) fd = null;
  else if (raw < 0) {
    throw new ShareError(
      "BAD_EXPORT",
      `${facts.call} returned ${facts.success} with fd ${raw} for ${facts.label} (${facts.handleType})`,
      ">= 0",
      raw,
    );
  }
  // What the driver's exports of this kind are is learned from the first (before anything else
  // touches the fd); a later one whose kind came close-on-exec needs no fcntl, and one of a device
  // file no fstat when an import consumes it.
  const learned = raw >= 0 && facts.learn
    ? learnExportKind(facts.learn.device, facts.learn.key, raw, facts.learn.size)
    : undefined;
  if (raw >= 0) {
    fd = OwnedFd.received(
      raw,
      () => `${facts.handleType} export of ${facts.label}`,
      learned?.cloexec === true,
      learned && exportFileOf(learned),
    );
  }
  const kind = fd === null ? undefined : learned ? learned.kind : fdKindOf(raw);
  const descriptor = facts.describe(kind);
  if (fd) recordExport(fd, descriptor);
  return { fd, descriptor, [Symbol.dispose]: () => fd?.close() };
}
