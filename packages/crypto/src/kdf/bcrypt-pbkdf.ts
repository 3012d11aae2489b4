/**
 * bcrypt_pbkdf: OpenSSH's key derivation for encrypted private keys (OpenBSD, 2013). A PBKDF2-like
 * construction whose PRF is bcrypt's hash over SHA-512 digests of the password and salt, with the
 * output bytes interleaved across blocks (OpenSSH PROTOCOL.key).
 * @module
 */

import { createHash } from 'node:crypto';
import { CryptoParameterError } from '../errors.ts';
import { Blowfish } from '../primitives/blowfish.ts';

const BCRYPT_WORDS = 8;
const BCRYPT_HASHSIZE = BCRYPT_WORDS * 4;
// "OxychromaticBlowfishSwatDynamite", the 32-byte text bcrypt_hash encrypts.
const MAGIC = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite');

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** bcrypt_hash: 32 bytes from 64-byte SHA-512 digests of password and salt. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array, out: Uint8Array): void {
  const bf = new Blowfish();
  bf.expand(sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt, undefined);
    bf.expand(sha2pass, undefined);
  }
  const cdata = new Uint32Array(BCRYPT_WORDS);
  for (let i = 0; i < BCRYPT_WORDS; i++) {
    cdata[i] =
      ((MAGIC[4 * i] as number) << 24) | ((MAGIC[4 * i + 1] as number) << 16) | ((MAGIC[4 * i + 2] as number) << 8) | (MAGIC[4 * i + 3] as number);
  }
  const pair = new Uint32Array(2);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < BCRYPT_WORDS; j += 2) {
      pair[0] = cdata[j] as number;
      pair[1] = cdata[j + 1] as number;
      bf.encryptWords(pair);
      cdata[j] = pair[0] as number;
      cdata[j + 1] = pair[1] as number;
    }
  }
  // Words are output little-endian.
  for (let i = 0; i < BCRYPT_WORDS; i++) {
    const w = cdata[i] as number;
    out[4 * i] = w;
    out[4 * i + 1] = w >>> 8;
    out[4 * i + 2] = w >>> 16;
    out[4 * i + 3] = w >>> 24;
  }
}

/**
 * OpenSSH's bcrypt_pbkdf. `keyLength` 1..1024 bytes, `rounds` >= 1, salt 1..2^20 bytes.
 * Cost is linear in `rounds` (each round is one bcrypt hash: about a millisecond).
 */
export function bcryptPbkdf(password: Uint8Array, salt: Uint8Array, keyLength: number, rounds: number): Uint8Array {
  if (!Number.isInteger(rounds) || rounds < 1) throw new CryptoParameterError(`bcrypt_pbkdf rounds must be >= 1, got ${rounds}`);
  if (!Number.isInteger(keyLength) || keyLength < 1 || keyLength > BCRYPT_HASHSIZE * BCRYPT_HASHSIZE) {
    throw new CryptoParameterError(`bcrypt_pbkdf key length must be 1 to 1024, got ${keyLength}`);
  }
  if (password.length === 0) throw new CryptoParameterError('bcrypt_pbkdf password must not be empty');
  if (salt.length === 0 || salt.length > 1 << 20) throw new CryptoParameterError(`bcrypt_pbkdf salt must be 1 to 2^20 bytes`);
  const stride = Math.ceil(keyLength / BCRYPT_HASHSIZE);
  const amount = Math.ceil(keyLength / stride);
  const key = new Uint8Array(keyLength);
  const sha2pass = sha512(password);
  const countSalt = new Uint8Array(salt.length + 4);
  countSalt.set(salt);
  const tmp = new Uint8Array(BCRYPT_HASHSIZE);
  const out = new Uint8Array(BCRYPT_HASHSIZE);
  let remaining = keyLength;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count);
    bcryptHash(sha2pass, sha512(countSalt), tmp);
    out.set(tmp);
    for (let i = 1; i < rounds; i++) {
      bcryptHash(sha2pass, sha512(tmp), tmp);
      for (let j = 0; j < BCRYPT_HASHSIZE; j++) out[j] = (out[j] as number) ^ (tmp[j] as number);
    }
    const take = Math.min(amount, remaining);
    let i = 0;
    for (; i < take; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i] as number;
    }
    remaining -= i;
  }
  return key;
}
