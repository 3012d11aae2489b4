/**
 * SCP transfers over a byte stream to or from a peer running `scp -t` (we are the source) or
 * `scp -f` (we are the sink), with the local side behind LocalFs. The channel that carries the
 * stream (an SSH exec of `scp -t ...`) is the caller's business; `scp()` of the spec sits on top.
 * @module
 */

import { type SFTPAttrs, attrsType } from './attrs.ts';
import { FILEXFER_TYPE } from './constants.ts';
import { type LocalFile, type LocalFs } from './local-fs.ts';
import { SCP_OK, ScpAckReader, ScpError, ScpSinkMachine, encodeDirective } from './scp.ts';
import { StagedFileWriter } from './staged-file-writer.ts';
import { type SftpByteStream } from './stream.ts';

export interface ScpOptions {
  /** Copy directories (scp -r). */
  readonly recurse?: boolean;
  /** Copy times and modes (scp -p). */
  readonly preserve?: boolean;
  /** Block size of file reads when sending (default 64 KiB). */
  readonly blockSize?: number;
  /** Called as each file progresses: name, bytes so far, total. */
  readonly progressHandler?: (path: string, bytesCopied: number, totalBytes: number) => void;
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
  const sendTimes = async (a: SFTPAttrs): Promise<void> => {
    if (!options.preserve || a.mtime === undefined) return;
    await write(stream, encodeDirective({ kind: 'times', mtime: a.mtime, atime: a.atime ?? a.mtime }));
    await acks.next();
  };
  const sendPath = async (path: string): Promise<void> => {
    const attrs = await local.stat(path);
    const name = local.basename(path);
    const mode = (attrs.permissions ?? 0o644) & 0o7777;
    if (attrsType(attrs) === FILEXFER_TYPE.DIRECTORY) {
      if (!options.recurse) throw new ScpError(`${path} is a directory (not recursive)`, false);
      await sendTimes(attrs);
      await write(stream, encodeDirective({ kind: 'dir', mode, name }));
      await acks.next();
      for (const child of await local.readdir(path)) await sendPath(local.join(path, child));
      await write(stream, encodeDirective({ kind: 'end-dir' }));
      await acks.next();
      return;
    }
    const size = attrs.size ?? 0;
    const file = await local.open(path, 'r');
    try {
      await sendTimes(attrs);
      await write(stream, encodeDirective({ kind: 'file', mode, size, name }));
      await acks.next();
      let done = 0;
      while (done < size) {
        let data = await file.read(done, Math.min(block, size - done));
        // A file that shrank meanwhile: pad, as the size is already promised (OpenSSH does the same).
        if (data.length === 0) data = new Uint8Array(Math.min(block, size - done));
        await write(stream, data);
        done += data.length;
        options.progressHandler?.(path, done, size);
      }
      await write(stream, SCP_OK);
      await acks.next();
    } finally {
      await file.close();
    }
  };
  try {
    for (const p of paths) await sendPath(p);
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
  let file: { handle: LocalFile; out: StagedFileWriter; path: string; written: number; size: number; mode: number; times: typeof times } | undefined;
  const dirStack: Array<{ path: string; mode: number; times: typeof times }> = [];
  let failure: ScpError | undefined;
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
              await local.mkdir(path);
              const made = await local.lstat(path);
              if (attrsType(made) !== FILEXFER_TYPE.DIRECTORY) throw new ScpError(`${path} is not a directory`, false);
              dirStack.push({ path, mode: d.mode, times });
              times = undefined;
              sink.accept();
            } else if (d.kind === 'end-dir') {
              const dir = dirStack.pop();
              if (dir) await applyTimes(dir.path, dir.mode, dir.times);
              sink.accept();
            } else {
              const path = localPath(ev.path);
              const existing = await local.lstat(path).catch(() => undefined);
              if (existing && attrsType(existing) === FILEXFER_TYPE.SYMLINK) throw new ScpError(`refusing to write through symlink ${path}`, false);
              const handle = await local.open(path, 'w');
              file = { handle, out: new StagedFileWriter(handle), path, written: 0, size: d.size, mode: d.mode, times };
              times = undefined;
              sink.accept();
            }
          } catch (e) {
            sink.reject(e instanceof Error ? e.message : String(e));
            failure ??= e instanceof ScpError ? e : new ScpError(e instanceof Error ? e.message : String(e), false, { cause: e });
          }
          break;
        }
        case 'data':
          if (file) {
            await file.out.write(ev.data);
            file.written += ev.data.length;
            options.progressHandler?.(file.path, file.written, file.size);
          }
          break;
        case 'file-end':
          if (file) {
            const f = file;
            file = undefined;
            await finishFile(f);
            await applyTimes(f.path, f.mode, f.times);
          }
          sink.accept();
          break;
        case 'peer-error':
          failure ??= new ScpError(ev.message, ev.fatal);
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
