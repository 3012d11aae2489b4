#!/usr/bin/env node
/**
 * ssh-run: runs a command over SSH and shows its output and exit status. With no destination it
 * starts an embedded SSH server of ours on 127.0.0.1 (generated host key, throwaway user key,
 * real shell commands) and runs the command there; with a destination it connects like ssh,
 * with the user's ssh config, keys, agent and known_hosts.
 *
 *   ssh-run [-v]                     demo against the embedded server
 *   ssh-run [-v] -- command...       a command of yours on the embedded server
 *   ssh-run [-v] [-F ssh_config] [-i identity_file] [-J destination] [-o ssh_option] [-p port] [user@]host [command...]
 * @module
 */

import { connect, type SSHClientConnection } from '@ssh/asyncssh';
import { applyVerbosity, clientArgs, connectTo, describeError, isMain, stdio, type ClientArgs, type ProgramIo } from './client.ts';
import { parseDestination } from './destination.ts';
import { UsageError, getopt, hasFlag, helpAsFlag } from './getopt.ts';
import { startEmbeddedServer, type EmbeddedServer } from './embedded.ts';
import { printable } from './printable.ts';

const DEMO_COMMAND = 'echo "hello from $(whoami) on $(uname -n)"; uname -sr; echo "this line goes to stderr" >&2';

export type RunIo = ProgramIo;

export const RUN_USAGE =
  'usage: ssh-run [-hv] [-F ssh_config] [-i identity_file] [-J destination] [-o ssh_option] [-p port] [user@]host [command ...]\n' +
  '       ssh-run [-hv] [-- command ...]   (on an embedded server of ours)\n';

/** Options that say how to reach a destination: meaningless for the embedded server. */
const CONNECT_LETTERS = ['F', 'i', 'J', 'o', 'p'];

interface Args {
  readonly help: boolean;
  /** Undefined: the embedded server. */
  readonly destination?: string;
  readonly client: ClientArgs;
  readonly command?: string;
}

/**
 * The command line, as ssh reads its own: options up to the destination, the rest the command.
 * No destination, or `--` before the operands, runs on the embedded server.
 */
function parseArgs(argv: readonly string[]): Args {
  const parsed = getopt(helpAsFlag(argv), 'hv', 'FiJop');
  const client = clientArgs(parsed, 'p');
  const embedded = parsed.dashDash || parsed.operands.length === 0;
  const [first, ...rest] = parsed.operands;
  const words = embedded ? parsed.operands : rest;
  if (embedded) {
    const given = CONNECT_LETTERS.filter((letter) => parsed.options.has(letter));
    if (given.length > 0) throw new UsageError(`-${given.join(', -')} ${given.length === 1 ? 'needs' : 'need'} a destination`);
  }
  return {
    help: hasFlag(parsed, 'h'),
    ...(!embedded && first !== undefined ? { destination: first } : {}),
    client,
    ...(words.length > 0 ? { command: words.join(' ') } : {}),
  };
}

async function runOn(conn: SSHClientConnection, command: string, io: RunIo): Promise<number> {
  io.out(`connected to ${String(conn.getExtraInfo('host'))} as ${String(conn.getExtraInfo('username'))} (${String(conn.getExtraInfo('kex'))}, ${String(conn.getExtraInfo('sendCipher'))})\n`);
  io.out(`$ ${command}\n`);
  const result = await conn.run(command);
  if (result.stdout) io.out(String(result.stdout));
  if (result.stderr) io.err(String(result.stderr));
  if (result.exitSignal) io.out(`exit signal: ${printable(result.exitSignal.signal)}\n`);
  else io.out(`exit status: ${result.exitStatus ?? 'unknown'}\n`);
  // As ssh: a command killed by a signal (AsyncSSH's returncode is then -signal) or without a
  // status gives 255; a status is an exit code only within 0..255.
  const code = result.exitSignal ? undefined : result.exitStatus;
  return code !== undefined && code >= 0 && code <= 255 ? code : 255;
}

/** The program; answers its exit code (the command's status, 255 for a connection failure). */
export async function main(argv: readonly string[], io: RunIo = stdio): Promise<number> {
  let embedded: EmbeddedServer | undefined;
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    // As ssh: the usage and status 255.
    io.err(`ssh-run: ${error instanceof Error ? error.message : String(error)}\n${RUN_USAGE}`);
    return 255;
  }
  if (args.help) {
    io.out(RUN_USAGE);
    return 0;
  }
  // The library's warnings (and with -v its log), with control characters as '?' like the others'.
  applyVerbosity(args.client.verbose);
  try {
    let conn: SSHClientConnection;
    if (args.destination === undefined) {
      embedded = await startEmbeddedServer();
      io.out(`embedded SSH server on 127.0.0.1:${embedded.port}, host key ${embedded.hostKey.getFingerprint()}\n`);
      conn = await connect({
        host: '127.0.0.1',
        port: embedded.port,
        clientKeys: [embedded.userKey],
        knownHosts: embedded.knownHosts,
        agentPath: null,
        config: null,
      });
    } else {
      conn = await connectTo(parseDestination(args.destination), args.client, {}, io);
    }
    try {
      return await runOn(conn, args.command ?? (embedded ? DEMO_COMMAND : 'uname -a'), io);
    } finally {
      conn.close();
      await conn.waitClosed();
    }
  } catch (error) {
    io.err(`ssh-run: ${describeError(error)}\n`);
    return 255;
  } finally {
    await embedded?.close();
  }
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
