/** OpenSSH's sftp client (batch mode, `sftp -D`) against our LocalSFTPServer, chrooted. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sftpBatch, writeLauncher } from './helpers/sftp-batch.ts';

let work: string;
let root: string;
let local: string;
let launcher: string;

beforeEach(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-batch-')));
  root = join(work, 'root');
  local = join(work, 'local');
  mkdirSync(root);
  mkdirSync(local);
  launcher = writeLauncher(work, [root]);
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function bytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

describe('OpenSSH sftp against our server', () => {
  it('runs a batch of every common command', async () => {
    writeFileSync(join(local, 'up.bin'), bytes(3 * 1024 * 1024 + 5));
    mkdirSync(join(local, 'tree/sub'), { recursive: true });
    writeFileSync(join(local, 'tree/a.txt'), 'A');
    writeFileSync(join(local, 'tree/sub/b.txt'), 'B');
    const r = await sftpBatch(
      launcher,
      [
        'pwd',
        'mkdir d',
        'cd d',
        'put up.bin',
        'ls -l',
        'get up.bin down.bin',
        'rename up.bin moved.bin',
        'ln -s moved.bin soft.bin',
        'ln moved.bin hard.bin',
        'chmod 640 moved.bin',
        'df -h',
        'rm soft.bin',
        'cd /',
        'put -r tree',
        'get -r tree treecopy',
        'mkdir x',
        'rmdir x',
        'ls -la /d',
        'reget d/moved.bin down.bin',
        'bye',
      ],
      local,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Remote working directory: /');
    expect(readFileSync(join(local, 'down.bin')).equals(readFileSync(join(local, 'up.bin')))).toBe(true);
    expect(readFileSync(join(root, 'd/moved.bin')).equals(readFileSync(join(local, 'up.bin')))).toBe(true);
    expect(statSync(join(root, 'd/moved.bin')).mode & 0o777).toBe(0o640);
    expect(statSync(join(root, 'd/hard.bin')).nlink).toBe(2);
    expect(existsSync(join(root, 'd/soft.bin'))).toBe(false);
    expect(readFileSync(join(root, 'tree/sub/b.txt'), 'utf8')).toBe('B');
    expect(readFileSync(join(local, 'treecopy/a.txt'), 'utf8')).toBe('A');
    expect(existsSync(join(root, 'x'))).toBe(false);
    expect(r.stdout).toMatch(/-rw-r-----\s+\S+\s+\S+\s+\S+\s+3145733 .* \/d\/moved\.bin/);
  }, 60000);

  it('answers reads of 256 KiB (sftp -B 262144) within the 256 KiB messages OpenSSH takes', async () => {
    // OpenSSH's sftp refuses any message over 256 KiB yet asks for that much data with -B
    // 262144; its sftp-server answers such READs with 255 KiB, and so must ours.
    const data = bytes(2 * 1024 * 1024 + 17);
    writeFileSync(join(root, 'big.bin'), data);
    const r = await sftpBatch(launcher, ['get big.bin got.bin'], local, 50000, ['-B', '262144']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(local, 'got.bin')).equals(data)).toBe(true);
  }, 60000);

  it('keeps a chroot: .., absolute paths and symlinks that point out are refused', async () => {
    writeFileSync(join(work, 'secret'), 'top secret');
    symlinkSync('/etc', join(root, 'etc-link'));
    symlinkSync('../secret', join(root, 'rel-link'));
    symlinkSync(join(work, 'nothing-here'), join(root, 'dangling'));
    writeFileSync(join(local, 'p0'), '');
    const r = await sftpBatch(
      launcher,
      [
        'cd ..',
        'pwd',
        'cd ../../..',
        'pwd',
        '-get /etc/passwd p1',
        '-get ../secret p2',
        '-get ../../../../etc/passwd p3',
        '-get etc-link/passwd p4',
        '-get rel-link p5',
        '-ls etc-link/',
        '-cd etc-link',
        `-get ${work}/secret p6`,
        '-put p0 dangling',
        '-put p0 ../escaped',
        '-mkdir ../escaped-dir',
        '-symlink /etc/passwd abs-link',
        '-get abs-link p7',
        '-rename rel-link ../moved-out',
        '-ln -s ../secret made-link',
        '-get made-link p8',
        'ls -a /',
      ],
      local,
    );
    expect(r.stderr).toMatch(/Permission denied/);
    expect(r.stdout).not.toMatch(/root:x:0:0/);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/Remote working directory: (?!\/\n)/);
    for (const f of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']) expect(existsSync(join(local, f)), f).toBe(false);
    expect(existsSync(join(work, 'nothing-here'))).toBe(false);
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    expect(existsSync(join(work, 'escaped-dir'))).toBe(false);
    expect(existsSync(join(work, 'moved-out'))).toBe(false);
    // `..` stops at the root: these landed inside it.
    expect(existsSync(join(root, 'escaped'))).toBe(true);
    expect(existsSync(join(root, 'moved-out'))).toBe(true);
    // The absolute symlink was stored inside the root, where it points at nothing.
    expect(readlinkSync(join(root, 'abs-link'))).toBe(join(root, 'etc/passwd'));
  }, 60000);
});
