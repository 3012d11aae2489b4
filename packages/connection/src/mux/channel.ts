/**
 * One SSH channel of the connection protocol, sans-I/O. RFC 4254 §5: window and maximum-packet
 * flow control in both directions, EOF and close, channel requests with in-order replies.
 *
 * Outbound, everything (data, extended data, EOF, requests, close) goes through one ordered queue:
 * only data waits for the peer's window, but nothing overtakes data queued before it, so an
 * `exit-status` or an EOF never arrives ahead of the output it follows.
 * Inbound, data shrinks our receive window and only `consume()` — called by whoever has actually
 * taken the data out of its buffer — reopens it: a reader that stops reading stops the peer.
 * @module
 */

import {
  ChannelClose,
  ChannelEof,
  ChannelFailure,
  ChannelRequest,
  ChannelSuccess,
  ChannelWindowAdjust,
  MSG,
  type ChannelRequestBody,
} from '@ssh/wire';
import { ProtocolError } from '@ssh/transport';
import { ChannelClosedError, type ChannelOpenError } from '../errors.ts';
import { Fifo } from './fifo.ts';

/** What a channel tells its owner. Every callback is optional except `onData` and `onClose`. */
export interface ChannelHandler {
  /** Our open was confirmed (outbound channels). */
  onOpen?(channel: Channel): void;
  /** Our open was refused, or the connection went away before an answer. `onClose` follows. */
  onOpenFailed?(error: ChannelOpenError | Error): void;
  /** Data from the peer; `datatype` is undefined for normal data, the code for extended data. */
  onData(data: Uint8Array, datatype: number | undefined): void;
  /** The peer will send no more data. */
  onEof?(): void;
  /**
   * A channel request from the peer. Answer true to accept; a promise is fine. Replies go out in
   * the order the requests came, as RFC 4254 §4 requires. Throwing counts as false.
   */
  onRequest?(type: string, request: ChannelRequestBody | Uint8Array, wantReply: boolean): boolean | Promise<boolean>;
  /** The reply to a peer's request went out (or was decided, for requests without want-reply). */
  onRequestAnswered?(type: string, ok: boolean): void;
  /** The outbound buffer drained below the low-water mark after having been above it. */
  onWritable?(): void;
  /** The channel is finished: closed both ways (`error` undefined) or torn down with `error`. */
  onClose(error: Error | undefined): void;
}

/** The connection a channel lives on (the multiplexer, seen from a channel). */
export interface ChannelHost {
  /** Sends `payload`, followed by `tail` when given (see MuxOptions.send). */
  sendPayload(payload: Uint8Array, tail?: Uint8Array): void;
  protocolError(error: Error): void;
  /** A handler threw where no caller takes the exception (see MuxOptions.onHandlerError). */
  handlerError(error: unknown): void;
  release(channel: Channel): void;
  /**
   * Asks for `channel.sendHeld()` to be called later in this turn, before the connection writes
   * to its socket, so that the small writes made meanwhile go out merged. False when this host
   * sends every write at once (the channel then does).
   */
  hold(channel: Channel): boolean;
}

export interface ChannelParams {
  readonly localId: number;
  readonly type: string;
  /** Our receive window: how much the peer may send before we adjust it. */
  readonly windowSize: number;
  /** The largest data payload we accept in one message. */
  readonly maxPacketSize: number;
  /** Outbound buffered bytes above which `write()` answers false (default 1 MiB). */
  readonly highWaterMark?: number;
  /** The most channel requests awaiting our reply before the peer counts as flooding (256). */
  readonly maxPendingRequests?: number;
  /**
   * Each write is one message, never split (OpenSSH's datagram channels, such as tun@openssh.com):
   * it waits for a window that holds it whole, and one larger than the peer's maximum packet is
   * dropped.
   */
  readonly datagram?: boolean;
}

