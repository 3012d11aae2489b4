/**
 * PKCS#8 password-based encryption beyond PBES2 with AES/DES: Blowfish and CAST-128 under PBES2,
 * PKCS#12 PBE with RC4-128/40 and two-key 3DES, PBES1 export, and AsyncSSH's `pbe_version`.
 * Known answers are AsyncSSH 2.10.1's exports (vectors/asyncssh-2.10-pbe.json); interop both
 * ways runs in pbe.asyncssh.interop.test.ts and openssl.interop.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createCipheriv, pbkdf2Sync, scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Blowfish, cbcStream, type BlockCipher } from '@ssh/crypto';
import { DerReader, derAlgorithm, derInteger, derNull, derOctetString, derSequence } from '../src/asn1.ts';
import { importPrivateKey, KeyEncryptionError, KeyExportError, KeyImportError } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';

const VECTORS = JSON.parse(readFileSync(join(import.meta.dirname, '../vectors/asyncssh-2.10-pbe.json'), 'utf8')) as Record<string, string>;
const PLAIN = importPrivateKey(VECTORS['plain'] as string);

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const HMAC_SHA256 = '1.2.840.113549.2.9';
const BLOWFISH = '1.3.6.1.4.1.3029.1.2';
const CAST128 = '1.2.840.113533.7.66.10';
const P12_RC4_128 = '1.2.840.113549.1.12.1.1';
const P12_RC4_40 = '1.2.840.113549.1.12.1.2';

function vector(name: string): Uint8Array | string {
  const v = VECTORS[name] as string;
  return v.startsWith('-----') ? v : new Uint8Array(Buffer.from(v, 'base64'));
}

describe('AsyncSSH 2.10 known answers', () => {
  test.each([
    'blowfish-cbc sha1 v2',
    'cast128-cbc sha256 v2',
    'des-cbc md5 v1',
    'des-cbc sha1 v1',
    'des2-cbc sha1 v1',
    'des3-cbc sha1 v1',
    'rc4-40 sha1 v1',
    'rc4-128 sha1 v1',
    'blowfish-cbc keyLength 16',
    'blowfish-cbc keyLength 24',
    'cast128-cbc keyLength 12',
    // 80 bits or less: 12-round CAST-128 (RFC 2144 §2.5).
    'cast128-cbc keyLength 5',
  ])('%s', (name) => {
    const data = vector(name);
    expect(importPrivateKey(data, 'pass word').equals(PLAIN)).toBe(true);
    expect(() => importPrivateKey(data, 'pass wort')).toThrow(KeyEncryptionError);
    expect(() => importPrivateKey(data)).toThrow(KeyEncryptionError);
  });

  test('PKCS#12 PBE takes the passphrase as UTF-16 (BMPString)', () => {
    expect(importPrivateKey(vector('rc4-128 sha1 v1 unicode'), 'pässwörd €').equals(PLAIN)).toBe(true);
  });
});

/** Every (cipher, hash, version) AsyncSSH 2.10's pkcs8_encrypt accepts. */
const V2_CIPHERS = ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'blowfish-cbc', 'cast128-cbc', 'des-cbc', 'des3-cbc'];
const V2_HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const V1: [string, string, string][] = [
  ['des-cbc', 'md5', '1.2.840.113549.1.5.3'],
  ['des-cbc', 'sha1', '1.2.840.113549.1.5.10'],
  ['des2-cbc', 'sha1', '1.2.840.113549.1.12.1.4'],
  ['des3-cbc', 'sha1', '1.2.840.113549.1.12.1.3'],
  ['rc4-40', 'sha1', P12_RC4_40],
  ['rc4-128', 'sha1', P12_RC4_128],
];

function schemeOid(der: Uint8Array): string {
  return new DerReader(der).sequence().sequence().oid();
}

