/**
 * The host key policy with keys and certificates made by `ssh-keygen`, known_hosts hashed by
 * `ssh-keygen -H`, and the same known_hosts files judged by the real OpenSSH client against a
 * real sshd: ours must accept exactly when `ssh` does.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  generateKey,
  makeTempDir,
  removeTempDir,
  runSsh,
  runSshKeygen,
  signCertificate,
  startSshd,
  type Certificate,
  type KeyPair,
  type SshdServer,
} from '@ssh/interop';
import { importCertificate, importPublicKey, type SSHKey } from '@ssh/keys';
import { HostKeyNotVerifiable } from '@ssh/transport';
import { createHostKeyVerifier, type HostKeyInput, type HostKeyPolicyOptions } from '../src/host-key-policy.ts';

let dir: string;
let n = 0;
async function file(text: string): Promise<string> {
  const path = join(dir, `known_hosts-${++n}`);
  await writeFile(path, text);
  return path;
}

/** The known_hosts line part after the host patterns: `<type> <base64>`. */
const keyPart = (kp: KeyPair): string => kp.publicKey.split(/\s+/).slice(0, 2).join(' ');

async function verdict(options: Pick<HostKeyPolicyOptions, 'host' | 'port' | 'knownHosts'> & Partial<HostKeyPolicyOptions>, key: HostKeyInput): Promise<'accept' | 'reject'> {
  const v = await createHostKeyVerifier({ homeDirectory: join(dir, 'no-home'), x509TrustedCerts: null, ...options });
  try {
    await v.verify(key);
    return 'accept';
  } catch (e) {
    expect(e).toBeInstanceOf(HostKeyNotVerifiable);
    return 'reject';
  }
}

let hostKp: KeyPair;
let otherKp: KeyPair;
let sameTypeKp: KeyPair;
let rsaKp: KeyPair;
let caKp: KeyPair;
let hostKey: SSHKey;

