import { describe, expect, it } from 'vitest';
import { Fifo } from '../src/mux/fifo.ts';

describe('Fifo', () => {
  it('gives items back in order across compactions, and clears', () => {
    const q = new Fifo<number>();
    expect(q.shift()).toBeUndefined();
    let next = 0;
    let out = 0;
    // Interleaved pushes and shifts past many compactions.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3000; i++) q.push(next++);
      for (let i = 0; i < 2500; i++) expect(q.shift()).toBe(out++);
      expect(q.length).toBe(next - out);
      expect(q.at(0)).toBe(out);
      expect(q.at(q.length - 1)).toBe(next - 1);
      expect(q.at(q.length)).toBeUndefined();
    }
    expect(q.includesFromEnd(next - 1)).toBe(true);
    expect(q.includesFromEnd(out - 1)).toBe(false);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });
});
