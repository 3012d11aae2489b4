/**
 * RC4 (ARCFOUR) keystream generator. The algorithm as published in 1994 and described in
 * draft-kaukonen-cipher-arcfour; RFC 6229 gives test vectors.
 * @module
 */

import { CryptoParameterError } from '../errors.ts';

/** A keyed RC4 state; `process` XORs the keystream into a copy of the input. */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) throw new CryptoParameterError(`RC4 key must be 1 to 256 bytes, got ${key.length}`);
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const t = s[k] as number;
      j = (j + t + (key[k % key.length] as number)) & 0xff;
      s[k] = s[j] as number;
      s[j] = t;
    }
  }

  /** Returns `data` XOR the next `data.length` keystream bytes. */
  process(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length);
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < data.length; k++) {
      i = (i + 1) & 0xff;
      const si = s[i] as number;
      j = (j + si) & 0xff;
      const sj = s[j] as number;
      s[i] = sj;
      s[j] = si;
      out[k] = (data[k] as number) ^ (s[(si + sj) & 0xff] as number);
    }
    this.i = i;
    this.j = j;
    return out;
  }

  /** Discards `n` keystream bytes. */
  skip(n: number): void {
    this.process(new Uint8Array(n));
  }
}
