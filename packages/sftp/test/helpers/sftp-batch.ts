/** Runs OpenSSH's sftp in batch mode against our server launched through `sftp -D`. */
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');
const tsx = join(repoRoot, 'node_modules/.bin/tsx');
const launcherScript = join(here, 'serve-stdio.ts');

/** Writes a shell launcher in `workDir` that runs our server on `args`; returns its path. */
export function writeLauncher(workDir: string, args: readonly string[]): string {
  const file = join(workDir, 'launch-sftp-server.sh');
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(file, `#!/bin/sh\nexec '${tsx}' --conditions=@ssh/source '${launcherScript}' ${quoted}\n`);
  chmodSync(file, 0o755);
  return file;
}

export interface BatchResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `sftp -b - [args] -D launcher` with `commands` on stdin, run in `cwd`; killed after `timeoutMs`. */
export function sftpBatch(launcher: string, commands: readonly string[], cwd: string, timeoutMs = 50000, args: readonly string[] = []): Promise<BatchResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sftp', ['-q', '-b', '-', ...args, '-D', launcher], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(`${commands.join('\n')}\n`);
  });
}
