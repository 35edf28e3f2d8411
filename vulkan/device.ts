/**
 * `Device`: a VkDevice that enables the external-sharing extensions it is asked for (or all
 * those its physical device offers), with one queue family's queues and, where supported,
 * timeline semaphores.
 *
 * Its `Queue`s submit command buffers that wait on and signal semaphores (binary, or timeline
 * with values) and signal a fence. Every rule vkshare can see is checked before vkQueueSubmit:
 * objects of this device, a wait on a binary semaphore that has a signal to wait for, no second
 * signal of a binary semaphore that is still signaled, timeline values that only grow, a fence
 * that is unsignaled and not in use, command buffers that are recorded. What a queue needs of
 * semaphores, fences and command buffers is declared here (`QueueSemaphore`, `QueueFence`,
 * `QueueCommandBuffer`), so that the Vulkan objects import nothing of the layers above.
 *
 * @module
 */
import { makeVersion, QueueFlag, versionString } from "../core/enums.ts";
import { flagMask, PipelineStage, type PipelineStageName } from "../core/enums.ts";
import { check, MissingExtensionError, show } from "../core/errors.ts";
import { ShareError } from "../core/errors.ts";
import { SETTLE_MS, timeoutNs } from "../core/time.ts";
import {
  VkFenceCreateInfo,
  VkSemaphoreCreateInfo,
  VkSemaphoreTypeCreateInfo,
  VkSemaphoreWaitInfo,
} from "../ffi/vk_structs.ts";

import { loadEnabledExtension, out64 } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import { Arena, encode, KeptStruct, link } from "../ffi/layout.ts";
import { rt } from "../ffi/runtime.ts";
import type { Pointer } from "../ffi/types.ts";
import type { ExtensionTable } from "../ffi/vk_commands.ts";
import {
  VkDeviceCreateInfo,
  VkPhysicalDeviceTimelineSemaphoreFeatures,
} from "../ffi/vk_structs.ts";
import { type ExtensionFunctions, vk } from "../ffi/vulkan.ts";
import type { PhysicalDevice } from "./instance.ts";
import { submitInfo } from "./submit_info.ts";

/**
 * The device extensions of external memory and synchronization on POSIX systems.
 *
 * @example
 * ```ts
 * EXTERNAL_EXTENSIONS.filter((e) => pd.hasExtension(e)); // what Device.create enables by default
 * ```
 *
 * @category Vulkan objects
 */
export const EXTERNAL_EXTENSIONS = [
  "VK_KHR_external_memory_fd",
  "VK_EXT_external_memory_dma_buf",
  "VK_EXT_external_memory_host",
  "VK_KHR_external_semaphore_fd",
  "VK_KHR_external_fence_fd",
  "VK_KHR_external_memory_win32",
  "VK_KHR_external_semaphore_win32",
  "VK_KHR_external_fence_win32",
] as const;

/**
 * Options of {@linkcode Device.create}.
 *
 * @example
 * ```ts
 * using device = Device.create(pd, { extensions: ["VK_KHR_external_memory_fd"], queueCount: 1 });
 * ```
 *
 * @category Vulkan objects
 */
export interface DeviceOptions {
  /**
   * Device extensions to enable. `"external"` (the default) enables every one of
   * {@linkcode EXTERNAL_EXTENSIONS} that the device offers; a list enables exactly those, and
   * throws a MissingExtensionError for one the device does not offer.
   */
  extensions?: readonly string[] | "external";
  /** The queue family (default: the first with graphics or compute, which also transfer). */
  queueFamily?: number;
  /** How many queues of that family (default 1). */
  queueCount?: number;
  /** Enable timeline semaphores (default: when the device supports them). */
  timelineSemaphores?: boolean;
}

/**
 * A logical device.
 *
 * @example
 * ```ts
 * using instance = Instance.create();
 * using device = Device.create(instance.physicalDevices()[0]);
 * device.extensions; // the external extensions it enabled
 * ```
 *
 * @category Vulkan objects
 */
export class Device extends Resource {
  /** The physical device. */
  readonly physicalDevice: PhysicalDevice;
  /** The VkDevice. */
  readonly handle: Pointer;
  /** The enabled device extensions. */
  readonly extensions: readonly string[];
  /** The queue family of {@linkcode Device.queue}. */
  readonly queueFamily: number;
  /** How many queues were created in it. */
  readonly queueCount: number;
  /** Whether timeline semaphores are enabled. */
  readonly timelineSemaphores: boolean;
  /** `Device "<name>"`, for messages. */
  readonly label: string;
  #tables = new Map<string, unknown>();
  #queues = new Map<number, Queue>();

