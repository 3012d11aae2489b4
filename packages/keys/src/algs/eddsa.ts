/**
 * EdDSA keys: ssh-ed25519 (RFC 8709) and ssh-ed448 (RFC 8709), PKCS#8/SPKI per RFC 8410.
 * @module
 */

import { randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { Reader, Writer } from '@ssh/wire';
import { DerReader, derAlgorithm, derBitString, derInteger, derOctetString, derSequence } from '../asn1.ts';
import { KeyGenerationError, KeyImportError } from '../errors.ts';
import { concat, equalBytes } from '../internal/bytes.ts';
import { base64url, fromBase64url, lazy, nodeKeyFromJwk, safeVerify, signatureBlob, type KeyFamily, type KeyImpl } from './impl.ts';

export interface EdCurve {
  readonly algorithm: string;
  readonly sigAlgorithms: readonly string[];
  readonly oid: string;
  readonly size: number;
  readonly sigSize: number;
  readonly label: string;
  readonly bits: number;
  readonly nodeType: 'ed25519' | 'ed448';
  /** The JWK `crv` (RFC 8037). */
  readonly jwkCurve: 'Ed25519' | 'Ed448';
}

export const ED25519: EdCurve = {
  algorithm: 'ssh-ed25519',
  sigAlgorithms: ['ssh-ed25519'],
  oid: '1.3.101.112',
  size: 32,
  sigSize: 64,
  label: 'ED25519',
  bits: 256,
  nodeType: 'ed25519',
  jwkCurve: 'Ed25519',
};
export const ED448: EdCurve = {
  algorithm: 'ssh-ed448',
  sigAlgorithms: ['ssh-ed448'],
  oid: '1.3.101.113',
  size: 57,
  sigSize: 114,
  label: 'ED448',
  bits: 456,
  nodeType: 'ed448',
  jwkCurve: 'Ed448',
};
const ED_CURVES = [ED25519, ED448];

export class EdKey implements KeyImpl {
  readonly curve: EdCurve;
  readonly pk: Uint8Array;
  readonly seed: Uint8Array | undefined;
  private readonly privateKey: () => KeyObject;
  private readonly publicKey = lazy(() => nodeKeyFromJwk('public', { kty: 'OKP', crv: this.curve.jwkCurve, x: base64url(this.pk) }));

  /** `nodeKey`: the private KeyObject when the caller already has it (import, generation). */
  constructor(curve: EdCurve, pk: Uint8Array, seed?: Uint8Array, nodeKey?: KeyObject) {
    this.curve = curve;
    this.pk = pk;
    this.seed = seed;
    this.privateKey = nodeKey === undefined ? lazy(() => privateKeyObject(curve, this.need())) : () => nodeKey;
  }

  get algorithm(): string {
    return this.curve.algorithm;
  }

  get sigAlgorithms(): readonly string[] {
    return this.curve.sigAlgorithms;
  }

  get label(): string {
    return this.curve.label;
  }

  get bits(): number {
    return this.curve.bits;
  }

  get hasPrivate(): boolean {
    return this.seed !== undefined;
  }

  private need(): Uint8Array {
    if (!this.seed) throw new KeyImportError('EdDSA key has no private part');
    return this.seed;
  }

  writePublic(w: Writer): void {
    w.bytes(this.pk);
  }

  writePrivate(w: Writer): void {
    w.bytes(this.pk).bytes(concat(this.need(), this.pk));
  }

  sign(_sigAlgorithm: string, data: Uint8Array): Uint8Array {
    return signatureBlob(this.curve.algorithm, nodeSign(null, data, this.privateKey()));
  }

  verify(sigAlgorithm: string, data: Uint8Array, body: Reader): boolean {
    if (sigAlgorithm !== this.algorithm) return false;
    return safeVerify(() => {
      const sig = body.bytes('signature');
      body.end('signature');
      return this.verifyRaw(data, sig);
    });
  }

  /** Checks a raw signature (shared with security keys). */
  verifyRaw(data: Uint8Array, sig: Uint8Array): boolean {
    if (sig.length !== this.curve.sigSize) return false;
    return nodeVerify(null, data, this.publicKey(), sig);
  }

  toPublic(): KeyImpl {
    return new EdKey(this.curve, this.pk);
  }

  pkcs8(): Uint8Array {
    return derSequence(derInteger(0), derAlgorithm(this.curve.oid), derOctetString(derOctetString(this.need())));
  }

  spki(): Uint8Array {
    return derSequence(derAlgorithm(this.curve.oid), derBitString(this.pk));
  }
}

function curveByOid(oid: string): EdCurve {
  const curve = ED_CURVES.find((c) => c.oid === oid);
  if (!curve) throw new KeyImportError(`unknown EdDSA OID ${oid}`);
  return curve;
}

function curveByName(name: string): EdCurve {
  const curve = ED_CURVES.find((c) => c.algorithm === name);
  if (!curve) throw new KeyImportError(`unknown EdDSA key type ${name}`);
  return curve;
}

/**
 * The private KeyObject of `seed`. OpenSSL derives the public key from the seed (the JWK's `x`
 * is required by node but not used for a private key: it is given as zeros here, so a node that
 * took it would fail every import instead of trusting it).
 */
function privateKeyObject(curve: EdCurve, seed: Uint8Array): KeyObject {
  return nodeKeyFromJwk('private', { kty: 'OKP', crv: curve.jwkCurve, d: base64url(seed), x: base64url(new Uint8Array(curve.size)) });
}

/** The public key of `seed` and its private KeyObject. */
function publicOf(curve: EdCurve, seed: Uint8Array): { pk: Uint8Array; key: KeyObject } {
  const key = privateKeyObject(curve, seed);
  return { pk: fromBase64url(key.export({ format: 'jwk' }).x, curve.size), key };
}

function makeKey(curve: EdCurve, pk: Uint8Array | undefined, seed?: Uint8Array): EdKey {
  if (pk !== undefined && pk.length !== curve.size) throw new KeyImportError(`${curve.algorithm} public key must be ${curve.size} bytes`);
  if (seed === undefined) {
    if (!pk) throw new KeyImportError('EdDSA key without public part');
    return new EdKey(curve, pk);
  }
  if (seed.length !== curve.size) throw new KeyImportError(`${curve.algorithm} private key must be ${curve.size} bytes`);
  const derived = publicOf(curve, seed);
  if (pk && !equalBytes(pk, derived.pk)) throw new KeyImportError(`${curve.algorithm} private key does not match its public key`);
  return new EdKey(curve, derived.pk, seed, derived.key);
}

export const eddsaFamily: KeyFamily = {
  keyTypes: ED_CURVES.map((c) => c.algorithm),
  sigAlgorithms: ED_CURVES.flatMap((c) => c.sigAlgorithms),
  oids: ED_CURVES.map((c) => c.oid),
  pkcs1PrivateLabels: [],
  pkcs1PublicLabels: [],
  decodePublic(keyType, r) {
    return makeKey(curveByName(keyType), r.bytes('public key'));
  },
  decodePrivate(keyType, r) {
    const curve = curveByName(keyType);
    const pk = r.bytes('public key');
    const sk = r.bytes('private key');
    if (sk.length !== 2 * curve.size) throw new KeyImportError(`${keyType} private key must be ${2 * curve.size} bytes`);
    if (!equalBytes(sk.subarray(curve.size), pk)) throw new KeyImportError(`${keyType} private key does not match its public key`);
    return makeKey(curve, pk, sk.subarray(0, curve.size));
  },
  fromPkcs8(oid, params, privateKey) {
    if (params !== undefined) throw new KeyImportError('EdDSA algorithm identifier must not have parameters');
    const r = new DerReader(privateKey);
    const seed = r.octetString('CurvePrivateKey');
    r.end('CurvePrivateKey');
    return makeKey(curveByOid(oid), undefined, seed);
  },
  fromSpki(oid, params, publicKey) {
    if (params !== undefined) throw new KeyImportError('EdDSA algorithm identifier must not have parameters');
    return makeKey(curveByOid(oid), publicKey);
  },
  fromPkcs1Private() {
    throw new KeyImportError('EdDSA has no PKCS#1 format');
  },
  fromPkcs1Public() {
    throw new KeyImportError('EdDSA has no PKCS#1 format');
  },
  generate(keyType) {
    const curve = ED_CURVES.find((c) => c.algorithm === keyType);
    if (!curve) throw new KeyGenerationError(`unknown EdDSA key type ${keyType}`);
    // An EdDSA private key is a random seed (RFC 8032 §5.1.5, §5.2.5): drawn from OpenSSL's
    // generator, then taken through the import path (OpenSSL derives the public key). Five times
    // faster than generateKeyPairSync and a DER export of the new pair, and no export of a freshly
    // generated key at all (long loops of generation + JWK export can hang node 20's OpenSSL).
    return makeKey(curve, undefined, new Uint8Array(randomBytes(curve.size)));
  },
};
