/**
 * SFTP and SCP on our SSH sessions: our server's sftp subsystem and scp commands for OpenSSH's
 * sftp and scp -O, and our client's startSftpClient against sshd's sftp-server and our server.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, generateKey, makeTempDir, runScp, runSftp, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSFTPServer, connect, listen, scp, type SSHAcceptor } from '../src/index.ts';

let acceptor: SSHAcceptor;
let sshd: SshdServer;
let clientKey: KeyPair;
let hostKey: KeyPair;
let dir: string;

beforeAll(async () => {
  clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'sftp-host' });
  dir = await makeTempDir('sftp-interop');
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    sftpFactory: true,
    allowScp: true,
  });
  sshd = await startSshd();
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await sshd?.stop();
});

const ours = () => ({ name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] });

describe('our server serving files', () => {
  it('answers an OpenSSH sftp batch', async () => {
    const src = path.join(dir, 'up.txt');
    writeFileSync(src, 'uploaded by sftp\n');
    const remote = path.join(dir, 'remote-sftp');
    const r = await runSftp(ours(), [`mkdir ${remote}`, `put ${src} ${remote}/a.txt`, `ls ${remote}`, `get ${remote}/a.txt ${path.join(dir, 'down.txt')}`, `rename ${remote}/a.txt ${remote}/b.txt`, `rm ${remote}/b.txt`, `rmdir ${remote}`], { identity: clientKey });
    expect(r.stdout).toContain('a.txt');
    expect(readFileSync(path.join(dir, 'down.txt'), 'utf8')).toBe('uploaded by sftp\n');
  });

  it('answers OpenSSH scp -O in both directions', async () => {
    const src = path.join(dir, 'scp-src.bin');
    const data = Buffer.alloc(300_000, 7);
    writeFileSync(src, data);
    const target = path.join(dir, 'scp-dst');
    mkdirSync(target);
    await runScp(ours(), src, { remote: target }, { identity: clientKey, legacy: true });
    expect(readFileSync(path.join(target, 'scp-src.bin')).equals(data)).toBe(true);
    const back = path.join(dir, 'scp-back.bin');
    await runScp(ours(), { remote: path.join(target, 'scp-src.bin') }, back, { identity: clientKey, legacy: true });
    expect(readFileSync(back).equals(data)).toBe(true);
  });

  it('refuses an scp -O upload onto a FIFO nobody reads instead of blocking a shared thread on its open', async () => {
    const src = path.join(dir, 'to-fifo.txt');
    writeFileSync(src, 'for a fifo\n');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // OpenSSH's scp -t would wait in open(2) for a reader, in a process of its own; ours shares its
    // file threads between sessions, so the open must not wait.
    const r = await runScp(ours(), src, { remote: fifo }, { identity: clientKey, legacy: true, allowFailure: true, timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(fifo);
    // The server is still answering.
    await runScp(ours(), src, { remote: path.join(dir, 'after-fifo.txt') }, { identity: clientKey, legacy: true });
    expect(readFileSync(path.join(dir, 'after-fifo.txt'), 'utf8')).toBe('for a fifo\n');
  });

  it('sends every byte of a large download intact while reply buffers are reused (OpenSSH sftp and our client)', async () => {
    // 24 MiB of random bytes: with 64 READs of 255 KiB in flight (OpenSSH's sftp) most replies
    // wait in the channel for the peer's window, so a buffer reused too early would show here.
    const src = path.join(dir, 'large.bin');
    const data = randomBytes(24 * 1024 * 1024);
    writeFileSync(src, data);
    const got = path.join(dir, 'large-got.bin');
    await runSftp(ours(), [`get ${src} ${got}`], { identity: clientKey, timeoutMs: 120_000 });
    expect(readFileSync(got).equals(data)).toBe(true);
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const sftp = await conn.startSftpClient();
    const mine = path.join(dir, 'large-mine.bin');
    await sftp.get(src, mine);
    expect(readFileSync(mine).equals(data)).toBe(true);
    await sftp.exit();
  }, 180_000);

  it('serves our own SFTP client', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const sftp = await conn.startSftpClient();
    const file = path.join(dir, 'ours.txt');
    writeFileSync(file, 'x'.repeat(100_000));
    const attrs = await sftp.stat(file);
    expect(attrs.size).toBe(100_000);
    expect(await sftp.exists(path.join(dir, 'nope'))).toBe(false);
    await sftp.exit();
  });
});

describe('our client against sshd', () => {
  it('starts an SFTP client on the sftp subsystem', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const sftp = await conn.startSftpClient();
    const local = path.join(dir, 'put-me.bin');
    const data = Buffer.alloc(2_000_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    writeFileSync(local, data);
    const remote = path.join(dir, 'put-remote.bin');
    await sftp.put(local, remote);
    expect(readFileSync(remote).equals(data)).toBe(true);
    const got = path.join(dir, 'got.bin');
    await sftp.get(remote, got);
    expect(readFileSync(got).equals(data)).toBe(true);
    await sftp.exit();
  });
});

describe('scp()', () => {
  const opts = () => ({ username: sshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });

  it('uploads and downloads a tree against sshd, recursively, preserving modes', async () => {
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'sub'), { recursive: true });
    writeFileSync(path.join(tree, 'a.txt'), 'alpha');
    writeFileSync(path.join(tree, 'sub', 'b.txt'), 'beta', { mode: 0o600 });
    const remoteDir = path.join(dir, 'remote-tree');
    mkdirSync(remoteDir);
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, ...opts() });
    const progress: string[] = [];
    await scp(tree, [conn, remoteDir], { recurse: true, preserve: true, progressHandler: (name) => progress.push(name) });
    expect(readFileSync(path.join(remoteDir, 'tree', 'sub', 'b.txt'), 'utf8')).toBe('beta');
    expect(progress.length).toBeGreaterThan(0);
    const back = path.join(dir, 'back-tree');
    mkdirSync(back);
    await scp([conn, path.join(remoteDir, 'tree')], back, { recurse: true, preserve: true });
    expect(readFileSync(path.join(back, 'tree', 'a.txt'), 'utf8')).toBe('alpha');
  });

  it('copies remote to remote, from sshd to our server', async () => {
    const src = path.join(dir, 'r2r.txt');
    writeFileSync(src, 'remote to remote');
    const dstDir = path.join(dir, 'r2r-dst');
    mkdirSync(dstDir);
    await using a = await connect({ host: '127.0.0.1', port: sshd.port, ...opts() });
    await using b = await connect({ host: '127.0.0.1', port: acceptor.getPort(), ...opts() });
    await scp([a, src], [b, dstDir]);
    expect(readFileSync(path.join(dstDir, 'r2r.txt'), 'utf8')).toBe('remote to remote');
  });

  it('hands per-file errors to errorHandler and copies the rest, both ways', async () => {
    const good = path.join(dir, 'good.txt');
    writeFileSync(good, 'good');
    const remoteDir = path.join(dir, 'eh-remote');
    mkdirSync(remoteDir);
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, ...opts() });
    const errors: Error[] = [];
    const copied: string[] = [];
    await scp([path.join(dir, 'no-such-local.txt'), good], [conn, remoteDir], {
      errorHandler: (e) => errors.push(e),
      progressHandler: (src, dst, done, total) => copied.push(`${path.basename(src)} ${dst} ${done}/${total}`),
    });
    expect(readFileSync(path.join(remoteDir, 'good.txt'), 'utf8')).toBe('good');
    expect(errors.map((e) => e.message).join('\n')).toMatch(/no-such-local/);
    expect(copied).toContain('good.txt good.txt 4/4');
    const back = path.join(dir, 'eh-back');
    mkdirSync(back);
    const downErrors: Error[] = [];
    await scp(
      [
        [conn, path.join(remoteDir, 'missing.txt')],
        [conn, path.join(remoteDir, 'good.txt')],
      ],
      back,
      { errorHandler: (e) => downErrors.push(e) },
    );
    expect(readFileSync(path.join(back, 'good.txt'), 'utf8')).toBe('good');
    expect(downErrors.map((e) => e.message).join('\n')).toMatch(/missing/);
  });

  it('fails cleanly for a missing remote file', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, ...opts() });
    await expect(scp([conn, path.join(dir, 'does-not-exist')], path.join(dir, 'x'))).rejects.toThrow(/does-not-exist|No such file/);
  });
});

describe('allowScp with an sftpFactory of the application', () => {
  it("confines scp to the chroot of the factory's SFTPServer, as SFTP is", async () => {
    const root = path.join(dir, 'jail');
    mkdirSync(root);
    writeFileSync(path.join(root, 'inside.txt'), 'inside\n');
    const outside = path.join(dir, 'outside.txt');
    writeFileSync(outside, 'outside\n');
    const jailed = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey.privateKeyPath],
      authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
      sftpFactory: () => new LocalSFTPServer({ chroot: root }),
      allowScp: true,
    });
    try {
      await using conn = await connect({ host: '127.0.0.1', port: jailed.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
      await scp([conn, '/inside.txt'], path.join(dir, 'got-inside.txt'));
      expect(readFileSync(path.join(dir, 'got-inside.txt'), 'utf8')).toBe('inside\n');
      // The file's real path names nothing under the root.
      await expect(scp([conn, outside], path.join(dir, 'got-outside.txt'))).rejects.toThrow(/No such file|exited/);
      expect(existsSync(path.join(dir, 'got-outside.txt'))).toBe(false);
      await scp(outside, [conn, '/up.txt']);
      expect(readFileSync(path.join(root, 'up.txt'), 'utf8')).toBe('outside\n');
    } finally {
      jailed.close();
      await jailed.waitClosed();
    }
  });
});
