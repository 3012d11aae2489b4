/**
 * The channel multiplexer of the connection protocol, sans-I/O. RFC 4254 §4-5: global requests
 * with in-order replies, channel open/confirm/failure, and dispatch of channel messages to their
 * `Channel`. Payloads come in through `handle()` and go out through the `send` callback; a peer
 * that breaks the protocol is reported once through `fail` (the owner disconnects), never thrown.
 *
 * Floods are bounded: incoming channels (open or being decided) beyond `maxChannels` are refused
 * with RESOURCE_SHORTAGE, and more than `maxPendingGlobalRequests` unanswered global requests is a
 * protocol error.
 * @module
 */

import {
  CHANNEL_OPEN_FAILURE,
  ChannelClose,
  ChannelData,
  ChannelEof,
  ChannelExtendedData,
  ChannelFailure,
  ChannelOpen,
  ChannelOpenConfirmation,
  ChannelOpenFailure,
  ChannelRequest,
  ChannelSuccess,
  ChannelWindowAdjust,
  GlobalRequest,
  MSG,
  RequestFailure,
  RequestSuccess,
  WireError,
  type ChannelOpenBody,
  type GlobalRequestBody,
} from '@ssh/wire';
import { ProtocolError, type DisconnectError } from '@ssh/transport';
import { ChannelOpenError } from '../errors.ts';
import { Channel, type ChannelHandler, type ChannelHost } from './channel.ts';

/** AsyncSSH's defaults: a 2 MiB window and 32 KiB packets. */
export const DEFAULT_WINDOW_SIZE = 2 * 1024 * 1024;
export const DEFAULT_MAX_PACKET_SIZE = 32 * 1024;

/** OpenSSH's PACKET_MAX_SIZE: the packet_length a transport accepts unless told otherwise. */
export const DEFAULT_TRANSPORT_PACKET_LIMIT = 256 * 1024;

/**
 * packet_length beyond the data of a CHANNEL_EXTENDED_DATA message: padding_length (1), message
 * number, recipient channel, data type code and data length (13), and at most 255 bytes of padding.
 */
export const DATA_PACKET_OVERHEAD = 1 + 13 + 255;
const MAX_CHANNEL_ID = 0xffff_ffff;
/** Closed channels whose late status replies and window adjustments are dropped (lateForClosed). */
const RECENTLY_CLOSED = 64;

export interface MuxOptions {
  /**
   * Sends one connection-protocol message to the peer (normally `transport.send`): `payload`, then
   * `tail` when given (channel data after its message header, so that the data is never copied
   * into a message buffer).
   */
  readonly send: (payload: Uint8Array, tail?: Uint8Array) => void;
  /** The peer broke the protocol: disconnect with this error. Called at most once. */
  readonly fail: (error: DisconnectError) => void;
  /** A channel open from the peer: answer with `accept()` or `reject()`, now or later. */
  readonly onChannelOpen?: (request: IncomingChannelOpen) => void;
  /** A global request from the peer: answer with `reply()`, now or later (unanswered = failure). */
  readonly onGlobalRequest?: (request: IncomingGlobalRequest) => void;
  /** Our receive window per channel (default 2 MiB). */
  readonly windowSize?: number;
  /** The largest data packet we accept (default 32 KiB). */
  readonly maxPacketSize?: number;
  /**
   * The largest packet_length the transport below accepts (RFC 4253 §6; default 256 KiB, as
   * OpenSSH). Every channel's advertised maximum packet size is capped so that a full data packet
   * with its header and padding still fits: a peer that honours a larger value would otherwise send
   * packets the transport must refuse.
   */
  readonly transportPacketLimit?: number;
  /** Incoming channels open or being decided at once (default 1024). */
  readonly maxChannels?: number;
  /** Unanswered global requests from the peer before it counts as flooding (default 256). */
  readonly maxPendingGlobalRequests?: number;
  /** Per-channel outbound buffer above which `write()` answers false (default 1 MiB). */
  readonly highWaterMark?: number;
  /**
   * Lets channels hold back small writes (below 8 KiB) and send those of one turn merged into
   * fuller packets. Called when the first one is held: the caller must then call `sendHeld()`
   * soon, before it next writes to the connection's socket (the Node glue does it in the
   * microtask that flushes the socket). Without it every write is sent at once, one message each.
   */
  readonly onHeldWrites?: () => void;
  /**
   * A channel's handler (application code) threw where no caller can take the exception: after
   * an asynchronous channel request was answered (a session's sessionStarted). The Node glue ends
   * the connection with it. Without this option it is rethrown, as an unhandled rejection.
   */
  readonly onHandlerError?: (error: unknown) => void;
}

