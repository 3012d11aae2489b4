/**
 * The client distrusts the server (CVE-2019-6111 class): a recursive download refuses names with
 * `/`, `..`, absolute paths or control characters, and never writes through a local symlink.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SFTPClient, type SFTPName, SFTPInvalidFilename, SFTPNoSuchFile, checkRemoteName, createMemoryPipe, globMatch, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';

/** A server whose listing of /d adds the names it is given to the real entries. */
class HostileServer extends LocalSFTPServer {
  private readonly extra: readonly string[];
  constructor(root: string, extra: readonly string[]) {
    super({ chroot: root });
    this.extra = extra;
  }
  override async scandir(p: string): Promise<AsyncIterable<SFTPName>> {
    const real = await super.scandir(p);
    const extra = p.endsWith('/d') ? this.extra : [];
    return (async function* () {
      for await (const n of real) yield n;
      for (const name of extra) yield { filename: name, longname: '', attrs: { permissions: 0o100644, type: 1, size: 3 } };
    })();
  }
}

let work: string;
let client: SFTPClient | undefined;
let served: Promise<void> | undefined;

afterEach(async () => {
  client?.exit();
  await served;
  client = undefined;
  rmSync(work, { recursive: true, force: true });
});

async function connect(extra: readonly string[]): Promise<{ root: string; local: string }> {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-hostile-')));
  const root = join(work, 'root');
  const local = join(work, 'local');
  mkdirSync(join(root, 'd'), { recursive: true });
  mkdirSync(local);
  writeFileSync(join(root, 'd/ok.txt'), 'ok');
  const [a, b] = createMemoryPipe();
  served = runSftpServer(b, new HostileServer(root, extra));
  client = await startSftpClient(a);
  return { root, local };
}

describe('recursive download from a hostile server', () => {
  it('skips extra "." and ".." entries (they name the directory and its parent)', async () => {
    const { local } = await connect(['.', '..']);
    const errors: unknown[] = [];
    await client?.get('/d', join(local, 'out'), { recurse: true, errorHandler: (e) => errors.push(e) });
    expect(errors).toEqual([]);
    expect(readFileSync(join(local, 'out/ok.txt'), 'utf8')).toBe('ok');
  });

  it.each([['../escape'], ['/etc/cron.d/x'], ['a/b'], ['\u001b[2Jclear'], ['bell\u0007'], ['back\\slash']])('refuses the name %j', async (name) => {
    const { local } = await connect([name]);
    const errors: unknown[] = [];
    await client?.get('/d', join(local, 'out'), { recurse: true, errorHandler: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SFTPInvalidFilename);
    expect(readFileSync(join(local, 'out/ok.txt'), 'utf8')).toBe('ok');
    expect(existsSync(join(work, 'escape'))).toBe(false);
    expect(existsSync(join(local, 'escape'))).toBe(false);
  });

  it('stops at the first unsafe name without an error handler', async () => {
    const { local } = await connect(['../x']);
    await expect(client?.get('/d', join(local, 'out'), { recurse: true })).rejects.toBeInstanceOf(SFTPInvalidFilename);
    expect(existsSync(join(local, 'x'))).toBe(false);
  });

  it('refuses a name listed twice (a symlink then a directory of the same name)', async () => {
    const { local } = await connect(['ok.txt']);
    const errors: unknown[] = [];
    await client?.get('/d', join(local, 'out'), { recurse: true, errorHandler: (e) => errors.push(e) });
    expect(errors[0]).toBeInstanceOf(SFTPInvalidFilename);
  });
});

describe('glob against names from a hostile server', () => {
  // Found by fuzzing: each '*' became [^/]* in one RegExp, which tried every way of sharing the
  // name among the stars before failing: '*-*.gz' against a listed name of 100,000 '-' was
  // quadratic (minutes), '**********b' against 40 characters exponential.
  it('matches in linear time', async () => {
    await connect(['-'.repeat(100_000), 'a'.repeat(40)]);
    const started = Date.now();
    await expect(client?.glob('d/*-*.gz')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(client?.glob('d/**********b')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(client?.glob('d/*a*a*a*a*a*a*a*a*a*a*a*a*b')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await client?.glob('d/**a*?[a]')).toEqual([`d/${'a'.repeat(40)}`]);
    expect(await client?.glob('d/*k.t?t')).toEqual(['d/ok.txt']);
    expect(globMatch('*.txt', 'ok.txt')).toBe(true);
    // As AsyncSSH's fnmatch: a leading dot is not special.
    expect(globMatch('*.txt', '.hidden.txt')).toBe(true);
    expect(globMatch('.*', '.hidden')).toBe(true);
    expect(globMatch('[!a-c]*', 'dog')).toBe(true);
    expect(globMatch('[!a-c]*', 'cat')).toBe(false);
    expect(globMatch('a\\b', 'a\\b')).toBe(true);
    expect(globMatch('[', '[')).toBe(true);
    expect(globMatch('**x', 'x')).toBe(true);
    expect(globMatch('*x*', 'abc')).toBe(false);
  });
});

describe('checkRemoteName', () => {
  it('accepts ordinary and unicode names', () => {
    for (const n of ['a', 'file.txt', '.hidden', 'ünï cödé', '日本語', '..x', 'x..']) expect(() => checkRemoteName(n)).not.toThrow();
  });
  it('rejects separators, dot names, empty names and control characters', () => {
    for (const n of ['', '.', '..', 'a/b', '/a', 'a\\b', 'a\nb', 'a\u0000b', 'a\u009bb', 'a\u007f']) expect(() => checkRemoteName(n)).toThrow(SFTPInvalidFilename);
  });
});
