/**
 * What an fd is: whether it is open, what `/proc` names it, its kind (`memfd`, `dmabuf`,
 * `/dev/nvidiactl`, `sync_file`, ...) as the kernel says it, its size, whether two fds are one
 * file; and what a device's own exports look like, learned once per device and handle type, so that an fd
 * received from elsewhere is checked against it whatever its descriptor says (a descriptor is the
 * peer's word; the fd is what the driver will read):
 *
 * - its kind (`memfd` on lavapipe, `/dev/nvidiactl` on NVIDIA, `dmabuf` for DMA_BUF): a pipe, a
 *   socket, an eventfd or a FIFO handed to lavapipe's import would be `read()` on the calling
 *   thread and block it for good;
 * - for Mesa's memfds (lavapipe), the header Mesa writes at the start of every export (`size`,
 *   `offset`, the driver's id) and its seals: a forged header makes the driver map past the end
 *   of the file (SIGBUS) or before its data (SIGSEGV), and a memfd the peer can still shrink
 *   raises SIGBUS later, at the first access after it shrank.
 *
 * What cannot be checked is trusted: an NVIDIA export is a `/dev/nvidiactl` descriptor that names
 * an allocation only the driver can see, so a peer of the same user can always hand over another
 * allocation of the right kind and size (the bytes are then whatever that allocation holds).
 *
 * @module
 */
import { ShareError } from "../core/errors.ts";
import {
  DMA_BUF_MAGIC,
  errno,
  F_GET_SEALS,
  F_GETFD,
  F_SEAL_GROW,
  F_SEAL_SHRINK,
  FD_CLOEXEC,
  type FileId,
  fileId,
  filesystemType,
  KCMP_FILE,
  libc,
  SEEK_END,
  SYSCALLS,
} from "../ffi/libc.ts";
import { rt } from "../ffi/runtime.ts";

/**
 * Whether `fd` is an open descriptor of this process.
 *
 * @example
 * ```ts
 * isOpenFd(0); // true: stdin
 * ```
 *
 * @category File descriptors
 */
export function isOpenFd(fd: number): boolean {
  return Number.isInteger(fd) && fd >= 0 && fd <= 0x7fffffff && libc().fcntl(fd, F_GETFD, 0) >= 0;
}

/**
 * What `fd` refers to, as `/proc/self/fd/<fd>` names it: `/dev/nvidiactl`, `/memfd:name (deleted)`,
 * `anon_inode:dmabuf`, a path; null when it is not open.
 *
 * @example
 * ```ts
 * describeFd(exp.fd.fd); // "/memfd:lavapipe (deleted)" or "/dev/nvidiactl"
 * ```
 *
 * @category File descriptors
 */
export function describeFd(fd: number): string | null {
  if (!Number.isInteger(fd) || fd < 0) return null;
  // "/proc/self/fd/<fd>\0" written into a buffer kept for these calls, as is the answer.
  const digits = String(fd);
  let i = PROC_FD.length;
  for (let j = 0; j < digits.length; j++) linkPath[i++] = digits.charCodeAt(j);
  linkPath[i] = 0;
  const n = Number(libc().readlink(linkPath, linkTarget, BigInt(linkTarget.length)));
  if (n < 0) return isOpenFd(fd) ? "?" : null;
  return utf8.decode(linkTarget.subarray(0, n));
}

const PROC_FD = "/proc/self/fd/";
const linkPath = new Uint8Array(new ArrayBuffer(64));
linkPath.set(new TextEncoder().encode(PROC_FD));
const linkTarget = new Uint8Array(new ArrayBuffer(4096));
const utf8 = new TextDecoder();

/**
 * The kind of object an fd description names, for comparing an fd with an export: `memfd`,
 * `dmabuf`, a device path (`/dev/nvidiactl`), `file`, `socket`, `pipe`, or the anon inode's name.
 *
 * @example
 * ```ts
 * fdKind("anon_inode:sync_file"); // "sync_file"
 * ```
 *
 * @category File descriptors
 */
export function fdKind(description: string): string {
  if (description.startsWith("/memfd:")) return "memfd";
  if (description.startsWith("/dmabuf:") || description === "anon_inode:dmabuf") return "dmabuf";
  if (description.startsWith("/dev/")) return description.split(" ")[0];
  if (description.startsWith("anon_inode:")) return description.slice("anon_inode:".length);
  if (description.startsWith("socket:")) return "socket";
  if (description.startsWith("pipe:")) return "pipe";
  return "file";
}

