/**
 * `PhysicalDevice`: what one GPU (or software driver) is: name, type, vendor, versions, the
 * UUIDs that match it across APIs and processes, memory types and heaps, queue families,
 * extensions and features.
 *
 * @module
 */
import { enumerate, hex, uuidString } from "./_vk.ts";
import {
  driverVersionString,
  flagNames,
  MemoryHeapFlag,
  MemoryProperty,
  PHYSICAL_DEVICE_TYPES,
  type PhysicalDeviceTypeName,
  QueueFlag,
  VENDORS,
  versionString,
} from "./enums.ts";
import { makeVersion } from "./enums.ts";
import { Arena, encode, link, type Output } from "./ffi/layout.ts";
import type { Pointer } from "./ffi/types.ts";
import {
  VkExtensionProperties,
  VkPhysicalDeviceDriverProperties,
  VkPhysicalDeviceExternalMemoryHostPropertiesEXT,
  VkPhysicalDeviceFeatures2,
  VkPhysicalDeviceIDProperties,
  VkPhysicalDeviceMemoryProperties,
  VkPhysicalDeviceProperties2,
  VkPhysicalDeviceTimelineSemaphoreFeatures,
  VkPhysicalDeviceTimelineSemaphoreProperties,
  VkQueueFamilyProperties,
} from "./ffi/vk_structs.ts";
import { vk } from "./ffi/vulkan.ts";
import type { Instance } from "./instance.ts";

/**
 * One memory type.
 *
 * @category Vulkan objects
 */
export interface MemoryTypeInfo {
  /** Its index (what `memoryTypeIndex` and `memoryTypeBits` refer to). */
  index: number;
  /** Its property flags, by name (`DEVICE_LOCAL`, `HOST_VISIBLE`, ...). */
  flags: string[];
  /** The raw `VkMemoryPropertyFlags`. */
  propertyFlags: number;
  /** The heap it allocates from. */
  heapIndex: number;
}

/**
 * One memory heap.
 *
 * @category Vulkan objects
 */
export interface MemoryHeapInfo {
  /** Its index. */
  index: number;
  /** Its size in bytes. */
  size: bigint;
  /** Its flags, by name. */
  flags: string[];
}

/**
 * One queue family.
 *
 * @category Vulkan objects
 */
export interface QueueFamilyInfo {
  /** Its index. */
  index: number;
  /** What its queues do (`GRAPHICS`, `COMPUTE`, `TRANSFER`, ...). */
  flags: string[];
  /** The raw `VkQueueFlags`. */
  queueFlags: number;
  /** How many queues it has. */
  queueCount: number;
  /** Valid bits of timestamps. */
  timestampValidBits: number;
}

/**
 * The device's limits (`VkPhysicalDeviceLimits`), by field name.
 *
 * @category Vulkan objects
 */
export type DeviceLimits = Readonly<Record<string, number | bigint | boolean | number[]>>;

/**
 * The identity of a device across APIs and processes.
 *
 * @category Vulkan objects
 */
export interface DeviceIds {
  /** `deviceUUID`, as a UUID string. */
  deviceUUID: string;
  /** `driverUUID`, as a UUID string. */
  driverUUID: string;
  /** `deviceLUID` as hex, or null when the driver says it is not valid. */
  deviceLUID: string | null;
  /** `deviceNodeMask` (meaningful only with a valid LUID). */
  deviceNodeMask: number;
}

interface Props {
  core: Output<typeof VkPhysicalDeviceProperties2>["properties"];
  id: Output<typeof VkPhysicalDeviceIDProperties>;
  driver: Output<typeof VkPhysicalDeviceDriverProperties> | null;
  host: Output<typeof VkPhysicalDeviceExternalMemoryHostPropertiesEXT> | null;
  timeline: Output<typeof VkPhysicalDeviceTimelineSemaphoreProperties> | null;
}

/**
 * A physical device, as seen by an {@linkcode Instance}. It lives as long as its instance.
 *
 * @example
 * ```ts
 * using instance = Instance.create();
 * const [pd] = instance.physicalDevices();
 * console.log(pd.name, pd.type, pd.deviceUUID, pd.memoryTypes);
 * ```
 *
 * @category Vulkan objects
 */
export class PhysicalDevice {
  /** The instance it belongs to. */
  readonly instance: Instance;
  /** The VkPhysicalDevice. */
  readonly handle: Pointer;
  /** Its index in vkEnumeratePhysicalDevices' order. */
  readonly index: number;
  #props: Props | undefined;
  #memory: Output<typeof VkPhysicalDeviceMemoryProperties> | undefined;
  #extensions: Map<string, number> | undefined;
  #queueFamilies: QueueFamilyInfo[] | undefined;
  #timeline: boolean | undefined;

  /** @internal Made by {@linkcode Instance.physicalDevices}. */
  constructor(instance: Instance, handle: Pointer, index: number) {
    this.instance = instance;
    this.handle = handle;
    this.index = index;
  }

  /** The handle, after checking the instance is still alive. */
  get live(): Pointer {
    this.instance.assertAlive();
    return this.handle;
  }

