/**
 * UMAC (RFC 4418) with 32-bit words: UMAC-32/64/96/128. AES-128 (OpenSSL through node:crypto)
 * derives the keys and the pads; the universal hash is written here.
 *
 * NH multiplies 32-bit words into 64-bit sums and POLY works modulo 2^64 - 59, which JavaScript
 * numbers cannot do: L1 (NH) and L2 (POLY) of a whole message run in WebAssembly
 * (umac-nh.wat: 128-bit SIMD for NH, i64 arithmetic for POLY), one instance per key. L3 runs
 * here on numbers, once per tag.
 *
 * Messages longer than 16 MiB (whose L2 hash switches to 128-bit POLY) are refused: SSH packets
 * are at most 256 KiB.
 * @module
 */

import { createCipheriv, type Cipher as Cipheriv } from 'node:crypto';
import { CryptoParameterError } from '../errors.ts';
import { UMAC_NH_WASM_BASE64 } from './umac-nh-wasm.ts';
import { instantiate, type WasmMemory } from './wasm.ts';

interface UhashModule {
  readonly memory: WasmMemory;
  /** L1+L2 of the `length` bytes at MSG for `iterations` iterations: one u64 each at OUT. */
  readonly uhash: (length: number, iterations: number) => void;
}

/** Memory layout of umac-nh.wat. */
const OUT = 1088;
const POLY_KEYS = 1120;
const MSG = 1152;
const PAGE = 65536;

const L1_KEY_LEN = 1024;
/** Largest message (L2 switches to 128-bit POLY past 2^24 bytes). */
const MAX_MESSAGE = 1 << 24;
const P36 = 2 ** 36 - 5;
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

