/**
 * The scalar sntrup761 this package used before the WebAssembly ring arithmetic: plain numbers,
 * divsteps with branches, Array sort. Slow and not constant-time, but written straight from the
 * specification, it stays here as a second implementation to compare the fast one against.
 */

import { createHash } from 'node:crypto';
import { CryptoParameterError } from '../../src/index.ts';

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

function fqFreeze(x: number): number {
  let r = x % Q;
  if (r > Q12) r -= Q;
  else if (r < -Q12) r += Q;
  return r;
}

function f3Freeze(x: number): number {
  let r = x % 3;
  if (r > 1) r -= 3;
  else if (r < -1) r += 3;
  return r;
}

function fqRecip(a: number): number {
  // a^(q-2) mod q
  let result = 1;
  let base = ((a % Q) + Q) % Q;
  let e = Q - 2;
  while (e > 0) {
    if (e & 1) result = (result * base) % Q;
    base = (base * base) % Q;
    e >>= 1;
  }
  return fqFreeze(result);
}

/** f * g modulo x^p - x - 1, unreduced coefficients. */
function polyMul(f: ArrayLike<number>, g: ArrayLike<number>): Int32Array {
  const fg = new Int32Array(2 * P - 1);
  for (let j = 0; j < P; j++) {
    const gj = g[j] as number;
    if (gj === 0) continue;
    for (let i = 0; i < P; i++) fg[i + j] = (fg[i + j] as number) + (f[i] as number) * gj;
  }
  for (let i = 2 * P - 2; i >= P; i--) {
    const c = fg[i] as number;
    fg[i - P] = (fg[i - P] as number) + c;
    fg[i - P + 1] = (fg[i - P + 1] as number) + c;
  }
  return fg;
}

/** Rq * small. */
function rqMultSmall(f: ArrayLike<number>, g: ArrayLike<number>): Int16Array {
  const fg = polyMul(f, g);
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = fqFreeze(fg[i] as number);
  return out;
}

/** R3 * R3. */
function r3Mult(f: ArrayLike<number>, g: ArrayLike<number>): Int8Array {
  const fg = polyMul(f, g);
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = f3Freeze(fg[i] as number);
  return out;
}

/** 1/in in R3, or undefined when `in` is not invertible. */
function r3Recip(input: ArrayLike<number>): Int8Array | undefined {
  // Coefficients stay in {-1, 0, 1}; a sum of two lies in [-2, 2] and reduces through F3.
  const F3 = [1, -1, 0, 1, -1];
  let f = new Int8Array(P + 1);
  let g = new Int8Array(P + 1);
  let v = new Int8Array(P + 1);
  let r = new Int8Array(P + 1);
  r[0] = 1;
  f[0] = 1;
  f[P - 1] = -1;
  f[P] = -1;
  for (let i = 0; i < P; i++) g[P - 1 - i] = input[i] as number;
  let delta = 1;
  for (let loop = 0; loop < 2 * P - 1; loop++) {
    v.copyWithin(1, 0, P);
    v[0] = 0;
    const sign = -(g[0] as number) * (f[0] as number);
    if (delta > 0 && g[0] !== 0) {
      delta = -delta;
      [f, g] = [g, f];
      [v, r] = [r, v];
    }
    delta += 1;
    // g = (g + sign f) / x, r = r + sign v
    for (let i = 0; i < P; i++) g[i] = F3[(g[i + 1] as number) + sign * (f[i + 1] as number) + 2] as number;
    g[P] = 0;
    if (sign !== 0) for (let i = 0; i <= P; i++) r[i] = F3[(r[i] as number) + sign * (v[i] as number) + 2] as number;
  }
  if (delta !== 0) return undefined;
  const sign = f[0] as number;
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = sign * (v[P - 1 - i] as number);
  return out;
}

/** x modulo q, centered, for |x| < 2^40 (float reciprocal instead of an integer division). */
function fqReduce(x: number): number {
  const r = x - Q * Math.round(x * (1 / Q));
  return r > Q12 ? r - Q : r < -Q12 ? r + Q : r;
}

/** 1/(3 in) in Rq (always exists: x^p - x - 1 is irreducible modulo q). */
function rqRecip3(input: ArrayLike<number>): Int16Array {
  let f = new Int32Array(P + 1);
  let g = new Int32Array(P + 1);
  let v = new Int32Array(P + 1);
  let r = new Int32Array(P + 1);
  r[0] = fqRecip(3);
  f[0] = 1;
  f[P - 1] = -1;
  f[P] = -1;
  for (let i = 0; i < P; i++) g[P - 1 - i] = input[i] as number;
  let delta = 1;
  for (let loop = 0; loop < 2 * P - 1; loop++) {
    v.copyWithin(1, 0, P);
    v[0] = 0;
    if (delta > 0 && g[0] !== 0) {
      delta = -delta;
      [f, g] = [g, f];
      [v, r] = [r, v];
    }
    delta += 1;
    const f0 = f[0] as number;
    const g0 = g[0] as number;
    // g = (f0 g - g0 f) / x, r = f0 r - g0 v
    for (let i = 0; i < P; i++) g[i] = fqReduce(f0 * (g[i + 1] as number) - g0 * (f[i + 1] as number));
    g[P] = 0;
    for (let i = 0; i <= P; i++) r[i] = fqReduce(f0 * (r[i] as number) - g0 * (v[i] as number));
  }
  const scale = fqRecip(f[0] as number);
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = fqFreeze(scale * (v[P - 1 - i] as number));
  return out;
}

