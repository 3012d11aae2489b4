/**
 * Stream and block-mode ciphers OpenSSL provides (CTR, CBC): one Cipheriv object per direction,
 * reused for every packet, since SSH chains CBC and counts CTR across packets. RFC 4253 §6.3,
 * RFC 4344 §4.
 * @module
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoParameterError } from '../errors.ts';
import type { CipherStream, StreamCipherImpl } from './types.ts';

/** Checks a key or IV length (API misuse otherwise). */
export function checkLength(what: string, value: Uint8Array, expected: number): void {
  if (value.length !== expected) throw new CryptoParameterError(`${what} must be ${expected} bytes, got ${value.length}`);
}

/** A `StreamCipherImpl` over an OpenSSL cipher name, padding off. */
export function nodeStreamCipher(opensslName: string, keyLength: number, ivLength: number, blockLength: number): StreamCipherImpl {
  return {
    keyLength,
    ivLength,
    blockLength,
    tagLength: 0,
    aead: false,
    createCipher(key, iv, direction): CipherStream {
      checkLength('key', key, keyLength);
      checkLength('iv', iv, ivLength);
      const c = direction === 'encrypt' ? createCipheriv(opensslName, key, iv) : createDecipheriv(opensslName, key, iv);
      c.setAutoPadding(false);
      return {
        acceptsPartial: true,
        // Pieces of any length: OpenSSL keeps a partial block until the rest arrives. Callers
        // keep the total block-aligned (the packet layer by padding, cipherEncrypt by checking).
        update: (data: Uint8Array): Uint8Array => c.update(data),
      };
    },
  };
}
