/**
 * Windows handles, the counterpart of {@linkcode OwnedFd} for the `_win32` handle types: an
 * {@linkcode OwnedHandle} is an NT handle vkshare closes (kernel32's `CloseHandle`) once, or a
 * global share (KMT) handle, which is not reference-counted and is never closed. Unlike an fd,
 * a Windows handle is not consumed by an import (the spec: "Importing ... from Windows handles
 * does not transfer ownership of the handle"): the caller closes it when done, also after a
 * successful import.
 *
 * @module
 */
import { ShareError, VkError, Win32Error } from "../core/errors.ts";
import { kernel32 } from "../ffi/kernel32.ts";

/**
 * NT (owned, closed with `CloseHandle`) or KMT (a global share handle: not reference-counted,
 * valid while the exporting object lives, never closed).
 *
 * @example
 * ```ts
 * const k: Win32HandleKind = win32HandleKind("memory", "OPAQUE_WIN32_KMT")!; // "kmt"
 * ```
 *
 * @category File descriptors
 */
export type Win32HandleKind = "nt" | "kmt";

/**
 * The Windows handle types of each object, and whether each is an NT or a KMT handle (the spec's
 * VkExternalMemoryHandleTypeFlagBits, VkExternalSemaphoreHandleTypeFlagBits and
 * VkExternalFenceHandleTypeFlagBits).
 *
 * @example
 * ```ts
 * Object.keys(WIN32_HANDLE_TYPES.fence); // ["OPAQUE_WIN32", "OPAQUE_WIN32_KMT"]
 * ```
 *
 * @category File descriptors
 */
export const WIN32_HANDLE_TYPES = {
  memory: {
    OPAQUE_WIN32: "nt",
    OPAQUE_WIN32_KMT: "kmt",
    D3D11_TEXTURE: "nt",
    D3D11_TEXTURE_KMT: "kmt",
    D3D12_HEAP: "nt",
    D3D12_RESOURCE: "nt",
  },
  semaphore: { OPAQUE_WIN32: "nt", OPAQUE_WIN32_KMT: "kmt", D3D12_FENCE: "nt" },
  fence: { OPAQUE_WIN32: "nt", OPAQUE_WIN32_KMT: "kmt" },
} as const satisfies Record<string, Record<string, Win32HandleKind>>;

/**
 * A memory handle type that is a Windows handle.
 *
 * @example
 * ```ts
 * const t: MemoryWin32HandleTypeName = "OPAQUE_WIN32";
 * ```
 *
 * @category Memory
 */
export type MemoryWin32HandleTypeName = keyof typeof WIN32_HANDLE_TYPES.memory;

/**
 * A semaphore or fence handle type that is a Windows handle (D3D12_FENCE: semaphores only).
 *
 * @example
 * ```ts
 * const t: SyncWin32HandleTypeName = "D3D12_FENCE";
 * ```
 *
 * @category Synchronization
 */
export type SyncWin32HandleTypeName = keyof typeof WIN32_HANDLE_TYPES.semaphore;

/**
 * Whether `handleType` of `object` is an NT or a KMT Windows handle; undefined when it is not a
 * Windows handle type of that object.
 *
 * @example
 * ```ts
 * win32HandleKind("semaphore", "D3D12_FENCE"); // "nt"
 * win32HandleKind("memory", "OPAQUE_FD"); // undefined
 * ```
 *
 * @category File descriptors
 */
export function win32HandleKind(
  object: "memory" | "semaphore" | "fence",
  handleType: string,
): Win32HandleKind | undefined {
  const table: Readonly<Record<string, Win32HandleKind>> = WIN32_HANDLE_TYPES[object];
  return Object.hasOwn(table, handleType) ? table[handleType] : undefined;
}

/**
 * What the state of an {@linkcode OwnedHandle} is.
 *
 * @example
 * ```ts
 * const s: HandleState = handle.state; // "open"
 * ```
 *
 * @category File descriptors
 */
