/**
 * Keys against the real ssh-keygen (OpenSSH 9.2): ours load there, theirs load here, and the
 * fingerprints agree with `ssh-keygen -l` (SHA256 and MD5).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { importPrivateKey, importPublicKey, KeyEncryptionError, type SSHKey } from '../src/index.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';
import { testKey } from './helpers/keys.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());

/** Types ssh-keygen knows. */
const OPENSSH_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-dss'];

function fingerprintLine(key: SSHKey, hash: 'sha256' | 'md5'): string {
  return `${key.bits} ${key.getFingerprint(hash)} ${key.getComment() ?? 'no comment'} (${key.label})`;
}

function publicLine(key: SSHKey): string {
  return new TextDecoder().decode(key.exportPublicKey()).trim();
}

describe.each(OPENSSH_TYPES)('our %s keys in ssh-keygen', (type) => {
  const key = testKey(type);

  test('openssh private key: ssh-keygen -y prints our public key, -l our fingerprints', () => {
    const p = dir.write(key.exportPrivateKey('openssh'));
    expect(dir.run(['-y', '-f', p]).trim()).toBe(publicLine(key));
    expect(dir.run(['-l', '-f', p]).trim()).toBe(fingerprintLine(key, 'sha256'));
    expect(dir.run(['-l', '-E', 'md5', '-f', p]).trim()).toBe(fingerprintLine(key, 'md5'));
  });

  test.each(['pkcs8-pem', 'pkcs1-pem'] as const)('%s private key loads in ssh-keygen -y', (format) => {
    if (type === 'ssh-ed25519') {
      // OpenSSH 9.2 reads Ed25519 only in its own format; check the PKCS#8 with OpenSSL instead.
      if (format === 'pkcs1-pem') return;
      const p = dir.write(key.exportPrivateKey(format, { passphrase: 'pass phrase' }));
      const out = execFileSync('/usr/bin/openssl', ['pkey', '-in', p, '-passin', 'pass:pass phrase', '-pubout'], { timeout: 10_000 });
      expect(out.toString()).toBe(new TextDecoder().decode(key.exportPublicKey('pkcs8-pem')));
      return;
    }
    const p = dir.write(key.exportPrivateKey(format));
    const pub = publicLine(key).split(' ').slice(0, 2).join(' ');
    expect(dir.run(['-y', '-f', p]).trim().split(' ').slice(0, 2).join(' ')).toBe(pub);
    const enc = dir.write(key.exportPrivateKey(format, { passphrase: 'pass phrase' }));
    expect(dir.run(['-y', '-P', 'pass phrase', '-f', enc]).trim().split(' ').slice(0, 2).join(' ')).toBe(pub);
    expect(dir.fails(['-y', '-P', 'wrong', '-f', enc])).toBe(true);
  });

  test('encrypted openssh private key loads in ssh-keygen -y -P', () => {
    for (const cipherName of ['aes256-ctr', 'chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com']) {
      const p = dir.write(key.exportPrivateKey('openssh', { passphrase: 'pw', cipherName, rounds: 2 }));
      expect(dir.run(['-y', '-P', 'pw', '-f', p]).trim()).toBe(publicLine(key));
      expect(dir.fails(['-y', '-P', 'nope', '-f', p])).toBe(true);
    }
  });

  test('public key formats import in ssh-keygen -i', () => {
    const pubPath = dir.write(key.exportPublicKey('openssh'));
    expect(dir.run(['-l', '-f', pubPath]).trim()).toBe(fingerprintLine(key, 'sha256'));
    const bare = publicLine(key).split(' ').slice(0, 2).join(' ');
    const rfc = dir.write(key.exportPublicKey('rfc4716'));
    expect(dir.run(['-i', '-m', 'RFC4716', '-f', rfc]).trim()).toBe(bare);
    if (type !== 'ssh-ed25519') {
      const spki = dir.write(key.exportPublicKey('pkcs8-pem'));
      expect(dir.run(['-i', '-m', 'PKCS8', '-f', spki]).trim()).toBe(bare);
    }
    if (type === 'ssh-rsa') {
      const pkcs1 = dir.write(key.exportPublicKey('pkcs1-pem'));
      expect(dir.run(['-i', '-m', 'PEM', '-f', pkcs1]).trim()).toBe(bare);
    }
  });
});

const KEYGEN_TYPES: readonly [string, number | undefined][] = [
  ['ed25519', undefined],
  ['ecdsa', 256],
  ['ecdsa', 384],
  ['ecdsa', 521],
  ['rsa', 2048],
  ['dsa', 1024],
];

describe.each(KEYGEN_TYPES)('ssh-keygen %s %s keys here', (type, bits) => {
  test.each(['aes256-ctr', 'chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-cbc'])('openssh format encrypted with -Z %s', (cipher) => {
    const p = dir.convert(dir.cachedKeygen(type, bits));
    dir.run(['-q', '-p', '-f', p, '-P', '', '-N', 'secret', '-a', '4', '-Z', cipher]);
    const key = importPrivateKey(dir.read(p), 'secret');
    expect(key.getComment()).toBe('test-comment');
    expect(key.equals(importPublicKey(dir.read(`${p}.pub`)))).toBe(true);
    expect(() => importPrivateKey(dir.read(p), 'Secret')).toThrow(KeyEncryptionError);
  });

  const formats = type === 'ed25519' ? ['RFC4716'] : ['RFC4716', 'PEM', 'PKCS8'];

  test.each(formats)('private key written with -m %s, plain and encrypted', (format) => {
    const p = dir.convert(dir.cachedKeygen(type, bits), { format });
    const key = importPrivateKey(dir.read(p));
    const fp = dir.run(['-l', '-f', p]).trim().split(' ');
    expect(key.getFingerprint()).toBe(fp[1]);
    expect(dir.run(['-l', '-E', 'md5', '-f', p]).trim().split(' ')[1]).toBe(key.getFingerprint('md5'));
    expect(`${key.bits}`).toBe(fp[0]);
    expect(key.verify(new Uint8Array(3), key.sign(new Uint8Array(3)))).toBe(true);
    // Same key from the .pub file.
    const pub = importPublicKey(dir.read(`${p}.pub`));
    expect(pub.equals(key)).toBe(true);
    expect(pub.getComment()).toBe('test-comment');

    {
      const e = dir.convert(dir.cachedKeygen(type, bits), { format, passphrase: 'pw pw' });
      const ek = importPrivateKey(dir.read(e), 'pw pw');
      expect(ek.equals(importPublicKey(dir.read(`${e}.pub`)))).toBe(true);
      expect(() => importPrivateKey(dir.read(e), 'wrong')).toThrow(KeyEncryptionError);
      expect(() => importPrivateKey(dir.read(e))).toThrow(KeyEncryptionError);
    }
  });

  test.each(['RFC4716', 'PKCS8', 'PEM'])('public key exported with ssh-keygen -e -m %s', (format) => {
    if (type === 'ed25519' && format !== 'RFC4716') return;
    if (type === 'dsa' && format === 'PEM') return;
    const p = dir.cachedKeygen(type, bits);
    const exported = dir.run(['-e', '-m', format, '-f', `${p}.pub`]);
    const key = importPublicKey(exported);
    expect(key.getFingerprint()).toBe(dir.run(['-l', '-f', `${p}.pub`]).trim().split(' ')[1]);
  });
});
