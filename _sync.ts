// What semaphores and fences share: the export descriptor, its checks, the export and import
// of fds (the same dup-and-check policy as memory imports), and timeouts as results.
import { checkReceivedFd, type ExportKind, exportKindOf, learnExportKind } from "./_export_kind.ts";
import type { ExternalSyncCapability } from "./capabilities.ts";
import type { Device } from "./device.ts";
import { enumValue, type SemaphoreTypeName } from "./enums.ts";
import { ImportError, ShareError, show, VkError } from "./errors.ts";
import {
  checkFdKind,
  consumeImported,
  ExportRegistry,
  importableFd,
  importThroughDup,
  OwnedFd,
} from "./fd.ts";
import { type AnyStruct, Arena, encode } from "./ffi/layout.ts";
import type { ExtensionTable } from "./ffi/vk_commands.ts";

const IMPORT_TEMPORARY = 0x1; // VK_SEMAPHORE_IMPORT_TEMPORARY_BIT == VK_FENCE_IMPORT_TEMPORARY_BIT

/**
 * The version of {@linkcode SyncDescriptor} this vkshare writes and reads.
 *
 * @category Synchronization
 */
export const SYNC_DESCRIPTOR_VERSION = 1;

/**
 * The fd handle types of semaphores and fences.
 *
 * @category Synchronization
 */
export type SyncHandleTypeName = "OPAQUE_FD" | "SYNC_FD";

/**
 * What an importer needs to know about an exported semaphore or fence, as plain JSON: produced
 * by `exportFd`, checked by `importFd`.
 *
 * @category Synchronization
 */
export interface SyncDescriptor {
  /** {@linkcode SYNC_DESCRIPTOR_VERSION}. */
  version: number;
  /** What was exported. */
  object: "semaphore" | "fence";
  /** The handle type of the fd. */
  handleType: SyncHandleTypeName;
  /** A semaphore's type (an OPAQUE_FD import must create or use the same). */
  semaphoreType?: SemaphoreTypeName;
  /** The exporting device's deviceUUID. */
  deviceUUID: string;
  /** The exporting device's driverUUID. */
  driverUUID: string;
  /** The exporting device's name (for messages). */
  deviceName: string;
  /** What the exported fd refers to (`sync_file`, `/dev/nvidiactl`), when known. */
  fdKind?: string;
}

/**
 * An exported semaphore or fence: the fd (owned, closes on dispose unless handed on) and its
 * descriptor. `fd` is null when a SYNC_FD export found the payload already signaled (the driver
 * returned -1, which imports as "already signaled").
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
 * What an import is given: a descriptor, or for a SYNC_FD from elsewhere just `"SYNC_FD"`.
 *
 * @category Synchronization
 */
export type SyncSource = SyncDescriptor | "SYNC_FD";

/**
 * Options of a semaphore's or fence's `importFd`.
 *
 * @category Synchronization
 */
export interface SyncImportOptions {
  /**
   * A temporary import (restored to the permanent payload after the next wait, or reset for a
   * fence). Default: true for SYNC_FD (which allows nothing else), false for OPAQUE_FD.
   */
  temporary?: boolean;
}

/**
 * What a host wait returned: the wait is over, or the timeout passed first.
 *
 * @category Synchronization
 */
export type WaitResult = "signaled" | "timeout";

/**
 * A timeout in ms as the nanoseconds Vulkan takes (Infinity: forever; 0: just poll).
 *
 * @category Synchronization
 */
export function timeoutNs(ms: number): bigint {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`timeoutMs: expected a number >= 0 (or Infinity), got ${String(ms)}`);
  }
  const max = 0xffff_ffff_ffff_ffffn;
  if (ms === Infinity) return max;
  const ns = BigInt(Math.round(ms * 1e6));
  return ns > max ? max : ns;
}

/**
 * Checks a descriptor (or `"SYNC_FD"`) given to an import of `object`.
 *
 * @category Synchronization
 */
