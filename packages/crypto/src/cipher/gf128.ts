/**
 * Arithmetic in GF(2^128) as GCM represents it (NIST SP 800-38D §6.3): a block is a polynomial
 * whose x^0 coefficient is the most significant bit of its first byte, reduced modulo
 * x^128 + x^7 + x^2 + x + 1. Elements are four big-endian 32-bit words. Used by aes-gcm.ts to
 * adjust tags (GHASH is linear); OpenSSL does the bulk GHASH.
 * @module
 */

/** An element: four 32-bit words, most significant (x^0..x^31) first. */
export type Gf128 = readonly [number, number, number, number];

/** The multiplicative identity (x^0). */
export const GF_ONE: Gf128 = [0x80000000, 0, 0, 0];

/** x·y, bit by bit (SP 800-38D Algorithm 1). */
export function gfMultiply(x: Gf128, y: Gf128): Gf128 {
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  let [v0, v1, v2, v3] = y;
  for (let i = 0; i < 128; i++) {
    if ((((x[i >>> 5] as number) >>> (31 - (i & 31))) & 1) === 1) {
      z0 ^= v0;
      z1 ^= v1;
      z2 ^= v2;
      z3 ^= v3;
    }
    const carry = v3 & 1;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 = (v0 >>> 1) ^ (carry === 1 ? 0xe1000000 : 0);
  }
  return [z0 >>> 0, z1 >>> 0, z2 >>> 0, z3 >>> 0];
}

/** y^-1 = y^(2^128 - 2) for y ≠ 0 (the multiplicative group has order 2^128 - 1). */
export function gfInverse(y: Gf128): Gf128 {
  if ((y[0] | y[1] | y[2] | y[3]) === 0) throw new RangeError('zero has no inverse in GF(2^128)');
  // The exponent's bits, most significant first: 127 ones, then a zero.
  let r = GF_ONE;
  for (let i = 0; i < 128; i++) {
    r = gfMultiply(r, r);
    if (i < 127) r = gfMultiply(r, y);
  }
  return r;
}

/**
 * Multiplication by a fixed y through a table: entry (i, v) is y times the element whose nibble
 * i (bits 4i..4i+3) is v and whose other bits are zero, so x·y is the XOR of 32 entries.
 */
export function gfTable(y: Gf128): Uint32Array {
  // y·x^j for j = 0..127: the V sequence of Algorithm 1.
  const powers = new Uint32Array(128 * 4);
  let [v0, v1, v2, v3] = y;
  for (let j = 0; j < 128; j++) {
    powers[4 * j] = v0 >>> 0;
    powers[4 * j + 1] = v1 >>> 0;
    powers[4 * j + 2] = v2 >>> 0;
    powers[4 * j + 3] = v3 >>> 0;
    const carry = v3 & 1;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 = (v0 >>> 1) ^ (carry === 1 ? 0xe1000000 : 0);
  }
  const table = new Uint32Array(32 * 16 * 4);
  for (let i = 0; i < 32; i++) {
    for (let v = 0; v < 16; v++) {
      const at = (i * 16 + v) * 4;
      for (let b = 0; b < 4; b++) {
        if (((v >>> (3 - b)) & 1) === 0) continue;
        const p = (4 * i + b) * 4;
        for (let w = 0; w < 4; w++) table[at + w] = ((table[at + w] as number) ^ (powers[p + w] as number)) >>> 0;
      }
    }
  }
  return table;
}

/** out[o..o+4) = x·y for y given by its `gfTable`, x = x0..x3; `out` may be one of x's sources. */
export function gfMultiplyTable(table: Uint32Array, x0: number, x1: number, x2: number, x3: number, out: Uint32Array, o = 0): void {
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  for (let w = 0; w < 4; w++) {
    const x = w === 0 ? x0 : w === 1 ? x1 : w === 2 ? x2 : x3;
    for (let s = 0; s < 8; s++) {
      const at = ((w * 8 + s) * 16 + ((x >>> (28 - 4 * s)) & 15)) * 4;
      z0 ^= table[at] as number;
      z1 ^= table[at + 1] as number;
      z2 ^= table[at + 2] as number;
      z3 ^= table[at + 3] as number;
    }
  }
  out[o] = z0;
  out[o + 1] = z1;
  out[o + 2] = z2;
  out[o + 3] = z3;
}
