/**
 * RekeyLimit against OpenSSH 9.2's `ssh -G`: a table of byte counts (fractions with and without a
 * unit, signs, huge values, odd trailing characters, garbage) and intervals. For each line both
 * sides must either refuse the file or agree on `rekeylimit <bytes> <seconds>`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigParseError, parseClientConfig, resolveClientConfig } from '../src/index.ts';
import { memEnv } from './helpers/mem-env.ts';
import { pool, runDump } from './helpers/openssh.ts';

const CASES: readonly string[] = [
  // Units and fractions (scan_scaled keeps the fraction only when a unit follows).
  '1.5G', '0.5', '2.5K', '1.3K', '0.1K', '1.15M', '1.5T', '.5K', '16.', '.', 'K', '17B', '1.5B',
  '1.0000001E', '4.000000000000000001E', '3.99999999999999999E', '8191.99999P', '1.00000000000000000001G',
  '0.999999999999999999B', '0.00000000000000000009E', '1.5', '15.9', '16', '15', '1b', '1P', '7E',
  // Digit limits and overflow.
  '00000000000000000016', '000000000000000000016', '16.999999999999999999', '16.9999999999999999999',
  '1.999999999999999999999K', '9223372036854775807', '9223372036854775808', '99999999999999999999', '8E',
  '123456789.123456789T', '9007199254740993',
  // Signs.
  '-1', '-0', '+16', '++16', '+-16', '-+16', '-16K', '-0.5', '-0.5K',
  // Only the character right after the unit must not be alphanumeric.
  '1G!', '1G.', '1G!x', '1G.5', '1Gx', '1GB', '1G-',
  // Garbage and quoting.
  '1..5K', '1e9', '0x10', 'abc', '""', '"  16"', '"16 "', '"1G x"', '"\t32"',
  // The interval.
  '1G 1h30m', 'default none', 'default', '0 15', '16 1w', '1G 3550w', '1G 1d1d', '1G 5S', '1G 0',
  '2147483648 2147483647', '1G -1', '1G 1.5', '1G default', '1G 2147483648', '1G ""',
  '1G none x', '1G 1h 2h', '1 G',
];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssh-rekeylimit-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ours(text: string): string {
  const env = memEnv();
  try {
    const r = resolveClientConfig(parseClientConfig({ text, file: '/home/alice/.ssh/config' }, env), { host: 'h' }, env);
    const v = r.settings.get('rekeylimit')?.value as { bytes: number; seconds?: number };
    return `${v.bytes} ${v.seconds ?? 0}`;
  } catch (e) {
    if (e instanceof ConfigParseError) return 'refused';
    throw e;
  }
}

test('RekeyLimit values and refusals agree with ssh -G', async () => {
  const procEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  const results = await pool(CASES, 8, async (value, i) => {
    const file = join(dir, `config_${i}`);
    const text = `RekeyLimit ${value}\n`;
    writeFileSync(file, text);
    const out = await runDump('ssh', ['-G', '-F', file, 'h'], procEnv);
    const line = out.lines.get('rekeylimit')?.[0];
    // Byte counts beyond 2^53 are carried as the nearest double.
    const ssh = out.ok && line !== undefined ? line.replace(/^\d+/, (b) => String(Number(BigInt(b)))) : 'refused';
    return { value, ssh, ours: ours(text) };
  });
  const disagreements = results.filter((r) => r.ssh !== r.ours);
  expect(disagreements).toEqual([]);
  // The table exercises both outcomes.
  expect(results.filter((r) => r.ssh === 'refused').length).toBeGreaterThan(15);
  expect(results.filter((r) => r.ssh !== 'refused').length).toBeGreaterThan(30);
}, 60_000);
