/**
 * vkshare's errors: one class per failure family, all {@linkcode VkshareError}s with a stable
 * `code`. Success codes other than VK_SUCCESS (VK_TIMEOUT, VK_NOT_READY, VK_INCOMPLETE, ...) are
 * values, never exceptions.
 *
 * @module
 */
import { VkshareError } from "../ffi/error.ts";
import type { ShareRule } from "./rules.ts";
export { VkshareError };
export { SHARE_RULES, type ShareRule } from "./rules.ts";

/**
 * A report a driver made through the debug messenger during a failed call (a
 * `ValidationMessage` of instance.ts whose `source` is `"driver"`).
 *
 * @example
 * ```ts
 * try {
 *   DeviceMemory.importFd(device, fd, descriptor);
 * } catch (e) {
 *   if (e instanceof ImportError) for (const r of e.driverReports) console.log(r.id, r.message);
 * }
 * ```
 *
 * @category Errors
 */
export interface DriverReport {
  /** How bad it is. */
  severity: string;
  /** `"driver"`. */
  source: "layer" | "driver";
  /** True: the failure it reports was turned into a typed error, so it is not counted. */
  expected: boolean;
  /** Its id name (Mesa: the source location), or "". */
  id: string;
  /** The text. */
  message: string;
}
export { LibraryLoadError } from "../ffi/library.ts";

import { doctorHint } from "./rules.ts";
export { doctorHint };

/**
 * VkResult names by value.
 *
 * @example
 * ```ts
 * VK_RESULT_NAMES[2]; // "VK_TIMEOUT"
 * ```
 *
 * @category Errors
 */
export const VK_RESULT_NAMES: Readonly<Record<number, string>> = {
  0: "VK_SUCCESS",
  1: "VK_NOT_READY",
  2: "VK_TIMEOUT",
  3: "VK_EVENT_SET",
  4: "VK_EVENT_RESET",
  5: "VK_INCOMPLETE",
  [-1]: "VK_ERROR_OUT_OF_HOST_MEMORY",
  [-2]: "VK_ERROR_OUT_OF_DEVICE_MEMORY",
  [-3]: "VK_ERROR_INITIALIZATION_FAILED",
  [-4]: "VK_ERROR_DEVICE_LOST",
  [-5]: "VK_ERROR_MEMORY_MAP_FAILED",
  [-6]: "VK_ERROR_LAYER_NOT_PRESENT",
  [-7]: "VK_ERROR_EXTENSION_NOT_PRESENT",
  [-8]: "VK_ERROR_FEATURE_NOT_PRESENT",
  [-9]: "VK_ERROR_INCOMPATIBLE_DRIVER",
  [-10]: "VK_ERROR_TOO_MANY_OBJECTS",
  [-11]: "VK_ERROR_FORMAT_NOT_SUPPORTED",
  [-12]: "VK_ERROR_FRAGMENTED_POOL",
  [-13]: "VK_ERROR_UNKNOWN",
  [-1000069000]: "VK_ERROR_OUT_OF_POOL_MEMORY",
  [-1000072003]: "VK_ERROR_INVALID_EXTERNAL_HANDLE",
  [-1000161000]: "VK_ERROR_FRAGMENTATION",
  [-1000257000]: "VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS",
  1000297000: "VK_PIPELINE_COMPILE_REQUIRED",
  [-1000000000]: "VK_ERROR_SURFACE_LOST_KHR",
  [-1000000001]: "VK_ERROR_NATIVE_WINDOW_IN_USE_KHR",
  1000001003: "VK_SUBOPTIMAL_KHR",
  [-1000001004]: "VK_ERROR_OUT_OF_DATE_KHR",
  [-1000003001]: "VK_ERROR_INCOMPATIBLE_DISPLAY_KHR",
  [-1000011001]: "VK_ERROR_VALIDATION_FAILED_EXT",
  [-1000012000]: "VK_ERROR_INVALID_SHADER_NV",
  [-1000158000]: "VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT",
  [-1000174001]: "VK_ERROR_NOT_PERMITTED_KHR",
  [-1000255000]: "VK_ERROR_FULL_SCREEN_EXCLUSIVE_MODE_LOST_EXT",
  1000268000: "VK_THREAD_IDLE_KHR",
  1000268001: "VK_THREAD_DONE_KHR",
  1000268002: "VK_OPERATION_DEFERRED_KHR",
  1000268003: "VK_OPERATION_NOT_DEFERRED_KHR",
  [-1000338000]: "VK_ERROR_COMPRESSION_EXHAUSTED_EXT",
  1000482000: "VK_INCOMPATIBLE_SHADER_BINARY_EXT",
};

