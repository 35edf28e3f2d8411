/**
 * The VkSubmitInfo of a queue submission (with its VkTimelineSemaphoreSubmitInfo when a timeline
 * semaphore takes part): encoded once and rewritten for a submission of at most
 * {@linkcode SUBMIT_KEPT} of each kind of thing, encoded afresh otherwise (and with the fast paths
 * off). Submissions are synchronous, so one kept pair serves every queue.
 *
 * @module
 */
import { type Arena, encode, fastPaths, KeptStruct, link } from "../ffi/layout.ts";
import { VkSubmitInfo, VkTimelineSemaphoreSubmitInfo } from "../ffi/vk_structs.ts";

/** @ignore @internal What one submission waits on, runs and signals, as C takes them. */
export interface SubmitParts {
  /** The VkSemaphores waited on, their stage masks and (timeline) values. */
  waits: readonly bigint[];
  stages: readonly number[];
  waitValues: readonly bigint[];
  /** The VkCommandBuffers' addresses. */
  commandBuffers: readonly bigint[];
  /** The VkSemaphores signaled and their (timeline) values. */
  signals: readonly bigint[];
  signalValues: readonly bigint[];
  /** Whether a timeline semaphore takes part (then the values are chained). */
  timeline: boolean;
}

/** @ignore @internal The most of each kind (waits, command buffers, signals) the kept structs hold. */
export const SUBMIT_KEPT = 4;

let kept:
  | {
    info: KeptStruct<typeof VkSubmitInfo>;
    values: KeptStruct<typeof VkTimelineSemaphoreSubmitInfo>;
  }
  | undefined;

/**
 * @ignore @internal The VkSubmitInfo of `p`: the kept one rewritten, or one encoded into `arena`
 * (pass its bytes before the arena is disposed, and before the next submission).
 */
export function submitInfo(p: SubmitParts, arena: Arena): Uint8Array {
  const most = Math.max(p.waits.length, p.commandBuffers.length, p.signals.length);
  if (fastPaths.enabled && most <= SUBMIT_KEPT) return rewritten(p);
  return encode(VkSubmitInfo, {
    pNext: p.timeline
      ? [
        link(VkTimelineSemaphoreSubmitInfo, {
          pWaitSemaphoreValues: p.waitValues,
          pSignalSemaphoreValues: p.signalValues,
        }),
      ]
      : [],
    pWaitSemaphores: p.waits,
    pWaitDstStageMask: p.stages,
    pCommandBuffers: p.commandBuffers,
    pSignalSemaphores: p.signals,
  }, arena).bytes;
}

/** The kept structs, rewritten with `p`. */
function rewritten(p: SubmitParts): Uint8Array {
  const zeros = () => new Array<bigint>(SUBMIT_KEPT).fill(0n);
  kept ??= {
    info: new KeptStruct(VkSubmitInfo, {
      pWaitSemaphores: zeros(),
      pWaitDstStageMask: new Array<number>(SUBMIT_KEPT).fill(0),
      pCommandBuffers: zeros(),
      pSignalSemaphores: zeros(),
    }),
    values: new KeptStruct(VkTimelineSemaphoreSubmitInfo, {
      pWaitSemaphoreValues: zeros(),
      pSignalSemaphoreValues: zeros(),
    }),
  };
  const { info, values } = kept;
  info.setU32("waitSemaphoreCount", p.waits.length);
  p.waits.forEach((h, i) => {
    info.setU64Element("pWaitSemaphores", i, h);
    info.setU32Element("pWaitDstStageMask", i, p.stages[i]);
  });
  info.setU32("commandBufferCount", p.commandBuffers.length);
  p.commandBuffers.forEach((h, i) => info.setU64Element("pCommandBuffers", i, h));
  info.setU32("signalSemaphoreCount", p.signals.length);
  p.signals.forEach((h, i) => info.setU64Element("pSignalSemaphores", i, h));
  info.setU64("pNext", p.timeline ? values.address : 0n);
  if (p.timeline) {
    values.setU32("waitSemaphoreValueCount", p.waits.length);
    p.waitValues.forEach((v, i) => values.setU64Element("pWaitSemaphoreValues", i, v));
    values.setU32("signalSemaphoreValueCount", p.signals.length);
    p.signalValues.forEach((v, i) => values.setU64Element("pSignalSemaphoreValues", i, v));
  }
  return info.bytes;
}
