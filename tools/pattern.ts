// A deterministic byte pattern for the tests and the peer process. It imports nothing, so that a
// process that needs only the pattern (tools/peer.ts) opens no validated instance of the tests.

/** A pattern of `n` bytes that differs per `seed`. */
export function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
