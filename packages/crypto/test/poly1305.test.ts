/** Poly1305 in WebAssembly: RFC 8439 vectors and agreement with @noble/ciphers on random input. */
import fc from 'fast-check';
import { poly1305 as noblePoly1305 } from '@noble/ciphers/_poly1305.js';
import { describe, expect, it } from 'vitest';
import { CryptoParameterError } from '../src/index.ts';
import { poly1305 } from '../src/primitives/poly1305.ts';
import { hex, toHex } from './helpers/hex.ts';

describe('Poly1305 (WebAssembly)', () => {
  it('RFC 8439 §2.5.2', () => {
    const key = hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
    const msg = new TextEncoder().encode('Cryptographic Forum Research Group');
    expect(toHex(poly1305(msg, key))).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });

  // RFC 8439 Appendix A.3 test vectors #1 and #2, and #11 (h reaching 2^130 - 5 edge)
  it('RFC 8439 Appendix A.3', () => {
    expect(toHex(poly1305(new Uint8Array(64), new Uint8Array(32)))).toBe('00000000000000000000000000000000');
    const key2 = hex('0000000000000000000000000000000036e5f6b5c5e06070f0efca96227a863e');
    const text =
      'Any submission to the IETF intended by the Contributor for publication as all or part of an IETF Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an "IETF Contribution". Such statements include oral statements in IETF sessions, as well as written and electronic communications made at any time or place, which are addressed to';
    expect(toHex(poly1305(new TextEncoder().encode(text), key2))).toBe('36e5f6b5c5e06070f0efca96227a863e');
    const key11 = hex('0100000000000000000000000000000000000000000000000000000000000000');
    const msg11 = hex('ffffffffffffffffffffffffffffffff');
    expect(toHex(poly1305(msg11, hex('0200000000000000000000000000000000000000000000000000000000000000')))).toBe(
      '03000000000000000000000000000000',
    );
    expect(toHex(poly1305(hex('fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff11000000000000000000000000000000'), key11))).toBe(
      '05000000000000000000000000000000',
    );
  });

  it('agrees with @noble/ciphers on random keys and messages of every length up to 300 and large ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (key, msg) => {
        expect(toHex(poly1305(msg, key))).toBe(toHex(noblePoly1305(msg, key)));
      }),
      { numRuns: 300 },
    );
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const key = new Uint8Array(32).fill(0xff);
    expect(toHex(poly1305(big, key))).toBe(toHex(noblePoly1305(big, key)));
  });

  // Messages of 256 bytes and more run 64-byte chunks on four SIMD lanes, then the rest block by
  // block: every split of chunks, blocks and a partial block, with all-ones keys and messages
  // (the largest limbs, the most carries) as well as random ones.
  it('agrees with @noble/ciphers across the SIMD/scalar boundaries and with maximal limbs', () => {
    const lengths = [255, 256, 257, 271, 272, 303, 319, 320, 321, 383, 384, 385, 511, 512, 513, 1000, 4096, 4111, 32768, 32781, 65536 + 48];
    const keys = [new Uint8Array(32).fill(0xff), Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 7) & 0xff)];
    for (const n of lengths) {
      for (const key of keys) {
        for (const msg of [new Uint8Array(n).fill(0xff), Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff)]) {
          expect(toHex(poly1305(msg, key))).toBe(toHex(noblePoly1305(msg, key)));
        }
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 200, maxLength: 1500 }), (key, msg) => {
        expect(toHex(poly1305(msg, key))).toBe(toHex(noblePoly1305(msg, key)));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a key of the wrong size', () => {
    expect(() => poly1305(new Uint8Array(1), new Uint8Array(16))).toThrow(CryptoParameterError);
  });
});
