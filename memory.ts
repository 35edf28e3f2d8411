/**
 * `DeviceMemory`: exportable allocations, fd export (OPAQUE_FD, DMA_BUF) with a serialisable
 * descriptor, import into another VkDevice or process, host-pointer import, dedicated
 * allocations, and mapping as a Uint8Array.
 *
 * The drivers accept many invalid imports silently (../shared/DRIVERS.md): vkshare checks every
 * rule it can before the call, imports through a close-on-exec dup, and after a failed import
 * tells whether the device still allocates.
 *
 * @module
 */
import type { Bindable, DedicatedTarget } from "./_bindable.ts";
import { checkReceivedFd, type ExportKind, exportKindOf, learnExportKind } from "./_export_kind.ts";
import { Resource } from "./_resource.ts";
import { out64, outInt, positiveSize } from "./_vk.ts";
import { handleTypeMask } from "./buffer.ts";
import type { GpuBuffer } from "./buffer.ts";
import {
  externalBufferProperties,
  externalImageFormatProperties,
  type ExternalMemoryCapability,
} from "./capabilities.ts";
import type { Device } from "./device.ts";
import {
  enumValue,
  flagMask,
  flagNames,
  Format,
  type FormatName,
  ImageTiling,
  type ImageTilingName,
  MemoryHandleType,
  type MemoryHandleTypeName,
  MemoryProperty,
  type MemoryPropertyName,
} from "./enums.ts";
import { check, ImportError, ShareError, show } from "./errors.ts";
import {
  checkFdKind,
  consumeImported,
  ExportRegistry,
  fdSize,
  importableFd,
  importThroughDup,
  OwnedFd,
} from "./fd.ts";
import { Arena, encode, link } from "./ffi/layout.ts";
import { rt } from "./ffi/runtime.ts";
import type { Pointer } from "./ffi/types.ts";
import {
  VK_EXT_external_memory_dma_buf,
  VK_EXT_external_memory_host,
  VK_KHR_external_memory_fd,
} from "./ffi/vk_commands.ts";
import {
  VkExportMemoryAllocateInfo,
  VkImportMemoryFdInfoKHR,
  VkImportMemoryHostPointerInfoEXT,
  VkMemoryAllocateInfo,
  VkMemoryDedicatedAllocateInfo,
  VkMemoryFdPropertiesKHR,
  VkMemoryGetFdInfoKHR,
  VkMemoryHostPointerPropertiesEXT,
} from "./ffi/vk_structs.ts";
import { vk } from "./ffi/vulkan.ts";
import type { HostAllocation } from "./host.ts";
import type { GpuImage } from "./image.ts";

/**
 * The version of {@linkcode MemoryDescriptor} this vkshare writes and reads.
 *
 * @category Memory
 */
export const DESCRIPTOR_VERSION = 1;

/**
 * What an importer needs to know about exported memory, as plain JSON: produced by
 * {@linkcode DeviceMemory.exportFd}, checked by {@linkcode DeviceMemory.importFd}.
 *
 * @category Memory
 */
export interface MemoryDescriptor {
  /** {@linkcode DESCRIPTOR_VERSION}. */
  version: number;
  /** The handle type of the fd. */
  handleType: MemoryHandleTypeName;
  /** `allocationSize` in bytes. */
  size: number;
  /** The exporter's memory type index (an OPAQUE_FD import must use the same). */
  memoryTypeIndex: number;
  /** The property flags of that memory type, by name (informative). */
  memoryProperties: string[];
  /** The buffer or image the memory is dedicated to, or null for a plain allocation. */
  dedicated: DedicatedTarget | null;
  /** The exporting device's deviceUUID. */
  deviceUUID: string;
  /** The exporting device's driverUUID. */
  driverUUID: string;
  /** The exporting device's name (for messages). */
  deviceName: string;
  /** What the exported fd refers to (`memfd`, `/dev/nvidiactl`, `dmabuf`), when known. */
  fdKind?: string;
}

/**
 * An export: the fd (owned, closes on dispose unless handed on) and its descriptor.
 *
 * @category Memory
 */
export interface MemoryExport extends Disposable {
  /** The exported fd. */
  fd: OwnedFd;
  /** What an importer needs. */
  descriptor: MemoryDescriptor;
}

/**
 * Options of {@linkcode DeviceMemory.allocate}.
 *
 * @category Memory
 */
export interface AllocateOptions {
  /**
   * A buffer or image to allocate for and bind to: size, memory types and capability queries
   * come from it.
   */
  for?: GpuBuffer | GpuImage;
  /** Size in bytes (default: what `for` needs; required without it). */
  size?: number | bigint;
  /** Handle types it can be exported as (`VkExportMemoryAllocateInfo`); default none. */
  exportAs?: readonly MemoryHandleTypeName[] | MemoryHandleTypeName;
  /** Property flags the memory type must have (default none: the first allowed type). */
  properties?: readonly MemoryPropertyName[];
  /** An explicit memory type index (checked against what is allowed). */
  memoryTypeIndex?: number;
  /**
   * A dedicated allocation for `for` (default: when the driver or the capability requires it,
   * or the driver prefers it).
   */
  dedicated?: boolean;
}

