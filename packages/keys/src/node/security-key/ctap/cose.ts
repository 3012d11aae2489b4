/**
 * COSE keys as authenticators send them (RFC 9053 §7: EC2 P-256 with x and y, OKP Ed25519 with
 * x) and the ECDSA signature conversion PROTOCOL.u2f needs: authenticators sign ES256 in DER
 * (X9.62 Ecdsa-Sig-Value), SSH carries r and s as they are.
 * @module
 */

import { WireError } from '@ssh/wire';
import { DerReader, TAG } from '../../../asn1.ts';
import { Asn1Error } from '../../../errors.ts';
import type { SkKeyAlgorithm } from '../backend.ts';
import { type CborMap, asBytes, asInt, need } from './cbor.ts';

/** COSE algorithm identifiers (IANA COSE Algorithms registry). */
export const COSE_ALG = { ES256: -7, EdDSA: -8, ECDH_ES_HKDF_256: -25 } as const;
/** COSE key type and curve identifiers. */
export const COSE_KTY = { OKP: 1, EC2: 2 } as const;
export const COSE_CRV = { P256: 1, Ed25519: 6 } as const;

export function coseAlgorithmFor(alg: SkKeyAlgorithm): number {
  return alg === 'ecdsa' ? COSE_ALG.ES256 : COSE_ALG.EdDSA;
}

export interface ParsedCoseKey {
  readonly alg: SkKeyAlgorithm;
  /** ECDSA: the uncompressed P-256 point (0x04 || x || y); Ed25519: the 32-byte key. */
  readonly publicKey: Uint8Array;
}

function fixed(map: CborMap, key: number, len: number, field: string): Uint8Array {
  const v = asBytes(need(map, key, field), field);
  if (v.length !== len) throw new WireError('invalid-value', field, 0, `${v.length} bytes, expected ${len}`);
  return v;
}

/**
 * The credential public key of a COSE_Key map: ES256 on P-256 or EdDSA on Ed25519, the two key
 * types of PROTOCOL.u2f. The key type decides; an `alg` (label 3), when present, must agree.
 */
export function parseCoseKey(map: CborMap): ParsedCoseKey {
  const kty = asInt(need(map, 1, 'COSE key type'), 'COSE key type');
  const alg = map.has(3) ? asInt(map.get(3), 'COSE alg') : undefined;
  const crv = asInt(need(map, -1, 'COSE curve'), 'COSE curve');
  if (kty === COSE_KTY.EC2 && crv === COSE_CRV.P256 && (alg === undefined || alg === COSE_ALG.ES256)) {
    const x = fixed(map, -2, 32, 'COSE EC2 x');
    const y = fixed(map, -3, 32, 'COSE EC2 y');
    const point = new Uint8Array(65);
    point[0] = 0x04;
    point.set(x, 1);
    point.set(y, 33);
    return { alg: 'ecdsa', publicKey: point };
  }
  if (kty === COSE_KTY.OKP && crv === COSE_CRV.Ed25519 && (alg === undefined || alg === COSE_ALG.EdDSA)) {
    return { alg: 'ed25519', publicKey: fixed(map, -2, 32, 'COSE OKP x') };
  }
  throw new WireError('invalid-value', 'COSE key', 0, `unsupported key (kty ${kty}, crv ${crv}, alg ${alg ?? 'absent'})`);
}

/** A P-256 point as the COSE_Key map CTAP2 key agreement uses (ECDH-ES+HKDF-256). CTAP 2.1 §6.5.6. */
export function ecdhCoseKey(uncompressed: Uint8Array): CborMap {
  return new Map<number, number | Uint8Array>([
    [1, COSE_KTY.EC2],
    [3, COSE_ALG.ECDH_ES_HKDF_256],
    [-1, COSE_CRV.P256],
    [-2, uncompressed.slice(1, 33)],
    [-3, uncompressed.slice(33, 65)],
  ]);
}

/** The uncompressed point of an authenticator's key agreement key (EC2, P-256; its alg is not checked: CTAP 2.0 devices vary). */
export function ecdhPointFromCose(map: CborMap): Uint8Array {
  const kty = asInt(need(map, 1, 'key agreement kty'), 'key agreement kty');
  const crv = asInt(need(map, -1, 'key agreement curve'), 'key agreement curve');
  if (kty !== COSE_KTY.EC2 || crv !== COSE_CRV.P256) throw new WireError('invalid-value', 'key agreement', 0, `not a P-256 key (kty ${kty}, crv ${crv})`);
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(fixed(map, -2, 32, 'key agreement x'), 1);
  point.set(fixed(map, -3, 32, 'key agreement y'), 33);
  return point;
}

// ---------------------------------------------------------------------------------------------
// DER, read with the package's DerReader; its Asn1Errors become the WireErrors every
// device-facing parser here throws.

/** `read` over DER from a device, with an Asn1Error turned into a WireError about `field`. */
export function readDer<T>(field: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof Asn1Error) throw new WireError('invalid-value', field, err.offset, err.message);
    throw err;
  }
}

/** An ECDSA P-256 signature in DER (SEQUENCE of two INTEGERs) as r || s, 32 bytes each. */
export function derSignatureToRaw(der: Uint8Array): Uint8Array {
  return readDer('ECDSA signature', () => {
    const outer = new DerReader(der);
    const seq = outer.sequence('ECDSA signature');
    if (!outer.atEnd) throw new Asn1Error('bytes after the signature', outer.offset);
    const out = new Uint8Array(64);
    for (const [i, name] of ['r', 's'].entries()) {
      const int = seq.expect(TAG.INTEGER, name);
      let value = int.content;
      if (value.length === 0 || ((value[0] as number) & 0x80) !== 0) throw new Asn1Error(`${name} is empty or negative`, int.offset);
      if (value.length > 1 && value[0] === 0 && ((value[1] as number) & 0x80) === 0) throw new Asn1Error(`${name} has a redundant leading zero`, int.offset);
      if (value[0] === 0) value = value.subarray(1);
      if (value.length > 32) throw new Asn1Error(`${name} is longer than 32 bytes`, int.offset);
      out.set(value, i * 32 + 32 - value.length);
    }
    if (!seq.atEnd) throw new Asn1Error('bytes after s', seq.offset);
    return out;
  });
}