/**
 * The kind of object `fd` is ({@linkcode fdKind} of its description), where the kernel says what
 * a name may lie about: a file whose `/proc` link reads like a dma-buf's is one only when its
 * filesystem is the dma-buf filesystem (`fstatfs`'s f_type is DMA_BUF_MAGIC), and a real dma-buf
 * is one whatever its link says. (A user can name a tmpfs file `/dmabuf:...`; a dma-buf's size is
 * fixed by its exporter, so unlike such a file it cannot be truncated under an importer's mapping.)
 *
 * @example
 * ```ts
 * fdKindOf(exp.fd.fd); // "memfd" on lavapipe, "/dev/nvidiactl" on NVIDIA, "dmabuf" for a dma-buf
 * ```
 *
 * @category File descriptors
 */
export function fdKindOf(fd: number, description?: string): string {
  description ??= describeFd(fd) ?? "?";
  if (filesystemType(fd) === DMA_BUF_MAGIC) return "dmabuf";
  const kind = fdKind(description);
  return kind === "dmabuf" ? "file" : kind;
}

/**
 * The size of the file behind `fd` (lseek to its end), or null when it has none.
 *
 * @category File descriptors
 */
export function fdSize(fd: number): bigint | null {
  const n = libc().lseek(fd, 0n, SEEK_END);
  return n < 0n ? null : n;
}

/**
 * Whether `a` and `b` refer to the same open file description (kcmp KCMP_FILE). Null when the
 * kernel does not let this process ask (kcmp absent, or refused by a seccomp policy).
 *
 * @category File descriptors
 */
export function sameFile(a: number, b: number): boolean | null {
  const nr = SYSCALLS[rt.arch]?.kcmp;
  if (nr === undefined) return null;
  const c = libc();
  const pid = BigInt(c.getpid());
  const r = c.syscall(BigInt(nr), pid, pid, BigInt(KCMP_FILE), BigInt(a), BigInt(b));
  if (r === 0n) return true;
  if (r > 0n) return false;
  const e = errno();
  if (e === 9) return false; // EBADF: one of them is not open
  return null;
}

/**
 * @ignore @internal Checks that fd `n`, given to an import of `what` (`OPAQUE_FD memory`), is of the
 * kind its export was (`want`; no check when undefined): a ShareError FD_KIND_MISMATCH otherwise.
 * `origin` is the descriptor of the export the fd is, when that export is in this process: its
 * kind is then known without a readlink.
 */
export function checkFdKind(
  n: number,
  want: string | undefined,
  what: string,
  origin?: { deviceName: string; fdKind?: string },
): void {
  if (want === undefined) return;
  const desc = origin ? `the export of ${origin.deviceName}` : describeFd(n) ?? "?";
  const kind = origin ? origin.fdKind : fdKindOf(n, desc);
  if (want !== kind) {
    throw new ShareError(
      "FD_KIND_MISMATCH",
      `fd ${n} is ${desc} (${kind}), but the ${what} export was a ${want}`,
      want,
      kind,
    );
  }
}

/**
 * What a device's exports of one handle type are (what a received fd is checked against).
 *
 * @example
 * ```ts
 * const k: ExportKind = { kind: "memfd", mesaDriverId: null }; // what lavapipe's exports are
 * ```
 *
 * @category File descriptors
 */
export interface ExportKind {
  /** Their fd kind ({@linkcode fdKind}). */
  kind: string;
  /** For Mesa memfds: the driver id in their header (hex), which imports must carry. */
  mesaDriverId: string | null;
  /**
   * Whether the driver returned the first one close-on-exec (as the spec says it must; NVIDIA
   * does, lavapipe does not): later exports of the kind are then not fcntl'ed again.
   */
  cloexec?: boolean;
  /**
   * For Mesa memfds: how many bytes of data the driver's exports hold beyond their allocation
   * size (lavapipe: 40), learned from an export whose size is known; null until then.
   */
  mesaExtra?: bigint | null;
}

const known = new WeakMap<object, Map<string, ExportKind>>();

// The file every export of a kind is, where that kind is a device file (NVIDIA's exports are all
// /dev/nvidiactl descriptors: one st_dev and st_ino), taken from the first.
const deviceFiles = new WeakMap<ExportKind, FileId>();

/**
 * @ignore @internal The file identity every export of `kind` shares, where its exports are descriptors of
 * one device file; undefined otherwise (each export is a file of its own).
 */
export function exportFileOf(kind: ExportKind): FileId | undefined {
  return deviceFiles.get(kind);
}

/** What `device`'s exports of `key` (`memory:OPAQUE_FD`, `semaphore:OPAQUE_FD`) are, if known. */
function learnedExportKind(device: object, key: string): ExportKind | undefined {
  return known.get(device)?.get(key);
}

/**
 * What `device`'s exports of `key` are: learned from an earlier export, or from `probe`, which
 * makes one export (learning through {@linkcode learnExportKind}) and disposes it. Null when
 * `probe` throws: the device cannot export that kind.
 */
