/**
 * Channels of TCP/IP and UNIX socket forwarding (RFC 4254 §7.2, OpenSSH PROTOCOL §2.4) and the
 * plumbing every forward shares: opening a channel for a session object, a pair of streams or
 * a local socket, and answering a channel the peer opens with what the application decided
 * (relay to a destination, a session object, a stream handler, or refuse).
 * @module
 */

import net from 'node:net';
import {
  SSHChannel,
  StreamSession,
  type ChannelConnection,
  type ChannelData,
  type ChannelOptions,
  type ConnectionMux,
  type IncomingChannelOpen,
  type SSHReader,
  type SSHSession,
  type SSHWriter,
} from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE, type ChannelOpenBody } from '@ssh/wire';
import { SSHForwarder } from '../bridge.ts';

/** A direct-tcpip or forwarded-tcpip channel (AsyncSSH's SSHTCPChannel). */
export class SSHTCPChannel<T extends ChannelData = Uint8Array> extends SSHChannel<T> {}

/** A direct-streamlocal or forwarded-streamlocal channel (AsyncSSH's SSHUNIXChannel). */
export class SSHUNIXChannel<T extends ChannelData = Uint8Array> extends SSHChannel<T> {}

/** The callbacks of a forwarded connection's session object (AsyncSSH's SSHTCPSession). */
export type SSHTCPSession<T extends ChannelData = Uint8Array> = SSHSession<T>;
export type SSHUNIXSession<T extends ChannelData = Uint8Array> = SSHSession<T>;

/** Runs a forwarded connection as a pair of streams (AsyncSSH's handler callables). */
export type SSHSocketHandler<T extends string | Uint8Array = Uint8Array> = (
  reader: SSHReader<T, SSHChannel<Uint8Array>>,
  writer: SSHWriter<T, SSHChannel<Uint8Array>>,
) => void | Promise<void>;

/**
 * What the application answers for a forwarded connection: true to relay it to its destination,
 * false to refuse it, a session object, a stream handler, or a channel made with
 * createTcpChannel / createUnixChannel (for its encoding, window and packet size) and the
 * session object to run it, as AsyncSSH's (channel, session) tuple.
 */
export type ForwardAnswer =
  | boolean
  | SSHSession<Uint8Array>
  | SSHSocketHandler<Uint8Array>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | readonly [SSHChannel<any>, SSHSession<any>];

/** Per-channel options of the forwarding methods. */
export interface ForwardChannelOptions {
  /** null (default) for bytes, or a text encoding. */
  readonly encoding?: string | null;
  readonly errors?: 'strict' | 'replace';
  readonly window?: number;
  readonly maxPktsize?: number;
}

/** What a forward needs from its connection. */
export interface ForwardContext {
  readonly mux: ConnectionMux;
  readonly connection: ChannelConnection;
  /** Flushes queued output (after a channel open from outside a message handler). */
  readonly flush: () => void;
}

export type ChannelKind = 'tcp' | 'unix';

export function makeChannel<T extends ChannelData>(kind: ChannelKind, ctx: ForwardContext, options: ForwardChannelOptions & { manualWindow?: boolean }): SSHChannel<T> {
  const o = {
    encoding: options.encoding === undefined ? null : options.encoding,
    ...(options.errors !== undefined ? { errors: options.errors } : {}),
    ...(options.manualWindow === true ? { manualWindow: true } : {}),
  };
  return kind === 'tcp' ? new SSHTCPChannel<T>(ctx.connection, o) : new SSHUNIXChannel<T>(ctx.connection, o);
}

/** The options a channel of createTcpChannel / createUnixChannel was made with (its window, packet size). */
const madeWith = new WeakMap<SSHChannel<ChannelData>, ForwardChannelOptions>();

/**
 * A channel for the application to answer a forwarded connection with (AsyncSSH's
 * create_tcp_channel / create_unix_channel): bytes unless `encoding` is given.
 */
export function createForwardChannel<T extends ChannelData>(kind: ChannelKind, ctx: ForwardContext, options: ForwardChannelOptions = {}): SSHChannel<T> {
  if (options.window !== undefined && (!Number.isInteger(options.window) || options.window <= 0)) throw new RangeError(`window must be a positive integer, not ${options.window}`);
  if (options.maxPktsize !== undefined && (!Number.isInteger(options.maxPktsize) || options.maxPktsize <= 0)) {
    throw new RangeError(`maxPktsize must be a positive integer, not ${options.maxPktsize}`);
  }
  const channel = makeChannel<T>(kind, ctx, options);
  madeWith.set(channel as SSHChannel<ChannelData>, options);
  return channel;
}

function isChannelAnswer(answer: ForwardAnswer): answer is readonly [SSHChannel<ChannelData>, SSHSession<ChannelData>] {
  return Array.isArray(answer);
}

export function muxOptions(options: ForwardChannelOptions): ChannelOptions {
  return {
    ...(options.window !== undefined ? { windowSize: options.window } : {}),
    ...(options.maxPktsize !== undefined ? { maxPacketSize: options.maxPktsize } : {}),
  };
}

/**
 * Opens a channel run by `session` (installed first, so data sent right after the confirmation
 * reaches it); `opened` runs in the same tick as the confirmation. Rejects with ChannelOpenError.
 */
