/**
 * The import plan: every rule an import must keep, checked in one place and in one order for
 * every importer (Vulkan memory, semaphores and fences; CUDA memory and semaphores), before
 * anything is imported. {@linkcode planImport} takes what is imported (an fd and a descriptor),
 * what imports it (plain facts about the device, and the buffer, image, semaphore or fence it goes
 * into) and the options, and returns either a plain-data {@linkcode ImportPlan} or every rule the
 * import breaks, each with its expected and actual values. It reads the fd (its kind, its size,
 * kcmp against this process's exports) and asks the importer's cached capability answers; it
 * imports nothing. Once a rule is broken, the checks that would ask the driver (a DMA_BUF's
 * memory types, a probe of what the device's own exports are) are not made: the list is every
 * rule that can be judged without the driver. The import itself is share/execute.ts.
 *
 * The facts are plain data (with a few lazy queries), so every rule is tested without a driver
 * (tests/share/plan_test.ts).
 *
 * @module
 */
import { flagMask, flagNames, MemoryProperty } from "../core/enums.ts";
import { doctorHint, ShareError, type ShareRule } from "../core/errors.ts";
import { fastPaths } from "../ffi/layout.ts";
import {
  type DedicatedTarget,
  type ExportDescriptor,
  isForeign,
  type MemoryDescriptor,
  objectOf,
  parseMemoryDescriptor,
  parseSyncSource,
  type SyncDescriptor,
} from "./descriptor.ts";
import { importableFd, type OwnedFd } from "./fd.ts";
import { checkReceivedFd, type ExportKind } from "./fd_kind.ts";
import { checkFdKind, fdSize } from "./fd_kind.ts";
import {
  checkWin32Source,
  WIN32_HANDLE_TYPES,
  win32HandleKind,
  type Win32Source,
} from "./handle.ts";
import { planeLayoutRules } from "./image_plan.ts";
import { madeHere, originOf } from "./registry.ts";

/**
 * A rule an import would break: the rule, what was wrong, and the values compared.
 *
 * @example
 * ```ts
 * const r = planImport(request);
 * if (!r.ok) for (const b of r.broken as BrokenRule[]) console.log(b.rule, b.expected, b.actual);
 * ```
 *
 * @category Errors
 */
export interface BrokenRule {
  /** The rule (a key of `SHARE_RULES`). */
  rule: ShareRule;
  /** What was wrong, in words. */
  message: string;
  /** What the rule expects, when it compares values. */
  expected?: unknown;
  /** What was given. */
  actual?: unknown;
}

/**
 * One memory type, as the plan sees it.
 *
 * @example
 * ```ts
 * const types: PlanMemoryType[] = pd.memoryTypes;
 * ```
 *
 * @category Memory
 */
export interface PlanMemoryType {
  /** Its index. */
  index: number;
  /** Its property flags. */
  propertyFlags: number;
  /** The same, by name. */
  flags: readonly string[];
}

/**
 * What the plan needs to know of the importing device (Vulkan or CUDA): plain data, and the few
 * queries it may ask (each answer cached by the importer).
 *
 * @example
 * ```ts
 * const importer: ImporterFacts = {
 *   api: "vulkan",
 *   name: pd.name,
 *   deviceUUID: pd.ids.deviceUUID,
 *   driverUUID: pd.ids.driverUUID,
 *   capability: (t) => externalBufferProperties(pd, { handleType: t as MemoryHandleTypeName }),
 *   memoryTypes: pd.memoryTypes,
 * };
 * ```
 *
 * @category Memory
 */
export interface ImporterFacts {
  /** `vulkan` (a VkDevice), `cuda` (a CUDA device) or `gl` (an OpenGL context). */
  api: "vulkan" | "cuda" | "gl";
  /** The device's name, for messages. */
  name: string;
  /** Its deviceUUID. */
  deviceUUID: string;
  /** Its driverUUID (null for CUDA, which has none: its deviceUUID alone must match). */
  driverUUID: string | null;
  /** Whether it can import `handleType` for what `d` describes (and the target). */
  capability(
    handleType: string,
    d: ExportDescriptor,
  ): { importable: boolean; unsupported?: string; exportFromImportedHandleTypes?: string[] };
  /**
   * What this device's own exports of `key` (`memory:OPAQUE_FD`, `semaphore:OPAQUE_FD`) are, to
   * check an fd received from elsewhere against; null when it cannot export them. Absent: received
   * fds are checked against the descriptor's fd kind only (CUDA).
   */
  exportKind?(key: string): ExportKind | null;
  /** Memory imports: its memory types. */
  memoryTypes?: readonly PlanMemoryType[];
  /** DMA_BUF imports: the memory types fd `n` may be imported as (vkGetMemoryFdPropertiesKHR). */
  fdMemoryTypeBits?(n: number): number;
  /**
   * Imports of a Windows handle of a non-opaque type (D3D11, D3D12): the memory types it may be
   * imported as (vkGetMemoryWin32HandlePropertiesKHR). Absent: the exporter's memory type is kept.
   */
  win32MemoryTypeBits?(handleType: string, handle: bigint): number;
  /**
   * Why an import made exportable again (`exportAs`) is refused on this driver whatever its
   * `exportFromImportedHandleTypes` say (see {@linkcode relayRefusal}); absent where it is not.
   */
  relayRefused?: string;
}

/**
 * Why vkshare refuses to import memory exportable again (`exportAs`, a relay) on the driver of
 * `pd`, though the driver lists the handle type in `exportFromImportedHandleTypes`; undefined
 * where it relays. Measured, not read: NVIDIA's driver (580.159.04, H200) returns VK_SUCCESS for
 * an OPAQUE_FD import with VkExportMemoryAllocateInfo chained, but the memory is new (zeros,
 * not the exporter's bytes), and the validation layer (1.4.309) says nothing.
 *
 * @example
 * ```ts
 * relayRefusal({ vendorId: 0x10de, driverName: "NVIDIA", driverVersionString: "580.159.4.0" });
 * ```
 *
 * @category Memory
 */