  /** @ignore Made by the class's own static methods. */
  private constructor(
    pd: PhysicalDevice,
    handle: Pointer,
    extensions: string[],
    queueFamily: number,
    queueCount: number,
    timeline: boolean,
  ) {
    super();
    this.physicalDevice = pd;
    this.handle = handle;
    this.extensions = extensions;
    this.queueFamily = queueFamily;
    this.queueCount = queueCount;
    this.timelineSemaphores = timeline;
    this.label = `Device "${pd.name}"`;
    this.adopt(pd.instance);
  }

  /** Creates a device on `pd`. */
  static create(pd: PhysicalDevice, options?: DeviceOptions): Device {
    options ??= {};
    if (
      typeof (pd as { instance?: { assertAlive?: unknown } } | null)?.instance?.assertAlive
        !== "function"
    ) {
      throw new TypeError(
        `Device.create: expected a PhysicalDevice (one of instance.physicalDevices()), got ${
          show(pd)
        }${
          pd === undefined
            ? ": where physicalDevices() is empty, this machine's Vulkan drivers found no device (vkshare doctor says why)"
            : ""
        }`,
      );
    }
    pd.instance.assertAlive();
    if (pd.apiVersion < makeVersion(1, 1)) {
      throw new Error(
        `${pd.name} supports Vulkan ${versionString(pd.apiVersion)}: vkshare needs 1.1 or later`,
      );
    }
    const wanted = options.extensions ?? "external";
    let extensions: string[];
    if (wanted === "external") {
      extensions = EXTERNAL_EXTENSIONS.filter((e) => pd.hasExtension(e));
      // DRM format modifiers, for images shared with compositors, cameras and video: it needs
      // VK_KHR_image_format_list, core in Vulkan 1.2.
      const v12 = makeVersion(1, 2);
      if (
        pd.hasExtension("VK_EXT_image_drm_format_modifier") && pd.apiVersion >= v12
        && pd.instance.apiVersion >= v12
      ) {
        extensions.push("VK_EXT_image_drm_format_modifier");
      }
    } else {
      if (!Array.isArray(wanted)) {
        throw new TypeError(`extensions: expected a list of names or "external"`);
      }
      for (const e of wanted) {
        if (!pd.hasExtension(e)) throw new MissingExtensionError(e, pd.name, "offered");
      }
      extensions = [...new Set(wanted)];
    }

    const families = pd.queueFamilies;
    const family = options.queueFamily
      ?? families.find((f) => f.queueFlags & (QueueFlag.GRAPHICS | QueueFlag.COMPUTE))?.index
      ?? 0;
    const fam = families[family];
    if (!fam) {
      throw new RangeError(
        `queueFamily: ${family} is not a queue family of ${pd.name} (it has ${families.length})`,
      );
    }
    const queueCount = options.queueCount ?? 1;
    if (!Number.isInteger(queueCount) || queueCount < 1 || queueCount > fam.queueCount) {
      throw new RangeError(
        `queueCount: ${queueCount} is out of range: family ${family} of ${pd.name} has ${fam.queueCount} queue(s)`,
      );
    }
    const supportsTimeline = pd.timelineSemaphores;
    if (options.timelineSemaphores && !supportsTimeline) {
      throw new MissingExtensionError("timelineSemaphore feature", pd.name, "offered");
    }
    const timeline = options.timelineSemaphores ?? supportsTimeline;

    using arena = new Arena();
    const info = encode(VkDeviceCreateInfo, {
      pNext: timeline
        ? [link(VkPhysicalDeviceTimelineSemaphoreFeatures, { timelineSemaphore: true })]
        : [],
      pQueueCreateInfos: [{
        queueFamilyIndex: family,
        pQueuePriorities: new Array(queueCount).fill(1),
      }],
      ppEnabledExtensionNames: extensions,
    }, arena);
    const out = out64();
    check(vk().vkCreateDevice(pd.live, info.bytes, null, out), "vkCreateDevice", {
      device: pd.name,
      extensions,
      queueFamily: family,
      queueCount,
    });
    return new Device(pd, rt.pointer(out[0]), extensions, family, queueCount, timeline);
  }

