/**
 * Client glob (client-glob.ts) and local glob (transfer.ts) over fake file systems: very large
 * listings, and how much work a pattern whose literal part does not exist costs.
 */
import { describe, expect, it } from 'vitest';
import { type SFTPAttrs, type SFTPName, FILEXFER_TYPE, SFTPConnectionLost, SFTPFailure, SFTPNoSuchFile, SFTPNoSuchPath, SFTPPermissionDenied } from '../src/index.ts';
import { type GlobClient, globNames } from '../src/client-glob.ts';
import { type LocalFs } from '../src/local-fs.ts';
import { localGlob } from '../src/transfer.ts';

/** Past the ~120k arguments a spread call can pass on V8's default stack. */
const MANY = 200_000;

const file = (filename: string): SFTPName => ({ filename, longname: '', attrs: { type: FILEXFER_TYPE.REGULAR } });
const dir = (filename: string): SFTPName => ({ filename, longname: '', attrs: { type: FILEXFER_TYPE.DIRECTORY } });

/**
 * A fake server tree: `tree[dir]` lists a directory; stat finds what the listings name; `fails`
 * names the paths whose stat and listing fail with the error given.
 */
function fakeClient(tree: Record<string, readonly SFTPName[]>, version = 3, fails: Record<string, Error> = {}): GlobClient & { stats: string[]; listings: string[] } {
  const fake = {
    version,
    stats: [] as string[],
    listings: [] as string[],
    stat(path: string): Promise<SFTPAttrs> {
      fake.stats.push(path);
      if (fails[path]) return Promise.reject(fails[path]);
      if (path === '.' || path === '/' || tree[path]) return Promise.resolve({ type: FILEXFER_TYPE.DIRECTORY });
      const slash = path.lastIndexOf('/');
      const parent = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
      const found = tree[parent]?.find((n) => n.filename === path.slice(slash + 1));
      return found ? Promise.resolve(found.attrs) : Promise.reject(new SFTPNoSuchFile(`${path}: no such file`));
    },
    async *scandir(path: string): AsyncGenerator<SFTPName> {
      fake.listings.push(path);
      if (fails[path]) throw fails[path];
      const names = tree[path];
      if (!names) throw new SFTPNoSuchFile(`${path}: no such file`);
      yield* names;
    },
  };
  return fake;
}

