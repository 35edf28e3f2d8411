// The access protocol between two devices over a share socket (ipc/access.ts): an image written
// under a write access is read, every byte, under a peer's read access in the layout the writer
// left; the rules' refusals cross the socket; a peer that leaves mid-write leaves the contents
// uninitialized; malformed access messages end the session with every fd closed. On lavapipe
// (no semaphore fds) every end is a host handoff; where timeline semaphores are shared, the
// waits are on the GPU. The three-process run is examples/image_readers.ts
// (tests/examples_test.ts).
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  type AccessGrant,
  AccessOwner,
  AccessPeer,
  receiveOffer,
  sendOffer,
  ShareServer,
  ShareSocket,
} from "../../ipc/mod.ts";
import {
  CommandBuffer,
  type Device,
  DeviceMemory,
  GpuBuffer,
  GpuImage,
  ProtocolError,
  ShareError,
} from "../../mod.ts";
import { hostBuffer } from "../../tools/ops.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, cannotShare, openFdSet, pattern, withTwoDevices } from "../_memory.ts";
import { rng } from "./_malformed.ts";

const W = 32, H = 8, BYTES = W * H * 4;

async function pair() {
  using server = ShareServer.listen({});
  const [a, b] = await Promise.all([ShareSocket.connect(server.address), server.accept()]);
  return { owner: b, peer: a, [Symbol.dispose]: () => (a.close(), b.close()) };
}

/** Writes `bytes` into `image` under write access `a` (staging copy, then release). */
function writeUnder(device: Device, a: AccessGrant, image: GpuImage, bytes: Uint8Array) {
  const staging = hostBuffer(device, BYTES);
  staging.memory!.map().set(bytes);
  using cmd = CommandBuffer.create(device);
  cmd.record((r) => {
    a.acquire(r, {
      newLayout: "TRANSFER_DST_OPTIMAL",
      dstStage: "TRANSFER",
      dstAccess: "TRANSFER_WRITE",
    });
    r.copyBufferToImage(staging, image);
    a.release(r, { layout: "TRANSFER_SRC_OPTIMAL" });
  });
  device.queue().submit({ wait: a.wait, commandBuffers: [cmd], signal: [a.signal] });
  return staging; // disposed by the caller after the end (it waits for the copy)
}

/** Reads `image` under read access `a`, waiting on the host for the copy. */
async function readUnder(device: Device, a: AccessGrant, image: GpuImage): Promise<Uint8Array> {
  using staging = hostBuffer(device, BYTES);
  using cmd = CommandBuffer.create(device);
  cmd.record((r) => {
    a.acquire(r, { dstStage: "TRANSFER", dstAccess: "TRANSFER_READ" });
    r.copyImageToBuffer(image, staging, { layout: a.layout });
    r.hostRead(staging);
    a.release(r, { srcStage: "TRANSFER", srcAccess: [] });
  });
  device.queue().submit({ wait: a.wait, commandBuffers: [cmd], signal: [a.signal] });
  assertEquals(await a.signal.semaphore.waitAsync(a.signal.value, 10_000), "signaled");
  return staging.memory!.map().slice(0, BYTES);
}

/** An exported image on `a`, offered on `p`, and the peer's twin bound to the import on `b`. */
async function shared(a: Device, b: Device, p: { owner: ShareSocket; peer: ShareSocket }) {
  const image = GpuImage.create(a, { width: W, height: H, external: "OPAQUE_FD" });
  const memory = DeviceMemory.allocate(a, { for: image, exportAs: "OPAQUE_FD" });
  {
    using exp = memory.exportFd();
    await sendOffer(p.owner, { label: "frame", memory: exp, image });
  }
  using offer = await receiveOffer(p.peer, { device: b });
  const twin = GpuImage.fromTarget(b, offer.image);
  const imported = DeviceMemory.importFd(b, offer.memory!.fd, offer.memory!.descriptor, {
    for: twin,
  });
  return {
    image,
    twin,
    [Symbol.dispose]: () => {
      imported[Symbol.dispose]();
      twin[Symbol.dispose]();
      memory[Symbol.dispose]();
      image[Symbol.dispose]();
    },
  };
}

