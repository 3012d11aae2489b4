/**
 * Starts one of this directory's server scripts in a process of its own, so that a server under
 * test never shares an event loop with the clients that load it (as sshd does not). The script
 * prints its port as the first line on stdout and serves until its stdin closes.
 * @module
 */

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ServerProcess {
  readonly port: number;
  /** Closes the server's stdin and waits for it to exit (killed after 5 s). */
  stop(): Promise<void>;
}

/** Runs `script` (a file in src/peers) with `args` under node with our sources loaded by tsx. */
export function startServerProcess(script: string, args: readonly string[]): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@ssh/source', '--import', 'tsx', path.join(here, script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: path.join(here, '../..'),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`bench: ${script} did not start: ${err.trim()}`));
    }, 30_000);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^(\d+)\n/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${script} exited (${code}): ${err.trim()}`));
    });
  });
}
