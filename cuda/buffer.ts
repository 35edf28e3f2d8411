/**
 * `CudaBuffer`: a range of CUDA device memory with synchronous copy helpers.
 *
 * @module
 */
import { Resource } from "../core/resource.ts";
import type { CudaScope } from "./driver.ts";

/**
 * A range of CUDA device memory (`CUdeviceptr`), with synchronous copy helpers. They run on
 * CUDA's legacy default stream, so they are ordered after the work of a {@linkcode CudaStream}
 * (which waits for them in turn); `read` returns once the data is on the host.
 *
 * @example
 * ```ts
 * using buf = imported.mapBuffer(); // a CudaBuffer over the whole import
 * buf.fill32(0x01020304);
 * buf.read(0, 4);
 * ```
 *
 * @category CUDA
 */
export class CudaBuffer extends Resource {
  /** The context it lives in. */
  readonly context: CudaScope;
  /** The device address. */
  readonly pointer: bigint;
  /** Its size in bytes. */
  readonly size: number;
  readonly #owned: boolean;

  /** @ignore @internal */
  constructor(
    parent: Resource,
    context: CudaScope,
    pointer: bigint,
    size: number,
    owned: boolean,
  ) {
    super();
    this.context = context;
    this.pointer = pointer;
    this.size = size;
    this.#owned = owned;
    this.adopt(parent);
  }

  /** `CUDA buffer 0x7f... (1048576 bytes)`. */
  get label(): string {
    return `CUDA buffer 0x${this.pointer.toString(16)} (${this.size} bytes)`;
  }

  #range(offset: number, length: number, what: string): void {
    if (
      !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0
      || offset + length > this.size
    ) {
      throw new RangeError(
        `${what}: offset ${offset} + ${length} bytes is outside ${this.label}`,
      );
    }
  }

  /** Copies `data` to `offset` (`cuMemcpyHtoD`). */
  write(data: ArrayBufferView, offset?: number): void {
    offset ??= 0;
    this.alive();
    this.#range(offset, data.byteLength, "write");
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemcpyHtoD_v2(this.pointer + BigInt(offset), bytes, BigInt(bytes.byteLength)),
        "cuMemcpyHtoD",
        { offset, size: bytes.byteLength },
      )
    );
  }

  /** Copies `length` bytes at `offset` (default: to the end) to the host (`cuMemcpyDtoH`). */
  read(offset?: number, length?: number): Uint8Array {
    offset ??= 0;
    length ??= this.size - offset;
    this.alive();
    this.#range(offset, length, "read");
    const out = new Uint8Array(length);
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemcpyDtoH_v2(out, this.pointer + BigInt(offset), BigInt(length)),
        "cuMemcpyDtoH",
        { offset, size: length },
      )
    );
    return out;
  }

  /**
   * Sets `count` 32-bit words at `offset` (default: the whole buffer) to `value`
   * (`cuMemsetD32`); `offset` must be a multiple of 4.
   */
  fill32(value: number, options?: { offset?: number; count?: number }): void {
    options ??= {};
    this.alive();
    const offset = options.offset ?? 0;
    const count = options.count ?? Math.floor((this.size - offset) / 4);
    if (offset % 4) throw new RangeError(`fill32: offset ${offset} is not a multiple of 4`);
    this.#range(offset, count * 4, "fill32");
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`fill32: value ${value} is not a 32-bit unsigned integer`);
    }
    this.context.run((cu) =>
      this.context.check(
        cu.cuMemsetD32_v2(this.pointer + BigInt(offset), value, BigInt(count)),
        "cuMemsetD32",
        { offset, count, value },
      )
    );
  }

  /** Frees a mapping of an import (`cuMemFree`); a CudaMemory's own mapping goes with it. */
  protected destroy(): void {
    if (!this.#owned) return;
    this.context.run((cu) => this.context.check(cu.cuMemFree_v2(this.pointer), "cuMemFree"));
  }
}
