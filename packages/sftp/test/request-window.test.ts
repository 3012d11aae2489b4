/**
 * The upload window against simulated paths: a link with a one-way delay and a bottleneck that
 * serves requests one at a time (first in, first out), or a server that handles whatever has
 * arrived in one batch; driven by a sender that keeps the window full. Deterministic: simulated
 * time, no timers.
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
  /** Extra service time for a request that found `waiting` others waiting, ms (depth costs the server). */
  readonly depthCost?: (waiting: number) => number;
}

interface Run {
  /** Window size after each reply. */
  readonly sizes: number[];
  /** Bytes per ms delivered over the last half of the run. */
  readonly throughput: number;
  /** Most requests waiting at the bottleneck at once (not counting the one being served). */
  readonly maxWaiting: number;
  /** Requests that found more than `deep` others waiting (see simulate). */
  readonly deepRequests: number;
}

/** Sends `count` requests of `block` bytes over `path`, `inflightCap` at most at once if given (an application-limited sender). */
function simulate(window: RequestWindow, path: Path, count: number, block = BLOCK, inflightCap = Infinity, deep = Infinity): Run {
  const replies: Array<{ at: number; sent: number }> = [];
  const arrivals: number[] = [];
  let busyUntil = 0;
  let now = 0;
  let sent = 0;
  let inflight = 0;
  let maxWaiting = 0;
  let deepRequests = 0;
  const sizes: number[] = [];
  const completions: number[] = [];
  const send = (): void => {
    while (sent < count && inflight < Math.min(window.size, inflightCap)) {
      const arrive = now + path.delay;
      const start = Math.max(arrive, busyUntil);
      arrivals.push(arrive);
      const waiting = arrivals.filter((a) => a <= arrive).length - completions.filter((c) => c <= arrive).length - 1;
      busyUntil = start + block / path.rate + (path.stall?.(sent) ?? 0) + (path.depthCost?.(waiting) ?? 0);
      maxWaiting = Math.max(maxWaiting, waiting);
      if (waiting > deep) deepRequests++;
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
    window.sample(now - reply.sent, now);
    sizes.push(window.size);
    doneAt.push(now);
    send();
  }
  const throughput = lastHalfRate(doneAt, block);
  return { sizes, throughput, maxWaiting, deepRequests };
}

/** Throughput (bytes per ms) over the last half of a run's reply times. */
function lastHalfRate(doneAt: readonly number[], block: number): number {
  const half = Math.floor(doneAt.length / 2);
  return ((doneAt.length - half) * block) / ((doneAt.at(-1) ?? 0) - (doneAt[half - 1] ?? 0));
}

interface BatchingServer {
  /** One-way delay, ms. */
  readonly delay: number;
  /** A batch's fixed cost, ms (waking up, a system call, a turn of an event loop). */
  readonly perBatch: number;
  /** Each request's cost within a batch, ms. */
  readonly perBlock: number;
}

/**
 * Sends `count` requests to a server that takes everything arrived when it becomes free as one
 * batch, and answers the batch at its end: the more waits, the more it moves per ms.
 */
function simulateBatching(window: RequestWindow, server: BatchingServer, count: number, block = BLOCK): { sizes: number[]; throughput: number } {
  const queue: Array<{ arrive: number; sent: number }> = [];
  const replies: Array<{ at: number; sent: number }> = [];
  const sizes: number[] = [];
  const doneAt: number[] = [];
  let now = 0;
  let sent = 0;
  let inflight = 0;
  let free = 0;
  const send = (): void => {
    while (sent < count && inflight < window.size) {
      queue.push({ arrive: now + server.delay, sent: now });
      sent++;
      inflight++;
    }
    if (sent < count && inflight >= window.size) window.limited();
  };
  send();
  for (;;) {
    const head = queue[0];
    const batchAt = head ? Math.max(free, head.arrive) : Infinity;
    const replyAt = replies[0]?.at ?? Infinity;
    if (batchAt === Infinity && replyAt === Infinity) break;
    if (batchAt <= replyAt) {
      let n = 0;
      while (n < queue.length && (queue[n] as { arrive: number }).arrive <= batchAt) n++;
      free = batchAt + server.perBatch + n * server.perBlock;
      for (const r of queue.splice(0, n)) replies.push({ at: free + server.delay, sent: r.sent });
    } else {
      const reply = replies.shift() as { at: number; sent: number };
      now = reply.at;
      inflight--;
      window.sample(now - reply.sent, now);
      sizes.push(window.size);
      doneAt.push(now);
      send();
    }
  }
  return { sizes, throughput: lastHalfRate(doneAt, block) };
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

  it('grows past what Vegas keeps when a server that works in batches moves more for it', () => {
    // Loopback-like, each batch costing 2 ms and each block 0.5 ms in it: 3 requests in flight
    // move 0.86 blocks per ms, 9 move 1.38, the limit is 2.
    const server = { delay: 0.02, perBatch: 2, perBlock: 0.5 };
    const run = simulateBatching(new RequestWindow(BLOCK, 64), server, 4000);
    const settled = run.sizes.slice(-1000);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(6);
    const vegasOnly = simulateBatching(new RequestWindow(BLOCK, 3), server, 4000);
    expect(run.throughput).toBeGreaterThan(1.15 * vegasOnly.throughput);
    expect(run.throughput).toBeGreaterThan((0.6 * BLOCK) / server.perBlock);
  });

  it('stops probing a server that deeper queues slow down, after two probes cut short', () => {
    // Loopback-like at 400 MiB/s, each request that finds more than two others waiting costing
    // the server 5 ms more (sshd growing its channel buffer): probes gain nothing and cost much.
    const path = { delay: 0.02, rate: (400 * MiB) / 1000, depthCost: (waiting: number) => (waiting > 2 ? 5 : 0) };
    const run = simulate(new RequestWindow(BLOCK, 64), path, 4000, BLOCK, Infinity, 2);
    expect(Math.max(...run.sizes.slice(-3000))).toBe(3);
    // Two probes to 5, each cut short after a round to fill the path and eight replies measured
    // (and the requests sent by then): about 18 requests each that found the queue deep.
    expect(run.deepRequests).toBeGreaterThan(0);
    expect(run.deepRequests).toBeLessThanOrEqual(2 * 20);
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
    for (const bad of [Number.NaN, -1, Number.NEGATIVE_INFINITY]) window.sample(bad, 10);
    window.sample(5, Number.NaN);
    expect(window.size).toBe(2);
    window.sample(5, 10);
    window.sample(5, 10);
    expect(window.size).toBe(4);
  });
});
