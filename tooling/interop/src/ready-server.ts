/**
 * The start shared by the servers that take a config file and report their port once they
 * listen (the Python peers' python/asyncssh_server.py and paramiko_server.py, the x/crypto peer's
 * `gossh server`; the libssh peer's `server`, with a config file of its own): the config written
 * into the server's directory, the program started, and the port of its `INTEROP-READY <port>` line.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { InteropStartError } from './errors.ts';
import type { KeyPair } from './keys.ts';
import { LOOPBACK } from './ports.ts';
import { type EnvVars, type PeerProcess, startProcess } from './process.ts';
import { withRunningPeer } from './running-peer.ts';
import type { RunningServer } from './target.ts';
import { removeTempDir } from './tmp.ts';

export interface ReadyServerStart<N extends string> {
  /** The process name (logs, errors), and the server's. */
  readonly name: N;
  /** What the start error calls the server ("the Paramiko server"). */
  readonly label: string;
  readonly command: string;
  /** The program's arguments, given its config file's path. */
  readonly args: (configPath: string) => readonly string[];
  /** Its whole environment (beside what every peer process gets). */
  readonly env: EnvVars;
  /** The server's temporary directory (its working directory), removed when it stops or fails to start. */
  readonly dir: string;
  /** The host keys the config makes it serve. */
  readonly hostKeys: readonly KeyPair[];
  /** More of the log than the process's output (a log file it writes), until it stops. */
  readonly extraLog?: (() => string) | undefined;
  /** Written to `dir`/server.json as JSON, unless `writeConfig` is given. */
  readonly config?: unknown;
  /** Instead of `config`: writes the program's own config file(s) into `dir`, returning the path `args` gets. */
  readonly writeConfig?: ((dir: string) => Promise<string>) | undefined;
  readonly startTimeoutMs?: number | undefined;
}

/**
 * Starts the program and waits for its `INTEROP-READY <port>` line. On failure the process is
 * stopped, `dir` removed, and an InteropStartError with the server's output thrown.
 */
export async function startReadyServer<N extends string>(start: ReadyServerStart<N>): Promise<RunningServer & { readonly name: N }> {
  let proc: PeerProcess;
  try {
    let configPath: string;
    if (start.writeConfig === undefined) {
      configPath = join(start.dir, 'server.json');
      await writeFile(configPath, JSON.stringify(start.config), { mode: 0o600 });
    } else {
      configPath = await start.writeConfig(start.dir);
    }
    proc = await startProcess(start.command, start.args(configPath), { name: start.name, env: start.env, cwd: start.dir });
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
