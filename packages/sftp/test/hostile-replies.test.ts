/**
 * The client against servers whose replies are legal packets but make no sense: listings that
 * never end, globs over directories that contain themselves, limits beyond 2^53, extended
 * replies cut short.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Writer } from '@ssh/wire';
import { type SFTPName, FILEXFER_TYPE, SFTPServer, FX, FXP, SFTPBadMessage, SFTPConnectionLost, SFTPFailure, SFTPInvalidFilename, createMemoryPipe, encodeInit, encodeResponse, runSftpServer, startSftpClient } from '../src/index.ts';
import { type GlobClient, globNames } from '../src/client-glob.ts';
import { LocalSFTPServer, nodeLocalFs, startSftpClient as startNodeClient } from '../src/node/index.ts';
import { getFiles } from '../src/transfer.ts';
import { rawServer } from './helpers/raw-server.ts';

const ok = (id: number): Uint8Array => encodeResponse({ kind: 'status', id, status: FX.OK, message: '', lang: '' }, 3);
const eof = (id: number): Uint8Array => encodeResponse({ kind: 'status', id, status: FX.EOF, message: '', lang: '' }, 3);

describe('directory listings', () => {
  it('an empty NAME reply to READDIR ends the listing (the caller would never get control back)', async () => {
    let readdirs = 0;
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'opendir') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(7) }, 3));
      else if (req.kind === 'readdir') {
        // Stop after a while so that the test ends even when the client keeps asking.
        send(++readdirs > 200 ? eof(req.id) : encodeResponse({ kind: 'name', id: req.id, names: [] }, 3));
      } else send(ok(req.id));
    });
    const client = await startSftpClient(server.clientEnd);
    expect(await client.readdir('d')).toEqual([]);
    expect(readdirs).toBe(1);
    // The handle was closed.
    expect(server.requests.at(-1)?.kind).toBe('close');
    client.exit();
    await server.done;
  });
});

describe('limits@openssh.com', () => {
  const limitsServer = (values: readonly bigint[]): ReturnType<typeof rawServer> =>
    rawServer(
      3,
      (req, send) => {
        if (req.kind === 'extended' && req.request === 'limits@openssh.com') {
          const w = new Writer(32);
          for (const v of values) w.u64(v);
          send(encodeResponse({ kind: 'extended-reply', id: req.id, data: w.finish() }, 3));
        } else send(ok(req.id));
      },
      [['limits@openssh.com', Uint8Array.of(0x31)]],
    );

  // OpenSSH's sftp-server states its open file limit less 5 as max-open-handles, unbounded: a
  // soft limit of RLIM_INFINITY gives nearly 2^64.
  it('takes values beyond 2^53 as "as much as can be counted", not as a malformed reply', async () => {
    const server = limitsServer([2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 64n - 6n]);
    const client = await startSftpClient(server.clientEnd);
    expect(client.limits).toEqual({ maxPacketLen: Number.MAX_SAFE_INTEGER, maxReadLen: Number.MAX_SAFE_INTEGER, maxWriteLen: Number.MAX_SAFE_INTEGER, maxOpenHandles: Number.MAX_SAFE_INTEGER });
    expect(client.transferParams()).toEqual({ blockSize: 255 * 1024, maxRequests: 64 });
    expect(client.transferParams(undefined, undefined, true)).toEqual({ blockSize: 255 * 1024, maxRequests: 64 });
    client.exit();
    await server.done;
  });

  it.each([
    [[0n, 0n, 0n, 0n]],
    [[1n, 1n, 1n, 1n]],
    [[0xffff_ffffn, 0xffff_ffffn, 0xffff_ffffn, 0xffff_ffffn]],
    [[2000n, 0n, 0n, 0n]],
  ])('keeps block size and request count in bounds with limits %s', async (values) => {
    const server = limitsServer(values);
    const client = await startSftpClient(server.clientEnd);
    for (const forWrite of [false, true]) {
      const { blockSize, maxRequests } = client.transferParams(undefined, undefined, forWrite);
      expect(blockSize).toBeGreaterThanOrEqual(1);
      expect(blockSize).toBeLessThanOrEqual(255 * 1024);
      expect(maxRequests).toBeGreaterThanOrEqual(1);
      expect(maxRequests).toBeLessThanOrEqual(128);
    }
    client.exit();
    await server.done;
  });

  it('a reply cut short still fails the start with SFTPBadMessage', async () => {
    const server = limitsServer([1n, 2n, 3n]);
    await expect(startSftpClient(server.clientEnd)).rejects.toBeInstanceOf(SFTPBadMessage);
    await server.done;
  });
});

const dirEntry = (filename: string): SFTPName => ({ filename, longname: '', attrs: { type: FILEXFER_TYPE.DIRECTORY } });

/** A glob client whose listings `list` makes up; it stops answering after 20,000 listings. */
function fakeTree(list: (dir: string) => Iterable<SFTPName>): GlobClient & { listings: number; open: number } {
  const fake = {
    listings: 0,
    open: 0,
    stat: () => Promise.resolve({ type: FILEXFER_TYPE.DIRECTORY }),
    readdir: (dir: string) => Promise.resolve(++fake.listings > 20_000 ? [] : [...list(dir)]),
    async *scandir(dir: string): AsyncGenerator<SFTPName> {
      fake.open++;
      try {
        if (++fake.listings > 20_000) return;
        yield* list(dir);
      } finally {
        fake.open--;
      }
    },
  };
  return fake;
}