export function relayRefusal(
  pd: { vendorId?: number; driverName?: string | null; driverVersionString?: string },
): string | undefined {
  if (pd.vendorId !== 0x10de || pd.driverName !== "NVIDIA") return undefined;
  return `NVIDIA's driver${
    pd.driverVersionString ? ` (${pd.driverVersionString})` : ""
  } imports nothing when the import is made exportable again: it returns new memory, not the exporter's (measured on 580.159.04); export the original memory to each importer instead`;
}

/**
 * The identity part of a Vulkan device's {@linkcode ImporterFacts}: its name and UUIDs.
 *
 * @example
 * ```ts
 * const importer: ImporterFacts = { ...vulkanImporter(pd), capability: () => ({ importable: true }) };
 * ```
 *
 * @category Memory
 */
export function vulkanImporter(
  pd: {
    name: string;
    ids: { deviceUUID: string; driverUUID: string };
    vendorId?: number;
    driverName?: string | null;
    driverVersionString?: string;
  },
): Pick<ImporterFacts, "api" | "name" | "deviceUUID" | "driverUUID" | "relayRefused"> {
  const ids = pd.ids;
  const relay = relayRefusal(pd);
  return {
    api: "vulkan",
    name: pd.name,
    deviceUUID: ids.deviceUUID,
    driverUUID: ids.driverUUID,
    ...(relay ? { relayRefused: relay } : {}),
  };
}

/**
 * What the plan needs to know of the buffer or image imported memory is bound to.
 *
 * @example
 * ```ts
 * const target: MemoryTargetFacts = {
 *   label: buffer.label,
 *   sameDevice: true,
 *   bound: buffer.memory !== null,
 *   description: buffer.describe(),
 *   requirements: buffer.requirements,
 *   externalHandleTypes: buffer.externalHandleTypeNames,
 * };
 * ```
 *
 * @category Memory
 */
export interface MemoryTargetFacts {
  /** For messages. */
  label: string;
  /** Whether it belongs to the importing device. */
  sameDevice: boolean;
  /** Whether it is already bound to memory. */
  bound: boolean;
  /** What a dedicated export's target is compared with. */
  description: DedicatedTarget;
  /** Its memory requirements. */
  requirements: { size: number; memoryTypeBits: number; requiresDedicated: boolean };
  /** The external handle types it was created with. */
  externalHandleTypes: readonly string[];
  /** Why it cannot have a dedicated allocation, where it cannot (a plane of a disjoint image). */
  noDedicated?: string;
}

/**
 * What the plan needs to know of the semaphore or fence a payload is imported into.
 *
 * @example
 * ```ts
 * const target: SyncTargetFacts = { label: semaphore.label, semaphoreType: semaphore.type, inUse: false };
 * ```
 *
 * @category Synchronization
 */
export interface SyncTargetFacts {
  /** For messages. */
  label: string;
  /** A semaphore's type. */
  semaphoreType?: "binary" | "timeline";
  /** Whether a submission that may still run uses it. */
  inUse: boolean;
}

/**
 * An import to plan: of memory, or of a semaphore's or fence's payload.
 *
 * @example
 * ```ts
 * const request: ImportRequest = { object: "memory", importer, fd: exp.fd, descriptor: exp.descriptor };
 * ```
 *
 * @category Memory
 */
export type ImportRequest =
  | {
    object: "memory";
    importer: ImporterFacts;
    /** The buffer or image to bind to, if any. */
    target?: MemoryTargetFacts;
    fd: OwnedFd | number | null;
    /** The descriptor as given (checked here). */
    descriptor: unknown;
    options?: {
      memoryTypeIndex?: number;
      properties?: readonly string[];
      /** Handle types the imported memory is to be exportable as again. */
      exportAs?: readonly string[] | string;
    };
    /**
     * Plan without an fd (`fd` is ignored): the rules of the fd itself, and a DMA_BUF's memory
     * types, are not judged. What `deno task doctor --explain` asks of a descriptor alone.
     */
    withoutFd?: boolean;
    /** Where an accepted plan may be remembered: see {@linkcode PlanCacheKey}. */
    cacheAs?: PlanCacheKey;
    /**
     * A Windows handle import (`importWin32`): the handle or name (`fd` is then null, and the
     * fd's rules are not judged).
     */
    win32?: Win32Source;
  }
  | {
    object: "semaphore" | "fence";
    importer: ImporterFacts;
    /** The semaphore or fence to import into (absent: a new one, made like the export). */
    target?: SyncTargetFacts;
    /** The fd; null or -1 for an already-signaled SYNC_FD. */
    fd: OwnedFd | number | null;
    descriptor: unknown;
    options?: { temporary?: boolean };
    /** Plan without an fd (see the memory variant). */
    withoutFd?: boolean;
    /** Where an accepted plan may be remembered: see {@linkcode PlanCacheKey}. */
    cacheAs?: PlanCacheKey;
    /** A Windows handle import (see the memory variant). */
    win32?: Win32Source;
  };

/**
 * @ignore @internal Where an accepted plan is remembered: the importer (a Device, a CudaContext) and a
 * variant naming whatever else the plan judged (a new semaphore's type, say). A caller gives one
 * only for a request whose answer nothing but the fd can change: no target whose state can change
 * (a buffer that gets bound, a semaphore in use) and no options.
 */
export interface PlanCacheKey {
  importer: object;
  variant: string;
}

// Accepted plans, by importer, variant and descriptor. Only for a descriptor vkshare made (it is
// frozen) imported from its own export's OwnedFd: then every rule judged the descriptor, the
// importer's capabilities, UUIDs and memory types, and the origin — none of which can change —
// except the fd's own state, which knownPlan checks on every call.
const accepted = new WeakMap<object, Map<string, WeakMap<object, ImportPlan>>>();

