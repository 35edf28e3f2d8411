// node:buffer's Buffer.compare (a native memcmp in Deno, Bun and Node), for the examples, without
// @types/node (see assert.d.ts).
export const Buffer: {
  /** Compares two byte ranges: 0 when equal, else -1 or 1 (the first difference's order). */
  compare(a: Uint8Array, b: Uint8Array): number;
};
