/**
 * SCP transfers over a byte stream to or from a peer running `scp -t` (we are the source) or
 * `scp -f` (we are the sink), with the local side behind LocalFs. The channel that carries the
 * stream (an SSH exec of `scp -t ...`) is the caller's business; `scp()` of the spec sits on top.
 * @module
 */

import { type SFTPAttrs, attrsType } from './attrs.ts';
import { FILEXFER_TYPE } from './constants.ts';
import { type LocalFile, type LocalFs } from './local-fs.ts';
import { SCP_OK, ScpAckReader, ScpError, ScpSinkMachine, encodeDirective, encodeScpError } from './scp.ts';
import { StagedFileWriter } from './staged-file-writer.ts';
import { type SftpByteStream } from './stream.ts';

export interface ScpOptions {
  /** Copy directories (scp -r). */
  readonly recurse?: boolean;
  /** Copy times and modes (scp -p). */
  readonly preserve?: boolean;
  /** Block size of file reads when sending (default 64 KiB). */
  readonly blockSize?: number;
  /**
   * Called as each file progresses, as AsyncSSH's progress_handler: its source path, its
   * destination path, the bytes copied so far and its size. On the side that sends, the
   * destination is the name the file has under the target (`dir/file` in a recursive copy); on the
   * side that receives, the source is that name and the destination the local path written.
   */
  readonly progressHandler?: (srcpath: string, dstpath: string, bytesCopied: number, totalBytes: number) => void;
  /**
   * Called with each error that ends one file or directory but not the transfer (a local file
   * that cannot be read or written, one the peer refuses), as AsyncSSH's error_handler; the
   * transfer goes on with the next. Without it, the first such error is thrown (the receiving side
   * throws it once the transfer has ended). Errors that end the transfer are always thrown.
   */
  readonly errorHandler?: (error: Error) => void;
}

export interface ScpReceiveOptions extends ScpOptions {
  /** Top-level names the source may send (those asked for); others are refused. */
  readonly expectedNames?: readonly string[];
}

/** Pulls acknowledgements off a stream. */
class AckStream {
  private readonly reader = new ScpAckReader();
  private readonly it: AsyncIterator<Uint8Array>;
  constructor(stream: SftpByteStream) {
    this.it = stream.readable[Symbol.asyncIterator]();
  }
  async next(): Promise<void> {
    for (;;) {
      const ack = this.reader.next();
      if (ack) {
        if (ack.ok) return;
        throw new ScpError(ack.message, ack.fatal);
      }
      const r = await this.it.next();
      if (r.done) throw new ScpError('connection closed while waiting for an acknowledgement');
      this.reader.receive(r.value);
    }
  }
}

async function write(stream: SftpByteStream, bytes: Uint8Array): Promise<void> {
  await stream.write(bytes);
}

