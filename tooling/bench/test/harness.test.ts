/** The bench harness: measurement, the table, and the AsyncSSH peer script. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTable, inRotation, measureOpsPerSecond, ratio, runPythonJson } from '../src/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('measureOpsPerSecond', () => {
  it('reports a finite positive rate and runs the body', () => {
    let calls = 0;
    const rate = measureOpsPerSecond(() => void calls++, 1, { roundMs: 5, rounds: 2 });
    expect(calls).toBeGreaterThan(0);
    expect(Number.isFinite(rate) && rate > 0).toBe(true);
  });
});

describe('inRotation', () => {
  it('gives every run every place in the order, one after another', async () => {
    const order: string[] = [];
    const run = (name: string) => async () => {
      await Promise.resolve();
      order.push(name);
    };
    await inRotation(3, [run('a'), run('b'), run('c')]);
    expect(order.join('')).toBe('abcbcacab');
  });
});

describe('formatTable', () => {
  it('prints each figure with its ratio to the peer, and says why a ratio is missing', () => {
    const ok = { name: 'wire encode', unit: 'msg/s', ours: 2_000_000, peerName: 'AsyncSSH', peer: 1_000_000 };
    const missing = { name: 'wire decode', unit: 'msg/s', ours: 10, peerName: 'AsyncSSH', peer: undefined, note: 'peer failed' };
    const noted = { name: 'stream', unit: 'MiB/s', ours: 300, peerName: 'ssh', peer: 200, note: 'medians 290 vs 210' };
    expect(ratio(ok)).toBe(2);
    const lines = formatTable([ok, missing, noted]).split('\n');
    expect(lines[0]).toMatch(/^benchmark\s+unit\s+ours\s+peer\s+peer value\s+ratio$/);
    expect(lines[2]).toMatch(/^wire encode\s+msg\/s\s+2\.00M\s+AsyncSSH\s+1\.00M\s+2\.00x$/);
    expect(lines[3]).toMatch(/- \(peer failed\)$/);
    expect(lines[4]).toMatch(/\s1\.50x \(medians 290 vs 210\)$/);
  });
});

describe('AsyncSSH wire peer', () => {
  it('runs and answers with its message rates', () => {
    const result = runPythonJson<{ version: string; encode: number; decode: number }>(
      path.join(here, '../src/peers/asyncssh_wire.py'),
    );
    expect(result.ok ? '' : result.error).toBe('');
    if (result.ok) {
      expect(result.value.version).toMatch(/^\d+\.\d+/);
      expect(result.value.encode).toBeGreaterThan(0);
      expect(result.value.decode).toBeGreaterThan(0);
    }
  }, 60_000);
});
