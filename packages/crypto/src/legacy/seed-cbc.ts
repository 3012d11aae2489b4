/**
 * seed-cbc@ssh.com: SEED (RFC 4269) in CBC mode, 128-bit key. Ours (OpenSSL 3 keeps SEED in its
 * legacy provider, which node does not load).
 * @module
 */

import { checkLength } from '../cipher/node-stream.ts';
import type { StreamCipherImpl } from '../cipher/types.ts';
import { cbcStream } from '../primitives/cbc.ts';
import { Seed } from '../primitives/seed.ts';

export const seedCbc: StreamCipherImpl = {
  keyLength: 16,
  ivLength: 16,
  blockLength: 16,
  tagLength: 0,
  aead: false,
  createCipher(key, iv, direction) {
    checkLength('key', key, 16);
    return cbcStream(new Seed(key), iv, direction);
  },
};
