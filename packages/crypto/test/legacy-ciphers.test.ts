/**
 * Ciphers written here (Blowfish-CBC, CAST-128-CBC, SEED-CBC, RC4) against OpenSSL's legacy
 * provider (vectors/legacy-ciphers.json), RC4 against RFC 6229, and RFC 4345's discard.
 */
import { describe, expect, it } from 'vitest';
import { Blowfish, Cast128 as Cast128Export, cbcStream, cipherDecrypt, type BlockCipher, cipherEncrypt, cipherKeyInfo, Rc4, standardAlgorithms } from '../src/index.ts';
import { Cast128 } from '../src/primitives/cast128.ts';
import { Seed } from '../src/primitives/seed.ts';
import { hex, loadVectors, toHex } from './helpers/hex.ts';

interface Vector {
  cipher: string;
  key: string;
  iv: string;
  plaintext: string;
  ciphertext: string;
}

const registered = new Set((standardAlgorithms.cipher ?? []).map((s) => s.name));
const vectors = loadVectors<Vector[]>('legacy-ciphers.json');

describe('legacy block ciphers vs OpenSSL legacy provider', () => {
  const cbc = vectors.filter((v) => v.cipher !== 'rc4' && registered.has(v.cipher));
  it.each(cbc.map((v) => [v.cipher, v.plaintext.length / 2, v] as const))('%s, %i bytes', (name, _n, v) => {
    expect(toHex(cipherEncrypt(name, hex(v.key), hex(v.iv), hex(v.plaintext)))).toBe(v.ciphertext);
    expect(toHex(cipherDecrypt(name, hex(v.key), hex(v.iv), hex(v.ciphertext)))).toBe(v.plaintext);
  });

  // @ssh/keys runs Blowfish with PBKDF2's key lengths (4-56 bytes) and CAST-128 through these.
  it('cbcStream from the package entry over Blowfish / CAST-128 is blowfish-cbc / cast128-cbc', () => {
    const picked = cbc.filter((x) => x.cipher === 'blowfish-cbc' || x.cipher === 'cast128-cbc');
    expect(picked).toHaveLength(6);
    for (const v of picked) {
      const bf = Blowfish.fromKey(hex(v.key));
      const block: BlockCipher =
        v.cipher === 'blowfish-cbc'
          ? { blockLength: 8, encryptBlock: (s, si, d, di) => bf.encryptBlock(s, si, d, di), decryptBlock: (s, si, d, di) => bf.decryptBlock(s, si, d, di) }
          : new Cast128Export(hex(v.key));
      expect(toHex(cbcStream(block, hex(v.iv), 'encrypt').update(hex(v.plaintext)))).toBe(v.ciphertext);
      expect(toHex(cbcStream(block, hex(v.iv), 'decrypt').update(hex(v.ciphertext)))).toBe(v.plaintext);
    }
  });

  it('chains CBC across calls exactly as one call does', () => {
    const v = cbc[cbc.length - 1];
    if (v === undefined) throw new Error('no vector');
    const spec = (standardAlgorithms.cipher ?? []).find((s) => s.name === v.cipher);
    if (spec === undefined || spec.impl.aead) throw new Error('not a stream cipher');
    const enc = spec.impl.createCipher(hex(v.key), hex(v.iv), 'encrypt');
    const pt = hex(v.plaintext);
    const bs = spec.impl.blockLength;
    const a = enc.update(pt.subarray(0, bs));
    const b = enc.update(pt.subarray(bs));
    expect(toHex(a) + toHex(b)).toBe(v.ciphertext);
  });
});

describe('RC4', () => {
  it.each(vectors.filter((v) => v.cipher === 'rc4').map((v) => [v.key.length / 2, v] as const))('%i-byte key vs OpenSSL', (_n, v) => {
    expect(toHex(new Rc4(hex(v.key)).process(hex(v.plaintext)))).toBe(v.ciphertext);
  });

  // RFC 6229 §2, key 0x0102030405 (40 bits): keystream at offsets 0 and 16.
  it('RFC 6229 keystream for key 0102030405', () => {
    const rc4 = new Rc4(hex('0102030405'));
    expect(toHex(rc4.process(new Uint8Array(16)))).toBe('b2396305f03dc027ccc3524a0a1118a8');
    expect(toHex(rc4.process(new Uint8Array(16)))).toBe('6982944f18fc82d589c403a47a0d0919');
  });

  it('arcfour128 discards the first 1536 keystream bytes (RFC 4345)', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const ks = new Rc4(key).process(new Uint8Array(1536 + 64));
    expect(toHex(cipherEncrypt('arcfour128', key, new Uint8Array(0), new Uint8Array(64)))).toBe(toHex(ks.subarray(1536)));
    expect(toHex(cipherEncrypt('arcfour', key, new Uint8Array(0), new Uint8Array(64)))).toBe(toHex(ks.subarray(0, 64)));
    expect(cipherKeyInfo('arcfour256').keyLength).toBe(32);
  });
});

describe('block cipher reference vectors', () => {
  const check = (c: Cast128 | Seed, pt: string, ct: string): void => {
    const out = new Uint8Array(c.blockLength);
    c.encryptBlock(hex(pt), 0, out, 0);
    expect(toHex(out)).toBe(ct);
    c.decryptBlock(hex(ct), 0, out, 0);
    expect(toHex(out)).toBe(pt);
  };

  it('CAST-128: RFC 2144 Appendix B.1, 128-bit key', () => {
    check(new Cast128(hex('0123456712345678234567893456789a')), '0123456789abcdef', '238b4fe5847e44b2');
  });

  it('CAST-128: RFC 2144 Appendix B.1, 80-bit and 40-bit keys (zero-padded, 12 rounds)', () => {
    check(new Cast128(hex('01234567123456782345')), '0123456789abcdef', 'eb6a711a2c02271b');
    check(new Cast128(hex('0123456712')), '0123456789abcdef', '7ac816d16e9b302e');
  });

  it('CAST-128: keys of 11 to 15 bytes are the 16-byte key zero-padded (16 rounds)', () => {
    const short = hex('0123456712345678234567');
    const padded = new Uint8Array(16);
    padded.set(short);
    const a = new Uint8Array(8);
    const b = new Uint8Array(8);
    new Cast128(short).encryptBlock(hex('0123456789abcdef'), 0, a, 0);
    new Cast128(padded).encryptBlock(hex('0123456789abcdef'), 0, b, 0);
    expect(toHex(a)).toBe(toHex(b));
  });

  it('CAST-128: keys shorter than 40 bits or longer than 128 are refused', () => {
    expect(() => new Cast128(new Uint8Array(4))).toThrow(/CAST-128 key/);
    expect(() => new Cast128(new Uint8Array(17))).toThrow(/CAST-128 key/);
  });

  it('SEED: RFC 4269 Appendix B.1 and B.2', () => {
    check(new Seed(new Uint8Array(16)), '000102030405060708090a0b0c0d0e0f', '5ebac6e0054e166819aff1cc6d346cdb');
    check(new Seed(hex('000102030405060708090a0b0c0d0e0f')), '00000000000000000000000000000000', 'c11f22f20140505084483597e4370f43');
  });
});
