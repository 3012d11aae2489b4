/**
 * UMAC (RFC 4418) with 32-bit words: UMAC-32/64/96/128. AES-128 (OpenSSL through node:crypto)
 * derives the keys and the pads; the universal hash (NH, POLY, L3) is written here.
 *
 * NH multiplies 32-bit words into 64-bit sums, which JavaScript numbers cannot hold: it runs in
 * WebAssembly (umac-nh.wat, i64 arithmetic wrapping modulo 2^64 as NH requires), one instance per
 * key. POLY and L3 run on BigInt once per 1 KiB block.
 *
 * Messages longer than 16 MiB (whose L2 hash switches to 128-bit POLY) are refused: SSH packets
 * are at most 256 KiB.
 * @module
 */

import { createCipheriv, type Cipher as Cipheriv } from 'node:crypto';
import { CryptoParameterError } from '../errors.ts';
import { UMAC_NH_WASM_BASE64 } from './umac-nh-wasm.ts';
import { instantiate, type WasmMemory } from './wasm.ts';

interface NhModule {
  readonly memory: WasmMemory;
  readonly nh: (length: number, iterations: number, bitLength: bigint) => void;
}

const NH_OUT = 1088;
const NH_MSG = 1152;

const L1_KEY_LEN = 1024;
const P36 = 2 ** 36 - 5;
const P64 = (1n << 64n) - 59n;
const M64 = (1n << 64n) - 1n;
const TWO32 = 2 ** 32;

function aesEcb(key: Uint8Array): Cipheriv {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return c;
}

/** RFC 4418 §3.2.1 KDF: AES-128 in counter mode with an 8-byte index and an 8-byte counter. */
function kdf(aes: Cipheriv, index: number, numBytes: number): Uint8Array {
  const blocks = Math.ceil(numBytes / 16);
  const input = new Uint8Array(blocks * 16);
  for (let i = 0; i < blocks; i++) {
    input[i * 16 + 7] = index;
    const ctr = i + 1;
    input[i * 16 + 14] = ctr >>> 8;
    input[i * 16 + 15] = ctr & 0xff;
  }
  return aes.update(input).subarray(0, numBytes);
}

function u64be(b: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[off + i] as number);
  return v;
}

/** POLY step for one 64-bit word (RFC 4418 §5.3 with wordbits 64). */
function poly64(y: bigint, k: bigint, m: bigint): bigint {
  if (m >= 0xffff_ffff_0000_0000n) {
    y = (k * y + (P64 - 1n)) % P64;
    return (k * y + (m - 59n)) % P64;
  }
  return (k * y + m) % P64;
}


interface Iteration {
  readonly k64: bigint;
  /** L3 key 1 reduced mod p36, 8 values. */
  readonly l3k1: readonly number[];
  /** L3 key 2 as a 32-bit word. */
  readonly l3k2: number;
}

/** A keyed UMAC instance producing `tagLength`-byte tags (4, 8, 12 or 16). */
export class Umac {
  readonly tagLength: number;
  private readonly iters: readonly Iteration[];
  private readonly pdfAes: Cipheriv;
  private readonly wasm: NhModule;
  private readonly nhOut: number[][];
  private lastNonce = '';
  private lastPad = new Uint8Array(16);

  constructor(key: Uint8Array, tagLength: number) {
    if (key.length !== 16) throw new CryptoParameterError(`UMAC key must be 16 bytes, got ${key.length}`);
    if (tagLength !== 4 && tagLength !== 8 && tagLength !== 12 && tagLength !== 16) {
      throw new CryptoParameterError(`UMAC tag length must be 4, 8, 12 or 16, got ${tagLength}`);
    }
    this.tagLength = tagLength;
    const n = tagLength / 4;
    const aes = aesEcb(key);
    const l1 = kdf(aes, 1, L1_KEY_LEN + (n - 1) * 16);
    const l2 = kdf(aes, 2, n * 24);
    const l3a = kdf(aes, 3, n * 64);
    const l3b = kdf(aes, 4, n * 4);
    this.pdfAes = aesEcb(kdf(aes, 0, 16));
    const dv = new DataView(l1.buffer, l1.byteOffset, l1.byteLength);
    this.wasm = instantiate<NhModule>(UMAC_NH_WASM_BASE64);
    const keyWords = new Uint32Array(this.wasm.memory.buffer, 0, l1.length / 4);
    for (let i = 0; i < keyWords.length; i++) keyWords[i] = dv.getUint32(i * 4);
    const iters: Iteration[] = [];
    for (let i = 0; i < n; i++) {
      const l3k1: number[] = [];
      for (let j = 0; j < 8; j++) l3k1.push(Number(u64be(l3a, i * 64 + j * 8) % BigInt(P36)));
      iters.push({
        k64: u64be(l2, i * 24) & 0x01ff_ffff_01ff_ffffn,
        l3k1,
        l3k2: (((l3b[i * 4] as number) << 24) | ((l3b[i * 4 + 1] as number) << 16) | ((l3b[i * 4 + 2] as number) << 8) | (l3b[i * 4 + 3] as number)) >>> 0,
      });
    }
    this.iters = iters;
    this.nhOut = iters.map(() => [0, 0]);
  }

