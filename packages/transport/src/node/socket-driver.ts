/**
 * Drives a sans-I/O `Transport` over a Node duplex stream (a `net.Socket`, a child's stdio, ...):
 * bytes from the stream go in, output goes out with backpressure, events go to a callback, and a
 * rekey timer runs while the connection lives. The one place transport code touches Node I/O.
 * @module
 */

import type { Duplex } from 'node:stream';
import { ConnectionLost } from '../errors.ts';
import type { Transport, TransportEvent } from '../transport.ts';

export interface SocketDriverOptions {
  /** Called for every transport event, in order. Calls back into the transport are fine. */
  readonly onEvent: (event: TransportEvent) => void;
  /** Called once when the stream ends or the transport closes, with the reason. */
  readonly onClose?: (error: Error | undefined) => void;
  /** How often to check the rekey limits, in ms (default 60 s; 0 disables the timer). */
  readonly rekeyCheckMs?: number;
}

export interface SocketDriver {
  /** Writes what the transport has queued and delivers its events; call after `transport.send()`. */
  flush(): void;
  /** Sends a disconnect (if still open) and ends the stream. */
  close(): void;
}

/** One vectored write (writev) for the chunks of several packets, instead of joining them. */
function writeParts(stream: Duplex, parts: readonly Uint8Array[]): void {
  if (parts.length === 1) {
    stream.write(parts[0]);
    return;
  }
  stream.cork();
  for (const part of parts) stream.write(part);
  stream.uncork();
}

export function driveTransport(stream: Duplex, transport: Transport, options: SocketDriverOptions): SocketDriver {
  let closed = false;
  let flushing = false;
  const timer =
    (options.rekeyCheckMs ?? 60_000) > 0
      ? setInterval(() => {
          transport.checkRekey();
          flush();
        }, options.rekeyCheckMs ?? 60_000)
      : undefined;
  timer?.unref();

  // After our DISCONNECT nothing more is read: end our side and, once that is written, close the
  // socket, so a peer that keeps its half open (and keeps sending) cannot hold it.
  const shutdown = (): void => {
    if (stream.writableEnded) return;
    stream.end(() => stream.destroy());
  };

  const finish = (error: Error | undefined): void => {
    if (closed) return;
    closed = true;
    if (timer) clearInterval(timer);
    options.onClose?.(error);
  };

  function flush(): void {
    if (flushing) return; // an event handler called back in: the outer loop picks it up
    flushing = true;
    try {
      for (;;) {
        let progressed = false;
        for (let out = transport.takeOutputParts(); out; out = transport.takeOutputParts()) {
          progressed = true;
          if (!stream.destroyed) writeParts(stream, out);
        }
        for (let e = transport.nextEvent(); e; e = transport.nextEvent()) {
          progressed = true;
          options.onEvent(e);
          if (e.type === 'disconnect') {
            const out = transport.takeOutput();
            if (out && !stream.destroyed) stream.write(out);
            shutdown();
            finish(e.error);
          }
        }
        if (!progressed) break;
      }
    } finally {
      flushing = false;
    }
    if (transport.isClosed) shutdown();
  }

  stream.on('data', (chunk: Uint8Array) => {
    transport.receive(chunk);
    flush();
  });
  stream.on('error', (err) => finish(new ConnectionLost(err.message, undefined, { cause: err })));
  stream.on('close', () => finish(transport.isClosed ? undefined : new ConnectionLost('connection closed by peer')));
  flush();

  return {
    flush,
    close() {
      if (!transport.isClosed) transport.disconnect();
      flush();
      shutdown();
    },
  };
}
