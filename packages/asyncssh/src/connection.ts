/**
 * SSHConnection: what client and server connections share. It wires a Node socket to the
 * transport machine (driveTransport), the connection multiplexer on top of it once the user is
 * authenticated, keepalive probes, and the close/abort/waitClosed/`await using` lifecycle.
 * @module
 */

import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectionMux, type IncomingChannelOpen, type IncomingGlobalRequest } from '@ssh/connection';
import { ConnectionLost, DisconnectError, type Transport, type TransportEvent } from '@ssh/transport';
import { driveTransport, type SocketDriver } from '@ssh/transport/node';
import { DISCONNECT } from '@ssh/wire';
import { logFor, type SSHLogger } from './logging.ts';

/** Bytes queued on the socket beyond which the peer is taken as not reading. */
const WRITE_BUFFER_LIMIT = 256 * 1024 * 1024;

export interface ConnectionSettings {
  readonly keepaliveInterval: number;
  readonly keepaliveCountMax: number;
  readonly windowSize: number;
  readonly maxPacketSize: number;
  /** The packet_length the transport accepts (channels advertise at most what fits in it). */
  readonly transportPacketLimit: number;
  readonly rekeyCheckMs?: number;
}

export abstract class SSHConnection {
  readonly logger: SSHLogger;
  /** A TCP socket, or any duplex byte stream (a channel of another connection when tunnelled). */
  protected readonly socket: Duplex;
  protected readonly transport: Transport;
  protected readonly mux: ConnectionMux;
  private driver: SocketDriver | undefined;
  private flushQueued = false;
  private closedError: Error | undefined;
  private isClosedFlag = false;
  private readonly closeWaiters: ((value: void) => void)[] = [];
  private readonly extraInfo = new Map<string, unknown>();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private keepaliveMisses = 0;
  private keepaliveInterval: number;
  private keepaliveCountMax: number;
  private receivedSinceTick = false;
  /** Set once user authentication succeeded: connection-layer messages are handled from then on. */
  protected authenticated = false;

  protected constructor(socket: Duplex, transport: Transport, settings: ConnectionSettings, kind: 'client' | 'server') {
    this.socket = socket;
    this.transport = transport;
    this.logger = logFor(kind);
    this.keepaliveInterval = settings.keepaliveInterval;
    this.keepaliveCountMax = settings.keepaliveCountMax;
    this.mux = new ConnectionMux({
      send: (payload, tail) => this.sendPayload(payload, tail),
      fail: (error) => this.fail(error),
      onChannelOpen: (request) => this.channelOpenRequested(request),
      onGlobalRequest: (request) => this.globalRequested(request),
      windowSize: settings.windowSize,
      maxPacketSize: settings.maxPacketSize,
      transportPacketLimit: settings.transportPacketLimit,
      onHeldWrites: () => this.scheduleFlush(),
      onHandlerError: (error) => this.internalError(error),
    });
    if (socket instanceof Socket) {
      this.extraInfo.set('peername', [socket.remoteAddress, socket.remotePort]);
      this.extraInfo.set('sockname', [socket.localAddress, socket.localPort]);
      socket.setNoDelay(true);
    }
    this.extraInfo.set('socket', socket);
    this.extraInfo.set('connection', this);
  }

  /** The peer's address and port, when the connection runs over TCP. */
  protected get peerAddress(): string | undefined {
    return this.socket instanceof Socket ? this.socket.remoteAddress : undefined;
  }

  protected get peerPort(): number | undefined {
    return this.socket instanceof Socket ? this.socket.remotePort : undefined;
  }

  /** Starts driving the socket; subclasses call this at the end of their constructor. */
  protected start(rekeyCheckMs = 60_000): void {
    this.driver = driveTransport(this.socket, this.transport, {
      onEvent: (e) => this.transportEvent(e),
      onClose: (error) => this.closed(error),
      onBytes: () => {
        this.receivedSinceTick = true;
      },
      rekeyCheckMs,
      onOutputDeferred: () => this.scheduleFlush(),
    });
    this.setKeepalive(this.keepaliveInterval, this.keepaliveCountMax);
  }

