/** The in-flight request table: behaves as a Map of u32 ids under any mix of sets and deletes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from '../src/id-table.ts';

type Op = { op: 'set'; id: number; value: number } | { op: 'delete'; id: number } | { op: 'get'; id: number };

/** Ids from a small pool (so they collide and repeat), runs of consecutive ids, and the extremes. */
const id = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0xffff_ffd0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), id, value: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), id }),
  fc.record({ op: fc.constant('get' as const), id }),
);

describe('IdTable', () => {
  it('agrees with a Map after every operation', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const table = new IdTable<number>();
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.op === 'set') {
            table.set(o.id, o.value);
            model.set(o.id, o.value);
          } else if (o.op === 'delete') {
            expect(table.delete(o.id)).toBe(model.get(o.id));
            model.delete(o.id);
          } else {
            expect(table.get(o.id)).toBe(model.get(o.id));
            expect(table.has(o.id)).toBe(model.has(o.id));
          }
          expect(table.size).toBe(model.size);
        }
        expect(new Map(table.entries())).toEqual(model);
      }),
    );
  });

  it('keeps finding every id while requests come and go far past its first capacity', () => {
    // A sliding window of outstanding ids, as a client with 100 requests in flight makes them,
    // answered out of order.
    const table = new IdTable<number>();
    const live: number[] = [];
    let next = 0xffff_ff00; // the ids wrap past 2^32 - 1 on the way
    for (let step = 0; step < 20_000; step++) {
      const nextId = next;
      next = (next + 1) >>> 0;
      table.set(nextId, step);
      live.push(nextId);
      if (live.length > 100) {
        const [gone] = live.splice((step * 7919) % live.length, 1) as [number];
        expect(table.delete(gone)).not.toBeUndefined();
        expect(table.has(gone)).toBe(false);
      }
      expect(table.size).toBe(live.length);
    }
    for (const n of live) expect(table.has(n)).toBe(true);
  });

  it('refuses ids that are not u32 and empties on clear()', () => {
    const table = new IdTable<string>();
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) expect(() => table.set(bad, 'x')).toThrow(RangeError);
    table.set(0, 'a');
    table.set(0xffff_ffff, 'b');
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(0)).toBeUndefined();
    expect([...table.entries()]).toEqual([]);
  });
});
