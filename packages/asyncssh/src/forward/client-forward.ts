/**
 * The forwarding methods of a client connection, as AsyncSSH's SSHClientConnection has them:
 * direct connections (createConnection, openConnection and their UNIX twins), local and remote
 * port and path forwarding, dynamic (SOCKS) forwarding, and remote listeners run by the
 * application (createServer, startServer and their UNIX twins).
 * @module
 */

import type { IncomingChannelOpen, SSHChannel, SSHReader, SSHWriter } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import {
  acceptForwarded,
  makeChannel,
  muxOptions,
  openChannelFor,
  streamsFor,
  type ForwardAnswer,
  type ForwardChannelOptions,
  type ForwardContext,
  type SSHSocketHandler,
  type SSHTCPChannel,
  type SSHTCPSession,
  type SSHUNIXChannel,
  type SSHUNIXSession,
} from './channel.ts';
import { directOpen, forwardLocal, forwardSocks, type AcceptHandler, type LocalDestination } from './local.ts';
import type { LocalListener, ListenTarget, SSHListener } from './listener.ts';
import { RemoteForwards } from './remote.ts';

export interface DirectConnectionOptions extends ForwardChannelOptions {
  /** The originator reported to the server (default '' and 0). */
  readonly origHost?: string;
  readonly origPort?: number;
}

export interface LocalForwardOptions {
  /** Called for each accepted connection; false closes it. */
  readonly acceptHandler?: AcceptHandler;
}

/** The data type a session object takes: string when its dataReceived takes strings, else bytes. */
export type DataOf<S> = S extends { dataReceived?(data: infer T, datatype: number | undefined): unknown } ? (T extends string ? string : Uint8Array) : Uint8Array;

type Streams<T extends string | Uint8Array> = [SSHReader<T, SSHChannel<Uint8Array>>, SSHWriter<T, SSHChannel<Uint8Array>>];