/**
 * Options of {@linkcode DeviceMemory.importFd}.
 *
 * @category Memory
 */
export interface ImportOptions {
  /** A buffer or image to bind the imported memory to (required for dedicated exports). */
  for?: GpuBuffer | GpuImage;
  /**
   * The memory type (OPAQUE_FD: must equal the exporter's; DMA_BUF: must be among those
   * vkGetMemoryFdPropertiesKHR allows). Default: the descriptor's, or for DMA_BUF the first
   * allowed type with `properties`.
   */
  memoryTypeIndex?: number;
  /** DMA_BUF: property flags the chosen memory type must have. */
  properties?: readonly MemoryPropertyName[];
}

/**
 * Options of {@linkcode DeviceMemory.importHostPointer}.
 *
 * @category Memory
 */
export interface HostImportOptions {
  /** A buffer or image to bind it to (created with `external: "HOST_ALLOCATION"`). */
  for?: GpuBuffer | GpuImage;
  /** Property flags the memory type must have. */
  properties?: readonly MemoryPropertyName[];
}

// Exported fds still open in this process, to recognise a raw fd number given to an import.
const openExports = new ExportRegistry<MemoryDescriptor>();

/**
 * @internal The descriptor of the memory export that `fd` is (or is a dup of), while that
 * export's fd is open in this process.
 */
export function originOf(fd: OwnedFd | number): MemoryDescriptor | undefined {
  return openExports.originOf(fd);
}

/**
 * @internal Checks descriptor `d`, given with fd `n`, against `origin`, the descriptor of the
 * export that fd `n` is, on `keys`: each difference is the ShareError of its rule.
 */
export function checkOrigin(
  n: number,
  origin: MemoryDescriptor,
  d: MemoryDescriptor,
  keys: readonly ("handleType" | "size" | "memoryTypeIndex" | "dedicated")[],
): void {
  for (const k of keys) {
    const a = JSON.stringify(origin[k]), b = JSON.stringify(d[k]);
    if (a !== b) {
      throw new ShareError(
        k === "size"
          ? "SIZE_MISMATCH"
          : k === "dedicated"
          ? "DEDICATED_MISMATCH"
          : k === "memoryTypeIndex"
          ? "MEMORY_TYPE_MISMATCH"
          : "BAD_DESCRIPTOR",
        `fd ${n} was exported with ${k} ${a}, but the descriptor says ${b}`,
        origin[k],
        d[k],
      );
    }
  }
}

/**
 * What `device`'s own exports of `t` are: learned from its first export, or from a 4 KiB
 * exportable allocation made to find out. DMA_BUF is always a dma-buf. Null when the device
 * cannot export `t` (then only the kinds no driver blocks on are taken).
 */
function memoryExportKind(device: Device, t: "OPAQUE_FD" | "DMA_BUF"): ExportKind | null {
  if (t === "DMA_BUF") return { kind: "dmabuf", mesaDriverId: null };
  return exportKindOf(device, `memory:${t}`, () => {
    using m = DeviceMemory.allocate(device, { size: 4096, exportAs: t });
    m.exportFd(t)[Symbol.dispose]();
  });
}

/**
 * @internal How many memory exports of this process are remembered (each one's fd is open).
 *
 * @category Memory
 */
export function openExportCount(): number {
  return openExports.size;
}

/**
 * @internal Records an export made outside DeviceMemory (CUDA's), for {@linkcode originOf}.
 *
 * @category Memory
 */
export function recordExport(fd: OwnedFd, descriptor: MemoryDescriptor): void {
  openExports.record(fd, descriptor);
}

/** The memory type index to use: `explicit`, or the first of `bits` with all `wanted` flags. */
function chooseMemoryType(
  device: Device,
  bits: number,
  wanted: number,
  explicit: number | undefined,
  what: string,
): number {
  const types = device.physicalDevice.memoryTypes;
  const list = () =>
    types.filter((t) => (bits >>> t.index) & 1).map((t) => `${t.index} [${t.flags.join(", ")}]`)
      .join("; ") || "none";
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 0 || explicit >= types.length) {
      throw new RangeError(
        `memoryTypeIndex: ${explicit} is not a memory type of ${device.physicalDevice.name} (it has ${types.length})`,
      );
    }
    if (!((bits >>> explicit) & 1)) {
      throw new ShareError(
        "MEMORY_TYPE_NOT_ALLOWED",
        `memory type ${explicit} is not allowed for ${what}; allowed: ${list()}`,
        bits,
        explicit,
      );
    }
    if ((types[explicit].propertyFlags & wanted) !== wanted) {
      throw new ShareError(
        "NO_MEMORY_TYPE",
        `memory type ${explicit} lacks [${flagNames(MemoryProperty, wanted).join(", ")}]`,
        flagNames(MemoryProperty, wanted),
        types[explicit].flags,
      );
    }
    return explicit;
  }
  const t = types.find((t) => (bits >>> t.index) & 1 && (t.propertyFlags & wanted) === wanted);
  if (!t) {
    throw new ShareError(
      "NO_MEMORY_TYPE",
      `no memory type of ${device.physicalDevice.name} is allowed for ${what} and has [${
        flagNames(MemoryProperty, wanted).join(", ")
      }]; allowed: ${list()}`,
      flagNames(MemoryProperty, wanted),
      bits,
    );
  }
  return t.index;
}

