/**
 * umac-64@openssh.com, umac-128@openssh.com and their -etm forms: UMAC (RFC 4418) with a 16-byte
 * key and the 64-bit big-endian sequence number as nonce; the MAC covers the packet only (the
 * sequence number is the nonce, not a prefix). OpenSSH PROTOCOL §1.4.
 * @module
 */

import { timingSafeEqual } from 'node:crypto';
import { Umac } from '../primitives/umac.ts';
import type { Mac, MacImpl } from './types.ts';

export function umacMac(tagLength: 8 | 16, etm: boolean): MacImpl {
  return {
    keyLength: 16,
    tagLength,
    etm,
    create(key): Mac {
      const umac = new Umac(key, tagLength);
      const nonce = new Uint8Array(8);
      const computeParts = (seq: number, parts: readonly Uint8Array[]): Uint8Array => {
        const s = seq >>> 0;
        nonce[4] = s >>> 24;
        nonce[5] = (s >>> 16) & 0xff;
        nonce[6] = (s >>> 8) & 0xff;
        nonce[7] = s & 0xff;
        return umac.tagParts(parts, nonce);
      };
      const compute = (seq: number, data: Uint8Array): Uint8Array => computeParts(seq, [data]);
      return {
        compute,
        computeParts,
        verify: (seq, data, tag) => tag.length === tagLength && timingSafeEqual(compute(seq, data), tag),
      };
    },
  };
}
