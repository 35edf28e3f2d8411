/**
 * `Device`: a VkDevice that enables the external-sharing extensions it is asked for (or all
 * those its physical device offers), with one queue family's queues and, where supported,
 * timeline semaphores.
 *
 * @module
 */
import { Resource } from "./_resource.ts";
import { loadEnabledExtension, out64 } from "./_vk.ts";
import { makeVersion, QueueFlag, versionString } from "./enums.ts";
import { check, MissingExtensionError } from "./errors.ts";
import { Arena, encode, link } from "./ffi/layout.ts";
import { rt } from "./ffi/runtime.ts";
import type { Pointer } from "./ffi/types.ts";
import type { ExtensionTable } from "./ffi/vk_commands.ts";
import { VkDeviceCreateInfo, VkPhysicalDeviceTimelineSemaphoreFeatures } from "./ffi/vk_structs.ts";
import { type ExtensionFunctions, vk } from "./ffi/vulkan.ts";
import type { PhysicalDevice } from "./physical_device.ts";
import { Queue, SETTLE_MS, warnLeak } from "./queue.ts";

/**
 * The device extensions of external memory and synchronization on POSIX systems.
 *
 * @category Vulkan objects
 */
export const EXTERNAL_EXTENSIONS = [
  "VK_KHR_external_memory_fd",
  "VK_EXT_external_memory_dma_buf",
  "VK_EXT_external_memory_host",
  "VK_KHR_external_semaphore_fd",
  "VK_KHR_external_fence_fd",
] as const;

/**
 * Options of {@linkcode Device.create}.
 *
 * @category Vulkan objects
 */
export interface DeviceOptions {
  /**
   * Device extensions to enable. `"external"` (the default) enables every one of
   * {@linkcode EXTERNAL_EXTENSIONS} that the device offers; a list enables exactly those, and
   * throws a MissingExtensionError for one the device does not offer.
   */
  extensions?: readonly string[] | "external";
  /** The queue family (default: the first with graphics or compute, which also transfer). */
  queueFamily?: number;
  /** How many queues of that family (default 1). */
  queueCount?: number;
  /** Enable timeline semaphores (default: when the device supports them). */
  timelineSemaphores?: boolean;
}

/**
 * A logical device.
 *
 * @example
 * ```ts
 * using instance = Instance.create();
 * using device = Device.create(instance.physicalDevices()[0]);
 * device.extensions; // the external extensions it enabled
 * ```
 *
 * @category Vulkan objects
 */
export class Device extends Resource {
  /** The physical device. */
  readonly physicalDevice: PhysicalDevice;
  /** The VkDevice. */
  readonly handle: Pointer;
  /** The enabled device extensions. */
  readonly extensions: readonly string[];
  /** The queue family of {@linkcode Device.queue}. */
  readonly queueFamily: number;
  /** How many queues were created in it. */
  readonly queueCount: number;
  /** Whether timeline semaphores are enabled. */
  readonly timelineSemaphores: boolean;
  /** `Device "<name>"`, for messages. */
  readonly label: string;
  #tables = new Map<string, unknown>();
  #queues = new Map<number, Queue>();
  #blocked = false;

  private constructor(
    pd: PhysicalDevice,
    handle: Pointer,
    extensions: string[],
    queueFamily: number,
    queueCount: number,
    timeline: boolean,
  ) {
    super();
    this.physicalDevice = pd;
    this.handle = handle;
    this.extensions = extensions;
    this.queueFamily = queueFamily;
    this.queueCount = queueCount;
    this.timelineSemaphores = timeline;
    this.label = `Device "${pd.name}"`;
    this.adopt(pd.instance);
  }

