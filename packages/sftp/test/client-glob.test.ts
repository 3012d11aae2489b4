/**
 * Client glob (client-glob.ts) and local glob (transfer.ts) over fake file systems: very large
 * listings, and how much work a pattern whose literal part does not exist costs.
 */
import { describe, expect, it } from 'vitest';
import { type SFTPAttrs, type SFTPName, FILEXFER_TYPE, SFTPNoSuchFile } from '../src/index.ts';
import { type GlobClient, globNames } from '../src/client-glob.ts';
import { type LocalFs } from '../src/local-fs.ts';
import { localGlob } from '../src/transfer.ts';

/** Past the ~120k arguments a spread call can pass on V8's default stack. */
const MANY = 200_000;

const file = (filename: string): SFTPName => ({ filename, longname: '', attrs: { type: FILEXFER_TYPE.REGULAR } });
const dir = (filename: string): SFTPName => ({ filename, longname: '', attrs: { type: FILEXFER_TYPE.DIRECTORY } });

/** A fake server tree: `tree[dir]` lists a directory; stat finds what the listings name. */
function fakeClient(tree: Record<string, readonly SFTPName[]>): GlobClient & { stats: string[]; listings: string[] } {
  const fake = {
    stats: [] as string[],
    listings: [] as string[],
    stat(path: string): Promise<SFTPAttrs> {
      fake.stats.push(path);
      if (path === '.' || path === '/' || tree[path]) return Promise.resolve({ type: FILEXFER_TYPE.DIRECTORY });
      const slash = path.lastIndexOf('/');
      const parent = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
      const found = tree[parent]?.find((n) => n.filename === path.slice(slash + 1));
      return found ? Promise.resolve(found.attrs) : Promise.reject(new SFTPNoSuchFile(`${path}: no such file`));
    },
    async *scandir(path: string): AsyncGenerator<SFTPName> {
      fake.listings.push(path);
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
});
