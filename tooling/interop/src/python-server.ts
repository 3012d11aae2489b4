/**
 * The start shared by the Python peers' servers (python/asyncssh_server.py, paramiko_server.py):
 * a JSON config written into the server's directory, the script run with /usr/bin/python3, and
 * the port it reports once it listens.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { InteropStartError } from './errors.ts';
import type { KeyPair } from './keys.ts';
import { LOOPBACK } from './ports.ts';
import { type EnvVars, type PeerProcess, PYTHON, startProcess } from './process.ts';
import { withRunningPeer } from './running-peer.ts';
import type { RunningServer } from './target.ts';
import { removeTempDir } from './tmp.ts';

/** The environment of a Python peer whose home is `home`: no bytecode files, unbuffered output. */
export function pythonEnv(home: string, extra: EnvVars | undefined): EnvVars {
  return { HOME: home, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra };
}

export interface PythonServerStart<N extends string> {
  /** The process name (logs, errors), and the server's. */
  readonly name: N;
  /** What the start error calls the server ("the Paramiko server"). */
  readonly label: string;
  readonly script: string;
  /** The server's temporary directory, removed when it stops or fails to start. */
  readonly dir: string;
  /** The host keys the config makes it serve. */
  readonly hostKeys: readonly KeyPair[];
  /** More of the log than the process's output (a log file it writes), until it stops. */
  readonly extraLog?: (() => string) | undefined;
  /** Written to `dir`/server.json, which the script gets as its argument. */
  readonly config: unknown;
  readonly env?: EnvVars | undefined;
  readonly startTimeoutMs?: number | undefined;
}

/**
 * Starts `script` and waits for its `INTEROP-READY <port>` line. On failure the process is stopped,
 * `dir` removed, and an InteropStartError with the server's output thrown.
 */
export async function startPythonServer<N extends string>(start: PythonServerStart<N>): Promise<RunningServer & { readonly name: N }> {
  let proc: PeerProcess;
  try {
    const configPath = join(start.dir, 'server.json');
    await writeFile(configPath, JSON.stringify(start.config), { mode: 0o600 });
    proc = await startProcess(PYTHON, ['-u', '-B', start.script, configPath], { name: start.name, env: pythonEnv(start.dir, start.env), cwd: start.dir });
  } catch (error) {
    await removeTempDir(start.dir);
    throw error;
  }
  let port: number;
  try {
    const match = await proc.waitForOutput(/INTEROP-READY (\d+)\n/, { stream: 'stdout', timeoutMs: start.startTimeoutMs ?? 20_000 });
    port = Number(match[1]);
  } catch (error) {
    await proc.stop();
    await removeTempDir(start.dir);
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new InteropStartError(`${start.label} did not start (${reason})`, proc.output(), { cause: error });
  }
  const { dir, hostKeys } = start;
  return withRunningPeer(
    { name: start.name, host: LOOPBACK, port, user: userInfo().username, hostKeys, hostPublicKeys: hostKeys.map((key) => key.publicKey), dir },
    proc,
    dir,
    start.extraLog,
  );
}
