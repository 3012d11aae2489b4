/**
 * AsyncSSH (Debian's python3-asyncssh, through /usr/bin/python3) as a peer: a server whose
 * behaviour is a Python snippet, and client snippets run against any target.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HOST_KEY_TYPES, type KeyPair, defaultClientKey, hostKeys as makeHostKeys } from './keys.ts';
import type { AgentRef } from './openssh-client.ts';
import { PYTHON, type RunOptions, type RunResult, runCommand } from './process.ts';
import { pythonEnv, startPythonServer } from './python-server.ts';
import { authorizedKeysText } from './sshd.ts';
import { type RunningServer, type ServerBaseOptions, type SshTarget, knownHostsLines } from './target.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

const SERVER_SCRIPT = fileURLToPath(new URL('./python/asyncssh_server.py', import.meta.url));
const CLIENT_SCRIPT = fileURLToPath(new URL('./python/asyncssh_client.py', import.meta.url));

/** Time allowed on top of a snippet's timeout for Python to start and import AsyncSSH (slow on a loaded machine). */
export const PYTHON_START_MARGIN_MS = 15_000;

/** Any JSON value (handed to Python snippets as `params`). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export type PythonLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export interface AsyncsshServerOptions extends ServerBaseOptions {
  /**
   * Python run before listening, at module level (top-level `await` allowed), with `asyncssh`,
   * `asyncio`, `params` and `run_command` (the default process handler) in scope. It may define
   * `process_factory`, `session_factory`, `server_factory`, `sftp_factory`, `acceptor`, and
   * `server_options` (extra `asyncssh.listen()` keyword arguments, applied last). By default,
   * exec requests run their command with /bin/sh and shell requests echo stdin.
   */
  readonly script?: string;
  /** Accept these user/password pairs (ignored if the script defines `server_factory`). */
  readonly passwords?: Readonly<Record<string, string>>;
  /** Serve SFTP (AsyncSSH's default SFTPServer, no chroot). */
  readonly sftp?: boolean;
  /** JSON value available to the script as `params`. */
  readonly params?: Json;
  /** Python logging level for the server log (default INFO). */
  readonly logLevel?: PythonLogLevel;
}

/** A running AsyncSSH server. */
export interface AsyncsshServer extends RunningServer {
  readonly name: 'asyncssh-server';
  /** The server's stderr (Python logging and tracebacks) and stdout so far. */
  readonly log: string;
}