/** Sends local paths to a sink (`scp -t target` at the other end). */
export async function scpSend(stream: SftpByteStream, local: LocalFs, paths: readonly string[], options: ScpOptions = {}): Promise<void> {
  const acks = new AckStream(stream);
  const block = options.blockSize ?? 65536;
  await acks.next();
  /**
   * An error that ends `path` only: with an error handler, reported to it (and to the peer when
   * it has not heard of the entry yet, as scp's `\1` message) and the transfer goes on.
   */
  const skip = async (e: unknown, tellPeer: boolean): Promise<void> => {
    const handler = options.errorHandler;
    if (!handler || (e instanceof ScpError && e.fatal)) throw e;
    const error = e instanceof Error ? e : new ScpError(String(e), false);
    // As scp words it, `scp: path: reason`, without our errors' `ssh: ` prefix.
    if (tellPeer) await write(stream, encodeScpError(`scp: ${error.message.replace(/^ssh: /, '')}`, false));
    handler(error);
  };
  /** The peer's answer to what we sent for an entry: false when it refused the entry (handled). */
  const accepted = async (): Promise<boolean> => {
    try {
      await acks.next();
      return true;
    } catch (e) {
      await skip(e, false);
      return false;
    }
  };
  /** Sends `path` as `dst` (its name under the target). */
  const sendPath = async (path: string, dst: string): Promise<void> => {
    let attrs: SFTPAttrs;
    let isDir: boolean;
    let file: LocalFile | undefined;
    const name = local.basename(path);
    try {
      // A name scp cannot carry, checked before anything of it is sent (OpenSSH's scp skips it).
      if (name.includes('\n')) throw new ScpError(`${path}: skipping, file name contains a newline`, false);
      attrs = await local.stat(path);
      const type = attrsType(attrs);
      isDir = type === FILEXFER_TYPE.DIRECTORY;
      if (isDir && !options.recurse) throw new ScpError(`${path} is a directory (not recursive)`, false);
      // A FIFO or device has no size to promise (and a FIFO's open may wait for its writer):
      // skipped as OpenSSH's scp skips it, before it is opened.
      if (!isDir && type !== FILEXFER_TYPE.REGULAR) throw new ScpError(`${path}: not a regular file`, false);
      if (!isDir) file = await local.open(path, 'r');
    } catch (e) {
      await skip(e, true);
      return;
    }
    const mode = (attrs.permissions ?? 0o644) & 0o7777;
    if (isDir) {
      if (options.preserve && attrs.mtime !== undefined) {
        await write(stream, encodeDirective({ kind: 'times', mtime: attrs.mtime, atime: attrs.atime ?? attrs.mtime }));
        if (!(await accepted())) return;
      }
      await write(stream, encodeDirective({ kind: 'dir', mode, name }));
      if (!(await accepted())) return;
      // A batch of names at a time when the file system offers it, in its order, as scp reads a
      // directory; the sink takes entries in any order.
      const children = local.scandir ? local.scandir(path) : await local.readdir(path);
      for await (const child of children) await sendPath(local.join(path, child), `${dst}/${child}`);
      await write(stream, encodeDirective({ kind: 'end-dir' }));
      await accepted();
      return;
    }
    const opened = file as LocalFile;
    const size = attrs.size ?? 0;
    try {
      if (options.preserve && attrs.mtime !== undefined) {
        await write(stream, encodeDirective({ kind: 'times', mtime: attrs.mtime, atime: attrs.atime ?? attrs.mtime }));
        if (!(await accepted())) return;
      }
      await write(stream, encodeDirective({ kind: 'file', mode, size, name }));
      if (!(await accepted())) return;
      let done = 0;
      while (done < size) {
        let data = await opened.read(done, Math.min(block, size - done));
        // A file that shrank meanwhile: pad, as the size is already promised (OpenSSH does the same).
        if (data.length === 0) data = new Uint8Array(Math.min(block, size - done));
        await write(stream, data);
        done += data.length;
        options.progressHandler?.(path, dst, done, size);
      }
      await write(stream, SCP_OK);
      await accepted();
    } finally {
      await opened.close();
    }
  };
  try {
    for (const p of paths) await sendPath(p, local.basename(p));
  } finally {
    stream.close();
  }
}

/**
 * Receives from a source (`scp -f paths` at the other end) into `target`: a directory that gets
 * the names sent, or (for one file) the file's own path. Every name is checked (scp.ts).
 */
