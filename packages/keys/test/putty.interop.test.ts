/**
 * PPK files against `puttygen` (PuTTY 0.78, Debian putty-tools): its keys import here (v2 and
 * v3, plain and encrypted), ours load in puttygen.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { importPrivateKey, importPublicKey, KeyEncryptionError } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());
const passFile = dir.write('pass phrase\n');
const emptyPass = dir.write('');

function puttygen(args: readonly string[]): string {
  return execFileSync('/usr/bin/puttygen', args, { timeout: 60_000, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

const TYPES: [string, string[]][] = [
  ['ed25519', ['-t', 'ed25519']],
  ['ed448', ['-t', 'ed448']],
  ['ecdsa 256', ['-t', 'ecdsa', '-b', '256']],
  ['ecdsa 521', ['-t', 'ecdsa', '-b', '521']],
  ['rsa 2048', ['-t', 'rsa', '-b', '2048']],
  ['dsa 1024', ['-t', 'dsa', '-b', '1024']],
];

describe.each(TYPES)('puttygen %s keys here', (_name, genArgs) => {
  test.each(['2', '3'])('PPK v%s, plain and encrypted', (version) => {
    const plain = dir.path();
    puttygen([...genArgs, '-C', 'putty comment', '-o', plain, '--new-passphrase', emptyPass, '--ppk-param', `version=${version}`]);
    const pub = importPublicKey(puttygen([plain, '-L']));
    const key = importPrivateKey(dir.read(plain));
    expect(key.equals(pub)).toBe(true);
    expect(key.getComment()).toBe('putty comment');
    const enc = dir.path();
    puttygen([plain, '-P', '-o', enc, '--new-passphrase', passFile, '--ppk-param', `version=${version},memory=1024,passes=2`]);
    expect(importPrivateKey(dir.read(enc), 'pass phrase').equals(pub)).toBe(true);
    expect(() => importPrivateKey(dir.read(enc), 'pass phrasf')).toThrow(KeyEncryptionError);
  });
});

test('puttygen files with many Argon2 passes over little memory import', () => {
  // puttygen picks the passes for a time budget: --ppk-param time=1000 made 144 passes of
  // 8 MiB on the development VM. Light work (256 KiB by 200 passes), many passes.
  const plain = dir.path();
  puttygen(['-t', 'ed25519', '-o', plain, '--new-passphrase', emptyPass]);
  const enc = dir.path();
  puttygen([plain, '-P', '-o', enc, '--new-passphrase', passFile, '--ppk-param', 'memory=256,passes=200']);
  expect(dir.read(enc).toString()).toContain('Argon2-Passes: 200\n');
  expect(importPrivateKey(dir.read(enc), 'pass phrase').equals(importPublicKey(puttygen([plain, '-L'])))).toBe(true);
});

describe.each(['ssh-ed25519', 'ssh-ed448', 'ecdsa-sha2-nistp384', 'ssh-rsa', 'ssh-dss'])('our %s PPK files in puttygen', (type) => {
  test.each([2, 3] as const)('v%s', (puttyVersion) => {
    const key = testKey(type);
    const expected = new TextDecoder().decode(key.exportPublicKey()).trim();
    const plain = dir.write(key.exportPrivateKey('putty', { puttyVersion }));
    expect(puttygen([plain, '-L']).trim()).toBe(expected);
    const enc = dir.write(key.exportPrivateKey('putty', { puttyVersion, passphrase: 'pass phrase', argon2: { memory: 1024, passes: 2 } }));
    expect(puttygen([enc, '--old-passphrase', passFile, '-L']).trim()).toBe(expected);
    expect(puttygen([enc, '--old-passphrase', passFile, '-l']).trim()).toContain(key.getFingerprint());
  });
});
