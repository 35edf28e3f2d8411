/**
 * `Transfer`: copies on a device's queue with a one-time-submit command buffer and a fence, so
 * that the contents of any memory (device-local included) can be written and read from a
 * script: `write` and `read` go through a host-visible staging buffer.
 *
 * @module
 */
import { Resource } from "./_resource.ts";
import { out64 } from "./_vk.ts";
import { GpuBuffer } from "./buffer.ts";
import type { Device } from "./device.ts";
import { check, VkError } from "./errors.ts";
import { Arena, encode } from "./ffi/layout.ts";
import { rt } from "./ffi/runtime.ts";
import type { Pointer } from "./ffi/types.ts";
import {
  VkBufferCopy,
  VkBufferMemoryBarrier,
  VkCommandBufferAllocateInfo,
  VkCommandBufferBeginInfo,
  VkCommandPoolCreateInfo,
  VkFenceCreateInfo,
  VkSubmitInfo,
} from "./ffi/vk_structs.ts";
import { vk } from "./ffi/vulkan.ts";
import { DeviceMemory } from "./memory.ts";

const RESET_COMMAND_BUFFER = 0x2;
const ONE_TIME_SUBMIT = 0x1;
const STAGE_TRANSFER = 0x1000;
const STAGE_HOST = 0x4000;
const ACCESS_TRANSFER_WRITE = 0x1000;
const ACCESS_HOST_READ = 0x2000;
const QUEUE_FAMILY_IGNORED = 0xffffffff;
const WHOLE = 0xffff_ffff_ffff_ffffn;

/** Options of {@linkcode Transfer.create}. */
export interface TransferOptions {
  /** The queue of the device's family to submit to (default 0). */
  queueIndex?: number;
  /** How long a submission may take before it is an error, in ms (default 10,000). */
  timeoutMs?: number;
}

/** A byte range of a buffer. */
export interface Range {
  /** Offset in bytes (default 0). */
  offset?: number | bigint;
  /** Size in bytes (default: to the end of the buffer). */
  size?: number | bigint;
}

function range(buffer: GpuBuffer, r: Range = {}): { offset: bigint; size: bigint } {
  const offset = BigInt(r.offset ?? 0);
  const size = r.size === undefined ? buffer.size - offset : BigInt(r.size);
  if (offset < 0n || size <= 0n || offset + size > buffer.size) {
    throw new RangeError(
      `range: offset ${offset} and size ${size} do not fit in ${buffer.label}`,
    );
  }
  return { offset, size };
}

