/**
 * PKCS#8 / PKCS#1 encryption against OpenSSL 3: keys OpenSSL encrypts (PBES2 with PBKDF2 or
 * scrypt, PBES1, PKCS#12 PBE, legacy PEM) import here, and OpenSSL reads what we write.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { importPrivateKey, KeyEncryptionError } from '../src/index.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());

function openssl(args: readonly string[]): string {
  return execFileSync('/usr/bin/openssl', args, { timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

const LEGACY = ['-provider', 'legacy', '-provider', 'default'];
const SCHEMES: [string, string[]][] = [
  ['PBES2 aes-256-cbc hmacWithSHA512', ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA512']],
  ['PBES2 aes-128-cbc (default PRF)', ['-v2', 'aes-128-cbc']],
  ['PBES2 des3', ['-v2', 'des3']],
  ['PBES2 des (legacy)', ['-v2', 'des', ...LEGACY]],
  ['PBES2 scrypt', ['-v2', 'aes-256-cbc', '-scrypt', '-scrypt_N', '1024']],
  ['PBES1 MD5-DES (legacy)', ['-v1', 'PBE-MD5-DES', ...LEGACY]],
  ['PBES1 SHA1-DES (legacy)', ['-v1', 'PBE-SHA1-DES', ...LEGACY]],
  ['PKCS#12 SHA1-3DES', ['-v1', 'PBE-SHA1-3DES']],
  ['PKCS#12 SHA1-2DES', ['-v1', 'PBE-SHA1-2DES']],
  ['PKCS#12 SHA1-RC4-128 (legacy)', ['-v1', 'PBE-SHA1-RC4-128', ...LEGACY]],
  ['PKCS#12 SHA1-RC4-40 (legacy)', ['-v1', 'PBE-SHA1-RC4-40', ...LEGACY]],
  ['PBES2 bf-cbc (legacy)', ['-v2', 'bf-cbc', ...LEGACY]],
  ['PBES2 cast5-cbc (legacy)', ['-v2', 'cast5-cbc', ...LEGACY]],
];

describe.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'])('%s encrypted by openssl pkcs8', (type) => {
  const key = testKey(type);
  test.each(SCHEMES)('%s', (_name, args) => {
    const plain = dir.write(key.exportPrivateKey('pkcs8-pem'));
    const out = openssl(['pkcs8', '-topk8', '-in', plain, '-passout', 'pass:pass word', ...args]);
    expect(importPrivateKey(out, 'pass word').equals(key)).toBe(true);
    expect(() => importPrivateKey(out, 'password')).toThrow(KeyEncryptionError);
  });
});

describe.each(['ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp384'])('%s in traditional PEM from openssl', (type) => {
  test.each(['-aes128', '-aes256', '-des3'])('%s', (cipher) => {
    const key = testKey(type);
    const plain = dir.write(key.exportPrivateKey('pkcs8-pem'));
    const out = openssl(['pkey', '-in', plain, '-traditional', cipher, '-passout', 'pass:pw']);
    expect(out).toContain('DEK-Info');
    expect(importPrivateKey(out, 'pw').equals(key)).toBe(true);
  });
});

// What AsyncSSH's pbe_version 1 and its Blowfish/CAST-128 PBES2 write, read by OpenSSL too.
describe('our PBES1, PKCS#12 PBE, Blowfish and CAST-128 keys in openssl', () => {
  test.each([
    ['des-cbc', 'md5', 1],
    ['des-cbc', 'sha1', 1],
    ['des2-cbc', 'sha1', 1],
    ['des3-cbc', 'sha1', 1],
    ['rc4-40', 'sha1', 1],
    ['rc4-128', 'sha1', 1],
    ['blowfish-cbc', 'sha256', 2],
    ['cast128-cbc', 'sha1', 2],
  ] as const)('%s %s v%d', (cipherName, hashName, pbeVersion) => {
    const key = testKey('ecdsa-sha2-nistp256');
    const enc = dir.write(key.exportPrivateKey('pkcs8-pem', { passphrase: 'pass word', cipherName, hashName, pbeVersion }));
    const pub = openssl(['pkey', '-in', enc, '-passin', 'pass:pass word', '-pubout', ...LEGACY]);
    expect(pub).toBe(new TextDecoder().decode(key.exportPublicKey('pkcs8-pem')));
  });
});

describe.each(GENERATABLE)('our %s keys in openssl', (type) => {
  test('encrypted PKCS#8 and the public key', () => {
    const key = testKey(type);
    const enc = dir.write(key.exportPrivateKey('pkcs8-pem', { passphrase: 'pw' }));
    const pub = openssl(['pkey', '-in', enc, '-passin', 'pass:pw', '-pubout']);
    expect(pub).toBe(new TextDecoder().decode(key.exportPublicKey('pkcs8-pem')));
    if (type !== 'ssh-ed25519' && type !== 'ssh-ed448') {
      const trad = dir.write(key.exportPrivateKey('pkcs1-pem', { passphrase: 'pw' }));
      expect(openssl(['pkey', '-in', trad, '-passin', 'pass:pw', '-pubout'])).toBe(pub);
    }
  });
});
