/**
 * Streamlined NTRU Prime 761 (sntrup761), the KEM of sntrup761x25519-sha512: parameters
 * p = 761, q = 4591, w = 286, as specified in "NTRU Prime: round 3" (Bernstein, Brumley, Chen,
 * Chuengsatiansup, Lange, Marotzke, Peng, Tuveri, van Vredendaal, Yang, 2020), §3-4: key
 * generation, encapsulation with confirmation hash, decapsulation with implicit rejection, and
 * the radix encodings of §3.2.
 *
 * Written from the specification. The ring arithmetic (the reciprocals in R3 and Rq, the
 * products, the sort that draws a fixed-weight vector) runs in the WebAssembly SIMD module of
 * sntrup761.wat, constant-time in the secret data like the specification's reference: divsteps
 * with masked swaps, loop bounds and addresses that depend on public indices only, a sorting
 * network. The rest (weight check, ciphertext comparison, the rejection choice) uses masks, not
 * branches, on secret values.
 * @module
 */

import { createHash } from 'node:crypto';
import { CryptoParameterError } from '../errors.ts';
import { SNTRUP761_WASM_BASE64 } from './sntrup761-wasm.ts';
import { instantiate, type WasmMemory } from './wasm.ts';

const P = 761;
const Q = 4591;
const W = 286;
const Q12 = (Q - 1) / 2;
const ROUNDED_BYTES = 1007;
const SMALL_BYTES = 191;
export const SNTRUP761_PUBLIC_KEY_BYTES = 1158;
export const SNTRUP761_SECRET_KEY_BYTES = 1763;
export const SNTRUP761_CIPHERTEXT_BYTES = 1039;
export const SNTRUP761_SHARED_BYTES = 32;

// ---- ring arithmetic (sntrup761.wat; byte offsets of its memory layout) ----

interface RingModule {
  readonly memory: WasmMemory;
  rq_recip3(): void;
  r3_recip(): number;
  mult(mode: number): void;
  sort(): void;
}

const IN16 = 45056;
const OUT16 = 47104;
const IN8 = 49152;
const OUT8 = 50176;
const MUL_A = 18000;
const MUL_B = 51200;
const SORT = 53248;

interface Ring {
  readonly m: RingModule;
  readonly i16: Int16Array;
  readonly i8: Int8Array;
  readonly u32: Uint32Array;
}

let ring: Ring | undefined;

/** The module instance, created on first use (its memory never grows, so the views stay valid). */
function getRing(): Ring {
  if (ring === undefined) {
    const m = instantiate<RingModule>(SNTRUP761_WASM_BASE64);
    const buffer = m.memory.buffer;
    ring = { m, i16: new Int16Array(buffer), i8: new Int8Array(buffer), u32: new Uint32Array(buffer) };
  }
  return ring;
}

/** 1/(3 in) in Rq (always exists: x^p - x - 1 is irreducible modulo q). */
function rqRecip3(input: Int8Array): Int16Array {
  const { m, i16 } = getRing();
  for (let i = 0; i < P; i++) i16[IN16 / 2 + i] = input[i] as number;
  m.rq_recip3();
  return i16.slice(OUT16 / 2, OUT16 / 2 + P);
}

/** 1/in in R3, or undefined when `in` is not invertible. */
function r3Recip(input: Int8Array): Int8Array | undefined {
  const { m, i8 } = getRing();
  i8.set(input, IN8);
  if (m.r3_recip() !== 0) return undefined;
  return i8.slice(OUT8, OUT8 + P);
}

const MULT_RQ = 0;
const MULT_R3 = 1;
const MULT_RQ_TIMES3_TO_R3 = 2;

/** a b modulo x^p - x - 1, a with |coefficients| <= (q - 1) / 2, b small; reduced per `mode`. */
function mult(a: ArrayLike<number>, b: Int8Array, mode: number): Int16Array {
  const { m, i16, i8 } = getRing();
  i16.set(a, MUL_A / 2);
  i8.set(b, MUL_B);
  m.mult(mode);
  return i16.slice(OUT16 / 2, OUT16 / 2 + P);
}

