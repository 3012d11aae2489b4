/** Runs a Python peer script through Debian's interpreter and parses its JSON answer. @module */

import { spawnSync } from 'node:child_process';

/** The interpreter that has Debian's python3-asyncssh; the `python3` on PATH may be another. */
export const PYTHON = '/usr/bin/python3';

export type PythonResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs `script` with `args`; the script prints one JSON document on stdout. */
export function runPythonJson<T>(script: string, args: readonly string[] = [], timeoutMs = 120_000): PythonResult<T> {
  const proc = spawnSync(PYTHON, ['-W', 'ignore', script, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (proc.error) return { ok: false, error: proc.error.message };
  if (proc.status !== 0) return { ok: false, error: (proc.stderr || `exit ${proc.status}`).trim().split('\n').slice(-3).join(' ') };
  try {
    return { ok: true, value: JSON.parse(proc.stdout) as T };
  } catch {
    return { ok: false, error: `unreadable peer output: ${proc.stdout.slice(0, 200)}` };
  }
}
