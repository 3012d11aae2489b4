/**
 * Streamlined NTRU Prime 761: sizes, round trips, implicit rejection, determinism. (Agreement
 * with OpenSSH's implementation is checked in openssh.interop.test.ts through
 * sntrup761x25519-sha512.)
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoParameterError } from '../src/index.ts';
import {
  SNTRUP761_CIPHERTEXT_BYTES,
  SNTRUP761_PUBLIC_KEY_BYTES,
  SNTRUP761_SECRET_KEY_BYTES,
  sntrup761Decapsulate,
  sntrup761Encapsulate,
  sntrup761Keygen,
} from '../src/primitives/sntrup761.ts';
import { toHex } from './helpers/hex.ts';

/** Deterministic random bytes: SHA-512 in counter mode over a label. */
function seeded(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 64) {
      const block = createHash('sha512').update(`${label}:${counter++}`).digest();
      out.set(block.subarray(0, Math.min(64, n - at)), at);
    }
    return out;
  };
}

describe('sntrup761', () => {
  const kp = sntrup761Keygen(seeded('key'));

  it('has the specified sizes', () => {
    expect(kp.publicKey.length).toBe(SNTRUP761_PUBLIC_KEY_BYTES);
    expect(kp.secretKey.length).toBe(SNTRUP761_SECRET_KEY_BYTES);
    expect(kp.secretKey.subarray(382, 382 + 1158)).toEqual(kp.publicKey);
  });

  it('decapsulates what it encapsulates, for several messages', () => {
    for (let i = 0; i < 3; i++) {
      const enc = sntrup761Encapsulate(kp.publicKey, seeded(`enc${i}`));
      expect(enc.cipherText.length).toBe(SNTRUP761_CIPHERTEXT_BYTES);
      expect(toHex(sntrup761Decapsulate(enc.cipherText, kp.secretKey))).toBe(toHex(enc.sharedSecret));
    }
  });

  it('is deterministic given the random source', () => {
    const again = sntrup761Keygen(seeded('key'));
    expect(toHex(again.publicKey)).toBe(toHex(kp.publicKey));
    const a = sntrup761Encapsulate(kp.publicKey, seeded('x'));
    const b = sntrup761Encapsulate(kp.publicKey, seeded('x'));
    expect(toHex(a.cipherText)).toBe(toHex(b.cipherText));
  });

  it('implicit rejection: a modified ciphertext yields SHA-512(0 || SHA-512(3 || rho) || ct), not the secret', () => {
    const enc = sntrup761Encapsulate(kp.publicKey, seeded('y'));
    for (const at of [0, 500, 1006, 1007, 1038]) {
      const bad = Uint8Array.from(enc.cipherText);
      bad[at] = (bad[at] as number) ^ 0x01;
      const ss = sntrup761Decapsulate(bad, kp.secretKey);
      expect(toHex(ss)).not.toBe(toHex(enc.sharedSecret));
      const rho = kp.secretKey.subarray(1540, 1731);
      const inner = createHash('sha512').update(Uint8Array.of(3)).update(rho).digest().subarray(0, 32);
      const expected = createHash('sha512').update(Uint8Array.of(0)).update(inner).update(bad).digest().subarray(0, 32);
      expect(toHex(ss)).toBe(toHex(new Uint8Array(expected)));
    }
  });

  it('rejects wrong sizes with CryptoParameterError', () => {
    expect(() => sntrup761Encapsulate(new Uint8Array(10), seeded('z'))).toThrow(CryptoParameterError);
    expect(() => sntrup761Decapsulate(new Uint8Array(10), kp.secretKey)).toThrow(CryptoParameterError);
    expect(() => sntrup761Decapsulate(new Uint8Array(1039), new Uint8Array(5))).toThrow(CryptoParameterError);
  });
});
