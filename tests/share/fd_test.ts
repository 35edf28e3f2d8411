// Owned fds: close-on-exec, closed once, handed on explicitly; kcmp tells dups apart from others.
import { assert, assertEquals, assertThrows } from "@std/assert";
// @ts-types="../_node_fs.d.ts"
import { readFileSync } from "node:fs";
import { libc } from "../../ffi/libc.ts";
import { describeFd, ErrnoError, fdKind, isOpenFd, OwnedFd } from "../../mod.ts";
import { sameFile } from "../../share/fd.ts";
import { test } from "../_harness.ts";
import "../_vk.ts"; // opens libc before the tests

test("OwnedFd: dup is close-on-exec, close is idempotent, release hands the number on", () => {
  const a = OwnedFd.dupOf(0);
  assert(isOpenFd(a.fd));
  const flags = readFileSync(`/proc/self/fdinfo/${a.fd}`, "utf8").match(/flags:\s+(\d+)/)!;
  assert(parseInt(flags[1], 8) & 0o2000000, "O_CLOEXEC");
  const n = a.fd;
  a.close();
  a.close();
  assertEquals(a.state, "closed");
  assert(!isOpenFd(n));
  assertThrows(() => a.fd, Error, "was closed");
  const b = OwnedFd.dupOf(0);
  const raw = b.release();
  assertEquals(b.state, "released");
  b[Symbol.dispose](); // does not close a released fd
  assert(isOpenFd(raw));
  libc().close(raw);
});

test("errno becomes a typed error with its name", () => {
  const e = assertThrows(() => OwnedFd.dupOf(987654), ErrnoError);
  assertEquals(e.code, "EBADF");
  assertEquals(e.errno, 9);
  assertThrows(() => OwnedFd.adopt(987654), ErrnoError, "EBADF");
});

test("kcmp: a dup is the same file; another file, or a closed number, is not", () => {
  using a = OwnedFd.dupOf(0);
  using b = a.dup();
  const m = libc().memfd_create!(new TextEncoder().encode("other\0"), 1);
  const same = sameFile(a.fd, b.fd);
  if (same !== null) { // null: kcmp not permitted here, and vkshare never closes a doubtful fd
    assertEquals(same, true);
    assertEquals(sameFile(a.fd, m), false);
    assertEquals(sameFile(a.fd, 987654), false);
  }
  libc().close(m);
});

test("describeFd names what an fd refers to", () => {
  const m = libc().memfd_create!(new TextEncoder().encode("vkshare-test\0"), 1);
  assertEquals(fdKind(describeFd(m)!), "memfd");
  libc().close(m);
  assertEquals(describeFd(m), null);
  assertEquals(fdKind("/dev/nvidiactl"), "/dev/nvidiactl");
  assertEquals(fdKind("anon_inode:dmabuf"), "dmabuf");
  assertEquals(fdKind("/tmp/x"), "file");
});