/**
 * @ignore @internal The plan `planImport` accepted before for the same importer, variant and
 * descriptor, when `fd` is that export's own OwnedFd and still open; otherwise undefined (plan
 * in full).
 */
export function knownPlan(
  key: PlanCacheKey,
  fd: OwnedFd | number | null,
  descriptor: unknown,
): ImportPlan | undefined {
  if (!fastPaths.enabled) return undefined;
  if (typeof fd !== "object" || fd === null || fd.state !== "open") return undefined;
  if (typeof descriptor !== "object" || descriptor === null) return undefined;
  const plan = accepted.get(key.importer)?.get(key.variant)?.get(descriptor);
  if (plan === undefined || originOf(fd) !== descriptor) return undefined;
  return { ...plan, fd: fd.fd };
}

function rememberPlan(req: ImportRequest, plan: ImportPlan): void {
  const key = req.cacheAs!, fd = req.fd, d = req.descriptor;
  if (typeof fd !== "object" || fd === null || !madeHere(d) || originOf(fd) !== d) return;
  let byVariant = accepted.get(key.importer);
  if (!byVariant) accepted.set(key.importer, byVariant = new Map());
  let byDescriptor = byVariant.get(key.variant);
  if (!byDescriptor) byVariant.set(key.variant, byDescriptor = new WeakMap());
  byDescriptor.set(d, plan);
}

/**
 * How an import will be made: plain data.
 *
 * @example
 * ```ts
 * const plan: ImportPlan = planOrThrow(planImport(request));
 * plan.memoryTypeIndex;
 * ```
 *
 * @category Memory
 */
export interface ImportPlan {
  /** What is imported. */
  object: "memory" | "semaphore" | "fence";
  /** The checked copy of the descriptor. */
  descriptor: ExportDescriptor;
  /** The handle type. */
  handleType: string;
  /** The fd number to duplicate and import; -1 for an already-signaled SYNC_FD (no fd). */
  fd: number;
  /** Memory: `allocationSize`. */
  size: number;
  /** Memory: the memory type to import as (Vulkan). */
  memoryTypeIndex: number;
  /** Memory: what the export is dedicated to, or null. */
  dedicated: "buffer" | "image" | null;
  /** Sync: whether the import is temporary. */
  temporary: boolean;
}

/**
 * The plan, or every rule the import breaks (the first is the one a ShareError names).
 *
 * @example
 * ```ts
 * const r: PlanResult = planImport(request);
 * r.ok ? r.plan.fd : r.broken.map((b) => b.rule);
 * ```
 *
 * @category Memory
 */
export type PlanResult = { ok: true; plan: ImportPlan } | { ok: false; broken: BrokenRule[] };

// The opaque handle types: imported only from the same device and driver (UUIDs), as the
// exporter's memory type.
const OPAQUE: readonly string[] = ["OPAQUE_FD", "OPAQUE_WIN32", "OPAQUE_WIN32_KMT"];

/** @ignore @internal A rule check failed: thrown inside a plan, collected by `Findings.check`. */
export function broken(
  rule: ShareRule,
  message: string,
  expected?: unknown,
  actual?: unknown,
): never {
  throw new ShareError(rule, message, expected, actual);
}

/**
 * Plans an import: the plan, or every rule it breaks. Errors of the arguments themselves (an fd
 * that is not a number, an unknown property name, a memory type index out of range) are thrown.
 *
 * @example
 * ```ts
 * const r = planImport({ object: "fence", importer, fd: 7, descriptor: "SYNC_FD" });
 * if (!r.ok) for (const b of r.broken) console.log(b.rule, b.message);
 * ```
 *
 * @category Memory
 */
export function planImport(req: ImportRequest): PlanResult {
  const r = planInFull(req);
  if (r.ok && req.cacheAs && !req.withoutFd) rememberPlan(req, r.plan);
  return r;
}

/** @ignore @internal The rules a plan finds broken, collected one check at a time. */
export class Findings {
  readonly broken: BrokenRule[] = [];

  /** Runs one check; a broken rule is recorded (and the check returns undefined). */
  check<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (e) {
      // Once a rule is broken the import is refused: a later check that cannot be made (a
      // memory type index out of range, a query the driver refuses) adds nothing.
      if (!(e instanceof ShareError)) {
        if (this.broken.length) return undefined;
        throw e;
      }
      this.broken.push({ rule: e.rule, message: e.message.slice(e.rule.length + 2), ...values(e) });
      return undefined;
    }
  }

  /** Whether a rule is broken. */
  get any(): boolean {
    return this.broken.length > 0;
  }

  /** The refusal, or the plan `plan` makes when no rule is broken. */
  result<P = ImportPlan>(
    plan: () => P,
  ): { ok: true; plan: P } | { ok: false; broken: BrokenRule[] } {
    return this.any ? { ok: false, broken: this.broken } : { ok: true, plan: plan() };
  }
}

/** One import being planned: the request, its checked descriptor, and the rules it broke. */
interface Planning {
  req: ImportRequest;
  d: ExportDescriptor;
  /** The descriptor's handle type. */
  t: string;
  dev: ImporterFacts;
  found: Findings;
  /** `DMA_BUF memory`, `a SYNC_FD fence`: for messages. */
  what: string;
}

