/**
 * SSHWriter: the write half of a channel's data stream (stdin of a session, or stdout/stderr
 * of a server process), asyncio StreamWriter's methods in AsyncSSH's shape. Writes become
 * CHANNEL_DATA / CHANNEL_EXTENDED_DATA (RFC 4254 §5.2); `writeEof` sends CHANNEL_EOF (§5.3).
 * @module
 */

import { type ExtraInfoLookup } from './reader.ts';

/** What a writer writes through: the channel's outbound side. Flow control lives behind `drain`. */
export interface WriteSink {
  /**
   * Queue data; `datatype` undefined for CHANNEL_DATA, else the CHANNEL_EXTENDED_DATA code (1 = stderr).
   * With `transient`, `data` is valid only during the call: whatever is kept is copied.
   */
  write(data: Uint8Array, datatype: number | undefined, transient?: boolean): void;
  /** Send CHANNEL_EOF once queued data is out. */
  writeEof(): void;
  /** Whether EOF can (still) be sent. */
  canWriteEof(): boolean;
  close(): void;
  isClosing(): boolean;
  waitClosed(): Promise<void>;
  /** Resolves when the queued data is below the channel's write limit. */
  drain(): Promise<void>;
  /** Whether drain() would wait now (unknown when absent). */
  needsDrain?(): boolean;
  /**
   * Undefined when none of the data written so far waits for the peer's window; else resolves
   * once it has all gone out (or the channel closed). Absent: unknown.
   */
  whenSent?(): Promise<void> | undefined;
}

/** How unencodable text is handled: thrown (`strict`) or replaced. */
export type EncodeErrors = 'strict' | 'replace';

export interface SSHWriterOptions<C> {
  readonly channel: C;
  readonly getExtraInfo?: ExtraInfoLookup;
  /** 'utf-8' for a text stream, null for a byte stream. Other encodings need `encoder`. */
  readonly encoding: string | null;
  /** Default 'strict': a string with a lone surrogate throws TypeError; 'replace' sends U+FFFD. */
  readonly errors?: EncodeErrors;
  /** An encoder for an encoding other than UTF-8. */
  readonly encoder?: (text: string) => Uint8Array;
  /** Undefined for normal data, 1 (SSH_EXTENDED_DATA_STDERR) for stderr. */
  readonly datatype?: number;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `label` names UTF-8 (the labels the WHATWG Encoding standard gives it). */
function isUtf8Label(label: string): boolean {
  return ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'].includes(label.trim().toLowerCase());
}

/**
 * Writes one data type of a channel: `T` is string for a text stream, Uint8Array for bytes.
 * A text stream also takes Uint8Array, passed through unencoded.
 */
export class SSHWriter<T extends string | Uint8Array = string | Uint8Array, C = unknown> {
  readonly #sink: WriteSink;
  readonly #channel: C;
  readonly #getExtraInfo: ExtraInfoLookup | undefined;
  readonly #encode: ((text: string) => Uint8Array) | undefined;
  readonly #datatype: number | undefined;
  readonly encoding: string | null;

  constructor(sink: WriteSink, options: SSHWriterOptions<C>) {
    this.#sink = sink;
    this.#channel = options.channel;
    this.#getExtraInfo = options.getExtraInfo;
    this.#datatype = options.datatype;
    this.encoding = options.encoding;
    if (options.encoding !== null) {
      if (options.encoder !== undefined) this.#encode = options.encoder;
      else if (!isUtf8Label(options.encoding)) throw new RangeError(`no built-in encoder for ${JSON.stringify(options.encoding)}: pass options.encoder`);
      else {
        const encoder = new TextEncoder();
        const strict = (options.errors ?? 'strict') === 'strict';
        this.#encode = (text) => {
          if (strict && LONE_SURROGATE.test(text)) throw new TypeError('string holds a lone surrogate, which UTF-8 cannot encode');
          return encoder.encode(text);
        };
      }
    }
  }

  /** The logger of the channel's connection, when the channel has one (AsyncSSH's `logger` attribute). */
  get logger(): unknown {
    const channel = this.channel as { readonly logger?: unknown } | null | undefined;
    return typeof channel === 'object' && channel !== null ? channel.logger : undefined;
  }

  get channel(): C {
    return this.#channel;
  }

  /** The data type this writer sends: undefined for normal data, 1 for stderr. */
  get datatype(): number | undefined {
    return this.#datatype;
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this.#getExtraInfo?.(name) ?? defaultValue;
  }

  /** Queue data for the channel; `await drain()` to respect flow control. */
  write(data: T): void {
    const bytes = this.#toBytes(data);
    if (bytes.length > 0) this.#sink.write(bytes, this.#datatype);
  }

  /**
   * Writes bytes that are valid only during this call, such as a read buffer about to be reused:
   * what the channel sends at once is sealed from them, and only what must wait is copied.
   * Answers, as a Node Writable's write() does, whether more may be written now; after false,
   * `await drain()` first.
   */
  writeTransient(data: Uint8Array): boolean {
    if (!(data instanceof Uint8Array)) throw new TypeError('writeTransient() takes a Uint8Array');
    if (data.length > 0) this.#sink.write(data, this.#datatype, true);
    return this.#sink.needsDrain?.() === false;
  }

  /**
   * Undefined when none of the data written so far waits for the peer's window (or the sink
   * cannot tell); else a promise that resolves once it has all gone out, or the channel closed.
   * A relay reading into a reused buffer waits for it after a writeTransient() that could not
   * all be sent: what the window left over is copied once, and the source (a pipe, a socket)
   * keeps the bytes after it until the peer can take them.
   */
  whenSent(): Promise<void> | undefined {
    return this.#sink.whenSent?.();
  }

  /** Write several pieces as one. */
  writelines(list: Iterable<T>): void {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const item of list) {
      const bytes = this.#toBytes(item);
      parts.push(bytes);
      total += bytes.length;
    }
    if (total === 0) return;
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    this.#sink.write(joined, this.#datatype);
  }

  /** Send EOF after the data queued so far. */
  writeEof(): void {
    this.#sink.writeEof();
  }

  canWriteEof(): boolean {
    return this.#sink.canWriteEof();
  }

  /** Resolves when the channel can take more data. */
  drain(): Promise<void> {
    return this.#sink.drain();
  }

  /** Close the channel. */
  close(): void {
    this.#sink.close();
  }

  isClosing(): boolean {
    return this.#sink.isClosing();
  }

  waitClosed(): Promise<void> {
    return this.#sink.waitClosed();
  }

  #toBytes(data: unknown): Uint8Array {
    if (data instanceof Uint8Array) return data;
    if (typeof data === 'string') {
      if (this.#encode === undefined) throw new TypeError('a byte stream takes Uint8Array, not string');
      return this.#encode(data);
    }
    throw new TypeError(`cannot write ${data === null ? 'null' : typeof data} to an SSH stream`);
  }
}
