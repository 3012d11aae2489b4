/**
 * X.509 host certificates on the wire (RFC 6187 x509v3-* host key algorithms): our client checks
 * the chain an AsyncSSH server presents against trusted roots, and our server presents a chain
 * that AsyncSSH's client and ours accept.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultClientKey, makeTempDir, removeTempDir, runAsyncsshClient, startAsyncsshServer, type KeyPair } from '@ssh/interop';
import { SSHKeyPair, generatePrivateKey, type SSHKey, type SSHX509Certificate } from '@ssh/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, connect, listen, type SSHServerProcess } from '../src/index.ts';

const rootKey = generatePrivateKey('ecdsa-sha2-nistp256');
const root = rootKey.generateX509CaCertificate(rootKey, 'CN=Root,O=Example', { validAfter: '-1d', validBefore: '+1w' });
const otherRootKey = generatePrivateKey('ecdsa-sha2-nistp256');
const otherRoot = otherRootKey.generateX509CaCertificate(otherRootKey, 'CN=Other,O=Example', { validAfter: '-1d', validBefore: '+1w' });

function hostChain(key: SSHKey): SSHX509Certificate[] {
  return [rootKey.generateX509HostCertificate(key, 'CN=server,O=Example', { issuerCert: root, principals: ['localhost', '127.0.0.1'], validAfter: '-1d', validBefore: '+1w' })];
}

const CASES = [
  ['x509v3-ecdsa-sha2-nistp256', generatePrivateKey('ecdsa-sha2-nistp256')],
  ['x509v3-rsa2048-sha256', generatePrivateKey('ssh-rsa', { keySize: 2048 })],
  ['x509v3-ssh-rsa', generatePrivateKey('ssh-rsa', { keySize: 2048 })],
] as const;

let clientKey: KeyPair;
let dir: string;
beforeAll(async () => {
  clientKey = await defaultClientKey();
  dir = await makeTempDir('host-x509');
  await writeFile(join(dir, 'root.pem'), root.exportCertificate('pem'));
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('our client against an AsyncSSH server presenting an X.509 chain', () => {
  it.each(CASES)('%s: accepted with the root trusted, refused with another root', async (alg, key) => {
    const keyPath = join(dir, `${alg}.key`);
    const chainPath = join(dir, `${alg}.pem`);
    await writeFile(keyPath, key.exportPrivateKey('openssh'), { mode: 0o600 });
    await writeFile(chainPath, hostChain(key)[0]?.exportCertificate('pem') ?? '');
    const server = await startAsyncsshServer({
      authorizedKeys: [clientKey],
      script: "server_options = {'server_host_keys': asyncssh.load_keypairs([(params['key'], params['chain'])])}",
      params: { key: keyPath, chain: chainPath },
    });
    try {
      const options = { host: '127.0.0.1', port: server.port, username: 'x509', clientKeys: [clientKey.privateKeyPath], knownHosts: new Uint8Array(0), agentPath: null, config: null, serverHostKeyAlgs: [alg] };
      await using conn = await connect({ ...options, x509TrustedCerts: [root] });
      expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
      const presented = conn.getServerHostKey();
      expect(Array.isArray(presented) && (presented as readonly SSHX509Certificate[])[0]?.subjectName).toBe('CN=server,O=Example');
      await expect(connect({ ...options, x509TrustedCerts: [otherRoot] })).rejects.toBeInstanceOf(HostKeyNotVerifiable);
    } finally {
      await server.stop();
    }
  });
});

describe('our server presenting an X.509 chain', () => {
  it.each(CASES)('%s: the AsyncSSH client and ours accept it through the trusted root', async (alg, key) => {
    const echo = (proc: SSHServerProcess<string>): void => {
      proc.stdout.write(`ran: ${proc.command ?? ''}\n`);
      proc.exit(0);
    };
    await using acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [new SSHKeyPair(key, hostChain(key))],
      authorizedClientKeys: clientKey.publicKey,
      processFactory: echo,
    });
    const out = await runAsyncsshClient(
      [
        'async with asyncssh.connect("127.0.0.1", params["port"], username="x509", client_keys=[params["key"]], known_hosts=b"",',
        '                            x509_trusted_certs=[params["root"]], server_host_key_algs=[params["alg"]], agent_path=None) as c:',
        '    r = await c.run("from asyncssh")',
        '    print(r.stdout, end="")',
      ].join('\n'),
      { params: { port: acceptor.getPort(), key: clientKey.privateKeyPath, root: join(dir, 'root.pem'), alg } },
    );
    expect(out.stdout).toBe('ran: from asyncssh\n');

    await using conn = await connect({
      host: '127.0.0.1',
      port: acceptor.getPort(),
      username: 'x509',
      clientKeys: [clientKey.privateKeyPath],
      knownHosts: new Uint8Array(0),
      x509TrustedCerts: [root],
      agentPath: null,
      config: null,
      serverHostKeyAlgs: [alg],
    });
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
  });
});
