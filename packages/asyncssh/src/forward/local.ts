/**
 * Local forwarding on the client: a listening socket of ours whose connections become
 * direct-tcpip (RFC 4254 §7.2) or direct-streamlocal@openssh.com (OpenSSH PROTOCOL §2.4)
 * channels, and dynamic forwarding, where a SOCKS handshake on each connection names the
 * destination.
 * @module
 */

import type net from 'node:net';
import { ChannelOpenError } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE, type ChannelOpenBody } from '@ssh/wire';
import { forwardSocket, type ForwardContext } from './channel.ts';
import { LocalListener, plainAddress, type ListenTarget } from './listener.ts';
import { MAX_SOCKS_HANDSHAKE, SOCKS5_REPLY, parseSocks, socks4Reply, socks5Reply } from './socks.ts';

/** Where local connections are forwarded to on the server's side. */
export type LocalDestination = { readonly host: string; readonly port: number } | { readonly path: string };

/** Decides per accepted connection (AsyncSSH's accept_handler): false closes it. */
export type AcceptHandler = (origHost: string, origPort: number) => boolean | Promise<boolean>;

/** Seconds a SOCKS client has to finish its handshake. */
const SOCKS_HANDSHAKE_TIMEOUT_MS = 30_000;

/** The channel type and open body that reach `dest`, for a connection from `socket`. */
export function directOpen(dest: LocalDestination, origHost: string, origPort: number): { kind: 'tcp' | 'unix'; type: string; body: ChannelOpenBody } {
  if ('path' in dest) {
    return {
      kind: 'unix',
      type: 'direct-streamlocal@openssh.com',
      body: { type: 'direct-streamlocal@openssh.com', socketPath: dest.path, reserved: new Uint8Array(0), reservedPort: 0 },
    };
  }
  return {
    kind: 'tcp',
    type: 'direct-tcpip',
    body: { type: 'direct-tcpip', hostToConnect: dest.host, portToConnect: dest.port, originatorAddress: origHost, originatorPort: origPort },
  };
}

function origin(socket: net.Socket): [string, number] {
  return [plainAddress(socket.remoteAddress), socket.remotePort ?? 0];
}

/** Listens on `target` and forwards each connection to `dest` through the server. */
export function forwardLocal(
  ctx: ForwardContext,
  target: ListenTarget,
  dest: LocalDestination,
  acceptHandler: AcceptHandler | undefined,
  onClose: (listener: LocalListener) => void,
): Promise<LocalListener> {
  let self: LocalListener | undefined;
  return LocalListener.open(
    target,
    (socket) => {
      const [origHost, origPort] = origin(socket);
      const go = (ok: boolean): void => {
        if (!ok) {
          socket.destroy();
          return;
        }
        const open = directOpen(dest, origHost, origPort);
        forwardSocket(ctx, open.kind, socket, open.type, open.body);
      };
      if (!acceptHandler) go(true);
      else
        Promise.resolve()
          .then(() => acceptHandler(origHost, origPort))
          .then(go, () => socket.destroy());
    },
    () => {
      if (self) onClose(self);
    },
  ).then((listener) => (self = listener));
}

/** Listens on `target` as a SOCKS 4/4a/5 proxy whose connections go through the server. */
export function forwardSocks(ctx: ForwardContext, target: ListenTarget, onClose: (listener: LocalListener) => void): Promise<LocalListener> {
  let self: LocalListener | undefined;
  return LocalListener.open(
    target,
    (socket) => socksHandshake(ctx, socket),
    () => {
      if (self) onClose(self);
    },
  ).then((listener) => (self = listener));
}

/**
 * The SOCKS 5 reply (RFC 1928 §6) for a channel open that failed: a destination the server does
 * not permit (PermitOpen, permitopen=) is "not allowed by ruleset", one it could not reach
 * "connection refused", anything else (no resources, the connection gone) "general failure".
 */
function socks5Failure(err: Error): number {
  if (!(err instanceof ChannelOpenError)) return SOCKS5_REPLY.GENERAL_FAILURE;
  if (err.reasonCode === CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED) return SOCKS5_REPLY.NOT_ALLOWED;
  if (err.reasonCode === CHANNEL_OPEN_FAILURE.CONNECT_FAILED) return SOCKS5_REPLY.CONNECTION_REFUSED;
  return SOCKS5_REPLY.GENERAL_FAILURE;
}

/** Time a refused SOCKS client has to read our refusal before its connection is dropped. */
const SOCKS_REFUSAL_LINGER_MS = 1000;

/**
 * Sends a SOCKS refusal and releases the connection: once the client closes its side too (what
 * it sends meanwhile is dropped), or after SOCKS_REFUSAL_LINGER_MS if it does not.
 */
function refuseSocks(socket: net.Socket, reply: Uint8Array): void {
  if (socket.destroyed) return;
  socket.end(reply);
  socket.resume();
  setTimeout(() => socket.destroy(), SOCKS_REFUSAL_LINGER_MS).unref();
}

function socksHandshake(ctx: ForwardContext, socket: net.Socket): void {
  const [origHost, origPort] = origin(socket);
  let buf: Uint8Array = new Uint8Array(0);
  let greeted = false;
  const timer = setTimeout(() => socket.destroy(), SOCKS_HANDSHAKE_TIMEOUT_MS);
  timer.unref();
  const stop = (): void => {
    clearTimeout(timer);
    socket.pause();
    socket.off('data', onData);
    socket.off('end', onEnd);
  };
  // The client closed its side before finishing the handshake: it never will.
  const onEnd = (): void => {
    stop();
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    const joined = new Uint8Array(buf.length + chunk.length);
    joined.set(buf);
    joined.set(chunk, buf.length);
    buf = joined;
    for (;;) {
      const step = parseSocks(buf, greeted);
      switch (step.kind) {
        case 'more':
          if (buf.length > MAX_SOCKS_HANDSHAKE) {
            stop();
            socket.destroy();
          }
          return;
        case 'error':
          stop();
          if (step.reply) refuseSocks(socket, step.reply);
          else socket.destroy();
          return;
        case 'greeting':
          greeted = true;
          buf = buf.subarray(step.consumed);
          socket.write(step.reply);
          continue;
        case 'connect': {
          stop();
          const early = buf.subarray(step.consumed);
          const open = directOpen({ host: step.host, port: step.port }, origHost, origPort);
          const version = step.version;
          forwardSocket(ctx, 'tcp', socket, open.type, open.body, {
            opened: (channel) => {
              socket.write(version === 5 ? socks5Reply(SOCKS5_REPLY.SUCCEEDED) : socks4Reply(true));
              if (early.length > 0) channel.write(early.slice());
            },
            failed: (err) => refuseSocks(socket, version === 5 ? socks5Reply(socks5Failure(err)) : socks4Reply(false)),
          });
          return;
        }
      }
    }
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.resume();
}