/** A shared image, its owner serving one peer, and the peer joined. */
async function session(a: Device, b: Device, label?: string) {
  const p = await pair();
  const s = await shared(a, b, p);
  const owner = AccessOwner.create(a, { image: s.image, ...(label ? { label } : {}) });
  const serving = owner.serve(p.owner);
  const peer = await AccessPeer.join(p.peer, b, { image: s.twin });
  const leave = async () => {
    p.peer.close();
    await serving;
  };
  return {
    s,
    owner,
    peer,
    leave,
    [Symbol.asyncDispose]: async () => {
      await leave();
      peer[Symbol.dispose]();
      owner[Symbol.dispose]();
      s[Symbol.dispose]();
      p[Symbol.dispose]();
    },
  };
}

test(
  "an image written under a write access is read by a peer under a read access, from the writer's layout, every byte; and back",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, b: Device) => {
    await using t = await session(a, b, "frame");
    const { s, owner, peer } = t;
    assertEquals(peer.sync, owner.sync);
    assertEquals(peer.who, 1);
    for (let frame = 0; frame < 3; frame++) {
      const w = await owner.begin("write");
      assertEquals(
        [w.initialized, w.layout],
        frame ? [true, "TRANSFER_SRC_OPTIMAL"] : [false, "UNDEFINED"],
      );
      using _staging = writeUnder(a, w, s.image, pattern(BYTES, frame));
      await owner.end(w);
      const r = await peer.begin("read");
      assertEquals([r.initialized, r.layout], [true, "TRANSFER_SRC_OPTIMAL"]);
      assertEquals(
        r.wait.length,
        owner.sync === "timeline" ? 1 : 0,
        "a host handoff has nothing to wait for",
      );
      assertEquals(await readUnder(b, r, s.twin), pattern(BYTES, frame), `frame ${frame}`);
      await peer.end(r);
    }
    // The peer writes, the owner reads.
    const w = await peer.begin("write");
    using _staging = writeUnder(b, w, s.twin, pattern(BYTES, 9));
    await peer.end(w);
    const r = await owner.begin("read");
    assertEquals(await readUnder(a, r, s.image), pattern(BYTES, 9));
    await owner.end(r);
    assertEquals(owner.peers, 1);
    await t.leave();
    assertEquals(owner.readers + (owner.writer ?? 0), 0);
    assertEquals(owner.peers, 0, "a peer that left is no longer served");
  }),
);

test(
  "refusals cross the socket by rule (uninitialized, second writer, an end not held) and the session goes on",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, b: Device) => {
    await using t = await session(a, b);
    const { s, owner, peer } = t;
    const e = await assertRejects(() => peer.begin("read"), ShareError);
    assertEquals(e.rule, "ACCESS_UNINITIALIZED");
    assertStringIncludes(e.message, "nobody has written its contents yet");
    const w = await owner.begin("write");
    const busy = await assertRejects(() => peer.begin("write"), ShareError);
    assertEquals(busy.rule, "ACCESS_WRITER_ACTIVE");
    assertStringIncludes(busy.message, "the owner is writing it");
    using _staging = writeUnder(a, w, s.image, pattern(BYTES, 1));
    await owner.end(w);
    const r = await peer.begin("read");
    assertEquals(await readUnder(b, r, s.twin), pattern(BYTES, 1));
    await peer.end(r);
    const again = await assertRejects(() => peer.end(r), ShareError);
    assertEquals(again.rule, "ACCESS_NOT_HELD");
    const r2 = await peer.begin("read");
    assert(r2.token > r.token);
    r2.signal.semaphore.signal(r2.signal.value); // no GPU work: the end's value, from the host
    const moved = await assertRejects(() => peer.end(r2, { layout: "GENERAL" }), ShareError);
    assertEquals([moved.rule, moved.expected, moved.actual], [
      "ACCESS_LAYOUT",
      "TRANSFER_SRC_OPTIMAL",
      "GENERAL",
    ]);
    await t.leave();
    assertEquals(owner.readers, 0, "the peer's read ended when it left");
  }),
);

