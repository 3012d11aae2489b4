/**
 * Remote-to-remote copy of a tree: each directory is walked as its listing arrives (READDIR batch
 * by batch), only so far ahead of the files it copies, as a download walks it, so a directory of
 * any size is never listed whole. Hostile listings (one that goes on and on, a directory that
 * contains itself) stop at the depth bound with SFTPFailure, error handler or not; unsafe names
 * are refused as a download refuses them.
 */
import { describe, expect, it } from 'vitest';
import { type SFTPAttrs, type SFTPName, type ServerFile, FX, SFTPFailure, SFTPInvalidFilename, SFTPNoSuchFile, SFTPServer, createMemoryPipe, encodeResponse, runSftpServer, startSftpClient } from '../src/index.ts';
import { TREE_LOOKAHEAD, copyFiles } from '../src/transfer.ts';
import { DIR, FILE, Lag, bigIsDir, bigListing } from './helpers/lag-fs.ts';
import { rawServer } from './helpers/raw-server.ts';

const status = (id: number, code: number, message = ''): Uint8Array => encodeResponse({ kind: 'status', id, status: code, message, lang: '' }, 3);

/** Names our server puts in one READDIR reply (server-session.ts): one batch on each side may wait. */
const NAMES_PER_READDIR = 128;

/**
 * The `/big` tree of lag-fs.ts behind SFTPServer hooks, its listings producing names as READDIR
 * asks, copied to `/out`: the source files opened count in `lag`; the files written are counted.
 */
class BigCopyServer extends SFTPServer {
  private readonly lag: Lag;
  private readonly files: number;
  private readonly dirs: number;
  private readonly made = new Set<string>();
  private readonly sources = new WeakSet<object>();
  written = 0;
  constructor(lag: Lag, files: number, dirs = 0) {
    super();
    this.lag = lag;
    this.files = files;
    this.dirs = dirs;
  }
  override stat(p: string): SFTPAttrs {
    if (bigIsDir(p) || this.made.has(p)) return DIR;
    if (p.startsWith('/big/')) return FILE;
    throw new SFTPNoSuchFile('No such file');
  }
  override lstat(p: string): SFTPAttrs {
    return this.stat(p);
  }
  override mkdir(p: string): void {
    this.made.add(p);
  }
  override open(p: string): ServerFile {
    const file = {};
    if (p.startsWith('/big/')) {
      this.lag.open();
      this.sources.add(file);
    } else this.written++;
    return file;
  }
  override close(file: ServerFile): void {
    if (this.sources.has(file as object)) this.lag.close();
  }
  override read(): Uint8Array {
    return new Uint8Array(0);
  }
  override scandir(p: string): AsyncIterable<SFTPName> {
    return bigListing(this.lag, this.files, this.dirs, p);
  }
}

async function copyBig(server: BigCopyServer): Promise<void> {
  const [a, b] = createMemoryPipe();
  const served = runSftpServer(b, server);
  const client = await startSftpClient(a);
  try {
    await client.copy('/big', '/out', { recurse: true });
  } finally {
    client.exit();
    await served;
  }
}

describe('copy of a tree (remote to remote) walks directories as their listings arrive', () => {
  it('copies a big directory holding only a bounded number of its entries ahead', async () => {
    const lag = new Lag();
    const server = new BigCopyServer(lag, 5000);
    await copyBig(server);
    expect(server.written).toBe(5000);
    expect(lag.opened).toBe(5000);
    // Ahead of the files opened: the lookahead, the client's batch and the server's (not the
    // whole listing, read before the first copy).
    expect(lag.most).toBeLessThanOrEqual(TREE_LOOKAHEAD + 2 * NAMES_PER_READDIR);
    expect(lag.closed).toBe(1);
  }, 30_000);

  it('copies a tree of 30 directories of 100 files with one path of listings open', async () => {
    const lag = new Lag();
    const server = new BigCopyServer(lag, 100, 30);
    await copyBig(server);
    expect(server.written).toBe(100 + 30 * 100);
    expect(lag.closed).toBe(31);
    expect(lag.mostListings).toBeLessThanOrEqual(2);
    expect(lag.most).toBeLessThanOrEqual(TREE_LOOKAHEAD + 2 * NAMES_PER_READDIR);
  }, 30_000);
});

