#!/usr/bin/env node
/**
 * ssh-scp: copies files between hosts in the manner of OpenSSH's scp, on @ssh/asyncssh's scp()
 * (the SCP protocol, `scp -t`/`scp -f` on the server) or, with -s, its SFTP client.
 *
 *   ssh-scp [-3pqrsv] [-F ssh_config] [-J jump] [-P port] [-i identity] [-o ssh_option] source... target
 *
 * Operands are local paths or `[user@]host:[path]`. A copy between two remote hosts passes
 * through this one (OpenSSH's -3, its default since 8.7). Exits 0 when every source was copied,
 * 1 otherwise (after trying them all, and every file of a tree), 2 for a usage error.
 * @module
 */

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SFTPNoSuchFile, basename, scp, type SFTPClient, type SSHClientConnection } from '@ssh/asyncssh';
import { shellGlob } from './sftp-commands.ts';
import { applyVerbosity, clientArgs, connectTo, describeError, isMain, stdio, type ClientArgs, type ProgramIo } from './client.ts';
import { splitRemotePath, type Destination } from './destination.ts';
import { UsageError, getopt, hasFlag, helpAsFlag } from './getopt.ts';
import { progressMeter } from './progress.ts';

export const SCP_USAGE = 'usage: ssh-scp [-3hpqrsv] [-F ssh_config] [-i identity_file] [-J destination] [-o ssh_option] [-P port] source ... target\n';

export interface ScpProgramIo extends ProgramIo {
  /** Draw the progress meter (stdout is a terminal). */
  readonly stdoutIsTty: boolean;
}

const processIo: ScpProgramIo = { ...stdio, stdoutIsTty: process.stdout.isTTY === true };

/** An operand: a local path, or a path on a host. */
type Operand = { readonly kind: 'local'; readonly spec: string; readonly path: string } | { readonly kind: 'remote'; readonly spec: string; readonly destination: Destination; readonly path: string };

function operand(spec: string): Operand {
  const remote = splitRemotePath(spec);
  if (!remote) return { kind: 'local', spec, path: spec };
  return { kind: 'remote', spec, destination: remote.destination, path: remote.path === '' ? '.' : remote.path };
}

/** Connections (and SFTP clients) by destination, opened once each. */
class Hosts {
  private readonly conns = new Map<string, Promise<SSHClientConnection>>();
  private readonly clients = new Map<string, Promise<SFTPClient>>();

  private readonly args: ClientArgs;
  private readonly io: ProgramIo;

  constructor(args: ClientArgs, io: ProgramIo) {
    this.args = args;
    this.io = io;
  }

  private static key(d: Destination): string {
    return `${d.username ?? ''}@${d.host}:${d.port ?? ''}`;
  }

  connection(d: Destination): Promise<SSHClientConnection> {
    const key = Hosts.key(d);
    let conn = this.conns.get(key);
    if (!conn) {
      conn = connectTo(d, this.args, {}, this.io);
      this.conns.set(key, conn);
    }
    return conn;
  }

  sftp(d: Destination): Promise<SFTPClient> {
    const key = Hosts.key(d);
    let client = this.clients.get(key);
    if (!client) {
      client = this.connection(d).then((c) => c.startSftpClient());
      this.clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) (await client.catch(() => undefined))?.exit();
    for (const pending of this.conns.values()) {
      const conn = await pending.catch(() => undefined);
      if (conn) {
        conn.close();
        await conn.waitClosed();
      }
    }
  }
}

interface CopyOptions {
  readonly recurse: boolean;
  readonly preserve: boolean;
  readonly meter: (name: string, done: number, total: number) => void;
  readonly showProgress: boolean;
  /**
   * Each file or directory of the source that could not be copied; the copy goes on with the
   * others, as scp's (the library's errorHandler, over SCP and SFTP alike).
   */
  readonly failed: (error: unknown) => void;
}

/** One source to the target over SCP. */
async function copyScp(hosts: Hosts, src: Operand, dst: Operand, options: CopyOptions): Promise<void> {
  const end = async (o: Operand): Promise<string | readonly [SSHClientConnection, string]> => (o.kind === 'local' ? o.path : [await hosts.connection(o.destination), o.path]);
  const [from, to] = [await end(src), await end(dst)];
  await scp(from, to, {
    recurse: options.recurse,
    preserve: options.preserve,
    errorHandler: options.failed,
    ...(options.showProgress ? { progressHandler: (p: string, _d: string, done: number, total: number) => options.meter(basename(p), done, total) } : {}),
  });
}

