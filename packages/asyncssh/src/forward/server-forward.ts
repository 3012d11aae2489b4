/**
 * Forwarding on the server: direct-tcpip and direct-streamlocal@openssh.com channels (RFC 4254
 * §7.2, OpenSSH PROTOCOL §2.4) decided by SSHServer.connectionRequested /
 * unixConnectionRequested, and tcpip-forward / streamlocal-forward@openssh.com listeners (with
 * their cancel requests) decided by serverRequested / unixServerRequested, whose connections
 * go back to the client as forwarded-tcpip / forwarded-streamlocal@openssh.com channels.
 * Everything is refused unless the SSHServer allows it and the client's authorized_keys line
 * permits port forwarding (no-port-forwarding, restrict, permitopen, permitlisten).
 * @module
 */

import { CHANNEL_OPEN_FAILURE, GlobalRequestReplies, type ChannelOpenBody, type GlobalRequestBody } from '@ssh/wire';
import type { ChannelConnection, ConnectionMux, IncomingChannelOpen, IncomingGlobalRequest } from '@ssh/connection';
import type { SSHServer } from '../server-handlers.ts';
import type { SSHChannel, SSHReader, SSHWriter } from '@ssh/connection';
import {
  acceptForwarded,
  createForwardChannel,
  forwardSocket,
  makeChannel,
  muxOptions,
  openChannelFor,
  streamsFor,
  type ForwardAnswer,
  type ForwardChannelOptions,
  type ForwardContext,
  type SSHTCPChannel,
  type SSHTCPSession,
  type SSHUNIXChannel,
  type SSHUNIXSession,
} from './channel.ts';
import type { DataOf } from './client-forward.ts';
import { LocalListener, SSHListener, plainAddress, type ListenTarget } from './listener.ts';

/** Listeners one client may hold at once. */
export const MAX_LISTENERS = 64;

/** What the server's forwarding needs from its connection. */
export interface ServerForwardContext extends ForwardContext {
  readonly server: SSHServer;
  /** Port forwarding allowed by the authorized_keys line (true without one). */
  readonly portForwardingAllowed: () => boolean;
  /** permitopen= / permitlisten= of the authorized_keys line (empty: no restriction). */
  readonly permitted: (kind: 'open' | 'listen') => readonly string[];
  readonly warn: (message: string) => void;
}

/**
 * A host name or socket path holding a NUL byte: Node cuts such a name at the NUL when it
 * connects or listens ("127.0.0.1\0.example.com" reaches 127.0.0.1), so it would name one thing
 * to the SSHServer and another to the socket. OpenSSH's sshd takes none of them either.
 */
function hasNul(name: string): boolean {
  return name.includes('\0');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Does `host`:`port` match one of OpenSSH's permitopen / permitlisten patterns? A bare port in
 * permitlisten stands for localhost here (there is no GatewayPorts to keep a wildcard on the
 * loopback). A listen host of '' asks for every address, so only a '*' pattern permits it, as
 * in OpenSSH.
 */
export function permits(patterns: readonly string[], host: string, port: number, listen: boolean): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => {
    const colon = p.lastIndexOf(':');
    const ph = colon < 0 ? (listen ? 'localhost' : '') : p.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const pp = colon < 0 ? p : p.slice(colon + 1);
    if (p === 'none') return false;
    if (pp !== '*' && Number(pp) !== port) return false;
    return ph === '*' || ph.toLowerCase() === host.toLowerCase();
  });
}

export class ServerForwarding {
  private readonly ctx: ServerForwardContext;
  private readonly tcp = new Map<string, SSHListener>();
  private readonly unix = new Map<string, SSHListener>();
  /** Listen requests accepted for a decision and not yet answered (see mayListen). */
  private deciding = 0;
  /**
   * Listen requests being decided, by the key their listener will have (a fixed port, a path):
   * settled once each is answered. A cancel the client sent right behind its request waits for it.
   */
  private readonly decidingTcp = new Map<string, Promise<void>>();
  private readonly decidingUnix = new Map<string, Promise<void>>();

