// The malformed messages and offers that every peer of the share socket must refuse, with the
// ProtocolError reason each gets: the TypeScript side (socket_test.ts) and the Python peer
// (tests/python/peer_test.ts) are given the same list.
import { MAX_MESSAGE_BYTES } from "../../ipc/mod.ts";
import type { ProtocolError } from "../../mod.ts";

const VKSH = 0x48534b56;

/** A packet with the given header fields and body. */
export function header(
  magic: number,
  version: number,
  fds: number,
  length: number,
  body = "",
  reserved = 0,
): Uint8Array {
  const b = new TextEncoder().encode(body);
  const packet = new Uint8Array(16 + b.length);
  const v = new DataView(packet.buffer);
  v.setUint32(0, magic, true);
  v.setUint16(4, version, true);
  v.setUint16(6, reserved, true);
  v.setUint32(8, fds, true);
  v.setUint32(12, length, true);
  packet.set(b, 16);
  return packet;
}

/** [packet, how many fds go with it, the reason it is refused for]. */
export const MALFORMED_PACKETS: readonly [Uint8Array, number, ProtocolError["reason"]][] = [
  [header(0x12345678, 1, 1, 2, "{}"), 1, "magic"],
  [header(VKSH, 9, 1, 2, "{}"), 1, "version"],
  // The reserved bytes 6-7 are 0 in version 1.
  [header(VKSH, 1, 1, 2, "{}", 0x100), 1, "version"],
  [header(VKSH, 1, 2, 2, "{}"), 1, "fd-count"],
  [header(VKSH, 1, 1, 5, "{}"), 1, "length"],
  [header(VKSH, 1, 1, 3, "{x}"), 1, "json"],
  [new Uint8Array([1, 2, 3]), 1, "length"],
  [header(VKSH, 1, 17, 2, "{}"), 17, "truncated"],
  // One byte over what send() allows: refused on receipt too.
  [
    header(VKSH, 1, 1, MAX_MESSAGE_BYTES + 1, `"${"x".repeat(MAX_MESSAGE_BYTES - 1)}"`),
    1,
    "length",
  ],
  // An empty packet is not the peer closing.
  [new Uint8Array(0), 1, "length"],
  [new Uint8Array(0), 0, "length"],
];

/** Offers whose fields are not what they should be: [offer, fds, reason]. */
export const MALFORMED_OFFERS: readonly [
  Record<string, unknown>,
  number,
  ProtocolError["reason"],
][] = [
  [{ version: { toString: 1 }, label: "x", semaphores: [], fences: [] }, 0, "version"],
  [{ version: 1, label: "x", semaphores: [null], fences: [] }, 1, "json"],
  [{ version: 1, label: "x", semaphores: [], fences: [5] }, 1, "json"],
  [{ version: 1, label: "x", memory: "x", semaphores: [], fences: [] }, 1, "json"],
  [{ version: 1, label: { toString: 1 }, semaphores: [], fences: [] }, 0, "json"],
  [{ version: 1, label: "x", semaphores: [{}], fences: [] }, 0, "fd-count"],
  // A range of no memory.
  [
    { version: 1, label: "x", range: { offset: 0, size: 1 }, semaphores: [], fences: [] },
    0,
    "json",
  ],
  // A label a terminal would act on (ESC, OSC, CR-LF).
  [{ version: 1, label: "\u001b]0;x\u0007\r\n", semaphores: [], fences: [] }, 0, "json"],
];

/** mulberry32: the same cases on every run. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
