/**
 * Hash helpers over node:crypto (OpenSSL): the digests SSH names.
 * @module
 */

import { createHash, createHmac } from 'node:crypto';
import { UnknownAlgorithmError } from './errors.ts';

/** Digests SSH algorithms use. */
export type HashName = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const LENGTHS: Readonly<Record<HashName, number>> = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const BLOCKS: Readonly<Record<HashName, number>> = { md5: 64, sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

function check(name: string): HashName {
  if (!Object.hasOwn(LENGTHS, name)) throw new UnknownAlgorithmError('hash', name);
  return name as HashName;
}

/** Output length of a digest in bytes. */
export function hashLength(name: HashName): number {
  return LENGTHS[check(name)];
}

/** Input block length of a digest in bytes. */
export function hashBlockLength(name: HashName): number {
  return BLOCKS[check(name)];
}

/** Digest of the concatenation of `parts`. */
export function hash(name: HashName, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(check(name));
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** HMAC (RFC 2104) of the concatenation of `parts`. */
export function hmac(name: HashName, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac(check(name), key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