type Outbound =
  | { readonly kind: 'data'; data: Uint8Array; readonly datatype: number | undefined }
  | { readonly kind: 'eof' }
  | { readonly kind: 'request'; readonly payload: Uint8Array; readonly wantReply: boolean }
  | { readonly kind: 'close' };

interface PendingReply {
  readonly type: string;
  readonly wantReply: boolean;
  done: boolean;
  ok: boolean;
}

export type ChannelState = 'opening' | 'open' | 'closing' | 'closed';

const MAX_WINDOW = 0xffff_ffff;

/**
 * Writes below this size may be held back until the end of the turn and merged with the writes
 * that follow into one packet (see ChannelHost.hold): a program writing its output a line at a
 * time then sends a few full packets instead of one packet per line, each with its own header,
 * padding, MAC and cipher call on both sides. Larger writes go out at once, as they come.
 */
const SMALL_WRITE = 8 * 1024;

export class Channel {
  readonly localId: number;
  readonly type: string;
  /** The peer's number for this channel, once open. */
  remoteId = -1;

  private readonly host: ChannelHost;
  private handler: ChannelHandler;
  private highWaterMark: number;
  private lowWaterMark: number;
  private readonly maxPendingRequests: number;
  private readonly datagram: boolean;

  private readonly recvWindowSize: number;
  private readonly recvMaxPacket: number;
  private recvWindow: number;
  private consumedUnadvertised = 0;

  private sendWindow = 0;
  private sendMaxPacket = 0;
  private readonly queue = new Fifo<Outbound>();
  private queuedBytes = 0;
  private aboveHighWater = false;
  private readonly sentWaiters: (() => void)[] = [];
  /** Small writes are queued unsent until the host calls sendHeld(). */
  private holding = false;

  private stateValue: ChannelState = 'opening';
  private eofQueued = false;
  private eofReceived = false;
  private closeQueued = false;
  private closeSent = false;
  private closeReceived = false;

  private readonly replyWaiters: ((ok: boolean) => void)[] = [];
  /** Requests with want-reply sent and not yet answered (those first in replyWaiters; the rest still wait in the queue). */
  private repliesDue = 0;
  private readonly pendingReplies: PendingReply[] = [];

  constructor(host: ChannelHost, params: ChannelParams, handler: ChannelHandler) {
    this.host = host;
    this.handler = handler;
    this.localId = params.localId;
    this.type = params.type;
    this.recvWindowSize = params.windowSize;
    this.recvWindow = params.windowSize;
    this.recvMaxPacket = params.maxPacketSize;
    this.highWaterMark = params.highWaterMark ?? 1024 * 1024;
    this.lowWaterMark = Math.floor(this.highWaterMark / 4);
    this.maxPendingRequests = params.maxPendingRequests ?? 256;
    this.datagram = params.datagram === true;
  }

  get state(): ChannelState {
    return this.stateValue;
  }

  /** Bytes of data written but not yet sent (waiting for the peer's window). */
  get writeBufferSize(): number {
    return this.queuedBytes;
  }

  /**
   * Calls `callback` once none of the data written so far waits for the peer's window (it has all
   * been handed to the connection), or once the channel is closed; at once when none waits.
   */
  onSent(callback: () => void): void {
    if (this.queuedBytes === 0 || this.closeSent || this.stateValue === 'closed') callback();
    else this.sentWaiters.push(callback);
  }

  /** The peer's maximum packet size and current window, once open. */
  get sendLimits(): { readonly window: number; readonly maxPacket: number } {
    return { window: this.sendWindow, maxPacket: this.sendMaxPacket };
  }

  /** Our receive window as advertised, and our maximum packet size. */
  get receiveLimits(): { readonly windowSize: number; readonly maxPacket: number } {
    return { windowSize: this.recvWindowSize, maxPacket: this.recvMaxPacket };
  }

  /** True once we can send no more data (EOF or close queued). */
  get isWriteClosed(): boolean {
    return this.eofQueued || this.closeQueued || this.stateValue === 'closed';
  }

