/**
 * Host certificates (PROTOCOL.certkeys): our client accepts OpenSSH host certificates from sshd
 * and AsyncSSH when known_hosts trusts their CA (@cert-authority), and refuses one from a CA it
 * does not trust; our server offers host certificates that ssh, AsyncSSH and our client accept
 * through @cert-authority alone.
 */
import { execFileSync } from 'node:child_process';
import { defaultClientKey, generateKey, runAsyncsshClient, runSsh, signCertificate, startAsyncsshServer, startSshd, type KeyPair, type SshTarget } from '@ssh/interop';
import { beforeAll, describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, connect, listen, type SSHServerProcess } from '../src/index.ts';

let clientKey: KeyPair;
// Known when the tests are collected, so the cases can be listed per algorithm.
const openssh = { hostKey: execFileSync('ssh', ['-Q', 'HostKeyAlgorithms'], { encoding: 'utf8' }).split('\n').filter(Boolean) };

beforeAll(async () => {
  clientKey = await defaultClientKey();
});
// ------------------------------------------------------------------------ host certificates

describe('host certificates: our client against sshd and AsyncSSH, trusted through @cert-authority', () => {
  const certCases = [
    ['ssh-ed25519-cert-v01@openssh.com', 'ed25519'],
    ['ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-p256'],
    ['ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-p384'],
    ['ecdsa-sha2-nistp521-cert-v01@openssh.com', 'ecdsa-p521'],
    ['rsa-sha2-512-cert-v01@openssh.com', 'rsa'],
    ['rsa-sha2-256-cert-v01@openssh.com', 'rsa'],
  ] as const;
  let ca: KeyPair;

  beforeAll(async () => {
    ca = await generateKey('ed25519', { label: 'algorithms-host-ca' });
  });

  const trustCa = (host: string, port: number): Uint8Array => new TextEncoder().encode(`@cert-authority [${host}]:${port} ${ca.publicKey}\n`);

  it.concurrent.each(certCases.filter(([alg]) => openssh.hostKey.includes(alg)))('sshd %s', async (alg, type) => {
    const hostKey = await generateKey(type, { label: `algorithms-host-${type}` });
    const cert = await signCertificate(ca, hostKey, { host: true, principals: ['127.0.0.1'] });
    const sshd = await startSshd({ hostKeys: [hostKey], config: [`HostCertificate ${cert.path}`, `HostKeyAlgorithms ${alg}`] });
    try {
      await using conn = await connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        clientKeys: [clientKey.privateKeyPath],
        knownHosts: trustCa(sshd.host, sshd.port),
        agentPath: null,
        config: null,
      });
      expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
      expect((await conn.run('true')).exitStatus).toBe(0);
    } finally {
      await sshd.stop();
    }
  });

  it('a host certificate from a CA known_hosts does not trust is refused', async () => {
    const hostKey = await generateKey('ed25519', { label: 'algorithms-host-ed25519' });
    const other = await generateKey('ed25519', { label: 'algorithms-other-ca' });
    const cert = await signCertificate(other, hostKey, { host: true, principals: ['127.0.0.1'] });
    const sshd = await startSshd({ hostKeys: [hostKey], config: [`HostCertificate ${cert.path}`, 'HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com'] });
    try {
      await expect(
        connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts: trustCa(sshd.host, sshd.port), agentPath: null, config: null }),
      ).rejects.toBeInstanceOf(HostKeyNotVerifiable);
    } finally {
      await sshd.stop();
    }
  });

  it('AsyncSSH server_host_certs, ed25519 and ecdsa', async () => {
    const keys = await Promise.all([generateKey('ed25519', { label: 'algorithms-host-ed25519' }), generateKey('ecdsa-p256', { label: 'algorithms-host-ecdsa-p256' })]);
    const certs = await Promise.all(keys.map((k) => signCertificate(ca, k, { host: true, principals: ['127.0.0.1'] })));
    const server = await startAsyncsshServer({
      hostKeys: keys,
      authorizedKeys: [clientKey],
      script: "server_options = dict(server_host_certs=params['certs'])",
      params: { certs: certs.map((c) => c.path) },
    });
    try {
      for (const alg of ['ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com']) {
        await using conn = await connect({
          host: server.host,
          port: server.port,
          username: 'matrix',
          clientKeys: [clientKey.privateKeyPath],
          knownHosts: trustCa(server.host, server.port),
          agentPath: null,
          config: null,
          serverHostKeyAlgs: [alg],
        });
        expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('host certificates offered by our server', () => {
  const echo = (proc: SSHServerProcess<string>): void => {
    proc.stdout.write(`ran: ${proc.command ?? ''}\n`);
    proc.exit(0);
  };

  it('ssh, AsyncSSH and our client accept them through @cert-authority alone (ed25519 and RSA)', async () => {
    const ca = await generateKey('ed25519', { label: 'our-host-ca' });
    const [ed, rsa] = await Promise.all([generateKey('ed25519', { label: 'our-host-ed25519' }), generateKey('rsa', { label: 'our-host-rsa' })]);
    const [edCert, rsaCert] = await Promise.all([ed, rsa].map((k) => signCertificate(ca, k, { host: true, principals: ['127.0.0.1'] })));
    if (!edCert || !rsaCert) throw new Error('certificates not made');
    // The ed25519 certificate given separately, the RSA one paired with its key.
    await using acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [ed.privateKeyPath, { key: rsa.privateKeyPath, cert: rsaCert.path }],
      serverHostCerts: [edCert.path],
      authorizedClientKeys: clientKey.publicKey,
      processFactory: echo,
    });
    const target: SshTarget = { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostCertAuthorities: [ca.publicKey] };
    for (const alg of ['ssh-ed25519-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com']) {
      const r = await runSsh(target, 'hello', { identity: clientKey, config: [`HostKeyAlgorithms ${alg}`] });
      expect(r.stdout).toBe('ran: hello\n');
    }
    // Without the certificate algorithms, ssh sees the plain key, which nothing pins: refused.
    const plain = await runSsh(target, 'hello', { identity: clientKey, config: ['HostKeyAlgorithms ssh-ed25519'], allowFailure: true });
    expect(plain.exitCode).toBe(255);
    expect(plain.stderr).toMatch(/Host key verification failed/);

    const out = await runAsyncsshClient(
      // Its known_hosts holds only the @cert-authority line: a plain host key would be refused.
      ['r = await conn.run("from asyncssh")', 'print(r.stdout, end="")'].join('\n'),
      { target, identity: clientKey },
    );
    expect(out.stdout).toBe('ran: from asyncssh\n');

    await using conn = await connect({
      host: target.host,
      port: target.port,
      username: 'anyone',
      clientKeys: [clientKey.privateKeyPath],
      knownHosts: new TextEncoder().encode(`@cert-authority [127.0.0.1]:${target.port} ${ca.publicKey}\n`),
      agentPath: null,
      config: null,
    });
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
  });

  it('refuses a certificate that certifies none of its host keys, or a user certificate', async () => {
    const ca = await generateKey('ed25519', { label: 'our-host-ca' });
    const [key, other] = await Promise.all([generateKey('ed25519', { label: 'our-host-ed25519' }), generateKey('ecdsa-p256', { label: 'our-host-ecdsa-p256' })]);
    const foreign = await signCertificate(ca, other, { host: true, principals: ['127.0.0.1'] });
    await expect(listen('127.0.0.1', 0, { serverHostKeys: [key.privateKeyPath], serverHostCerts: [foreign.path], processFactory: echo })).rejects.toThrow(/certifies none of the server host keys/);
    const user = await signCertificate(ca, key, { principals: ['someone'] });
    await expect(listen('127.0.0.1', 0, { serverHostKeys: [key.privateKeyPath], serverHostCerts: [user.path], processFactory: echo })).rejects.toThrow(/user certificate/);
  });
});
