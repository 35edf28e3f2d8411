/**
 * `Semaphore`: binary and timeline semaphores, exportable and importable as OPAQUE_FD and
 * SYNC_FD fds (VK_KHR_external_semaphore_fd), signaled and waited on from the host (timeline)
 * and from queue submissions.
 *
 * The spec's rules are checked before the driver sees a call:
 * - SYNC_FD has copy transference: it imports temporarily only, into binary semaphores only,
 *   and -1 imports as "already signaled". Exporting one needs a signal already submitted, and
 *   acts as a wait.
 * - An OPAQUE_FD import must match the exporter's semaphore type and UUIDs; a timeline
 *   semaphore imports permanently only.
 * - A binary semaphore is waited on only when a signal is submitted (as far as vkshare knows),
 *   and not signaled again while signaled. Timeline values only grow, within the device's
 *   `maxTimelineSemaphoreValueDifference`.
 *
 * @module
 */
import {
  enumValue,
  flagNames,
  SemaphoreHandleType,
  type SemaphoreHandleTypeName,
  SemaphoreType,
  type SemaphoreTypeName,
} from "../core/enums.ts";
import { check, MissingExtensionError, ShareError, VkError } from "../core/errors.ts";
import { Resource } from "../core/resource.ts";
import { timeoutNs, warnLeak } from "../core/time.ts";
import { Arena, encode, fastPaths, keptEncoding, KeptStruct, keysOf, link } from "../ffi/layout.ts";
import {
  VK_KHR_external_semaphore_fd,
  VK_KHR_external_semaphore_win32,
} from "../ffi/vk_commands.ts";
import {
  VkImportSemaphoreWin32HandleInfoKHR,
  VkSemaphoreGetWin32HandleInfoKHR,
} from "../ffi/vk_platform_structs.ts";
import {
  VkExportSemaphoreCreateInfo,
  VkImportSemaphoreFdInfoKHR,
  VkSemaphoreCreateInfo,
  VkSemaphoreGetFdInfoKHR,
  VkSemaphoreSignalInfo,
  VkSemaphoreTypeCreateInfo,
  VkSemaphoreWaitInfo,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { externalSemaphoreProperties } from "../share/capabilities.ts";
import type { SyncDescriptor, SyncHandleTypeName, SyncSource } from "../share/descriptor.ts";
import type { SyncExport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import type {
  OwnedHandle,
  SyncWin32HandleTypeName,
  Win32Export,
  Win32Source,
} from "../share/handle.ts";
import type { ImportPlan, PlanResult, SyncTargetFacts } from "../share/plan.ts";
import {
  type Device,
  QUEUE_HOOKS,
  type SemaphoreHooks,
  type Submission,
} from "../vulkan/device.ts";
import {
  exportMask,
  exportSync,
  exportSyncWin32,
  importIntoNew,
  importSync,
  importSyncWin32,
  planSyncImport,
  syncDescriptor,
  type SyncImportOptions,
  type SyncKind,
  type WaitResult,
} from "./sync_fd.ts";
import { waitInSlices } from "./wait_async.ts";

const WAIT_ANY = 0x1;

// The out-parameter of vkGetSemaphoreCounterValue, read right after each call.
const counterOut = new BigUint64Array(new ArrayBuffer(8));

const SEMAPHORE_FDS: SyncKind<Semaphore> = {
  object: "semaphore",
  extension: VK_KHR_external_semaphore_fd,
  getInfo: VkSemaphoreGetFdInfoKHR,
  importInfo: VkImportSemaphoreFdInfoKHR,
  get: "vkGetSemaphoreFdKHR",
  import: "vkImportSemaphoreFdKHR",
  handleTypes: SemaphoreHandleType,
  win32: {
    extension: VK_KHR_external_semaphore_win32,
    getInfo: VkSemaphoreGetWin32HandleInfoKHR,
    importInfo: VkImportSemaphoreWin32HandleInfoKHR,
    get: "vkGetSemaphoreWin32HandleKHR",
    import: "vkImportSemaphoreWin32HandleKHR",
    handleTypes: SemaphoreHandleType,
  },
  capability: (s, t) =>
    externalSemaphoreProperties(s.device.physicalDevice, { handleType: t, semaphoreType: s.type }),
  create: (device, o) =>
    Semaphore.create(device, {
      type: o.semaphoreType ?? "binary",
      ...(o.exportAs ? { exportAs: o.exportAs } : {}),
    }),
};

/**
 * Options of {@linkcode Semaphore.create}.
 *
 * @example
 * ```ts
 * Semaphore.create(device, { type: "timeline", initialValue: 0, exportAs: "OPAQUE_FD" });
 * ```
 *
 * @category Synchronization
 */
export interface SemaphoreOptions {
  /** `binary` (default) or `timeline`. */
  type?: SemaphoreTypeName;
  /** A timeline semaphore's first value (default 0). */
  initialValue?: number | bigint;
  /** Handle types it can be exported as (checked against the capability query). */
  exportAs?: SemaphoreHandleTypeName | readonly SemaphoreHandleTypeName[];
}

/**
 * What vkshare knows of a binary semaphore's payload: `unsignaled`, `pending` (a signal was
 * submitted, or a SYNC_FD imported), or `unknown` (its payload is shared with another device,
 * process or API, which may signal or wait on it).
 *
 * @example
 * ```ts
 * const s: BinaryState = semaphore.state; // "unsignaled", "pending" or "unknown"
 * ```
 *
 * @category Synchronization
 */
export type BinaryState = "unsignaled" | "pending" | "unknown";

function u64Value(v: unknown, what: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
    return BigInt(v);
  }
  if (typeof v === "bigint" && v >= 0n && v <= 0xffff_ffff_ffff_ffffn) return v;
  throw new RangeError(`${what}: expected an integer from 0 to 2^64-1, got ${String(v)}`);
}

// vkCreateSemaphore's out-parameter, read right after each call (nothing runs between).
const handleOut = new BigUint64Array(new ArrayBuffer(8));

// The kept encodings' key of each type and exportAs given as a name (or left out).
const KIND_KEY = keysOf(
  "semaphore",
  Object.keys(SemaphoreType),
  Object.keys(SemaphoreHandleType),
);

/**
 * A VkSemaphore.
 *
 * @example
 * ```ts
 * using timeline = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
 * using exp = timeline.exportFd("OPAQUE_FD");
 * using imported = Semaphore.importFd(device2, exp.fd, exp.descriptor);
 * timeline.signal(1);
 * imported.wait(1, 1000); // "signaled"
 * ```
 *
 * @category Synchronization
 */
export class Semaphore extends Resource {
  /** The device. */
  readonly device: Device;
  /** The VkSemaphore. */
  readonly handle: bigint;
  /** `binary` or `timeline`. */
  readonly type: SemaphoreTypeName;
  /** The handle types it can be exported as (names). */
  readonly exportAs: readonly SemaphoreHandleTypeName[];
  #label?: string;
  /** `Semaphore 0x... (timeline) of Device "..."`, for messages (made when first read). */
  get label(): string {
    return this.#label ??= `Semaphore 0x${
      this.handle.toString(16)
    } (${this.type}) of ${this.device.label}`;
  }
  #state: BinaryState = "unsignaled";
  #restore: BinaryState | null = null;
  #shared = false;
  #highestSignal = 0n;
  #lastUse: Submission | null = null;
  #signalInfo: KeptStruct<typeof VkSemaphoreSignalInfo> | undefined;
  #waitInfo: KeptStruct<typeof VkSemaphoreWaitInfo> | undefined;

  /** @ignore Made by the class's own static methods. */
  private constructor(
    device: Device,
    handle: bigint,
    type: SemaphoreTypeName,
    exportAs: SemaphoreHandleTypeName[],
    initialValue: bigint,
  ) {
    super();
    this.device = device;
    this.handle = handle;
    this.type = type;
    this.exportAs = exportAs;
    this.#highestSignal = initialValue;
    this.adopt(device);
  }

  /**
   * Creates a semaphore. Each `exportAs` handle type is checked with the capability query for
   * this semaphore type (SYNC_FD is for binary semaphores only).
   */
  static create(device: Device, options?: SemaphoreOptions): Semaphore {
    options ??= {};
    const d = device.live;
    // What options make is checked and encoded once per device (keptEncoding): a script that
    // makes the same kind of semaphore again pays for the call alone.
    // (Options that are not plain names, and a timeline's initial value other than 0, which a
    // script may make different every time, are checked and encoded on every call: they would
    // only push the kinds made again out of the kept few.)
    // (A type and an exportAs that are names, or left out, have a key: KIND_KEY.)
    const { type: t, exportAs: e, initialValue: v } = options;
    const key = v === undefined || v === 0 || v === 0n
      ? KIND_KEY(t as string | undefined, e as string | undefined)
      : undefined;
    using arena = key === undefined ? new Arena() : undefined;
    const k = arena
      ? semaphoreKind(device, options, arena)
      : keptEncoding(device, key!, (a) => semaphoreKind(device, options, a));
    const r = vk().vkCreateSemaphore(d, k.info, null, handleOut);
    if (r < 0) {
      check(r, "vkCreateSemaphore", {
        device: device.physicalDevice.name,
        type: k.type,
        exportAs: k.exportAs,
      });
    }
    return new Semaphore(device, handleOut[0], k.type, k.exportAs, k.initialValue);
  }

  /**
   * Plans an import of `fd` (null: none, and the fd's own rules are not judged) described by
   * `source` into a new semaphore on `device`, without importing anything: the plan, or every rule
   * {@linkcode Semaphore.importFd} would refuse it for, with expected and actual values.
   *
   * @example
   * ```ts
   * const r = Semaphore.planImport(device, null, JSON.parse(text));
   * if (!r.ok) console.log(r.broken.map((b) => b.rule));
   * ```
   */
  static planImport(
    device: Device,
    fd: OwnedFd | number | null,
    source: unknown,
    options?: SyncImportOptions,
  ): PlanResult {
    options ??= {};
    return planSyncImport(
      SEMAPHORE_FDS,
      device,
      fd,
      source,
      options,
      (h, st) =>
        externalSemaphoreProperties(device.physicalDevice, {
          handleType: h,
          semaphoreType: st ?? "binary",
        }),
    );
  }

  /**
   * Creates a semaphore of the exporter's type on `device` and imports `fd` into it
   * (OPAQUE_FD: permanently unless `temporary`; SYNC_FD: temporarily, into a binary semaphore).
   * On failure the new semaphore is destroyed and the caller's fd is still open.
   */
  static importFd(
    device: Device,
    fd: OwnedFd | number | null,
    descriptor: SyncSource,
    options?: SyncImportOptions,
  ): Semaphore {
    options ??= {};
    return importIntoNew(SEMAPHORE_FDS, device, descriptor, (o, d) => o.importFd(fd, d, options));
  }

  /** The VkSemaphore, after checking it is alive. */
  get live(): bigint {
    this.alive();
    return this.handle;
  }

  /** What vkshare knows of a binary semaphore's payload (`unknown` for a timeline one). */
  get state(): BinaryState {
    return this.type === "binary" ? this.#state : "unknown";
  }

  /**
   * Exports the semaphore as a new fd. OPAQUE_FD shares the payload (both sides then see the
   * same signals and waits); SYNC_FD copies a submitted signal out of a binary semaphore and
   * acts as a wait on it (fd null: the driver says it has already signaled).
   */
  exportFd(handleType?: "OPAQUE_FD"): SyncExport<OwnedFd>;
  /** As a SYNC_FD: the fd is null when the driver says the signal has already happened. */
  exportFd(handleType: "SYNC_FD"): SyncExport<OwnedFd | null>;
  /** As either handle type. */
  exportFd(handleType: SyncHandleTypeName): SyncExport;
  exportFd(handleType?: SyncHandleTypeName): SyncExport {
    handleType ??= "OPAQUE_FD";
    this.alive();
    if (handleType === "SYNC_FD") {
      if (this.type === "timeline") {
        throw new ShareError(
          "SEMAPHORE_TYPE_MISMATCH",
          `${this.label}: SYNC_FD is for binary semaphores only`,
          "binary",
          this.type,
        );
      }
      if (this.#state === "unsignaled") {
        throw new ShareError(
          "NO_PENDING_SIGNAL",
          `${this.label}: a SYNC_FD export needs a signal already submitted (submit one with it in \`signal\` first)`,
        );
      }
    }
    const exp = exportSync(SEMAPHORE_FDS, this, handleType, this.type);
    if (handleType === "OPAQUE_FD") this.#share();
    else this.#consumeSignal();
    return exp;
  }

  /**
   * Exports the semaphore as a Windows handle (VK_KHR_external_semaphore_win32): OPAQUE_WIN32 or
   * D3D12_FENCE (NT handles, closed when the export is disposed, each exported once) or
   * OPAQUE_WIN32_KMT. Like OPAQUE_FD, the payload is shared. The semaphore must have been created
   * with the handle type in `exportAs`.
   */
  exportWin32(handleType?: SyncWin32HandleTypeName): Win32Export<SyncDescriptor> {
    handleType ??= "OPAQUE_WIN32";
    this.alive();
    const exp = exportSyncWin32(SEMAPHORE_FDS, this, handleType, this.type);
    this.#share();
    return exp;
  }

  /**
   * Imports a Windows handle (an {@linkcode OwnedHandle}, or `{ name }` for an NT handle type's
   * named object) into this semaphore, permanently (default) or temporarily (binary only); the
   * rules are checked first. The handle is not consumed: it stays the caller's to close.
   */
  importWin32(
    source: OwnedHandle | Win32Source,
    descriptor: SyncDescriptor,
    options?: SyncImportOptions,
  ): void {
    options ??= {};
    this.alive();
    this.#imported(
      importSyncWin32(SEMAPHORE_FDS, this, source, descriptor, options, this.#target()),
    );
  }

  /**
   * Creates a semaphore on `device`, of the exporter's type, and imports the Windows handle into
   * it (see {@linkcode Semaphore.prototype.importWin32}); on failure the new one is destroyed.
   */
  static importWin32(
    device: Device,
    source: OwnedHandle | Win32Source,
    descriptor: SyncDescriptor,
    options?: SyncImportOptions,
  ): Semaphore {
    options ??= {};
    device.extension(VK_KHR_external_semaphore_win32); // a MissingExtensionError before anything is made
    return importIntoNew(
      SEMAPHORE_FDS,
      device,
      descriptor,
      (o, d) => o.importWin32(source, d, options),
    );
  }

  /**
   * Imports an fd into this semaphore: OPAQUE_FD permanently (default) or temporarily; SYNC_FD
   * temporarily only (`fd` -1 or null: already signaled). The rules are checked first; on
   * success the caller's fd is consumed, on failure it is still open.
   */
  importFd(
    fd: OwnedFd | number | null,
    descriptor: SyncSource,
    options?: SyncImportOptions,
  ): void {
    options ??= {};
    this.alive();
    this.#imported(importSync(SEMAPHORE_FDS, this, fd, descriptor, options, this.#target()));
  }

  /** What an import into it needs to know of it. */
  #target(): SyncTargetFacts {
    // The label is made only if a message needs it (a known plan's import reads none).
    const label = () => this.label;
    return {
      get label() {
        return label();
      },
      semaphoreType: this.type,
      inUse: this.#lastUse?.done() === false,
    };
  }

  /** Its payload's state after an import planned as `plan`. */
  #imported(plan: ImportPlan): void {
    if (this.type === "timeline") {
      this.#share();
      this.#highestSignal = 0n;
    } else if (plan.temporary) {
      this.#restore = this.#state;
      this.#state = plan.handleType === "SYNC_FD" ? "pending" : "unknown";
    } else this.#share();
  }

  /** The descriptor of an export as `handleType` (what `exportFd` returns with the fd). */
  descriptor(handleType: SyncHandleTypeName): SyncDescriptor {
    return syncDescriptor(this.device, "semaphore", handleType, { semaphoreType: this.type });
  }

  /** A timeline semaphore's current value (`vkGetSemaphoreCounterValue`). */
  get value(): bigint {
    const d = this.device.live;
    this.#timelineOnly("value");
    const out = counterOut;
    check(
      this.#cmd("vkGetSemaphoreCounterValue")(d, this.live, out),
      "vkGetSemaphoreCounterValue",
      { semaphore: this.label },
    );
    return out[0];
  }

  /**
   * The highest value this process has signaled a timeline semaphore to, or submitted a signal
   * of (its initial value before any): what a signal must exceed, and a wait on a higher value
   * waits for another process or API.
   */
  get highestSignal(): bigint {
    return this.#highestSignal;
  }

  /** Signals a timeline semaphore from the host: `value` must be greater than the current one. */
  signal(value: number | bigint): void {
    const d = this.device.live;
    this.#timelineOnly("signal");
    const v = this.#checkSignal(value, false);
    // Encoded once per semaphore; only the value changes from one signal to the next.
    // (Without the fast paths, encoded again each time: the plain path.)
    if (!this.#signalInfo || !fastPaths.enabled) {
      this.#signalInfo = new KeptStruct(VkSemaphoreSignalInfo, { semaphore: this.live, value: 0n });
    }
    const info = this.#signalInfo;
    info.setU64("value", v);
    const r = this.#cmd("vkSignalSemaphore")(d, info.bytes);
    if (r < 0) throw new VkError("vkSignalSemaphore", r, { semaphore: this.label, value: v });
    if (v > this.#highestSignal) this.#highestSignal = v;
  }

  /**
   * Waits until a timeline semaphore reaches `value`, for at most `timeoutMs` (0 polls;
   * Infinity waits for ever). Returns `timeout` when it did not; errors (device lost) throw.
   */
  wait(value: number | bigint, timeoutMs: number): WaitResult {
    return this.#waitOne(value, timeoutNs(timeoutMs), timeoutMs);
  }

  /**
   * Waits until a timeline semaphore reaches `value` without blocking the event loop: the wait
   * runs in slices of at most 0.25 ms, with a turn of the event loop between
   * them, for at most `timeoutMs` (default: for ever). Resolves `signaled` or `timeout`; rejects
   * on a device error, or with a DisposedError when the semaphore is disposed meanwhile.
   *
   * @example
   * ```ts
   * queue.submit({ commandBuffers: [cmd], signal: [{ semaphore: timeline, value: 1 }] });
   * setInterval(tick, 1); // keeps running while the GPU works
   * await timeline.waitAsync(1); // "signaled"
   * ```
   */
  waitAsync(value: number | bigint, timeoutMs?: number): Promise<WaitResult> {
    return waitInSlices((ms) => this.wait(value, ms), timeoutMs ?? Infinity);
  }

  /** One semaphore's wait (wait(), and waitMany of one): its wait info is encoded once. */
  #waitOne(value: number | bigint, ns: bigint, timeoutMs: number): WaitResult {
    this.#timelineOnly("wait");
    const v = u64Value(value, "value");
    if (!this.#waitInfo || !fastPaths.enabled) {
      this.#waitInfo = new KeptStruct(VkSemaphoreWaitInfo, {
        flags: 0,
        pSemaphores: [this.live],
        pValues: [0n],
      });
    }
    const info = this.#waitInfo;
    info.setU64Element("pValues", 0, v);
    const device = this.device;
    const r = this.#cmd("vkWaitSemaphores")(device.live, info.bytes, ns);
    return waitResult(r, device, [v], timeoutMs);
  }

  /**
   * Waits until every (or with `any`, one) timeline semaphore reaches its value
   * (`vkWaitSemaphores`). All must be of one device.
   */
  static waitMany(
    waits: readonly { semaphore: Semaphore; value: number | bigint }[],
    timeoutMs: number,
    options?: { any?: boolean },
  ): WaitResult {
    options ??= {};
    if (waits.length === 0) throw new RangeError("waitMany: no semaphores");
    const first = waits[0].semaphore;
    const device = first.device;
    const ns = timeoutNs(timeoutMs);
    if (waits.length === 1) return first.#waitOne(waits[0].value, ns, timeoutMs);
    const handles: bigint[] = [];
    const values: bigint[] = [];
    for (const w of waits) {
      w.semaphore.#timelineOnly("wait");
      if (w.semaphore.device !== device) {
        throw new ShareError(
          "WRONG_DEVICE",
          `waitMany: ${w.semaphore.label} is not on ${device.label}`,
        );
      }
      handles.push(w.semaphore.live);
      values.push(u64Value(w.value, "value"));
    }
    using arena = new Arena();
    const info = encode(VkSemaphoreWaitInfo, {
      flags: options.any ? WAIT_ANY : 0,
      pSemaphores: handles,
      pValues: values,
    }, arena);
    const r = first.#cmd("vkWaitSemaphores")(device.live, info.bytes, ns);
    return waitResult(r, device, values, timeoutMs);
  }

  // ---- used by Queue.submit ------------------------------------------------------------------

  /** @ignore What {@linkcode Queue.submit} asks of it. */
  readonly [QUEUE_HOOKS]: SemaphoreHooks = {
    checkWait: (value) => this.#checkWait(value),
    checkSignal: (value, waitedFirst) => this.#checkSignal(value, waitedFirst),
    waited: (sub) => this.#waited(sub),
    signaled: (sub, value) => this.#signaled(sub, value),
  };

  /** Checks a queue wait on this semaphore; returns the value to pass. */
  #checkWait(value: number | bigint | undefined): bigint {
    const v = this.#operationValue(value, "wait");
    if (v === null) {
      if (this.#state === "unsignaled") {
        throw new ShareError(
          "NO_PENDING_SIGNAL",
          `${this.label} has no signal submitted: a binary semaphore's wait needs one, or it never ends`,
        );
      }
      return 0n;
    }
    this.#withinDifference(v, "wait");
    return v;
  }

  /** Checks a signal of this semaphore; returns the value to pass. */
  #checkSignal(value: number | bigint | undefined, waitedFirst: boolean): bigint {
    const v = this.#operationValue(value, "signal");
    if (v === null) {
      if (this.#state === "pending" && !waitedFirst) {
        throw new ShareError(
          "SIGNAL_PENDING",
          `${this.label} is already signaled (or a signal is pending): a binary semaphore must be waited on before it is signaled again`,
        );
      }
      return 0n;
    }
    const current = this.value;
    const floor = this.#highestSignal > current ? this.#highestSignal : current;
    if (v <= floor) {
      throw new ShareError(
        "TIMELINE_VALUE",
        `${this.label}: a timeline signal must be greater than the current value ${current}${
          floor > current ? ` and than the ${floor} already submitted` : ""
        }, got ${v}`,
        `> ${floor}`,
        v,
      );
    }
    this.#withinDifference(v, "signal", current);
    return v;
  }

  /** A submission waited on it. */
  #waited(sub: Submission): void {
    this.#lastUse = sub;
    if (this.type === "binary") this.#consumeSignal();
  }

  /** A submission signals it (`value` for a timeline). */
  #signaled(sub: Submission, value: bigint): void {
    this.#lastUse = sub;
    if (this.type === "timeline") {
      if (value > this.#highestSignal) this.#highestSignal = value;
    } else if (!this.#shared) this.#state = "pending";
  }

  /** A wait's or signal's value: none for a binary semaphore (null), required for a timeline. */
  #operationValue(value: number | bigint | undefined, what: string): bigint | null {
    if (this.type === "binary") {
      if (value === undefined) return null;
      throw new ShareError("NOT_TIMELINE", `${this.label} is binary: a ${what} takes no value`);
    }
    if (value === undefined) {
      throw new ShareError(
        "TIMELINE_VALUE",
        `${this.label} is a timeline semaphore: a ${what} needs a value`,
      );
    }
    return u64Value(value, "value");
  }

  #consumeSignal(): void {
    if (this.#restore !== null) {
      this.#state = this.#restore;
      this.#restore = null;
    } else this.#state = this.#shared ? "unknown" : "unsignaled";
  }

  #share(): void {
    this.#shared = true;
    this.#state = "unknown";
    this.#restore = null;
  }

  #withinDifference(v: bigint, what: string, current = this.value): void {
    const max = this.device.physicalDevice.maxTimelineSemaphoreValueDifference;
    if (max === null) return;
    const diff = v > current ? v - current : current - v;
    if (diff > max) {
      throw new ShareError(
        "TIMELINE_VALUE",
        `${this.label}: a ${what} value of ${v} is ${diff} away from the current ${current}, more than ${this.device.physicalDevice.name}'s maxTimelineSemaphoreValueDifference ${max}`,
        `<= ${max}`,
        diff,
      );
    }
  }

  #timelineOnly(what: string): void {
    this.alive();
    if (this.type !== "timeline") {
      throw new ShareError(
        "NOT_TIMELINE",
        `${this.label}: ${what} from the host is for timeline semaphores; a binary one is signaled and waited on by queue submissions`,
        "timeline",
        this.type,
      );
    }
  }

  #cmd<K extends "vkGetSemaphoreCounterValue" | "vkWaitSemaphores" | "vkSignalSemaphore">(
    name: K,
  ): NonNullable<ReturnType<typeof vk>[K]> {
    const f = vk()[name];
    if (!f) {
      throw new MissingExtensionError(
        "Vulkan 1.2",
        "the Vulkan loader",
        "offered",
        `${name} is missing: install a loader of Vulkan 1.2 or later`,
      );
    }
    return f as NonNullable<ReturnType<typeof vk>[K]>;
  }

  /** Waits for the last submission that used it (if not known finished), then destroys it. */
  protected destroy(): void {
    if (this.#lastUse && !this.#lastUse.settle()) return warnLeak(this.label);
    vk().vkDestroySemaphore(this.device.handle, this.handle, null);
  }
}

