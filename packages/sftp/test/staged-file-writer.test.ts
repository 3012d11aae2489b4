/** StagedFileWriter: small sequential writes gathered into few large ones, bytes and positions intact. */
import { describe, expect, it } from 'vitest';
import type { LocalFile } from '../src/local-fs.ts';
import { STAGED_WRITE_BYTES, StagedFileWriter } from '../src/staged-file-writer.ts';

/** A file in memory that records each write's position and length. */
function recordingFile(): { file: LocalFile; writes: Array<[number, number]>; bytes(): Uint8Array } {
  const writes: Array<[number, number]> = [];
  let content = new Uint8Array(0);
  const file: LocalFile = {
    read: () => Promise.reject(new Error('not readable')),
    write(data, position) {
      writes.push([position, data.length]);
      if (position + data.length > content.length) {
        const grown = new Uint8Array(position + data.length);
        grown.set(content);
        content = grown;
      }
      content.set(data, position);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { file, writes, bytes: () => content };
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('StagedFileWriter', () => {
  it('gathers 4 KiB pieces into writes of the stage size, then the rest on flush', async () => {
    const { file, writes, bytes } = recordingFile();
    const w = new StagedFileWriter(file);
    const piece = new Uint8Array(4096);
    const expected: number[] = [];
    for (let k = 0; k < 130; k++) {
      piece.set(pattern(4096, k)); // the same memory every time: the writer must have copied it
      expected.push(...piece);
      await w.write(piece);
    }
    expect(writes).toEqual([[0, STAGED_WRITE_BYTES], [STAGED_WRITE_BYTES, STAGED_WRITE_BYTES]]);
    await w.flush();
    expect(writes[2]).toEqual([2 * STAGED_WRITE_BYTES, 130 * 4096 - 2 * STAGED_WRITE_BYTES]);
    expect(Buffer.compare(bytes(), Uint8Array.from(expected))).toBe(0);
    await w.flush();
    expect(writes).toHaveLength(3);
  });

  it('splits a piece across the stage boundary, writes a large piece straight through, and starts where told', async () => {
    const { file, writes, bytes } = recordingFile();
    const w = new StagedFileWriter(file, 10, 100);
    await w.write(pattern(70, 1));
    await w.write(pattern(50, 2)); // 30 fill the stage, 20 wait
    expect(writes).toEqual([[10, 100]]);
    await w.flush();
    await w.write(pattern(250, 3)); // nothing waiting: straight through
    await w.write(pattern(5, 4));
    await w.flush();
    expect(writes).toEqual([[10, 100], [110, 20], [130, 250], [380, 5]]);
    expect(Buffer.compare(bytes().subarray(10), Buffer.concat([pattern(70, 1), pattern(50, 2), pattern(250, 3), pattern(5, 4)]))).toBe(0);
  });
});
