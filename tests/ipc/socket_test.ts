// Share sockets in one process (both ends): messages and fds cross; files are private; malformed
// or unexpected messages are ProtocolErrors whose fds are closed; waits end on time; a peer of
// another uid is refused; offers are checked against the importing device.
// @ts-types="../../cli/_node/fs.d.ts"
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { libc, MFD_CLOEXEC } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  receiveOffer,
  sendOffer,
  ShareServer,
  ShareSocket,
  type SocketAddress,
} from "../../ipc/mod.ts";
import {
  type Device,
  DeviceMemory,
  ErrnoError,
  GpuImage,
  OwnedFd,
  ProtocolError,
  ShareError,
  Transfer,
} from "../../mod.ts";
import { describeFd } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, cannotShare, openFdSet, withTwoDevices } from "../_memory.ts";
import { assertRule } from "../_vk.ts";
import "../_vk.ts"; // opens libvulkan and libc before the tests
import { MSG_CTRUNC } from "../../ffi/libc_socket.ts";
import { callErrno, parsePacket } from "../../ipc/socket.ts";
import { MALFORMED_OFFERS, MALFORMED_PACKETS } from "./_malformed.ts";

function memfd(name: string): OwnedFd {
  return OwnedFd.adopt(libc().memfd_create!(cString(name), MFD_CLOEXEC), name);
}

/** A connected pair on a new server; all three are closed by the returned dispose. */
async function pair(at?: SocketAddress) {
  const server = ShareServer.listen(at ? { at } : {});
  const [a, b] = await Promise.all([ShareSocket.connect(server.address), server.accept()]);
  return {
    server,
    a,
    b,
    [Symbol.dispose]() {
      a.close();
      b.close();
      server.close();
    },
  };
}

async function rejectsWith<E extends Error>(
  p: Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: abstract new(...args: any[]) => E,
  includes: string,
): Promise<E> {
  const e = await assertRejects(() => p, type);
  assertStringIncludes((e as Error).message, includes);
  return e as E;
}

test("a message and its fds cross a share socket; the socket file is private", async () => {
  const before = openFdSet();
  {
    using p = await pair();
    const path = p.server.address as string;
    assertEquals(statSync(path).mode & 0o777, 0o600);
    assertEquals(statSync(path.slice(0, path.lastIndexOf("/"))).mode & 0o777, 0o700);
    assertEquals(p.b.peer.pid, process.pid);
    using m = memfd("vkshare-socket-test");
    await p.a.send({ type: "hello", list: [1, 2] }, [m, m.fd]);
    const r = await p.b.receive({ timeoutMs: 5000 });
    assertEquals(r.message, { type: "hello", list: [1, 2] });
    assertEquals(r.fds.length, 2);
    for (const f of r.fds) {
      assertStringIncludes(describeFd(f.fd)!, "vkshare-socket-test");
      f.close();
    }
    assertEquals(m.state, "open"); // the sender's fd stays the sender's
  }
  assertNoFdLeak(before);
});

test("the abstract namespace works, and leaves no file", async () => {
  const name = `vkshare-test-${process.pid}`;
  using p = await pair({ abstract: name });
  await p.b.send({ type: "x" });
  assertEquals((await p.a.receive()).message, { type: "x" });
});

test("malformed and unexpected messages are ProtocolErrors, and their fds are closed", async () => {
  using p = await pair();
  using m = memfd("vkshare-malformed");
  const before = openFdSet();
  for (const [packet, n, reason] of MALFORMED_PACKETS) {
    await p.a.sendRaw(packet, Array(n).fill(m.fd));
    const e = await assertRejects(() => p.b.receive(), ProtocolError);
    assertEquals(e.reason, reason, e.message);
    assertNoFdLeak(before, `fds after a ${reason} message`);
  }
  await p.a.send({ type: "other" }, [m]);
  const e = await assertRejects(() => p.b.expect("offer"), ProtocolError);
  assertEquals(e.reason, "unexpected");
  assertNoFdLeak(before);
  // Offers whose fields are not what they should be: ProtocolErrors, never TypeErrors.
  for (const [offer, n, reason] of MALFORMED_OFFERS) {
    await p.a.send({ type: "offer", ...offer }, Array(n).fill(m));
    const r = await assertRejects(() => receiveOffer(p.b), ProtocolError);
    assertEquals(r.reason, reason, r.message);
    assertNoFdLeak(before, `fds after an offer refused for ${reason}`);
  }
  // The sender refuses what the protocol cannot carry, before sending.
  await assertRejects(() => p.a.send({ big: "x".repeat(MAX_MESSAGE_BYTES) }), RangeError);
  await assertRejects(() => p.a.send({}, Array(MAX_MESSAGE_FDS + 1).fill(m.fd)), RangeError);
  // A closed fd cannot be sent; the socket still works after it.
  const closed = m.dup();
  const n = closed.fd;
  closed.close();
  const bad = await rejectsWith(p.a.send({}, [n]), ErrnoError, "sendmsg");
  assertEquals(bad.code, "EBADF");
  await p.a.send({ type: "still" });
  assertEquals((await p.b.receive()).message, { type: "still" });
});