/** Makes a session object per forwarded connection, or false to refuse it. */
export type SessionFactory<S> = (origHost: string, origPort: number) => S | false | Promise<S | false>;
/** Makes a stream handler per forwarded connection, or false to refuse it. */
export type HandlerFactory = (origHost: string, origPort: number) => SSHSocketHandler | false | Promise<SSHSocketHandler | false>;

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${what} must be 0-65535, not ${port}`);
}

export class ClientForwarding {
  private readonly ctx: ForwardContext;
  private readonly remote: RemoteForwards;
  private readonly locals = new Set<LocalListener>();
  private readonly onError: (err: unknown) => void;

  constructor(ctx: ForwardContext, onError: (err: unknown) => void) {
    this.ctx = ctx;
    this.remote = new RemoteForwards(ctx);
    this.onError = onError;
  }

  // ------------------------------------------------------------------ direct connections

  private async direct<S extends SSHTCPSession<Uint8Array | string>>(
    dest: LocalDestination,
    sessionFactory: () => S,
    options: DirectConnectionOptions,
  ): Promise<[SSHTCPChannel<Uint8Array | string>, S]> {
    const open = directOpen(dest, options.origHost ?? '', options.origPort ?? 0);
    const channel = makeChannel<Uint8Array | string>(open.kind, this.ctx, options);
    const session = sessionFactory();
    await openChannelFor(this.ctx, open.type, open.body, channel, session, muxOptions(options));
    return [channel, session];
  }

  private async directStreams<T extends string | Uint8Array>(dest: LocalDestination, options: DirectConnectionOptions): Promise<Streams<T>> {
    const open = directOpen(dest, options.origHost ?? '', options.origPort ?? 0);
    const channel = makeChannel<Uint8Array>(open.kind, this.ctx, { ...options, encoding: null, manualWindow: true });
    const streams = streamsFor<T>(channel, options);
    await openChannelFor(this.ctx, open.type, open.body, channel, streams.session, muxOptions(options));
    return [streams.reader(), streams.writer()];
  }

  /**
   * Opens a direct-tcpip channel to `destHost`:`destPort` run by a session object: [channel,
   * session]. The channel carries bytes, or text with an `encoding` (then the session's
   * dataReceived takes strings).
   */
  readonly createConnection = <S extends SSHTCPSession<never>>(
    sessionFactory: () => S,
    destHost: string,
    destPort: number,
    options: DirectConnectionOptions = {},
  ): Promise<[SSHTCPChannel<DataOf<S>>, S]> => {
    checkPort('destination port', destPort);
    return this.direct({ host: destHost, port: destPort }, sessionFactory as unknown as () => SSHTCPSession<Uint8Array | string>, options) as unknown as Promise<[SSHTCPChannel<DataOf<S>>, S]>;
  };

  /** Opens a direct-tcpip channel to `destHost`:`destPort` as streams: [reader, writer]. */
  readonly openConnection = <T extends string | Uint8Array = Uint8Array>(destHost: string, destPort: number, options: DirectConnectionOptions = {}): Promise<Streams<T>> => {
    checkPort('destination port', destPort);
    return this.directStreams<T>({ host: destHost, port: destPort }, options);
  };

  /** Opens a direct-streamlocal channel to the server's UNIX socket `destPath`: [channel, session]. */
  readonly createUnixConnection = <S extends SSHUNIXSession<never>>(sessionFactory: () => S, destPath: string, options: ForwardChannelOptions = {}): Promise<[SSHUNIXChannel<DataOf<S>>, S]> =>
    this.direct({ path: destPath }, sessionFactory as unknown as () => SSHUNIXSession<Uint8Array | string>, options) as unknown as Promise<[SSHUNIXChannel<DataOf<S>>, S]>;

  /** Opens a direct-streamlocal channel to `destPath` as streams: [reader, writer]. */
  readonly openUnixConnection = <T extends string | Uint8Array = Uint8Array>(destPath: string, options: ForwardChannelOptions = {}): Promise<Streams<T>> =>
    this.directStreams<T>({ path: destPath }, options);

  // ------------------------------------------------------------------ local forwarding

  private async local(target: ListenTarget, dest: LocalDestination, options: LocalForwardOptions): Promise<SSHListener> {
    if (this.ctx.mux.isClosed) throw new Error('connection is closed');
    return this.keep(await forwardLocal(this.ctx, target, dest, options.acceptHandler, (l) => this.locals.delete(l)));
  }

  /**
   * Keeps a local listener just bound, to close with the connection. If the connection ended
   * while it was being bound (closeAll has run), it is closed at once: it would otherwise listen
   * on for a connection that is gone.
   */
  private async keep(listener: LocalListener): Promise<LocalListener> {
    if (this.ctx.mux.isClosed) {
      await listener.waitClosed();
      throw new Error('connection is closed');
    }
    this.locals.add(listener);
    return listener;
  }

  /** Listens on `listenHost`:`listenPort` here; connections go to `destHost`:`destPort` from the server. */
  readonly forwardLocalPort = (listenHost: string, listenPort: number, destHost: string, destPort: number, options: LocalForwardOptions = {}): Promise<SSHListener> => {
    checkPort('listen port', listenPort);
    checkPort('destination port', destPort);
    return this.local({ host: listenHost, port: listenPort }, { host: destHost, port: destPort }, options);
  };

  /** Listens on the UNIX socket `listenPath` here; connections go to the server's `destPath`. */
  readonly forwardLocalPath = (listenPath: string, destPath: string, options: LocalForwardOptions = {}): Promise<SSHListener> =>
    this.local({ path: listenPath }, { path: destPath }, options);

  readonly forwardLocalPortToPath = (listenHost: string, listenPort: number, destPath: string, options: LocalForwardOptions = {}): Promise<SSHListener> => {
    checkPort('listen port', listenPort);
    return this.local({ host: listenHost, port: listenPort }, { path: destPath }, options);
  };

  readonly forwardLocalPathToPort = (listenPath: string, destHost: string, destPort: number, options: LocalForwardOptions = {}): Promise<SSHListener> => {
    checkPort('destination port', destPort);
    return this.local({ path: listenPath }, { host: destHost, port: destPort }, options);
  };

  /** A SOCKS 4, 4a and 5 proxy on `listenHost`:`listenPort` whose connections go through the server. */
  readonly forwardSocks = async (listenHost: string, listenPort: number): Promise<SSHListener> => {
    checkPort('listen port', listenPort);
    if (this.ctx.mux.isClosed) throw new Error('connection is closed');
    return this.keep(await forwardSocks(this.ctx, { host: listenHost, port: listenPort }, (l) => this.locals.delete(l)));
  };

  // ------------------------------------------------------------------ remote forwarding

  /** Runs an application's answer for a remote listener's connection (true is not an answer here: there is no destination). */
  private relay(kind: 'tcp' | 'unix', answer: () => ForwardAnswer | Promise<ForwardAnswer>, dest: LocalDestination, request: IncomingChannelOpen): void {
    // A failure of the answer, or while acting on it (a session's connectionMade), refuses the
    // open (a no-op once it is answered) rather than leaving the rejection unhandled.
    Promise.resolve()
      .then(answer)
      .then((a) => acceptForwarded(this.ctx, kind, request, a === true ? false : a, dest, this.onError))
      .catch((err: unknown) => {
        this.onError(err);
        request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'forwarding handler failed');
      });
  }

  /** Asks the server to listen on `listenHost`:`listenPort` (0: any port); connections go to `destHost`:`destPort` from here. */
  readonly forwardRemotePort = (listenHost: string, listenPort: number, destHost: string, destPort: number): Promise<SSHListener> => {
    checkPort('destination port', destPort);
    return this.remote.listenTcp(listenHost, listenPort, (request) => acceptForwarded(this.ctx, 'tcp', request, true, { host: destHost, port: destPort }, this.onError));
  };

  readonly forwardRemotePath = (listenPath: string, destPath: string): Promise<SSHListener> =>
    this.remote.listenPath(listenPath, (request) => acceptForwarded(this.ctx, 'unix', request, true, { path: destPath }, this.onError));

  readonly forwardRemotePortToPath = (listenHost: string, listenPort: number, destPath: string): Promise<SSHListener> =>
    this.remote.listenTcp(listenHost, listenPort, (request) => acceptForwarded(this.ctx, 'tcp', request, true, { path: destPath }, this.onError));

  readonly forwardRemotePathToPort = (listenPath: string, destHost: string, destPort: number): Promise<SSHListener> => {
    checkPort('destination port', destPort);
    return this.remote.listenPath(listenPath, (request) => acceptForwarded(this.ctx, 'unix', request, true, { host: destHost, port: destPort }, this.onError));
  };

  /** A listener on the server whose connections are run by session objects of `sessionFactory`. */
  readonly createServer = (sessionFactory: SessionFactory<SSHTCPSession<Uint8Array>>, listenHost: string, listenPort: number): Promise<SSHListener> =>
    this.remote.listenTcp(listenHost, listenPort, (request, origHost, origPort) => this.relay('tcp', () => sessionFactory(origHost, origPort), { path: '' }, request));

  /** A listener on the server whose connections are run as streams by handlers of `handlerFactory`. */
  readonly startServer = (handlerFactory: HandlerFactory, listenHost: string, listenPort: number): Promise<SSHListener> =>
    this.remote.listenTcp(listenHost, listenPort, (request, origHost, origPort) => this.relay('tcp', () => handlerFactory(origHost, origPort), { path: '' }, request));

  readonly createUnixServer = (sessionFactory: SessionFactory<SSHUNIXSession<Uint8Array>>, listenPath: string): Promise<SSHListener> =>
    this.remote.listenPath(listenPath, (request) => this.relay('unix', () => sessionFactory('', 0), { path: '' }, request));

  readonly startUnixServer = (handlerFactory: HandlerFactory, listenPath: string): Promise<SSHListener> =>
    this.remote.listenPath(listenPath, (request) => this.relay('unix', () => handlerFactory('', 0), { path: '' }, request));

  // ------------------------------------------------------------------ connection hooks

  /** @internal forwarded-tcpip / forwarded-streamlocal channels from the server. */
  acceptIncoming(request: IncomingChannelOpen): boolean {
    return this.remote.acceptIncoming(request);
  }

  /** @internal The connection ended: local listeners close, remote ones are gone. */
  closeAll(): void {
    for (const l of [...this.locals]) l.close();
    this.locals.clear();
    this.remote.closeAll();
  }
}