export function exportKindOf(device: object, key: string, probe: () => void): ExportKind | null {
  const had = learnedExportKind(device, key);
  if (had) return had;
  try {
    probe();
  } catch {
    // This device cannot export one: nothing to learn from.
  }
  return learnedExportKind(device, key) ?? null;
}

/**
 * Learns (once) what `device`'s exports of `key` are from `fd`, one of them, and returns it.
 * Later exports of the same device and key are taken to be alike (no readlink).
 */
export function learnExportKind(
  device: object,
  key: string,
  fd: number,
  size?: number,
): ExportKind {
  let m = known.get(device);
  const had = m?.get(key);
  if (had) return had;
  const kind = fdKindOf(fd);
  const header = kind === "memfd" ? readMesaHeader(fd) : null;
  const fileSize = header ? fdSize(fd) : null;
  const flags = libc().fcntl(fd, F_GETFD, 0);
  const learned: ExportKind = {
    kind,
    mesaDriverId: header && fileSize !== null && header.size === fileSize ? header.driverId : null,
    cloexec: flags >= 0 && (flags & FD_CLOEXEC) !== 0,
    mesaExtra: header && size !== undefined ? header.size - header.offset - BigInt(size) : null,
  };
  const file = kind.startsWith("/dev/") ? fileId(fd) : null;
  if (file) deviceFiles.set(learned, file);
  if (!m) known.set(device, m = new Map());
  m.set(key, learned);
  return learned;
}

// struct memory_header { size_t size; size_t offset; uint8_t uuid[16]; } (Mesa, os_memory_fd.c)
const MESA_HEADER_BYTES = 32;

interface MesaHeader {
  size: bigint;
  offset: bigint;
  driverId: string;
}

// The first page of a received memfd, read in one call: its header and the word before its data.
const START_BYTES = 4096;
const startScratch = new Uint8Array(new ArrayBuffer(START_BYTES));
const startView = new DataView(startScratch.buffer);

/** The first bytes of `fd` (up to a page; at least a header), or null when it holds fewer. */
function readStart(fd: number): { bytes: Uint8Array; view: DataView; length: number } | null {
  const n = Number(libc().pread(fd, startScratch, BigInt(START_BYTES), 0n));
  if (n < MESA_HEADER_BYTES) return null;
  return { bytes: startScratch, view: startView, length: n };
}

/** The 64-bit word at byte `at` of `fd`, or -1n when the file ends before it. */
function wordAt(fd: number, at: number): bigint {
  const b = pread(fd, 8, BigInt(at));
  return b ? new DataView(b.buffer).getBigUint64(0, true) : -1n;
}

function pread(fd: number, bytes: number, offset: bigint): Uint8Array | null {
  const buf = new Uint8Array(new ArrayBuffer(bytes));
  const n = libc().pread(fd, buf, BigInt(bytes), offset);
  return n === BigInt(bytes) ? buf : null;
}

function readMesaHeader(fd: number): MesaHeader | null {
  const b = pread(fd, MESA_HEADER_BYTES, 0n);
  return b && mesaHeaderIn(b);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Bytes `from` to `to` of `b` in lower-case hex. */
function hex(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += HEX[b[i]];
  return s;
}

/** The header at the start of `b` (at least MESA_HEADER_BYTES long). */
function mesaHeaderIn(b: Uint8Array): MesaHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    size: v.getBigUint64(0, true),
    offset: v.getBigUint64(8, true),
    driverId: hex(b, 16, MESA_HEADER_BYTES),
  };
}

/**
 * Checks received fd `n`, to be imported as `what` (`OPAQUE_FD memory`) of `size` bytes, against
 * `want`, what this device's own exports are: the same kind, and for a Mesa memfd a header that
 * Mesa's import can map safely and seals that keep the file from shrinking. Throws a ShareError
 * FD_KIND_MISMATCH or FD_FORGED naming what was found.
 */
