/** Runs test/helpers/asyncssh_keys.py under /usr/bin/python3 (AsyncSSH 2.10): one process for a list of requests. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, 'asyncssh_keys.py');

export function asyncssh<T>(requests: readonly unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-W', 'ignore', SCRIPT], { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`asyncssh helper failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as T[]);
    });
    child.stdin?.end(JSON.stringify(requests));
  });
}