describe('glob against a hostile listing', () => {
  it('fails on directories that contain themselves, two to a level, instead of walking on', async () => {
    const tree = fakeTree(() => [dirEntry('a'), dirEntry('b')]);
    await expect(globNames(tree, 'd/**', {}, { entries: 5000, path: 4096 })).rejects.toBeInstanceOf(SFTPFailure);
    expect(tree.listings).toBeLessThanOrEqual(5000);
  });

  it('fails on a chain of directories past the longest path', async () => {
    const tree = fakeTree(() => [dirEntry('a')]);
    await expect(globNames(tree, 'd/**/x')).rejects.toBeInstanceOf(SFTPFailure);
    expect(tree.listings).toBeLessThanOrEqual(2100);
  });

  it('stops reading a listing that never ends', async () => {
    const tree = fakeTree(function* () {
      for (let i = 0; ; i++) {
        yield dirEntry(`n${i}`);
        if (i > 100_000) return;
      }
    });
    await expect(globNames(tree, 'd/*x', {}, { entries: 10_000, path: 4096 })).rejects.toBeInstanceOf(SFTPFailure);
    expect(tree.open).toBe(0);
  });

  it('ignores listed names that are not one path component', async () => {
    const tree = fakeTree((dir) => (dir === 'd' ? [dirEntry('x/..'), dirEntry(''), dirEntry('..'), dirEntry('ok')] : []));
    expect((await globNames(tree, 'd/**')).map((n) => n.filename)).toEqual(['d', 'd/ok']);
    expect((await globNames(tree, 'd/*')).map((n) => n.filename)).toEqual(['d/ok']);
  });

  it('mget of ** never writes beside the target through a listed "x/.."', async () => {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-glob-escape-')));
    const root = join(work, 'root');
    mkdirSync(join(root, 'd', 'x'), { recursive: true });
    writeFileSync(join(root, 'd', 'ok.txt'), 'ok');
    const out = join(work, 'local', 'out');
    mkdirSync(out, { recursive: true });
    class Server extends LocalSFTPServer {
      override async scandir(p: string): Promise<AsyncIterable<SFTPName>> {
        const real = await super.scandir(p);
        const extra: SFTPName[] = p.endsWith('/d') ? [{ filename: 'x/..', longname: '', attrs: { permissions: 0o40755 } }] : [];
        return (async function* () {
          yield* real;
          yield* extra;
        })();
      }
    }
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(b, new Server({ chroot: root }));
    const client = await startNodeClient(a);
    try {
      await client.mget('/d/**', out, { recurse: true, errorHandler: () => undefined });
      expect(existsSync(join(work, 'local', 'ok.txt'))).toBe(false);
      expect(existsSync(join(out, 'd', 'ok.txt'))).toBe(true);
    } finally {
      client.exit();
      await served;
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('get and mget of several sources into a directory', () => {
  /** /a/x is a symlink the server says points at `victim` (a local file outside the target), /b/x a file. */
  async function setup(): Promise<{ work: string; out: string; victim: string; client: Awaited<ReturnType<typeof startNodeClient>>; close: () => Promise<void> }> {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-same-name-')));
    const root = join(work, 'root');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'));
    symlinkSync('../b/x', join(root, 'a', 'x'));
    writeFileSync(join(root, 'b', 'x'), 'written through the link');
    const victim = join(work, 'victim');
    writeFileSync(victim, 'untouched');
    const out = join(work, 'out');
    mkdirSync(out);
    class Server extends LocalSFTPServer {
      override readlink(): Promise<string> {
        return Promise.resolve(victim);
      }
    }
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(b, new Server({ chroot: root }));
    const client = await startNodeClient(a);
    return {
      work,
      out,
      victim,
      client,
      close: async () => {
        client.exit();
        await served;
        rmSync(work, { recursive: true, force: true });
      },
    };
  }

  it.each([
    ['get', (c: Awaited<ReturnType<typeof startNodeClient>>, out: string, o: object) => c.get(['/a/x', '/b/x'], out, o)],
    ['mget', (c: Awaited<ReturnType<typeof startNodeClient>>, out: string, o: object) => c.mget('/*/x', out, o)],
  ])('%s refuses a second source of the same name (never writes through the link the first made)', async (_name, run) => {
    const s = await setup();
    try {
      await expect(run(s.client, s.out, {})).rejects.toBeInstanceOf(SFTPInvalidFilename);
      expect(readFileSync(s.victim, 'utf8')).toBe('untouched');
      const errors: unknown[] = [];
      const out2 = join(s.work, 'out2');
      mkdirSync(out2);
      await run(s.client, out2, { errorHandler: (e: unknown) => errors.push(e) });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(SFTPInvalidFilename);
      expect(readFileSync(s.victim, 'utf8')).toBe('untouched');
      // The first of the two was downloaded.
      expect(lstatSync(join(out2, 'x')).isSymbolicLink()).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('extended replies cut short', () => {
  const exts: ReadonlyArray<readonly [string, Uint8Array]> = ['statvfs@openssh.com', 'fstatvfs@openssh.com', 'users-groups-by-id@openssh.com', 'expand-path@openssh.com', 'home-directory'].map(
    (n) => [n, Uint8Array.of(0x31)] as const,
  );
  /** Every extended request answered with `reply`; a STAT answered properly (the session lives on). */
  const server = (reply: (id: number) => Uint8Array): ReturnType<typeof rawServer> =>
    rawServer(
      3,
      (req, send) => {
        if (req.kind === 'extended') send(reply(req.id));
        else if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
        else if (req.kind === 'stat') send(encodeResponse({ kind: 'attrs', id: req.id, attrs: { size: 1 } }, 3));
        else send(ok(req.id));
      },
      exts,
    );

  it('statvfs, fstatvfs and users-groups-by-id fail with SFTPBadMessage, and the session goes on', async () => {
    const s = server((id) => encodeResponse({ kind: 'extended-reply', id, data: Uint8Array.of(0, 0, 0, 9, 1) }, 3));
    const client = await startSftpClient(s.clientEnd);
    await expect(client.statvfs('/')).rejects.toBeInstanceOf(SFTPBadMessage);
    const f = await client.open('f', 'rb');
    await expect(f.statvfs()).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.usersGroupsById([1, 2], [3])).rejects.toBeInstanceOf(SFTPBadMessage);
    expect((await client.stat('x')).size).toBe(1);
    client.exit();
    await s.done;
  });

  it('users-groups-by-id with fewer names than ids asked for fails with SFTPBadMessage', async () => {
    const names = new Writer(16).utf8('root').finish();
    const s = server((id) => encodeResponse({ kind: 'extended-reply', id, data: new Writer(32).bytes(names).bytes(new Uint8Array(0)).finish() }, 3));
    const client = await startSftpClient(s.clientEnd);
    await expect(client.usersGroupsById([0, 1], [])).rejects.toBeInstanceOf(SFTPBadMessage);
    expect(await client.usersGroupsById([0], [])).toEqual({ users: ['root'], groups: [] });
    client.exit();
    await s.done;
  });

  it.each([[0], [2]])('home-directory and expand-path with %i names fail with SFTPBadMessage', async (count) => {
    const names = Array.from({ length: count }, (_, i) => ({ filename: `/home/${i}`, longname: '', attrs: {} }));
    const s = server((id) => encodeResponse({ kind: 'name', id, names }, 3));
    const client = await startSftpClient(s.clientEnd);
    await expect(client.homeDirectory()).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.expandPath('~')).rejects.toBeInstanceOf(SFTPBadMessage);
    client.exit();
    await s.done;
  });
});

describe('a server that stops answering and never closes its side', () => {
  /** Sends VERSION, then reads and drops everything, and never ends its side of the stream. */
  function deafServer(): ReturnType<typeof createMemoryPipe>[0] {
    const [clientEnd, serverEnd] = createMemoryPipe();
    void (async () => {
      let sent = false;
      for await (const _chunk of serverEnd.readable) {
        if (!sent) void serverEnd.write(encodeInit(FXP.VERSION, { version: 3, extensions: [] }));
        sent = true;
      }
    })();
    return clientEnd;
  }

  const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([p.then(() => true), late]);
    clearTimeout(timer);
    return result;
  };

  it('exit() fails what is pending, and waitClosed() and async dispose then resolve', async () => {
    const client = await startSftpClient(deafServer());
    const pending = client.stat('x');
    client.exit();
    await expect(pending).rejects.toBeInstanceOf(SFTPConnectionLost);
    expect(await settledWithin(client.waitClosed(), 1000)).toBe(true);

    const idle = await startSftpClient(deafServer());
    expect(await settledWithin(idle[Symbol.asyncDispose](), 1000)).toBe(true);
  });

  it('waitClosed() called before exit() resolves on exit()', async () => {
    const client = await startSftpClient(deafServer());
    const closed = client.waitClosed();
    client.exit();
    expect(await settledWithin(closed, 1000)).toBe(true);
  });
});

describe('READ replies that disagree about where the file ends', () => {
  const block = 1000;
  const content = new Uint8Array(10 * block).map((_, i) => (i * 7) & 0xff);
  /**
   * Serves `content`, but the READ at 3 blocks is answered with `hole` (an empty DATA or an EOF
   * status), after the READ at 4 blocks when `late`.
   */
  function holeServer(hole: 'empty' | 'eof', late: boolean): ReturnType<typeof rawServer> {
    let held: (() => void) | undefined;
    return rawServer(3, (req, send) => {
      if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      else if (req.kind === 'fstat' || req.kind === 'stat' || req.kind === 'lstat') send(encodeResponse({ kind: 'attrs', id: req.id, attrs: { size: content.length, permissions: 0o100644 } }, 3));
      else if (req.kind === 'read') {
        const answer = (): void => {
          const data = content.subarray(req.offset, req.offset + req.length);
          if (req.offset === 3 * block) send(hole === 'empty' ? encodeResponse({ kind: 'data', id: req.id, data: new Uint8Array(0) }, 3) : eof(req.id));
          else send(data.length === 0 ? eof(req.id) : encodeResponse({ kind: 'data', id: req.id, data }, 3));
        };
        if (late && req.offset === 3 * block) held = answer;
        else {
          answer();
          if (req.offset === 4 * block) held?.();
        }
      } else send(ok(req.id));
    });
  }

  it.each([
    ['empty', false],
    ['empty', true],
    ['eof', false],
    ['eof', true],
  ] as const)('a download fails with SFTPBadMessage rather than leave a hole (%s reply, late: %s)', async (hole, late) => {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-hole-')));
    const server = holeServer(hole, late);
    const client = await startNodeClient(server.clientEnd);
    try {
      await expect(client.get('/f', join(work, 'f'), { blockSize: block, maxRequests: 8 })).rejects.toBeInstanceOf(SFTPBadMessage);
      const f = await client.open('/f', 'rb', { blockSize: block, maxRequests: 8 });
      await expect(f.read()).rejects.toBeInstanceOf(SFTPBadMessage);
      await f.close();
    } finally {
      client.exit();
      await server.done;
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('recursive download of a tree that never ends', () => {
  /** Every path is a directory holding directories `a` and `b`. */
  class Cyclic extends SFTPServer {
    override lstat(): { permissions: number } {
      return { permissions: 0o40755 };
    }
    override stat(): { permissions: number } {
      return { permissions: 0o40755 };
    }
    override scandir(): Iterable<SFTPName> {
      return ['a', 'b'].map((filename) => ({ filename, longname: '', attrs: { permissions: 0o40755 } }));
    }
  }

  it.each([false, true])('stops with SFTPFailure at the depth bound (error handler: %s)', async (withHandler) => {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-cyclic-')));
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(b, new Cyclic());
    const client = await startNodeClient(a);
    try {
      const errors: unknown[] = [];
      const run = getFiles(client, nodeLocalFs, '/d', join(work, 'd'), { recurse: true, ...(withHandler ? { errorHandler: (e: unknown) => errors.push(e) } : {}) }, false);
      if (withHandler) {
        await run;
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(SFTPFailure);
      } else await expect(run).rejects.toBeInstanceOf(SFTPFailure);
    } finally {
      client.exit();
      await served;
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('recursive download of a deep tree', () => {
  // OpenSSH's sftp get -r makes the top and 63 levels below it, then says "Maximum directory
  // depth exceeded: 64 levels".
  it('passes a tree as deep as the bound, and stops with SFTPFailure at a level past it', async () => {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-deep-')));
    let dir = join(work, 'src');
    for (let level = 0; level < 41; level++) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'f1'), `${level}`);
      writeFileSync(join(dir, 'f2'), `${level}`);
      dir = join(dir, 'd');
    }
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(b, new LocalSFTPServer());
    const client = await startNodeClient(a);
    try {
      // Levels 0 to 40 are directories; a bound of 41 takes them all, one of 40 stops at the last.
      await getFiles(client, nodeLocalFs, join(work, 'src'), join(work, 'dst'), { recurse: true }, false, 41);
      expect(readFileSync(join(work, 'dst', ...Array<string>(40).fill('d'), 'f2'), 'utf8')).toBe('40');
      await expect(getFiles(client, nodeLocalFs, join(work, 'src'), join(work, 'dst2'), { recurse: true }, false, 40)).rejects.toThrow(/maximum directory depth exceeded: 40 levels/);
      expect(readFileSync(join(work, 'dst2', ...Array<string>(39).fill('d'), 'f2'), 'utf8')).toBe('39');
      expect(existsSync(join(work, 'dst2', ...Array<string>(40).fill('d')))).toBe(false);
    } finally {
      client.exit();
      await served;
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('symlinks in a recursive download', () => {
  it('recreates links that stay inside the download and refuses the others', async () => {
    const work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-links-')));
    const root = join(work, 'root');
    mkdirSync(join(root, 't', 'deep'), { recursive: true });
    writeFileSync(join(root, 't', 'f'), 'f');
    const links: Record<string, string> = {
      inside: 'f',
      'deep/up-one': '../f',
      'deep/here': './../deep/./x',
      abs: '/etc/passwd',
      up: '../outside',
      'deep/up-two': '../../outside',
      sneaky: 'deep/../../outside',
      nul: 'a\0b',
      empty: '',
    };
    for (const [at, target] of Object.entries(links)) symlinkSync(target === '' || target.includes('\0') ? 'f' : target, join(root, 't', at));
    class Server extends LocalSFTPServer {
      // Report the targets as listed above (the file system cannot hold every one of them).
      override async readlink(p: string): Promise<string> {
        const at = Object.keys(links).find((k) => p.endsWith(`/t/${k}`));
        return at === undefined ? super.readlink(p) : (links[at] as string);
      }
    }
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(b, new Server({ chroot: root }));
    const client = await startNodeClient(a);
    try {
      const errors: unknown[] = [];
      await client.get('/t', join(work, 'out'), { recurse: true, errorHandler: (e) => errors.push(e) });
      expect(errors).toHaveLength(6);
      for (const e of errors) expect(e).toBeInstanceOf(SFTPInvalidFilename);
      expect(readlinkSync(join(work, 'out', 'inside'))).toBe('f');
      expect(readlinkSync(join(work, 'out', 'deep', 'up-one'))).toBe('../f');
      expect(readlinkSync(join(work, 'out', 'deep', 'here'))).toBe('./../deep/./x');
      for (const at of ['abs', 'up', 'deep/up-two', 'sneaky', 'nul', 'empty']) expect(existsSync(join(work, 'out', at)) || lstatSync(join(work, 'out', at), { throwIfNoEntry: false }) !== undefined).toBe(false);
      await expect(client.get('/t', join(work, 'out2'), { recurse: true })).rejects.toBeInstanceOf(SFTPInvalidFilename);
    } finally {
      client.exit();
      await served;
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('block size and our own packet limit', () => {
  it('reads in blocks whose DATA replies fit the maxPacketLength we accept', async () => {
    const content = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const server = rawServer(
      3,
      (req, send) => {
        if (req.kind === 'extended') {
          const w = new Writer(32);
          for (const v of [262144n, 261120n, 261120n, 0n]) w.u64(v);
          send(encodeResponse({ kind: 'extended-reply', id: req.id, data: w.finish() }, 3));
        } else if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
        else if (req.kind === 'fstat') send(encodeResponse({ kind: 'attrs', id: req.id, attrs: { size: content.length } }, 3));
        else if (req.kind === 'read') {
          const data = content.subarray(req.offset, req.offset + req.length);
          send(data.length === 0 ? eof(req.id) : encodeResponse({ kind: 'data', id: req.id, data }, 3));
        } else send(ok(req.id));
      },
      [['limits@openssh.com', Uint8Array.of(0x31)]],
    );
    const client = await startSftpClient(server.clientEnd, { maxPacketLength: 65536 });
    expect(client.transferParams().blockSize).toBeLessThanOrEqual(65536 - 1024);
    expect(client.transferParams(200_000).blockSize).toBeLessThanOrEqual(65536 - 1024);
    const f = await client.open('f', 'rb');
    expect(Buffer.from(await f.read()).equals(Buffer.from(content))).toBe(true);
    await f.close();
    client.exit();
    await server.done;
  });
});

describe('replies that do not fit their request (sound before this audit; kept covered)', () => {
  it('a reply of the wrong kind fails that request with SFTPBadMessage, and the session goes on', async () => {
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      else if (req.kind === 'read') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(2) }, 3));
      else if (req.kind === 'realpath') send(encodeResponse({ kind: 'data', id: req.id, data: Uint8Array.of(1) }, 3));
      else if (req.kind === 'stat') send(encodeResponse({ kind: 'name', id: req.id, names: [] }, 3));
      else if (req.kind === 'remove') send(encodeResponse({ kind: 'attrs', id: req.id, attrs: {} }, 3));
      else send(ok(req.id));
    });
    const client = await startSftpClient(server.clientEnd);
    const f = await client.open('f', 'rb');
    await expect(f.read(10)).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.realpath('.')).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.stat('x')).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.remove('x')).rejects.toBeInstanceOf(SFTPBadMessage);
    await f.close();
    client.exit();
    await server.done;
  });

  it('a second reply to one request ends the session with SFTPBadMessage; what is pending fails', async () => {
    let stats = 0;
    const server = rawServer(3, (req, send) => {
      if (req.kind !== 'stat') return;
      if (++stats === 1) {
        send(encodeResponse({ kind: 'attrs', id: req.id, attrs: { size: 1 } }, 3));
        send(encodeResponse({ kind: 'attrs', id: req.id, attrs: { size: 2 } }, 3));
      }
    });
    const client = await startSftpClient(server.clientEnd);
    const first = client.stat('a');
    const second = client.stat('b');
    expect((await first).size).toBe(1);
    await expect(second).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.stat('c')).rejects.toBeInstanceOf(SFTPBadMessage);
    client.exit();
    await server.done;
  });

  /** A raw reply packet: type, id 0, body. */
  const raw = (type: number, body: readonly number[]): Uint8Array => {
    const payload = [type, 0, 0, 0, 0, ...body];
    const n = payload.length;
    return Uint8Array.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...payload]);
  };

  it.each([
    ['NAME counting 2^32-1 entries', 3, raw(104, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])],
    ['NAME whose filename overruns', 3, raw(104, [0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0x61])],
    ['ATTRS with 2^32-1 extended pairs', 3, raw(105, [0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])],
    ['v6 ATTRS whose ACL overruns', 6, raw(105, [0, 0, 0, 0x40, 1, 0x7f, 0xff, 0xff, 0xff])],
    ['v5 ATTRS cut inside attrib-bits', 5, raw(105, [0, 0, 2, 0, 1, 0, 0])],
    ['HANDLE longer than 256 bytes', 3, raw(102, [0, 0, 1, 1, ...new Array<number>(257).fill(1)])],
    ['an unknown reply type', 3, raw(250, [])],
  ])('%s fails the session with SFTPBadMessage', async (_name, version, packet) => {
    const server = rawServer(version, (_req, send) => send(packet));
    const client = await startSftpClient(server.clientEnd, { version });
    await expect(client.stat('x')).rejects.toBeInstanceOf(SFTPBadMessage);
    client.exit();
    await server.done;
  });

  it('a VERSION whose extension list is cut short fails the start with SFTPBadMessage', async () => {
    const [clientEnd, serverEnd] = createMemoryPipe();
    void (async () => {
      for await (const _chunk of serverEnd.readable) {
        void serverEnd.write(Uint8Array.of(0, 0, 0, 11, FXP.VERSION, 0, 0, 0, 3, 0, 0, 0, 9, 0x61, 0x62));
      }
      serverEnd.close();
    })();
    await expect(startSftpClient(clientEnd)).rejects.toBeInstanceOf(SFTPBadMessage);
  });
});
