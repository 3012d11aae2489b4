/** ByteQueue: contiguous views over arbitrarily chunked input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectedAfterGc } from '@ssh/interop';
import { ByteQueue } from '../src/byte-queue.ts';

describe('ByteQueue', () => {
  it('returns the same bytes as a flat buffer for any chunking and any read sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }),
        fc.array(fc.nat(50), { maxLength: 20 }),
        (chunks, reads) => {
          const q = new ByteQueue();
          const flat: number[] = [];
          for (const c of chunks) {
            q.push(c);
            flat.push(...c);
          }
          let pos = 0;
          for (const r of reads) {
            const n = Math.min(r, q.length);
            expect([...q.peek(n)]).toEqual(flat.slice(pos, pos + n));
            expect([...q.take(n)]).toEqual(flat.slice(pos, pos + n));
            pos += n;
            expect(q.length).toBe(flat.length - pos);
          }
          expect([...q.takeAll()]).toEqual(flat.slice(pos));
        },
      ),
    );
  });

  it('keeps the bytes in order when pushes and reads interleave over hundreds of chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ push: fc.uint8Array({ minLength: 1, maxLength: 7 }) }), fc.record({ take: fc.nat(30) })), { maxLength: 400 }),
        (ops) => {
          const q = new ByteQueue();
          const flat: number[] = [];
          let pos = 0;
          for (const op of ops) {
            if ('push' in op) {
              q.push(op.push);
              flat.push(...op.push);
            } else {
              const n = Math.min(op.take, q.length);
              expect([...q.take(n)]).toEqual(flat.slice(pos, pos + n));
              pos += n;
            }
            expect(q.length).toBe(flat.length - pos);
          }
          expect([...q.takeAll()]).toEqual(flat.slice(pos));
        },
      ),
    );
  });

  it('refuses reads beyond what is queued', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(1, 2));
    expect(() => q.peek(3)).toThrow(RangeError);
    expect(() => q.skip(3)).toThrow(RangeError);
  });

  it('lets go of the chunks it consumed while others stay queued', async () => {
    const q = new ByteQueue();
    const refs: WeakRef<Uint8Array>[] = [];
    for (let i = 0; i < 3; i++) {
      const chunk = new Uint8Array(16).fill(i);
      refs.push(new WeakRef(chunk));
      q.push(chunk);
    }
    q.skip(16);
    expect(q.take(16)[0]).toBe(1);
    expect(await collectedAfterGc(refs[0] as WeakRef<Uint8Array>)).toBe(true);
    expect(await collectedAfterGc(refs[2] as WeakRef<Uint8Array>)).toBe(false);
    expect(q.length).toBe(16);
  });
});