/** The capability of handle type `t` for the resource (or a transfer buffer). */
function capabilityFor(
  device: Device,
  t: MemoryHandleTypeName,
  target: Bindable | undefined,
): ExternalMemoryCapability {
  const pd = device.physicalDevice;
  if (target && "info" in target) {
    const i = (target as GpuImage).info;
    const name = <T extends Record<string, number>>(table: T, v: number) =>
      Object.keys(table).find((k) => table[k] === v) as keyof T & string;
    return externalImageFormatProperties(pd, {
      handleType: t,
      format: name(Format, i.format) as FormatName,
      tiling: name(ImageTiling, i.tiling) as Exclude<ImageTilingName, "DRM_FORMAT_MODIFIER">,
      usage: i.usage,
      flags: i.flags,
    });
  }
  const b = target as GpuBuffer | undefined;
  return externalBufferProperties(pd, {
    handleType: t,
    usage: b?.usage ?? ["TRANSFER_SRC", "TRANSFER_DST"],
    flags: b?.flags ?? 0,
  });
}

function sameTarget(a: DedicatedTarget, b: DedicatedTarget): string | null {
  const fa = JSON.stringify(a), fb = JSON.stringify(b);
  if (fa === fb) return null;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const va = JSON.stringify((a as Record<string, unknown>)[k]);
    const vb = JSON.stringify((b as Record<string, unknown>)[k]);
    if (va !== vb) return `${k}: the export's is ${va}, this one's is ${vb}`;
  }
  return "they differ";
}

/** Allocates `info` on `device`; on failure, throws a VkError with `details`. */
function allocateRaw(
  device: Device,
  info: Uint8Array,
  details: Record<string, unknown>,
): bigint {
  const out = out64();
  check(vk().vkAllocateMemory(device.live, info, null, out), "vkAllocateMemory", details);
  return out[0];
}

/**
 * Allocates imported memory; when the driver refuses, throws an ImportError that says whether
 * the device still allocates.
 */
function allocateImport(
  device: Device,
  info: Uint8Array,
  details: Record<string, unknown>,
  memoryTypeIndex: number,
): bigint {
  const out = out64();
  const instance = device.physicalDevice.instance;
  const mark = instance.messageMark;
  const r = vk().vkAllocateMemory(device.live, info, null, out);
  if (r !== 0) {
    const reports = instance.expectedSince(mark);
    const still = canary(device, memoryTypeIndex);
    throw new ImportError("vkAllocateMemory", r, details, still, "allocates", reports);
  }
  return out[0];
}

/** A 4 KiB canary allocation: does the device still allocate? */
function canary(device: Device, memoryTypeIndex: number): boolean {
  using arena = new Arena();
  const info = encode(VkMemoryAllocateInfo, { allocationSize: 4096, memoryTypeIndex }, arena);
  const out = out64();
  const r = vk().vkAllocateMemory(device.handle, info.bytes, null, out);
  if (r !== 0) return false;
  vk().vkFreeMemory(device.handle, out[0], null);
  return true;
}

/**
 * A VkDeviceMemory: allocated (optionally exportable, optionally dedicated), or imported from an
 * fd or a host pointer. Dispose it (or its device) to free it.
 *
 * @example
 * ```ts
 * using buffer = GpuBuffer.create(device, { size: 65536, external: "OPAQUE_FD" });
 * using memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
 * using exp = memory.exportFd("OPAQUE_FD");
 * using other = GpuBuffer.create(device2, { size: 65536, external: "OPAQUE_FD" });
 * using imported = DeviceMemory.importFd(device2, exp.fd, exp.descriptor, { for: other });
 * ```
 *
 * @category Memory
 */
export class DeviceMemory extends Resource {
  /** The device. */
  readonly device: Device;
  /** The VkDeviceMemory. */
  readonly handle: bigint;
  /** `allocationSize` in bytes. */
  readonly size: bigint;
  /** Its memory type index. */
  readonly memoryTypeIndex: number;
  /** Handle types it can be exported as (0 when not exportable). */
  readonly exportHandleTypes: number;
  /** The handle type it was imported as, or null when it was allocated here. */
  readonly importedAs: number | null;
  /** The buffer or image it is dedicated to, or null. */
  readonly dedicatedTo: Bindable | null;
  /** `Memory 0x... (65536 bytes, type 2) of Device "..."`, for messages. */
  readonly label: string;
  #host: HostAllocation | ArrayBufferView | null;
  #mapped: { buffer: ArrayBuffer; bytes: Uint8Array } | null = null;

