/**
 * A recursive upload walks each local directory a batch of names at a time (LocalFs.scandir),
 * only so far ahead of the files it sends, in the order the directory lists them (as OpenSSH's
 * sftp `put -r` walks with readdir(3)): a directory of very many entries is never listed whole
 * in memory. Files still move side by side, and a tree of directories cannot hold up its walk.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LocalFs, type SFTPAttrs, type ServerFile, SFTPFailure } from '../src/index.ts';
import { LocalSFTPServer } from '../src/node/index.ts';
import { UPLOAD_LOOKAHEAD } from '../src/transfer.ts';
import { memorySessions } from './helpers/memory-session.ts';

const DIR: SFTPAttrs = { permissions: 0o40755 };
const FILE: SFTPAttrs = { permissions: 0o100644, size: 0 };
/** The most an upload may read ahead of the files it opened (the lookahead, and an entry in turn). */
const MOST_AHEAD = UPLOAD_LOOKAHEAD + 2;

/** A server that fails to open one name. */
class CountingServer extends LocalSFTPServer {
  failName = '';
  override async open(p: string, pflags: number, attrs: SFTPAttrs): Promise<ServerFile> {
    if (p.endsWith(`/${this.failName}`)) throw new SFTPFailure('disk on fire');
    return super.open(p, pflags, attrs);
  }
}

/**
 * How far listings ran ahead of the uploads: file names produced, files opened, the largest gap
 * seen; files open at once; listings open at once.
 */
class Lag {
  produced = 0;
  opened = 0;
  most = 0;
  active = 0;
  mostActive = 0;
  listings = 0;
  mostListings = 0;
  closed = 0;
  open(): void {
    this.opened++;
    this.most = Math.max(this.most, this.produced - this.opened);
    this.mostActive = Math.max(this.mostActive, ++this.active);
  }
}

/**
 * A LocalFs holding `/big`: `files` empty files, and `dirs` directories of `files` empty files
 * each. scandir yields names one at a time as they are asked for; readdir lists them all at once.
 */
function bigFs(lag: Lag, files: number, dirs: number, withScandir = true): LocalFs {
  const isDir = (p: string): boolean => p === '/big' || /^\/big\/d\d+$/.test(p);
  function* names(p: string): Generator<string> {
    for (let i = 0; i < files; i++) {
      lag.produced++;
      yield `f${i}`;
    }
    if (p !== '/big') return;
    for (let i = 0; i < dirs; i++) yield `d${i}`;
  }
  const fs: LocalFs = {
    stat: async (p) => (isDir(p) ? DIR : FILE),
    lstat: async (p) => (isDir(p) ? DIR : FILE),
    async open() {
      lag.open();
      return {
        read: async () => new Uint8Array(0),
        write: async () => undefined,
        close: async () => {
          lag.active--;
        },
      };
    },
    readdir: async (p) => [...names(p)],
    mkdir: async () => undefined,
    setstat: async () => undefined,
    readlink: async () => '',
    symlink: async () => undefined,
    join: (...parts) => parts.join('/'),
    basename: (p) => p.slice(p.lastIndexOf('/') + 1),
  };
  if (withScandir) {
    fs.scandir = async function* (p) {
      lag.listings++;
      lag.mostListings = Math.max(lag.mostListings, lag.listings);
      try {
        for (const n of names(p)) {
          // A batch at a time, as node's opendir reads them.
          if (lag.produced % 32 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          yield n;
        }
      } finally {
        lag.listings--;
        lag.closed++;
      }
    };
  }
  return fs;
}

const open = memorySessions('sftp-up-dirs');

function count(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? count(join(dir, e.name)) : 1;
  return n;
}

describe('a recursive upload walks local directories a batch at a time', () => {
  it('reads a big directory only a little ahead of the files it sends, and sends them side by side', async () => {
    const lag = new Lag();
    const { client, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 2000, 0) });
    await client.put('/big', '/up', { recurse: true });
    expect(count(join(dir, 'up'))).toBe(2000);
    expect(lag.produced).toBe(2000);
    expect(lag.most).toBeLessThanOrEqual(MOST_AHEAD);
    expect(lag.mostActive).toBeGreaterThan(8);
  });

  it('walks a tree of directories of files to the end, with a bounded number of listings open', async () => {
    const lag = new Lag();
    const { client, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 10, 150) });
    await client.put('/big', '/up', { recurse: true });
    expect(count(join(dir, 'up'))).toBe(10 + 150 * 10);
    expect(lag.closed).toBe(151);
    expect(lag.listings).toBe(0);
    // Every lookahead unit may hold a directory, and one more is walked in turn below each.
    expect(lag.mostListings).toBeLessThanOrEqual(MOST_AHEAD + 2);
    expect(lag.most).toBeLessThanOrEqual(MOST_AHEAD + lag.mostListings);
    expect(lag.mostActive).toBeGreaterThan(8);
  });

  it('stops reading the listing at the first failure (no error handler) and closes it', async () => {
    const lag = new Lag();
    const { client, server } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 3000, 0) });
    server.failName = 'f10';
    await expect(client.put('/big', '/up', { recurse: true })).rejects.toThrow(/disk on fire/);
    expect(lag.produced).toBeLessThan(200);
    expect(lag.closed).toBe(1);
  });

  it('goes on past a failure to the error handler, to the end of the listing', async () => {
    const lag = new Lag();
    const { client, server, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 500, 0) });
    server.failName = 'f10';
    const errors: unknown[] = [];
    await client.put('/big', '/up', { recurse: true, errorHandler: (e: unknown) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(count(join(dir, 'up'))).toBe(499);
  });

  it('still takes a LocalFs without scandir (its readdir listing)', async () => {
    const lag = new Lag();
    const { client, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 30, 3, false) });
    await client.put('/big', '/up', { recurse: true });
    expect(count(join(dir, 'up'))).toBe(30 + 3 * 30);
  });
});
