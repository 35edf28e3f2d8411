// What semaphores and fences share: their export mask, descriptor and export (through the one
// export epilogue), and their import (through the one import plan and execution, share/).
import { enumValue, type SemaphoreTypeName } from "../core/enums.ts";
import { ImportError, ShareError, VkError } from "../core/errors.ts";
import {
  type AnyStruct,
  Arena,
  encode,
  encodeFlat,
  fastPaths,
  KeptStruct,
  keysOf,
} from "../ffi/layout.ts";
import type { ExtensionTable } from "../ffi/vk_commands.ts";
import type { ExternalSyncCapability } from "../share/capabilities.ts";
import {
  parseSyncSource,
  SYNC_DESCRIPTOR_VERSION,
  type SyncDescriptor,
  type SyncHandleTypeName,
  type SyncSource,
} from "../share/descriptor.ts";
import type { ExportFacts, SyncExport } from "../share/execute.ts";
import { executeImport, finishExport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import { exportKindOf } from "../share/fd_kind.ts";
import {
  finishWin32Export,
  type OwnedHandle,
  type SyncWin32HandleTypeName,
  type Win32Export,
  win32Fields,
  win32KindOf,
  type Win32Source,
  win32Source,
} from "../share/handle.ts";
import {
  type ImporterFacts,
  type ImportPlan,
  knownPlan,
  planImport,
  planOrThrow,
  type PlanResult,
  type SyncTargetFacts,
  vulkanImporter,
} from "../share/plan.ts";
import { madeHere } from "../share/registry.ts";
import type { Device } from "../vulkan/device.ts";

const IMPORT_TEMPORARY = 0x1; // VK_SEMAPHORE_IMPORT_TEMPORARY_BIT == VK_FENCE_IMPORT_TEMPORARY_BIT

/**
 * Options of a semaphore's or fence's `importFd`.
 *
 * @example
 * ```ts
 * semaphore.importFd(exp.fd, exp.descriptor, { temporary: true });
 * ```
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
 * @example
 * ```ts
 * const r: WaitResult = timeline.wait(5, 1000);
 * if (r === "timeout") console.log("not yet");
 * ```
 *
 * @category Synchronization
 */
export type WaitResult = "signaled" | "timeout";

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
 * The descriptor of an export of `object` from `device`.
 *
 * @category Synchronization
 */
export function syncDescriptor(
  device: Device,
  object: "semaphore" | "fence",
  handleType: SyncHandleTypeName | SyncWin32HandleTypeName,
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
 * @ignore @internal The Vulkan pieces of one kind of object's fds: semaphores' or fences'.
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
  /** Its Windows handle commands (VK_KHR_external_{semaphore,fence}_win32). */
  win32: {
    extension: ExtensionTable;
    /** `VkSemaphoreGetWin32HandleInfoKHR` or `VkFenceGetWin32HandleInfoKHR`. */
    getInfo: AnyStruct;
    /** `VkImportSemaphoreWin32HandleInfoKHR` or `VkImportFenceWin32HandleInfoKHR`. */
    importInfo: AnyStruct;
    /** `vkGetSemaphoreWin32HandleKHR` or `vkGetFenceWin32HandleKHR`. */
    get: string;
    /** `vkImportSemaphoreWin32HandleKHR` or `vkImportFenceWin32HandleKHR`. */
    import: string;
    /** The Windows handle type bits by name. */
    handleTypes: Readonly<Record<string, number>>;
  };
  /** The capability query of `handleType` for `target`. */
  capability(target: T, handleType: SyncHandleTypeName): ExternalSyncCapability;
  /** Creates an object of this kind: exportable as `exportAs`, of `semaphoreType` (a semaphore). */
  create(
    device: Device,
    options: { exportAs?: "OPAQUE_FD"; semaphoreType?: SemaphoreTypeName },
  ): T;
}

/**
 * @ignore @internal What the generic import paths need of a semaphore or fence.
 *
 * @category Synchronization
 */
export interface SyncObject extends SyncTarget, Disposable {
  exportFd(handleType: SyncHandleTypeName): SyncExport;
  importFd(fd: OwnedFd | number | null, source: SyncSource, options?: SyncImportOptions): void;
}

/**
 * @ignore @internal Creates an object of kind `k` on `device` (of the exporter's type, as `source`
 * describes it) and imports into it with `into` (its fd, or its Windows handle); on failure the
 * new object is destroyed (and the caller's fd or handle is still the caller's).
 */
export function importIntoNew<T extends SyncObject>(
  k: SyncKind<T>,
  device: Device,
  source: SyncSource,
  into: (o: T, d: SyncDescriptor) => void,
): T {
  // A descriptor vkshare made for an export of this kind is already known good (and frozen).
  const own = madeHere(source) && (source as { object?: string }).object === k.object;
  const d = own ? source as SyncDescriptor : parseSyncSource(source, k.object);
  const o = k.create(device, d.semaphoreType ? { semaphoreType: d.semaphoreType } : {});
  try {
    into(o, d);
  } catch (e) {
    o[Symbol.dispose]();
    throw e;
  }
  return o;
}

// The plan cache's variant of each kind and semaphore type (strings made once, not per import).
const PLAN_VARIANT = keysOf("sync", ["semaphore", "fence"], ["binary", "timeline"]);

// The import info of each kind (VkImportSemaphoreFdInfoKHR, VkImportFenceFdInfoKHR), kept: an
// import rewrites its object, flags, handle type and fd (nothing else runs between that and the
// call).
const importInfos = new WeakMap<object, KeptStruct<AnyStruct>>();

// Per exported object: its encoded get-fd info and descriptor, by handle type.
const exportCache = new WeakMap<
  SyncObject,
  Map<
    SyncHandleTypeName,
    { info: Uint8Array; facts?: ExportFacts<SyncDescriptor>; descriptor?: SyncDescriptor }
  >
>();
const syncFdOut = new Int32Array(new ArrayBuffer(4));
const syncFdOutBytes = new Uint8Array(syncFdOut.buffer);

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
  requireExportable(t, handleType);
  // The get-fd info is encoded once per object and handle type, its descriptor made once; the
  // out-parameter is one scratch buffer (the fd is read before anything else can call).
  let perObject = exportCache.get(t);
  if (!perObject) exportCache.set(t, perObject = new Map());
  let cached = fastPaths.enabled ? perObject.get(handleType) : undefined;
  if (!cached) {
    cached = {
      info: encodeFlat(k.getInfo, { [k.object]: t.live, handleType: k.handleTypes[handleType] }),
    };
    perObject.set(handleType, cached);
  }
  const out = syncFdOut;
  out[0] = -2;
  const r = command(k, t, k.get)(t.device.live, cached.info, syncFdOutBytes);
  if (r < 0) {
    throw new VkError(k.get, r, { device: t.device.physicalDevice.name, handleType });
  }
  // What finishExport needs, made once per object and handle type; the descriptor is kept once
  // it has its fd's kind (an already-signaled SYNC_FD, with no fd, has none).
  const c = cached;
  const facts = c.facts ??= {
    call: k.get,
    success: "VK_SUCCESS",
    label: t.label,
    handleType,
    signaledIsNull: handleType === "SYNC_FD",
    learn: { device: t.device, key: `${k.object}:${handleType}` },
    describe: (fdKind) =>
      fdKind === undefined
        ? syncDescriptor(t.device, k.object, handleType, { semaphoreType })
        : c.descriptor ??= syncDescriptor(t.device, k.object, handleType, {
          semaphoreType,
          fdKind,
        }),
  };
  return finishExport(out[0], facts);
}