describe('glob of a very large directory', () => {
  it('returns every match of one pattern matching more names than a call can take as arguments', async () => {
    const names = Array.from({ length: MANY }, (_, i) => file(`f${i}`));
    const client = fakeClient({ d: names });
    const got = await globNames(client, 'd/*', {}, { entries: 2 * MANY, path: 4096 });
    expect(got.length).toBe(MANY);
    expect(got[0]?.filename).toBe('d/f0');
  });

  it('** returns every directory of a directory holding more than a call can take as arguments', async () => {
    const names = Array.from({ length: MANY }, (_, i) => dir(`s${i}`));
    const tree: Record<string, SFTPName[]> = { top: [dir('d')], 'top/d': names };
    for (let i = 0; i < MANY; i++) tree[`top/d/s${i}`] = [];
    const got = await globNames(fakeClient(tree), 'top/**', {}, { entries: 4 * MANY, path: 4096 });
    expect(got.length).toBe(MANY + 2);
  });

  it('localGlob matches hidden names as AsyncSSH does (a leading dot is not special)', async () => {
    const local = {
      readdir: (p: string) => (p === 'd' ? Promise.resolve(['.h.txt', 'a.txt', 'b.bin']) : Promise.reject(new Error('ENOENT'))),
      lstat: (p: string) => (p === 'd' ? Promise.resolve({}) : Promise.reject(new Error('ENOENT'))),
      join: (...parts: string[]) => parts.join('/'),
    } as unknown as LocalFs;
    expect(await localGlob(local, ['d/*.txt'])).toEqual(['d/.h.txt', 'd/a.txt']);
  });

  it('localGlob returns every local match of such a pattern', async () => {
    const names = Array.from({ length: MANY }, (_, i) => `f${i}`);
    const local = {
      readdir: (p: string) => (p === 'd' ? Promise.resolve(names) : Promise.reject(new Error('ENOENT'))),
      lstat: (p: string) => (p === 'd' ? Promise.resolve({}) : Promise.reject(new Error('ENOENT'))),
      join: (...parts: string[]) => parts.join('/'),
    } as unknown as LocalFs;
    const got = await localGlob(local, ['d/*']);
    expect(got.length).toBe(MANY);
  });

  /** A LocalFs whose `d` lists `names` through scandir only (a batch at a time, as node's opendir); readdir fails. */
  function scanOnly(names: () => Iterable<string>) {
    const count = { produced: 0 };
    const local = {
      readdir: () => Promise.reject(new Error('readdir: the listing is read whole')),
      async *scandir(p: string) {
        if (p !== 'd') throw new Error('ENOENT');
        for (const n of names()) {
          count.produced++;
          if (count.produced % 128 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          yield n;
        }
      },
      lstat: (p: string) => (p === 'd' ? Promise.resolve({}) : Promise.reject(new Error('ENOENT'))),
      join: (...parts: string[]) => parts.join('/'),
    } as unknown as LocalFs;
    return { local, count };
  }

  it('localGlob reads local listings through scandir, keeping only the matches, sorted', async () => {
    const { local, count } = scanOnly(function* () {
      for (let i = MANY - 1; i >= 0; i--) yield i % 50_000 === 0 ? `m${i}.txt` : `f${i}`;
    });
    expect(await localGlob(local, ['d/*.txt'])).toEqual(['d/m0.txt', 'd/m100000.txt', 'd/m150000.txt', 'd/m50000.txt']);
    expect(count.produced).toBe(MANY);
  });

  it('localGlob stops reading a listing once it has more than maxMatches matches', async () => {
    const { local, count } = scanOnly(function* () {
      for (let i = 0; ; i++) yield `f${i}`;
    });
    await expect(localGlob(local, ['d/*'], 1000)).rejects.toThrow(/more than 1000 matches/);
    expect(count.produced).toBe(1001);
  });

  it('localGlob takes a local listing that fails partway as no match', async () => {
    const { local } = scanOnly(function* () {
      yield 'a.txt';
      throw new Error('EIO');
    });
    await expect(localGlob(local, ['d/*.txt'])).rejects.toBeInstanceOf(SFTPNoSuchFile);
  });
});

describe('glob work on literal components (AsyncSSH: one stat per literal run)', () => {
  const tree: Record<string, readonly SFTPName[]> = {
    '/': [dir('a')],
    '/a': [dir('b')],
    '/a/b': [dir('c')],
    '/a/b/c': [file('x.txt'), file('y.dat'), dir('s1'), dir('s2')],
    '/a/b/c/s1': [dir('k')],
    '/a/b/c/s1/k': [file('z')],
    '/a/b/c/s2': [],
  };

  it('a missing literal prefix costs one stat and no listing', async () => {
    const client = fakeClient(tree);
    await expect(globNames(client, '/no/such/dir/**/*.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    expect(client.stats).toEqual(['/no/such/dir']);
    expect(client.listings).toEqual([]);
  });

  it('an existing literal prefix is one stat, then the listing the pattern needs', async () => {
    const client = fakeClient(tree);
    expect((await globNames(client, '/a/b/c/*.txt')).map((n) => n.filename)).toEqual(['/a/b/c/x.txt']);
    expect(client.stats).toEqual(['/a/b/c']);
    expect(client.listings).toEqual(['/a/b/c']);
  });

  it('a literal run after a pattern is one stat per match', async () => {
    const client = fakeClient(tree);
    expect((await globNames(client, '/a/b/c/s*/k/z')).map((n) => n.filename)).toEqual(['/a/b/c/s1/k/z']);
    expect(client.stats).toEqual(['/a/b/c', '/a/b/c/s1/k/z', '/a/b/c/s2/k/z']);
  });

  it('a pattern without magic is one stat', async () => {
    const client = fakeClient(tree);
    expect((await globNames(client, '/a/b/c/x.txt')).map((n) => n.filename)).toEqual(['/a/b/c/x.txt']);
    expect(client.stats).toEqual(['/a/b/c/x.txt']);
    expect(client.listings).toEqual([]);
  });

  it('a literal run through a file matches nothing', async () => {
    const client = fakeClient(tree);
    await expect(globNames(client, '/a/b/c/x.txt/more/*')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    expect(client.listings).toEqual([]);
  });

  it('nothing matched is SFTPNoSuchFile on v3 and SFTPNoSuchPath on v4+, as AsyncSSH', async () => {
    await expect(globNames(fakeClient(tree, 3), '/a/*.none')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(globNames(fakeClient(tree, 4), '/a/*.none')).rejects.toBeInstanceOf(SFTPNoSuchPath);
    await expect(globNames(fakeClient(tree, 6), '/missing')).rejects.toBeInstanceOf(SFTPNoSuchPath);
    const errors: Error[] = [];
    expect(await globNames(fakeClient(tree, 6), ['/a/*.none', '/a/b'], { errorHandler: (e) => errors.push(e) })).toHaveLength(1);
    expect(errors.map((e) => e.constructor)).toEqual([SFTPNoSuchPath]);
  });

  it("a path it may not stat or list matches nothing; any other error is the glob's, as AsyncSSH", async () => {
    const denied = { '/a/b/c/s1': new SFTPPermissionDenied('denied'), '/a/b/c/x.txt': new SFTPPermissionDenied('denied') };
    await expect(globNames(fakeClient(tree, 3, denied), '/a/b/c/s*/*')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(globNames(fakeClient(tree, 3, denied), '/a/b/c/x.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    // A failure or a lost connection is not "no match".
    await expect(globNames(fakeClient(tree, 3, { '/a/b/c': new SFTPFailure('disk on fire') }), '/a/b/c/*.txt')).rejects.toBeInstanceOf(SFTPFailure);
    await expect(globNames(fakeClient(tree, 3, { '/a/b/c/s2/k': new SFTPConnectionLost('gone') }), '/a/b/c/s*/k')).rejects.toBeInstanceOf(SFTPConnectionLost);
  });

  it("a pattern's error goes to errorHandler and the other patterns go on", async () => {
    const errors: Error[] = [];
    const client = fakeClient(tree, 3, { '/a/b/c/s1': new SFTPFailure('disk on fire') });
    const got = await globNames(client, ['/a/b/c/s1/*', '/a/b/c/*.txt'], { errorHandler: (e) => errors.push(e) });
    expect(got.map((n) => n.filename)).toEqual(['/a/b/c/x.txt']);
    expect(errors.map((e) => e.constructor)).toEqual([SFTPFailure]);
  });
});
