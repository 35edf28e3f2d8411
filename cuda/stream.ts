/**
 * `CudaStream`: waits and signals of imported semaphores, ordered with CUDA's legacy default
 * stream.
 *
 * @module
 */
import { ShareError } from "../core/errors.ts";
import { out64 } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import { SETTLE_MS } from "../core/time.ts";
import {
  CU_STREAM_DEFAULT,
  CUDA_ERROR_NOT_READY,
  CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS,
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS,
} from "../ffi/cuda.ts";
import { Arena, encodeArray } from "../ffi/layout.ts";
import type { CudaScope } from "./driver.ts";
import { CudaExternalSemaphore } from "./external_semaphore.ts";

/**
 * A semaphore operation: a binary semaphore, or a timeline semaphore and its value.
 *
 * @example
 * ```ts
 * const op: CudaSemaphoreOp = { semaphore: sem, value: 3n };
 * stream.signal(op);
 * ```
 *
 * @category CUDA
 */
export type CudaSemaphoreOp =
  | CudaExternalSemaphore
  | { semaphore: CudaExternalSemaphore; value?: number | bigint };

/**
 * What a {@linkcode CudaStream.synchronize} found: all work done, or the timeout.
 *
 * @example
 * ```ts
 * const r: CudaSyncResult = stream.synchronize(100);
 * ```
 *
 * @category CUDA
 */
export type CudaSyncResult = "done" | "timeout";

/**
 * A CUDA stream (CU_STREAM_DEFAULT), for semaphore waits and signals.
 *
 * @example
 * ```ts
 * using stream = cuda.createStream();
 * stream.wait({ semaphore: sem, value: 1 });
 * stream.signal({ semaphore: sem, value: 2 });
 * stream.synchronize(1_000); // "done" or "timeout"
 * ```
 *
 * @category CUDA
 */
export class CudaStream extends Resource {
  /** The context it belongs to. */
  readonly context: CudaScope;
  /** The `CUstream` handle. */
  readonly handle: bigint;

  /** @ignore @internal */
  constructor(context: CudaScope) {
    super();
    this.context = context;
    const s = out64();
    context.run((cu) =>
      context.check(cu.cuStreamCreate(s, CU_STREAM_DEFAULT), "cuStreamCreate", {})
    );
    this.handle = s[0];
    this.adopt(context);
  }

  /** `CUDA stream 0x...`. */
  get label(): string {
    return `CUDA stream 0x${this.handle.toString(16)}`;
  }

  #ops(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[], what: "wait" | "signal") {
    const list = (Array.isArray(ops) ? ops : [ops]) as CudaSemaphoreOp[];
    if (list.length === 0) throw new RangeError(`${what}: no semaphores`);
    return list.map((op, i) => {
      const s = op instanceof CudaExternalSemaphore ? op : op?.semaphore;
      if (!(s instanceof CudaExternalSemaphore)) {
        throw new TypeError(
          `${what}[${i}]: expected a CudaExternalSemaphore or { semaphore, value }`,
        );
      }
      s.assertAlive();
      if (s.context !== this.context) {
        throw new ShareError(
          "WRONG_DEVICE",
          `${what}[${i}]: ${s.label} belongs to ${s.context.label}, the stream to ${this.context.label}`,
        );
      }
      const value = op instanceof CudaExternalSemaphore ? undefined : op.value;
      if (s.type === "binary" && value !== undefined) {
        throw new ShareError(
          "NOT_TIMELINE",
          `${what}[${i}]: ${s.label} is binary: it takes no value (got ${value})`,
        );
      }
      if (s.type === "timeline") {
        const ok = (typeof value === "bigint" && value > 0n)
          || (typeof value === "number" && Number.isSafeInteger(value) && value > 0);
        if (!ok) {
          throw new ShareError(
            "TIMELINE_VALUE",
            `${what}[${i}]: ${s.label} needs a positive integer value, got ${String(value)}`,
            "a value > 0",
            value,
          );
        }
      }
      return { handle: s.handle, value: value === undefined ? 0n : BigInt(value) };
    });
  }

  /** Makes the stream's later work wait for the semaphores (`cuWaitExternalSemaphoresAsync`). */
  wait(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[]): void {
    this.#enqueue(ops, "wait");
  }

  /** Signals the semaphores after the stream's earlier work (`cuSignalExternalSemaphoresAsync`). */
  signal(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[]): void {
    this.#enqueue(ops, "signal");
  }

  #enqueue(ops: CudaSemaphoreOp | readonly CudaSemaphoreOp[], what: "wait" | "signal"): void {
    this.alive();
    const list = this.#ops(ops, what);
    const [def, call] = what === "wait"
      ? [CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS, "cuWaitExternalSemaphoresAsync" as const]
      : [CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS, "cuSignalExternalSemaphoresAsync" as const];
    this.context.run((cu) => {
      using arena = new Arena();
      const params = encodeArray(def, list.map((o) => ({ params: { fence: o.value } })), arena);
      this.context.check(
        cu[call](
          new BigUint64Array(list.map((o) => o.handle)),
          params.bytes.subarray(params.offset, params.offset + params.size),
          list.length,
          this.handle,
        ),
        call,
        { values: list.map((o) => o.value) },
      );
    });
  }

  /** Whether all the stream's work has finished (`cuStreamQuery`). */
  done(): boolean {
    this.alive();
    return this.#query();
  }

  #query(): boolean {
    const r = this.context.run((cu) => cu.cuStreamQuery(this.handle));
    if (r === CUDA_ERROR_NOT_READY) return false;
    this.context.check(r, "cuStreamQuery");
    return true;
  }

  /**
   * Waits until all the stream's work has finished, or `timeoutMs` (default 10 s) has passed:
   * `"done"` or `"timeout"` (a wait on a semaphore that nothing signals never finishes). Polls
   * `cuStreamQuery`, without sleeping for the first millisecond, then in steps of up to 1 ms.
   */
  synchronize(timeoutMs?: number): CudaSyncResult {
    timeoutMs ??= 10_000;
    this.alive();
    return this.#settle(timeoutMs);
  }

  #settle(timeoutMs: number): CudaSyncResult {
    const start = performance.now();
    let step = 0.02;
    for (;;) {
      if (this.#query()) return "done";
      const elapsed = performance.now() - start;
      if (elapsed >= timeoutMs) return "timeout";
      if (elapsed > 1) {
        Atomics.wait(sleeper, 0, 0, Math.min(step, timeoutMs - elapsed));
        step = Math.min(1, step * 2);
      }
    }
  }

  /** Waits up to 5 s for the stream's work (warning otherwise), then destroys it. */
  protected destroy(): void {
    if (this.#settle(SETTLE_MS) === "timeout") {
      console.warn(
        `vkshare: ${this.label} still had work after ${SETTLE_MS} ms (a wait that nothing signals?): it is destroyed, and CUDA frees it when the work completes`,
      );
    }
    this.context.run((cu) =>
      this.context.check(cu.cuStreamDestroy_v2(this.handle), "cuStreamDestroy")
    );
  }
}

// What synchronize() sleeps on between polls (Atomics.wait on a word nothing ever changes).
const sleeper = new Int32Array(new SharedArrayBuffer(4));
