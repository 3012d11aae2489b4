/**
 * readRanges() refills the READ pipeline a few slots at a time, so the READs it sends after
 * replies come in share one socket write instead of one write each; the pipeline never stalls,
 * whatever its depth.
 */
import { describe, expect, it } from 'vitest';
import { readRanges } from '../src/client-file.ts';
import type { ClientSession } from '../src/client-session.ts';

interface Pending {
  readonly offset: number;
  readonly length: number;
  readonly answer: () => void;
}

/** A session whose READs are answered only when the test says so, with `fileSize` bytes of file behind them. */
function heldSession(fileSize: number): { session: ClientSession; pending: Pending[]; sent: () => number } {
  const pending: Pending[] = [];
  let sent = 0;
  const session = {
    request(req: { kind: string; offset: number; length: number }) {
      if (req.kind !== 'read') throw new Error(`unexpected request ${req.kind}`);
      sent++;
      return new Promise((resolve) => {
        const n = Math.max(0, Math.min(req.length, fileSize - req.offset));
        pending.push({
          offset: req.offset,
          length: req.length,
          answer: () => resolve(n > 0 ? { kind: 'data', data: new Uint8Array(n).fill(req.offset % 251) } : { kind: 'status', status: 1, message: '', lang: '' }),
        });
      });
    },
  } as unknown as ClientSession;
  return { session, pending, sent: () => sent };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('readRanges refill', () => {
  it('holds freed slots until four replies are in, then sends their READs together', async () => {
    const { session, pending, sent } = heldSession(100 * 10);
    const blocks = readRanges(session, new Uint8Array([1]), 0, 100 * 10, 10, 32);
    const got: number[] = [];
    const reading = (async () => {
      for await (const b of blocks) got.push(b.offset);
    })();
    await settle();
    expect(sent()).toBe(32);
    const answerOne = async (): Promise<void> => {
      pending.shift()?.answer();
      await settle();
    };
    await answerOne();
    await answerOne();
    await answerOne();
    expect(got).toEqual([0, 10, 20]);
    expect(sent()).toBe(32);
    await answerOne();
    expect(sent()).toBe(36);
    while (pending.length > 0) await answerOne();
    await reading;
    expect(got.length).toBe(100);
    expect(new Set(got).size).toBe(100);
    expect(sent()).toBe(100);
  });

  it.each([1, 2, 3, 7, 8, 9, 64])('never stalls with %i requests in flight at most', async (maxRequests) => {
    const size = 50 * 7 + 3;
    const { session, pending, sent } = heldSession(size);
    const blocks = readRanges(session, new Uint8Array([1]), 0, -1, 7, maxRequests, size);
    let bytes = 0;
    let most = 0;
    const reading = (async () => {
      for await (const b of blocks) bytes += b.data.length;
    })();
    for (;;) {
      await settle();
      most = Math.max(most, pending.length);
      const next = pending.shift();
      if (!next) break;
      next.answer();
    }
    await reading;
    expect(bytes).toBe(size);
    expect(most).toBe(Math.min(maxRequests, 52));
    // The blocks up to the stated size, and one probe past it that finds the end.
    expect(sent()).toBe(52);
  });
});