test("waits end on time: receive, accept and connect give ETIMEDOUT or say why", async () => {
  using p = await pair();
  const t0 = performance.now();
  const e = await rejectsWith(p.b.receive({ timeoutMs: 100 }), ErrnoError, "nothing within 100 ms");
  assertEquals(e.code, "ETIMEDOUT");
  assert(performance.now() - t0 >= 90, "it waited");
  const a = await rejectsWith(p.server.accept({ timeoutMs: 50 }), ErrnoError, "accept");
  assertEquals(a.code, "ETIMEDOUT");
  const c = await rejectsWith(
    ShareSocket.connect("/nonexistent/vkshare.sock", { timeoutMs: 50 }),
    ErrnoError,
    "/nonexistent/vkshare.sock",
  );
  assert(["ENOENT", "ETIMEDOUT"].includes(c.code), c.message);
});

test("a peer that closes: receive is a ProtocolError (closed), send is EPIPE", async () => {
  using p = await pair();
  p.a.close();
  const e = await assertRejects(() => p.b.receive({ timeoutMs: 1000 }), ProtocolError);
  assertEquals(e.reason, "closed");
  const s = await rejectsWith(p.b.send({ type: "x" }), ErrnoError, "sendmsg");
  assert(["EPIPE", "ECONNRESET"].includes(s.code), s.message);
});

