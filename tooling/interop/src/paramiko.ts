/**
 * Paramiko (Debian's python3-paramiko, through /usr/bin/python3) as a peer: an SSH and SFTP
 * server of its own (python/paramiko_server.py) and client snippets run against any target
 * (python/paramiko_client.py). Paramiko is an implementation independent of OpenSSH and AsyncSSH.
 * @module
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON_START_MARGIN_MS, type Json } from './asyncssh.ts';
import { type KeyPair, defaultClientKey, hostKeys as makeHostKeys } from './keys.ts';
import { PYTHON, type RunOptions, type RunResult, runCommand } from './process.ts';
import { pythonEnv, startPythonServer } from './python-server.ts';
import type { AuthorizedKey } from './sshd.ts';
import { type RunningServer, type ServerBaseOptions, type SshTarget, knownHostsLines } from './target.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

const SERVER_SCRIPT = fileURLToPath(new URL('./python/paramiko_server.py', import.meta.url));
const CLIENT_SCRIPT = fileURLToPath(new URL('./python/paramiko_client.py', import.meta.url));

/** The key exchanges Paramiko 2.12 (Debian 12's) offers, by the names it knows them. */
export const PARAMIKO_KEX: readonly string[] = [
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha1',
];

export interface ParamikoServerOptions extends ServerBaseOptions {
  /** Accept these user/password pairs. */
  readonly passwords?: Readonly<Record<string, string>>;
  /** Write paramiko's DEBUG log into the server's `log` (default: warnings only). */
  readonly debug?: boolean;
}

/** A running Paramiko server (see python/paramiko_server.py for its canned commands). */
export interface ParamikoServer extends RunningServer {
  readonly name: 'paramiko-server';
  /** The directory SFTP serves; clients see it as `/`. */
  readonly root: string;
  /** The server's stderr and stdout so far (and paramiko's DEBUG log with `debug`). */
  readonly log: string;
}

function authorizedLines(keys: readonly AuthorizedKey[]): string[] {
  return keys.map((key) => (typeof key === 'string' ? key : key.publicKey));
}

/** Starts a Paramiko server on a free port of 127.0.0.1 (it binds port 0 and reports the port). */
export async function startParamikoServer(options: ParamikoServerOptions = {}): Promise<ParamikoServer> {
  const [keys, authorized] = await Promise.all([
    options.hostKeys ?? makeHostKeys(options.hostKeyTypes ?? ['ed25519', 'ecdsa-p256', 'rsa']),
    options.authorizedKeys ?? defaultClientKey().then((key) => [key]),
  ]);
  const dir = await makeTempDir('paramiko-server');
  const root = join(dir, 'root');
  const logFile = join(dir, 'paramiko.log');
  try {
    await mkdir(root);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const server = await startPythonServer({
    name: 'paramiko-server',
    label: 'the Paramiko server',
    script: SERVER_SCRIPT,
    dir,
    hostKeys: keys,
    config: {
      hostKeys: keys.map((key) => key.privateKeyPath),
      authorizedKeys: authorizedLines(authorized),
      passwords: options.passwords ?? null,
      root,
      logFile: options.debug === true ? logFile : null,
    },
    env: options.env,
    startTimeoutMs: options.startTimeoutMs,
    extraLog: options.debug === true ? () => readLogFile(logFile) : undefined,
  });
  return Object.assign(server, { root });
}

/** paramiko's DEBUG log so far; empty before it is written. */
function readLogFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface ParamikoClientOptions extends RunOptions {
  /** Server to connect to; `client` is `None` in the snippet without one (or with `undefined`). */
  readonly target?: SshTarget | undefined;
  /** Default: the target's user, else the test runner's. */
  readonly username?: string;
  /** Client keys (`key_filename`). Default: the {@link defaultClientKey}; `null` for none. */
  readonly identity?: KeyPair | readonly KeyPair[] | null;
  readonly password?: string;
  /** Python expression giving a dict of extra `SSHClient.connect()` arguments: `"dict(disabled_algorithms={...})"`. */
  readonly connectOptions?: string;
  /** JSON value available to the snippet as `params`. */
  readonly params?: Json;
  /**
   * Check the server against the target's `hostPublicKeys` through a known_hosts file and
   * paramiko's RejectPolicy (default: when it lists any). `false` accepts any host key.
   */
  readonly verifyHostKeys?: boolean;
  /** Write paramiko's DEBUG log to stderr of the result (through a file read afterwards). */
  readonly debug?: boolean;
}

/** A finished Paramiko client run. */
export interface ParamikoClientResult extends RunResult {
  /** The snippet's `result` variable, through JSON (non-JSON values as their `repr`). */
  readonly result: unknown;
  /** paramiko's DEBUG log, with `debug`. */
  readonly debugLog: string;
}

/**
 * Runs a Paramiko client snippet: module-level Python with `client` (a paramiko.SSHClient
 * connected to `options.target`, or `None`), `transport`, `sftp_open()`, `params`, `paramiko`,
 * `hashlib`, `os`, `socket`, `time` and `threading` in scope; print what you want to see, or set
 * `result` to return a JSON value. The snippet is bounded by `timeoutMs` inside Python (exit 124)
 * and the process by the same bound plus {@link PYTHON_START_MARGIN_MS}.
 */
export async function runParamikoClient(snippet: string, options: ParamikoClientOptions = {}): Promise<ParamikoClientResult> {
  const identity = options.identity === undefined ? [await defaultClientKey()] : options.identity;
  const keyFiles = identity === null ? [] : (Array.isArray(identity) ? (identity as readonly KeyPair[]) : [identity as KeyPair]).map((key) => key.privateKeyPath);
  const dir = await makeTempDir('paramiko-client');
  const timeoutMs = options.timeoutMs ?? 20_000;
  const resultPath = join(dir, 'result.json');
  const configPath = join(dir, 'client.json');
  const logFile = join(dir, 'paramiko.log');
  const target = options.target;
  let knownHosts: string | null = null;
  if (target !== undefined && (options.verifyHostKeys ?? knownHostsLines(target).length > 0)) {
    knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, knownHostsLines(target).map((line) => `${line}\n`).join(''), { mode: 0o600 });
  }
  await writeFile(
    configPath,
    JSON.stringify({
      target:
        target === undefined
          ? null
          : { host: target.host, port: target.port, username: options.username ?? target.user ?? userInfo().username, knownHosts },
      keyFiles,
      password: options.password ?? null,
      connectOptions: options.connectOptions ?? null,
      params: options.params ?? null,
      snippet,
      timeout: timeoutMs / 1000,
      resultPath,
      logFile: options.debug === true ? logFile : null,
    }),
    { mode: 0o600 },
  );
  try {
    const result = await runCommand(
      PYTHON,
      ['-u', '-B', CLIENT_SCRIPT, configPath],
      { ...options, timeoutMs: timeoutMs + PYTHON_START_MARGIN_MS, env: pythonEnv(dir, options.env), cwd: options.cwd ?? dir },
      { name: 'paramiko-client', peer: target?.log === undefined ? undefined : { name: target.name ?? 'server', log: target.log } },
    );
    const value: unknown = await readFile(resultPath, 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => undefined,
    );
    const debugLog = options.debug === true ? await readFile(logFile, 'utf8').catch(() => '') : '';
    return { ...result, result: value, debugLog };
  } finally {
    await removeTempDir(dir);
  }
}
