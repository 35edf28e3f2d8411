/**
 * The doctor's verdicts and end-to-end runs, as data: shared by the report (doctor/report.ts)
 * and the GL paths (doctor/gl.ts).
 *
 * @module
 */

/** Whether a path works: `works`, `fails` (offered, but not both ways), `not-offered`. */
export type Verdict = "works" | "fails" | "not-offered";

/** An end-to-end run: whether the bytes arrived, and the p50 of the share; or why it did not run. */
export type Proof = { ok: boolean; p50Us: number; what: string } | { notRun: string };

/** A proof from its runs' times (ms): their p50 in µs, one decimal. */
export function proofOf(ok: boolean, times: number[], what: string): Proof {
  const sorted = [...times].sort((x, y) => x - y);
  return { ok, p50Us: Math.round(sorted[sorted.length >> 1] * 1000 * 10) / 10, what };
}

/** A proof that failed with `e`: its message's first line. */
export function proofFailed(e: unknown): Proof {
  return { ok: false, p50Us: 0, what: `failed: ${(e as Error).message.split("\n")[0]}` };
}
