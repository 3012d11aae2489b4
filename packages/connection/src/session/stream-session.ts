/**
 * The bridge between a session channel and SSHReader/SSHWriter streams (AsyncSSH's
 * SSHStreamSession): received data goes into one ReadBuffer per data type, and the channel's
 * window reopens only as readers take data out, so an unread stream stops the peer. Writers
 * share the channel, each with its data type; drain() waits for the channel's buffer to fall
 * below its low-water mark.
 * @module
 */

import { EXTENDED_DATA } from '@ssh/wire';
import { releasePayload } from '@ssh/transport';
import { ReadBuffer, SSHReader, SSHWriter, type WriteSink } from '../stream/index.ts';
import type { ChannelData, SSHChannel, SSHSession } from './channel.ts';
import { encodeText, textDecoder } from './text.ts';
import { pump, type Pump } from './redirect.ts';

export interface StreamOptions {
  /** 'utf-8' (default), 'latin-1', 'ascii', or null for bytes. */
  readonly encoding?: string | null;
  readonly errors?: 'strict' | 'replace';
  /** How far readuntil/readline scan for a separator (default 64 KiB). */
  readonly limit?: number;
  /** How redirect() copies a source into a stream (default pump()). */
  readonly pump?: Pump;
}

/** A session channel as a byte stream: see StreamSession.rawByteStream(). */
export interface RawByteStream {
  readonly readable: AsyncIterable<Uint8Array>;
  /** Whether each chunk of `readable` is valid only until the next one is asked for. */
  readonly transient: boolean;
  write(chunk: Uint8Array): Promise<void> | undefined;
  close(): void;
  /**
   * Settles once the channel is closed (by either side, or with the connection): from then on
   * nothing written reaches the peer. An EOF from the peer does not settle it (a half-close).
   */
  readonly outputClosed: Promise<void>;
}

/** A session object that feeds streams; install it on an SSHChannel opened with encoding null. */
export class StreamSession<T extends ChannelData = ChannelData> implements SSHSession<Uint8Array> {
  readonly channel: SSHChannel<Uint8Array>;
  readonly encoding: string | null;
  private readonly errors: 'strict' | 'replace';
  private readonly limit: number | undefined;
  /** @internal What redirect() copies sources into its streams with. */
  readonly pump: Pump;
  private readonly buffers = new Map<number, ReadBuffer<T>>();
  private readonly drainWaiters: (() => void)[] = [];
  private writePaused = false;
  private stderrMerged = false;
  /** True when a subclass reopens the window itself (input consumed as it arrives). */
  protected windowManaged = false;
  /** Extra hooks for the owner (process exit bookkeeping, ...). */
  onConnectionLost: ((error: Error | undefined) => void) | undefined;

  constructor(channel: SSHChannel<Uint8Array>, options: StreamOptions = {}) {
    this.channel = channel;
    this.encoding = options.encoding === undefined ? 'utf-8' : options.encoding;
    this.errors = options.errors ?? 'strict';
    this.limit = options.limit;
    this.pump = options.pump ?? pump;
  }

  /** The buffer of one data type (undefined: stdout / normal data; 1: stderr). */
  buffer(datatype: number | undefined): ReadBuffer<T> {
    const key = datatype ?? 0;
    let b = this.buffers.get(key);
    if (!b) {
      b = new ReadBuffer<T>({
        encoding: this.encoding,
        errors: this.errors,
        ...(this.encoding !== null ? { decoder: textDecoder(this.encoding, this.errors) } : {}),
        ...(this.recyclesInput() ? { recycle: releasePayload } : {}),
        onConsumed: (n) => this.inputConsumed(key === 0 ? undefined : key, n),
      });
      this.buffers.set(key, b);
    }
    return b;
  }

  /**
   * Whether received chunks reach the buffers untouched, each the channel's payload alone: then a
   * text stream hands a chunk's buffer back once decoded, a byte stream once a transient reader
   * is done with it. Not when a subclass (a line editor, an application's) takes received data
   * first: it may keep views of it.
   */
  protected recyclesInput(): boolean {
    return this.dataReceived === StreamSession.prototype.dataReceived && this.deliverInput === StreamSession.prototype.deliverInput;
  }

  reader(datatype?: number): SSHReader<T, SSHChannel<Uint8Array>> {
    return new SSHReader<T, SSHChannel<Uint8Array>>(this.buffer(datatype), {
      channel: this.channel,
      getExtraInfo: (name) => this.channel.getExtraInfo(name),
      ...(this.limit !== undefined ? { limit: this.limit } : {}),
    });
  }

