/**
 * X25519 and X448 (RFC 7748) through node:crypto, on raw byte strings, and the curve25519-sha256
 * / curve448-sha512 agreements (RFC 8731). A peer value of the wrong length, or one that yields
 * the all-zero shared secret (small-order points), is a `KeyExchangeError`.
 * @module
 */

import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { KeyExchangeError } from '../errors.ts';
import type { Agreement } from './one-round.ts';

export type MontgomeryCurve = 'x25519' | 'x448';

const SIZES: Readonly<Record<MontgomeryCurve, number>> = { x25519: 32, x448: 56 };
// DER prefix of PKCS#8 private keys (RFC 8410) for importing a raw scalar.
const PKCS8: Readonly<Record<MontgomeryCurve, string>> = {
  x25519: '302e020100300506032b656e04220420',
  x448: '3046020100300506032b656f043a0438',
};

function privateKeyObject(curve: MontgomeryCurve, scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8[curve], 'hex'), scalar]), format: 'der', type: 'pkcs8' });
}


/** The public key (u-coordinate) of a private scalar. */
export function montgomeryPublicKey(curve: MontgomeryCurve, scalar: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(curve, scalar)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - SIZES[curve]));
}

/** The shared secret; throws `KeyExchangeError` for bad lengths and all-zero results. */
export function montgomeryShared(curve: MontgomeryCurve, scalar: Uint8Array, peer: Uint8Array, algorithm: string = curve): Uint8Array {
  return sharedWith(curve, privateKeyObject(curve, scalar), peer, algorithm);
}

const CRV: Readonly<Record<MontgomeryCurve, string>> = { x25519: 'X25519', x448: 'X448' };

/** Peer public keys go in as JWK: node's DER decoder costs ten times more. */
function sharedWith(curve: MontgomeryCurve, privateKey: KeyObject, peer: Uint8Array, algorithm: string): Uint8Array {
  const n = SIZES[curve];
  if (peer.length !== n) throw new KeyExchangeError(algorithm, `peer public key must be ${n} bytes, got ${peer.length}`);
  let out: Buffer;
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: CRV[curve], x: Buffer.from(peer).toString('base64url') }, format: 'jwk' });
    out = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    throw new KeyExchangeError(algorithm, 'invalid peer public key (small-order point)', { cause });
  }
  if (out.every((b) => b === 0)) throw new KeyExchangeError(algorithm, 'all-zero shared secret');
  return new Uint8Array(out);
}

/** A key pair held as a KeyObject. */
export interface MontgomeryKeyPair {
  readonly publicKey: Uint8Array;
  shared(peer: Uint8Array, algorithm: string): Uint8Array;
}

/**
 * A fresh key pair: from OpenSSL's generator by default (fast), or from `random` when one is
 * injected (deterministic tests; importing a raw scalar takes node's slower DER path).
 */
export function montgomeryKeyPair(curve: MontgomeryCurve, random: ((n: number) => Uint8Array) | undefined): MontgomeryKeyPair {
  let privateKey: KeyObject;
  let publicKey: Uint8Array;
  if (random === undefined) {
    const kp = curve === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('x448');
    privateKey = kp.privateKey;
    // The raw public value is the tail of the SPKI DER (a JWK export of fresh keys can stall
    // node 20's OpenSSL after some thousands of keys).
    const spki = kp.publicKey.export({ format: 'der', type: 'spki' });
    publicKey = new Uint8Array(spki.subarray(spki.length - SIZES[curve]));
  } else {
    const scalar = random(SIZES[curve]);
    privateKey = privateKeyObject(curve, scalar);
    publicKey = montgomeryPublicKey(curve, scalar);
  }
  return { publicKey, shared: (peer, algorithm) => sharedWith(curve, privateKey, peer, algorithm) };
}

export function montgomeryLength(curve: MontgomeryCurve): number {
  return SIZES[curve];
}

/** curve25519-sha256 / curve448-sha512: Q_C and Q_S are strings, K the mpint of the shared secret. */
export function montgomeryAgreement(curve: MontgomeryCurve): (algorithm: string) => Agreement {
  return (algorithm) => ({
    valueEncoding: 'string',
    secretEncoding: 'mpint',
    client(random) {
      const kp = montgomeryKeyPair(curve, random);
      return { publicValue: kp.publicKey, complete: (peer) => kp.shared(peer, algorithm) };
    },
    server(clientValue, random) {
      const kp = montgomeryKeyPair(curve, random);
      return { publicValue: kp.publicKey, secret: kp.shared(clientValue, algorithm) };
    },
  });
}
