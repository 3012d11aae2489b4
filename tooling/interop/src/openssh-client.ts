/**
 * The OpenSSH client tools (`ssh`, `sftp`, `scp`, `ssh-keygen`, `ssh-add`, `ssh-agent`) with a
 * throwaway HOME. OpenSSH finds `~/.ssh` through the passwd entry, not `$HOME`, so every client
 * run also gets a generated config file passed with `-F` that names the known_hosts file, the
 * identities and the agent explicitly: nothing reads or writes the real `~/.ssh`.
 * @module
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { InteropError } from './errors.ts';
import { type KeyPair, defaultClientKey } from './keys.ts';
import { type EnvVars, type PeerProcess, type RunOptions, type RunResult, runCommand, startProcess } from './process.ts';
import { withRunningPeer } from './running-peer.ts';
import { type SshTarget, knownHostsLines } from './target.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

export const SSH = '/usr/bin/ssh';
export const SFTP = '/usr/bin/sftp';
export const SCP = '/usr/bin/scp';
export const SSH_KEYGEN = '/usr/bin/ssh-keygen';
export const SSH_ADD = '/usr/bin/ssh-add';
export const SSH_AGENT = '/usr/bin/ssh-agent';

/** The Host alias the generated config gives the target. */
export const PEER_ALIAS = 'interop-peer';

/** Anything that names an agent socket: a started agent or a socket path. */
export type AgentRef = { readonly socketPath: string } | string;

export interface OpenSshClientOptions {
  /**
   * Identities offered, in order. Default: the {@link defaultClientKey}, or none when `agent` is
   * given (the agent's keys are then used). `null` or `[]`: no identity files at all.
   */
  readonly identity?: KeyPair | readonly KeyPair[] | null;
  /** Login user; default the target's `user`, else the user running the tests. */
  readonly user?: string;
  /** Agent to use for authentication (`IdentityAgent` and SSH_AUTH_SOCK); default none. */
  readonly agent?: AgentRef;
  /** Log in with this password (through SSH_ASKPASS); turns BatchMode off. */
  readonly password?: string;
  /**
   * ssh_config lines placed before the generated ones (ssh keeps the first value it reads, so
   * they win): `'Ciphers aes256-gcm@openssh.com'`, `'LogLevel DEBUG3'`, ...
   */
  readonly config?: readonly string[];
  /** Default `yes` when the target lists host keys (they are pinned), else `no`. */
  readonly strictHostKeyChecking?: 'yes' | 'no' | 'accept-new';
  /** ssh `ConnectTimeout` in seconds (default 10). */
  readonly connectTimeoutSec?: number;
}

/** Files and arguments for running an OpenSSH client against one target by hand. */
export interface PreparedClient {
  /** The throwaway HOME (holds `.ssh/config`, `.ssh/known_hosts`). */
  readonly home: string;
  readonly configPath: string;
  readonly knownHostsPath: string;
  /** `['-F', configPath]`: put first on any ssh/sftp/scp command line. */
  readonly args: readonly string[];
  /** The Host alias to connect to ({@link PEER_ALIAS}); its HostName, Port and User are set. */
  readonly destination: string;
  /** Environment for the client (HOME, SSH_AUTH_SOCK, askpass variables). */
  readonly env: Readonly<Record<string, string>>;
  /** The generated config text. */
  readonly config: string;
  /** Removes `home`. */
  dispose(): Promise<void>;
}

function identities(options: OpenSshClientOptions): Promise<readonly KeyPair[]> | readonly KeyPair[] {
  const { identity } = options;
  if (identity === null) return [];
  if (identity === undefined) return options.agent === undefined ? defaultClientKey().then((key) => [key]) : [];
  return Array.isArray(identity) ? (identity as readonly KeyPair[]) : [identity as KeyPair];
}

function agentPath(agent: AgentRef | undefined): string | undefined {
  return agent === undefined ? undefined : typeof agent === 'string' ? agent : agent.socketPath;
}

