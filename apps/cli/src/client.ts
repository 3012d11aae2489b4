/**
 * How every program of the package connects: like ssh, with the user's ~/.ssh/config (and
 * /etc/ssh/ssh_config), agent, default keys and known_hosts, plus the command line's port,
 * identity files and `-o` options; and how a failure is told in one line.
 * @module
 */

import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DisconnectError, connect, setLogLevel, setLogSink, type SSHClientConnection, type SSHClientConnectionOptions } from '@ssh/asyncssh';
import type { Destination } from './destination.ts';
import { UsageError, parsePort, type Parsed } from './getopt.ts';
import { printable, printableLines } from './printable.ts';
import { securityKeyPrompts } from './security-key-prompts.ts';

/** What the command line says about connecting, beyond the destination. */
export interface ClientArgs {
  readonly port?: number;
  /** `-i` files, in order: when given, the only keys tried (not the agent's nor ~/.ssh/id_*, as AsyncSSH's client_keys). */
  readonly identities: readonly string[];
  /** `-o` options, ssh_config lines (`Keyword=value` or `Keyword value`), winning over the files. */
  readonly sshOptions: readonly string[];
  /** `-F`: the only config file read (instead of ~/.ssh/config and /etc/ssh/ssh_config); `none` for none. */
  readonly configFile?: string;
  /** How many `-v`. */
  readonly verbose: number;
}

/** The client arguments from parsed options, with the port option's letter (`p` for ssh, `P` for scp/sftp). */
export function clientArgs(parsed: Parsed, portLetter: string): ClientArgs {
  const port = parsed.options.get(portLetter)?.at(-1);
  const configFile = parsed.options.get('F')?.at(-1);
  const jump = parsed.options.get('J')?.at(-1);
  return {
    ...(port !== undefined ? { port: parsePort(port) } : {}),
    identities: parsed.options.get('i') ?? [],
    // -J is ProxyJump given on the command line, as ssh reads it (ahead of the files).
    sshOptions: [...(jump !== undefined ? [`ProxyJump ${jump}`] : []), ...(parsed.options.get('o') ?? [])],
    ...(configFile !== undefined ? { configFile } : {}),
    verbose: parsed.options.get('v')?.length ?? 0,
  };
}

/** The config files to read, in order: the command line's options, then -F's file or the user's and the system's. */
function configFiles(args: ClientArgs, optionsFile: string | undefined): readonly string[] | null | undefined {
  if (args.configFile !== undefined && args.configFile !== 'none' && !existsSync(args.configFile)) {
    throw new UsageError(`cannot read config file ${JSON.stringify(args.configFile)}`);
  }
  if (optionsFile === undefined && args.configFile === undefined) return undefined; // the library's defaults
  const files =
    args.configFile === undefined
      ? [path.join(homedir(), '.ssh', 'config'), '/etc/ssh/ssh_config'].filter((f) => existsSync(f))
      : args.configFile === 'none'
        ? []
        : [args.configFile];
  const all = optionsFile === undefined ? files : [optionsFile, ...files];
  return all.length === 0 ? null : all;
}

/** Connect timeout in seconds: $SSH_RUN_CONNECT_TIMEOUT, else 30 (ssh_config's ConnectTimeout wins over neither: explicit options do). */
function connectTimeout(): string | number {
  return process.env['SSH_RUN_CONNECT_TIMEOUT'] ?? 30;
}

/**
 * Applies `-v` to the library's log level. Records go to stderr with control characters as '?',
 * as ssh's log does: they quote what the server sent (its debug messages, disconnect reasons).
 */
export function applyVerbosity(verbose: number): void {
  setLogSink((record) => process.stderr.write(`${record.logger} ${record.level.toUpperCase()}: ${printableLines(record.message)}\n`));
  if (verbose > 0) setLogLevel(verbose > 1 ? 'debug' : 'info');
}

/**
 * Connects to `dest` as ssh would; a security key's touch notice goes to `io.err` and its PIN is
 * asked for on the terminal.
 */
export async function connectTo(dest: Destination, args: ClientArgs, extra: SSHClientConnectionOptions = {}, io: ProgramIo = stdio): Promise<SSHClientConnection> {
  let optionsDir: string | undefined;
  try {
    let optionsFile: string | undefined;
    if (args.sshOptions.length > 0) {
      for (const line of args.sshOptions) if (/[\r\n]/.test(line) || line.trim() === '') throw new UsageError(`bad -o option ${JSON.stringify(line)}`);
      // ssh_config keeps the first value it reads, so the command line's options go first.
      optionsDir = await mkdtemp(path.join(tmpdir(), 'ssh-cli-'));
      optionsFile = path.join(optionsDir, 'command-line.conf');
      await writeFile(optionsFile, `${args.sshOptions.join('\n')}\n`, { mode: 0o600 });
    }
    const config = configFiles(args, optionsFile);
    const port = args.port ?? dest.port;
    return await connect({
      host: dest.host,
      ...(port !== undefined ? { port } : {}),
      ...(dest.username !== undefined ? { username: dest.username } : {}),
      ...(args.identities.length > 0 ? { clientKeys: args.identities } : {}),
      ...(config !== undefined ? { config } : {}),
      // One home for every file: ~/.ssh/config follows $HOME as known_hosts and the keys do.
      homeDirectory: homedir(),
      connectTimeout: connectTimeout(),
      securityKeyPrompts: securityKeyPrompts(io.err),
      ...extra,
    });
  } finally {
    if (optionsDir !== undefined) await rm(optionsDir, { recursive: true, force: true });
  }
}

/** A one-line explanation of a failure, safe to print: a server's words come with control characters as '?'. */
export function describeError(error: unknown): string {
  if (error instanceof DisconnectError) return printable(`${error.name}: ${error.reason}`);
  if (error instanceof Error) return printable(`${error.name}: ${error.message.replace(/^(?:ssh|scp|sftp): /, '')}`);
  return printable(String(error));
}

/** Output of a program: text to stdout and stderr (tests capture them). */
export interface ProgramIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const stdio: ProgramIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/**
 * True when the module at `moduleUrl` is the program being run. Package managers start bins
 * through symlinks (node_modules/.bin), so the script path is compared after resolving them.
 */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
