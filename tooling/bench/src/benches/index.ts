/** Every benchmark `pnpm bench` runs, in order. @module */
import type { Benchmark } from '../types.ts';
import { wireBenchmark } from './wire.bench.ts';

export const benchmarks: readonly Benchmark[] = [wireBenchmark];
