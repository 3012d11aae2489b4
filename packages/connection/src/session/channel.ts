/**
 * SSHChannel: the application's side of one channel, as AsyncSSH's SSHChannel. It turns the
 * multiplexer's callbacks into calls on a session object (connectionMade, dataReceived,
 * eofReceived, pauseWriting/resumeWriting, connectionLost), decodes text with the channel's
 * encoding, and gives writes, EOF, close, pause/resume of reading and write-buffer limits.
 * RFC 4254 §5.
 * @module
 */

import { EXTENDED_DATA } from '@ssh/wire';
import type { Channel, ChannelHandler } from '../mux/channel.ts';
import { ChannelClosedError } from '../errors.ts';
import { checkEncoding, encodeText, textDecoder, type StreamDecoder } from './text.ts';

/** Text (with an encoding) or bytes (encoding null). */
export type ChannelData = string | Uint8Array;

/** The callbacks every session object may implement (AsyncSSH's SSHSession). */
export interface SSHSession<T extends ChannelData = ChannelData> {
  connectionMade?(channel: SSHChannel<T>): void;
  connectionLost?(error: Error | undefined): void;
  sessionStarted?(): void;
  dataReceived?(data: T, datatype: number | undefined): void;
  /** Return true to keep our side open; otherwise our side sends EOF too (asyncio's rule). */
  eofReceived?(): boolean | void;
  pauseWriting?(): void;
  resumeWriting?(): void;
}

/** The logger a connection lends its channels (AsyncSSH's `logger` attribute); any object with these methods. */
export interface ChannelLogger {
  info(message: string): void;
  warning(message: string): void;
}

/** What a channel needs from its connection. */
export interface ChannelConnection {
  getExtraInfo(name: string): unknown;
  /** The connection's logger, which its channels, processes and streams share. */
  readonly logger?: ChannelLogger;
}

export interface SSHChannelOptions {
  /** 'utf-8' (default) or another TextDecoder label; null for bytes. */
  readonly encoding?: string | null;
  /** 'strict' (default) throws on undecodable input; 'replace' substitutes U+FFFD. */
  readonly errors?: 'strict' | 'replace';
  /** @internal The window reopens only through consume() (stream sessions), not on delivery. */
  readonly manualWindow?: boolean;
}

export class SSHChannel<T extends ChannelData = ChannelData> {
  protected readonly connection: ChannelConnection;
  protected session: SSHSession<T> | undefined;
  protected chan: Channel | undefined;
  readonly encoding: string | null;
  readonly errors: 'strict' | 'replace';

  private readonly extraInfo = new Map<string, unknown>();
  private readonly decoders = new Map<number, StreamDecoder>();
  /** Received data waits in pausedData: the application paused reading, or the session holds it. */
  private paused = false;
  private pausedByApp = false;
  private held = false;
  private readonly pausedData: { data: Uint8Array; datatype: number | undefined }[] = [];
  private pausedEof = false;
  /** When false, the reader calls `consume()` itself as it takes data (stream sessions). */
  private autoConsume = true;
  private closeError: Error | undefined;
  private closed = false;
  /**
   * The peer closed cleanly while received data or its EOF waited here (paused reading): the
   * session hears them first, and connectionLost once they are delivered (AsyncSSH's
   * close_pending).
   */
  private finishPending = false;
  /** The application closed or aborted the channel: what is held back is not wanted any more. */
  private closeRequested = false;
  private readonly closeWaiters: (() => void)[] = [];
  private writeHigh = 1024 * 1024;
  private writeLow = 256 * 1024;
  private writingPaused = false;

  constructor(connection: ChannelConnection, options: SSHChannelOptions = {}) {
    this.connection = connection;
    this.encoding = options.encoding === undefined ? 'utf-8' : options.encoding;
    checkEncoding(this.encoding);
    this.errors = options.errors ?? 'strict';
    this.autoConsume = options.manualWindow !== true;
  }

  /** The multiplexer handler for this channel: pass it to openChannel/accept. */
  get handler(): ChannelHandler {
    return {
      onOpen: (channel) => this.attach(channel),
      onOpenFailed: () => undefined,
      onData: (data, datatype) => this.receive(data, datatype),
      onEof: () => this.receiveEof(),
      onRequest: (type, request, wantReply) => this.handleRequest(type, request, wantReply),
      onRequestAnswered: (type, ok) => this.requestAnswered(type, ok),
      onWritable: () => this.checkResumeWriting(),
      onClose: (error) => this.finish(error),
    };
  }