export interface ChannelOptions {
  readonly windowSize?: number;
  readonly maxPacketSize?: number;
  /** One message per write, never split (see ChannelParams.datagram). */
  readonly datagram?: boolean;
}

export interface IncomingChannelOpen {
  readonly type: string;
  /** The type-specific fields, decoded for known types, raw bytes otherwise. */
  readonly body: ChannelOpenBody | Uint8Array;
  readonly peerWindow: number;
  readonly peerMaxPacket: number;
  /** Confirms the open; `handler` receives the channel's events from now on. */
  accept(handler: ChannelHandler, options?: ChannelOptions): Channel;
  /** Refuses with an RFC 4254 §5.1 reason code (ignored once answered). */
  reject(reasonCode: number, description: string): void;
  /** Whether accept() or reject() was called. */
  readonly answered: boolean;
}

export interface IncomingGlobalRequest {
  readonly name: string;
  readonly body: GlobalRequestBody | Uint8Array;
  readonly wantReply: boolean;
  /** Answers (once); `data` is the request-specific part of REQUEST_SUCCESS. */
  reply(ok: boolean, data?: Uint8Array): void;
}

interface PendingGlobalReply {
  readonly wantReply: boolean;
  done: boolean;
  ok: boolean;
  data: Uint8Array | undefined;
}

type GlobalReplyWaiter = (ok: boolean, data: Uint8Array) => void;

export class ConnectionMux implements ChannelHost {
  private readonly options: MuxOptions;
  private readonly channels = new Map<number, Channel>();
  private readonly windowSize: number;
  private readonly maxPacketSize: number;
  private readonly packetCap: number;
  private readonly maxChannels: number;
  private readonly maxPendingGlobal: number;
  private nextId = 0;
  private incomingCount = 0;
  private readonly incomingIds = new Set<number>();
  private readonly pendingGlobal: PendingGlobalReply[] = [];
  private readonly globalWaiters: GlobalReplyWaiter[] = [];
  private failed = false;
  private closedError: Error | undefined;
  private noMoreSessions = false;
  /** Ids of the last RECENTLY_CLOSED channels released, oldest first (see lateForClosed). */
  private readonly recentlyClosed = new Set<number>();
  /** Channels holding back small writes until sendHeld(). */
  private held: Channel[] = [];

  constructor(options: MuxOptions) {
    this.options = options;
    this.windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
    this.packetCap = Math.max((options.transportPacketLimit ?? DEFAULT_TRANSPORT_PACKET_LIMIT) - DATA_PACKET_OVERHEAD, 1);
    this.maxPacketSize = Math.min(options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE, this.packetCap);
    this.maxChannels = options.maxChannels ?? 1024;
    this.maxPendingGlobal = options.maxPendingGlobalRequests ?? 256;
  }

  /** Channels that are open or opening. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** True once the connection ended (`teardown`) or the peer broke the protocol. */
  get isClosed(): boolean {
    return this.closedError !== undefined || this.failed;
  }

  // ------------------------------------------------------------------ outbound API

  /** Opens a channel; the handler hears `onOpen` or `onOpenFailed`. */
  openChannel(type: string, body: ChannelOpenBody | Uint8Array, handler: ChannelHandler, options: ChannelOptions = {}): Channel {
    const channel = this.createChannel(type, handler, options);
    if (this.closedError) {
      this.channels.delete(channel.localId);
      channel.openFailed(this.closedError);
      return channel;
    }
    this.options.send(
      ChannelOpen.encode({
        channelType: type,
        senderChannel: channel.localId,
        initialWindowSize: channel.receiveLimits.windowSize,
        maximumPacketSize: channel.receiveLimits.maxPacket,
        channel: body as never,
      }),
    );
    return channel;
  }

