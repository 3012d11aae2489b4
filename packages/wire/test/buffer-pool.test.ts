/** BufferPool: reused buffers for large packets. */
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.ts';

describe('BufferPool', () => {
  it('serves sizes in range from reused buffers, others from fresh ones', () => {
    const pool = new BufferPool(1024, 256, 2);
    const a = pool.take(1000);
    expect(a.length).toBe(1000);
    expect(a.buffer.byteLength).toBe(1024);
    pool.give(a.subarray(10, 20));
    const b = pool.take(300);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(300);
    // Too small or too large: a buffer of its own, never pooled.
    const small = pool.take(100);
    const large = pool.take(2000);
    expect(small.buffer.byteLength).toBe(100);
    expect(large.buffer.byteLength).toBe(2000);
    pool.give(small);
    pool.give(large);
    expect(pool.take(300).buffer).not.toBe(small.buffer);
  });

  it('ignores foreign buffers and buffers given back twice, and keeps at most `max` free', () => {
    const pool = new BufferPool(1024, 256, 2);
    pool.give(new Uint8Array(1024));
    const [a, b, c] = [pool.take(512), pool.take(512), pool.take(512)];
    pool.give(a);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    const again = [pool.take(512), pool.take(512), pool.take(512)].map((v) => v.buffer);
    expect(again.filter((x) => x === a.buffer)).toHaveLength(1);
    expect(again.filter((x) => x === b.buffer)).toHaveLength(1);
    expect(again.filter((x) => x === c.buffer)).toHaveLength(0);
  });

  it('with markBuffers, takes back only its own buffers, and allocates as told', () => {
    const made: number[] = [];
    const pool = new BufferPool(1024, 256, 4, {
      markBuffers: true,
      allocate: (n) => {
        made.push(n);
        return new ArrayBuffer(n);
      },
    });
    const a = pool.take(300);
    expect(made).toEqual([1024]);
    pool.give(new Uint8Array(1024));
    pool.give(new BufferPool(1024, 256, 4, { markBuffers: true }).take(300));
    pool.give(a.subarray(1, 2));
    pool.give(a);
    const got = [pool.take(300), pool.take(300)].map((v) => v.buffer);
    expect(got[0]).toBe(a.buffer);
    expect(got[1]).not.toBe(a.buffer);
    expect(made).toEqual([1024, 1024]);
  });
});