/** NOT_EXPORTABLE unless `t` was created exportable as `handleType`. */
function requireExportable(t: SyncTarget, handleType: string): void {
  if (t.exportAs.includes(handleType)) return;
  throw new ShareError(
    "NOT_EXPORTABLE",
    `${t.label} was created without ${handleType} in exportAs (it is exportable as [${
      t.exportAs.join(", ")
    }])`,
    handleType,
    t.exportAs,
  );
}

// Per object: the handle types it was exported as an NT handle (WIN32_EXPORTED_ONCE).
const win32Exported = new WeakMap<SyncObject, Set<string>>();

/**
 * Exports `t` as a Windows handle of `handleType` (checked against what it was created exportable
 * as; an NT handle once per object and handle type).
 *
 * @category Synchronization
 */
export function exportSyncWin32<T extends SyncObject>(
  k: SyncKind<T>,
  t: T,
  handleType: SyncWin32HandleTypeName,
  semaphoreType?: SemaphoreTypeName,
): Win32Export<SyncDescriptor> {
  win32KindOf(k.object, handleType);
  // Without the extension, a MissingExtensionError names it before anything else.
  const ext = t.device.extension(k.win32.extension) as unknown as Record<string, Command>;
  requireExportable(t, handleType);
  let exported = win32Exported.get(t);
  if (!exported) win32Exported.set(t, exported = new Set());
  const info = encodeFlat(k.win32.getInfo, {
    [k.object]: t.live,
    handleType: k.win32.handleTypes[handleType],
  });
  return finishWin32Export({
    object: k.object,
    label: t.label,
    handleType,
    exported,
    call: k.win32.get,
    get: (out) => ext[k.win32.get](t.device.live, info, out),
    details: () => ({ device: t.device.physicalDevice.name, handleType }),
    describe: () => syncDescriptor(t.device, k.object, handleType, { semaphoreType }),
  });
}

