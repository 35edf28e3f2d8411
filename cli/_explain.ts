/**
 * `vkshare doctor --explain`'s input and verdicts, kept apart from the report: what it reads (a
 * regular file or stdin, at most {@linkcode EXPLAIN_MAX_BYTES}), what it takes from it (one
 * descriptor, or the descriptors of an offer checked as `receiveOffer` checks them), and what
 * becomes of an error that is not a broken rule (a verdict of its own, never a stack trace).
 *
 * @module
 */
// @ts-types="./_node/fs.d.ts"
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

import { type ProtocolError, ShareError, show } from "../core/errors.ts";
import { parseOffer } from "../ipc/offer.ts";
import type { PlanResult } from "../share/plan.ts";

/** The most an explanation reads: a descriptor is a few hundred bytes, an offer a few KiB. */
export const EXPLAIN_MAX_BYTES: number = 4 << 20;

/** `O_NONBLOCK`: a FIFO opens at once, so that it is refused instead of waited on. */
const O_NONBLOCK = 0o4000;

/** What `--explain` could not read, in words (the doctor prints it as a usage error, exit 2). */
export class ExplainInputError extends Error {
  /** @param message what was wrong with the input */
  constructor(message: string) {
    super(message);
    this.name = "ExplainInputError";
  }
}

/**
 * The text of `from`: a regular file (not a FIFO, device or directory, which could block, never
 * end, or be nothing to read), or `-` for stdin; at most {@linkcode EXPLAIN_MAX_BYTES} either way.
 */
export async function readExplainInput(from: string): Promise<string> {
  const bytes = from === "-" ? await readStdin() : readRegularFile(from);
  return new TextDecoder().decode(bytes);
}

function readRegularFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, O_NONBLOCK); // O_RDONLY
  } catch (e) {
    throw new ExplainInputError(`cannot open ${path}: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? "a FIFO" : st.isDirectory() ? "a directory" : "not a regular file";
      throw new ExplainInputError(
        `${path} is ${kind}: give a file, or - for stdin (at most ${EXPLAIN_MAX_BYTES} bytes)`,
      );
    }
    const buf = new Uint8Array(EXPLAIN_MAX_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > EXPLAIN_MAX_BYTES) throw tooLong(path);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  // deno-lint-ignore no-explicit-any
  for await (const c of (globalThis as any).process.stdin as AsyncIterable<Uint8Array>) {
    chunks.push(c);
    n += c.length;
    if (n > EXPLAIN_MAX_BYTES) throw tooLong("stdin");
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

function tooLong(what: string): ExplainInputError {
  return new ExplainInputError(
    `${what} holds more than ${EXPLAIN_MAX_BYTES} bytes: a descriptor or an offer is a few KiB`,
  );
}

/** One descriptor to explain, and what it is of. */
export interface ExplainItem {
  /** How the explanation names it (`the offer's semaphores[0]`). */
  what: string;
  /** Its object. */
  object: "memory" | "semaphore" | "fence";
  /** The descriptor as given. */
  descriptor: unknown;
}

/**
 * The descriptors `input` holds: one descriptor, or those of an offer, which is checked first as
 * `receiveOffer` checks it (a ProtocolError where it would refuse the offer). An input that is
 * not a JSON object is an ExplainInputError.
 */
export function explainItems(input: unknown): ExplainItem[] {
  const o = input as Record<string, unknown> | null;
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new ExplainInputError(
      `expected a descriptor or an offer (a JSON object), got ${show(input)}`,
    );
  }
  if (o.type === "offer") {
    const offer = parseOffer(o);
    return [
      ...(offer.memory
        ? [{ what: "the offer's memory", object: "memory" as const, descriptor: offer.memory }]
        : []),
      ...offer.semaphores.map((d, i) => ({
        what: `the offer's semaphores[${i}]`,
        object: "semaphore" as const,
        descriptor: d,
      })),
      ...offer.fences.map((d, i) => ({
        what: `the offer's fences[${i}]`,
        object: "fence" as const,
        descriptor: d,
      })),
    ];
  }
  const object = o.object === "semaphore" || o.object === "fence" ? o.object : "memory";
  return [{ what: `the ${object} descriptor`, object, descriptor: o }];
}

/**
 * A verdict: the plan's (no rule broken, or the rules broken), or, for an error that is not a
 * broken rule, what kept the explanation from being made (`unjudged`: exit 1).
 */
export type Verdict =
  | { ok: true }
  | { ok: false; broken: readonly { rule: string; message: string }[] }
  | { unjudged: string };

/** The verdict of `plan`: a ShareError is a broken rule; any other error is `unjudged`. */
export function judge(plan: () => PlanResult): Verdict {
  try {
    const r = plan();
    return r.ok ? { ok: true } : { ok: false, broken: r.broken };
  } catch (e) {
    if (e instanceof ShareError) {
      return { ok: false, broken: [{ rule: e.rule, message: e.message }] };
    }
    return { unjudged: `${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? show(e)}` };
  }
}

/** A ProtocolError from an offer, as the verdict it is: receiveOffer refuses the whole offer. */
export function offerRefused(e: ProtocolError): Verdict {
  return {
    ok: false,
    broken: [{ rule: e.code, message: `receiveOffer refuses this offer: ${e.message}` }],
  };
}
