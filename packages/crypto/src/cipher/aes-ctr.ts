/**
 * aes128-ctr, aes192-ctr, aes256-ctr: AES in counter mode, the counter running across packets.
 * RFC 4344 §4. OpenSSL through node:crypto; the sealing side can encrypt a packet straight into a
 * buffer with room for its length field and MAC (`ctrStreamCipher`).
 * @module
 */

import { ctrStreamCipher } from './node-stream.ts';
import type { StreamCipherImpl } from './types.ts';

export const aes128Ctr: StreamCipherImpl = /* @__PURE__ */ ctrStreamCipher('aes-128-ctr', 16);
export const aes192Ctr: StreamCipherImpl = /* @__PURE__ */ ctrStreamCipher('aes-192-ctr', 24);
export const aes256Ctr: StreamCipherImpl = /* @__PURE__ */ ctrStreamCipher('aes-256-ctr', 32);
