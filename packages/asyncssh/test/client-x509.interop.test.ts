/**
 * X.509 client certificates (RFC 6187 x509v3-* user authentication) on our server, as AsyncSSH's
 * server judges them: authorized_keys lists the certificate or matches its subject, the chain
 * leads to a trusted root (x509TrustedCerts or a cert-authority line), allows the SSH client
 * purpose and names the user. Clients: ours (a key with its chain) and AsyncSSH's.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, runAsyncsshClient } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDenied, SSHKeyPair, connect, generatePrivateKey, importAuthorizedKeys, listen, type SSHServerConnectionOptions, type SSHServerProcess } from '../src/index.ts';

const rootKey = generatePrivateKey('ecdsa-sha2-nistp256');
const root = rootKey.generateX509CaCertificate(rootKey, 'CN=Users CA,O=Example', { validAfter: '-1d', validBefore: '+1w' });
const otherRootKey = generatePrivateKey('ecdsa-sha2-nistp256');
const otherRoot = otherRootKey.generateX509CaCertificate(otherRootKey, 'CN=Other CA,O=Example', { validAfter: '-1d', validBefore: '+1w' });
const userKey = generatePrivateKey('ecdsa-sha2-nistp256');
const userCert = rootKey.generateX509UserCertificate(userKey, 'CN=alice,O=Example', { issuerCert: root, principals: ['alice'], validAfter: '-1d', validBefore: '+1w' });
const expiredCert = rootKey.generateX509UserCertificate(userKey, 'CN=alice,O=Example', { issuerCert: root, principals: ['alice'], validAfter: '-1w', validBefore: '-1d' });

const echo = (proc: SSHServerProcess<string>): void => {
  proc.stdout.write(`ran: ${proc.command ?? ''}\n`);
  proc.exit(0);
};

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('client-x509');
});
afterAll(async () => {
  await removeTempDir(dir);
});

async function server(options: Partial<SSHServerConnectionOptions>) {
  return listen('127.0.0.1', 0, { serverHostKeys: [generatePrivateKey('ssh-ed25519')], processFactory: echo, ...options });
}

const client = (port: number, pair: SSHKeyPair, username = 'alice') => ({ host: '127.0.0.1', port, username, clientKeys: [pair], knownHosts: null, agentPath: null, config: null });

describe('X.509 client certificates on our server', () => {
  it('accepts a chain to a trusted root whose subject authorized_keys matches, from our client and AsyncSSH', async () => {
    await using acceptor = await server({
      authorizedClientKeys: importAuthorizedKeys('x509v3-ecdsa-sha2-nistp256 subject=CN=alice,O=Example\n'),
      x509TrustedCerts: [root],
    });
    await using conn = await connect(client(acceptor.getPort(), new SSHKeyPair(userKey, [userCert])));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect((await conn.run('hello', { check: true })).stdout).toBe('ran: hello\n');

    const keyPath = join(dir, 'alice.key');
    const certPath = join(dir, 'alice.pem');
    await writeFile(keyPath, userKey.exportPrivateKey('openssh'), { mode: 0o600 });
    await writeFile(certPath, userCert.exportCertificate('pem'));
    const out = await runAsyncsshClient(
      [
        'async with asyncssh.connect("127.0.0.1", params["port"], username="alice", client_keys=[(params["key"], params["cert"])],',
        '                            known_hosts=None, agent_path=None) as c:',
        '    r = await c.run("from asyncssh")',
        '    print(r.stdout, end="")',
      ].join('\n'),
      { params: { port: acceptor.getPort(), key: keyPath, cert: certPath } },
    );
    expect(out.stdout).toBe('ran: from asyncssh\n');
  });

  it('trusts a cert-authority line holding the root, and a line listing the certificate itself', async () => {
    const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');
    const caLine = `cert-authority x509v3-ecdsa-sha2-nistp256 ${b64(root.data)}\n`;
    const subjectLine = 'x509v3-ecdsa-sha2-nistp256 subject=CN=alice,O=Example\n';
    await using viaLine = await server({ authorizedClientKeys: importAuthorizedKeys(caLine + subjectLine), x509TrustedCerts: [] });
    await using conn = await connect(client(viaLine.getPort(), new SSHKeyPair(userKey, [userCert])));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    const certLine = `x509v3-ecdsa-sha2-nistp256 ${b64(userCert.data)} alice's certificate\n`;
    await using listed = await server({ authorizedClientKeys: importAuthorizedKeys(certLine), x509TrustedCerts: [root] });
    await using conn2 = await connect(client(listed.getPort(), new SSHKeyPair(userKey, [userCert])));
    expect(conn2.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('refuses an untrusted root, an expired certificate, another user, an unlisted subject, and X.509 turned off', async () => {
    const listed = importAuthorizedKeys('x509v3-ecdsa-sha2-nistp256 subject=CN=alice,O=Example\n');
    const pair = new SSHKeyPair(userKey, [userCert]);
    await using untrusted = await server({ authorizedClientKeys: listed, x509TrustedCerts: [otherRoot] });
    await expect(connect(client(untrusted.getPort(), pair))).rejects.toBeInstanceOf(PermissionDenied);
    await using trusted = await server({ authorizedClientKeys: listed, x509TrustedCerts: [root] });
    await expect(connect(client(trusted.getPort(), new SSHKeyPair(userKey, [expiredCert])))).rejects.toBeInstanceOf(PermissionDenied);
    await expect(connect(client(trusted.getPort(), pair, 'bob'))).rejects.toBeInstanceOf(PermissionDenied);
    await using unlisted = await server({ authorizedClientKeys: importAuthorizedKeys('x509v3-ecdsa-sha2-nistp256 subject=CN=bob,O=Example\n'), x509TrustedCerts: [root] });
    await expect(connect(client(unlisted.getPort(), pair))).rejects.toBeInstanceOf(PermissionDenied);
    await using off = await server({ authorizedClientKeys: listed, x509TrustedCerts: null });
    await expect(connect(client(off.getPort(), pair))).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('lets principals= stand in for the user name, as AsyncSSH does', async () => {
    await using acceptor = await server({
      authorizedClientKeys: importAuthorizedKeys('principals="alice" x509v3-ecdsa-sha2-nistp256 subject=CN=alice,O=Example\n'),
      x509TrustedCerts: [root],
    });
    await using conn = await connect(client(acceptor.getPort(), new SSHKeyPair(userKey, [userCert]), 'deploy'));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });
});
