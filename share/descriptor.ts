/**
 * Descriptors: what an importer needs to know about an export, as plain, versioned JSON. Memory
 * and sync (semaphore, fence) descriptors are defined here, with their one shape check: a field
 * that is unknown, missing or of the wrong type is refused with a BAD_DESCRIPTOR that names it,
 * and what passes is a plain copy (each field read once), so that a getter cannot pass the checks
 * with one value and hand the driver another.
 *
 * @module
 */
import type { MemoryHandleTypeName, SemaphoreTypeName } from "../core/enums.ts";
import { Format, ImageTiling, ImageType, MemoryHandleType } from "../core/enums.ts";
import { printable, ShareError, show } from "../core/errors.ts";
import { type SyncWin32HandleTypeName, WIN32_HANDLE_TYPES } from "./handle.ts";

/**
 * The version of {@linkcode MemoryDescriptor} this vkshare writes and reads.
 *
 * @example
 * ```ts
 * if (descriptor.version !== DESCRIPTOR_VERSION) console.log("another vkshare wrote it");
 * ```
 *
 * @category Memory
 */
export const DESCRIPTOR_VERSION = 1;

/**
 * The version of {@linkcode SyncDescriptor} this vkshare writes and reads.
 *
 * @example
 * ```ts
 * if (descriptor.version !== SYNC_DESCRIPTOR_VERSION) console.log("another vkshare wrote it");
 * ```
 *
 * @category Synchronization
 */
export const SYNC_DESCRIPTOR_VERSION = 1;

/**
 * The description of a buffer or image that dedicated memory is bound to.
 *
 * @example
 * ```ts
 * exp.descriptor.dedicated?.kind; // "buffer", "image", or undefined for a plain allocation
 * ```
 *
 * @category Memory
 */
export type DedicatedTarget =
  | {
    kind: "buffer";
    size: number;
    usage: number;
    flags: number;
    externalHandleTypes: number;
  }
  | {
    kind: "image";
    imageType: number;
    format: number;
    extent: { width: number; height: number; depth: number };
    mipLevels: number;
    arrayLayers: number;
    tiling: number;
    usage: number;
    flags: number;
    externalHandleTypes: number;
    /** VK_NV_external_memory's handle types it was created with (`externalNV`), if any. */
    externalHandleTypesNV?: number;
    /** A DRM_FORMAT_MODIFIER image's modifier, as `0x` and 16 hex digits. */
    drmFormatModifier?: string;
    /**
     * Where each memory plane lies (LINEAR and DRM_FORMAT_MODIFIER images): an importer's image
     * must have the same, or the bytes land elsewhere.
     */
    planeLayouts?: PlaneLayout[];
  };

/**
 * Where one memory plane of an image lies in its memory (`VkSubresourceLayout`, in bytes).
 *
 * @example
 * ```ts
 * const [y, cbcr]: PlaneLayout[] = nv12.info.planeLayouts!;
 * console.log(y.rowPitch, cbcr.offset);
 * ```
 *
 * @category Memory
 */
export interface PlaneLayout {
  /** Where the plane starts. */
  offset: number;
  /** Its size. */
  size: number;
  /** Bytes from one row to the next. */
  rowPitch: number;
  /** Bytes from one array layer to the next. */
  arrayPitch: number;
  /** Bytes from one depth slice to the next. */
  depthPitch: number;
}

/**
 * What an importer needs to know about exported memory, as plain JSON: produced by
 * `DeviceMemory.exportFd` (and `CudaMemory.exportFd`), checked by every memory import.
 *
 * @example
 * ```ts
 * const d: MemoryDescriptor = memory.exportFd("OPAQUE_FD").descriptor;
 * JSON.stringify(d); // plain JSON: send it to the importer with the fd
 * ```
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
  /**
   * A dma-buf from outside vkshare ({@linkcode dmaBufDescriptor}): its DRM format modifier (`0x`
   * and 16 hex digits), which the image it is imported for must have.
   */
  drmFormatModifier?: string;
  /** A dma-buf from outside vkshare: where its planes lie, which the image must match. */
  planeLayouts?: PlaneLayout[];
}