export type HandleState = "open" | "closed" | "released";

// HANDLE is pointer-sized; 0 is NULL and all ones INVALID_HANDLE_VALUE, neither a handle.
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * A Windows HANDLE owned by the script: an export's, or one adopted. An NT handle is closed once
 * (`CloseHandle`) by `close()` or dispose; a KMT handle is never closed (closing it only marks it
 * closed here). An import does not consume it.
 *
 * @example
 * ```ts
 * using exp = memory.exportWin32("OPAQUE_WIN32"); // closes the NT handle at scope end
 * const other = DeviceMemory.importWin32(device2, exp.handle, exp.descriptor);
 * ```
 *
 * @category File descriptors
 */
export class OwnedHandle implements Disposable {
  #value: bigint;
  #state: HandleState = "open";
  readonly #kind: Win32HandleKind;
  readonly #label: string;

  /** @ignore Made by the class's own static methods. */
  private constructor(value: bigint, kind: Win32HandleKind, label: string) {
    this.#value = value;
    this.#kind = kind;
    this.#label = label;
  }

  /**
   * Takes ownership of `value`, a handle of `kind` the caller will no longer close itself. A
   * value that is not a HANDLE (NULL, INVALID_HANDLE_VALUE, not an integer of 64 bits) is a
   * RangeError.
   */
  static adopt(value: bigint | number, kind: Win32HandleKind, label?: string): OwnedHandle {
    if (kind !== "nt" && kind !== "kmt") {
      throw new TypeError(`kind: expected "nt" or "kmt", got ${String(kind)}`);
    }
    const v = typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;
    if (typeof v !== "bigint" || v <= 0n || v >= U64_MAX) {
      throw new RangeError(
        `value: expected a Windows HANDLE (an integer from 1 to 2^64 - 2; not NULL or INVALID_HANDLE_VALUE), got ${
          String(value)
        }`,
      );
    }
    return new OwnedHandle(
      v,
      kind,
      label ?? `${kind === "nt" ? "NT" : "KMT"} handle 0x${v.toString(16)}`,
    );
  }

  /** The handle's value; a TypeError once it is closed or released. */
  get handle(): bigint {
    if (this.#state !== "open") {
      throw new TypeError(
        `${this.#label} was ${this.#state}: its value is no longer this object's`,
      );
    }
    return this.#value;
  }

  /** NT or KMT. */
  get kind(): Win32HandleKind {
    return this.#kind;
  }

  /** What happened to it. */
  get state(): HandleState {
    return this.#state;
  }

  /** What it is, for messages. */
  get label(): string {
    return this.#label;
  }