export function checkSyncSource(s: SyncSource, object: "semaphore" | "fence"): SyncDescriptor {
  const bad = (m: string) => new ShareError("BAD_DESCRIPTOR", m);
  if (s === "SYNC_FD") {
    return {
      version: SYNC_DESCRIPTOR_VERSION,
      object,
      handleType: "SYNC_FD",
      deviceUUID: "",
      driverUUID: "",
      deviceName: "another driver",
    };
  }
  if (s === null || typeof s !== "object") {
    throw bad(
      `descriptor: expected the exporter's descriptor${
        s === "OPAQUE_FD" ? " (an OPAQUE_FD import needs its UUIDs and type)" : ""
      } or "SYNC_FD", got ${show(s)}`,
    );
  }
  // Each field is read once, into a plain copy that the checks and the driver call both use.
  const d: SyncDescriptor = {
    version: s.version,
    object: s.object,
    handleType: s.handleType,
    ...(s.semaphoreType !== undefined ? { semaphoreType: s.semaphoreType } : {}),
    deviceUUID: s.deviceUUID,
    driverUUID: s.driverUUID,
    deviceName: s.deviceName,
    ...(s.fdKind !== undefined ? { fdKind: s.fdKind } : {}),
  };
  if (d.version !== SYNC_DESCRIPTOR_VERSION) {
    throw bad(
      `descriptor.version is ${show(d.version)}; this vkshare reads ${SYNC_DESCRIPTOR_VERSION}`,
    );
  }
  if (d.object !== object) {
    throw bad(`the descriptor is of a ${show(d.object)}, not a ${object}`);
  }
  if (d.handleType !== "OPAQUE_FD" && d.handleType !== "SYNC_FD") {
    throw bad(`descriptor.handleType: expected OPAQUE_FD or SYNC_FD, got ${show(d.handleType)}`);
  }
  if (typeof d.deviceUUID !== "string" || typeof d.driverUUID !== "string") {
    throw bad("descriptor.deviceUUID and driverUUID must be UUID strings");
  }
  if (typeof d.deviceName !== "string") {
    throw bad(`descriptor.deviceName: expected a string, got ${show(d.deviceName)}`);
  }
  if (d.fdKind !== undefined && typeof d.fdKind !== "string") {
    throw bad(`descriptor.fdKind: expected a string, got ${show(d.fdKind)}`);
  }
  if (object === "semaphore" && d.semaphoreType !== "binary" && d.semaphoreType !== "timeline") {
    throw bad(
      `descriptor.semaphoreType: expected binary or timeline, got ${show(d.semaphoreType)}`,
    );
  }
  return d;
}

/**
 * The export mask of `exportAs` (one name or a list): each handle type checked exportable by
 * `capability` (HANDLE_TYPE_UNSUPPORTED names what the device lacks), and the extension loaded.
 *
 * @category Synchronization
 */
export function exportMask<N extends string>(
  device: Device,
  what: string,
  table: Readonly<Record<N, number>>,
  exportAs: N | readonly N[] | undefined,
  capability: (t: N) => ExternalSyncCapability,
  extension: ExtensionTable,
): number {
  const list = exportAs === undefined ? [] : typeof exportAs === "string" ? [exportAs] : exportAs;
  let mask = 0;
  for (const t of list) {
    mask |= enumValue(table, t, "exportAs");
    const cap = capability(t);
    if (!cap.exportable) {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `${device.physicalDevice.name} cannot export ${what} as ${t}${
          cap.unsupported ? ` (${cap.unsupported})` : cap.importable ? " (import only)" : ""
        }`,
        "exportable",
        cap,
      );
    }
    device.extension(extension);
  }
  return mask;
}

/**
 * Whether an import is temporary: the option, checked against what the handle type allows.
 *
 * @category Synchronization
 */
export function importIsTemporary(d: SyncDescriptor, temporary: boolean | undefined): boolean {
  if (d.handleType === "SYNC_FD") {
    if (temporary === false) {
      throw new ShareError(
        "TEMPORARY_REQUIRED",
        `a SYNC_FD has copy transference: it can only be imported temporarily (temporary: true)`,
        true,
        false,
      );
    }
    return true;
  }
  return temporary ?? false;
}

/**
 * The descriptor of an export of `object` from `device`.
 *
 * @category Synchronization
 */