/**
 * What a dma-buf from outside vkshare is: its size, and for an image its modifier and plane
 * layouts (what the exporter's API reports: a V4L2 buffer, a Wayland `zwp_linux_dmabuf` plane
 * list, EGL's `eglExportDMABUFImageMESA`).
 *
 * @example
 * ```ts
 * const foreign: ForeignDmaBuf = { size: 8294400, modifier: 0n, planeLayouts: [{ offset: 0, size: 8294400, rowPitch: 7680, arrayPitch: 0, depthPitch: 0 }] };
 * ```
 *
 * @category Memory
 */
export interface ForeignDmaBuf {
  /** Its size in bytes (`lseek(fd, 0, SEEK_END)` says it too). */
  size: number;
  /** Its DRM format modifier, when it holds an image (0n: linear). */
  modifier?: bigint | string;
  /** Where each memory plane lies, when it holds an image. */
  planeLayouts?: readonly PlaneLayout[];
  /** Who made it, for messages (default "a foreign dma-buf"). */
  name?: string;
}

/**
 * The descriptor of a dma-buf from outside vkshare (a camera, a compositor, another API), for
 * `DeviceMemory.importFd(device, fd, dmaBufDescriptor({ size }), { for: image })`. It has no
 * exporter to name (its UUIDs are empty, which only a DMA_BUF descriptor may be) and no memory
 * type of its own: the import takes one the fd and the target allow, dedicated to the target
 * where the target requires it. With `modifier` and `planeLayouts`, the image it is imported for
 * must have the same (PLANE_LAYOUT).
 *
 * @example
 * ```ts
 * using image = GpuImage.create(device, { width: 1920, height: 1080, format: "B8G8R8A8_UNORM", external: "DMA_BUF",
 *   drmFormatModifier: { modifier: 0n, planeLayouts } });
 * using memory = DeviceMemory.importFd(device, fd, dmaBufDescriptor({ size, modifier: 0n, planeLayouts }), { for: image });
 * ```
 *
 * @category Memory
 */
export function dmaBufDescriptor(foreign: ForeignDmaBuf): MemoryDescriptor {
  if (foreign === null || typeof foreign !== "object") {
    throw new TypeError(
      `dmaBufDescriptor: expected { size, modifier?, planeLayouts? }, got ${show(foreign)}`,
    );
  }
  let modifier: string | undefined;
  if (foreign.modifier !== undefined) {
    let v: bigint;
    try {
      v = BigInt(foreign.modifier);
    } catch {
      throw new RangeError(
        `dmaBufDescriptor: modifier: expected a 64-bit value, got ${
          show(String(foreign.modifier))
        }`,
      );
    }
    if (v < 0n || v >= 1n << 64n) {
      throw new RangeError(`dmaBufDescriptor: modifier: expected a 64-bit value, got ${v}`);
    }
    modifier = `0x${v.toString(16).padStart(16, "0")}`;
  }
  return parseMemoryDescriptor({
    version: DESCRIPTOR_VERSION,
    handleType: "DMA_BUF",
    size: foreign.size,
    memoryTypeIndex: 0,
    memoryProperties: [],
    dedicated: null,
    deviceUUID: "",
    driverUUID: "",
    deviceName: foreign.name ?? "a foreign dma-buf",
    ...(modifier !== undefined ? { drmFormatModifier: modifier } : {}),
    ...(foreign.planeLayouts !== undefined
      ? { planeLayouts: foreign.planeLayouts.map((l) => ({ ...l })) }
      : {}),
  });
}

/**
 * Whether `d` describes a dma-buf from outside vkshare (no exporter: {@linkcode dmaBufDescriptor}).
 *
 * @example
 * ```ts
 * isForeign(dmaBufDescriptor({ size: 4096 })); // true
 * ```
 *
 * @category Memory
 */
export function isForeign(d: MemoryDescriptor): boolean {
  return d.handleType === "DMA_BUF" && d.deviceUUID === "";
}

