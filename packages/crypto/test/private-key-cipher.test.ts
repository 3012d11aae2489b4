/** cipherKeyInfo / cipherEncrypt / cipherDecrypt: sizes, round trips, typed errors. */
import { describe, expect, it } from 'vitest';
import {
  cipherAlgorithms,
  cipherDecrypt,
  cipherEncrypt,
  cipherKeyInfo,
  CryptoParameterError,
  MacError,
  UnknownAlgorithmError,
} from '../src/index.ts';
import { detBytes } from './helpers/hex.ts';

describe('private-key cipher API', () => {
  it('reports OpenSSH sizes', () => {
    expect(cipherKeyInfo('none')).toEqual({ keyLength: 0, ivLength: 0, blockLength: 8, tagLength: 0 });
    expect(cipherKeyInfo('aes256-ctr')).toEqual({ keyLength: 32, ivLength: 16, blockLength: 16, tagLength: 0 });
    expect(cipherKeyInfo('chacha20-poly1305@openssh.com')).toEqual({ keyLength: 64, ivLength: 0, blockLength: 8, tagLength: 16 });
    expect(cipherKeyInfo('aes128-gcm@openssh.com')).toEqual({ keyLength: 16, ivLength: 12, blockLength: 16, tagLength: 16 });
    expect(cipherKeyInfo('3des-cbc')).toEqual({ keyLength: 24, ivLength: 8, blockLength: 8, tagLength: 0 });
  });

  it.each(cipherAlgorithms.map((s) => s.name))('%s round-trips and rejects tampering', (name) => {
    const info = cipherKeyInfo(name);
    const key = detBytes(info.keyLength, 7);
    const iv = detBytes(info.ivLength, 9);
    const data = detBytes(info.blockLength * 5, 11);
    const ct = cipherEncrypt(name, key, iv, data);
    expect(ct.length).toBe(data.length + info.tagLength);
    expect(Buffer.from(ct.subarray(0, data.length)).equals(Buffer.from(data))).toBe(false);
    expect(cipherDecrypt(name, key, iv, ct)).toEqual(data);
    if (info.tagLength > 0) {
      const bad = Uint8Array.from(ct);
      bad[3] = (bad[3] as number) ^ 1;
      expect(() => cipherDecrypt(name, key, iv, bad)).toThrow(MacError);
    }
  });

  it('throws typed errors for unknown names, misaligned data and wrong key sizes', () => {
    expect(() => cipherKeyInfo('rot13')).toThrow(UnknownAlgorithmError);
    expect(() => cipherEncrypt('rot13', new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).toThrow(UnknownAlgorithmError);
    expect(() => cipherEncrypt('aes128-ctr', new Uint8Array(16), new Uint8Array(16), new Uint8Array(15))).toThrow(CryptoParameterError);
    expect(() => cipherEncrypt('aes128-ctr', new Uint8Array(15), new Uint8Array(16), new Uint8Array(16))).toThrow(CryptoParameterError);
    expect(() => cipherDecrypt('aes128-gcm@openssh.com', new Uint8Array(16), new Uint8Array(12), new Uint8Array(8))).toThrow(
      CryptoParameterError,
    );
  });
});
