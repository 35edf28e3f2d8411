// What buffers and images share: a device, external handle types declared at creation, memory
// requirements (with the dedicated-allocation answer), and binding to memory with the rules of
// external memory checked first.
import { flagNames, MemoryHandleType } from "../core/enums.ts";
import { check, ShareError } from "../core/errors.ts";
import { Resource } from "../core/resource.ts";
import { Arena, encode, link } from "../ffi/layout.ts";
import type { Pointer } from "../ffi/types.ts";
import {
  VkBufferMemoryRequirementsInfo2,
  VkImageMemoryRequirementsInfo2,
  VkImagePlaneMemoryRequirementsInfo,
  VkMemoryDedicatedRequirements,
  VkMemoryRequirements2,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { declaredHandleTypes, externalDeclarationRules } from "../share/allocate_plan.ts";
import type { DedicatedTarget } from "../share/descriptor.ts";
import { planOrThrow } from "../share/plan.ts";
import type { Device } from "../vulkan/device.ts";
import { type AllocateOptions, DeviceMemory } from "./device_memory.ts";

/**
 * What a buffer or image needs of its memory (`VkMemoryRequirements2` + dedicated).
 *
 * @example
 * ```ts
 * const r: MemoryRequirements = buffer.requirements;
 * r.requiresDedicated || r.prefersDedicated;
 * ```
 *
 * @category Memory
 */
export interface MemoryRequirements {
  /** Bytes needed. */
  size: number;
  /** Alignment of the offset it is bound at. */
  alignment: number;
  /** The memory types it can be bound to, as a bit mask. */
  memoryTypeBits: number;
  /** The driver prefers a dedicated allocation. */
  prefersDedicated: boolean;
  /** The driver requires a dedicated allocation. */
  requiresDedicated: boolean;
}

/**
 * Throws HANDLE_TYPE_UNSUPPORTED (share/allocate_plan.ts's rule) when a buffer or image (`what`)
 * is declared external as a handle type (`mask`) whose extension `device` has not enabled.
 */
export function requireDeclarable(device: Device, what: string, mask: number): void {
  const broken = externalDeclarationRules(
    device.physicalDevice.name,
    what,
    declaredHandleTypes(flagNames(MemoryHandleType, mask), (e) => device.hasExtension(e)),
  );
  if (broken.length) planOrThrow({ ok: false, broken });
}

/**
 * EMPTY_REQUIREMENT: a requirement of 0 bytes (lavapipe's answer for what it cannot hold) is
 * refused, since memory of 0 bytes would bind a null handle.
 *
 * @example
 * ```ts
 * checkRequirement("image", 0x1234n, 65536n); // fine; 0n throws a ShareError
 * ```
 */
export function checkRequirement(kind: "buffer" | "image", handle: bigint, size: bigint): void {
  if (size > 0n) return;
  throw new ShareError(
    "EMPTY_REQUIREMENT",
    `the ${kind} 0x${
      handle.toString(16)
    } needs ${size} bytes of memory (the driver's answer): no memory can be bound to it`,
    "more than 0",
    size,
  );
}

/**
 * `vkGet{Buffer,Image}MemoryRequirements2` with the dedicated-allocation answer.
 *
 * @category Memory
 */
export function queryRequirements(
  device: Pointer,
  kind: "buffer" | "image",
  handle: bigint,
  planeAspect?: number,
): MemoryRequirements {
  using arena = new Arena();
  const r = encode(VkMemoryRequirements2, { pNext: [link(VkMemoryDedicatedRequirements)] }, arena);
  if (kind === "buffer") {
    const q = encode(VkBufferMemoryRequirementsInfo2, { buffer: handle }, arena);
    vk().vkGetBufferMemoryRequirements2!(device, q.bytes, r.bytes);
  } else {
    const q = encode(VkImageMemoryRequirementsInfo2, {
      // A plane of a disjoint image is asked about on its own (PLANE_i_BIT).
      pNext: planeAspect ? [link(VkImagePlaneMemoryRequirementsInfo, { planeAspect })] : [],
      image: handle,
    }, arena);
    vk().vkGetImageMemoryRequirements2!(device, q.bytes, r.bytes);
  }
  const m = r.decode().memoryRequirements;
  checkRequirement(kind, handle, m.size);
  const ded = r.chained(VkMemoryDedicatedRequirements);
  return {
    size: Number(m.size),
    alignment: Number(m.alignment),
    memoryTypeBits: m.memoryTypeBits,
    prefersDedicated: ded.prefersDedicatedAllocation,
    requiresDedicated: ded.requiresDedicatedAllocation,
  };
}

/**
 * A buffer or an image: a resource that is bound to device memory.
 *
 * @example
 * ```ts
 * const resources: Bindable[] = [buffer, image];
 * resources.every((r) => r.memory !== null);
 * ```
 *
 * @category Memory
 */
export abstract class Bindable extends Resource {
  /** The device. */
  readonly device: Device;
  /** The Vulkan handle. */
  readonly handle: bigint;
  /** The external memory handle types it was declared with (`VkExternalMemory*CreateInfo`). */
  readonly externalHandleTypes: number;
  /** What it needs of its memory. */
  readonly requirements: MemoryRequirements;
  #memory: DeviceMemory | null = null;
  #offset = 0n;
  #owned: DeviceMemory | null = null;

  /** @ignore Adopts the resource as a child of `device`. */
  protected constructor(
    device: Device,
    handle: bigint,
    external: number,
    requirements: MemoryRequirements,
  ) {
    super();
    this.device = device;
    this.handle = handle;
    this.externalHandleTypes = external;
    this.requirements = requirements;
    this.adopt(device);
  }

  /**
   * @ignore @internal Makes `memory` (bound to this resource, allocated for it) this resource's own: it
   * is disposed right after the resource.
   */
  own(memory: DeviceMemory): void {
    this.#owned = memory;
  }

  /** Destroys the resource, then the memory it owns (see withOwnMemory); safe to call twice. */
  override [Symbol.dispose](): void {
    super[Symbol.dispose]();
    const m = this.#owned;
    this.#owned = null;
    m?.[Symbol.dispose]();
  }

  /** The external handle types, by name. */
  get externalHandleTypeNames(): string[] {
    return flagNames(MemoryHandleType, this.externalHandleTypes);
  }

  /** The memory it is bound to, or null. */
  get memory(): DeviceMemory | null {
    return this.#memory;
  }

  /** The offset in {@linkcode Bindable.memory} it is bound at. */
  get memoryOffset(): number {
    return Number(this.#offset);
  }

  /** The handle, after checking that it and its memory are alive. */
  get live(): bigint {
    this.alive();
    if (this.#memory?.disposed) {
      throw new ShareError(
        "ALREADY_BOUND",
        `${this.label} is bound to ${this.#memory.label}, which was disposed: it can no longer be used`,
      );
    }
    return this.handle;
  }

  /** Throws when it, or the memory it is bound to, was disposed. */
  override assertAlive(): void {
    void this.live;
  }

  /** A plain description, compared on import with the exporter's dedicated target. */
  abstract describe(): DedicatedTarget;

  /** Binds the handle to `memory` at `offset`; returns the VkResult. */
  protected abstract bindCall(handle: bigint, memory: bigint, offset: bigint): number;
  /** The bind command, for errors. */
  protected abstract readonly bindCommand: string;

  /**
   * Binds it to `memory` at `offset`, after checking what the validation layer does not: the
   * memory type is allowed, the range fits and is aligned, external handle types agree, and
   * dedicated memory is bound to its own target only.
   */
  bind(memory: DeviceMemory, offset?: number | bigint): void {
    offset ??= 0;
    const h = this.live;
    const off = BigInt(offset);
    if (this.#memory) {
      throw new ShareError(
        "ALREADY_BOUND",
        `${this.label} is already bound to ${this.#memory.label}`,
      );
    }
    if (memory.device !== this.device) {
      throw new ShareError(
        "WRONG_DEVICE",
        `${memory.label} belongs to another device than ${this.label}`,
      );
    }
    const r = this.requirements;
    if (!((r.memoryTypeBits >>> memory.memoryTypeIndex) & 1)) {
      throw new ShareError(
        "MEMORY_TYPE_NOT_ALLOWED",
        `${this.label} cannot use memory type ${memory.memoryTypeIndex} (memoryTypeBits 0x${
          r.memoryTypeBits.toString(16)
        })`,
        r.memoryTypeBits,
        memory.memoryTypeIndex,
      );
    }
    if (off < 0n || off % BigInt(r.alignment) !== 0n || off + BigInt(r.size) > memory.size) {
      throw new ShareError(
        "SIZE_MISMATCH",
        `${this.label} needs ${r.size} bytes at an offset aligned to ${r.alignment}; ${memory.label} has ${memory.size} bytes and the offset is ${off}`,
        r.size,
        memory.size - Number(off),
      );
    }
    if (memory.dedicatedTo && memory.dedicatedTo !== this) {
      throw new ShareError(
        "DEDICATED_MISMATCH",
        `${memory.label} is dedicated to ${memory.dedicatedTo.label}`,
      );
    }
    if (r.requiresDedicated && memory.dedicatedTo !== this) {
      throw new ShareError(
        "DEDICATED_REQUIRED",
        `${this.label} requires a dedicated allocation`,
      );
    }
    const types = memory.importedAs ?? memory.exportHandleTypes;
    if (types && !(types & this.externalHandleTypes)) {
      throw new ShareError(
        "NOT_EXTERNAL",
        `${memory.label} is ${memory.importedAs ? "imported as" : "exportable as"} ${
          flagNames(MemoryHandleType, types).join(", ")
        }, but ${this.label} was created with external handle types [${
          this.externalHandleTypeNames.join(", ")
        }]`,
        flagNames(MemoryHandleType, types),
        this.externalHandleTypeNames,
      );
    }
    check(this.bindCall(h, memory.live, off), this.bindCommand, {
      device: this.device.physicalDevice.name,
      memoryTypeIndex: memory.memoryTypeIndex,
      offset: off,
    });
    this.#memory = memory;
    this.#offset = off;
  }
}

/**
 * How the memory of {@linkcode boundBuffer} and {@linkcode boundImage} is allocated.
 *
 * @example
 * ```ts
 * using buffer = boundBuffer(device, { size: 4096, memory: { properties: ["HOST_VISIBLE"] } satisfies BoundMemoryOptions });
 * ```
 *
 * @category Memory
 */
export type BoundMemoryOptions = Omit<AllocateOptions, "for" | "size">;

/**
 * @ignore @internal Allocates memory for `resource` (by the rules of `DeviceMemory.allocate` with `for`)
 * and makes it the resource's own; on failure the resource is disposed.
 */
export function withOwnMemory<T extends Bindable>(
  resource: T,
  options?: BoundMemoryOptions,
): T {
  options ??= {};
  try {
    resource.own(DeviceMemory.allocate(resource.device, { ...options, for: resource }));
  } catch (e) {
    resource[Symbol.dispose]();
    throw e;
  }
  return resource;
}