describe('export and import round trip', () => {
  const key = testKey('ecdsa-sha2-nistp256');

  test.each(V2_CIPHERS.flatMap((c) => V2_HASHES.map((h) => [c, h] as const)))('PBES2 %s %s', (cipherName, hashName) => {
    const der = key.exportPrivateKey('pkcs8-der', { passphrase: 'pw', cipherName, hashName, pbeVersion: 2, rounds: 10 });
    expect(schemeOid(der)).toBe(PBES2);
    expect(importPrivateKey(der, 'pw').equals(key)).toBe(true);
    expect(() => importPrivateKey(der, 'pW')).toThrow(KeyEncryptionError);
  });

  test.each(V1)('PBES1 / PKCS#12 %s %s', (cipherName, hashName, oid) => {
    const pem = key.exportPrivateKey('pkcs8-pem', { passphrase: 'pw', cipherName, hashName, pbeVersion: 1, rounds: 10 });
    const der = key.exportPrivateKey('pkcs8-der', { passphrase: 'pw', cipherName, hashName, pbeVersion: 1 });
    expect(schemeOid(der)).toBe(oid);
    // The iteration count: rounds, else 2048 (AsyncSSH's).
    const alg = new DerReader(der).sequence().sequence();
    alg.oid();
    const params = alg.sequence();
    params.octetString();
    expect(params.smallInt()).toBe(2048);
    expect(importPrivateKey(pem, 'pw').equals(key)).toBe(true);
    expect(importPrivateKey(der, 'pw').equals(key)).toBe(true);
    expect(() => importPrivateKey(der, 'pW')).toThrow(KeyEncryptionError);
  });

  // AsyncSSH keeps aes256-cbc / sha256 as defaults whatever pbe_version says, so version 1 alone
  // fails there; here it picks PBE-SHA1-3DES (OpenSSL's pkcs12 key encryption before 3.0).
  test('pbeVersion 1 defaults to SHA-1 and 3DES (PKCS#12 PBE-SHA1-3DES)', () => {
    const der = key.exportPrivateKey('pkcs8-der', { passphrase: 'pw', cipherName: 'rc4-128', pbeVersion: 1 });
    expect(schemeOid(der)).toBe(P12_RC4_128);
    expect(schemeOid(key.exportPrivateKey('pkcs8-der', { passphrase: 'pw', pbeVersion: 1 }))).toBe('1.2.840.113549.1.12.1.3');
  });

  test('Blowfish and CAST-128 are written as AsyncSSH writes them: 16-byte key, no keyLength', () => {
    for (const [cipherName, oid] of [['blowfish-cbc', BLOWFISH], ['cast128-cbc', CAST128]] as const) {
      const der = key.exportPrivateKey('pkcs8-der', { passphrase: 'pw', cipherName });
      const params = new DerReader(der).sequence().sequence();
      expect(params.oid()).toBe(PBES2);
      const p = params.sequence();
      const kdf = p.sequence();
      expect(kdf.oid()).toBe(PBKDF2);
      const kp = kdf.sequence();
      kp.octetString();
      expect(kp.smallInt()).toBe(2048);
      expect(kp.sequence().oid()).toBe(HMAC_SHA256);
      const enc = p.sequence();
      expect(enc.oid()).toBe(oid);
      expect(enc.octetString()).toHaveLength(8);
    }
  });

  test('combinations AsyncSSH lacks are refused with KeyExportError', () => {
    const bad: [string, string | undefined, 1 | 2][] = [
      ['des2-cbc', 'sha1', 2],
      ['rc4-128', 'sha256', 2],
      ['rc4-40', undefined, 2],
      ['blowfish-cbc', 'sha1', 1],
      ['aes128-cbc', 'sha1', 1],
      ['rc4-128', 'md5', 1],
      ['des3-cbc', 'sha256', 1],
      ['des-cbc', 'md5', 2],
    ];
    for (const [cipherName, hashName, pbeVersion] of bad) {
      expect(() => key.exportPrivateKey('pkcs8-pem', { passphrase: 'pw', cipherName, pbeVersion, ...(hashName ? { hashName } : {}) }), `${cipherName} ${hashName} v${pbeVersion}`).toThrow(KeyExportError);
    }
    expect(() => key.exportPrivateKey('pkcs8-pem', { passphrase: 'pw', pbeVersion: 3 as 2 })).toThrow(KeyExportError);
    expect(() => key.exportPrivateKey('pkcs8-pem', { passphrase: 'pw', cipherName: 'rc4-128', pbeVersion: 1, rounds: 0 })).toThrow(KeyExportError);
  });

  test('legacy PEM takes the five DEK-Info ciphers AsyncSSH registers, and no others', () => {
    const rsa = testKey('ssh-rsa');
    for (const [cipherName, dek] of [
      ['aes128-cbc', 'AES-128-CBC'] as const,
      ['aes192-cbc', 'AES-192-CBC'],
      ['aes256-cbc', 'AES-256-CBC'],
      ['des-cbc', 'DES-CBC'],
      ['des3-cbc', 'DES-EDE3-CBC'],
    ]) {
      const pem = new TextDecoder().decode(rsa.exportPrivateKey('pkcs1-pem', { passphrase: 'pw', cipherName }));
      expect(pem).toContain(`DEK-Info: ${dek},`);
      expect(importPrivateKey(pem, 'pw').equals(rsa)).toBe(true);
    }
    for (const cipherName of ['blowfish-cbc', 'cast128-cbc', 'rc4-128', 'des2-cbc']) {
      expect(() => rsa.exportPrivateKey('pkcs1-pem', { passphrase: 'pw', cipherName })).toThrow(KeyExportError);
    }
  });
});

