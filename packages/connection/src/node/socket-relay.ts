/**
 * Relays a node socket (a child process's stdout or stderr, a TCP connection) into an SSHWriter
 * without a buffer per read: the socket reads into a reused buffer (@ssh/transport's
 * readIntoReusedBuffer) and each read goes to `writeTransient()`, which seals what the peer's
 * window takes straight from it and copies only what must wait; reading then stops until that
 * has gone out. A command streaming output through a server this way costs about half the CPU
 * of a buffer per read plus async iteration.
 * Every relay reads into the same buffer, as each read is done with when its callback returns:
 * a thousand idle processes cost no buffer each.
 * @module
 */

import { Socket } from 'node:net';
import { readIntoReusedBuffer, sharedReadBuffer } from '@ssh/transport/node';
import { pump, type Pump } from '../session/redirect.ts';
import { SSHWriter } from '../stream/writer.ts';

type AnyWriter = SSHWriter<string, unknown> | SSHWriter<Uint8Array, unknown> | SSHWriter<string | Uint8Array, unknown>;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Copies `socket` into `writer` until the socket ends, then sends EOF when `end`, reading only
 * while the writer takes more. Rejects with the first error of either side, destroying the
 * socket; a socket closed before its end rejects too. Undefined, with the socket untouched, when
 * it cannot read into a reused buffer (another runtime, a 'data' listener or a decoder on it):
 * relay it as a Readable then.
 */
export function relaySocket(socket: Socket, writer: AnyWriter, end: boolean): Promise<void> | undefined {
  // Made first: bytes the socket already holds reach `receive` (and may fail) before it returns.
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    socket.destroy();
    settle?.reject(asError(error));
  };
  const receive = (chunk: Uint8Array): boolean => {
    if (failed) return false;
    let wait: Promise<void> | undefined;
    try {
      const more = writer.writeTransient(chunk);
      // Part of it waits for the peer's window (copied, as the buffer is reused): the socket
      // stops reading until that has gone out, leaving later bytes in the source rather than
      // copying every read while the window stays shut (a tenth of a server's CPU streaming
      // to a slower client). A sink that cannot tell: until the buffer went down.
      wait = writer.whenSent() ?? (more ? undefined : writer.drain());
    } catch (error) {
      fail(error);
      return false;
    }
    if (wait === undefined) return true;
    wait.then(() => {
      if (!failed && !socket.destroyed) socket.resume();
    }, fail);
    return false;
  };
  // Refused (a 'data' listener or a decoder on it): `done` is dropped unsettled, never rejected.
  if (!readIntoReusedBuffer(socket, receive, sharedReadBuffer())) return undefined;
  let ended = false;
  socket.once('end', () => {
    ended = true;
    if (failed) return;
    try {
      if (end && writer.canWriteEof()) writer.writeEof();
      settle?.resolve();
    } catch (error) {
      fail(error);
    }
  });
  socket.once('error', fail);
  socket.once('close', () => {
    if (!ended) fail(new Error('ssh: source closed before its end'));
  });
  return done;
}

/**
 * pump() for Node: a node socket nothing has read yet (a local child's stdout or stderr, a TCP
 * connection) copied into an SSH stream goes through relaySocket(); anything else through pump().
 * Give it as the `pump` of a StreamSession to have its processes' redirect() use it.
 */
export const nodePump: Pump = (source, target, options = {}) => {
  if (source instanceof Socket && target instanceof SSHWriter) {
    const relayed = relaySocket(source, target, options.sendEof !== false);
    if (relayed !== undefined) return relayed;
  }
  return pump(source, target, options);
};