/**
 * The fd handle types of semaphores and fences.
 *
 * @example
 * ```ts
 * const t: SyncHandleTypeName = "SYNC_FD";
 * ```
 *
 * @category Synchronization
 */
export type SyncHandleTypeName = "OPAQUE_FD" | "SYNC_FD";

/**
 * What an importer needs to know about an exported semaphore or fence, as plain JSON: produced
 * by `exportFd`, checked by `importFd`.
 *
 * @example
 * ```ts
 * const d: SyncDescriptor = timeline.exportFd("OPAQUE_FD").descriptor;
 * d.semaphoreType; // "timeline"
 * ```
 *
 * @category Synchronization
 */
export interface SyncDescriptor {
  /** {@linkcode SYNC_DESCRIPTOR_VERSION}. */
  version: number;
  /** What was exported. */
  object: "semaphore" | "fence";
  /** The handle type of the fd (or of the Windows handle). */
  handleType: SyncHandleTypeName | SyncWin32HandleTypeName;
  /** A semaphore's type (an OPAQUE_FD import must create or use the same). */
  semaphoreType?: SemaphoreTypeName;
  /** The exporting device's deviceUUID. */
  deviceUUID: string;
  /** The exporting device's driverUUID. */
  driverUUID: string;
  /** The exporting device's name (for messages). */
  deviceName: string;
  /** What the exported fd refers to (`sync_file`, `/dev/nvidiactl`), when known. */
  fdKind?: string;
}

/**
 * What an import of a semaphore or fence is given: a descriptor, or for a SYNC_FD from elsewhere
 * just `"SYNC_FD"`.
 *
 * @example
 * ```ts
 * fence.importFd(syncFd, "SYNC_FD" satisfies SyncSource); // a sync_file from elsewhere
 * ```
 *
 * @category Synchronization
 */
export type SyncSource = SyncDescriptor | "SYNC_FD";

/**
 * A descriptor of either kind, and what it is of.
 *
 * @example
 * ```ts
 * const d: ExportDescriptor = exp.descriptor;
 * objectOf(d); // "memory", "semaphore" or "fence"
 * ```
 *
 * @category Memory
 */
export type ExportDescriptor = MemoryDescriptor | SyncDescriptor;

/**
 * What a descriptor describes: `memory`, `semaphore` or `fence`.
 *
 * @example
 * ```ts
 * objectOf(exp.descriptor); // "memory"
 * ```
 *
 * @category Memory
 */
export function objectOf(d: ExportDescriptor): "memory" | "semaphore" | "fence" {
  return "object" in d ? d.object : "memory";
}

// ---- the shape check --------------------------------------------------------------------------

/** null: fine; else what was expected. A nested object's check names its fields under `where`. */
type FieldCheck = (v: unknown, where?: string) => string | null;

// A peer's text is shown in messages and terminals: no control characters (ESC, OSC, CR-LF).
const string: FieldCheck = (v) => printable(v) ? null : "a string without control characters";
const uuid: FieldCheck = (v) =>
  typeof v === "string"
    && /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/.test(v)
    ? null
    : "a UUID (8-4-4-4-12 lower-case hex digits)";
const count: FieldCheck = (v) =>
  Number.isInteger(v) && (v as number) >= 0 ? null : "a non-negative integer";
const optional = (c: FieldCheck): FieldCheck => (v) => v === undefined ? null : c(v);
const oneOf = (...names: readonly string[]): FieldCheck => (v) =>
  typeof v === "string" && names.includes(v) ? null : `one of ${names.join(", ")}`;
const strings: FieldCheck = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? null : "a list of strings";
const dedicated: FieldCheck = (v) =>
  v === null || (typeof v === "object" && !Array.isArray(v)) ? null : "an object or null";

const u32: FieldCheck = (v) =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff
    ? null
    : "an integer from 0 to 2^32-1";
const positive32: FieldCheck = (v) =>
  Number.isInteger(v) && (v as number) > 0 && (v as number) <= 0xffffffff
    ? null
    : "an integer from 1 to 2^32-1";
