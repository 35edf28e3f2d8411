/**
 * The one export registry: every export whose fd is still open in this process (memory,
 * semaphores, fences; Vulkan's and CUDA's), with its descriptor, so that an fd given to an import
 * is recognised as one of them (the same OwnedFd, its number, or a dup of it, by kcmp) and checked
 * against what was really exported. An entry leaves when its fd is closed, consumed or released.
 *
 * @module
 */
import type { ExportDescriptor } from "./descriptor.ts";
import { type OwnedFd, sameFile } from "./fd.ts";

/**
 * @internal The exports of one kind whose fds are still open in this process, with their
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
    for (const [o, d] of this.#open) {
      if (o.state !== "open") {
        this.#open.delete(o);
        continue;
      }
      if (fd === o) return d;
      const n = typeof fd === "number" ? fd : fd.state === "open" ? fd.fd : -1;
      if (n >= 0 && (n === o.number || sameFile(n, o.number) === true)) return d;
    }
    return undefined;
  }
}

const exports = new ExportRegistry<ExportDescriptor>();

/** Remembers export `fd` and its descriptor while `fd` is open here. */
export function recordExport(fd: OwnedFd, descriptor: ExportDescriptor): void {
  exports.record(fd, descriptor);
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