export function checkReceivedFd(
  n: number,
  want: ExportKind | null,
  what: string,
  size?: number,
): void {
  if (want !== null && provenKind(n, want)) {
    // A memfd is proven by its seals, which checkMesaMemfd need not read again.
    if (want.mesaDriverId !== null) checkMesaMemfd(n, want, what, size, true);
    return;
  }
  const desc = describeFd(n) ?? "?";
  const kind = fdKindOf(n, desc);
  if (want === null) {
    // Nothing learned (the device cannot export): take only what no driver reads from.
    if (kind === "memfd" || kind === "dmabuf" || kind.startsWith("/dev/")) return;
    throw new ShareError(
      "FD_KIND_MISMATCH",
      `fd ${n} is ${desc} (${kind}), not a memfd, dma-buf or device file: not an export of any driver vkshare knows (a pipe, socket or FIFO would block the import for good)`,
      "memfd, dmabuf or /dev/*",
      kind,
    );
  }
  if (kind !== want.kind) {
    throw new ShareError(
      "FD_KIND_MISMATCH",
      `fd ${n} is ${desc} (${kind}), but this device's ${what} exports are ${want.kind}: the driver would misread it (a pipe, socket or FIFO would block the import for good)`,
      want.kind,
      kind,
    );
  }
  if (want.mesaDriverId !== null) checkMesaMemfd(n, want, what, size);
}

/**
 * Whether fd `n` is proven to be of `want`'s kind by what the kernel says of the file itself,
 * without its `/proc` link (a readlink costs more than the rest of an import's checks): a dma-buf
 * by its filesystem, a device file by its identity (the file the device's own exports are), a
 * sealed memfd by its seals (only a memfd can be sealed against shrinking and growing). False
 * when unproven: the caller then reads the link, and names what the fd is if it refuses it.
 */
function provenKind(n: number, want: ExportKind): boolean {
  if (want.kind === "dmabuf") return filesystemType(n) === DMA_BUF_MAGIC;
  if (want.kind === "memfd") {
    if (want.mesaDriverId === null) return false;
    const seals = libc().fcntl(n, F_GET_SEALS, 0);
    return seals >= 0 && (seals & SEALED) === SEALED;
  }
  const file = exportFileOf(want);
  if (!file) return false;
  const id = fileId(n);
  return id !== null && id.dev === file.dev && id.ino === file.ino;
}

/** The seals Mesa puts on its memfd exports, which only a memfd can have. */
const SEALED = F_SEAL_SHRINK | F_SEAL_GROW;

function forged(n: number, what: string, why: string, expected?: unknown, actual?: unknown): never {
  throw new ShareError(
    "FD_FORGED",
    `fd ${n} is a memfd but not a ${what} export of this driver: ${why}`,
    expected,
    actual,
  );
}

function checkMesaMemfd(
  n: number,
  want: ExportKind,
  what: string,
  size?: number,
  sealed = false,
): void {
  const driverId = want.mesaDriverId!;
  // Mesa seals its exports against growing and shrinking; an unsealed file can be truncated by
  // its other holder after the import, and the next access to the mapping raises SIGBUS.
  const seals = sealed ? SEALED : libc().fcntl(n, F_GET_SEALS, 0);
  if (seals < 0 || (seals & SEALED) !== SEALED) {
    forged(n, what, "it is not sealed against shrinking and growing", SEALED, seals);
  }
  const fileSize = fdSize(n);
  const start = readStart(n);
  const h = start && mesaHeaderIn(start.bytes);
  if (!h || fileSize === null) return forged(n, what, "it has no header");
  if (h.driverId !== driverId) {
    forged(n, what, `its header names driver ${h.driverId}`, driverId, h.driverId);
  }
  if (h.size !== fileSize) {
    forged(
      n,
      what,
      `its header says ${h.size} bytes, the file holds ${fileSize}`,
      fileSize,
      h.size,
    );
  }
  const min = BigInt(MESA_HEADER_BYTES + 8);
  if (h.offset < min || h.offset > h.size) {
    forged(n, what, `its data offset ${h.offset} is outside ${min}..${h.size}`, h.size, h.offset);
  }
  // The word before the data: in the bytes read with the header (Mesa's data starts a page in),
  // or read on its own.
  const at = Number(h.offset) - 8;
  const again = at + 8 <= start!.length ? start!.view.getBigUint64(at, true) : wordAt(n, at);
  if (again !== h.offset) {
    forged(n, what, `the word before its data is ${again}, not the offset ${h.offset}`);
  }
  if (size === undefined) return;
  // The driver's exports hold their size and a fixed number of bytes more (learned from one of
  // its own): less is a file the driver would map past; more is another export than described.
  const data = h.size - h.offset;
  const extra = want.mesaExtra ?? 0n;
  if (data < BigInt(size) + extra) {
    forged(
      n,
      what,
      `it holds ${data} bytes of data, fewer than the descriptor's size ${size}${
        extra ? ` and the driver's ${extra} more` : ""
      }`,
      BigInt(size) + extra,
      data,
    );
  }
  if (want.mesaExtra != null && data > BigInt(size) + extra) {
    throw new ShareError(
      "SIZE_MISMATCH",
      `fd ${n} holds an export of ${
        data - extra
      } bytes, not the descriptor's ${size}: an import's size is its export's`,
      Number(data - extra),
      size,
    );
  }
}
