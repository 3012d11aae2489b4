/**
 * Our client and server over transient streams (SftpByteStream.transient): each chunk's bytes are
 * overwritten once the next chunk is asked for, so any reply, request or file data kept as a view
 * of a chunk would come out as 0xEE. Pieces of 7 bytes cut every packet; pieces of 64 KiB hold
 * most packets whole, which the framer would otherwise hand out as views.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Pair, openPair } from './helpers/pair.ts';
import { pattern } from './helpers/pattern.ts';

let p: Pair | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

describe.each([
  [3, 7],
  [3, 64 * 1024],
  [6, 7],
  [6, 64 * 1024],
])('client and server at v%i over transient pieces of %i bytes', (version, piece) => {
  it('writes, reads, stats, lists and resolves with every byte intact', async () => {
    p = await openPair({ version }, {}, (dir) => ({ chroot: dir }), piece);
    const { client, dir } = p;
    const data = pattern(300 * 1024 + 5);
    const w = await client.open('big', 'wb', { blockSize: 16 * 1024 });
    await w.write(data);
    await w.close();
    expect(Buffer.from(readFileSync(join(dir, 'big'))).equals(Buffer.from(data))).toBe(true);
    for (const blockSize of [4096, 64 * 1024]) {
      const r = await client.open('big', 'rb', { blockSize });
      expect(Buffer.from(await r.read()).equals(Buffer.from(data))).toBe(true);
      await r.close();
    }
    writeFileSync(join(dir, 'small'), 'abc');
    symlinkSync('small', join(dir, 'link'));
    expect((await client.stat('big')).size).toBe(data.length);
    expect(await client.readlink('link')).toBe('small');
    expect(await client.listdir('.')).toEqual(['big', 'link', 'small']);
    expect(await client.realpath('link')).toBe('/small');
  });
});
