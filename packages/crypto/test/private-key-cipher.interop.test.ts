/**
 * cipherDecrypt + bcryptPbkdf open private keys that OpenSSH's ssh-keygen encrypted with each of
 * its ciphers (PROTOCOL.key: check words equal after decryption), and cipherEncrypt reproduces
 * the ssh-keygen ciphertext byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Reader } from '@ssh/wire';
import { bcryptPbkdf, cipherDecrypt, cipherEncrypt, cipherKeyInfo } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-crypto-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CIPHERS = execFileSync('ssh', ['-Q', 'cipher'], { encoding: 'utf8' }).trim().split('\n');

function parseKeyFile(path: string): { cipher: string; salt: Uint8Array; rounds: number; encrypted: Uint8Array } {
  const pem = readFileSync(path, 'utf8');
  const b64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const bytes = Uint8Array.from(Buffer.from(b64, 'base64'));
  const magic = 'openssh-key-v1\0';
  expect(Buffer.from(bytes.subarray(0, magic.length)).toString('latin1')).toBe(magic);
  const r = new Reader(bytes.subarray(magic.length));
  const cipher = r.utf8();
  expect(r.utf8()).toBe('bcrypt');
  const opts = new Reader(r.bytes());
  const salt = opts.bytes();
  const rounds = opts.u32();
  expect(r.u32()).toBe(1);
  r.bytes(); // public key
  const enc = r.bytes();
  const tag = r.rest(); // AEAD tag follows the string
  const encrypted = new Uint8Array(enc.length + tag.length);
  encrypted.set(enc);
  encrypted.set(tag, enc.length);
  return { cipher, salt, rounds, encrypted };
}

describe('private-key ciphers against ssh-keygen', () => {
  it.each(CIPHERS)('%s', (cipher) => {
    const file = join(dir, `key-${cipher.replace(/[^a-z0-9]/gi, '_')}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass phrase', '-a', '2', '-Z', cipher, '-C', '', '-f', file]);
    const k = parseKeyFile(file);
    expect(k.cipher).toBe(cipher);
    const info = cipherKeyInfo(cipher);
    const material = bcryptPbkdf(new TextEncoder().encode('pass phrase'), k.salt, info.keyLength + info.ivLength, k.rounds);
    const key = material.subarray(0, info.keyLength);
    const iv = material.subarray(info.keyLength);
    const plain = cipherDecrypt(cipher, key, iv, k.encrypted);
    const pr = new Reader(plain);
    const check1 = pr.u32();
    expect(pr.u32()).toBe(check1);
    expect(pr.utf8()).toBe('ssh-ed25519');
    expect(toHexAll(cipherEncrypt(cipher, key, iv, plain))).toBe(toHexAll(k.encrypted));
  });
});

function toHexAll(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
