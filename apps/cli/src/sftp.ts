#!/usr/bin/env node
/**
 * ssh-sftp: an interactive and batch SFTP client in the manner of OpenSSH's sftp, on
 * @ssh/asyncssh's connect() and SFTPClient.
 *
 *   ssh-sftp [-b batchfile] [-F ssh_config] [-J jump] [-P port] [-i identity] [-o ssh_option] [-r] [-p] [-q] [-v] destination
 *
 * destination is `[user@]host[:path]` or `sftp://[user@]host[:port][/path]`: a directory path
 * becomes the remote working directory, a file path is fetched into the local directory and the
 * program ends. Commands come from stdin (with a `sftp> ` prompt on a terminal) or from the batch
 * file (`-b -`: stdin), where the first failing command (but a local program's, `!` or lls) ends
 * the run with status 1 unless it is written with a leading `-`; a leading `@` keeps a line from
 * being echoed. Without -b failures are reported and the status is 0, as sftp's. A connection lost
 * in the session ends it with status 255.
 * @module
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { FILEXFER_TYPE, SFTPConnectionLost, SFTPError, SFTPNoConnection, attrsType, type SFTPClient, type SSHClientConnection } from '@ssh/asyncssh';
import { applyVerbosity, clientArgs, connectTo, describeError, isMain, type ProgramIo } from './client.ts';
import { parseSftpDestination } from './destination.ts';
import { UsageError, getopt, hasFlag, helpAsFlag, lastValue } from './getopt.ts';
import { CommandError, CommandFailures, SftpShell, abortsBatch, printable } from './sftp-commands.ts';

export const SFTP_USAGE = 'usage: ssh-sftp [-hpqrv] [-b batchfile] [-F ssh_config] [-i identity_file] [-J destination] [-o ssh_option] [-P port] destination\n';

export interface SftpProgramIo extends ProgramIo {
  readonly stdin: Readable;
  readonly stdinIsTty: boolean;
  readonly stdoutIsTty: boolean;
  /** Local directory the session starts in (default: the process's). */
  readonly cwd?: string;
}

const processIo: SftpProgramIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stdin: process.stdin,
  stdinIsTty: process.stdin.isTTY === true,
  stdoutIsTty: process.stdout.isTTY === true,
};

/** `ssh-sftp: ` plus why the command failed: SFTP errors name the command, ours speak for themselves. */
function failure(line: string, error: unknown): string {
  // The server's status messages (and names it sent) as well as the line: shown with printable().
  if (error instanceof CommandError) return printable(error.message);
  const text = error instanceof Error ? error.message.replace(/^(?:ssh|sftp): /, '') : String(error);
  if (error instanceof SFTPError) return printable(`${line}: ${text} (${error.name})`);
  return `${printable(line)}: ${describeError(error)}`;
}

/** Lines of the commands: a readline prompt on a terminal, plain lines otherwise. */
async function* commandLines(input: Readable, prompt: boolean, io: SftpProgramIo): AsyncGenerator<string> {
  const rl = createInterface({ input, ...(prompt ? { output: process.stdout, terminal: true, prompt: 'sftp> ' } : { terminal: false }), crlfDelay: Infinity });
  try {
    if (!prompt) {
      for await (const line of rl) yield line;
      return;
    }
    const lines = rl[Symbol.asyncIterator]();
    for (;;) {
      rl.prompt();
      const next = await lines.next();
      if (next.done) {
        io.out('\n');
        return;
      }
      yield next.value;
    }
  } finally {
    rl.close();
  }
}

/**
 * A line's prefixes, as sftp reads them in every mode: after any leading blanks, a run of `-`
 * (a failure does not end the batch) and `@` (the line is not echoed), then blanks.
 */
export function linePrefixes(raw: string): { readonly line: string; readonly ignoreError: boolean; readonly echo: boolean } {
  const start = raw.length - raw.trimStart().length;
  let end = start;
  while (raw[end] === '-' || raw[end] === '@') end++;
  const prefix = raw.slice(start, end);
  return { line: raw.slice(end).trim(), ignoreError: prefix.includes('-'), echo: !prefix.includes('@') };
}

/** Whether a command failed because the SFTP session or its connection is gone. */
function connectionLost(error: unknown): boolean {
  const lost = (e: unknown): boolean => e instanceof SFTPConnectionLost || e instanceof SFTPNoConnection;
  return lost(error) || (error instanceof CommandFailures && error.failures.some((f) => lost(f.error)));
}

/**
 * Runs the commands; answers the exit status. As sftp: without a terminal each line is echoed as
 * read; in a batch the first failure that ends it (see abortsBatch) gives status 1; otherwise every
 * failure is reported, the session goes on and ends with status 0.
 */
