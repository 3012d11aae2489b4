/** Our server's writes to one file: runs of adjacent writes gathered into writev, short writes finished, failures reported per write. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatheredWrites } from '../src/node/gathered-writes.ts';

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
  readonly calls: number[] = [];
  limit = Infinity;
  fail: (call: number) => Error | undefined = () => undefined;

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return { bytesWritten: this.#store([buffer.subarray(offset, offset + length)], position) };
  }

  async writev(parts: Uint8Array[], position: number): Promise<{ bytesWritten: number }> {
    return { bytesWritten: this.#store(parts, position) };
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

describe('GatheredWrites', () => {
  it('writes the writes that queue behind a running one with one writev, to a real file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gathered-'));
    temps.push(dir);
    const file = join(dir, 'f.bin');
    const fh = await open(file, 'w');
    const calls = { write: 0, writev: 0 };
    const counted = new Proxy(fh, {
      get(target, key) {
        if (key === 'write' || key === 'writev') calls[key]++;
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const writes = new GatheredWrites(counted);
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
