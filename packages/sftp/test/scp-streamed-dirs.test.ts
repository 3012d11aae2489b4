/**
 * An SCP source walks a directory a batch of names at a time (LocalFs.scandir), as scp reads one
 * with readdir(3): a directory of very many entries is never listed whole in memory. Checked
 * through scpSend, through runScpServer on an SFTPServer (sftpServerFs), and on the local file
 * system (nodeLocalFs, chrootLocalFs).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalFs, type SFTPAttrs, type SFTPName, SFTPNoSuchFile, SFTPServer, ScpError, type ServerFile, createMemoryPipe, runScpServer, scpReceive, scpSend, sftpServerFs } from '../src/index.ts';
import { chrootLocalFs, nodeLocalFs } from '../src/node/index.ts';
import { DIR, FILE, Lag, bigFs, bigNames, emptyFile, noopFs } from './helpers/lag-fs.ts';

const ENTRIES = 5000;

/** A sink that takes everything into `/sink` and keeps nothing, counting the files. */
function sinkFs(): { fs: LocalFs; files: () => number } {
  let files = 0;
  const fs: LocalFs = {
    async stat(p) {
      if (p === '/sink') return DIR;
      throw new SFTPNoSuchFile('No such file');
    },
    lstat: async () => DIR,
    async open() {
      files++;
      return emptyFile;
    },
    ...noopFs,
  };
  return { fs, files: () => files };
}

/** The same directory behind SFTPServer hooks: scandir yields the names lazily. */
class BigServer extends SFTPServer {
  private readonly lag: Lag;
  constructor(lag: Lag) {
    super();
    this.lag = lag;
  }
  override stat(p: string): SFTPAttrs {
    return p === '/big' ? DIR : FILE;
  }
  override lstat(p: string): SFTPAttrs {
    return this.stat(p);
  }
  override open(): ServerFile {
    this.lag.open();
    return {};
  }
  override read(): Uint8Array {
    return new Uint8Array(0);
  }
  override scandir(): AsyncIterable<SFTPName> {
    const lag = this.lag;
    return (async function* () {
      yield { filename: '.', longname: '', attrs: DIR };
      yield { filename: '..', longname: '', attrs: DIR };
      for (const n of bigNames(lag, ENTRIES)) yield { filename: n, longname: '', attrs: FILE };
    })();
  }
}

describe('an SCP source walks a directory a batch at a time', () => {
  it('scpSend takes names from LocalFs.scandir as it sends them', async () => {
    const lag = new Lag();
    const sink = sinkFs();
    const [a, b] = createMemoryPipe();
    await Promise.all([scpSend(a, bigFs(lag, ENTRIES), ['/big'], { recurse: true }), scpReceive(b, sink.fs, '/sink', { recurse: true })]);
    expect(sink.files()).toBe(ENTRIES);
    expect(lag.opened).toBe(ENTRIES);
    expect(lag.most).toBeLessThanOrEqual(128);
  }, 30_000);

  it('runScpServer on an SFTPServer (scp -r -f) takes names from its scandir hook as it sends them', async () => {
    const lag = new Lag();
    const sink = sinkFs();
    const [a, b] = createMemoryPipe();
    await Promise.all([runScpServer(a, sftpServerFs(new BigServer(lag)), 'scp -r -f /big'), scpReceive(b, sink.fs, '/sink', { recurse: true })]);
    expect(sink.files()).toBe(ENTRIES);
    expect(lag.most).toBeLessThanOrEqual(128);
  }, 30_000);
});

describe('LocalFs.scandir on the local file system', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'scp-scandir-')));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('yields every entry but . and .., in nodeLocalFs and inside a chroot', async () => {
    mkdirSync(join(dir, 'd'));
    const names = Array.from({ length: 300 }, (_, i) => `n${i}`);
    for (const n of names) writeFileSync(join(dir, 'd', n), '');
    const collect = async (fs: LocalFs, p: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const n of (fs.scandir as (path: string) => AsyncIterable<string>)(p)) out.push(n);
      return out.sort();
    };
    expect(await collect(nodeLocalFs, join(dir, 'd'))).toEqual([...names].sort());
    expect(await collect(chrootLocalFs(dir), '/d')).toEqual([...names].sort());
    // Above the root is the root.
    await expect(collect(chrootLocalFs(dir), '/../..')).resolves.toEqual(['d']);
    await expect(collect(nodeLocalFs, join(dir, 'missing'))).rejects.toThrow();
  });
});

describe('an SCP source and what is not a regular file', () => {
  it('skips a device or FIFO before opening it, as scp does: a typed error, or reported and the rest sent', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'scp-special-')));
    try {
      writeFileSync(join(dir, 'a'), 'a');
      const opened: string[] = [];
      const fs: LocalFs = {
        ...nodeLocalFs,
        open: (p, mode) => {
          opened.push(p);
          return nodeLocalFs.open(p, mode);
        },
      };
      const run = async (errorHandler?: (e: Error) => void): Promise<{ files: number; sent: unknown }> => {
        const sink = sinkFs();
        const [a, b] = createMemoryPipe();
        const receiving = scpReceive(b, sink.fs, '/sink').catch(() => undefined);
        const sent = await scpSend(a, fs, ['/dev/null', join(dir, 'a')], errorHandler ? { errorHandler } : {}).then(
          () => 'sent',
          (e: unknown) => e,
        );
        await receiving;
        return { files: sink.files(), sent };
      };
      const failed = await run();
      expect(failed.sent).toBeInstanceOf(ScpError);
      expect(String(failed.sent)).toMatch(/\/dev\/null: not a regular file/);
      const errors: Error[] = [];
      const reported = await run((e) => errors.push(e));
      expect(reported).toEqual({ files: 1, sent: 'sent' });
      expect(errors.map((e) => e.message)).toEqual(['ssh: /dev/null: not a regular file']);
      expect(opened).toEqual([join(dir, 'a')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
