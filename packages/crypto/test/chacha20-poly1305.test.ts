/**
 * chacha20-poly1305@openssh.com on the native binding and on its fallback (node:crypto's ChaCha20
 * and WebAssembly Poly1305): the same packets byte for byte, each opening the other's, sequence
 * numbers up to 2^32 - 1, and every tampered byte refused. packet.test.ts checks the registered one
 * against PROTOCOL.chacha20poly1305 rebuilt from node's ChaCha20 and noble's Poly1305.
 */
import { nativeChachaPoly } from '@ssh/crypto-native';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chacha20Poly1305, chacha20Poly1305Fallback } from '../src/cipher/chacha20-poly1305.ts';
import { CryptoParameterError, MacError } from '../src/index.ts';

const lengthField = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

describe('chacha20-poly1305@openssh.com, native and fallback', () => {
  it('runs on the native binding here (CI builds it)', () => {
    expect(nativeChachaPoly()).toBeDefined();
  });

  it.each([
    ['native to fallback', chacha20Poly1305, chacha20Poly1305Fallback],
    ['fallback to native', chacha20Poly1305Fallback, chacha20Poly1305],
    ['native to native', chacha20Poly1305, chacha20Poly1305],
  ])('%s: the same packets, and each opens the other\'s', (_, sealImpl, openImpl) => {
    const key = randomBytes(64);
    const sealer = sealImpl.createAead(key, new Uint8Array(0));
    const twin = (sealImpl === chacha20Poly1305 ? chacha20Poly1305Fallback : chacha20Poly1305).createAead(key, new Uint8Array(0));
    const opener = openImpl.createAead(key, new Uint8Array(0));
    const cases: Array<[number, number]> = [[0, 0], [1, 1], [2, 63], [3, 64], [4, 65], [5, 1000], [6, 32768], [0x7fffffff, 100], [0x80000000, 35000], [0xffffffff, 200_000]];
    for (const [seq, n] of cases) {
      const body = randomBytes(n);
      const [sealed] = sealer.sealParts(seq, lengthField(n), n > 10 ? [body.subarray(0, 3), body.subarray(3, 10), body.subarray(10)] : [body]);
      const other = twin.seal(seq, Buffer.concat([lengthField(n), body]), 4);
      expect(Buffer.from(sealed as Uint8Array).equals(Buffer.from(other))).toBe(true);
      expect(opener.decryptLength(seq, other.subarray(0, 4))).toBe(n);
      expect(Buffer.from(opener.open(seq, other, 4)).equals(body)).toBe(true);
    }
  });

  it.each([
    ['native', chacha20Poly1305],
    ['fallback', chacha20Poly1305Fallback],
  ])('%s: a changed byte anywhere, or the wrong sequence number, fails the tag', (_, impl) => {
    const key = randomBytes(64);
    const aead = impl.createAead(key, new Uint8Array(0));
    const body = randomBytes(300);
    const packet = aead.seal(42, Buffer.concat([lengthField(300), body]), 4);
    for (const at of [0, 3, 4, 150, 303, 304, 319]) {
      const bad = Uint8Array.from(packet);
      bad[at] = (bad[at] as number) ^ 0x80;
      expect(() => aead.open(42, bad, 4)).toThrow(MacError);
    }
    expect(() => aead.open(43, packet, 4)).toThrow(MacError);
    expect(() => aead.open(42, packet.subarray(0, 19), 4)).toThrow(MacError);
    expect(Buffer.from(aead.open(42, packet, 4)).equals(body)).toBe(true);
  });

  it('native: more than eight parts are joined, the key is copied, and the length field is 4 bytes or none', () => {
    const key = randomBytes(64);
    const keyArg = Uint8Array.from(key);
    const native = chacha20Poly1305.createAead(keyArg, new Uint8Array(0));
    keyArg.fill(0);
    const fallback = chacha20Poly1305Fallback.createAead(key, new Uint8Array(0));
    const parts = Array.from({ length: 12 }, (_, i) => randomBytes(i * 7));
    const n = parts.reduce((s, p) => s + p.length, 0);
    const [sealed] = native.sealParts(9, lengthField(n), parts);
    expect(Buffer.from(sealed as Uint8Array).equals(Buffer.from(fallback.seal(9, Buffer.concat([lengthField(n), ...parts]), 4)))).toBe(true);
    expect(() => native.seal(0, new Uint8Array(10), 2)).toThrow(CryptoParameterError);
    expect(() => native.sealParts(0, new Uint8Array(3), [new Uint8Array(1)])).toThrow(CryptoParameterError);
    // Without a length field (as in private key files): the same bytes as the fallback.
    const body = randomBytes(100);
    const bare = native.seal(0, body, 0);
    expect(Buffer.from(bare).equals(Buffer.from(fallback.seal(0, body, 0)))).toBe(true);
    expect(Buffer.from(fallback.open(0, bare, 0)).equals(body)).toBe(true);
  });
});