interface Iteration {
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
  private readonly wasm: UhashModule;
  private mem: Uint8Array;
  private readonly lastBlock = new Uint8Array(16);
  private lastNonceLength = 0;
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
    this.wasm = instantiate<UhashModule>(UMAC_NH_WASM_BASE64);
    this.mem = new Uint8Array(this.wasm.memory.buffer);
    const keyWords = new Uint32Array(this.wasm.memory.buffer, 0, l1.length / 4);
    for (let i = 0; i < keyWords.length; i++) keyWords[i] = dv.getUint32(i * 4);
    const polyKeys = new DataView(this.wasm.memory.buffer, POLY_KEYS, 32);
    const l2v = new DataView(l2.buffer, l2.byteOffset, l2.byteLength);
    const iters: Iteration[] = [];
    for (let i = 0; i < n; i++) {
      // k64 = the first 8 bytes of this iteration's L2 key, masked to 25-bit halves (§5.4).
      polyKeys.setUint32(i * 8 + 4, l2v.getUint32(i * 24) & 0x01ffffff, true);
      polyKeys.setUint32(i * 8, l2v.getUint32(i * 24 + 4) & 0x01ffffff, true);
      const l3k1: number[] = [];
      for (let j = 0; j < 8; j++) l3k1.push(mod36(l3a, i * 64 + j * 8));
      iters.push({
        l3k1,
        l3k2: (((l3b[i * 4] as number) << 24) | ((l3b[i * 4 + 1] as number) << 16) | ((l3b[i * 4 + 2] as number) << 8) | (l3b[i * 4 + 3] as number)) >>> 0,
      });
    }
    this.iters = iters;
  }

  /** UHASH (RFC 4418 §5.6) of the concatenation of `parts`: `tagLength` bytes. */
  private uhash(parts: readonly Uint8Array[]): Uint8Array {
    let length = 0;
    for (const p of parts) length += p.length;
    if (length > MAX_MESSAGE) throw new CryptoParameterError('UMAC messages over 16 MiB are not supported');
    const need = MSG + length + 32;
    if (need > this.mem.length) {
      this.wasm.memory.grow(Math.ceil((need - this.mem.length) / PAGE));
      this.mem = new Uint8Array(this.wasm.memory.buffer);
    }
    const mem = this.mem;
    let at = MSG;
    for (const p of parts) {
      mem.set(p, at);
      at += p.length;
    }
    // The last block's zero padding (up to the next multiple of 32 bytes, 32 for an empty message).
    mem.fill(0, at, at + 32);
    const n = this.iters.length;
    this.wasm.uhash(length, n);
    const out = new Uint8Array(this.tagLength);
    for (let it = 0; it < n; it++) {
      // B = 0^64 || the 64-bit L1 or L2 output (little-endian in wasm memory).
      const at = OUT + it * 8;
      const lo = ((mem[at] as number) | ((mem[at + 1] as number) << 8) | ((mem[at + 2] as number) << 16) | ((mem[at + 3] as number) << 24)) >>> 0;
      const hi = ((mem[at + 4] as number) | ((mem[at + 5] as number) << 8) | ((mem[at + 6] as number) << 16) | ((mem[at + 7] as number) << 24)) >>> 0;
      const v = this.l3(this.iters[it] as Iteration, hi, lo);
      out[it * 4] = v >>> 24;
      out[it * 4 + 1] = (v >>> 16) & 0xff;
      out[it * 4 + 2] = (v >>> 8) & 0xff;
      out[it * 4 + 3] = v & 0xff;
    }
    return out;
  }

  /**
   * L3-HASH (§5.5) of the 16-byte value 0^64 || hi || lo: the first four 16-bit words are zero;
   * each product of a 16-bit word and a key below 2^36 stays exact in a double.
   */
  private l3(iter: Iteration, hi: number, lo: number): number {
    const k = iter.l3k1;
    let y = ((hi >>> 16) * (k[4] as number)) % P36;
    y = (y + (hi & 0xffff) * (k[5] as number)) % P36;
    y = (y + (lo >>> 16) * (k[6] as number)) % P36;
    y = (y + (lo & 0xffff) * (k[7] as number)) % P36;
    return ((y % TWO32) ^ iter.l3k2) >>> 0;
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
    let same = nonce.length === this.lastNonceLength;
    for (let i = 0; same && i < 16; i++) same = block[i] === this.lastBlock[i];
    if (!same) {
      this.lastPad = this.pdfAes.update(block);
      this.lastBlock.set(block);
      this.lastNonceLength = nonce.length;
    }
    return this.lastPad.subarray(index * this.tagLength, index * this.tagLength + this.tagLength);
  }

  /** The UMAC tag of `message` under `nonce`. */
  tag(message: Uint8Array, nonce: Uint8Array): Uint8Array {
    return this.tagParts([message], nonce);
  }

  /** The UMAC tag of the concatenation of `parts` under `nonce` (no copy into one buffer first). */
  tagParts(parts: readonly Uint8Array[], nonce: Uint8Array): Uint8Array {
    const h = this.uhash(parts);
    const p = this.pad(nonce);
    for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) ^ (p[i] as number);
    return h;
  }
}

/** The 8-byte big-endian value at `off` of `b`, mod p36 (exactly, on numbers: 2^32 mod p36 = 2^32). */
function mod36(b: Uint8Array, off: number): number {
  const hi = (((b[off] as number) << 24) | ((b[off + 1] as number) << 16) | ((b[off + 2] as number) << 8) | (b[off + 3] as number)) >>> 0;
  const lo = (((b[off + 4] as number) << 24) | ((b[off + 5] as number) << 16) | ((b[off + 6] as number) << 8) | (b[off + 7] as number)) >>> 0;
  // hi * 2^32 mod p36: hi * 2^32 = hi * (2^32) with 2^36 = 5 mod p36, so split hi = h4 * 2^4 + h0.
  const h4 = Math.floor(hi / 16);
  const h0 = hi % 16;
  // hi * 2^32 = h4 * 2^36 + h0 * 2^32 = 5 * h4 + h0 * 2^32 (mod p36)
  return (((5 * h4 + h0 * TWO32) % P36) + lo) % P36;
}
