/**
 * CASignatureAlgorithms against OpenSSH, with certificates `ssh-keygen -s -t ssh-rsa` signs (RSA
 * with SHA-1): ssh and our client judge a host certificate alike, sshd and our server a user
 * certificate alike — refused by default, accepted once the list allows ssh-rsa.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { defaultClientKey, generateKey, knownHostsLines, makeTempDir, removeTempDir, runSsh, signCertificate, startSshd, type KeyPair, type SshTarget } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, PermissionDenied, connect, listen, type SSHClientConnectionOptions, type SSHServerProcess } from '../src/index.ts';

let clientKey: KeyPair;
let ca: KeyPair;
let hostKey: KeyPair;
let userKey: KeyPair;
let dir: string;

beforeAll(async () => {
  [clientKey, ca, hostKey, userKey] = await Promise.all([
    defaultClientKey(),
    generateKey('rsa', { label: 'casig-rsa-ca' }),
    generateKey('ed25519', { label: 'casig-host' }),
    generateKey('ed25519', { label: 'casig-user' }),
  ]);
  dir = await makeTempDir('casig');
}, 60_000);
afterAll(async () => removeTempDir(dir));

const echo = (proc: SSHServerProcess<string>): void => {
  proc.stdout.write(`ran: ${proc.command ?? ''}\n`);
  proc.exit(0);
};

/** Our client's options for a listener on `port`, trusting host certificates of `ca` only. */
function trustingCa(port: number): SSHClientConnectionOptions {
  return {
    host: '127.0.0.1',
    port,
    username: 'anyone',
    clientKeys: [clientKey.privateKeyPath],
    knownHosts: new TextEncoder().encode(`@cert-authority [127.0.0.1]:${port} ${ca.publicKey}\n`),
    agentPath: null,
    config: null,
  };
}

describe('a host certificate signed with ssh-rsa, offered by our server', () => {
  it('ssh and our client refuse it by default, and accept it when CASignatureAlgorithms adds ssh-rsa', async () => {
    const cert = await signCertificate(ca, hostKey, { host: true, principals: ['127.0.0.1'], signatureAlgorithm: 'ssh-rsa' });
    await using acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey.privateKeyPath],
      serverHostCerts: [cert.path],
      authorizedClientKeys: clientKey.publicKey,
      processFactory: echo,
    });
    const port = acceptor.getPort();
    const target: SshTarget = { name: 'ours', host: '127.0.0.1', port, hostCertAuthorities: [ca.publicKey] };
    const certOnly = 'HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com';

    const refused = await runSsh(target, 'hello', { identity: clientKey, config: [certOnly], allowFailure: true });
    expect(refused.exitCode).toBe(255);
    expect(refused.stderr).toMatch(/Host key verification failed/);
    expect((await runSsh(target, 'hello', { identity: clientKey, config: [certOnly, 'CASignatureAlgorithms +ssh-rsa'] })).stdout).toBe('ran: hello\n');

    const ours = trustingCa(port);
    await expect(connect(ours)).rejects.toThrow(HostKeyNotVerifiable);
    await expect(connect(ours)).rejects.toThrow(/signed with "ssh-rsa"/);
    await using conn = await connect({ ...ours, caSignatureAlgs: '+ssh-rsa' });
    expect((await conn.run('hi')).stdout).toBe('ran: hi\n');
    const config = join(dir, 'ssh_config');
    await writeFile(config, 'Host 127.0.0.1\n  CASignatureAlgorithms +ssh-rsa\n');
    await using fromConfig = await connect({ ...ours, config });
    expect(fromConfig.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
  });

  it('one signed with rsa-sha2-512 is accepted by default, and refused by a list without rsa-sha2-512', async () => {
    const cert = await signCertificate(ca, hostKey, { host: true, principals: ['127.0.0.1'], signatureAlgorithm: 'rsa-sha2-512' });
    await using acceptor = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], serverHostCerts: [cert.path], authorizedClientKeys: clientKey.publicKey, processFactory: echo });
    const port = acceptor.getPort();
    const ours = trustingCa(port);
    await using conn = await connect(ours);
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
    await expect(connect({ ...ours, caSignatureAlgs: 'rsa-sha2-256' })).rejects.toThrow(/signed with "rsa-sha2-512"/);
  });
});

describe('a user certificate signed with ssh-rsa', () => {
  const user = userInfo().username;

  it('sshd and our server refuse it by default and accept it once the list adds ssh-rsa', async () => {
    const cert = await signCertificate(ca, userKey, { principals: [user], signatureAlgorithm: 'ssh-rsa' });
    for (const allowed of [false, true]) {
      // sshd, with our client presenting the certificate.
      const sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [`cert-authority ${ca.publicKey}`], config: allowed ? ['CASignatureAlgorithms +ssh-rsa'] : [] });
      try {
        const attempt = connect({
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          clientKeys: [{ key: userKey.privateKeyPath, cert: cert.path }],
          knownHosts: new TextEncoder().encode(`${knownHostsLines(sshd).join('\n')}\n`),
          agentPath: null,
          config: null,
        });
        if (allowed) {
          await using conn = await attempt;
          expect((await conn.run('true')).exitStatus).toBe(0);
        } else await expect(attempt).rejects.toBeInstanceOf(PermissionDenied);
      } finally {
        await sshd.stop();
      }

      // Our server, with ssh presenting it.
      await using acceptor = await listen('127.0.0.1', 0, {
        serverHostKeys: [hostKey.privateKeyPath],
        authorizedClientKeys: `cert-authority ${ca.publicKey}`,
        processFactory: echo,
        ...(allowed ? { caSignatureAlgs: '+ssh-rsa' } : {}),
      });
      const target: SshTarget = { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] };
      const r = await runSsh(target, 'hello', { identity: userKey, config: [`CertificateFile ${cert.path}`, 'IdentitiesOnly yes'], allowFailure: true });
      if (allowed) expect(r.stdout).toBe('ran: hello\n');
      else {
        expect(r.exitCode).toBe(255);
        expect(r.stderr).toMatch(/Permission denied/);
      }
    }
  });
});