  /** True once the peer sent EOF or close. */
  get isReadClosed(): boolean {
    return this.eofReceived || this.closeReceived;
  }

  /** Replaces the handler (a session layer taking over an accepted channel). */
  setHandler(handler: ChannelHandler): void {
    this.handler = handler;
  }

  // ------------------------------------------------------------------ outbound

  /**
   * Queues data (or extended data with `datatype`). Answers false when the buffer is above the
   * high-water mark: the caller should wait for `onWritable` before writing more. With
   * `transient`, `data` is valid only during this call (a read buffer about to be reused): what
   * the peer's window takes now is sent from it, and only the rest is copied to wait.
   */
  write(data: Uint8Array, datatype?: number, transient = false): boolean {
    if (this.isWriteClosed) throw new ChannelClosedError(this.eofQueued ? 'channel EOF already sent' : 'channel is closed');
    if (data.length > 0) {
      const item = { kind: 'data' as const, data, datatype };
      this.queue.push(item);
      this.queuedBytes += data.length;
      if (this.mayHold(data.length) && (this.holding || (this.holding = this.host.hold(this)))) {
        if (transient) item.data = Buffer.from(item.data);
      } else {
        this.pump();
        // Anything pushed after it during pump() came from handlers: searching from the end is short.
        // Buffer.from copies without zero-filling first (slice() did, and that memset was 5 % of a
        // server streaming to a slower client).
        if (transient && this.queue.includesFromEnd(item)) item.data = Buffer.from(item.data);
      }
    }
    if (this.queuedBytes > this.highWaterMark) this.aboveHighWater = true;
    return this.queuedBytes <= this.highWaterMark;
  }

  /** @internal Sends the writes held back since the host's hold() (merged where they fit). */
  sendHeld(): void {
    if (!this.holding) return;
    this.holding = false;
    this.pump();
  }

  /** Whether a write of `length` bytes may wait for sendHeld(): a small one on an open stream channel. */
  private mayHold(length: number): boolean {
    // write() has refused a closing channel already.
    return length < SMALL_WRITE && !this.datagram && this.stateValue === 'open';
  }

  /** Sets when write() starts answering false (above `high`) and onWritable fires (at or below `low`). */
  setWriteLimits(high: number, low: number): void {
    if (!(high >= low && low >= 0)) throw new RangeError(`bad write buffer limits: high ${high}, low ${low}`);
    this.highWaterMark = high;
    this.lowWaterMark = low;
    if (this.queuedBytes > high) this.aboveHighWater = true;
    else if (this.aboveHighWater && this.queuedBytes <= low) {
      this.aboveHighWater = false;
      this.handler.onWritable?.();
    }
  }

  /** Queues an EOF after the data already written. */
  writeEof(): void {
    if (this.isWriteClosed) return;
    this.eofQueued = true;
    this.queue.push({ kind: 'eof' });
    this.pump();
  }

  /**
   * Sends a channel request after the data already written. With `onReply`, want-reply is set and
   * the reply (true for success) is delivered in order; a channel that closes first answers false.
   */
  sendRequest(type: string, request: ChannelRequestBody | Uint8Array, onReply?: (ok: boolean) => void): void {
    if (this.closeQueued || this.stateValue === 'closed') {
      onReply?.(false);
      return;
    }
    const wantReply = onReply !== undefined;
    const payload = ChannelRequest.encode({
      recipientChannel: this.remoteId,
      requestType: type,
      wantReply,
      request: request as never,
    });
    if (onReply) this.replyWaiters.push(onReply);
    this.queue.push({ kind: 'request', payload, wantReply });
    this.pump();
  }

  /** Closes after the queued data has gone out (RFC 4254 §5.3). */
  close(): void {
    if (this.closeQueued || this.stateValue === 'closed') return;
    this.closeQueued = true;
    if (this.stateValue === 'open') this.stateValue = 'closing';
    this.queue.push({ kind: 'close' });
    this.pump();
  }