/**
 * The name of a VkResult (`VK_RESULT_<n>` for a value this table does not know).
 *
 * @example
 * ```ts
 * resultName(-1000072003); // "VK_ERROR_INVALID_EXTERNAL_HANDLE"
 * ```
 *
 * @category Errors
 */
export function resultName(result: number): string {
  return VK_RESULT_NAMES[result] ?? `VK_RESULT_${result}`;
}

/**
 * @ignore @internal A value from outside (a peer's JSON, a caller's object) shown in a message: JSON, cut
 * at 100 characters; never throws, whatever the value (`{"toString": 1}` included).
 */
export function show(v: unknown): string {
  try {
    const j = JSON.stringify(v);
    return j === undefined ? `(${typeof v})` : j.length > 100 ? `${j.slice(0, 100)}...` : j;
  } catch {
    return `(${typeof v})`;
  }
}

/**
 * @ignore @internal Whether `s` is a string a message or a terminal can show as it is: no control
 * characters (C0, DEL, C1: no ESC, OSC or CR-LF that a peer could use to rewrite a terminal).
 */
export function printable(s: unknown): s is string {
  return typeof s === "string" && !/\p{Cc}/u.test(s);
}

/** The message of a failed native call, shared by VkError and CudaError. */
function failureMessage(
  call: string,
  name: string,
  result: number,
  details: Record<string, unknown>,
  note?: string,
): string {
  const d = Object.entries(details).map(([k, v]) => `${k}=${showValue(v)}`).join(", ");
  return `${call} failed: ${name} (${result})${d ? ` [${d}]` : ""}${note ? `: ${note}` : ""}`;
}

function showValue(v: unknown): string {
  if (typeof v === "bigint") return `0x${v.toString(16)}`;
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return `[${v.map(showValue).join(", ")}]`;
  return String(v);
}

/**
 * A Vulkan command returned an error code.
 *
 * @example
 * ```ts
 * try {
 *   // ... a vkshare call
 * } catch (e) {
 *   if (e instanceof VkError && e.resultName === "VK_ERROR_OUT_OF_DEVICE_MEMORY") {}
 * }
 * ```
 *
 * @category Errors
 */
export class VkError extends VkshareError {
  /** The VkResult value (negative). */
  readonly result: number;
  /** Its name, e.g. `VK_ERROR_INVALID_EXTERNAL_HANDLE`. */
  readonly resultName: string;
  /** The command that returned it, e.g. `vkAllocateMemory`. */
  readonly command: string;
  /** The values that matter for this failure (handle type, size, memory type, device ...). */
  readonly details: Readonly<Record<string, unknown>>;

  /** Makes the error; `note` is appended to the message. */
  constructor(
    command: string,
    result: number,
    details?: Record<string, unknown>,
    note?: string,
  ) {
    details ??= {};
    const name = resultName(result);
    super(name, failureMessage(command, name, result, details, note));
    this.result = result;
    this.resultName = name;
    this.command = command;
    this.details = details;
  }
}

/**
 * Throws a {@linkcode VkError} when `result` is an error code (negative); returns it otherwise,
 * so that VK_TIMEOUT, VK_NOT_READY and VK_INCOMPLETE come back as values.
 *
 * @example
 * ```ts
 * const r = check(0, "vkDeviceWaitIdle"); // 0
 * ```
 *
 * @category Errors
 */
export function check(result: number, command: string, details?: Record<string, unknown>): number {
  if (result < 0) throw new VkError(command, result, details);
  return result;
}

/**
 * A CUDA driver API call (libcuda) returned an error. The name comes from `cuGetErrorName`.
 *
 * @example
 * ```ts
 * const e = new CudaError("cuImportExternalMemory", 1, "CUDA_ERROR_INVALID_VALUE", { size: 4096 });
 * e.message; // "cuImportExternalMemory failed: CUDA_ERROR_INVALID_VALUE (1) [size=4096]"
 * ```
 *
 * @category Errors
 */
export class CudaError extends VkshareError {
  /** The CUresult value. */
  readonly result: number;
  /** Its name, e.g. `CUDA_ERROR_INVALID_VALUE`. */
  readonly resultName: string;
  /** The function that returned it, e.g. `cuImportExternalMemory`. */
  readonly call: string;
  /** The values that matter for this failure (device, size, fd ...). */
  readonly details: Readonly<Record<string, unknown>>;

