/**
 * blowfish-cbc: Blowfish with a 128-bit key in CBC mode. RFC 4253 §6.3. Ours (OpenSSL 3 keeps
 * Blowfish in its legacy provider, which node does not load).
 * @module
 */

import { checkLength } from '../cipher/node-stream.ts';
import type { StreamCipherImpl } from '../cipher/types.ts';
import { Blowfish } from '../primitives/blowfish.ts';
import { cbcStream } from '../primitives/cbc.ts';

export const blowfishCbc: StreamCipherImpl = {
  keyLength: 16,
  ivLength: 8,
  blockLength: 8,
  tagLength: 0,
  aead: false,
  createCipher(key, iv, direction) {
    checkLength('key', key, 16);
    const bf = Blowfish.fromKey(key);
    return cbcStream({ blockLength: 8, encryptBlock: (s, si, d, di) => bf.encryptBlock(s, si, d, di), decryptBlock: (s, si, d, di) => bf.decryptBlock(s, si, d, di) }, iv, direction);
  },
};
