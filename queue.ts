/**
 * `Queue`: submissions of command buffers that wait on and signal semaphores (binary, or
 * timeline with values) and signal a fence. Every rule vkshare can see is checked before
 * vkQueueSubmit: objects of this device, a wait on a binary semaphore that has a signal to wait
 * for, no second signal of a binary semaphore that is still signaled, timeline values that only
 * grow, a fence that is unsignaled and not in use, command buffers that are recorded.
 *
 * @module
 */
import { timeoutNs } from "./_sync.ts";
import { out64 } from "./_vk.ts";
import type { CommandBuffer } from "./commands.ts";
import type { Device } from "./device.ts";
import { flagMask, PipelineStage, type PipelineStageName } from "./enums.ts";
import { check, ShareError } from "./errors.ts";
import type { Fence } from "./fence.ts";
import { Arena, encode, link } from "./ffi/layout.ts";
import type { Pointer } from "./ffi/types.ts";
import {
  VkFenceCreateInfo,
  VkSubmitInfo,
  VkTimelineSemaphoreSubmitInfo,
} from "./ffi/vk_structs.ts";
import { vk } from "./ffi/vulkan.ts";
import type { Semaphore } from "./semaphore.ts";

/**
 * A semaphore to wait on: binary, or timeline with the value to wait for.
 *
 * @category Vulkan objects
 */
export interface SemaphoreWait {
  /** The semaphore (of the queue's device). */
  semaphore: Semaphore;
  /** For a timeline semaphore: the value to wait for (required); binary: none. */
  value?: number | bigint;
  /** The stages that wait (default ALL_COMMANDS). */
  stage?: PipelineStageName | readonly PipelineStageName[];
}

/**
 * A semaphore to signal: binary, or timeline with the value to set.
 *
 * @category Vulkan objects
 */
export interface SemaphoreSignal {
  /** The semaphore (of the queue's device). */
  semaphore: Semaphore;
  /** For a timeline semaphore: the value to signal (required, greater than the current). */
  value?: number | bigint;
}

/**
 * What {@linkcode Queue.submit} takes. A bare Semaphore stands for a binary one, no value.
 *
 * @category Vulkan objects
 */
export interface SubmitOptions {
  /** Semaphores to wait on before the command buffers run. */
  wait?: readonly (SemaphoreWait | Semaphore)[];
  /** Command buffers to run, in order (none: the submission only waits and signals). */
  commandBuffers?: readonly CommandBuffer[];
  /** Semaphores to signal when they are done. */
  signal?: readonly (SemaphoreSignal | Semaphore)[];
  /** A fence to signal when they are done (unsignaled, and not in use). */
  fence?: Fence;
}

/**
 * How long disposing an object waits for GPU work that uses it, in ms. Work that does not finish
 * by then (it waits on a semaphore nothing will signal) leaves the object undestroyed, with a
 * warning, rather than crash the driver.
 *
 * @category Vulkan objects
 */
export const SETTLE_MS = 5_000;

/**
 * @internal Warns that `label` could not be destroyed because the GPU still uses it.
 *
 * @category Vulkan objects
 */
export function warnLeak(label: string): void {
  console.warn(
    `vkshare: ${label} is still used by GPU work that did not finish within ${SETTLE_MS} ms (a wait that nothing signals?): it was left undestroyed`,
  );
}

/**
 * @internal One vkQueueSubmit, as the objects it used remember it: whether it has finished is
 * known through its fence or a timeline value it signals, and unknown without either.
 */
export class Submission {
  /** The queue it went to. */
  readonly queue: Queue;
  /** Its place in the queue's submission order (1, 2, ...). */
  readonly seq: number;
  readonly #fence: Fence | null;
  readonly #timeline: { semaphore: Semaphore; value: bigint } | null;
  #done = false;