  #ids: DeviceIds | undefined;
  #memoryTypes: MemoryTypeInfo[] | undefined;

  #properties(): Props {
    if (this.#props) return this.#props;
    const h = this.live;
    const exts = this.extensionNames;
    const apiVersion = this.#coreProperties().apiVersion;
    using arena = new Arena();
    const chain = [link(VkPhysicalDeviceIDProperties)];
    const hasDriver = apiVersion >= makeVersion(1, 2)
      || exts.includes("VK_KHR_driver_properties");
    if (hasDriver) chain.push(link(VkPhysicalDeviceDriverProperties));
    const hasHost = exts.includes("VK_EXT_external_memory_host");
    if (hasHost) chain.push(link(VkPhysicalDeviceExternalMemoryHostPropertiesEXT));
    const hasTimeline = apiVersion >= makeVersion(1, 2)
      || exts.includes("VK_KHR_timeline_semaphore");
    if (hasTimeline) chain.push(link(VkPhysicalDeviceTimelineSemaphoreProperties));
    const p2 = encode(VkPhysicalDeviceProperties2, { pNext: chain }, arena);
    vk().vkGetPhysicalDeviceProperties2!(h, p2.bytes);
    this.#props = {
      core: p2.decode().properties,
      id: p2.chained(VkPhysicalDeviceIDProperties),
      driver: hasDriver ? p2.chained(VkPhysicalDeviceDriverProperties) : null,
      host: hasHost ? p2.chained(VkPhysicalDeviceExternalMemoryHostPropertiesEXT) : null,
      timeline: hasTimeline ? p2.chained(VkPhysicalDeviceTimelineSemaphoreProperties) : null,
    };
    return this.#props;
  }

  #coreProperties(): Props["core"] {
    if (this.#props) return this.#props.core;
    using arena = new Arena();
    const p2 = encode(VkPhysicalDeviceProperties2, {}, arena);
    vk().vkGetPhysicalDeviceProperties2!(this.live, p2.bytes);
    return p2.decode().properties;
  }

  /** The device name, e.g. `NVIDIA H200` or `llvmpipe (LLVM 15.0.7, 256 bits)`. */
  get name(): string {
    return this.#properties().core.deviceName;
  }

  /** `discrete-gpu`, `integrated-gpu`, `virtual-gpu`, `cpu` or `other`. */
  get type(): PhysicalDeviceTypeName {
    return PHYSICAL_DEVICE_TYPES[this.#properties().core.deviceType] ?? "other";
  }

  /** The PCI vendor ID. */
  get vendorId(): number {
    return this.#properties().core.vendorID;
  }

  /** The vendor's name, or the ID in hex. */
  get vendorName(): string {
    return VENDORS[this.vendorId] ?? `0x${this.vendorId.toString(16)}`;
  }

  /** The PCI device ID. */
  get deviceId(): number {
    return this.#properties().core.deviceID;
  }

  /** The Vulkan version the device supports (packed). */
  get apiVersion(): number {
    return this.#properties().core.apiVersion;
  }

  /** The Vulkan version the device supports, e.g. `1.3.289`. */
  get apiVersionString(): string {
    return versionString(this.apiVersion);
  }

  /** The driver version (packed, vendor-specific). */
  get driverVersion(): number {
    return this.#properties().core.driverVersion;
  }

  /** The driver version as its vendor writes it, e.g. `580.159.4.0`. */
  get driverVersionString(): string {
    return driverVersionString(this.vendorId, this.driverVersion);
  }

  /** The driver's name (Vulkan 1.2), e.g. `NVIDIA` or `llvmpipe`. */
  get driverName(): string | null {
    return this.#properties().driver?.driverName ?? null;
  }

  /** The driver's own description of its version (Vulkan 1.2), e.g. `Mesa 25.0.7`. */
  get driverInfo(): string | null {
    return this.#properties().driver?.driverInfo ?? null;
  }

  /** The device UUID (equal across processes and APIs for the same device). */
  get deviceUUID(): string {
    return this.ids.deviceUUID;
  }

  /** The driver UUID (equal for drivers that can share memory with each other). */
  get driverUUID(): string {
    return this.ids.driverUUID;
  }

  /** The device LUID in hex, or null when not valid (always on Linux). */
  get deviceLUID(): string | null {
    const id = this.#properties().id;
    return id.deviceLUIDValid ? hex(id.deviceLUID) : null;
  }

  /** The raw bytes of deviceUUID, driverUUID and deviceLUID. */
  get idBytes(): { deviceUUID: Uint8Array; driverUUID: Uint8Array; deviceLUID: Uint8Array } {
    const id = this.#properties().id;
    return {
      deviceUUID: id.deviceUUID.slice(),
      driverUUID: id.driverUUID.slice(),
      deviceLUID: id.deviceLUID.slice(),
    };
  }

  /** deviceUUID, driverUUID, deviceLUID and node mask. */
  get ids(): DeviceIds {
    if (this.#ids) return this.#ids;
    const id = this.#properties().id;
    this.#ids = Object.freeze({
      deviceUUID: uuidString(id.deviceUUID),
      driverUUID: uuidString(id.driverUUID),
      deviceLUID: this.deviceLUID,
      deviceNodeMask: id.deviceNodeMask,
    });
    return this.#ids;
  }

  /** The device's limits (`VkPhysicalDeviceLimits`). */
  get limits(): DeviceLimits {
    return this.#properties().core.limits as DeviceLimits;
  }

  /**
   * `minImportedHostPointerAlignment` when the device offers VK_EXT_external_memory_host,
   * else null.
   */
  get minImportedHostPointerAlignment(): bigint | null {
    return this.#properties().host?.minImportedHostPointerAlignment ?? null;
  }

  /**
   * `maxTimelineSemaphoreValueDifference`: how far a timeline semaphore's signal or wait value
   * may be from its current value; null without timeline semaphores.
   */
  get maxTimelineSemaphoreValueDifference(): bigint | null {
    return this.#properties().timeline?.maxTimelineSemaphoreValueDifference ?? null;
  }

  #memoryProperties(): Output<typeof VkPhysicalDeviceMemoryProperties> {
    if (this.#memory) return this.#memory;
    using arena = new Arena();
    const m = encode(VkPhysicalDeviceMemoryProperties, {}, arena);
    vk().vkGetPhysicalDeviceMemoryProperties(this.live, m.bytes);
    this.#memory = m.decode();
    return this.#memory;
  }

  /** The memory types, in index order. */
  get memoryTypes(): MemoryTypeInfo[] {
    const m = this.#memoryProperties();
    this.#memoryTypes ??= m.memoryTypes.slice(0, m.memoryTypeCount).map((t, index) =>
      Object.freeze({
        index,
        flags: Object.freeze(flagNames(MemoryProperty, t.propertyFlags)) as string[],
        propertyFlags: t.propertyFlags,
        heapIndex: t.heapIndex,
      })
    );
    return [...this.#memoryTypes];
  }

  /** The memory heaps, in index order. */
  get memoryHeaps(): MemoryHeapInfo[] {
    const m = this.#memoryProperties();
    return m.memoryHeaps.slice(0, m.memoryHeapCount).map((h, index) => ({
      index,
      size: h.size,
      flags: flagNames(MemoryHeapFlag, h.flags),
    }));
  }

  /** The queue families. */
  get queueFamilies(): QueueFamilyInfo[] {
    this.#queueFamilies ??= enumerate(
      VkQueueFamilyProperties,
      "vkGetPhysicalDeviceQueueFamilyProperties",
      (n, out) => vk().vkGetPhysicalDeviceQueueFamilyProperties(this.live, n, out),
    ).map((q, index) => ({
      index,
      flags: flagNames(QueueFlag, q.queueFlags),
      queueFlags: q.queueFlags,
      queueCount: q.queueCount,
      timestampValidBits: q.timestampValidBits,
    }));
    return this.#queueFamilies;
  }

  /** The device extensions offered, with their spec versions. */
  get extensions(): ReadonlyMap<string, number> {
    if (!this.#extensions) {
      const list = enumerate(
        VkExtensionProperties,
        "vkEnumerateDeviceExtensionProperties",
        (n, out) => vk().vkEnumerateDeviceExtensionProperties(this.live, null, n, out),
      );
      this.#extensions = new Map(list.map((e) => [e.extensionName, e.specVersion]));
    }
    return this.#extensions;
  }

  /** The names of the device extensions offered, sorted. */
  get extensionNames(): string[] {
    return [...this.extensions.keys()].sort();
  }

  /** Whether the device offers extension `name`. */
  hasExtension(name: string): boolean {
    return this.extensions.has(name);
  }

  /** Whether the device supports timeline semaphores (the Vulkan 1.2 feature). */
  get timelineSemaphores(): boolean {
    if (this.#timeline === undefined) {
      const ok = this.apiVersion >= makeVersion(1, 2)
        || this.hasExtension("VK_KHR_timeline_semaphore");
      if (!ok) this.#timeline = false;
      else {
        using arena = new Arena();
        const f = encode(VkPhysicalDeviceFeatures2, {
          pNext: [link(VkPhysicalDeviceTimelineSemaphoreFeatures)],
        }, arena);
        vk().vkGetPhysicalDeviceFeatures2!(this.live, f.bytes);
        this.#timeline = f.chained(VkPhysicalDeviceTimelineSemaphoreFeatures).timelineSemaphore;
      }
    }
    return this.#timeline;
  }

  /** A short summary, as a plain object. */
  toJSON(): Record<string, unknown> {
    return {
      index: this.index,
      name: this.name,
      type: this.type,
      vendor: this.vendorName,
      vendorId: this.vendorId,
      deviceId: this.deviceId,
      apiVersion: this.apiVersionString,
      driverVersion: this.driverVersionString,
      driverName: this.driverName,
      driverInfo: this.driverInfo,
      ...this.ids,
    };
  }
}
