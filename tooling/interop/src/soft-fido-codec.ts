/**
 * Encodings for the software FIDO authenticator (soft-fido.ts): CTAP2 canonical CBOR (FIDO CTAP
 * 2.1 §8; the authenticator side refuses what is not canonical, which checks the client's
 * encoder), the PIN/UV auth protocols' key derivation as the authenticator computes it (HKDF
 * written out from RFC 5869, not node's hkdfSync, so that it cross-checks the client), and a
 * minimal self-signed X.509 certificate for U2F and basic attestation (RFC 5280 §4.1).
 * Written apart from @ssh/keys on purpose: tests check the client against this, not itself.
 * @module
 */
import { createHash, createHmac, sign, type KeyObject } from 'node:crypto';

export type Cbor = number | string | Uint8Array | boolean | null | Cbor[] | Map<number | string, Cbor>;

/** A CBOR input the authenticator refuses (CTAP2_ERR_INVALID_CBOR). */
export class CborRejected extends Error {}

function argBytes(major: number, n: number): number[] {
  const top = major << 5;
  if (n <= 23) return [top + n];
  if (n <= 0xff) return [top + 24, n];
  if (n <= 0xffff) return [top + 25, n >> 8, n & 0xff];
  if (n <= 0xffffffff) return [top + 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const be32 = (x: number) => [(x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff];
  return [top + 27, ...be32(Math.floor(n / 2 ** 32)), ...be32(n >>> 0)];
}

function keyOrder(a: number[], b: number[]): number {
  const majorA = (a[0] as number) >> 5;
  const majorB = (b[0] as number) >> 5;
  if (majorA !== majorB) return majorA - majorB;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

function enc(v: Cbor): number[] {
  if (typeof v === 'number') return v >= 0 ? argBytes(0, v) : argBytes(1, -1 - v);
  if (typeof v === 'string') {
    const b = [...Buffer.from(v, 'utf8')];
    return [...argBytes(3, b.length), ...b];
  }
  if (v instanceof Uint8Array) return [...argBytes(2, v.length), ...v];
  if (v === false) return [0xf4];
  if (v === true) return [0xf5];
  if (v === null) return [0xf6];
  if (Array.isArray(v)) return [...argBytes(4, v.length), ...v.flatMap(enc)];
  const pairs = [...v.entries()].map(([k, x]) => [enc(k), enc(x)] as const).sort((p, q) => keyOrder(p[0], q[0]));
  return [...argBytes(5, pairs.length), ...pairs.flatMap(([k, x]) => [...k, ...x])];
}

export function cborEncode(v: Cbor): Uint8Array {
  return Uint8Array.from(enc(v));
}

/** Decode exactly one canonical item filling `bytes`. */
export function cborDecode(bytes: Uint8Array): Cbor {
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new CborRejected('truncated');
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const arg = (info: number): number => {
    if (info < 24) return info;
    const width = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (width === undefined) throw new CorruptInfo(info);
    let n = 0;
    for (const b of take(width)) n = n * 256 + b;
    const floor = { 1: 24, 2: 256, 4: 65536, 8: 2 ** 32 }[width] as number;
    if (n < floor) throw new CborRejected('not in shortest form');
    if (n > Number.MAX_SAFE_INTEGER) throw new CborRejected('integer too large');
    return n;
  };
  const item = (depth: number): Cbor => {
    if (depth > 8) throw new CborRejected('too deep');
    const [ib] = take(1);
    const major = (ib as number) >> 5;
    const info = (ib as number) & 31;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      throw new CborRejected('simple value or float');
    }
    if (major === 6) throw new CborRejected('tag');
    const n = arg(info);
    switch (major) {
      case 0:
        return n;
      case 1:
        return -1 - n;
      case 2:
        return Uint8Array.from(take(n));
      case 3:
        return new TextDecoder('utf-8', { fatal: true }).decode(take(n));
      case 4: {
        if (n > bytes.length - at) throw new CborRejected('count beyond input');
        const out: Cbor[] = [];
        for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      default: {
        if (n > bytes.length - at) throw new CborRejected('count beyond input');
        const out = new Map<number | string, Cbor>();
        let last: Uint8Array | undefined;
        for (let i = 0; i < n; i++) {
          const from = at;
          const k = item(depth + 1);
          const kb = bytes.subarray(from, at);
          if (typeof k !== 'number' && typeof k !== 'string') throw new CborRejected('map key type');
          if (last !== undefined && keyOrder([...last], [...kb]) >= 0) throw new CborRejected('map keys not in canonical order');
          last = kb;
          out.set(k, item(depth + 1));
        }
        return out;
      }
    }
  };
  try {
    const v = item(0);
    if (at !== bytes.length) throw new CborRejected('trailing bytes');
    return v;
  } catch (e) {
    if (e instanceof CborRejected) throw e;
    throw new CborRejected(String(e));
  }
}

class CorruptInfo extends CborRejected {
  constructor(info: number) {
    super(`additional information ${info}`);
  }
}

export function sha256(...parts: (Uint8Array | string)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HKDF-SHA-256 with one output block (RFC 5869 §2.2, §2.3; L = 32). */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([1])])).digest();
}

// ---------------------------------------------------------------------------------------------
// DER, only as far as a self-signed ECDSA certificate goes

function der(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

const OID_ECDSA_SHA256 = Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
const OID_COMMON_NAME = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);

function name(cn: string): Buffer {
  return der(0x30, der(0x31, der(0x30, OID_COMMON_NAME, der(0x0c, Buffer.from(cn, 'utf8')))));
}

/** A self-signed certificate of `publicKey` (P-256), signed by `privateKey`: what a token carries as its attestation certificate. */
export function selfSignedCertificate(publicKey: KeyObject, privateKey: KeyObject, commonName: string): Uint8Array {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const algorithm = der(0x30, OID_ECDSA_SHA256);
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([0x01, 0x23, 0x45])),
    algorithm,
    name(commonName),
    der(0x30, der(0x17, Buffer.from('200101000000Z')), der(0x17, Buffer.from('491231235959Z'))),
    name(commonName),
    spki,
  );
  const signature = sign('sha256', tbs, privateKey);
  return der(0x30, tbs, algorithm, der(0x03, Buffer.from([0]), signature));
}
