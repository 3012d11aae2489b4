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
  const failed = new Promise<void>((_resolve, reject) => {
    writable.once('error', reject);
  });
  failed.catch(() => undefined);
  return {
    readable: (async function* () {
      for await (const chunk of readable as AsyncIterable<Buffer | string>) {
        yield typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    })(),
    write(chunk) {
      if (closed || writable.destroyed) return Promise.reject(new Error('stream closed'));
      if (writable.write(chunk)) return drain;
      drain ??= Promise.race([
        new Promise<void>((resolve) => {
          writable.once('drain', () => {
            drain = undefined;
            resolve();
          });
          writable.once('close', () => {
            drain = undefined;
            resolve();
          });
        }),
        failed,
      ]);
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
