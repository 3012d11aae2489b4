/**
 * SEED (RFC 4269): 128-bit blocks and keys, a 16-round Feistel network whose F function is built
 * from the G function (four 8x32 extended S-boxes) with additions modulo 2^32.
 * @module
 */

import { CryptoParameterError } from '../errors.ts';
import type { BlockCipher } from './cbc.ts';
import { SEED_SS_HEX } from './seed-tables.ts';

let ss: Uint32Array[] | undefined;

function tables(): Uint32Array[] {
  if (ss === undefined) {
    ss = SEED_SS_HEX.map((h) => {
      const w = new Uint32Array(256);
      for (let i = 0; i < 256; i++) w[i] = Number.parseInt(h.slice(i * 8, i * 8 + 8), 16);
      return w;
    });
  }
  return ss;
}

/** SEED with a 16-byte key. */
export class Seed implements BlockCipher {
  readonly blockLength = 16;
  /** Round keys: 16 pairs. */
  private readonly rk = new Uint32Array(32);
  private readonly ss: readonly [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  private readonly w = new Uint32Array(4);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new CryptoParameterError(`SEED key must be 16 bytes, got ${key.length}`);
    this.ss = tables() as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const dv = new DataView(key.buffer, key.byteOffset, 16);
    let k0 = dv.getUint32(0);
    let k1 = dv.getUint32(4);
    let k2 = dv.getUint32(8);
    let k3 = dv.getUint32(12);
    let kc = 0x9e3779b9;
    for (let i = 0; i < 16; i++) {
      this.rk[2 * i] = this.g((k0 + k2 - kc) >>> 0);
      this.rk[2 * i + 1] = this.g((k1 - k3 + kc) >>> 0);
      if (i % 2 === 0) {
        // (K0 || K1) rotated right by 8 bits.
        const t = k0;
        k0 = ((k0 >>> 8) | (k1 << 24)) >>> 0;
        k1 = ((k1 >>> 8) | (t << 24)) >>> 0;
      } else {
        // (K2 || K3) rotated left by 8 bits.
        const t = k2;
        k2 = ((k2 << 8) | (k3 >>> 24)) >>> 0;
        k3 = ((k3 << 8) | (t >>> 24)) >>> 0;
      }
      kc = ((kc << 1) | (kc >>> 31)) >>> 0;
    }
  }

  private g(x: number): number {
    const [s0, s1, s2, s3] = this.ss;
    return ((s0[x & 0xff] as number) ^ (s1[(x >>> 8) & 0xff] as number) ^ (s2[(x >>> 16) & 0xff] as number) ^ (s3[x >>> 24] as number)) >>> 0;
  }

  /** One round: (w[l], w[l+1]) ^= F(w[r], w[r+1], round keys). */
  private round(l: number, r: number, i: number): void {
    const w = this.w;
    let t0 = ((w[r] as number) ^ (this.rk[2 * i] as number)) >>> 0;
    let t1 = ((w[r + 1] as number) ^ (this.rk[2 * i + 1] as number)) >>> 0;
    t1 = this.g((t1 ^ t0) >>> 0);
    t0 = this.g((t0 + t1) >>> 0);
    t1 = this.g((t1 + t0) >>> 0);
    t0 = (t0 + t1) >>> 0;
    w[l] = (w[l] as number) ^ t0;
    w[l + 1] = (w[l + 1] as number) ^ t1;
  }

  private run(src: Uint8Array, si: number, dst: Uint8Array, di: number, decrypt: boolean): void {
    const w = this.w;
    for (let j = 0; j < 4; j++) {
      const o = si + j * 4;
      w[j] = (((src[o] as number) << 24) | ((src[o + 1] as number) << 16) | ((src[o + 2] as number) << 8) | (src[o + 3] as number)) >>> 0;
    }
    for (let n = 0; n < 16; n++) {
      const i = decrypt ? 15 - n : n;
      if (n % 2 === 0) this.round(0, 2, i);
      else this.round(2, 0, i);
    }
    const order = [2, 3, 0, 1];
    for (let j = 0; j < 4; j++) {
      const v = w[order[j] as number] as number;
      const o = di + j * 4;
      dst[o] = v >>> 24;
      dst[o + 1] = v >>> 16;
      dst[o + 2] = v >>> 8;
      dst[o + 3] = v;
    }
  }

  encryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    this.run(src, si, dst, di, false);
  }

  decryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    this.run(src, si, dst, di, true);
  }
}