  private constructor(
    device: Device,
    handle: bigint,
    size: bigint,
    memoryTypeIndex: number,
    exportHandleTypes: number,
    importedAs: number | null,
    dedicatedTo: Bindable | null,
    host: HostAllocation | ArrayBufferView | null = null,
  ) {
    super();
    this.device = device;
    this.handle = handle;
    this.size = size;
    this.memoryTypeIndex = memoryTypeIndex;
    this.exportHandleTypes = exportHandleTypes;
    this.importedAs = importedAs;
    this.dedicatedTo = dedicatedTo;
    this.#host = host;
    if (host && "retain" in host) host.retain(this);
    this.label = `Memory 0x${handle.toString(16)} (${size} bytes, type ${memoryTypeIndex}${
      importedAs ? `, imported ${flagNames(MemoryHandleType, importedAs)[0]}` : ""
    }) of ${device.label}`;
    this.adopt(device);
  }

  /**
   * Allocates memory, exportable as `exportAs`, for (and bound to) `for` when given. The handle
   * types are checked against the capability query for that buffer or image; a dedicated
   * allocation is made when the capability or the driver requires it.
   */
  static allocate(device: Device, options: AllocateOptions): DeviceMemory {
    const target = options?.for;
    const pd = device.physicalDevice;
    device.assertAlive();
    checkTarget(device, target);
    const exportMask = handleTypeMask(options.exportAs, "exportAs");
    const wanted = flagMask(MemoryProperty, options.properties ?? [], "properties");
    const size = options.size !== undefined
      ? positiveSize(options.size, "size")
      : target
      ? target.requirements.size
      : positiveSize(options.size, "size");
    if (target && size < target.requirements.size) {
      throw new ShareError(
        "SIZE_MISMATCH",
        `${target.label} needs ${target.requirements.size} bytes; size is ${size}`,
        target.requirements.size,
        size,
      );
    }

    let dedicatedNeeded = target?.requirements.requiresDedicated ?? false;
    for (const t of flagNames(MemoryHandleType, exportMask) as MemoryHandleTypeName[]) {
      const cap = capabilityFor(device, t, target);
      if (!cap.exportable) {
        throw new ShareError(
          "HANDLE_TYPE_UNSUPPORTED",
          `${pd.name} cannot export ${t} memory${target ? ` for ${target.label}` : ""}${
            cap.unsupported ? ` (${cap.unsupported})` : cap.importable ? " (import only)" : ""
          }`,
          "exportable",
          cap,
        );
      }
      if (cap.dedicatedOnly) dedicatedNeeded = true;
      requireExternal(target, t);
      device.extension(VK_KHR_external_memory_fd);
    }
    const dedicated = options.dedicated
      ?? (dedicatedNeeded || (target?.requirements.prefersDedicated ?? false));
    if (dedicated && !target) {
      throw new ShareError("DEDICATED_REQUIRED", "a dedicated allocation needs `for`");
    }
    if (!dedicated && dedicatedNeeded) {
      throw new ShareError(
        "DEDICATED_REQUIRED",
        `${target!.label} needs a dedicated allocation (the driver or the handle type requires it)`,
      );
    }
    const bits = target ? target.requirements.memoryTypeBits : (1 << pd.memoryTypes.length) - 1;
    const type = chooseMemoryType(
      device,
      bits,
      wanted,
      options.memoryTypeIndex,
      target?.label ?? "this allocation",
    );

    using arena = new Arena();
    const chain = [];
    if (exportMask) chain.push(link(VkExportMemoryAllocateInfo, { handleTypes: exportMask }));
    if (dedicated) {
      const isImage = "info" in target!;
      chain.push(link(VkMemoryDedicatedAllocateInfo, {
        image: isImage ? target!.handle : 0n,
        buffer: isImage ? 0n : target!.handle,
      }));
    }
    const info = encode(VkMemoryAllocateInfo, {
      pNext: chain,
      allocationSize: size,
      memoryTypeIndex: type,
    }, arena);
    const handle = allocateRaw(device, info.bytes, {
      device: pd.name,
      size,
      memoryTypeIndex: type,
      exportAs: flagNames(MemoryHandleType, exportMask),
      dedicated,
    });
    const mem = new DeviceMemory(
      device,
      handle,
      size,
      type,
      exportMask,
      null,
      dedicated ? target! : null,
    );
    return bindOrFree(mem, target);
  }

