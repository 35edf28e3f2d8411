/**
 * Plain allocations (no `for` target) planned before, by device and by the values of their
 * options: the accepted plan and the encoded VkMemoryAllocateInfo. Such a plan judged only the
 * device's memory types and its capability answers, neither of which can change, so a script
 * that allocates the same memory again neither plans nor encodes (3-4 µs a call measured on
 * lavapipe, Deno and Bun alike). The options are read again on every call, as planning reads
 * them: a bad name is refused with the same error. Off with the fast paths.
 *
 * @module
 */
import { flagMask, handleTypeMask, MemoryProperty } from "../core/enums.ts";
import { Arena, fastPaths } from "../ffi/layout.ts";
import type { AllocatePlan } from "../share/allocate_plan.ts";
import type { Device } from "../vulkan/device.ts";
import type { AllocateOptions } from "./device_memory.ts";

/** @ignore @internal An accepted plain allocation: what allocate needs to make it again. */
export interface KnownAllocation {
  /** The accepted plan. */
  plan: AllocatePlan;
  /** The KHR handle types it is exportable as. */
  exportMask: number;
  /** Its VkMemoryAllocateInfo, chain included. */
  info: Uint8Array;
}

type Entry = KnownAllocation & { arena: Arena };
// A device's: by the options' size, then the rest of their values (optionsKey); and how many.
type Kept = { bySize: Map<number | bigint, Map<number, Entry>>; count: number };

const known = new WeakMap<Device, Kept>();
/** The most plain allocations kept per device; past it the device's are forgotten. */
export const KNOWN_ALLOCATIONS_MAX = 256;

/** @ignore @internal What planning an allocation gives: its plan, handle types, info encoder. */
export interface PlannedAllocation {
  /** The accepted plan. */
  plan: AllocatePlan;
  /** The KHR handle types it is exportable as. */
  exportMask: number;
  /** Encodes its VkMemoryAllocateInfo, chain included, into `arena`. */
  encode: (arena: Arena) => Uint8Array;
}

/**
 * The options' values other than the size as one number, or undefined where they are not kept:
 * a target, the NV handle types, a memory type index or `dedicated` of the wrong kind. Reads
 * the handle types and properties as planning does (their errors first, in its order).
 */
function optionsKey(options: AllocateOptions): number | undefined {
  if (options.for !== undefined || options.exportAsNV !== undefined) return undefined;
  const { memoryTypeIndex: i, dedicated: d } = options;
  if (i !== undefined && !(Number.isInteger(i) && i >= 0 && i < 32)) return undefined;
  if (d !== undefined && typeof d !== "boolean") return undefined;
  const e = handleTypeMask(options.exportAs, "exportAs");
  const p = options.properties === undefined
    ? 0x400
    : flagMask(MemoryProperty, options.properties, "properties");
  if (e >= 2 ** 24 || p > 0x400) return undefined;
  // 24 bits of handle types, 11 of properties, 6 of the index, 2 of dedicated: exact in a double.
  const rest = (i === undefined ? 0 : i + 1) + 64 * (d === undefined ? 0 : d ? 1 : 2);
  return e + 2 ** 24 * (p + 2 ** 11 * rest);
}

/**
 * @ignore @internal The plain allocation accepted before on `device` with options of the same
 * values, or undefined. Throws what planning would for a disposed device or a bad handle type or
 * property name.
 */
export function knownAllocation(
  device: Device,
  options: AllocateOptions,
): KnownAllocation | undefined {
  if (!fastPaths.enabled || typeof options !== "object" || options === null) return undefined;
  const kept = known.get(device);
  if (!kept) return undefined;
  device.assertAlive();
  const key = optionsKey(options);
  return key === undefined ? undefined : kept.bySize.get(options.size!)?.get(key);
}

/**
 * @ignore @internal The plain allocation of these options' values on `device`: the one kept, or
 * planned now by `plan` (which throws what the options break) and kept, its info encoded into
 * memory kept with it. Undefined where none is kept (fast paths off, a target, NV handle types,
 * a size of the wrong kind): the caller plans and encodes into its own arena.
 */
export function keptAllocation(
  device: Device,
  options: AllocateOptions,
  plan: (device: Device, options: AllocateOptions) => PlannedAllocation,
): KnownAllocation | undefined {
  if (!fastPaths.enabled || typeof options !== "object" || options === null) return undefined;
  device.assertAlive();
  const key = optionsKey(options);
  const size = options.size;
  if (key === undefined || (typeof size !== "number" && typeof size !== "bigint")) return undefined;
  let kept = known.get(device);
  const hit = kept?.bySize.get(size)?.get(key);
  if (hit) return hit;
  // Planning refuses a dedicated allocation without a target: the plan is a plain one.
  const p = plan(device, options);
  if (!kept || kept.count >= KNOWN_ALLOCATIONS_MAX) {
    known.set(device, kept = { bySize: new Map(), count: 0 });
  }
  let byKey = kept.bySize.get(size);
  if (!byKey) kept.bySize.set(size, byKey = new Map());
  const arena = new Arena();
  const entry: Entry = { plan: p.plan, exportMask: p.exportMask, info: p.encode(arena), arena };
  byKey.set(key, entry);
  kept.count++;
  return entry;
}
