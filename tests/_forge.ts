// Forged fds for the tests of received-fd checks: what a hostile peer can hand over in place of
// an export (a pipe, a socket, a FIFO, a memfd with a made-up Mesa header).
// @ts-types="../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../cli/_node/fs.d.ts"
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
// @ts-types="../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { libc, O_CLOEXEC, O_RDWR } from "../ffi/libc.ts";
import { rt } from "../ffi/runtime.ts";
import { cString } from "../ffi/vulkan.ts";

const F_ADD_SEALS = 1033;
const MFD_ALLOW_SEALING = 2;
const O_NONBLOCK = 0o4000;
/** F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW: what Mesa puts on its exports. */
export const MESA_SEALS = 1 | 2 | 4;
/** F_SEAL_WRITE: a shared writable mapping of the memfd is then refused by the kernel. */
export const F_SEAL_WRITE = 8;

// System call numbers (x86_64, aarch64) of what libc's table has no wrapper for.
const NR: Record<string, { pipe2: number; socketpair: number; eventfd2: number }> = {
  x86_64: { pipe2: 293, socketpair: 53, eventfd2: 290 },
  aarch64: { pipe2: 59, socketpair: 199, eventfd2: 19 },
};

function pair(call: (out: bigint) => bigint, what: string): [number, number] {
  const fds = new Int32Array(2);
  if (call(rt.address(rt.pointerOf(fds))) !== 0n) throw new Error(`${what} failed`);
  return [fds[0], fds[1]];
}

/** Both ends of a pipe (close-on-exec). */
export function pipe(): [number, number] {
  return pair((p) => libc().syscall(BigInt(NR[rt.arch].pipe2), p, 0o2000000n, 0n, 0n, 0n), "pipe2");
}

/** A connected pair of Unix stream sockets (close-on-exec). */
export function socketpair(): [number, number] {
  const nr = BigInt(NR[rt.arch].socketpair);
  return pair((p) => libc().syscall(nr, 1n, 1n | 0o2000000n, 0n, p, 0n), "socketpair");
}

/** An eventfd (close-on-exec). */
export function eventfd(): number {
  const fd = Number(libc().syscall(BigInt(NR[rt.arch].eventfd2), 0n, 0o2000000n, 0n, 0n, 0n));
  if (fd < 0) throw new Error("eventfd2 failed");
  return fd;
}

/** An open FIFO (read end, non-blocking open) in a new directory, and a cleanup. */
export function fifo(): { fd: number; cleanup: () => void } {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-fifo-`);
  const path = `${dir}/fifo`;
  const r = spawnSync("mkfifo", [path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
  const fd = libc().open(cString(path), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) throw new Error("open(fifo) failed");
  return {
    fd,
    cleanup: () => {
      libc().close(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads `n` bytes of `fd` at `offset`. */
export function readAt(fd: number, n: number, offset: number): Uint8Array {
  const b = new Uint8Array(new ArrayBuffer(n));
  libc().pread(fd, b, BigInt(n), BigInt(offset));
  return b;
}

/**
 * A memfd of `size` bytes whose first bytes are `header` (and, when given, the 8-byte `word` at
 * `wordAt`), sealed with `seals`.
 */
export function forgedMemfd(
  size: number,
  header: Uint8Array,
  seals: number,
  word?: { at: number; value: bigint },
): number {
  const fd = libc().memfd_create!(cString("forged"), MFD_ALLOW_SEALING | 1);
  if (fd < 0) throw new Error("memfd_create failed");
  libc().ftruncate(fd, BigInt(size));
  const w = openSync(`/proc/self/fd/${fd}`, "r+");
  try {
    writeSync(w, header, 0, header.length, 0);
    if (word) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, word.value, true);
      writeSync(w, b, 0, 8, word.at);
    }
  } finally {
    closeSync(w);
  }
  if (seals && libc().fcntl(fd, F_ADD_SEALS, seals) < 0) throw new Error("F_ADD_SEALS failed");
  return fd;
}

/**
 * A plain file whose `/proc/self/fd` link reads like a dma-buf's (`/dmabuf:...`: a file of that
 * name at the root, opened and unlinked), or why one cannot be made here (`probe`: only whether
 * one can, fd -1).
 */
export function forgedDmaBuf(probe = false): { fd: number } | { why: string } {
  if (process.getuid?.() !== 0) {
    return {
      why: "only root can name a file /dmabuf:... here (a user does it in a mount namespace)",
    };
  }
  if (probe) return { fd: -1 };
  const path = `/dmabuf:vkshare-test-${process.pid}`;
  writeFileSync(path, new Uint8Array(65536));
  const fd = libc().open(cString(path), O_RDWR | O_CLOEXEC, 0);
  unlinkSync(path);
  return { fd };
}
