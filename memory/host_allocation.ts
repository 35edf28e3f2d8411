/**
 * `HostAllocation`: page-aligned host memory (an anonymous mmap, or a shared memfd mapping that
 * another process can map too) for VK_EXT_external_memory_host and for host memory shared between
 * processes. It stays mapped while any Vulkan memory imported from it lives, even after it is
 * disposed.
 *
 * @module
 */
import { ErrnoError } from "../core/errors.ts";
import { positiveSize } from "../core/out_params.ts";
import { errno, libc, MAP_PRIVATE_ANONYMOUS, MFD_CLOEXEC, PROT_READ_WRITE } from "../ffi/libc.ts";
import { detachView } from "../ffi/native_view.ts";
import { rt } from "../ffi/runtime.ts";
import type { Pointer } from "../ffi/types.ts";
import { cString } from "../ffi/vulkan.ts";
import { OwnedFd } from "../share/fd.ts";

const PAGE = 4096n;
const MAP_SHARED = 0x01;
const MAP_FIXED = 0x10;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/**
 * Page-aligned host memory that JavaScript reads and writes as {@linkcode HostAllocation.bytes}.
 *
 * @example
 * ```ts
 * using host = HostAllocation.create(65536);
 * host.bytes.fill(7);
 * ```
 *
 * @category Memory
 */
export class HostAllocation implements Disposable {
  /** The address of the first byte (page-aligned). */
  readonly address: bigint;
  /** Its size in bytes (a multiple of `alignment`). */
  readonly size: number;
  /** `Host allocation 0x... (65536 bytes)`, for messages. */
  readonly label: string;
  #pointer: Pointer;
  #buffer: ArrayBuffer;
  #bytes: Uint8Array;
  #users = new Set<object>();
  #disposed = false;
  #unmapped = false;
  // Whether the script transferred the bytes' ArrayBuffer away (it may still read the range).
  #transferred = false;

  /**
   * The memfd behind a {@linkcode HostAllocation.createShared} mapping (send it to the process
   * that maps it too; closed on dispose), or null for an anonymous one.
   */
  readonly fd: OwnedFd | null;

  /** @ignore Made by the class's own static methods. */
  private constructor(pointer: Pointer, size: bigint, fd: OwnedFd | null = null) {
    this.fd = fd;
    this.#pointer = pointer;
    this.address = rt.address(pointer);
    this.size = Number(size);
    this.#buffer = rt.view(pointer, Number(size));
    this.#bytes = new Uint8Array(this.#buffer);
    this.label = `Host allocation 0x${this.address.toString(16)} (${size} bytes)`;
  }

  /**
   * Maps `size` bytes, rounded up to a multiple of `alignment` (default 4096, the page size;
   * pass the device's `minImportedHostPointerAlignment`).
   */
  static create(size: number | bigint, alignment?: number | bigint): HostAllocation {
    alignment ??= PAGE;
    const bytes = positiveSize(size, "size");
    const a = BigInt(alignment);
    if (a <= 0n || (a & (a - 1n)) !== 0n) {
      throw new RangeError(`alignment: expected a power of two, got ${a}`);
    }
    const step = a > PAGE ? a : PAGE;
    const n = (bytes + step - 1n) / step * step;
    // mmap returns page-aligned addresses; a larger alignment is reached by over-mapping.
    const p = libc().mmap(null, n, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0n);
    if (p === null || rt.address(p) === MAP_FAILED) {
      throw new ErrnoError("mmap", errno(), `${n} bytes`);
    }
    if (rt.address(p) % a !== 0n) {
      libc().munmap(p, n);
      throw new RangeError(`alignment: ${a} is larger than mmap's page alignment`);
    }
    return new HostAllocation(p, n);
  }

  /**
   * `size` bytes (rounded up to the page size) of a new memfd (`memfd_create`, close-on-exec),
   * mapped MAP_SHARED: host memory another process maps too once it has
   * {@linkcode HostAllocation.fd} (send it over a share socket; Python: `mmap.mmap(fd, size)`).
   * What either process writes, the other reads; the memory lives until every mapping and fd of
   * it is gone.
   *
   * @example
   * ```ts
   * using shared = HostAllocation.createShared(1 << 20, "frames");
   * await socket.send({ type: "frames", size: shared.size }, [shared.fd!]);
   * shared.bytes[0] = 1; // the other process sees it
   * ```
   */
  static createShared(size: number | bigint, name?: string): HostAllocation {
    name ??= "vkshare-host";
    const bytes = positiveSize(size, "size");
    const n = (bytes + PAGE - 1n) / PAGE * PAGE;
    const c = libc();
    if (!c.memfd_create) {
      throw new Error("createShared: this libc has no memfd_create (glibc 2.27)");
    }
    const raw = c.memfd_create(cString(name), MFD_CLOEXEC);
    if (raw < 0) throw new ErrnoError("memfd_create", errno(), name);
    const fd = OwnedFd.adopt(raw, `memfd "${name}" (${n} bytes)`);
    try {
      if (c.ftruncate(fd.fd, n) < 0) throw new ErrnoError("ftruncate", errno(), `${n} bytes`);
      const p = c.mmap(null, n, PROT_READ_WRITE, MAP_SHARED, fd.fd, 0n);
      if (p === null || rt.address(p) === MAP_FAILED) {
        throw new ErrnoError("mmap", errno(), `${n} bytes of ${fd.label}`);
      }
      return new HostAllocation(p, n, fd);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** The bytes; detached (length 0) after dispose. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Whether it was disposed. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** @ignore @internal The pointer, for an import. Throws after dispose. */
  get pointer(): Pointer {
    if (this.#disposed) throw new Error(`${this.label} was used after dispose`);
    return this.#pointer;
  }

  /** @ignore @internal Keeps the mapping alive for `user` (imported memory) until released. */
  retain(user: object): void {
    this.#users.add(user);
  }

  /** @ignore @internal Releases a user; unmaps once disposed and unused. */
  release(user: object): void {
    this.#users.delete(user);
    this.#maybeUnmap();
  }

  #maybeUnmap(): void {
    if (!this.#disposed || this.#users.size > 0 || this.#unmapped) return;
    this.#unmapped = true;
    if (!this.#transferred) {
      libc().munmap(this.#pointer, this.size);
      return;
    }
    // An ArrayBuffer the script transferred the bytes to may still read the range: new zero
    // pages take the mapping's place (its memory, and a memfd's, are let go), and the range
    // stays mapped so that no later mapping lands under that ArrayBuffer.
    libc().mmap(
      this.#pointer,
      BigInt(this.size),
      PROT_READ_WRITE,
      MAP_PRIVATE_ANONYMOUS | MAP_FIXED,
      -1,
      0n,
    );
  }

  /**
   * Detaches {@linkcode HostAllocation.bytes}; unmaps now, or when the last import is freed. If
   * the script transferred the bytes' ArrayBuffer (`transfer()`, `postMessage`), which vkshare
   * cannot detach, zero pages replace the memory instead, and that ArrayBuffer reads zeros.
   */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#transferred = !detachView(this.#buffer); // detached: JS can no longer read the mapping
    this.#bytes = new Uint8Array(0);
    this.fd?.close();
    this.#maybeUnmap();
  }
}
