/** Bench harness API for benchmark files. @module */
export { inRotation, measureOpsPerSecond, type MeasureOptions } from './measure.ts';
export { runPythonJson, PYTHON, type PythonResult } from './python.ts';
export { formatTable, ratio } from './table.ts';
export type { Benchmark, BenchResult } from './types.ts';