beforeAll(async () => {
  dir = await makeTempDir('host-key-policy');
  [hostKp, otherKp, rsaKp, caKp, sameTypeKp] = await Promise.all([
    generateKey('ed25519', { label: 'hkp-host' }),
    generateKey('ecdsa-p256', { label: 'hkp-other' }),
    generateKey('rsa', { label: 'hkp-rsa' }),
    generateKey('ed25519', { label: 'hkp-ca' }),
    generateKey('ed25519', { label: 'hkp-same-type' }),
  ]);
  hostKey = importPublicKey(hostKp.publicKey);
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('ssh-keygen keys, hashed known_hosts and certificates', () => {
  test('entries hashed by ssh-keygen -H still decide, ports included', async () => {
    const path = await file(
      [`server.example.com ${keyPart(hostKp)}`, `[server.example.com]:2222 ${keyPart(otherKp)}`, `rsa.example.com,10.1.2.3 ${keyPart(rsaKp)}`, ''].join('\n'),
    );
    await runSshKeygen(['-H', '-f', path]);
    const hashed = await readFile(path, 'utf8');
    expect(hashed.split('\n').filter((l) => l.startsWith('|1|'))).toHaveLength(4);
    expect(hashed).not.toContain('example.com');
    const other = importPublicKey(otherKp.publicKey);
    const rsa = importPublicKey(rsaKp.publicKey);
    expect(await verdict({ host: 'server.example.com', port: 22, knownHosts: path }, hostKey)).toBe('accept');
    expect(await verdict({ host: 'server.example.com', port: 22, knownHosts: path }, other)).toBe('reject');
    expect(await verdict({ host: 'server.example.com', port: 2222, knownHosts: path }, other)).toBe('accept');
    expect(await verdict({ host: 'server.example.com', port: 2222, knownHosts: path }, hostKey)).toBe('reject');
    expect(await verdict({ host: 'server.example.com', port: 2200, knownHosts: path }, hostKey)).toBe('accept');
    expect(await verdict({ host: 'server.example.com', port: 2200, knownHosts: path }, other)).toBe('reject');
    expect(await verdict({ host: 'rsa.example.com', port: 22, knownHosts: path }, rsa)).toBe('accept');
    expect(await verdict({ host: 'unknown.example.com', port: 22, peerAddress: '10.1.2.3', knownHosts: path }, rsa)).toBe('accept');
    const v = await createHostKeyVerifier({ host: 'rsa.example.com', port: 22, knownHosts: path, x509TrustedCerts: null });
    expect(v.preferredAlgorithms(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  test('ssh-keygen host certificates: valid, expired, wrong principal, user certificate, revoked CA', async () => {
    const sign = async (options: Parameters<typeof signCertificate>[2]): Promise<HostKeyInput> => {
      const cert: Certificate = await signCertificate(caKp, hostKp, options);
      return importCertificate(cert.line);
    };
    const trusted = await file(`@cert-authority *.example.com ${keyPart(caKp)}\n`);
    const revoked = await file(`@cert-authority *.example.com ${keyPart(caKp)}\n@revoked * ${keyPart(caKp)}\n`);
    const q = { host: 'server.example.com', port: 22 };
    const valid = await sign({ host: true, principals: ['server.example.com'], validity: '-5m:+1h' });
    expect(await verdict({ ...q, knownHosts: trusted }, valid)).toBe('accept');
    expect(await verdict({ ...q, knownHosts: revoked }, valid)).toBe('reject');
    expect(await verdict({ ...q, knownHosts: trusted }, await sign({ host: true }))).toBe('accept');
    expect(await verdict({ ...q, knownHosts: trusted }, await sign({ host: true, principals: ['server.example.com'], validity: '20200101:20210101' }))).toBe('reject');
    expect(await verdict({ ...q, knownHosts: trusted }, await sign({ host: true, principals: ['other.example.com'] }))).toBe('reject');
    expect(await verdict({ ...q, knownHosts: trusted }, await sign({ principals: ['server.example.com'] }))).toBe('reject');
    expect(await verdict({ ...q, host: 'server.example.org', knownHosts: trusted }, await sign({ host: true }))).toBe('reject');
  });
});

describe('the same decisions as the OpenSSH client', () => {
  let sshd: SshdServer;
  let cert: Certificate;

  beforeAll(async () => {
    cert = await signCertificate(caKp, hostKp, { host: true, principals: ['localhost'], validity: '-5m:+1h' });
    sshd = await startSshd({ hostKeys: [hostKp], config: [`HostCertificate ${cert.path}`], logLevel: 'ERROR' });
  });
  afterAll(async () => {
    await sshd.stop();
  });

  /** Whether `ssh` gets past the host key check with `knownHosts` (it then runs `true`). */
  async function openssh(knownHosts: string, algorithm: string, alias?: string): Promise<'accept' | 'reject'> {
    const result = await runSsh(sshd, 'true', {
      strictHostKeyChecking: 'yes',
      config: ['HostName localhost', `UserKnownHostsFile ${knownHosts}`, `HostKeyAlgorithms ${algorithm}`, ...(alias ? [`HostKeyAlias ${alias}`] : [])],
      allowFailure: true,
      timeoutMs: 15_000,
    });
    if (result.exitCode === 0) return 'accept';
    expect(result.stderr).toContain('Host key verification failed');
    return 'reject';
  }

  test.each([
    ['[localhost]:PORT entry', (p: number) => `[localhost]:${p} ${keyPart(hostKp)}`, 'accept'],
    ['entry without the port', () => `localhost ${keyPart(hostKp)}`, 'accept'],
    ['entry without the port, another key of the type with the port', (p: number) => `[localhost]:${p} ${keyPart(sameTypeKp)}\nlocalhost ${keyPart(hostKp)}`, 'reject'],
    ['entry without the port, a key of another type with the port', (p: number) => `[localhost]:${p} ${keyPart(otherKp)}\nlocalhost ${keyPart(hostKp)}`, 'reject'],
    ['entry with the port, @revoked without it', (p: number) => `[localhost]:${p} ${keyPart(hostKp)}\n@revoked localhost ${keyPart(hostKp)}`, 'accept'],
    ['entry without the port, @revoked without it', () => `localhost ${keyPart(hostKp)}\n@revoked localhost ${keyPart(hostKp)}`, 'reject'],
    ['@cert-authority with the port, entry without it', (p: number) => `@cert-authority [localhost]:${p} ${keyPart(caKp)}\nlocalhost ${keyPart(hostKp)}`, 'accept'],
    ['wildcard', () => `* ${keyPart(hostKp)}`, 'accept'],
    ['wildcard with the host negated', (p: number) => `*,![localhost]:${p},!localhost ${keyPart(hostKp)}`, 'reject'],
    ['wildcard with only [host]:port negated', (p: number) => `*,![localhost]:${p} ${keyPart(hostKp)}`, 'accept'],
    ['address entry', (p: number) => `[127.0.0.1]:${p} ${keyPart(hostKp)}`, 'reject'],
    ['another key only', (p: number) => `[localhost]:${p} ${keyPart(otherKp)}`, 'reject'],
    ['listed and @revoked', (p: number) => `[localhost]:${p} ${keyPart(hostKp)}\n@revoked * ${keyPart(hostKp)}`, 'reject'],
  ] as const)('plain key, %s', async (_name, entry, expected) => {
    const path = await file(`${entry(sshd.port)}\n`);
    expect(await openssh(path, 'ssh-ed25519')).toBe(expected);
    expect(await verdict({ host: 'localhost', port: sshd.port, knownHosts: path }, hostKey)).toBe(expected);
  });

  test('hashed by ssh-keygen -H', async () => {
    const path = await file(`[localhost]:${sshd.port} ${keyPart(hostKp)}\n`);
    await runSshKeygen(['-H', '-f', path]);
    expect(await openssh(path, 'ssh-ed25519')).toBe('accept');
    expect(await verdict({ host: 'localhost', port: sshd.port, knownHosts: path }, hostKey)).toBe('accept');
  });

  test('HostKeyAlias: the alias as written, or another key for it', async () => {
    for (const [entry, expected] of [
      [`server.test ${keyPart(hostKp)}`, 'accept'],
      [`server.test ${keyPart(sameTypeKp)}`, 'reject'],
      [`localhost ${keyPart(hostKp)}\n[localhost]:${sshd.port} ${keyPart(hostKp)}`, 'reject'],
    ] as const) {
      const path = await file(`${entry}\n`);
      expect(await openssh(path, 'ssh-ed25519', 'server.test')).toBe(expected);
      expect(await verdict({ host: 'localhost', port: sshd.port, hostKeyAlias: 'server.test', knownHosts: path }, hostKey)).toBe(expected);
    }
  });

  test.each([
    ['CA for the host', (p: number) => `@cert-authority [localhost]:${p} ${keyPart(caKp)}`, undefined, 'accept'],
    ['CA for other hosts', () => `@cert-authority *.example.com ${keyPart(caKp)}`, undefined, 'reject'],
    ['revoked CA', () => `@cert-authority * ${keyPart(caKp)}\n@revoked * ${keyPart(caKp)}`, undefined, 'reject'],
    ['no CA but the plain key listed', (p: number) => `[localhost]:${p} ${keyPart(hostKp)}`, undefined, 'accept'],
    ['revoked CA and the plain key listed', (p: number) => `[localhost]:${p} ${keyPart(hostKp)}\n@revoked * ${keyPart(caKp)}`, undefined, 'reject'],
    ['alias not among the principals', () => `@cert-authority * ${keyPart(caKp)}`, 'server.test', 'reject'],
  ] as const)('host certificate, %s', async (_name, entry, alias, expected) => {
    const path = await file(`${entry(sshd.port)}\n`);
    expect(await openssh(path, 'ssh-ed25519-cert-v01@openssh.com', alias)).toBe(expected);
    const options = { host: 'localhost', port: sshd.port, knownHosts: path, ...(alias ? { hostKeyAlias: alias } : {}) };
    expect(await verdict(options, importCertificate(cert.line))).toBe(expected);
  });
});