  /** @internal Binds the open channel and starts the session. */
  attach(channel: Channel): void {
    this.chan = channel;
    channel.setWriteLimits(this.writeHigh, this.writeLow);
  }

  /** @internal */
  setSession(session: SSHSession<T>): void {
    this.session = session;
  }

  /** The logger of the connection this channel belongs to (AsyncSSH's `logger` attribute). */
  get logger(): ChannelLogger | undefined {
    return this.connection.logger;
  }

  /** The multiplexer channel (undefined until open). */
  get muxChannel(): Channel | undefined {
    return this.chan;
  }

  // ------------------------------------------------------------------ info

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    if (this.extraInfo.has(name)) return this.extraInfo.get(name) as V;
    const v = this.connection.getExtraInfo(name);
    return v === undefined ? defaultValue : (v as V);
  }

  setExtraInfo(info: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(info)) this.extraInfo.set(k, v);
  }

  // ------------------------------------------------------------------ writing

  protected encode(data: T | ChannelData): Uint8Array {
    if (typeof data === 'string') {
      if (this.encoding === null) throw new TypeError('this channel carries bytes: write a Uint8Array');
      return encodeText(data, this.encoding);
    }
    if (!(data instanceof Uint8Array)) throw new TypeError('write() takes a string or a Uint8Array');
    return data;
  }

  /**
   * Writes data (`datatype` 1 for stderr); pauseWriting() fires above the high-water mark. With
   * `transient`, bytes are valid only during this call: only what must wait is copied.
   */
  write(data: T, datatype?: number, transient = false): void {
    const chan = this.requireOpen();
    const bytes = this.encode(data);
    if (bytes.length === 0) return;
    if (!chan.write(bytes, datatype, transient) && !this.writingPaused) {
      this.writingPaused = true;
      this.session?.pauseWriting?.();
    }
  }

  writelines(lines: Iterable<T>, datatype?: number): void {
    for (const line of lines) this.write(line, datatype);
  }

  /** Writes to stderr (extended data type 1). */
  writeStderr(data: T): void {
    this.write(data, EXTENDED_DATA.STDERR);
  }

  /** Writes each of `lines` to stderr (extended data type 1). */
  writelinesStderr(lines: Iterable<T>): void {
    this.writelines(lines, EXTENDED_DATA.STDERR);
  }

  writeEof(): void {
    this.chan?.writeEof();
  }

  canWriteEof(): boolean {
    return true;
  }

  getWriteBufferSize(): number {
    return this.chan?.writeBufferSize ?? 0;
  }

  /** Sets when pauseWriting (above `high`) and resumeWriting (at or below `low`) fire. */
  setWriteBufferLimits(high?: number, low?: number): void {
    const h = high ?? (low === undefined ? 64 * 1024 : 4 * low);
    const l = low ?? Math.floor(h / 4);
    if (!(h >= l && l >= 0)) throw new RangeError(`bad write buffer limits: high ${h}, low ${l}`);
    this.writeHigh = h;
    this.writeLow = l;
    this.chan?.setWriteLimits(h, l);
  }

  private checkResumeWriting(): void {
    if (this.writingPaused) {
      this.writingPaused = false;
      this.session?.resumeWriting?.();
    }
  }

  /**
   * Undefined when none of the data written so far waits for the peer's window; else resolves
   * once it has all gone out, or the channel closed.
   */
  whenSent(): Promise<void> | undefined {
    const chan = this.chan;
    if (chan === undefined || chan.writeBufferSize === 0) return undefined;
    return new Promise((resolve) => chan.onSent(resolve));
  }

  /** True while writes are above the high-water mark (used by drain()). */
  get isWritingPaused(): boolean {
    return this.writingPaused;
  }

  // ------------------------------------------------------------------ reading

  pauseReading(): void {
    this.pausedByApp = true;
    this.paused = true;
  }

  resumeReading(): void {
    if (!this.pausedByApp) return;
    this.pausedByApp = false;
    this.unpause();
  }

  /**
   * @internal The session on this channel holds received data back (true) until it has room for
   * more (false), independently of pauseReading(): the data waits unconsumed, so the peer's window
   * stays shut meanwhile.
   */
  holdReading(hold: boolean): void {
    if (this.held === hold) return;
    this.held = hold;
    if (hold) this.paused = true;
    else this.unpause();
  }

  private unpause(): void {
    this.paused = this.pausedByApp || this.held;
    while (!this.paused && this.pausedData.length > 0) {
      const { data, datatype } = this.pausedData.shift() as { data: Uint8Array; datatype: number | undefined };
      this.deliver(data, datatype);
    }
    if (!this.paused && this.pausedEof) {
      this.pausedEof = false;
      this.deliverEof();
    }
    if (!this.paused && this.finishPending) this.finish(undefined);
  }

  /** @internal Reopens the receive window for bytes the reader took (stream sessions). */
  consume(bytes: number): void {
    this.chan?.consume(bytes);
  }

  private receive(data: Uint8Array, datatype: number | undefined): void {
    // Stderr is the only extended data type RFC 4254 §5.2 defines: anything else is refused, as in
    // AsyncSSH, rather than given a decoder and a stream of its own for every number a peer sends.
    if (datatype !== undefined && datatype !== EXTENDED_DATA.STDERR) {
      this.chan?.protocolError(`extended data type ${datatype} is not stderr`);
      return;
    }
    if (this.paused) {
      // The window is not reopened for data that waits here: the peer stops when it is full.
      this.pausedData.push({ data: data.slice(), datatype });
      return;
    }
    this.deliver(data, datatype);
  }

  private deliver(data: Uint8Array, datatype: number | undefined): void {
    const session = this.session;
    if (session?.dataReceived) {
      let decoded: ChannelData;
      try {
        decoded = this.decode(data, datatype);
      } catch (err) {
        // Text a strict decoder refuses is the peer's protocol error (AsyncSSH's "Unicode decode
        // error"), not an exception out of the multiplexer.
        this.chan?.protocolError(`cannot decode received data as ${this.encoding}: ${err instanceof Error ? err.message : String(err)}`);
        // Nothing after it is delivered either: the connection is going away.
        this.pausedData.length = 0;
        this.pausedEof = false;
        return;
      }
      session.dataReceived(decoded as T, datatype);
    }
    if (this.autoConsume) this.chan?.consume(data.length);
  }

  protected decode(data: Uint8Array, datatype: number | undefined): ChannelData {
    if (this.encoding === null) return data;
    const key = datatype ?? 0;
    let decoder = this.decoders.get(key);
    if (!decoder) {
      decoder = textDecoder(this.encoding, this.errors);
      this.decoders.set(key, decoder);
    }
    return decoder.decode(data, { stream: true });
  }

  private receiveEof(): void {
    if (this.paused) {
      this.pausedEof = true;
      return;
    }
    this.deliverEof();
  }

  private deliverEof(): void {
    const keepOpen = this.session?.eofReceived?.();
    if (keepOpen !== true && this.chan && !this.chan.isWriteClosed) this.chan.writeEof();
  }

  /** @internal Channel requests, for subclasses; the base refuses them all. */
  protected handleRequest(_type: string, _request: unknown, _wantReply: boolean): boolean | Promise<boolean> {
    return false;
  }

  /** @internal Called once the reply to a request went out (or was decided, without want-reply). */
  protected requestAnswered(_type: string, _ok: boolean): void {}

  // ------------------------------------------------------------------ closing

  /** Closes after pending output is sent. */
  close(): void {
    this.closeRequested = true;
    this.chan?.close();
    if (this.finishPending) this.finish(undefined);
  }

  /** Closes now, discarding pending output. */
  abort(): void {
    this.closeRequested = true;
    this.chan?.abort();
    if (this.finishPending) this.finish(undefined);
  }

  isClosing(): boolean {
    return this.closed || this.chan === undefined || this.chan.state === 'closing' || this.chan.state === 'closed';
  }

  /** Resolves once the channel is fully closed. */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** The error the channel ended with (undefined for a clean close or while open). */
  get closedWith(): Error | undefined {
    return this.closeError;
  }

  protected finish(error: Error | undefined): void {
    if (this.closed) return;
    if (error === undefined && !this.closeRequested && (this.pausedData.length > 0 || this.pausedEof)) {
      this.finishPending = true;
      return;
    }
    this.finishPending = false;
    // Nothing reaches the session after connectionLost.
    this.pausedData.length = 0;
    this.pausedEof = false;
    this.closed = true;
    this.closeError = error;
    this.onFinish(error);
    this.session?.connectionLost?.(error);
    for (const w of this.closeWaiters.splice(0)) w();
  }

  /** Hook for subclasses, before the session hears connectionLost. */
  protected onFinish(_error: Error | undefined): void {}

  protected requireOpen(): Channel {
    const chan = this.chan;
    if (!chan || chan.isWriteClosed) throw new ChannelClosedError(chan ? 'channel is closing' : 'channel is not open');
    return chan;
  }
}
