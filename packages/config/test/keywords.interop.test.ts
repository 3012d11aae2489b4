/**
 * The keyword tables against OpenSSH 9.2: every ssh_config keyword we recognise is one ssh
 * recognises (so "Bad configuration option" means the same on both sides). ssh reports every bad
 * line of a file before giving up, so one run checks them all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { CLIENT_KEYWORDS } from '../src/index.ts';
import { runDump } from './helpers/openssh.ts';

const VALID: Record<string, string> = { permitremoteopen: 'any' };

/** Keywords newer than OpenSSH 9.2 that we accept on purpose. */
const NEWER = new Set(['tag']);

test('ssh 9.2 knows every ssh_config keyword in CLIENT_KEYWORDS, and refuses a made-up one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-kw-'));
  try {
    const names = [...CLIENT_KEYWORDS.keys()].filter((k) => !NEWER.has(k));
    const file = join(dir, 'config');
    // Values ssh treats as fatal (it stops reading) get a valid value; the rest get "x".
    const value = (k: string): string => VALID[k] ?? 'x';
    writeFileSync(file, `madeupkeyword x\n${names.map((k) => `${k} ${value(k)}`).join('\n')}\nlastmadeup x\n`);
    const out = await runDump('ssh', ['-G', '-F', file, 'h'], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir });
    const unknown = [...out.stderr.matchAll(/Bad configuration option: (\S+)/g)].map((m) => m[1]);
    expect(unknown).toEqual(['madeupkeyword', 'lastmadeup']);
    expect(names.length).toBeGreaterThan(100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
