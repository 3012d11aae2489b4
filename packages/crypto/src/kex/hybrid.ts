/**
 * Post-quantum hybrid key exchanges: a KEM combined with a classical ECDH, as in
 * mlkem768x25519-sha256, mlkem768nistp256-sha256, mlkem1024nistp384-sha384
 * (draft-ietf-sshm-mlkem-hybrid-kex) and sntrup761x25519-sha512 (OpenSSH PROTOCOL, draft-josefsson-ntruprime-ssh).
 *
 * C_INIT = KEM public key || classical public key; S_REPLY = KEM ciphertext || classical public
 * key; K = HASH(KEM secret || classical secret), hashed and sent as a string.
 * @module
 */

import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { KeyExchangeError } from '../errors.ts';
import {
  sntrup761Decapsulate,
  sntrup761Encapsulate,
  sntrup761Keygen,
  SNTRUP761_CIPHERTEXT_BYTES,
  SNTRUP761_PUBLIC_KEY_BYTES,
} from '../primitives/sntrup761.ts';
import type { HashName } from '../hash.ts';
import { ecKeyPair, ecShared, type EcCurve } from './ecdh.ts';
import { montgomeryKeyPair } from './montgomery.ts';
import { defaultRandom, type RandomSource } from './common.ts';
import type { Agreement } from './one-round.ts';

