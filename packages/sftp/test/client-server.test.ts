/** Our client against our server over an in-memory pipe, for each protocol version 3 to 6. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACE4, EXT, FILEXFER_TYPE, FXF, FXF56, FXP, SFTPError, SFTPFailure, SFTPFileAlreadyExists, SFTPNoSuchFile, SFTPOpUnsupported, SFTPServer, basename, createMemoryPipe, dirname, encodeInit, encodeRequest, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';
import { type Pair, openPair } from './helpers/pair.ts';
import { pattern } from './helpers/pattern.ts';

let p: Pair | undefined;
const temps: string[] = [];
afterEach(async () => {
  await p?.close();
  p = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function localTemp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sftp-local-'));
  temps.push(d);
  return d;
}

describe.each([3, 4, 5, 6])('client and server at v%i', (version) => {
  it('negotiates the version and announces extensions and honest limits', async () => {
    p = await openPair({ version });
    expect(p.client.version).toBe(version);
    expect(p.client.extensions.has(EXT.LIMITS)).toBe(true);
    expect(p.client.limits.maxPacketLen).toBe(256 * 1024 + 1024);
    expect(p.client.limits.maxReadLen).toBe(255 * 1024);
    expect(p.client.limits.maxOpenHandles).toBe(256);
    expect(p.client.supportsRemoteCopy).toBe(true);
  });

  it('reads and writes files, large ones in parallel blocks', async () => {
    p = await openPair({ version });
    const data = pattern(1024 * 1024 + 17);
    const f = await p.client.open('big', 'wb');
    await f.write(data);
    await f.close();
    expect(Buffer.from(readFileSync(join(p.dir, 'big'))).equals(Buffer.from(data))).toBe(true);
    const r = await p.client.open('big', 'rb', { blockSize: 8192 });
    expect(Buffer.from(await r.read()).equals(Buffer.from(data))).toBe(true);
    expect((await r.stat()).size).toBe(data.length);
    await r.close();
    const t = await p.client.open('t.txt', 'w');
    await t.write('ünïcödé\n');
    await t.close();
    expect(await (await p.client.open('t.txt')).read()).toBe('ünïcödé\n');
  });

  it('stats with the right types and times', async () => {
    p = await openPair({ version });
    mkdirSync(join(p.dir, 'd'));
    writeFileSync(join(p.dir, 'f'), 'abc');
    symlinkSync('f', join(p.dir, 'l'));
    expect((await p.client.stat('d')).type).toBe(FILEXFER_TYPE.DIRECTORY);
    expect((await p.client.stat('f')).type).toBe(FILEXFER_TYPE.REGULAR);
    expect((await p.client.lstat('l')).type).toBe(FILEXFER_TYPE.SYMLINK);
    expect((await p.client.stat('l')).size).toBe(3);
    await p.client.utime('f', [1_000_000_000.5, 1_100_000_000.25]);
    const mt = await p.client.getmtime('f');
    if (version >= 4) expect(mt).toBeCloseTo(1_100_000_000.25, 3);
    else expect(mt).toBe(1_100_000_000);
    await p.client.chmod('f', 0o600);
    expect(statSync(join(p.dir, 'f')).mode & 0o777).toBe(0o600);
    await p.client.truncate('f', 1);
    expect(readFileSync(join(p.dir, 'f'), 'utf8')).toBe('a');
  });

  it('lists directories, renames, links and removes', async () => {
    p = await openPair({ version });
    const { client, dir } = p;
    await client.makedirs('a/b/c');
    writeFileSync(join(dir, 'a/x'), 'x');
    writeFileSync(join(dir, 'a/y'), 'y');
    expect(await client.listdir('a')).toEqual(['b', 'x', 'y']);
    await expect(client.rename('a/x', 'a/y')).rejects.toBeInstanceOf(SFTPError);
    await client.posixRename('a/x', 'a/y');
    expect(readFileSync(join(dir, 'a/y'), 'utf8')).toBe('x');
    await client.rename('a/y', 'a/z');
    await client.link('a/z', 'a/hard');
    expect(statSync(join(dir, 'a/hard')).nlink).toBe(2);
    await client.symlink('z', 'a/soft');
    expect(readlinkSync(join(dir, 'a/soft'))).toBe('z');
    expect(await client.readlink('a/soft')).toBe('z');
    await client.symlink('/a/z', 'abs');
    expect(readlinkSync(join(dir, 'abs'))).toBe(join(dir, 'a/z'));
    expect(await client.readlink('abs')).toBe('/a/z');
    expect(await client.isfile('abs')).toBe(true);
    await client.rmtree('a');
    expect(existsSync(join(dir, 'a'))).toBe(false);
    await expect(client.stat('a')).rejects.toBeInstanceOf(SFTPNoSuchFile);
  });

  it('answers realpath, statvfs, fsync, copy-data, users-groups-by-id and home-directory', async () => {
    p = await openPair({ version });
    const { client, dir } = p;
    expect(await client.realpath('.')).toBe('/');
    expect(await client.realpath('../..')).toBe('/');
    expect(await client.homeDirectory()).toBe('/');
    expect(await client.expandPath('~/x')).toBe('/x');
    expect((await client.statvfs('/')).bsize).toBeGreaterThan(0);
    writeFileSync(join(dir, 'src'), pattern(600_000));
    await client.copy('src', 'dst');
    expect(readFileSync(join(dir, 'dst')).equals(readFileSync(join(dir, 'src')))).toBe(true);
    const f = await client.open('dst', 'r+b');
    await f.fsync();
    await f.close();
    const names = await client.usersGroupsById([process.getuid?.() ?? 0], [process.getgid?.() ?? 0]);
    expect(names.users).toHaveLength(1);
    expect(names.groups).toHaveLength(1);
  });

  it('gets and puts trees with preserve, and reports progress', async () => {
    p = await openPair({ version });
    const { client, dir } = p;
    const local = localTemp();
    mkdirSync(join(local, 'tree/sub'), { recursive: true });
    writeFileSync(join(local, 'tree/a'), pattern(300_000, 1));
    writeFileSync(join(local, 'tree/sub/b'), pattern(10, 2));
    const progress: number[] = [];
    await client.put(join(local, 'tree'), 'up', { recurse: true, preserve: true, progressHandler: (_s, _d, n) => progress.push(n) });
    expect(readFileSync(join(dir, 'up/a')).equals(readFileSync(join(local, 'tree/a')))).toBe(true);
    expect(readFileSync(join(dir, 'up/sub/b')).equals(readFileSync(join(local, 'tree/sub/b')))).toBe(true);
    expect(progress.at(-1)).toBeGreaterThan(0);
    await client.get('up', join(local, 'down'), { recurse: true });
    expect(readFileSync(join(local, 'down/a')).equals(readFileSync(join(local, 'tree/a')))).toBe(true);
    expect(readFileSync(join(local, 'down/sub/b')).equals(readFileSync(join(local, 'tree/sub/b')))).toBe(true);
    await client.mget('up/*', join(local, 'down'), { recurse: true });
    writeFileSync(join(local, 'tree/c.log'), 'log');
    await client.mkdir('logs');
    await client.mput([join(local, 'tree/*.log'), join(local, 'tree/[a]')], 'logs');
    expect(await client.listdir('logs')).toEqual(['a', 'c.log']);
    await expect(client.mput(join(local, 'tree/*.none'), 'logs')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(client.get('up', join(local, 'x'))).rejects.toBeInstanceOf(SFTPError);
  });
});

describe('preserve', () => {
  it("keeps a download's permission bits but not its setuid, setgid and sticky bits; an upload keeps them all", async () => {
    p = await openPair();
    const { client, dir } = p;
    const local = localTemp();
    writeFileSync(join(dir, 'tool'), 'x');
    chmodSync(join(dir, 'tool'), 0o7751);
    await client.get('tool', join(local, 'tool'), { preserve: true });
    expect(statSync(join(local, 'tool')).mode & 0o7777).toBe(0o751);
    mkdirSync(join(dir, 'tree'));
    writeFileSync(join(dir, 'tree/inner'), 'y');
    chmodSync(join(dir, 'tree/inner'), 0o6705);
    await client.get('tree', join(local, 'tree'), { preserve: true, recurse: true });
    expect(statSync(join(local, 'tree/inner')).mode & 0o7777).toBe(0o705);
    chmodSync(join(local, 'tool'), 0o2750);
    await client.put(join(local, 'tool'), 'back', { preserve: true });
    expect(statSync(join(dir, 'back')).mode & 0o7777).toBe(0o2750);
  });
});

describe('recursive transfers of many files', () => {
  // 3 directories of 25 files, small ones (one WRITE) and ones of several 4 KiB blocks.
  function makeTree(root: string): string[] {
    const files: string[] = [];
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(root, `d${d}`), { recursive: true });
      for (let f = 0; f < 25; f++) {
        const name = `d${d}/f${f}`;
        writeFileSync(join(root, name), pattern(f % 5 === 0 ? 4096 * 3 + f : 100 + f, d * 100 + f));
        files.push(name);
      }
    }
    return files;
  }

  it('uploads every file of a tree, several at once, small and multi-block', async () => {
    p = await openPair({ version: 3 });
    const local = localTemp();
    const files = makeTree(join(local, 'tree'));
    await p.client.put(join(local, 'tree'), 'up', { recurse: true, blockSize: 4096 });
    for (const name of files) expect(readFileSync(join(p.dir, 'up', name)).equals(readFileSync(join(local, 'tree', name))), name).toBe(true);
  });

  it('sends a failing file to the error handler and still uploads the others; without a handler the upload fails', async () => {
    p = await openPair({ version: 3 });
    const local = localTemp();
    const files = makeTree(join(local, 'tree'));
    // A directory where a file should go: opening it for writing fails. (`up` exists, so the
    // tree goes to up/tree.)
    mkdirSync(join(p.dir, 'up/tree/d1/f7'), { recursive: true });
    const errors: unknown[] = [];
    await p.client.put(join(local, 'tree'), 'up', { recurse: true, blockSize: 4096, errorHandler: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SFTPError);
    // The error names the file that failed, as AsyncSSH's srcpath/dstpath.
    expect(errors[0]).toMatchObject({ srcPath: join(local, 'tree/d1/f7'), dstPath: 'up/tree/d1/f7' });
    for (const name of files) {
      if (name !== 'd1/f7') expect(readFileSync(join(p.dir, 'up/tree', name)).equals(readFileSync(join(local, 'tree', name))), name).toBe(true);
    }
    await expect(p.client.put(join(local, 'tree'), 'up', { recurse: true })).rejects.toMatchObject({ srcPath: join(local, 'tree/d1/f7'), dstPath: 'up/tree/d1/f7' });
  });

  it('names the file that failed in a recursive download and copy', async () => {
    p = await openPair({ version: 3 });
    makeTree(join(p.dir, 'tree'));
    const local = localTemp();
    // A directory where a file should land locally: writing it fails.
    mkdirSync(join(local, 'tree/d2/f3'), { recursive: true });
    const errors: unknown[] = [];
    await p.client.get('tree', local, { recurse: true, errorHandler: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ srcPath: 'tree/d2/f3', dstPath: join(local, 'tree/d2/f3') });
    mkdirSync(join(p.dir, 'copy/tree/d0/f11'), { recursive: true });
    await expect(p.client.copy('tree', 'copy', { recurse: true })).rejects.toMatchObject({ srcPath: 'tree/d0/f11', dstPath: 'copy/tree/d0/f11' });
  });
});

describe('large directories', () => {
  it('serves a directory of 10,000 entries in batches, with v3 long names', async () => {
    p = await openPair({ version: 3 });
    mkdirSync(join(p.dir, 'many'));
    for (let i = 0; i < 10000; i++) writeFileSync(join(p.dir, 'many', `n${i}`), '');
    let count = 0;
    for await (const n of p.client.scandir('many')) {
      if (n.filename === '.' || n.filename === '..') continue;
      count++;
      expect(n.longname).toMatch(/^-rw.* n\d+$/);
    }
    expect(count).toBe(10000);
  });
});

describe('version selection', () => {
  it('a server capped at v4 answers a v6 client with v4', async () => {
    p = await openPair({ version: 6 }, { maxVersion: 4 });
    expect(p.client.version).toBe(4);
  });
});

describe('v4-v6 negotiation extensions', () => {
  it.each([4, 5, 6])('v%i: the client reads vendor-id, newline and supported/supported2', async (version) => {
    p = await openPair({ version });
    expect(p.client.vendorId).toEqual({ vendorName: '@ssh', productName: '@ssh/sftp', productVersion: '0', productBuildNumber: 0n });
    expect(p.client.newline).toBe('\n');
    const supported = p.client.supported;
    if (version === 4) expect(supported).toBeUndefined();
    else {
      expect(supported?.maxReadSize).toBe(255 * 1024);
      expect(supported?.extensionNames).toContain(EXT.COPY_DATA);
    }
  });
});

describe('owners and groups', () => {
  it.each([3, 6])('v%i: shows names from /etc/passwd and /etc/group, and chown accepts them', async (version) => {
    p = await openPair({ version });
    writeFileSync(join(p.dir, 'f'), 'x');
    const me = process.getuid?.() ?? 0;
    const names = await p.client.usersGroupsById([me, 0], [0]);
    expect(names.users[1]).toBe('root');
    expect(names.groups[0]).toBe('root');
    if (version >= 4) {
      expect((await p.client.stat('f')).owner).toBe(names.users[0]);
      await p.client.chown('f', names.users[0] as string, 'root');
      await expect(p.client.chown('f', 'no-such-user-xyz', 'root')).rejects.toBeInstanceOf(SFTPError);
    } else {
      await p.client.chown('f', me, 0);
      const lines = (await p.client.readdir('.')).map((n) => n.longname);
      expect(lines.some((l) => /^-rw\S+ +1 \S+ +root .* f$/.test(l))).toBe(true);
    }
    expect(statSync(join(p.dir, 'f')).gid).toBe(0);
  });
});

describe('server ordering', () => {
  it('applies overlapping pipelined writes in order, appends in order, and closes after them', async () => {
    p = await openPair({ version: 3 });
    const { client, dir } = p;
    const f = await client.open('o', 'wb');
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    const writes = [
      client.session.request({ kind: 'write', handle: f.handle, offset: 0, data: enc('AAAAAAAA') }),
      client.session.request({ kind: 'write', handle: f.handle, offset: 2, data: enc('BB') }),
      client.session.request({ kind: 'write', handle: f.handle, offset: 8, data: enc('CC') }),
      client.session.request({ kind: 'write', handle: f.handle, offset: 3, data: enc('D') }),
    ];
    const closed = f.close();
    await Promise.all(writes);
    await closed;
    expect(readFileSync(join(dir, 'o'), 'utf8')).toBe('AABDAAAACC');
    const a = await client.open('log', 'ab');
    const appends = ['1', '22', '333', '4444'].map((s) => client.session.request({ kind: 'write', handle: a.handle, offset: 0, data: enc(s) }));
    await Promise.all(appends);
    await a.close();
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('1223334444');
  });
});

describe('open handle limit', () => {
  it('refuses OPEN and OPENDIR once every handle is taken, before creating or truncating anything', async () => {
    p = await openPair({ version: 3 }, { maxOpenHandles: 2 });
    const { client, dir } = p;
    writeFileSync(join(dir, 'keep'), 'precious');
    const held = [await client.open('a', 'wb'), await client.open('b', 'wb')];
    await expect(client.open('keep', 'wb')).rejects.toThrow(/too many open handles/);
    await expect(client.open('new', 'wb')).rejects.toThrow(/too many open handles/);
    await expect(client.scandir('.').next()).rejects.toThrow(/too many open handles/);
    expect(readFileSync(join(dir, 'keep'), 'utf8')).toBe('precious');
    expect(existsSync(join(dir, 'new'))).toBe(false);
    await held[0]?.close();
    const f = await client.open('keep', 'wb');
    await f.close();
    expect(readFileSync(join(dir, 'keep'), 'utf8')).toBe('');
    await held[1]?.close();
  });
});

describe('OPEN whose reply cannot be sent', () => {
  it('closes the file once, not again when the session ends', async () => {
    const closes = new Map<object, number>();
    const server = new (class extends SFTPServer {
      override open(): object {
        return {};
      }
      override close(file: object): void {
        closes.set(file, (closes.get(file) ?? 0) + 1);
      }
    })();
    const [clientEnd, serverEnd] = createMemoryPipe();
    // The client goes away after INIT: every reply but VERSION fails to be written.
    let writes = 0;
    const failing = { ...serverEnd, write: (chunk: Uint8Array) => (writes++ === 0 ? serverEnd.write(chunk) : Promise.reject(new Error('stream closed'))) };
    const served = runSftpServer(failing, server);
    void clientEnd.write(encodeInit(FXP.INIT, { version: 3, extensions: [] }));
    void clientEnd.write(encodeRequest({ kind: 'open', id: 1, path: 'f', flags: FXF.READ, attrs: {} }, 3));
    clientEnd.close();
    await served;
    expect([...closes.values()]).toEqual([1]);
  });
});

describe('lsetstat under a chroot', () => {
  it('sets the size of a file, but never truncates through a symlink that points out of the root', async () => {
    p = await openPair({ version: 3 });
    const { client, dir } = p;
    const outside = join(localTemp(), 'secret');
    writeFileSync(outside, 'precious');
    await client.symlink(relative(dir, outside), 'out');
    await expect(client.setstat('out', { size: 0 }, { followSymlinks: false })).rejects.toBeInstanceOf(SFTPError);
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    writeFileSync(join(dir, 'f'), 'abcdef');
    await client.setstat('f', { size: 2 }, { followSymlinks: false });
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('ab');
  });
});

describe('paths ending in slashes', () => {
  // '/+$' backtracks over every run of slashes that is not at the end: quadratic in its length.
  const slashes = `/${'/'.repeat(100_000)}x`;

  it('realpath composes a path with a long run of slashes in linear time', async () => {
    p = await openPair({ version: 6 });
    const started = Date.now();
    await p.client.realpath(slashes, 'y').catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(2000);
  }, 30_000);

  it('basename and dirname take a long run of slashes in linear time', () => {
    const started = Date.now();
    expect(basename(slashes)).toBe('x');
    expect(dirname(slashes)).toBe(slashes.slice(0, -2));
    expect(basename('a/b//')).toBe('b');
    expect(dirname('a/b//')).toBe('a');
    expect(Date.now() - started).toBeLessThan(2000);
  }, 30_000);
});

describe('copy-data', () => {
  // Found by fuzzing: copy-data to the end of a file (length 0) onto its own handle at its end read
  // back the bytes it had just written; the server looped and the file grew without bound.
  it('refuses a copy to the end onto its own handle, leaving the file as it was', async () => {
    p = await openPair({ version: 3 });
    writeFileSync(join(p.dir, 'f'), 'content');
    const f = await p.client.open('f', 'r+b');
    await expect(p.client.remoteCopy(f, f, 0, 0, 7)).rejects.toBeInstanceOf(SFTPFailure);
    await expect(p.client.remoteCopy(f, f, 3, 0, 0)).rejects.toBeInstanceOf(SFTPFailure);
    await f.close();
    expect(readFileSync(join(p.dir, 'f'), 'utf8')).toBe('content');
  }, 5_000);

  it('copies to the end the source had when the copy began, onto the same file through another handle', async () => {
    p = await openPair({ version: 3 });
    writeFileSync(join(p.dir, 'f'), 'content');
    const src = await p.client.open('f', 'rb');
    const dst = await p.client.open('f', 'r+b');
    // The destination starts at the source's end: reading on would meet what the copy wrote.
    await p.client.remoteCopy(src, dst, 0, 0, 7);
    await src.close();
    await dst.close();
    expect(readFileSync(join(p.dir, 'f'), 'utf8')).toBe('contentcontent');
  }, 5_000);

  it('copies nothing from past the end, and copies until a read is empty on a server without fstat', async () => {
    class NoFstat extends LocalSFTPServer {
      override fstat(): never {
        throw new SFTPOpUnsupported('fstat not supported');
      }
    }
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-copy-')));
    const [clientEnd, serverEnd] = createMemoryPipe();
    const served = runSftpServer(serverEnd, new NoFstat({ chroot: dir }));
    const client = await startSftpClient(clientEnd, { version: 3 });
    try {
      writeFileSync(join(dir, 'a'), 'abcdef');
      writeFileSync(join(dir, 'b'), '');
      const a = await client.open('a', 'rb');
      const b = await client.open('b', 'r+b');
      await client.remoteCopy(a, b, 10, 0, 0);
      expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('');
      await client.remoteCopy(a, b, 2, 0, 0);
      expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('cdef');
      await a.close();
      await b.close();
    } finally {
      client.exit();
      await served;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 5_000);
});

describe('open56 and modes', () => {
  it.each([3, 5, 6])('v%i: CREATE_NEW refuses an existing file; x mode too; TRUNCATE_EXISTING empties', async (version) => {
    p = await openPair({ version });
    const { client, dir } = p;
    const f = await client.open56('n.txt', ACE4.WRITE_DATA | ACE4.READ_ATTRIBUTES, FXF56.CREATE_NEW);
    await f.write('created');
    await f.close();
    const again = await client.open56('n.txt', ACE4.WRITE_DATA, FXF56.CREATE_NEW).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(version >= 4 ? SFTPFileAlreadyExists : SFTPFailure);
    await expect(client.open('n.txt', 'x')).rejects.toBeInstanceOf(SFTPError);
    const t = await client.open56('n.txt', ACE4.WRITE_DATA, FXF56.TRUNCATE_EXISTING);
    await t.close();
    expect(readFileSync(join(dir, 'n.txt'), 'utf8')).toBe('');
    const r = await client.open56('n.txt');
    expect(await r.read()).toBe('');
    await r.close();
  });
});
