import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncompleteReadError, ReadBuffer } from '../src/stream/index.ts';

type Op = { op: 'read'; n: number } | { op: 'exactly'; n: number } | { op: 'line' } | { op: 'until'; seps: string[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('read' as const), n: fc.integer({ min: -1, max: 12 }) }),
  fc.record({ op: fc.constant('exactly' as const), n: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ op: fc.constant('line' as const) }),
  fc.record({ op: fc.constant('until' as const), seps: fc.array(fc.constantFrom('a', 'é', '\n', '𝄞', 'ab', '\r\n', 'é𝄞'), { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('until' as const), seps: fc.array(fc.constantFrom('ab', '\r\n', 'é𝄞', 'b\r'), { minLength: 1, maxLength: 2 }) }),
);

/** Where `readuntil(seps)` would stop in `rest`: the end of the earliest-ending match, or -1. */
function untilEnd(rest: string, seps: string[]): number {
  let end = -1;
  for (const sep of seps) {
    const at = rest.indexOf(sep);
    if (at !== -1 && (end === -1 || at + sep.length < end)) end = at + sep.length;
  }
  return end;
}

describe('ReadBuffer against a string model', () => {
  it('any chunking and any interleaving of pushes and reads gives the model results and full byte accounting', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Multi-character units make separators that straddle chunks common.
        fc.string({ unit: fc.constantFrom('a', 'b', 'é', '€', '𝄞', '\n', '\r', 'x', 'ab', '\r\n', 'é𝄞'), minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 30 }),
        fc.array(opArb, { maxLength: 20 }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 30 }),
        async (textIn, cuts, ops, pauses) => {
          const data = new TextEncoder().encode(textIn);
          let consumed = 0;
          const buf = new ReadBuffer<string>({ encoding: 'utf-8', onConsumed: (n) => (consumed += n) });
          const producer = (async () => {
            let offset = 0;
            for (let i = 0; offset < data.length; i++) {
              const cut = cuts[i % cuts.length] ?? 1;
              buf.push(data.subarray(offset, offset + cut));
              offset += cut;
              for (let p = 0; p < (pauses[i % pauses.length] ?? 0); p++) await Promise.resolve();
            }
            buf.pushEof();
          })();
          let rest = textIn;
          for (const op of ops) {
            switch (op.op) {
              case 'read': {
                const got = await buf.read(op.n);
                if (op.n < 0) expect(got).toBe(rest);
                else if (op.n > 0 && rest.length > 0) expect(got.length).toBeGreaterThan(0);
                expect(rest.startsWith(got)).toBe(true);
                if (op.n >= 0) expect(got.length).toBeLessThanOrEqual(op.n);
                rest = rest.slice(got.length);
                break;
              }
              case 'exactly': {
                if (op.n <= rest.length) {
                  expect(await buf.readExactly(op.n)).toBe(rest.slice(0, op.n));
                  rest = rest.slice(op.n);
                } else {
                  const error = await buf.readExactly(op.n).catch((e: unknown) => e);
                  expect((error as IncompleteReadError).partial).toBe(rest);
                  rest = '';
                }
                break;
              }
              case 'line':
              case 'until': {
                const seps = op.op === 'line' ? ['\n'] : op.seps;
                const end = untilEnd(rest, seps);
                const result = await buf.readUntil(seps, 1 << 20).catch((e: unknown) => e);
                if (end === -1) {
                  expect(result).toBeInstanceOf(IncompleteReadError);
                  expect((result as IncompleteReadError).partial).toBe(rest);
                  rest = '';
                } else {
                  expect(result).toBe(rest.slice(0, end));
                  rest = rest.slice(end);
                }
                break;
              }
            }
          }
          expect(await buf.read()).toBe(rest);
          await producer;
          expect(buf.atEof()).toBe(true);
          expect(consumed).toBe(data.length);
          expect(buf.buffered).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
