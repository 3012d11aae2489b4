/**
 * ssh-sftp's batch and exit-status rules side by side with OpenSSH's sftp (the one on this
 * machine), both against the same sshd: which failing commands end a batch (-b), the `-` and `@`
 * prefixes and the echo of each line, and the exit status of a batch, of commands on stdin and of
 * an interactive session (a pty from script(1)) after a failed command.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SFTP, makeTempDir, prepareClient, startSshd, type PreparedClient, type SshdServer } from '@ssh/interop';
import { LocalSFTPServer, type SSHServerProcess } from '@ssh/asyncssh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpMain } from '../src/index.ts';
import { at, captureIo, clientHome, startOurServer, withHome } from './helpers/peers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sftpModule = path.join(here, '../src/sftp.ts');

interface Outcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `file args` with `input` on stdin, or in a pty typing each of `pty.keys` once a `pty.prompt` shows. */
function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd: string; input?: string; pty?: { prompt: string; keys: readonly string[] } }): Promise<Outcome> {
  const [command, argv] = options.pty === undefined ? [file, args] : ['script', ['-qec', [file, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null']];
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    delete env['SSH_AUTH_SOCK'];
    const child = spawn(command, argv, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
    const pty = options.pty;
    if (pty === undefined) {
      child.stdin.end(options.input ?? '');
      return;
    }
    // A line at a time, each once its prompt is up, as a user types.
    const keys = [...pty.keys];
    let prompts = 0;
    const typing = setInterval(() => {
      const shown = out.split(pty.prompt).length - 1;
      if (shown <= prompts || keys.length === 0) return;
      prompts = shown;
      child.stdin.write(keys.shift() as string);
    }, 20);
    child.once('close', () => clearInterval(typing));
  });
}

describe('ssh-sftp and OpenSSH sftp after a failed command', () => {
  let sshd: SshdServer;
  let home: string;
  let client: PreparedClient;
  let remote: string;
  let local: string;

  beforeAll(async () => {
    sshd = await startSshd();
    home = await clientHome([sshd]);
    client = await prepareClient(sshd);
    const root = await makeTempDir('cli-sftp-batch');
    remote = path.join(root, 'remote');
    local = path.join(root, 'local');
    mkdirSync(path.join(remote, 'dir'), { recursive: true });
    mkdirSync(path.join(local, 'ldir'), { recursive: true });
    writeFileSync(path.join(remote, 'file'), 'f\n');
  });
  afterAll(async () => {
    await client?.dispose();
    await sshd?.stop();
  });

  /** OpenSSH's sftp: with `-b -` (batch) or reading the lines from stdin. */
  const theirs = (lines: readonly string[], mode: 'batch' | 'stdin'): Promise<Outcome> =>
    run(SFTP, [...client.args, ...(mode === 'batch' ? ['-b', '-'] : []), client.destination], { env: client.env, cwd: local, input: `${lines.join('\n')}\n` });

  /** Ours, in the same mode. */
  const ours = async (lines: readonly string[], mode: 'batch' | 'stdin'): Promise<Outcome> => {
    const c = captureIo({ stdin: lines, cwd: local });
    const { port, dest } = at(sshd);
    const code = await withHome(home, () => sftpMain([...(mode === 'batch' ? ['-b', '-'] : []), '-P', port, dest], c.io));
    return { code, out: c.out(), err: c.err() };
  };

  const uid = String(process.getuid?.() ?? 0);
  const gid = String(process.getgid?.() ?? 0);
  // Every command, failing: sftp ends a batch on all but a local command's own failure (`!`, lls).
  const failing: ReadonlyArray<readonly [string, 'stops' | 'goes on']> = [
    ['get missing', 'stops'],
    ['reget missing', 'stops'],
    ['mget missing*', 'stops'],
    ['put missing', 'stops'],
    ['reput missing', 'stops'],
    ['mput missing*', 'stops'],
    ['rename missing other', 'stops'],
    ['ln missing other', 'stops'],
    ['symlink target file', 'stops'],
    ['rm missing', 'stops'],
    ['mkdir dir', 'stops'],
    ['rmdir missing', 'stops'],
    ['cd missing', 'stops'],
    ['cd file', 'stops'],
    ['lcd missing', 'stops'],
    ['ls missing', 'stops'],
    ['chmod 644 missing', 'stops'],
    [`chown ${uid} missing`, 'stops'],
    [`chgrp ${gid} missing`, 'stops'],
    ['df /missing', 'stops'],
    ['lmkdir ldir', 'stops'],
    ['get', 'stops'],
    ['frobnicate', 'stops'],
    ['lls missing', 'goes on'],
    ['!false', 'goes on'],
    ['!exit 3', 'goes on'],
    ['-get missing', 'goes on'],
    ['-@rm missing', 'goes on'],
    ['@-rmdir missing', 'goes on'],
    ['- mkdir dir', 'goes on'],
    ['-frobnicate', 'goes on'],
  ];

  const ran = (o: Outcome): boolean => o.out.includes('Local working directory');

  it.each(failing)('in a batch, a failing `%s` %s', async (line, expected) => {
    const lines = [`cd ${remote}`, `lcd ${local}`, line, 'lpwd'];
    const [them, us] = [await theirs(lines, 'batch'), await ours(lines, 'batch')];
    expect({ code: them.code, ranOn: ran(them) }).toEqual(expected === 'stops' ? { code: 1, ranOn: false } : { code: 0, ranOn: true });
    expect({ code: us.code, ranOn: ran(us), said: us.err !== '' }).toEqual({ code: them.code, ranOn: ran(them), said: true });
  });

  it('echoes each batch line as read, prefixes and blank lines too, but not one starting with @', async () => {
    const lines = [`cd ${remote}`, '', '   ', '# a comment', '  lpwd  ', '-@lpwd', '  -  get missing', '@pwd', '-'];
    const [them, us] = [await theirs(lines, 'batch'), await ours(lines, 'batch')];
    const echoed = (o: Outcome): string[] => o.out.split('\n').filter((l) => l.startsWith('sftp>'));
    expect(them.code).toBe(0);
    expect(us.code).toBe(0);
    expect(echoed(us)).toEqual(echoed(them));
    expect(echoed(them)).toEqual([`sftp> cd ${remote}`, 'sftp> ', 'sftp>    ', 'sftp> # a comment', 'sftp>   lpwd  ', 'sftp>   -  get missing', 'sftp> -']);
  });

  it('is quiet in a batch, as sftp -b: no "Connected to", "Fetching", "Uploading", "Removing" or "Changing" lines', async () => {
    writeFileSync(path.join(local, 'up.txt'), 'up\n');
    const lines = [`cd ${remote}`, `lcd ${local}`, 'get file', 'put up.txt', 'chmod 644 up.txt', 'rm up.txt'];
    const [them, us] = [await theirs(lines, 'batch'), await ours(lines, 'batch')];
    const said = (o: Outcome): string[] => [...o.out.split('\n').filter((l) => l !== '' && !l.startsWith('sftp>')), ...o.err.split('\n').filter((l) => l !== '')];
    expect(them.code).toBe(0);
    expect(us.code).toBe(0);
    expect(said(them)).toEqual([]);
    expect(said(us)).toEqual([]);
    // Without -b both say so, "Connected to" on stderr.
    const [talkative, ourTalk] = [await theirs(lines, 'stdin'), await ours(lines, 'stdin')];
    for (const o of [talkative, ourTalk]) {
      expect(o.err).toMatch(/^Connected to [^\n]+\.$/m);
      expect(o.out).not.toContain('Connected to');
      expect(o.out).toMatch(/^Fetching .*file to .*file$/m);
      expect(o.out).toMatch(/^Uploading .*up\.txt to .*up\.txt$/m);
      expect(o.out).toMatch(/^Changing mode on .*up\.txt$/m);
      expect(o.out).toMatch(/^Removing .*up\.txt$/m);
    }
  });

  /** A source (a.txt b.txt c.txt, t/{a,b,c}.txt, t/s/z.txt) and a target where b.txt and t/b.txt are directories. */
  async function arena(): Promise<{ src: string; dst: string }> {
    const root = await makeTempDir('cli-sftp-partial');
    const src = path.join(root, 'src');
    const dst = path.join(root, 'dst');
    mkdirSync(path.join(src, 't', 's'), { recursive: true });
    for (const d of ['', 't']) for (const f of ['a', 'b', 'c']) writeFileSync(path.join(src, d, `${f}.txt`), `${f}\n`);
    writeFileSync(path.join(src, 't', 's', 'z.txt'), 'z\n');
    mkdirSync(path.join(dst, 't', 'b.txt'), { recursive: true });
    mkdirSync(path.join(dst, 'b.txt'));
    return { src, dst };
  }

  const tree = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map((p) => (statSync(path.join(dir, p)).isDirectory() ? `${p}/` : p)).sort();

  it.each([['get *.txt'], ['get -r t'], ['put *.txt'], ['put -r t']])('copies every file it can when some of `%s` fail, then fails, as sftp', async (command) => {
    const lines = (a: { src: string; dst: string }): string[] =>
      command.startsWith('get') ? [`cd ${a.src}`, `lcd ${a.dst}`, command, 'lpwd'] : [`cd ${a.dst}`, `lcd ${a.src}`, command, 'lpwd'];
    const [theirArena, ourArena] = [await arena(), await arena()];
    const [them, us] = [await theirs(lines(theirArena), 'batch'), await ours(lines(ourArena), 'batch')];
    expect(them.code).toBe(1);
    expect(tree(theirArena.dst)).toContain(command.includes('-r') ? 't/c.txt' : 'c.txt');
    expect({ code: us.code, ranOn: ran(us), copied: tree(ourArena.dst) }).toEqual({ code: 1, ranOn: false, copied: tree(theirArena.dst) });
    // Each failure has its line, naming the source among several or the file of the tree that
    // failed; nothing else is said.
    expect(us.err).toMatch(command.includes('-r') ? /^ssh-sftp: [^\n]*t\/b\.txt[^\n]*\n$/ : /^ssh-sftp: [^\n]*b\.txt[^\n]*\n$/);
  });

  it.each([
    ['batch', 'rm', 'stops at the first failing match'],
    ['batch', '-rm', 'tries every match'],
    ['stdin', 'rm', 'tries every match'],
  ] as const)('in %s mode, `%s` of a wildcard %s, as sftp', async (mode, command, _what) => {
    const arenaFor = async (): Promise<string> => {
      const dir = path.join(await makeTempDir('cli-sftp-rm'), 'g');
      mkdirSync(path.join(dir, 'xa'), { recursive: true }); // a directory: rm fails on it
      for (const f of ['xb', 'xc']) writeFileSync(path.join(dir, f), `${f}\n`);
      return dir;
    };
    const [theirDir, ourDir] = [await arenaFor(), await arenaFor()];
    const them = await theirs([`${command} ${theirDir}/x*`], mode);
    const us = await ours([`${command} ${ourDir}/x*`], mode);
    expect(readdirSync(theirDir).sort()).toEqual(mode === 'batch' && command === 'rm' ? ['xa', 'xb', 'xc'] : ['xa']);
    expect({ code: us.code, left: readdirSync(ourDir).sort() }).toEqual({ code: them.code, left: readdirSync(theirDir).sort() });
    expect(us.err).toMatch(/^(?:Connected to [^\n]*\n)?ssh-sftp: [^\n]*xa[^\n]*\n$/);
  });

  it('goes back to the directory it started in with a bare cd, as sftp', async () => {
    const lines = [`cd ${remote}/dir`, 'cd', 'pwd'];
    const [them, us] = [await theirs(lines, 'batch'), await ours(lines, 'batch')];
    const where = (o: Outcome): string | undefined => /^Remote working directory: (.*)$/m.exec(o.out)?.[1];
    expect(them.code).toBe(0);
    expect(us.code).toBe(0);
    expect(where(them)).not.toBe(`${remote}/dir`);
    expect(where(us)).toBe(where(them));
  });

  it('leaves hidden names out of a wildcard unless it starts with a dot, as sftp', async () => {
    const root = await makeTempDir('cli-sftp-hidden');
    const src = path.join(root, 'src');
    mkdirSync(path.join(src, 'd'), { recursive: true });
    mkdirSync(path.join(src, '.e'), { recursive: true });
    for (const f of ['a.txt', '.h.txt', 'd/b.txt', 'd/.i.txt', '.e/c.txt']) writeFileSync(path.join(src, f), f);
    const got = async (run: (lines: readonly string[], mode: 'batch' | 'stdin') => Promise<Outcome>, name: string): Promise<string[]> => {
      const dst = path.join(root, name);
      mkdirSync(dst);
      const r = await run([`cd ${src}`, `lcd ${dst}`, 'get *.txt', 'get */*.txt', 'get .*.txt'], 'batch');
      expect(r.code).toBe(0);
      return tree(dst);
    };
    const [them, us] = [await got(theirs, 'theirs'), await got(ours, 'ours')];
    expect(them).toEqual(['.h.txt', 'a.txt', 'b.txt']);
    expect(us).toEqual(them);
  });

  it('expands local wildcards as glob(3) does for sftp: sorted by whole path, dangling links included', async () => {
    const root = await makeTempDir('cli-sftp-lglob');
    const src = path.join(root, 'src');
    for (const d of ['a', 'a-b', '.h']) {
      mkdirSync(path.join(src, d), { recursive: true });
      writeFileSync(path.join(src, d, 'x'), d);
    }
    symlinkSync('nowhere', path.join(src, 'dang'));
    const dst = path.join(root, 'dst');
    mkdirSync(dst);
    const lines = [`cd ${dst}`, `lcd ${src}`, 'put */x', 'put dan*', 'put nomatch*'];
    // Which sources each put named, in order, and whether it got past the wildcard.
    const uploads = (o: Outcome): string[] => [...o.out.matchAll(/^Uploading (\S+) to /gm)].map((m) => path.relative(src, path.resolve(src, m[1] ?? '')));
    const [them, us] = [await theirs(lines, 'stdin'), await ours(lines, 'stdin')];
    expect(uploads(them)).toEqual(['a-b/x', 'a/x']);
    expect(uploads(us)).toEqual(uploads(them));
    // The dangling link matches, then cannot be read: not "not found" for the pattern.
    expect(them.err).toMatch(/dang: No such file or directory/);
    expect(us.err).toMatch(/dang/);
    expect(us.err).not.toMatch(/not found/);
    // No match at all: the pattern itself, which stat refuses (sftp's GLOB_NOCHECK).
    expect(them.err).toMatch(/stat nomatch\*: No such file or directory/);
    expect(us.err).toMatch(/stat nomatch\*: No such file or directory/);
    expect(readFileSync(path.join(dst, 'x'), 'utf8')).toBe('a');
  });

  it('runs copy/cp, lumask and progress as sftp, saying what it says', async () => {
    const lines = [`cd ${remote}`, 'copy file copied1', 'cp file copied2', 'lumask 027', 'lumask 9', 'progress', 'progress', 'lpwd'];
    const before = process.umask(0o022);
    try {
      const them = await theirs(lines, 'stdin');
      const theirCopies = ['copied1', 'copied2'].map((f) => readFileSync(path.join(remote, f), 'utf8'));
      for (const f of ['copied1', 'copied2']) rmSync(path.join(remote, f));
      const us = await ours(lines, 'stdin');
      expect(['copied1', 'copied2'].map((f) => readFileSync(path.join(remote, f), 'utf8'))).toEqual(theirCopies);
      expect({ code: us.code, out: us.out }).toEqual({ code: them.code, out: them.out });
      expect(us.err).toMatch(/You must supply a numeric argument to the lumask command\./);
      expect(process.umask(0o022)).toBe(0o027);
    } finally {
      process.umask(before);
      for (const f of ['copied1', 'copied2']) rmSync(path.join(remote, f), { force: true });
    }
  });

  it('exits 0 after failed commands read from stdin without -b, going on past each, as sftp', async () => {
    const lines = [`cd ${remote}`, 'get missing', 'frobnicate', '-rm missing', '@lpwd', '!false', 'lls missing', 'rmdir missing'];
    const [them, us] = [await theirs(lines, 'stdin'), await ours(lines, 'stdin')];
    expect(them.code).toBe(0);
    expect(us.code).toBe(0);
    const echoed = (o: Outcome): string[] => o.out.split('\n').filter((l) => l.startsWith('sftp>'));
    expect(echoed(us)).toEqual(echoed(them));
    expect(ran(us)).toBe(true);
    // One line for each failure: get, frobnicate, rm, !false, lls (ls's own and the status), rmdir.
    expect(us.err.split('\n').filter((l) => l.startsWith('ssh-sftp: '))).toHaveLength(6);
  });

  it('exits 0 after a failed command in an interactive session, as sftp', async () => {
    const pty = { prompt: 'sftp> ', keys: ['get missing\r', '\x04'] };
    const them = await run(SFTP, [...client.args, client.destination], { env: client.env, cwd: local, pty });
    const { port, dest } = at(sshd);
    const program = `const { main } = await import(${JSON.stringify(sftpModule)}); process.exitCode = await main(${JSON.stringify(['-P', port, dest])});`;
    const us = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { env: { HOME: home }, cwd: here, pty });
    expect(them.out).toMatch(/not found/);
    expect(us.out).toMatch(/ssh-sftp: get missing: .*No such file/);
    expect(them.code).toBe(0);
    expect(us.code).toBe(them.code);
  });
});

/** A server that ends the SFTP session (its channel) when asked about a name ending in `boom`. */
class DroppingServer extends LocalSFTPServer {
  private readonly proc: SSHServerProcess<string>;
  constructor(proc: SSHServerProcess<string>) {
    super();
    this.proc = proc;
  }
  override async stat(p: string) {
    if (p.endsWith('boom')) {
      this.proc.exit(0);
      return new Promise<never>(() => undefined);
    }
    return super.stat(p);
  }
}

describe('ssh-sftp when the connection is lost', () => {
  it.each([['batch'], ['stdin']] as const)('ends the session with status 255, running nothing more (%s)', async (mode) => {
    const server = await startOurServer({ sftpFactory: (proc) => new DroppingServer(proc) });
    try {
      const home = await clientHome([server]);
      const c = captureIo({ stdin: ['pwd', '-ls boom', 'lpwd', 'pwd'] });
      const { port, dest } = at(server);
      const code = await withHome(home, () => sftpMain([...(mode === 'batch' ? ['-b', '-'] : []), '-q', '-P', port, dest], c.io));
      expect(c.out()).not.toContain('Local working directory');
      expect(c.err()).toMatch(/^ssh-sftp: ls boom: [^\n]*\(SFTPConnectionLost\)\n$/);
      expect(code).toBe(255);
    } finally {
      await server.stop();
    }
  });
});