export function syncDescriptor(
  device: Device,
  object: "semaphore" | "fence",
  handleType: SyncHandleTypeName,
  extra: { semaphoreType?: SemaphoreTypeName; fdKind?: string },
): SyncDescriptor {
  const pd = device.physicalDevice;
  const ids = pd.ids;
  return {
    version: SYNC_DESCRIPTOR_VERSION,
    object,
    handleType,
    ...(extra.semaphoreType ? { semaphoreType: extra.semaphoreType } : {}),
    deviceUUID: ids.deviceUUID,
    driverUUID: ids.driverUUID,
    deviceName: pd.name,
    ...(extra.fdKind ? { fdKind: extra.fdKind } : {}),
  };
}

/**
 * What an export or import needs of the semaphore or fence (the object itself).
 *
 * @category Synchronization
 */
export interface SyncTarget {
  readonly device: Device;
  readonly label: string;
  /** The handle, after checking it is alive. */
  readonly live: bigint;
  /** The handle types it was created exportable as (names). */
  readonly exportAs: readonly string[];
}

/**
 * @internal The Vulkan pieces of one kind of object's fds: semaphores' or fences'.
 *
 * @category Synchronization
 */
export interface SyncKind<T extends SyncObject> {
  object: "semaphore" | "fence";
  extension: ExtensionTable;
  /** `VkSemaphoreGetFdInfoKHR` or `VkFenceGetFdInfoKHR`. */
  getInfo: AnyStruct;
  /** `VkImportSemaphoreFdInfoKHR` or `VkImportFenceFdInfoKHR`. */
  importInfo: AnyStruct;
  /** `vkGetSemaphoreFdKHR` or `vkGetFenceFdKHR`. */
  get: string;
  /** `vkImportSemaphoreFdKHR` or `vkImportFenceFdKHR`. */
  import: string;
  /** The handle type bits by name. */
  handleTypes: Readonly<Record<SyncHandleTypeName, number>>;
  /** The capability query of `handleType` for `target`. */
  capability(target: T, handleType: SyncHandleTypeName): ExternalSyncCapability;
  /** Creates an object of this kind: exportable as `exportAs`, or of the type `like` exported. */
  create(device: Device, options: { exportAs?: "OPAQUE_FD"; like?: SyncDescriptor }): T;
}

/**
 * @internal What the generic import paths need of a semaphore or fence.
 *
 * @category Synchronization
 */
export interface SyncObject extends SyncTarget, Disposable {
  exportFd(handleType: SyncHandleTypeName): SyncExport;
  importFd(fd: OwnedFd | number | null, source: SyncSource, options?: SyncImportOptions): void;
}

/**
 * @internal Creates an object of kind `k` on `device` (of the exporter's type) and imports `fd`
 * into it; on failure the new object is destroyed and the caller's fd is still open.
 */
export function importIntoNew<T extends SyncObject>(
  k: SyncKind<T>,
  device: Device,
  fd: OwnedFd | number | null,
  source: SyncSource,
  options: SyncImportOptions = {},
): T {
  const d = checkSyncSource(source, k.object);
  const o = k.create(device, { like: d });
  try {
    o.importFd(fd, d, options);
  } catch (e) {
    o[Symbol.dispose]();
    throw e;
  }
  return o;
}

// The two kinds' commands differ only in names: call them through the loaded table by name.
type Command = (...args: unknown[]) => number;
function command<T extends SyncObject>(k: SyncKind<T>, t: T, name: string): Command {
  return (t.device.extension(k.extension) as unknown as Record<string, Command>)[name];
}

/**
 * Exports `t` as `handleType` (checked against what it was created exportable as). A SYNC_FD of
 * -1 (already signaled) becomes `fd: null`.
 *
 * @category Synchronization
 */
