/**
 * Node stream adapters: an SftpByteStream over a Readable/Writable pair (a child process's
 * stdout/stdin, a socket, an SSH channel's Duplex).
 * @module
 */

import { type Readable, type Writable } from 'node:stream';
import { type SftpByteStream } from '../stream.ts';

/** Wraps a Readable (what the peer sends) and a Writable (what we send); `drain` is the backpressure. */
export function fromNodeStreams(readable: Readable, writable: Writable): SftpByteStream {
  let closed = false;
  let drain: Promise<void> | undefined;
  let failure: unknown;
  // A write error (EPIPE when the peer went away) must not crash the process: it fails later writes.
  writable.on('error', (e: unknown) => {
    failure ??= e;
  });
  return {
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