  /** The VkDevice, after checking that the device (and its instance) is alive. */
  get live(): Pointer {
    this.alive();
    return this.handle;
  }

  /** Whether extension `name` is enabled on this device. */
  hasExtension(name: string): boolean {
    return this.extensions.includes(name);
  }

  /**
   * The commands of a device extension, loaded once. Throws a MissingExtensionError naming the
   * extension and the device when it is not enabled.
   */
  extension<T extends ExtensionTable>(table: T): ExtensionFunctions<T> {
    const h = this.live;
    let f = this.#tables.get(table.name) as ExtensionFunctions<T> | undefined;
    if (f) return f;
    if (!this.hasExtension(table.name)) {
      throw new MissingExtensionError(
        table.name,
        this.physicalDevice.name,
        this.physicalDevice.hasExtension(table.name) ? "enabled" : "offered",
      );
    }
    f = loadEnabledExtension(table, h, this.physicalDevice.name);
    this.#tables.set(table.name, f);
    return f;
  }

  /** Queue `index` of {@linkcode Device.queueFamily} (the same object on every call). */
  queue(index?: number): Queue {
    index ??= 0;
    const h = this.live;
    if (!Number.isInteger(index) || index < 0 || index >= this.queueCount) {
      throw new RangeError(`queue: index ${index} is out of range (0..${this.queueCount - 1})`);
    }
    let q = this.#queues.get(index);
    if (!q) {
      const out = out64();
      vk().vkGetDeviceQueue(h, this.queueFamily, index, out);
      q = new Queue(this, rt.pointer(out[0]), this.queueFamily, index);
      this.#queues.set(index, q);
    }
    return q;
  }