function planInFull(req: ImportRequest): PlanResult {
  const found = new Findings();
  const d = checkedDescriptor(req, found);
  if (!d) return { ok: false, broken: found.broken };
  const t = d.handleType;
  const what = req.object === "memory" ? `${t} memory` : `a ${t} ${req.object}`;
  const p: Planning = { req, d, t, dev: req.importer, found, what };
  let temporary = false;
  if (req.object === "memory") memoryTargetRules(p);
  else temporary = syncTargetRules(p);
  acceptedRule(p);
  // Memory asks the device first (whether the import can be made at all); a semaphore or fence
  // checks its fd first (those rules hold on every device, lavapipe's included).
  if (req.object === "memory") {
    capabilityRule(p);
    uuidRule(p);
  }
  // A Windows handle: its own rules, then what the descriptor, the device and the target say.
  if (req.win32) {
    const value = found.check(() => checkWin32Source(req.object, t, req.win32!));
    return req.object === "memory" ? memoryRules(p, -1, undefined, value) : syncPlan(p, temporary);
  }
  // Without an fd: the rest of what the descriptor, the device and the target say.
  if (req.withoutFd) return req.object === "memory" ? memoryRules(p, -1) : syncPlan(p, temporary);
  // The fd: open and not consumed (null or -1 only for "already signaled").
  if (req.fd === null || req.fd === -1) {
    signaledRule(p);
    if (req.object !== "memory") return syncPlan(p, temporary);
    return found.result(() => importPlanOf(req, d, -1, temporary, 0, null));
  }
  const n = found.check(() => importableFd(req.fd as OwnedFd | number));
  if (n === undefined) return { ok: false, broken: found.broken };
  const { origin, received } = fdOriginRules(p, n);
  if (req.object !== "memory") {
    uuidRule(p);
    capabilityRule(p);
  }
  // An fd from elsewhere is checked against what this device's own exports are, whatever the
  // descriptor says (the driver reads the fd, not the descriptor).
  // (Not once a rule is broken: learning what its exports are may make one, and the import is
  // refused anyway.)
  if (received && !found.any) receivedFdRule(p, n);
  if (req.object !== "memory") {
    return found.result(() => importPlanOf(req, d, n, temporary, 0, null));
  }
  return memoryRules(p, n, origin);
}

/**
 * The descriptor, checked: nothing else can be checked without it. (A descriptor vkshare made
 * for one of its own exports is frozen: it needs no shape check.)
 */
function checkedDescriptor(req: ImportRequest, found: Findings): ExportDescriptor | undefined {
  const given = req.descriptor;
  if (madeHere(given) && objectOf(given) === req.object) return given;
  return found.check(() =>
    req.object === "memory" ? parseMemoryDescriptor(given) : parseSyncSource(given, req.object)
  );
}

/** The buffer or image imported into: of this device, not bound yet. */
function memoryTargetRules({ req, found }: Planning): void {
  const target = req.object === "memory" ? req.target : undefined;
  if (!target) return;
  found.check(() => {
    if (!target.sameDevice) broken("WRONG_DEVICE", `${target.label} belongs to another device`);
  });
  found.check(() => {
    if (target.bound) broken("ALREADY_BOUND", `${target.label} is already bound to memory`);
  });
}

/**
 * The semaphore or fence imported into: of the export's type, permanent for a timeline, not in
 * use. Returns whether the import is temporary.
 */
function syncTargetRules({ req, d, t, found }: Planning): boolean {
  if (req.object === "memory") return false;
  const s = d as SyncDescriptor;
  const target = req.target;
  const temporary = found.check(() => importIsTemporary(s, req.options?.temporary)) ?? true;
  const type = target?.semaphoreType;
  if (target && type) {
    found.check(() => {
      if (t === "SYNC_FD" && type === "timeline") {
        broken(
          "SEMAPHORE_TYPE_MISMATCH",
          `${target.label}: a SYNC_FD imports into binary semaphores only`,
          "binary",
          type,
        );
      }
      if (s.semaphoreType !== undefined && s.semaphoreType !== type) {
        broken(
          "SEMAPHORE_TYPE_MISMATCH",
          `${target.label} is ${type}, but the exported semaphore is ${s.semaphoreType}: an imported payload must match the exporter's type`,
          s.semaphoreType,
          type,
        );
      }
    });
    found.check(() => {
      if (temporary && type === "timeline") {
        broken(
          "PERMANENT_REQUIRED",
          `${target.label}: a timeline semaphore can only be imported permanently (temporary: false)`,
          false,
          true,
        );
      }
    });
  }
  if (target?.inUse) {
    found.check(() =>
      broken(
        "IN_USE",
        `${target.label} is used by a submission that has not finished: wait for it before importing into it`,
      )
    );
  }
  return temporary;
}

/** The handle types an importer of `api` takes for `object`, as an fd or a Windows handle. */
function acceptedTypes(
  api: ImporterFacts["api"],
  object: "memory" | "semaphore" | "fence",
  win32: boolean,
): string[] {
  if (win32) return api === "vulkan" ? Object.keys(WIN32_HANDLE_TYPES[object]) : [];
  if (api === "gl") {
    return object === "fence"
      ? []
      : object === "memory"
      ? ["OPAQUE_FD", "DMA_BUF"]
      : ["OPAQUE_FD"];
  }
  if (api === "cuda") return ["OPAQUE_FD"];
  return object === "memory" ? ["OPAQUE_FD", "DMA_BUF"] : ["OPAQUE_FD", "SYNC_FD"];
}

/** The handle types this importer takes at all (CUDA: OPAQUE_FD; importWin32: Windows ones). */
function acceptedRule({ req, t, dev, found }: Planning): void {
  const object = req.object;
  const win32 = req.win32;
  const accepted = acceptedTypes(dev.api, object, win32 !== undefined);
  found.check(() => {
    if (accepted.includes(t)) return;
    broken(
      "HANDLE_TYPE_UNSUPPORTED",
      dev.api === "gl"
        ? `GL imports OPAQUE_FD memory and semaphores (GL_EXT_memory_object_fd, GL_EXT_semaphore_fd) and dma-bufs as textures (EGLImage), not ${
          object === "fence" ? "fences" : `${t} ${object === "memory" ? "memory" : "semaphores"}`
        }`
        : dev.api === "cuda"
        ? `CUDA imports OPAQUE_FD ${object === "memory" ? "memory" : `${object}s`}, not ${t}${
          object === "memory" ? " (CUDA takes a dma_buf only on Tegra)" : ""
        }`
        : win32
        ? `importWin32 takes ${accepted.join(", ")}, not ${t}`
        : `importFd takes ${accepted.join(" or ")}, not ${t}${
          win32HandleKind(object, t) ? " (a Windows handle type: use importWin32)" : ""
        }`,
      accepted.length === 1 ? accepted[0] : accepted,
      t,
    );
  });
}