export function exportSync<T extends SyncObject>(
  k: SyncKind<T>,
  t: T,
  handleType: SyncHandleTypeName,
  semaphoreType?: SemaphoreTypeName,
): SyncExport {
  if (handleType !== "OPAQUE_FD" && handleType !== "SYNC_FD") {
    throw new RangeError(`handleType: expected OPAQUE_FD or SYNC_FD, got ${String(handleType)}`);
  }
  if (!t.exportAs.includes(handleType)) {
    throw new ShareError(
      "NOT_EXPORTABLE",
      `${t.label} was created without ${handleType} in exportAs (it is exportable as [${
        t.exportAs.join(", ")
      }])`,
      handleType,
      t.exportAs,
    );
  }
  const out = new Int32Array(new ArrayBuffer(4));
  out[0] = -2;
  const r = (() => {
    using arena = new Arena();
    const info = encode(k.getInfo, {
      [k.object]: t.live,
      handleType: k.handleTypes[handleType],
    }, arena);
    return command(k, t, k.get)(t.device.live, info.bytes, new Uint8Array(out.buffer));
  })();
  const name = k.get;
  if (r < 0) {
    throw new VkError(name, r, { device: t.device.physicalDevice.name, handleType });
  }
  let fd: OwnedFd | null = null;
  if (out[0] === -1 && handleType === "SYNC_FD") fd = null;
  else if (out[0] < 0) {
    throw new ShareError(
      "BAD_EXPORT",
      `${name} returned VK_SUCCESS with fd ${out[0]} for ${t.label} (${handleType})`,
      ">= 0",
      out[0],
    );
  } else fd = OwnedFd.received(out[0], `${handleType} export of ${t.label}`);
  const fdKind = fd
    ? learnExportKind(t.device, `${k.object}:${handleType}`, fd.number).kind
    : undefined;
  const descriptor = syncDescriptor(t.device, k.object, handleType, { semaphoreType, fdKind });
  if (fd) syncExports.record(fd, descriptor);
  return { fd, descriptor, [Symbol.dispose]: () => fd?.close() };
}

/**
 * @internal The semaphore and fence exports whose fds are open in this process.
 *
 * @category Synchronization
 */
export const syncExports: ExportRegistry<SyncDescriptor> = new ExportRegistry();

/**
 * @internal Checks fd `n` against the export it comes from, when that export is in this process
 * (and returns that export's descriptor): the same kind of object (FD_KIND_MISMATCH) and, for a
 * semaphore, the same type (SEMAPHORE_TYPE_MISMATCH). Drivers accept either lie silently
 * (NVIDIA's CUDA imports a binary semaphore's fd as a timeline one, and a memory fd as a
 * semaphore). A SYNC_FD export is a sync_file, which semaphores and fences both import: it is not
 * checked.
 */
export function checkSyncOrigin(
  fd: OwnedFd | number,
  n: number,
  d: SyncDescriptor,
): SyncDescriptor | undefined {
  const origin = syncExports.originOf(fd);
  if (!origin || origin.handleType === "SYNC_FD") return undefined;
  if (origin.object !== d.object) {
    throw new ShareError(
      "FD_KIND_MISMATCH",
      `fd ${n} is the export of a ${origin.object}, not of a ${d.object}`,
      d.object,
      origin.object,
    );
  }
  if (d.semaphoreType !== undefined && origin.semaphoreType !== d.semaphoreType) {
    throw new ShareError(
      "SEMAPHORE_TYPE_MISMATCH",
      `fd ${n} is the export of a ${origin.semaphoreType} semaphore, but the descriptor says ${d.semaphoreType}`,
      origin.semaphoreType,
      d.semaphoreType,
    );
  }
  return origin;
}

/**
 * What `device`'s own OPAQUE_FD exports of objects of kind `k` are: learned from its first
 * export, or from an object like `like` made and exported to find out (null when it cannot).
 */
function syncExportKind<T extends SyncObject>(
  k: SyncKind<T>,
  device: Device,
  like: SyncDescriptor,
): ExportKind | null {
  return exportKindOf(device, `${k.object}:OPAQUE_FD`, () => {
    using a = k.create(device, { exportAs: "OPAQUE_FD", like });
    a.exportFd("OPAQUE_FD")[Symbol.dispose]();
  });
}

/**
 * After a failed import: exports a new object of kind `k` on `device` as OPAQUE_FD and imports it
 * into another; whether that worked (null: the device cannot export one). The canary's own import
 * starts no canary when it fails.
 */
