/**
 * Our client (connect(), processes, startSftpClient()) against a Paramiko server (Debian
 * python3-paramiko 2.12, tooling/interop's paramiko_server.py): host key checking with our
 * known_hosts, exec with exit status and stderr, stdin/stdout integrity, pty size and window
 * change, env, and our SFTPClient against paramiko.SFTPServer (SFTP v3) serving a temporary
 * directory as "/".
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKey, knownHostsLines, makeTempDir, removeTempDir, startParamikoServer, type KeyPair, type ParamikoServer } from '@ssh/interop';
import { logPeersOnFailure } from '@ssh/interop/vitest';
import { SFTPFailure, SFTPNoSuchFile } from '@ssh/sftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, connect, type SSHClientConnectionOptions } from '../src/index.ts';

logPeersOnFailure();

let server: ParamikoServer;
let clientKey: KeyPair;
let work: string;
let knownHosts: string;

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  clientKey = await generateKey('ed25519', { label: 'paramiko-server-client' });
  server = await startParamikoServer({ authorizedKeys: [clientKey], hostKeyTypes: ['ed25519', 'ecdsa-p256', 'rsa'] });
  work = await makeTempDir('paramiko-server');
  knownHosts = path.join(work, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(server).join('\n') + '\n');
});

afterAll(async () => {
  await server?.stop();
  if (work) await removeTempDir(work);
});

function options(extra: Partial<SSHClientConnectionOptions> = {}): SSHClientConnectionOptions {
  return {
    host: server.host,
    port: server.port,
    username: 'tester',
    clientKeys: [clientKey.privateKeyPath],
    knownHosts,
    agentPath: null,
    config: null,
    connectTimeout: 15,
    ...extra,
  } as SSHClientConnectionOptions;
}

describe('our client against a Paramiko server: host keys', () => {
  it.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-256', 'rsa-sha2-512'])('verifies its %s host key against our known_hosts', async (alg) => {
    await using conn = await connect(options({ serverHostKeyAlgs: [alg] }));
    expect(conn.getExtraInfo('serverHostKeyAlg') ?? alg).toBe(alg);
    const r = await conn.run('echo hello', { encoding: 'utf-8' });
    expect(r.stdout).toBe('hello\n');
  });

  it('refuses the server when our known_hosts has another key for it', async () => {
    const stranger = await generateKey('ed25519', { label: 'paramiko-server-stranger' });
    const file = path.join(work, 'known_hosts_wrong');
    writeFileSync(file, `[${server.host}]:${server.port} ${stranger.publicKey}\n`);
    await expect(connect(options({ knownHosts: file }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);
  });
});

describe('our client against a Paramiko server: sessions', () => {
  it('runs a command with its exit status and stderr', async () => {
    await using conn = await connect(options());
    const r = await conn.run('echo out; echo err >&2; exit 3', { encoding: 'utf-8' });
    expect([r.stdout, r.stderr, r.exitStatus]).toEqual(['out\n', 'err\n', 3]);
    const ok = await conn.run('true');
    expect(ok.exitStatus).toBe(0);
  });

  it('sends 4 MiB through stdin and gets the same bytes back intact', async () => {
    await using conn = await connect(options());
    const data = randomBytes(4 * 1024 * 1024 + 333);
    const hashed = await conn.run<Uint8Array>('sha256sum', { input: data, encoding: null });
    expect(new TextDecoder().decode(hashed.stdout ?? new Uint8Array()).split(' ')[0]).toBe(sha(data));
    const echoed = await conn.run<Uint8Array>('cat', { input: data, encoding: null });
    expect(sha(echoed.stdout ?? new Uint8Array())).toBe(sha(data));
    expect(echoed.exitStatus).toBe(0);
  }, 60_000);

  it('asks for a pty with a terminal size and reports a window change', async () => {
    await using conn = await connect(options());
    const info = await conn.run('pty-info', { termType: 'xterm-256color', termSize: [101, 31], encoding: 'utf-8' });
    expect(info.stdout).toBe('xterm-256color 101x31\n');
    const proc = await conn.createProcess('wait-resize', { termType: 'vt100', termSize: [80, 24], encoding: 'utf-8' });
    expect(await proc.stdout.readline()).toBe('ready 80x24\n');
    proc.changeTerminalSize(132, 43);
    expect(await proc.stdout.readline()).toBe('resized 132x43\n');
    const done = await proc.wait();
    expect(done.exitStatus).toBe(0);
  });

  it('sends environment variables', async () => {
    await using conn = await connect(options());
    const r = await conn.run('printf "%s|%s" "$INTEROP_ONE" "$INTEROP_TWO"', { env: { INTEROP_ONE: 'first', INTEROP_TWO: 'with space' }, encoding: 'utf-8' });
    expect(r.stdout).toBe('first|with space');
  });
});

describe('our SFTPClient against paramiko.SFTPServer', () => {
  it('puts and gets files with sha256 checks, lists, stats', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const local = path.join(work, 'up.bin');
    const data = randomBytes(3 * 1024 * 1024 + 4321);
    writeFileSync(local, data);
    await sftp.mkdir('/files');
    await sftp.put(local, '/files/up.bin');
    expect(sha(readFileSync(path.join(server.root, 'files', 'up.bin')))).toBe(sha(data));
    const back = path.join(work, 'back.bin');
    await sftp.get('/files/up.bin', back);
    expect(sha(readFileSync(back))).toBe(sha(data));
    writeFileSync(path.join(server.root, 'files', 'small.txt'), 'small\n');
    expect((await sftp.listdir('/files')).filter((n) => n !== '.' && n !== '..').sort()).toEqual(['small.txt', 'up.bin']);
    const entries = (await sftp.readdir('/files')).filter((e) => e.filename !== '.' && e.filename !== '..');
    expect(entries.map((e) => [e.filename, e.attrs.size]).sort()).toEqual([
      ['small.txt', 6],
      ['up.bin', data.length],
    ]);
    const attrs = await sftp.stat('/files/up.bin');
    expect(attrs.size).toBe(data.length);
    expect(await sftp.isdir('/files')).toBe(true);
    expect(await sftp.isfile('/files/small.txt')).toBe(true);
    expect(await sftp.realpath('/files/../files/./small.txt')).toBe('/files/small.txt');
    await sftp.exit();
  }, 60_000);

  it('renames, removes, makes and removes directories, links', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    mkdirSync(path.join(server.root, 'ops'));
    writeFileSync(path.join(server.root, 'ops', 'a.txt'), 'alpha');
    writeFileSync(path.join(server.root, 'ops', 'b.txt'), 'beta');
    await sftp.rename('/ops/a.txt', '/ops/c.txt');
    expect(readFileSync(path.join(server.root, 'ops', 'c.txt'), 'utf8')).toBe('alpha');
    // SFTP v3 (filexfer-02 6.5): renaming onto an existing name fails.
    await expect(sftp.rename('/ops/c.txt', '/ops/b.txt')).rejects.toBeInstanceOf(SFTPFailure);
    await sftp.remove('/ops/c.txt');
    expect(existsSync(path.join(server.root, 'ops', 'c.txt'))).toBe(false);
    await sftp.mkdir('/ops/dir');
    expect(lstatSync(path.join(server.root, 'ops', 'dir')).isDirectory()).toBe(true);
    await sftp.rmdir('/ops/dir');
    expect(existsSync(path.join(server.root, 'ops', 'dir'))).toBe(false);
    await sftp.symlink('b.txt', '/ops/link');
    expect(readlinkSync(path.join(server.root, 'ops', 'link'))).toBe('b.txt');
    expect(await sftp.readlink('/ops/link')).toBe('b.txt');
    expect(await sftp.islink('/ops/link')).toBe(true);
    expect((await sftp.stat('/ops/link')).size).toBe(4);
    await sftp.exit();
  });

  it('raises SFTPNoSuchFile for a missing file', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    await expect(sftp.stat('/no/such/file')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(sftp.open('/missing.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(sftp.get('/missing.txt', path.join(work, 'never.txt'))).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(sftp.remove('/missing.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    expect(await sftp.exists('/missing.txt')).toBe(false);
    await sftp.exit();
  });

  it('gets a small tree recursively', async () => {
    const tree = path.join(server.root, 'tree');
    mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
    mkdirSync(path.join(tree, 'empty'));
    writeFileSync(path.join(tree, 'top.txt'), 'top');
    writeFileSync(path.join(tree, 'sub', 'mid.bin'), randomBytes(200_000));
    writeFileSync(path.join(tree, 'sub', 'deeper', 'leaf.txt'), 'leaf');
    symlinkSync('top.txt', path.join(tree, 'top-link'));
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const dest = path.join(work, 'tree-copy');
    await sftp.get('/tree', dest, { recurse: true });
    expect(readFileSync(path.join(dest, 'top.txt'), 'utf8')).toBe('top');
    expect(sha(readFileSync(path.join(dest, 'sub', 'mid.bin')))).toBe(sha(readFileSync(path.join(tree, 'sub', 'mid.bin'))));
    expect(readFileSync(path.join(dest, 'sub', 'deeper', 'leaf.txt'), 'utf8')).toBe('leaf');
    expect(lstatSync(path.join(dest, 'empty')).isDirectory()).toBe(true);
    // Without followSymlinks, a link is copied as what it points to, as AsyncSSH's get().
    expect(readFileSync(path.join(dest, 'top-link'), 'utf8')).toBe('top');
    await sftp.exit();
  });
});