/** One source to the target over SFTP (remote to remote through a local temporary directory). */
async function copySftp(hosts: Hosts, src: Operand, dst: Operand, options: CopyOptions): Promise<void> {
  const transfer = {
    recurse: options.recurse,
    preserve: options.preserve,
    followSymlinks: true,
    errorHandler: options.failed,
    ...(options.showProgress ? { progressHandler: (p: string, _d: string, done: number, total: number) => options.meter(basename(p), done, total) } : {}),
  };
  // Remote wildcards are expanded on their side, as the remote shell does for scp. A local one
  // reaching here was left alone by the shell (quoted): scp takes it as a name, and so do we.
  const magic = /[*?[]/.test(src.path);
  if (src.kind === 'local' && dst.kind === 'remote') {
    const client = await hosts.sftp(dst.destination);
    await client.put(src.path, dst.path, transfer);
  } else if (src.kind === 'remote' && dst.kind === 'local') {
    const client = await hosts.sftp(src.destination);
    await client.get(magic ? await remoteMatches(client, src.path) : src.path, dst.path, transfer);
  } else if (src.kind === 'remote' && dst.kind === 'remote') {
    const from = await hosts.sftp(src.destination);
    const to = await hosts.sftp(dst.destination);
    const relay = await mkdtemp(path.join(tmpdir(), 'ssh-scp-'));
    try {
      await from.get(magic ? await remoteMatches(from, src.path) : src.path, relay, transfer);
      // Every name fetched, dot files included (a '*' glob would leave them out).
      const fetched = (await readdir(relay)).sort().map((name) => path.join(relay, name));
      await to.put(fetched, dst.path, transfer);
    } finally {
      await rm(relay, { recursive: true, force: true });
    }
  }
}

/**
 * A remote wildcard's matches as scp's glob finds them: the library's glob (AsyncSSH's, for which
 * a leading dot is not special) less the hidden names a shell's glob leaves out.
 */
async function remoteMatches(client: SFTPClient, pattern: string): Promise<string[]> {
  const matches = await shellGlob(client, pattern);
  if (matches.length === 0) throw new SFTPNoSuchFile(`${pattern}: no matches`);
  return matches;
}

/** The program; answers its exit code. */
export async function main(argv: readonly string[], io: ScpProgramIo = processIo): Promise<number> {
  let parsed;
  let args: ClientArgs;
  let operands: Operand[];
  try {
    parsed = getopt(helpAsFlag(argv), '3hpqrsvBOCT46', 'PioFJ');
    if (hasFlag(parsed, 'h')) {
      io.out(SCP_USAGE);
      return 0;
    }
    if (parsed.operands.length < 2) throw new UsageError('a source and a target are needed');
    args = clientArgs(parsed, 'P');
    operands = parsed.operands.map(operand);
    if (operands.every((o) => o.kind === 'local')) throw new UsageError('no remote host given (use cp for local copies)');
  } catch (error) {
    io.err(`ssh-scp: ${error instanceof Error ? error.message : String(error)}\n${SCP_USAGE}`);
    return 2;
  }
  applyVerbosity(args.verbose);
  let target = operands.pop() as Operand;
  // As scp (its sink's -d): several sources need a directory as the target, rather than each
  // overwriting a file there in turn. A local one is checked here, a remote one by its end: with a
  // trailing slash, a file named so cannot be opened.
  if (operands.length > 1 && target.kind === 'local') {
    const problem = await stat(target.path).then(
      (s) => (s.isDirectory() ? undefined : 'Not a directory'),
      (e: unknown) => ((e as { code?: unknown }).code === 'ENOENT' ? 'No such file or directory' : 'Not a directory'),
    );
    if (problem !== undefined) {
      io.err(`ssh-scp: ${target.spec}: ${problem}\n`);
      return 1;
    }
  } else if (operands.length > 1 && target.kind === 'remote' && !target.path.endsWith('/')) target = { ...target, path: `${target.path}/` };
  const quiet = hasFlag(parsed, 'q');
  const useSftp = hasFlag(parsed, 's');
  const hosts = new Hosts(args, io);
  let failed = false;
  try {
    // Over SFTP, asked of the server (a server may take `file/` for `file`).
    if (useSftp && operands.length > 1 && target.kind === 'remote') {
      const remote = target;
      const problem = await hosts.sftp(remote.destination).then(
        async (client) => ((await client.isdir(remote.path)) ? undefined : 'Not a directory'),
        (error: unknown) => describeError(error),
      );
      if (problem !== undefined) {
        io.err(`ssh-scp: ${remote.spec}: ${problem}\n`);
        return 1;
      }
    }
    for (const source of operands) {
      // One line for each thing of the source that failed (the same one once, though the
      // library may both report and throw it); the others are still copied.
      const said = new Set<string>();
      const report = (error: unknown): void => {
        failed = true;
        const line = `ssh-scp: ${source.spec}: ${describeError(error)}\n`;
        if (said.has(line)) return;
        said.add(line);
        io.err(line);
      };
      const options: CopyOptions = {
        recurse: hasFlag(parsed, 'r'),
        preserve: hasFlag(parsed, 'p'),
        meter: progressMeter(io.out, io.stdoutIsTty && !quiet),
        showProgress: io.stdoutIsTty && !quiet,
        failed: report,
      };
      try {
        if (source.kind === 'local' && target.kind === 'local') throw new UsageError(`${source.spec} and ${target.spec} are both local`);
        await (useSftp ? copySftp : copyScp)(hosts, source, target, options);
      } catch (error) {
        report(error);
      }
    }
  } finally {
    await hosts.close();
  }
  return failed ? 1 : 0;
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
