// Received fds are checked against what the importing device's own exports are (_fd_kind.ts),
// whatever the descriptor says: a pipe, socket, eventfd or FIFO is refused at once (lavapipe would
// read() it and block the thread for good), and on lavapipe a memfd whose Mesa header or seals
// would let the driver map past its end or before its data is refused (it raised SIGBUS/SIGSEGV).
// Every refusal leaves the caller's fd open, leaks no fd, and the device still allocates.
import { assert, assertEquals } from "@std/assert";
import { libc } from "../../ffi/libc.ts";
import { DeviceMemory, type MemoryDescriptor } from "../../mod.ts";
import { fdSize, isOpenFd } from "../../share/fd_kind.ts";
import { eventfd, fifo, forgedMemfd, MESA_SEALS, pipe, readAt, socketpair } from "../_forge.ts";
import { test } from "../_harness.ts";
import {
  assertNoFdLeak,
  cannotShare,
  caps,
  openFds,
  openFdSet,
  stillAllocates,
  withTwoDevices,
} from "../_memory.ts";
import { assertRule } from "../_vk.ts";

const SIZE = 65536;

/** The descriptor without its fdKind: what a peer may send (the field is optional). */
function withoutKind(d: MemoryDescriptor): MemoryDescriptor {
  const { fdKind: _, ...rest } = d;
  return rest;
}

test(
  "a pipe, socket, eventfd or FIFO offered as memory is refused at once, with or without fdKind",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using ma = DeviceMemory.allocate(a, { size: SIZE, exportAs: "OPAQUE_FD" });
    using exp = ma.exportFd();
    // The runtime's own first-use fds (Bun keeps two after its first spawnSync, which fifo()
    // makes) are opened before the count.
    fifo().cleanup();
    const fds = openFdSet();
    const [r, w] = pipe();
    const [s1, s2] = socketpair();
    const ev = eventfd();
    const f = fifo();
    try {
      for (const fd of [r, w, s1, ev, f.fd]) {
        for (const d of [withoutKind(exp.descriptor), exp.descriptor]) {
          // Device b never exported: it learns what its exports are on the way.
          assertRule(() => DeviceMemory.importFd(b, fd, d), "FD_KIND_MISMATCH", "block");
          assert(isOpenFd(fd), "the caller's fd is still open");
        }
      }
    } finally {
      for (const fd of [r, w, s1, s2, ev]) libc().close(fd);
      f.cleanup();
    }
    assertNoFdLeak(fds);
    stillAllocates(b);
  }),
);

test(
  "an export's descriptor names its fd kind as plain data, also after the fd is released",
  {
    skip: cannotShare("OPAQUE_FD"),
  },
  withTwoDevices((a) => {
    using ma = DeviceMemory.allocate(a, { size: SIZE, exportAs: "OPAQUE_FD" });
    const exp = ma.exportFd();
    const kind = exp.descriptor.fdKind;
    assert(kind === "memfd" || kind?.startsWith("/dev/"), `an export is ${kind}`);
    assert(Object.getOwnPropertyDescriptor(exp.descriptor, "fdKind")?.get === undefined);
    libc().close(exp.fd.release());
    assertEquals(JSON.parse(JSON.stringify(exp.descriptor)).fdKind, kind);
  }),
);

// lavapipe's exports are memfds that start with Mesa's header (Mesa's os_memory_fd.c).
const mesa = /^Mesa /.test(caps.driverInfo) && cannotShare("OPAQUE_FD") === false;

test(
  "a forged Mesa memfd is refused before lavapipe maps it: seals, header size, offset, the word before the data, the driver id, the data size",
  { skip: mesa ? false : "the driver's exports are not Mesa memfds (only lavapipe's are)" },
  withTwoDevices((a, b) => {
    using ma = DeviceMemory.allocate(a, { size: SIZE, exportAs: "OPAQUE_FD" });
    using exp = ma.exportFd();
    const real = exp.fd.fd;
    const fileSize = Number(fdSize(real));
    const header = readAt(real, 32, 0);
    const h = new DataView(header.buffer);
    const offset = Number(h.getBigUint64(8, true));
    const d = withoutKind(exp.descriptor);
    const edit = (f: (v: DataView) => void) => {
      const c = header.slice();
      f(new DataView(c.buffer));
      return c;
    };
    const word = { at: offset - 8, value: BigInt(offset) };
    const cases: [string, number, string][] = [
      ["not sealed", forgedMemfd(fileSize, header, 0, word), "sealed"],
      [
        "a header larger than the file",
        forgedMemfd(
          fileSize,
          edit((v) => v.setBigUint64(0, BigInt(fileSize + (1 << 20)), true)),
          MESA_SEALS,
          word,
        ),
        "header says",
      ],
      [
        "an offset past the end",
        forgedMemfd(
          fileSize,
          edit((v) => v.setBigUint64(8, BigInt(fileSize * 2), true)),
          MESA_SEALS,
          word,
        ),
        "offset",
      ],
      [
        "a forged word before the data",
        forgedMemfd(fileSize, header, MESA_SEALS, { ...word, value: 7n }),
        "word before",
      ],
      [
        // Data that starts past the first page: its word is read on its own, not with the header.
        "a forged word before data that starts two pages in",
        forgedMemfd(
          fileSize + 8192,
          edit((v) => {
            v.setBigUint64(0, BigInt(fileSize + 8192), true);
            v.setBigUint64(8, BigInt(offset + 8192), true);
          }),
          MESA_SEALS,
          { at: offset + 8192 - 8, value: BigInt(offset) },
        ),
        "word before",
      ],
      [
        "another driver id",
        forgedMemfd(fileSize, edit((v) => v.setUint8(16, v.getUint8(16) ^ 0xff)), MESA_SEALS, word),
        "driver",
      ],
      [
        "less data than the descriptor says",
        forgedMemfd(
          offset + SIZE / 2,
          edit((v) => v.setBigUint64(0, BigInt(offset + SIZE / 2), true)),
          MESA_SEALS,
          word,
        ),
        "fewer than",
      ],
    ];
    const fds = openFds();
    for (const [what, fd, says] of cases) {
      try {
        assertRule(() => DeviceMemory.importFd(b, fd, d), "FD_FORGED", says);
        assert(isOpenFd(fd), `${what}: the caller's fd is still open`);
      } finally {
        libc().close(fd);
      }
    }
    assertEquals(openFds(), fds - cases.length, "no fd leaked");
    stillAllocates(b);
    // A faithful copy described as smaller than it is (size 1 of the export's): not this one's.
    for (const size of [1, SIZE / 2, SIZE - 4]) {
      const smaller = forgedMemfd(fileSize, header, MESA_SEALS, word);
      try {
        assertRule(
          () => DeviceMemory.importFd(b, smaller, { ...d, size }),
          "SIZE_MISMATCH",
          `holds an export of ${SIZE} bytes, not the descriptor's ${size}`,
        );
        assert(isOpenFd(smaller), "the caller's fd is still open");
      } finally {
        libc().close(smaller);
      }
    }
    // A faithful copy passes every check, and imports.
    const copy = forgedMemfd(fileSize, header, MESA_SEALS, word);
    using m = DeviceMemory.importFd(b, copy, d);
    assertEquals(m.size, SIZE);
  }),
);
