/** Deterministic pseudo-random bytes (a linear congruential generator's high bytes): file contents that catch misplaced or repeated blocks. */
export function pattern(n: number, seed = 3): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
