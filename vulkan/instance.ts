/**
 * `Instance`: a VkInstance with its layers, extensions and (opt-in) validation that routes the
 * layers' messages to a callback and collects the errors, so that tests can fail on them; and the
 * `PhysicalDevice`s it enumerates: what one GPU (or software driver) is: name, type, vendor,
 * versions, the UUIDs that match it across APIs and processes, memory types and heaps, queue
 * families, extensions and features.
 *
 * @module
 */
import {
  driverVersionString,
  flagNames,
  makeVersion,
  MemoryHeapFlag,
  MemoryProperty,
  PHYSICAL_DEVICE_TYPES,
  type PhysicalDeviceTypeName,
  QueueFlag,
  VENDORS,
  versionString,
} from "../core/enums.ts";
import { check, MissingExtensionError, ShareError, VkError } from "../core/errors.ts";
import {
  enumerate,
  hex,
  loadEnabledExtension,
  out32,
  out64,
  uuidString,
} from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import { Arena, encode, link, type Output, readStructAt } from "../ffi/layout.ts";
import { rt } from "../ffi/runtime.ts";
import type { Callback, Pointer } from "../ffi/types.ts";
import { type ExtensionTable, VK_EXT_debug_utils } from "../ffi/vk_commands.ts";
import {
  VkDebugUtilsMessengerCallbackDataEXT,
  VkDebugUtilsMessengerCreateInfoEXT,
  VkExtensionProperties,
  VkInstanceCreateInfo,
  VkLayerProperties,
  VkPhysicalDeviceDriverProperties,
  VkPhysicalDeviceExternalMemoryHostPropertiesEXT,
  VkPhysicalDeviceFeatures2,
  VkPhysicalDeviceIDProperties,
  VkPhysicalDeviceMemoryProperties,
  VkPhysicalDeviceProperties2,
  VkPhysicalDeviceTimelineSemaphoreFeatures,
  VkPhysicalDeviceTimelineSemaphoreProperties,
  VkQueueFamilyProperties,
} from "../ffi/vk_structs.ts";
import { cString, type ExtensionFunctions, vk } from "../ffi/vulkan.ts";
import { diagnoseLoader, instanceFailureCauses } from "./loader.ts";

const VK_ERROR_INITIALIZATION_FAILED = -3;
const VK_ERROR_INCOMPATIBLE_DRIVER = -9;
// How many instances this process created (NVIDIA refuses the 31st: ../DRIVERS.md).
let instancesCreated = 0;

/**
 * The Khronos validation layer.
 *
 * @example
 * ```ts
 * using instance = Instance.create({ layers: [VALIDATION_LAYER] });
 * ```
 *
 * @category Vulkan objects
 */
export const VALIDATION_LAYER = "VK_LAYER_KHRONOS_validation";

/**
 * The severity of a validation message.
 *
 * @example
 * ```ts
 * using instance = Instance.create({ validation: { minSeverity: "warning" satisfies Severity } });
 * ```
 *
 * @category Vulkan objects
 */
export type Severity = "verbose" | "info" | "warning" | "error";

const SEVERITY_BITS: Record<Severity, number> = {
  verbose: 0x1,
  info: 0x10,
  warning: 0x100,
  error: 0x1000,
};
const TYPE_BITS = { general: 0x1, validation: 0x2, performance: 0x4, "device-address": 0x8 };

/**
 * One message from the debug messenger: from a layer (the validation layer's carry a VUID or a
 * message id name) or a driver's own report (Mesa's `lvp_device.c:1799:
 * VK_ERROR_INVALID_EXTERNAL_HANDLE`, whose id name is a source location).
 *
 * @example
 * ```ts
 * using instance = Instance.create({
 *   validation: { onMessage: (m: ValidationMessage) => console.log(m.severity, m.source, m.id, m.message) },
 * });
 * ```
 *
 * @category Vulkan objects
 */
export interface ValidationMessage {
  /** How bad it is. */
  severity: Severity;
  /**
   * Who sent it: `"layer"` (a message with a VUID or message id name) or `"driver"` (a driver
   * reporting an error of its own through the messenger: no id name, or a source location).
   */
  source: "layer" | "driver";
  /**
   * True for a driver's report made during a call that failed and that vkshare turned into a
   * typed error (an `ImportError` carries it in `driverReports`): it is recorded, not
   * counted among {@linkcode Instance.validationErrors}.
   */
  expected: boolean;
  /** Its kinds: general, validation, performance. */
  types: string[];
  /** The VUID or message id name, e.g. `VUID-vkAllocateMemory-pAllocateInfo-01714`. */
  id: string;
  /** The message id number. */
  idNumber: number;
  /** The text. */
  message: string;
  /** The objects it concerns. */
  objects: { type: number; handle: bigint; name: string | null }[];
}