/** What this device can import (the capability query). */
function capabilityRule({ req, d, t, dev, found, what }: Planning): void {
  const target = req.target;
  found.check(() => {
    const cap = dev.capability(t, d);
    if (cap.importable) return;
    broken(
      "HANDLE_TYPE_UNSUPPORTED",
      `${dev.name} cannot import ${what}${
        req.object === "memory" && target ? ` for ${target.label}` : ""
      }${cap.unsupported ? ` (${cap.unsupported})` : ""}`,
      "importable",
      cap,
    );
  });
}

/** The exporter must be this device (the opaque handle types): the UUIDs say so. */
function uuidRule({ req, d, dev, found }: Planning): void {
  found.check(() => sameExporter(req.object, d, dev));
}

/**
 * @ignore @internal Throws UUID_MISMATCH unless `d`, a checked descriptor of an opaque handle type
 * (OPAQUE_FD, the Windows ones), was exported by `dev` (its deviceUUID, and its driverUUID where
 * it has one: CUDA has none). The import plan's rule, and `receiveOffer`'s with a device.
 */
export function sameExporter(
  object: "memory" | "semaphore" | "fence",
  d: ExportDescriptor,
  dev: Pick<ImporterFacts, "name" | "deviceUUID" | "driverUUID">,
): void {
  const t = d.handleType;
  if (!OPAQUE.includes(t)) return;
  if (dev.driverUUID === null) {
    if (d.deviceUUID !== dev.deviceUUID) {
      broken(
        "UUID_MISMATCH",
        `${object} exported by "${d.deviceName}" (deviceUUID ${d.deviceUUID}) is not ${dev.name} (UUID ${dev.deviceUUID}): the UUIDs must match`,
        d.deviceUUID,
        dev.deviceUUID,
      );
    }
  } else if (d.deviceUUID !== dev.deviceUUID || d.driverUUID !== dev.driverUUID) {
    broken(
      "UUID_MISMATCH",
      `an ${t} ${object} exported by "${d.deviceName}" (deviceUUID ${d.deviceUUID}, driverUUID ${d.driverUUID}) cannot be imported into "${dev.name}" (deviceUUID ${dev.deviceUUID}, driverUUID ${dev.driverUUID}): both UUIDs must match`,
      { deviceUUID: d.deviceUUID, driverUUID: d.driverUUID },
      { deviceUUID: dev.deviceUUID, driverUUID: dev.driverUUID },
    );
  }
}

/** A semaphore or fence with no fd of its own to check: the device's rules, then the plan. */
function syncPlan(p: Planning, temporary: boolean): PlanResult {
  uuidRule(p);
  capabilityRule(p);
  return p.found.result(() => importPlanOf(p.req, p.d, -1, temporary, 0, null));
}

/** No fd (null) or -1: "already signaled", which only a SYNC_FD can say. */
function signaledRule({ req, t, found }: Planning): void {
  if (t === "SYNC_FD") return;
  found.check(() =>
    broken(
      "FD_NOT_OPEN",
      req.fd === null
        ? `fd is null: an ${t} ${req.object} export has an fd`
        : `fd -1 means "already signaled" only for a SYNC_FD, not for ${t}`,
      "an open fd",
      req.fd,
    )
  );
}

/**
 * What fd `n` is: an export of this process (then the descriptor must be the export's), or of
 * the kind the descriptor and this device's own exports say (the driver reads the fd, not the
 * descriptor). A SYNC_FD export is a sync_file, which semaphores and fences both import: not an
 * origin to compare with (its kind is checked like a received fd's).
 */
function fdOriginRules(
  { req, d, t, dev, found, what }: Planning,
  n: number,
): { origin: ExportDescriptor | undefined; received: boolean } {
  const exported = originOf(req.fd as OwnedFd | number);
  const origin = exported && !(req.object !== "memory" && objectOf(exported) !== "memory"
      && exported.handleType === "SYNC_FD")
    ? exported
    : undefined;
  if (origin && origin !== req.descriptor) {
    found.check(() => checkAgainstExport(n, origin, d, dev.api === "vulkan"));
  }
  const want = t === "SYNC_FD" ? "sync_file" : d.fdKind;
  const received = !origin && dev.exportKind !== undefined && t !== "SYNC_FD";
  if (!received) {
    found.check(() => checkFdKind(n, origin === req.descriptor ? undefined : want, what, origin));
  }
  return { origin, received };
}

/** A received fd against what this device's own exports of its kind are. */
function receivedFdRule({ req, d, t, dev, found, what }: Planning, n: number): void {
  found.check(() =>
    checkReceivedFd(
      n,
      t === "DMA_BUF"
        ? { kind: "dmabuf", mesaDriverId: null }
        : dev.exportKind!(`${req.object}:${t}`),
      what,
      req.object === "memory" ? (d as MemoryDescriptor).size : undefined,
    )
  );
}

/**
 * Memory: exported again, the fd's size (fd `n`; -1: none), the memory type, the dedicated
 * target, the target's fit; `win32` is a Windows handle's value (0n: a name) when the import is
 * one.
 */
