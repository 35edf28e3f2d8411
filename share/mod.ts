/**
 * vkshare's share core (the `vkshare/plan` export): the sharing rules and the import plan that
 * applies them without a driver, the raw capability queries behind `capabilityMatrix`, what an fd
 * or a Windows handle is, and the descriptor vocabulary. A script needs it to ask "would this
 * import be refused, and why?" before it has the fd, or to read a capability field by field.
 *
 * @example
 * ```ts
 * import { SHARE_RULES } from "vkshare/plan";
 *
 * console.log(SHARE_RULES.UUID_MISMATCH.explains);
 * ```
 *
 * @module
 */
export type { DriverReport } from "../core/errors.ts";
export { SHARE_RULES } from "../core/rules.ts";
export type { ShareRule } from "../core/rules.ts";
export { AccessLedger, MAX_HELD_ACCESSES } from "./access.ts";
export type { AccessEnd, AccessMode, AccessPoint, LedgerGrant } from "./access.ts";
export { planAllocate, planHostImport } from "./allocate_plan.ts";
export type {
  AllocatePlan,
  AllocateRequest,
  AllocateResult,
  AllocationTargetFacts,
  HostImportRequest,
} from "./allocate_plan.ts";
export {
  externalBufferProperties,
  externalFenceProperties,
  externalImageFormatProperties,
  externalImageFormatPropertiesNV,
  externalSemaphoreProperties,
  FENCE_HANDLE_EXTENSION,
  formatFeatures,
  MEMORY_HANDLE_EXTENSION,
  SEMAPHORE_HANDLE_EXTENSION,
} from "./capabilities.ts";
export type {
  BufferQuery,
  DrmFormatModifier,
  ExternalImageCapability,
  ExternalImageCapabilityNV,
  ExternalMemoryCapability,
  ExternalSyncCapability,
  ImageQuery,
  MatrixOptions,
} from "./capabilities.ts";
export { DESCRIPTOR_VERSION, isForeign, objectOf, SYNC_DESCRIPTOR_VERSION } from "./descriptor.ts";
export type { DedicatedTarget, SyncHandleTypeName, SyncSource } from "./descriptor.ts";
export type { FdState } from "./fd.ts";
export type { ExportKind } from "./fd_kind.ts";
export { describeFd, fdKind, isOpenFd } from "./fd_kind.ts";
export { WIN32_HANDLE_TYPES, win32HandleKind } from "./handle.ts";
export type {
  HandleState,
  MemoryWin32HandleTypeName,
  SyncWin32HandleTypeName,
  Win32Export,
  Win32HandleKind,
  Win32Source,
} from "./handle.ts";
export { planImport, planOrThrow, relayRefusal } from "./plan.ts";
export type {
  BrokenRule,
  ImporterFacts,
  ImportPlan,
  ImportRequest,
  MemoryTargetFacts,
  PlanMemoryType,
  PlanResult,
  SyncTargetFacts,
} from "./plan.ts";
export { checkRange, checkRangeAlignment } from "./range.ts";
export { openExportCount } from "./registry.ts";