/**
 * How validation reports.
 *
 * @example
 * ```ts
 * const v: ValidationOptions = { minSeverity: "error", onMessage: (m) => console.error(m.message) };
 * using instance = Instance.create({ validation: v });
 * ```
 *
 * @category Vulkan objects
 */
export interface ValidationOptions {
  /** Called for each message at or above `minSeverity` (default: warning). */
  onMessage?: (message: ValidationMessage) => void;
  /** The lowest severity reported and collected (default: `"warning"`). */
  minSeverity?: Severity;
}

/**
 * Options of {@linkcode Instance.create}.
 *
 * @example
 * ```ts
 * using instance = Instance.create({ applicationName: "my tool", validation: true });
 * ```
 *
 * @category Vulkan objects
 */
export interface InstanceOptions {
  /** The highest Vulkan version the script uses, e.g. `"1.3"` (default: the loader's, at most 1.4). */
  apiVersion?: string | number;
  /** The application name the driver sees (default `"vkshare"`). */
  applicationName?: string;
  /** Layers to enable. */
  layers?: readonly string[];
  /** Instance extensions to enable. */
  extensions?: readonly string[];
  /**
   * Enables the Khronos validation layer and a messenger: messages go to `onMessage` and are
   * collected in {@linkcode Instance.validationMessages}.
   */
  validation?: boolean | ValidationOptions;
}

/**
 * The Vulkan version the loader supports (`vkEnumerateInstanceVersion`), e.g. `1.3.239`.
 *
 * @example
 * ```ts
 * versionString(loaderVersion()); // "1.3.239"
 * ```
 *
 * @category Vulkan objects
 */
export function loaderVersion(): number {
  const f = vk().vkEnumerateInstanceVersion;
  if (!f) return makeVersion(1, 0);
  const v = out32();
  check(f(v), "vkEnumerateInstanceVersion");
  return v[0];
}

/**
 * The instance layers installed on this machine.
 *
 * @example
 * ```ts
 * availableLayers().some((l) => l.name === VALIDATION_LAYER);
 * ```
 *
 * @category Vulkan objects
 */
export function availableLayers(): { name: string; description: string; specVersion: string }[] {
  return enumerate(
    VkLayerProperties,
    "vkEnumerateInstanceLayerProperties",
    (n, out) => vk().vkEnumerateInstanceLayerProperties(n, out),
  ).map((l) => ({
    name: l.layerName,
    description: l.description,
    specVersion: versionString(l.specVersion),
  }));
}

/**
 * The instance extensions offered by the loader and drivers (or by `layer`).
 *
 * @example
 * ```ts
 * availableInstanceExtensions().includes("VK_EXT_debug_utils");
 * ```
 *
 * @category Vulkan objects
 */
export function availableInstanceExtensions(layer?: string): string[] {
  const name = layer === undefined ? null : cString(layer);
  return enumerate(
    VkExtensionProperties,
    "vkEnumerateInstanceExtensionProperties",
    (n, out) => vk().vkEnumerateInstanceExtensionProperties(name, n, out),
  ).map((e) => e.extensionName);
}