/** Rq * small. */
function rqMultSmall(f: ArrayLike<number>, g: Int8Array): Int16Array {
  return mult(f, g, MULT_RQ);
}

// ---- encodings (specification §3.2) ----

/**
 * The radix encoding of p values r[i] < m (one modulus for all): pairs merge level by level,
 * emitting low bytes while the merged modulus is 2^14 or more. The moduli and byte counts depend
 * on m only, so they are worked out once (a plan), and encode and decode are loops over typed
 * arrays.
 */
interface Level {
  /** The moduli at this level. */
  readonly m: Uint32Array;
  /** Bytes emitted for each pair (the last level: for its single value). */
  readonly bytes: Uint8Array;
  /** Where this level's bytes start. */
  readonly offset: number;
}

function plan(modulus: number): Level[] {
  const levels: Level[] = [];
  let m = new Uint32Array(P).fill(modulus);
  let offset = 0;
  while (m.length > 1) {
    const pairs = m.length >> 1;
    const bytes = new Uint8Array(pairs);
    const m2 = new Uint32Array(pairs + (m.length & 1));
    for (let i = 0; i < pairs; i++) {
      let mm = (m[2 * i] as number) * (m[2 * i + 1] as number);
      let n = 0;
      while (mm >= 16384) {
        n++;
        mm = Math.floor((mm + 255) / 256);
      }
      bytes[i] = n;
      m2[i] = mm;
    }
    if (m.length & 1) m2[pairs] = m[m.length - 1] as number;
    levels.push({ m, bytes, offset });
    offset += bytes.reduce((x, y) => x + y, 0);
    m = m2;
  }
  let mm = m[0] as number;
  let n = 0;
  while (mm > 1) {
    n++;
    mm = Math.floor((mm + 255) / 256);
  }
  levels.push({ m, bytes: Uint8Array.of(n), offset });
  return levels;
}

const PLAN_Q = /* @__PURE__ */ plan(Q);
const PLAN_ROUNDED = /* @__PURE__ */ plan((Q + 2) / 3);

function encode(levels: readonly Level[], values: Uint32Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let r = values;
  let k = 0;
  for (const { m, bytes } of levels) {
    if (m.length === 1) {
      let x = r[0] as number;
      for (let b = 0; b < (bytes[0] as number); b++, x >>>= 8) out[k++] = x & 255;
      break;
    }
    const pairs = m.length >> 1;
    const r2 = new Uint32Array(pairs + (m.length & 1));
    for (let i = 0; i < pairs; i++) {
      let x = (r[2 * i] as number) + (m[2 * i] as number) * (r[2 * i + 1] as number);
      for (let b = 0; b < (bytes[i] as number); b++, x >>>= 8) out[k++] = x & 255;
      r2[i] = x;
    }
    if (m.length & 1) r2[pairs] = r[m.length - 1] as number;
    r = r2;
  }
  return out;
}

/** The p values in [0, m) that `s` encodes (any bytes decode to something). */
function decode(levels: readonly Level[], s: Uint8Array): Uint32Array {
  const last = levels[levels.length - 1] as Level;
  let x = 0;
  for (let i = s.length - 1; i >= last.offset; i--) x = x * 256 + (s[i] as number);
  let r = Uint32Array.of(x % (last.m[0] as number));
  for (let l = levels.length - 2; l >= 0; l--) {
    const { m, bytes, offset } = levels[l] as Level;
    const pairs = m.length >> 1;
    const out = new Uint32Array(m.length);
    let k = offset;
    for (let i = 0; i < pairs; i++) {
      let low = 0;
      let t = 1;
      for (let b = 0; b < (bytes[i] as number); b++, t *= 256) low += (s[k++] as number) * t;
      const v = low + t * (r[i] as number);
      const m0 = m[2 * i] as number;
      const q0 = Math.floor(v / m0);
      out[2 * i] = v - q0 * m0;
      out[2 * i + 1] = q0 % (m[2 * i + 1] as number);
    }
    if (m.length & 1) out[m.length - 1] = r[pairs] as number;
    r = out;
  }
  return r;
}

