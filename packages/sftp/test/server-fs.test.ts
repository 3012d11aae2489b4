/** sftpServerFs: an SFTPServer's files as the LocalFs the SCP server runs on. */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sftpServerFs } from '../src/index.ts';
import { LocalSFTPServer } from '../src/node/index.ts';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function jail(): { root: string; outside: string } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'server-fs-')));
  temps.push(base);
  mkdirSync(join(base, 'root'));
  writeFileSync(join(base, 'outside.txt'), 'outside');
  return { root: join(base, 'root'), outside: join(base, 'outside.txt') };
}

describe('sftpServerFs', () => {
  it('maps every path through the server, so a chroot holds', async () => {
    const { root, outside } = jail();
    const fs = sftpServerFs(new LocalSFTPServer({ chroot: root }));
    await fs.mkdir('/d');
    await fs.mkdir('/d'); // already a directory: fine
    const f = await fs.open(fs.join('/d', 'f.txt'), 'w');
    await f.write(new TextEncoder().encode('hello'), 0);
    await f.close();
    expect(readFileSync(join(root, 'd', 'f.txt'), 'utf8')).toBe('hello');
    const r = await fs.open('/d/f.txt', 'r');
    expect(new TextDecoder().decode(await r.read(1, 10))).toBe('ello');
    expect((await r.read(5, 10)).length).toBe(0);
    await r.close();
    expect(await fs.readdir('/d')).toEqual(['f.txt']);
    expect((await fs.stat('/d/f.txt')).size).toBe(5);
    await expect(fs.stat(outside)).rejects.toThrow();
    await expect(fs.mkdir('/d/f.txt')).rejects.toThrow();
    expect(fs.basename('/d/f.txt')).toBe('f.txt');
  });
});
