/**
 * caSignatureAlgs (OpenSSH's CASignatureAlgorithms) through the API: the algorithms a CA may have
 * signed a certificate with for it to be trusted. Our client judges host certificates by it, our
 * server user certificates and host-based ones; by default, as OpenSSH 8.2 and later, an RSA CA
 * signing with SHA-1 (ssh-rsa) is not trusted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlgorithmListError,
  ConfigParseError,
  DEFAULT_CA_SIGNATURE_ALGORITHMS,
  HostKeyNotVerifiable,
  PermissionDenied,
  SSHKeyPair,
  SSHServer,
  UnknownAlgorithmError,
  connect,
  generatePrivateKey,
  listen,
  type SSHClientConnectionOptions,
  type SSHKey,
  type SSHServerConnectionOptions,
  type SSHServerProcess,
} from '../src/index.ts';
import { caSignatureAlgorithms } from '../src/options.ts';

const hostKey = generatePrivateKey('ssh-ed25519');
const alice = generatePrivateKey('ssh-ed25519');
const rsaCa = generatePrivateKey('ssh-rsa', { keySize: 2048 });
const pub = (k: SSHKey): string => new TextDecoder().decode(k.exportPublicKey('openssh')).trim();

const done = (p: SSHServerProcess): void => {
  p.stdout.write('ok\n');
  p.exit(0);
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ca-sig-algs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sshConfig(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('the caSignatureAlgs option', () => {
  it("defaults to OpenSSH's list, without ssh-rsa (SHA-1) or ssh-dss", () => {
    expect(caSignatureAlgorithms(undefined)).toEqual([...DEFAULT_CA_SIGNATURE_ALGORITHMS]);
    expect(DEFAULT_CA_SIGNATURE_ALGORITHMS).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'sk-ssh-ed25519@openssh.com',
      'sk-ecdsa-sha2-nistp256@openssh.com',
      'rsa-sha2-512',
      'rsa-sha2-256',
    ]);
  });

  it('reads strings as the other algorithm options do: names, patterns, +, -, ^, default', () => {
    expect(caSignatureAlgorithms('rsa-sha2-512,ssh-ed25519')).toEqual(['rsa-sha2-512', 'ssh-ed25519']);
    expect(caSignatureAlgorithms('+ssh-rsa')).toEqual([...DEFAULT_CA_SIGNATURE_ALGORITHMS, 'ssh-rsa']);
    expect(caSignatureAlgorithms('^ssh-rsa')).toEqual(['ssh-rsa', ...DEFAULT_CA_SIGNATURE_ALGORITHMS]);
    expect(caSignatureAlgorithms('-ecdsa-*,sk-*')).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
    expect(caSignatureAlgorithms('default,ssh-dss')).toEqual([...DEFAULT_CA_SIGNATURE_ALGORITHMS, 'ssh-dss']);
    expect(caSignatureAlgorithms('rsa-*')).toEqual(['rsa-sha2-512', 'rsa-sha2-256']);
    expect(caSignatureAlgorithms(['ssh-rsa', 'ssh-ed448'])).toEqual(['ssh-rsa', 'ssh-ed448']);
  });

  it('gives a typed error for a malformed list or an unknown name', () => {
    for (const bad of ['', '+', 'rsa-sha2-512,', 'rsa-sha2-512,,ssh-rsa', 'nothing-*', '-ssh-ed25519,ecdsa-*,sk-*,rsa-*']) {
      expect(() => caSignatureAlgorithms(bad), bad).toThrow(AlgorithmListError);
    }
    expect(() => caSignatureAlgorithms([])).toThrow(AlgorithmListError);
    // Certificate types are not signature algorithms.
    for (const bad of ['rsa-sha2-1024', 'ssh-ed25519-cert-v01@openssh.com', '+sha1']) expect(() => caSignatureAlgorithms(bad), bad).toThrow(UnknownAlgorithmError);
    expect(() => caSignatureAlgorithms(['ssh-rsa', '+ssh-rsa'])).toThrow(UnknownAlgorithmError);
    expect(() => caSignatureAlgorithms('rsa-sha2-1024')).toThrow(/unknown CA signature algorithm "rsa-sha2-1024"/);
  });

  it('connect() and listen() reject a malformed list before connecting or listening', async () => {
    // Nothing listens on port 1: a ConnectionLost would mean the list was not checked first.
    const nowhere = { host: '127.0.0.1', port: 1, knownHosts: null, agentPath: null, clientKeys: null, config: null } as const;
    await expect(connect({ ...nowhere, caSignatureAlgs: 'rsa-sha2-512,' })).rejects.toBeInstanceOf(AlgorithmListError);
    await expect(connect({ ...nowhere, caSignatureAlgs: ['ssh-rsa-sha1'] })).rejects.toBeInstanceOf(UnknownAlgorithmError);
    // An unknown name in the file is the file's error, with its line, as ssh's "Bad key types".
    const config = await sshConfig('bad_config', 'Host *\n  CASignatureAlgorithms rsa-sha2-1024\n');
    const err = await connect({ ...nowhere, config }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigParseError);
    expect(err).toMatchObject({ line: 2 });
    await expect(listen('127.0.0.1', 0, { serverHostKeys: [hostKey], caSignatureAlgs: '-*' })).rejects.toBeInstanceOf(AlgorithmListError);
    await expect(listen('127.0.0.1', 0, { serverHostKeys: [hostKey], caSignatureAlgs: 'ssh-rsa,sha1' })).rejects.toBeInstanceOf(UnknownAlgorithmError);
  });
});

describe('host certificates on our client', () => {
  const hostCert = (sigAlg: string) => rsaCa.generateHostCertificate(hostKey, 'host', { principals: ['127.0.0.1'], sigAlg });

  /** A server offering `hostKey` with a host certificate its RSA CA signed with `sigAlg`. */
  async function serving(sigAlg: string) {
    return listen('127.0.0.1', 0, { serverHostKeys: [hostKey], serverHostCerts: [hostCert(sigAlg)], authorizedClientKeys: `${pub(alice)}\n`, processFactory: done });
  }

  function options(port: number, extra: SSHClientConnectionOptions = {}): SSHClientConnectionOptions {
    // Only the CA is trusted: a refused certificate cannot fall back to a pinned plain key.
    const knownHosts = new TextEncoder().encode(`@cert-authority [127.0.0.1]:${port} ${pub(rsaCa)}\n`);
    return { host: '127.0.0.1', port, username: 'alice', clientKeys: [alice], knownHosts, agentPath: null, config: null, ...extra };
  }

  it('refuses one its CA signed with ssh-rsa (SHA-1) by default, saying why', async () => {
    await using acceptor = await serving('ssh-rsa');
    const error: unknown = await connect(options(acceptor.getPort())).then(
      (c) => {
        c.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HostKeyNotVerifiable);
    expect((error as Error).message).toContain('ssh-ed25519-cert-v01@openssh.com certificate');
    expect((error as Error).message).toContain('signed with "ssh-rsa", which is not an allowed CA signature algorithm');
  });

  it('accepts it when caSignatureAlgs allows ssh-rsa, and not when the list given leaves it out', async () => {
    await using acceptor = await serving('ssh-rsa');
    for (const caSignatureAlgs of ['+ssh-rsa', ['ssh-rsa']]) {
      await using conn = await connect(options(acceptor.getPort(), { caSignatureAlgs }));
      expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
      expect((await conn.run('x')).stdout).toBe('ok\n');
    }
    await expect(connect(options(acceptor.getPort(), { caSignatureAlgs: ['rsa-sha2-512', 'rsa-sha2-256'] }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);
  });

  it('accepts one signed with rsa-sha2-512 by default, and refuses it when the list leaves rsa-sha2-512 out', async () => {
    await using acceptor = await serving('rsa-sha2-512');
    await using conn = await connect(options(acceptor.getPort()));
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
    await expect(connect(options(acceptor.getPort(), { caSignatureAlgs: 'rsa-sha2-256' }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);
  });

  it("applies ssh_config's CASignatureAlgorithms when the option is not given; the option wins over it", async () => {
    await using sha1 = await serving('ssh-rsa');
    const allowSha1 = await sshConfig('allow_sha1', 'Host 127.0.0.1\n  CASignatureAlgorithms +ssh-rsa\n');
    await using conn = await connect(options(sha1.getPort(), { config: allowSha1 }));
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
    await expect(connect(options(sha1.getPort(), { config: allowSha1, caSignatureAlgs: 'rsa-sha2-512' }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);

    await using sha512 = await serving('rsa-sha2-512');
    const only256 = await sshConfig('only_256', 'Host *\n  CASignatureAlgorithms rsa-sha2-256\n');
    await expect(connect(options(sha512.getPort(), { config: only256 }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);
  });
});

describe('user certificates on our server', () => {
  const userCert = (sigAlg: string) => new SSHKeyPair(alice, rsaCa.generateUserCertificate(alice, 'alice', { principals: ['alice'], sigAlg }));
  const client = (port: number, sigAlg: string): SSHClientConnectionOptions => ({
    host: '127.0.0.1',
    port,
    username: 'alice',
    clientKeys: [userCert(sigAlg)],
    knownHosts: null,
    agentPath: null,
    config: null,
  });
  const serve = (extra: SSHServerConnectionOptions = {}) =>
    listen('127.0.0.1', 0, { serverHostKeys: [hostKey], authorizedClientKeys: `cert-authority ${pub(rsaCa)}\n`, processFactory: done, ...extra });

  it('refuses one its CA signed with ssh-rsa (SHA-1) by default, and accepts one signed with rsa-sha2-512', async () => {
    await using acceptor = await serve();
    await expect(connect(client(acceptor.getPort(), 'ssh-rsa'))).rejects.toBeInstanceOf(PermissionDenied);
    await using conn = await connect(client(acceptor.getPort(), 'rsa-sha2-512'));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('accepts the ssh-rsa one when caSignatureAlgs allows it, and refuses what a list leaves out', async () => {
    await using sha1 = await serve({ caSignatureAlgs: '+ssh-rsa' });
    await using conn = await connect(client(sha1.getPort(), 'ssh-rsa'));
    expect((await conn.run('x')).stdout).toBe('ok\n');
    await using only256 = await serve({ caSignatureAlgs: ['rsa-sha2-256'] });
    await expect(connect(client(only256.getPort(), 'rsa-sha2-512'))).rejects.toBeInstanceOf(PermissionDenied);
    await using conn256 = await connect(client(only256.getPort(), 'rsa-sha2-256'));
    expect(conn256.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('takes the list in the string form sshd_config gives (CASignatureAlgorithms)', async () => {
    await using acceptor = await serve({ caSignatureAlgs: 'ssh-ed25519,ssh-rsa' });
    await using conn = await connect(client(acceptor.getPort(), 'ssh-rsa'));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await expect(connect(client(acceptor.getPort(), 'rsa-sha2-512'))).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('refuses before SSHServer.validateCaKey is asked', async () => {
    const asked: string[] = [];
    class Trusting extends SSHServer {
      override publicKeyAuthSupported(): boolean {
        return true;
      }
      override validateCaKey(username: string): boolean {
        asked.push(username);
        return true;
      }
    }
    await using acceptor = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], serverFactory: () => new Trusting(), processFactory: done });
    await expect(connect(client(acceptor.getPort(), 'ssh-rsa'))).rejects.toBeInstanceOf(PermissionDenied);
    expect(asked).toEqual([]);
    await using conn = await connect(client(acceptor.getPort(), 'rsa-sha2-256'));
    expect(asked).toEqual(['alice']);
    conn.close();
  });
});

describe('host-based certificates on our server', () => {
  const clientHostKey = generatePrivateKey('ecdsa-sha2-nistp256');
  class Hosts extends SSHServer {
    override hostBasedAuthSupported(): boolean {
      return true;
    }
    override validateHostCaKey(_host: string, _addr: string | undefined, _port: number | undefined, key: SSHKey): boolean {
      return key.equals(rsaCa);
    }
    override validateHostBasedUser(): boolean {
      return true;
    }
  }
  const serve = (extra: SSHServerConnectionOptions = {}) =>
    listen('127.0.0.1', 0, { serverHostKeys: [hostKey], serverFactory: () => new Hosts(), trustClientHost: true, processFactory: done, ...extra });
  const client = (port: number, sigAlg: string): SSHClientConnectionOptions => ({
    host: '127.0.0.1',
    port,
    username: 'u',
    clientHostKeys: [new SSHKeyPair(clientHostKey, rsaCa.generateHostCertificate(clientHostKey, 'client-host', { principals: ['client.example'], sigAlg }))],
    clientHost: 'client.example',
    clientUsername: 'local',
    preferredAuth: 'hostbased',
    clientKeys: null,
    knownHosts: null,
    agentPath: null,
    config: null,
  });

  it('refuses a client host certificate signed with ssh-rsa by default, accepts it when allowed', async () => {
    await using strict = await serve();
    await expect(connect(client(strict.getPort(), 'ssh-rsa'))).rejects.toBeInstanceOf(PermissionDenied);
    await using conn512 = await connect(client(strict.getPort(), 'rsa-sha2-512'));
    expect(conn512.getExtraInfo('authMethod')).toBe('hostbased');
    await using lenient = await serve({ caSignatureAlgs: '+ssh-rsa' });
    await using conn = await connect(client(lenient.getPort(), 'ssh-rsa'));
    expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
  });
});