function memoryRules(
  p: Planning,
  n: number,
  origin?: ExportDescriptor,
  win32?: bigint,
): PlanResult {
  const m = p.d as MemoryDescriptor;
  const mt = p.req.object === "memory" ? p.req.target : undefined;
  relayRule(p);
  p.found.check(() => {
    const fsize = origin || n < 0 ? null : fdSize(n);
    if (fsize !== null && fsize > 0n && fsize < BigInt(m.size)) {
      broken(
        "SIZE_MISMATCH",
        `fd ${n} holds ${fsize} bytes, fewer than the descriptor's size ${m.size}`,
        m.size,
        fsize,
      );
    }
  });
  const type = memoryTypeRules(p, n, mt, win32);
  dedicatedRule(p, mt);
  if (mt) targetFitRules(p, mt);
  // A foreign dma-buf goes dedicated into a target that requires it (it has no say of its own).
  const dedicated = m.dedicated?.kind
    ?? (isForeign(m) && mt?.requirements.requiresDedicated ? mt.description.kind : null);
  return p.found.result(() => importPlanOf(p.req, m, n, false, type, dedicated));
}

/** Exported again after the import: only as the driver's exportFromImportedHandleTypes say. */
function relayRule({ req, d, t, dev, found }: Planning): void {
  const again = req.object === "memory" ? req.options?.exportAs : undefined;
  if (again === undefined) return;
  found.check(() => {
    const wanted = typeof again === "string" ? [again] : [...again];
    if (!wanted.length) return;
    if (dev.relayRefused) {
      broken(
        "HANDLE_TYPE_UNSUPPORTED",
        `${dev.name} cannot export memory imported as ${t} again: ${dev.relayRefused}`,
        [],
        wanted,
      );
    }
    const allowed = dev.capability(t, d).exportFromImportedHandleTypes ?? [];
    const missing = wanted.filter((w) => !allowed.includes(w));
    if (missing.length) {
      broken(
        "HANDLE_TYPE_UNSUPPORTED",
        `${dev.name} cannot export memory imported as ${t} as ${
          missing.join(", ")
        } (its exportFromImportedHandleTypes: [${allowed.join(", ")}])`,
        allowed,
        wanted,
      );
    }
  });
}

/** What memory goes into (the target's facts), where it has one. */
type Target = NonNullable<Extract<ImportRequest, { object: "memory" }>["target"]>;

/**
 * The memory type the import is made as: the exporter's for the opaque handle types; for a
 * DMA_BUF (or a Windows handle of another kind) one the fd allows, the target allows and the
 * options ask for. (A DMA_BUF's memory types come from the driver: not asked once a rule is
 * broken, since the driver reports a bad fd as an error of its own.)
 */
function memoryTypeRules(p: Planning, n: number, mt?: Target, win32?: bigint): number {
  const { req, t, dev, found } = p;
  const m = p.d as MemoryDescriptor;
  const opaque = OPAQUE.includes(t);
  const handleBits = win32 && !opaque && dev.win32MemoryTypeBits;
  if (!dev.memoryTypes || !(opaque || (!found.any && (n >= 0 || handleBits)))) {
    return m.memoryTypeIndex;
  }
  const types = dev.memoryTypes;
  const options = (req.object === "memory" ? req.options : undefined) ?? {};
  // (A foreign dma-buf has no memory type of its own: one the fd and the target allow is taken.)
  const foreign = isForeign(m);
  // The export's memory type, where it is used: one this device has.
  if (opaque || (!foreign && options.memoryTypeIndex === undefined && !options.properties)) {
    found.check(() => {
      if (m.memoryTypeIndex < types.length) return;
      broken(
        opaque ? "MEMORY_TYPE_MISMATCH" : "MEMORY_TYPE_NOT_ALLOWED",
        `the export's memory type ${m.memoryTypeIndex} is not one of ${dev.name}'s (0..${
          types.length - 1
        })${opaque ? `: an ${t} export comes from a device of the same memory types` : ""}`,
        `0..${types.length - 1}`,
        m.memoryTypeIndex,
      );
    });
  }
  const all = types.length >= 32 ? 0xffffffff : (1 << types.length) - 1;
  const bits = mt ? mt.requirements.memoryTypeBits : all;
  const whatMemory = mt?.label ?? `the imported ${t} memory`;
  const chosen = found.check(() => {
    if (opaque) {
      if (options.memoryTypeIndex !== undefined && options.memoryTypeIndex !== m.memoryTypeIndex) {
        broken(
          "MEMORY_TYPE_MISMATCH",
          `an ${t} import must use the exporter's memory type ${m.memoryTypeIndex}, not ${options.memoryTypeIndex}`,
          m.memoryTypeIndex,
          options.memoryTypeIndex,
        );
      }
      return chooseMemoryType(dev.name, types, bits, 0, m.memoryTypeIndex, whatMemory);
    }
    const fdBits = handleBits ? handleBits(t, win32!) : dev.fdMemoryTypeBits!(n);
    return chooseMemoryType(
      dev.name,
      types,
      bits & fdBits,
      flagMask(
        MemoryProperty,
        (options.properties ?? []) as readonly (keyof typeof MemoryProperty)[],
        "properties",
      ),
      options.memoryTypeIndex ?? (options.properties || foreign ? undefined : m.memoryTypeIndex),
      `${whatMemory} (${
        handleBits ? "vkGetMemoryWin32HandlePropertiesKHR" : "vkGetMemoryFdPropertiesKHR"
      } allows 0x${fdBits.toString(16)})`,
    );
  });
  return chosen ?? m.memoryTypeIndex;
}

/**
 * A dedicated export goes into its target (a matching buffer or image, which can have dedicated
 * memory), and a target that requires dedicated memory takes a dedicated export. (CUDA takes a
 * dedicated export without a buffer or image: it imports it with the dedicated flag.)
 */