// -------------------------------------------------------------------------------------------
// Hostile input

const SALT = new Uint8Array(8).fill(7);
const IV = new Uint8Array(8).fill(9);

function pbes2(cipherOid: string, enc: Uint8Array, options: { iterations?: number; keyLength?: number; iv?: Uint8Array; salt?: Uint8Array } = {}): Uint8Array {
  const kp = [derOctetString(options.salt ?? SALT), derInteger(options.iterations ?? 16)];
  if (options.keyLength !== undefined) kp.push(derInteger(options.keyLength));
  kp.push(derAlgorithm(HMAC_SHA256, derNull()));
  const params = derSequence(derAlgorithm(PBKDF2, derSequence(...kp)), derAlgorithm(cipherOid, derOctetString(options.iv ?? IV)));
  return derSequence(derAlgorithm(PBES2, params), derOctetString(enc));
}

function pkcs12(oid: string, enc: Uint8Array, salt: Uint8Array = SALT, iterations = 16): Uint8Array {
  return derSequence(derAlgorithm(oid, derSequence(derOctetString(salt), derInteger(iterations))), derOctetString(enc));
}

/** Blowfish-CBC of `plain` under PBKDF2-SHA256('pw', SALT, 16) with IV, no padding added. */
function blowfishRaw(plain: Uint8Array, keyLength = 16): Uint8Array {
  const key = new Uint8Array(pbkdf2Sync('pw', SALT, 16, keyLength, 'sha256'));
  const bf = Blowfish.fromKey(key);
  const block: BlockCipher = { blockLength: 8, encryptBlock: (s, si, d, di) => bf.encryptBlock(s, si, d, di), decryptBlock: (s, si, d, di) => bf.decryptBlock(s, si, d, di) };
  return cbcStream(block, IV, 'encrypt').update(plain);
}

const INCORRECT = new KeyEncryptionError('incorrect passphrase');
const NOT_BLOCKS = new KeyEncryptionError('encrypted data is not whole blocks');