  writer(datatype?: number): SSHWriter<T, SSHChannel<Uint8Array>> {
    const encoding = this.encoding;
    return new SSHWriter<T, SSHChannel<Uint8Array>>(this.sink(), {
      channel: this.channel,
      getExtraInfo: (name) => this.channel.getExtraInfo(name),
      encoding,
      errors: this.errors,
      ...(encoding !== null ? { encoder: (text: string) => encodeText(text, encoding) } : {}),
      ...(datatype !== undefined ? { datatype } : {}),
    });
  }

  private sink(): WriteSink {
    const channel = this.channel;
    return {
      write: (data, datatype, transient) => this.sendOutput(data, datatype, transient),
      writeEof: () => channel.writeEof(),
      canWriteEof: () => channel.canWriteEof(),
      close: () => channel.close(),
      isClosing: () => channel.isClosing(),
      waitClosed: () => channel.waitClosed(),
      drain: () => this.drain(),
      needsDrain: () => this.writePaused && this.channel.muxChannel?.state !== 'closed',
      whenSent: () => this.channel.whenSent(),
    };
  }

  /**
   * The channel as a plain byte stream (normal data only), for protocols run on a session such
   * as SFTP and SCP: chunks in as they arrive, one received message's data each (the window
   * reopens as they are taken), writes with backpressure, close. Call it before any data arrived
   * (when the session starts). With `transient`, a chunk is valid only until the next one is
   * asked for: its buffer then goes back to receive later packets (see @ssh/transport's
   * releasePayload), so the consumer must copy whatever it keeps.
   */
  rawByteStream(options: { readonly transient?: boolean } = {}): RawByteStream {
    const previous = this.buffers.get(0);
    // Clients often send their first bytes before the reply to their subsystem request: take them over.
    const early = previous === undefined ? [] : previous.takeUnread();
    if (early === undefined) throw new Error('rawByteStream: data was already read as text');
    const raw = new ReadBuffer<Uint8Array>({
      encoding: null,
      ...(this.recyclesInput() ? { recycle: releasePayload } : {}),
      onConsumed: (n) => this.channel.consume(n),
    });
    // Chunks taken over may be the rest of one another reader holds part of: never recycled.
    for (const chunk of early) raw.push(chunk, false);
    this.buffers.set(0, raw as unknown as ReadBuffer<T>);
    const reader = new SSHReader<Uint8Array>(raw, { channel: this.channel });
    const channel = this.channel;
    const transient = options.transient === true;
    return {
      readable: reader.chunks({ transient }),
      transient,
      write: (chunk) => {
        channel.write(chunk);
        return this.writePaused ? this.drain() : undefined;
      },
      // Ending our side is an EOF: the session's exit status and close come from its owner.
      close: () => channel.writeEof(),
      outputClosed: channel.waitClosed(),
    };
  }

  /** Resolves when the channel's outbound buffer is below its low-water mark (or it closed). */
  drain(): Promise<void> {
    if (!this.writePaused || this.channel.muxChannel?.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  // ------------------------------------------------------------------ SSHSession

  /** From now on stderr data goes into the stdout stream, interleaved as it arrives. */
  mergeStderr(): void {
    this.stderrMerged = true;
  }

  dataReceived(data: Uint8Array, datatype: number | undefined): void {
    this.deliverInput(data, this.stderrMerged && datatype === EXTENDED_DATA.STDERR ? undefined : datatype);
  }

  /** Received data into its stream (a line editor intercepts this). */
  protected deliverInput(data: Uint8Array, datatype: number | undefined): void {
    this.buffer(datatype).push(data);
  }

  /** A reader took `bytes` out of the stream of `datatype`: the window reopens for them (a line editor takes over). */
  protected inputConsumed(_datatype: number | undefined, bytes: number): void {
    if (!this.windowManaged) this.channel.consume(bytes);
  }

  /** Written data onto the channel (a line editor intercepts this); see WriteSink for `transient`. */
  protected sendOutput(data: Uint8Array, datatype: number | undefined, transient = false): void {
    this.channel.write(data, datatype, transient);
  }

  eofReceived(): boolean {
    for (const b of this.allBuffers()) b.pushEof();
    return true;
  }

  pauseWriting(): void {
    this.writePaused = true;
  }

  resumeWriting(): void {
    this.writePaused = false;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  connectionLost(error: Error | undefined): void {
    for (const b of this.allBuffers()) {
      if (error) b.fail(error);
      else b.pushEof();
    }
    this.writePaused = false;
    for (const w of this.drainWaiters.splice(0)) w();
    this.onConnectionLost?.(error);
  }

  /** Delivers an exception in order with the data of every stream (break, signal, resize). */
  pushError(error: Error, datatype?: number): void {
    this.buffer(datatype).pushError(error);
  }

  private allBuffers(): ReadBuffer<T>[] {
    // stdout and stderr always exist, so EOF reaches readers created later too.
    this.buffer(undefined);
    this.buffer(EXTENDED_DATA.STDERR);
    return [...this.buffers.values()];
  }
}