  /**
   * Sends a global request. With `onReply`, want-reply is set and the answer (with the
   * request-specific data of a success) comes back in order; a closed connection answers false.
   */
  globalRequest(name: string, body: GlobalRequestBody | Uint8Array, onReply?: (ok: boolean, data: Uint8Array) => void): void {
    if (this.isClosed) {
      onReply?.(false, new Uint8Array(0));
      return;
    }
    if (onReply) this.globalWaiters.push(onReply);
    this.options.send(GlobalRequest.encode({ requestName: name, wantReply: onReply !== undefined, request: body as never }));
  }

  /** Sends the small writes channels held back (see MuxOptions.onHeldWrites). */
  sendHeld(): void {
    if (this.held.length === 0) return;
    const channels = this.held;
    this.held = [];
    for (const channel of channels) channel.sendHeld();
  }

  /**
   * Ends every channel with `error` (the connection is gone). A channel's handler that throws
   * (application code) does not keep the others from ending: the first such exception is thrown
   * once every channel has ended.
   */
  teardown(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.held = [];
    let thrown: { readonly error: unknown } | undefined;
    for (const channel of [...this.channels.values()]) {
      try {
        channel.teardown(error);
      } catch (err) {
        thrown ??= { error: err };
      }
    }
    this.channels.clear();
    for (const w of this.globalWaiters.splice(0)) w(false, new Uint8Array(0));
    this.pendingGlobal.length = 0;
    if (thrown) throw thrown.error;
  }

  // ------------------------------------------------------------------ inbound

  /** Handles one payload; answers false when it is not a connection-protocol message. */
  handle(payload: Uint8Array): boolean {
    const n = payload[0] ?? 0;
    if (n < MSG.GLOBAL_REQUEST || n > 127) return false;
    if (this.isClosed) return true;
    try {
      this.dispatch(n, payload);
    } catch (err) {
      if (err instanceof WireError) this.protocolError(new ProtocolError(`malformed message ${n}: ${err.message}`, undefined, { cause: err }));
      else throw err;
    }
    return true;
  }

  private dispatch(n: number, payload: Uint8Array): void {
    switch (n) {
      case MSG.CHANNEL_DATA: {
        const msg = ChannelData.decode(payload);
        this.channel(msg.recipientChannel, true)?.receiveData(msg.data, undefined);
        return;
      }
      case MSG.CHANNEL_EXTENDED_DATA: {
        const msg = ChannelExtendedData.decode(payload);
        this.channel(msg.recipientChannel, true)?.receiveData(msg.data, msg.dataTypeCode);
        return;
      }
      case MSG.CHANNEL_WINDOW_ADJUST: {
        const msg = ChannelWindowAdjust.decode(payload);
        if (this.lateForClosed(msg.recipientChannel)) return;
        this.channel(msg.recipientChannel, true)?.receiveWindowAdjust(msg.bytesToAdd);
        return;
      }
      case MSG.CHANNEL_EOF:
        this.channel(ChannelEof.decode(payload).recipientChannel, true)?.receiveEof();
        return;
      case MSG.CHANNEL_CLOSE:
        this.channel(ChannelClose.decode(payload).recipientChannel, true)?.receiveClose();
        return;
      case MSG.CHANNEL_REQUEST: {
        const msg = ChannelRequest.decode(payload);
        this.channel(msg.recipientChannel, true)?.receiveRequest(msg);
        return;
      }
      case MSG.CHANNEL_SUCCESS: {
        const id = ChannelSuccess.decode(payload).recipientChannel;
        if (!this.lateForClosed(id)) this.channel(id, true)?.receiveReply(true);
        return;
      }
      case MSG.CHANNEL_FAILURE: {
        const id = ChannelFailure.decode(payload).recipientChannel;
        if (!this.lateForClosed(id)) this.channel(id, true)?.receiveReply(false);
        return;
      }
      case MSG.CHANNEL_OPEN:
        this.receiveOpen(ChannelOpen.decode(payload));
        return;
      case MSG.CHANNEL_OPEN_CONFIRMATION: {
        const msg = ChannelOpenConfirmation.decode(payload);
        const channel = this.channel(msg.recipientChannel, false);
        if (!channel) return;
        if (channel.state !== 'opening') {
          this.protocolError(new ProtocolError(`channel ${msg.recipientChannel}: confirmation of a channel already open`));
          return;
        }
        channel.opened(msg.senderChannel, msg.initialWindowSize, msg.maximumPacketSize);
        return;
      }
      case MSG.CHANNEL_OPEN_FAILURE: {
        const msg = ChannelOpenFailure.decode(payload);
        const channel = this.channel(msg.recipientChannel, false);
        if (!channel) return;
        if (channel.state !== 'opening') {
          this.protocolError(new ProtocolError(`channel ${msg.recipientChannel}: open failure for a channel already open`));
          return;
        }
        this.channels.delete(channel.localId);
        channel.openFailed(new ChannelOpenError(msg.reasonCode, msg.description, msg.languageTag));
        return;
      }
      case MSG.GLOBAL_REQUEST:
        this.receiveGlobalRequest(GlobalRequest.decode(payload));
        return;
      case MSG.REQUEST_SUCCESS:
      case MSG.REQUEST_FAILURE: {
        const data = n === MSG.REQUEST_SUCCESS ? RequestSuccess.decode(payload).data : (RequestFailure.decode(payload), new Uint8Array(0));
        const waiter = this.globalWaiters.shift();
        if (!waiter) {
          this.protocolError(new ProtocolError('global request reply without a request'));
          return;
        }
        waiter(n === MSG.REQUEST_SUCCESS, data);
        return;
      }
      default:
        // 80-127 numbers RFC 4250 leaves unassigned: the owner answers UNIMPLEMENTED.
        this.protocolError(new ProtocolError(`unexpected connection message ${n}`));
    }
  }

