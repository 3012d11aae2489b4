/**
 * ECDSA keys: ecdsa-sha2-nistp256/384/521 and ecdsa-sha2-1.3.132.0.10 (secp256k1) (RFC 5656 §3),
 * SEC1 ECPrivateKey (RFC 5915), PKCS#8/SPKI (RFC 5480). NIST curves use node:crypto; secp256k1
 * uses @noble/curves.
 * @module
 */

import { ECDH, createECDH, randomBytes, sign as nodeSign, verify as nodeVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bigintToUnsignedBytes, unsignedBytesToBigint, Reader, type Writer } from '@ssh/wire';
import {
  contextTag,
  DerReader,
  derAlgorithm,
  derBitString,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
} from '../asn1.ts';
import { KeyGenerationError, KeyImportError } from '../errors.ts';
import { equalBytes } from '../internal/bytes.ts';
import {
  base64url,
  lazy,
  nodeKeyFromJwk,
  nodePrivateKey,
  nodePublicKey,
  putName,
  putU32,
  safeVerify,
  type KeyFamily,
  type KeyImpl,
} from './impl.ts';

export const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';

export interface CurveInfo {
  /** The curve identifier in SSH names ('nistp256', '1.3.132.0.10'). */
  readonly id: string;
  /** 'ecdsa-sha2-<id>' */
  readonly algorithm: string;
  readonly sigAlgorithms: readonly string[];
  readonly oid: string;
  /** Field element / scalar size in bytes. */
  readonly size: number;
  readonly bits: number;
  readonly hash: string;
  /** node:crypto curve name, when OpenSSL does the work. */
  readonly nodeName?: string;
  /** The JWK `crv` (RFC 7518 §6.2.1.1), for the curves OpenSSL does. */
  readonly jwkCurve?: string;
}

const curve = (c: Omit<CurveInfo, 'algorithm' | 'sigAlgorithms'>): CurveInfo => ({ ...c, algorithm: `ecdsa-sha2-${c.id}`, sigAlgorithms: [`ecdsa-sha2-${c.id}`] });

export const CURVES: readonly CurveInfo[] = [
  curve({ id: 'nistp256', oid: '1.2.840.10045.3.1.7', size: 32, bits: 256, hash: 'sha256', nodeName: 'prime256v1', jwkCurve: 'P-256' }),
  curve({ id: 'nistp384', oid: '1.3.132.0.34', size: 48, bits: 384, hash: 'sha384', nodeName: 'secp384r1', jwkCurve: 'P-384' }),
  curve({ id: 'nistp521', oid: '1.3.132.0.35', size: 66, bits: 521, hash: 'sha512', nodeName: 'secp521r1', jwkCurve: 'P-521' }),
  curve({ id: '1.3.132.0.10', oid: '1.3.132.0.10', size: 32, bits: 256, hash: 'sha256' }),
];

export function curveById(id: string): CurveInfo | undefined {
  return CURVES.find((c) => c.id === id);
}

export function curveByOid(oid: string): CurveInfo | undefined {
  return CURVES.find((c) => c.oid === oid);
}

/** Where the minimal mpint of the unsigned big-endian bytes `b[from, to)` starts (leading zeros skipped). */
function mpintStart(b: Uint8Array, from: number, to: number): number {
  while (from < to && b[from] === 0) from++;
  return from;
}

/** Length of the minimal positive mpint whose magnitude is `b[from, to)` (a sign byte when the top bit is set). */
function mpintLength(b: Uint8Array, from: number, to: number): number {
  return from === to ? 0 : to - from + ((b[from] as number) >> 7);
}

/** Writes `mpint` of the magnitude `b[from, to)`, `length` bytes long, at `at`; returns the offset after it. */
function putMpint(out: Uint8Array, at: number, b: Uint8Array, from: number, to: number, length: number): number {
  putU32(out, at, length);
  let p = at + 4 + length - (to - from);
  for (let i = from; i < to; i++) out[p++] = b[i] as number;
  return p;
}

/**
 * The SSH signature blob `string sigAlgorithm, string(mpint r, mpint s)` (RFC 5656 §3.1.2) of
 * r||s (`size` bytes each), written in one allocation.
 */