function rqEncode(h: ArrayLike<number>): Uint8Array {
  const r = new Uint32Array(P);
  for (let i = 0; i < P; i++) r[i] = (h[i] as number) + Q12;
  return encode(PLAN_Q, r, SNTRUP761_PUBLIC_KEY_BYTES);
}

function rqDecode(s: Uint8Array): Int16Array {
  const r = decode(PLAN_Q, s);
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = (r[i] as number) - Q12;
  return out;
}

function roundedEncode(c: ArrayLike<number>): Uint8Array {
  const r = new Uint32Array(P);
  for (let i = 0; i < P; i++) r[i] = (((c[i] as number) + Q12) * 10923) >> 15;
  return encode(PLAN_ROUNDED, r, ROUNDED_BYTES);
}

function roundedDecode(s: Uint8Array): Int16Array {
  const r = decode(PLAN_ROUNDED, s);
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = (r[i] as number) * 3 - Q12;
  return out;
}

function smallEncode(f: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(SMALL_BYTES);
  for (let i = 0; i < (P - 1) / 4; i++) {
    let x = 0;
    for (let j = 0; j < 4; j++) x += ((f[4 * i + j] as number) + 1) << (2 * j);
    out[i] = x;
  }
  out[SMALL_BYTES - 1] = (f[P - 1] as number) + 1;
  return out;
}

function smallDecode(s: Uint8Array): Int8Array {
  const f = new Int8Array(P);
  for (let i = 0; i < (P - 1) / 4; i++) {
    let x = s[i] as number;
    for (let j = 0; j < 4; j++) {
      f[4 * i + j] = (x & 3) - 1;
      x >>= 2;
    }
  }
  f[P - 1] = ((s[SMALL_BYTES - 1] as number) & 3) - 1;
  return f;
}

// ---- randomness ----

function urandom32s(random: (n: number) => Uint8Array, n: number): Uint32Array {
  const b = random(4 * n);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = ((b[4 * i] as number) | ((b[4 * i + 1] as number) << 8) | ((b[4 * i + 2] as number) << 16) | ((b[4 * i + 3] as number) << 24)) >>> 0;
  }
  return out;
}

/** A random polynomial with exactly w nonzero coefficients in {-1, 1} (sorted by a network). */
function shortRandom(random: (n: number) => Uint8Array): Int8Array {
  const l = urandom32s(random, P);
  for (let i = 0; i < W; i++) l[i] = ((l[i] as number) & 0xfffffffe) >>> 0;
  for (let i = W; i < P; i++) l[i] = (((l[i] as number) & 0xfffffffd) | 1) >>> 0;
  const { m, u32 } = getRing();
  u32.set(l, SORT / 4);
  m.sort();
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = ((u32[SORT / 4 + i] as number) & 3) - 1;
  return out;
}

/** A random polynomial with coefficients in {-1, 0, 1}. */
function smallRandom(random: (n: number) => Uint8Array): Int8Array {
  const l = urandom32s(random, P);
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = ((((l[i] as number) & 0x3fffffff) * 3) >>> 30) - 1;
  return out;
}

// ---- hashes ----

function hashPrefix(b: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512').update(Uint8Array.of(b));
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest().subarray(0, 32));
}

/** Round(a): each coefficient to the nearest multiple of 3 (|a| <= (q - 1) / 2). */
function roundPoly(a: Int16Array): Int16Array {
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) {
    const x = a[i] as number;
    out[i] = 3 * ((x * 21845 + 32768) >> 16);
  }
  return out;
}

/** Ciphertext for r under h: Rounded(h r) and the confirmation hash. */
function hide(r: Int8Array, h: Int16Array, cache: Uint8Array): { ct: Uint8Array; rEnc: Uint8Array } {
  const rEnc = smallEncode(r);
  const c = roundedEncode(roundPoly(rqMultSmall(h, r)));
  const ct = new Uint8Array(SNTRUP761_CIPHERTEXT_BYTES);
  ct.set(c);
  ct.set(hashPrefix(2, hashPrefix(3, rEnc), cache), ROUNDED_BYTES);
  return { ct, rEnc };
}

/** -1 when x != 0, else 0, for |x| < 2^31 (no branch). */
function nonzeroMask(x: number): number {
  return (x | -x) >> 31;
}