// Vulkan's "usage-requiredbitmask": a buffer or image is made with one usage flag at least.
const usageMask: FieldCheck = (v) =>
  positive32(v) === null ? null : "a usage mask of one flag or more (1 to 2^32-1)";
const bytes: FieldCheck = (v) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? null : "a non-negative integer of bytes";
const valueOf = (table: Record<string, number>): FieldCheck => (v) =>
  Object.values(table).includes(v as number)
    ? null
    : `one of ${Object.entries(table).map(([k, n]) => `${n} (${k})`).join(", ")}`;
const object = (fields: Record<string, FieldCheck>): FieldCheck => (v, where = "field") => {
  checkShape(v, fields, where);
  return null;
};
const list = (item: FieldCheck, max: number): FieldCheck => (v) =>
  Array.isArray(v) && v.length >= 1 && v.length <= max && v.every((x) => item(x) === null)
    ? null
    : `a list of 1 to ${max} ${item(undefined) ?? "items"}`;

const PLANE_LAYOUT_FIELDS: Record<keyof PlaneLayout, FieldCheck> = {
  offset: bytes,
  size: bytes,
  rowPitch: bytes,
  arrayPitch: bytes,
  depthPitch: bytes,
};
const planeLayout: FieldCheck = (v) => {
  try {
    checkShape(v, PLANE_LAYOUT_FIELDS, "planeLayouts[i]");
    return null;
  } catch {
    return "plane layouts (offset, size, rowPitch, arrayPitch, depthPitch: bytes)";
  }
};

/** A DRM format modifier as descriptors write it. */
const modifierHex: FieldCheck = (v) =>
  typeof v === "string" && /^0x[0-9a-f]{16}$/.test(v) ? null : "0x and 16 hex digits";

type ImageTarget = Extract<DedicatedTarget, { kind: "image" }>;
type BufferTarget = Extract<DedicatedTarget, { kind: "buffer" }>;

const IMAGE_FIELDS: Record<keyof ImageTarget, FieldCheck> = {
  kind: () => null,
  imageType: valueOf(ImageType),
  format: valueOf(Object.fromEntries(Object.entries(Format).filter(([k]) => k !== "UNDEFINED"))),
  extent: object({ width: positive32, height: positive32, depth: positive32 }),
  mipLevels: positive32,
  arrayLayers: positive32,
  tiling: valueOf(ImageTiling),
  usage: usageMask,
  flags: u32,
  externalHandleTypes: u32,
  externalHandleTypesNV: optional(u32),
  drmFormatModifier: optional(modifierHex),
  planeLayouts: optional(list(planeLayout, 4)),
};

const BUFFER_FIELDS: Record<keyof BufferTarget, FieldCheck> = {
  kind: () => null,
  size: (v) => Number.isSafeInteger(v) && (v as number) > 0 ? null : "a positive integer",
  usage: usageMask,
  flags: u32,
  externalHandleTypes: u32,
};

/** Checks that `v` is a plain object of exactly `fields`' shape (BAD_DESCRIPTOR naming `where`). */
function checkShape(v: unknown, fields: Record<string, FieldCheck>, where: string): void {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw bad(`${where}: expected an object, got ${show(v)}`);
  }
  for (const k of Object.keys(v)) {
    if (!Object.hasOwn(fields, k)) {
      throw bad(`${where}.${k}: not a field (it has ${Object.keys(fields).join(", ")})`, null, k);
    }
  }
  for (const [k, c] of Object.entries(fields)) {
    const want = c((v as Record<string, unknown>)[k], `${where}.${k}`);
    if (want !== null) {
      throw bad(
        `${where}.${k}: expected ${want}, got ${show((v as Record<string, unknown>)[k])}`,
        want,
        (v as Record<string, unknown>)[k],
      );
    }
  }
}

