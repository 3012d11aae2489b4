/**
 * SSH signature blob framing (RFC 4253 §6.6, RFC 5656 §3.1.2): the one-allocation writers give
 * the same bytes as the generic Writer, for r and s with leading zeros, top bits set and zero.
 */

import fc from 'fast-check';
import { Reader, Writer, unsignedBytesToBigint } from '@ssh/wire';
import { describe, expect, test } from 'vitest';
import { p1363SignatureBlob, sshToP1363 } from '../src/algs/ecdsa.ts';
import { bigintToBase64url, bitLength, signatureBlob } from '../src/algs/impl.ts';

function reference(alg: string, sig: Uint8Array, size: number): Uint8Array {
  const r = unsignedBytesToBigint(sig.subarray(0, size));
  const s = unsignedBytesToBigint(sig.subarray(size));
  return new Writer().utf8(alg).nested((w) => w.mpint(r).mpint(s)).finish();
}

describe('ECDSA signature blobs', () => {
  const size = 32;
  const cases: Array<[string, Uint8Array]> = [
    ['top bits set', Uint8Array.from({ length: 64 }, () => 0xff)],
    ['top bits clear', Uint8Array.from({ length: 64 }, () => 0x7f)],
    ['leading zeros', Uint8Array.from({ length: 64 }, (_, i) => (i % 32 < 3 ? 0 : i))],
    ['leading zeros then a top bit', Uint8Array.from({ length: 64 }, (_, i) => (i % 32 < 2 ? 0 : 0x80 | i))],
    ['r and s zero', new Uint8Array(64)],
  ];
  test.each(cases)('%s', (_name, sig) => {
    const blob = p1363SignatureBlob('ecdsa-sha2-nistp256', sig, size);
    expect(blob).toEqual(reference('ecdsa-sha2-nistp256', sig, size));
  });

  test('any r||s, every curve size, and back', () => {
    fc.assert(
      fc.property(fc.constantFrom(32, 48, 66), fc.uint8Array({ minLength: 132, maxLength: 132 }), fc.nat(66), fc.nat(66), (n, bytes, zr, zs) => {
        const sig = bytes.slice(0, 2 * n);
        sig.fill(0, 0, Math.min(zr, n));
        sig.fill(0, n, n + Math.min(zs, n));
        const blob = p1363SignatureBlob('ecdsa-sha2-x', sig, n);
        expect(blob).toEqual(reference('ecdsa-sha2-x', sig, n));
        const r = new Reader(blob);
        r.utf8('alg');
        const back = sshToP1363(new Reader(r.bytes('sig')), n);
        // Zero r or s is not a valid signature value and is refused on the way back.
        const zero = sig.subarray(0, n).every((b) => b === 0) || sig.subarray(n).every((b) => b === 0);
        expect(back).toEqual(zero ? undefined : sig);
      }),
    );
  });

  test('non-canonical and oversized mpints are refused', () => {
    const body = (r: number[], s: number[]): Reader => new Reader(new Writer().bytes(Uint8Array.from(r)).bytes(Uint8Array.from(s)).finish());
    expect(sshToP1363(body([0, 1], [1]), 32)).toBeUndefined(); // needless zero byte
    expect(sshToP1363(body([0x80], [1]), 32)).toBeUndefined(); // negative
    expect(sshToP1363(body([0], [1]), 32)).toBeUndefined(); // zero written as one byte
    expect(sshToP1363(body([1, ...new Array<number>(32).fill(0)], [1]), 32)).toBeUndefined(); // 33 bytes of magnitude
    expect(sshToP1363(body([0, 0x80, ...new Array<number>(31).fill(0)], [1]), 32)).toBeDefined(); // 32 bytes after the sign byte
  });
});

describe('signature blob helpers', () => {
  test('string name, string signature', () => {
    const sig = Uint8Array.from([1, 2, 3]);
    expect(signatureBlob('ssh-ed25519', sig)).toEqual(new Writer().utf8('ssh-ed25519').bytes(sig).finish());
  });

  test('bitLength and base64urlUInt', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 4100n) - 1n }), (v) => {
        expect(bitLength(v)).toBe(v.toString(2).length);
        expect(BigInt(`0x${Buffer.from(bigintToBase64url(v), 'base64url').toString('hex')}`)).toBe(v);
        expect(Buffer.from(bigintToBase64url(v), 'base64url')[0]).not.toBe(0);
      }),
    );
    expect(bitLength(0n)).toBe(0);
    expect(bigintToBase64url(65537n)).toBe('AQAB');
  });
});
