/**
 * Throwaway directories. Everything the harness writes lives under one per-process root in the
 * system temp directory, removed when the process exits; each peer and each client run gets its
 * own sub-directory, removed when it stops.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit.ts';
import { PYTHON, WATCHDOG, cleanEnv } from './process.ts';

let root: string | undefined;

/** The per-process root (`$TMPDIR/ssh-interop-<pid>-XXXXXX`, mode 0700), created on first use. */
export function tempRoot(): string {
  if (root === undefined) {
    const created = mkdtempSync(join(tmpdir(), `ssh-interop-${process.pid}-`));
    root = created;
    onProcessExit(() => {
      rmSync(created, { recursive: true, force: true });
    }, 'last');
    startJanitor(created);
  }
  return root;
}

/** A fresh directory (mode 0700) under the per-process root. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tempRoot(), `${prefix}-`));
}

/** Removes a directory made by {@link makeTempDir}; never throws. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
}

/**
 * Exit hooks do not run when the process is killed (vitest ends its workers with a signal), so a
 * janitor watchdog, holding a lifeline to us like every peer's, removes the root when we are gone.
 */
function startJanitor(dir: string): void {
  const janitor = spawn(PYTHON, ['-S', '-E', '-B', WATCHDOG, '--cleanup', dir, '1000', '--', '/bin/sleep', 'infinity'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: cleanEnv(),
  });
  janitor.on('error', () => undefined);
  janitor.unref();
  const lifeline = janitor.stdio[3] as { unref?: () => void; on(event: 'error', listener: () => void): unknown } | null;
  lifeline?.on('error', () => undefined);
  lifeline?.unref?.();
}