/**
 * The checked plain copy of the description of a dedicated allocation's buffer or image (an
 * export's `descriptor.dedicated`): every field present, of its type and range (image type,
 * format and tiling among the values vkshare names), no other field. A ShareError BAD_DESCRIPTOR
 * names the field otherwise. What the device allows of an image is checked when one is made of
 * it (`GpuImage.fromTarget`: IMAGE_TYPE, IMAGE_LIMITS, PLANE_LAYOUT).
 *
 * @example
 * ```ts
 * const target = parseDedicatedTarget(JSON.parse(text).dedicated);
 * ```
 *
 * @category Memory
 */
export function parseDedicatedTarget(
  given: unknown,
  where = "descriptor.dedicated",
): DedicatedTarget {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(given));
  } catch {
    throw bad(`${where}: not plain data`);
  }
  const kind = (copy as { kind?: unknown } | null)?.kind;
  if (kind !== "image" && kind !== "buffer") {
    throw bad(`${where}.kind: expected "image" or "buffer", got ${show(kind)}`, "image", kind);
  }
  checkShape(copy, kind === "image" ? IMAGE_FIELDS : BUFFER_FIELDS, where);
  return copy as DedicatedTarget;
}

const MEMORY_FIELDS: Record<keyof MemoryDescriptor, FieldCheck> = {
  version: () => null, // checked first, with its own message
  handleType: oneOf(...Object.keys(MemoryHandleType)),
  size: (v) => Number.isSafeInteger(v) && (v as number) > 0 ? null : "a positive integer",
  memoryTypeIndex: count,
  memoryProperties: optional(strings),
  dedicated: optional(dedicated),
  deviceUUID: uuid,
  driverUUID: uuid,
  deviceName: string,
  fdKind: optional(string),
  drmFormatModifier: optional(modifierHex),
  planeLayouts: optional(list(planeLayout, 4)),
};

const SYNC_FIELDS: Record<keyof SyncDescriptor, FieldCheck> = {
  version: () => null,
  object: () => null, // checked first, with its own message
  handleType: oneOf("OPAQUE_FD", "SYNC_FD", ...Object.keys(WIN32_HANDLE_TYPES.semaphore)),
  semaphoreType: optional(oneOf("binary", "timeline")),
  deviceUUID: uuid,
  driverUUID: uuid,
  deviceName: string,
  fdKind: optional(string),
};

function bad(message: string, expected?: unknown, actual?: unknown): ShareError {
  return new ShareError("BAD_DESCRIPTOR", message, expected, actual);
}

/**
 * Copies `given`'s fields (each read once) after checking that it is a plain object with no
 * field outside `fields`.
 */
function plainCopy(given: unknown, fields: Record<string, FieldCheck>): Record<string, unknown> {
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw bad(`descriptor: expected an object, got ${show(given)}`);
  }
  const copy: Record<string, unknown> = {};
  for (const k in given) {
    if (!Object.hasOwn(given, k)) continue;
    if (!Object.hasOwn(fields, k)) {
      throw bad(
        `descriptor.${k}: not a field of this descriptor (it has ${
          Object.keys(fields).join(", ")
        })`,
        Object.keys(fields),
        k,
      );
    }
  }
  for (const k in fields) {
    const v = (given as Record<string, unknown>)[k];
    if (v !== undefined) copy[k] = v;
  }
  return copy;
}

function checkFields(d: Record<string, unknown>, fields: Record<string, FieldCheck>): void {
  for (const k in fields) {
    const c = fields[k];
    const want = c(d[k]);
    if (want !== null && k === "size") {
      throw new ShareError(
        "SIZE_MISMATCH",
        `descriptor.size must be a positive integer, got ${show(d[k])}`,
      );
    }
    if (want !== null) {
      throw bad(`descriptor.${k}: expected ${want}, got ${show(d[k])}`, want, d[k]);
    }
  }
}

/**
 * The checked plain copy of a memory descriptor given to an import: a ShareError BAD_DESCRIPTOR
 * (SIZE_MISMATCH for a size that is not a positive integer) names the field otherwise.
 *
 * @example
 * ```ts
 * const d = parseMemoryDescriptor(JSON.parse(text)); // throws on anything but a descriptor
 * ```
 *
 * @category Memory
 */
