/**
 * cast128-cbc: CAST-128 with a 128-bit key in CBC mode. RFC 4253 §6.3. Ours (OpenSSL 3 keeps
 * CAST in its legacy provider, which node does not load).
 * @module
 */

import { checkLength } from '../cipher/node-stream.ts';
import type { StreamCipherImpl } from '../cipher/types.ts';
import { Cast128 } from '../primitives/cast128.ts';
import { cbcStream } from '../primitives/cbc.ts';

export const cast128Cbc: StreamCipherImpl = {
  keyLength: 16,
  ivLength: 8,
  blockLength: 8,
  tagLength: 0,
  aead: false,
  createCipher(key, iv, direction) {
    checkLength('key', key, 16);
    return cbcStream(new Cast128(key), iv, direction);
  },
};