export function p1363SignatureBlob(sigAlgorithm: string, sig: Uint8Array, size: number): Uint8Array {
  const r0 = mpintStart(sig, 0, size);
  const s0 = mpintStart(sig, size, 2 * size);
  const rLength = mpintLength(sig, r0, size);
  const sLength = mpintLength(sig, s0, 2 * size);
  const inner = 8 + rLength + sLength;
  const out = new Uint8Array(8 + sigAlgorithm.length + inner);
  let at = putName(out, sigAlgorithm);
  putU32(out, at, inner);
  at = putMpint(out, at + 4, sig, r0, size, rLength);
  putMpint(out, at, sig, s0, 2 * size, sLength);
  return out;
}

/** The SSH body `mpint r, mpint s` (read from `r`) to r||s, or undefined when out of range. */
export function sshToP1363(body: Reader, size: number): Uint8Array | undefined {
  const r = body.bytes('r');
  const s = body.bytes('s');
  body.end('ecdsa signature');
  const out = new Uint8Array(2 * size);
  return putP1363(out, 0, r, size) && putP1363(out, size, s, size) ? out : undefined;
}

/**
 * Copies the mpint `value` (positive, canonical, non-zero, at most `size` bytes once the sign
 * byte is dropped) right-aligned into `out[at, at + size)`; false when it is not such a value.
 */
function putP1363(out: Uint8Array, at: number, value: Uint8Array, size: number): boolean {
  const n = value.length;
  if (n === 0 || ((value[0] as number) & 0x80) !== 0) return false;
  let from = 0;
  if (value[0] === 0) {
    if (n === 1 || ((value[1] as number) & 0x80) === 0) return false;
    from = 1;
  }
  if (n - from > size) return false;
  let p = at + size - (n - from);
  for (let i = from; i < n; i++) out[p++] = value[i] as number;
  return true;
}

export class EcdsaKey implements KeyImpl {
  readonly curve: CurveInfo;
  /** Uncompressed public point (0x04 || x || y). */
  readonly q: Uint8Array;
  /** Private scalar, fixed size. */
  readonly d: Uint8Array | undefined;
  readonly label = 'ECDSA';
  private readonly privateKey: () => KeyObject;
  private readonly publicKey = lazy(() => (this.curve.jwkCurve ? nodeKeyFromJwk('public', this.jwk(false)) : nodePublicKey(this.spki())));

  /** `nodeKey`: the private KeyObject when the caller already has it (generation). */
  constructor(curve: CurveInfo, q: Uint8Array, d?: Uint8Array, nodeKey?: KeyObject) {
    this.curve = curve;
    this.q = q;
    this.d = d;
    this.privateKey =
      nodeKey !== undefined
        ? () => nodeKey
        : lazy(() => (this.curve.jwkCurve ? nodeKeyFromJwk('private', this.jwk(true)) : nodePrivateKey(this.pkcs8())));
  }

  /** The key as a JWK (OpenSSL imports it ten times faster than DER). */
  private jwk(withPrivate: boolean): JsonWebKey {
    const size = this.curve.size;
    const jwk: JsonWebKey = {
      kty: 'EC',
      crv: this.curve.jwkCurve ?? '',
      x: base64url(this.q.subarray(1, 1 + size)),
      y: base64url(this.q.subarray(1 + size, 1 + 2 * size)),
    };
    if (withPrivate) jwk.d = base64url(this.need());
    return jwk;
  }

  get algorithm(): string {
    return this.curve.algorithm;
  }

  get sigAlgorithms(): readonly string[] {
    return this.curve.sigAlgorithms;
  }

  get bits(): number {
    return this.curve.bits;
  }

  get hasPrivate(): boolean {
    return this.d !== undefined;
  }

  private need(): Uint8Array {
    if (!this.d) throw new KeyImportError('ECDSA key has no private part');
    return this.d;
  }

  writePublic(w: Writer): void {
    w.utf8(this.curve.id).bytes(this.q);
  }

  writePrivate(w: Writer): void {
    this.writePublic(w);
    w.mpint(unsignedBytesToBigint(this.need()));
  }

  sign(_sigAlgorithm: string, data: Uint8Array): Uint8Array {
    const c = this.curve;
    const sig = c.nodeName
      ? nodeSign(c.hash, data, { key: this.privateKey(), dsaEncoding: 'ieee-p1363' })
      : secp256k1.sign(data, this.need(), { prehash: true });
    return p1363SignatureBlob(c.algorithm, sig, c.size);
  }

