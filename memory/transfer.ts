/**
 * `Transfer`: copies on a device's queue with a one-time-submit command buffer and a fence, so
 * that the contents of any memory (device-local included) can be written and read from a
 * script: `write` and `read` go through a host-visible staging buffer, and so do `writeImage` and
 * `readImage` for images (any tiling), with the layout transitions around the copy.
 *
 * @module
 */
import type { ImageLayoutName } from "../core/enums.ts";
import { ShareError, VkError } from "../core/errors.ts";
import { Resource } from "../core/resource.ts";
import { Fence } from "../sync/fence.ts";
import type { Device } from "../vulkan/device.ts";
import type { Queue } from "../vulkan/device.ts";
import {
  checkRange,
  CommandBuffer,
  type CopyRegion,
  imageBytes,
  type Range,
  type Recorder,
} from "./command_buffer.ts";
import { boundBuffer } from "./gpu_buffer.ts";
import type { GpuBuffer } from "./gpu_buffer.ts";
import type { GpuImage } from "./gpu_image.ts";

/**
 * Options of {@linkcode Transfer.create}.
 *
 * @example
 * ```ts
 * using transfer = Transfer.create(device, { queueIndex: 0, timeoutMs: 5_000 });
 * ```
 *
 * @category Memory
 */
export interface TransferOptions {
  /** The queue of the device's family to submit to (default 0). */
  queueIndex?: number;
  /** How long a submission may take before it is an error, in ms (default 10,000). */
  timeoutMs?: number;
}

/**
 * One-time submissions on a device's queue, waited for with a fence.
 *
 * @example
 * ```ts
 * using transfer = Transfer.create(device);
 * transfer.write(buffer, new Uint8Array([1, 2, 3, 4]));
 * transfer.read(buffer, { size: 4 }); // Uint8Array [1, 2, 3, 4]
 * ```
 *
 * @category Memory
 */
export class Transfer extends Resource {
  /** The device. */
  readonly device: Device;
  /** `Transfer on Device "..."`, for messages. */
  readonly label: string;
  readonly #queue: Queue;
  readonly #cmd: CommandBuffer;
  readonly #fence: Fence;
  readonly #timeoutMs: number;

  /** @ignore Made by the class's own static methods. */
  private constructor(
    device: Device,
    queue: Queue,
    cmd: CommandBuffer,
    fence: Fence,
    timeoutMs: number,
  ) {
    super();
    this.device = device;
    this.label = `Transfer on ${device.label}`;
    this.#queue = queue;
    this.#cmd = cmd;
    this.#fence = fence;
    this.#timeoutMs = timeoutMs;
    this.adopt(device);
  }