/** Writes a throwaway HOME with a client config for `target`; used by every ssh/sftp/scp helper. */
export async function prepareClient(target: SshTarget, options: OpenSshClientOptions = {}): Promise<PreparedClient> {
  const keys = await identities(options);
  const home = await makeTempDir('client');
  const sshDir = join(home, '.ssh');
  await mkdir(sshDir, { mode: 0o700 });
  const configPath = join(sshDir, 'config');
  const knownHostsPath = join(sshDir, 'known_hosts');
  const pinned = knownHostsLines(target);
  const socket = agentPath(options.agent);
  const env: Record<string, string> = { HOME: home, USER: userInfo().username, LOGNAME: userInfo().username };
  if (socket !== undefined) env['SSH_AUTH_SOCK'] = socket;
  if (options.password !== undefined) {
    const passwordPath = join(sshDir, 'password');
    const askpassPath = join(sshDir, 'askpass');
    await writeFile(passwordPath, `${options.password}\n`, { mode: 0o600 });
    await writeFile(askpassPath, `#!/bin/sh\nexec cat '${passwordPath}'\n`, { mode: 0o700 });
    await chmod(askpassPath, 0o700);
    env['SSH_ASKPASS'] = askpassPath;
    env['SSH_ASKPASS_REQUIRE'] = 'force';
  }
  const strict = options.strictHostKeyChecking ?? (pinned.length > 0 ? 'yes' : 'no');
  const lines = [
    '# Written by @ssh/interop. Options come first: ssh keeps the first value it reads.',
    ...(options.config ?? []),
    '',
    `Host ${PEER_ALIAS}`,
    `  HostName ${target.host}`,
    `  Port ${target.port}`,
    `  User ${options.user ?? target.user ?? userInfo().username}`,
    '',
    'Host *',
    `  UserKnownHostsFile ${knownHostsPath}`,
    '  GlobalKnownHostsFile /dev/null',
    `  StrictHostKeyChecking ${strict}`,
    '  UpdateHostKeys no',
    '  CheckHostIP no',
    '  HashKnownHosts no',
    '  VerifyHostKeyDNS no',
    // With no IdentityFile, ssh would fall back to ~/.ssh/id_* of the passwd home: name a file
    // that does not exist instead.
    ...(keys.length > 0 ? keys.map((key) => `  IdentityFile ${key.privateKeyPath}`) : [`  IdentityFile ${join(sshDir, 'no-identity')}`]),
    // With an agent and no explicit identity, offer the agent's keys (IdentitiesOnly would
    // restrict them to the listed files).
    `  IdentitiesOnly ${socket !== undefined && keys.length === 0 ? 'no' : 'yes'}`,
    `  IdentityAgent ${socket ?? 'none'}`,
    '  AddKeysToAgent no',
    '  PKCS11Provider none',
    `  BatchMode ${options.password === undefined ? 'yes' : 'no'}`,
    `  PasswordAuthentication ${options.password === undefined ? 'no' : 'yes'}`,
    '  KbdInteractiveAuthentication no',
    '  NumberOfPasswordPrompts 1',
    `  ConnectTimeout ${options.connectTimeoutSec ?? 10}`,
    '  ConnectionAttempts 1',
    '  ControlMaster no',
    '  ControlPath none',
    '  ForwardAgent no',
    '  ForwardX11 no',
    '  EscapeChar none',
    '  CanonicalizeHostname no',
    '  LogLevel ERROR',
  ];
  const config = `${lines.join('\n')}\n`;
  await Promise.all([
    writeFile(configPath, config, { mode: 0o600 }),
    writeFile(knownHostsPath, pinned.map((line) => `${line}\n`).join(''), { mode: 0o600 }),
  ]);
  return {
    home,
    configPath,
    knownHostsPath,
    args: ['-F', configPath],
    destination: PEER_ALIAS,
    env,
    config,
    dispose: async () => removeTempDir(home),
  };
}

export interface SshRunOptions extends OpenSshClientOptions, RunOptions {
  /** Extra ssh/sftp/scp flags placed before the destination (`['-v']`, `['-L', '...']`). */
  readonly args?: readonly string[];
  /**
   * A command that starts the client (ssh, sftp or scp): the client's path and arguments are
   * appended to it, and it must exec them. As startSshd's launcher: `unshare -m` with a bind
   * mount gives ssh and its ssh-keysign their own /etc/ssh without touching the machine's.
   */
  readonly launcher?: readonly string[];
}

