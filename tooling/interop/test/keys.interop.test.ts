import { userInfo } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InteropError,
  KEY_TYPES,
  type SshdServer,
  generateKey,
  runSsh,
  runSshKeygen,
  signCertificate,
  startSshd,
} from '../src/index.ts';

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

describe('signCertificate', () => {
  let sshd: SshdServer | undefined;
  afterAll(async () => {
    await sshd?.stop();
  });

  it('makes user certificates sshd accepts through TrustedUserCAKeys', async () => {
    const ca = await generateKey('ed25519', { label: 'user-ca' });
    const key = await generateKey('ecdsa-p256', { label: 'certified' });
    const cert = await signCertificate(ca, key, { principals: [userInfo().username], validity: '-5m:+1h', serial: 7 });
    expect(cert.algorithm).toBe('ecdsa-sha2-nistp256-cert-v01@openssh.com');
    const shown = await runSshKeygen(['-L', '-f', cert.path]);
    expect(shown.stdout).toMatch(/Serial: 7/);
    expect(shown.stdout).toContain(ca.fingerprint);

    sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [], config: [`TrustedUserCAKeys ${ca.publicKeyPath}`] });
    expect((await runSsh(sshd, 'true', { identity: key, allowFailure: true })).exitCode).toBe(255);
    const ok = await runSsh(sshd, 'echo certified', { identity: key, config: [`CertificateFile ${cert.path}`] });
    expect(ok.stdout).toBe('certified\n');
  });

  it('makes host certificates', async () => {
    const ca = await generateKey('ed25519', { label: 'host-ca' });
    const host = await generateKey('ed25519', { label: 'cert-host' });
    const cert = await signCertificate(ca, host, { host: true, principals: ['127.0.0.1'], identity: 'the-host' });
    const shown = await runSshKeygen(['-L', '-f', cert.path]);
    expect(shown.stdout).toMatch(/host certificate/);
    expect(shown.stdout).toMatch(/Key ID: "the-host"/);
  });
});