  /** Creates the command buffer (and its pool) and the fence. */
  static create(device: Device, options?: TransferOptions): Transfer {
    options ??= {};
    device.assertAlive();
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs: expected > 0, got ${timeoutMs}`);
    const queue = device.queue(options.queueIndex ?? 0);
    const cmd = CommandBuffer.create(device);
    try {
      return new Transfer(device, queue, cmd, Fence.create(device), timeoutMs);
    } catch (e) {
      cmd[Symbol.dispose]();
      throw e;
    }
  }

  /**
   * Records commands with `record`, submits them once, and waits for the fence. Throws a
   * VkError (VK_TIMEOUT) when the work does not finish in time.
   */
  submit(record: (r: Recorder) => void): void {
    this.alive();
    this.#cmd.record(record, { oneTime: true });
    this.#queue.submit({ commandBuffers: [this.#cmd], fence: this.#fence });
    if (this.#fence.wait(this.#timeoutMs) === "timeout") {
      throw new VkError(
        "vkWaitForFences",
        2,
        { device: this.device.physicalDevice.name, timeoutMs: this.#timeoutMs },
        "the transfer did not finish in time",
      );
    }
    this.#fence.reset();
  }

  /** Copies bytes from `src` to `dst` (the buffers may be on memory of any type). */
  copy(src: GpuBuffer, dst: GpuBuffer, region?: CopyRegion): void {
    region ??= {};
    this.submit((r) => r.copy(src, dst, region));
  }

  /** Fills a range of `dst` (offset and size multiples of 4) with the 32-bit `value`. */
  fill(dst: GpuBuffer, value: number, range?: Range): void {
    range ??= {};
    this.submit((r) => r.fill(dst, value, range));
  }

  /** Writes `data` into `dst` at `offset`, through a host-visible staging buffer. */
  write(dst: GpuBuffer, data: Uint8Array, offset?: number | bigint): void {
    offset ??= 0;
    checkRange(dst, { offset, size: data.byteLength });
    using staging = this.#staging(data.byteLength);
    staging.memory!.map().set(data);
    this.copy(staging, dst, { dstOffset: offset, size: data.byteLength });
  }

  /** Reads a range of `src` into a new Uint8Array, through a host-visible staging buffer. */
  read(src: GpuBuffer, range?: Range): Uint8Array {
    range ??= {};
    const { offset, size } = checkRange(src, range);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("read: size too large");
    using staging = this.#staging(Number(size));
    this.submit((r) => {
      r.copy(src, staging, { srcOffset: offset, size });
      r.hostRead(staging);
    });
    return staging.memory!.map().slice(0, Number(size)); // the memory may be larger than asked
  }

  /**
   * Writes `data` (mip level 0, every layer, tightly packed: {@linkcode imageBytes} bytes) into
   * `image`, through a staging buffer. The image's contents before are discarded; it is left in
   * `layout` (default `GENERAL`, what other devices and APIs expect of a shared image) and, with
   * `release`, released to another device or API (`VK_QUEUE_FAMILY_EXTERNAL`).
   */
  writeImage(
    image: GpuImage,
    data: ArrayBufferView,
    options?: { layout?: ImageLayoutName; release?: boolean },
  ): void {
    options ??= {};
    const bytes = boundedImageBytes(image, "writeImage");
    if (data.byteLength !== bytes) {
      throw new RangeError(
        `writeImage: ${image.label} holds ${bytes} bytes, data has ${data.byteLength}`,
      );
    }
    const layout = options.layout ?? "GENERAL";
    using staging = this.#staging(bytes);
    staging.memory!.map().set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.submit((r) => {
      r.imageBarrier({
        image,
        oldLayout: "UNDEFINED",
        newLayout: "TRANSFER_DST_OPTIMAL",
        srcStage: "TOP_OF_PIPE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_WRITE",
      });
      r.copyBufferToImage(staging, image);
      r.imageBarrier({
        image,
        oldLayout: "TRANSFER_DST_OPTIMAL",
        newLayout: layout,
        srcStage: "TRANSFER",
        srcAccess: "TRANSFER_WRITE",
        dstStage: options.release ? "BOTTOM_OF_PIPE" : "ALL_COMMANDS",
        dstAccess: options.release ? [] : ["MEMORY_READ", "MEMORY_WRITE"],
        ...(options.release
          ? { srcQueueFamily: this.#cmd.queueFamily, dstQueueFamily: "external" as const }
          : {}),
      });
    });
  }

  /**
   * Reads mip level 0, every layer, of `image` (in `layout`; by default the layout its last
   * barrier left it in, `image.layout`: UNDEFINED for a new image) into a new Uint8Array
   * ({@linkcode imageBytes} bytes), through a staging buffer; the image is left in `layout`
   * (default `GENERAL`). With `acquire`, it is first acquired from another device or API, whose
   * release left it in `layout`.
   */
  readImage(
    image: GpuImage,
    options?: { layout?: ImageLayoutName; acquire?: boolean },
  ): Uint8Array {
    options ??= {};
    const bytes = boundedImageBytes(image, "readImage");
    const layout = options.layout ?? "GENERAL";
    using staging = this.#staging(bytes);
    this.submit((r) => {
      if (options.acquire) {
        r.imageBarrier({
          image,
          oldLayout: "TRANSFER_DST_OPTIMAL",
          newLayout: layout,
          srcStage: "TOP_OF_PIPE",
          dstStage: "TRANSFER",
          dstAccess: "TRANSFER_READ",
          srcQueueFamily: "external",
          dstQueueFamily: this.#cmd.queueFamily,
        });
      }
      r.imageBarrier({
        image,
        // Where it is now: what an acquire left, or what its last barrier left (UNDEFINED for an
        // image never written: its contents are undefined, and the copy reads whatever they are).
        oldLayout: options.acquire ? layout : options.layout ?? image.layout ?? "GENERAL",
        newLayout: "TRANSFER_SRC_OPTIMAL",
        srcStage: "ALL_COMMANDS",
        srcAccess: "MEMORY_WRITE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_READ",
      });
      r.copyImageToBuffer(image, staging);
      r.imageBarrier({
        image,
        oldLayout: "TRANSFER_SRC_OPTIMAL",
        newLayout: layout,
        srcStage: "TRANSFER",
        dstStage: "ALL_COMMANDS",
      });
      r.hostRead(staging, { size: bytes });
    });
    return staging.memory!.map().slice(0, bytes);
  }

  #staging(size: number): GpuBuffer {
    return boundBuffer(this.device, {
      size,
      usage: ["TRANSFER_SRC", "TRANSFER_DST"],
      memory: { properties: ["HOST_VISIBLE", "HOST_COHERENT"], dedicated: false },
    });
  }

  /** Destroys the fence and the command buffer (each waits for its work first). */
  protected destroy(): void {
    this.#fence[Symbol.dispose]();
    this.#cmd[Symbol.dispose]();
  }
}

/**
 * The bytes a copy of `image` moves ({@linkcode imageBytes}), after checking that they fit the
 * memory the image needs and the memory it is bound to (SIZE_MISMATCH otherwise): a copy is
 * bounded by what is bound, whatever the image's description says (a driver that answers a
 * small requirement for a wrong description would otherwise read or write past the memory).
 */
export function boundedImageBytes(image: GpuImage, what: string): number {
  const bytes = imageBytes(image);
  const need = image.requirements.size;
  const memory = image.memory;
  const bound = memory ? memory.size - image.memoryOffset : 0;
  const holds = image.planes.length
    ? image.planes.reduce((n, p) => n + (p.memory ? p.memory.size - p.memoryOffset : 0), 0)
    : bound;
  if (bytes > need || bytes > holds) {
    throw new ShareError(
      "SIZE_MISMATCH",
      `${what}: ${image.label} packs ${bytes} bytes, but it needs ${need} bytes of memory and is bound to ${holds}: the copy would go past its memory`,
      `at most ${need < holds ? need : holds}`,
      bytes,
    );
  }
  return bytes;
}
