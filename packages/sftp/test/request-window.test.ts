/**
 * The upload window against simulated paths: a link with a one-way delay and a bottleneck that
 * serves requests one at a time (first in, first out), driven by a sender that keeps the window
 * full. Deterministic: simulated time, no timers.
 */
import { describe, expect, it } from 'vitest';
import { RequestWindow } from '../src/request-window.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 255 * KiB;

interface Path {
  /** One-way delay, ms. */
  readonly delay: number;
  /** Bottleneck rate, bytes per ms. */
  readonly rate: number;
  /** Extra service time for the request sent as number `n`, ms (a stall in the server). */
  readonly stall?: (n: number) => number;
}

interface Run {
  /** Window size after each reply. */
  readonly sizes: number[];
  /** Bytes per ms delivered over the last half of the run. */
  readonly throughput: number;
  /** Most requests waiting at the bottleneck at once (not counting the one being served). */
  readonly maxWaiting: number;
}

/** Sends `count` requests of `block` bytes over `path`, `inflightCap` at most at once if given (an application-limited sender). */
function simulate(window: RequestWindow, path: Path, count: number, block = BLOCK, inflightCap = Infinity): Run {
  const replies: Array<{ at: number; sent: number }> = [];
  const arrivals: number[] = [];
  let busyUntil = 0;
  let now = 0;
  let sent = 0;
  let inflight = 0;
  let maxWaiting = 0;
  const sizes: number[] = [];
  const completions: number[] = [];
  const send = (): void => {
    while (sent < count && inflight < Math.min(window.size, inflightCap)) {
      const arrive = now + path.delay;
      const start = Math.max(arrive, busyUntil);
      busyUntil = start + block / path.rate + (path.stall?.(sent) ?? 0);
      arrivals.push(arrive);
      const waiting = arrivals.filter((a) => a <= arrive).length - completions.filter((c) => c <= arrive).length - 1;
      maxWaiting = Math.max(maxWaiting, waiting);
      completions.push(busyUntil);
      replies.push({ at: busyUntil + path.delay, sent: now });
      replies.sort((a, b) => a.at - b.at);
      sent++;
      inflight++;
    }
    if (sent < count && inflight >= window.size && inflight < inflightCap) window.limited();
  };
  const doneAt: number[] = [];
  send();
  for (let reply = replies.shift(); reply !== undefined; reply = replies.shift()) {
    now = reply.at;
    inflight--;
    window.sample(now - reply.sent);
    sizes.push(window.size);
    doneAt.push(now);
    send();
  }
  const half = Math.floor(doneAt.length / 2);
  const throughput = ((doneAt.length - half) * block) / ((doneAt.at(-1) ?? 0) - (doneAt[half - 1] ?? 0));
  return { sizes, throughput, maxWaiting };
}

describe('RequestWindow', () => {
  it('fills a long link: the window reaches its bandwidth-delay product and the link runs full', () => {
    // 50 ms round trip at 100 MiB/s: 5 MiB, about 20 blocks, must be in flight.
    const path = { delay: 25, rate: (100 * MiB) / 1000 };
    const window = new RequestWindow(BLOCK, 64);
    const run = simulate(window, path, 3000);
    const bdp = (2 * path.delay * path.rate) / BLOCK;
    const settled = run.sizes.slice(-500);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(Math.floor(bdp));
    expect(Math.max(...settled)).toBeLessThanOrEqual(Math.ceil(bdp) + 4);
    expect(run.throughput).toBeGreaterThan(0.95 * path.rate);
  });

  it('keeps a fast local path to a few requests, with the server never idle', () => {
    // Loopback-like: 20 us each way, 400 MiB/s: under one block of bandwidth-delay product.
    const path = { delay: 0.02, rate: (400 * MiB) / 1000 };
    const window = new RequestWindow(BLOCK, 64);
    const run = simulate(window, path, 2000);
    expect(Math.max(...run.sizes.slice(20))).toBeLessThanOrEqual(4);
    expect(run.maxWaiting).toBeLessThanOrEqual(4);
    expect(run.throughput).toBeGreaterThan(0.99 * path.rate);
  });

  it('never goes past maxRequests, nor below its floor', () => {
    const long = simulate(new RequestWindow(BLOCK, 8), { delay: 25, rate: (100 * MiB) / 1000 }, 1000);
    expect(Math.max(...long.sizes)).toBe(8);
    const one = simulate(new RequestWindow(BLOCK, 1), { delay: 25, rate: (100 * MiB) / 1000 }, 100);
    expect(new Set(one.sizes)).toEqual(new Set([1]));
    // The floor is 512 KiB: two blocks of 255 KiB, 64 blocks of 8 KiB (within maxRequests).
    expect(new RequestWindow(BLOCK, 64).size).toBe(2);
    expect(new RequestWindow(8 * KiB, 64).size).toBe(64);
    expect(new RequestWindow(8 * KiB, 16).size).toBe(16);
    expect(new RequestWindow(4 * MiB, 64).size).toBe(2);
  });

  it('shrinks after a stall in the server and grows back', () => {
    const path = { delay: 10, rate: (100 * MiB) / 1000, stall: (n: number) => (n === 600 ? 700 : 0) };
    const window = new RequestWindow(BLOCK, 64);
    const run = simulate(window, path, 2000);
    const before = run.sizes[590] ?? 0;
    const after = Math.min(...run.sizes.slice(600, 900));
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThanOrEqual(2);
    expect(run.sizes.at(-1)).toBeGreaterThanOrEqual(Math.floor((2 * path.delay * path.rate) / BLOCK));
  });

  it('does not grow while the sender, not the window, is the limit', () => {
    const window = new RequestWindow(BLOCK, 64);
    const run = simulate(window, { delay: 25, rate: (100 * MiB) / 1000 }, 500, BLOCK, 1);
    expect(new Set(run.sizes)).toEqual(new Set([2]));
  });

  it('ignores samples that are not a round trip', () => {
    const window = new RequestWindow(BLOCK, 64);
    window.limited();
    for (const bad of [Number.NaN, -1, Number.NEGATIVE_INFINITY]) window.sample(bad);
    expect(window.size).toBe(2);
    window.sample(5);
    window.sample(5);
    expect(window.size).toBe(4);
  });
});
