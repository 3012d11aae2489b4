/**
 * Node stream adapters for SSHReader / SSHWriter: a Readable that pulls from a reader only when
 * Node asks for data, a Writable whose writes wait for the channel to drain, and pipe helpers
 * that respect backpressure on both ends (the basis of process redirects).
 * @module
 */

import { Buffer } from 'node:buffer';
import { Socket } from 'node:net';
import process from 'node:process';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type SSHReader } from '../stream/reader.ts';
import { type SSHWriter } from '../stream/writer.ts';
import { relaySocket } from './socket-relay.ts';

/** The default size of one read from an SSHReader on behalf of a Node stream. */
const DEFAULT_CHUNK_SIZE = 64 * 1024;

// Adapters take readers and writers of either kind.
type AnyReader = SSHReader<string, unknown> | SSHReader<Uint8Array, unknown> | SSHReader<string | Uint8Array, unknown>;
type AnyWriter = SSHWriter<string, unknown> | SSHWriter<Uint8Array, unknown> | SSHWriter<string | Uint8Array, unknown>;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export interface ReaderToReadableOptions {
  /** Push the reader's values as they are (strings stay strings) instead of as Buffers. */
  readonly objectMode?: boolean;
  /** The largest read made from the reader at a time (units). Default 64 KiB. */
  readonly chunkSize?: number;
  /** The Readable's highWaterMark. */
  readonly highWaterMark?: number;
}

/** Pulls from an SSHReader one read per `_read`; a read error waits for the data pushed before it. */
class ReaderReadable extends Readable {
  readonly #reader: AnyReader;
  readonly #chunkSize: number;
  readonly #objectMode: boolean;
  #pending = false;
  #error: Error | undefined;

  constructor(reader: AnyReader, options: ReaderToReadableOptions) {
    const objectMode = options.objectMode ?? false;
    super({ objectMode, ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }) });
    this.#reader = reader;
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#objectMode = objectMode;
  }

  override _read(): void {
    if (this.#pending || this.#error !== undefined) return;
    this.#pending = true;
    (this.#reader.read(this.#chunkSize) as Promise<string | Uint8Array>).then(
      (chunk) => {
        this.#pending = false;
        if (this.destroyed) return;
        if (chunk.length === 0) this.push(null);
        else if (this.#objectMode || typeof chunk === 'string') this.push(chunk);
        else this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      },
      (error: unknown) => {
        this.#pending = false;
        // Destroying discards what the Readable holds: deliver that first (see read()).
        if (this.readableLength === 0) this.destroy(asError(error));
        else this.#error = asError(error);
      },
    );
  }

  override read(size?: number): unknown {
    const out: unknown = super.read(size);
    const error = this.#error;
    if (error !== undefined && this.readableLength === 0) {
      this.#error = undefined;
      process.nextTick(() => this.destroy(error));
    }
    return out;
  }
}

/**
 * A Readable over `reader`: one read from the reader per `_read` call, so data stays in the
 * channel's buffer (and its window stays closed) while the Readable's consumer is slow. Ends at
 * EOF; a read error (an exception queued with the data, a lost connection) destroys the Readable
 * once the data read before it has been consumed.
 */
export function readerToReadable(reader: AnyReader, options: ReaderToReadableOptions = {}): Readable {
  return new ReaderReadable(reader, options);
}

export interface WriterToWritableOptions {
  /** Send EOF when the Writable ends (default true; only when the writer can). */
  readonly writeEof?: boolean;
  /** The Writable's highWaterMark. */
  readonly highWaterMark?: number;
}

/**
 * A Writable over `writer`: each write completes once `writer.drain()` resolves, so a writer
 * to a Writable sees the channel's flow control; ending it sends EOF.
 */
export function writerToWritable(writer: AnyWriter, options: WriterToWritableOptions = {}): Writable {
  const sendEof = options.writeEof ?? true;
  return new Writable({
    ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
    write(chunk: Buffer, _encoding, callback) {
      try {
        (writer as SSHWriter<Uint8Array, unknown>).write(chunk);
      } catch (error) {
        callback(asError(error));
        return;
      }
      writer.drain().then(
        () => callback(),
        (error: unknown) => callback(asError(error)),
      );
    },
    final(callback) {
      try {
        if (sendEof && writer.canWriteEof()) writer.writeEof();
        callback();
      } catch (error) {
        callback(asError(error));
      }
    },
  });
}

export interface PipeOptions {
  /** Finish the destination when the source ends: EOF on a writer, `end()` on a Writable. Default true. */
  readonly end?: boolean;
}

/**
 * Copies `readable` into `writer`, waiting for `writer.drain()` after each chunk (so the
 * Readable is not read faster than the channel sends), then sends EOF. Strings are written as
 * UTF-8 to a byte writer. Rejects with the first error of either side; on error the Readable is
 * destroyed. A socket (a child process's pipe, a TCP connection) nothing has read from yet is
 * read into one reused buffer instead (see socket-relay.ts).
 */
export async function pipeReadableToWriter(readable: Readable, writer: AnyWriter, options: PipeOptions = {}): Promise<void> {
  if (readable instanceof Socket) {
    const relayed = relaySocket(readable, writer, options.end ?? true);
    if (relayed !== undefined) return relayed;
  }
  const bytesOnly = writer.encoding === null;
  for await (const chunk of readable as AsyncIterable<unknown>) {
    const data = typeof chunk === 'string' && bytesOnly ? Buffer.from(chunk, 'utf8') : chunk;
    (writer as SSHWriter<string | Uint8Array, unknown>).write(data as string | Uint8Array);
    await writer.drain();
  }
  if ((options.end ?? true) && writer.canWriteEof()) writer.writeEof();
}

/** Resolves on 'drain'; rejects if the Writable errors or closes first. */
function drained(writable: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      writable.off('drain', onDrain);
      writable.off('error', onError);
      writable.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(asError(error));
    };
    const onClose = (): void => {
      cleanup();
      reject(writable.errored ?? new Error('ssh: destination closed before it drained'));
    };
    writable.on('drain', onDrain);
    writable.on('error', onError);
    writable.on('close', onClose);
  });
}

export interface PipeReaderOptions extends PipeOptions {
  /** The largest read made from the reader at a time (units). Default 64 KiB. */
  readonly chunkSize?: number;
}

/**
 * Copies `reader` into `writable` until EOF, reading again only once the Writable accepts more
 * (so unread data holds the channel window closed), then ends the Writable and waits for it to
 * finish. Rejects with the first error of either side.
 */
export async function pipeReaderToWritable(reader: AnyReader, writable: Writable, options: PipeReaderOptions = {}): Promise<void> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  // An error emitted while we wait on the reader must not go unhandled; it fails the next write.
  let failure: Error | undefined;
  const onError = (error: unknown): void => {
    failure ??= asError(error);
  };
  writable.on('error', onError);
  try {
    for (;;) {
      const chunk = (await reader.read(chunkSize)) as string | Uint8Array;
      if (chunk.length === 0) break;
      if (failure !== undefined) throw failure;
      if (writable.destroyed || writable.writableEnded) throw new Error('ssh: destination closed');
      if (!writable.write(chunk)) await drained(writable);
    }
    if (options.end ?? true) {
      writable.end();
      await finished(writable);
    }
  } finally {
    writable.off('error', onError);
  }
}
