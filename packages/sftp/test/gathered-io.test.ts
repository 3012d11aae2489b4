/**
 * Our server's reads and writes of one file: runs of adjacent requests gathered into readv and
 * writev, short writes finished, short reads taken as they are, failures reported per request.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatheredReads, GatheredWrites } from '../src/node/gathered-io.ts';
import { writeAllAt } from '../src/node/write-all.ts';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function block(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/**
 * A FileHandle stand-in over an in-memory disk that records each call's part count and can write
 * short (at most `limit` bytes a call) or fail (`fail` returns the error for a call, if any).
 */
class FakeHandle {
  readonly disk = new Uint8Array(1 << 20);
  /** Where reads find the end of the file. */
  size = 1 << 20;
  readonly calls: number[] = [];
  limit = Infinity;
  fail: (call: number) => Error | undefined = () => undefined;

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return { bytesWritten: this.#store([buffer.subarray(offset, offset + length)], position) };
  }

  async writev(parts: Uint8Array[], position: number): Promise<{ bytesWritten: number }> {
    return { bytesWritten: this.#store(parts, position) };
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return { bytesRead: this.#load([buffer.subarray(offset, offset + length)], position) };
  }

  async readv(buffers: Uint8Array[], position: number): Promise<{ bytesRead: number }> {
    return { bytesRead: this.#load(buffers, position) };
  }

  #load(parts: readonly Uint8Array[], position: number): number {
    this.calls.push(parts.length);
    const error = this.fail(this.calls.length);
    if (error) throw error;
    let done = 0;
    for (const part of parts) {
      const n = Math.max(0, Math.min(part.length, this.limit - done, this.size - position - done));
      part.set(this.disk.subarray(position + done, position + done + n));
      done += n;
      if (n < part.length) break;
    }
    return done;
  }

  #store(parts: readonly Uint8Array[], position: number): number {
    this.calls.push(parts.length);
    const error = this.fail(this.calls.length);
    if (error) throw error;
    let done = 0;
    for (const part of parts) {
      const n = Math.min(part.length, this.limit - done);
      this.disk.set(part.subarray(0, n), position + done);
      done += n;
      if (n < part.length) break;
    }
    return done;
  }
}

function gathered(fake: FakeHandle): GatheredWrites {
  return new GatheredWrites(fake as unknown as FileHandle);
}

function gatheredReads(fake: FakeHandle): GatheredReads {
  return new GatheredReads(fake as unknown as FileHandle);
}

/** Counts a real FileHandle's read/readv/write/writev calls. */
function counting(fh: FileHandle): { handle: FileHandle; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const handle = new Proxy(fh, {
    get(target, key) {
      if (key === 'write' || key === 'writev' || key === 'read' || key === 'readv') calls[key] = (calls[key] ?? 0) + 1;
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { handle, calls };
}

describe('GatheredWrites', () => {
  it('writes the writes that queue behind a running one with one writev, to a real file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gathered-'));
    temps.push(dir);
    const file = join(dir, 'f.bin');
    const fh = await open(file, 'w');
    const { handle, calls } = counting(fh);
    const writes = new GatheredWrites(handle);
    const blocks = Array.from({ length: 64 }, (_, i) => block(32 * 1024, i));
    await Promise.all(blocks.map((b, i) => writes.write(b, i * b.length)));
    await fh.close();
    expect(calls).toEqual({ write: 1, writev: 1 });
    expect(Buffer.compare(readFileSync(file), Buffer.concat(blocks))).toBe(0);
  });

  it('writes runs that do not follow each other with a call each', async () => {
    const fake = new FakeHandle();
    const writes = gathered(fake);
    const a = block(100, 1);
    const b = block(100, 2);
    const c = block(100, 3);
    const d = block(100, 4);
    // a runs alone; b and c follow each other; d starts a new run (a gap before it).
    await Promise.all([writes.write(a, 0), writes.write(b, 1000), writes.write(c, 1100), writes.write(d, 5000)]);
    expect(fake.calls).toEqual([1, 2, 1]);
    expect(fake.disk.subarray(0, 100)).toEqual(a);
    expect(fake.disk.subarray(1000, 1200)).toEqual(new Uint8Array([...b, ...c]));
    expect(fake.disk.subarray(5000, 5100)).toEqual(d);
  });

  it('finishes short writes and writev calls where they stopped', async () => {
    const fake = new FakeHandle();
    fake.limit = 70;
    const writes = gathered(fake);
    const blocks = Array.from({ length: 5 }, (_, i) => block(50, i));
    await Promise.all(blocks.map((b, i) => writes.write(b, i * 50)));
    expect(fake.disk.subarray(0, 250)).toEqual(new Uint8Array(blocks.flatMap((b) => [...b])));
    // 50 alone, then 200 in pieces of at most 70, each call from where the last one stopped.
    expect(fake.calls).toEqual([1, 4, 3, 2]);
  });

  it('rejects the writes of a failed run and goes on with the next ones', async () => {
    const fake = new FakeHandle();
    fake.fail = (call) => (call === 2 ? Object.assign(new Error('no space'), { code: 'ENOSPC' }) : undefined);
    const writes = gathered(fake);
    const results = await Promise.allSettled([
      writes.write(block(10, 1), 0),
      writes.write(block(10, 2), 10),
      writes.write(block(10, 3), 20),
      writes.write(block(10, 4), 100),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'ENOSPC' } });
    expect(fake.disk.subarray(100, 110)).toEqual(block(10, 4));
    // A write after the failure works.
    await writes.write(block(10, 5), 200);
    expect(fake.disk.subarray(200, 210)).toEqual(block(10, 5));
  });

  it('resolves the writes a run completed before it failed, and only rejects the rest', async () => {
    const fake = new FakeHandle();
    fake.limit = 15;
    fake.fail = (call) => (call === 3 ? new Error('I/O error') : undefined);
    const writes = gathered(fake);
    const results = await Promise.allSettled([0, 1, 2].map((i) => writes.write(block(10, i), i * 10)));
    // Call 1 writes the first alone; call 2 writes 15 bytes of the run of two (the second
    // block and half of the third); call 3 fails.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('fails a write that makes no progress instead of looping', async () => {
    const fake = new FakeHandle();
    fake.limit = 0;
    const writes = gathered(fake);
    await expect(writes.write(block(10, 1), 0)).rejects.toThrow(/no progress/);
    expect(fake.calls.length).toBe(1);
  });

  it('resolves empty writes', async () => {
    const fake = new FakeHandle();
    const writes = gathered(fake);
    await Promise.all([writes.write(new Uint8Array(0), 0), writes.write(new Uint8Array(0), 0), writes.write(block(4, 1), 0)]);
    expect(fake.disk.subarray(0, 4)).toEqual(block(4, 1));
  });

  it('gives one writev no more than 1024 parts', async () => {
    const fake = new FakeHandle();
    const writes = gathered(fake);
    await Promise.all(Array.from({ length: 3000 }, (_, i) => writes.write(block(1, i), i)));
    expect(Math.max(...fake.calls)).toBe(1024);
    expect(fake.calls.reduce((a, b) => a + b, 0)).toBe(3000);
  });
});

