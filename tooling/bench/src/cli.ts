/**
 * `pnpm bench [id...] [--json file]`: runs the benchmarks, prints the table of figures with their
 * ratio to the peer measured in the same run, and writes the same table as JSON.
 * @module
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '@ssh/crypto-native';
import { benchmarks } from './benches/index.ts';
import { formatTable, ratio } from './table.ts';
import type { BenchResult } from './types.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function parseArgs(argv: readonly string[]): { ids: string[]; json: string } {
  const ids: string[] = [];
  let json = path.join(repoRoot, 'bench-results', 'latest.json');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') json = path.resolve(argv[++i] ?? json);
    else if (arg !== '--') ids.push(arg);
  }
  return { ids, json };
}

async function main(): Promise<void> {
  const { ids, json } = parseArgs(process.argv.slice(2));
  const unknown = ids.filter((id) => !benchmarks.some((b) => b.id === id));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; have ${benchmarks.map((b) => b.id).join(', ')}`);
  const selected = ids.length ? benchmarks.filter((b) => ids.includes(b.id)) : benchmarks;

  // Which AES-GCM our side runs on: the figures differ by a quarter of the client CPU.
  const native = nativeStatus();
  const aesGcm = native.available ? 'native binding (@ssh/crypto-native)' : `node:crypto (${native.reason})`;
  process.stderr.write(`our AES-GCM: ${aesGcm}\n`);
  const results: BenchResult[] = [];
  for (const bench of selected) {
    process.stderr.write(`running ${bench.id}: ${bench.description}\n`);
    results.push(...(await bench.run()));
  }
  process.stdout.write(`${formatTable(results)}\n`);

  mkdirSync(path.dirname(json), { recursive: true });
  const doc = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    aesGcm,
    results: results.map((r) => ({ ...r, ratio: ratio(r) ?? null })),
  };
  writeFileSync(json, `${JSON.stringify(doc, null, 2)}\n`);
  process.stderr.write(`wrote ${path.relative(process.cwd(), json)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
