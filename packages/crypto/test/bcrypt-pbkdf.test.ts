/** bcrypt_pbkdf against pyca/bcrypt's kdf() (vectors/bcrypt-pbkdf.json). */
import { describe, expect, it } from 'vitest';
import { bcryptPbkdf, CryptoParameterError } from '../src/index.ts';
import { hex, loadVectors, toHex } from './helpers/hex.ts';

interface Vector {
  password: string;
  salt: string;
  rounds: number;
  keyLength: number;
  key: string;
}

describe('bcryptPbkdf', () => {
  const vectors = loadVectors<Vector[]>('bcrypt-pbkdf.json');
  it.each(vectors.map((v) => [v.keyLength, v.rounds, v] as const))('derives %i bytes in %i rounds', (_k, _r, v) => {
    expect(toHex(bcryptPbkdf(hex(v.password), hex(v.salt), v.keyLength, v.rounds))).toBe(v.key);
  });

  it('rejects out-of-range parameters with CryptoParameterError', () => {
    const p = hex('70');
    expect(() => bcryptPbkdf(p, p, 32, 0)).toThrow(CryptoParameterError);
    expect(() => bcryptPbkdf(p, p, 0, 1)).toThrow(CryptoParameterError);
    expect(() => bcryptPbkdf(p, p, 1025, 1)).toThrow(CryptoParameterError);
    expect(() => bcryptPbkdf(p, new Uint8Array(0), 32, 1)).toThrow(CryptoParameterError);
    expect(() => bcryptPbkdf(new Uint8Array(0), p, 32, 1)).toThrow(CryptoParameterError);
  });
});
