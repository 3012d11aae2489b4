/**
 * HMAC MACs (RFC 2104) as SSH uses them: MAC(key, uint32 seq || data), possibly truncated
 * (the -96 names keep 12 bytes), plain or encrypt-then-MAC. RFC 4253 §6.4, RFC 6668,
 * OpenSSH PROTOCOL §1.5. OpenSSL through node:crypto.
 * @module
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkLength } from '../cipher/node-stream.ts';
import type { HashName } from '../hash.ts';
import type { Mac, MacImpl } from './types.ts';

/** An HMAC MAC over `hashName`, with the given key and (truncated) output length. */
export function hmacMac(hashName: HashName, keyLength: number, tagLength: number, etm: boolean): MacImpl {
  return {
    keyLength,
    tagLength,
    etm,
    create(key): Mac {
      checkLength('MAC key', key, keyLength);
      const k = Buffer.from(key);
      const seqBuf = Buffer.alloc(4);
      const computeParts = (seq: number, parts: readonly Uint8Array[]): Uint8Array => {
        seqBuf.writeUInt32BE(seq >>> 0, 0);
        const h = createHmac(hashName, k).update(seqBuf);
        for (const p of parts) h.update(p);
        const d = h.digest();
        return d.length === tagLength ? d : d.subarray(0, tagLength);
      };
      const compute = (seq: number, data: Uint8Array): Uint8Array => computeParts(seq, [data]);
      return {
        compute,
        computeParts,
        verify(seq, data, tag) {
          return tag.length === tagLength && timingSafeEqual(compute(seq, data), tag);
        },
      };
    },
  };
}