describe('GatheredReads', () => {
  it('reads the reads that queue behind a running one with one readv, from a real file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gathered-'));
    temps.push(dir);
    const file = join(dir, 'f.bin');
    const content = Buffer.concat(Array.from({ length: 64 }, (_, i) => block(32 * 1024, i)));
    writeFileSync(file, content);
    const fh = await open(file, 'r');
    const { handle, calls } = counting(fh);
    const reads = new GatheredReads(handle);
    const buffers = Array.from({ length: 64 }, () => new Uint8Array(32 * 1024));
    const got = await Promise.all(buffers.map((b, i) => reads.read(b, i * b.length)));
    await fh.close();
    expect(calls).toEqual({ read: 1, readv: 1 });
    expect(got.every((n) => n === 32 * 1024)).toBe(true);
    expect(Buffer.compare(Buffer.concat(buffers), content)).toBe(0);
  });

  it('gives each read of a run its bytes up to the end of the file, and 0 past it', async () => {
    const fake = new FakeHandle();
    fake.disk.set(block(120, 9));
    fake.size = 120;
    const reads = gatheredReads(fake);
    const buffers = [0, 1, 2, 3].map(() => new Uint8Array(50));
    const got = await Promise.all(buffers.map((b, i) => reads.read(b, i * 50)));
    expect(got).toEqual([50, 50, 20, 0]);
    const [a, b, c] = buffers as [Uint8Array, Uint8Array, Uint8Array];
    expect(new Uint8Array([...a, ...b, ...c.subarray(0, 20)])).toEqual(block(120, 9));
    // The first alone, a readv for the other three, then the one it left empty on its own.
    expect(fake.calls).toEqual([1, 3, 1]);
  });

  it('takes a short readv inside the file as a short read, and reads the rest on their own', async () => {
    const fake = new FakeHandle();
    fake.disk.set(block(400, 3));
    fake.limit = 70;
    const reads = gatheredReads(fake);
    const buffers = [0, 1, 2, 3].map(() => new Uint8Array(50));
    const got = await Promise.all(buffers.map((b, i) => reads.read(b, i * 50)));
    // 50 alone; the readv for the other three brings 70: 50 and a short 20; the last alone.
    expect(got).toEqual([50, 50, 20, 50]);
    expect(buffers[3]).toEqual(block(400, 3).subarray(150, 200));
  });

  it('reads runs that do not follow each other with a call each', async () => {
    const fake = new FakeHandle();
    const reads = gatheredReads(fake);
    const sizes = [[0, 10], [100, 10], [110, 10], [500, 10]] as const;
    await Promise.all(sizes.map(([at, n]) => reads.read(new Uint8Array(n), at)));
    expect(fake.calls).toEqual([1, 2, 1]);
  });

  it('rejects the reads of a failed run and goes on with the next ones', async () => {
    const fake = new FakeHandle();
    fake.fail = (call) => (call === 2 ? Object.assign(new Error('I/O error'), { code: 'EIO' }) : undefined);
    const reads = gatheredReads(fake);
    const results = await Promise.allSettled([0, 10, 20].map((at) => reads.read(new Uint8Array(10), at)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(reads.read(new Uint8Array(10), 30)).resolves.toBe(10);
  });
});

