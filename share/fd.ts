/**
 * File descriptors as owned values (what an fd is, its kind and size, is share/fd_kind.ts). Every fd vkshare receives (an export, a dup) becomes an
 * {@linkcode OwnedFd}: close-on-exec, closed on dispose unless it was handed on (consumed by an
 * import, or released to the caller to send elsewhere). A consumed fd cannot be imported twice.
 *
 * @module
 */
import { ErrnoError, ShareError } from "../core/errors.ts";
import {
  errno,
  F_DUPFD_CLOEXEC,
  F_SETFD,
  FD_CLOEXEC,
  type FileId,
  fileId,
  libc,
  SYSCALLS,
} from "../ffi/libc.ts";
import { rt } from "../ffi/runtime.ts";
import { describeFd, isOpenFd, sameFile } from "./fd_kind.ts";

// fd numbers that vkshare closed after an import consumed them: what consumed them, and the file
// they named (device and inode). A number leaves the map when vkshare receives a new fd with that
// number, or when it is found naming another file (the kernel reuses numbers).
const consumed = new Map<number, { by: Label; file: FileId | null }>();

// The OwnedFd that owns each fd number now: an fd is closed once, by its one owner.
const owners = new Map<number, OwnedFd>();

/** A message text, or what makes it when it is first needed (most never are). */
type Label = string | (() => string);
const text = (l: Label): string => typeof l === "string" ? l : l();

// `file`, where the caller knows it already (an export of a device file: see OwnedFd.received),
// saves the fstat.
function recordConsumed(fd: number, by: Label, file?: FileId): void {
  consumed.set(fd, { by, file: file ?? fileId(fd) });
}

/**
 * Takes a copy of fd `fd` of process `pid` (pidfd_open + pidfd_getfd, Linux 5.6+): a second way
 * to receive an fd from a cooperating process, without a socket. The kernel allows it only where
 * this process may ptrace the other (same user, and what `kernel.yama.ptrace_scope` permits);
 * otherwise an ErrnoError (EPERM) says so.
 *
 * @example
 * ```ts
 * using fd = takeFd(otherPid, 7); // a close-on-exec copy of the other process's fd 7
 * ```
 *
 * @category File descriptors
 */
export function takeFd(pid: number, fd: number, label?: string): OwnedFd {
  label ??= `fd ${fd} of pid ${pid}`;
  const nr = SYSCALLS[rt.arch];
  if (!nr) throw new ErrnoError("pidfd_open", 38, `no syscall numbers for ${rt.arch}`);
  const c = libc();
  const pidfd = Number(c.syscall(BigInt(nr.pidfd_open), BigInt(pid), 0n, 0n, 0n, 0n));
  if (pidfd < 0) throw new ErrnoError("pidfd_open", errno(), `pid ${pid}`);
  try {
    const got = Number(c.syscall(BigInt(nr.pidfd_getfd), BigInt(pidfd), BigInt(fd), 0n, 0n, 0n));
    if (got < 0) throw new ErrnoError("pidfd_getfd", errno(), `fd ${fd} of pid ${pid}`);
    return OwnedFd.received(got, label);
  } finally {
    c.close(pidfd);
  }
}

/** A close-on-exec duplicate of `fd` (fcntl F_DUPFD_CLOEXEC), or an ErrnoError. */
function dupCloexec(fd: number): number {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new ErrnoError("fcntl(F_DUPFD_CLOEXEC)", 9, `fd=${fd}`);
  }
  const d = libc().fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) throw new ErrnoError("fcntl(F_DUPFD_CLOEXEC)", errno(), `fd=${fd}`);
  return d;
}

// FD_CLOEXEC is the only fd flag Linux has: setting it needs no read of the others first.
function setCloexec(fd: number): void {
  if (libc().fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    throw new ErrnoError("fcntl(F_SETFD, FD_CLOEXEC)", errno(), `fd=${fd}`);
  }
}

/**
 * What happened to an {@linkcode OwnedFd}.
 *
 * @example
 * ```ts
 * const s: FdState = exp.fd.state; // "open" until an import consumes it
 * ```
 *
 * @category File descriptors
 */
export type FdState = "open" | "closed" | "consumed" | "released";

