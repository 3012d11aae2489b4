/** Formats benchmark results as a text table. @module */

import type { BenchResult } from './types.ts';

function figure(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(value >= 100 ? 0 : 2);
}

/** ours / peer: above 1 means we are faster. */
export function ratio(r: BenchResult): number | undefined {
  return r.peer === undefined || r.peer === 0 ? undefined : r.ours / r.peer;
}

export function formatTable(results: readonly BenchResult[]): string {
  const rows = [
    ['benchmark', 'unit', 'ours', 'peer', 'peer value', 'ratio'],
    ...results.map((r) => {
      const x = ratio(r);
      const shown = x === undefined ? `- (${r.note ?? 'no peer'})` : r.note === undefined ? `${x.toFixed(2)}x` : `${x.toFixed(2)}x (${r.note})`;
      return [r.name, r.unit, figure(r.ours), r.peerName, figure(r.peer), shown];
    }),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]): string => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [header, ...body] = rows;
  return [line(header ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