/** A key encapsulation mechanism on raw byte strings. */
export interface Kem {
  readonly publicKeyLength: number;
  readonly cipherTextLength: number;
  keygen(random: (n: number) => Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array, random: (n: number) => Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

type NobleKem = typeof ml_kem768;

function nobleKem(kem: NobleKem, publicKeyLength: number, cipherTextLength: number): Kem {
  return {
    publicKeyLength,
    cipherTextLength,
    keygen: (random) => kem.keygen(random(64)),
    encapsulate: (pk, random) => kem.encapsulate(pk, random(32)),
    decapsulate: (ct, sk) => kem.decapsulate(ct, sk),
  };
}

/** ML-KEM-768 and ML-KEM-1024 (FIPS 203) from @noble/post-quantum. */
export const mlKem768: Kem = /* @__PURE__ */ nobleKem(ml_kem768, 1184, 1088);
export const mlKem1024: Kem = /* @__PURE__ */ nobleKem(ml_kem1024, 1568, 1568);

/** Streamlined NTRU Prime 761, written here (src/primitives/sntrup761.ts). */
export const sntrup761: Kem = {
  publicKeyLength: SNTRUP761_PUBLIC_KEY_BYTES,
  cipherTextLength: SNTRUP761_CIPHERTEXT_BYTES,
  keygen: (random) => sntrup761Keygen(random),
  encapsulate: (pk, random) => sntrup761Encapsulate(pk, random),
  decapsulate: (ct, sk) => sntrup761Decapsulate(ct, sk),
};

/** The classical half: key pair and shared secret (fixed-length bytes). */
interface Classical {
  readonly publicKeyLength: number;
  keyPair(random: RandomSource | undefined): { publicKey: Uint8Array; shared(peer: Uint8Array): Uint8Array };
}

/**
 * An X25519 private key from a raw scalar. The JWK import takes the raw scalar (`d`) straight to
 * OpenSSL, about six times cheaper than node's PKCS#8 DER decoder; node derives the public half
 * from `d` and only checks that `x` is a string. Should a node version refuse this, the DER
 * path (montgomeryKeyPair) takes over.
 */
function x25519FromScalar(scalar: Uint8Array): KeyObject | undefined {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(scalar).toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

function x25519Shared(privateKey: KeyObject, peer: Uint8Array, algorithm: string): Uint8Array {
  if (peer.length !== 32) throw new KeyExchangeError(algorithm, `peer public key must be 32 bytes, got ${peer.length}`);
  let out: Buffer;
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') }, format: 'jwk' });
    out = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    throw new KeyExchangeError(algorithm, 'invalid peer public key (small-order point)', { cause });
  }
  if (out.every((b) => b === 0)) throw new KeyExchangeError(algorithm, 'all-zero shared secret');
  return new Uint8Array(out);
}

export function x25519Classical(algorithm: string): Classical {
  return {
    publicKeyLength: 32,
    keyPair(random) {
      if (random !== undefined) {
        // The transport always hands its random source down, so this is the usual path.
        const scalar = random(32);
        const privateKey = x25519FromScalar(scalar);
        if (privateKey !== undefined) {
          const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
          return { publicKey: new Uint8Array(spki.subarray(spki.length - 32)), shared: (peer) => x25519Shared(privateKey, peer, algorithm) };
        }
        const kp = montgomeryKeyPair('x25519', () => scalar);
        return { publicKey: kp.publicKey, shared: (peer) => kp.shared(peer, algorithm) };
      }
      const kp = montgomeryKeyPair('x25519', random);
      return { publicKey: kp.publicKey, shared: (peer) => kp.shared(peer, algorithm) };
    },
  };
}

export function ecClassical(curve: EcCurve, pointLength: number, algorithm: string): Classical {
  const coord = (pointLength - 1) / 2;
  return {
    publicKeyLength: pointLength,
    keyPair(random) {
      const ecdh = ecKeyPair(curve, random ?? defaultRandom);
      return {
        publicKey: new Uint8Array(ecdh.getPublicKey()),
        shared(peer) {
          const x = ecShared(ecdh, peer, algorithm);
          // fixed length, left-padded
          const out = new Uint8Array(coord);
          out.set(x, coord - x.length);
          return out;
        },
      };
    },
  };
}

export function hybridAgreement(kemOf: () => Kem, classicalOf: (algorithm: string) => Classical, hash: HashName): (algorithm: string) => Agreement {
  return (algorithm) => {
    const kem = kemOf();
    const cl = classicalOf(algorithm);
    const combine = (kemSecret: Uint8Array, clSecret: Uint8Array): Uint8Array =>
      new Uint8Array(createHash(hash).update(kemSecret).update(clSecret).digest());
    const split = (value: Uint8Array, first: number, what: string): [Uint8Array, Uint8Array] => {
      if (value.length !== first + cl.publicKeyLength) {
        throw new KeyExchangeError(algorithm, `${what} must be ${first + cl.publicKeyLength} bytes, got ${value.length}`);
      }
      return [value.subarray(0, first), value.subarray(first)];
    };
    return {
      valueEncoding: 'string',
      secretEncoding: 'string',
      client(injected) {
        const random = injected ?? defaultRandom;
        const k = kem.keygen(random);
        const c = cl.keyPair(injected);
        const publicValue = new Uint8Array(kem.publicKeyLength + cl.publicKeyLength);
        publicValue.set(k.publicKey);
        publicValue.set(c.publicKey, kem.publicKeyLength);
        return {
          publicValue,
          complete(serverValue) {
            const [ct, peer] = split(serverValue, kem.cipherTextLength, 'server reply');
            let kemSecret: Uint8Array;
            try {
              kemSecret = kem.decapsulate(ct, k.secretKey);
            } catch (cause) {
              throw new KeyExchangeError(algorithm, 'KEM decapsulation failed', { cause });
            }
            return combine(kemSecret, c.shared(peer));
          },
        };
      },
      server(clientValue, injected) {
        const random = injected ?? defaultRandom;
        const [pk, peer] = split(clientValue, kem.publicKeyLength, 'client init');
        let enc: { cipherText: Uint8Array; sharedSecret: Uint8Array };
        try {
          enc = kem.encapsulate(pk, random);
        } catch (cause) {
          throw new KeyExchangeError(algorithm, 'invalid KEM public key', { cause });
        }
        const c = cl.keyPair(injected);
        const publicValue = new Uint8Array(kem.cipherTextLength + cl.publicKeyLength);
        publicValue.set(enc.cipherText);
        publicValue.set(c.publicKey, kem.cipherTextLength);
        return { publicValue, secret: combine(enc.sharedSecret, c.shared(peer)) };
      },
    };
  };
}
