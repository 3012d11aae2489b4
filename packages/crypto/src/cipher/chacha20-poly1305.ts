/**
 * chacha20-poly1305@openssh.com. OpenSSH PROTOCOL.chacha20poly1305.
 *
 * 64 bytes of key: the first 32 are K_2 (payload), the last 32 K_1 (packet length). The nonce is
 * the sequence number as a 64-bit big-endian integer. The length is encrypted with K_1 at block
 * counter 0; the payload with K_2 from block counter 1; the Poly1305 key is the first 32 bytes of
 * K_2's block 0; the tag covers the encrypted length and the ciphertext.
 *
 * With @ssh/crypto-native's binding built, the whole packet runs there, on node's OpenSSL (both
 * ChaCha20 keys and the Poly1305 context kept per direction, packets written into buffers from
 * packet-buffers.ts): about a third of the cost per packet. Without it:
 *
 * The bulk ChaCha20 runs in OpenSSL (node:crypto 'chacha20', 16-byte IV = 32-bit little-endian
 * block counter then 96-bit nonce; the original 64-bit-nonce variant is that IV with the high
 * counter word zero): one cipher object and one `update` per packet. The rest runs in one
 * WebAssembly call per packet (src/primitives/poly1305.wat): the two one-block keystreams (length
 * and Poly1305 key) and Poly1305 itself (OpenSSL exposes no standalone Poly1305 to node).
 *
 * Sealing feeds OpenSSL a 64-byte prefix before the body, so that the body starts at block 1 and
 * node's output buffer already has room for the length before it and the tag after it: the packet
 * is that buffer, with no copy into another one.
 * @module
 */

import { createCipheriv } from 'node:crypto';
import { nativeChachaPoly, type ChachaPolyState, type NativeChachaPoly } from '@ssh/crypto-native';
import { CryptoParameterError, MacError, PacketLengthError } from '../errors.ts';
import { checkLength } from './node-stream.ts';
import { CHACHA_MAIN_KEY, MESSAGE, POLY_TAG, poly1305Wasm } from '../primitives/poly1305.ts';
import { takePacketBuffer } from '../packet-buffers.ts';
import type { AeadCipher, AeadCipherImpl } from './types.ts';

const TAG = 16;
/** One ChaCha20 block: what precedes the body in the buffer handed to OpenSSL when sealing. */
const BLOCK = 64;

/** The nonce word the WebAssembly block function takes: the sequence number's bytes, big-endian, read little-endian. */
function nonceWord(seq: number): number {
  const s = seq >>> 0;
  return ((s & 0xff) << 24) | ((s & 0xff00) << 8) | ((s >>> 8) & 0xff00) | (s >>> 24);
}

/** The length field: 4 bytes in packets, none in OpenSSH's private key files. */
function checkLengthField(field: Uint8Array): Uint8Array {
  if (field.length !== 0 && field.length !== 4) throw new CryptoParameterError(`chacha20-poly1305 takes 0 or 4 bytes of length, got ${field.length}`);
  return field;
}

/** Parts the binding seals in one call; more are joined first. */
const NATIVE_MAX_PARTS = 8;

/** The binding's chacha20-poly1305: a state per direction, made on first use from a copy of the key. */
function nativeAead(native: NativeChachaPoly, key0: Uint8Array): AeadCipher {
  const key = Uint8Array.from(key0);
  let sealer: ChachaPolyState | undefined;
  let opener: ChachaPolyState | undefined;
  const openState = (): ChachaPolyState => (opener ??= native.create(key, false));
  return {
    seal(seq, data, aadLength) {
      const lengthField = checkLengthField(data.subarray(0, aadLength));
      const out = takePacketBuffer(data.length + TAG); // every byte is written below
      native.seal((sealer ??= native.create(key, true)), seq >>> 0, lengthField, [data.subarray(aadLength)], out, 0);
      return out;
    },
    sealParts(seq, lengthField, parts) {
      let n = 0;
      for (const p of parts) n += p.length;
      const out = takePacketBuffer(checkLengthField(lengthField).length + n + TAG);
      native.seal((sealer ??= native.create(key, true)), seq >>> 0, lengthField, parts.length <= NATIVE_MAX_PARTS ? parts : [Buffer.concat(parts)], out, 0);
      return [out];
    },
    decryptLength(seq, head) {
      if (head.length < 4) throw new PacketLengthError(head.length, 'need 4 bytes of packet header');
      return native.length(openState(), seq >>> 0, head);
    },
    open(seq, packet, aadLength) {
      const head = checkLengthField(packet.subarray(0, aadLength)).length as 4 | 0;
      if (packet.length < head + TAG) throw new MacError('packet shorter than its authentication tag');
      const out = takePacketBuffer(packet.length - head - TAG);
      if (!native.open(openState(), seq >>> 0, packet, head, out)) throw new MacError('chacha20-poly1305 authentication tag mismatch');
      return out;
    },
  };
}

