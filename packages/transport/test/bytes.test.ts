/**
 * The byte helpers: copies are memory of their own (never a view of the input, never a Buffer
 * whose .buffer shows other data), and uninitialized arrays own exactly their bytes.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, copyBytes, sameBytes, uninitializedBytes } from '../src/bytes.ts';

describe('byte helpers', () => {
  it('uninitializedBytes: a plain Uint8Array owning an ArrayBuffer of exactly n bytes', () => {
    for (const n of [0, 1, 100, 4095, 4096, 33 * 1024]) {
      const a = uninitializedBytes(n);
      expect(a.length).toBe(n);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(n);
      expect(Buffer.isBuffer(a)).toBe(false);
    }
  });

  it('copyBytes: equal bytes in memory of their own', () => {
    const source = new Uint8Array(64 * 1024).map((_, i) => i * 7);
    const view = source.subarray(10, 5000);
    const copy = copyBytes(view);
    expect(sameBytes(copy, view)).toBe(true);
    expect(copy.buffer).not.toBe(source.buffer);
    expect(copy.buffer.byteLength).toBe(view.length);
    source.fill(0);
    expect(copy[0]).toBe((10 * 7) & 0xff);
    expect(Buffer.isBuffer(copy)).toBe(false);
  });

  it('concatBytes: a then b, every byte written', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array(9000).fill(9);
    const joined = concatBytes(a, b);
    expect(joined.length).toBe(9003);
    expect([...joined.subarray(0, 4)]).toEqual([1, 2, 3, 9]);
    expect(joined.subarray(3).every((x) => x === 9)).toBe(true);
    expect(concatBytes(new Uint8Array(0), new Uint8Array(0)).length).toBe(0);
  });
});
