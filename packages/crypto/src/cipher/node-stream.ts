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

/**
 * A stream whose next bytes can also be encrypted into a buffer with room around them (CTR: the
 * keystream at any position is one new OpenSSL cipher away). The packet layer uses it to get the
 * whole wire packet out of one cipher call: OpenSSL's output buffer is the packet, with the length
 * field (or nothing) before the ciphertext and the MAC after it, and no copy into another buffer.
 */
export interface RoomyCipherStream extends CipherStream {
  /**
   * Encrypts `input[start, end)` as the next bytes of the stream and returns OpenSSL's output for
   * the whole of `input` (same length): the ciphertext at `[start, end)`, unspecified bytes
   * elsewhere, to be overwritten. `start` is a whole number of blocks; the stream advances by
   * `end - start` bytes.
   */
  updateInRoom(input: Uint8Array, start: number, end: number): Uint8Array;
}

export function isRoomy(stream: CipherStream): stream is RoomyCipherStream {
  return typeof (stream as Partial<RoomyCipherStream>).updateInRoom === 'function';
}

/**
 * AES-CTR (RFC 4344 §4): the IV is a 128-bit big-endian counter incremented per block, running
 * across packets. Decryption keeps one OpenSSL cipher per direction. Encryption also offers
 * `updateInRoom`: a new cipher started at the block before the current position; the plain
 * `update` goes on from wherever the stream stands (a new cipher after an `updateInRoom`).
 */
export function ctrStreamCipher(opensslName: string, keyLength: number): StreamCipherImpl {
  const BLOCK = 16;
  const plain = nodeStreamCipher(opensslName, keyLength, BLOCK, BLOCK);
  return {
    ...plain,
    createCipher(key, iv, direction): CipherStream {
      if (direction === 'decrypt') return plain.createCipher(key, iv, direction);
      checkLength('key', key, keyLength);
      checkLength('iv', iv, BLOCK);
      const k = Buffer.from(key);
      const base = new DataView(Uint8Array.from(iv).buffer);
      const at = Buffer.alloc(BLOCK);
      const atView = new DataView(at.buffer, at.byteOffset, BLOCK);
      let position = 0; // bytes encrypted so far
      let current: ReturnType<typeof createCipheriv> | undefined;
      // A cipher whose first keystream byte is that of block `block` (may be -1: the IV minus one).
      const cipherAt = (block: number): ReturnType<typeof createCipheriv> => {
        // base + block, modulo 2^128, as four 32-bit words (block is an integer > -2^32 and < 2^53).
        let carry = block < 0 ? block + 0x100000000 : block % 0x100000000;
        let high = block < 0 ? 0xffffffff : Math.floor(block / 0x100000000);
        for (let w = 12; w >= 0; w -= 4) {
          const sum = base.getUint32(w) + carry;
          atView.setUint32(w, sum >>> 0);
          carry = (sum > 0xffffffff ? 1 : 0) + high;
          high = block < 0 ? 0xffffffff : 0;
        }
        return createCipheriv(opensslName, k, at);
      };
      const stream: RoomyCipherStream = {
        acceptsPartial: true,
        update(data) {
          if (current === undefined) {
            current = cipherAt(Math.floor(position / BLOCK));
            const into = position % BLOCK;
            if (into !== 0) current.update(new Uint8Array(into));
          }
          position += data.length;
          return current.update(data);
        },
        updateInRoom(input, start, end) {
          if (start % BLOCK !== 0 || start > end || end > input.length) {
            throw new CryptoParameterError(`updateInRoom: bad range ${start}..${end} of ${input.length}`);
          }
          let out: Uint8Array;
          if (position % BLOCK === 0) {
            out = cipherAt(position / BLOCK - start / BLOCK).update(input);
            current = undefined; // the long-lived cipher, if any, is behind now
          } else {
            // Mid-block (a caller mixing unaligned updates): encrypt the range alone.
            out = Buffer.allocUnsafe(input.length);
            out.set(stream.update(input.subarray(start, end)), start);
            return out;
          }
          position += end - start;
          return out;
        },
      };
      return stream;
    },
  };
}