/**
 * Imports a Windows handle (or an NT handle type's name) described by `source` into `t`, after
 * the plan's rules; the handle is not consumed.
 *
 * @category Synchronization
 */
export function importSyncWin32<T extends SyncObject>(
  k: SyncKind<T>,
  t: T,
  source: OwnedHandle | Win32Source,
  descriptor: SyncDescriptor,
  options: SyncImportOptions,
  target: SyncTargetFacts,
): ImportPlan {
  const device = t.device;
  const pd = device.physicalDevice;
  // Without the extension, a MissingExtensionError names it before any rule is judged.
  const ext = device.extension(k.win32.extension) as unknown as Record<string, Command>;
  const win32 = win32Source(source);
  const plan = planOrThrow(planImport({
    object: k.object,
    importer: syncImporterFacts(k, device, target.semaphoreType, (h) => k.capability(t, h)),
    target,
    fd: null,
    descriptor,
    options,
    win32,
  }));
  const handleType = plan.handleType;
  using arena = new Arena();
  const { handle, name, shown } = win32Fields(win32);
  const info = encode(k.win32.importInfo, {
    [k.object]: t.live,
    flags: plan.temporary ? IMPORT_TEMPORARY : 0,
    handleType: k.win32.handleTypes[handleType],
    handle,
    name,
  }, arena);
  const instance = pd.instance;
  const mark = instance.messageMark;
  const r = ext[k.win32.import](device.live, info.bytes);
  if (r < 0) {
    const reports = instance.expectedSince(mark);
    const details = { device: pd.name, handleType, ...shown, temporary: plan.temporary };
    throw new ImportError(k.win32.import, r, details, null, "imports", reports);
  }
  return plan;
}

/**
 * After a failed import: exports a new object of kind `k` on `device` as OPAQUE_FD and imports it
 * into another; whether that worked (null: the device cannot export one). The canary's own import
 * starts no canary when it fails.
 */
function probe<T extends SyncObject>(
  k: SyncKind<T>,
  device: Device,
  semaphoreType: SemaphoreTypeName | undefined,
): boolean | null {
  try {
    const type = semaphoreType ? { semaphoreType } : {};
    using a = k.create(device, { exportAs: "OPAQUE_FD", ...type });
    using e = a.exportFd("OPAQUE_FD");
    using b = k.create(device, type);
    importSync(k, b, e.fd, e.descriptor, {}, { label: b.label, inUse: false }, false);
    return true;
  } catch (e) {
    return e instanceof ShareError ? null : false;
  }
}

/**
 * What the import plan needs to know of `device` as an importer of semaphores or fences of kind
 * `k` (of `semaphoreType`): `capability` answers for the object imported into. What its own
 * exports are is learned from its first export, or from one made to find out.
 */