  constructor(ctx: ServerForwardContext) {
    this.ctx = ctx;
  }

  // ------------------------------------------------------------------ direct channels

  /** Handles direct-tcpip and direct-streamlocal opens; false for other channel types. */
  channelOpen(request: IncomingChannelOpen): boolean {
    const body = request.body as ChannelOpenBody | Uint8Array;
    if (body instanceof Uint8Array || (body.type !== 'direct-tcpip' && body.type !== 'direct-streamlocal@openssh.com')) return false;
    const refuse = (why: string): void => request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, why);
    if (!this.ctx.portForwardingAllowed()) {
      refuse('port forwarding is not permitted');
      return true;
    }
    const s = this.ctx.server;
    if (body.type === 'direct-tcpip') {
      // The ports are uint32 on the wire; as OpenSSH does, refuse what no TCP connection has.
      if (body.portToConnect > 65535 || body.originatorPort > 65535) {
        refuse(`port ${body.portToConnect > 65535 ? body.portToConnect : body.originatorPort} is out of range`);
        return true;
      }
      if (hasNul(body.hostToConnect)) {
        refuse('host name holds a NUL byte');
        return true;
      }
      if (!permits(this.ctx.permitted('open'), body.hostToConnect, body.portToConnect, false)) {
        refuse(`forwarding to ${body.hostToConnect}:${body.portToConnect} is not permitted`);
        return true;
      }
      this.decide(request, 'tcp', () => s.connectionRequested(body.hostToConnect, body.portToConnect, body.originatorAddress, body.originatorPort), {
        host: body.hostToConnect,
        port: body.portToConnect,
      });
    } else {
      if (hasNul(body.socketPath)) {
        refuse('socket path holds a NUL byte');
        return true;
      }
      this.decide(request, 'unix', () => s.unixConnectionRequested(body.socketPath), { path: body.socketPath });
    }
    return true;
  }

  private decide(request: IncomingChannelOpen, kind: 'tcp' | 'unix', ask: () => ForwardAnswer | Promise<ForwardAnswer>, target: ListenTarget): void {
    const onError = (err: unknown): void => this.ctx.warn(`forwarded connection handler failed: ${errorText(err)}`);
    // A failure of the SSHServer's answer, or while acting on it, refuses the open (a no-op once
    // it is answered) rather than leaving it unanswered and the rejection unhandled.
    Promise.resolve()
      .then(ask)
      .then((answer) => acceptForwarded(this.ctx, kind, request, answer, target, onError))
      .catch((err: unknown) => {
        onError(err);
        request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'forwarding handler failed');
      });
  }

  // ------------------------------------------------------------------ listeners

  /** Handles tcpip-forward, streamlocal-forward and their cancels; false for other requests. */
  globalRequest(request: IncomingGlobalRequest): boolean {
    const body = request.body as GlobalRequestBody | Uint8Array;
    if (body instanceof Uint8Array) return false;
    if (body.type === 'tcpip-forward') this.listen(request, body.bindAddress, body.bindPort);
    else if (body.type === 'streamlocal-forward@openssh.com') this.listenPath(request, body.socketPath);
    else if (body.type === 'cancel-tcpip-forward') this.cancel(request, this.tcp, this.decidingTcp, `${body.bindAddress}\0${body.bindPort}`);
    else if (body.type === 'cancel-streamlocal-forward@openssh.com') this.cancel(request, this.unix, this.decidingUnix, body.socketPath);
    else return false;
    return true;
  }

  /**
   * Closes the listener under `key`. One whose request is still being decided (the client may
   * send its cancel right behind it, as requests are pipelined) is cancelled once it is set up,
   * as sshd, which answers each request before it reads the next, would have it.
   */
  private cancel(request: IncomingGlobalRequest, map: Map<string, SSHListener>, deciding: Map<string, Promise<void>>, key: string): void {
    const pending = deciding.get(key);
    if (pending !== undefined && !map.has(key)) {
      void pending.then(() => {
        this.cancel(request, map, deciding, key);
        this.ctx.flush();
      });
      return;
    }
    const listener = map.get(key);
    map.delete(key);
    listener?.close();
    request.reply(listener !== undefined);
  }

  /** Records the decision `done` of a request whose listener will be under `key`, until it settles. */
  private track(deciding: Map<string, Promise<void>>, key: string, done: Promise<void>): void {
    const all = (deciding.get(key) ?? Promise.resolve()).then(() => done).catch(() => undefined);
    deciding.set(key, all);
    void all.then(() => {
      if (deciding.get(key) === all) deciding.delete(key);
    });
  }

  private mayListen(): boolean {
    // Requests still being decided count too: a client sending many at once would otherwise
    // get each past the check before the first listener is in place.
    return this.ctx.portForwardingAllowed() && this.tcp.size + this.unix.size + this.deciding < MAX_LISTENERS;
  }

  private listen(request: IncomingGlobalRequest, host: string, port: number): void {
    // Port 0 asks us to pick one, which only the reply tells: without want-reply the client
    // could never learn it (sshd refuses the same).
    if (!this.mayListen() || !permits(this.ctx.permitted('listen'), host, port, true) || port > 65535 || (port === 0 && !request.wantReply) || hasNul(host)) {
      request.reply(false);
      return;
    }
    this.deciding++;
    const done = Promise.resolve()
      .then(() => this.ctx.server.serverRequested(host, port))
      .then(async (ok) => {
        if (ok instanceof SSHListener) {
          this.adopt(request, this.tcp, ok, (bound) => `${host}\0${port === 0 ? bound : port}`, port === 0);
          return;
        }
        if (ok !== true) {
          request.reply(false);
          return;
        }
        const listener = await LocalListener.open({ host, port }, (socket) => {
          const bound = listener.getPort();
          forwardSocket(this.ctx, 'tcp', socket, 'forwarded-tcpip', {
            type: 'forwarded-tcpip',
            connectedAddress: host,
            connectedPort: bound,
            originatorAddress: plainAddress(socket.remoteAddress),
            originatorPort: socket.remotePort ?? 0,
          });
        }, () => {
          if (this.tcp.get(key) === listener) this.tcp.delete(key);
        });
        const bound = listener.getPort();
        const key = `${host}\0${port === 0 ? bound : port}`;
        if (this.tcp.has(key) || this.ctx.mux.isClosed) {
          listener.close();
          request.reply(false);
          return;
        }
        this.tcp.set(key, listener);
        request.reply(true, port === 0 ? GlobalRequestReplies.encode({ type: 'tcpip-forward', boundPort: bound }) : undefined);
      })
      .catch((err: unknown) => {
        this.ctx.warn(`remote listener on ${host}:${port} failed: ${errorText(err)}`);
        request.reply(false);
      })
      .finally(() => {
        this.deciding--;
        this.ctx.flush();
      });
    // A listener on a port the server picks has no key the client could cancel before the reply.
    if (port !== 0) this.track(this.decidingTcp, `${host}\0${port}`, done);
  }

  private listenPath(request: IncomingGlobalRequest, path: string): void {
    if (!this.mayListen() || this.unix.has(path) || hasNul(path)) {
      request.reply(false);
      return;
    }
    this.deciding++;
    const done = Promise.resolve()
      .then(() => this.ctx.server.unixServerRequested(path))
      .then(async (ok) => {
        if (ok instanceof SSHListener) {
          this.adopt(request, this.unix, ok, () => path, false);
          return;
        }
        if (ok !== true) {
          request.reply(false);
          return;
        }
        const listener = await LocalListener.open({ path }, (socket) => {
          forwardSocket(this.ctx, 'unix', socket, 'forwarded-streamlocal@openssh.com', {
            type: 'forwarded-streamlocal@openssh.com',
            socketPath: path,
            reserved: new Uint8Array(0),
          });
        }, () => {
          if (this.unix.get(path) === listener) this.unix.delete(path);
        });
        if (this.unix.has(path) || this.ctx.mux.isClosed) {
          listener.close();
          request.reply(false);
          return;
        }
        this.unix.set(path, listener);
        request.reply(true);
      })
      .catch((err: unknown) => {
        this.ctx.warn(`remote listener on ${path} failed: ${errorText(err)}`);
        request.reply(false);
      })
      .finally(() => {
        this.deciding--;
        this.ctx.flush();
      });
    this.track(this.decidingUnix, path, done);
  }

  /**
   * A listener the application runs itself (serverRequested answered with an SSHListener, as
   * AsyncSSH allows): kept so that the client's cancel and the end of the connection close it;
   * its connections reach the client through createConnection / createUnixConnection.
   */
  private adopt(request: IncomingGlobalRequest, map: Map<string, SSHListener>, listener: SSHListener, keyOf: (bound: number) => string, sendPort: boolean): void {
    const bound = listener.getPort();
    const key = keyOf(bound);
    if (map.has(key) || this.ctx.mux.isClosed || listener.isClosed) {
      listener.close();
      request.reply(false);
      return;
    }
    map.set(key, listener);
    request.reply(true, sendPort ? GlobalRequestReplies.encode({ type: 'tcpip-forward', boundPort: bound }) : undefined);
  }

  // ------------------------------------------------------------------ channels to the client

  private requireOpen(): void {
    if (this.ctx.mux.isClosed) throw new Error('connection is closed');
  }

  /**
   * Opens a forwarded-tcpip channel to the client for a connection to `remoteHost`:`remotePort`
   * (a listener the client asked for) from `origHost`:`origPort`, run by a session object:
   * [channel, session]. The client refuses a channel for a listener it never asked for
   * (ChannelOpenError).
   */
  readonly createConnection = async <S extends SSHTCPSession<never>>(
    sessionFactory: () => S,
    remoteHost: string,
    remotePort: number,
    origHost = '',
    origPort = 0,
    options: ForwardChannelOptions = {},
  ): Promise<[SSHTCPChannel<DataOf<S>>, S]> => {
    checkPorts(remotePort, origPort);
    this.requireOpen();
    const channel = makeChannel<Uint8Array | string>('tcp', this.ctx, options);
    const session = sessionFactory();
    await openChannelFor(this.ctx, 'forwarded-tcpip', tcpBody(remoteHost, remotePort, origHost, origPort), channel, session as unknown as SSHTCPSession<Uint8Array | string>, muxOptions(options));
    return [channel as unknown as SSHTCPChannel<DataOf<S>>, session];
  };

  /** As createConnection, as streams: [reader, writer]. */
  readonly openConnection = async <T extends string | Uint8Array = Uint8Array>(
    remoteHost: string,
    remotePort: number,
    origHost = '',
    origPort = 0,
    options: ForwardChannelOptions = {},
  ): Promise<[SSHReader<T, SSHChannel<Uint8Array>>, SSHWriter<T, SSHChannel<Uint8Array>>]> => {
    checkPorts(remotePort, origPort);
    this.requireOpen();
    return this.streams<T>('tcp', 'forwarded-tcpip', tcpBody(remoteHost, remotePort, origHost, origPort), options);
  };

  /** Opens a forwarded-streamlocal@openssh.com channel to the client for its listener on `remotePath`: [channel, session]. */
  readonly createUnixConnection = async <S extends SSHUNIXSession<never>>(
    sessionFactory: () => S,
    remotePath: string,
    options: ForwardChannelOptions = {},
  ): Promise<[SSHUNIXChannel<DataOf<S>>, S]> => {
    this.requireOpen();
    const channel = makeChannel<Uint8Array | string>('unix', this.ctx, options);
    const session = sessionFactory();
    await openChannelFor(this.ctx, 'forwarded-streamlocal@openssh.com', unixBody(remotePath), channel, session as unknown as SSHUNIXSession<Uint8Array | string>, muxOptions(options));
    return [channel as unknown as SSHUNIXChannel<DataOf<S>>, session];
  };

  /** As createUnixConnection, as streams: [reader, writer]. */
  readonly openUnixConnection = async <T extends string | Uint8Array = Uint8Array>(
    remotePath: string,
    options: ForwardChannelOptions = {},
  ): Promise<[SSHReader<T, SSHChannel<Uint8Array>>, SSHWriter<T, SSHChannel<Uint8Array>>]> => {
    this.requireOpen();
    return this.streams<T>('unix', 'forwarded-streamlocal@openssh.com', unixBody(remotePath), options);
  };

  private async streams<T extends string | Uint8Array>(
    kind: 'tcp' | 'unix',
    type: string,
    body: ChannelOpenBody,
    options: ForwardChannelOptions,
  ): Promise<[SSHReader<T, SSHChannel<Uint8Array>>, SSHWriter<T, SSHChannel<Uint8Array>>]> {
    const channel = makeChannel<Uint8Array>(kind, this.ctx, { ...options, encoding: null, manualWindow: true });
    const s = streamsFor<T>(channel, options);
    await openChannelFor(this.ctx, type, body, channel, s.session, muxOptions(options));
    return [s.reader(), s.writer()];
  }

  /** A channel to answer connectionRequested with (with its session object), as AsyncSSH's create_tcp_channel. */
  createTcpChannel<T extends string | Uint8Array = Uint8Array>(options: ForwardChannelOptions = {}): SSHTCPChannel<T> {
    return createForwardChannel<T>('tcp', this.ctx, options) as SSHTCPChannel<T>;
  }

  /** A channel to answer unixConnectionRequested with (with its session object), as AsyncSSH's create_unix_channel. */
  createUnixChannel<T extends string | Uint8Array = Uint8Array>(options: ForwardChannelOptions = {}): SSHUNIXChannel<T> {
    return createForwardChannel<T>('unix', this.ctx, options) as SSHUNIXChannel<T>;
  }

  /** The connection ended: stop every listener. */
  closeAll(): void {
    const all = [...this.tcp.values(), ...this.unix.values()];
    this.tcp.clear();
    this.unix.clear();
    for (const l of all) l.close();
  }
}

