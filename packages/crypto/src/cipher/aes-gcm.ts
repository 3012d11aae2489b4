/**
 * aes128-gcm@openssh.com, aes256-gcm@openssh.com: AES-GCM as RFC 5647 defines it with OpenSSH's
 * rules (OpenSSH PROTOCOL §1.6): the packet length is associated data sent in clear, the 12-byte
 * nonce is a 4-byte fixed field and an 8-byte invocation counter incremented after every packet,
 * the MAC negotiation is skipped. OpenSSL through node:crypto.
 * @module
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { MacError, PacketLengthError } from '../errors.ts';
import { checkLength } from './node-stream.ts';
import type { AeadCipher, AeadCipherImpl } from './types.ts';

const TAG = 16;

function gcm(keyLength: 16 | 32): AeadCipherImpl {
  const algo = keyLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  return {
    keyLength,
    ivLength: 12,
    blockLength: 16,
    tagLength: TAG,
    aead: true,
    createAead(key, iv0): AeadCipher {
      checkLength('key', key, keyLength);
      checkLength('iv', iv0, 12);
      const iv = Buffer.from(iv0);
      const k = Buffer.from(key);
      const next = (): void => {
        // The invocation counter is the last 8 bytes, big-endian, wrapping modulo 2^64.
        for (let i = 11; i >= 4; i--) {
          iv[i] = ((iv[i] as number) + 1) & 0xff;
          if (iv[i] !== 0) break;
        }
      };
      return {
        seal(_seq, data, aadLength) {
          const c = createCipheriv(algo, k, iv, { authTagLength: TAG });
          if (aadLength > 0) c.setAAD(data.subarray(0, aadLength));
          const ct = c.update(data.subarray(aadLength));
          c.final();
          const out = Buffer.allocUnsafe(data.length + TAG);
          out.set(data.subarray(0, aadLength), 0);
          out.set(ct, aadLength);
          out.set(c.getAuthTag(), data.length);
          next();
          return out;
        },
        sealParts(_seq, lengthField, parts) {
          const c = createCipheriv(algo, k, iv, { authTagLength: TAG });
          c.setAAD(lengthField);
          const out: Uint8Array[] = [lengthField];
          for (const p of parts) out.push(c.update(p));
          c.final();
          out.push(c.getAuthTag());
          next();
          return out;
        },
        decryptLength(_seq, head) {
          if (head.length < 4) throw new PacketLengthError(head.length, 'need 4 bytes of packet header');
          return (((head[0] as number) << 24) | ((head[1] as number) << 16) | ((head[2] as number) << 8) | (head[3] as number)) >>> 0;
        },
        open(_seq, packet, aadLength) {
          if (packet.length < aadLength + TAG) throw new MacError('packet shorter than its authentication tag');
          const end = packet.length - TAG;
          const d = createDecipheriv(algo, k, iv, { authTagLength: TAG });
          if (aadLength > 0) d.setAAD(packet.subarray(0, aadLength));
          d.setAuthTag(packet.subarray(end));
          const pt = d.update(packet.subarray(aadLength, end));
          try {
            d.final();
          } catch (cause) {
            throw new MacError('AES-GCM authentication tag mismatch', { cause });
          }
          next();
          return pt;
        },
      };
    },
  };
}

export const aes128Gcm: AeadCipherImpl = /* @__PURE__ */ gcm(16);
export const aes256Gcm: AeadCipherImpl = /* @__PURE__ */ gcm(32);