function syncImporterFacts<T extends SyncObject>(
  k: SyncKind<T>,
  device: Device,
  semaphoreType: SemaphoreTypeName | undefined,
  capability: (h: SyncHandleTypeName) => ExternalSyncCapability,
): ImporterFacts {
  return {
    ...vulkanImporter(device.physicalDevice),
    capability: (h) => capability(h as SyncHandleTypeName),
    exportKind: (key) =>
      exportKindOf(device, key, () => {
        const type = semaphoreType ? { semaphoreType } : {};
        using a = k.create(device, { exportAs: "OPAQUE_FD", ...type });
        a.exportFd("OPAQUE_FD")[Symbol.dispose]();
      }),
  };
}

/**
 * Plans an import of `fd` (null: none, and the fd's own rules are not judged) described by
 * `source` into a new object of kind `k` on `device`, without importing anything.
 *
 * @category Synchronization
 */
export function planSyncImport<T extends SyncObject>(
  k: SyncKind<T>,
  device: Device,
  fd: OwnedFd | number | null,
  source: unknown,
  options: SyncImportOptions,
  capability: (
    h: SyncHandleTypeName,
    semaphoreType: SemaphoreTypeName | undefined,
  ) => ExternalSyncCapability,
): PlanResult {
  device.assertAlive();
  let semaphoreType: SemaphoreTypeName | undefined;
  try {
    semaphoreType = parseSyncSource(source, k.object).semaphoreType;
  } catch {
    semaphoreType = undefined; // the plan says what is wrong with it
  }
  return planImport({
    object: k.object,
    importer: syncImporterFacts(k, device, semaphoreType, (h) => capability(h, semaphoreType)),
    target: {
      label: `a new ${semaphoreType ? `${semaphoreType} ` : ""}${k.object} on ${device.label}`,
      ...(semaphoreType ? { semaphoreType } : {}),
      inUse: false,
    },
    fd,
    descriptor: source,
    options,
    withoutFd: fd === null,
  });
}

/**
 * Imports `fd` into `t`, as described by `source`: planned first (share/plan.ts: the descriptor,
 * how the payload goes into `target`, the UUIDs of an OPAQUE_FD, the capability, the fd: open,
 * not consumed, of the exporter's kind; -1 or null only for SYNC_FD, meaning "already
 * signaled"), then executed (share/execute.ts). On failure the caller's fd is still open and an
 * ImportError says whether the device still imports (a canary import, unless `canary` is false).
 * Returns the plan (whether the import was temporary, the checked descriptor).
 *
 * @category Synchronization
 */
export function importSync<T extends SyncObject>(
  k: SyncKind<T>,
  t: T,
  fd: OwnedFd | number | null,
  source: SyncSource,
  options: SyncImportOptions,
  target: SyncTargetFacts,
  canary?: boolean,
): ImportPlan {
  canary ??= true;
  const device = t.device;
  const pd = device.physicalDevice;
  // Nothing but the fd can change the plan of an import into an object not in use, without
  // options: remembered per device, kind and type (knownPlan).
  const variant = !target.inUse && options.temporary === undefined
    ? PLAN_VARIANT(k.object, target.semaphoreType)
    : undefined;
  const key = variant === undefined ? undefined : { importer: device, variant };
  const plan = (key && knownPlan(key, fd, source)) || planOrThrow(planImport({
    object: k.object,
    importer: syncImporterFacts(k, device, target.semaphoreType, (h) => k.capability(t, h)),
    target,
    fd,
    descriptor: source,
    options,
    ...(key ? { cacheAs: key } : {}),
  }));
  const handleType = plan.handleType as SyncHandleTypeName;
  const instance = pd.instance;
  executeImport(fd, plan, () => t.label, (n) => {
    const mark = instance.messageMark;
    let info = importInfos.get(k);
    if (!info || !fastPaths.enabled) importInfos.set(k, info = new KeptStruct(k.importInfo, {}));
    info.setU64(k.object, t.live);
    info.setI32("flags", plan.temporary ? IMPORT_TEMPORARY : 0);
    info.setI32("handleType", k.handleTypes[handleType]);
    info.setI32("fd", n);
    const r = command(k, t, k.import)(device.live, info.bytes);
    if (r < 0) {
      const reports = instance.expectedSince(mark);
      const still = canary ? probe(k, device, target.semaphoreType) : null;
      const details = { device: pd.name, handleType, fd: plan.fd, temporary: plan.temporary };
      throw new ImportError(k.import, r, details, still, "imports", reports);
    }
  });
  return plan;
}
