/**
 * Blowfish (Schneier, 1993): 64-bit blocks, 32-448-bit keys, plus the "expensive key schedule"
 * variants OpenBSD's bcrypt and bcrypt_pbkdf use (key setup salted with extra data).
 * @module
 */

import { BLOWFISH_PI_HEX } from './blowfish-tables.ts';
import { CryptoParameterError } from '../errors.ts';

let initial: Uint32Array | undefined;

/** P-array then S-boxes, parsed once. */
function initialState(): Uint32Array {
  if (initial === undefined) {
    const words = new Uint32Array(18 + 1024);
    for (let i = 0; i < words.length; i++) words[i] = Number.parseInt(BLOWFISH_PI_HEX.slice(i * 8, i * 8 + 8), 16);
    initial = words;
  }
  return initial;
}

/** A Blowfish key state. Blocks are handled as pairs of big-endian 32-bit words. */
export class Blowfish {
  /** P[0..17] then S0..S3 (1,024 words). */
  private readonly st: Uint32Array;
  /** Scratch for the (left, right) pair. */
  private readonly lr = new Uint32Array(2);

  /** A state holding the initial (pi) tables; call `expandKey` or use `Blowfish.fromKey`. */
  constructor() {
    this.st = Uint32Array.from(initialState());
  }

  /** Standard Blowfish key schedule (keys of 1 to 72 bytes are accepted, as OpenSSL does). */
  static fromKey(key: Uint8Array): Blowfish {
    if (key.length < 1 || key.length > 72) throw new CryptoParameterError(`Blowfish key must be 1 to 72 bytes, got ${key.length}`);
    const bf = new Blowfish();
    bf.expand(key, undefined);
    return bf;
  }

  /**
   * Key expansion: P ^= key (cyclic), then each pair of P and S words is replaced by the
   * encryption of the running block, which is first XORed with the next 8 bytes of `data`
   * (cyclic) when data is given (bcrypt's ExpandState) or not (ExpandKey / Expand0State).
   */
  expand(key: Uint8Array, data: Uint8Array | undefined): void {
    const st = this.st;
    const lr = this.lr;
    let kp = 0;
    for (let i = 0; i < 18; i++) {
      let w = 0;
      for (let k = 0; k < 4; k++) {
        w = (w << 8) | (key[kp] as number);
        kp = kp + 1 === key.length ? 0 : kp + 1;
      }
      st[i] = (st[i] as number) ^ w;
    }
    lr[0] = 0;
    lr[1] = 0;
    let dp = 0;
    const next = (): number => {
      if (data === undefined) return 0;
      let w = 0;
      for (let k = 0; k < 4; k++) {
        w = (w << 8) | (data[dp] as number);
        dp = dp + 1 === data.length ? 0 : dp + 1;
      }
      return w;
    };
    for (let i = 0; i < 18 + 1024; i += 2) {
      lr[0] = (lr[0] as number) ^ next();
      lr[1] = (lr[1] as number) ^ next();
      this.encryptWords(lr);
      st[i] = lr[0] as number;
      st[i + 1] = lr[1] as number;
    }
  }

  /** Encrypts the pair lr[0], lr[1] in place. */
  encryptWords(lr: Uint32Array): void {
    const s = this.st;
    let l = lr[0] as number;
    let r = lr[1] as number;
    l ^= s[0] as number;
    for (let i = 1; i <= 16; i += 2) {
      r ^= ((((s[18 + (l >>> 24)] as number) + (s[274 + ((l >>> 16) & 0xff)] as number)) ^ (s[530 + ((l >>> 8) & 0xff)] as number)) +
        (s[786 + (l & 0xff)] as number)) ^ (s[i] as number);
      l ^= ((((s[18 + (r >>> 24)] as number) + (s[274 + ((r >>> 16) & 0xff)] as number)) ^ (s[530 + ((r >>> 8) & 0xff)] as number)) +
        (s[786 + (r & 0xff)] as number)) ^ (s[i + 1] as number);
    }
    lr[0] = r ^ (s[17] as number);
    lr[1] = l;
  }

  /** Decrypts the pair lr[0], lr[1] in place. */
  decryptWords(lr: Uint32Array): void {
    const s = this.st;
    let l = lr[0] as number;
    let r = lr[1] as number;
    l ^= s[17] as number;
    for (let i = 16; i >= 1; i -= 2) {
      r ^= ((((s[18 + (l >>> 24)] as number) + (s[274 + ((l >>> 16) & 0xff)] as number)) ^ (s[530 + ((l >>> 8) & 0xff)] as number)) +
        (s[786 + (l & 0xff)] as number)) ^ (s[i] as number);
      l ^= ((((s[18 + (r >>> 24)] as number) + (s[274 + ((r >>> 16) & 0xff)] as number)) ^ (s[530 + ((r >>> 8) & 0xff)] as number)) +
        (s[786 + (r & 0xff)] as number)) ^ (s[i - 1] as number);
    }
    lr[0] = r ^ (s[0] as number);
    lr[1] = l;
  }

  /** Encrypts one 8-byte block from `src` at `si` into `dst` at `di`. */
  encryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    this.block(src, si, dst, di, true);
  }

  /** Decrypts one 8-byte block. */
  decryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    this.block(src, si, dst, di, false);
  }

  private block(src: Uint8Array, si: number, dst: Uint8Array, di: number, enc: boolean): void {
    const lr = this.lr;
    lr[0] = ((src[si] as number) << 24) | ((src[si + 1] as number) << 16) | ((src[si + 2] as number) << 8) | (src[si + 3] as number);
    lr[1] = ((src[si + 4] as number) << 24) | ((src[si + 5] as number) << 16) | ((src[si + 6] as number) << 8) | (src[si + 7] as number);
    if (enc) this.encryptWords(lr);
    else this.decryptWords(lr);
    const l = lr[0] as number;
    const r = lr[1] as number;
    dst[di] = l >>> 24;
    dst[di + 1] = l >>> 16;
    dst[di + 2] = l >>> 8;
    dst[di + 3] = l;
    dst[di + 4] = r >>> 24;
    dst[di + 5] = r >>> 16;
    dst[di + 6] = r >>> 8;
    dst[di + 7] = r;
  }
}