  /**
   * Imports memory from an fd (OPAQUE_FD or DMA_BUF) described by `descriptor`, binding it to
   * `for` when given. Every rule vkshare can check is checked first (UUIDs, size, memory type,
   * dedicated target, that the fd is open, not consumed, and of the exporter's kind). On success
   * the fd is consumed (an {@linkcode OwnedFd} is marked so; a raw number is closed); on failure
   * the caller's fd is still open and usable, and an {@linkcode ImportError} says whether the
   * device still allocates.
   */
  static importFd(
    device: Device,
    fd: OwnedFd | number,
    descriptor: MemoryDescriptor,
    options: ImportOptions = {},
  ): DeviceMemory {
    const pd = device.physicalDevice;
    device.assertAlive();
    const d = checkDescriptor(descriptor);
    const t = d.handleType;
    const target = options.for;
    checkTarget(device, target);
    if (t !== "OPAQUE_FD" && t !== "DMA_BUF") {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `importFd takes OPAQUE_FD or DMA_BUF, not ${t}`,
        ["OPAQUE_FD", "DMA_BUF"],
        t,
      );
    }
    const cap = capabilityFor(device, t, target);
    if (!cap.importable) {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `${pd.name} cannot import ${t} memory${target ? ` for ${target.label}` : ""}${
          cap.unsupported ? ` (${cap.unsupported})` : ""
        }`,
        "importable",
        cap,
      );
    }
    const ext = device.extension(VK_KHR_external_memory_fd);
    if (t === "DMA_BUF") device.extension(VK_EXT_external_memory_dma_buf);
    if (t === "OPAQUE_FD") {
      const ids = pd.ids;
      if (ids.deviceUUID !== d.deviceUUID || ids.driverUUID !== d.driverUUID) {
        throw new ShareError(
          "UUID_MISMATCH",
          `OPAQUE_FD memory exported by "${d.deviceName}" (deviceUUID ${d.deviceUUID}, driverUUID ${d.driverUUID}) cannot be imported into "${pd.name}" (deviceUUID ${ids.deviceUUID}, driverUUID ${ids.driverUUID}): both UUIDs must match`,
          { deviceUUID: d.deviceUUID, driverUUID: d.driverUUID },
          { deviceUUID: ids.deviceUUID, driverUUID: ids.driverUUID },
        );
      }
    }

    // The fd: open, not consumed, and either an export of this process (then the descriptor
    // must be the export's) or of the kind this device's own exports are, whatever the
    // descriptor says (_export_kind.ts): the driver reads the fd, not the descriptor.
    const n = importableFd(fd);
    const origin = originOf(fd);
    if (origin) {
      checkOrigin(n, origin, d, ["handleType", "size", "memoryTypeIndex", "dedicated"]);
      checkFdKind(n, origin === descriptor ? undefined : d.fdKind, `${t} memory`, origin);
    } else {
      checkReceivedFd(n, memoryExportKind(device, t), `${t} memory`, d.size);
    }
    const fsize = origin ? null : fdSize(n);
    if (fsize !== null && fsize > 0n && fsize < BigInt(d.size)) {
      throw new ShareError(
        "SIZE_MISMATCH",
        `fd ${n} holds ${fsize} bytes, fewer than the descriptor's size ${d.size}`,
        d.size,
        fsize,
      );
    }

    // The memory type.
    let bits = target ? target.requirements.memoryTypeBits : (1 << pd.memoryTypes.length) - 1;
    let type: number;
    const what = target?.label ?? `the imported ${t} memory`;
    if (t === "OPAQUE_FD") {
      if (options.memoryTypeIndex !== undefined && options.memoryTypeIndex !== d.memoryTypeIndex) {
        throw new ShareError(
          "MEMORY_TYPE_MISMATCH",
          `an OPAQUE_FD import must use the exporter's memory type ${d.memoryTypeIndex}, not ${options.memoryTypeIndex}`,
          d.memoryTypeIndex,
          options.memoryTypeIndex,
        );
      }
      type = chooseMemoryType(device, bits, 0, d.memoryTypeIndex, what);
    } else {
      using arena = new Arena();
      const props = encode(VkMemoryFdPropertiesKHR, {}, arena);
      const r = ext.vkGetMemoryFdPropertiesKHR(
        device.live,
        MemoryHandleType.DMA_BUF,
        n,
        props.bytes,
      );
      check(r, "vkGetMemoryFdPropertiesKHR", { device: pd.name, handleType: t, fd: n });
      const fdBits = props.decode().memoryTypeBits;
      bits &= fdBits;
      type = chooseMemoryType(
        device,
        bits,
        flagMask(MemoryProperty, options.properties ?? [], "properties"),
        options.memoryTypeIndex ?? (options.properties ? undefined : d.memoryTypeIndex),
        `${what} (vkGetMemoryFdPropertiesKHR allows 0x${fdBits.toString(16)})`,
      );
    }

    // The dedicated target.
    if (d.dedicated) {
      if (!target) {
        throw new ShareError(
          "DEDICATED_MISMATCH",
          `the export is dedicated to a ${d.dedicated.kind}: import it with \`for\` set to a matching ${d.dedicated.kind}`,
          d.dedicated,
          null,
        );
      }
      const diff = sameTarget(d.dedicated, target.describe());
      if (diff) {
        throw new ShareError(
          "DEDICATED_MISMATCH",
          `${target.label} is not the export's dedicated target: ${diff}`,
          d.dedicated,
          target.describe(),
        );
      }
    } else if (target?.requirements.requiresDedicated) {
      throw new ShareError(
        "DEDICATED_MISMATCH",
        `${target.label} requires dedicated memory, but the export is a plain allocation`,
      );
    }
    requireExternal(target, t);
    if (target && target.requirements.size > BigInt(d.size)) {
      throw new ShareError(
        "SIZE_MISMATCH",
        `${target.label} needs ${target.requirements.size} bytes; the export has ${d.size}`,
        target.requirements.size,
        d.size,
      );
    }

    const details = {
      device: pd.name,
      handleType: t,
      fd: n,
      size: d.size,
      memoryTypeIndex: type,
      dedicated: d.dedicated?.kind ?? "no",
    };
    let handle = 0n;
    // A throw from the callback counts as a failure: the dup is cleaned up, the error goes on.
    importThroughDup(n, (dup) => {
      using arena = new Arena();
      const chain = [link(VkImportMemoryFdInfoKHR, { handleType: MemoryHandleType[t], fd: dup })];
      if (d.dedicated) {
        const isImage = d.dedicated.kind === "image";
        chain.push(link(VkMemoryDedicatedAllocateInfo, {
          image: isImage ? target!.handle : 0n,
          buffer: isImage ? 0n : target!.handle,
        }));
      }
      const info = encode(VkMemoryAllocateInfo, {
        pNext: chain,
        allocationSize: d.size,
        memoryTypeIndex: type,
      }, arena);
      handle = allocateImport(device, info.bytes, details, type);
      return true;
    });

    // The driver owns the dup now: the caller's fd is consumed.
    consumeImported(fd, `an import into ${device.label}`);

    const mem = new DeviceMemory(
      device,
      handle,
      BigInt(d.size),
      type,
      0,
      MemoryHandleType[t],
      d.dedicated ? target! : null,
    );
    return bindOrFree(mem, target);
  }

  /**
   * Imports host memory (VK_EXT_external_memory_host): a {@linkcode HostAllocation}, or any
   * ArrayBufferView whose address and length are multiples of the device's
   * `minImportedHostPointerAlignment`. The host memory is kept alive as long as this memory.
   */
  static importHostPointer(
    device: Device,
    host: HostAllocation | ArrayBufferView,
    options: HostImportOptions = {},
  ): DeviceMemory {
    const pd = device.physicalDevice;
    device.assertAlive();
    const ext = device.extension(VK_EXT_external_memory_host);
    const target = options.for;
    checkTarget(device, target);
    let pointer: Pointer;
    let size: bigint;
    let label: string;
    if (ArrayBuffer.isView(host)) {
      if (host.byteLength === 0) throw new RangeError("host: an empty view cannot be imported");
      pointer = rt.pointerOf(host);
      size = BigInt(host.byteLength);
      label = `${host.constructor.name} at 0x${rt.address(pointer).toString(16)}`;
    } else {
      pointer = host.pointer;
      size = host.size;
      label = host.label;
    }
    const address = rt.address(pointer);
    const align = pd.minImportedHostPointerAlignment ?? 4096n;
    if (address % align !== 0n || size % align !== 0n) {
      throw new ShareError(
        "ALIGNMENT",
        `${label}: address 0x${
          address.toString(16)
        } and size ${size} must both be multiples of ${pd.name}'s minImportedHostPointerAlignment ${align}`,
        align,
        { address, size },
      );
    }
    const cap = capabilityFor(device, "HOST_ALLOCATION", target);
    if (!cap.importable) {
      throw new ShareError(
        "HANDLE_TYPE_UNSUPPORTED",
        `${pd.name} cannot import HOST_ALLOCATION memory${
          cap.unsupported ? ` (${cap.unsupported})` : ""
        }`,
      );
    }
    requireExternal(target, "HOST_ALLOCATION");
    if (target && target.requirements.size > size) {
      throw new ShareError(
        "SIZE_MISMATCH",
        `${target.label} needs ${target.requirements.size} bytes; ${label} has ${size}`,
        target.requirements.size,
        size,
      );
    }
    using arena = new Arena();
    const props = encode(VkMemoryHostPointerPropertiesEXT, {}, arena);
    check(
      ext.vkGetMemoryHostPointerPropertiesEXT(
        device.live,
        MemoryHandleType.HOST_ALLOCATION,
        pointer,
        props.bytes,
      ),
      "vkGetMemoryHostPointerPropertiesEXT",
      { device: pd.name, address },
    );
    const hostBits = props.decode().memoryTypeBits;
    const bits = hostBits & (target?.requirements.memoryTypeBits ?? 0xffffffff);
    const type = chooseMemoryType(
      device,
      bits,
      flagMask(MemoryProperty, options.properties ?? [], "properties"),
      undefined,
      `${label} (vkGetMemoryHostPointerPropertiesEXT allows 0x${hostBits.toString(16)})`,
    );
    const info = encode(VkMemoryAllocateInfo, {
      pNext: [link(VkImportMemoryHostPointerInfoEXT, {
        handleType: MemoryHandleType.HOST_ALLOCATION,
        pHostPointer: address,
      })],
      allocationSize: size,
      memoryTypeIndex: type,
    }, arena);
    const handle = allocateImport(device, info.bytes, {
      device: pd.name,
      handleType: "HOST_ALLOCATION",
      address,
      size,
      memoryTypeIndex: type,
    }, type);
    const mem = new DeviceMemory(
      device,
      handle,
      size,
      type,
      0,
      MemoryHandleType.HOST_ALLOCATION,
      null,
      host,
    );
    return bindOrFree(mem, target);
  }

  /** The VkDeviceMemory, after checking it is alive. */
  get live(): bigint {
    this.alive();
    return this.handle;
  }

  /** The property flags of its memory type, by name. */
  get properties(): string[] {
    return this.device.physicalDevice.memoryTypes[this.memoryTypeIndex].flags;
  }

  /** The descriptor an importer needs for an export as `handleType`. */
  descriptor(handleType: MemoryHandleTypeName, fdKindName?: string): MemoryDescriptor {
    const pd = this.device.physicalDevice;
    const ids = pd.ids;
    return {
      version: DESCRIPTOR_VERSION,
      handleType,
      size: Number(this.size),
      memoryTypeIndex: this.memoryTypeIndex,
      memoryProperties: this.properties,
      dedicated: this.dedicatedTo ? this.dedicatedTo.describe() : null,
      deviceUUID: ids.deviceUUID,
      driverUUID: ids.driverUUID,
      deviceName: pd.name,
      ...(fdKindName ? { fdKind: fdKindName } : {}),
    };
  }

  /**
   * Exports the memory as a new fd (`vkGetMemoryFdKHR`): each call gives a new fd. The fd is
   * close-on-exec and closes on dispose unless an import consumes it or it is released.
   */
  exportFd(handleType: MemoryHandleTypeName = "OPAQUE_FD"): MemoryExport {
    const h = this.live;
    const t = enumValue(MemoryHandleType, handleType, "handleType");
    if (!(this.exportHandleTypes & t)) {
      throw new ShareError(
        "NOT_EXPORTABLE",
        `${this.label} was ${
          this.importedAs ? "imported" : "allocated"
        } without ${handleType} in exportAs (it is exportable as [${
          flagNames(MemoryHandleType, this.exportHandleTypes).join(", ")
        }])`,
        handleType,
        flagNames(MemoryHandleType, this.exportHandleTypes),
      );
    }
    const ext = this.device.extension(VK_KHR_external_memory_fd);
    using arena = new Arena();
    const info = encode(VkMemoryGetFdInfoKHR, { memory: h, handleType: t }, arena);
    const out = outInt();
    out[0] = -1;
    check(ext.vkGetMemoryFdKHR(this.device.live, info.bytes, out), "vkGetMemoryFdKHR", {
      device: this.device.physicalDevice.name,
      handleType,
      size: this.size,
    });
    if (out[0] < 0) {
      throw new ShareError(
        "BAD_EXPORT",
        `vkGetMemoryFdKHR returned VK_SUCCESS with fd ${out[0]} for ${this.label} (${handleType})`,
        ">= 0",
        out[0],
      );
    }
    const fd = OwnedFd.received(out[0], `${handleType} export of ${this.label}`);
    const kind = learnExportKind(this.device, `memory:${handleType}`, out[0]).kind;
    const descriptor = this.descriptor(handleType, kind);
    openExports.record(fd, descriptor);
    return { fd, descriptor, [Symbol.dispose]: () => fd.close() };
  }

  /**
   * Maps the whole memory and returns its bytes (cached: every call returns the same view).
   * The memory type must be host-visible and host-coherent. The view is detached when the memory
   * is unmapped or disposed, so it can never read unmapped memory.
   */
  map(): Uint8Array {
    const h = this.live;
    if (this.#mapped) return this.#mapped.bytes;
    const flags = this.device.physicalDevice.memoryTypes[this.memoryTypeIndex].propertyFlags;
    const need = MemoryProperty.HOST_VISIBLE | MemoryProperty.HOST_COHERENT;
    if ((flags & need) !== need) {
      throw new ShareError(
        "NOT_HOST_VISIBLE",
        `${this.label} is [${
          this.properties.join(", ")
        }]: map() needs HOST_VISIBLE and HOST_COHERENT memory (copy through a Transfer instead)`,
        ["HOST_VISIBLE", "HOST_COHERENT"],
        this.properties,
      );
    }
    if (this.size > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`${this.label} is too large to map`);
    }
    const out = out64();
    check(
      vk().vkMapMemory(
        this.device.live,
        h,
        0n,
        0xffff_ffff_ffff_ffffn,
        0,
        new Uint8Array(out.buffer),
      ),
      "vkMapMemory",
      { device: this.device.physicalDevice.name, size: this.size },
    );
    const buffer = rt.view(rt.pointer(out[0]), Number(this.size));
    this.#mapped = { buffer, bytes: new Uint8Array(buffer) };
    return this.#mapped.bytes;
  }

  /** Whether it is mapped. */
  get mapped(): boolean {
    return this.#mapped !== null;
  }

  /** Unmaps it (idempotent): the view returned by map() becomes detached (length 0). */
  unmap(): void {
    if (!this.#mapped) return;
    this.#mapped.buffer.transfer(0);
    this.#mapped = null;
    vk().vkUnmapMemory(this.device.handle, this.handle);
  }

  /** Unmaps, frees the memory, and releases the host allocation it was imported from. */
  protected destroy(): void {
    this.unmap();
    vk().vkFreeMemory(this.device.handle, this.handle, null);
    const host = this.#host;
    this.#host = null;
    if (host && "release" in host) host.release(this);
  }
}