  verify(sigAlgorithm: string, data: Uint8Array, body: Reader): boolean {
    if (sigAlgorithm !== this.algorithm) return false;
    return safeVerify(() => {
      const inner = new Reader(body.bytes('signature'));
      body.end('signature');
      return this.verifyP1363(data, inner);
    });
  }

  /** Checks `mpint r, mpint s` read from `body` over `data` (shared with security keys). */
  verifyP1363(data: Uint8Array, body: Reader): boolean {
    const sig = sshToP1363(body, this.curve.size);
    if (!sig) return false;
    if (this.curve.nodeName) {
      return nodeVerify(this.curve.hash, data, { key: this.publicKey(), dsaEncoding: 'ieee-p1363' }, sig);
    }
    return secp256k1.verify(sig, data, this.q, { prehash: true, lowS: false });
  }

  toPublic(): KeyImpl {
    return new EcdsaKey(this.curve, this.q);
  }

  pkcs1Private(): { label: string; der: Uint8Array } {
    const der = derSequence(
      derInteger(1),
      derOctetString(this.need()),
      derExplicit(0, derOid(this.curve.oid)),
      derExplicit(1, derBitString(this.q)),
    );
    return { label: 'EC PRIVATE KEY', der };
  }

  pkcs8(): Uint8Array {
    return derSequence(
      derInteger(0),
      derAlgorithm(EC_PUBLIC_KEY_OID, derOid(this.curve.oid)),
      derOctetString(
        derSequence(derInteger(1), derOctetString(this.need()), derExplicit(1, derBitString(this.q))),
      ),
    );
  }

  spki(): Uint8Array {
    return derSequence(derAlgorithm(EC_PUBLIC_KEY_OID, derOid(this.curve.oid)), derBitString(this.q));
  }
}