/** `program args...`, through `launcher` when given. */
function launched(launcher: readonly string[] | undefined, program: string, args: readonly string[]): [string, string[]] {
  const [command, ...rest] = [...(launcher ?? []), program, ...args] as [string, ...string[]];
  return [command, rest];
}

function clientEnv(client: PreparedClient, extra: EnvVars | undefined): EnvVars {
  return { ...client.env, ...extra };
}

function peerLog(target: SshTarget): { name: string; log: string } | undefined {
  return target.log === undefined ? undefined : { name: target.name ?? 'server', log: target.log };
}

/**
 * Runs `ssh <target> <command>`. A string command goes to the remote shell as is; an array is
 * passed as separate arguments (ssh joins them with spaces). An empty command opens a shell.
 */
export async function runSsh(
  target: SshTarget,
  command: string | readonly string[],
  options: SshRunOptions = {},
): Promise<RunResult> {
  const client = await prepareClient(target, options);
  const remote = typeof command === 'string' ? (command === '' ? [] : [command]) : command;
  const [cmd, args] = launched(options.launcher, SSH, [...client.args, ...(options.args ?? []), client.destination, ...remote]);
  return runCommand(cmd, args, { ...options, env: clientEnv(client, options.env) }, {
    name: 'ssh',
    peer: peerLog(target),
    onExit: client.dispose,
  });
}

