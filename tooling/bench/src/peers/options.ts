/**
 * How long a benchmark run measures, for ours and its peers alike: the defaults for `pnpm bench`,
 * or a quick mode (a few iterations, peers started side by side) that only checks every figure is
 * produced, for the unit tests.
 * @module
 */

import type { MeasureOptions } from '../measure.ts';

export interface BenchRunOptions {
  /** A few iterations per figure: the figures are meaningless, only their presence counts. */
  readonly quick?: boolean;
}

/** Measurement settings for ours: `pnpm bench` rounds, or one tiny round in quick mode. */
export function measureSettings(options: BenchRunOptions, normal: MeasureOptions = {}): MeasureOptions {
  return options.quick === true ? { roundMs: 1, rounds: 1 } : normal;
}

/** Arguments for a Python peer script: `--quick` in quick mode. */
export function peerArgs(options: BenchRunOptions): string[] {
  return options.quick === true ? ['--quick'] : [];
}