  // ------------------------------------------------------------------ plumbing

  /** Sends a payload; the write goes out with the rest of the turn's (scheduleFlush). */
  protected sendPayload(payload: Uint8Array, tail?: Uint8Array): void {
    if (this.transport.isClosed) return;
    this.transport.send(payload, tail);
    this.scheduleFlush();
  }

  /**
   * Flushes once this turn's promise continuations have run, not in the first microtask: replies
   * to what was just received (held by the driver, onOutputDeferred) then share a write with what
   * the application sends as it resumes (a finished channel's CLOSE with the next run()'s OPEN).
   */
  protected scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      try {
        this.flush();
      } catch (err) {
        this.internalError(err);
      }
    });
  }

  protected flush(): void {
    // Small channel writes of this turn, merged (MuxOptions.onHeldWrites), go out with the rest.
    this.mux.sendHeld();
    this.driver?.flush();
    // Channel windows bound data; what can still pile up is replies to a peer that sends
    // requests (pings, unknown messages) without ever reading. Drop such a peer.
    if (this.socket.writableLength > WRITE_BUFFER_LIMIT && !this.isClosedFlag) {
      this.logger.info('peer stopped reading: write buffer over its limit');
      this.socket.destroy();
      this.closed(new ConnectionLost('peer stopped reading (write buffer over its limit)'));
    }
  }

  private transportEvent(e: TransportEvent): void {
    try {
      if (e.type === 'message' && this.authenticated && this.mux.handle(e.payload)) return;
      if (e.type === 'debug') this.logger.debug1(`peer debug: ${e.message}`);
      if (e.type === 'disconnect') {
        this.logger.info(`${e.byPeer ? 'peer disconnected' : 'disconnected'}: ${e.error.message}`);
        return;
      }
      this.handleTransportEvent(e);
    } catch (err) {
      this.internalError(err);
    }
  }

  /**
   * Something threw while a received message or a deferred write was handled: mostly an
   * application callback (a session's dataReceived, a channel handler), perhaps a bug of ours.
   * As in AsyncSSH, that connection ends with the error (DISCONNECT by application, then
   * connectionLost and waitClosed), instead of the exception escaping the socket's read callback
   * or a timer, where it would end the process and every other connection with it.
   */
  /**
   * Runs `step`, work resumed after an application's promise settled (an authentication
   * handler's answer), under the same guard as received messages: what it throws ends this
   * connection rather than becoming an unhandled rejection.
   */
  protected guarded(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.internalError(err);
    }
  }

  protected internalError(err: unknown): void {
    if (err instanceof DisconnectError) {
      this.fail(err);
      return;
    }
    const error = err instanceof Error ? err : new Error(`non-error thrown: ${String(err)}`);
    this.logCallbackError('uncaught exception in connection handling', error);
    if (!this.transport.isClosed) {
      this.transport.disconnect(DISCONNECT.BY_APPLICATION, 'internal error');
      this.driver?.flush();
    }
    this.closed(error);
  }

  /** The peer broke the connection protocol. */
  protected fail(error: DisconnectError): void {
    if (this.transport.isClosed) return;
    this.logger.info(`protocol error: ${error.message}`);
    this.transport.disconnect(error.reasonCode, error.reason);
    this.flush();
    this.closed(error);
  }

  private closed(error: Error | undefined): void {
    if (this.isClosedFlag) return;
    this.isClosedFlag = true;
    this.closedError = error;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    // Channel and connection callbacks are application code: one that throws is logged, as
    // AsyncSSH's event loop does, and the connection still finishes closing.
    try {
      this.mux.teardown(error ?? new ConnectionLost('connection closed'));
    } catch (err) {
      this.logCallbackError('a channel callback threw while the connection closed', err);
    }
    this.endSocket();
    try {
      this.connectionClosed(error);
    } catch (err) {
      this.logCallbackError('connectionLost() threw', err);
    }
    for (const w of this.closeWaiters.splice(0)) w();
  }

  private logCallbackError(what: string, err: unknown): void {
    this.logger.error(`${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  /** Subclasses: every transport event not handled here (host keys, auth, ...). */
  protected abstract handleTransportEvent(e: TransportEvent): void;
  /** Subclasses: the connection ended (error undefined when we closed it cleanly). */
  protected abstract connectionClosed(error: Error | undefined): void;
  /** Subclasses: a channel open from the peer (only after authentication). */
  protected abstract channelOpenRequested(request: IncomingChannelOpen): void;
  /** Subclasses: a global request from the peer. */
  protected globalRequested(request: IncomingGlobalRequest): void {
    request.reply(false);
  }

  // ------------------------------------------------------------------ public API

  /** Information about the connection: 'peername', 'sockname', 'socket', 'username', 'serverVersion', 'clientVersion', 'sendCipher', ... */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.extraInfo.has(name) ? (this.extraInfo.get(name) as V) : defaultValue;
  }

  /** @internal */
  setExtraInfo(name: string, value: unknown): void {
    this.extraInfo.set(name, value);
  }

  /** Sends an SSH_MSG_DEBUG. */
  sendDebug(message: string, alwaysDisplay = false, lang = 'en-US'): void {
    if (this.transport.isClosed) return;
    this.transport.sendDebug(message, alwaysDisplay, lang);
    this.scheduleFlush();
  }

  /**
   * Keepalive probes (keepalive@openssh.com) every `interval` seconds without traffic from the
   * peer; after `countMax` unanswered probes the connection is dropped. 0 disables.
   */
  setKeepalive(interval?: number, countMax?: number): void {
    if (interval !== undefined) this.keepaliveInterval = interval;
    if (countMax !== undefined) this.keepaliveCountMax = countMax;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    if (this.keepaliveInterval <= 0 || this.isClosedFlag) return;
    this.keepaliveTimer = setInterval(() => this.keepaliveTick(), this.keepaliveInterval * 1000);
    this.keepaliveTimer.unref();
  }

  private keepaliveTick(): void {
    if (this.receivedSinceTick) {
      this.receivedSinceTick = false;
      this.keepaliveMisses = 0;
      return;
    }
    if (this.keepaliveMisses >= this.keepaliveCountMax) {
      this.logger.info('keepalive timeout');
      this.transport.disconnect(DISCONNECT.CONNECTION_LOST, 'keepalive timeout');
      this.flush();
      this.closed(new ConnectionLost('keepalive timeout'));
      return;
    }
    this.keepaliveMisses++;
    if (this.authenticated) {
      this.mux.globalRequest('keepalive@openssh.com', { type: 'keepalive@openssh.com' }, () => {
        this.keepaliveMisses = 0;
      });
    } else {
      this.transport.sendIgnore();
    }
    this.scheduleFlush();
  }

  /** Sends a disconnect with a reason code and closes. */
  disconnect(code: number, reason: string, lang = 'en-US'): void {
    if (!this.transport.isClosed) {
      this.transport.disconnect(code, reason, lang);
      this.flush();
    }
    this.closed(undefined);
  }

  /**
   * Ends our side once what the transport queued is written; the timer bounds a peer that never
   * reads. A closed transport's stream is ended by the socket driver after it has written the
   * DISCONNECT: when this runs from an event handler the driver's write loop is below us, and
   * ending here would put the DISCONNECT after the end, where it is lost.
   */
  private endSocket(): void {
    if (this.socket.destroyed) return;
    if (this.driver === undefined || !this.transport.isClosed) this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Closes the connection cleanly (SSH_MSG_DISCONNECT by application). */
  close(): void {
    this.disconnect(DISCONNECT.BY_APPLICATION, 'disconnected by application');
  }

  /** Drops the connection at once, without a disconnect message. */
  abort(): void {
    this.socket.destroy();
    this.closed(new ConnectionLost('connection aborted'));
  }

  /** Resolves once the connection has closed. */
  waitClosed(): Promise<void> {
    if (this.isClosedFlag) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.isClosedFlag;
  }

  /** The error the connection ended with, if any. */
  get closeError(): Error | undefined {
    return this.closedError;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }
}

export { DisconnectError };