  /** Creates a device on `pd`. */
  static create(pd: PhysicalDevice, options: DeviceOptions = {}): Device {
    pd.instance.assertAlive();
    if (pd.apiVersion < makeVersion(1, 1)) {
      throw new Error(
        `${pd.name} supports Vulkan ${versionString(pd.apiVersion)}: vkshare needs 1.1 or later`,
      );
    }
    const wanted = options.extensions ?? "external";
    let extensions: string[];
    if (wanted === "external") {
      extensions = EXTERNAL_EXTENSIONS.filter((e) => pd.hasExtension(e));
    } else {
      if (!Array.isArray(wanted)) {
        throw new TypeError(`extensions: expected a list of names or "external"`);
      }
      for (const e of wanted) {
        if (!pd.hasExtension(e)) throw new MissingExtensionError(e, pd.name, "offered");
      }
      extensions = [...new Set(wanted)];
    }

    const families = pd.queueFamilies;
    const family = options.queueFamily
      ?? families.find((f) => f.queueFlags & (QueueFlag.GRAPHICS | QueueFlag.COMPUTE))?.index
      ?? 0;
    const fam = families[family];
    if (!fam) {
      throw new RangeError(
        `queueFamily: ${family} is not a queue family of ${pd.name} (it has ${families.length})`,
      );
    }
    const queueCount = options.queueCount ?? 1;
    if (!Number.isInteger(queueCount) || queueCount < 1 || queueCount > fam.queueCount) {
      throw new RangeError(
        `queueCount: ${queueCount} is out of range: family ${family} of ${pd.name} has ${fam.queueCount} queue(s)`,
      );
    }
    const supportsTimeline = pd.timelineSemaphores;
    if (options.timelineSemaphores && !supportsTimeline) {
      throw new MissingExtensionError("timelineSemaphore feature", pd.name, "offered");
    }
    const timeline = options.timelineSemaphores ?? supportsTimeline;

    using arena = new Arena();
    const info = encode(VkDeviceCreateInfo, {
      pNext: timeline
        ? [link(VkPhysicalDeviceTimelineSemaphoreFeatures, { timelineSemaphore: true })]
        : [],
      pQueueCreateInfos: [{
        queueFamilyIndex: family,
        pQueuePriorities: new Array(queueCount).fill(1),
      }],
      ppEnabledExtensionNames: extensions,
    }, arena);
    const out = out64();
    check(vk().vkCreateDevice(pd.live, info.bytes, null, out), "vkCreateDevice", {
      device: pd.name,
      extensions,
      queueFamily: family,
      queueCount,
    });
    return new Device(pd, rt.pointer(out[0]), extensions, family, queueCount, timeline);
  }

  /** The VkDevice, after checking that the device (and its instance) is alive. */
  get live(): Pointer {
    this.alive();
    return this.handle;
  }

  /** Whether extension `name` is enabled on this device. */
  hasExtension(name: string): boolean {
    return this.extensions.includes(name);
  }

  /**
   * The commands of a device extension, loaded once. Throws a MissingExtensionError naming the
   * extension and the device when it is not enabled.
   */
  extension<T extends ExtensionTable>(table: T): ExtensionFunctions<T> {
    const h = this.live;
    let f = this.#tables.get(table.name) as ExtensionFunctions<T> | undefined;
    if (f) return f;
    if (!this.hasExtension(table.name)) {
      throw new MissingExtensionError(
        table.name,
        this.physicalDevice.name,
        this.physicalDevice.hasExtension(table.name) ? "enabled" : "offered",
      );
    }
    f = loadEnabledExtension(table, h, this.physicalDevice.name);
    this.#tables.set(table.name, f);
    return f;
  }

  /** Queue `index` of {@linkcode Device.queueFamily} (the same object on every call). */
  queue(index = 0): Queue {
    const h = this.live;
    if (!Number.isInteger(index) || index < 0 || index >= this.queueCount) {
      throw new RangeError(`queue: index ${index} is out of range (0..${this.queueCount - 1})`);
    }
    let q = this.#queues.get(index);
    if (!q) {
      const out = out64();
      vk().vkGetDeviceQueue(h, this.queueFamily, index, out);
      q = new Queue(this, rt.pointer(out[0]), this.queueFamily, index);
      this.#queues.set(index, q);
    }
    return q;
  }

  /** Waits until the device is idle. */
  waitIdle(): void {
    const queues = [...this.#queues.values()];
    const through = queues.map((q) => q.submitted);
    check(vk().vkDeviceWaitIdle(this.live), "vkDeviceWaitIdle", {
      device: this.physicalDevice.name,
    });
    queues.forEach((q, i) => q.finishedThrough(through[i]));
  }

  /**
   * Waits (at most {@linkcode SETTLE_MS} per queue) for the work submitted to its queues, then
   * disposes its children and the device. A device whose work cannot finish is left
   * undestroyed, with a warning, rather than crash the driver.
   */
  override [Symbol.dispose](): void {
    if (!this.disposed) {
      for (const q of this.#queues.values()) if (!q.drain(SETTLE_MS)) this.#blocked = true;
    }
    super[Symbol.dispose]();
  }

  /** Destroys the VkDevice. */
  protected destroy(): void {
    if (this.#blocked) return warnLeak(this.label);
    vk().vkDestroyDevice(this.handle, null);
  }
}