/**
 * An owned file descriptor: close-on-exec, closed by `[Symbol.dispose]` unless an import consumed
 * it or {@linkcode OwnedFd.release} handed it on.
 *
 * @example
 * ```ts
 * using fd = OwnedFd.dupOf(0); // a close-on-exec copy of stdin
 * fd.fd; // its number
 * ```
 *
 * @category File descriptors
 */
export class OwnedFd implements Disposable {
  #fd: number;
  #state: FdState = "open";
  #consumedBy: Label = "";
  #label: string | (() => string);
  #file: FileId | undefined;

  /** @ignore Made by the class's own static methods. */
  private constructor(fd: number, label: string | (() => string)) {
    this.#fd = fd;
    this.#label = label;
    consumed.delete(fd);
    // The kernel gave this number out again, so an owner of it that is still listed lost its fd
    // outside vkshare (a raw close): it must never close the number now.
    const stale = owners.get(fd);
    if (stale) stale.#lost();
    owners.set(fd, this);
  }

  /** Its fd was closed by someone else: it is closed here, without a close. */
  #lost(): void {
    this.#state = "closed";
    this.#done();
  }

  /** What the fd is, for messages (`OPAQUE_FD export of ...`). */
  get label(): string {
    const l = this.#label;
    return typeof l === "string" ? l : (this.#label = l());
  }

  /**
   * Takes ownership of `fd`, a descriptor the caller opened and will no longer close itself
   * (vkshare makes it close-on-exec). Throws an ErrnoError (EBADF) when it is not open.
   */
  static adopt(fd: number, label?: string): OwnedFd {
    label ??= `fd ${fd}`;
    if (!isOpenFd(fd)) throw new ErrnoError("fcntl(F_GETFD)", 9, `fd=${fd} is not open`);
    const owner = owners.get(fd);
    if (owner) {
      throw new ShareError(
        "FD_OWNED",
        `fd ${fd} is owned already, by ${owner.label}: use that OwnedFd, or its dup() for a second owner (an fd it owns is closed only through it: one closed behind its back leaves it holding the number)`,
      );
    }
    setCloexec(fd);
    return new OwnedFd(fd, label);
  }

  /** A close-on-exec duplicate of `fd` (fcntl F_DUPFD_CLOEXEC); the caller keeps `fd`. */
  static dupOf(fd: number, label?: string): OwnedFd {
    label ??= `dup of fd ${fd}`;
    return new OwnedFd(dupCloexec(fd), label);
  }

  /**
   * @ignore @internal Wraps an fd that a driver or the kernel just returned, made close-on-exec unless
   * `cloexec` says it already is (a recvmsg with MSG_CMSG_CLOEXEC): no syscall then. `file` is
   * its identity where the caller knows it: every export of a device file (NVIDIA's are all
   * /dev/nvidiactl descriptors) is that file, so its consume needs no fstat.
   */
  static received(
    fd: number,
    label: string | (() => string),
    cloexec = false,
    file?: FileId,
  ): OwnedFd {
    if (!cloexec) setCloexec(fd);
    const owned = new OwnedFd(fd, label);
    owned.#file = file;
    return owned;
  }

  /** What happened to it. */
  get state(): FdState {
    return this.#state;
  }

  /** The fd number; throws when it was closed, consumed or released. */
  get fd(): number {
    if (this.#state !== "open") {
      throw new Error(
        `${this.label} (fd ${this.#fd}) was ${this.#state}${
          this.#consumedBy ? ` by ${text(this.#consumedBy)}` : ""
        }: it can no longer be used`,
      );
    }
    return this.#fd;
  }

  /** The number it had, whatever its state (for messages). */
  get number(): number {
    return this.#fd;
  }

  /** A close-on-exec duplicate, owned separately. */
  dup(): OwnedFd {
    return OwnedFd.dupOf(this.fd, `dup of ${this.label}`);
  }

  /**
   * Hands the fd on: returns its number, and this object no longer closes it. Use it to give the
   * fd to code outside vkshare (a socket, CUDA).
   */
  release(): number {
    const fd = this.fd;
    this.#state = "released";
    this.#done();
    return fd;
  }

  /** @ignore @internal Records that an import consumed raw fd `fd`, which vkshare closes now. */
  static markConsumed(fd: number, by: Label): void {
    // The number of an fd that an OwnedFd owns: that owner is consumed (and closes nothing more).
    const owner = owners.get(fd);
    if (owner) return owner.consume(by);
    recordConsumed(fd, by);
    libc().close(fd);
  }

  /** @ignore @internal An import took the fd: it is closed here and marked consumed. */
  consume(by: Label): void {
    const fd = this.fd;
    recordConsumed(fd, by, this.#file);
    libc().close(fd);
    this.#state = "consumed";
    this.#consumedBy = by;
    this.#done();
  }

  /** Closes the fd (idempotent; nothing to do when it was consumed or released). */
  close(): void {
    if (this.#state !== "open") return;
    this.#state = "closed";
    libc().close(this.#fd);
    this.#done();
  }

  #onDone: (() => void) | undefined;

  /** @ignore @internal Calls `fn` once, when the fd stops being open here (closed, consumed, released). */
  whenDone(fn: () => void): void {
    this.#onDone = fn;
  }

  #done(): void {
    if (owners.get(this.#fd) === this) owners.delete(this.#fd);
    const fn = this.#onDone;
    this.#onDone = undefined;
    fn?.();
  }

  /** Same as {@linkcode OwnedFd.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * @ignore @internal What consumed fd number `fd`, when vkshare closed it after an import and the number
 * (if open again) still names the same file; a number that now names another file is forgotten.
 */
export function consumedBy(fd: number): string | undefined {
  const c = consumed.get(fd);
  if (!c) return undefined;
  const now = fileId(fd);
  if (now !== null && c.file !== null && (now.dev !== c.file.dev || now.ino !== c.file.ino)) {
    consumed.delete(fd); // a new file got the number
    return undefined;
  }
  return text(c.by);
}

/**
 * @ignore @internal Imports through a close-on-exec dup of `fd`, so that whatever the driver does on
 * failure, the caller's fd is never closed twice or leaked: `call` gets the dup's number and
 * returns true when the driver took it. After a failure, the dup is closed only if it is still
 * open and still the caller's file (kcmp); when the kernel cannot tell, it is left open rather
 * than risk closing a number the driver reused.
 */
export function importThroughDup(fd: number, call: (dup: number) => boolean): boolean {
  const dup = dupCloexec(fd);
  consumed.delete(dup);
  let ok = false;
  try {
    ok = call(dup);
  } finally {
    if (!ok && sameFile(dup, fd) === true) libc().close(dup);
  }
  return ok;
}

/**
 * @ignore @internal The number of an fd given to an import, after checking it: an open OwnedFd, or a raw
 * number that is open and was not consumed by an earlier import. Throws a ShareError
 * (FD_NOT_OPEN, FD_CONSUMED) otherwise.
 */
export function importableFd(fd: OwnedFd | number): number {
  if (fd instanceof OwnedFd) {
    if (fd.state !== "open") {
      throw new ShareError(
        fd.state === "consumed" ? "FD_CONSUMED" : "FD_NOT_OPEN",
        `${fd.label} (fd ${fd.number}) was ${fd.state}: import a new export or a dup`,
      );
    }
    return fd.fd;
  }
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new TypeError(`fd: expected an OwnedFd or an fd number, got ${String(fd)}`);
  }
  const by = consumedBy(fd);
  if (by) {
    throw new ShareError(
      "FD_CONSUMED",
      isOpenFd(fd)
        ? `fd ${fd} was consumed by ${by}, and vkshare closed it; the number is open again on the same file (${
          describeFd(fd)
        }), which vkshare cannot tell from the consumed export: if it is a new export, pass it as OwnedFd.adopt(${fd})`
        : `fd ${fd} was consumed by ${by}: vkshare closed it, and its number now names nothing of this export`,
    );
  }
  if (!isOpenFd(fd)) {
    throw new ShareError("FD_NOT_OPEN", `fd ${fd} is not an open file descriptor`, "open", fd);
  }
  return fd;
}

/**
 * @ignore @internal After a successful import through a dup: the caller's fd is consumed (an OwnedFd is
 * marked so; a raw number is closed and remembered, so that importing it again is refused).
 */
export function consumeImported(fd: OwnedFd | number, by: string | (() => string)): void {
  if (typeof fd === "number") OwnedFd.markConsumed(fd, by);
  else fd.consume(by);
}
