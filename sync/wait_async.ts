/**
 * Awaitable waits: a wait on the GPU that lets the rest of the script run. It waits in slices of
 * at most {@linkcode ASYNC_SLICE_MS} (a synchronous wait in the driver, which returns as soon as
 * the wait is satisfied and sleeps otherwise), with a turn of the event loop between them. No
 * thread holds a handle across turns, so disposing the object during an awaited wait is safe: the
 * next slice rejects with its DisposedError.
 *
 * @module
 */
import { checkTimeoutMs, eventLoopTurn } from "../core/time.ts";
import type { WaitResult } from "./sync_fd.ts";

/**
 * The longest one slice of an awaited wait blocks the thread, in ms: timers, sockets and other
 * callbacks run between slices, so a 1 ms `setInterval` keeps to its schedule within about this.
 *
 * @example
 * ```ts
 * console.log(`an awaited wait gives the event loop a turn every ${ASYNC_SLICE_MS} ms`);
 * ```
 *
 * @category Synchronization
 */
export const ASYNC_SLICE_MS = 0.25;

/**
 * @ignore @internal Waits with `wait(ms)` (a synchronous wait of at most `ms`) until it says
 * "signaled" or `timeoutMs` passes: first without blocking, then in slices with a turn of the
 * event loop between them.
 */
export async function waitInSlices(
  wait: (ms: number) => WaitResult,
  timeoutMs: number,
): Promise<WaitResult> {
  checkTimeoutMs(timeoutMs);
  const end = performance.now() + timeoutMs;
  if (wait(0) === "signaled") return "signaled";
  while (performance.now() < end) {
    await eventLoopTurn();
    const left = Math.max(0, end - performance.now());
    if (wait(Math.min(ASYNC_SLICE_MS, left)) === "signaled") return "signaled";
  }
  return "timeout";
}