test(
  "a peer that leaves mid-write leaves the contents uninitialized; an end before its signal was submitted is refused",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, b: Device) => {
    await using t = await session(a, b);
    const { owner, peer } = t;
    const w = await peer.begin("write");
    const early = await assertRejects(() => peer.end(w), RangeError);
    assertStringIncludes(early.message, "was never submitted");
    assertEquals(owner.writer, peer.who);
    await t.leave();
    assertEquals([owner.initialized, owner.writer], [false, null]);
    const e = await assertRejects(() => owner.begin("read"), ShareError);
    assertStringIncludes(e.message, "its last writer left before ending its write");
  }),
);

test(
  "malformed access messages end the session with a ProtocolError, every fd closed, the peer's accesses ended",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, _b: Device) => {
    using image = GpuImage.create(a, { width: W, height: H });
    using owner = AccessOwner.create(a, { image });
    const before = openFdSet();
    const join = { type: "access-join", version: 1, resource: "image", timeline: null };
    const cases: [string, unknown[], number][] = [
      ["version", [{ ...join, version: 2 }], 0],
      ["resource", [{ ...join, resource: "buffer" }], 0],
      ["fds", [join], 2],
      ["mode", [join, { type: "access-begin", mode: "append" }], 0],
      ["type", [join, { type: "access-launch" }], 0],
      ["token", [join, { type: "access-end", token: "1", value: null }], 0],
      ["value", [join, { type: "access-end", token: 1, value: "-1" }], 0],
      ["array", [join, [1, 2]], 0],
    ];
    for (const [what, messages, fds] of cases) {
      using p = await pair();
      const serving = owner.serve(p.owner);
      const rejected = assertRejects(() => serving, ProtocolError);
      for (const m of messages) {
        const extra = Array.from({ length: fds }, () => p.peer.fd);
        await p.peer.send(m, extra);
        if ((m as { type?: string }).type === "access-join" && messages.length > 1) {
          const welcome = await p.peer.receive();
          assertEquals((welcome.message as { type: string }).type, "access-welcome", what);
        }
      }
      await rejected;
    }
    assertEquals([owner.writer, owner.readers, owner.initialized], [null, 0, false]);
    assertNoFdLeak(before, "every fd sent with a malformed message was closed");
  }),
);

test(
  "a buffer under the protocol: no layouts (an end with one is refused), a fill read back by the peer",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices(async (a: Device, b: Device) => {
    using p = await pair();
    using buffer = GpuBuffer.create(a, { size: BYTES, external: "OPAQUE_FD" });
    using memory = DeviceMemory.allocate(a, { for: buffer, exportAs: "OPAQUE_FD" });
    {
      using exp = memory.exportFd();
      await sendOffer(p.owner, { label: "buffer", memory: exp });
    }
    using offer = await receiveOffer(p.peer, { device: b });
    using twin = GpuBuffer.create(b, { size: BYTES, external: "OPAQUE_FD" });
    using _m = DeviceMemory.importFd(b, offer.memory!.fd, offer.memory!.descriptor, { for: twin });
    using owner = AccessOwner.create(a, { buffer });
    const serving = owner.serve(p.owner);
    using peer = await AccessPeer.join(p.peer, b, { buffer: twin });
    const w = await owner.begin("write");
    assertEquals(w.layout, "UNDEFINED");
    using cmd = CommandBuffer.create(a);
    cmd.record((r) => {
      w.acquire(r);
      r.fill(buffer, 0x5a5a5a5a);
      w.release(r);
    });
    a.queue().submit({ wait: w.wait, commandBuffers: [cmd], signal: [w.signal] });
    const bad = await assertRejects(() => owner.end(w, { layout: "GENERAL" }), ShareError);
    assertEquals(bad.rule, "ACCESS_LAYOUT");
    await owner.end(w);
    const r = await peer.begin("read");
    using staging = hostBuffer(b, BYTES);
    using read = CommandBuffer.create(b);
    read.record((rec) => {
      r.acquire(rec, { dstStage: "TRANSFER", dstAccess: "TRANSFER_READ" });
      rec.copy(twin, staging);
      rec.hostRead(staging);
      r.release(rec, { srcStage: "TRANSFER", srcAccess: [] });
    });
    b.queue().submit({ wait: r.wait, commandBuffers: [read], signal: [r.signal] });
    await peer.end(r);
    assertEquals(await r.signal.semaphore.waitAsync(r.signal.value, 10_000), "signaled");
    assertEquals(staging.memory!.map().slice(0, BYTES), new Uint8Array(BYTES).fill(0x5a));
    p.peer.close();
    await serving;
  }),
);

