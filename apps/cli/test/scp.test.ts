/**
 * ssh-scp end to end, over SCP and over SFTP (-s), against OpenSSH's sshd and our own server:
 * uploads, downloads, trees, -p (mode and mtime checked on disk), several sources into a
 * directory, remote to remote through this host (-3); hostile sources whose names would escape
 * the target directory; and the failures (missing file, refused connection, unknown host key,
 * usage), each one line with status 1 (2 for usage).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir, runScp, startSshd, type SshdServer } from '@ssh/interop';
import { FILEXFER_TYPE, LocalSFTPServer, type SFTPName, type SSHServerProcess } from '@ssh/asyncssh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scpMain, splitRemotePath } from '../src/index.ts';
import { captureIo, clientHome, startOurServer, withHome, type Peer } from './helpers/peers.ts';

const MTIME = 1_500_000_000;

async function files(): Promise<{ local: string; remote: string; down: string }> {
  const root = await makeTempDir('cli-scp');
  const local = path.join(root, 'local');
  const remote = path.join(root, 'remote');
  const down = path.join(root, 'down');
  for (const d of [local, remote, down, path.join(local, 'tree', 'sub')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(local, 'a.txt'), 'alpha\n', { mode: 0o604 });
  utimesSync(path.join(local, 'a.txt'), MTIME, MTIME);
  writeFileSync(path.join(local, 'b.txt'), 'bravo\n');
  writeFileSync(path.join(local, 'tree', 'sub', 'y.txt'), 'y\n', { mode: 0o640 });
  utimesSync(path.join(local, 'tree', 'sub', 'y.txt'), MTIME, MTIME);
  return { local, remote, down };
}

const expectPreserved = (file: string, mode: number): void => {
  expect(statSync(file).mode & 0o777).toBe(mode);
  expect(statSync(file).mtimeMs / 1000).toBe(MTIME);
};

const peers: ReadonlyArray<readonly [string, () => Promise<Peer>]> = [
  ['OpenSSH sshd', () => startSshd()],
  ['our server (allowScp, sftpFactory)', () => startOurServer()],
];

describe.each(peers)('ssh-scp against %s', (_name, start) => {
  let peer: Peer;
  let home: string;
  let run: (...argv: string[]) => Promise<{ code: number; out: string; err: string }>;
  let remoteSpec: (p: string) => string;
  beforeAll(async () => {
    peer = await start();
    home = await clientHome([peer]);
    run = async (...argv) => {
      const c = captureIo();
      const code = await withHome(home, () => scpMain(['-P', String(peer.port), ...argv], c.io));
      return { code, out: c.out(), err: c.err() };
    };
    remoteSpec = (p) => `${peer.user}@127.0.0.1:${p}`;
  });
  afterAll(async () => {
    await peer?.stop();
  });

  for (const mode of [[], ['-s']] as const) {
    const over = mode.length === 0 ? 'SCP' : 'SFTP (-s)';

    it(`uploads files and trees over ${over}, -p keeping mode and mtime`, async () => {
      const { local, remote } = await files();
      expect(await run(...mode, '-p', path.join(local, 'a.txt'), remoteSpec(`${remote}/`))).toEqual({ code: 0, out: '', err: '' });
      expect(readFileSync(path.join(remote, 'a.txt'), 'utf8')).toBe('alpha\n');
      expectPreserved(path.join(remote, 'a.txt'), 0o604);
      expect((await run(...mode, '-r', '-p', path.join(local, 'tree'), remoteSpec(remote))).code).toBe(0);
      expectPreserved(path.join(remote, 'tree', 'sub', 'y.txt'), 0o640);
      mkdirSync(path.join(remote, 'many'));
      expect((await run(...mode, path.join(local, 'a.txt'), path.join(local, 'b.txt'), remoteSpec(`${remote}/many`))).code).toBe(0);
      expect(readdirSync(path.join(remote, 'many')).sort()).toEqual(['a.txt', 'b.txt']);
      expect((await run(...mode, path.join(local, 'b.txt'), remoteSpec(`${remote}/renamed.txt`))).code).toBe(0);
      expect(readFileSync(path.join(remote, 'renamed.txt'), 'utf8')).toBe('bravo\n');
    });

    it(`downloads files and trees over ${over}`, async () => {
      const { local, down } = await files();
      expect((await run(...mode, '-p', remoteSpec(path.join(local, 'a.txt')), down)).code).toBe(0);
      expectPreserved(path.join(down, 'a.txt'), 0o604);
      expect((await run(...mode, '-rp', remoteSpec(path.join(local, 'tree')), down)).code).toBe(0);
      expectPreserved(path.join(down, 'tree', 'sub', 'y.txt'), 0o640);
      expect((await run(...mode, remoteSpec(path.join(local, 'b.txt')), path.join(down, 'copy.txt'))).code).toBe(0);
      expect(readFileSync(path.join(down, 'copy.txt'), 'utf8')).toBe('bravo\n');
    });

    it(`refuses several sources into a target that is not a directory over ${over}, as scp`, async () => {
      const { local, remote, down } = await files();
      writeFileSync(path.join(remote, 'file.txt'), 'keep\n');
      const up = await run(...mode, path.join(local, 'a.txt'), path.join(local, 'b.txt'), remoteSpec(`${remote}/file.txt`));
      expect(up.code).toBe(1);
      expect(readFileSync(path.join(remote, 'file.txt'), 'utf8')).toBe('keep\n');
      expect(up.err).toMatch(/^(?:ssh-scp: [^\n]*\n)+$/);
      const target = path.join(down, 'file.txt');
      writeFileSync(target, 'keep\n');
      const got = await run(...mode, remoteSpec(path.join(local, 'a.txt')), remoteSpec(path.join(local, 'b.txt')), target);
      expect(got).toEqual({ code: 1, out: '', err: `ssh-scp: ${target}: Not a directory\n` });
      expect(readFileSync(target, 'utf8')).toBe('keep\n');
    });

    it(`reports a missing file over ${over} in one line, copies the other sources, exits 1`, async () => {
      const { local, down } = await files();
      const r = await run(...mode, remoteSpec(path.join(local, 'missing.txt')), remoteSpec(path.join(local, 'b.txt')), down);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^ssh-scp: [^\n]*missing\.txt: [^\n]*No such file[^\n]*\n$/i);
      expect(readFileSync(path.join(down, 'b.txt'), 'utf8')).toBe('bravo\n');
      const dir = await run(...mode, remoteSpec(path.join(local, 'tree')), down);
      expect(dir.code).toBe(1);
      expect(dir.err).toMatch(/^ssh-scp: [^\n]*tree: [^\n]*\n$/);
      expect(existsSync(path.join(down, 'tree'))).toBe(false);
    });
  }
});

describe('ssh-scp and OpenSSH scp when some files of a tree cannot be copied', () => {
  let sshd: SshdServer;
  let home: string;
  beforeAll(async () => {
    sshd = await startSshd();
    home = await clientHome([sshd]);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  /** A tree t/{a,b,c}.txt, t/s/z.txt and a target directory where t/b.txt is a directory. */
  async function arena(): Promise<{ src: string; dst: string }> {
    const root = await makeTempDir('cli-scp-partial');
    const src = path.join(root, 'src');
    const dst = path.join(root, 'dst');
    mkdirSync(path.join(src, 't', 's'), { recursive: true });
    for (const f of ['a', 'b', 'c']) writeFileSync(path.join(src, 't', `${f}.txt`), `${f}\n`);
    writeFileSync(path.join(src, 't', 's', 'z.txt'), 'z\n');
    mkdirSync(path.join(dst, 't', 'b.txt'), { recursive: true });
    return { src, dst };
  }
  const tree = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map((p) => (statSync(path.join(dir, p)).isDirectory() ? `${p}/` : p)).sort();

  it('leaves hidden names out of a remote wildcard over SFTP, as scp', async () => {
    const root = await makeTempDir('cli-scp-hidden');
    mkdirSync(path.join(root, 'src'));
    for (const f of ['a.txt', '.h.txt']) writeFileSync(path.join(root, 'src', f), f);
    const [theirs, ours] = [path.join(root, 'theirs'), path.join(root, 'ours')];
    for (const d of [theirs, ours]) mkdirSync(d);
    await runScp(sshd, { remote: path.join(root, 'src', '*.txt') }, theirs, { legacy: false });
    const c = captureIo();
    const code = await withHome(home, () => scpMain(['-s', '-P', String(sshd.port), `${sshd.user}@127.0.0.1:${path.join(root, 'src', '*.txt')}`, ours], c.io));
    expect(code).toBe(0);
    expect(readdirSync(theirs)).toEqual(['a.txt']);
    expect(readdirSync(ours)).toEqual(readdirSync(theirs));
  });

  for (const [over, ours, legacy] of [['SCP', [], true], ['SFTP', ['-s'], false]] as const) {
    it(`takes a local wildcard no shell expanded as a name over ${over}, as scp does`, async () => {
      const root = await makeTempDir('cli-scp-lwild');
      mkdirSync(path.join(root, 'src'));
      for (const f of ['a.txt', '.h.txt']) writeFileSync(path.join(root, 'src', f), f);
      const [theirDir, ourDir] = [path.join(root, 'theirs'), path.join(root, 'ours')];
      for (const d of [theirDir, ourDir]) mkdirSync(d);
      const pattern = path.join(root, 'src', '*.txt');
      const them = await runScp(sshd, pattern, { remote: theirDir }, { legacy, allowFailure: true });
      expect(them.exitCode).not.toBe(0);
      expect(them.stderr).toMatch(/\*\.txt.*No such file or directory/);
      const c = captureIo();
      const code = await withHome(home, () => scpMain([...ours, '-P', String(sshd.port), pattern, `${sshd.user}@127.0.0.1:${ourDir}`], c.io));
      expect(code).not.toBe(0);
      expect(c.err()).toMatch(/\*\.txt.*No such file/i);
      expect(readdirSync(theirDir)).toEqual([]);
      expect(readdirSync(ourDir)).toEqual([]);
    });
  }

  for (const [over, ours, legacy] of [['SCP', [], true], ['SFTP', ['-s'], false]] as const) {
    for (const direction of ['upload', 'download'] as const) {
      it(`copies the other files of a -r ${direction} over ${over}, then exits 1, as scp`, async () => {
        const [theirArena, ourArena] = [await arena(), await arena()];
        const them =
          direction === 'upload'
            ? await runScp(sshd, path.join(theirArena.src, 't'), { remote: theirArena.dst }, { legacy, args: ['-r'], allowFailure: true })
            : await runScp(sshd, { remote: path.join(theirArena.src, 't') }, theirArena.dst, { legacy, args: ['-r'], allowFailure: true });
        const remote = (p: string): string => `${sshd.user}@127.0.0.1:${p}`;
        const c = captureIo();
        const argv = direction === 'upload' ? [path.join(ourArena.src, 't'), remote(ourArena.dst)] : [remote(path.join(ourArena.src, 't')), ourArena.dst];
        const code = await withHome(home, () => scpMain([...ours, '-r', '-P', String(sshd.port), ...argv], c.io));
        expect(them.exitCode).toBe(1);
        expect(tree(theirArena.dst)).toEqual(['t/', 't/a.txt', 't/b.txt/', 't/c.txt', 't/s/', 't/s/z.txt']);
        expect(code).toBe(1);
        expect(tree(ourArena.dst)).toEqual(tree(theirArena.dst));
        expect(c.err()).toMatch(/^(?:ssh-scp: [^\n]*t: [^\n]+\n)+$/);
      });
    }
  }
});

