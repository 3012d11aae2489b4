/**
 * Runs the async functions one module exports in a node process of its own, for in-process
 * clients (ours, ssh2) timed in rounds that alternate with OpenSSH's client processes.
 *
 * Node 20 starts a child process by fork() (libuv 1.46): every page of the parent is made
 * copy-on-write, and the parent's next write to each page takes a fault. A client that had
 * just spawned `ssh` paid 10,000 to 20,000 of them in its next 1 GiB stream, at about 14 µs each
 * on the development VM: a tenth or more of the round, charged to whichever in-process client
 * ran after OpenSSH's. `ssh` itself, a fresh process, pays none. The bench process spawns the
 * peers; a runner never spawns anything, so its clients are timed as they run anywhere else.
 * @module
 */

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What a runner's module exports: async functions whose arguments and results survive structured clone. */
type Tasks = Record<string, (...args: never[]) => Promise<unknown>>;

export interface Runner<M extends Tasks> {
  /** Calls the module's export `name` in the runner's process. */
  call<K extends keyof M & string>(name: K, ...args: Parameters<M[K]>): Promise<Awaited<ReturnType<M[K]>>>;
  /** Ends the process (killed after 5 s); calls still running reject. */
  stop(): Promise<void>;
}

/** A message from the runner's process. */
type Reply = { readonly ready: true } | { readonly id: number; readonly value?: unknown; readonly error?: string };

const START_TIMEOUT_MS = 30_000;
const STDERR_KEPT = 2048;

/**
 * Starts a runner of `module` (a file path). It loads our packages as this process does: their
 * sources under vitest, their built dist under the bench CLI.
 */
export function startRunner<M extends Tasks>(module: string): Promise<Runner<M>> {
  const conditions = process.env['VITEST'] === undefined ? [] : ['--conditions=@ssh/source'];
  const child: ChildProcess = fork(path.join(here, 'runner-child.ts'), [module], {
    execArgv: [...conditions, '--import', 'tsx'],
    cwd: path.join(here, '../..'),
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let exitError: Error | undefined;
  // What the process said last on stderr, for the error when it ends unasked.
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_KEPT)));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', kill);
      const said = stderr.trim();
      exitError = new Error(`bench runner for ${path.basename(module)} exited (${signal ?? code})${said === '' ? '' : `: ${said}`}`);
      for (const call of pending.values()) call.reject(exitError);
      pending.clear();
      resolve();
    }),
  );
  const runner: Runner<M> = {
    call(name, ...args) {
      if (exitError !== undefined) return Promise.reject(exitError);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, name, args });
      });
    },
    async stop() {
      if (child.connected) child.disconnect();
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void runner.stop();
      reject(new Error(`bench runner for ${path.basename(module)} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    void exited.then(() => {
      clearTimeout(timer);
      reject(exitError);
    });
    child.on('message', (message: Reply) => {
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(runner);
        return;
      }
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.error === undefined) call?.resolve(message.value);
      else call?.reject(new Error(message.error));
    });
  });
}