/** Records a vkCmdCopyBuffer of one region (encoded in `arena`). */
function copyCommand(
  src: bigint,
  dst: bigint,
  srcOffset: bigint,
  dstOffset: bigint,
  size: bigint,
  arena: Arena,
): (cmd: Pointer) => void {
  const region = encode(VkBufferCopy, { srcOffset, dstOffset, size }, arena);
  return (cmd) => vk().vkCmdCopyBuffer(cmd, src, dst, 1, region.bytes);
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
 */
export class Transfer extends Resource {
  /** The device. */
  readonly device: Device;
  /** `Transfer on Device "..."`, for messages. */
  readonly label: string;
  readonly #queue: Pointer;
  readonly #pool: bigint;
  readonly #cmd: Pointer;
  readonly #fence: bigint;
  readonly #fences = new BigUint64Array(new ArrayBuffer(8));
  readonly #timeoutNs: bigint;

  private constructor(
    device: Device,
    queue: Pointer,
    pool: bigint,
    cmd: Pointer,
    fence: bigint,
    timeoutMs: number,
  ) {
    super();
    this.device = device;
    this.label = `Transfer on ${device.label}`;
    this.#queue = queue;
    this.#pool = pool;
    this.#cmd = cmd;
    this.#fence = fence;
    this.#fences[0] = fence;
    this.#timeoutNs = BigInt(Math.round(timeoutMs * 1e6));
    this.adopt(device);
  }

  /** Creates the command pool, command buffer and fence. */
  static create(device: Device, options: TransferOptions = {}): Transfer {
    const d = device.live;
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs: expected > 0, got ${timeoutMs}`);
    const queue = device.queue(options.queueIndex ?? 0);
    const name = device.physicalDevice.name;
    using arena = new Arena();
    const out = out64();
    check(
      vk().vkCreateCommandPool(
        d,
        encode(VkCommandPoolCreateInfo, {
          flags: RESET_COMMAND_BUFFER,
          queueFamilyIndex: device.queueFamily,
        }, arena).bytes,
        null,
        out,
      ),
      "vkCreateCommandPool",
      { device: name },
    );
    const pool = out[0];
    try {
      check(
        vk().vkAllocateCommandBuffers(
          d,
          encode(VkCommandBufferAllocateInfo, {
            commandPool: pool,
            level: 0,
            commandBufferCount: 1,
          }, arena).bytes,
          out,
        ),
        "vkAllocateCommandBuffers",
        { device: name },
      );
      const cmd = rt.pointer(out[0]);
      check(
        vk().vkCreateFence(d, encode(VkFenceCreateInfo, {}, arena).bytes, null, out),
        "vkCreateFence",
        { device: name },
      );
      return new Transfer(device, queue, pool, cmd, out[0], timeoutMs);
    } catch (e) {
      vk().vkDestroyCommandPool(d, pool, null);
      throw e;
    }
  }

  /**
   * Records commands with `record(commandBuffer)`, submits them once, and waits for the fence.
   * Throws a VkError (VK_TIMEOUT) when the work does not finish in time.
   */
  submit(record: (commandBuffer: Pointer) => void): void {
    this.alive();
    const d = this.device.live;
    const name = this.device.physicalDevice.name;
    using arena = new Arena();
    check(
      vk().vkBeginCommandBuffer(
        this.#cmd,
        encode(VkCommandBufferBeginInfo, { flags: ONE_TIME_SUBMIT }, arena).bytes,
      ),
      "vkBeginCommandBuffer",
      { device: name },
    );
    try {
      record(this.#cmd);
    } finally {
      check(vk().vkEndCommandBuffer(this.#cmd), "vkEndCommandBuffer", { device: name });
    }
    const submit = encode(VkSubmitInfo, { pCommandBuffers: [this.#cmd] }, arena);
    check(
      vk().vkQueueSubmit(this.#queue, 1, submit.bytes, this.#fence),
      "vkQueueSubmit",
      { device: name },
    );
    const r = check(
      vk().vkWaitForFences(d, 1, this.#fences, 1, this.#timeoutNs),
      "vkWaitForFences",
      { device: name },
    );
    if (r !== 0) {
      throw new VkError(
        "vkWaitForFences",
        r,
        { device: name, timeoutMs: Number(this.#timeoutNs) / 1e6 },
        "the transfer did not finish in time",
      );
    }
    check(vk().vkResetFences(d, 1, this.#fences), "vkResetFences", { device: name });
  }

  /** Copies `size` bytes from `src` to `dst` (the buffers may be on memory of any type). */
  copy(
    src: GpuBuffer,
    dst: GpuBuffer,
    r: { srcOffset?: number | bigint; dstOffset?: number | bigint; size?: number | bigint } = {},
  ): void {
    const s = range(src, { offset: r.srcOffset, size: r.size });
    const t = range(dst, { offset: r.dstOffset, size: s.size });
    const hs = src.live, hd = dst.live;
    this.#sameDevice(src);
    this.#sameDevice(dst);
    using arena = new Arena();
    const copy = copyCommand(hs, hd, s.offset, t.offset, s.size, arena);
    this.submit(copy);
  }

  /** Fills a range of `dst` (offset and size multiples of 4) with the 32-bit `value`. */
  fill(dst: GpuBuffer, value: number, r: Range = {}): void {
    const { offset, size } = range(dst, r);
    if (offset % 4n || (r.size !== undefined && size % 4n)) {
      throw new RangeError(`fill: offset ${offset} and size ${size} must be multiples of 4`);
    }
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`fill: value must be a uint32, got ${value}`);
    }
    const h = dst.live;
    this.#sameDevice(dst);
    this.submit((cmd) => {
      vk().vkCmdFillBuffer(cmd, h, offset, r.size === undefined ? WHOLE : size, value);
    });
  }

  /** Writes `data` into `dst` at `offset`, through a host-visible staging buffer. */
  write(dst: GpuBuffer, data: Uint8Array, offset: number | bigint = 0): void {
    this.#sameDevice(dst);
    range(dst, { offset, size: data.byteLength });
    using staging = this.#staging(data.byteLength);
    staging.memory.map().set(data);
    this.copy(staging.buffer, dst, { dstOffset: offset, size: data.byteLength });
  }

  /** Reads a range of `src` into a new Uint8Array, through a host-visible staging buffer. */
  read(src: GpuBuffer, r: Range = {}): Uint8Array {
    this.#sameDevice(src);
    const { offset, size } = range(src, r);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("read: size too large");
    using staging = this.#staging(Number(size));
    const hs = src.live, hd = staging.buffer.live;
    using arena = new Arena();
    const copy = copyCommand(hs, hd, offset, 0n, size, arena);
    const barrier = encode(VkBufferMemoryBarrier, {
      srcAccessMask: ACCESS_TRANSFER_WRITE,
      dstAccessMask: ACCESS_HOST_READ,
      srcQueueFamilyIndex: QUEUE_FAMILY_IGNORED,
      dstQueueFamilyIndex: QUEUE_FAMILY_IGNORED,
      buffer: hd,
      offset: 0,
      size: WHOLE,
    }, arena);
    this.submit((cmd) => {
      copy(cmd);
      vk().vkCmdPipelineBarrier(
        cmd,
        STAGE_TRANSFER,
        STAGE_HOST,
        0,
        0,
        null,
        1,
        barrier.bytes,
        0,
        null,
      );
    });
    return staging.memory.map().slice(0, Number(size)); // the memory may be larger than asked
  }

  #sameDevice(b: GpuBuffer): void {
    if (b.device !== this.device) {
      throw new RangeError(`${b.label} is not on ${this.device.label}`);
    }
  }

  #staging(size: number): { buffer: GpuBuffer; memory: DeviceMemory } & Disposable {
    const buffer = GpuBuffer.create(this.device, { size, usage: ["TRANSFER_SRC", "TRANSFER_DST"] });
    try {
      const memory = DeviceMemory.allocate(this.device, {
        for: buffer,
        properties: ["HOST_VISIBLE", "HOST_COHERENT"],
        dedicated: false,
      });
      return {
        buffer,
        memory,
        [Symbol.dispose]() {
          buffer[Symbol.dispose]();
          memory[Symbol.dispose]();
        },
      };
    } catch (e) {
      buffer[Symbol.dispose]();
      throw e;
    }
  }

  /** Waits for the queue, then destroys the fence and the command pool. */
  protected destroy(): void {
    vk().vkQueueWaitIdle(this.#queue);
    vk().vkDestroyFence(this.device.handle, this.#fence, null);
    vk().vkDestroyCommandPool(this.device.handle, this.#pool, null);
  }
}
