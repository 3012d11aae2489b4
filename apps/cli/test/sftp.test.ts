/**
 * ssh-sftp end to end: every command in batch mode against OpenSSH's sshd (its sftp-server) and
 * against our own server, the files checked on disk (content, and with -p mode and mtime); batch
 * error handling and the `-` prefix; stdin without a terminal; `host:path` destinations; a
 * hostile server's names; and the first failures people meet (refused connection, unknown host
 * key, missing file, usage), each one line with a non-zero status.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir, startSshd } from '@ssh/interop';
import { FILEXFER_TYPE, LocalSFTPServer, SFTPNoSuchFile, SSHServer, setLogLevel, type SFTPName, type SSHServerConnection } from '@ssh/asyncssh';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { linePrefixes, longLine, sftpMain, splitWords } from '../src/index.ts';
import { at, captureIo, clientHome, startOurServer, withHome, type Peer } from './helpers/peers.ts';

const MTIME = 1_600_000_000;

const peers: ReadonlyArray<readonly [string, () => Promise<Peer>]> = [
  ['OpenSSH sshd (sftp-server)', () => startSshd()],
  ['our server (sftpFactory)', () => startOurServer()],
];

/** A work directory with local/ (a.txt 0640 with a fixed mtime, b.txt, tree/sub/y.txt), remote/ and down/. */
async function workDir(): Promise<{ local: string; remote: string; down: string }> {
  const root = await makeTempDir('cli-sftp');
  const local = path.join(root, 'local');
  const remote = path.join(root, 'remote');
  const down = path.join(root, 'down');
  for (const d of [local, remote, down, path.join(local, 'tree', 'sub')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(local, 'a.txt'), 'alpha\n', { mode: 0o640 });
  utimesSync(path.join(local, 'a.txt'), MTIME, MTIME);
  writeFileSync(path.join(local, 'b.txt'), 'bravo\n');
  writeFileSync(path.join(local, 'tree', 'x.txt'), 'x\n');
  writeFileSync(path.join(local, 'tree', 'sub', 'y.txt'), 'y\n');
  return { local, remote, down };
}

async function batch(home: string, peer: Peer, lines: readonly string[], options: { cwd?: string; extra?: readonly string[] } = {}) {
  const file = path.join(home, `batch-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const c = captureIo(options.cwd !== undefined ? { cwd: options.cwd } : {});
  const { port, dest } = at(peer);
  const code = await withHome(home, () => sftpMain(['-b', file, '-P', port, ...(options.extra ?? []), dest], c.io));
  return { code, out: c.out(), err: c.err() };
}

describe.each(peers)('ssh-sftp against %s', (_name, start) => {
  let peer: Peer;
  let home: string;
  beforeAll(async () => {
    peer = await start();
    home = await clientHome([peer]);
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('runs every command of a batch and leaves the files on disk', async () => {
    const { local, remote, down } = await workDir();
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const r = await batch(home, peer, [
      `lcd ${local}`,
      `cd ${remote}`,
      'pwd',
      'lpwd',
      'put -p a.txt',
      'put b.txt renamed-b.txt',
      'mkdir made',
      'mkdir empty',
      'put -r tree',
      'ls',
      'ls -l a.txt',
      'ls -1 .',
      'ls -la tree',
      'rename renamed-b.txt made/b2.txt',
      'ln -s a.txt link-a',
      'ln a.txt hard-a',
      `lcd ${down}`,
      'get -p a.txt got-a.txt',
      'get -r tree',
      'mget *.txt',
      `mput ${local}/*.txt made`,
      `chmod 600 a.txt`,
      `chown ${uid} a.txt`,
      `chgrp ${gid} a.txt`,
      'df',
      'df -h',
      'rm hard-a',
      'rmdir empty',
      '!echo bang > bang.txt',
      'lls',
      'version',
      'help',
      'bye',
      'mkdir never',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`sftp> put -p a.txt\n`);
    expect(r.out).toMatch(new RegExp(`Remote working directory: .*${path.basename(remote)}\\n`));
    expect(r.out).toContain(`Local working directory: ${local}\n`);
    expect(r.out).toMatch(/^-rw-r-----\s.*a\.txt$/m);
    expect(r.out).toMatch(/^d[-rwx]{9}\s.* tree\/sub$/m);
    expect(r.out).toMatch(/^made\nrenamed-b\.txt\ntree$/m);
    expect(r.out).toMatch(/^\s+Size\s+Used\s+Avail\s+\(root\)\s+%Capacity$/m);
    expect(r.out).toMatch(/SFTP protocol version 3/);
    expect(r.out).toContain('Available commands:');
    expect(r.out).toContain('bang.txt');

    // Uploads, with -p keeping mode and mtime.
    expect(readFileSync(path.join(remote, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(statSync(path.join(remote, 'a.txt')).mtimeMs / 1000).toBe(MTIME);
    expect(statSync(path.join(remote, 'a.txt')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(remote, 'made', 'b2.txt'), 'utf8')).toBe('bravo\n');
    expect(readFileSync(path.join(remote, 'tree', 'sub', 'y.txt'), 'utf8')).toBe('y\n');
    expect(readFileSync(path.join(remote, 'made', 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(readFileSync(path.join(remote, 'made', 'b.txt'), 'utf8')).toBe('bravo\n');
    expect(readlinkSync(path.join(remote, 'link-a'))).toBe('a.txt');
    expect(existsSync(path.join(remote, 'hard-a'))).toBe(false);
    expect(existsSync(path.join(remote, 'empty'))).toBe(false);
    expect(existsSync(path.join(remote, 'never'))).toBe(false);
    // Downloads, with -p keeping mode and mtime.
    expect(readFileSync(path.join(down, 'got-a.txt'), 'utf8')).toBe('alpha\n');
    expect(statSync(path.join(down, 'got-a.txt')).mode & 0o777).toBe(0o640);
    expect(statSync(path.join(down, 'got-a.txt')).mtimeMs / 1000).toBe(MTIME);
    expect(readFileSync(path.join(down, 'tree', 'sub', 'y.txt'), 'utf8')).toBe('y\n');
    expect(readFileSync(path.join(down, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(readFileSync(path.join(down, 'bang.txt'), 'utf8')).toBe('bang\n');
  });

  it('stops a batch at the first failing command, unless it starts with -', async () => {
    const { remote, down } = await workDir();
    const stopped = await batch(home, peer, [`cd ${remote}`, 'get missing.txt', 'mkdir after'], { cwd: down });
    expect(stopped.code).toBe(1);
    expect(stopped.err).toMatch(/^ssh-sftp: get missing\.txt: .*No such file.*\n$/);
    expect(stopped.out).not.toContain('mkdir after');
    expect(existsSync(path.join(remote, 'after'))).toBe(false);

    const tolerated = await batch(home, peer, [`cd ${remote}`, '-get missing.txt', '-rm nothing-here', 'mkdir after'], { cwd: down });
    expect(tolerated.code).toBe(0);
    expect(tolerated.err.split('\n').filter(Boolean)).toHaveLength(2);
    expect(statSync(path.join(remote, 'after')).isDirectory()).toBe(true);

    // Ids past uint32 are refused before anything is sent.
    writeFileSync(path.join(remote, 'owned.txt'), 'o\n');
    const bigId = await batch(home, peer, [`cd ${remote}`, '-chown 4294967296 owned.txt', 'chgrp 99999999999999999999999 owned.txt', 'mkdir never']);
    expect(bigId.code).toBe(1);
    expect(bigId.err).toBe('ssh-sftp: Invalid uid "4294967296": must be numeric, at most 4294967295\nssh-sftp: Invalid gid "99999999999999999999999": must be numeric, at most 4294967295\n');
    expect(bigId.out).not.toContain('Changing');
    expect(existsSync(path.join(remote, 'never'))).toBe(false);

    // lmkdir makes the directory named, even one named like an option of mkdir.
    const dashed = await batch(home, peer, [`lcd ${down}`, 'lmkdir -p', 'lmkdir --help']);
    expect(dashed.err).toBe('');
    expect(statSync(path.join(down, '-p')).isDirectory()).toBe(true);
    expect(statSync(path.join(down, '--help')).isDirectory()).toBe(true);

    const badCommand = await batch(home, peer, ['frobnicate', 'mkdir x']);
    expect(badCommand.code).toBe(1);
    expect(badCommand.err).toBe('ssh-sftp: Invalid command "frobnicate". Type "help" for the list of commands.\n');
  });

  it('reads commands from stdin without a prompt, going on after a failure', async () => {
    const { remote, down } = await workDir();
    writeFileSync(path.join(remote, 'r.txt'), 'remote\n');
    const c = captureIo({ stdin: [`cd ${remote}`, 'get nothing', 'get r.txt', 'pwd'], cwd: down });
    const { port, dest } = at(peer);
    const code = await withHome(home, () => sftpMain(['-q', '-P', port, dest], c.io));
    expect(code).toBe(0);
    expect(c.out()).not.toMatch(/sftp> $/m);
    expect(c.err()).toMatch(/^ssh-sftp: get nothing: /);
    expect(readFileSync(path.join(down, 'r.txt'), 'utf8')).toBe('remote\n');

    // `-b -`: a batch from stdin, which stops at the failure.
    const b = captureIo({ stdin: [`cd ${remote}`, 'get nothing', 'mkdir later'], cwd: down });
    expect(await withHome(home, () => sftpMain(['-b', '-', '-P', port, dest], b.io))).toBe(1);
    expect(existsSync(path.join(remote, 'later'))).toBe(false);
  });

  it('fetches the file a destination names, or starts in the directory it names', async () => {
    const { remote, down } = await workDir();
    writeFileSync(path.join(remote, 'f.txt'), 'file\n');
    const { port, dest } = at(peer);
    const c = captureIo({ cwd: down });
    expect(await withHome(home, () => sftpMain(['-P', port, `${dest}:${remote}/f.txt`], c.io))).toBe(0);
    expect(readFileSync(path.join(down, 'f.txt'), 'utf8')).toBe('file\n');

    const d = captureIo({ stdin: ['pwd'], cwd: down });
    expect(await withHome(home, () => sftpMain(['-P', port, `${dest}:${remote}`], d.io))).toBe(0);
    expect(d.out()).toMatch(new RegExp(`Remote working directory: .*${path.basename(remote)}\\n`));

    // Any character a file name may hold: quotes, backslashes, a tab.
    const odd = `it's "odd"\\\t.txt`;
    writeFileSync(path.join(remote, odd), 'odd\n');
    const o = captureIo({ cwd: down });
    expect(await withHome(home, () => sftpMain(['-q', '-P', port, `${dest}:${remote}/${odd}`], o.io))).toBe(0);
    expect(o.err()).toBe('');
    expect(readFileSync(path.join(down, odd), 'utf8')).toBe('odd\n');

    const m = captureIo({ cwd: down });
    expect(await withHome(home, () => sftpMain(['-P', port, `${dest}:${remote}/missing`], m.io))).toBe(1);
    expect(m.err()).toMatch(/^Connected to 127\.0\.0\.1\.\nssh-sftp: .*missing: .*No such file.*\n$/);
  });

  it('resumes a download (reget, get -a) and an upload (reput, put -a) from what the destination holds', async () => {
    const { local, remote, down } = await workDir();
    const data = Buffer.alloc(3 * 1024 * 1024 + 4321);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
    writeFileSync(path.join(remote, 'big.bin'), data);
    writeFileSync(path.join(down, 'big.bin'), data.subarray(0, 1_000_000)); // an interrupted download
    writeFileSync(path.join(local, 'up.bin'), data);
    writeFileSync(path.join(remote, 'up.bin'), data.subarray(0, 777_777)); // an interrupted upload
    writeFileSync(path.join(down, 'fresh.bin'), '');
    const r = await batch(home, peer, [`cd ${remote}`, `lcd ${down}`, 'reget big.bin', 'get -a big.bin', `lcd ${local}`, 'reput up.bin', 'put -a up.bin up2.bin']);
    // The second download finds nothing left to copy, and says so on stderr (even in a quiet batch).
    expect(r.err).toBe(`File "${path.join(down, 'big.bin')}" was not modified\n`);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(down, 'big.bin')).equals(data)).toBe(true);
    expect(readFileSync(path.join(remote, 'up.bin')).equals(data)).toBe(true);
    // Nothing there yet: a resume is a whole copy.
    expect(readFileSync(path.join(remote, 'up2.bin')).equals(data)).toBe(true);
    // A destination larger than its source cannot be a partial copy of it.
    writeFileSync(path.join(down, 'small.txt'), 'far too long for this\n');
    writeFileSync(path.join(remote, 'small.txt'), 'short\n');
    const bad = await batch(home, peer, [`cd ${remote}`, `lcd ${down}`, 'reget small.txt']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Unable to resume download of "small\.txt": local file is larger than remote/);
    expect(readFileSync(path.join(down, 'small.txt'), 'utf8')).toBe('far too long for this\n');
    // An upload whose destination is already complete fails, as sftp's does, and stops the batch.
    const done = await batch(home, peer, [`cd ${remote}`, `lcd ${local}`, 'reput up.bin', 'put -a up.bin up3.bin']);
    expect(done.code).toBe(1);
    expect(done.err).toBe(`ssh-sftp: resume "${path.join(local, 'up.bin')}": destination file same size or larger\n`);
    expect(existsSync(path.join(remote, 'up3.bin'))).toBe(false);
    expect(readFileSync(path.join(remote, 'up.bin')).equals(data)).toBe(true);
  });

  it('merges a tree fetched or sent again into the copy already there, as sftp does', async () => {
    const { local, remote, down } = await workDir();
    const r = await batch(home, peer, [`lcd ${local}`, `cd ${remote}`, 'put -r tree', 'put -r tree', `lcd ${down}`, 'get -r tree', 'get -r tree']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(path.join(remote, 'tree')).sort()).toEqual(['sub', 'x.txt']);
    expect(readdirSync(path.join(down, 'tree')).sort()).toEqual(['sub', 'x.txt']);
    expect(readFileSync(path.join(down, 'tree', 'sub', 'y.txt'), 'utf8')).toBe('y\n');
  });

  it('puts and gets trees with -r -p given to the program', async () => {
    const { local, remote, down } = await workDir();
    utimesSync(path.join(local, 'tree', 'x.txt'), MTIME, MTIME);
    const r = await batch(home, peer, [`lcd ${local}`, `cd ${remote}`, 'put tree', `lcd ${down}`, 'get tree'], { extra: ['-r', '-p', '-q'] });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('Uploading');
    expect(statSync(path.join(remote, 'tree', 'x.txt')).mtimeMs / 1000).toBe(MTIME);
    expect(statSync(path.join(down, 'tree', 'x.txt')).mtimeMs / 1000).toBe(MTIME);
    expect(readFileSync(path.join(down, 'tree', 'sub', 'y.txt'), 'utf8')).toBe('y\n');
  });
});

describe('ssh-sftp failures', () => {
  let sshd: Awaited<ReturnType<typeof startSshd>>;
  let home: string;
  beforeAll(async () => {
    sshd = await startSshd();
    home = await clientHome([sshd]);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('explains a refused connection in one line', async () => {
    const c = captureIo();
    const port = await freePort();
    expect(await withHome(home, () => sftpMain(['-P', String(port), '127.0.0.1'], c.io))).toBe(255);
    expect(c.err()).toMatch(/^ssh-sftp: ConnectionLost: cannot connect to 127\.0\.0\.1 port \d+: .*ECONNREFUSED[^\n]*\n$/);
  });

  it('explains an unknown host key in one line', async () => {
    const bare = await clientHome([], { knownHosts: false });
    const c = captureIo({ stdin: ['pwd'] });
    expect(await withHome(bare, () => sftpMain(['-P', String(sshd.port), `${sshd.user}@127.0.0.1`], c.io))).toBe(255);
    expect(c.err()).toMatch(/^ssh-sftp: HostKeyNotVerifiable: [^\n]*\n$/);
  });

  it('prints its usage for -h and --help, status 0, without connecting', async () => {
    for (const argv of [['-h'], ['--help'], ['-h', 'example.invalid']]) {
      const c = captureIo();
      expect(await sftpMain(argv, c.io)).toBe(0);
      expect(c.out()).toMatch(/^usage: ssh-sftp \[-hpqrv\]/);
      expect(c.err()).toBe('');
    }
  });

  it('needs a host: usage and status 2', async () => {
    const c = captureIo();
    expect(await sftpMain([], c.io)).toBe(2);
    expect(c.err()).toContain('usage: ssh-sftp');
    const d = captureIo();
    expect(await sftpMain(['-x', 'host'], d.io)).toBe(2);
    expect(d.err()).toMatch(/^ssh-sftp: unknown option -- x\n/);
  });

  it('reports a batch file it cannot read, status 255 as sftp', async () => {
    const c = captureIo();
    expect(await sftpMain(['-b', '/nonexistent/batch', '127.0.0.1'], c.io)).toBe(255);
    expect(c.err()).toMatch(/^ssh-sftp: cannot read batch file \/nonexistent\/batch: .*ENOENT/);
  });

  it('takes -o options and -i identities as ssh does', async () => {
    const bare = await clientHome([], { knownHosts: false });
    const keyed = await clientHome([sshd]);
    const c = captureIo({ stdin: ['pwd'] });
    // No default key and no known_hosts in this HOME: -i and -o UserKnownHostsFile supply them.
    const code = await withHome(bare, () =>
      sftpMain(['-q', '-i', path.join(keyed, '.ssh', 'id_ed25519'), '-o', `UserKnownHostsFile=${path.join(keyed, '.ssh', 'known_hosts')}`, '-P', String(sshd.port), `${sshd.user}@127.0.0.1`], c.io),
    );
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(c.out()).toContain('Remote working directory: ');
  });

  it('reads only the -F config file, where a Host alias names the server', async () => {
    const c = captureIo({ stdin: ['pwd'] });
    const config = path.join(home, 'alt-config');
    writeFileSync(config, `Host via-f\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n`);
    // ~/.ssh/config would send the alias elsewhere: -F replaces it, as with ssh -F.
    writeFileSync(path.join(home, '.ssh', 'config'), 'Host via-f\n  HostName 127.0.0.2\n  Port 1\n');
    try {
      expect(await withHome(home, () => sftpMain(['-q', '-F', config, 'via-f'], c.io))).toBe(0);
      expect(c.out()).toContain('Remote working directory: ');
      const missing = captureIo();
      // As ssh: the connection fails (255) naming the file.
      expect(await withHome(home, () => sftpMain(['-F', '/nonexistent/config', 'via-f'], missing.io))).toBe(255);
      expect(missing.err()).toMatch(/^ssh-sftp: .*cannot read config file "\/nonexistent\/config"\n$/);
    } finally {
      rmSync(path.join(home, '.ssh', 'config'));
    }
  });

  it('reaches a server through a -J jump host', async () => {
    const ours = await startOurServer();
    try {
      const both = await clientHome([sshd, ours]);
      const c = captureIo({ stdin: ['pwd'] });
      const code = await withHome(both, () => sftpMain(['-q', '-J', `${sshd.user}@127.0.0.1:${sshd.port}`, '-P', String(ours.port), `${ours.user}@127.0.0.1`], c.io));
      expect(c.err()).toBe('');
      expect(code).toBe(0);
      expect(c.out()).toContain('Remote working directory: ');
      // The jump host is really used: with nothing listening at its address, nothing connects.
      const dead = await freePort();
      const refused = captureIo({ stdin: ['pwd'] });
      expect(await withHome(both, () => sftpMain(['-q', '-J', `${sshd.user}@127.0.0.1:${dead}`, '-P', String(ours.port), `${ours.user}@127.0.0.1`], refused.io))).toBe(255);
    } finally {
      await ours.stop();
    }
  });
});

/** An SFTP server whose listings carry names that would escape the download directory. */
class HostileServer extends LocalSFTPServer {
  override async scandir(p: string): Promise<AsyncIterable<SFTPName>> {
    const real = await super.scandir(p);
    const bad = (filename: string): SFTPName => ({ filename, longname: '', attrs: { type: FILEXFER_TYPE.REGULAR, permissions: 0o100644, size: 4 } });
    return (async function* () {
      yield* real;
      yield bad('../escaped');
      yield bad('/tmp/escaped-absolute');
      yield bad('evil\u001b[2Jname');
    })();
  }
}

describe('ssh-sftp against a hostile server', () => {
  it('refuses names with ../ or / in a recursive download and says so, fetching the others', async () => {
    const server = await startOurServer({ sftpFactory: () => new HostileServer() });
    try {
      const home = await clientHome([server]);
      const { remote, down } = await workDir();
      mkdirSync(path.join(remote, 'dir'));
      writeFileSync(path.join(remote, 'dir', 'ok.txt'), 'ok\n');
      const target = path.join(down, 'inner');
      mkdirSync(target);
      const r = await batch(home, server, [`cd ${remote}`, 'ls dir', `lcd ${target}`, 'get -r dir'], { cwd: down });
      expect(r.code).toBe(1);
      // Each bad name is refused and said; as sftp, the files with good names are still fetched.
      expect(r.err).toBe(
        [
          'ssh-sftp: get -r dir: refusing unsafe remote file name "../escaped" (SFTPInvalidFilename)',
          'ssh-sftp: get -r dir: refusing unsafe remote file name "/tmp/escaped-absolute" (SFTPInvalidFilename)',
          'ssh-sftp: get -r dir: refusing unsafe remote file name "evil\\u001b[2Jname" (SFTPInvalidFilename)',
          '',
        ].join('\n'),
      );
      // The listing shows the terminal escape as '?'.
      expect(r.out).toContain('dir/evil?[2Jname');
      expect(readdirSync(down).sort()).toEqual(['inner']);
      expect(readdirSync(path.join(target, 'dir'))).toEqual(['ok.txt']);
      expect(lstatSync(target).isDirectory()).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

/** An SFTP server whose status messages and current directory carry terminal escapes. */
class EscapingServer extends LocalSFTPServer {
  override async stat(p: string) {
    if (p.includes('trap')) throw new SFTPNoSuchFile('gone\u001b]0;owned\u0007 \u009b2J\u007f');
    return super.stat(p);
  }
}

describe('ssh-sftp against a server sending terminal escapes', () => {
  it('shows its error messages and the names it lists with control characters as ?', async () => {
    const server = await startOurServer({ sftpFactory: () => new EscapingServer() });
    try {
      const home = await clientHome([server]);
      const { remote, down } = await workDir();
      writeFileSync(path.join(remote, 'evil\u001b[2Jname.txt'), 'evil\n');
      const r = await batch(home, server, [`cd ${remote}`, `lcd ${down}`, 'mget evil*', '-get trap', 'cd trap'], { cwd: down });
      expect(r.code).toBe(1);
      expect(readFileSync(path.join(down, 'evil\u001b[2Jname.txt'), 'utf8')).toBe('evil\n');
      expect(r.err).toContain('gone?]0;owned? ?2J?');
      // Without -b the "Fetching" lines show the names too.
      const c = captureIo({ stdin: [`cd ${remote}`, 'mget evil*'], cwd: down });
      const { port, dest } = at(server);
      expect(await withHome(home, () => sftpMain(['-P', port, dest], c.io))).toBe(0);
      expect(c.out()).toContain(`to ${path.join(down, 'evil?[2Jname.txt')}\n`);
      // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
      expect(`${r.out}${r.err}${c.out()}${c.err()}`.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      // Owner and group names (SFTP v4+) as well.
      expect(longLine('f\u001b[2J', { permissions: 0o100644, owner: 'root\u001b[31m', group: '\u009b2J' })).toMatch(/ root\?\[31m \?2J .* f\?\[2J$/);
    } finally {
      await server.stop();
    }
  });
});

describe('ssh-sftp destinations relative to the remote home', () => {
  it('fetches a file whose name starts with -', async () => {
    const { remote, down } = await workDir();
    writeFileSync(path.join(remote, '-r'), 'dash\n');
    const server = await startOurServer({ sftpFactory: () => new LocalSFTPServer({ home: remote }) });
    try {
      const home = await clientHome([server]);
      const { port, dest } = at(server);
      const c = captureIo({ cwd: down });
      expect(await withHome(home, () => sftpMain(['-q', '-P', port, `${dest}:-r`], c.io))).toBe(0);
      expect(c.err()).toBe('');
      expect(readFileSync(path.join(down, '-r'), 'utf8')).toBe('dash\n');
    } finally {
      await server.stop();
    }
  });
});

/** A server that greets each client with an SSH_MSG_DEBUG carrying a terminal escape. */
class DebugGreeter extends SSHServer {
  override connectionMade(conn: SSHServerConnection): void {
    conn.sendDebug('hello\u001b]0;owned\u0007 \u009b2J');
  }
}

describe('ssh-sftp -vv against a server sending debug messages', () => {
  it('logs what the server sent with control characters as ?', async () => {
    const server = await startOurServer({ extra: { serverFactory: () => new DebugGreeter() } });
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const home = await clientHome([server]);
      const c = captureIo({ stdin: ['pwd'] });
      const { port, dest } = at(server);
      expect(await withHome(home, () => sftpMain(['-vv', '-q', '-P', port, dest], c.io))).toBe(0);
    } finally {
      spy.mockRestore();
      setLogLevel('warning');
      await server.stop();
    }
    const log = written.join('');
    expect(log).toContain('hello?]0;owned? ?2J');
    // eslint-disable-next-line no-control-regex -- no control character but tab and newline may reach the terminal
    expect(log).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('ssh-sftp command lines', () => {
  it('splits words as sftp does', () => {
    expect(splitWords(`put "a b" 'c d' e\\ f`)).toEqual(['put', 'a b', 'c d', 'e f']);
    expect(splitWords('  ls   -l  ')).toEqual(['ls', '-l']);
    expect(() => splitWords('get "open')).toThrow(/unterminated/);
  });

  it('reads the - and @ prefixes as sftp: a run of them after blanks, then blanks', () => {
    expect(linePrefixes('  -@ ls -l ')).toEqual({ line: 'ls -l', ignoreError: true, echo: false });
    expect(linePrefixes('@-rm x')).toEqual({ line: 'rm x', ignoreError: true, echo: false });
    expect(linePrefixes('- get x')).toEqual({ line: 'get x', ignoreError: true, echo: true });
    // After a blank the prefix has ended: `@` is then the command.
    expect(linePrefixes('- @ls')).toEqual({ line: '@ls', ignoreError: true, echo: true });
    expect(linePrefixes('ls -a')).toEqual({ line: 'ls -a', ignoreError: false, echo: true });
  });
});