function bindOrFree(mem: DeviceMemory, target: Bindable | undefined): DeviceMemory {
  if (!target) return mem;
  try {
    target.bind(mem);
  } catch (e) {
    mem[Symbol.dispose]();
    throw e;
  }
  return mem;
}

function requireExternal(target: Bindable | undefined, t: MemoryHandleTypeName): void {
  if (target && !(target.externalHandleTypes & MemoryHandleType[t])) {
    throw new ShareError(
      "NOT_EXTERNAL",
      `${target.label} was created with external handle types [${
        target.externalHandleTypeNames.join(", ")
      }], not ${t}`,
      t,
      target.externalHandleTypeNames,
    );
  }
}

function checkTarget(device: Device, target: Bindable | undefined): void {
  if (!target) return;
  target.assertAlive();
  if (target.device !== device) {
    throw new ShareError("WRONG_DEVICE", `${target.label} belongs to another device`);
  }
  if (target.memory) {
    throw new ShareError("ALREADY_BOUND", `${target.label} is already bound to memory`);
  }
}

/**
 * @internal Checks the shape of a memory descriptor given to an import (BAD_DESCRIPTOR).
 *
 * @category Memory
 */
export function checkDescriptor(given: MemoryDescriptor): MemoryDescriptor {
  const bad = (m: string) => new ShareError("BAD_DESCRIPTOR", m);
  if (given === null || typeof given !== "object") throw bad("descriptor: expected an object");
  if ("object" in given) {
    throw bad(`the descriptor is of a ${show(given.object)}, not of memory`);
  }
  // Each field is read once, into a plain copy that the checks and the driver call both use: a
  // getter cannot pass the checks with one value and hand the driver another.
  const dedicated = given.dedicated;
  let dedicatedCopy: DedicatedTarget | null = null;
  if (dedicated !== null && dedicated !== undefined) {
    try {
      dedicatedCopy = JSON.parse(JSON.stringify(dedicated));
    } catch {
      throw bad("descriptor.dedicated: not plain data");
    }
    if (dedicatedCopy === null || typeof dedicatedCopy !== "object") {
      throw bad(`descriptor.dedicated: expected an object or null, got ${show(dedicated)}`);
    }
  }
  const d: MemoryDescriptor = {
    version: given.version,
    handleType: given.handleType,
    size: given.size,
    memoryTypeIndex: given.memoryTypeIndex,
    memoryProperties: given.memoryProperties,
    dedicated: dedicatedCopy,
    deviceUUID: given.deviceUUID,
    driverUUID: given.driverUUID,
    deviceName: given.deviceName,
    ...(given.fdKind !== undefined ? { fdKind: given.fdKind } : {}),
  };
  if (d.version !== DESCRIPTOR_VERSION) {
    throw bad(
      `descriptor.version is ${show(d.version)}; this vkshare reads version ${DESCRIPTOR_VERSION}`,
    );
  }
  if (typeof d.handleType !== "string" || !Object.hasOwn(MemoryHandleType, d.handleType)) {
    throw bad(`descriptor.handleType: unknown ${show(d.handleType)}`);
  }
  if (!Number.isSafeInteger(d.size) || d.size <= 0) {
    throw new ShareError(
      "SIZE_MISMATCH",
      `descriptor.size must be a positive integer, got ${show(d.size)}`,
    );
  }
  if (!Number.isInteger(d.memoryTypeIndex) || d.memoryTypeIndex < 0) {
    throw bad(
      `descriptor.memoryTypeIndex must be a non-negative integer, got ${show(d.memoryTypeIndex)}`,
    );
  }
  if (typeof d.deviceUUID !== "string" || typeof d.driverUUID !== "string") {
    throw bad("descriptor.deviceUUID and driverUUID must be UUID strings");
  }
  if (typeof d.deviceName !== "string") {
    throw bad(`descriptor.deviceName: expected a string, got ${show(d.deviceName)}`);
  }
  if (d.fdKind !== undefined && typeof d.fdKind !== "string") {
    throw bad(`descriptor.fdKind: expected a string, got ${show(d.fdKind)}`);
  }
  return d;
}
