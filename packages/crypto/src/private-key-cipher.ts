/**
 * Whole-buffer encryption with a named SSH cipher, as OpenSSH's private-key format uses it
 * (PROTOCOL.key): sequence number 0, no packet length; AEAD ciphers append their tag on encrypt
 * and check and strip it on decrypt. `none` is the identity with an 8-byte block.
 * @module
 */

import { CryptoParameterError, UnknownAlgorithmError } from './errors.ts';
import { cipherAlgorithms } from './cipher/index.ts';
import type { CipherImpl } from './cipher/types.ts';

/** Sizes of a named cipher, in bytes. */
export interface CipherKeyInfo {
  readonly keyLength: number;
  readonly ivLength: number;
  readonly blockLength: number;
  readonly tagLength: number;
}

const NONE: CipherKeyInfo = { keyLength: 0, ivLength: 0, blockLength: 8, tagLength: 0 };
const BY_NAME: ReadonlyMap<string, CipherImpl> = new Map(cipherAlgorithms.map((s) => [s.name, s.impl]));

function lookup(name: string): CipherImpl | undefined {
  if (name === 'none') return undefined;
  const impl = BY_NAME.get(name);
  if (impl === undefined) throw new UnknownAlgorithmError('cipher', name);
  return impl;
}

/** Key, IV, block and tag lengths of the cipher `name` (`UnknownAlgorithmError` if unknown). */
export function cipherKeyInfo(name: string): CipherKeyInfo {
  const c = lookup(name);
  if (c === undefined) return NONE;
  return { keyLength: c.keyLength, ivLength: c.ivLength, blockLength: c.blockLength, tagLength: c.tagLength };
}

function checkAligned(name: string, impl: CipherImpl, length: number): void {
  if (length % impl.blockLength !== 0) {
    throw new CryptoParameterError(`${name}: data length ${length} is not a multiple of the block size ${impl.blockLength}`);
  }
}

/** Encrypts `data` (a multiple of the block size); AEAD ciphers append their tag. */
export function cipherEncrypt(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = lookup(name);
  if (c === undefined) return Uint8Array.from(data);
  checkAligned(name, c, data.length);
  if (c.aead) return new Uint8Array(c.createAead(key, iv).seal(0, data, 0));
  return new Uint8Array(c.createCipher(key, iv, 'encrypt').update(data));
}

/** Decrypts `data`; AEAD ciphers check and strip the trailing tag (`MacError` on mismatch). */
export function cipherDecrypt(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = lookup(name);
  if (c === undefined) return Uint8Array.from(data);
  if (c.aead) {
    if (data.length < c.tagLength) throw new CryptoParameterError(`${name}: data shorter than the ${c.tagLength}-byte tag`);
    checkAligned(name, c, data.length - c.tagLength);
    return new Uint8Array(c.createAead(key, iv).open(0, data, 0));
  }
  checkAligned(name, c, data.length);
  return new Uint8Array(c.createCipher(key, iv, 'decrypt').update(data));
}