  /**
   * Closes it (idempotent): an NT handle through `CloseHandle` (a Win32Error if that fails, and
   * the handle stays open; off Windows, kernel32.dll's LibraryLoadError), a KMT handle only here.
   */
  close(): void {
    if (this.#state !== "open") return;
    if (this.#kind === "nt") {
      const k = kernel32();
      if (!k.CloseHandle(this.#value)) {
        throw new Win32Error("CloseHandle", k.GetLastError(), this.#label);
      }
    }
    this.#state = "closed";
  }

  /** Hands the handle on: it is no longer closed here, and its value is returned. */
  release(): bigint {
    const v = this.handle;
    this.#state = "released";
    return v;
  }

  /**
   * Closes it, unless it was released. A dispose never throws (inside `using` a throw would
   * replace the error that ends the block): where the handle cannot be closed (no kernel32 off
   * Windows, a CloseHandle that fails), it stays open, with a warning that says why.
   */
  [Symbol.dispose](): void {
    try {
      this.close();
    } catch (e) {
      console.warn(
        `vkshare: ${this.#label} was left open: ${(e as Error).message.split("\n")[0]}`,
      );
    }
  }
}

/**
 * What a Windows handle import takes: an open handle of the kind its handle type is, or, for an
 * NT handle type only, the name of a named object instead (never both).
 *
 * @example
 * ```ts
 * const by: Win32Source = { name: "Local\\frames" };
 * ```
 *
 * @category File descriptors
 */
export interface Win32Source {
  /** The handle (not consumed: the caller closes it). */
  handle?: OwnedHandle;
  /** The name of a named NT object (what `VkExportMemoryWin32HandleInfoKHR.name` made). */
  name?: string;
}

/**
 * @ignore @internal Checks a Windows handle import's source against `handleType` of `object`: a ShareError
 * WIN32_HANDLE unless it is an open handle of the type's kind, or a name (NT types only), not
 * both. Returns the handle's value (0n for a name).
 */
export function checkWin32Source(
  object: "memory" | "semaphore" | "fence",
  handleType: string,
  source: Win32Source,
): bigint {
  const kind = win32HandleKind(object, handleType);
  const fail = (message: string, expected: unknown, actual: unknown): never => {
    throw new ShareError("WIN32_HANDLE", message, expected, actual);
  };
  if (kind === undefined) {
    return fail(`${handleType} is not a Windows handle type`, "win32", handleType);
  }
  if (typeof source !== "object" || source === null) {
    return fail("the source must be { handle } or { name }", "{ handle } or { name }", source);
  }
  const { handle, name } = source;
  if (handle !== undefined && name !== undefined) {
    return fail(
      "a Windows handle import takes a handle or a name, not both (the name must be NULL when the handle is not)",
      "one of handle, name",
      ["handle", "name"],
    );
  }
  if (name !== undefined) {
    if (typeof name !== "string" || name.length === 0 || name.includes("\0")) {
      return fail("name: expected a non-empty string without NUL", "a name", name);
    }
    if (kind !== "nt") {
      return fail(
        `${handleType} is a global share (KMT) handle type: only NT handle types import by name`,
        "a handle",
        "a name",
      );
    }
    return 0n;
  }
  if (!(handle instanceof OwnedHandle)) {
    return fail("a Windows handle import needs an OwnedHandle or a name", "an OwnedHandle", handle);
  }
  if (handle.state !== "open") {
    return fail(`${handle.label} was ${handle.state}`, "open", handle.state);
  }
  if (handle.kind !== kind) {
    return fail(
      `${handleType} is ${kind === "nt" ? "an NT" : "a KMT"} handle type, but ${handle.label} is ${
        handle.kind === "nt" ? "an NT" : "a KMT"
      } handle`,
      kind,
      handle.kind,
    );
  }
  return handle.handle;
}

/**
 * @ignore @internal An NT handle of an object is exported once per handle type (the spec's
 * VUID-VkMemoryGetWin32HandleInfoKHR-handleType-00663 and its semaphore and fence equals):
 * a ShareError WIN32_EXPORTED_ONCE when `exported` already holds `handleType` (the caller adds it
 * once an export succeeded). KMT handle types may be exported again (the same global handle).
 */
export function checkWin32Export(
  object: "memory" | "semaphore" | "fence",
  label: string,
  handleType: string,
  exported: Set<string>,
): void {
  if (win32HandleKind(object, handleType) !== "nt") return;
  if (exported.has(handleType)) {
    throw new ShareError(
      "WIN32_EXPORTED_ONCE",
      `${label} was exported as ${handleType} before: an NT handle is exported at most once per ${object} and handle type (keep the first, or duplicate it with DuplicateHandle)`,
      "no earlier export",
      handleType,
    );
  }
}

/**
 * An export as a Windows handle: the handle (an NT one closes on dispose unless released) and
 * the descriptor an importer needs.
 *
 * @example
 * ```ts
 * using exp: Win32Export<MemoryDescriptor> = memory.exportWin32("OPAQUE_WIN32");
 * ```
 *
 * @category File descriptors
 */
export interface Win32Export<D> extends Disposable {
  /** The exported handle. */
  handle: OwnedHandle;
  /** What an importer needs. */
  descriptor: D;
}

/** `name` as the NUL-terminated UTF-16 string a LPCWSTR points to. */
function wideString(name: string): Uint16Array {
  const out = new Uint16Array(name.length + 1);
  for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i);
  return out;
}

/**
 * @ignore @internal What the `handle` and `name` fields of a VkImport*Win32HandleInfoKHR get from a
 * source the plan accepted (a NULL handle with a name, or no name with a handle), and how an
 * error names it (`shown`).
 */
export function win32Fields(
  source: Win32Source,
): { handle: bigint; name: Uint16Array | 0n; shown: Record<string, string> } {
  if (source.name !== undefined) {
    return { handle: 0n, name: wideString(source.name), shown: { name: source.name } };
  }
  const handle = source.handle!.handle;
  return { handle, name: 0n, shown: { handle: `0x${handle.toString(16)}` } };
}

/**
 * @ignore @internal The source of an `importWin32`: an OwnedHandle alone is `{ handle }`; anything that
 * is not an object is taken as a handle, for checkWin32Source to refuse (WIN32_HANDLE).
 */
export function win32Source(source: OwnedHandle | Win32Source): Win32Source {
  if (source instanceof OwnedHandle) return { handle: source };
  if (typeof source !== "object" || source === null) return { handle: source as never };
  return source;
}

/**
 * @ignore @internal The kind of `handleType` of `object`, or a RangeError naming the object's Windows
 * handle types.
 */
export function win32KindOf(
  object: "memory" | "semaphore" | "fence",
  handleType: string,
): Win32HandleKind {
  const kind = win32HandleKind(object, handleType);
  if (kind === undefined) {
    throw new RangeError(
      `handleType: expected a Windows handle type of ${
        object === "memory" ? "memory" : `a ${object}`
      } (${Object.keys(WIN32_HANDLE_TYPES[object]).join(", ")}), got ${String(handleType)}`,
    );
  }
  return kind;
}

/** What {@linkcode finishWin32Export} needs to know of an export. */
export interface Win32ExportFacts<D> {
  object: "memory" | "semaphore" | "fence";
  /** The exported object, for messages and the handle's label. */
  label: string;
  handleType: string;
  /** The handle types the object was exported as an NT handle already (added to on success). */
  exported: Set<string>;
  /** The driver's call (`vkGetMemoryWin32HandleKHR`), for messages. */
  call: string;
  /** Makes the call, the HANDLE written to `out`; returns its VkResult. */
  get(out: Uint8Array): number;
  /** The details of a VkError. */
  details(): Record<string, unknown>;
  /** The export's descriptor. */
  describe(): D;
}

const handleOut = new BigUint64Array(new ArrayBuffer(8));
const handleOutBytes = new Uint8Array(handleOut.buffer);

/**
 * @ignore @internal Exports as a Windows handle, for memory, semaphores and fences alike: an NT handle
 * once per object and handle type (WIN32_EXPORTED_ONCE), a failed call a VkError, a NULL handle
 * after VK_SUCCESS a ShareError BAD_EXPORT; the handle is owned (an NT one closes when the export
 * is disposed, unless released) and the descriptor frozen.
 */
export function finishWin32Export<D extends object>(facts: Win32ExportFacts<D>): Win32Export<D> {
  const { object, label, handleType, exported, call } = facts;
  const kind = win32KindOf(object, handleType);
  checkWin32Export(object, label, handleType, exported);
  handleOut[0] = 0n;
  const r = facts.get(handleOutBytes);
  if (r < 0) throw new VkError(call, r, facts.details());
  const value = handleOut[0];
  if (value === 0n) {
    throw new ShareError(
      "BAD_EXPORT",
      `${call} returned VK_SUCCESS with a NULL handle for ${label} (${handleType})`,
      "a handle",
      0,
    );
  }
  exported.add(handleType);
  const handle = OwnedHandle.adopt(value, kind, `${handleType} export of ${label}`);
  return {
    handle,
    descriptor: Object.freeze(facts.describe()),
    [Symbol.dispose]: () => handle.close(),
  };
}