function parseVersion(v: string | number): number {
  if (typeof v === "number") return v;
  const m = v.match(/^(\d+)\.(\d+)(?:\.(\d+))?$/);
  if (!m) throw new RangeError(`apiVersion: ${JSON.stringify(v)} is not a version like "1.3"`);
  return makeVersion(Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
}

/** The API version to ask for (the loader's, up to 1.4, or `options.apiVersion`); the loader's 1.1 or later. */
function requestedApiVersion(options: InstanceOptions): number {
  const loader = loaderVersion();
  if (loader < makeVersion(1, 1)) {
    throw new Error(
      `the Vulkan loader is ${versionString(loader)}: vkshare needs Vulkan 1.1 or later`,
    );
  }
  return options.apiVersion === undefined
    ? Math.min(loader & ~0xfff, makeVersion(1, 4))
    : parseVersion(options.apiVersion);
}

/** Adds the validation layer and VK_EXT_debug_utils (a MissingExtensionError without the layer). */
function addValidation(layers: string[], extensions: string[]): void {
  const installed = availableLayers().map((l) => l.name);
  if (!installed.includes(VALIDATION_LAYER)) {
    throw new MissingExtensionError(
      VALIDATION_LAYER,
      "this machine",
      "offered",
      "install it, e.g. on Debian/Ubuntu: sudo apt-get install -y vulkan-validationlayers",
    );
  }
  if (!layers.includes(VALIDATION_LAYER)) layers.push(VALIDATION_LAYER);
  if (!extensions.includes(VK_EXT_debug_utils.name)) extensions.push(VK_EXT_debug_utils.name);
}

/** A failed vkCreateInstance as a VkError: where no driver could start, the likely causes. */
function instanceCreateFailed(r: number, details: Record<string, unknown>): never {
  if (r === VK_ERROR_INCOMPATIBLE_DRIVER || r === VK_ERROR_INITIALIZATION_FAILED) {
    const causes = instanceFailureCauses(diagnoseLoader(), instancesCreated);
    throw new VkError(
      "vkCreateInstance",
      r,
      details,
      `no Vulkan driver could start. Likely causes:\n${causes.map((c) => `  - ${c}`).join("\n")}`,
    );
  }
  check(r, "vkCreateInstance", details);
  throw new Error("unreachable: check throws for a negative result");
}

/**
 * A Vulkan instance.
 *
 * @example
 * ```ts
 * using instance = Instance.create({ validation: true });
 * for (const pd of instance.physicalDevices()) console.log(pd.name, pd.deviceUUID);
 * ```
 *
 * @category Vulkan objects
 */
export class Instance extends Resource {
  /** The VkInstance. */
  readonly handle: Pointer;
  /** The API version asked for. */
  readonly apiVersion: number;
  /** The enabled layers. */
  readonly layers: readonly string[];
  /** The enabled instance extensions. */
  readonly extensions: readonly string[];
  /** Validation messages at or above the chosen severity, in order (when validation is on). */
  readonly validationMessages: ValidationMessage[] = [];
  /** `"Instance"`, for messages. */
  readonly label: string = "Instance";

  #callback: Callback | undefined;
  #messenger = 0n;
  #debugUtils: ExtensionFunctions<typeof VK_EXT_debug_utils> | undefined;
  #physicalDevices: PhysicalDevice[] | undefined;
  #callbackError: unknown;
  #received = 0;

  /** @ignore Made by the class's own static methods. */
  private constructor(
    handle: Pointer,
    apiVersion: number,
    layers: string[],
    extensions: string[],
    callback: Callback | undefined,
  ) {
    super();
    this.handle = handle;
    this.apiVersion = apiVersion;
    this.layers = layers;
    this.extensions = extensions;
    this.#callback = callback;
  }

  /** Creates an instance. Throws a VkError naming a missing layer or extension. */
  static create(options?: InstanceOptions): Instance {
    options ??= {};
    const apiVersion = requestedApiVersion(options);
    const layers = [...(options.layers ?? [])];
    const extensions = [...(options.extensions ?? [])];
    const validation = options.validation === true ? {} : options.validation || undefined;
    if (validation) addValidation(layers, extensions);

    // The instance object exists before the callback can fire, so messages reach it; the
    // callback is wired to it right after construction.
    const box: { target?: Instance } = {};
    const early: ValidationMessage[] = [];
    const minBits = SEVERITY_BITS[validation?.minSeverity ?? "warning"];
    const callback = validation
      ? rt.callback(
        { parameters: ["u32", "u32", "pointer", "pointer"], result: "u32" } as const,
        (severity, types, data) => {
          try {
            const m = decodeMessage(severity, types, data);
            if (box.target) box.target.#report(m, validation);
            else early.push(m);
          } catch (e) {
            if (box.target) box.target.#callbackError ??= e;
          }
          return 0; // VK_FALSE: never abort the call
        },
      )
      : undefined;

    using arena = new Arena();
    const messengerInfo = callback
      ? {
        messageSeverity: Object.values(SEVERITY_BITS).filter((b) => b >= minBits)
          .reduce((a, b) => a | b, 0),
        messageType: TYPE_BITS.general | TYPE_BITS.validation | TYPE_BITS.performance,
        pfnUserCallback: callback.pointer,
      }
      : undefined;
    const info = encode(VkInstanceCreateInfo, {
      pNext: messengerInfo ? [link(VkDebugUtilsMessengerCreateInfoEXT, messengerInfo)] : [],
      pApplicationInfo: {
        pApplicationName: options.applicationName ?? "vkshare",
        pEngineName: "vkshare",
        apiVersion,
      },
      ppEnabledLayerNames: layers,
      ppEnabledExtensionNames: extensions,
    }, arena);
    const out = out64();
    const r = vk().vkCreateInstance(info.bytes, null, out);
    if (r < 0) {
      callback?.close();
      instanceCreateFailed(r, { apiVersion: versionString(apiVersion), layers, extensions });
    }
    instancesCreated++;
    const instance = new Instance(rt.pointer(out[0]), apiVersion, layers, extensions, callback);
    box.target = instance;
    for (const m of early) instance.#report(m, validation!);
    if (callback && messengerInfo) instance.#startMessenger(messengerInfo);
    return instance;
  }

  /** Creates the debug messenger that reports to this instance (disposing it on failure). */
  #startMessenger(
    info: { messageSeverity: number; messageType: number; pfnUserCallback: Pointer },
  ): void {
    try {
      const du = this.instanceExtension(VK_EXT_debug_utils);
      this.#debugUtils = du;
      const m = out64();
      using arena = new Arena();
      const mi = encode(VkDebugUtilsMessengerCreateInfoEXT, info, arena);
      check(
        du.vkCreateDebugUtilsMessengerEXT(this.handle, mi.bytes, null, m),
        "vkCreateDebugUtilsMessengerEXT",
      );
      this.#messenger = m[0];
    } catch (e) {
      this[Symbol.dispose]();
      throw e;
    }
  }

  #report(m: ValidationMessage, options: ValidationOptions): void {
    this.#received++;
    this.validationMessages.push(m);
    if (this.validationMessages.length > 10_000) this.validationMessages.shift();
    options.onMessage?.(m);
  }

  /** Whether validation is on. */
  get validation(): boolean {
    return this.#callback !== undefined;
  }

  /**
   * The collected messages of severity `error`, less the driver reports that vkshare expected
   * (made during a call whose failure it turned into a typed error).
   */
  get validationErrors(): ValidationMessage[] {
    return this.validationMessages.filter((m) => m.severity === "error" && !m.expected);
  }

  /** @ignore @internal How many messages have arrived so far: a mark for {@linkcode Instance.expectedSince}. */
  get messageMark(): number {
    return this.#received;
  }

  /**
   * @ignore @internal Marks the driver reports that arrived since `mark` as expected (the call they came
   * from failed, and vkshare reports that failure as a typed error) and returns them.
   */
  expectedSince(mark: number): ValidationMessage[] {
    const n = this.#received - mark;
    if (n <= 0) return [];
    const m = this.validationMessages;
    const since = m.slice(Math.max(0, m.length - n));
    const reports = since.filter((x) => x.source === "driver");
    for (const r of reports) r.expected = true;
    return reports;
  }

  /** Throws if the validation layers reported an error (or the message callback failed). */
  assertNoValidationErrors(): void {
    if (this.#callbackError) throw this.#callbackError;
    const errors = this.validationErrors;
    if (errors.length) {
      throw new Error(
        `validation reported ${errors.length} error(s):\n${
          errors.map((e) => `  ${e.id}: ${e.message}`).join("\n")
        }`,
      );
    }
  }

  /** Loads an instance extension's commands (it must be enabled). */
  instanceExtension<T extends ExtensionTable>(table: T): ExtensionFunctions<T> {
    this.alive();
    if (!this.extensions.includes(table.name)) {
      throw new MissingExtensionError(table.name, "the instance", "enabled");
    }
    return loadEnabledExtension(table, this.handle, "the instance");
  }

  /** The physical devices (GPUs and software drivers) this instance sees. */
  physicalDevices(): PhysicalDevice[] {
    this.alive();
    if (this.#physicalDevices) return this.#physicalDevices;
    const n = out32();
    check(vk().vkEnumeratePhysicalDevices(this.handle, n, null), "vkEnumeratePhysicalDevices");
    const handles = new BigUint64Array(new ArrayBuffer(8 * Math.max(1, n[0])));
    check(vk().vkEnumeratePhysicalDevices(this.handle, n, handles), "vkEnumeratePhysicalDevices");
    this.#physicalDevices = Array.from(
      handles.subarray(0, n[0]),
      (h, i) => new PhysicalDevice(this, rt.pointer(h), i),
    );
    return this.#physicalDevices;
  }

  /**
   * The physical device that is the GPU with `deviceUUID` (a UUID string, or anything with a
   * `deviceUUID`: an export's descriptor, a CUDA device's `uuid` given as a string). Pick the
   * importing device this way, not by index: with two GPUs, two processes can enumerate them in
   * different orders. A ShareError UUID_MISMATCH lists every device otherwise.
   *
   * @example
   * ```ts
   * const offer = await receiveOffer(socket);
   * using device = Device.create(instance.deviceFor(offer.memory!.descriptor));
   * ```
   */
  deviceFor(target: string | { deviceUUID: string; deviceName?: string }): PhysicalDevice {
    const uuid = typeof target === "string" ? target : target?.deviceUUID;
    if (typeof uuid !== "string") {
      throw new TypeError(
        `deviceFor: expected a deviceUUID or a descriptor, got ${String(target)}`,
      );
    }
    const all = this.physicalDevices();
    const pd = all.find((p) => p.deviceUUID === uuid);
    if (pd) return pd;
    const name = typeof target === "object" && target.deviceName ? ` ("${target.deviceName}")` : "";
    throw new ShareError(
      "UUID_MISMATCH",
      `no device here has deviceUUID ${uuid}${name}; this instance sees ${
        all.length ? all.map((p) => `${p.index} "${p.name}" (${p.deviceUUID})`).join(", ") : "none"
      }`,
      uuid,
      all.map((p) => p.deviceUUID),
    );
  }

  /** Destroys the messenger and the VkInstance; frees the callback. */
  protected destroy(): void {
    if (this.#messenger && this.#debugUtils) {
      this.#debugUtils.vkDestroyDebugUtilsMessengerEXT(this.handle, this.#messenger, null);
    }
    vk().vkDestroyInstance(this.handle, null);
    this.#callback?.close();
    this.#callback = undefined;
  }
}

