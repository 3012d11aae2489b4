/**
 * A recursive download walks each remote directory as its listing arrives (READDIR batch by
 * batch), only so far ahead of the files it fetches: a remote directory of any size is never
 * listed whole in memory, and there is no bound on one directory's entries. A server whose
 * directories list themselves without end is stopped by the bound on depth, with SFTPFailure.
 */
import { describe, expect, it } from 'vitest';
import { type LocalFs, type SFTPAttrs, type SFTPName, type ServerFile, SFTPFailure, SFTPNoSuchFile, SFTPServer, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { startSftpClient } from '../src/node/index.ts';
import { TREE_LOOKAHEAD } from '../src/transfer.ts';
import { DIR, FILE, Lag, bigIsDir, bigListing, emptyFile, noopFs } from './helpers/lag-fs.ts';

/** Names our server puts in one READDIR reply (server-session.ts): one batch on each side may wait. */
const NAMES_PER_READDIR = 128;

/** The `/big` tree of lag-fs.ts behind SFTPServer hooks; its listings produce names as READDIR asks. */
class BigServer extends SFTPServer {
  private readonly lag: Lag;
  private readonly files: number;
  private readonly dirs: number;
  constructor(lag: Lag, files: number, dirs = 0) {
    super();
    this.lag = lag;
    this.files = files;
    this.dirs = dirs;
  }
  override stat(p: string): SFTPAttrs {
    return bigIsDir(p) ? DIR : FILE;
  }
  override lstat(p: string): SFTPAttrs {
    return this.stat(p);
  }
  override open(): ServerFile {
    return {};
  }
  override read(): Uint8Array {
    return new Uint8Array(0);
  }
  override scandir(p: string): AsyncIterable<SFTPName> {
    return bigListing(this.lag, this.files, this.dirs, p);
  }
}

/**
 * A local side that takes everything and keeps nothing but the directories it made; the files it
 * opens count in `lag`, each taking `openDelay` ms to open (a slow disk: files overlap).
 */
function sinkFs(lag: Lag, openDelay: number): { fs: LocalFs; files: () => number } {
  const made = new Set<string>();
  let files = 0;
  const look = async (p: string): Promise<SFTPAttrs> => {
    if (made.has(p)) return DIR;
    throw new SFTPNoSuchFile('No such file');
  };
  const fs: LocalFs = {
    stat: look,
    lstat: look,
    async open() {
      files++;
      lag.open();
      if (openDelay > 0) await new Promise<void>((resolve) => setTimeout(resolve, openDelay));
      return { ...emptyFile, close: async () => lag.close() };
    },
    ...noopFs,
    mkdir: async (p) => {
      made.add(p);
    },
  };
  return { fs, files: () => files };
}

async function download(server: SFTPServer, options: { lag?: Lag; openDelay?: number; remote?: string; withHandler?: boolean } = {}): Promise<{ files: number; errors: unknown[] }> {
  const { lag = new Lag(), openDelay = 0, remote = '/big', withHandler = false } = options;
  const sink = sinkFs(lag, openDelay);
  const [a, b] = createMemoryPipe();
  const served = runSftpServer(b, server);
  const client = await startSftpClient(a, { localFs: sink.fs });
  const errors: unknown[] = [];
  try {
    await client.get(remote, '/out', { recurse: true, ...(withHandler ? { errorHandler: (e: unknown) => errors.push(e) } : {}) });
  } finally {
    client.exit();
    await served;
  }
  return { files: sink.files(), errors };
}

describe('a recursive download walks remote directories as their listings arrive', () => {
  it('fetches a big directory holding only a bounded number of its entries ahead', async () => {
    const lag = new Lag();
    const { files } = await download(new BigServer(lag, 5000), { lag, openDelay: 1 });
    expect(files).toBe(5000);
    expect(lag.opened).toBe(5000);
    // Ahead of the files opened: the lookahead, the client's batch and the server's.
    expect(lag.most).toBeLessThanOrEqual(TREE_LOOKAHEAD + 2 * NAMES_PER_READDIR);
    expect(lag.mostActive).toBe(16);
    expect(lag.closed).toBe(1);
  }, 30_000);

  it('keeps the file slots busy on a tree of 100 directories of 100 files, with one path of listings open', async () => {
    const lag = new Lag();
    lag.thinBelow = 8;
    const { files } = await download(new BigServer(lag, 100, 100), { lag, openDelay: 2 });
    expect(files).toBe(100 + 100 * 100);
    expect(lag.closed).toBe(101);
    expect(lag.mostListings).toBeLessThanOrEqual(2);
    expect(lag.mostActive).toBe(16);
    expect(lag.thin).toBeLessThan(100);
  }, 60_000);
});

describe('a recursive download from a server whose directories list themselves', () => {
  /** Every directory lists directories d0, d1, ... without end. */
  class Endless extends SFTPServer {
    readonly count = { produced: 0, listings: 0, mostListings: 0 };
    override stat(): SFTPAttrs {
      return DIR;
    }
    override lstat(): SFTPAttrs {
      return DIR;
    }
    override scandir(): AsyncIterable<SFTPName> {
      const count = this.count;
      return (async function* () {
        count.mostListings = Math.max(count.mostListings, ++count.listings);
        try {
          for (let i = 0; ; i++) {
            count.produced++;
            yield { filename: `d${i}`, longname: '', attrs: DIR };
          }
        } finally {
          count.listings--;
        }
      })();
    }
  }

  it.each([false, true])('stops with SFTPFailure at the depth bound, having read little (error handler: %s)', async (withHandler) => {
    const server = new Endless();
    const run = download(server, { remote: '/d', withHandler });
    if (withHandler) {
      const { errors } = await run;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(SFTPFailure);
      expect(String(errors[0])).toMatch(/64 levels/);
    } else await expect(run).rejects.toThrow(/64 levels/);
    // One listing open per level, each read a batch or so ahead.
    expect(server.count.mostListings).toBeLessThanOrEqual(65);
    expect(server.count.produced).toBeLessThan(65 * (TREE_LOOKAHEAD + 2 * NAMES_PER_READDIR));
    expect(server.count.listings).toBe(0);
  }, 30_000);
});