// ---- encodings (specification §3.2) ----

function encode(out: number[], r: readonly number[], m: readonly number[]): void {
  if (m.length === 0) return;
  if (m.length === 1) {
    let rr = r[0] as number;
    let mm = m[0] as number;
    while (mm > 1) {
      out.push(rr % 256);
      rr = Math.floor(rr / 256);
      mm = Math.floor((mm + 255) / 256);
    }
    return;
  }
  const r2: number[] = [];
  const m2: number[] = [];
  for (let i = 0; i < m.length - 1; i += 2) {
    let mm = (m[i] as number) * (m[i + 1] as number);
    let rr = (r[i] as number) + (m[i] as number) * (r[i + 1] as number);
    while (mm >= 16384) {
      out.push(rr % 256);
      rr = Math.floor(rr / 256);
      mm = Math.floor((mm + 255) / 256);
    }
    r2.push(rr);
    m2.push(mm);
  }
  if (m.length % 2 === 1) {
    r2.push(r[m.length - 1] as number);
    m2.push(m[m.length - 1] as number);
  }
  encode(out, r2, m2);
}

function decode(s: Uint8Array, offset: number, m: readonly number[]): number[] {
  if (m.length === 0) return [];
  if (m.length === 1) {
    let v = 0;
    let t = 1;
    for (let i = offset; i < s.length; i++) {
      v += (s[i] as number) * t;
      t *= 256;
    }
    return [v % (m[0] as number)];
  }
  let k = offset;
  const bottom: [number, number][] = [];
  const m2: number[] = [];
  for (let i = 0; i < m.length - 1; i += 2) {
    let mm = (m[i] as number) * (m[i + 1] as number);
    let r = 0;
    let t = 1;
    while (mm >= 16384) {
      r += (s[k] as number) * t;
      t *= 256;
      k++;
      mm = Math.floor((mm + 255) / 256);
    }
    bottom.push([r, t]);
    m2.push(mm);
  }
  if (m.length % 2 === 1) m2.push(m[m.length - 1] as number);
  const r2 = decode(s, k, m2);
  const out: number[] = [];
  for (let i = 0; i < m.length - 1; i += 2) {
    const [r0, t] = bottom[i / 2] as [number, number];
    const r = r0 + t * (r2[i / 2] as number);
    out.push(r % (m[i] as number));
    out.push(Math.floor(r / (m[i] as number)) % (m[i + 1] as number));
  }
  if (m.length % 2 === 1) out.push(r2[r2.length - 1] as number);
  return out;
}

const M_Q: readonly number[] = new Array<number>(P).fill(Q);
const M_ROUNDED: readonly number[] = new Array<number>(P).fill((Q + 2) / 3);

function rqEncode(h: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  encode(out, Array.from(h, (c) => c + Q12), M_Q);
  return Uint8Array.from(out);
}

function rqDecode(s: Uint8Array): Int16Array {
  return Int16Array.from(decode(s, 0, M_Q), (v) => v - Q12);
}

function roundedEncode(c: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  encode(out, Array.from(c, (x) => ((x + Q12) * 10923) >> 15), M_ROUNDED);
  return Uint8Array.from(out);
}

function roundedDecode(s: Uint8Array): Int16Array {
  return Int16Array.from(decode(s, 0, M_ROUNDED), (v) => v * 3 - Q12);
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

/** A random polynomial with exactly w nonzero coefficients in {-1, 1}. */
function shortRandom(random: (n: number) => Uint8Array): Int8Array {
  const l = urandom32s(random, P);
  for (let i = 0; i < W; i++) l[i] = ((l[i] as number) & 0xfffffffe) >>> 0;
  for (let i = W; i < P; i++) l[i] = (((l[i] as number) & 0xfffffffd) | 1) >>> 0;
  l.sort();
  return Int8Array.from(l, (x) => (x & 3) - 1);
}

/** A random polynomial with coefficients in {-1, 0, 1}. */
function smallRandom(random: (n: number) => Uint8Array): Int8Array {
  const l = urandom32s(random, P);
  return Int8Array.from(l, (x) => Math.floor(((x & 0x3fffffff) * 3) / 2 ** 30) - 1);
}

// ---- hashes ----

function hashPrefix(b: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512').update(Uint8Array.of(b));
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest().subarray(0, 32));
}

function roundPoly(a: ArrayLike<number>): Int16Array {
  return Int16Array.from(a, (x) => x - f3Freeze(x));
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
  // Decrypt: e = 3 f c in R3, ev = e / g; r = ev if it has weight w.
  const c = roundedDecode(cipherText.subarray(0, ROUNDED_BYTES));
  const cf = rqMultSmall(c, f);
  const e = Int8Array.from(cf, (x) => f3Freeze(fqFreeze(3 * x)));
  const ev = r3Mult(e, v);
  let weight = 0;
  for (let i = 0; i < P; i++) if (ev[i] !== 0) weight++;
  const r = weight === W ? ev : Int8Array.from({ length: P }, (_, i) => (i < W ? 1 : 0));
  const { ct, rEnc } = hide(r, rqDecode(pk), cache);
  let diff = 0;
  for (let i = 0; i < SNTRUP761_CIPHERTEXT_BYTES; i++) diff |= (ct[i] as number) ^ (cipherText[i] as number);
  return diff === 0 ? hashPrefix(1, hashPrefix(3, rEnc), cipherText) : hashPrefix(0, hashPrefix(3, rho), cipherText);
}