describe('writeAllAt', () => {
  it('writes every part in order, finishing short calls where they stopped, and says which parts are done', async () => {
    const fake = new FakeHandle();
    fake.limit = 45;
    const parts = [block(30, 1), new Uint8Array(0), block(50, 2), block(20, 3)];
    const done: number[] = [];
    await writeAllAt(fake as unknown as FileHandle, parts, 500, (i) => done.push(i));
    expect(fake.disk.subarray(500, 600)).toEqual(new Uint8Array([...(parts[0] as Uint8Array), ...(parts[2] as Uint8Array), ...(parts[3] as Uint8Array)]));
    expect(done).toEqual([0, 1, 2, 3]);
    // 45 bytes a call: parts 0-3 (writev of 4), then the rest of 2 and 3 (writev of 2), then 3 (write).
    expect(fake.calls).toEqual([4, 2, 1]);
  });

  it('rejects a call that writes nothing instead of trying forever, after reporting the parts done', async () => {
    const fake = new FakeHandle();
    fake.limit = 0;
    const done: number[] = [];
    await expect(writeAllAt(fake as unknown as FileHandle, [new Uint8Array(0), block(10, 1)], 0, (i) => done.push(i))).rejects.toThrow(/no progress/);
    expect(done).toEqual([0]);
  });

  it('passes a failing call\'s error on', async () => {
    const fake = new FakeHandle();
    fake.fail = () => Object.assign(new Error('no space'), { code: 'ENOSPC' });
    await expect(writeAllAt(fake as unknown as FileHandle, [block(10, 1)], 0)).rejects.toMatchObject({ code: 'ENOSPC' });
  });
});