export async function scpReceive(stream: SftpByteStream, local: LocalFs, target: string, options: ScpReceiveOptions = {}): Promise<void> {
  const sink = new ScpSinkMachine({ ...(options.recurse !== undefined ? { recursive: options.recurse } : {}), ...(options.expectedNames ? { expectedNames: options.expectedNames } : {}) });
  const targetIsDir = await local.stat(target).then(
    (a) => attrsType(a) === FILEXFER_TYPE.DIRECTORY,
    () => false,
  );
  const flush = async (): Promise<void> => {
    for (const chunk of sink.takeOutput() ?? []) await write(stream, chunk);
  };
  let times: { mtime: number; atime: number } | undefined;
  // `created`: made by this copy (for a directory: and not with the mode sent already), so given
  // the mode sent even without preserve, as scp -t does.
  let file: { handle: LocalFile; out: StagedFileWriter; source: string; path: string; written: number; size: number; mode: number; times: typeof times; created: boolean } | undefined;
  const dirStack: Array<{ path: string; mode: number; times: typeof times; created: boolean }> = [];
  let failure: ScpError | undefined;
  /** An error of one entry: to the error handler when there is one, else thrown at the end (the first). */
  const report = (error: ScpError): void => {
    if (options.errorHandler && !error.fatal) options.errorHandler(error);
    else failure ??= error;
  };
  const localPath = (names: readonly string[]): string => {
    const [first, ...rest] = names;
    const top = targetIsDir ? local.join(target, first ?? '') : target;
    return rest.length > 0 ? local.join(top, ...rest) : top;
  };
  /** Writes out what a file received and closes it. */
  const finishFile = async (f: NonNullable<typeof file>): Promise<void> => {
    try {
      await f.out.flush();
    } finally {
      await f.handle.close();
    }
  };
  const applyTimes = async (path: string, mode: number, t: typeof times): Promise<void> => {
    if (!options.preserve) return;
    await local.setstat(path, { permissions: mode, ...(t ? { atime: t.atime, mtime: t.mtime } : {}) });
  };
  /**
   * Without preserve, what OpenSSH's scp -t does to what it made: a file was created with the
   * mode sent plus its owner's write bit, less the umask, and loses that bit again once whole if
   * the mode sent lacked it; a directory gets the mode sent, umask or not.
   */
  const applyCreatedMode = async (path: string, mode: number, kind: 'file' | 'dir'): Promise<void> => {
    if (options.preserve) return;
    if (kind === 'dir') await local.setstat(path, { permissions: mode & 0o7777 });
    else if ((mode & 0o200) === 0) await local.setstat(path, { permissions: ((await local.stat(path)).permissions ?? 0) & 0o7777 & ~0o200 });
  };
  const handle = async (): Promise<void> => {
    for (let ev = sink.nextEvent(); ev; ev = sink.nextEvent()) {
      switch (ev.type) {
        case 'directive': {
          const d = ev.directive;
          try {
            if (d.kind === 'times') {
              times = { mtime: d.mtime, atime: d.atime };
              sink.accept();
            } else if (d.kind === 'dir') {
              const path = localPath(ev.path);
              const created = (await local.mkdir(path)) === true;
              const made = await local.lstat(path);
              if (attrsType(made) !== FILEXFER_TYPE.DIRECTORY) throw new ScpError(`${path} is not a directory`, false);
              // Made with the mode it was to get already (the usual case): no chmod to do.
              dirStack.push({ path, mode: d.mode, times, created: created && ((made.permissions ?? 0) & 0o7777) !== (d.mode & 0o7777) });
              times = undefined;
              sink.accept();
            } else if (d.kind === 'end-dir') {
              const dir = dirStack.pop();
              if (dir) {
                if (dir.created) await applyCreatedMode(dir.path, dir.mode, 'dir');
                await applyTimes(dir.path, dir.mode, dir.times);
              }
              sink.accept();
            } else {
              const path = localPath(ev.path);
              const existing = await local.lstat(path).catch(() => undefined);
              if (existing && attrsType(existing) === FILEXFER_TYPE.SYMLINK) throw new ScpError(`refusing to write through symlink ${path}`, false);
              const handle = await local.open(path, 'w', (d.mode & 0o7777) | 0o200);
              file = { handle, out: new StagedFileWriter(handle), source: ev.path.join('/'), path, written: 0, size: d.size, mode: d.mode, times, created: existing === undefined };
              times = undefined;
              sink.accept();
            }
          } catch (e) {
            sink.reject(e instanceof Error ? e.message : String(e));
            report(e instanceof ScpError ? e : new ScpError(e instanceof Error ? e.message : String(e), false, { cause: e }));
          }
          break;
        }
        case 'data':
          if (file) {
            await file.out.write(ev.data);
            file.written += ev.data.length;
            options.progressHandler?.(file.source, file.path, file.written, file.size);
          }
          break;
        case 'file-end': {
          let problem: ScpError | undefined;
          if (file) {
            const f = file;
            file = undefined;
            await finishFile(f);
            // The file is whole; failing to set its times or mode ends only it, told to the
            // source in place of the final OK, as OpenSSH's scp does ("set times: ...").
            try {
              if (f.created) await applyCreatedMode(f.path, f.mode, 'file');
              await applyTimes(f.path, f.mode, f.times);
            } catch (e) {
              problem = new ScpError(`${f.path}: set times: ${e instanceof Error ? e.message : String(e)}`, false, { cause: e });
            }
          }
          if (problem) {
            sink.reject(problem.message);
            report(problem);
          } else sink.accept();
          break;
        }
        case 'peer-error':
          report(new ScpError(ev.message, ev.fatal));
          if (file) {
            // The error came in place of the file's end marker: the source gave the file up and
            // may go on to the next, which would otherwise leave this one open for good.
            const f = file;
            file = undefined;
            await finishFile(f);
          }
          break;
        case 'error':
          failure = ev.error;
          break;
      }
      await flush();
    }
  };
  sink.start();
  await flush();
  try {
    for await (const chunk of stream.readable) {
      sink.receive(chunk);
      await handle();
      if (sink.closed) break;
    }
    sink.receiveEnd();
    await handle();
  } finally {
    if (file) {
      // Whatever arrived before a failure still reaches the file.
      await file.out.flush().catch(() => undefined);
      await file.handle.close().catch(() => undefined);
    }
    stream.close();
  }
  if (failure) throw failure;
}