describe('ssh-scp between two remote hosts (-3)', () => {
  let sshd: Peer;
  let ours: Peer;
  let home: string;
  beforeAll(async () => {
    [sshd, ours] = await Promise.all([startSshd(), startOurServer()]);
    home = await clientHome([sshd, ours]);
    // Two ports: ssh_config gives each host alias its own.
    writeFileSync(path.join(home, '.ssh', 'config'), `Host sshd-peer\n  HostName 127.0.0.1\n  Port ${sshd.port}\nHost our-peer\n  HostName 127.0.0.1\n  Port ${ours.port}\n`);
  });
  afterAll(async () => {
    await Promise.all([sshd?.stop(), ours?.stop()]);
  });

  for (const mode of [['-3'], ['-3', '-s']] as const) {
    it(`relays ${mode.join(' ')} from sshd to our server, trees and -p included`, async () => {
      const { local, remote } = await files();
      const c = captureIo();
      const code = await withHome(home, () => scpMain([...mode, '-r', '-p', `${sshd.user}@sshd-peer:${path.join(local, 'tree')}`, `${ours.user}@our-peer:${remote}`], c.io));
      expect(c.err()).toBe('');
      expect(code).toBe(0);
      expect(readFileSync(path.join(remote, 'tree', 'sub', 'y.txt'), 'utf8')).toBe('y\n');
      expectPreserved(path.join(remote, 'tree', 'sub', 'y.txt'), 0o640);
    });
  }

  it('relays a dot file with -3 -s, to a new name and into a directory', async () => {
    const { local, remote } = await files();
    writeFileSync(path.join(local, '.profile'), 'dot\n');
    for (const to of [`${remote}/renamed`, remote]) {
      const c = captureIo();
      const code = await withHome(home, () => scpMain(['-3', '-s', `${sshd.user}@sshd-peer:${path.join(local, '.profile')}`, `${ours.user}@our-peer:${to}`], c.io));
      expect(c.err()).toBe('');
      expect(code).toBe(0);
    }
    expect(readFileSync(path.join(remote, 'renamed'), 'utf8')).toBe('dot\n');
    expect(readFileSync(path.join(remote, '.profile'), 'utf8')).toBe('dot\n');
  });

  it('copies to our server through sshd as a -J jump host, with hosts from a -F config', async () => {
    const { local, remote } = await files();
    const config = path.join(home, 'jump-config');
    writeFileSync(config, `Host target\n  HostName 127.0.0.1\n  Port ${ours.port}\n  User ${ours.user}\n`);
    const c = captureIo();
    const code = await withHome(home, () => scpMain(['-F', config, '-J', `${sshd.user}@127.0.0.1:${sshd.port}`, path.join(local, 'b.txt'), `target:${remote}/via-jump.txt`], c.io));
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(readFileSync(path.join(remote, 'via-jump.txt'), 'utf8')).toBe(readFileSync(path.join(local, 'b.txt'), 'utf8'));
  });
});