  /**
   * The peer sent this channel something its owner cannot take (an extended data type it has no
   * stream for, text it cannot decode): the connection fails with a ProtocolError, as for any
   * message that breaks the protocol.
   */
  protocolError(reason: string): void {
    this.host.protocolError(new ProtocolError(`channel ${this.localId}: ${reason}`));
  }

  /** Closes now, discarding data not yet sent. */
  abort(): void {
    if (this.closeSent || this.stateValue === 'closed') return;
    this.queue.clear();
    this.queuedBytes = 0;
    this.fireSent();
    this.closeQueued = true;
    if (this.stateValue === 'open') this.stateValue = 'closing';
    this.queue.push({ kind: 'close' });
    this.pump();
  }

  /** The application has taken `bytes` of received data: reopen the window for them. */
  consume(bytes: number): void {
    if (bytes <= 0 || this.closeReceived || this.stateValue === 'closed') return;
    this.consumedUnadvertised += bytes;
    // Adjust once half the window is used up (as OpenSSH does), or once more than a quarter of it
    // and three maximum packets were taken: the peer keeps at least three quarters of the window,
    // so it never stalls on room we have, and a fast stream costs one small packet per quarter
    // window rather than one per three packets (each one sealed and written on its own).
    if (this.consumedUnadvertised > this.adjustThreshold() || this.recvWindow < this.recvWindowSize / 2) this.advertise();
  }

  private adjustThreshold(): number {
    return Math.max(3 * this.recvMaxPacket, this.recvWindowSize / 4);
  }

  /** Reopens the window by what the application has taken since the last adjustment. */
  private advertise(): void {
    if (this.closeSent) return;
    const add = Math.min(this.consumedUnadvertised, MAX_WINDOW - this.recvWindow);
    this.consumedUnadvertised = 0;
    if (add <= 0) return;
    this.recvWindow += add;
    this.host.sendPayload(ChannelWindowAdjust.encode({ recipientChannel: this.remoteId, bytesToAdd: add }));
  }

  /**
   * Before data goes out: an adjustment half due rides along, in the same write to the socket. A
   * peer streaming to us while we answer it (an SFTP upload: a STATUS per WRITE) then gets its
   * window back with the answers, instead of in writes of their own that each wake it up.
   */
  private advertiseWithData(): void {
    if (this.consumedUnadvertised >= this.adjustThreshold() / 2) this.advertise();
  }

  private pump(): void {
    if (this.stateValue === 'opening' || this.closeSent) return;
    if (this.sendWindow > 0 && this.queue.length > 0 && (this.queue.at(0) as Outbound).kind === 'data') this.advertiseWithData();
    while (this.queue.length > 0) {
      const item = this.queue.at(0) as Outbound;
      if (item.kind === 'data') {
        if (this.sendWindow === 0) break;
        if (this.datagram && item.data.length > this.sendMaxPacket) {
          this.queue.shift();
          this.queuedBytes -= item.data.length;
          continue;
        }
        if (this.datagram && item.data.length > this.sendWindow) break;
        if (this.sendMerged(item)) continue;
        const n = Math.min(item.data.length, this.sendWindow, this.sendMaxPacket);
        const chunk = n === item.data.length ? item.data : item.data.subarray(0, n);
        this.host.sendPayload(dataHeader(this.remoteId, item.datatype, n), chunk);
        this.sendWindow -= n;
        this.queuedBytes -= n;
        if (n === item.data.length) this.queue.shift();
        else item.data = item.data.subarray(n);
        continue;
      }
      this.queue.shift();
      if (item.kind === 'eof') this.host.sendPayload(ChannelEof.encode({ recipientChannel: this.remoteId }));
      else if (item.kind === 'request') {
        this.host.sendPayload(item.payload);
        if (item.wantReply) this.repliesDue++;
      }
      else {
        this.host.sendPayload(ChannelClose.encode({ recipientChannel: this.remoteId }));
        this.closeSent = true;
        this.queue.clear();
        this.queuedBytes = 0;
        this.fireSent();
        if (this.closeReceived) this.finish(undefined);
        return;
      }
    }
    if (this.queuedBytes === 0) this.fireSent();
    if (this.aboveHighWater && this.queuedBytes <= this.lowWaterMark) {
      this.aboveHighWater = false;
      this.handler.onWritable?.();
    }
  }