function dedicatedRule({ d, dev, found }: Planning, mt?: Target): void {
  const m = d as MemoryDescriptor;
  found.check(() => {
    if (dev.api !== "vulkan") return;
    if (!m.dedicated) {
      if (mt?.requirements.requiresDedicated && !isForeign(m)) {
        broken(
          "DEDICATED_MISMATCH",
          `${mt.label} requires dedicated memory, but the export is a plain allocation`,
        );
      }
      return;
    }
    if (mt?.noDedicated) {
      broken(
        "DEDICATED_MISMATCH",
        `the export is dedicated to a ${m.dedicated.kind}, and ${mt.label} cannot have dedicated memory: ${mt.noDedicated}`,
        m.dedicated,
        null,
      );
    }
    if (!mt) {
      broken(
        "DEDICATED_MISMATCH",
        `the export is dedicated to a ${m.dedicated.kind}: import it with \`for\` set to a matching ${m.dedicated.kind}`,
        m.dedicated,
        null,
      );
    }
    const diff = sameTarget(m.dedicated, mt.description);
    if (diff) {
      broken(
        "DEDICATED_MISMATCH",
        `${mt.label} is not the export's dedicated target: ${diff}`,
        m.dedicated,
        mt.description,
      );
    }
  });
}

/**
 * A foreign dma-buf's modifier and plane layouts (where its exporter put the planes) are those of
 * the image it is imported for: otherwise the device reads the planes from the wrong places.
 */
function foreignLayoutRule(m: MemoryDescriptor, mt: Target): void {
  if (m.drmFormatModifier === undefined && m.planeLayouts === undefined) return;
  const image = mt.description.kind === "image" ? mt.description : null;
  if (!image) {
    broken(
      "PLANE_LAYOUT",
      `${mt.label} is a buffer: a dma-buf with a modifier and plane layouts is an image's`,
    );
  }
  if (m.drmFormatModifier !== undefined && image.drmFormatModifier !== m.drmFormatModifier) {
    broken(
      "PLANE_LAYOUT",
      `the dma-buf's modifier is ${m.drmFormatModifier}, ${mt.label}'s ${
        image.drmFormatModifier ?? "none (not a DRM_FORMAT_MODIFIER image)"
      }`,
      m.drmFormatModifier,
      image.drmFormatModifier ?? null,
    );
  }
  const mine = image.planeLayouts ?? [];
  const theirs = m.planeLayouts ?? [];
  const differs = theirs.length !== mine.length
    || theirs.some((l, i) => l.offset !== mine[i].offset || l.rowPitch !== mine[i].rowPitch);
  if (m.planeLayouts !== undefined && differs) {
    broken(
      "PLANE_LAYOUT",
      `the dma-buf's planes (offset, rowPitch: ${
        theirs.map((l) => `${l.offset}, ${l.rowPitch}`).join("; ")
      }) are not ${mt.label}'s (${
        mine.map((l) => `${l.offset}, ${l.rowPitch}`).join("; ") || "none"
      })`,
      theirs,
      mine,
    );
  }
}

/**
 * The target fits the memory: a DRM modifier image's planes lie within it, the target was
 * declared external as the handle type, and the memory holds the target's requirement.
 */
function targetFitRules({ d, t, dev, found }: Planning, mt: Target): void {
  const m = d as MemoryDescriptor;
  if (mt.description.kind === "image") {
    found.broken.push(...planeLayoutRules({ device: dev.name }, mt.description, m.size));
  }
  found.check(() => foreignLayoutRule(m, mt));
  found.check(() => requireExternal(mt, t));
  found.check(() => {
    if (mt.requirements.size > m.size) {
      broken(
        "SIZE_MISMATCH",
        `${mt.label} needs ${mt.requirements.size} bytes; the export has ${m.size}`,
        mt.requirements.size,
        m.size,
      );
    }
  });
}

function importPlanOf(
  req: ImportRequest,
  d: ExportDescriptor,
  fd: number,
  temporary: boolean,
  memoryTypeIndex: number,
  dedicated: "buffer" | "image" | null,
): ImportPlan {
  return {
    object: req.object,
    descriptor: d,
    handleType: d.handleType,
    fd,
    size: "size" in d ? d.size : 0,
    memoryTypeIndex,
    dedicated,
    temporary,
  };
}

function values(e: ShareError): { expected?: unknown; actual?: unknown } {
  return {
    ...(e.expected !== undefined ? { expected: e.expected } : {}),
    ...(e.actual !== undefined ? { actual: e.actual } : {}),
  };
}

/**
 * The plan's answer as an exception: the ShareError of the first broken rule, its message
 * naming the others. A plan that breaks no rule returns its plan.
 *
 * @example
 * ```ts
 * const plan = planOrThrow(planImport(request)); // a ShareError when a rule is broken
 * ```
 *
 * @category Errors
 */
export function planOrThrow<P = ImportPlan>(
  r: { ok: true; plan: P } | { ok: false; broken: BrokenRule[] },
): P {
  if (r.ok) return r.plan;
  const [first, ...rest] = r.broken;
  const also = rest.length
    ? ` (this also breaks: ${[...new Set(rest.map((b) => b.rule))].join(", ")})`
    : "";
  const hint = doctorHint(first.rule);
  throw new ShareError(
    first.rule,
    `${first.message}${also}${hint ? `; ${hint}` : ""}`,
    first.expected,
    first.actual,
  );
}

/**
 * Whether an import is temporary: the option, checked against what the handle type allows
 * (a SYNC_FD has copy transference: temporary only).
 */
