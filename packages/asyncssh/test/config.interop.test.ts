/**
 * connect() with an OpenSSH client config file against sshd (issue 6): Host aliases resolve
 * HostName, Port, User, IdentityFile and UserKnownHostsFile; explicit options win over the file.
 */
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, generateKey, knownHostsLines, makeTempDir, removeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigParseError, ConnectionLost, PermissionDenied, connect } from '../src/index.ts';

let sshd: SshdServer;
let dir: string;
let userKey: KeyPair;
let stranger: KeyPair;
let configPath: string;
let closedPort: number;

beforeAll(async () => {
  [userKey, stranger] = await Promise.all([generateKey('ed25519', { label: 'config-user' }), generateKey('ecdsa-p256', { label: 'config-stranger' })]);
  sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [userKey] });
  dir = await makeTempDir('config-interop');
  closedPort = await freePort();
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  configPath = path.join(dir, 'ssh_config');
  await writeFile(
    configPath,
    [
      '# the target, by alias',
      'Host peer-alias',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${userKey.privateKeyPath}`,
      '',
      '# an alias whose settings are all wrong, for the explicit options to override',
      'Host wrong-alias',
      `  HostName ${sshd.host}`,
      `  Port ${closedPort}`,
      '  User no-such-user-here',
      `  IdentityFile ${stranger.privateKeyPath}`,
      '',
      '# a hop named by its alias: its own HostName, Port, User and IdentityFile apply to it',
      'Host jump-alias',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${userKey.privateKeyPath}`,
      'Host behind-alias',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${userKey.privateKeyPath}`,
      '  ProxyJump jump-alias',
      '',
      '# algorithms, Match and tokens: the Match blocks come first, so what they set wins',
      'Match originalhost algs-alias user nobody-else',
      '  KexAlgorithms diffie-hellman-group14-sha256',
      `Match originalhost algs-alias user ${sshd.user}`,
      '  MACs hmac-sha2-512',
      'Host algs-alias',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      '  Ciphers aes192-ctr',
      '  MACs hmac-sha1',
      '  KexAlgorithms ecdh-sha2-nistp384',
      '  Compression no',
      `  IdentityFile ${dir}/%r-%p.key`,
      '',
      '# AddressFamily and BindAddress',
      'Host bound-alias',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${userKey.privateKeyPath}`,
      '  BindAddress 127.0.0.2',
      'Host v6-alias',
      '  HostName localhost',
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${userKey.privateKeyPath}`,
      '  AddressFamily inet6',
      '',
      '# first obtained value wins: this Port never applies to peer-alias',
      'Host *',
      '  Port 1',
      `  UserKnownHostsFile ${knownHosts}`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await sshd?.stop();
  if (dir !== undefined) await removeTempDir(dir);
});

describe('connect() with a config file against sshd', () => {
  it('applies BindAddress (the server sees that source address) and AddressFamily', async () => {
    {
      await using conn = await connect('bound-alias', { config: [configPath], agentPath: null, homeDirectory: dir });
      expect((await conn.run('echo $SSH_CLIENT', { check: true })).stdout).toMatch(/^127\.0\.0\.2 /);
    }
    // sshd listens on 127.0.0.1 only: over IPv6 there is nothing to connect to; family 4 given
    // explicitly wins and reaches it.
    await expect(connect('v6-alias', { config: [configPath], agentPath: null, homeDirectory: dir, connectTimeout: 3 })).rejects.toBeInstanceOf(ConnectionLost);
    await using v4 = await connect('v6-alias', { config: [configPath], agentPath: null, homeDirectory: dir, family: 4 });
    expect((await v4.run('echo $SSH_CLIENT', { check: true })).stdout).toMatch(/^127\.0\.0\.1 /);
  });

  it('refuses a host or user name with shell metacharacters before the config runs anything (as ssh 9.6)', async () => {
    await expect(connect('peer-alias;touch x', { config: [configPath], agentPath: null, homeDirectory: dir })).rejects.toMatchObject({
      name: 'ConfigParseError',
      message: expect.stringMatching(/hostname contains invalid characters/),
    });
    await expect(connect('peer-alias', { username: 'u`id`', config: [configPath], agentPath: null, homeDirectory: dir })).rejects.toBeInstanceOf(ConfigParseError);
  });

  it('resolves Host, HostName, Port, User, IdentityFile and UserKnownHostsFile from the file', async () => {
    await using conn = await connect('peer-alias', { config: [configPath], agentPath: null, homeDirectory: dir });
    expect(conn.getExtraInfo('host')).toBe(sshd.host);
    expect(conn.getExtraInfo('port')).toBe(sshd.port);
    expect(conn.getExtraInfo('username')).toBe(sshd.user);
    const r = await conn.run('id -un');
    expect(r.stdout).toBe(`${sshd.user}\n`);
    await sshd.waitForLog(new RegExp(`Accepted publickey for ${sshd.user} .*ED25519`));
  });

  it('an explicit port, username and clientKeys override the file', async () => {
    await using conn = await connect('wrong-alias', {
      config: [configPath],
      agentPath: null,
      homeDirectory: dir,
      port: sshd.port,
      username: sshd.user,
      clientKeys: [userKey.privateKeyPath],
    });
    expect(conn.getExtraInfo('port')).toBe(sshd.port);
    expect((await conn.run('true')).exitStatus).toBe(0);
  });

  it("the file's settings apply where no option is given: its wrong port refuses", async () => {
    await expect(connect('wrong-alias', { config: [configPath], agentPath: null, homeDirectory: dir, connectTimeout: 10 })).rejects.toThrow(
      new RegExp(`port ${closedPort}`),
    );
  });

  it("the file's wrong user and key are used when only the port is given", async () => {
    await expect(connect('wrong-alias', { config: [configPath], agentPath: null, homeDirectory: dir, port: sshd.port })).rejects.toBeInstanceOf(PermissionDenied);
    await sshd.waitForLog(/Invalid user no-such-user-here/);
  });

  it('an explicit clientKeys replaces the IdentityFile of the file', async () => {
    await expect(
      connect('peer-alias', { config: [configPath], agentPath: null, homeDirectory: dir, clientKeys: [stranger.privateKeyPath] }),
    ).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('ProxyJump to a hop known by its alias uses the hop\'s own settings from the file', async () => {
    await using conn = await connect('behind-alias', { config: [configPath], agentPath: null, homeDirectory: dir });
    expect((await conn.run('echo $SSH_CONNECTION')).stdout).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
    expect(conn.getExtraInfo('port')).toBe(sshd.port);
  });

  it('algorithms, Compression, Match and %-tokens in IdentityFile from the file', async () => {
    await copyFile(userKey.privateKeyPath, path.join(dir, `${sshd.user}-${sshd.port}.key`));
    await chmod(path.join(dir, `${sshd.user}-${sshd.port}.key`), 0o600);
    await using conn = await connect('algs-alias', { config: [configPath], agentPath: null, homeDirectory: dir, username: sshd.user });
    expect(conn.getExtraInfo('sendCipher')).toBe('aes192-ctr');
    expect(conn.getExtraInfo('recvMac')).toBe('hmac-sha2-512');
    expect(conn.getExtraInfo('kex')).toBe('ecdh-sha2-nistp384');
    expect(conn.getExtraInfo('sendCompression')).toBe('none');
    expect((await conn.run('true')).exitStatus).toBe(0);
  });

  it('config: null ignores the file (the alias is then not a host name that resolves)', async () => {
    await expect(connect('peer-alias', { config: null, agentPath: null, homeDirectory: dir, connectTimeout: 10 })).rejects.toThrow(/peer-alias/);
  });

  it('reads ~/.ssh/config by default, with ~ meaning homeDirectory', async () => {
    const home = await makeTempDir('config-home');
    try {
      await mkdir(path.join(home, '.ssh'), { mode: 0o700 });
      await copyFile(userKey.privateKeyPath, path.join(home, '.ssh', 'peer_key'));
      await chmod(path.join(home, '.ssh', 'peer_key'), 0o600);
      await writeFile(path.join(home, '.ssh', 'known_hosts'), knownHostsLines(sshd).join('\n') + '\n');
      await writeFile(
        path.join(home, '.ssh', 'config'),
        ['Host home-alias', `  HostName ${sshd.host}`, `  Port ${sshd.port}`, `  User ${sshd.user}`, '  IdentityFile ~/.ssh/peer_key', ''].join('\n'),
      );
      await using conn = await connect('home-alias', { agentPath: null, homeDirectory: home });
      expect((await conn.run('true')).exitStatus).toBe(0);
    } finally {
      await removeTempDir(home);
    }
  });
});