export function parseMemoryDescriptor(given: unknown): MemoryDescriptor {
  if (given !== null && typeof given === "object" && "object" in given) {
    throw bad(
      `the descriptor is of a ${show((given as { object: unknown }).object)}, not of memory`,
    );
  }
  const d = plainCopy(given, MEMORY_FIELDS);
  if (d.version !== DESCRIPTOR_VERSION) {
    throw bad(
      `descriptor.version is ${show(d.version)}; this vkshare reads version ${DESCRIPTOR_VERSION}`,
      DESCRIPTOR_VERSION,
      d.version,
    );
  }
  checkFields(d, MEMORY_FIELDS);
  d.dedicated = d.dedicated === undefined || d.dedicated === null
    ? null
    : parseDedicatedTarget(d.dedicated);
  if (d.memoryProperties !== undefined) d.memoryProperties = [...d.memoryProperties as string[]];
  else d.memoryProperties = [];
  exporterNamed(d as unknown as MemoryDescriptor);
  return d as unknown as MemoryDescriptor;
}

/**
 * An exporter is named by its UUIDs, which only a foreign dma-buf's descriptor may leave empty:
 * an OPAQUE_FD import needs them, and a foreign dma-buf's modifier and layouts only it carries.
 */
function exporterNamed(d: MemoryDescriptor): void {
  const foreign = d.handleType === "DMA_BUF" && d.deviceUUID === "";
  if (!foreign && (d.deviceUUID === "" || d.driverUUID === "")) {
    throw bad(
      `descriptor.${
        d.deviceUUID === "" ? "deviceUUID" : "driverUUID"
      }: empty, but a ${d.handleType} descriptor names its exporter (only a foreign dma-buf's, made by dmaBufDescriptor, has none)`,
      "a UUID",
      "",
    );
  }
  if (!foreign && (d.drmFormatModifier !== undefined || d.planeLayouts !== undefined)) {
    throw bad(
      "descriptor.drmFormatModifier and planeLayouts: only a foreign dma-buf's descriptor has them (an export's image carries its own, in dedicated)",
    );
  }
}

/**
 * The checked plain copy of a sync descriptor (or `"SYNC_FD"`) given to an import of `object`:
 * a ShareError BAD_DESCRIPTOR names what is wrong otherwise.
 *
 * @example
 * ```ts
 * parseSyncSource("SYNC_FD", "fence").handleType; // "SYNC_FD"
 * ```
 *
 * @category Synchronization
 */
export function parseSyncSource(s: unknown, object: "semaphore" | "fence"): SyncDescriptor {
  if (s === "SYNC_FD") {
    return {
      version: SYNC_DESCRIPTOR_VERSION,
      object,
      handleType: "SYNC_FD",
      deviceUUID: "",
      driverUUID: "",
      deviceName: "another driver",
    };
  }
  if (s === null || typeof s !== "object") {
    throw bad(
      `descriptor: expected the exporter's descriptor${
        s === "OPAQUE_FD" ? " (an OPAQUE_FD import needs its UUIDs and type)" : ""
      } or "SYNC_FD", got ${show(s)}`,
    );
  }
  const d = plainCopy(s, SYNC_FIELDS);
  if (d.version !== SYNC_DESCRIPTOR_VERSION) {
    throw bad(
      `descriptor.version is ${show(d.version)}; this vkshare reads ${SYNC_DESCRIPTOR_VERSION}`,
      SYNC_DESCRIPTOR_VERSION,
      d.version,
    );
  }
  if (d.object !== object) {
    throw bad(`the descriptor is of a ${show(d.object)}, not a ${object}`, object, d.object);
  }
  checkFields(d, SYNC_FIELDS);
  if (object === "fence" && d.handleType === "D3D12_FENCE") {
    throw bad("descriptor.handleType: D3D12_FENCE is a semaphore handle type, not a fence's");
  }
  if (object === "semaphore" && d.semaphoreType === undefined) {
    throw bad(
      `descriptor.semaphoreType: expected binary or timeline, got ${show(d.semaphoreType)}`,
    );
  }
  return d as unknown as SyncDescriptor;
}
