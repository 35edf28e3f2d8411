/**
 * `Fence`: fences, exportable and importable as OPAQUE_FD and SYNC_FD fds
 * (VK_KHR_external_fence_fd), with status, wait (a timeout is a result) and reset.
 *
 * The spec's rules are checked before the driver sees a call: a SYNC_FD imports temporarily
 * only (-1: already signaled); exporting one needs the fence signaled or a signal pending, and
 * acts as a reset; a fence given to a submission is unsignaled and not in use; a fence in use is
 * neither reset nor imported into.
 *
 * @module
 */
import { FenceHandleType, type FenceHandleTypeName, flagNames } from "../core/enums.ts";
import { check, ShareError } from "../core/errors.ts";
import { Resource } from "../core/resource.ts";
import { timeoutNs, warnLeak } from "../core/time.ts";
import { Arena, encode, keptEncoding, keysOf, link } from "../ffi/layout.ts";
import { VK_KHR_external_fence_fd, VK_KHR_external_fence_win32 } from "../ffi/vk_commands.ts";
import {
  VkFenceGetWin32HandleInfoKHR,
  VkImportFenceWin32HandleInfoKHR,
} from "../ffi/vk_platform_structs.ts";
import {
  VkExportFenceCreateInfo,
  VkFenceCreateInfo,
  VkFenceGetFdInfoKHR,
  VkImportFenceFdInfoKHR,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { externalFenceProperties } from "../share/capabilities.ts";
import type { SyncDescriptor, SyncHandleTypeName, SyncSource } from "../share/descriptor.ts";
import type { SyncExport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import type { OwnedHandle, Win32Export, Win32Source } from "../share/handle.ts";
import type { PlanResult, SyncTargetFacts } from "../share/plan.ts";
import { type Device, type FenceHooks, QUEUE_HOOKS, type Submission } from "../vulkan/device.ts";
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

const CREATE_SIGNALED = 0x1;
const VK_NOT_READY = 1;
const VK_TIMEOUT = 2;

const FENCE_FDS: SyncKind<Fence> = {
  object: "fence",
  extension: VK_KHR_external_fence_fd,
  getInfo: VkFenceGetFdInfoKHR,
  importInfo: VkImportFenceFdInfoKHR,
  get: "vkGetFenceFdKHR",
  import: "vkImportFenceFdKHR",
  handleTypes: FenceHandleType,
  win32: {
    extension: VK_KHR_external_fence_win32,
    getInfo: VkFenceGetWin32HandleInfoKHR,
    importInfo: VkImportFenceWin32HandleInfoKHR,
    get: "vkGetFenceWin32HandleKHR",
    import: "vkImportFenceWin32HandleKHR",
    handleTypes: FenceHandleType,
  },
  capability: (f, t) => externalFenceProperties(f.device.physicalDevice, { handleType: t }),
  create: (device, o) => Fence.create(device, o.exportAs ? { exportAs: o.exportAs } : {}),
};

// The handle array of a one-fence wait, rewritten for each.
const oneHandle = new BigUint64Array(new ArrayBuffer(8));

/**
 * Options of {@linkcode Fence.create}.
 *
 * @example
 * ```ts
 * using fence = Fence.create(device, { signaled: false, exportAs: "OPAQUE_FD" });
 * ```
 *
 * @category Synchronization
 */
export interface FenceOptions {
  /** Create it signaled (default false). */
  signaled?: boolean;
  /** Handle types it can be exported as (checked against the capability query). */
  exportAs?: FenceHandleTypeName | readonly FenceHandleTypeName[];
}

// vkCreateFence's out-parameter, read right after each call (nothing runs between).
const handleOut = new BigUint64Array(new ArrayBuffer(8));

// The kept encodings' key of each exportAs given as a name (or left out), signaled or not.
const KIND_KEY = keysOf("fence", Object.keys(FenceHandleType), ["true", "false"]);

/**
 * A VkFence.
 *
 * @example
 * ```ts
 * using fence = Fence.create(device);
 * device.queue().submit({ commandBuffers: [cmd], fence });
 * fence.wait(1000); // "signaled" (or "timeout")
 * fence.reset();
 * ```
 *
 * @category Synchronization
 */
export class Fence extends Resource {
  /** The device. */
  readonly device: Device;
  /** The VkFence. */
  readonly handle: bigint;
  /** The handle types it can be exported as (names). */
  readonly exportAs: readonly FenceHandleTypeName[];
  #label?: string;
  /** `Fence 0x... of Device "..."`, for messages (made when first read). */
  get label(): string {
    return this.#label ??= `Fence 0x${this.handle.toString(16)} of ${this.device.label}`;
  }
  #submission: Submission | null = null;
  #shared = false;
  readonly #one = new BigUint64Array(new ArrayBuffer(8));

  /** @ignore Made by the class's own static methods. */
  private constructor(device: Device, handle: bigint, exportAs: FenceHandleTypeName[]) {
    super();
    this.device = device;
    this.handle = handle;
    this.exportAs = exportAs;
    this.#one[0] = handle;
    this.adopt(device);
  }

  /** Creates a fence, exportable as `exportAs` (each checked with the capability query). */
  static create(device: Device, options?: FenceOptions): Fence {
    options ??= {};
    const d = device.live;
    // What options make is checked and encoded once per device (keptEncoding), where they are
    // plain names; others are checked and encoded on every call.
    // (An exportAs that is a name, or left out, has a key: KIND_KEY.)
    const key = KIND_KEY(options.exportAs as string | undefined, String(Boolean(options.signaled)));
    using arena = key === undefined ? new Arena() : undefined;
    const k = arena
      ? fenceKind(device, options, arena)
      : keptEncoding(device, key!, (a) => fenceKind(device, options, a));
    const r = vk().vkCreateFence(d, k.info, null, handleOut);
    if (r < 0) {
      check(r, "vkCreateFence", { device: device.physicalDevice.name, exportAs: k.exportAs });
    }
    return new Fence(device, handleOut[0], k.exportAs);
  }

  /**
   * Plans an import of `fd` (null: none, and the fd's own rules are not judged) described by
   * `source` into a new fence on `device`, without importing anything: the plan, or every rule
   * {@linkcode Fence.importFd} would refuse it for, with expected and actual values.
   *
   * @example
   * ```ts
   * const r = Fence.planImport(device, null, JSON.parse(text));
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
      FENCE_FDS,
      device,
      fd,
      source,
      options,
      (h) => externalFenceProperties(device.physicalDevice, { handleType: h }),
    );
  }

  /**
   * Creates a fence on `device` and imports `fd` into it (OPAQUE_FD: permanently unless
   * `temporary`; SYNC_FD: temporarily). On failure the new fence is destroyed and the caller's
   * fd is still open.
   */
  static importFd(
    device: Device,
    fd: OwnedFd | number | null,
    descriptor: SyncSource,
    options?: SyncImportOptions,
  ): Fence {
    options ??= {};
    return importIntoNew(FENCE_FDS, device, descriptor, (o, d) => o.importFd(fd, d, options));
  }

  /** The VkFence, after checking it is alive. */
  get live(): bigint {
    this.alive();
    return this.handle;
  }

  /** `signaled` or `unsignaled` (`vkGetFenceStatus`); a lost device throws. */
  status(): "signaled" | "unsignaled" {
    const r = check(vk().vkGetFenceStatus(this.device.live, this.live), "vkGetFenceStatus", {
      fence: this.label,
    });
    if (r === VK_NOT_READY) return "unsignaled";
    this.#submission = null; // seen signaled: the submission that signals it has finished
    return "signaled";
  }

  /** Waits until it is signaled, for at most `timeoutMs` (0 polls; Infinity waits for ever). */
  wait(timeoutMs: number): WaitResult {
    return Fence.waitMany([this], timeoutMs);
  }

  /**
   * Waits until the fence is signaled without blocking the event loop: the wait runs in slices
   * of at most 0.25 ms, with a turn of the event loop between them, for at
   * most `timeoutMs` (default: for ever). Resolves `signaled` or `timeout`; rejects on a device
   * error, or with a DisposedError when the fence is disposed meanwhile.
   *
   * @example
   * ```ts
   * queue.submit({ commandBuffers: [cmd], fence });
   * await fence.waitAsync(); // "signaled"; timers and sockets ran meanwhile
   * ```
   */
  waitAsync(timeoutMs?: number): Promise<WaitResult> {
    return waitInSlices((ms) => this.wait(ms), timeoutMs ?? Infinity);
  }

  /** Waits until every fence (or with `any`, one) is signaled (`vkWaitForFences`). */
  static waitMany(
    fences: readonly Fence[],
    timeoutMs: number,
    options?: { any?: boolean },
  ): WaitResult {
    options ??= {};
    if (fences.length === 0) throw new RangeError("waitMany: no fences");
    const device = fences[0].device;
    const ns = timeoutNs(timeoutMs);
    // One fence (a wait()) is passed from a buffer kept for it: waits are synchronous.
    const handles = fences.length === 1
      ? oneHandle
      : new BigUint64Array(new ArrayBuffer(8 * fences.length));
    fences.forEach((f, i) => {
      if (f.device !== device) {
        throw new ShareError("WRONG_DEVICE", `waitMany: ${f.label} is not on ${device.label}`);
      }
      handles[i] = f.live;
    });
    const r = vk().vkWaitForFences(device.live, fences.length, handles, options.any ? 0 : 1, ns);
    if (r < 0) {
      check(r, "vkWaitForFences", {
        device: device.physicalDevice.name,
        fences: fences.length,
        timeoutMs,
      });
    }
    if (r === VK_TIMEOUT) return "timeout";
    // Seen signaled (all of them, or with `any` one we cannot name): their submissions finished,
    // and for a fence whose payload is its own, every earlier submission of its queue too.
    if (!options.any) {
      for (const f of fences) {
        const sub = f.#submission;
        if (sub && !f.#shared) sub.queue.finishedThrough(sub.seq);
        f.#submission = null;
      }
    }
    return "signaled";
  }

  /** Resets it to unsignaled (refused while a submission that signals it has not finished). */
  reset(): void {
    this.#notInUse("reset");
    check(vk().vkResetFences(this.device.live, 1, this.#one), "vkResetFences", {
      fence: this.label,
    });
    this.#submission = null;
  }

  /**
   * Exports the fence as a new fd. OPAQUE_FD shares the payload; SYNC_FD copies a signal that
   * has happened or is pending, and resets the fence (fd null: the driver says it has already
   * signaled).
   */
  exportFd(handleType?: "OPAQUE_FD"): SyncExport<OwnedFd>;
  /** As a SYNC_FD: the fd is null when the driver says the signal has already happened. */
  exportFd(handleType: "SYNC_FD"): SyncExport<OwnedFd | null>;
  /** As either handle type. */
  exportFd(handleType: SyncHandleTypeName): SyncExport;
  exportFd(handleType?: SyncHandleTypeName): SyncExport {
    handleType ??= "OPAQUE_FD";
    this.alive();
    if (
      handleType === "SYNC_FD" && !this.#shared && this.#submission === null
      && this.status() === "unsignaled"
    ) {
      throw new ShareError(
        "NO_PENDING_SIGNAL",
        `${this.label}: a SYNC_FD export needs the fence signaled or a signal submitted`,
      );
    }
    const exp = exportSync(FENCE_FDS, this, handleType);
    if (handleType === "OPAQUE_FD") this.#shared = true;
    else this.#submission = null;
    return exp;
  }

  /**
   * Exports the fence as a Windows handle (VK_KHR_external_fence_win32): OPAQUE_WIN32 (an NT
   * handle, closed when the export is disposed, exported once) or OPAQUE_WIN32_KMT. The fence
   * must have been created with the handle type in `exportAs`.
   */
  exportWin32(
    handleType?: "OPAQUE_WIN32" | "OPAQUE_WIN32_KMT",
  ): Win32Export<SyncDescriptor> {
    handleType ??= "OPAQUE_WIN32";
    this.alive();
    const exp = exportSyncWin32(FENCE_FDS, this, handleType);
    this.#shared = true;
    return exp;
  }

  /**
   * Imports a Windows handle (an {@linkcode OwnedHandle}, or `{ name }` for OPAQUE_WIN32's named
   * object) into this fence, permanently (default) or temporarily; the rules are checked first.
   * The handle is not consumed: it stays the caller's to close.
   */
  importWin32(
    source: OwnedHandle | Win32Source,
    descriptor: SyncDescriptor,
    options?: SyncImportOptions,
  ): void {
    options ??= {};
    this.alive();
    const plan = importSyncWin32(FENCE_FDS, this, source, descriptor, options, this.#target());
    if (!plan.temporary) this.#shared = true;
  }

  /** What an import into it needs to know of it. */
  #target(): SyncTargetFacts {
    // The label is made only if a message needs it (a known plan's import reads none).
    const label = () => this.label;
    return {
      get label() {
        return label();
      },
      inUse: this.#submission !== null && !this.#finished(this.#submission),
    };
  }

  /**
   * Creates a fence on `device` and imports the Windows handle into it (see
   * {@linkcode Fence.prototype.importWin32}); on failure the new fence is destroyed.
   */
  static importWin32(
    device: Device,
    source: OwnedHandle | Win32Source,
    descriptor: SyncDescriptor,
    options?: SyncImportOptions,
  ): Fence {
    options ??= {};
    device.extension(VK_KHR_external_fence_win32); // a MissingExtensionError before anything is made
    return importIntoNew(
      FENCE_FDS,
      device,
      descriptor,
      (o, d) => o.importWin32(source, d, options),
    );
  }

  /**
   * Imports an fd into this fence: OPAQUE_FD permanently (default) or temporarily; SYNC_FD
   * temporarily only (`fd` -1 or null: already signaled). A temporary payload lasts until the
   * next reset. On success the caller's fd is consumed, on failure it is still open.
   */
  importFd(
    fd: OwnedFd | number | null,
    descriptor: SyncSource,
    options?: SyncImportOptions,
  ): void {
    options ??= {};
    this.alive();
    const plan = importSync(FENCE_FDS, this, fd, descriptor, options, this.#target());
    if (!plan.temporary) this.#shared = true;
  }

  /** The descriptor of an export as `handleType` (what `exportFd` returns with the fd). */
  descriptor(handleType: SyncHandleTypeName): SyncDescriptor {
    return syncDescriptor(this.device, "fence", handleType, {});
  }

  // ---- used by Queue.submit ------------------------------------------------------------------

  /** @ignore What {@linkcode Queue.submit} asks of it. */
  readonly [QUEUE_HOOKS]: FenceHooks = {
    checkSubmit: () => this.#checkSubmit(),
    submitted: (sub) => {
      this.#submission = sub;
    },
    finished: (sub) => this.#finished(sub),
  };

  /** Checks that a submission may signal it. */
  #checkSubmit(): void {
    this.#notInUse("submit");
    if (this.status() === "signaled") {
      throw new ShareError(
        "FENCE_SIGNALED",
        `${this.label} is signaled: reset it before a submission signals it again`,
        "unsignaled",
        "signaled",
      );
    }
  }

  /** Whether `sub`, which signals this fence, has finished. */
  #finished(sub: Submission): boolean {
    if (sub !== this.#submission) return true; // reset (or exported as SYNC_FD) since
    // The queue knows first (idle, or a later submission seen finished): a shared payload may
    // have been reset through another fence since, and its status says nothing of this queue.
    if (sub.knownDone) return true;
    return this.status() === "signaled";
  }

  #notInUse(what: string): void {
    this.alive();
    if (this.#submission && !this.#finished(this.#submission)) {
      throw new ShareError(
        "IN_USE",
        `${this.label} is to be signaled by a submission that has not finished: wait for it before you ${what} it`,
      );
    }
  }

  /** Waits for the submission that signals it (if not known finished), then destroys it. */
  protected destroy(): void {
    if (this.#submission && !this.#submission.settle()) return warnLeak(this.label);
    vk().vkDestroyFence(this.device.handle, this.handle, null);
  }
}

/** What Fence.create makes of `options` on `device`, checked: its create info and facts. */
function fenceKind(device: Device, options: FenceOptions, arena: Arena) {
  const pd = device.physicalDevice;
  const mask = exportMask(
    device,
    "a fence",
    FenceHandleType,
    options.exportAs,
    (t) => externalFenceProperties(pd, { handleType: t }),
    VK_KHR_external_fence_fd,
  );
  return {
    info: encode(VkFenceCreateInfo, {
      pNext: mask ? [link(VkExportFenceCreateInfo, { handleTypes: mask })] : [],
      flags: options.signaled ? CREATE_SIGNALED : 0,
    }, arena).bytes,
    exportAs: flagNames(FenceHandleType, mask) as FenceHandleTypeName[],
  };
}
