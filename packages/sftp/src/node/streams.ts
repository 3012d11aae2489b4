/**
 * Node stream adapters: an SftpByteStream over a Readable/Writable pair (a child process's
 * stdout/stdin, a socket, an SSH channel's Duplex).
 * @module
 */

import { type Readable, type Writable } from 'node:stream';
import { BufferPool } from '@ssh/wire';
import { recyclePacket } from '../packets.ts';
import { type SftpByteStream } from '../stream.ts';

/**
 * Wraps a Readable (what the peer sends) and a Writable (what we send); `drain` is the
 * backpressure. `outputClosed` settles when the Writable fails, is destroyed or finishes (the
 * peer went away, or whoever owns it ended it).
 */
export function fromNodeStreams(readable: Readable, writable: Writable): SftpByteStream {
  let closed = false;
  let drain: Promise<void> | undefined;
  let failure: unknown;
  // A write error (EPIPE when the peer went away) must not crash the process: it fails later writes.
  writable.on('error', (e: unknown) => {
    failure ??= e;
  });
  const outputClosed = new Promise<void>((resolve) => {
    if (writable.destroyed || writable.writableFinished) {
      resolve();
      return;
    }
    const done = (): void => {
      writable.off('close', done);
      writable.off('finish', done);
      writable.off('error', done);
      resolve();
    };
    writable.on('close', done);
    writable.on('finish', done);
    writable.on('error', done);
  });
  return {
    outputClosed,
    readable: (async function* () {
      for await (const chunk of readable as AsyncIterable<Buffer | string>) {
        yield typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    })(),
    write(chunk) {
      if (failure !== undefined) return Promise.reject(failure instanceof Error ? failure : new Error(String(failure)));
      if (closed || writable.destroyed) return Promise.reject(new Error('stream closed'));
      if (writable.write(chunk)) return drain;
      drain ??= new Promise<void>((resolve, reject) => {
        const settle = (e?: unknown): void => {
          writable.off('drain', onDrain);
          writable.off('close', onDrain);
          writable.off('error', settle);
          drain = undefined;
          if (e === undefined) resolve();
          else reject(e instanceof Error ? e : new Error(String(e)));
        };
        const onDrain = (): void => settle();
        writable.on('drain', onDrain);
        writable.on('close', onDrain);
        writable.on('error', settle);
      });
      return drain;
    },
    close() {
      if (closed) return;
      closed = true;
      writable.end();
    },
  };
}

/** A Node Duplex (socket, channel) as an SftpByteStream. */
export function fromNodeDuplex(duplex: Readable & Writable): SftpByteStream {
  return fromNodeStreams(duplex, duplex);
}

/** Writes at least this long go out as they are (copying them to gather would cost more). */
const GATHER_MAX_CHUNK = 64 * 1024;
/** Gathered bytes are written once they reach this. */
const GATHER_MAX_BATCH = 128 * 1024;
/** Free buffers for gathered chunks kept (when the stream says what it still holds). */
const GATHER_BUFFERS_FREE = 16;

/** Options of gatherWrites(). */
export interface GatherOptions {
  /**
   * Bytes written to `stream` that it still holds, not yet passed on (an SSH channel's write
   * buffer, waiting for the peer's window). With it, the file system server's reply buffers that
   * were written as they are also serve later replies, once the stream let go of every byte of
   * them, and so do the gathered chunks themselves. Bytes that others queue on the same channel
   * only make the count larger (later reuse, never earlier). Without it, only the buffers copied
   * into a gathered chunk are reused.
   */
  readonly unsent?: () => number;
}

/**
 * `stream` with its small writes gathered until the event loop has handled what was ready (one
 * setImmediate), then written as one chunk. SFTP writes one packet at a time: a READ request, or
 * a reply of 32 KiB + 13 bytes to OpenSSH's 32 KiB READs. Over an SSH channel each write became
 * SSH packets of its own (that reply a full packet and a 13-byte one) and, on a client, a socket
 * write of its own; gathered, the channel cuts them into full packets. Order is kept: a large
 * write first sends what was gathered before it. The file system server's reply buffers that were
 * copied into a gathered chunk serve later replies, as do those passed on as they are once
 * `options.unsent` says the stream is done with them.
 */
export function gatherWrites(stream: SftpByteStream, options: GatherOptions = {}): SftpByteStream {
  const unsent = options.unsent;
  let parts: Uint8Array[] = [];
  let bytes = 0;
  let scheduled = false;
  // The last backpressure promise of the stream, until it settles.
  let waiting: Promise<void> | undefined;
  // Bytes passed to `stream`, and the chunks passed with where they end in that count: reply
  // buffers passed as they are, and gathered chunks (from `chunks`). A fresh 128 KiB buffer per
  // gathered chunk is mapped and unmapped by malloc each time: serving 32 KiB READs, that was
  // most of a server's CPU outside its main thread.
  let written = 0;
  const held: Array<{ end: number; packet: Uint8Array }> = [];
  const chunks = unsent ? new BufferPool(GATHER_MAX_BATCH, 1, GATHER_BUFFERS_FREE) : undefined;
  const release = (): void => {
    if (!unsent || held.length === 0) return;
    const passedOn = written - unsent();
    let n = 0;
    for (; n < held.length && (held[n] as { end: number }).end <= passedOn; n++) {
      const { packet } = held[n] as { packet: Uint8Array };
      chunks?.give(packet);
      recyclePacket(packet);
    }
    if (n > 0) held.splice(0, n);
  };
  const pass = (chunk: Uint8Array, copied: boolean): void => {
    written += chunk.length;
    if (unsent && (!copied || chunks)) held.push({ end: written, packet: chunk });
    const p = stream.write(chunk);
    release();
    if (!p) return;
    waiting = p;
    const clear = (): void => {
      if (waiting === p) waiting = undefined;
      release();
    };
    p.then(clear, clear);
  };
  const flush = (): void => {
    scheduled = false;
    if (bytes === 0) return;
    const gathered = parts;
    parts = [];
    let chunk = gathered[0] as Uint8Array;
    if (gathered.length > 1) {
      chunk = chunks ? chunks.take(bytes) : new Uint8Array(bytes);
      let at = 0;
      for (const part of gathered) {
        chunk.set(part, at);
        at += part.length;
        recyclePacket(part);
      }
    }
    bytes = 0;
    pass(chunk, gathered.length > 1);
  };
  return {
    readable: stream.readable,
    ...(stream.transient === true ? { transient: true } : {}),
    ...(stream.outputClosed ? { outputClosed: stream.outputClosed } : {}),
    ...(stream.closed ? { closed: stream.closed } : {}),
    write(chunk) {
      release();
      if (chunk.length >= GATHER_MAX_CHUNK) {
        flush();
        pass(chunk, false);
        return waiting;
      }
      if (bytes + chunk.length > GATHER_MAX_BATCH) flush();
      parts.push(chunk);
      bytes += chunk.length;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return waiting;
    },
    close() {
      flush();
      stream.close();
    },
  };
}
