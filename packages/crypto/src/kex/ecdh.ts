/**
 * ECDH over the NIST curves and secp256k1 (RFC 5656 §4, SEC 1) through node:crypto. Q_C and Q_S
 * are uncompressed points in strings; K is the x-coordinate as an mpint. A peer point not on the
 * curve is a `KeyExchangeError`.
 * @module
 */

import { createECDH, type ECDH } from 'node:crypto';
import { KeyExchangeError } from '../errors.ts';
import { defaultRandom } from './common.ts';
import type { Agreement } from './one-round.ts';

export type EcCurve = 'prime256v1' | 'secp384r1' | 'secp521r1' | 'secp256k1';

const SCALAR_BYTES: Readonly<Record<EcCurve, number>> = { prime256v1: 32, secp384r1: 48, secp521r1: 66, secp256k1: 32 };

/** A key pair whose scalar comes from `random` (rejection sampling until it is in range). */
export function ecKeyPair(curve: EcCurve, random: (n: number) => Uint8Array): ECDH {
  const ecdh = createECDH(curve);
  for (let attempt = 0; attempt < 64; attempt++) {
    const scalar = random(SCALAR_BYTES[curve]);
    if (curve === 'secp521r1') scalar[0] = (scalar[0] as number) & 0x01;
    try {
      ecdh.setPrivateKey(scalar);
      return ecdh;
    } catch {
      // out of range (zero or >= the group order): draw again
    }
  }
  throw new KeyExchangeError(curve, 'random source produced no valid private key');
}

/** The x-coordinate of scalar * peer; throws `KeyExchangeError` for points not on the curve. */
export function ecShared(ecdh: ECDH, peer: Uint8Array, algorithm: string): Uint8Array {
  if (peer[0] !== 4) throw new KeyExchangeError(algorithm, 'peer public key is not an uncompressed point');
  try {
    return new Uint8Array(ecdh.computeSecret(peer));
  } catch (cause) {
    throw new KeyExchangeError(algorithm, 'invalid peer public key (not on the curve)', { cause });
  }
}

export function ecdhAgreement(curve: EcCurve): (algorithm: string) => Agreement {
  return (algorithm) => ({
    valueEncoding: 'string',
    secretEncoding: 'mpint',
    client(random) {
      const ecdh = ecKeyPair(curve, random ?? defaultRandom);
      return { publicValue: new Uint8Array(ecdh.getPublicKey()), complete: (peer) => ecShared(ecdh, peer, algorithm) };
    },
    server(clientValue, random) {
      const ecdh = ecKeyPair(curve, random ?? defaultRandom);
      return { publicValue: new Uint8Array(ecdh.getPublicKey()), secret: ecShared(ecdh, clientValue, algorithm) };
    },
  });
}