  constructor(
    queue: Queue,
    fence: Fence | null,
    timeline: { semaphore: Semaphore; value: bigint } | null,
  ) {
    this.queue = queue;
    this.seq = queue.nextSeq();
    this.#fence = fence;
    this.#timeline = timeline;
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
      if (this.#fence.disposed || this.#fence.finished(this)) return this.#finished();
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
    if (this.#fence && (this.#fence.disposed || this.#fence.finished(this))) return true;
    if (!this.queue.drain(SETTLE_MS)) return false;
    this.#done = true;
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

  /** @internal Made by {@linkcode Device.queue}. */
  constructor(device: Device, handle: Pointer, family: number, index: number) {
    this.device = device;
    this.handle = handle;
    this.family = family;
    this.index = index;
    this.label = `Queue ${index} of ${device.label}`;
  }

  /** @internal How many submissions this queue has had. */
  get submitted(): number {
    return this.#submitted;
  }

  /** @internal The number of the next submission, in submission order. */
  nextSeq(): number {
    return ++this.#submitted;
  }

  /** @internal Whether submission `seq` is known to have finished. */
  hasFinished(seq: number): boolean {
    return seq <= this.#finishedThrough;
  }

  /**
   * @internal Submission `seq` has finished, and with it every earlier one (a fence or semaphore
   * signal operation covers all work earlier in submission order).
   */
  finishedThrough(seq: number): void {
    if (seq > this.#finishedThrough) this.#finishedThrough = seq;
  }

  /**
   * Submits command buffers (or none) that wait on `wait`, then signal `signal` and `fence`.
   * Throws a ShareError, before anything reaches the driver, when a rule is broken.
   */
  submit(options: SubmitOptions = {}): void {
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

    const waitValues = waits.map((w) => w.semaphore.checkWait(w.value));
    const seen = new Set<Semaphore>();
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
      return s.semaphore.checkSignal(s.value, waited);
    });
    for (const c of cmds) c.checkSubmit();
    fence?.checkSubmit();

    using arena = new Arena();
    const timeline = [...waits, ...signals].some((x) => x.semaphore.type === "timeline");
    const info = encode(VkSubmitInfo, {
      pNext: timeline
        ? [
          link(VkTimelineSemaphoreSubmitInfo, {
            pWaitSemaphoreValues: waitValues,
            pSignalSemaphoreValues: signalValues,
          }),
        ]
        : [],
      pWaitSemaphores: waits.map((w) => w.semaphore.handle),
      pWaitDstStageMask: waits.map((w) =>
        flagMask(
          PipelineStage,
          w.stage === undefined
            ? ["ALL_COMMANDS"]
            : typeof w.stage === "string"
            ? [w.stage]
            : w.stage,
          "stage",
        )
      ),
      pCommandBuffers: cmds.map((c) => c.handle),
      pSignalSemaphores: signals.map((s) => s.semaphore.handle),
    }, arena);
    check(vk().vkQueueSubmit(this.handle, 1, info.bytes, fence?.handle ?? 0n), "vkQueueSubmit", {
      device: this.device.physicalDevice.name,
      queue: this.index,
      waits: waits.length,
      commandBuffers: cmds.length,
      signals: signals.length,
      fence: fence !== null,
    });

    const lastTimeline = signals.findLast((s) => s.semaphore.type === "timeline");
    const sub = new Submission(
      this,
      fence,
      lastTimeline
        ? { semaphore: lastTimeline.semaphore, value: signalValues[signals.indexOf(lastTimeline)] }
        : null,
    );
    waits.forEach((w) => w.semaphore.waited(sub));
    signals.forEach((s, i) => s.semaphore.signaled(sub, signalValues[i]));
    for (const c of cmds) c.submitted(sub);
    fence?.submitted(sub);
  }

  /**
   * Waits until everything submitted so far has finished, for at most `timeoutMs` (an empty
   * submission with a fence: a vkQueueWaitIdle with a timeout). Returns false on timeout, and
   * true when the device is lost (nothing more will run).
   */
  drain(timeoutMs: number): boolean {
    const d = this.device.handle;
    const through = this.#submitted;
    using arena = new Arena();
    const out = out64();
    if (vk().vkCreateFence(d, encode(VkFenceCreateInfo, {}, arena).bytes, null, out) < 0) {
      vk().vkQueueWaitIdle(this.handle);
      return true;
    }
    const fence = out[0];
    if (vk().vkQueueSubmit(this.handle, 0, null, fence) < 0) {
      vk().vkDestroyFence(d, fence, null);
      return true;
    }
    const r = vk().vkWaitForFences(d, 1, out, 1, timeoutNs(timeoutMs));
    if (r === 2) return false; // the fence stays pending: leave it
    vk().vkDestroyFence(d, fence, null);
    if (r === 0) this.finishedThrough(through);
    return true;
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