describe('copy of a tree (remote to remote) from a hostile server', () => {
  /** A directory `/src` whose listings, its own and its subdirectories', go on without end, each name a directory. */
  function endlessListing() {
    let listed = 0;
    let readdirs = 0;
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'lstat' || req.kind === 'stat') {
        if (req.path.startsWith('/src')) return send(encodeResponse({ kind: 'attrs', id: req.id, attrs: DIR }, 3));
        return send(status(req.id, FX.NO_SUCH_FILE));
      }
      if (req.kind === 'opendir') return send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      if (req.kind === 'readdir') {
        readdirs++;
        const names: SFTPName[] = Array.from({ length: 100 }, () => ({ filename: `n${listed++}`, longname: '', attrs: DIR }));
        return send(encodeResponse({ kind: 'name', id: req.id, names }, 3));
      }
      return send(status(req.id, FX.OK));
    });
    return { server, readdirs: () => readdirs };
  }

  it.each([false, true])('stops a listing without end at the depth bound, having read little (error handler: %s)', async (withHandler) => {
    const { server, readdirs } = endlessListing();
    const client = await startSftpClient(server.clientEnd);
    const handled: unknown[] = [];
    const options = { recurse: true, ...(withHandler ? { errorHandler: (e: unknown) => handled.push(e) } : {}) };
    await expect(copyFiles(client, '/src', '/dst', options, false)).rejects.toThrow(/64 levels/);
    expect(handled).toHaveLength(0);
    // One listing read per level, a batch or two ahead.
    expect(readdirs()).toBeLessThanOrEqual(3 * 65);
    client.exit();
    await server.done;
  });

  it('stops descending a directory that contains itself', async () => {
    let readdirs = 0;
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'lstat' || req.kind === 'stat') return send(encodeResponse({ kind: 'attrs', id: req.id, attrs: DIR }, 3));
      if (req.kind === 'opendir') return send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      if (req.kind === 'readdir') {
        // Each listing: one entry, 'a', a directory; then EOF.
        return send(readdirs++ % 2 === 0 ? encodeResponse({ kind: 'name', id: req.id, names: [{ filename: 'a', longname: '', attrs: DIR }] }, 3) : status(req.id, FX.EOF));
      }
      return send(status(req.id, FX.OK));
    });
    const client = await startSftpClient(server.clientEnd);
    await expect(client.copy('/src', '/dst', { recurse: true, errorHandler: () => undefined })).rejects.toBeInstanceOf(SFTPFailure);
    expect(readdirs).toBeLessThanOrEqual(2 * 65);
    client.exit();
    await server.done;
  });

  /** `/src` listing `names` (files); the paths opened are recorded. */
  function listing(names: readonly string[]) {
    const opened: string[] = [];
    let sent = false;
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'lstat' || req.kind === 'stat') {
        if (req.path === '/src') return send(encodeResponse({ kind: 'attrs', id: req.id, attrs: DIR }, 3));
        if (req.path.startsWith('/src/')) return send(encodeResponse({ kind: 'attrs', id: req.id, attrs: FILE }, 3));
        return send(status(req.id, FX.NO_SUCH_FILE));
      }
      if (req.kind === 'opendir' || req.kind === 'open') {
        if (req.kind === 'open') opened.push(req.path);
        return send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(opened.length) }, 3));
      }
      if (req.kind === 'readdir') {
        if (sent) return send(status(req.id, FX.EOF));
        sent = true;
        return send(encodeResponse({ kind: 'name', id: req.id, names: names.map((filename) => ({ filename, longname: '', attrs: FILE })) }, 3));
      }
      if (req.kind === 'read') return send(status(req.id, FX.EOF));
      return send(status(req.id, FX.OK));
    });
    return { server, opened };
  }

  it('refuses unsafe names as a download does, copying the others', async () => {
    const { server, opened } = listing(['ok', 'a/b', '..', '/etc/passwd', 'x\u001b[2J', '', 'c\\d']);
    const client = await startSftpClient(server.clientEnd);
    const handled: unknown[] = [];
    await client.copy('/src', '/dst', { recurse: true, errorHandler: (e) => handled.push(e) });
    expect(handled).toHaveLength(5);
    for (const e of handled) expect(e).toBeInstanceOf(SFTPInvalidFilename);
    expect(opened.sort()).toEqual(['/dst/ok', '/src/ok']);
    client.exit();
    await server.done;
  });

  it('stops at an unsafe name without an error handler', async () => {
    const { server } = listing(['../../etc']);
    const client = await startSftpClient(server.clientEnd);
    await expect(client.copy('/src', '/dst', { recurse: true })).rejects.toBeInstanceOf(SFTPInvalidFilename);
    client.exit();
    await server.done;
  });
});
