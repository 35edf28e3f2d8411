/**
 * Allocation and host-pointer import, planned like imports: every rule that decides whether
 * `DeviceMemory.allocate` or `DeviceMemory.importHostPointer` goes ahead, checked in one place and
 * one order on plain facts (the device's memory types, the target's requirements, the capability
 * answers), with no driver; and the rule that a buffer or image is declared external only as a
 * handle type its device has. `DeviceMemory.planAllocate` and `DeviceMemory.planHostImport` answer
 * "why was this refused?" with every rule broken, each with its expected and actual values.
 *
 * @module
 */
import { MemoryProperty } from "../core/enums.ts";
import { type ExternalMemoryCapability, MEMORY_HANDLE_EXTENSION } from "./capabilities.ts";
import {
  broken,
  type BrokenRule,
  chooseMemoryType,
  Findings,
  type PlanMemoryType,
  requireExternal,
} from "./plan.ts";

/**
 * The buffer or image memory is allocated for (or a host pointer imported for): plain facts.
 *
 * @example
 * ```ts
 * const target: AllocationTargetFacts = {
 *   label: "Buffer 0x1 (65536 bytes)",
 *   sameDevice: true,
 *   bound: false,
 *   requirements: { size: 65536, memoryTypeBits: 0b11, requiresDedicated: false, prefersDedicated: false },
 *   externalHandleTypes: ["OPAQUE_FD"],
 * };
 * ```
 *
 * @category Memory
 */
export interface AllocationTargetFacts {
  /** For messages. */
  label: string;
  /** Whether it belongs to the allocating device. */
  sameDevice: boolean;
  /** Whether it is bound to memory already. */
  bound: boolean;
  /** What it needs of its memory. */
  requirements: {
    size: number;
    memoryTypeBits: number;
    requiresDedicated: boolean;
    prefersDedicated: boolean;
  };
  /** The external handle types it was created with. */
  externalHandleTypes: readonly string[];
  /** Why it cannot have dedicated memory (a plane of a disjoint image), where it cannot. */
  noDedicated?: string;
}

/**
 * What {@linkcode planAllocate} judges: the device's facts, the target's, and what was asked.
 *
 * @example
 * ```ts
 * planAllocate({ device: pd.name, memoryTypes: pd.memoryTypes, size: 65536n, exportAs: [] });
 * ```
 *
 * @category Memory
 */
export interface AllocateRequest {
  /** The device's name, for messages. */
  device: string;
  /** Its memory types. */
  memoryTypes: readonly PlanMemoryType[];
  /** What the memory is for (and bound to). */
  target?: AllocationTargetFacts;
  /** Bytes asked (default: the target's requirement). */
  size?: bigint;
  /** Each handle type it is to be exportable as, with the capability query's answer for it. */
  exportAs: readonly { handleType: string; capability: ExternalMemoryCapability }[];
  /** The memory property flags asked for, as a mask (absent: none asked; device-local preferred). */
  properties?: number;
  /** The memory type asked for. */
  memoryTypeIndex?: number;
  /** Dedicated or not, when asked (default: as the target and the handle types need). */
  dedicated?: boolean;
}

/**
 * How an allocation (or a host-pointer import) will be made.
 *
 * @example
 * ```ts
 * const plan: AllocatePlan = planOrThrow(planAllocate(request));
 * plan.memoryTypeIndex;
 * ```
 *
 * @category Memory
 */
export interface AllocatePlan {
  /** `allocationSize`. */
  size: bigint;
  /** The memory type. */
  memoryTypeIndex: number;
  /** Whether it is a dedicated allocation (to the target). */
  dedicated: boolean;
}

/**
 * The plan, or every rule the allocation breaks (the first is the one a ShareError names).
 *
 * @example
 * ```ts
 * const r: AllocateResult = planAllocate(request);
 * r.ok ? r.plan.memoryTypeIndex : r.broken.map((b) => b.rule);
 * ```
 *
 * @category Memory
 */
export type AllocateResult = { ok: true; plan: AllocatePlan } | { ok: false; broken: BrokenRule[] };

/** The target belongs to the device and is not bound yet. */
function targetRules(found: Findings, t: AllocationTargetFacts): void {
  found.check(() => {
    if (!t.sameDevice) broken("WRONG_DEVICE", `${t.label} belongs to another device`);
  });
  found.check(() => {
    if (t.bound) broken("ALREADY_BOUND", `${t.label} is already bound to memory`);
  });
}