/** Starts an AsyncSSH server on a free port of 127.0.0.1 (it binds port 0 and reports the port). */
export async function startAsyncsshServer(options: AsyncsshServerOptions = {}): Promise<AsyncsshServer> {
  const [keys, authorized] = await Promise.all([
    options.hostKeys ?? makeHostKeys(options.hostKeyTypes ?? DEFAULT_HOST_KEY_TYPES),
    options.authorizedKeys ?? defaultClientKey().then((key) => [key]),
  ]);
  const dir = await makeTempDir('asyncssh-server');
  const authorizedKeysPath = join(dir, 'authorized_keys');
  try {
    await writeFile(authorizedKeysPath, authorizedKeysText(authorized), { mode: 0o600 });
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  return startPythonServer({
    name: 'asyncssh-server',
    label: 'the AsyncSSH server',
    script: SERVER_SCRIPT,
    dir,
    hostKeys: keys,
    config: {
      hostKeys: keys.map((key) => key.privateKeyPath),
      authorizedKeys: authorized.length > 0 ? authorizedKeysPath : null,
      passwords: options.passwords ?? null,
      sftp: options.sftp ?? false,
      logLevel: options.logLevel ?? 'INFO',
      params: options.params ?? null,
      snippet: options.script ?? '',
    },
    env: options.env,
    startTimeoutMs: options.startTimeoutMs,
  });
}

export interface AsyncsshClientOptions extends RunOptions {
  /** Server to connect to; `conn` is `None` in the snippet without one. */
  readonly target?: SshTarget;
  /** Default: the target's user, else the test runner's. */
  readonly username?: string;
  /**
   * Client keys. Default: the {@link defaultClientKey}, or AsyncSSH's own choice (the agent) when
   * `agent` is given. `null` disables public key authentication.
   */
  readonly identity?: KeyPair | readonly KeyPair[] | null;
  readonly password?: string;
  /** Agent for authentication; default none. */
  readonly agent?: AgentRef;
  /** Python expression giving a dict of extra `asyncssh.connect()` arguments: `"dict(kex_algs=['curve25519-sha256'])"`. */
  readonly connectOptions?: string;
  /** JSON value available to the snippet as `params`. */
  readonly params?: Json;
  /** Verify the server against the target's `hostPublicKeys` (default: when it lists any). */
  readonly verifyHostKeys?: boolean;
}

/** A finished AsyncSSH client run. */
export interface AsyncsshClientResult extends RunResult {
  /** The snippet's `result` variable, through JSON (non-JSON values as their `repr`). */
  readonly result: unknown;
}

function clientKeys(options: AsyncsshClientOptions): Promise<string[] | null | 'default'> | string[] | null | 'default' {
  const { identity } = options;
  if (identity === null) return null;
  if (identity === undefined) {
    return options.agent === undefined ? defaultClientKey().then((key) => [key.privateKeyPath]) : 'default';
  }
  const list: readonly KeyPair[] = Array.isArray(identity) ? (identity as readonly KeyPair[]) : [identity as KeyPair];
  return list.map((key) => key.privateKeyPath);
}

/**
 * Runs an AsyncSSH client snippet: module-level Python (top-level `await` allowed) with `conn`
 * (connected to `options.target`, or `None`), `params`, `asyncssh` and `asyncio` in scope; print
 * what you want to see, or set `result` to return a JSON value. The snippet is bounded by
 * `timeoutMs` inside Python (exit 124, counted once AsyncSSH is imported) and the process by the
 * same bound plus {@link PYTHON_START_MARGIN_MS} for the interpreter to start.
 */
export async function runAsyncsshClient(snippet: string, options: AsyncsshClientOptions = {}): Promise<AsyncsshClientResult> {
  const keys = await clientKeys(options);
  const dir = await makeTempDir('asyncssh-client');
  const timeoutMs = options.timeoutMs ?? 20_000;
  const resultPath = join(dir, 'result.json');
  const configPath = join(dir, 'client.json');
  const target = options.target;
  let knownHosts: string | null = null;
  if (target !== undefined && (options.verifyHostKeys ?? knownHostsLines(target).length > 0)) {
    knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, knownHostsLines(target).map((line) => `${line}\n`).join(''), { mode: 0o600 });
  }
  const agent = options.agent;
  await writeFile(
    configPath,
    JSON.stringify({
      target:
        target === undefined
          ? null
          : { host: target.host, port: target.port, username: options.username ?? target.user ?? userInfo().username, knownHosts },
      clientKeys: keys,
      password: options.password ?? null,
      agentPath: agent === undefined ? null : typeof agent === 'string' ? agent : agent.socketPath,
      connectOptions: options.connectOptions ?? null,
      params: options.params ?? null,
      snippet,
      timeout: timeoutMs / 1000,
      resultPath,
    }),
    { mode: 0o600 },
  );
  let result: RunResult;
  try {
    result = await runCommand(
      PYTHON,
      ['-u', '-B', CLIENT_SCRIPT, configPath],
      { ...options, timeoutMs: timeoutMs + PYTHON_START_MARGIN_MS, env: pythonEnv(dir, options.env), cwd: options.cwd ?? dir },
      { name: 'asyncssh-client', peer: target?.log === undefined ? undefined : { name: target.name ?? 'server', log: target.log } },
    );
    const value: unknown = await readFile(resultPath, 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => undefined,
    );
    return { ...result, result: value };
  } finally {
    await removeTempDir(dir);
  }
}