describe('malformed input', () => {
  const body = testKey('ssh-ed25519').exportPrivateKey('pkcs8-der');
  const padded = (pad: number[]): Uint8Array => {
    const out = new Uint8Array(body.length + (8 - (body.length % 8)));
    out.set(body);
    out.set(pad, out.length - pad.length);
    return out;
  };

  test('a well-formed hand-built Blowfish file imports (the builders below are right)', () => {
    const n = 8 - (body.length % 8);
    expect(importPrivateKey(pbes2(BLOWFISH, blowfishRaw(padded(new Array<number>(n).fill(n)))), 'pw').equals(testKey('ssh-ed25519'))).toBe(true);
    expect(importPrivateKey(pbes2(BLOWFISH, blowfishRaw(padded(new Array<number>(n).fill(n)), 20), { keyLength: 20 }), 'pw').equals(testKey('ssh-ed25519'))).toBe(true);
  });

  test('bad padding is KeyEncryptionError', () => {
    const n = 8 - (body.length % 8);
    for (const pad of [[0], [9], [n + 1], [1, 2]]) {
      const last = padded(new Array<number>(n).fill(n));
      last.set(pad, last.length - pad.length);
      expect(() => importPrivateKey(pbes2(BLOWFISH, blowfishRaw(last)), 'pw'), String(pad)).toThrow(INCORRECT);
    }
    // A whole block of padding (8) with a bad byte in it.
    const whole = new Uint8Array(16).fill(8);
    whole[9] = 7;
    expect(() => importPrivateKey(pbes2(BLOWFISH, blowfishRaw(whole)), 'pw')).toThrow(INCORRECT);
  });

  test('data that is not whole blocks is KeyEncryptionError', () => {
    for (const oid of [BLOWFISH, CAST128]) {
      expect(() => importPrivateKey(pbes2(oid, new Uint8Array(13)), 'pw')).toThrow(NOT_BLOCKS);
      expect(() => importPrivateKey(pbes2(oid, new Uint8Array(0)), 'pw')).toThrow(NOT_BLOCKS);
    }
    expect(() => importPrivateKey(pkcs12('1.2.840.113549.1.12.1.4', new Uint8Array(12)), 'pw')).toThrow(NOT_BLOCKS);
  });

  test('wrong IV sizes are KeyImportError', () => {
    for (const oid of [BLOWFISH, CAST128]) {
      for (const iv of [new Uint8Array(0), new Uint8Array(7), new Uint8Array(16)]) {
        expect(() => importPrivateKey(pbes2(oid, new Uint8Array(16), { iv }), 'pw')).toThrow(KeyImportError);
      }
    }
  });

  test('key lengths outside what the cipher takes are KeyImportError', () => {
    for (const keyLength of [0, 3, 57, 1000]) expect(() => importPrivateKey(pbes2(BLOWFISH, new Uint8Array(16), { keyLength }), 'pw'), String(keyLength)).toThrow(KeyImportError);
    for (const keyLength of [0, 4, 17, 32]) expect(() => importPrivateKey(pbes2(CAST128, new Uint8Array(16), { keyLength }), 'pw'), String(keyLength)).toThrow(KeyImportError);
    expect(() => importPrivateKey(pbes2('2.16.840.1.101.3.4.1.2', new Uint8Array(16), { keyLength: 24, iv: new Uint8Array(16) }), 'pw')).toThrow(KeyImportError);
  });

  test('zero and oversized iteration counts are KeyImportError', () => {
    for (const iterations of [0, 1_000_001]) {
      expect(() => importPrivateKey(pbes2(BLOWFISH, new Uint8Array(16), { iterations }), 'pw')).toThrow(KeyImportError);
      expect(() => importPrivateKey(pkcs12(P12_RC4_128, new Uint8Array(16), SALT, iterations), 'pw')).toThrow(KeyImportError);
      expect(() => importPrivateKey(pkcs12('1.2.840.113549.1.12.1.4', new Uint8Array(16), SALT, iterations), 'pw')).toThrow(KeyImportError);
    }
    // Two-key 3DES hashes once per 20 bytes of key (16) and of IV (8): two chains per iteration.
    expect(() => importPrivateKey(pkcs12('1.2.840.113549.1.12.1.4', new Uint8Array(16), SALT, 500_001), 'pw')).toThrow('PKCS#12 PBE parameters out of range');
  });

  test('truncated or extended parameters are KeyImportError', () => {
    const truncated = [
      derSequence(derAlgorithm(P12_RC4_128, derSequence(derOctetString(SALT))), derOctetString(new Uint8Array(16))),
      derSequence(derAlgorithm(P12_RC4_40, derSequence()), derOctetString(new Uint8Array(16))),
      derSequence(derAlgorithm(P12_RC4_40, derSequence(derOctetString(SALT), derInteger(16), derInteger(1))), derOctetString(new Uint8Array(16))),
      derSequence(derAlgorithm(PBES2, derSequence(derAlgorithm(PBKDF2, derSequence(derOctetString(SALT), derInteger(16))), derAlgorithm(BLOWFISH))), derOctetString(new Uint8Array(16))),
      pbes2(BLOWFISH, new Uint8Array(16)).subarray(0, 40),
    ];
    for (const der of truncated) expect(() => importPrivateKey(der, 'pw')).toThrow(KeyImportError);
  });

  // RFC 7914 §7: scrypt-params end with an optional keyLength, which must fit the cipher.
  test('a scrypt keyLength is checked against the cipher, and nothing may follow it', () => {
    const AES256 = '2.16.840.1.101.3.4.1.42';
    const SCRYPT = '1.3.6.1.4.1.11591.4.11';
    const iv = new Uint8Array(16).fill(3);
    const key = new Uint8Array(scryptSync('pw', SALT, 32, { N: 1024, r: 8, p: 1 }));
    const c = createCipheriv('aes-256-cbc', key, iv);
    const enc = new Uint8Array(Buffer.concat([c.update(body), c.final()]));
    const file = (...extra: Uint8Array[]): Uint8Array =>
      derSequence(
        derAlgorithm(PBES2, derSequence(derAlgorithm(SCRYPT, derSequence(derOctetString(SALT), derInteger(1024), derInteger(8), derInteger(1), ...extra)), derAlgorithm(AES256, derOctetString(iv)))),
        derOctetString(enc),
      );
    expect(importPrivateKey(file(), 'pw').equals(testKey('ssh-ed25519'))).toBe(true);
    expect(importPrivateKey(file(derInteger(32)), 'pw').equals(testKey('ssh-ed25519'))).toBe(true);
    expect(() => importPrivateKey(file(derInteger(16)), 'pw')).toThrow(KeyImportError);
    expect(() => importPrivateKey(file(derInteger(32), derInteger(1)), 'pw')).toThrow(KeyImportError);
  });

  test('an empty PKCS#12 salt is KeyImportError, as AsyncSSH refuses it', () => {
    expect(() => importPrivateKey(pkcs12(P12_RC4_128, new Uint8Array(16), new Uint8Array(0)), 'pw')).toThrow(KeyImportError);
  });

  test('RC4 garbage decrypts to garbage: KeyEncryptionError, whatever its length', () => {
    for (const n of [0, 1, 7, 33]) {
      expect(() => importPrivateKey(pkcs12(P12_RC4_128, new Uint8Array(n)), 'pw')).toThrow(INCORRECT);
      expect(() => importPrivateKey(pkcs12(P12_RC4_40, new Uint8Array(n)), 'pw')).toThrow(INCORRECT);
    }
  });

  test('two-key 3DES is 3DES with K1, K2, K1', () => {
    // Node's des-ede-cbc against des-ede3-cbc with the first key repeated, as the export uses.
    const k = new Uint8Array(16).map((_, i) => i * 17);
    const k3 = new Uint8Array(24);
    k3.set(k);
    k3.set(k.subarray(0, 8), 16);
    const a = createCipheriv('des-ede3-cbc', k3, IV).update(new Uint8Array(16));
    const b = createCipheriv('des-ede-cbc', k, IV).update(new Uint8Array(16));
    expect(Buffer.from(b).toString('hex')).toBe(Buffer.from(a).toString('hex'));
  });
});
