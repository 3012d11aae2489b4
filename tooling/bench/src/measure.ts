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
