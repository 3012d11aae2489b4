/** OpenSSH `scp -O` (legacy protocol) against our SCP server, through a fake ssh given with -S. */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScpError, parseScpCommand, splitCommand } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(resolve(here, '../../..'), 'node_modules/.bin/tsx');

let work: string;
let root: string;
let local: string;
let fakeSsh: string;

beforeEach(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'scp-server-')));
  root = join(work, 'root');
  local = join(work, 'local');
  mkdirSync(root);
  mkdirSync(local);
  fakeSsh = join(work, 'fake-ssh.sh');
  // scp runs: <program> [options] [--] host command. The last argument is the command.
  writeFileSync(fakeSsh, `#!/bin/sh\nfor last; do :; done\nexec '${tsx}' --conditions=@ssh/source '${join(here, 'helpers/serve-scp.ts')}' '${root}' "$last"\n`);
  chmodSync(fakeSsh, 0o755);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function scp(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn('scp', ['-O', '-q', '-S', fakeSsh, ...args], { cwd: local, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stderr });
    });
  });
}

describe('scp -O against our server', () => {
  it('uploads and downloads files and trees, with -p', async () => {
    writeFileSync(join(local, 'a.bin'), Buffer.alloc(200_000, 5));
    utimesSync(join(local, 'a.bin'), 1000000000, 1100000000);
    mkdirSync(join(local, 'tree/sub'), { recursive: true });
    writeFileSync(join(local, 'tree/sub/x.txt'), 'x');
    let r = await scp(['-p', 'a.bin', 'host:/']);
    expect(r).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(join(root, 'a.bin')).equals(readFileSync(join(local, 'a.bin')))).toBe(true);
    expect(statSync(join(root, 'a.bin')).mtimeMs).toBe(1100000000 * 1000);
    r = await scp(['-r', 'tree', 'host:/up']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, 'up/sub/x.txt'), 'utf8')).toBe('x');
    r = await scp(['-r', '-p', 'host:/up', 'down']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(local, 'down/sub/x.txt'), 'utf8')).toBe('x');
    r = await scp(['host:/a.bin', 'back.bin']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(local, 'back.bin')).equals(readFileSync(join(local, 'a.bin')))).toBe(true);
  }, 60000);

  it('sends a directory of many entries (listed a batch at a time) to scp -r, every entry once', async () => {
    mkdirSync(join(root, 'many/sub'), { recursive: true });
    const names = Array.from({ length: 1500 }, (_, i) => `e${i}`);
    for (const n of names) writeFileSync(join(root, 'many', n), n);
    writeFileSync(join(root, 'many/sub/deep'), 'deep');
    const r = await scp(['-r', 'host:/many', 'got']);
    expect(r).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(join(local, 'got')).sort()).toEqual([...names, 'sub'].sort());
    for (const n of [names[0], names[777], names[1499]] as string[]) expect(readFileSync(join(local, 'got', n), 'utf8')).toBe(n);
    expect(readFileSync(join(local, 'got/sub/deep'), 'utf8')).toBe('deep');
  }, 60000);

  it('refuses a FIFO in a tree as OpenSSH\'s scp -f does ("not a regular file") and sends the rest', async () => {
    mkdirSync(join(root, 'withfifo'));
    writeFileSync(join(root, 'withfifo/a'), 'a');
    execFileSync('mkfifo', [join(root, 'withfifo/p')]);
    const r = await scp(['-r', 'host:/withfifo', 'got']);
    expect(r.code).toBe(1);
    // Worded as OpenSSH's scp words it (checked with scp -f at the other end).
    expect(r.stderr).toBe('scp: /withfifo/p: not a regular file\n');
    expect(readFileSync(join(local, 'got/a'), 'utf8')).toBe('a');
    expect(existsSync(join(local, 'got/p'))).toBe(false);
  }, 60000);

  it('refuses several files sent to a target that is not a directory (-d), as OpenSSH does', async () => {
    writeFileSync(join(local, 'one'), '1');
    writeFileSync(join(local, 'two'), '2');
    writeFileSync(join(root, 'target'), 'kept');
    const r = await scp(['one', 'two', 'host:/target']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/target: Not a directory/);
    expect(readFileSync(join(root, 'target'), 'utf8')).toBe('kept');
    mkdirSync(join(root, 'dir'));
    expect((await scp(['one', 'two', 'host:/dir'])).code).toBe(0);
    expect(readFileSync(join(root, 'dir/two'), 'utf8')).toBe('2');
  }, 60000);

  it('downloads with a glob and reports a missing file', async () => {
    writeFileSync(join(root, 'one.log'), '1');
    writeFileSync(join(root, 'two.log'), '2');
    writeFileSync(join(root, 'three.txt'), '3');
    let r = await scp(['host:/*.log', '.']);
    expect(r.code).toBe(0);
    expect(existsSync(join(local, 'one.log')) && existsSync(join(local, 'two.log'))).toBe(true);
    expect(existsSync(join(local, 'three.txt'))).toBe(false);
    r = await scp(['host:/missing', '.']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/No such file/);
  }, 60000);

  it('keeps paths inside the root: .., symlinks out, globs through symlinks', async () => {
    writeFileSync(join(work, 'secret'), 's');
    writeFileSync(join(local, 'f'), 'f');
    mkdirSync(join(work, 'outside'));
    symlinkSync(join(work, 'outside'), join(root, 'out-link'));
    symlinkSync('../secret', join(root, 'secret-link'));
    let r = await scp(['host:/../secret', 'got']);
    expect(existsSync(join(local, 'got'))).toBe(false);
    r = await scp(['f', 'host:../../escaped']);
    expect(r.code).toBe(0);
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    expect(existsSync(join(root, 'escaped'))).toBe(true);
    r = await scp(['f', 'host:/out-link/']);
    expect(r.code).not.toBe(0);
    r = await scp(['-r', 'f', 'host:/out-link/x']);
    expect(existsSync(join(work, 'outside/f')) || existsSync(join(work, 'outside/x'))).toBe(false);
    r = await scp(['host:/secret-link', 'got2']);
    expect(r.code).not.toBe(0);
    expect(existsSync(join(local, 'got2'))).toBe(false);
    r = await scp(['host:/out-link/*', '.']);
    expect(r.code).not.toBe(0);
  }, 90000);
});

describe('scp command parsing', () => {
  it('splits like a shell', () => {
    expect(splitCommand(`scp -t -- '/a b/c'`)).toEqual(['scp', '-t', '--', '/a b/c']);
    expect(splitCommand(`scp -f "x\\"y" z\\ w`)).toEqual(['scp', '-f', 'x"y', 'z w']);
    expect(() => splitCommand(`scp -f 'open`)).toThrow(ScpError);
  });

  it('parses options', () => {
    expect(parseScpCommand('scp -r -p -d -t /dst')).toEqual({ mode: 'sink', recurse: true, preserve: true, targetIsDir: true, paths: ['/dst'] });
    expect(parseScpCommand('scp -v -f a b')).toEqual({ mode: 'source', recurse: false, preserve: false, targetIsDir: false, paths: ['a', 'b'] });
    for (const bad of ['ls -t x', 'scp -x -t y', 'scp -t', 'scp a', 'scp -t a b']) expect(() => parseScpCommand(bad), bad).toThrow(ScpError);
  });
});
