import { describe, expect, it } from 'vitest';
import { KEY_TYPES, InteropError, generateKey, runSshKeygen } from '../src/index.ts';

describe('generateKey', () => {
  it.each(KEY_TYPES)('makes a %s key that ssh-keygen agrees with', async (type) => {
    const key = await generateKey(type);
    const listed = await runSshKeygen(['-l', '-f', key.publicKeyPath]);
    expect(listed.stdout).toContain(key.fingerprint);
    expect(key.publicKey.startsWith(`${key.algorithm} `)).toBe(true);
    expect(key.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const derived = await runSshKeygen(['-y', '-f', key.privateKeyPath]);
    expect(derived.stdout.split(' ').slice(0, 2)).toEqual(key.publicKey.split(' ').slice(0, 2));
  });

  it('caches by options, and labels make distinct keys', async () => {
    const a = await generateKey('ed25519', { label: 'cache-a' });
    expect(await generateKey('ed25519', { label: 'cache-a' })).toBe(a);
    const b = await generateKey('ed25519', { label: 'cache-b' });
    expect(b.fingerprint).not.toBe(a.fingerprint);
    const fresh = await generateKey('ed25519', { label: 'cache-a', cache: false });
    expect(fresh.fingerprint).not.toBe(a.fingerprint);
  });

  it('writes PEM and PKCS#8 files, and encrypted keys', async () => {
    expect((await generateKey('rsa', { format: 'pem' })).privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect((await generateKey('ecdsa-p256', { format: 'pem' })).privateKey).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect((await generateKey('ecdsa-p384', { format: 'pkcs8' })).privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const locked = await generateKey('ed25519', { passphrase: 'hunter2' });
    const wrong = await runSshKeygen(['-y', '-P', 'nope', '-f', locked.privateKeyPath], { allowFailure: true });
    expect(wrong.exitCode).not.toBe(0);
    const right = await runSshKeygen(['-y', '-P', 'hunter2', '-f', locked.privateKeyPath]);
    expect(right.stdout).toContain(locked.publicKey.split(' ')[1]);
    await expect(generateKey('ed25519', { format: 'pem' })).rejects.toBeInstanceOf(InteropError);
  });

  it('honours the RSA size', async () => {
    const key = await generateKey('rsa', { bits: 1024, label: 'small' });
    expect((await runSshKeygen(['-l', '-f', key.publicKeyPath])).stdout).toMatch(/^1024 /);
  });
});
