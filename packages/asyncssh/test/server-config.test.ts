/**
 * listen() with sshd_config files (`config`, AsyncSSH's SSHServerConnectionOptions.config),
 * checked with our own client: what the files turn on and off, AuthorizedKeysFile with %u, Match
 * blocks for one user or one address, explicit options winning over the files, the transport
 * settings, where to listen, and the errors for missing and malformed files.
 */
import { lookup } from 'node:dns/promises';
import { mkdir, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ConfigParseError,
  KeyExchangeFailed,
  PermissionDenied,
  SSHKeyPair,
  connect,
  generatePrivateKey,
  getServerAuthMethods,
  listen,
  runServer,
  type SSHClientConnectionOptions,
  type SSHKey,
  type SSHServerConnection,
  type SSHServerConnectionOptions,
  type SSHServerProcess,
} from '../src/index.ts';
import { lookupAccount } from '@ssh/config/node';
import { authorizedKeysPaths, connectionPolicy, loadUserAuthorizedKeys, safeForPath } from '../src/server-config.ts';
import type { SSHLogger } from '../src/logging.ts';
import { Passwords, sshdConfigWriter } from './server-config-helpers.ts';

const hostKey = generatePrivateKey('ssh-ed25519');
const alice = generatePrivateKey('ssh-ed25519');
const bob = generatePrivateKey('ssh-ed25519');
const pub = (k: SSHKey): string => new TextDecoder().decode(k.exportPublicKey('openssh')).trim();

