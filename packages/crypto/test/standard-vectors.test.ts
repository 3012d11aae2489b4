/**
 * Published vectors for the algorithms that run in OpenSSL, through our interfaces: RFC 4231
 * (HMAC-SHA-2), NIST SP 800-38A F.5.1 (AES-128-CTR), McGrew-Viega GCM test case 2, and the MODP
 * primes of RFC 2409 §6.2 and RFC 3526 rebuilt from their definition in terms of pi.
 */
import { describe, expect, it } from 'vitest';
import { cipherEncrypt, createStandardRegistry, hmac, modpGroup } from '../src/index.ts';
import { hex, toHex } from './helpers/hex.ts';
import { piFractionBits } from './helpers/pi.ts';

const registry = createStandardRegistry();

describe('RFC 4231 HMAC-SHA-2', () => {
  const key1 = new Uint8Array(20).fill(0x0b);
  const hiThere = new TextEncoder().encode('Hi There');
  it.each([
    ['sha224', '896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22'],
    ['sha256', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['sha384', 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6'],
    ['sha512', '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'],
  ] as const)('test case 1, %s', (name, expected) => {
    expect(toHex(hmac(name, key1, hiThere))).toBe(expected);
  });

  it('test case 2, sha256', () => {
    const key = new TextEncoder().encode('Jefe');
    expect(toHex(hmac('sha256', key, new TextEncoder().encode('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('SSH MACs are HMAC over uint32 seq || data, truncated for -96', () => {
    const key = new Uint8Array(32).fill(7);
    const data = new TextEncoder().encode('packet');
    const seq = Uint8Array.of(0, 0, 1, 2);
    const full = hmac('sha256', key, seq, data);
    expect(toHex(registry.require('mac', 'hmac-sha2-256').impl.create(key).compute(258, data))).toBe(toHex(full));
    expect(toHex(registry.require('mac', 'hmac-sha2-256-96').impl.create(key).compute(258, data))).toBe(toHex(full.subarray(0, 12)));
  });
});

describe('AES through the cipher interfaces', () => {
  it('NIST SP 800-38A F.5.1 CTR-AES128.Encrypt', () => {
    const ct = cipherEncrypt(
      'aes128-ctr',
      hex('2b7e151628aed2a6abf7158809cf4f3c'),
      hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'),
      hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51'),
    );
    expect(toHex(ct)).toBe('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
  });

  it('GCM test case 2 (McGrew and Viega): zero key, zero IV, one zero block', () => {
    const out = cipherEncrypt('aes128-gcm@openssh.com', new Uint8Array(16), new Uint8Array(12), new Uint8Array(16));
    expect(toHex(out)).toBe('0388dace60b6a392f328c2b971b2fe78' + 'ab6e47d42cec13bdf53a67b21257bddf');
  });
});

describe('MODP primes from their definition (RFC 2409 §6.2, RFC 3526)', () => {
  // p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k)
  it.each([
    [1, 1024, 129093n],
    [14, 2048, 124476n],
    [15, 3072, 1690314n],
    [16, 4096, 240904n],
    [17, 6144, 929484n],
    [18, 8192, 4743158n],
  ] as const)('group %i (%i bits)', (group, n, k) => {
    const bits = BigInt(n);
    const p = (1n << bits) - (1n << (bits - 64n)) - 1n + (1n << 64n) * (piFractionBits(n - 130) + k);
    expect(modpGroup(group).p).toBe(p);
    expect(modpGroup(group).g).toBe(2n);
  });
});
