/**
 * scp(): copies files with the SCP protocol (`scp -t` / `scp -f` run on the server), as AsyncSSH's
 * scp(): uploads, downloads, and remote-to-remote copies relayed through us; recursive, preserving
 * times and modes, with progress. Paths are local names, `[user@]host:path` strings,
 * `[host, path]` pairs, or `[connection, path]` pairs.
 * @module
 */

import { collect, type SSHClientProcess } from '@ssh/connection';
import { ScpError, scpReceive, scpSend, type ScpOptions } from '@ssh/sftp';
import { nodeLocalFs } from '@ssh/sftp/node';
import { SSHClientConnection, connect, type SSHClientConnectionOptions } from './client.ts';
import { processByteStream, sftpLogger } from './sftp.ts';

export type ScpPath = string | readonly [host: string | SSHClientConnection, path: string];

export interface ScpCallOptions extends ScpOptions, SSHClientConnectionOptions {}

interface Resolved {
  readonly conn: SSHClientConnection | undefined;
  readonly path: string;
  /** True when we opened the connection (and close it after). */
  readonly owned: boolean;
}

/** `host:path` (not `/abs:path`, not `C:\\`): the host part, or undefined for a local path. */
function splitRemote(spec: string): [host: string, path: string] | undefined {
  const colon = spec.indexOf(':');
  if (colon <= 0) return undefined;
  const slash = spec.indexOf('/');
  if (slash >= 0 && slash < colon) return undefined;
  let host = spec.slice(0, colon);
  const path = spec.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, path === '' ? '.' : path];
}

async function resolve(spec: ScpPath, options: SSHClientConnectionOptions): Promise<Resolved> {
  if (typeof spec !== 'string') {
    const [target, path] = spec;
    if (target instanceof SSHClientConnection) return { conn: target, path, owned: false };
    return { conn: await open(target, options), path, owned: true };
  }
  const remote = splitRemote(spec);
  if (!remote) return { conn: undefined, path: spec, owned: false };
  return { conn: await open(remote[0], options), path: remote[1], owned: true };
}

function open(host: string, options: SSHClientConnectionOptions): Promise<SSHClientConnection> {
  const at = host.lastIndexOf('@');
  return at > 0 ? connect({ ...options, host: host.slice(at + 1), username: host.slice(0, at) }) : connect({ ...options, host });
}

/** Single-quotes a path for the remote shell. */
function quote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

function flags(options: ScpOptions): string {
  return `${options.recurse ? ' -r' : ''}${options.preserve ? ' -p' : ''}`;
}

interface Started {
  readonly proc: SSHClientProcess<Uint8Array>;
  readonly stderr: Promise<Uint8Array>;
}

/** Starts `command` with its stderr collected, for the error message. */
async function start(conn: SSHClientConnection, command: string): Promise<Started> {
  const proc = await conn.createProcess<Uint8Array>(command, { encoding: null });
  const stderr = collect(proc.stderr);
  stderr.catch(() => undefined);
  return { proc, stderr };
}

async function finished({ proc, stderr }: Started): Promise<void> {
  await proc.waitClosed();
  const status = proc.exitStatus;
  if (status !== 0 && status !== undefined) {
    const text = new TextDecoder().decode(await stderr.catch(() => new Uint8Array(0))).trim();
    throw new ScpError(`remote scp exited with status ${status}${text ? `: ${text}` : ''}`);
  }
}

/** Copies `srcpaths` to `dstpath` over SCP. */
export async function scp(srcpaths: ScpPath | readonly ScpPath[], dstpath: ScpPath, options: ScpCallOptions = {}): Promise<void> {
  const { recurse, preserve, blockSize, progressHandler, errorHandler, ...connectOptions } = options;
  // Errors the handler took for the current source: a remote scp then exits 1 for them, which is
  // no news to report.
  let handled = 0;
  const scpOptions: ScpOptions = {
    ...(recurse !== undefined ? { recurse } : {}),
    ...(preserve !== undefined ? { preserve } : {}),
    ...(blockSize !== undefined ? { blockSize } : {}),
    ...(progressHandler !== undefined ? { progressHandler } : {}),
    ...(errorHandler !== undefined
      ? {
          errorHandler: (e: Error) => {
            handled++;
            errorHandler(e);
          },
        }
      : {}),
  };
  const finish = async (run: Started): Promise<void> => {
    try {
      await finished(run);
    } catch (e) {
      // A remote scp's failure status after errors the handler already had is not reported again.
      if (errorHandler === undefined || !(e instanceof ScpError)) throw e;
      if (handled === 0) errorHandler(e);
    }
  };
  const sources: readonly ScpPath[] = typeof srcpaths === 'string' || (srcpaths.length === 2 && srcpaths[0] instanceof SSHClientConnection) ? [srcpaths as ScpPath] : (srcpaths as readonly ScpPath[]);
  const opened: SSHClientConnection[] = [];
  const track = async (p: ScpPath): Promise<Resolved> => {
    const r = await resolve(p, connectOptions);
    if (r.owned && r.conn) opened.push(r.conn);
    return r;
  };
  try {
    const dst = await track(dstpath);
    for (const source of sources) {
      handled = 0;
      const src = await track(source);
      if (!src.conn && !dst.conn) throw new ScpError(`scp: ${src.path} and ${dst.path} are both local`);
      sftpLogger.info(`Starting SCP copy of ${src.conn ? 'remote' : 'local'} ${src.path} to ${dst.conn ? 'remote' : 'local'} ${dst.path}`);
      if (!src.conn && dst.conn) {
        const sink = await start(dst.conn, `scp -t${flags(scpOptions)} -- ${quote(dst.path)}`);
        await scpSend(processByteStream(sink.proc.stdout, sink.proc.stdin, () => sink.proc.stdin.writeEof()), nodeLocalFs, [src.path], scpOptions);
        await finish(sink);
      } else if (src.conn && !dst.conn) {
        const source = await start(src.conn, `scp -f${flags(scpOptions)} -- ${quote(src.path)}`);
        const name = src.path.replace(/\/+$/, '').split('/').pop() ?? src.path;
        await scpReceive(processByteStream(source.proc.stdout, source.proc.stdin, () => source.proc.stdin.writeEof()), nodeLocalFs, dst.path, { ...scpOptions, expectedNames: [name] });
        await finish(source);
      } else if (src.conn && dst.conn) {
        // Remote to remote: the two scp ends talk to each other through us.
        const from = await start(src.conn, `scp -f${flags(scpOptions)} -- ${quote(src.path)}`);
        const to = await start(dst.conn, `scp -t${flags(scpOptions)} -- ${quote(dst.path)}`);
        from.proc.redirect({ stdout: to.proc.stdin });
        to.proc.redirect({ stdout: from.proc.stdin });
        await Promise.all([finish(from), finish(to)]);
      }
      sftpLogger.debug1(`Finished SCP copy of ${src.path}`);
    }
  } finally {
    for (const c of opened) c.close();
  }
}
