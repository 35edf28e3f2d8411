/**
 * Ranges inside shared memory: an offer may name the bytes it is about (a buffer suballocated in
 * a larger export, the way allocators share one block), and the importer binds a buffer there.
 * The rules, without a driver: a range lies inside its memory (RANGE_OUT_OF_BOUNDS), and starts
 * where the importer's buffer can be bound (RANGE_MISALIGNED).
 *
 * @module
 */
import { ShareError, show } from "../core/errors.ts";

/**
 * Bytes `offset` to `offset + size` of a memory.
 *
 * @example
 * ```ts
 * const range: MemoryRange = { offset: 1 << 20, size: 1 << 20 }; // the second MiB
 * ```
 *
 * @category Processes
 */
export interface MemoryRange {
  /** The first byte, from the start of the memory. */
  offset: number;
  /** How many bytes (at least 1). */
  size: number;
}

const isCount = (v: unknown, least: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= least;

/**
 * `range` as a {@linkcode MemoryRange} inside `memorySize` bytes (`what` names the memory in the
 * message): ShareError RANGE_OUT_OF_BOUNDS for anything else (not an object of two integers, an
 * empty range, or one that ends past the memory).
 *
 * @example
 * ```ts
 * checkRange({ offset: 4096, size: 4096 }, 65536, "the frames"); // { offset: 4096, size: 4096 }
 * ```
 *
 * @category Processes
 */
export function checkRange(range: unknown, memorySize: number, what: string): MemoryRange {
  const r = range as Partial<MemoryRange> | null;
  if (typeof r !== "object" || r === null || !isCount(r.offset, 0) || !isCount(r.size, 1)) {
    throw new ShareError(
      "RANGE_OUT_OF_BOUNDS",
      `a range of ${what} is { offset, size }: integers, offset ≥ 0 and size ≥ 1; got ${
        show(range)
      }`,
      "{ offset, size }",
      range,
    );
  }
  if (r.offset + r.size > memorySize) {
    throw new ShareError(
      "RANGE_OUT_OF_BOUNDS",
      `the range ${r.offset} + ${r.size} ends at byte ${
        r.offset + r.size
      }, past the end of ${what} (${memorySize} bytes)`,
      memorySize,
      r.offset + r.size,
    );
  }
  return { offset: r.offset, size: r.size };
}

/**
 * ShareError RANGE_MISALIGNED unless `range.offset` is a multiple of `alignment` (the
 * alignment a buffer bound there needs: its memory requirements').
 *
 * @example
 * ```ts
 * checkRangeAlignment({ offset: 256, size: 64 }, 256, "a buffer"); // fine
 * ```
 *
 * @category Processes
 */
export function checkRangeAlignment(range: MemoryRange, alignment: number, what: string): void {
  if (range.offset % alignment !== 0) {
    throw new ShareError(
      "RANGE_MISALIGNED",
      `${what} needs an offset aligned to ${alignment} bytes; the range starts at ${range.offset} (${
        range.offset % alignment
      } past a multiple): suballocate at multiples of ${alignment}`,
      alignment,
      range.offset,
    );
  }
}