  /** Makes the error; `note` (the driver's description, or advice) is appended. */
  constructor(
    call: string,
    result: number,
    resultName: string,
    details?: Record<string, unknown>,
    note?: string,
  ) {
    details ??= {};
    super(resultName, failureMessage(call, resultName, result, details, note));
    this.result = result;
    this.resultName = resultName;
    this.call = call;
    this.details = details;
  }
}

/**
 * An extension that an operation needs is not offered by the device (or not enabled on it).
 *
 * @example
 * ```ts
 * const e = new MissingExtensionError("VK_KHR_external_semaphore_fd", "llvmpipe", "offered");
 * e.message; // "llvmpipe does not offer VK_KHR_external_semaphore_fd"
 * ```
 *
 * @category Errors
 */
export class MissingExtensionError extends VkshareError {
  /** The missing extension. */
  readonly extension: string;
  /** The device (or instance) that lacks it. */
  readonly device: string;

  /** Says `device` does not offer (or has not enabled) `extension`. */
  constructor(extension: string, device: string, why: "offered" | "enabled", hint?: string) {
    super(
      "MISSING_EXTENSION",
      why === "offered"
        ? `${device} does not offer ${extension}${hint ? `: ${hint}` : ""}`
        : `${extension} is not enabled on ${device}${
          hint ? `: ${hint}` : ": create the device with it in `extensions`"
        }`,
    );
    this.extension = extension;
    this.device = device;
  }
}

/**
 * An object was used after `[Symbol.dispose]()`, or after its parent was disposed.
 *
 * @example
 * ```ts
 * new DisposedError("Device llvmpipe").message; // "Device llvmpipe was used after dispose"
 * ```
 *
 * @category Errors
 */
export class DisposedError extends VkshareError {
  /** Says `what` was used after dispose (`code`: `DISPOSED`). */
  constructor(what: string) {
    super("DISPOSED", `${what} was used after dispose`);
  }
}

/**
 * A sharing rule that vkshare checks before the driver sees the call was broken: the message
 * says what was expected and what was given. Nothing was passed to the driver, and no fd was
 * consumed.
 *
 * @example
 * ```ts
 * try {
 *   // DeviceMemory.importFd(device, fd, descriptor)
 * } catch (e) {
 *   if (e instanceof ShareError && e.rule === "UUID_MISMATCH") {}
 * }
 * ```
 *
 * @category Errors
 */
export class ShareError extends VkshareError {
  /** The rule. */
  readonly rule: ShareRule;
  /** What was expected (when the rule compares values). */
  readonly expected: unknown;
  /** What was given. */
  readonly actual: unknown;

