/**
 * The WebAssembly-backed sntrup761 against the scalar implementation in helpers (which follows
 * the specification step by step): same keys, ciphertexts and shared secrets for many seeds, and
 * the same implicit-rejection secrets for damaged and random ciphertexts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sntrup761Decapsulate, sntrup761Encapsulate, sntrup761Keygen } from '../src/primitives/sntrup761.ts';
import * as reference from './helpers/sntrup761-reference.ts';
import { toHex } from './helpers/hex.ts';

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

describe('sntrup761 against the scalar reference', () => {
  it('derives the same key pairs, ciphertexts and shared secrets', () => {
    for (let i = 0; i < 6; i++) {
      const ours = sntrup761Keygen(seeded(`kp${i}`));
      const ref = reference.sntrup761Keygen(seeded(`kp${i}`));
      expect(toHex(ours.publicKey)).toBe(toHex(ref.publicKey));
      expect(toHex(ours.secretKey)).toBe(toHex(ref.secretKey));
      const enc = sntrup761Encapsulate(ours.publicKey, seeded(`enc${i}`));
      const refEnc = reference.sntrup761Encapsulate(ref.publicKey, seeded(`enc${i}`));
      expect(toHex(enc.cipherText)).toBe(toHex(refEnc.cipherText));
      expect(toHex(enc.sharedSecret)).toBe(toHex(refEnc.sharedSecret));
      expect(toHex(sntrup761Decapsulate(enc.cipherText, ours.secretKey))).toBe(toHex(enc.sharedSecret));
    }
  });

  it('encapsulates to public keys of arbitrary bytes as the reference does', () => {
    for (let i = 0; i < 3; i++) {
      const pk = seeded(`pk${i}`)(1158);
      const enc = sntrup761Encapsulate(pk, seeded(`e${i}`));
      const refEnc = reference.sntrup761Encapsulate(pk, seeded(`e${i}`));
      expect(toHex(enc.cipherText)).toBe(toHex(refEnc.cipherText));
      expect(toHex(enc.sharedSecret)).toBe(toHex(refEnc.sharedSecret));
    }
  });

  it('rejects damaged and random ciphertexts with the same secrets as the reference', () => {
    const kp = sntrup761Keygen(seeded('reject'));
    const enc = sntrup761Encapsulate(kp.publicKey, seeded('reject-enc'));
    const cases = [seeded('random-ct')(1039), seeded('random-ct2')(1039)];
    for (const at of [0, 1, 300, 1006, 1007, 1038]) {
      const bad = Uint8Array.from(enc.cipherText);
      bad[at] = (bad[at] as number) ^ 0x80;
      cases.push(bad);
    }
    for (const ct of cases) {
      const ss = sntrup761Decapsulate(ct, kp.secretKey);
      expect(toHex(ss)).toBe(toHex(reference.sntrup761Decapsulate(ct, kp.secretKey)));
      expect(toHex(ss)).not.toBe(toHex(enc.sharedSecret));
    }
  });
});
