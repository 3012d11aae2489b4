/**
 * CAST-128 (RFC 2144): 64-bit blocks, keys of 40 to 128 bits, 16 rounds of three round-function
 * types (12 for keys of 80 bits or less, §2.5; SSH's cast128-cbc always has 128).
 * @module
 */

import { CryptoParameterError } from '../errors.ts';
import { CAST128_SBOX_HEX } from './cast128-tables.ts';
import type { BlockCipher } from './cbc.ts';

let boxes: Uint32Array[] | undefined;

function sboxes(): Uint32Array[] {
  if (boxes === undefined) {
    boxes = CAST128_SBOX_HEX.map((h) => {
      const w = new Uint32Array(256);
      for (let i = 0; i < 256; i++) w[i] = Number.parseInt(h.slice(i * 8, i * 8 + 8), 16);
      return w;
    });
  }
  return boxes;
}

// Key schedule (RFC 2144 §2.4) as data. A "mix" computes 4 bytes of one array from 4 bytes of the
// other: dst[d..d+3] = src[s..s+3] ^ S5[a] ^ S6[b] ^ S7[c] ^ S8[d'] ^ S<box>[e]. The extra index e
// reads the source array; a..d' read the source array in the first mix of a phase and the array
// being written in the other three.
type Mix = readonly [dst: number, src: number, a: number, b: number, c: number, d: number, box: number, e: number];
// z from x
const MIX_Z: readonly Mix[] = [
  [0, 0, 13, 15, 12, 14, 6, 8],
  [4, 8, 0, 2, 1, 3, 7, 10],
  [8, 12, 7, 6, 5, 4, 4, 9],
  [12, 4, 10, 9, 11, 8, 5, 11],
];
// x from z
const MIX_X: readonly Mix[] = [
  [0, 8, 5, 7, 4, 6, 6, 0],
  [4, 0, 0, 2, 1, 3, 7, 2],
  [8, 4, 7, 6, 5, 4, 4, 1],
  [12, 12, 10, 9, 11, 8, 5, 3],
];
// Subkeys: K = S5[i0] ^ S6[i1] ^ S7[i2] ^ S8[i3] ^ S<5+k>[i4], all indices into one array.
type Sub = readonly [number, number, number, number, number];
const SUBKEYS: readonly (readonly Sub[])[] = [
  [[8, 9, 7, 6, 2], [10, 11, 5, 4, 6], [12, 13, 3, 2, 9], [14, 15, 1, 0, 12]], // from z
  [[3, 2, 12, 13, 8], [1, 0, 14, 15, 13], [7, 6, 8, 9, 3], [5, 4, 10, 11, 7]], // from x
  [[3, 2, 12, 13, 9], [1, 0, 14, 15, 12], [7, 6, 8, 9, 2], [5, 4, 10, 11, 6]], // from z
  [[8, 9, 7, 6, 3], [10, 11, 5, 4, 7], [12, 13, 3, 2, 8], [14, 15, 1, 0, 13]], // from x
];

/** CAST-128 with a key of 5 to 16 bytes: shorter keys are zero-padded to 16 (RFC 2144 §2.5). */
export class Cast128 implements BlockCipher {
  readonly blockLength = 8;
  private readonly km = new Uint32Array(16);
  private readonly kr = new Uint8Array(16);
  private readonly s: Uint32Array[];
  private readonly rounds: number;

  constructor(key: Uint8Array) {
    if (key.length < 5 || key.length > 16) throw new CryptoParameterError(`CAST-128 key must be 5 to 16 bytes, got ${key.length}`);
    const s = sboxes();
    this.s = s;
    this.rounds = key.length <= 10 ? 12 : 16;
    const x = new Uint8Array(16);
    x.set(key);
    const z = new Uint8Array(16);
    const k = new Uint32Array(32);
    const mix = (w: Uint8Array, r: Uint8Array, m: Mix, first: boolean): void => {
      const [dst, src, a, b, c, d, box, e] = m;
      const q = first ? r : w;
      const v =
        (((r[src] as number) << 24) | ((r[src + 1] as number) << 16) | ((r[src + 2] as number) << 8) | (r[src + 3] as number)) ^
        (s[4]?.[q[a] as number] as number) ^
        (s[5]?.[q[b] as number] as number) ^
        (s[6]?.[q[c] as number] as number) ^
        (s[7]?.[q[d] as number] as number) ^
        (s[box]?.[r[e] as number] as number);
      w[dst] = v >>> 24;
      w[dst + 1] = v >>> 16;
      w[dst + 2] = v >>> 8;
      w[dst + 3] = v;
    };
    let n = 0;
    for (let half = 0; half < 2; half++) {
      for (let phase = 0; phase < 4; phase++) {
        const toZ = phase % 2 === 0;
        (toZ ? MIX_Z : MIX_X).forEach((m, j) => mix(toZ ? z : x, toZ ? x : z, m, j === 0));
        const a = toZ ? z : x;
        (SUBKEYS[phase] as readonly Sub[]).forEach((sub, j) => {
          k[n++] =
            (s[4]?.[a[sub[0]] as number] as number) ^
            (s[5]?.[a[sub[1]] as number] as number) ^
            (s[6]?.[a[sub[2]] as number] as number) ^
            (s[7]?.[a[sub[3]] as number] as number) ^
            (s[4 + j]?.[a[sub[4]] as number] as number);
        });
      }
    }
    for (let i = 0; i < 16; i++) {
      this.km[i] = k[i] as number;
      this.kr[i] = (k[16 + i] as number) & 31;
    }
  }

  private f(round: number, d: number): number {
    const [s1, s2, s3, s4] = this.s as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const km = this.km[round] as number;
    const kr = this.kr[round] as number;
    const type = round % 3;
    let i = type === 0 ? (km + d) >>> 0 : type === 1 ? (km ^ d) >>> 0 : (km - d) >>> 0;
    i = ((i << kr) | (i >>> ((32 - kr) & 31))) >>> 0;
    const a = s1[i >>> 24] as number;
    const b = s2[(i >>> 16) & 0xff] as number;
    const c = s3[(i >>> 8) & 0xff] as number;
    const e = s4[i & 0xff] as number;
    if (type === 0) return (((a ^ b) - c + e) >>> 0);
    if (type === 1) return ((((a - b) + c) ^ e) >>> 0);
    return ((((a + b) ^ c) - e) >>> 0);
  }

  private run(src: Uint8Array, si: number, dst: Uint8Array, di: number, decrypt: boolean): void {
    let l = (((src[si] as number) << 24) | ((src[si + 1] as number) << 16) | ((src[si + 2] as number) << 8) | (src[si + 3] as number)) >>> 0;
    let r = (((src[si + 4] as number) << 24) | ((src[si + 5] as number) << 16) | ((src[si + 6] as number) << 8) | (src[si + 7] as number)) >>> 0;
    const rounds = this.rounds;
    for (let n = 0; n < rounds; n++) {
      const round = decrypt ? rounds - 1 - n : n;
      const t = r;
      r = (l ^ this.f(round, r)) >>> 0;
      l = t;
    }
    dst[di] = r >>> 24;
    dst[di + 1] = r >>> 16;
    dst[di + 2] = r >>> 8;
    dst[di + 3] = r;
    dst[di + 4] = l >>> 24;
    dst[di + 5] = l >>> 16;
    dst[di + 6] = l >>> 8;
    dst[di + 7] = l;
  }

  encryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    this.run(src, si, dst, di, false);
  }

  decryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    this.run(src, si, dst, di, true);
  }
}