async function commandLoop(shell: SftpShell, io: SftpProgramIo, input: Readable, batch: boolean): Promise<number> {
  const interactive = !batch && io.stdinIsTty;
  for await (const raw of commandLines(input, interactive, io)) {
    const { line, ignoreError, echo } = linePrefixes(raw);
    if (!interactive && echo) io.out(`sftp> ${printable(raw)}\n`);
    try {
      // A wildcard's rm/chmod/chown/chgrp stops at a failing match only where the failure ends the batch.
      if (!(await shell.execute(line, { stopAtFailure: batch && !ignoreError }))) break;
    } catch (error) {
      // Several files of a get or put that failed: a line each.
      for (const one of error instanceof CommandFailures ? error.failures : [{ error }]) io.err(`ssh-sftp: ${failure(one.source === undefined ? line : `${line}: ${one.source}`, one.error)}\n`);
      // As sftp, whose lost connection is fatal: nothing more can run, whatever the mode or prefix.
      if (connectionLost(error)) return 255;
      if (batch && !ignoreError && abortsBatch(error)) return 1;
    }
  }
  return 0;
}

/** A destination path: a directory becomes the working directory, a file is fetched and the session ends. */
async function startAt(shell: SftpShell, sftp: SFTPClient, path: string): Promise<'cd' | 'fetched'> {
  const attrs = await sftp.stat(path);
  if (attrsType(attrs) === FILEXFER_TYPE.DIRECTORY) {
    await sftp.chdir(path);
    return 'cd';
  }
  // Quoted for splitWords (JSON's \t or \u001b escapes mean nothing to it), after `--` for a name starting with '-'.
  await shell.execute(`get -- '${path.replace(/'/g, `'\\''`)}'`);
  return 'fetched';
}

/** The program; answers its exit code (0; 1 for a failed batch or destination file; 2 for usage; 255 for a connection failed or lost, or a batch file that cannot be read). */
export async function main(argv: readonly string[], io: SftpProgramIo = processIo): Promise<number> {
  let conn: SSHClientConnection | undefined;
  let sftp: SFTPClient | undefined;
  try {
    let parsed;
    let args;
    let target;
    try {
      parsed = getopt(helpAsFlag(argv), 'hrpqv', 'bPioFJ');
      if (hasFlag(parsed, 'h')) {
        io.out(SFTP_USAGE);
        return 0;
      }
      if (parsed.operands.length !== 1) throw new UsageError(parsed.operands.length === 0 ? 'no destination given' : 'too many arguments');
      args = clientArgs(parsed, 'P');
      target = parseSftpDestination(parsed.operands[0] as string);
    } catch (error) {
      io.err(`ssh-sftp: ${error instanceof Error ? error.message : String(error)}\n${SFTP_USAGE}`);
      return 2;
    }
    const batchFile = lastValue(parsed, 'b');
    // As sftp, a batch is quiet: no "Connected to", "Fetching ..." lines nor progress meter.
    const quiet = hasFlag(parsed, 'q') || batchFile !== undefined;
    applyVerbosity(args.verbose);
    let input: Readable = io.stdin;
    if (batchFile !== undefined && batchFile !== '-') {
      const file = createReadStream(batchFile);
      const problem = await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', reject);
      }).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      if (problem !== undefined) {
        // Before connecting, and fatal as in sftp: status 255.
        io.err(`ssh-sftp: cannot read batch file ${printable(batchFile)}: ${printable(problem)}\n`);
        return 255;
      }
      input = file;
    }
    try {
      conn = await connectTo(target.destination, args, {}, io);
      sftp = await conn.startSftpClient();
    } catch (error) {
      io.err(`ssh-sftp: ${describeError(error)}\n`);
      return 255;
    }
    if (!quiet) io.err(`Connected to ${target.destination.host}.\n`);
    const shell = new SftpShell(sftp, { out: io.out, err: io.err, progress: io.stdoutIsTty && !quiet, quiet, terminal: io.stdoutIsTty && io.stdinIsTty }, { recurse: hasFlag(parsed, 'r'), preserve: hasFlag(parsed, 'p') }, io.cwd ?? process.cwd());
    if (target.path !== undefined) {
      try {
        if ((await startAt(shell, sftp, target.path)) === 'fetched') return 0;
      } catch (error) {
        io.err(`ssh-sftp: ${failure(target.path, error)}\n`);
        return 1;
      }
    }
    return await commandLoop(shell, io, input, batchFile !== undefined);
  } catch (error) {
    io.err(`ssh-sftp: ${error instanceof CommandError ? printable(error.message) : describeError(error)}\n`);
    return 1;
  } finally {
    sftp?.exit();
    if (conn) {
      conn.close();
      await conn.waitClosed();
    }
  }
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
