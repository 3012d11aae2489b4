/**
 * chacha20-poly1305@openssh.com. OpenSSH PROTOCOL.chacha20poly1305.
 *
 * 64 bytes of key: the first 32 are K_2 (payload), the last 32 K_1 (packet length). The nonce is
 * the sequence number as a 64-bit big-endian integer. The length is encrypted with K_1 at block
 * counter 0; the payload with K_2 from block counter 1; the Poly1305 key is the first 32 bytes of
 * K_2's block 0; the tag covers the encrypted length and the ciphertext.
 *
 * ChaCha20 runs in OpenSSL (node:crypto 'chacha20', 16-byte IV = 32-bit little-endian block
 * counter then 96-bit nonce; the original 64-bit-nonce variant is that IV with the high counter
 * word zero). Poly1305 is ours, in WebAssembly (OpenSSL exposes no standalone Poly1305 to node).
 * @module
 */

import { createCipheriv, timingSafeEqual } from 'node:crypto';
import { MacError, PacketLengthError } from '../errors.ts';
import { checkLength } from './node-stream.ts';
import { poly1305, poly1305Parts } from '../primitives/poly1305.ts';
import type { AeadCipher, AeadCipherImpl } from './types.ts';

const TAG = 16;
const ZERO64 = new Uint8Array(64);

export const chacha20Poly1305: AeadCipherImpl = {
  keyLength: 64,
  ivLength: 0,
  blockLength: 8,
  tagLength: TAG,
  aead: true,
  createAead(key): AeadCipher {
    checkLength('key', key, 64);
    const mainKey = Buffer.from(key.subarray(0, 32));
    const headerKey = Buffer.from(key.subarray(32, 64));
    const iv = Buffer.alloc(16); // [counter LE 4][counter high 4 = 0][nonce = seq as u64 BE]

    const setIv = (seq: number): void => {
      iv.writeUInt32BE(seq >>> 0, 12);
    };
    // Encrypts/decrypts (XOR) the 4-byte length with K_1, block 0.
    const xorLength = (seq: number, head: Uint8Array): Buffer => {
      setIv(seq);
      return createCipheriv('chacha20', headerKey, iv).update(head.subarray(0, 4));
    };
    // A keystream starting at K_2 block 0: returns the cipher and the one-time Poly1305 key.
    const mainStream = (seq: number): { c: ReturnType<typeof createCipheriv>; polyKey: Uint8Array } => {
      setIv(seq);
      const c = createCipheriv('chacha20', mainKey, iv);
      const polyKey = c.update(ZERO64).subarray(0, 32);
      return { c, polyKey };
    };
    const tagOf = (polyKey: Uint8Array, data: Uint8Array): Uint8Array => poly1305(data, polyKey);

    return {
      seal(seq, data, aadLength) {
        const { c, polyKey } = mainStream(seq);
        const out = Buffer.allocUnsafe(data.length + TAG);
        if (aadLength > 0) out.set(xorLength(seq, data), 0);
        out.set(c.update(data.subarray(aadLength)), aadLength);
        out.set(tagOf(polyKey, out.subarray(0, data.length)), data.length);
        return out;
      },
      sealParts(seq, lengthField, parts) {
        const { c, polyKey } = mainStream(seq);
        const out: Uint8Array[] = [xorLength(seq, lengthField)];
        for (const p of parts) out.push(c.update(p));
        out.push(poly1305Parts(out, polyKey));
        return out;
      },
      decryptLength(seq, head) {
        if (head.length < 4) throw new PacketLengthError(head.length, 'need 4 bytes of packet header');
        const b = xorLength(seq, head);
        return b.readUInt32BE(0);
      },
      open(seq, packet, aadLength) {
        if (packet.length < aadLength + TAG) throw new MacError('packet shorter than its authentication tag');
        const end = packet.length - TAG;
        const { c, polyKey } = mainStream(seq);
        const expected = tagOf(polyKey, packet.subarray(0, end));
        if (!timingSafeEqual(expected, packet.subarray(end))) throw new MacError('chacha20-poly1305 authentication tag mismatch');
        return c.update(packet.subarray(aadLength, end));
      },
    };
  },
};
