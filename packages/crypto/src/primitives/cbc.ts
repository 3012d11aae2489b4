/**
 * CBC mode over a block cipher written here (Blowfish, CAST-128, SEED), chained across calls as
 * SSH chains it across packets. NIST SP 800-38A §6.2.
 * @module
 */

import { CryptoParameterError } from '../errors.ts';
import type { CipherStream } from '../cipher/types.ts';

/** A raw block cipher: one block from src[si..] to dst[di..]. */
export interface BlockCipher {
  readonly blockLength: number;
  encryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void;
  decryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void;
}

/** A CBC `CipherStream`: the chaining value carries from one `update` to the next. */
export function cbcStream(cipher: BlockCipher, iv: Uint8Array, direction: 'encrypt' | 'decrypt'): CipherStream {
  const bs = cipher.blockLength;
  if (iv.length !== bs) throw new CryptoParameterError(`iv must be ${bs} bytes, got ${iv.length}`);
  const chain = Uint8Array.from(iv);
  const tmp = new Uint8Array(bs);
  return {
    update(data) {
      if (data.length % bs !== 0) throw new CryptoParameterError(`data length ${data.length} is not a multiple of the block size ${bs}`);
      const out = new Uint8Array(data.length);
      if (direction === 'encrypt') {
        for (let off = 0; off < data.length; off += bs) {
          for (let i = 0; i < bs; i++) tmp[i] = (data[off + i] as number) ^ (chain[i] as number);
          cipher.encryptBlock(tmp, 0, out, off);
          chain.set(out.subarray(off, off + bs));
        }
      } else {
        for (let off = 0; off < data.length; off += bs) {
          cipher.decryptBlock(data, off, tmp, 0);
          for (let i = 0; i < bs; i++) out[off + i] = (tmp[i] as number) ^ (chain[i] as number);
          chain.set(data.subarray(off, off + bs));
        }
      }
      return out;
    },
  };
}
