/**
 * Keys that sign elsewhere, as client keys against OpenSSH sshd: PKCS#11 token keys (SoftHSM,
 * loaded by loadPkcs11Keys or through the pkcs11Provider / pkcs11Pin options) of each type, and
 * an ssh-agent's key pairs given in clientKeys, as AsyncSSH accepts them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  generateKey,
  knownHostsLines,
  makeTempDir,
  runSshAdd,
  SOFTHSM_PROVIDER,
  softToken,
  softTokenAvailable,
  startAsyncsshServer,
  startSshAgent,
  startSshd,
  type SoftToken,
  type SshAgent,
  type SshdServer,
} from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, connectAgent, importPublicKey, loadPkcs11Keys, Pkcs11Error, type SSHClientConnectionOptions } from '../src/index.ts';

if (!softTokenAvailable()) throw new Error('SoftHSM 2 and pkcs11-tool are missing: run tooling/scripts/ensure-peers.sh');

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let token: SoftToken;
let sshd: SshdServer;
let agent: SshAgent;
let home: string;
let base: () => SSHClientConnectionOptions;

beforeAll(async () => {
  // SoftHSM lists its tokens when first initialized: make them all before any load.
  token = await softToken('ssh-client', '4321', [
    { type: 'rsa', label: 'rsa', id: '11' },
    { type: 'ec-p256', label: 'p256', id: '12' },
    { type: 'ed25519', label: 'ed', id: '13' },
    { type: 'ec-p256', label: 'with-cert', id: '14', certificate: true, certificatePrincipal: 'token' },
  ]);
  const agentKey = await generateKey('ecdsa-p384', { label: 'pkcs11-agent-key' });
  const lines = token.keys.map((k) => new TextDecoder().decode(importPublicKey(k.publicKeyPem).exportPublicKey('openssh')).trim());
  sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [...lines, agentKey] });
  agent = await startSshAgent();
  await runSshAdd([agentKey.privateKeyPath], { agent });
  home = await makeTempDir('pkcs11-home'); // no ~/.ssh/id_* here: only the keys under test are offered
  await mkdir(path.join(home, '.ssh'));
  const knownHosts = text(knownHostsLines(sshd).join('\n') + '\n');
  base = () => ({ host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, agentPath: null, config: null, homeDirectory: home });
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  await agent?.stop();
});

describe('keys that sign elsewhere, against sshd', () => {
  it.each(['rsa', 'p256', 'ed'])('logs in with the %s key of a PKCS#11 token given in clientKeys', async (label) => {
    const pairs = await loadPkcs11Keys(SOFTHSM_PROVIDER, '4321', { tokenLabel: 'ssh-client', keyLabel: label });
    expect(pairs).toHaveLength(1);
    await using conn = await connect({ ...base(), clientKeys: pairs });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect((await conn.run('echo signed on a token', { check: true })).stdout).toBe('signed on a token\n');
  });

  it('offers the tokens of pkcs11Provider with pkcs11Pin when no clientKeys are given', async () => {
    await using conn = await connect({ ...base(), pkcs11Provider: SOFTHSM_PROVIDER, pkcs11Pin: '4321' });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect((await conn.run('echo via provider', { check: true })).stdout).toBe('via provider\n');
  });

  it("takes the provider from ssh_config's PKCS11Provider", async () => {
    const configPath = path.join(home, 'ssh_config');
    await writeFile(configPath, `Host token-host\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  PKCS11Provider ${SOFTHSM_PROVIDER}\n`);
    const { host: _host, port: _port, username: _user, config: _config, ...rest } = base();
    await using conn = await connect('token-host', { ...rest, config: [configPath], pkcs11Pin: '4321' });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('fails the connection with a Pkcs11Error for a provider that cannot be loaded', async () => {
    await expect(connect({ ...base(), pkcs11Provider: '/nonexistent/pkcs11.so', pkcs11Pin: '0' })).rejects.toBeInstanceOf(Pkcs11Error);
  });

  it("logs in with an ssh-agent's key pairs given in clientKeys", async () => {
    const client = await connectAgent(agent.socketPath);
    try {
      const agentKeys = await client.getKeys();
      expect(agentKeys).toHaveLength(1);
      await using conn = await connect({ ...base(), clientKeys: agentKeys });
      expect(conn.getExtraInfo('authMethod')).toBe('publickey');
      expect((await conn.run('echo agent pair', { check: true })).stdout).toBe('agent pair\n');
    } finally {
      client.close();
    }
  });

  it('presents the X.509 certificate on the token to a server that takes x509v3-* (AsyncSSH), and the bare key to sshd', async () => {
    const [pair] = await loadPkcs11Keys(SOFTHSM_PROVIDER, '4321', { tokenLabel: 'ssh-client', keyLabel: 'with-cert' });
    expect(pair?.x509Certificates).toHaveLength(1);
    const der = token.keys.find((k) => k.label === 'with-cert')?.certificateDer as Uint8Array;
    const certPath = path.join(home, 'with-cert.der');
    await writeFile(certPath, der);
    // AsyncSSH trusts the self-signed certificate and authorizes its subject; the certificate names
    // the user as its principal, but not the SSH client purpose (a PIV certificate seldom does).
    const server = await startAsyncsshServer({
      authorizedKeys: [],
      logLevel: 'DEBUG', // its log names the algorithm the key was tried with
      script: [
        "_cert = asyncssh.import_certificate(open(params['cert'], 'rb').read())",
        "_keys = asyncssh.import_authorized_keys('x509v3-ecdsa-sha2-nistp256 subject=CN=with-cert\\n')",
        "server_options = {'x509_trusted_certs': [_cert], 'x509_purposes': 'any', 'authorized_client_keys': _keys}",
      ].join('\n'),
      params: { cert: certPath },
    });
    try {
      await using conn = await connect({ host: '127.0.0.1', port: server.port, username: 'token', knownHosts: null, agentPath: null, config: null, clientKeys: [pair as never] });
      expect(conn.getExtraInfo('authMethod')).toBe('publickey');
      expect(server.log).toMatch(/x509v3-ecdsa-sha2-nistp256/);
    } finally {
      await server.stop();
    }
    // sshd has no x509v3-*: the same pair logs in with its bare key.
    await using conn = await connect({ ...base(), clientKeys: [pair as never] });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('refuses host-based authentication with a key that signs elsewhere', async () => {
    const [pair] = await loadPkcs11Keys(SOFTHSM_PROVIDER, '4321', { tokenLabel: 'ssh-client', keyLabel: 'ed' });
    await expect(connect({ ...base(), clientKeys: [], clientHostKeys: pair as never, hostBasedAuth: true })).rejects.toThrow(/local private keys/);
  });
});