/**
 * Who sent a messenger message with id name `id` and number `idNumber`: the validation layer's
 * carry a VUID or a message id name (`VUID-vkAllocateMemory-...`, `UNASSIGNED-...`) and a hash
 * for a number; a driver's own report has no id name, or its source location
 * (`../src/gallium/frontends/lavapipe/lvp_device.c:1799`, Mesa's vk_log) and number 0.
 *
 * @category Vulkan objects
 */
export function messageSource(id: string, idNumber: number): "layer" | "driver" {
  if (id === "") return "driver";
  return idNumber === 0 && /\.(c|cc|cpp|h|hpp)(:\d+)+$/.test(id) ? "driver" : "layer";
}

function decodeMessage(severity: number, types: number, data: Pointer): ValidationMessage {
  const d = readStructAt(VkDebugUtilsMessengerCallbackDataEXT, data);
  const sev = (Object.entries(SEVERITY_BITS) as [Severity, number][])
    .reduce<Severity>((acc, [name, bit]) => (severity & bit ? name : acc), "verbose");
  const id = d.pMessageIdName ?? "";
  return {
    severity: sev,
    source: messageSource(id, d.messageIdNumber),
    expected: false,
    types: Object.entries(TYPE_BITS).filter(([, b]) => types & b).map(([n]) => n),
    id,
    idNumber: d.messageIdNumber,
    message: d.pMessage ?? "",
    objects: d.pObjects.map((o) => ({
      type: o.objectType,
      handle: o.objectHandle,
      name: o.pObjectName,
    })),
  };
}