/** Starts a long-running `ssh` (port forwarding, interactive stdin); stop it with `stop()`. */
export async function startSsh(
  target: SshTarget,
  command: string | readonly string[],
  options: SshRunOptions & { readonly stdin?: 'pipe' | 'ignore' } = {},
): Promise<PeerProcess> {
  const client = await prepareClient(target, options);
  const remote = typeof command === 'string' ? (command === '' ? [] : [command]) : command;
  try {
    const [cmd, args] = launched(options.launcher, SSH, [...client.args, ...(options.args ?? []), client.destination, ...remote]);
    return await startProcess(cmd, args, {
      name: 'ssh',
      env: clientEnv(client, options.env),
      stdin: options.stdin ?? 'pipe',
      onExit: client.dispose,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  } catch (error) {
    await client.dispose();
    throw error;
  }
}

/**
 * Runs `sftp -b -` with `batch` (one command per line, or an array of lines) on stdin. As with
 * any batch mode, a failing command ends the run with a non-zero exit unless prefixed with `-`.
 * sftp's batch mode forces BatchMode, so password logins do not work here.
 */
export async function runSftp(target: SshTarget, batch: string | readonly string[], options: SshRunOptions = {}): Promise<RunResult> {
  const client = await prepareClient(target, options);
  const input = typeof batch === 'string' ? batch : `${batch.join('\n')}\n`;
  const [cmd, args] = launched(options.launcher, SFTP, [...client.args, '-b', '-', ...(options.args ?? []), client.destination]);
  return runCommand(cmd, args, { ...options, input, env: clientEnv(client, options.env) }, {
    name: 'sftp',
    peer: peerLog(target),
    onExit: client.dispose,
  });
}

export interface SftpDirectOptions extends RunOptions {
  /** Extra sftp flags (`['-q']`, `['-R', '4']`, ...). */
  readonly args?: readonly string[];
}

/**
 * Runs `sftp -b - -D <serverCommand>`: OpenSSH's sftp client speaking straight to a local SFTP
 * server program over its stdin/stdout, no ssh involved. sftp splits `serverCommand` into words
 * on whitespace (`'/usr/lib/openssh/sftp-server -e -l DEBUG3'`); for anything fancier, point it
 * at a launcher script. Runs with a throwaway HOME.
 */
export async function runSftpDirect(serverCommand: string, batch: string | readonly string[], options: SftpDirectOptions = {}): Promise<RunResult> {
  const input = typeof batch === 'string' ? batch : `${batch.join('\n')}\n`;
  return runWithHome(SFTP, ['-b', '-', ...(options.args ?? []), '-D', serverCommand], { ...options, input }, {});
}

/** An scp operand: a local path, or `{ remote: path }` on the target. */
export type ScpPath = string | { readonly remote: string };

export interface ScpRunOptions extends SshRunOptions {
  /** Use the legacy SCP protocol (`-O`) instead of SFTP (the default of OpenSSH 9). */
  readonly legacy?: boolean;
}

/** Runs `scp [-O] <sources...> <destination>` where remote operands are on `target`. */
export async function runScp(
  target: SshTarget,
  sources: ScpPath | readonly ScpPath[],
  destination: ScpPath,
  options: ScpRunOptions = {},
): Promise<RunResult> {
  const client = await prepareClient(target, options);
  const render = (path: ScpPath): string => (typeof path === 'string' ? path : `${client.destination}:${path.remote}`);
  const list: readonly ScpPath[] = typeof sources === 'string' || !Array.isArray(sources) ? [sources as ScpPath] : (sources as readonly ScpPath[]);
  const [cmd, args] = launched(options.launcher, SCP, [...client.args, ...(options.legacy === true ? ['-O'] : []), ...(options.args ?? []), ...list.map(render), render(destination)]);
  return runCommand(cmd, args, { ...options, env: clientEnv(client, options.env) }, {
    name: 'scp',
    peer: peerLog(target),
    onExit: client.dispose,
  });
}

/** Runs a tool with a fresh throwaway HOME, removed afterwards. */
async function runWithHome(command: string, args: readonly string[], options: RunOptions, extraEnv: EnvVars): Promise<RunResult> {
  const home = await makeTempDir('home');
  return runCommand(command, args, { ...options, env: { HOME: home, ...extraEnv, ...options.env } }, {
    onExit: async () => removeTempDir(home),
  });
}

/** Runs `ssh-keygen <args>` with a throwaway HOME (pass explicit `-f` paths). */
export async function runSshKeygen(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runWithHome(SSH_KEYGEN, args, options, {});
}

/** Runs `ssh-add <args>` against `agent` with a throwaway HOME. */
export async function runSshAdd(args: readonly string[], options: RunOptions & { readonly agent: AgentRef }): Promise<RunResult> {
  const socket = agentPath(options.agent);
  if (socket === undefined) throw new InteropError('runSshAdd needs an agent');
  return runWithHome(SSH_ADD, args, options, { SSH_AUTH_SOCK: socket });
}

/** A running `ssh-agent`. */
export interface SshAgent {
  /** The agent's socket: the value of SSH_AUTH_SOCK. */
  readonly socketPath: string;
  readonly pid: number;
  /** `{ SSH_AUTH_SOCK }`, to spread into a child's environment. */
  readonly env: Readonly<Record<'SSH_AUTH_SOCK', string>>;
  readonly process: PeerProcess;
  readonly log: string;
  /** Kills the agent by PID and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface SshAgentOptions {
  /** Extra ssh-agent flags (`['-t', '60']`, `['-O', 'no-restrict-websafe']`, ...). */
  readonly args?: readonly string[];
  /** Bound on the readiness wait (default 20 s). */
  readonly startTimeoutMs?: number;
  /** More environment for the agent (and the ssh-sk-helper / ssh-pkcs11-helper it starts). */
  readonly env?: EnvVars;
}

/** Starts `ssh-agent -D -a <tmp socket>` and waits until it listens. */
export async function startSshAgent(options: SshAgentOptions = {}): Promise<SshAgent> {
  const dir = await makeTempDir('agent');
  const socketPath = join(dir, 'agent.sock');
  let proc: PeerProcess;
  try {
    proc = await startProcess(SSH_AGENT, ['-D', '-a', socketPath, ...(options.args ?? [])], { name: 'ssh-agent', env: { ...options.env, HOME: dir } });
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  try {
    await proc.waitForOutput(/SSH_AUTH_SOCK=/, { stream: 'stdout', timeoutMs: options.startTimeoutMs ?? 20_000 });
  } catch (error) {
    await proc.stop();
    await removeTempDir(dir);
    throw error;
  }
  return withRunningPeer({ socketPath, env: { SSH_AUTH_SOCK: socketPath } }, proc, dir);
}