  /** Waits until the device is idle. */
  waitIdle(): void {
    const queues = [...this.#queues.values()];
    const through = queues.map((q) => q.submitted);
    check(vk().vkDeviceWaitIdle(this.live), "vkDeviceWaitIdle", {
      device: this.physicalDevice.name,
    });
    queues.forEach((q, i) => q.finishedThrough(through[i]));
  }

  /**
   * Waits (at most {@linkcode SETTLE_MS} per queue) for the work submitted to its queues, then
   * disposes its children and the device. A device whose work cannot finish is left
   * undestroyed (and its instance with it), with a warning, rather than crash the driver.
   */
  override [Symbol.dispose](): void {
    if (!this.disposed) {
      for (const q of this.#queues.values()) {
        if (!q.drain(SETTLE_MS)) {
          this.keep(
            `${this.label} has GPU work that did not finish within ${SETTLE_MS} ms (a wait that nothing signals?)`,
          );
        }
      }
    }
    super[Symbol.dispose]();
  }

  /** Destroys the VkDevice. */
  protected destroy(): void {
    for (const q of this.#queues.values()) q.releaseOwnObjects();
    vk().vkDestroyDevice(this.handle, null);
  }
}

/**
 * What a submission needs of a semaphore it waits on or signals: a `Semaphore` (sync/semaphore.ts)
 * is one. Declared here, where queues are, so that the Vulkan objects need nothing of the layers
 * above them.
 *
 * @example
 * ```ts
 * const s: QueueSemaphore = Semaphore.create(device, { type: "timeline" }); // what a submission waits on or signals
 * ```
 *
 * @category Vulkan objects
 */
export interface QueueSemaphore {
  /** Its device. */
  readonly device: Device;
  /** The VkSemaphore. */
  readonly handle: bigint;
  /** For messages. */
  readonly label: string;
  /** `binary` or `timeline`. */
  readonly type: "binary" | "timeline";
  /** Whether it was disposed. */
  readonly disposed: boolean;
  /** A timeline semaphore's counter value. */
  readonly value: bigint;
  /** Throws when it was disposed. */
  assertAlive(): void;
  /** @ignore What {@linkcode Queue.submit} asks of it. */
  readonly [QUEUE_HOOKS]: SemaphoreHooks;
}

/**
 * The key of what {@linkcode Queue.submit} asks of a semaphore, fence or command buffer: one
 * object per submitted thing, read only by the queue (none of it is the things' public API).
 *
 * @ignore
 */
export const QUEUE_HOOKS: unique symbol = Symbol("vkshare.queueHooks");

/** @ignore What a submission asks of a semaphore. */
export interface SemaphoreHooks {
  /** Checks a wait on it; returns the value to pass. */
  checkWait(value: number | bigint | undefined): bigint;
  /** Checks a signal of it; returns the value to pass. */
  checkSignal(value: number | bigint | undefined, waitedFirst: boolean): bigint;
  /** A submission waits on it. */
  waited(sub: Submission): void;
  /** A submission signals it (to `value`, for a timeline semaphore). */
  signaled(sub: Submission, value: bigint): void;
}

/** @ignore What a submission asks of a fence. */
export interface FenceHooks {
  /** Checks that it can be signaled by a submission. */
  checkSubmit(): void;
  /** A submission signals it. */
  submitted(sub: Submission): void;
  /** Whether `sub`, which signals it, has finished (its status says so). */
  finished(sub: Submission): boolean;
}

/** @ignore What a submission asks of a command buffer. */
export interface CommandBufferHooks {
  /** Checks that it is executable. */
  checkSubmit(): void;
  /** A submission runs it. */
  submitted(sub: Submission): void;
}

/**
 * What a submission needs of the fence it signals: a `Fence` (sync/fence.ts) is one.
 *
 * @example
 * ```ts
 * const f: QueueFence = Fence.create(device); // what a submission signals
 * ```
 *
 * @category Vulkan objects
 */
export interface QueueFence {
  /** Its device. */
  readonly device: Device;
  /** The VkFence. */
  readonly handle: bigint;
  /** For messages. */
  readonly label: string;
  /** Whether it was disposed. */
  readonly disposed: boolean;
  /** Throws when it was disposed. */
  assertAlive(): void;
  /** @ignore What {@linkcode Queue.submit} asks of it. */
  readonly [QUEUE_HOOKS]: FenceHooks;
}

/**
 * What a submission needs of a command buffer it runs: a `CommandBuffer`
 * (memory/command_buffer.ts) is one.
 *
 * @example
 * ```ts
 * const c: QueueCommandBuffer = CommandBuffer.create(device); // what a submission runs
 * ```
 *
 * @category Vulkan objects
 */
export interface QueueCommandBuffer {
  /** Its device. */
  readonly device: Device;
  /** The VkCommandBuffer. */
  readonly handle: Pointer;
  /** For messages. */
  readonly label: string;
  /** Throws when it was disposed. */
  assertAlive(): void;
  /** @ignore What {@linkcode Queue.submit} asks of it. */
  readonly [QUEUE_HOOKS]: CommandBufferHooks;
}

/** The stage mask of a wait's `stage` (default ALL_COMMANDS). */
function stageMask(stage: SemaphoreWait["stage"]): number {
  if (stage === undefined) return PipelineStage.ALL_COMMANDS;
  return flagMask(PipelineStage, typeof stage === "string" ? [stage] : stage, "stage");
}

/**
 * A semaphore to wait on: binary, or timeline with the value to wait for.
 *
 * @example
 * ```ts
 * device.queue().submit({ wait: [{ semaphore: timeline, value: 1, stage: "TRANSFER" }], commandBuffers: [cmd] });
 * ```
 *
 * @category Vulkan objects
 */
export interface SemaphoreWait {
  /** The semaphore (of the queue's device). */
  semaphore: QueueSemaphore;
  /** For a timeline semaphore: the value to wait for (required); binary: none. */
  value?: number | bigint;
  /** The stages that wait (default ALL_COMMANDS). */
  stage?: PipelineStageName | readonly PipelineStageName[];
}

/**
 * A semaphore to signal: binary, or timeline with the value to set.
 *
 * @example
 * ```ts
 * device.queue().submit({ signal: [{ semaphore: timeline, value: 2 }] });
 * ```
 *
 * @category Vulkan objects
 */
export interface SemaphoreSignal {
  /** The semaphore (of the queue's device). */
  semaphore: QueueSemaphore;
  /** For a timeline semaphore: the value to signal (required, greater than the current). */
  value?: number | bigint;
}

/**
 * What {@linkcode Queue.submit} takes. A bare Semaphore stands for a binary one, no value.
 *
 * @example
 * ```ts
 * device.queue().submit({ wait: [acquired], commandBuffers: [cmd], signal: [done], fence });
 * ```
 *
 * @category Vulkan objects
 */
export interface SubmitOptions {
  /** Semaphores to wait on before the command buffers run. */
  wait?: readonly (SemaphoreWait | QueueSemaphore)[];
  /** Command buffers to run, in order (none: the submission only waits and signals). */
  commandBuffers?: readonly QueueCommandBuffer[];
  /** Semaphores to signal when they are done. */
  signal?: readonly (SemaphoreSignal | QueueSemaphore)[];
  /** A fence to signal when they are done (unsignaled, and not in use). */
  fence?: QueueFence;
}

/**
 * @ignore @internal One vkQueueSubmit, as the objects it used remember it: whether it has finished is
 * known through its fence or a timeline value it signals, and unknown without either. A
 * submission with neither also signals its queue's own timeline (`progress`), which settles it
 * without a drain.
 */
export class Submission {
  /** The queue it went to. */
  readonly queue: Queue;
  /** Its place in the queue's submission order (1, 2, ...). */
  readonly seq: number;
  readonly #fence: QueueFence | null;
  readonly #timeline: { semaphore: QueueSemaphore; value: bigint } | null;
  readonly #progress: bigint | null;
  #done = false;

  constructor(
    queue: Queue,
    fence: QueueFence | null,
    timeline: { semaphore: QueueSemaphore; value: bigint } | null,
    progress: bigint | null = null,
  ) {
    this.queue = queue;
    this.seq = queue.nextSeq();
    this.#fence = fence;
    this.#timeline = timeline;
    this.#progress = progress;
  }

  /**
   * Whether the queue says it has finished: a wait for the idle queue or device, or a later
   * submission of the same queue seen finished, since it was submitted. Known without asking
   * any shared payload (another device may have reset or signaled it).
   */
  get knownDone(): boolean {
    return this.#done || this.queue.hasFinished(this.seq);
  }

  /** True when it has finished, false when it has not, null when vkshare cannot tell. */
  done(): boolean | null {
    if (this.knownDone) return true;
    if (this.#fence) {
      if (this.#fence.disposed || this.#fence[QUEUE_HOOKS].finished(this)) return this.#finished();
    }
    if (this.#timeline) {
      const s = this.#timeline.semaphore;
      if (s.disposed || s.value >= this.#timeline.value) return this.#finished();
    }
    return this.#fence || this.#timeline ? false : null;
  }

  #finished(): true {
    this.#done = true;
    return true;
  }

  /**
   * Waits (at most {@linkcode SETTLE_MS}) for the submission unless its fence says it has
   * finished; returns false when it did not finish in time (a wait nothing will signal).
   */
  settle(): boolean {
    // A finish seen through a fence is one the validation layer saw too; one seen only through
    // a timeline counter is not, for imported semaphores: drain the queue then.
    if (this.queue.device.disposed || this.knownDone) return true;
    if (this.#fence && (this.#fence.disposed || this.#fence[QUEUE_HOOKS].finished(this))) {
      return true;
    }
    // The queue's own timeline is seen by the layer too (it is never shared): a counter read,
    // where a drain is a submission and a fence wait.
    const settled = this.#progress !== null
      ? this.queue.awaitProgress(this.#progress, SETTLE_MS)
      : this.queue.drain(SETTLE_MS);
    if (!settled) return false;
    this.#done = true;
    if (this.#progress !== null) this.queue.finishedThrough(this.seq);
    return true;
  }
}

/**
 * A VkQueue of a {@linkcode Device} (from `device.queue(i)`); it lives as long as the device.
 *
 * @example
 * ```ts
 * const queue = device.queue();
 * queue.submit({ commandBuffers: [cmd], signal: [{ semaphore: timeline, value: 1 }] });
 * timeline.wait(1, 1000); // "signaled"
 * ```
 *
 * @category Vulkan objects
 */
export class Queue {
  /** The device. */
  readonly device: Device;
  /** The VkQueue. */
  readonly handle: Pointer;
  /** Its queue family. */
  readonly family: number;
  /** Its index in the family. */
  readonly index: number;
  /** `Queue 0 of Device "..."`, for messages. */
  readonly label: string;
  #submitted = 0;
  #finishedThrough = 0;

  /** @ignore @internal Made by {@linkcode Device.queue}. */
  constructor(device: Device, handle: Pointer, family: number, index: number) {
    this.device = device;
    this.handle = handle;
    this.family = family;
    this.index = index;
    this.label = `Queue ${index} of ${device.label}`;
  }

  /** @ignore @internal How many submissions this queue has had. */
  get submitted(): number {
    return this.#submitted;
  }

  /** @ignore @internal The number of the next submission, in submission order. */
  nextSeq(): number {
    return ++this.#submitted;
  }

  /** @ignore @internal Whether submission `seq` is known to have finished. */
  hasFinished(seq: number): boolean {
    return seq <= this.#finishedThrough;
  }

  /**
   * @ignore @internal Submission `seq` has finished, and with it every earlier one (a fence or semaphore
   * signal operation covers all work earlier in submission order).
   */
  finishedThrough(seq: number): void {
    if (seq > this.#finishedThrough) this.#finishedThrough = seq;
  }

  /**
   * Submits command buffers (or none) that wait on `wait`, then signal `signal` and `fence`.
   * Throws a ShareError, before anything reaches the driver, when a rule is broken.
   */
  submit(options?: SubmitOptions): void {
    options ??= {};
    this.device.assertAlive();
    const waits = (options.wait ?? []).map((w) => ("semaphore" in w ? w : { semaphore: w }));
    const signals = (options.signal ?? []).map((s) => ("semaphore" in s ? s : { semaphore: s }));
    const cmds = options.commandBuffers ?? [];
    const fence = options.fence ?? null;
    for (const o of [...waits.map((w) => w.semaphore), ...signals.map((s) => s.semaphore)]) {
      this.#mine(o);
    }
    for (const c of cmds) this.#mine(c);
    if (fence) this.#mine(fence);

    const waitValues = waits.map((w) => w.semaphore[QUEUE_HOOKS].checkWait(w.value));
    const seen = new Set<QueueSemaphore>();
    const signalValues = signals.map((s) => {
      if (seen.has(s.semaphore)) {
        throw new ShareError(
          "SIGNAL_PENDING",
          `${s.semaphore.label} is signaled twice by one submission`,
        );
      }
      seen.add(s.semaphore);
      // A binary semaphore this submission waits on is unsignaled by the time it signals.
      const waited = waits.some((w) => w.semaphore === s.semaphore);
      return s.semaphore[QUEUE_HOOKS].checkSignal(s.value, waited);
    });
    for (const c of cmds) c[QUEUE_HOOKS].checkSubmit();
    fence?.[QUEUE_HOOKS].checkSubmit();

    const lastTimeline = signals.findLast((s) => s.semaphore.type === "timeline");
    const progress = fence || lastTimeline ? null : this.#nextProgress();
    using arena = new Arena();
    const info = submitInfo({
      waits: waits.map((w) => w.semaphore.handle),
      stages: waits.map((w) => stageMask(w.stage)),
      waitValues,
      commandBuffers: cmds.map((c) => rt.address(c.handle)),
      signals: progress
        ? [...signals.map((s) => s.semaphore.handle), progress.handle]
        : signals.map((s) => s.semaphore.handle),
      signalValues: progress ? [...signalValues, progress.value] : signalValues,
      timeline: progress !== null
        || [...waits, ...signals].some((x) => x.semaphore.type === "timeline"),
    }, arena);
    const r = vk().vkQueueSubmit(this.handle, 1, info, fence?.handle ?? 0n);
    if (r < 0) {
      check(r, "vkQueueSubmit", {
        device: this.device.physicalDevice.name,
        queue: this.index,
        waits: waits.length,
        commandBuffers: cmds.length,
        signals: signals.length,
        fence: fence !== null,
      });
    }

    const sub = new Submission(
      this,
      fence,
      lastTimeline
        ? { semaphore: lastTimeline.semaphore, value: signalValues[signals.indexOf(lastTimeline)] }
        : null,
      progress?.value ?? null,
    );
    waits.forEach((w) => w.semaphore[QUEUE_HOOKS].waited(sub));
    signals.forEach((s, i) => s.semaphore[QUEUE_HOOKS].signaled(sub, signalValues[i]));
    for (const c of cmds) c[QUEUE_HOOKS].submitted(sub);
    fence?.[QUEUE_HOOKS].submitted(sub);
  }

  /** The queue's own timeline semaphore (0 until made), its last value and the last one seen. */
  readonly #progress = out64();
  #progressValue = 0n;
  #progressSeen = 0n;
  #progressUnmade = false;
  #progressWait: KeptStruct<typeof VkSemaphoreWaitInfo> | undefined;
  readonly #progressRead = out64();

  /**
   * The queue's own timeline and the next value for a submission to signal, made at the first
   * need; null where timeline semaphores are off or it cannot be made (settling then drains).
   */
  #nextProgress(): { handle: bigint; value: bigint } | null {
    if (!this.device.timelineSemaphores || this.#progressUnmade) return null;
    if (!vk().vkGetSemaphoreCounterValue || !vk().vkWaitSemaphores) return null;
    if (this.#progress[0] === 0n) {
      using arena = new Arena();
      const info = encode(VkSemaphoreCreateInfo, {
        pNext: [link(VkSemaphoreTypeCreateInfo, { semaphoreType: 1, initialValue: 0n })],
      }, arena);
      if (vk().vkCreateSemaphore(this.device.handle, info.bytes, null, this.#progress) < 0) {
        this.#progress[0] = 0n;
        this.#progressUnmade = true;
        return null;
      }
    }
    return { handle: this.#progress[0], value: ++this.#progressValue };
  }

  /**
   * @ignore @internal Waits at most `timeoutMs` for the queue's own timeline to reach `value` (a
   * counter read when it already has); false on timeout, true when the device is lost.
   */
  awaitProgress(value: bigint, timeoutMs: number): boolean {
    if (this.#progressSeen >= value) return true;
    const d = this.device.handle, h = this.#progress[0];
    const seen = this.#progressRead;
    if (vk().vkGetSemaphoreCounterValue!(d, h, seen) < 0) return true;
    if (seen[0] < value) {
      this.#progressWait ??= new KeptStruct(VkSemaphoreWaitInfo, {
        flags: 0,
        pSemaphores: [h],
        pValues: [0n],
      });
      this.#progressWait.setU64Element("pValues", 0, value);
      const r = vk().vkWaitSemaphores!(d, this.#progressWait.bytes, timeoutNs(timeoutMs));
      if (r === 2) return false;
      if (r < 0) return true;
      seen[0] = value;
    }
    this.#progressSeen = seen[0];
    return true;
  }

  /**
   * Waits until everything submitted so far has finished, for at most `timeoutMs` (an empty
   * submission with a fence: a vkQueueWaitIdle with a timeout). Returns false on timeout, and
   * true when the device is lost (nothing more will run).
   */
  drain(timeoutMs: number): boolean {
    const d = this.device.handle;
    const through = this.#submitted;
    // One fence per queue, made at the first drain and reset after each (a fence create costs
    // as much as the rest of a drain on NVIDIA: 0.3 ms); destroyed with the device.
    const out = this.#drainFence;
    if (out[0] === 0n) {
      using arena = new Arena();
      if (vk().vkCreateFence(d, encode(VkFenceCreateInfo, {}, arena).bytes, null, out) < 0) {
        out[0] = 0n;
        vk().vkQueueWaitIdle(this.handle);
        return true;
      }
    }
    if (vk().vkQueueSubmit(this.handle, 0, null, out[0]) < 0) return true;
    const r = vk().vkWaitForFences(d, 1, out, 1, timeoutNs(timeoutMs));
    if (r === 2) {
      out[0] = 0n; // the fence stays pending: leave it, and make another next time
      return false;
    }
    vk().vkResetFences(d, 1, out);
    if (r === 0) this.finishedThrough(through);
    return true;
  }

  /** drain's fence (0 until the first drain), and its out-parameter. */
  readonly #drainFence = out64();

  /** @ignore @internal Destroys drain's fence and the queue's own timeline: the device is about to be destroyed. */
  releaseOwnObjects(): void {
    const f = this.#drainFence[0];
    this.#drainFence[0] = 0n;
    if (f !== 0n) vk().vkDestroyFence(this.device.handle, f, null);
    const s = this.#progress[0];
    this.#progress[0] = 0n;
    if (s !== 0n) vk().vkDestroySemaphore(this.device.handle, s, null);
  }

  /** Waits until the queue is idle: every submission so far has finished. */
  waitIdle(): void {
    this.device.assertAlive();
    const through = this.#submitted;
    check(vk().vkQueueWaitIdle(this.handle), "vkQueueWaitIdle", {
      device: this.device.physicalDevice.name,
      queue: this.index,
    });
    this.finishedThrough(through);
  }

  #mine(o: { device: Device; label: string; assertAlive(): void }): void {
    o.assertAlive();
    if (o.device !== this.device) {
      throw new ShareError(
        "WRONG_DEVICE",
        `${o.label} belongs to ${o.device.label}, not to ${this.device.label}: import it first`,
      );
    }
  }
}
