#!/usr/bin/env node
/**
 * ssh-run: runs a command over SSH and shows its output and exit status. With no destination it
 * starts an embedded SSH server of ours on 127.0.0.1 (generated host key, throwaway user key,
 * real shell commands) and runs the command there; with a destination it connects like ssh,
 * with the user's ssh config, keys, agent and known_hosts.
 *
 *   ssh-run                          demo against the embedded server
 *   ssh-run -- command...            a command of yours on the embedded server
 *   ssh-run [-p port] [user@]host [command...]
 * @module
 */

import { connect, type SSHClientConnection } from '@ssh/asyncssh';
import { applyVerbosity, connectTo, describeError, isMain, stdio, type ProgramIo } from './client.ts';
import { parseDestination } from './destination.ts';
import { UsageError, parsePort } from './getopt.ts';
import { startEmbeddedServer, type EmbeddedServer } from './embedded.ts';
import { printable } from './printable.ts';

const DEMO_COMMAND = 'echo "hello from $(whoami) on $(uname -n)"; uname -sr; echo "this line goes to stderr" >&2';

export type RunIo = ProgramIo;

interface Args {
  readonly destination?: string;
  readonly port?: number;
  readonly command?: string;
}

function parseArgs(argv: readonly string[]): Args {
  let port: number | undefined;
  const rest: string[] = [];
  let embedded = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (rest.length === 0 && a === '-p') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError('option requires an argument -- p');
      port = parsePort(value);
    } else if (rest.length === 0 && a === '--' && !embedded) {
      // `ssh-run -- command...`: no destination, the command runs on the embedded server.
      embedded = true;
      rest.push('');
    } else rest.push(a);
  }
  const [first, ...command] = rest;
  const destination = first === '' ? undefined : first;
  return {
    ...(destination !== undefined ? { destination } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(command.length > 0 ? { command: command.join(' ') } : {}),
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
  // No -v here: the library's warnings only, with control characters as '?' like the others'.
  applyVerbosity(0);
  try {
    const args = parseArgs(argv);
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
      conn = await connectTo(parseDestination(args.destination), { ...(args.port !== undefined ? { port: args.port } : {}), identities: [], sshOptions: [], verbose: 0 }, {}, io);
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
