/**
 * X25519 and X448 (RFC 7748) through node:crypto, on raw byte strings, and the curve25519-sha256
 * / curve448-sha512 agreements (RFC 8731). A peer value of the wrong length, or one that yields
 * the all-zero shared secret (small-order points), is a `KeyExchangeError`.
 * @module
 */

import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { KeyExchangeError } from '../errors.ts';
import type { Agreement } from './one-round.ts';

export type MontgomeryCurve = 'x25519' | 'x448';

const SIZES: Readonly<Record<MontgomeryCurve, number>> = { x25519: 32, x448: 56 };
// DER prefixes of PKCS#8 private keys and SPKI public keys (RFC 8410) for raw key import.
const PKCS8: Readonly<Record<MontgomeryCurve, string>> = {
  x25519: '302e020100300506032b656e04220420',
  x448: '3046020100300506032b656f043a0438',
};
const SPKI: Readonly<Record<MontgomeryCurve, string>> = { x25519: '302a300506032b656e032100', x448: '3042300506032b656f033900' };

function privateKeyObject(curve: MontgomeryCurve, scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8[curve], 'hex'), scalar]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(curve: MontgomeryCurve, u: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([Buffer.from(SPKI[curve], 'hex'), u]), format: 'der', type: 'spki' });
}

/** The public key (u-coordinate) of a private scalar. */
export function montgomeryPublicKey(curve: MontgomeryCurve, scalar: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(curve, scalar)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - SIZES[curve]));
}

/** The shared secret; throws `KeyExchangeError` for bad lengths and all-zero results. */
export function montgomeryShared(curve: MontgomeryCurve, scalar: Uint8Array, peer: Uint8Array, algorithm: string = curve): Uint8Array {
  const n = SIZES[curve];
  if (peer.length !== n) throw new KeyExchangeError(algorithm, `peer public key must be ${n} bytes, got ${peer.length}`);
  let out: Buffer;
  try {
    out = diffieHellman({ privateKey: privateKeyObject(curve, scalar), publicKey: publicKeyObject(curve, peer) });
  } catch (cause) {
    throw new KeyExchangeError(algorithm, 'invalid peer public key (small-order point)', { cause });
  }
  if (out.every((b) => b === 0)) throw new KeyExchangeError(algorithm, 'all-zero shared secret');
  return new Uint8Array(out);
}

/** A fresh key pair from `random`. */
export function montgomeryKeyPair(curve: MontgomeryCurve, random: (n: number) => Uint8Array): { scalar: Uint8Array; publicKey: Uint8Array } {
  const scalar = random(SIZES[curve]);
  return { scalar, publicKey: montgomeryPublicKey(curve, scalar) };
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
      return { publicValue: kp.publicKey, complete: (peer) => montgomeryShared(curve, kp.scalar, peer, algorithm) };
    },
    server(clientValue, random) {
      const kp = montgomeryKeyPair(curve, random);
      return { publicValue: kp.publicKey, secret: montgomeryShared(curve, kp.scalar, clientValue, algorithm) };
    },
  });
}