function importIsTemporary(d: SyncDescriptor, temporary: boolean | undefined): boolean {
  if (d.handleType === "SYNC_FD") {
    if (temporary === false) {
      broken(
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
 * Checks descriptor `d`, given with fd `n`, against `origin`, the descriptor of the export that
 * fd `n` is: the same kind of object (FD_KIND_MISMATCH), and the same handle type, size, memory
 * type (Vulkan: `sameMemoryType`), dedicated target, or semaphore type. Drivers accept any of
 * these lies silently (NVIDIA's CUDA imports a binary semaphore's fd as a timeline one, and a
 * memory fd as a semaphore).
 */
function checkAgainstExport(
  n: number,
  origin: ExportDescriptor,
  d: ExportDescriptor,
  sameMemoryType: boolean,
): void {
  const was = objectOf(origin), is = objectOf(d);
  if (was !== is) {
    broken(
      "FD_KIND_MISMATCH",
      `fd ${n} is the export of ${was === "memory" ? "memory" : `a ${was}`}, not of ${
        is === "memory" ? "memory" : `a ${is}`
      }`,
      is,
      was,
    );
  }
  if (is !== "memory") {
    const o = origin as SyncDescriptor, s = d as SyncDescriptor;
    if (s.semaphoreType !== undefined && o.semaphoreType !== s.semaphoreType) {
      broken(
        "SEMAPHORE_TYPE_MISMATCH",
        `fd ${n} is the export of a ${o.semaphoreType} semaphore, but the descriptor says ${s.semaphoreType}`,
        o.semaphoreType,
        s.semaphoreType,
      );
    }
    return;
  }
  const keys = ["handleType", "size", ...(sameMemoryType ? ["memoryTypeIndex"] : []), "dedicated"];
  for (const k of keys as (keyof MemoryDescriptor)[]) {
    const x = (origin as MemoryDescriptor)[k], y = (d as MemoryDescriptor)[k];
    if (x === y) continue; // the same value, or both null
    const a = JSON.stringify(x), b = JSON.stringify(y);
    if (a !== b) {
      broken(
        k === "size"
          ? "SIZE_MISMATCH"
          : k === "dedicated"
          ? "DEDICATED_MISMATCH"
          : k === "memoryTypeIndex"
          ? "MEMORY_TYPE_MISMATCH"
          : "BAD_DESCRIPTOR",
        `fd ${n} was exported with ${k} ${a}, but the descriptor says ${b}`,
        (origin as MemoryDescriptor)[k],
        (d as MemoryDescriptor)[k],
      );
    }
  }
}

/** Where two dedicated targets differ (the first field), or null when they are the same. */
function sameTarget(a: DedicatedTarget, b: DedicatedTarget): string | null {
  const fa = JSON.stringify(a), fb = JSON.stringify(b);
  if (fa === fb) return null;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const va = JSON.stringify((a as Record<string, unknown>)[k]);
    const vb = JSON.stringify((b as Record<string, unknown>)[k]);
    if (va !== vb) return `${k}: the export's is ${va}, this one's is ${vb}`;
  }
  return "they differ";
}

/**
 * Checks that `target` was created with handle type `t` among its external handle types
 * (NOT_EXTERNAL otherwise).
 *
 * @example
 * ```ts
 * requireExternal(targetFacts, "OPAQUE_FD");
 * ```
 *
 * @category Memory
 */
export function requireExternal(
  target: { label: string; externalHandleTypes: readonly string[] },
  t: string,
): void {
  if (!target.externalHandleTypes.includes(t)) {
    broken(
      "NOT_EXTERNAL",
      `${target.label} was created with external handle types [${
        target.externalHandleTypes.join(", ")
      }], not ${t}`,
      t,
      target.externalHandleTypes,
    );
  }
}

/**
 * The memory type index to use: `explicit` (checked: allowed by `bits`, with every `wanted`
 * flag), or the first of `bits` with all `wanted` flags, and among those the first that also has
 * every `prefer` flag when one does. A ShareError MEMORY_TYPE_NOT_ALLOWED or NO_MEMORY_TYPE
 * otherwise; a RangeError for an index the device does not have.
 *
 * @example
 * ```ts
 * chooseMemoryType("llvmpipe", pd.memoryTypes, 0b1, 0, undefined, "this allocation"); // 0
 * // NVIDIA's type 0 has no flags: an allocation that asks for none prefers device-local memory.
 * chooseMemoryType("gpu", pd.memoryTypes, 0b11, 0, undefined, "x", MemoryProperty.DEVICE_LOCAL);
 * ```
 *
 * @category Memory
 */
export function chooseMemoryType(
  device: string,
  types: readonly PlanMemoryType[],
  bits: number,
  wanted: number,
  explicit: number | undefined,
  what: string,
  prefer?: number,
): number {
  prefer ??= 0;
  const list = () =>
    types.filter((t) => (bits >>> t.index) & 1).map((t) => `${t.index} [${t.flags.join(", ")}]`)
      .join("; ") || "none";
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 0 || explicit >= types.length) {
      throw new RangeError(
        `memoryTypeIndex: ${explicit} is not a memory type of ${device} (it has ${types.length})`,
      );
    }
    if (!((bits >>> explicit) & 1)) {
      broken(
        "MEMORY_TYPE_NOT_ALLOWED",
        `memory type ${explicit} is not allowed for ${what}; allowed: ${list()}`,
        bits,
        explicit,
      );
    }
    if ((types[explicit].propertyFlags & wanted) !== wanted) {
      broken(
        "NO_MEMORY_TYPE",
        `memory type ${explicit} lacks [${flagNames(MemoryProperty, wanted).join(", ")}]`,
        flagNames(MemoryProperty, wanted),
        types[explicit].flags,
      );
    }
    return explicit;
  }
  const fits = (t: PlanMemoryType, flags: number) =>
    ((bits >>> t.index) & 1) === 1 && (t.propertyFlags & flags) === flags;
  const t = (prefer && types.find((t) => fits(t, wanted | prefer)))
    || types.find((t) => fits(t, wanted));
  if (!t) {
    broken(
      "NO_MEMORY_TYPE",
      `no memory type of ${device} is allowed for ${what} and has [${
        flagNames(MemoryProperty, wanted).join(", ")
      }]; allowed: ${list()}`,
      flagNames(MemoryProperty, wanted),
      bits,
    );
  }
  return t.index;
}
