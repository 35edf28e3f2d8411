// Owned fds: close-on-exec, closed once, handed on explicitly; kcmp tells dups apart from others.
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";
import { fileId, libc } from "../../ffi/libc.ts";
import { ErrnoError, OwnedFd, ShareError } from "../../mod.ts";
import type { ExportDescriptor } from "../../share/descriptor.ts";
import { finishExport } from "../../share/execute.ts";
import { consumedBy, consumeImported } from "../../share/fd.ts";
import { exportFileOf, learnExportKind } from "../../share/fd_kind.ts";
import { fdKindOf, sameFile } from "../../share/fd_kind.ts";
import { describeFd, fdKind, isOpenFd } from "../../share/mod.ts";
import { forgedDmaBuf } from "../_forge.ts";
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

test("an fd has one owner: a second adopt is FD_OWNED; consuming its number consumes its owner", () => {
  const owner = OwnedFd.dupOf(0, "the owner");
  const n = owner.fd;
  const e = assertThrows(() => OwnedFd.adopt(n), ShareError);
  assertEquals(e.rule, "FD_OWNED");
  assertStringIncludes(e.message, `fd ${n} is owned already, by the owner`);
  // An import given the raw number consumes the owner, which then closes nothing.
  consumeImported(n, "a test import");
  assertEquals(owner.state, "consumed");
  assert(!isOpenFd(n));
  const victim = OwnedFd.dupOf(0, "a new file at that number");
  assertEquals(victim.fd, n, "the kernel gave the number out again");
  owner.close();
  assert(isOpenFd(n), "the consumed owner did not close the new file");
  // Closed, released: no longer an owner, so the number can be adopted again.
  const raw = victim.release();
  const again = OwnedFd.adopt(raw, "adopted again");
  assertEquals(again.fd, n);
  again.close();
  // An owner whose number the kernel handed out again (closed behind its back) lost its fd.
  const lost = OwnedFd.dupOf(0, "closed behind its back");
  libc().close(lost.fd);
  const next = OwnedFd.dupOf(0, "the next file");
  assertEquals(next.number, lost.number);
  assertEquals(lost.state, "closed");
  lost.close();
  assert(isOpenFd(next.fd), "the lost owner closed nothing");
  next.close();
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

test("an export of a device file is consumed without an fstat, and its number is judged as before", () => {
  const enc = (s: string) => new TextEncoder().encode(s + "\0");
  const open = (path: string) => libc().open(enc(path), 0, 0);
  const facts = (key: string) => ({
    call: "test",
    success: "VK_SUCCESS",
    label: "a test export",
    handleType: "OPAQUE_FD",
    learn: { device: {}, key },
    // Only the kind matters here: a descriptor's other fields are not read.
    describe: (kind: string | undefined) => ({ kind }) as unknown as ExportDescriptor,
  });
  // NVIDIA's exports are all /dev/nvidiactl descriptors: /dev/null plays one here.
  const first = finishExport(open("/dev/null"), facts("device file"));
  assertEquals(first.descriptor, { kind: "/dev/null" } as unknown as ExportDescriptor);
  const learned = learnExportKind(facts("device file").learn.device, "x", first.fd!.fd);
  assertEquals(exportFileOf(learned), fileId(first.fd!.fd), "the device file, from the first");
  const n = first.fd!.fd;
  consumeImported(first.fd!, "a test import");
  assert(!isOpenFd(n));
  assertEquals(consumedBy(n), "a test import");
  // The same device file at that number cannot be told from the consumed export; another can.
  const at = (path: string) => { // `path` opened at number n (F_DUPFD: the lowest free >= n)
    const f = open(path);
    if (f === n) return;
    assertEquals(libc().fcntl(f, 0, /* F_DUPFD */ n), n, "the number was free");
    libc().close(f);
  };
  at("/dev/null");
  assertEquals(consumedBy(n), "a test import");
  libc().close(n);
  at("/dev/zero");
  assertEquals(consumedBy(n), undefined, "another file got the number");
  libc().close(n);
  // A memfd export is a file of its own: no identity is shared, the consume takes its own.
  const m = libc().memfd_create!(enc("export"), 0);
  const memfd = finishExport(m, facts("memfd"));
  assertEquals(
    exportFileOf(learnExportKind(facts("memfd").learn.device, "x", memfd.fd!.fd)),
    undefined,
  );
  consumeImported(memfd.fd!, "a memfd import");
  assertEquals(consumedBy(m), "a memfd import");
});

test("a file named like a dma-buf is a file to the kernel; the kind comes from fstatfs, not the name", () => {
  const forged = forgedDmaBuf();
  if ("why" in forged) {
    // The rule still holds for what can be made here: a memfd is not a dma-buf.
    const m = libc().memfd_create!(new TextEncoder().encode("dmabuf\0"), 1);
    assertEquals(fdKindOf(m), "memfd");
    libc().close(m);
    return;
  }
  try {
    assert(describeFd(forged.fd)!.startsWith("/dmabuf:vkshare-test-"), describeFd(forged.fd)!);
    assertEquals(fdKind(describeFd(forged.fd)!), "dmabuf", "the name alone says dma-buf");
    assertEquals(fdKindOf(forged.fd), "file", "the kernel says a file");
  } finally {
    libc().close(forged.fd);
  }
});