/** A random access message: mostly begins and ends with fields of every JSON type. */
function accessMessage(r: () => number, tokens: number[]): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const junk = () =>
    pick([null, true, 0, -1, 1.5, 2 ** 64, "", "read", "GENERAL", "18446744073709551616", [], {}]);
  const k = r();
  if (k < 0.4) return { type: "access-begin", mode: r() < 0.8 ? pick(["read", "write"]) : junk() };
  if (k < 0.85) {
    return {
      type: "access-end",
      token: r() < 0.7 && tokens.length ? pick(tokens) : junk(),
      ...(r() < 0.7
        ? { layout: r() < 0.7 ? pick(["GENERAL", "TRANSFER_SRC_OPTIMAL", "UNDEFINED"]) : junk() }
        : {}),
      value: r() < 0.7 ? null : r() < 0.5 ? pick(["1", "2", "99", "0"]) : junk(),
    };
  }
  return r() < 0.5 ? { type: pick(["access-join", "offer", "x"]) } : junk();
}

test(
  "a hostile peer, fuzzed: 200 sessions of random access messages end by rule or with a ProtocolError, never a crash; the owner's state and fds stay whole",
  withTwoDevices(async (a: Device, _b: Device) => {
    using image = GpuImage.create(a, { width: W, height: H });
    using owner = AccessOwner.create(a, { image, sync: "host" });
    const before = openFdSet();
    const r = rng(33);
    const seen = new Set<string>();
    for (let session = 0; session < 200; session++) {
      using p = await pair();
      const serving = owner.serve(p.owner).then(
        () => "left",
        (e: Error) => e.name,
      );
      const join = { type: "access-join", version: 1, resource: "image", timeline: null };
      await p.peer.send(r() < 0.9 ? join : accessMessage(r, []));
      const tokens: number[] = [];
      for (let i = Math.floor(r() * 6); i >= 0 && !p.peer.closed; i--) {
        const m = (await p.peer.receive({ timeoutMs: 5000 }).catch(() => null))?.message as
          | Record<string, unknown>
          | null;
        if (!m) break;
        seen.add(String(m.type === "access-refused" ? m.rule : m.type));
        if (typeof m.token === "number") tokens.push(m.token);
        await p.peer.send(accessMessage(r, tokens)).catch(() => null);
      }
      p.peer.close();
      const end = await serving;
      assert(["left", "ProtocolError", "ErrnoError"].includes(end), `session ${session}: ${end}`);
      seen.add(end);
      assertEquals([owner.writer, owner.readers], [null, 0], `session ${session}: accesses ended`);
    }
    assertNoFdLeak(before);
    // Refusals by rule and grants both happened, and the owner still serves a well-behaved peer.
    for (const want of ["access-grant", "access-ended", "ACCESS_NOT_HELD", "ProtocolError"]) {
      assert(seen.has(want), `${want} in ${[...seen].join(", ")}`);
    }
  }),
);
