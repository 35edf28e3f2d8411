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
import {
  enumValue,
  type ExternalMemoryHandleTypeNVName,
  flagMask,
  flagNames,
  Format,
  type FormatName,
  handleTypeMask,
  ImageTiling,
  type ImageTilingName,
  MemoryHandleType,
  type MemoryHandleTypeName,
  MemoryProperty,
  type MemoryPropertyName,
} from "../core/enums.ts";
import { check, ImportError, ShareError, show, VkError } from "../core/errors.ts";
import { out64, positiveSize } from "../core/out_params.ts";
import { Resource } from "../core/resource.ts";
import {
  Arena,
  encode,
  encodeFlat,
  fastPaths,
  KeptStruct,
  type Link,
  link,
} from "../ffi/layout.ts";
import { detachView } from "../ffi/native_view.ts";
import { rt } from "../ffi/runtime.ts";
import type { Pointer } from "../ffi/types.ts";
import {
  VK_EXT_external_memory_dma_buf,
  VK_EXT_external_memory_host,
  VK_KHR_external_memory_fd,
  VK_KHR_external_memory_win32,
} from "../ffi/vk_commands.ts";
import {
  VkExportMemoryAllocateInfoNV,
  VkImportMemoryWin32HandleInfoKHR,
  VkMemoryGetWin32HandleInfoKHR,
  VkMemoryWin32HandlePropertiesKHR,
} from "../ffi/vk_platform_structs.ts";
import {
  VkExportMemoryAllocateInfo,
  VkImportMemoryFdInfoKHR,
  VkImportMemoryHostPointerInfoEXT,
  VkMemoryAllocateInfo,
  VkMemoryDedicatedAllocateInfo,
  VkMemoryFdPropertiesKHR,
  VkMemoryGetFdInfoKHR,
  VkMemoryHostPointerPropertiesEXT,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { type AllocateResult, planAllocate, planHostImport } from "../share/allocate_plan.ts";
import {
  externalBufferProperties,
  externalImageFormatProperties,
  type ExternalMemoryCapability,
} from "../share/capabilities.ts";
import {
  type DedicatedTarget,
  DESCRIPTOR_VERSION,
  type MemoryDescriptor,
} from "../share/descriptor.ts";
import type { ExportFacts, MemoryExport } from "../share/execute.ts";
import { executeImport, finishExport } from "../share/execute.ts";
import { OwnedFd } from "../share/fd.ts";
import { type ExportKind, exportKindOf } from "../share/fd_kind.ts";
import {
  finishWin32Export,
  type MemoryWin32HandleTypeName,
  type OwnedHandle,
  type Win32Export,
  win32Fields,
  win32KindOf,
  type Win32Source,
  win32Source,
} from "../share/handle.ts";
import {
  type ImporterFacts,
  type ImportPlan,
  knownPlan,
  type MemoryTargetFacts,
  type PlanCacheKey,
  planImport,
  planOrThrow,
  type PlanResult,
  vulkanImporter,
} from "../share/plan.ts";
import type { Device } from "../vulkan/device.ts";
import type { HostAllocation } from "./host_allocation.ts";
import { keptAllocation, type PlannedAllocation } from "./known_allocations.ts";
import { nvHandleTypeMask, requireNV } from "./nv.ts";

/**
 * What memory is allocated for, imported for, or dedicated to: a buffer or an image
 * (`GpuBuffer`, `GpuImage`), as the memory sees it.
 *
 * @example
 * ```ts
 * const t: MemoryTarget = buffer; // a GpuBuffer or GpuImage, as memory sees it
 * DeviceMemory.allocate(device, { for: t });
 * ```
 *
 * @category Memory
 */
export interface MemoryTarget {
  /** Its device. */
  readonly device: Device;
  /** The VkBuffer or VkImage. */
  readonly handle: bigint;
  /** For messages. */
  readonly label: string;
  /** What it needs of its memory. */
  readonly requirements: {
    size: number;
    memoryTypeBits: number;
    requiresDedicated: boolean;
    prefersDedicated: boolean;
  };
  /** The external handle types it was created with, by name. */
  readonly externalHandleTypeNames: readonly string[];
  /** The memory it is bound to, or null. */
  readonly memory: unknown;
  /** Throws when it was disposed. */
  assertAlive(): void;
  /** Its plain description (what a dedicated export names). */
  describe(): DedicatedTarget;
  /** Binds it to `memory`. */
  bind(memory: DeviceMemory): void;
  /** Why it cannot have a dedicated allocation, where it cannot (a plane of a disjoint image). */
  readonly noDedicated?: string;
  /** Why it is not bound to one memory as a whole, where it is not (a disjoint image). */
  readonly boundPerPlane?: string;
}

/**
 * Options of {@linkcode DeviceMemory.allocate}.
 *
 * @example
 * ```ts
 * DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD", properties: ["DEVICE_LOCAL"] });
 * ```
 *
 * @category Memory
 */
export interface AllocateOptions {
  /**
   * A buffer or image to allocate for and bind to: size, memory types and capability queries
   * come from it.
   */
  for?: MemoryTarget;
  /** Size in bytes (default: what `for` needs; required without it). */
  size?: number | bigint;
  /** Handle types it can be exported as (`VkExportMemoryAllocateInfo`); default none. */
  exportAs?: readonly MemoryHandleTypeName[] | MemoryHandleTypeName;
  /**
   * VK_NV_external_memory's handle types it can be exported as (`VkExportMemoryAllocateInfoNV`;
   * older NVIDIA drivers, Windows). The device must have VK_NV_external_memory enabled; not with
   * `exportAs`.
   */
  exportAsNV?: readonly ExternalMemoryHandleTypeNVName[] | ExternalMemoryHandleTypeNVName;
  /**
   * Property flags the memory type must have. Default: the first allowed DEVICE_LOCAL type, or
   * the first allowed type where none is device-local; `[]`: the first allowed type.
   */
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
 * @example
 * ```ts
 * DeviceMemory.importFd(device, fd, descriptor, { for: buffer, memoryTypeIndex: descriptor.memoryTypeIndex });
 * ```
 *
 * @category Memory
 */
export interface ImportOptions {
  /** A buffer or image to bind the imported memory to (required for dedicated exports). */
  for?: MemoryTarget;
  /**
   * The memory type (OPAQUE_FD: must equal the exporter's; DMA_BUF: must be among those
   * vkGetMemoryFdPropertiesKHR allows). Default: the descriptor's, or for DMA_BUF the first
   * allowed type with `properties`.
   */
  memoryTypeIndex?: number;
  /** DMA_BUF: property flags the chosen memory type must have. */
  properties?: readonly MemoryPropertyName[];
  /**
   * Handle types the imported memory can be exported as again (to pass it on: a relay process),
   * among the driver's `exportFromImportedHandleTypes` for the import's handle type
   * (HANDLE_TYPE_UNSUPPORTED otherwise).
   */
  exportAs?: readonly MemoryHandleTypeName[] | MemoryHandleTypeName;
}

/**
 * Options of {@linkcode DeviceMemory.importHostPointer}.
 *
 * @example
 * ```ts
 * DeviceMemory.importHostPointer(device, host, { for: buffer, properties: ["HOST_COHERENT"] });
 * ```
 *
 * @category Memory
 */
export interface HostImportOptions {
  /** A buffer or image to bind it to (created with `external: "HOST_ALLOCATION"`). */
  for?: MemoryTarget;
  /** Property flags the memory type must have. */
  properties?: readonly MemoryPropertyName[];
}

// The out-parameter of vkGetMemoryFdKHR, read right after each call (nothing runs between).
const fdOut = new Int32Array(new ArrayBuffer(4));

/** The capability of handle type `t` for `target` (none: a transfer buffer). */
function capabilityFor(
  device: Device,
  t: MemoryHandleTypeName,
  target: MemoryTarget | undefined,
): ExternalMemoryCapability {
  const pd = device.physicalDevice;
  const d = target?.describe();
  if (d?.kind === "image") {
    const name = <T extends Record<string, number>>(table: T, v: number) =>
      Object.keys(table).find((k) => table[k] === v) as keyof T & string;
    return externalImageFormatProperties(pd, {
      handleType: t,
      format: name(Format, d.format) as FormatName,
      tiling: name(ImageTiling, d.tiling) as ImageTilingName,
      usage: d.usage,
      flags: d.flags,
      // A DRM_FORMAT_MODIFIER image is asked about with the modifier it was created with.
      ...(d.drmFormatModifier !== undefined ? { drmFormatModifier: d.drmFormatModifier } : {}),
    });
  }
  return externalBufferProperties(pd, {
    handleType: t,
    usage: d?.usage ?? ["TRANSFER_SRC", "TRANSFER_DST"],
    flags: d?.flags ?? 0,
  });
}

/**
 * What the import plan needs to know of `device` as an importer of memory for `target`. What its
 * own exports are is learned from its first export, or from a 4 KiB exportable allocation made to
 * find out (null when it cannot export them).
 */
function importerFacts(device: Device, target: MemoryTarget | undefined): ImporterFacts {
  const pd = device.physicalDevice;
  return {
    ...vulkanImporter(pd),
    capability: (t) =>
      capabilityFor(device, t as MemoryHandleTypeName, target) as {
        importable: boolean;
        unsupported?: string;
        exportFromImportedHandleTypes: string[];
      },
    exportKind: (key): ExportKind | null =>
      exportKindOf(device, key, () => {
        const t = key.slice("memory:".length) as MemoryHandleTypeName;
        using m = DeviceMemory.allocate(device, { size: 4096, exportAs: t });
        m.exportFd(t)[Symbol.dispose]();
      }),
    memoryTypes: pd.memoryTypes,
    fdMemoryTypeBits: (n) => {
      const ext = device.extension(VK_KHR_external_memory_fd);
      using arena = new Arena();
      const props = encode(VkMemoryFdPropertiesKHR, {}, arena);
      const r = ext.vkGetMemoryFdPropertiesKHR(
        device.live,
        MemoryHandleType.DMA_BUF,
        n,
        props.bytes,
      );
      check(r, "vkGetMemoryFdPropertiesKHR", { device: pd.name, handleType: "DMA_BUF", fd: n });
      return props.decode().memoryTypeBits;
    },
    win32MemoryTypeBits: (t, handle) => {
      const ext = device.extension(VK_KHR_external_memory_win32);
      using arena = new Arena();
      const props = encode(VkMemoryWin32HandlePropertiesKHR, {}, arena);
      const r = ext.vkGetMemoryWin32HandlePropertiesKHR(
        device.live,
        MemoryHandleType[t as MemoryHandleTypeName],
        rt.pointer(handle),
        props.bytes,
      );
      check(r, "vkGetMemoryWin32HandlePropertiesKHR", {
        device: pd.name,
        handleType: t,
        handle: `0x${handle.toString(16)}`,
      });
      return props.decode().memoryTypeBits;
    },
  };
}

/** What the import plan needs to know of the buffer or image imported memory is bound to. */
function targetFacts(device: Device, target: MemoryTarget): MemoryTargetFacts {
  target.assertAlive();
  wholeTarget(target);
  return {
    label: target.label,
    sameDevice: target.device === device,
    bound: target.memory !== null,
    description: target.describe(),
    requirements: target.requirements,
    externalHandleTypes: target.externalHandleTypeNames,
    ...(target.noDedicated ? { noDedicated: target.noDedicated } : {}),
  };
}

/**
 * A memory handle from an allocation the driver said succeeded: EMPTY_REQUIREMENT where it is
 * null (no memory to bind, map or free).
 *
 * @example
 * ```ts
 * const memory = allocatedHandle(out[0], "vkAllocateMemory");
 * ```
 */
export function allocatedHandle(handle: bigint, call: string): bigint {
  if (handle !== 0n) return handle;
  throw new ShareError(
    "EMPTY_REQUIREMENT",
    `${call} returned VK_SUCCESS and no memory handle: there is no memory to bind`,
    "a handle",
    0n,
  );
}

/** Allocates `info` on `device`; on failure, throws a VkError with `details()`. */
function allocateRaw(
  device: Device,
  info: Uint8Array,
  details: () => Record<string, unknown>,
): bigint {
  const out = handleOut;
  const r = vk().vkAllocateMemory(device.live, info, null, out);
  if (r < 0) throw new VkError("vkAllocateMemory", r, details());
  return allocatedHandle(out[0], "vkAllocateMemory");
}

// The out-parameter of vkAllocateMemory and vkMapMemory, read right after each call (nothing
// runs between).
const handleOut = new BigUint64Array(new ArrayBuffer(8));
const handleOutBytes = new Uint8Array(handleOut.buffer);
const WHOLE_SIZE = 0xffff_ffff_ffff_ffffn;

/** What a DeviceMemory keeps of its exports as one handle type. */
type ExportCache = {
  info: Uint8Array;
  facts?: ExportFacts<MemoryDescriptor>;
  descriptor?: MemoryDescriptor;
};

/** Plans an allocation, throwing the rules it breaks: its plan, handle types and info encoder. */
function planned(device: Device, options: AllocateOptions): PlannedAllocation {
  const { result, exportMask, nvMask } = planAllocation(device, options);
  const plan = planOrThrow(result);
  if (exportMask) device.extension(VK_KHR_external_memory_fd);
  const target = plan.dedicated ? options.for! : null;
  return {
    plan,
    exportMask,
    encode: (a) => allocateInfo(plan.size, plan.memoryTypeIndex, exportMask, nvMask, target, a),
  };
}

/**
 * VkMemoryAllocateInfo with its links, encoded into `arena`: what it imports (`imports`), the
 * handle types it is exportable as (KHR, NV), and the target it is dedicated to.
 */
function allocateInfo(
  size: bigint | number,
  type: number,
  exportMask: number,
  nvMask: number,
  dedicatedTo: MemoryTarget | null,
  arena: Arena,
  imports?: Link<"VkMemoryAllocateInfo">,
): Uint8Array {
  const chain = imports ? [imports] : [];
  if (exportMask) chain.push(link(VkExportMemoryAllocateInfo, { handleTypes: exportMask }));
  if (nvMask) chain.push(link(VkExportMemoryAllocateInfoNV, { handleTypes: nvMask }));
  if (dedicatedTo) {
    const isImage = "info" in dedicatedTo;
    chain.push(link(VkMemoryDedicatedAllocateInfo, {
      image: isImage ? dedicatedTo.handle : 0n,
      buffer: isImage ? 0n : dedicatedTo.handle,
    }));
  }
  return encode(VkMemoryAllocateInfo, {
    pNext: chain,
    allocationSize: size,
    memoryTypeIndex: type,
  }, arena).bytes;
}

/**
 * Allocates imported memory; when the driver refuses, throws an ImportError that says whether
 * the device still allocates.
 */
function allocateImport(
  device: Device,
  info: Uint8Array,
  details: () => Record<string, unknown>,
  memoryTypeIndex: number,
): bigint {
  const out = handleOut;
  const instance = device.physicalDevice.instance;
  const mark = instance.messageMark;
  const r = vk().vkAllocateMemory(device.live, info, null, out);
  if (r !== 0) {
    const reports = instance.expectedSince(mark);
    const still = canary(device, memoryTypeIndex);
    throw new ImportError("vkAllocateMemory", r, details(), still, "allocates", reports);
  }
  return allocatedHandle(out[0], "vkAllocateMemory (an import)");
}

/**
 * Allocates memory imported as `plan` says (its size, memory type and dedicated target; made
 * exportable again as `again`), `imports` (the VkImportMemory*Info) chained.
 */
function allocatePlanned(
  device: Device,
  plan: ImportPlan,
  again: number,
  target: MemoryTarget | undefined,
  imports: Link<"VkMemoryAllocateInfo">,
  details: () => Record<string, unknown>,
): bigint {
  using arena = new Arena();
  const info = allocateInfo(
    plan.size,
    plan.memoryTypeIndex,
    again,
    0,
    plan.dedicated ? target! : null,
    arena,
    imports,
  );
  return allocateImport(device, info, details, plan.memoryTypeIndex);
}

/** What an ImportError of an import planned as `plan` says; `source` names what was imported. */
function importDetails(
  device: Device,
  plan: ImportPlan,
  source: Record<string, unknown>,
): () => Record<string, unknown> {
  return () => ({
    device: device.physicalDevice.name,
    handleType: plan.handleType,
    ...source,
    size: plan.size,
    memoryTypeIndex: plan.memoryTypeIndex,
    dedicated: plan.dedicated ?? "no",
  });
}

/**
 * The plan cache's key of an import into `device` with `options`: only for one with no target
 * and no options (the plan of any other can change, or depends on more than the descriptor).
 */
function plainImportKey(device: Device, options: ImportOptions): PlanCacheKey | undefined {
  for (const k in options) {
    if ((options as Record<string, unknown>)[k] !== undefined) return undefined;
  }
  return { importer: device, variant: "memory" };
}

// The kept VkMemoryAllocateInfo → VkImportMemoryFdInfoKHR of plain fd imports (no dedicated
// target, not exportable again), per device: only the size, type, handle type and fd change.
const plainImports = new WeakMap<
  Device,
  { info: KeptStruct<typeof VkMemoryAllocateInfo>; fd: KeptStruct<typeof VkImportMemoryFdInfoKHR> }
>();

function plainImportInfo(
  device: Device,
  size: number,
  type: number,
  handleType: number,
  fd: number,
): Uint8Array {
  let kept = fastPaths.enabled ? plainImports.get(device) : undefined;
  if (!kept) {
    const fdInfo = new KeptStruct(VkImportMemoryFdInfoKHR, { handleType, fd });
    const info = new KeptStruct(VkMemoryAllocateInfo, { allocationSize: 0n, memoryTypeIndex: 0 });
    info.setU64("pNext", fdInfo.address);
    plainImports.set(device, kept = { info, fd: fdInfo });
  }
  kept.info.setU64("allocationSize", BigInt(size));
  kept.info.setI32("memoryTypeIndex", type);
  kept.fd.setI32("handleType", handleType);
  kept.fd.setI32("fd", fd);
  return kept.info.bytes;
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
  readonly size: number;
  /** Its memory type index. */
  readonly memoryTypeIndex: number;
  /** Handle types it can be exported as (0 when not exportable). */
  readonly exportHandleTypes: number;
  /** The handle type it was imported as, or null when it was allocated here. */
  readonly importedAs: number | null;
  /** The buffer or image it is dedicated to, or null. */
  readonly dedicatedTo: MemoryTarget | null;
  #label: string | undefined;
  #host: HostAllocation | ArrayBufferView | null;
  #mapped: { pointer: Pointer; buffer: ArrayBuffer; bytes: Uint8Array } | null = null;
  // Per handle type: its VkMemoryGetFdInfoKHR, encoded once (the memory and the handle type never
  // change), and the descriptor of its exports (frozen plain data, the same for each export).
  // Made with the first export (most imported memory is never exported again).
  #exports: Map<number, ExportCache> | undefined;

  /** @ignore Made by the class's own static methods. */
  private constructor(
    device: Device,
    handle: bigint,
    size: bigint,
    memoryTypeIndex: number,
    exportHandleTypes: number,
    importedAs: number | null,
    dedicatedTo: MemoryTarget | null,
    host: HostAllocation | ArrayBufferView | null = null,
  ) {
    super();
    this.device = device;
    this.handle = handle;
    this.size = Number(size);
    this.memoryTypeIndex = memoryTypeIndex;
    this.exportHandleTypes = exportHandleTypes;
    this.importedAs = importedAs;
    this.dedicatedTo = dedicatedTo;
    this.#host = host;
    if (host && "retain" in host) host.retain(this);

    this.adopt(device);
  }

  /**
   * Plans an allocation without allocating: the plan, or every rule
   * {@linkcode DeviceMemory.allocate} would refuse it for (SIZE_MISMATCH, HANDLE_TYPE_UNSUPPORTED,
   * NOT_EXTERNAL, DEDICATED_REQUIRED, DEDICATED_MISMATCH, NO_MEMORY_TYPE, ...), each with its
   * expected and actual values: "why was my allocation refused?" in one answer.
   *
   * @example
   * ```ts
   * const r = DeviceMemory.planAllocate(device, { for: buffer, exportAs: "DMA_BUF" });
   * if (!r.ok) for (const b of r.broken) console.log(b.rule, b.message);
   * ```
   */
  static planAllocate(device: Device, options: AllocateOptions): AllocateResult {
    return planAllocation(device, options).result;
  }

  /**
   * Allocates memory, exportable as `exportAs`, for (and bound to) `for` when given. The rules
   * are {@linkcode DeviceMemory.planAllocate}'s: the handle types are checked against the
   * capability query for that buffer or image, and a dedicated allocation is made when the
   * capability or the driver requires it.
   */
  static allocate(device: Device, options: AllocateOptions): DeviceMemory {
    const target = options?.for;
    using arena = new Arena();
    let known = keptAllocation(device, options, planned);
    if (!known) {
      const p = planned(device, options);
      known = { plan: p.plan, exportMask: p.exportMask, info: p.encode(arena) };
    }
    const { plan, exportMask, info } = known;
    const { size, memoryTypeIndex: type, dedicated } = plan;
    const handle = allocateRaw(device, info, () => ({
      device: device.physicalDevice.name,
      size,
      memoryTypeIndex: type,
      exportAs: flagNames(MemoryHandleType, exportMask),
      dedicated,
    }));
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
   * Plans an import of `fd` (null: none, and the fd's own rules are not judged) described by
   * `descriptor` into `device`, without importing anything: the plan, or every rule
   * {@linkcode DeviceMemory.importFd} would refuse it for, with expected and actual values.
   *
   * @example
   * ```ts
   * const r = DeviceMemory.planImport(device, null, JSON.parse(text));
   * if (!r.ok) for (const b of r.broken) console.log(b.rule, b.message);
   * ```
   */
  static planImport(
    device: Device,
    fd: OwnedFd | number | null,
    descriptor: unknown,
    options?: ImportOptions,
  ): PlanResult {
    options ??= {};
    device.assertAlive();
    const target = options.for;
    const key = plainImportKey(device, options);
    return planImport({
      object: "memory",
      importer: importerFacts(device, target),
      ...(key && fd !== null ? { cacheAs: key } : {}),
      ...(target ? { target: targetFacts(device, target) } : {}),
      fd,
      descriptor,
      options,
      withoutFd: fd === null,
    });
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
    options?: ImportOptions,
  ): DeviceMemory {
    // null plans without an fd (planImport, the doctor's mode); an import always has one.
    options ??= {};
    if (!(fd instanceof OwnedFd) && typeof fd !== "number") {
      throw new TypeError(
        `importFd: expected an OwnedFd or an fd number, got ${
          show(fd)
        } (DeviceMemory.planImport(device, null, descriptor) plans without an fd)`,
      );
    }
    const target = options.for;
    // An import with no target and no options, of a vkshare export it was planned for before:
    // only the fd's state is checked again (knownPlan).
    const key = plainImportKey(device, options);
    const plan = (key && knownPlan(key, fd, descriptor))
      || planOrThrow(DeviceMemory.planImport(device, fd, descriptor, options));
    const t = plan.handleType as "OPAQUE_FD" | "DMA_BUF";
    device.extension(VK_KHR_external_memory_fd);
    if (t === "DMA_BUF") device.extension(VK_EXT_external_memory_dma_buf);
    const details = importDetails(device, plan, { fd: plan.fd });
    const again = handleTypeMask(options.exportAs, "exportAs");
    const handle = executeImport(fd, plan, device.label, (dup) => {
      if (!plan.dedicated && !again) {
        const info = plainImportInfo(
          device,
          plan.size,
          plan.memoryTypeIndex,
          MemoryHandleType[t],
          dup,
        );
        return allocateImport(device, info, details, plan.memoryTypeIndex);
      }
      const imports = link(VkImportMemoryFdInfoKHR, { handleType: MemoryHandleType[t], fd: dup });
      return allocatePlanned(device, plan, again, target, imports, details);
    });
    return DeviceMemory.#imported(device, handle, plan, again, target);
  }

  /** The DeviceMemory of an import planned as `plan`, bound to `target` (freed if that fails). */
  static #imported(
    device: Device,
    handle: bigint,
    plan: ImportPlan,
    again: number,
    target: MemoryTarget | undefined,
  ): DeviceMemory {
    const mem = new DeviceMemory(
      device,
      handle,
      BigInt(plan.size),
      plan.memoryTypeIndex,
      again,
      MemoryHandleType[plan.handleType as MemoryHandleTypeName],
      plan.dedicated ? target! : null,
    );
    return bindOrFree(mem, target);
  }

  /**
   * Imports memory from a Windows handle (VK_KHR_external_memory_win32) described by
   * `descriptor`: an {@linkcode OwnedHandle} (or `{ handle }`), or `{ name }` for an NT handle
   * type's named object; bound to `for` when given. The same rules as {@linkcode importFd} are
   * checked first (UUIDs for the opaque types, size, memory type, dedicated target), and the
   * source's own (WIN32_HANDLE). The handle is not consumed: it stays the caller's to close. A
   * device without VK_KHR_external_memory_win32 refuses with a MissingExtensionError.
   */
  static importWin32(
    device: Device,
    source: OwnedHandle | Win32Source,
    descriptor: MemoryDescriptor,
    options?: ImportOptions,
  ): DeviceMemory {
    options ??= {};
    device.assertAlive();
    // Without the extension, a MissingExtensionError names it before any rule is judged.
    device.extension(VK_KHR_external_memory_win32);
    const target = options.for;
    const win32 = win32Source(source);
    const plan = planOrThrow(planImport({
      object: "memory",
      importer: importerFacts(device, target),
      ...(target ? { target: targetFacts(device, target) } : {}),
      fd: null,
      descriptor,
      options,
      win32,
    }));
    const t = plan.handleType as MemoryWin32HandleTypeName;
    const again = handleTypeMask(options.exportAs, "exportAs");
    const { handle: h, name, shown } = win32Fields(win32);
    const imports = link(VkImportMemoryWin32HandleInfoKHR, {
      handleType: MemoryHandleType[t],
      handle: h,
      name,
    });
    const handle = allocatePlanned(
      device,
      plan,
      again,
      target,
      imports,
      importDetails(device, plan, shown),
    );
    return DeviceMemory.#imported(device, handle, plan, again, target);
  }

  /**
   * Plans a host-pointer import without importing: the plan, or every rule
   * {@linkcode DeviceMemory.importHostPointer} would refuse it for (ALIGNMENT,
   * HANDLE_TYPE_UNSUPPORTED, NOT_EXTERNAL, SIZE_MISMATCH, NO_MEMORY_TYPE, ...).
   *
   * @example
   * ```ts
   * const r = DeviceMemory.planHostImport(device, new Uint8Array(100));
   * if (!r.ok) console.log(r.broken[0].rule); // ALIGNMENT
   * ```
   */
  static planHostImport(
    device: Device,
    host: HostAllocation | ArrayBufferView,
    options?: HostImportOptions,
  ): AllocateResult {
    options ??= {};
    const pd = device.physicalDevice;
    device.assertAlive();
    const ext = device.extension(VK_EXT_external_memory_host);
    const target = options.for;
    const { pointer, size, label } = hostMemory(host);
    const properties = flagMask(MemoryProperty, options.properties ?? [], "properties");
    return planHostImport({
      device: pd.name,
      memoryTypes: pd.memoryTypes,
      ...(target
        ? { target: { ...targetFacts(device, target), requirements: target.requirements } }
        : {}),
      label,
      address: rt.address(pointer),
      size,
      alignment: BigInt(pd.minImportedHostPointerAlignment ?? 4096),
      capability: capabilityFor(device, "HOST_ALLOCATION", target),
      properties,
      hostMemoryTypeBits: () => {
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
          { device: pd.name, address: rt.address(pointer) },
        );
        return props.decode().memoryTypeBits;
      },
    });
  }

  /**
   * Imports host memory (VK_EXT_external_memory_host): a {@linkcode HostAllocation}, or any
   * ArrayBufferView whose address and length are multiples of the device's
   * `minImportedHostPointerAlignment`. The host memory is kept alive as long as this memory. The
   * rules are {@linkcode DeviceMemory.planHostImport}'s.
   *
   * A view keeps its ArrayBuffer alive, not memory the buffer gives away: while this memory lives,
   * do not `transfer()` the buffer (nor grow a WebAssembly memory it belongs to). A view of a
   * resizable ArrayBuffer is refused (a TypeError): a `resize()` would unmap pages under the GPU.
   * A {@linkcode HostAllocation} has neither caveat.
   */
  static importHostPointer(
    device: Device,
    host: HostAllocation | ArrayBufferView,
    options?: HostImportOptions,
  ): DeviceMemory {
    const plan = planOrThrow(DeviceMemory.planHostImport(device, host, options));
    const { size, memoryTypeIndex: type } = plan;
    const pd = device.physicalDevice;
    const target = options?.for;
    const address = rt.address(ArrayBuffer.isView(host) ? rt.pointerOf(host) : host.pointer);
    using arena = new Arena();
    const info = encode(VkMemoryAllocateInfo, {
      pNext: [link(VkImportMemoryHostPointerInfoEXT, {
        handleType: MemoryHandleType.HOST_ALLOCATION,
        pHostPointer: address,
      })],
      allocationSize: size,
      memoryTypeIndex: type,
    }, arena);
    const handle = allocateImport(device, info.bytes, () => ({
      device: pd.name,
      handleType: "HOST_ALLOCATION",
      address,
      size,
      memoryTypeIndex: type,
    }), type);
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

  /** `Memory 0x... (65536 bytes, type 2) of Device "..."`, for messages (made when first read). */
  get label(): string {
    return this.#label ??= `Memory 0x${
      this.handle.toString(16)
    } (${this.size} bytes, type ${this.memoryTypeIndex}${
      this.importedAs ? `, imported ${flagNames(MemoryHandleType, this.importedAs)[0]}` : ""
    }) of ${this.device.label}`;
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
      size: this.size,
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
  exportFd(handleType?: MemoryHandleTypeName): MemoryExport {
    handleType ??= "OPAQUE_FD";
    const h = this.live;
    const t = enumValue(MemoryHandleType, handleType, "handleType");
    this.#exportable(handleType, t);
    const ext = this.device.extension(VK_KHR_external_memory_fd);
    const exports = this.#exports ??= new Map<number, ExportCache>();
    let cached = exports.get(t);
    if (!cached) {
      cached = { info: encodeFlat(VkMemoryGetFdInfoKHR, { memory: h, handleType: t }) };
      exports.set(t, cached);
    }
    const out = fdOut;
    out[0] = -1;
    const r = ext.vkGetMemoryFdKHR(this.device.live, cached.info, out);
    if (r < 0) {
      throw new VkError("vkGetMemoryFdKHR", r, {
        device: this.device.physicalDevice.name,
        handleType,
        size: this.size,
      });
    }
    // What finishExport needs, made once per handle type (its descriptor once its fd's kind is
    // known).
    const c = cached;
    const facts = c.facts ??= {
      call: "vkGetMemoryFdKHR",
      success: "VK_SUCCESS",
      label: this.label,
      handleType,
      learn: { device: this.device, key: `memory:${handleType}`, size: this.size },
      describe: (kind) => c.descriptor ??= this.descriptor(handleType, kind),
    };
    return finishExport(out[0], facts) as MemoryExport;
  }

  /**
   * Exports the memory as a Windows handle (VK_KHR_external_memory_win32,
   * `vkGetMemoryWin32HandleKHR`): an NT handle (OPAQUE_WIN32, D3D11_TEXTURE, D3D12_HEAP,
   * D3D12_RESOURCE), which the export owns and closes on dispose unless released, and which is
   * exported at most once per handle type (WIN32_EXPORTED_ONCE); or a global share handle
   * (OPAQUE_WIN32_KMT, D3D11_TEXTURE_KMT), valid while this memory lives, never closed. The memory
   * must have been allocated with the handle type in `exportAs`.
   */
  exportWin32(
    handleType?: MemoryWin32HandleTypeName,
  ): Win32Export<MemoryDescriptor> {
    handleType ??= "OPAQUE_WIN32";
    const h = this.live;
    win32KindOf("memory", handleType);
    // Without the extension, a MissingExtensionError names it before anything else.
    const ext = this.device.extension(VK_KHR_external_memory_win32);
    const t = MemoryHandleType[handleType];
    this.#exportable(handleType, t);
    const info = encodeFlat(VkMemoryGetWin32HandleInfoKHR, { memory: h, handleType: t });
    return finishWin32Export({
      object: "memory",
      label: this.label,
      handleType,
      exported: this.#win32Exported,
      call: "vkGetMemoryWin32HandleKHR",
      get: (out) => ext.vkGetMemoryWin32HandleKHR(this.device.live, info, out),
      details: () => ({ device: this.device.physicalDevice.name, handleType, size: this.size }),
      describe: () => this.descriptor(handleType),
    });
  }

  /** The handle types exported as an NT handle already (WIN32_EXPORTED_ONCE). */
  readonly #win32Exported = new Set<string>();

  /** NOT_EXPORTABLE unless the memory was made exportable as `handleType` (bit `t`). */
  #exportable(handleType: string, t: number): void {
    if (this.exportHandleTypes & t) return;
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

  /**
   * Maps the whole memory and returns its bytes (cached: every call returns the same view).
   * The memory type must be host-visible and host-coherent. The view is detached when the memory
   * is unmapped or disposed, so it can never read unmapped memory.
   *
   * Copy out of the view (`slice()`) rather than transfer its ArrayBuffer: vkshare cannot detach
   * the ArrayBuffer a `transfer()` or a `postMessage` to a Worker makes, so such memory stays
   * mapped and allocated, with its device and instance, until the process ends (dispose warns);
   * `map()` then gives a new view of it.
   */
  map(): Uint8Array {
    const h = this.live;
    const m = this.#mapped;
    if (m) return m.buffer.byteLength ? m.bytes : this.#viewAgain(m);
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
    if (!Number.isSafeInteger(this.size)) throw new RangeError(`${this.label} is too large to map`);
    const out = handleOut;
    const r = vk().vkMapMemory(this.device.live, h, 0n, WHOLE_SIZE, 0, handleOutBytes);
    if (r < 0) {
      check(r, "vkMapMemory", { device: this.device.physicalDevice.name, size: this.size });
    }
    const pointer = rt.pointer(out[0]);
    const buffer = rt.view(pointer, this.size);
    this.#mapped = { pointer, buffer, bytes: new Uint8Array(buffer) };
    return this.#mapped.bytes;
  }

  /** A new view of the mapping, whose last one the script transferred away (it stays mapped). */
  #viewAgain(m: { pointer: Pointer; buffer: ArrayBuffer; bytes: Uint8Array }): Uint8Array {
    this.#strand();
    m.buffer = rt.view(m.pointer, this.size);
    m.bytes = new Uint8Array(m.buffer);
    return m.bytes;
  }

  /** Keeps the memory mapped and allocated (and its device): a transferred view may read it. */
  #strand(): void {
    this.keep(
      `the ArrayBuffer that map() gave of ${this.label} was transferred (transfer(), postMessage) and may still read the mapping, so it stays mapped and allocated until the process ends; copy out of map()'s view (slice()) instead`,
    );
  }

  /** Whether it is mapped. */
  get mapped(): boolean {
    return this.#mapped !== null;
  }

  /**
   * Unmaps it (idempotent): the view returned by map() becomes detached (length 0). Memory whose
   * view was transferred away stays mapped (see {@linkcode DeviceMemory.map}).
   */
  unmap(): void {
    const m = this.#mapped;
    if (!m || this.kept) return; // kept: a view of it was transferred away
    if (!detachView(m.buffer)) return this.#strand();
    this.#mapped = null;
    vk().vkUnmapMemory(this.device.handle, this.handle);
  }

  /** Unmaps, frees the memory, and releases the host allocation it was imported from. */
  protected destroy(): void {
    this.unmap();
    if (this.kept) return; // a transferred view may read it (see map())
    vk().vkFreeMemory(this.device.handle, this.handle, null);
    const host = this.#host;
    this.#host = null;
    if (host && "release" in host) host.release(this);
  }
}

function bindOrFree(mem: DeviceMemory, target: MemoryTarget | undefined): DeviceMemory {
  if (!target) return mem;
  try {
    target.bind(mem);
  } catch (e) {
    mem[Symbol.dispose]();
    throw e;
  }
  return mem;
}

/**
 * An allocation's plan (share/allocate_plan.ts) from `options`, with the handle type masks it was
 * made with (what allocate encodes). Errors of the arguments themselves are thrown.
 */
function planAllocation(
  device: Device,
  options: AllocateOptions,
): { result: AllocateResult; exportMask: number; nvMask: number } {
  const target = options?.for;
  const pd = device.physicalDevice;
  device.assertAlive();
  const exportMask = handleTypeMask(options.exportAs, "exportAs");
  const nvMask = nvHandleTypeMask(options.exportAsNV, "exportAsNV");
  if (nvMask) {
    if (exportMask) throw new TypeError("exportAs and exportAsNV: give one, not both");
    requireNV(device, "exportAsNV");
  }
  const properties = options.properties === undefined
    ? undefined
    : flagMask(MemoryProperty, options.properties, "properties");
  const size = options.size !== undefined || !target
    ? positiveSize(options.size, "size")
    : undefined;
  const exportAs = flagNames(MemoryHandleType, exportMask) as MemoryHandleTypeName[];
  const result = planAllocate({
    device: pd.name,
    memoryTypes: pd.memoryTypes,
    ...(target
      ? { target: { ...targetFacts(device, target), requirements: target.requirements } }
      : {}),
    ...(size !== undefined ? { size } : {}),
    exportAs: exportAs.map((t) => ({
      handleType: t,
      capability: capabilityFor(device, t, target),
    })),
    ...(properties !== undefined ? { properties } : {}),
    ...(options.memoryTypeIndex !== undefined ? { memoryTypeIndex: options.memoryTypeIndex } : {}),
    ...(options.dedicated !== undefined ? { dedicated: options.dedicated } : {}),
  });
  return { result, exportMask, nvMask };
}

/** Where host memory is, how large, and its name in messages; a RangeError for an empty view. */
function hostMemory(
  host: HostAllocation | ArrayBufferView,
): { pointer: Pointer; size: bigint; label: string } {
  if (!ArrayBuffer.isView(host)) {
    return { pointer: host.pointer, size: BigInt(host.size), label: host.label };
  }
  if (host.byteLength === 0) throw new RangeError("host: an empty view cannot be imported");
  if ((host.buffer as { resizable?: boolean }).resizable === true) {
    // resize() gives pages back in place: the GPU, and the driver's own threads, would then
    // touch memory that is gone (a crash, measured on lavapipe).
    throw new TypeError(
      `host: a view of a resizable ArrayBuffer (maxByteLength ${
        (host.buffer as { maxByteLength?: number }).maxByteLength
      }) cannot be imported: a resize() could unmap its pages under the GPU; use HostAllocation.create(size, alignment), or a view of a fixed-length ArrayBuffer`,
    );
  }
  const pointer = rt.pointerOf(host);
  return {
    pointer,
    size: BigInt(host.byteLength),
    label: `${host.constructor.name} at 0x${rt.address(pointer).toString(16)}`,
  };
}

/** A TypeError, before anything is allocated or consumed, for a target bound plane by plane. */
function wholeTarget(target: MemoryTarget): void {
  if (target.boundPerPlane) throw new TypeError(`for: ${target.boundPerPlane}`);
}
