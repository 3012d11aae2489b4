/** BufferPool: reused buffers for large packets. */
import { describe, expect, it } from 'vitest';
import { BufferPool, SizeClassPools } from '../src/buffer-pool.ts';

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

describe('SizeClassPools', () => {
  const pools = (): SizeClassPools => new SizeClassPools({ minBits: 13, maxBits: 15, slack: 1024, minimum: 4096, freeBytes: 64 * 1024, freeBuffers: 4 });

  it('takes each request from the smallest class that holds it, and others unpooled', () => {
    const p = pools();
    expect(p.maxSize).toBe(32 * 1024 + 1024);
    expect(p.take(4096).buffer.byteLength).toBe(8192 + 1024);
    expect(p.take(9 * 1024).buffer.byteLength).toBe(9 * 1024);
    expect(p.take(9 * 1024 + 1).buffer.byteLength).toBe(16 * 1024 + 1024);
    expect(p.take(17 * 1024 + 1).buffer.byteLength).toBe(32 * 1024 + 1024);
    // Below the minimum and above the largest class: a buffer of its own, of the exact size.
    expect(p.take(4095).buffer.byteLength).toBe(4095);
    expect(p.take(33 * 1024 + 1).buffer.byteLength).toBe(33 * 1024 + 1);
  });

  it('reuses buffers given back, per class, within each class budget', () => {
    const p = pools();
    const small = Array.from({ length: 6 }, () => p.take(5000));
    const large = Array.from({ length: 3 }, () => p.take(30_000));
    for (const v of [...small, ...large]) p.give(v);
    // The 9 KiB class keeps 4 (its buffer cap), the 33 KiB class 1 (64 KiB of budget).
    const again = Array.from({ length: 6 }, () => p.take(5000).buffer);
    expect(again.filter((b) => small.some((v) => v.buffer === b)).length).toBe(4);
    const againLarge = Array.from({ length: 3 }, () => p.take(30_000).buffer);
    expect(againLarge.filter((b) => large.some((v) => v.buffer === b)).length).toBe(1);
  });

  it('ignores buffers that are not its own', () => {
    const p = pools();
    const foreign = new Uint8Array(9 * 1024);
    p.give(foreign);
    expect(p.take(5000).buffer).not.toBe(foreign.buffer);
  });

  it('makes unpooled buffers as told', () => {
    const made: number[] = [];
    const p = new SizeClassPools({ minBits: 13, maxBits: 13, unpooled: (n) => (made.push(n), new Uint8Array(n)) });
    p.take(10);
    p.take(100_000);
    expect(made).toEqual([10, 100_000]);
  });
});

describe('SizeClassPools with clearSlack', () => {
  it('clears a reused buffer beyond the bytes taken, and leaves unpooled ones alone', () => {
    const slab = new Uint8Array(64).fill(7);
    const p = new SizeClassPools({ minBits: 13, maxBits: 13, minimum: 16, clearSlack: true, unpooled: (n) => slab.subarray(0, n) });
    const first = p.take(8192);
    first.fill(0xaa);
    p.give(first);
    const second = p.take(100);
    expect(second.buffer).toBe(first.buffer);
    expect(new Uint8Array(second.buffer, 100).every((b) => b === 0)).toBe(true);
    // An unpooled view of a shared buffer: nothing beyond it is touched.
    p.take(8);
    expect(slab.every((b) => b === 7)).toBe(true);
  });
});
