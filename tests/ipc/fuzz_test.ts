// A hostile peer, fuzzed: seeded random packets and random offers (fields of every JSON type,
// descriptors with fields changed, counts of fds that do and do not match) sent to the
// TypeScript side and to the Python peer. Each is either taken or refused with a ProtocolError
// or a ShareError (never a TypeError or a crash), and every fd that came with it is closed.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals } from "@std/assert";
import { libc, MFD_CLOEXEC } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import { receiveOffer, ShareServer, ShareSocket } from "../../ipc/mod.ts";
import { Device, DeviceMemory, OwnedFd, ProtocolError, ShareError } from "../../mod.ts";
import { isOpenFd } from "../../share/mod.ts";
import { startCommand, test } from "../_harness.ts";
import { assertNoFdLeak, openFdSet } from "../_memory.ts";
import { sharedInstance } from "../_vk.ts";
import { rng } from "./_malformed.ts";

const PEER = new URL("../../python/vkshare_peer.py", import.meta.url).pathname;
const noPython = spawnSync("python3", ["--version"]).status === 0 ? false : "no python3";
const pd = sharedInstance().physicalDevices()[0];
/** What a descriptor of this device's memory looks like (the fuzz changes its fields). */
const descriptor = {
  version: 1,
  handleType: "OPAQUE_FD",
  size: 65536,
  memoryTypeIndex: 0,
  memoryProperties: [],
  dedicated: null,
  deviceUUID: pd.deviceUUID,
  driverUUID: pd.driverUUID,
  deviceName: pd.name,
};

const FIELDS = [
  "version",
  "handleType",
  "size",
  "memoryTypeIndex",
  "memoryProperties",
  "dedicated",
  "deviceUUID",
  "driverUUID",
  "deviceName",
  "fdKind",
  "object",
  "semaphoreType",
  "kind",
  "__proto__",
  "constructor",
  "toString",
];

/**
 * Sets an own property, whatever its name: `o["__proto__"] = v` sets the prototype on Bun (and
 * Node) but an own property on Deno, which removes the accessor; JSON carries own properties.
 */
function own(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function cases(seed: number, n: number, descriptor: Record<string, unknown>) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const value = (depth: number): unknown => {
    const k = Math.floor(r() * (depth > 2 ? 6 : 9));
    switch (k) {
      case 0:
        return null;
      case 1:
        return r() < 0.5;
      case 2:
        return pick([0, 1, -1, 1.5, 2 ** 53, 2 ** 64, -(2 ** 31), 65536, 1e308]);
      case 3:
        return pick(["", "OPAQUE_FD", "DMA_BUF", "timeline", "x".repeat(300), "\u0000", "1"]);
      case 4:
        return Math.floor(r() * 1e6);
      case 5:
        return pick([descriptor.deviceUUID, "00000000-0000-0000-0000-000000000000"]);
      case 6:
        return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = Math.floor(r() * 5); i > 0; i--) own(o, pick(FIELDS), value(depth + 1));
        return o;
      }
    }
  };
  /** The real descriptor with one to three fields changed, dropped or added. */
  const mutated = () => {
    const d: Record<string, unknown> = { ...descriptor };
    // Another device's export, well-formed: what only the UUIDs refuse.
    if (r() < 0.05) return { ...d, deviceUUID: "00000000-0000-0000-0000-000000000000" };
    for (let i = 1 + Math.floor(r() * 3); i > 0; i--) {
      const f = pick(FIELDS);
      if (r() < 0.2) delete d[f];
      else own(d, f, value(1));
    }
    return d;
  };
  // Most offers are well-formed but for their descriptor, so that most reach the import's rules.
  return Array.from({ length: n }, () => {
    const offer: Record<string, unknown> = { type: "offer" };
    if (r() < 0.97) offer.version = r() < 0.95 ? 1 : value(1);
    if (r() < 0.97) offer.label = r() < 0.95 ? "fuzz" : value(1);
    offer.memory = r() < 0.7 ? mutated() : r() < 0.5 ? descriptor : value(1);
    if (r() < 0.97) offer.semaphores = r() < 0.9 ? [] : value(1);
    if (r() < 0.97) offer.fences = r() < 0.9 ? [] : value(1);
    const want = offer.memory === null || offer.memory === undefined ? 0 : 1;
    return { offer, fds: r() < 0.8 ? want : Math.floor(r() * 4) };
  });
}

function memfd(): OwnedFd {
  return OwnedFd.adopt(libc().memfd_create!(cString("vkshare-fuzz"), MFD_CLOEXEC), "fuzz");
}