function probe<T extends SyncObject>(k: SyncKind<T>, device: Device): boolean | null {
  try {
    using a = k.create(device, { exportAs: "OPAQUE_FD" });
    using e = a.exportFd("OPAQUE_FD");
    using b = k.create(device, { like: e.descriptor });
    importSync(k, b, e.fd, e.descriptor, false, false);
    return true;
  } catch (e) {
    return e instanceof ShareError ? null : false;
  }
}

/**
 * Imports `fd` into `t` after checking everything vkshare can: the fd (open, not consumed, of
 * the exporter's kind; -1 or null only for SYNC_FD, meaning "already signaled"), the UUIDs of an
 * OPAQUE_FD, and the capability. The driver gets a close-on-exec dup; on success the caller's fd
 * is consumed, on failure it is still open and an ImportError says whether the device still
 * imports (a canary import, unless `canary` is false).
 *
 * @category Synchronization
 */
export function importSync<T extends SyncObject>(
  k: SyncKind<T>,
  t: T,
  fd: OwnedFd | number | null,
  d: SyncDescriptor,
  temporary: boolean,
  canary = true,
): void {
  const pd = t.device.physicalDevice;
  const signaled = fd === null || fd === -1;
  if (signaled && d.handleType !== "SYNC_FD") {
    throw new ShareError(
      "FD_NOT_OPEN",
      `fd -1 means "already signaled" only for a SYNC_FD, not for ${d.handleType}`,
      "an open fd",
      -1,
    );
  }
  let n = -1;
  let received = false;
  if (!signaled) {
    n = importableFd(fd);
    const origin = checkSyncOrigin(fd!, n, d);
    if (origin || d.handleType === "SYNC_FD") {
      // The descriptor of the export itself needs no check of its kind (and no readlink).
      const want = origin === d
        ? undefined
        : d.handleType === "SYNC_FD"
        ? "sync_file"
        : d.fdKind;
      checkFdKind(n, want, `${d.handleType} ${k.object}`, origin);
    } else received = true; // checked against this device's own exports, below
  }
  if (d.handleType === "OPAQUE_FD") {
    const ids = pd.ids;
    if (ids.deviceUUID !== d.deviceUUID || ids.driverUUID !== d.driverUUID) {
      throw new ShareError(
        "UUID_MISMATCH",
        `an OPAQUE_FD ${k.object} exported by "${d.deviceName}" (deviceUUID ${d.deviceUUID}, driverUUID ${d.driverUUID}) cannot be imported into "${pd.name}" (deviceUUID ${ids.deviceUUID}, driverUUID ${ids.driverUUID}): both UUIDs must match`,
        { deviceUUID: d.deviceUUID, driverUUID: d.driverUUID },
        { deviceUUID: ids.deviceUUID, driverUUID: ids.driverUUID },
      );
    }
  }
  const cap = k.capability(t, d.handleType);
  if (!cap.importable) {
    throw new ShareError(
      "HANDLE_TYPE_UNSUPPORTED",
      `${pd.name} cannot import a ${d.handleType} ${k.object}${
        cap.unsupported ? ` (${cap.unsupported})` : ""
      }`,
      "importable",
      cap,
    );
  }
  if (received) {
    checkReceivedFd(n, syncExportKind(k, t.device, d), `${d.handleType} ${k.object}`);
  }

  const call = (fd: number) => {
    using arena = new Arena();
    const info = encode(k.importInfo, {
      [k.object]: t.live,
      flags: temporary ? IMPORT_TEMPORARY : 0,
      handleType: k.handleTypes[d.handleType],
      fd,
    }, arena);
    return command(k, t, k.import)(t.device.live, info.bytes);
  };
  const details = { device: pd.name, handleType: d.handleType, fd: n, temporary };
  const instance = pd.instance;
  const mark = instance.messageMark;
  const fail = (r: number) => {
    const reports = instance.expectedSince(mark);
    const still = canary ? probe(k, t.device) : null;
    return new ImportError(k.import, r, details, still, "imports", reports);
  };
  if (signaled) {
    const r = call(-1);
    if (r < 0) throw fail(r);
    return;
  }
  importThroughDup(n, (dup) => {
    const r = call(dup);
    if (r < 0) throw fail(r);
    return true;
  });
  consumeImported(fd!, `an import into ${t.label}`);
}
