/**
 * arcfour (RFC 4253 §6.3, 128-bit key, no discard) and arcfour128 / arcfour256 (RFC 4345: the
 * first 1536 bytes of keystream are discarded). Ours (OpenSSL 3 keeps RC4 in its legacy provider).
 * @module
 */

import { checkLength } from '../cipher/node-stream.ts';
import type { StreamCipherImpl } from '../cipher/types.ts';
import { Rc4 } from '../primitives/rc4.ts';

/** RFC 4345 §4: discard the first 1536 bytes of keystream. */
export const ARCFOUR_DISCARD = 1536;

function arcfourCipher(keyLength: number, discard: number): StreamCipherImpl {
  return {
    keyLength,
    ivLength: 0,
    blockLength: 8,
    tagLength: 0,
    aead: false,
    createCipher(key) {
      checkLength('key', key, keyLength);
      const rc4 = new Rc4(key);
      if (discard > 0) rc4.skip(discard);
      return { acceptsPartial: true, update: (data) => rc4.process(data) };
    },
  };
}

export const arcfour: StreamCipherImpl = /* @__PURE__ */ arcfourCipher(16, 0);
export const arcfour128: StreamCipherImpl = /* @__PURE__ */ arcfourCipher(16, ARCFOUR_DISCARD);
export const arcfour256: StreamCipherImpl = /* @__PURE__ */ arcfourCipher(32, ARCFOUR_DISCARD);