export function openChannelFor<T extends ChannelData>(
  ctx: ForwardContext,
  type: string,
  body: ChannelOpenBody,
  channel: SSHChannel<T>,
  session: SSHSession<T>,
  options: ChannelOptions = {},
  opened?: () => void,
): Promise<void> {
  channel.setSession(session);
  return new Promise((resolve, reject) => {
    const base = channel.handler;
    let open = false;
    ctx.mux.openChannel(
      type,
      body,
      {
        ...base,
        // A channel that never opened has no session to end: the caller hears the rejection.
        onClose: (error) => {
          if (open) base.onClose(error);
        },
        onOpen: (c) => {
          open = true;
          channel.attach(c);
          if (opened) opened();
          else {
            session.connectionMade?.(channel);
            session.sessionStarted?.();
          }
          resolve();
        },
        onOpenFailed: (e) => reject(e),
      },
      options,
    );
    ctx.flush();
  });
}

/** A session and its streams over a byte channel. */
export function streamsFor<T extends string | Uint8Array>(
  channel: SSHChannel<Uint8Array>,
  options: ForwardChannelOptions,
): { session: StreamSession<T>; reader: () => SSHReader<T, SSHChannel<Uint8Array>>; writer: () => SSHWriter<T, SSHChannel<Uint8Array>> } {
  const session = new StreamSession<T>(channel, {
    encoding: options.encoding === undefined ? null : options.encoding,
    ...(options.errors !== undefined ? { errors: options.errors } : {}),
  });
  return { session, reader: () => session.reader(), writer: () => session.writer() };
}

/**
 * Relays a local socket over a new channel: the socket stays paused until the channel is open
 * (then `opened` runs, before data flows); if the open fails, `failed` runs, or the socket is
 * destroyed.
 */
export function forwardSocket(
  ctx: ForwardContext,
  kind: ChannelKind,
  socket: net.Socket,
  type: string,
  body: ChannelOpenBody,
  hooks: { opened?: (channel: SSHChannel<Uint8Array>) => void; failed?: (error: Error) => void } = {},
): void {
  socket.pause();
  const channel = makeChannel<Uint8Array>(kind, ctx, {});
  const bridge = new SSHForwarder(socket);
  openChannelFor(ctx, type, body, channel, bridge, {}, () => {
    bridge.connectionMade(channel);
    hooks.opened?.(channel);
    bridge.start(channel);
    if (socket.destroyed) channel.close();
    else socket.resume();
  }).catch((err: Error) => {
    if (hooks.failed) hooks.failed(err);
    else socket.destroy();
  });
}

/** Where an accepted connection is relayed to when the answer is true. */
export type ConnectTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/**
 * Answers a channel the peer opened: relays it to `target` (answer true), runs it with a
 * session object or stream handler, or refuses it (false). Errors refuse it too.
 */
export function acceptForwarded(
  ctx: ForwardContext,
  kind: ChannelKind,
  request: IncomingChannelOpen,
  answer: ForwardAnswer,
  target: ConnectTarget,
  onError: (err: unknown) => void,
  options: ForwardChannelOptions = {},
): void {
  if (answer === false) {
    request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'forwarding refused');
    return;
  }
  if (answer === true) {
    // Node would take '' for localhost: a name that names no host reaches none (OpenSSH's too).
    if ('host' in target && target.host === '') {
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'no host to connect to');
      return;
    }
    const socket = net.connect({ ...('path' in target ? { path: target.path } : { host: target.host, port: target.port }), allowHalfOpen: true });
    const fail = (err: Error): void => {
      socket.destroy();
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, `connect failed: ${err.message}`);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      socket.on('error', () => socket.destroy());
      const channel = makeChannel<Uint8Array>(kind, ctx, {});
      const bridge = new SSHForwarder(socket);
      channel.setSession(bridge);
      channel.attach(request.accept(channel.handler, muxOptions(options)));
      bridge.start(channel);
      ctx.flush();
    });
    return;
  }
  if (isChannelAnswer(answer)) {
    const [channel, session] = answer;
    const made = madeWith.get(channel);
    if (made === undefined || channel.muxChannel !== undefined) {
      onError(new TypeError('a forwarded connection answered with a channel not made by createTcpChannel / createUnixChannel, or already in use'));
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'forwarding handler failed');
      return;
    }
    madeWith.delete(channel);
    channel.setSession(session);
    channel.attach(request.accept(channel.handler, muxOptions(made)));
    session.connectionMade?.(channel);
    session.sessionStarted?.();
    ctx.flush();
    return;
  }
  if (typeof answer === 'function') {
    const channel = makeChannel<Uint8Array>(kind, ctx, { ...options, encoding: null, manualWindow: true });
    const streams = streamsFor<Uint8Array>(channel, options);
    channel.setSession(streams.session);
    channel.attach(request.accept(channel.handler, muxOptions(options)));
    ctx.flush();
    Promise.resolve()
      .then(() => answer(streams.reader(), streams.writer()))
      .catch((err: unknown) => {
        onError(err);
        channel.abort();
      });
    return;
  }
  const channel = makeChannel<Uint8Array>(kind, ctx, options);
  channel.setSession(answer);
  channel.attach(request.accept(channel.handler, muxOptions(options)));
  answer.connectionMade?.(channel);
  answer.sessionStarted?.();
  ctx.flush();
}