/**
 * One memory type.
 *
 * @example
 * ```ts
 * pd.memoryTypes.find((t) => t.flags.includes("HOST_VISIBLE"))?.index;
 * ```
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
 * @example
 * ```ts
 * for (const h of pd.memoryHeaps) console.log(h.index, h.size, h.flags);
 * ```
 *
 * @category Vulkan objects
 */
export interface MemoryHeapInfo {
  /** Its index. */
  index: number;
  /** Its size in bytes. */
  size: number;
  /** Its flags, by name. */
  flags: string[];
}

/**
 * One queue family.
 *
 * @example
 * ```ts
 * pd.queueFamilies.map((f) => `${f.index}: ${f.flags.join(", ")} x${f.queueCount}`);
 * ```
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
 * @example
 * ```ts
 * pd.limits.maxImageDimension2D; // 16384 on most GPUs
 * ```
 *
 * @category Vulkan objects
 */
export type DeviceLimits = Readonly<Record<string, number | bigint | boolean | number[]>>;

/**
 * The identity of a device across APIs and processes.
 *
 * @example
 * ```ts
 * const { deviceUUID, driverUUID } = pd.ids; // what an OPAQUE_FD import must match
 * ```
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

  /** @ignore @internal Made by {@linkcode Instance.physicalDevices}. */
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
  get minImportedHostPointerAlignment(): number | null {
    const a = this.#properties().host?.minImportedHostPointerAlignment;
    return a === undefined ? null : Number(a);
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
      size: Number(h.size),
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
