// The value every matrix writer writes at index i (a texel's y * width + x) for `seed`: the same
// formula as tools/ops.ts's valueAt, so the reader can check every word.
uint valueAt(uint i, uint seed) {
  uint x = i * 2654435761u ^ seed;
  x ^= x >> 15;
  x *= 2246822519u;
  return x ^ (x >> 13);
}
