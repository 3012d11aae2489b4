/**
 * A recursive upload walks each local directory a batch of names at a time (LocalFs.scandir),
 * only so far ahead of the files it sends, in the order the directory lists them (as OpenSSH's
 * sftp `put -r` walks with readdir(3)): a directory of very many entries is never listed whole
 * in memory. Files still move side by side, and a tree of directories cannot hold up its walk.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SFTPAttrs, type ServerFile, SFTPFailure, SFTPNoSuchFile, SFTPServer, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';
import { TREE_LOOKAHEAD } from '../src/transfer.ts';
import { DIR, Lag, bigFs } from './helpers/lag-fs.ts';
import { memorySessions } from './helpers/memory-session.ts';

/** The most an upload may read ahead of the files it opened (the lookahead, and a little slack). */
const MOST_AHEAD = TREE_LOOKAHEAD + 2;

/** A server that fails to open one name. */
class CountingServer extends LocalSFTPServer {
  failName = '';
  override async open(p: string, pflags: number, attrs: SFTPAttrs): Promise<ServerFile> {
    if (p.endsWith(`/${this.failName}`)) throw new SFTPFailure('disk on fire');
    return super.open(p, pflags, attrs);
  }
}

/** A server that takes every upload and keeps nothing. */
class SinkServer extends SFTPServer {
  override stat(): SFTPAttrs {
    throw new SFTPNoSuchFile('No such file');
  }
  override mkdir(_path: string): void {}
  override open(): ServerFile {
    return {};
  }
  override write(): void {}
  override close(): void {}
  override setstat(): void {}
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
    const { client, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 2000) });
    await client.put('/big', '/up', { recurse: true });
    expect(count(join(dir, 'up'))).toBe(2000);
    expect(lag.produced).toBe(2000);
    expect(lag.most).toBeLessThanOrEqual(MOST_AHEAD);
    expect(lag.mostActive).toBeGreaterThan(8);
  });

  it('walks a tree of directories of files to the end, with a bounded number of listings open', async () => {
    const lag = new Lag();
    const { client, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 10, { dirs: 150 }) });
    await client.put('/big', '/up', { recurse: true });
    expect(count(join(dir, 'up'))).toBe(10 + 150 * 10);
    expect(lag.closed).toBe(151);
    expect(lag.listings).toBe(0);
    // Subdirectories are walked one at a time, depth first: one listing open per level.
    expect(lag.mostListings).toBeLessThanOrEqual(2);
    expect(lag.most).toBeLessThanOrEqual(MOST_AHEAD + lag.mostListings);
    expect(lag.mostActive).toBeGreaterThan(8);
  });

  it('stops reading the listing at the first failure (no error handler) and closes it', async () => {
    const lag = new Lag();
    const { client, server } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 3000) });
    server.failName = 'f10';
    await expect(client.put('/big', '/up', { recurse: true })).rejects.toThrow(/disk on fire/);
    expect(lag.produced).toBeLessThan(200);
    expect(lag.closed).toBe(1);
  });

  it('goes on past a failure to the error handler, to the end of the listing', async () => {
    const lag = new Lag();
    const { client, server, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 500) });
    server.failName = 'f10';
    const errors: unknown[] = [];
    await client.put('/big', '/up', { recurse: true, errorHandler: (e: unknown) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(count(join(dir, 'up'))).toBe(499);
  });

  it('keeps the file slots busy on a tree of 100 directories of 100 files', async () => {
    // Every lookahead unit soon holds a directory; each file then takes a while to open.
    const lag = new Lag();
    lag.thinBelow = 8;
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(b, new SinkServer());
    const client = await startSftpClient(a, { localFs: bigFs(lag, 100, { dirs: 100, openDelay: 2 }) });
    try {
      await client.put('/big', '/up', { recurse: true });
    } finally {
      client.exit();
      await served;
    }
    expect(lag.opened).toBe(100 + 100 * 100);
    expect(lag.mostActive).toBe(16);
    // Filling the slots at the start and draining them at the end open a few files with fewer
    // than half the slots busy; a walk that went one file at a time would open thousands so.
    expect(lag.thin).toBeLessThan(100);
  }, 60_000);

  it('still takes a LocalFs without scandir (its readdir listing)', async () => {
    const lag = new Lag();
    const { client, dir } = await open((root) => new CountingServer({ chroot: root }), { localFs: bigFs(lag, 30, { dirs: 3, scandir: false }) });
    await client.put('/big', '/up', { recurse: true });
    expect(count(join(dir, 'up'))).toBe(30 + 3 * 30);
  });

  it.each([false, true])("stops with SFTPFailure at 64 levels as OpenSSH's sftp put -r does, a link to a directory above (error handler: %s)", async (withHandler) => {
    // Every directory holds one entry, `a`, itself a directory: followSymlinks through a link
    // to a parent looks like this.
    const made: string[] = [];
    const errors: unknown[] = [];
    const endless = {
      ...bigFs(new Lag(), 0),
      stat: async () => DIR,
      lstat: async () => DIR,
      readdir: async () => ['a'],
      scandir: async function* () {
        yield 'a';
      },
    };
    const [a, b] = createMemoryPipe();
    const served = runSftpServer(
      b,
      new (class extends SinkServer {
        override mkdir(p: string): void {
          made.push(p);
        }
      })(),
    );
    const client = await startSftpClient(a, { localFs: endless });
    try {
      const run = client.put('/top', '/up', { recurse: true, followSymlinks: true, ...(withHandler ? { errorHandler: (e: unknown) => errors.push(e) } : {}) });
      if (withHandler) {
        await run;
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(SFTPFailure);
        expect(String(errors[0])).toMatch(/maximum directory depth exceeded: 64 levels/);
      } else await expect(run).rejects.toThrow(/maximum directory depth exceeded: 64 levels/);
    } finally {
      client.exit();
      await served;
    }
    // The top and 63 levels below it, as OpenSSH's sftp makes them.
    expect(made).toHaveLength(64);
  });
});
