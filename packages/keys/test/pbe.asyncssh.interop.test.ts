/**
 * Private-key encryption against AsyncSSH 2.10: every (cipher, hash, pbe_version) its
 * `export_private_key` takes for PKCS#8, and every DEK-Info cipher for PKCS#1 PEM, both ways.
 * AsyncSSH exports -> we import the same key; we export -> AsyncSSH imports the same key.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { importPrivateKey, KeyEncryptionError, type PrivateKeyFormat } from '../src/index.ts';
import { asyncssh } from './helpers/asyncssh.ts';
import { testKey } from './helpers/keys.ts';

interface Combo {
  readonly format: PrivateKeyFormat;
  readonly cipher: string;
  readonly hash: string;
  readonly version: 1 | 2;
}

const V2_CIPHERS = ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'blowfish-cbc', 'cast128-cbc', 'des-cbc', 'des3-cbc'];
const V2_HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const COMBOS: readonly Combo[] = [
  ...V2_CIPHERS.flatMap((cipher) => V2_HASHES.map((hash) => ({ format: 'pkcs8-pem' as const, cipher, hash, version: 2 as const }))),
  ...(
    [
      ['des-cbc', 'md5'],
      ['des-cbc', 'sha1'],
      ['des2-cbc', 'sha1'],
      ['des3-cbc', 'sha1'],
      ['rc4-40', 'sha1'],
      ['rc4-128', 'sha1'],
    ] as const
  ).map(([cipher, hash]) => ({ format: 'pkcs8-pem' as const, cipher, hash, version: 1 as const })),
  // PKCS#1 PEM: AsyncSSH ignores hash and version there.
  ...['aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'des-cbc', 'des3-cbc'].map((cipher) => ({ format: 'pkcs1-pem' as const, cipher, hash: 'sha256', version: 2 as const })),
];

const label = (c: Combo): string => `${c.format} ${c.cipher} ${c.hash} v${c.version}`;
const PASS = 'pass wörd';
const key = testKey('ecdsa-sha2-nistp256');
const plain = new TextDecoder().decode(key.exportPrivateKey('pkcs8-pem'));

let theirs: string[] = [];
let ours: { public: string; sha256: string }[][] = [];

beforeAll(async () => {
  theirs = await asyncssh<string>(COMBOS.map((c) => ({ op: 'encrypt', private: plain, passphrase: PASS, ...c })));
  const keys = COMBOS.map((c) => ({
    private: new TextDecoder().decode(key.exportPrivateKey(c.format, { passphrase: PASS, cipherName: c.cipher, hashName: c.hash, pbeVersion: c.version })),
    passphrase: PASS,
    sigs: [],
  }));
  ours = await asyncssh<{ public: string; sha256: string }[]>([{ op: 'check', keys }]);
}, 300_000);

describe.each(COMBOS.map((c, i) => [label(c), i] as const))('%s', (_name, i) => {
  test('AsyncSSH export imports here', () => {
    const text = theirs[i] as string;
    expect(text).toContain('ENCRYPTED');
    expect(importPrivateKey(text, PASS).equals(key)).toBe(true);
    expect(() => importPrivateKey(text, 'pass word')).toThrow(KeyEncryptionError);
  });

  test('our export imports in AsyncSSH', () => {
    const r = ours[0]?.[i];
    expect(r?.sha256).toBe(key.getFingerprint());
  });
});
