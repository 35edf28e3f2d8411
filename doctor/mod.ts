/**
 * The doctor as a library (the `vkshare/doctor` export): the verdict of every sharing path of a
 * device ({@linkcode sharePaths}), of every pair of devices, and the whole report that
 * `vkshare doctor` prints (`--json`: the same object). A script that asks "can I share here?"
 * calls these rather than rebuilding the verdicts from capability rows.
 *
 * @example
 * ```ts
 * import { Instance } from "vkshare";
 * import { sharePaths } from "vkshare/doctor";
 *
 * using instance = Instance.create();
 * for (const p of sharePaths(instance.physicalDevices()[0])) {
 *   console.log(p.object, p.handleType, p.verdict, p.causes.join("; "));
 * }
 * ```
 *
 * @module
 */
export { doctorHint } from "../core/errors.ts";
export type { GlPathReport } from "./gl.ts";
export {
  DOCTOR_SCHEMA,
  doctorReport,
  environment,
  pairReports,
  serveImport,
  sharePaths,
} from "./report.ts";
export type {
  DeviceReport,
  DoctorOptions,
  DoctorReport,
  EnvironmentReport,
  PairReport,
  PathReport,
  Proof,
  SharePathOptions,
  Verdict,
} from "./report.ts";