// ---- KEM ----

export function sntrup761Keygen(random: (n: number) => Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  let g: Int8Array;
  let v: Int8Array | undefined;
  do {
    g = smallRandom(random);
    v = r3Recip(g);
  } while (v === undefined);
  const f = shortRandom(random);
  const h = rqMultSmall(rqRecip3(f), g);
  const publicKey = rqEncode(h);
  const secretKey = new Uint8Array(SNTRUP761_SECRET_KEY_BYTES);
  secretKey.set(smallEncode(f), 0);
  secretKey.set(smallEncode(v), SMALL_BYTES);
  secretKey.set(publicKey, 2 * SMALL_BYTES);
  secretKey.set(random(SMALL_BYTES), 2 * SMALL_BYTES + SNTRUP761_PUBLIC_KEY_BYTES);
  secretKey.set(hashPrefix(4, publicKey), 3 * SMALL_BYTES + SNTRUP761_PUBLIC_KEY_BYTES);
  return { publicKey, secretKey };
}

export function sntrup761Encapsulate(publicKey: Uint8Array, random: (n: number) => Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== SNTRUP761_PUBLIC_KEY_BYTES) throw new CryptoParameterError(`sntrup761 public key must be ${SNTRUP761_PUBLIC_KEY_BYTES} bytes`);
  const r = shortRandom(random);
  const { ct, rEnc } = hide(r, rqDecode(publicKey), hashPrefix(4, publicKey));
  return { cipherText: ct, sharedSecret: hashPrefix(1, hashPrefix(3, rEnc), ct) };
}

export function sntrup761Decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (cipherText.length !== SNTRUP761_CIPHERTEXT_BYTES) throw new CryptoParameterError(`sntrup761 ciphertext must be ${SNTRUP761_CIPHERTEXT_BYTES} bytes`);
  if (secretKey.length !== SNTRUP761_SECRET_KEY_BYTES) throw new CryptoParameterError(`sntrup761 secret key must be ${SNTRUP761_SECRET_KEY_BYTES} bytes`);
  const f = smallDecode(secretKey.subarray(0, SMALL_BYTES));
  const v = smallDecode(secretKey.subarray(SMALL_BYTES, 2 * SMALL_BYTES));
  const pk = secretKey.subarray(2 * SMALL_BYTES, 2 * SMALL_BYTES + SNTRUP761_PUBLIC_KEY_BYTES);
  const rho = secretKey.subarray(2 * SMALL_BYTES + SNTRUP761_PUBLIC_KEY_BYTES, 3 * SMALL_BYTES + SNTRUP761_PUBLIC_KEY_BYTES);
  const cache = secretKey.subarray(3 * SMALL_BYTES + SNTRUP761_PUBLIC_KEY_BYTES);
  // Decrypt: e = 3 f c in R3, ev = e / g = e v; r = ev if it has weight w, else (1, ..., 1, 0, ...).
  const c = roundedDecode(cipherText.subarray(0, ROUNDED_BYTES));
  const e = mult(c, f, MULT_RQ_TIMES3_TO_R3);
  const ev = mult(e, v, MULT_R3);
  let weight = 0;
  for (let i = 0; i < P; i++) weight += (ev[i] as number) & 1;
  const bad = nonzeroMask(weight - W);
  const r = new Int8Array(P);
  for (let i = 0; i < P; i++) r[i] = ((ev[i] as number) & ~bad) | (i < W ? bad & 1 : 0);
  const { ct, rEnc } = hide(r, rqDecode(pk), cache);
  // Implicit rejection: on a mismatch hash rho under prefix 0 instead of r under prefix 1.
  let diff = 0;
  for (let i = 0; i < SNTRUP761_CIPHERTEXT_BYTES; i++) diff |= (ct[i] as number) ^ (cipherText[i] as number);
  const mismatch = nonzeroMask(diff);
  for (let i = 0; i < SMALL_BYTES; i++) rEnc[i] = (rEnc[i] as number) ^ (mismatch & ((rEnc[i] as number) ^ (rho[i] as number)));
  return hashPrefix(1 + mismatch, hashPrefix(3, rEnc), cipherText);
}
