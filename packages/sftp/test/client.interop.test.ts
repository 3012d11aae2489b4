/** Our client against OpenSSH's sftp-server (SFTP v3 + OpenSSH extensions), spawned per test. */
import { mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXT, SFTPError, SFTPFailure, SFTPNoSuchFile } from '../src/index.ts';
import { type OpenSshSession, openSshSession } from './helpers/openssh.ts';
import { pattern } from './helpers/pattern.ts';

let s: OpenSshSession | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('client against OpenSSH sftp-server', () => {
  it('negotiates v3 and reads the extensions and limits', async () => {
    s = await openSshSession({ version: 6 });
    expect(s.client.version).toBe(3);
    for (const e of [EXT.POSIX_RENAME, EXT.STATVFS, EXT.FSTATVFS, EXT.HARDLINK, EXT.FSYNC, EXT.LSETSTAT, EXT.LIMITS, EXT.EXPAND_PATH, EXT.COPY_DATA]) {
      expect(s.client.extensions.has(e), e).toBe(true);
    }
    expect(s.client.limits.maxPacketLen).toBeGreaterThan(0);
    expect(s.client.limits.maxReadLen).toBeGreaterThan(0);
    expect(s.client.supportsRemoteCopy).toBe(true);
  });

  it('writes, reads, stats and removes files', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    const f = await client.open('a.txt', 'w');
    await f.write('héllo wörld');
    await f.close();
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('héllo wörld');
    const r = await client.open('a.txt');
    expect(await r.read()).toBe('héllo wörld');
    await r.close();
    const st = await client.stat('a.txt');
    expect(st.size).toBe(Buffer.byteLength('héllo wörld'));
    expect(await client.getsize('a.txt')).toBe(st.size);
    expect(await client.isfile('a.txt')).toBe(true);
    expect(await client.isdir('a.txt')).toBe(false);
    expect(await client.exists('missing')).toBe(false);
    await client.remove('a.txt');
    expect(await client.exists('a.txt')).toBe(false);
    await expect(client.stat('a.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
  });

  it('reads a large file with parallel requests, at offsets and in parallel blocks', async () => {
    s = await openSshSession();
    const data = pattern(3 * 1024 * 1024 + 777);
    writeFileSync(join(s.dir, 'big'), data);
    const f = await s.client.open('big', 'rb', { blockSize: 16384, maxRequests: 32 });
    const all = await f.read();
    expect(all.length).toBe(data.length);
    expect(Buffer.from(all).equals(Buffer.from(data))).toBe(true);
    const mid = await f.read(100000, 1234567);
    expect(Buffer.from(mid).equals(Buffer.from(data.subarray(1234567, 1234567 + 100000)))).toBe(true);
    const tail = await f.read(1000, data.length - 10);
    expect(tail.length).toBe(10);
    let seen = 0;
    for await (const block of f.readParallel(200000, 5)) {
      expect(Buffer.from(block.data).equals(Buffer.from(data.subarray(block.offset, block.offset + block.data.length)))).toBe(true);
      seen += block.data.length;
    }
    expect(seen).toBe(200000);
    await f.close();
  });

  it('writes a large file in pipelined blocks, seeks and truncates', async () => {
    s = await openSshSession();
    const data = pattern(2 * 1024 * 1024 + 3, 7);
    const f = await s.client.open('out', 'wb');
    expect(await f.write(data)).toBe(data.length);
    expect(f.tell()).toBe(data.length);
    await f.seek(10);
    await f.write(Uint8Array.of(1, 2, 3));
    await f.truncate(1000);
    await f.close();
    const back = readFileSync(join(s.dir, 'out'));
    expect(back.length).toBe(1000);
    expect([...back.subarray(10, 13)]).toEqual([1, 2, 3]);
    expect(back.subarray(13).equals(Buffer.from(data.subarray(13, 1000)))).toBe(true);
  });

  it('appends in mode a', async () => {
    s = await openSshSession();
    writeFileSync(join(s.dir, 'log'), 'one\n');
    const f = await s.client.open('log', 'a');
    await f.write('two\n');
    await f.close();
    expect(readFileSync(join(s.dir, 'log'), 'utf8')).toBe('one\ntwo\n');
  });

  it('manages directories: mkdir, makedirs, listdir, readdir, scandir, rmdir, rmtree', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    await client.mkdir('d');
    await client.makedirs('d/e/f');
    await expect(client.makedirs('d/e/f')).rejects.toBeInstanceOf(SFTPError);
    await client.makedirs('d/e/f', { existOk: true });
    writeFileSync(join(dir, 'd/x'), 'x');
    expect(await client.listdir('d')).toEqual(['e', 'x']);
    const names = (await client.readdir('d')).map((n) => n.filename).sort();
    expect(names).toEqual(['.', '..', 'e', 'x']);
    expect((await client.readdir('d')).find((n) => n.filename === 'x')?.longname).toMatch(/^-rw/);
    await expect(client.rmdir('d')).rejects.toBeInstanceOf(SFTPFailure);
    await client.rmtree('d');
    expect(await client.exists('d')).toBe(false);
  });

  it('lists a directory of 10,000 entries', async () => {
    s = await openSshSession();
    mkdirSync(join(s.dir, 'many'));
    for (let i = 0; i < 10000; i++) writeFileSync(join(s.dir, 'many', `f${i}`), '');
    const names = await s.client.listdir('many');
    expect(names.length).toBe(10000);
    expect(new Set(names).size).toBe(10000);
  });

  it('renames, posix-renames, links and symlinks', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    writeFileSync(join(dir, 'a'), 'A');
    writeFileSync(join(dir, 'b'), 'B');
    await expect(client.rename('a', 'b')).rejects.toBeInstanceOf(SFTPFailure);
    await client.posixRename('a', 'b');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('A');
    await client.rename('b', 'c');
    await client.link('c', 'hard');
    expect(statSync(join(dir, 'hard')).nlink).toBe(2);
    await client.symlink('c', 'soft');
    expect(readlinkSync(join(dir, 'soft'))).toBe('c');
    expect(await client.readlink('soft')).toBe('c');
    expect(await client.islink('soft')).toBe(true);
    expect(await client.lexists('soft')).toBe(true);
    symlinkSync('nowhere', join(dir, 'dangling'));
    expect(await client.exists('dangling')).toBe(false);
    expect(await client.lexists('dangling')).toBe(true);
  });

  it('sets attributes: chmod, utime, truncate, lsetstat, statvfs, realpath, expand-path', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    writeFileSync(join(dir, 'f'), 'hello');
    await client.chmod('f', 0o640);
    expect(statSync(join(dir, 'f')).mode & 0o777).toBe(0o640);
    await client.utime('f', [1000000000, 1200000000]);
    expect(await client.getmtime('f')).toBe(1200000000);
    expect(await client.getatime('f')).toBe(1000000000);
    await client.truncate('f', 2);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('he');
    await client.chmod('f', 0o600, { followSymlinks: false });
    const vfs = await client.statvfs('.');
    expect(vfs.bsize).toBeGreaterThan(0);
    expect(vfs.namemax).toBeGreaterThan(0);
    expect(await client.realpath('.')).toBe(dir);
    expect(await client.realpath('./f')).toBe(join(dir, 'f'));
    expect(await client.getcwd()).toBe(dir);
    await client.mkdir('sub');
    await client.chdir('sub');
    expect(await client.getcwd()).toBe(join(dir, 'sub'));
    expect(await client.exists('../f')).toBe(true);
    expect(await client.expandPath('~')).toMatch(/^\//);
  });

  it('file handles: fstat, fsetstat, fstatvfs, fsync, remote copy-data', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    writeFileSync(join(dir, 'src'), pattern(100000));
    const src = await client.open('src', 'rb');
    const dst = await client.open('dst', 'wb');
    expect((await src.stat()).size).toBe(100000);
    await client.remoteCopy(src, dst);
    await dst.fsync();
    await dst.chmod(0o600);
    expect((await dst.statvfs()).bsize).toBeGreaterThan(0);
    await src.close();
    await dst.close();
    expect(readFileSync(join(dir, 'dst')).equals(readFileSync(join(dir, 'src')))).toBe(true);
  });

  it('copies a tree server to server (copy-data), walking a directory of 1,000 entries as it is listed', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    mkdirSync(join(dir, 'tree/sub/deeper'), { recursive: true });
    for (let i = 0; i < 1000; i++) writeFileSync(join(dir, 'tree', `f${i}`), `file ${i}`);
    writeFileSync(join(dir, 'tree/sub/deeper/big'), pattern(300_000));
    symlinkSync('sub/deeper/big', join(dir, 'tree/link'));
    await client.copy('tree', 'copy', { recurse: true });
    for (let i = 0; i < 1000; i++) expect(readFileSync(join(dir, 'copy', `f${i}`), 'utf8')).toBe(`file ${i}`);
    expect(readFileSync(join(dir, 'copy/sub/deeper/big')).equals(pattern(300_000))).toBe(true);
    expect(readlinkSync(join(dir, 'copy/link'))).toBe('sub/deeper/big');
  });

  it('refuses to copy a directory into itself, before writing anything (as cp)', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    mkdirSync(join(dir, 'tree/sub'), { recursive: true });
    writeFileSync(join(dir, 'tree/f'), 'x');
    symlinkSync('tree', join(dir, 'alias'));
    for (const [src, dst] of [
      ['tree', 'tree/sub/copy'],
      ['tree', 'tree'], // an existing directory: the copy would go to tree/tree
      ['alias', 'tree/copy'], // through a symlink to it, followed
      ['tree', `${dir}/tree/copy`],
    ] as const) {
      const error: unknown = await client.copy(src, dst, { recurse: true, followSymlinks: src === 'alias' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SFTPFailure);
      expect(error).toMatchObject({ reason: `cannot copy directory ${src} into itself (${dst === 'tree' ? 'tree/tree' : dst})` });
    }
    expect(readdirSync(join(dir, 'tree')).sort()).toEqual(['f', 'sub']);
    expect(readdirSync(join(dir, 'tree/sub'))).toEqual([]);
    // A sibling whose name starts with the source's is not inside it.
    await client.copy('tree', 'tree2', { recurse: true });
    expect(readFileSync(join(dir, 'tree2/f'), 'utf8')).toBe('x');
  });

  it('maps status codes to error classes', async () => {
    s = await openSshSession();
    await expect(s.client.open('nope/x', 'r')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(s.client.remove('nope')).rejects.toMatchObject({ status: 2, code: 'SSH_ERR_SFTP_NO_SUCH_FILE' });
  });

  it('globs', async () => {
    s = await openSshSession();
    const { client, dir } = s;
    mkdirSync(join(dir, 'g/h'), { recursive: true });
    mkdirSync(join(dir, 'g/.k'), { recursive: true });
    for (const f of ['a.txt', 'b.txt', 'c.bin', '.hidden.txt', 'h/d.txt', '.k/e.txt']) writeFileSync(join(dir, 'g', f), '');
    // As AsyncSSH's glob (fnmatch): a leading dot is not special, and ** enters hidden directories.
    expect(await client.glob('g/*.txt')).toEqual(['g/.hidden.txt', 'g/a.txt', 'g/b.txt']);
    expect(await client.glob('g/[ab].*')).toEqual(['g/a.txt', 'g/b.txt']);
    expect(await client.glob('g/**/*.txt')).toEqual(['g/.hidden.txt', 'g/.k/e.txt', 'g/a.txt', 'g/b.txt', 'g/h/d.txt']);
    expect(await client.glob(`${dir}/g/?.bin`)).toEqual([`${dir}/g/c.bin`]);
    await expect(client.glob('g/*.zip')).rejects.toBeInstanceOf(SFTPNoSuchFile);
  });
});