let dir: string;
let keysDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'server-config-'));
  keysDir = join(dir, 'keys');
  await mkdir(keysDir);
  await writeFile(join(keysDir, 'alice'), `${pub(alice)}\n`);
  await writeFile(join(keysDir, 'bob'), `${pub(bob)}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sshdConfig = sshdConfigWriter(() => dir);

/** Reports who ran, whether the session got an agent socket, and the terminal granted. */
const report = (p: SSHServerProcess): void => {
  p.stdout.write(`${String(p.getExtraInfo('username'))} agent=${p.env['SSH_AUTH_SOCK'] === undefined ? 'no' : 'yes'} term=${p.termType ?? ''}\n`);
  p.exit(0);
};

function serve(config: string | readonly string[] | null, extra: SSHServerConnectionOptions = {}) {
  return listen('127.0.0.1', 0, { serverHostKeys: [hostKey], serverFactory: () => new Passwords(), processFactory: report, config, ...extra });
}

const base = { host: '127.0.0.1', knownHosts: null, agentPath: null, config: null } as const;
const asKey = (port: number, username: string, key: SSHKey, extra: SSHClientConnectionOptions = {}) =>
  connect({ ...base, port, username, clientKeys: [key], ...extra });
const asPassword = (port: number, username: string, extra: SSHClientConnectionOptions = {}) =>
  connect({ ...base, port, username, clientKeys: null, password: `${username}-pw`, ...extra });

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);
}

describe('authentication settings', () => {
  it('PasswordAuthentication no turns password authentication off', async () => {
    await using open = await serve(null);
    expect(await getServerAuthMethods('127.0.0.1', open.getPort(), 'alice')).toContain('password');
    await using acceptor = await serve(await sshdConfig('PasswordAuthentication no'));
    expect(await getServerAuthMethods('127.0.0.1', acceptor.getPort(), 'alice')).not.toContain('password');
    await expect(asPassword(acceptor.getPort(), 'alice')).rejects.toBeInstanceOf(PermissionDenied);
    await using conn = await asPassword(open.getPort(), 'alice');
    expect(conn.getExtraInfo('authMethod')).toBe('password');
  });

  it('PubkeyAuthentication no refuses keys the AuthorizedKeysFile lists', async () => {
    const file = `AuthorizedKeysFile ${keysDir}/%u`;
    await using on = await serve(await sshdConfig(file, 'PubkeyAuthentication yes'));
    await using conn = await asKey(on.getPort(), 'alice', alice);
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await using off = await serve(await sshdConfig(file, 'PubkeyAuthentication no'));
    expect(await getServerAuthMethods('127.0.0.1', off.getPort(), 'alice')).not.toContain('publickey');
    await expect(asKey(off.getPort(), 'alice', alice)).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('KbdInteractiveAuthentication (or its old name ChallengeResponseAuthentication) no and HostbasedAuthentication no', async () => {
    class Everything extends Passwords {
      override kbdintAuthSupported(): boolean {
        return true;
      }
      override hostBasedAuthSupported(): boolean {
        return true;
      }
    }
    const methods = async (config: string | null): Promise<string[]> => {
      await using acceptor = await serve(config, { serverFactory: () => new Everything() });
      return await getServerAuthMethods('127.0.0.1', acceptor.getPort(), 'alice');
    };
    expect(await methods(null)).toEqual(['keyboard-interactive', 'password', 'hostbased']);
    expect(await methods(await sshdConfig('KbdInteractiveAuthentication no'))).toEqual(['password', 'hostbased']);
    expect(await methods(await sshdConfig('ChallengeResponseAuthentication no'))).toEqual(['password', 'hostbased']);
    expect(await methods(await sshdConfig('HostbasedAuthentication no'))).toEqual(['keyboard-interactive', 'password']);
  });
});

describe('AuthorizedKeysFile', () => {
  it('expands %u per user: each user gets in with their own key only', async () => {
    await using acceptor = await serve(await sshdConfig('PasswordAuthentication no', `AuthorizedKeysFile /nonexistent/%u ${keysDir}/%u`));
    const port = acceptor.getPort();
    await using a = await asKey(port, 'alice', alice);
    expect((await a.run('x')).stdout).toBe('alice agent=no term=\n');
    await using b = await asKey(port, 'bob', bob);
    expect((await b.run('x')).stdout).toBe('bob agent=no term=\n');
    await expect(asKey(port, 'alice', bob)).rejects.toBeInstanceOf(PermissionDenied);
    await expect(asKey(port, 'carol', alice)).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('reads the files at each login, so an added key counts at once', async () => {
    await writeFile(join(keysDir, 'dave'), `${pub(alice)}\n`);
    await using acceptor = await serve(await sshdConfig(`AuthorizedKeysFile ${keysDir}/%u`));
    await expect(asKey(acceptor.getPort(), 'dave', bob)).rejects.toBeInstanceOf(PermissionDenied);
    await appendFile(join(keysDir, 'dave'), `${pub(bob)}\n`);
    await using conn = await asKey(acceptor.getPort(), 'dave', bob);
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('gives a user name that would leave the directory no keys (no ../ through %u)', async () => {
    await mkdir(join(keysDir, 'sub'), { recursive: true });
    await using acceptor = await serve(await sshdConfig(`AuthorizedKeysFile ${keysDir}/sub/%u`));
    // keys/sub/../alice is alice's file: the name must not reach it.
    await expect(asKey(acceptor.getPort(), '../alice', alice)).rejects.toBeInstanceOf(PermissionDenied);
    for (const name of ['../alice', 'a/b', 'a\\b', '..', '.', '~root', '']) expect(safeForPath(name), name).toBe(false);
    for (const name of ['alice', 'a.b', 'x~', 'd-e_f@g']) expect(safeForPath(name), name).toBe(true);
  });

  it('keeps a user name the client chose out of the log as it was sent: no line breaks, no 256 KiB lines', async () => {
    const lines: string[] = [];
    const record = (m: string): void => void lines.push(m);
    const logger = { info: record, warning: record, debug1: record } as unknown as SSHLogger;
    // Too long for a file name (the open fails with ENAMETOOLONG), and carrying a forged log line.
    const forged = `${'x'.repeat(100_000)}\nsshd: Accepted publickey for root`;
    expect(await loadUserAuthorizedKeys([`${keysDir}/%u`], forged, logger)).toBeUndefined();
    expect(await loadUserAuthorizedKeys([`${keysDir}/%u`], 'a\rb\tc', logger)).toBeUndefined();
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toMatch(/[\r\n\t]/);
      expect(line.length).toBeLessThan(400);
    }
    for (const name of ['x'.repeat(256), 'a\nb', 'a\x7fb']) expect(safeForPath(name), JSON.stringify(name)).toBe(false);
    expect(safeForPath('x'.repeat(255))).toBe(true);
  });

  it('makes relative paths, %h and %U relative to the account of that name; without one they are left out', () => {
    const account = { name: 'alice', uid: 1001, homeDir: '/home/alice' };
    expect(authorizedKeysPaths(['.ssh/authorized_keys', '%h/k/%U', '/etc/keys/%u', '/x/100%%'], 'alice', account)).toEqual([
      '/home/alice/.ssh/authorized_keys',
      '/home/alice/k/1001',
      '/etc/keys/alice',
      '/x/100%',
    ]);
    expect(authorizedKeysPaths(['.ssh/authorized_keys', '%h/k', '/k/%U', '/etc/keys/%u'], 'ghost', undefined)).toEqual(['/etc/keys/ghost']);
  });

  it('finds the home of a local account as sshd does', async () => {
    const me = userInfo();
    // alice has no local account: the relative entry is left out, the absolute one read.
    await using acceptor = await serve(await sshdConfig(`AuthorizedKeysFile .ssh/no-such-file-${process.pid} ${keysDir}/%u`));
    await using conn = await asKey(acceptor.getPort(), 'alice', alice);
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect(await lookupAccount(me.username)).toEqual({ name: me.username, uid: me.uid, homeDir: me.homedir });
    expect(await lookupAccount('no-such-user-here-xyz')).toBeUndefined();
    // getent answers a number by uid: a user called "0" is not root.
    expect(await lookupAccount('0')).toBeUndefined();
    expect(await lookupAccount('-x')).toBeUndefined();
  });

  it('AuthorizedKeysFile none gives no keys', async () => {
    await using acceptor = await serve(await sshdConfig('AuthorizedKeysFile none'));
    await expect(asKey(acceptor.getPort(), 'alice', alice)).rejects.toBeInstanceOf(PermissionDenied);
  });
});

describe('Match', () => {
  const perUser = () =>
    sshdConfig(
      'PasswordAuthentication no',
      `AuthorizedKeysFile ${keysDir}/%u`,
      'Match User bob',
      '  PasswordAuthentication yes',
      '  PubkeyAuthentication no',
      '  AllowAgentForwarding yes',
      '  PermitTTY no',
    );

  it('Match User changes the methods allowed for that user only', async () => {
    await using acceptor = await serve(await perUser());
    const port = acceptor.getPort();
    expect(await getServerAuthMethods('127.0.0.1', port, 'alice')).toEqual(['publickey']);
    expect(await getServerAuthMethods('127.0.0.1', port, 'bob')).toEqual(['password']);
    await using a = await asKey(port, 'alice', alice);
    await expect(asPassword(port, 'alice')).rejects.toBeInstanceOf(PermissionDenied);
    await using b = await asPassword(port, 'bob');
    await expect(asKey(port, 'bob', bob)).rejects.toBeInstanceOf(PermissionDenied);
    expect([a.getExtraInfo('authMethod'), b.getExtraInfo('authMethod')]).toEqual(['publickey', 'password']);
  });

  it('Match User allows agent forwarding and refuses a pty for that user only', async () => {
    await using acceptor = await serve(await perUser());
    const port = acceptor.getPort();
    const pty = { requestPty: 'force', termType: 'xterm-test' } as const;
    await using a = await asKey(port, 'alice', alice, { agentForwarding: true });
    expect((await a.run('x')).stdout).toBe('alice agent=no term=\n');
    expect((await a.run('x', pty)).stdout).toBe('alice agent=no term=xterm-test\r\n');
    await using b = await asPassword(port, 'bob', { agentForwarding: true });
    expect((await b.run('x')).stdout).toBe('bob agent=yes term=\n');
    await expect(b.run('x', pty)).rejects.toThrow(/PTY request failed/);
  });

  it('Match Address, LocalAddress and LocalPort apply when the connection is accepted', async () => {
    const port = await freePort();
    const config = await sshdConfig(
      `Port ${port}`,
      'Match Address 10.0.0.0/8',
      '  PasswordAuthentication no',
      'Match LocalAddress 127.0.0.1 LocalPort 1',
      '  PasswordAuthentication no',
      `Match Address 127.0.0.0/8 LocalAddress 127.0.0.1 LocalPort ${port}`,
      '  PubkeyAuthentication no',
    );
    await using acceptor = await listen('127.0.0.1', undefined, { serverHostKeys: [hostKey], serverFactory: () => new Passwords(), authorizedClientKeys: pub(alice), config });
    expect(acceptor.getPort()).toBe(port);
    expect(await getServerAuthMethods('127.0.0.1', port, 'alice')).toEqual(['password']);
  });

  it('Match Host is the address itself, or with UseDNS (rdnsLookup) the name it resolves to', async () => {
    const name = (await lookup('localhost')).address === '127.0.0.1' ? 'localhost' : undefined;
    const lines = ['Match Host 127.0.0.1', '  PasswordAuthentication no', ...(name ? [`Match Host ${name}`, '  KbdInteractiveAuthentication no', '  PubkeyAuthentication no'] : [])];
    await using plain = await serve(await sshdConfig(...lines), { authorizedClientKeys: pub(alice) });
    expect(await getServerAuthMethods('127.0.0.1', plain.getPort(), 'alice')).toEqual(['publickey']);
    if (!name) return;
    await using dns = await serve(await sshdConfig('UseDNS yes', ...lines), { authorizedClientKeys: pub(alice) });
    expect(await getServerAuthMethods('127.0.0.1', dns.getPort(), 'alice')).toEqual(['password']);
    // rdnsLookup given explicitly wins over UseDNS, and names the client for authorized_keys from=.
    await using explicit = await serve(await sshdConfig('UseDNS yes', ...lines), { authorizedClientKeys: pub(alice), rdnsLookup: false });
    expect(await getServerAuthMethods('127.0.0.1', explicit.getPort(), 'alice')).toEqual(['publickey']);
    await using from = await serve(null, { authorizedClientKeys: `from="${name}" ${pub(alice)}`, rdnsLookup: true });
    await using conn = await asKey(from.getPort(), 'alice', alice);
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await using noDns = await serve(null, { authorizedClientKeys: `from="${name}" ${pub(alice)}` });
    await expect(asKey(noDns.getPort(), 'alice', alice)).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('CASignatureAlgorithms in Match User trusts a SHA-1 CA signature for that user only', async () => {
    const rsaCa = generatePrivateKey('ssh-rsa', { keySize: 2048 });
    const cert = (user: string, key: SSHKey) => new SSHKeyPair(key, rsaCa.generateUserCertificate(key, user, { principals: [user], sigAlg: 'ssh-rsa' }));
    await using acceptor = await serve(await sshdConfig('Match User alice', '  CASignatureAlgorithms +ssh-rsa'), { authorizedClientKeys: `cert-authority ${pub(rsaCa)}\n` });
    await using conn = await connect({ ...base, port: acceptor.getPort(), username: 'alice', clientKeys: [cert('alice', alice)] });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await expect(connect({ ...base, port: acceptor.getPort(), username: 'bob', clientKeys: [cert('bob', bob)] })).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('ClientAliveInterval in Match User drops that user when the client stops answering, not the others', async () => {
    const seen = new Map<string, SSHServerConnection>();
    class Recording extends Passwords {
      private conn: SSHServerConnection | undefined;
      override connectionMade(conn: SSHServerConnection): void {
        this.conn = conn;
      }
      override beginAuth(username: string): boolean {
        if (this.conn) seen.set(username, this.conn);
        return true;
      }
    }
    await using acceptor = await serve(await sshdConfig(`AuthorizedKeysFile ${keysDir}/%u`, 'Match User bob', '  ClientAliveInterval 1', '  ClientAliveCountMax 1'), {
      serverFactory: () => new Recording(),
    });
    await using a = await asKey(acceptor.getPort(), 'alice', alice);
    await using b = await asKey(acceptor.getPort(), 'bob', bob);
    for (const c of [a, b]) (c.getExtraInfo('socket') as net.Socket).pause();
    const bobServer = seen.get('bob') as SSHServerConnection;
    await within(bobServer.waitClosed(), 6000, "the server dropping bob's silent client");
    expect(bobServer.closeError?.message).toMatch(/keepalive/);
    expect((seen.get('alice') as SSHServerConnection).isClosed).toBe(false);
    for (const c of [a, b]) c.abort();
  });
});

describe('explicit options win over the files', () => {
  it('passwordAuth, authorizedClientKeys, agentForwarding, allowPty and encryptionAlgs given beat the file', async () => {
    const config = await sshdConfig(
      'PasswordAuthentication no',
      `AuthorizedKeysFile ${keysDir}/%u`,
      'AllowAgentForwarding yes',
      'PermitTTY no',
      'Ciphers aes128-ctr',
    );
    const pty = { requestPty: 'force', termType: 't' } as const;
    await using fromFile = await serve(config);
    await using conn = await asKey(fromFile.getPort(), 'alice', alice, { agentForwarding: true });
    expect(conn.getExtraInfo('sendCipher')).toBe('aes128-ctr');
    expect((await conn.run('x')).stdout).toBe('alice agent=yes term=\n');
    await expect(conn.run('x', pty)).rejects.toThrow(/PTY request failed/);

    await using acceptor = await serve(config, {
      passwordAuth: true,
      authorizedClientKeys: pub(bob),
      agentForwarding: false,
      allowPty: true,
      encryptionAlgs: ['aes256-ctr'],
    });
    const port = acceptor.getPort();
    await using pw = await asPassword(port, 'alice', { agentForwarding: true });
    expect(pw.getExtraInfo('sendCipher')).toBe('aes256-ctr');
    expect((await pw.run('x')).stdout).toBe('alice agent=no term=\n');
    expect((await pw.run('x', pty)).stdout).toBe('alice agent=no term=t\r\n');
    // authorizedClientKeys replaces AuthorizedKeysFile: alice's own file no longer counts.
    await expect(asKey(port, 'alice', alice)).rejects.toBeInstanceOf(PermissionDenied);
    await using withBob = await asKey(port, 'alice', bob);
    expect(withBob.getExtraInfo('authMethod')).toBe('publickey');
  });
});

describe('transport settings', () => {
  it('Ciphers, MACs and KexAlgorithms restrict what is negotiated', async () => {
    await using acceptor = await serve(await sshdConfig('Ciphers aes192-ctr', 'MACs hmac-sha2-512', 'KexAlgorithms ecdh-sha2-nistp384'), { authorizedClientKeys: pub(alice) });
    const port = acceptor.getPort();
    await using conn = await asKey(port, 'alice', alice);
    expect([conn.getExtraInfo('sendCipher'), conn.getExtraInfo('recvMac'), conn.getExtraInfo('kex')]).toEqual(['aes192-ctr', 'hmac-sha2-512', 'ecdh-sha2-nistp384']);
    await expect(asKey(port, 'alice', alice, { encryptionAlgs: ['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'] })).rejects.toBeInstanceOf(KeyExchangeFailed);
    await expect(asKey(port, 'alice', alice, { kexAlgs: ['curve25519-sha256'] })).rejects.toBeInstanceOf(KeyExchangeFailed);
  });

  it('Compression no offers none only (as sshd); yes offers zlib@openssh.com and zlib (as AsyncSSH)', async () => {
    const zlibFirst = { compressionAlgs: ['zlib@openssh.com', 'zlib', 'none'] };
    await using off = await serve(await sshdConfig('Compression no'), { authorizedClientKeys: pub(alice) });
    await using a = await asKey(off.getPort(), 'alice', alice, zlibFirst);
    expect(a.getExtraInfo('sendCompression')).toBe('none');
    await using on = await serve(await sshdConfig('Compression yes'), { authorizedClientKeys: pub(alice) });
    await using b = await asKey(on.getPort(), 'alice', alice, zlibFirst);
    expect(b.getExtraInfo('sendCompression')).toBe('zlib@openssh.com');
    // Plain zlib is not in our default offer: only Compression yes adds it.
    await using c = await asKey(on.getPort(), 'alice', alice, { compressionAlgs: ['zlib'] });
    expect(c.getExtraInfo('sendCompression')).toBe('zlib');
    await using plain = await serve(null, { authorizedClientKeys: pub(alice) });
    await expect(asKey(plain.getPort(), 'alice', alice, { compressionAlgs: ['zlib'] })).rejects.toBeInstanceOf(KeyExchangeFailed);
  });

  it('TCPKeepAlive sets keepalive on the accepted sockets', async () => {
    const spy = vi.spyOn(net.Socket.prototype, 'setKeepAlive');
    try {
      for (const [config, expected] of [[null, true], ['TCPKeepAlive no', false], ['TCPKeepAlive yes', true]] as const) {
        spy.mockClear();
        await using acceptor = await serve(config === null ? null : await sshdConfig(config), { authorizedClientKeys: pub(alice) });
        await using conn = await asKey(acceptor.getPort(), 'alice', alice, { tcpKeepalive: false });
        expect(conn.getExtraInfo('authMethod')).toBe('publickey');
        expect(spy.mock.calls.map((c) => c[0]), String(config)).toEqual([expected]);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('values sshd gives a meaning ours lacks', () => {
  it('ClientAliveCountMax 0 never drops the client; RekeyLimit default / 0 keep our defaults', () => {
    const resolved = { options: { keepaliveCountMax: 0, rekeyBytes: 0, rekeySeconds: 0 }, settings: new Map(), ignored: [] };
    const p = connectionPolicy({}, resolved);
    expect([p.keepaliveCountMax, p.rekeyBytes, p.rekeySeconds]).toEqual([0xffff_ffff, undefined, undefined]);
    expect(connectionPolicy({ keepaliveCountMax: 2 }, resolved).keepaliveCountMax).toBe(2);
  });
});

describe('LoginGraceTime', () => {
  /** Resolves with how long the server took to close a client that sends its version and stops. */
  function silentClient(port: number, giveUpMs: number): Promise<number | 'open'> {
    return new Promise((resolve) => {
      const started = Date.now();
      const raw = net.connect(port, '127.0.0.1');
      raw.on('error', () => undefined);
      raw.resume();
      raw.write('SSH-2.0-silent\r\n');
      const timer = setTimeout(() => {
        raw.destroy();
        resolve('open');
      }, giveUpMs);
      raw.on('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
    });
  }

  it('closes a client that does not authenticate in time; an explicit loginTimeout wins', async () => {
    const config = await sshdConfig('LoginGraceTime 1');
    await using acceptor = await serve(config);
    const took = await silentClient(acceptor.getPort(), 5000);
    expect(took).not.toBe('open');
    expect(took).toBeGreaterThanOrEqual(900);
    await using patient = await serve(config, { loginTimeout: 30 });
    expect(await silentClient(patient.getPort(), 2500)).toBe('open');
  });
});

describe('host keys and where to listen', () => {
  it('HostKey from the file when serverHostKeys is not given; every Port is listened on', async () => {
    const keyPath = join(dir, 'host_key');
    await writeFile(keyPath, hostKey.exportPrivateKey('openssh'), { mode: 0o600 });
    const [p1, p2] = [await freePort(), await freePort()];
    const config = await sshdConfig(`HostKey ${keyPath}`, `Port ${p1}`, `Port ${p2}`, `AuthorizedKeysFile ${keysDir}/%u`);
    await using acceptor = await listen('127.0.0.1', undefined, { config, processFactory: report });
    expect(acceptor.getAddresses()).toEqual([
      ['127.0.0.1', p1],
      ['127.0.0.1', p2],
    ]);
    const knownHosts = new TextEncoder().encode(`[127.0.0.1]:${p2} ${pub(hostKey)}\n`);
    await using conn = await connect({ ...base, port: p2, username: 'alice', clientKeys: [alice], knownHosts });
    expect((await conn.run('x')).stdout).toBe('alice agent=no term=\n');
    // An explicit port wins over Port.
    await using one = await listen('127.0.0.1', 0, { config, processFactory: report });
    expect(one.getAddresses()).toHaveLength(1);
    expect(one.getPort()).not.toBe(p1);
  });

  it('HostCertificate from the file is presented with its HostKey', async () => {
    const ca = generatePrivateKey('ssh-ed25519');
    const keyPath = join(dir, 'cert_host_key');
    const certPath = join(dir, 'cert_host_key.certificate');
    await writeFile(keyPath, hostKey.exportPrivateKey('openssh'), { mode: 0o600 });
    await writeFile(certPath, ca.generateHostCertificate(hostKey, 'host', { principals: ['127.0.0.1'] }).exportCertificate('openssh'));
    const knownHosts = new TextEncoder().encode(`@cert-authority * ${pub(ca)}\n`);
    await using plain = await listen('127.0.0.1', 0, { config: await sshdConfig(`HostKey ${keyPath}`), authorizedClientKeys: pub(alice) });
    await expect(connect({ ...base, port: plain.getPort(), username: 'alice', clientKeys: [alice], knownHosts })).rejects.toThrow(/host key/i);
    await using acceptor = await listen('127.0.0.1', 0, { config: await sshdConfig(`HostKey ${keyPath}`, `HostCertificate ${certPath}`), authorizedClientKeys: pub(alice) });
    await using conn = await connect({ ...base, port: acceptor.getPort(), username: 'alice', clientKeys: [alice], knownHosts });
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519-cert-v01@openssh.com');
  });

  it('AddressFamily picks the family a host name is resolved in; an explicit family wins', async () => {
    const v6 = (await lookup('localhost', { all: true })).find((a) => a.family === 6);
    const inet6 = await sshdConfig('AddressFamily inet6');
    if (v6) {
      await using acceptor = await listen('localhost', 0, { serverHostKeys: [hostKey], config: inet6 });
      expect(acceptor.getAddresses()[0]?.[0]).toBe(v6.address);
    } else {
      await expect(listen('localhost', 0, { serverHostKeys: [hostKey], config: inet6 })).rejects.toThrow(/localhost/);
    }
    await using v4 = await listen('localhost', 0, { serverHostKeys: [hostKey], config: inet6, family: 4 });
    expect(v4.getAddresses()[0]?.[0]).toBe('127.0.0.1');
    await using inet = await listen('localhost', 0, { serverHostKeys: [hostKey], config: await sshdConfig('AddressFamily inet') });
    expect(inet.getAddresses()[0]?.[0]).toBe('127.0.0.1');
  });
});

describe('runServer', () => {
  it('reads the config for a socket it is given, Match User included', async () => {
    const config = await sshdConfig('PasswordAuthentication no', 'Match User bob', '  PasswordAuthentication yes');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const served: Promise<SSHServerConnection>[] = [];
    server.on('connection', (sock) => {
      const p = runServer(sock, { serverHostKeys: [hostKey], serverFactory: () => new Passwords(), processFactory: report, config });
      p.catch(() => undefined);
      served.push(p);
    });
    try {
      await expect(asPassword(port, 'alice')).rejects.toBeInstanceOf(PermissionDenied);
      await using conn = await asPassword(port, 'bob');
      expect(conn.getExtraInfo('authMethod')).toBe('password');
      const bobServer = await served[1];
      bobServer?.close();
    } finally {
      await Promise.allSettled(served);
      server.close();
    }
  });
});

describe('errors', () => {
  it('a missing config file makes listen() reject with ConfigParseError', async () => {
    const missing = join(dir, 'no-such-config');
    const e = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], config: [await sshdConfig('Port 2222'), missing] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigParseError);
    expect((e as ConfigParseError).file).toBe(missing);
    expect((e as ConfigParseError).message).toMatch(/can't open config file/);
  });

  it('an unreadable config file (a directory) makes listen() reject with ConfigParseError', async () => {
    await expect(listen('127.0.0.1', 0, { serverHostKeys: [hostKey], config: dir })).rejects.toBeInstanceOf(ConfigParseError);
  });

  it.each([
    ['NoSuchKeyword yes', 2, /Bad configuration option/],
    ['PasswordAuthentication perhaps', 2, /unsupported option/],
    ['Match User bob\n  Ciphers aes128-ctr', 3, /not allowed within a Match block/],
    ['Ciphers aes128-ctr,no-such-cipher', 2, /no-such-cipher/],
    ['Match User bob\n  CASignatureAlgorithms no-such-alg', 3, /no-such-alg/],
    ['AuthorizedKeysFile /keys/%q', 2, /unknown token %q/],
    ['ClientAliveInterval soon', 2, /invalid time value/],
  ])('%s: ConfigParseError with file and line', async (text, line, message) => {
    const path = await sshdConfig('# first line', text);
    const e = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], config: path }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigParseError);
    expect(e).toMatchObject({ file: path, line });
    expect((e as Error).message).toMatch(message);
  });

  it('serverHostKeys is still required when the file names no HostKey', async () => {
    await expect(listen('127.0.0.1', 0, { config: await sshdConfig('Port 2222') })).rejects.toThrow(/serverHostKeys is required/);
  });

  it('a connection closed before its config is resolved does not hurt the listener', async () => {
    await using acceptor = await serve(await sshdConfig('UseDNS yes'), { authorizedClientKeys: pub(alice) });
    for (let i = 0; i < 5; i++) {
      const s = net.connect(acceptor.getPort(), '127.0.0.1');
      s.on('error', () => undefined);
      s.on('connect', () => s.destroy());
    }
    await using conn = await asKey(acceptor.getPort(), 'alice', alice);
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
