/** Downloads write runs of consecutive blocks with one writev; local files without writev get one write per block. Uploads read runs with one readv. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalFile, LocalFs } from '../src/index.ts';
import { nodeLocalFs } from '../src/node/index.ts';
import { type Pair, openPair } from './helpers/pair.ts';

let p: Pair | undefined;
const temps: string[] = [];
afterEach(async () => {
  await p?.close();
  p = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >>> 8)) & 0xff;
  return out;
}

/** nodeLocalFs with its write calls counted, and writev removed when `withWritev` is false. */
function countingFs(withWritev: boolean): { fs: LocalFs; calls: { write: number; writev: number } } {
  const calls = { write: 0, writev: 0 };
  const fs: LocalFs = {
    ...nodeLocalFs,
    async open(path, mode) {
      const file = await nodeLocalFs.open(path, mode);
      const wrapped: LocalFile = {
        read: (pos, len) => file.read(pos, len),
        write: (data, pos) => {
          calls.write++;
          return file.write(data, pos);
        },
        close: () => file.close(),
      };
      const writev = file.writev?.bind(file);
      if (withWritev && writev) {
        wrapped.writev = (parts, pos) => {
          calls.writev++;
          return writev(parts, pos);
        };
      }
      return wrapped;
    },
  };
  return { fs, calls };
}

describe('download writes', () => {
  it('nodeLocalFs readvInto fills the buffers one after the other, short only at the end of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sftp-readv-'));
    try {
      writeFileSync(join(dir, 'f'), Buffer.from('abcdefghijkl'));
      const file = await nodeLocalFs.open(join(dir, 'f'), 'r');
      try {
        const bufs = [new Uint8Array(3), new Uint8Array(0), new Uint8Array(5), new Uint8Array(10)];
        expect(await file.readvInto?.(bufs, 1)).toBe(11);
        expect(bufs.map((b) => Buffer.from(b).toString('latin1'))).toEqual(['bcd', '', 'efghi', 'jkl\0\0\0\0\0\0\0']);
        expect(await file.readvInto?.([new Uint8Array(4)], 12)).toBe(0);
      } finally {
        await file.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nodeLocalFs writev writes the parts one after the other from the position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sftp-writev-'));
    temps.push(dir);
    const file = await nodeLocalFs.open(join(dir, 'f'), 'w');
    await file.write(Uint8Array.of(9, 9), 0);
    await file.writev?.([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)], 2);
    await file.close();
    expect([...readFileSync(join(dir, 'f'))]).toEqual([9, 9, 1, 2, 3]);
  });

  it.each([true, false])('a download is complete and correct with writev %s', async (withWritev) => {
    const { fs, calls } = countingFs(withWritev);
    p = await openPair({ localFs: fs });
    const data = pattern(200 * 1024 + 333);
    writeFileSync(join(p.dir, 'src'), data);
    const local = mkdtempSync(join(tmpdir(), 'sftp-dl-'));
    temps.push(local);
    await p.client.get('src', join(local, 'dst'), { blockSize: 8192 });
    expect(Buffer.from(readFileSync(join(local, 'dst'))).equals(Buffer.from(data))).toBe(true);
    const blocks = Math.ceil(data.length / 8192);
    if (withWritev) {
      // Runs of consecutive blocks: far fewer calls than blocks.
      expect(calls.writev).toBeGreaterThan(0);
      expect(calls.write + calls.writev).toBeLessThan(blocks);
    } else {
      expect(calls).toEqual({ write: blocks, writev: 0 });
    }
  });
});
