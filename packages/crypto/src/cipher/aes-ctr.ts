/**
 * aes128-ctr, aes192-ctr, aes256-ctr: AES in counter mode, the counter running across packets.
 * RFC 4344 §4. OpenSSL through node:crypto.
 * @module
 */

import { nodeStreamCipher } from './node-stream.ts';
import type { StreamCipherImpl } from './types.ts';

export const aes128Ctr: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('aes-128-ctr', 16, 16, 16);
export const aes192Ctr: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('aes-192-ctr', 24, 16, 16);
export const aes256Ctr: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('aes-256-ctr', 32, 16, 16);
