/**
 * aes128-cbc, aes192-cbc, aes256-cbc: AES in CBC mode chained across packets. RFC 4253 §6.3.
 * OpenSSL through node:crypto.
 * @module
 */

import { nodeStreamCipher } from './node-stream.ts';
import type { StreamCipherImpl } from './types.ts';

export const aes128Cbc: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('aes-128-cbc', 16, 16, 16);
export const aes192Cbc: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('aes-192-cbc', 24, 16, 16);
export const aes256Cbc: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('aes-256-cbc', 32, 16, 16);