/** What Semaphore.create makes of `options` on `device`, checked: its create info and facts. */
function semaphoreKind(device: Device, options: SemaphoreOptions, arena: Arena) {
  const pd = device.physicalDevice;
  const type = options.type ?? "binary";
  const typeValue = enumValue(SemaphoreType, type, "type");
  if (type === "binary" && options.initialValue !== undefined) {
    throw new ShareError(
      "NOT_TIMELINE",
      "initialValue is for timeline semaphores; a binary one starts unsignaled",
    );
  }
  const initialValue = u64Value(options.initialValue ?? 0, "initialValue");
  if (type === "timeline" && !device.timelineSemaphores) {
    throw new MissingExtensionError(
      "timelineSemaphore feature",
      pd.name,
      pd.timelineSemaphores ? "enabled" : "offered",
    );
  }
  for (
    const t of typeof options.exportAs === "string"
      ? [options.exportAs]
      : options.exportAs ?? []
  ) {
    if (t === "SYNC_FD" && type === "timeline") {
      throw new ShareError(
        "SEMAPHORE_TYPE_MISMATCH",
        "SYNC_FD is for binary semaphores only: a timeline semaphore exports as OPAQUE_FD",
        "binary",
        type,
      );
    }
  }
  const mask = exportMask(
    device,
    `a ${type} semaphore`,
    SemaphoreHandleType,
    options.exportAs,
    (t) => externalSemaphoreProperties(pd, { handleType: t, semaphoreType: type }),
    VK_KHR_external_semaphore_fd,
  );
  const chain = [];
  if (type === "timeline") {
    chain.push(link(VkSemaphoreTypeCreateInfo, { semaphoreType: typeValue, initialValue }));
  }
  if (mask) chain.push(link(VkExportSemaphoreCreateInfo, { handleTypes: mask }));
  return {
    info: encode(VkSemaphoreCreateInfo, { pNext: chain }, arena).bytes,
    type,
    exportAs: flagNames(SemaphoreHandleType, mask) as SemaphoreHandleTypeName[],
    initialValue,
  };
}

/** vkWaitSemaphores' result: signaled, timeout, or the error (its details built only then). */
function waitResult(r: number, device: Device, values: bigint[], timeoutMs: number): WaitResult {
  if (r === 0) return "signaled";
  if (r === 2) return "timeout";
  check(r, "vkWaitSemaphores", { device: device.physicalDevice.name, values, timeoutMs });
  throw new VkError("vkWaitSemaphores", r, { values }, "unexpected success code");
}