test("a server path that exists already is refused, and left alone", async () => {
  using p = await pair();
  const path = p.server.address as string;
  const e = await rejectsWith(
    Promise.resolve().then(() => ShareServer.listen({ at: path })),
    ErrnoError,
    "exists already: a server listens there",
  );
  assertEquals(e.code, "EADDRINUSE");
  assertEquals(statSync(path).mode & 0o777, 0o600);
  await p.a.send({ type: "alive" });
  assertEquals((await p.b.receive()).message, { type: "alive" });
  // A file that is not a socket is never replaced, and the refusal says what it is (no server).
  const dir = mkdtempSync(`${tmpdir()}/vkshare-path-`);
  try {
    writeFileSync(`${dir}/file`, "keep");
    const f = await rejectsWith(
      Promise.resolve().then(() => ShareServer.listen({ at: `${dir}/file` })),
      ErrnoError,
      "exists already: it is a regular file, not a socket",
    );
    assert(!f.message.includes("listens"), f.message);
    assertEquals(readFileSync(`${dir}/file`, "utf8"), "keep");
    // A symbolic link, even to a live server's socket, is neither followed nor replaced.
    for (const target of [`${dir}/file`, path]) {
      symlinkSync(target, `${dir}/link`);
      const l = await rejectsWith(
        Promise.resolve().then(() => ShareServer.listen({ at: `${dir}/link` })),
        ErrnoError,
        "it is a symbolic link, which vkshare neither follows nor replaces",
      );
      assert(!l.message.includes("listens"), l.message);
      rmSync(`${dir}/link`);
    }
    assertEquals(readFileSync(`${dir}/file`, "utf8"), "keep");
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the socket file is 0600 from the bind itself (no chmod), and the umask is restored", () => {
  const before = libc().umask(0o022);
  libc().umask(before);
  using server = ShareServer.listen();
  assertEquals(statSync(server.address as string).mode & 0o777, 0o600);
  const after = libc().umask(0o022);
  libc().umask(after);
  assertEquals(after, before);
});

test("a peer of a uid that is not allowed is refused, on both ends", async () => {
  const other = process.getuid!() === 12345 ? 12346 : 12345;
  {
    // The server closes the refused peer, records it, and waits on until its timeout.
    using server = ShareServer.listen({ allowUids: [other] });
    const client = ShareSocket.connect(server.address);
    const e = await rejectsWith(server.accept({ timeoutMs: 300 }), ErrnoError, "refused meanwhile");
    assertEquals(e.code, "ETIMEDOUT");
    assertStringIncludes(e.message, `uid ${process.getuid!()}`);
    assertEquals(server.refused.map((r) => r.code), ["EACCES"]);
    using c = await client;
    const closed = await assertRejects(() => c.receive({ timeoutMs: 1000 }), ProtocolError);
    assertEquals(closed.reason, "closed");
  }
  {
    using server = ShareServer.listen();
    const accepted = server.accept();
    const e = await rejectsWith(
      ShareSocket.connect(server.address, { allowUids: [other] }),
      ErrnoError,
      "allowed: " + other,
    );
    assertEquals(e.code, "EACCES");
    (await accepted).close();
  }
});

test("a stream of refused peers neither holds the event loop nor outlasts accept's timeout", async () => {
  const other = process.getuid!() === 12345 ? 12346 : 12345;
  using server = ShareServer.listen({ allowUids: [other] });
  // Eight peers of a uid not allowed wait in the backlog before accept runs.
  const clients = await Promise.all(
    Array.from({ length: 8 }, () => ShareSocket.connect(server.address)),
  );
  try {
    // The event loop gets a turn after the first refusal, not after the whole backlog.
    const seen = new Promise<number>((r) => setImmediate(() => r(server.refused.length)));
    const e = await rejectsWith(server.accept({ timeoutMs: 300 }), ErrnoError, "refused meanwhile");
    assertEquals(e.code, "ETIMEDOUT");
    assertEquals(await seen, 1);
    assertEquals(server.refused.length, 8);
    // A timeout that has passed ends the wait at the next refusal; the rest stay queued.
    const more = await Promise.all(
      Array.from({ length: 3 }, () => ShareSocket.connect(server.address)),
    );
    clients.push(...more);
    const late = await rejectsWith(server.accept({ timeoutMs: 0 }), ErrnoError, "no allowed peer");
    assertEquals(late.code, "ETIMEDOUT");
    assertEquals(server.refused.length, 9);
  } finally {
    for (const c of clients) c.close();
  }
});

test(
  "an offer from another device is refused before import, naming both devices, fds closed",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, b: Device) => {
    using p = await pair();
    using mem = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
    using exp = mem.exportFd();
    const before = openFdSet();
    await sendOffer(p.a, {
      label: "tampered",
      memory: {
        ...exp,
        descriptor: { ...exp.descriptor, deviceUUID: "00000000-0000-0000-0000-000000000000" },
      },
    });
    const e = await assertRejects(() => receiveOffer(p.b, { device: b }), ShareError);
    assertEquals(e.rule, "UUID_MISMATCH");
    assertStringIncludes(e.message, b.physicalDevice.name);
    assertNoFdLeak(before);
    // The real one imports.
    await sendOffer(p.a, { label: "real", memory: exp });
    using offer = await receiveOffer(p.b, { device: b });
    assertEquals(offer.label, "real");
    using _i = DeviceMemory.importFd(b, offer.memory!.fd, offer.memory!.descriptor);
    assertEquals(offer.memory!.fd.state, "consumed");
  }),
);

test("a message cut short of its fds says whether the sender sent too many or this process ran out", () => {
  const packet = (fds: number) => {
    const b = new Uint8Array(18);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x48534b56, true);
    v.setUint16(4, 1, true);
    v.setUint32(8, fds, true);
    v.setUint32(12, 2, true);
    b.set([0x7b, 0x7d], 16);
    return b;
  };
  const cut = (fds: number, got: number) => {
    try {
      parsePacket(packet(fds), 18, MSG_CTRUNC, got);
    } catch (e) {
      assert(e instanceof ProtocolError);
      assertEquals(e.reason, "truncated");
      return e.message;
    }
    throw new Error("not refused");
  };
  assertStringIncludes(cut(16, 9), "out of file descriptors");
  assertStringIncludes(cut(16, 9), "of 16 fd(s) arrived with 9");
  assertStringIncludes(cut(17, 16), "more than 16 fds");
});

