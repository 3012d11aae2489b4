/**
 * The start shared by the Python peers' servers (python/asyncssh_server.py, paramiko_server.py):
 * the script run with /usr/bin/python3 through {@link startReadyServer} (a JSON config written
 * into the server's directory, the port it reports once it listens).
 * @module
 */
import { type EnvVars, PYTHON } from './process.ts';
import { type ReadyServerStart, startReadyServer } from './ready-server.ts';
import type { RunningServer } from './target.ts';

/** The environment of a Python peer whose home is `home`: no bytecode files, unbuffered output. */
export function pythonEnv(home: string, extra: EnvVars | undefined): EnvVars {
  return { HOME: home, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra };
}

/** What {@link startReadyServer} takes, with a Python `script` for the program and extra `env` beside the Python peers' own. */
export interface PythonServerStart<N extends string> extends Omit<ReadyServerStart<N>, 'command' | 'args' | 'env'> {
  readonly script: string;
  readonly env?: EnvVars | undefined;
}

/**
 * Starts `script` and waits for its `INTEROP-READY <port>` line. On failure the process is stopped,
 * `dir` removed, and an InteropStartError with the server's output thrown.
 */
export async function startPythonServer<N extends string>(start: PythonServerStart<N>): Promise<RunningServer & { readonly name: N }> {
  const { script, env, ...rest } = start;
  return startReadyServer({ ...rest, command: PYTHON, args: (configPath) => ['-u', '-B', script, configPath], env: pythonEnv(start.dir, env) });
}