  /**
   * Sends the small data item at the head of the queue together with the small items of the same
   * type right behind it, as many as fit the window and the peer's maximum packet whole, in one
   * message. False (nothing sent) unless at least two go.
   */
  private sendMerged(head: Outbound & { kind: 'data' }): boolean {
    if (this.datagram || head.data.length >= SMALL_WRITE) return false;
    const limit = Math.min(this.sendWindow, this.sendMaxPacket);
    let total = head.data.length;
    let count = 1;
    for (; count < this.queue.length; count++) {
      const next = this.queue.at(count) as Outbound;
      if (next.kind !== 'data' || next.datatype !== head.datatype || next.data.length >= SMALL_WRITE || total + next.data.length > limit) break;
      total += next.data.length;
    }
    if (count < 2 || total > limit) return false;
    const merged = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const item = this.queue.shift() as Outbound & { kind: 'data' };
      merged.set(item.data, at);
      at += item.data.length;
    }
    this.host.sendPayload(dataHeader(this.remoteId, head.datatype, total), merged);
    this.sendWindow -= total;
    this.queuedBytes -= total;
    return true;
  }

  private fireSent(): void {
    if (this.sentWaiters.length === 0) return;
    for (const w of this.sentWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------------ inbound (from the mux)

  /** @internal The peer confirmed our open. */
  opened(remoteId: number, window: number, maxPacket: number): void {
    this.remoteId = remoteId;
    this.sendWindow = window;
    this.sendMaxPacket = Math.max(1, maxPacket);
    this.stateValue = this.closeQueued ? 'closing' : 'open';
    this.handler.onOpen?.(this);
    this.pump();
  }

  /** @internal We accepted the peer's open. */
  accepted(remoteId: number, window: number, maxPacket: number): void {
    this.remoteId = remoteId;
    this.sendWindow = window;
    this.sendMaxPacket = Math.max(1, maxPacket);
    this.stateValue = 'open';
  }

  /** @internal */
  openFailed(error: ChannelOpenError | Error): void {
    this.stateValue = 'closed';
    this.handler.onOpenFailed?.(error);
    this.fireClose(error);
  }

  /** @internal */
  receiveData(data: Uint8Array, datatype: number | undefined): void {
    if (this.closeReceived || this.eofReceived) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: data after ${this.closeReceived ? 'close' : 'EOF'}`));
      return;
    }
    if (data.length > this.recvMaxPacket) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: ${data.length}-byte data packet exceeds the maximum of ${this.recvMaxPacket}`));
      return;
    }
    if (data.length > this.recvWindow) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: ${data.length} bytes of data exceed the window of ${this.recvWindow}`));
      return;
    }
    this.recvWindow -= data.length;
    // After we sent close, the peer may still have data in flight: it is dropped.
    if (this.closeSent || data.length === 0) return;
    this.handler.onData(data, datatype);
  }

  /** @internal */
  receiveWindowAdjust(bytesToAdd: number): void {
    if (this.sendWindow + bytesToAdd > MAX_WINDOW) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: window adjust beyond 2^32-1`));
      return;
    }
    this.sendWindow += bytesToAdd;
    this.pump();
  }

  /** @internal */
  receiveEof(): void {
    if (this.eofReceived || this.closeReceived) return;
    this.eofReceived = true;
    if (!this.closeSent) this.handler.onEof?.();
  }

  /** @internal */
  receiveClose(): void {
    if (this.closeReceived) return;
    this.closeReceived = true;
    if (!this.closeSent) {
      this.queue.clear();
      this.queuedBytes = 0;
      this.closeQueued = true;
      this.queue.push({ kind: 'close' });
      this.pump();
    } else {
      this.finish(undefined);
    }
  }

  /** @internal */
  receiveRequest(msg: ChannelRequest): void {
    if (this.closeReceived) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: request after close`));
      return;
    }
    if (this.pendingReplies.length >= this.maxPendingRequests) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: more than ${this.maxPendingRequests} requests awaiting replies`));
      return;
    }
    const entry: PendingReply = { type: msg.requestType, wantReply: msg.wantReply, done: false, ok: false };
    this.pendingReplies.push(entry);
    const settle = (ok: boolean): void => {
      entry.done = true;
      entry.ok = ok;
      this.flushReplies();
    };
    let result: boolean | Promise<boolean>;
    try {
      result = this.closeSent || !this.handler.onRequest ? false : this.handler.onRequest(msg.requestType, msg.request, msg.wantReply);
    } catch {
      result = false;
    }
    if (typeof result === 'boolean') settle(result);
    else
      result
        .then(
          (ok) => settle(ok === true),
          () => settle(false),
        )
        .catch((err: unknown) => this.host.handlerError(err));
  }

  private flushReplies(): void {
    while (this.pendingReplies.length > 0 && (this.pendingReplies[0] as PendingReply).done) {
      const entry = this.pendingReplies.shift() as PendingReply;
      if (this.closeSent) continue;
      if (entry.wantReply) this.host.sendPayload((entry.ok ? ChannelSuccess : ChannelFailure).encode({ recipientChannel: this.remoteId }));
      this.handler.onRequestAnswered?.(entry.type, entry.ok);
    }
  }

  /** @internal */
  receiveReply(ok: boolean): void {
    // A request queued behind data the window holds back has not gone out: nothing answers it yet.
    if (this.repliesDue === 0) {
      this.host.protocolError(new ProtocolError(`channel ${this.localId}: reply without a request`));
      return;
    }
    this.repliesDue--;
    (this.replyWaiters.shift() as (ok: boolean) => void)(ok);
  }

  /** @internal The connection went away. */
  teardown(error: Error): void {
    if (this.stateValue === 'closed') return;
    if (this.stateValue === 'opening') {
      this.openFailed(error);
      return;
    }
    this.closeSent = true;
    this.closeReceived = true;
    this.finish(error);
  }

  private finish(error: Error | undefined): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.queue.clear();
    this.queuedBytes = 0;
    this.pendingReplies.length = 0;
    this.host.release(this);
    this.fireSent();
    this.fireClose(error);
  }

  private fireClose(error: Error | undefined): void {
    const waiters = this.replyWaiters.splice(0);
    for (const w of waiters) w(false);
    this.handler.onClose(error);
  }
}

/**
 * The header of SSH_MSG_CHANNEL_DATA (or _EXTENDED_DATA with `datatype`) up to and including the
 * data's length field: the data itself follows it as the message's tail, uncopied.
 */
function dataHeader(recipientChannel: number, datatype: number | undefined, length: number): Uint8Array {
  const extended = datatype !== undefined;
  // Byte stores, not a DataView: `.buffer` of an array this small makes V8 move it off the heap
  // into a backing store of its own, one more allocation for every data packet.
  const header = new Uint8Array(extended ? 13 : 9);
  header[0] = extended ? MSG.CHANNEL_EXTENDED_DATA : MSG.CHANNEL_DATA;
  putU32(header, 1, recipientChannel);
  if (extended) putU32(header, 5, datatype);
  putU32(header, extended ? 9 : 5, length);
  return header;
}

function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}
