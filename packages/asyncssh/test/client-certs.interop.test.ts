/**
 * clientCerts (AsyncSSH client_certs) and ssh_config's CertificateFile against sshd trusting a
 * user CA: a key sshd does not list in authorized_keys gets in with a certificate kept apart from
 * it (not as <key>-cert.pub), given as an option or through the config.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKey, knownHostsLines, makeTempDir, removeTempDir, signCertificate, startSshd, type Certificate, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDenied, connect, type SSHClientConnectionOptions } from '../src/index.ts';

let sshd: SshdServer;
let dir: string;
let user: KeyPair;
let other: KeyPair;
let cert: Certificate;
let otherCert: Certificate;
let knownHosts: string;

beforeAll(async () => {
  const [ca, u, o, placeholder] = await Promise.all([
    generateKey('ed25519', { label: 'client-certs-ca' }),
    generateKey('ed25519', { label: 'client-certs-user' }),
    generateKey('ecdsa-p256', { label: 'client-certs-other' }),
    generateKey('ed25519', { label: 'client-certs-listed' }),
  ]);
  user = u;
  other = o;
  sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [placeholder], logLevel: 'VERBOSE', config: [`TrustedUserCAKeys ${ca.publicKeyPath}`] });
  [cert, otherCert] = await Promise.all([signCertificate(ca, user, { principals: [sshd.user], identity: 'client-certs-id' }), signCertificate(ca, other, { principals: [sshd.user] })]);
  dir = await makeTempDir('client-certs');
  knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  if (dir !== undefined) await removeTempDir(dir);
});

const base = (): SSHClientConnectionOptions => ({ host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, agentPath: null, config: null });

describe('client certificates against sshd with TrustedUserCAKeys', () => {
  it('the key alone is refused; with clientCerts it logs in with its certificate', async () => {
    await expect(connect({ ...base(), clientKeys: [user.privateKeyPath] })).rejects.toBeInstanceOf(PermissionDenied);
    await using conn = await connect({ ...base(), clientKeys: [user.privateKeyPath], clientCerts: [cert.path] });
    expect((await conn.run('echo certified', { check: true })).stdout).toBe('certified\n');
    await sshd.waitForLog(/Accepted publickey for .* ED25519-CERT .*ID client-certs-id/);
  });

  it('a certificate of another key is not paired with it', async () => {
    await expect(connect({ ...base(), clientKeys: [user.privateKeyPath], clientCerts: [otherCert.path] })).rejects.toBeInstanceOf(PermissionDenied);
  });

  it("ssh_config's CertificateFile pairs with its IdentityFile", async () => {
    const configPath = path.join(dir, 'ssh_config');
    await writeFile(
      configPath,
      ['Host cert-alias', `  HostName ${sshd.host}`, `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${user.privateKeyPath}`, `  CertificateFile ${cert.path}`, `  UserKnownHostsFile ${knownHosts}`, ''].join('\n'),
    );
    await using conn = await connect('cert-alias', { config: [configPath], agentPath: null, homeDirectory: dir });
    expect((await conn.run('echo from config', { check: true })).stdout).toBe('from config\n');
  });
});