  /** The channel `id` refers to; a number we never gave out (or one fully closed) is fatal. */
  /**
   * Whether `id` is one of our channels that closed recently (and not open again): a status reply
   * or window adjustment for it comes from a peer that sent them after its CHANNEL_CLOSE, as some
   * do (a server that closes a session before it answers the exec request). OpenSSH only logs
   * those; so they are dropped here, rather than taken for a protocol error.
   */
  private lateForClosed(id: number): boolean {
    return !this.channels.has(id) && this.recentlyClosed.has(id);
  }

  private channel(id: number, mustBeOpen: boolean): Channel | undefined {
    const channel = this.channels.get(id);
    if (!channel) {
      this.protocolError(new ProtocolError(`message for unknown channel ${id}`));
      return undefined;
    }
    if (mustBeOpen && channel.state === 'opening') {
      this.protocolError(new ProtocolError(`message for channel ${id} before its open was confirmed`));
      return undefined;
    }
    return channel;
  }

  private receiveOpen(msg: ChannelOpen): void {
    const refuse = (reasonCode: number, description: string): void => {
      this.options.send(ChannelOpenFailure.encode({ recipientChannel: msg.senderChannel, reasonCode, description, languageTag: 'en-US' }));
    };
    if (this.incomingCount >= this.maxChannels) {
      refuse(CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE, 'too many channels');
      return;
    }
    if (msg.channelType === 'session' && this.noMoreSessions) {
      refuse(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'no more sessions');
      return;
    }
    const onOpen = this.options.onChannelOpen;
    if (!onOpen) {
      refuse(CHANNEL_OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE, `unsupported channel type ${msg.channelType}`);
      return;
    }
    this.incomingCount++;
    let answered = false;
    const settleCount = (): void => {
      answered = true;
    };
    onOpen({
      type: msg.channelType,
      body: msg.channel,
      peerWindow: msg.initialWindowSize,
      peerMaxPacket: msg.maximumPacketSize,
      accept: (handler, options = {}) => {
        if (answered) throw new Error('channel open already answered');
        settleCount();
        const channel = this.createChannel(msg.channelType, handler, options);
        this.incomingIds.add(channel.localId);
        if (this.closedError) {
          channel.teardown(this.closedError);
          return channel;
        }
        channel.accepted(msg.senderChannel, msg.initialWindowSize, msg.maximumPacketSize);
        this.options.send(
          ChannelOpenConfirmation.encode({
            recipientChannel: msg.senderChannel,
            senderChannel: channel.localId,
            initialWindowSize: channel.receiveLimits.windowSize,
            maximumPacketSize: channel.receiveLimits.maxPacket,
            data: new Uint8Array(0),
          }),
        );
        return channel;
      },
      reject: (reasonCode, description) => {
        if (answered) return;
        settleCount();
        this.incomingCount--;
        if (!this.isClosed) refuse(reasonCode, description);
      },
      get answered() {
        return answered;
      },
    });
  }

