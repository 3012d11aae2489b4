/**
 * Drives a sans-I/O `Transport` over a Node duplex stream (a `net.Socket`, a child's stdio, ...):
 * bytes from the stream go in, output goes out with backpressure, events go to a callback, and a
 * rekey timer runs while the connection lives. The one place transport code touches Node I/O.
 * @module
 */

import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectionLost } from '../errors.ts';
import type { Transport, TransportEvent } from '../transport.ts';
import { readSinkOf } from './socket-reads.ts';

export interface SocketDriverOptions {
  /** Called for every transport event, in order. Calls back into the transport are fine. */
  readonly onEvent: (event: TransportEvent) => void;
  /** Called once when the stream ends or the transport closes, with the reason. */
  readonly onClose?: (error: Error | undefined) => void;
  /** How often to check the rekey limits, in ms (default 60 s; 0 disables the timer). */
  readonly rekeyCheckMs?: number;
  /** Called for every chunk of bytes received (before the transport sees it). */
  readonly onBytes?: () => void;
  /**
   * When set, what the transport queues while it handles received bytes (replies, the
   * application's writes from its event handlers) is not written at once: this is called instead
   * and the owner calls `flush()` later in the turn, so those packets share one write with what the
   * application sends in its continuations (a channel's CLOSE with the next channel's OPEN).
   */
  readonly onOutputDeferred?: () => void;
}

export interface SocketDriver {
  /** Writes what the transport has queued and delivers its events; call after `transport.send()`. */
  flush(): void;
  /** Sends a disconnect (if still open) and ends the stream. */
  close(): void;
}

/**
 * One vectored write (writev) for the chunks of several packets, instead of joining them;
 * `written` runs once all of them have been written (or the write failed).
 */
function writeParts(stream: Duplex, parts: readonly Uint8Array[], written: (() => void) | undefined): void {
  if (parts.length === 1) {
    stream.write(parts[0], written);
    return;
  }
  stream.cork();
  const last = parts.length - 1;
  for (let i = 0; i < last; i++) stream.write(parts[i]);
  stream.write(parts[last], written);
  stream.uncork();
}

/**
 * Whether a completed write means the stream no longer holds the chunk. A plain net.Socket's
 * callback runs once libuv handed the bytes to the kernel; other Duplexes may call back earlier
 * and still hold the chunk (a Duplex over an SSH channel queues it for the peer's window).
 */
function writesCopy(stream: Duplex): boolean {
  return Object.getPrototypeOf(stream) === net.Socket.prototype;
}

export function driveTransport(stream: Duplex, transport: Transport, options: SocketDriverOptions): SocketDriver {
  let closed = false;
  let flushing = false;
  const recycle = writesCopy(stream);
  const deferOutput = options.onOutputDeferred !== undefined;
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

  /** `holdOutput`: leave what the transport queued to the owner (onOutputDeferred), unless it closed. */
  function flush(holdOutput = false): void {
    if (flushing) return; // an event handler called back in: the outer loop picks it up
    flushing = true;
    try {
      for (;;) {
        let progressed = false;
        // A closed transport writes at once: what it queued last (a DISCONNECT) must go out
        // before the stream is ended below.
        for (let out = holdOutput && !transport.isClosed ? undefined : transport.takeOutputParts(); out; out = transport.takeOutputParts()) {
          progressed = true;
          // Sealed packets' buffers go back to be sealed into again once the socket wrote them.
          const parts = out;
          if (!stream.destroyed) writeParts(stream, parts, recycle ? () => transport.outputWritten(parts) : undefined);
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
    if (holdOutput && transport.hasOutput) options.onOutputDeferred?.();
    if (transport.isClosed) shutdown();
  }

  const receive = (chunk: Uint8Array, transient: boolean): void => {
    options.onBytes?.();
    transport.receive(chunk, transient);
    flush(deferOutput);
  };
  const sink = readSinkOf(stream);
  if (sink) sink.attach(receive);
  else stream.on('data', (chunk: Uint8Array) => receive(chunk, false));
  stream.on('error', (err) => finish(new ConnectionLost(err.message, undefined, { cause: err })));
  stream.on('close', () => finish(transport.isClosed ? undefined : new ConnectionLost('connection closed by peer')));
  flush();

  return {
    flush: () => flush(),
    close() {
      if (!transport.isClosed) transport.disconnect();
      flush();
      shutdown();
    },
  };
}
