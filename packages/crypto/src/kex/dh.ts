/**
 * Finite-field Diffie-Hellman (RFC 4253 §8) through node:crypto: the fixed groups of RFC 2409
 * (group 1 = Oakley group 2) and RFC 3526 (groups 14-18), and arbitrary groups for group
 * exchange. Peer values outside 1 < v < p-1 are `KeyExchangeError`s.
 * @module
 */

import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import { bigintToUnsignedBytes, unsignedBytesToBigint } from '@ssh/wire';
import { KeyExchangeError } from '../errors.ts';
import { defaultRandom } from './common.ts';
import type { Agreement } from './one-round.ts';
import type { DhGroup } from './types.ts';

/** node:crypto's names of the MODP groups SSH uses. */
export const MODP_GROUPS = { 1: 'modp2', 14: 'modp14', 15: 'modp15', 16: 'modp16', 17: 'modp17', 18: 'modp18' } as const;
export type ModpGroup = keyof typeof MODP_GROUPS;

const primes = new Map<ModpGroup, bigint>();

/** The (p, g = 2) of a fixed group (primes read once from node:crypto, which validates modp2 slowly). */
export function modpGroup(group: ModpGroup): DhGroup {
  let p = primes.get(group);
  if (p === undefined) {
    p = unsignedBytesToBigint(getDiffieHellman(MODP_GROUPS[group]).getPrime());
    primes.set(group, p);
  }
  return { p, g: 2n };
}

/** Private exponent size: twice the group's security strength (NIST SP 800-57), at least 256 bits. */
export function exponentBytes(primeBits: number): number {
  if (primeBits <= 3072) return 32;
  if (primeBits <= 4096) return 40;
  if (primeBits <= 6144) return 48;
  return 64;
}

/** base^exp mod m by square-and-multiply (for groups OpenSSL would first primality-test). */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

let named: Map<bigint, string> | undefined;

/** The node:crypto name of a well-known MODP prime of 2048 bits or more, if `p` is one. */
function namedGroup(p: bigint): string | undefined {
  named ??= new Map(([14, 15, 16, 17, 18] as const).map((n) => [modpGroup(n).p, MODP_GROUPS[n]]));
  return named.get(p);
}

/**
 * One side of a DH exchange over (p, g): the public value and a function of the peer's value.
 * Well-known groups of 2048+ bits run in OpenSSL; any other group (group 1, moduli from a group
 * exchange) runs on BigInt, because node:crypto primality-tests unknown primes first (seconds to
 * a minute for 4096-8192 bits).
 */
export function dhKeyPair(group: DhGroup, random: (n: number) => Uint8Array, algorithm: string): {
  publicValue: Uint8Array;
  complete(peer: Uint8Array): Uint8Array;
} {
  const pBytes = bigintToUnsignedBytes(group.p);
  const x = random(exponentBytes(pBytes.length * 8));
  x[0] = (x[0] as number) | 0x80; // full-size exponent
  const check = (peer: Uint8Array): void => {
    const v = unsignedBytesToBigint(peer);
    if (v <= 1n || v >= group.p - 1n) throw new KeyExchangeError(algorithm, 'peer DH value out of range (must be 1 < v < p-1)');
  };
  const name = group.g === 2n ? namedGroup(group.p) : undefined;
  if (name !== undefined) {
    const dh = createDiffieHellman(pBytes, bigintToUnsignedBytes(group.g));
    dh.setPrivateKey(x);
    dh.generateKeys();
    return {
      publicValue: new Uint8Array(dh.getPublicKey()),
      complete(peer) {
        check(peer);
        return new Uint8Array(dh.computeSecret(peer));
      },
    };
  }
  const xi = unsignedBytesToBigint(x);
  return {
    publicValue: bigintToUnsignedBytes(modPow(group.g, xi, group.p)),
    complete(peer) {
      check(peer);
      return bigintToUnsignedBytes(modPow(unsignedBytesToBigint(peer), xi, group.p));
    },
  };
}

/** Agreement over a fixed group. */
export function dhAgreement(group: ModpGroup): (algorithm: string) => Agreement {
  return (algorithm) => groupAgreement(modpGroup(group), algorithm);
}

/** Agreement over any (p, g): a fixed group, or one a group exchange chose. */
export function groupAgreement(g: DhGroup, algorithm: string): Agreement {
  return {
    valueEncoding: 'mpint',
    secretEncoding: 'mpint',
    client(random) {
      return dhKeyPair(g, random ?? defaultRandom, algorithm);
    },
    server(clientValue, random) {
      const kp = dhKeyPair(g, random ?? defaultRandom, algorithm);
      return { publicValue: kp.publicValue, secret: kp.complete(clientValue) };
    },
  };
}
