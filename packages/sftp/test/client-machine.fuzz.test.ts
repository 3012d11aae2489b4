/** The client machine fed the same bytes cut at random places gives the same events (house style §7). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FX, FXP, type SftpClientEvent, SftpClientMachine, encodeInit, encodeResponse } from '../src/index.ts';

/** Feeds VERSION, sends `count` requests (as a client does once the version is known), then feeds `bytes` cut at `cuts`. */
function run(version: number, count: number, bytes: Uint8Array, cuts: readonly number[]): SftpClientEvent[] {
  const m = new SftpClientMachine({ version });
  m.start();
  const events: SftpClientEvent[] = [];
  const feed = (chunk: Uint8Array): void => {
    m.receive(chunk);
    for (let e = m.nextEvent(); e; e = m.nextEvent()) events.push(e);
  };
  feed(encodeInit(FXP.VERSION, { version, extensions: [['x', Uint8Array.of(1)]] }));
  for (let i = 0; i < count; i++) m.send({ kind: 'stat', path: String(i) });
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = cuts.length > 0 ? (cuts[i++ % cuts.length] as number) : bytes.length;
    feed(bytes.subarray(at, at + n));
    at += n;
  }
  m.receiveEnd();
  for (let e = m.nextEvent(); e; e = m.nextEvent()) events.push(e);
  return events;
}

describe('SftpClientMachine under arbitrary chunking', () => {
  it.each([3, 4, 5, 6])('v%i: identical events whatever the cuts, garbage included', (version) => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 1 << 30 }), status: fc.boolean(), name: fc.string({ maxLength: 12 }) }), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
        fc.shuffledSubarray([0, 1, 2, 3, 4, 5]),
        (replies, garbage, cuts, order) => {
          const parts: Uint8Array[] = [];
          // Answer the requests (ids 0..n-1) in a shuffled order, then append garbage.
          const ids = order.filter((i) => i < replies.length);
          for (const id of ids) {
            const r = replies[id];
            if (!r) continue;
            parts.push(
              r.status
                ? encodeResponse({ kind: 'status', id, status: FX.NO_SUCH_FILE, message: r.name, lang: '' }, version)
                : encodeResponse({ kind: 'attrs', id, attrs: { size: r.size } }, version),
            );
          }
          parts.push(garbage);
          const total = parts.reduce((n, p) => n + p.length, 0);
          const bytes = new Uint8Array(total);
          let at = 0;
          for (const p of parts) {
            bytes.set(p, at);
            at += p.length;
          }
          const whole = run(version, replies.length, bytes, []);
          const cut = run(version, replies.length, bytes, cuts);
          expect(cut).toEqual(whole);
          // Every answered request produced its response before any error.
          expect(whole.filter((e) => e.type === 'response').length).toBe(ids.length);
          expect(whole.filter((e) => e.type === 'error').length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 3000 },
    );
  });
});
