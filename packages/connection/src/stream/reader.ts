/**
 * SSHReader: the read half of a channel's data stream (stdout or stderr of a session), with
 * asyncio StreamReader's methods in AsyncSSH's shape. RFC 4254 §5.2 data, read in order.
 * @module
 */

import { IncompleteReadError } from './errors.ts';
import { type ReadBuffer } from './read-buffer.ts';

/** The default bound on how far `readuntil` / `readline` look for a separator (asyncio's 64 KiB). */
export const DEFAULT_READ_LIMIT = 64 * 1024;

/** Looks up connection or channel metadata ('peername', 'username', ...) for `getExtraInfo`. */
export type ExtraInfoLookup = (name: string) => unknown;

export interface SSHReaderOptions<C> {
  /** The channel the stream belongs to (opaque here). */
  readonly channel: C;
  readonly getExtraInfo?: ExtraInfoLookup;
  /**
   * How many units (bytes, or characters of a text stream) `readuntil` scans for a separator
   * before throwing LimitOverrunError. Keep it within the channel's receive window (in bytes:
   * up to 4 per character in UTF-8), or a long line waits for data the window holds back.
   */
  readonly limit?: number;
}

const NEWLINE_BYTES = Uint8Array.of(0x0a);

/** Reads one data type of a channel: `T` is string for a text stream, Uint8Array for bytes. */
export class SSHReader<T extends string | Uint8Array = string | Uint8Array, C = unknown> implements AsyncIterable<T> {
  readonly #buffer: ReadBuffer<T>;
  readonly #channel: C;
  readonly #getExtraInfo: ExtraInfoLookup | undefined;
  readonly #limit: number;

  constructor(buffer: ReadBuffer<T>, options: SSHReaderOptions<C>) {
    const limit = options.limit ?? DEFAULT_READ_LIMIT;
    if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.#buffer = buffer;
    this.#channel = options.channel;
    this.#getExtraInfo = options.getExtraInfo;
    this.#limit = limit;
  }

  /** The channel this stream reads from. */
  /** The logger of the channel's connection, when the channel has one (AsyncSSH's `logger` attribute). */
  get logger(): unknown {
    const channel = this.channel as { readonly logger?: unknown } | null | undefined;
    return typeof channel === 'object' && channel !== null ? channel.logger : undefined;
  }

  get channel(): C {
    return this.#channel;
  }

  /** The encoding of a text stream, null for a byte stream. */
  get encoding(): string | null {
    return this.#buffer.encoding;
  }

  /** Connection or channel metadata by name, or `defaultValue` when there is none. */
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this.#getExtraInfo?.(name) ?? defaultValue;
  }

  /**
   * Up to `n` units, waiting only when none is buffered; `n < 0` (the default) reads to EOF.
   * Returns the empty value at EOF. Throws an exception queued with the data once the data
   * before it has been returned.
   */
  read(n = -1): Promise<T> {
    return this.#buffer.read(n);
  }

  /** One line through '\n'; at EOF the partial last line, then the empty value. */
  async readline(): Promise<T> {
    try {
      return await this.readuntil((this.#buffer.encoding === null ? NEWLINE_BYTES : '\n') as T);
    } catch (error) {
      if (error instanceof IncompleteReadError) return error.partial as T;
      throw error;
    }
  }

  /** Exactly `n` units, or IncompleteReadError (holding what was read) if the stream ends first. */
  readexactly(n: number): Promise<T> {
    return this.#buffer.readExactly(n);
  }

  /**
   * Data through the separator (or the first of several to end). IncompleteReadError if the
   * stream ends first, LimitOverrunError if none is found within the limit.
   */
  readuntil(separator: T | readonly T[]): Promise<T> {
    const separators = typeof separator === 'string' || separator instanceof Uint8Array ? [separator as T] : (separator as readonly T[]);
    return this.#buffer.readUntil(separators, this.#limit);
  }

  /**
   * Adds `data` to what this stream has to read, as if it had arrived from the peer (asyncio
   * StreamReader's feed_data; mostly for tests): a string on a text stream, bytes on a byte stream.
   */
  feedData(data: T): void {
    this.#buffer.feed(data);
  }

  /** Ends this stream as if the peer had sent EOF: reads return what is queued, then the empty value. */
  feedEof(): void {
    this.#buffer.pushEof();
  }

  /** Whether EOF was received and all data read. */
  atEof(): boolean {
    return this.#buffer.atEof();
  }

  /**
   * The data as it arrives, until EOF: on a byte stream one received message's data per chunk
   * (or what reads left of it), on a text stream the text decoded so far. With `transient` (byte
   * streams) each chunk is valid only until the next one is asked for or the loop ends: its
   * buffer then goes back to receive later packets, so keep a copy of what you keep. That spares
   * an allocation per received packet, the cheapest way to stream bulk data through.
   */
  async *chunks(options: { readonly transient?: boolean } = {}): AsyncGenerator<T, void, undefined> {
    const buffer = this.#buffer;
    const transient = options.transient === true && buffer.encoding === null;
    for (;;) {
      // A byte stream's read hands over at most one received chunk, whole when nothing took a part of it.
      const chunk = await buffer.read(Number.MAX_SAFE_INTEGER);
      if (chunk.length === 0) return;
      try {
        yield chunk;
      } finally {
        // The consumer asked for the next chunk, or left the loop: it is done with this one.
        if (transient) buffer.releaseChunk(chunk as Uint8Array);
      }
    }
  }

  /** Lines until EOF. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }
}