function checkPorts(remotePort: number, origPort: number): void {
  for (const [what, port] of [['remote port', remotePort], ['originator port', origPort]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${what} must be 0-65535, not ${port}`);
  }
}

function tcpBody(host: string, port: number, origHost: string, origPort: number): ChannelOpenBody {
  return { type: 'forwarded-tcpip', connectedAddress: host, connectedPort: port, originatorAddress: origHost, originatorPort: origPort };
}

function unixBody(path: string): ChannelOpenBody {
  return { type: 'forwarded-streamlocal@openssh.com', socketPath: path, reserved: new Uint8Array(0) };
}

/** The forwarding of one server connection, with its policy read from the connection. */
export function serverForwarding(
  conn: ChannelConnection & {
    readonly server: SSHServer;
    readonly logger: { warning(message: string): void };
    checkKeyPermission(permission: string): boolean;
    getKeyOption(name: string, defaultValue?: unknown): unknown;
  },
  mux: ConnectionMux,
  flush: () => void,
): ServerForwarding {
  return new ServerForwarding({
    mux,
    connection: conn,
    flush,
    get server() {
      return conn.server;
    },
    portForwardingAllowed: () => conn.checkKeyPermission('port-forwarding'),
    permitted: (kind) => {
      const value = conn.getKeyOption(kind === 'open' ? 'permitopen' : 'permitlisten', []);
      return Array.isArray(value) ? (value as string[]) : [];
    },
    warn: (message) => conn.logger.warning(message),
  });
}