  private receiveGlobalRequest(msg: GlobalRequest): void {
    if (this.pendingGlobal.length >= this.maxPendingGlobal) {
      this.protocolError(new ProtocolError(`more than ${this.maxPendingGlobal} global requests awaiting replies`));
      return;
    }
    const entry: PendingGlobalReply = { wantReply: msg.wantReply, done: false, ok: false, data: undefined };
    this.pendingGlobal.push(entry);
    const reply = (ok: boolean, data?: Uint8Array): void => {
      if (entry.done) return;
      entry.done = true;
      entry.ok = ok;
      entry.data = data;
      this.flushGlobalReplies();
    };
    if (msg.requestName === 'no-more-sessions@openssh.com') {
      this.noMoreSessions = true;
      reply(true);
      return;
    }
    const onRequest = this.options.onGlobalRequest;
    if (!onRequest) {
      reply(false);
      return;
    }
    onRequest({ name: msg.requestName, body: msg.request, wantReply: msg.wantReply, reply });
  }

  private flushGlobalReplies(): void {
    while (this.pendingGlobal.length > 0 && (this.pendingGlobal[0] as PendingGlobalReply).done) {
      const entry = this.pendingGlobal.shift() as PendingGlobalReply;
      if (!entry.wantReply || this.isClosed) continue;
      this.options.send(entry.ok ? RequestSuccess.encode({ data: entry.data ?? new Uint8Array(0) }) : RequestFailure.encode({}));
    }
  }

  // ------------------------------------------------------------------ ChannelHost

  /** @internal */
  sendPayload(payload: Uint8Array, tail?: Uint8Array): void {
    if (this.isClosed) return;
    if (tail === undefined) this.options.send(payload);
    else this.options.send(payload, tail);
  }

  /** @internal */
  protocolError(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    const disconnect = error instanceof ProtocolError ? error : new ProtocolError(error.message, undefined, { cause: error });
    this.options.fail(disconnect);
  }

  /** @internal */
  handlerError(error: unknown): void {
    const report = this.options.onHandlerError;
    if (report === undefined) throw error;
    report(error);
  }

  /** @internal */
  hold(channel: Channel): boolean {
    const onHeld = this.options.onHeldWrites;
    if (onHeld === undefined || this.isClosed) return false;
    this.held.push(channel);
    if (this.held.length === 1) onHeld();
    return true;
  }

  /** @internal */
  release(channel: Channel): void {
    if (this.channels.get(channel.localId) !== channel) return;
    this.channels.delete(channel.localId);
    this.recentlyClosed.add(channel.localId);
    if (this.recentlyClosed.size > RECENTLY_CLOSED) {
      const oldest = this.recentlyClosed.values().next().value as number;
      this.recentlyClosed.delete(oldest);
    }
    if (this.incomingIds.delete(channel.localId)) this.incomingCount--;
  }

  private createChannel(type: string, handler: ChannelHandler, options: ChannelOptions): Channel {
    let id = this.nextId;
    while (this.channels.has(id)) id = id === MAX_CHANNEL_ID ? 0 : id + 1;
    this.nextId = id === MAX_CHANNEL_ID ? 0 : id + 1;
    const channel = new Channel(
      this,
      {
        localId: id,
        type,
        windowSize: Math.min(options.windowSize ?? this.windowSize, 0xffff_ffff),
        maxPacketSize: Math.min(options.maxPacketSize ?? this.maxPacketSize, this.packetCap),
        ...(this.options.highWaterMark !== undefined ? { highWaterMark: this.options.highWaterMark } : {}),
        ...(options.datagram === true ? { datagram: true } : {}),
      },
      handler,
    );
    this.channels.set(id, channel);
    return channel;
  }
}
