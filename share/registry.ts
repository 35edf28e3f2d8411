/**
 * The one export registry: every export whose fd is still open in this process (memory,
 * semaphores, fences; Vulkan's and CUDA's), with its descriptor, so that an fd given to an import
 * is recognised as one of them (the same OwnedFd, its number, or a dup of it, by kcmp) and checked
 * against what was really exported. An entry leaves when its fd is closed, consumed or released.
 *
 * @module
 */
import type { ExportDescriptor } from "./descriptor.ts";
import type { OwnedFd } from "./fd.ts";
import { sameFile } from "./fd_kind.ts";

/**
 * @ignore @internal The exports of one kind whose fds are still open in this process, with their
 * descriptors: recognises an fd given to an import as one of them (the same OwnedFd, its number,
 * or a dup of it, by kcmp), so that an import can be checked against what was really exported.
 */
class ExportRegistry<D> {
  #open = new Map<OwnedFd, D>();

  /** Remembers `fd`'s descriptor while `fd` is open (it is dropped when the fd is not). */
  record(fd: OwnedFd, descriptor: D): void {
    this.#open.set(fd, descriptor);
    fd.whenDone(() => this.#open.delete(fd));
  }

  /** How many exports are remembered (all of them open). */
  get size(): number {
    return this.#open.size;
  }

  /** The descriptor of the export that `fd` is (or is a dup of), while that export is open. */
  originOf(fd: OwnedFd | number): D | undefined {
    // The export's own OwnedFd, then its number, then a dup of it (kcmp, one call per export).
    const own = typeof fd === "number" ? undefined : this.#open.get(fd);
    if (own !== undefined && fd instanceof Object && fd.state === "open") return own;
    const n = typeof fd === "number" ? fd : fd.state === "open" ? fd.fd : -1;
    if (n < 0) return undefined;
    for (const [o, d] of this.#open) if (o.state === "open" && o.number === n) return d;
    for (const [o, d] of this.#open) {
      if (o.state === "open" && sameFile(n, o.number) === true) return d;
    }
    return undefined;
  }
}

const exports = new ExportRegistry<ExportDescriptor>();

// The descriptors vkshare made for its exports: frozen, so that one given back to an import is
// known to be what vkshare wrote (it needs no shape check and no comparison with its export).
const made = new WeakSet<object>();

/**
 * Remembers export `fd` and its descriptor while `fd` is open here; the descriptor is frozen
 * (deeply) and known from then on as one vkshare made.
 */
export function recordExport(fd: OwnedFd, descriptor: ExportDescriptor): void {
  deepFreeze(descriptor);
  made.add(descriptor);
  exports.record(fd, descriptor);
}

/** Whether `d` is a descriptor vkshare made for one of its exports (frozen, so unchanged). */
export function madeHere(d: unknown): d is ExportDescriptor {
  return typeof d === "object" && d !== null && made.has(d);
}

// The JSON of descriptors vkshare made, kept: they are frozen, so it never changes.
const texts = new WeakMap<object, string>();

/**
 * @ignore @internal `JSON.stringify(d)`, kept for a descriptor vkshare made (an export's is the
 * same object for every export of one memory or semaphore, and sent with each).
 */
export function descriptorJson(d: unknown): string {
  // Anything else as JSON.stringify writes it in an array (no JSON, as undefined has: null).
  if (typeof d !== "object" || d === null || !made.has(d)) return JSON.stringify(d) ?? "null";
  let text = texts.get(d);
  if (text === undefined) texts.set(d, text = JSON.stringify(d));
  return text;
}

/** @ignore @internal `v`, frozen with everything in it (a descriptor, a capability answer). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The descriptor of the export that `fd` is (or is a dup of), while that export is open here. */
export function originOf(fd: OwnedFd | number): ExportDescriptor | undefined {
  return exports.originOf(fd);
}

/**
 * How many exports of this process are remembered (each one's fd is open).
 *
 * @example
 * ```ts
 * const before = openExportCount();
 * ```
 *
 * @category File descriptors
 */
export function openExportCount(): number {
  return exports.size;
}