/** SFTP listings with names that would escape the download directory. */
class HostileServer extends LocalSFTPServer {
  override async scandir(p: string): Promise<AsyncIterable<SFTPName>> {
    const real = await super.scandir(p);
    return (async function* () {
      yield* real;
      yield { filename: '../escaped', longname: '', attrs: { type: FILEXFER_TYPE.REGULAR, permissions: 0o100644, size: 4 } };
    })();
  }
}

/** An `scp -f` source that sends a file named `../escaped` whatever was asked. */
async function hostileScpSource(proc: SSHServerProcess<Uint8Array>): Promise<void> {
  await proc.stdin.read(1);
  proc.stdout.write(new TextEncoder().encode('C0644 4 ../escaped\n'));
  await proc.stdin.read(1).catch(() => undefined);
  proc.exit(1);
}

/** An `scp -f` source that answers with an error message carrying terminal escapes. */
async function escapingScpSource(proc: SSHServerProcess<Uint8Array>): Promise<void> {
  await proc.stdin.read(1);
  proc.stdout.write(new TextEncoder().encode('\u0001scp: no\u001b]0;owned\u0007 \u009b2Jsuch file\n'));
  proc.stderr.write(new TextEncoder().encode('\u001b[31mred\u001b[0m\n'));
  proc.exit(1);
}