/** chacha20-poly1305@openssh.com on the binding when it is there (`useNative`), otherwise node:crypto and WebAssembly. */
function chachaPoly(useNative: boolean): AeadCipherImpl {
  return {
    keyLength: 64,
    ivLength: 0,
    blockLength: 8,
    tagLength: TAG,
    aead: true,
    createAead(key): AeadCipher {
      checkLength('key', key, 64);
      const native = useNative ? nativeChachaPoly() : undefined;
      if (native !== undefined) return nativeAead(native, key);
      const mainKey = Buffer.from(key.subarray(0, 32));
      const keys = Uint8Array.from(key); // K_2 || K_1, as the module's memory holds them
      const iv = Buffer.alloc(16); // [counter LE 4][counter high 4 = 0][nonce = seq as u64 BE]
      const wasm = poly1305Wasm();

      // OpenSSL's ChaCha20 under K_2 from block `counter` of packet `seq`.
      const mainCipher = (seq: number, counter: number): ReturnType<typeof createCipheriv> => {
        iv.writeUInt32LE(counter, 0);
        iv.writeUInt32BE(seq >>> 0, 12);
        return createCipheriv('chacha20', mainKey, iv);
      };

      // Body pieces (`parts`, `bodyLength` bytes in all) after `aad` (0 or 4 bytes: the length
      // field, encrypted with K_1 when present): returns aad' || ciphertext || tag.
      const sealBody = (seq: number, aad: Uint8Array, parts: readonly Uint8Array[], bodyLength: number): Uint8Array => {
        const a = aad.length;
        if (a !== 0 && a !== 4) throw new CryptoParameterError(`chacha20-poly1305 takes 0 or 4 bytes of length, got ${a}`);
        // The plaintext goes into module memory after one block of room (its contents do not
        // matter: OpenSSL's output there is dropped); OpenSSL encrypts block 0 (dropped), the body
        // from block 1, and TAG bytes of room for the tag.
        const mem = wasm.bytes(a + bodyLength + TAG);
        let at = MESSAGE + a;
        for (const p of parts) {
          mem.set(p, at);
          at += p.length;
        }
        const out = mainCipher(seq, 0).update(mem.subarray(MESSAGE + a - BLOCK, at + TAG));
        // Ciphertext back over the plaintext, the length before it; then length, key and tag.
        mem.set(out.subarray(BLOCK, BLOCK + bodyLength), MESSAGE + a);
        if (a !== 0) mem.set(aad, MESSAGE);
        mem.set(keys, CHACHA_MAIN_KEY);
        wasm.exports.seal(MESSAGE, a + bodyLength, a, nonceWord(seq));
        if (a !== 0) out.set(mem.subarray(MESSAGE, MESSAGE + a), BLOCK - a);
        out.set(mem.subarray(POLY_TAG, POLY_TAG + TAG), BLOCK + bodyLength);
        return new Uint8Array(out.buffer, out.byteOffset + BLOCK - a, a + bodyLength + TAG);
      };

      return {
        seal(seq, data, aadLength) {
          return sealBody(seq, data.subarray(0, aadLength), [data.subarray(aadLength)], data.length - aadLength);
        },
        sealParts(seq, lengthField, parts) {
          let n = 0;
          for (const p of parts) n += p.length;
          return [sealBody(seq, lengthField, parts, n)];
        },
        decryptLength(seq, head) {
          if (head.length < 4) throw new PacketLengthError(head.length, 'need 4 bytes of packet header');
          const mem = wasm.bytes(4);
          mem.set(head.subarray(0, 4), MESSAGE);
          mem.set(keys, CHACHA_MAIN_KEY);
          wasm.exports.length(MESSAGE, nonceWord(seq));
          return (((mem[MESSAGE] as number) << 24) | ((mem[MESSAGE + 1] as number) << 16) | ((mem[MESSAGE + 2] as number) << 8) | (mem[MESSAGE + 3] as number)) >>> 0;
        },
        open(seq, packet, aadLength) {
          if (packet.length < aadLength + TAG) throw new MacError('packet shorter than its authentication tag');
          const end = packet.length - TAG;
          const mem = wasm.bytes(end);
          mem.set(packet, MESSAGE); // the tag lands right after the authenticated bytes, where open() reads it
          mem.set(keys, CHACHA_MAIN_KEY);
          if (wasm.exports.open(MESSAGE, end, nonceWord(seq)) !== 1) throw new MacError('chacha20-poly1305 authentication tag mismatch');
          return mainCipher(seq, 1).update(packet.subarray(aadLength, end));
        },
      };
    },
  };
}

export const chacha20Poly1305: AeadCipherImpl = /* @__PURE__ */ chachaPoly(true);
/** The same on node:crypto and WebAssembly only (what runs without the binding), for tests. */
export const chacha20Poly1305Fallback: AeadCipherImpl = /* @__PURE__ */ chachaPoly(false);