/**
 * Plans an allocation: its size holds the target's requirement; each handle type it is
 * exportable as is one the capability query exports (for the target) and the target was declared
 * external as; a dedicated allocation where the target or a handle type requires it, and only for
 * a target that can have one; a memory type the target allows, with the flags asked.
 *
 * @example
 * ```ts
 * const r = planAllocate({ device: pd.name, memoryTypes: pd.memoryTypes, size: 65536n, exportAs: [] });
 * if (!r.ok) console.log(r.broken.map((b) => b.rule));
 * ```
 *
 * @category Memory
 */
export function planAllocate(req: AllocateRequest): AllocateResult {
  const found = new Findings();
  const t = req.target;
  if (t) targetRules(found, t);
  const size = req.size ?? BigInt(t?.requirements.size ?? 0);
  if (t) {
    found.check(() => {
      if (size >= BigInt(t.requirements.size)) return;
      broken(
        "SIZE_MISMATCH",
        `${t.label} needs ${t.requirements.size} bytes; size is ${size}`,
        t.requirements.size,
        size,
      );
    });
  }
  let needed = t?.requirements.requiresDedicated ?? false;
  for (const { handleType, capability: cap } of req.exportAs) {
    found.check(() => {
      if (cap.exportable) return;
      broken(
        "HANDLE_TYPE_UNSUPPORTED",
        `${req.device} cannot export ${handleType} memory${t ? ` for ${t.label}` : ""}${
          cap.unsupported ? ` (${cap.unsupported})` : cap.importable ? " (import only)" : ""
        }`,
        "exportable",
        cap,
      );
    });
    if (cap.dedicatedOnly) needed = true;
    if (t) found.check(() => requireExternal(t, handleType));
  }
  const dedicated = req.dedicated ?? (needed || (t?.requirements.prefersDedicated ?? false));
  found.check(() => dedicatedRule(t, dedicated, needed));
  const type = found.check(() =>
    chooseMemoryType(
      req.device,
      req.memoryTypes,
      t ? t.requirements.memoryTypeBits : (1 << req.memoryTypes.length) - 1,
      req.properties ?? 0,
      req.memoryTypeIndex,
      t?.label ?? "this allocation",
      // Asked for no flags: device-local memory where it is allowed (NVIDIA's first type has no
      // flags at all), as a C program picking the first DEVICE_LOCAL type gets.
      req.properties === undefined ? MemoryProperty.DEVICE_LOCAL : 0,
    )
  );
  return found.result(() => ({ size, memoryTypeIndex: type!, dedicated }));
}

/** A dedicated allocation needs a target that can have one; one that is needed is made. */
function dedicatedRule(
  t: AllocationTargetFacts | undefined,
  dedicated: boolean,
  needed: boolean,
): void {
  if (dedicated && !t) broken("DEDICATED_REQUIRED", "a dedicated allocation needs `for`");
  if (dedicated && t?.noDedicated) broken("DEDICATED_MISMATCH", `${t.label}: ${t.noDedicated}`);
  if (!dedicated && needed) {
    broken(
      "DEDICATED_REQUIRED",
      `${t!.label} needs a dedicated allocation (the driver or the handle type requires it)`,
    );
  }
}

/**
 * What {@linkcode planHostImport} judges: the host memory (its address and size), the device's
 * alignment and capability, and the target.
 *
 * @example
 * ```ts
 * const r = planHostImport({ device: pd.name, memoryTypes: pd.memoryTypes, label: "shm", address, size: 4096n,
 *   alignment: 4096n, capability, hostMemoryTypeBits: () => 0b1 });
 * ```
 *
 * @category Memory
 */
export interface HostImportRequest {
  /** The device's name, for messages. */
  device: string;
  /** Its memory types. */
  memoryTypes: readonly PlanMemoryType[];
  /** What the memory is for (and bound to). */
  target?: AllocationTargetFacts;
  /** The host memory, for messages. */
  label: string;
  /** Its address. */
  address: bigint;
  /** Its size in bytes. */
  size: bigint;
  /** The device's `minImportedHostPointerAlignment`. */
  alignment: bigint;
  /** The capability query's answer for HOST_ALLOCATION (for the target). */
  capability: ExternalMemoryCapability;
  /** The memory property flags asked for, as a mask. */
  properties?: number;
  /** `vkGetMemoryHostPointerPropertiesEXT`'s memory types for the address: asked only once every other rule holds. */
  hostMemoryTypeBits: () => number;
}