describe('ssh-scp against hostile servers', () => {
  it('shows an SCP source error message with control characters as ?', async () => {
    const server = await startOurServer({ extra: { allowScp: false, processFactory: escapingScpSource as never, encoding: null } });
    try {
      const home = await clientHome([server]);
      const { down } = await files();
      const c = captureIo();
      const code = await withHome(home, () => scpMain(['-P', String(server.port), `${server.user}@127.0.0.1:/etc/hostname`, down], c.io));
      expect(code).toBe(1);
      expect(c.err()).toContain('no?]0;owned? ?2Jsuch file');
      // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
      expect(`${c.out()}${c.err()}`.replace(/\n$/, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a name with ../ from an SCP source and says so', async () => {
    const server = await startOurServer({ extra: { allowScp: false, processFactory: hostileScpSource as never, encoding: null } });
    try {
      const home = await clientHome([server]);
      const { down } = await files();
      const target = path.join(down, 'inner');
      mkdirSync(target);
      const c = captureIo();
      const code = await withHome(home, () => scpMain(['-P', String(server.port), `${server.user}@127.0.0.1:/etc/hostname`, target], c.io));
      expect(code).toBe(1);
      expect(c.err()).toMatch(/^ssh-scp: [^\n]*:\/etc\/hostname: ScpError: [^\n]*"\.\.\/escaped"[^\n]*\n$/);
      expect(readdirSync(down)).toEqual(['inner']);
      expect(readdirSync(target)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('refuses a name with ../ in an SFTP listing (-s -r) and says so', async () => {
    const server = await startOurServer({ sftpFactory: () => new HostileServer() });
    try {
      const home = await clientHome([server]);
      const { local, down } = await files();
      const target = path.join(down, 'inner');
      mkdirSync(target);
      const c = captureIo();
      const code = await withHome(home, () => scpMain(['-s', '-r', '-P', String(server.port), `${server.user}@127.0.0.1:${path.join(local, 'tree')}`, target], c.io));
      expect(code).toBe(1);
      expect(c.err()).toMatch(/^ssh-scp: [^\n]*tree: SFTPInvalidFilename: refusing unsafe remote file name "\.\.\/escaped"\n$/);
      expect(readdirSync(down)).toEqual(['inner']);
    } finally {
      await server.stop();
    }
  });
});

describe('ssh-scp progress on a terminal', () => {
  it('shows names the server listed (-s with a glob) with control characters as ?', async () => {
    const server = await startOurServer();
    try {
      const home = await clientHome([server]);
      const { remote, down } = await files();
      writeFileSync(path.join(remote, 'evil\u001b[2Jname.txt'), 'evil\n');
      const c = captureIo();
      const code = await withHome(home, () => scpMain(['-s', '-P', String(server.port), `${server.user}@127.0.0.1:${remote}/evil*`, down], { ...c.io, stdoutIsTty: true }));
      expect(c.err()).toBe('');
      expect(code).toBe(0);
      expect(c.out()).toContain('evil?[2Jname.txt');
      expect(c.out()).not.toContain('\u001b');
    } finally {
      await server.stop();
    }
  });
});

describe('ssh-scp failures', () => {
  let sshd: Peer;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('explains a refused connection in one line, status 1', async () => {
    const home = await clientHome([]);
    const c = captureIo();
    const port = await freePort();
    expect(await withHome(home, () => scpMain(['-P', String(port), '127.0.0.1:x', '/tmp/'], c.io))).toBe(1);
    expect(c.err()).toMatch(/^ssh-scp: 127\.0\.0\.1:x: ConnectionLost: cannot connect to 127\.0\.0\.1 port \d+: [^\n]*ECONNREFUSED[^\n]*\n$/);
    // Several sources over SFTP: the target, asked first whether it is a directory, says so.
    const d = captureIo();
    expect(await withHome(home, () => scpMain(['-s', '-P', String(port), '/etc/hostname', '/etc/hosts', '127.0.0.1:dir'], d.io))).toBe(1);
    expect(d.err()).toMatch(/^ssh-scp: 127\.0\.0\.1:dir: ConnectionLost: cannot connect to [^\n]*ECONNREFUSED[^\n]*\n$/);
  });

  it('explains an unknown host key in one line, status 1', async () => {
    const home = await clientHome([], { knownHosts: false });
    const c = captureIo();
    expect(await withHome(home, () => scpMain(['-P', String(sshd.port), '/etc/hostname', `${sshd.user}@127.0.0.1:/tmp/`], c.io))).toBe(1);
    expect(c.err()).toMatch(/^ssh-scp: \/etc\/hostname: HostKeyNotVerifiable: [^\n]*\n$/);
  });

  it('prints its usage for -h and --help, status 0, without connecting', async () => {
    for (const argv of [['-h'], ['--help'], ['-h', 'a', 'example.invalid:b']]) {
      const c = captureIo();
      expect(await scpMain(argv, c.io)).toBe(0);
      expect(c.out()).toMatch(/^usage: ssh-scp \[-3hpqrsv\]/);
      expect(c.err()).toBe('');
    }
  });

  it('needs a host and two operands: usage, status 2', async () => {
    for (const argv of [[], ['only-one'], ['a', 'b'], ['-Z', 'a', 'h:b']]) {
      const c = captureIo();
      expect(await scpMain(argv, c.io)).toBe(2);
      expect(c.err()).toContain('usage: ssh-scp');
    }
  });

  it('splits operands as scp does', () => {
    expect(splitRemotePath('alice@host:dir/f')).toEqual({ destination: { host: 'host', username: 'alice' }, path: 'dir/f' });
    expect(splitRemotePath('[::1]:/tmp/x')).toEqual({ destination: { host: '::1' }, path: '/tmp/x' });
    expect(splitRemotePath('host:')).toEqual({ destination: { host: 'host' }, path: '' });
    expect(splitRemotePath('./a:b')).toBeUndefined();
    expect(splitRemotePath('/abs/x:y')).toBeUndefined();
    expect(splitRemotePath('plain')).toBeUndefined();
  });
});