test(
  "an offered fence (like memory and semaphores) of another device is refused before import",
  withTwoDevices(async (_a: Device, b: Device) => {
    using p = await pair();
    using m = memfd("vkshare-fence");
    const before = openFdSet();
    const foreign = {
      version: 1,
      object: "fence",
      handleType: "OPAQUE_FD",
      deviceUUID: "00000000-0000-0000-0000-000000000000",
      driverUUID: "00000000-0000-0000-0000-000000000000",
      deviceName: "another GPU",
    };
    await p.a.send(
      {
        type: "offer",
        version: 1,
        label: "fence",
        memory: null,
        semaphores: [],
        fences: [foreign],
      },
      [m],
    );
    const e = await assertRejects(() => receiveOffer(p.b, { device: b }), ShareError);
    assertEquals(e.rule, "UUID_MISMATCH");
    assertStringIncludes(e.message, "another GPU");
    assertStringIncludes(e.message, b.physicalDevice.name);
    assertNoFdLeak(before, "the refused offer's fd was closed");
  }),
);

test(
  "an offer carries the image's description, dedicated or not; without one, fromTarget says where to get it",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, b: Device) => {
    using p = await pair();
    using image = GpuImage.create(a, { width: 32, height: 16, external: "OPAQUE_FD" });
    // A plain allocation where the driver allows one (lavapipe), else the dedicated one it needs.
    const options = { for: image, exportAs: "OPAQUE_FD" as const, dedicated: false };
    const plain = DeviceMemory.planAllocate(a, options).ok;
    using mem = DeviceMemory.allocate(a, plain ? options : { for: image, exportAs: "OPAQUE_FD" });
    using ta = Transfer.create(a), tb = Transfer.create(b);
    const bytes = new Uint8Array(32 * 16 * 4).map((_, i) => (i * 3) & 0xff);
    ta.writeImage(image, bytes);
    ta.submit((r) => r.releaseImage(image, { oldLayout: "GENERAL", srcStage: "ALL_COMMANDS" }));
    {
      using exp = mem.exportFd();
      assertEquals(exp.descriptor.dedicated === null, plain);
      await sendOffer(p.a, { label: "image", memory: exp, image });
    }
    using offer = await receiveOffer(p.b, { device: b });
    assertEquals(offer.image, image.describe());
    using twin = GpuImage.fromTarget(b, offer.image);
    using _m = DeviceMemory.importFd(b, offer.memory!.fd, offer.memory!.descriptor, { for: twin });
    tb.submit((r) => r.acquireImage(twin, { newLayout: "GENERAL", dstStage: "ALL_COMMANDS" }));
    assertEquals(tb.readImage(twin), bytes);
    // Without `image`, a plain export's offer has none, and fromTarget says where to get it.
    if (!plain) return;
    {
      using exp = mem.exportFd();
      await sendOffer(p.a, { label: "no image", memory: exp });
    }
    using bare = await receiveOffer(p.b, { device: b });
    assertEquals(bare.image, null);
    const e = assertRule(() => GpuImage.fromTarget(b, bare.image), "BAD_DESCRIPTOR");
    assertStringIncludes(e.message, "take the offer's `image`");
  }),
);

test("an offer whose image is not an image's description is refused, and its fds closed", async () => {
  using p = await pair();
  const before = openFdSet();
  for (const image of [{ kind: "buffer", size: 1 }, { kind: "image" }, 7]) {
    using m = memfd("bad-image");
    await p.a.send(
      { type: "offer", version: 1, label: "x", memory: null, image, semaphores: [], fences: [] },
      [],
    );
    await assertRejects(() => receiveOffer(p.b));
    m.close();
  }
  assertNoFdLeak(before);
});

test("an errno recvmsg or sendmsg cannot return is taken as EAGAIN (the runtime overwrote it); real ones stand", () => {
  // ENOENT (2), seen once after a recvmsg on Deno, is neither call's.
  assertEquals(callErrno("recvmsg", 2), 11);
  assertEquals(callErrno("sendmsg", 2), 11);
  for (const real of [9, 104, 111, 88]) assertEquals(callErrno("recvmsg", real), real);
  for (const real of [9, 32, 104, 90, 109]) assertEquals(callErrno("sendmsg", real), real);
  assertEquals(callErrno("recvmsg", 32), 11, "EPIPE is a send's");
});
