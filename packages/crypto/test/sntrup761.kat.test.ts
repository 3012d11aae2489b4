/**
 * sntrup761 against the NTRU Prime submission's known-answer test: the count = 0 record
 * ("count = 0\nseed = …\npk = …\nsk = …\nct = …\nss = …\n", NIST's KAT generator with its
 * AES-256 CTR_DRBG) must hash to the published digest (PQClean's crypto_kem/sntrup761 META.yml,
 * nistkat-sha256).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sntrup761Decapsulate, sntrup761Encapsulate, sntrup761Keygen } from '../src/index.ts';
import { NistKatDrbg } from './helpers/nist-drbg.ts';

const NISTKAT_SHA256 = '2eba10673b9077530ba9c063d22f2534e415a6da42985c333c6baee133cc0ff1';
const hexU = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

describe('sntrup761 known-answer test', () => {
  it('reproduces the NIST KAT record count = 0', () => {
    const seed = new NistKatDrbg(Uint8Array.from({ length: 48 }, (_, i) => i)).bytes(48);
    expect(hexU(seed)).toBe('061550234D158C5EC95595FE04EF7A25767F2E24CC2BC479D09D86DC9ABCFDE7056A8C266F9EF97ED08541DBD2E1FFA1');
    const drbg = new NistKatDrbg(seed);
    // The reference draws each 32-bit random word with its own randombytes(4) call.
    const random = (n: number): Uint8Array => {
      if (n !== 4 * 761) return drbg.bytes(n);
      const out = new Uint8Array(n);
      for (let i = 0; i < 761; i++) out.set(drbg.bytes(4), 4 * i);
      return out;
    };
    const { publicKey, secretKey } = sntrup761Keygen(random);
    const { cipherText, sharedSecret } = sntrup761Encapsulate(publicKey, random);
    expect(hexU(sntrup761Decapsulate(cipherText, secretKey))).toBe(hexU(sharedSecret));
    const record = `count = 0\nseed = ${hexU(seed)}\npk = ${hexU(publicKey)}\nsk = ${hexU(secretKey)}\nct = ${hexU(cipherText)}\nss = ${hexU(sharedSecret)}\n`;
    expect(createHash('sha256').update(record).digest('hex')).toBe(NISTKAT_SHA256);
  });
});