  /**
   * NH of `length` bytes of `message` from `start`, zero-padded to a multiple of 32 (at least 32),
   * plus the bit length, for every iteration: writes [hi, lo] 32-bit halves into nhOut.
   */
  private nh(message: Uint8Array, start: number, length: number, bitLength: number): void {
    const padded = Math.max(32, Math.ceil(length / 32) * 32);
    const mem = new Uint8Array(this.wasm.memory.buffer);
    mem.set(message.subarray(start, start + length), NH_MSG);
    if (padded > length) mem.fill(0, NH_MSG + length, NH_MSG + padded);
    this.wasm.nh(padded, this.iters.length, BigInt(bitLength));
    const out = new Uint32Array(this.wasm.memory.buffer, NH_OUT, 2 * this.iters.length);
    for (let it = 0; it < this.iters.length; it++) {
      const o = this.nhOut[it] as number[];
      o[0] = out[2 * it + 1] as number;
      o[1] = out[2 * it] as number;
    }
  }

  /** UHASH (RFC 4418 §5.6): `tagLength` bytes. */
  private uhash(message: Uint8Array): Uint8Array {
    const n = this.iters.length;
    const blocks = Math.max(1, Math.ceil(message.length / L1_KEY_LEN));
    const y64 = this.iters.map(() => 1n);
    const l1Single: [number, number][] = this.iters.map(() => [0, 0]);
    for (let b = 0; b < blocks; b++) {
      const start = b * L1_KEY_LEN;
      const len = Math.min(L1_KEY_LEN, message.length - start);
      this.nh(message, start, len, len * 8);
      for (let it = 0; it < n; it++) {
        const [hi, lo] = this.nhOut[it] as number[];
        if (blocks === 1) {
          l1Single[it] = [hi as number, lo as number];
        } else {
          if (b === 16384) throw new CryptoParameterError('UMAC messages over 16 MiB are not supported');
          const m = (BigInt(hi as number) << 32n) | BigInt(lo as number);
          const it0 = this.iters[it] as Iteration;
          y64[it] = poly64(y64[it] as bigint, it0.k64, m);
        }
      }
    }
    const out = new Uint8Array(this.tagLength);
    for (let it = 0; it < n; it++) {
      const iter = this.iters[it] as Iteration;
      // B: 16 bytes = 0^64 || A for a one-block message, else the L2 output.
      let bHi: bigint;
      let bLo: bigint;
      if (blocks === 1) {
        const [hi, lo] = l1Single[it] as [number, number];
        bHi = 0n;
        bLo = (BigInt(hi) << 32n) | BigInt(lo);
      } else {
        const y = y64[it] as bigint;
        bHi = 0n;
        bLo = y & M64;
      }
      out.set(this.l3(iter, bHi, bLo), it * 4);
    }
    return out;
  }

  /** L3-HASH (§5.5) of the 16-byte value bHi || bLo. */
  private l3(iter: Iteration, bHi: bigint, bLo: bigint): Uint8Array {
    let y = 0;
    for (let i = 0; i < 8; i++) {
      const word = i < 4 ? bHi : bLo;
      const shift = BigInt((3 - (i % 4)) * 16);
      const m = Number((word >> shift) & 0xffffn);
      y = (y + m * (iter.l3k1[i] as number)) % P36;
    }
    const v = ((y % TWO32) ^ iter.l3k2) >>> 0;
    return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }

  /** PDF (§4.2): the pad for `nonce` (1..16 bytes). Caches the last AES block. */
  private pad(nonce: Uint8Array): Uint8Array {
    if (nonce.length < 1 || nonce.length > 16) throw new CryptoParameterError(`UMAC nonce must be 1 to 16 bytes, got ${nonce.length}`);
    const block = new Uint8Array(16);
    block.set(nonce);
    let index = 0;
    const last = nonce.length - 1;
    if (this.tagLength === 4) {
      index = (nonce[last] as number) & 3;
      block[last] = (block[last] as number) & ~3;
    } else if (this.tagLength === 8) {
      index = (nonce[last] as number) & 1;
      block[last] = (block[last] as number) & ~1;
    }
    const keyStr = `${nonce.length}:${Buffer.from(block).toString('latin1')}`;
    if (keyStr !== this.lastNonce) {
      this.lastPad = this.pdfAes.update(block);
      this.lastNonce = keyStr;
    }
    return this.lastPad.subarray(index * this.tagLength, index * this.tagLength + this.tagLength);
  }

  /** The UMAC tag of `message` under `nonce`. */
  tag(message: Uint8Array, nonce: Uint8Array): Uint8Array {
    const h = this.uhash(message);
    const p = this.pad(nonce);
    for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) ^ (p[i] as number);
    return h;
  }
}
