/**
 * Throughput measurement: runs a body in growing batches until a batch takes long enough to time
 * reliably, then keeps the best of several rounds (the least disturbed by the rest of the machine).
 * @module
 */

export interface MeasureOptions {
  /** Wall time a timed round should last, in milliseconds. */
  readonly roundMs?: number;
  /** Rounds to keep the best of. */
  readonly rounds?: number;
}

/** Operations per second of `body`, where one call of `body` performs `opsPerCall` operations. */
export function measureOpsPerSecond(body: () => void, opsPerCall = 1, options: MeasureOptions = {}): number {
  const roundMs = options.roundMs ?? 300;
  const rounds = options.rounds ?? 5;
  // Warm up and find a batch size that fills a round.
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) body();
    const elapsed = performance.now() - t0;
    if (elapsed >= roundMs / 4) {
      batch = Math.max(1, Math.round((batch * roundMs) / Math.max(elapsed, 0.001)));
      break;
    }
    batch *= 4;
  }
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) body();
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, (batch * opsPerCall) / seconds);
  }
  return best;
}

/**
 * Runs each of `runs` once a round for `rounds` rounds, each round starting one further along the
 * list, so that every run takes every place in the order alike. On the development VM untouched
 * guest memory costs the host a fault on first use (and the guest hands idle memory back), so the
 * machine speeds up over the first gigabytes of I/O: in a fixed order, whoever ran first lost to
 * whoever came after, whatever the code (a 1 GiB upload, one setting against itself taking turns
 * in a fixed order: 270 then 461, 401 then 593, ... 760 then 821 MiB/s).
 */
export async function inRotation(rounds: number, runs: readonly (() => Promise<unknown>)[]): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < runs.length; i++) await (runs[(r + i) % runs.length] as () => Promise<unknown>)();
  }
}

/**
 * Share of a stream or file a node-side client or server moves untimed right before each of its
 * timed rounds: a node process that sat idle through the other clients' rounds comes back cold
 * (see the connection and sftp benchmarks).
 */
export const WARM_SHARE = 1 / 8;

/** Wall-clock seconds `body` took. */
export async function timedSeconds(body: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await body();
  return (performance.now() - t0) / 1000;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