test("fuzz: 300 random offers to receiveOffer and importFd: refused as ProtocolError or ShareError, every fd closed", async () => {
  using device = Device.create(pd);
  using server = ShareServer.listen();
  using a = await ShareSocket.connect(server.address);
  using b = await server.accept();
  using m = memfd();
  // The refusal a plain memfd meets: where this driver's exports are memfds (lavapipe), its
  // missing Mesa header (FD_FORGED); elsewhere (NVIDIA: /dev/nvidiactl), its kind.
  const exportKind = (() => {
    using mem = DeviceMemory.allocate(device, { size: 4096, exportAs: "OPAQUE_FD" });
    using exp = mem.exportFd();
    return exp.descriptor.fdKind;
  })();
  const fdRule = exportKind === "memfd" ? "FD_FORGED" : "FD_KIND_MISMATCH";
  const before = openFdSet();
  const seen: Record<string, number> = {};
  for (const [i, c] of cases(1, 300, descriptor).entries()) {
    await a.send(c.offer, Array(c.fds).fill(m));
    try {
      using offer = await receiveOffer(b, { device, timeoutMs: 5000 });
      seen.taken = (seen.taken ?? 0) + 1;
      if (offer.memory) {
        // The import plans, checks and refuses garbage: a memfd is never a lavapipe export.
        try {
          using _x = DeviceMemory.importFd(device, offer.memory.fd, offer.memory.descriptor);
          seen.imported = (seen.imported ?? 0) + 1;
        } catch (e) {
          assert(e instanceof ShareError, `case ${i}: ${e}`);
          seen[e.rule] = (seen[e.rule] ?? 0) + 1;
        }
      }
    } catch (e) {
      assert(e instanceof ProtocolError || e instanceof ShareError, `case ${i}: ${e}`);
      const key = e instanceof ProtocolError ? e.reason : e.rule;
      seen[key] = (seen[key] ?? 0) + 1;
    }
    assertNoFdLeak(before, `case ${i}: ${JSON.stringify(c.offer).slice(0, 300)}`);
    assert(m.state === "open" && isOpenFd(m.fd), `case ${i}: the sender's memfd stays open`);
  }
  console.log(`  ${JSON.stringify(seen)}`);
  assert(!seen.imported, "a memfd was imported as this driver's memory");
  // The cases reach every stage: the framing, the offer's shape, and the import's rules.
  for (
    const k of [
      "json",
      "fd-count",
      "version",
      "BAD_DESCRIPTOR",
      "UUID_MISMATCH",
      "SIZE_MISMATCH",
      fdRule,
    ]
  ) {
    assert(seen[k] > 0, `no case was refused for ${k}: ${JSON.stringify(seen)}`);
  }
});

test("fuzz: 300 random packets to receive: a message or a ProtocolError, every fd closed", async () => {
  using server = ShareServer.listen();
  using a = await ShareSocket.connect(server.address);
  using b = await server.accept();
  using m = memfd();
  const r = rng(7);
  const before = openFdSet();
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(r() * 64);
    const packet = new Uint8Array(n).map(() => Math.floor(r() * 256));
    if (n >= 16 && r() < 0.7) {
      const v = new DataView(packet.buffer);
      v.setUint32(0, 0x48534b56, true);
      if (r() < 0.8) v.setUint16(4, 1, true);
      if (r() < 0.8) v.setUint32(12, n - 16, true);
    }
    const fds = Math.floor(r() * 3);
    if (r() < 0.5 && n >= 16) new DataView(packet.buffer).setUint32(8, fds, true);
    await a.sendRaw(packet, Array(fds).fill(m.fd));
    try {
      const got = await b.receive({ timeoutMs: 5000 });
      got.fds.forEach((f) => f.close());
    } catch (e) {
      assert(e instanceof ProtocolError, `packet ${i}: ${e}`);
    }
    assertNoFdLeak(before, `packet ${i}`);
    assert(m.state === "open" && isOpenFd(m.fd), `packet ${i}: the sender's memfd stays open`);
  }
});

test(
  "fuzz: the same 300 random offers to the Python peer: each taken or refused, never a crash, its fds closed",
  {
    skip: noPython,
  },
  async () => {
    const all = cases(1, 300, descriptor);
    using server = ShareServer.listen();
    const child = startCommand([
      "python3",
      PEER,
      "offers",
      server.address as string,
      String(all.length),
      pd.deviceUUID,
    ]);
    using socket = await server.accept({ timeoutMs: 30_000 });
    using m = memfd();
    for (const c of all) await socket.send(c.offer, Array(c.fds).fill(m));
    const r = await child.exited;
    assertEquals(r.code, 0, r.err);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, all.length);
    for (const [i, l] of lines.entries()) {
      assert(l.label !== undefined || l.reason || l.rule, `case ${i}: ${JSON.stringify(l)}`);
      assertEquals(l.fds_back, true, `case ${i}`);
    }
  },
);