/**
 * Plans a host-pointer import: its address and size are multiples of the device's alignment; the
 * device imports HOST_ALLOCATION (for the target); the target was declared external as it and
 * fits in it; a memory type the host pointer and the target allow, with the flags asked.
 *
 * @example
 * ```ts
 * const r = planHostImport(request);
 * if (!r.ok) console.log(r.broken[0].rule); // ALIGNMENT, say
 * ```
 *
 * @category Memory
 */
export function planHostImport(req: HostImportRequest): AllocateResult {
  const found = new Findings();
  const t = req.target;
  if (t) targetRules(found, t);
  const { address, size, alignment: align } = req;
  found.check(() => {
    if (address % align === 0n && size % align === 0n) return;
    broken(
      "ALIGNMENT",
      `${req.label}: address 0x${
        address.toString(16)
      } and size ${size} must both be multiples of ${req.device}'s minImportedHostPointerAlignment ${align}`,
      align,
      { address, size },
    );
  });
  found.check(() => {
    if (req.capability.importable) return;
    const why = req.capability.unsupported;
    broken(
      "HANDLE_TYPE_UNSUPPORTED",
      `${req.device} cannot import HOST_ALLOCATION memory${why ? ` (${why})` : ""}`,
    );
  });
  if (t) {
    found.check(() => requireExternal(t, "HOST_ALLOCATION"));
    found.check(() => {
      if (BigInt(t.requirements.size) <= size) return;
      broken(
        "SIZE_MISMATCH",
        `${t.label} needs ${t.requirements.size} bytes; ${req.label} has ${size}`,
        t.requirements.size,
        size,
      );
    });
  }
  if (found.any) return { ok: false, broken: found.broken };
  const hostBits = req.hostMemoryTypeBits();
  const type = found.check(() =>
    chooseMemoryType(
      req.device,
      req.memoryTypes,
      hostBits & (t?.requirements.memoryTypeBits ?? 0xffffffff),
      req.properties ?? 0,
      undefined,
      `${req.label} (vkGetMemoryHostPointerPropertiesEXT allows 0x${hostBits.toString(16)})`,
    )
  );
  return found.result(() => ({ size, memoryTypeIndex: type!, dedicated: false }));
}

/**
 * A buffer or image is declared external only as handle types its device has: a handle type whose
 * extension the device has not enabled (`missing`: the extension's name) is a
 * HANDLE_TYPE_UNSUPPORTED at creation, rather than at the first export or import. (A handle type
 * the device imports only, such as lavapipe's DMA_BUF, is one it has.)
 *
 * @example
 * ```ts
 * externalDeclarationRules("llvmpipe", "a buffer", [{ handleType: "DMA_BUF", missing: "VK_EXT_external_memory_dma_buf" }]);
 * ```
 *
 * @category Memory
 */
export function externalDeclarationRules(
  device: string,
  what: string,
  declared: readonly { handleType: string; missing?: string }[],
): BrokenRule[] {
  const found = new Findings();
  for (const { handleType, missing } of declared) {
    found.check(() => {
      if (!missing) return;
      broken(
        "HANDLE_TYPE_UNSUPPORTED",
        `${device} cannot declare ${what} external as ${handleType}: the device has no ${missing}`,
        "a handle type the device has",
        handleType,
      );
    });
  }
  return found.broken;
}

/**
 * The handle types of `mask` whose extension `enabled` says is missing, as
 * {@linkcode externalDeclarationRules} takes them.
 *
 * @example
 * ```ts
 * declaredHandleTypes(["DMA_BUF"], (e) => device.hasExtension(e));
 * ```
 *
 * @category Memory
 */
export function declaredHandleTypes(
  handleTypes: readonly string[],
  enabled: (extension: string) => boolean,
): { handleType: string; missing?: string }[] {
  return handleTypes.map((handleType) => {
    const ext = (MEMORY_HANDLE_EXTENSION as Record<string, string | undefined>)[handleType];
    return ext === undefined || enabled(ext) ? { handleType } : { handleType, missing: ext };
  });
}
