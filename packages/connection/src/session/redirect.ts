/**
 * Process redirection (AsyncSSH's SSHProcess.redirect): pumps between a process's streams and
 * other SSH streams, Node streams or any async iterable / writable-like object, with
 * backpressure on both ends: nothing is read faster than the target accepts it.
 * File names and local child processes are turned into streams by the Node layer before they
 * get here.
 * @module
 */

import { SSHReader, SSHWriter } from '../stream/index.ts';

/** 'pipe': keep the stream for the application; 'devnull': discard / send nothing. */
export type PipeMode = 'pipe' | 'devnull';

/** Something with write() (and maybe end() and a 'drain' event), such as a Node Writable. */
export interface WritableLike {
  write(chunk: Uint8Array | string): unknown;
  end?(): unknown;
  once?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  off?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  readonly writableNeedDrain?: boolean;
}

export type RedirectSource = PipeMode | SSHReader<string> | SSHReader<Uint8Array> | AsyncIterable<Uint8Array | string>;
export type RedirectSink = PipeMode | 'stdout' | SSHWriter<string> | SSHWriter<Uint8Array> | WritableLike;

const encoder = new TextEncoder();

function asBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

/** Chunks of a source: SSHReader reads of up to `bufsize`, or the iterable's own chunks. */
async function* chunksOf(source: SSHReader<string> | SSHReader<Uint8Array> | AsyncIterable<Uint8Array | string>, bufsize: number): AsyncGenerator<Uint8Array | string> {
  if (source instanceof SSHReader) {
    for (;;) {
      const chunk: string | Uint8Array = await (source as SSHReader<string | Uint8Array>).read(bufsize);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }
  yield* source as AsyncIterable<Uint8Array | string>;
}

/** Writes one chunk and waits until the target can take more. */
async function writeTo(target: SSHWriter<string> | SSHWriter<Uint8Array> | WritableLike, chunk: Uint8Array | string): Promise<void> {
  if (target instanceof SSHWriter) {
    const w = target as SSHWriter<string | Uint8Array>;
    w.write(w.encoding === null ? asBytes(chunk) : chunk);
    await w.drain();
    return;
  }
  const ok = target.write(chunk);
  if (ok === false && target.once) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        target.off?.('drain', done);
        target.off?.('close', done);
        target.off?.('error', done);
        resolve();
      };
      target.once?.('drain', done);
      target.once?.('close', done);
      target.once?.('error', done);
    });
  }
}

function endTarget(target: SSHWriter<string> | SSHWriter<Uint8Array> | WritableLike): void {
  if (target instanceof SSHWriter) {
    if (target.canWriteEof()) target.writeEof();
  } else target.end?.();
}

/**
 * Copies `source` into `target` until the source ends, then ends the target when `sendEof`.
 * Resolves when done; rejects with the source's or target's error.
 */
export async function pump(
  source: SSHReader<string> | SSHReader<Uint8Array> | AsyncIterable<Uint8Array | string>,
  target: SSHWriter<string> | SSHWriter<Uint8Array> | WritableLike,
  options: { readonly bufsize?: number; readonly sendEof?: boolean } = {},
): Promise<void> {
  for await (const chunk of chunksOf(source, options.bufsize ?? 65536)) await writeTo(target, chunk);
  if (options.sendEof !== false) endTarget(target);
}

/**
 * How a process's redirect() copies a source into one of its streams: pump(), or a platform's
 * own that knows some sources better (@ssh/connection/node's nodePump reads a node socket, such
 * as a local child's stdout, into a reused buffer).
 */
export type Pump = typeof pump;

/** Reads a source to its end and discards it (DEVNULL for output), keeping the window moving. */
export async function discard(source: SSHReader<string> | SSHReader<Uint8Array>): Promise<void> {
  // Transient: each received buffer goes back to take later packets.
  for await (const chunk of (source as SSHReader<string | Uint8Array>).chunks({ transient: true })) void chunk;
}

/** Reads a reader to its end and returns everything it gave, joined. */
export async function collect<T extends string | Uint8Array>(reader: SSHReader<T>): Promise<T> {
  const parts: T[] = [];
  for (;;) {
    const chunk = await reader.read(65536);
    if (chunk.length === 0) break;
    parts.push(chunk);
  }
  if (reader.encoding !== null) return (parts as string[]).join('') as T;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts as Uint8Array[]) {
    out.set(p, off);
    off += p.length;
  }
  return out as T;
}
