/**
 * 3des-cbc: three-key triple DES (EDE) in CBC mode. RFC 4253 §6.3. OpenSSL through node:crypto.
 * @module
 */

import { nodeStreamCipher } from '../cipher/node-stream.ts';
import type { StreamCipherImpl } from '../cipher/types.ts';

export const tripleDesCbc: StreamCipherImpl = /* @__PURE__ */ nodeStreamCipher('des-ede3-cbc', 24, 8, 8);
