/**
 * Time in vkshare's waits: timeouts in ms turned into Vulkan's nanoseconds, and how long a
 * dispose waits for GPU work before it leaves an object undestroyed.
 *
 * @module
 */

/**
 * A timeout in ms as the nanoseconds Vulkan takes (Infinity: forever; 0: just poll).
 *
 * @example
 * ```ts
 * timeoutNs(1.5); // 1500000n
 * ```
 *
 * @category Synchronization
 */
export function timeoutNs(ms: number): bigint {
  checkTimeoutMs(ms);
  const max = 0xffff_ffff_ffff_ffffn;
  if (ms === Infinity) return max;
  const ns = BigInt(Math.round(ms * 1e6));
  return ns > max ? max : ns;
}

/** @ignore @internal RangeError unless `ms` is a timeout in ms: a number >= 0, or Infinity. */
export function checkTimeoutMs(ms: number): void {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`timeoutMs: expected a number >= 0 (or Infinity), got ${String(ms)}`);
  }
}

/**
 * @ignore @internal One turn of the event loop: what a wait in slices gives the rest of the
 * script between two slices. setImmediate costs 2-5 us a turn; setTimeout(0) costs 1-2 ms
 * (Bun) and 2 ms (Deno), which every wait for a socket's ack used to pay.
 */
export const eventLoopTurn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

/**
 * How long disposing an object waits for GPU work that uses it, in ms (Vulkan queues and CUDA
 * streams alike). Work that does not finish by then (it waits on a semaphore nothing will signal)
 * leaves the object undestroyed, with a warning, rather than crash the driver.
 *
 * @example
 * ```ts
 * console.log(`a dispose waits up to ${SETTLE_MS} ms for the GPU`);
 * ```
 *
 * @category Vulkan objects
 */
export const SETTLE_MS = 5_000;

/** Warns that `label` could not be destroyed because the GPU still uses it. */
export function warnLeak(label: string): void {
  console.warn(
    `vkshare: ${label} is still used by GPU work that did not finish within ${SETTLE_MS} ms (a wait that nothing signals?): it was left undestroyed`,
  );
}