/** Checks the point is on the curve and returns it uncompressed. */
function normalizePoint(curve: CurveInfo, point: Uint8Array): Uint8Array {
  if (point.length === 0 || point.length > 2 * curve.size + 1) throw new KeyImportError('ECDSA public point has a bad length');
  if (!curve.nodeName) {
    try {
      return secp256k1.Point.fromBytes(point).toBytes(false);
    } catch (cause) {
      throw new KeyImportError('ECDSA public point is not on the curve', { cause });
    }
  }
  // OpenSSL's EC_POINT_oct2point: decodes any SEC1 form and refuses points off the curve.
  let out: Buffer;
  try {
    out = ECDH.convertKey(point, curve.nodeName, undefined, undefined, 'uncompressed') as Buffer;
  } catch (cause) {
    throw new KeyImportError('ECDSA public point is not on the curve', { cause });
  }
  if (out.length !== 1 + 2 * curve.size) throw new KeyImportError('ECDSA public point is invalid');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The public point of scalar `d` (OpenSSL refuses 0 and scalars not below the group order). */
function publicPoint(curve: CurveInfo, d: Uint8Array): Uint8Array {
  if (!curve.nodeName) return secp256k1.getPublicKey(d, false);
  const ecdh = createECDH(curve.nodeName);
  ecdh.setPrivateKey(d);
  const q = ecdh.getPublicKey();
  return new Uint8Array(q.buffer, q.byteOffset, q.byteLength);
}

function makeKey(curve: CurveInfo, point: Uint8Array, scalar?: bigint): EcdsaKey {
  if (scalar === undefined) return new EcdsaKey(curve, normalizePoint(curve, point));
  if (scalar <= 0n || scalar >= 1n << BigInt(curve.bits)) throw new KeyImportError('ECDSA private scalar is out of range');
  const d = bigintToUnsignedBytes(scalar, curve.size);
  let expected: Uint8Array;
  try {
    expected = publicPoint(curve, d);
  } catch (cause) {
    throw new KeyImportError('ECDSA private scalar is invalid', { cause });
  }
  // The usual case is the same uncompressed point: compare directly before normalizing.
  if (point.length > 0 && !equalBytes(point, expected) && !equalBytes(normalizePoint(curve, point), expected)) {
    throw new KeyImportError('ECDSA private scalar does not match the public point');
  }
  return new EcdsaKey(curve, expected, d);
}

function curveFor(id: string): CurveInfo {
  const curve = curveById(id);
  if (!curve) throw new KeyImportError(`unknown ECDSA curve ${JSON.stringify(id)}`);
  return curve;
}

function curveOfParams(params: Uint8Array | undefined): CurveInfo {
  if (!params) throw new KeyImportError('EC key without curve parameters');
  const oid = new DerReader(params).oid('namedCurve');
  const curve = curveByOid(oid);
  if (!curve) throw new KeyImportError(`unsupported EC curve ${oid}`);
  return curve;
}

/** SEC1 ECPrivateKey; `curve` comes from the PKCS#8 wrapper when there is one. */
function parseSec1(der: Uint8Array, outer?: CurveInfo): EcdsaKey {
  const r = new DerReader(der).sequence('ECPrivateKey');
  if (r.smallInt('version') !== 1) throw new KeyImportError('unsupported ECPrivateKey version');
  const d = r.octetString('privateKey');
  let curve = outer;
  let point: Uint8Array = new Uint8Array(0);
  if (r.peekTag() === contextTag(0)) {
    const inner = DerReader.of(r.element());
    const named = curveOfParams(inner.element().raw);
    if (curve && curve !== named) throw new KeyImportError('EC key curve mismatch');
    curve = named;
  }
  if (r.peekTag() === contextTag(1)) {
    point = DerReader.of(r.element()).bitString('publicKey');
  }
  r.end('ECPrivateKey');
  if (!curve) throw new KeyImportError('EC private key without a curve');
  if (d.length > curve.size) throw new KeyImportError('EC private scalar too long');
  return makeKey(curve, point, unsignedBytesToBigint(d));
}

export const ecdsaFamily: KeyFamily = {
  keyTypes: CURVES.map((c) => `ecdsa-sha2-${c.id}`),
  sigAlgorithms: CURVES.flatMap((c) => c.sigAlgorithms),
  oids: [EC_PUBLIC_KEY_OID],
  pkcs1PrivateLabels: ['EC PRIVATE KEY'],
  pkcs1PublicLabels: [],
  decodePublic(keyType, r) {
    const curve = curveFor(r.utf8('curve'));
    if (keyType !== `ecdsa-sha2-${curve.id}`) throw new KeyImportError('ECDSA curve does not match the key type');
    return makeKey(curve, r.bytes('Q'));
  },
  decodePrivate(keyType, r) {
    const curve = curveFor(r.utf8('curve'));
    if (keyType !== `ecdsa-sha2-${curve.id}`) throw new KeyImportError('ECDSA curve does not match the key type');
    const q = r.bytes('Q');
    return makeKey(curve, q, r.mpint('d'));
  },
  fromPkcs8(_oid, params, privateKey) {
    return parseSec1(privateKey, curveOfParams(params));
  },
  fromSpki(_oid, params, publicKey) {
    return makeKey(curveOfParams(params), publicKey);
  },
  fromPkcs1Private: (der) => parseSec1(der),
  fromPkcs1Public() {
    throw new KeyImportError('ECDSA has no PKCS#1 public key format');
  },
  generate(keyType) {
    const curve = CURVES.find((c) => `ecdsa-sha2-${c.id}` === keyType);
    if (!curve) throw new KeyGenerationError(`unknown ECDSA key type ${keyType}`);
    if (!curve.nodeName) {
      const d = secp256k1.utils.randomSecretKey();
      return new EcdsaKey(curve, secp256k1.getPublicKey(d, false), d);
    }
    // A random scalar below the group order (FIPS 186-5 A.2.2, rejection sampling), taken
    // through the import path: OpenSSL's ECDH computes the public point and refuses 0 and
    // scalars not below the order, which are drawn again (odds 2^-32 for P-256, less for P-384
    // and P-521). Four times faster than generateKeyPairSync and a PKCS#8 export of the new
    // pair, and no export of a freshly generated key (exporting those as JWKs in a loop
    // deadlocks node 20's OpenSSL after a few thousand keys).
    const excess = curve.size * 8 - curve.bits;
    for (let attempt = 0; attempt < 64; attempt++) {
      const d = new Uint8Array(randomBytes(curve.size));
      d[0] = (d[0] as number) & (0xff >> excess);
      let point: Uint8Array;
      try {
        point = publicPoint(curve, d);
      } catch {
        continue;
      }
      return new EcdsaKey(curve, point, d);
    }
    throw new KeyGenerationError(`could not draw a ${curve.id} private scalar`);
  },
};