  /** Says `message`; `expected` and `actual` are kept for programs. */
  constructor(rule: ShareRule, message: string, expected?: unknown, actual?: unknown) {
    super(rule, `${rule}: ${message}`);
    this.rule = rule;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A message on a share socket broke the protocol: wrong magic or version, a length that does not
 * match, a body that is not the expected JSON, an unexpected fd count, a truncated message, or a
 * peer that closed the connection. Every fd that came with the message has been closed.
 *
 * @example
 * ```ts
 * try {
 *   // await socket.receive({ timeoutMs: 1000 })
 * } catch (e) {
 *   if (e instanceof ProtocolError && e.reason === "closed") {} // the peer went away
 * }
 * ```
 *
 * @category Errors
 */
export class ProtocolError extends VkshareError {
  /** What was wrong, for programs. */
  readonly reason:
    | "closed"
    | "truncated"
    | "magic"
    | "version"
    | "length"
    | "json"
    | "fd-count"
    | "unexpected";

  /** Says `message`; `reason` is kept for programs. */
  constructor(reason: ProtocolError["reason"], message: string) {
    super(`PROTOCOL_${reason.toUpperCase().replace("-", "_")}`, message);
    this.reason = reason;
  }
}

/**
 * An import the driver refused. Besides the VkResult, it says whether the device still works:
 * NVIDIA's driver stops allocating on a VkDevice after a failed memory import, and stops
 * importing semaphores (or fences) after a failed semaphore (or fence) import. vkshare tries a
 * canary after the failure (a 4 KiB allocation; an export and import of a new semaphore or
 * fence on the same device) and reports the result.
 *
 * @example
 * ```ts
 * try {
 *   // DeviceMemory.importFd(device, fd, descriptor)
 * } catch (e) {
 *   if (e instanceof ImportError && e.deviceStillAllocates === false) {} // make a new Device
 * }
 * ```
 *
 * @category Errors
 */
export class ImportError extends VkError {
  /** After a memory import: whether a canary allocation on the same device succeeded. */
  readonly deviceStillAllocates: boolean | null;
  /**
   * After a semaphore or fence import: whether a canary import of the same kind on the same
   * device succeeded (null when the device cannot export one to try with).
   */
  readonly deviceStillImports: boolean | null;
  /**
   * What the driver itself reported through the debug messenger during the refused call (Mesa
   * 22.3's `lvp_device.c:1799: VK_ERROR_INVALID_EXTERNAL_HANDLE`); empty without validation or
   * when it said nothing. These reports are recorded as expected, not counted as validation errors.
   */
  readonly driverReports: readonly DriverReport[];

  /** Wraps the failed `command`'s `result`; `canary` says what was tried after it. */
  constructor(
    command: string,
    result: number,
    details: Record<string, unknown>,
    stillWorks: boolean | null,
    canary?: "allocates" | "imports",
    driverReports?: readonly DriverReport[],
  ) {
    canary ??= "allocates";
    driverReports ??= [];
    const said = driverReports.length
      ? `; the driver said: ${
        driverReports.map((r) => `${r.id ? `${r.id}: ` : ""}${r.message}`).join(" | ")
      }`
      : "";
    super(
      command,
      result,
      details,
      (stillWorks === null
        ? "the caller's fd is still open"
        : stillWorks
        ? `the device still ${canary}; the caller's fd is still open`
        : `the device no longer ${canary} after this failure (a known NVIDIA behaviour): create a new Device; the caller's fd is still open`)
        + said + `; ${doctorHint()}`,
    );
    this.deviceStillAllocates = canary === "allocates" ? stillWorks : null;
    this.deviceStillImports = canary === "imports" ? stillWorks : null;
    this.driverReports = driverReports;
  }
}

/**
 * Linux errno names by value (the values shared by x86_64 and aarch64).
 *
 * @example
 * ```ts
 * ERRNO_NAMES[9]; // "EBADF"
 * ```
 *
 * @category Errors
 */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  7: "E2BIG",
  9: "EBADF",
  10: "ECHILD",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  25: "ENOTTY",
  28: "ENOSPC",
  29: "ESPIPE",
  32: "EPIPE",
  36: "ENAMETOOLONG",
  38: "ENOSYS",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  95: "EOPNOTSUPP",
  98: "EADDRINUSE",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
};

/**
 * A libc call failed; `code` is the errno name.
 *
 * @example
 * ```ts
 * try {
 *   OwnedFd.dupOf(-1);
 * } catch (e) {
 *   if (e instanceof ErrnoError && e.code === "EBADF") {}
 * }
 * ```
 *
 * @category Errors
 */
export class ErrnoError extends VkshareError {
  /** The errno value. */
  readonly errno: number;
  /** The call that failed, e.g. `fcntl(F_DUPFD_CLOEXEC)`. */
  readonly call: string;

  /** Makes the error for `call` failing with `err`; `what` says on what. Its `code` is the errno name (`EBADF`; `E<n>` for a value vkshare does not name). */
  constructor(call: string, err: number, what?: string) {
    const code = ERRNO_NAMES[err] ?? `E${err}`;
    super(code, `${call} failed: ${code} (${err})${what ? ` [${what}]` : ""}`);
    this.errno = err;
    this.call = call;
  }
}

/**
 * A Windows call failed: `GetLastError`'s value, named where vkshare knows it.
 *
 * @example
 * ```ts
 * try {
 *   handle.close();
 * } catch (e) {
 *   if (e instanceof Win32Error && e.code === "ERROR_INVALID_HANDLE") {}
 * }
 * ```
 *
 * @category Errors
 */
export class Win32Error extends VkshareError {
  /** `GetLastError()` after the call. */
  readonly lastError: number;
  /** The call that failed, e.g. `CloseHandle`. */
  readonly call: string;

  /** Makes the error for `call` failing with `lastError`; `what` says on what. */
  constructor(call: string, lastError: number, what?: string) {
    const code = WIN32_ERROR_NAMES[lastError] ?? `ERROR_${lastError}`;
    super(code, `${call} failed: ${code} (${lastError})${what ? ` [${what}]` : ""}`);
    this.lastError = lastError;
    this.call = call;
  }
}

// The few GetLastError values a CloseHandle or an import can give (winerror.h).
const WIN32_ERROR_NAMES: Readonly<Record<number, string>> = {
  5: "ERROR_ACCESS_DENIED",
  6: "ERROR_INVALID_HANDLE",
  87: "ERROR_INVALID_PARAMETER",
};
