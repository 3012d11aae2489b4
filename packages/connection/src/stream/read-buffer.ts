/**
 * The receive buffer of one (channel, data type) pair: CHANNEL_DATA or CHANNEL_EXTENDED_DATA
 * payloads (RFC 4254 §5.2) queued in order with EOF, in-band exceptions and connection loss,
 * consumed by SSHReader. Bytes leave the buffer only when a read takes them, and only then are
 * they reported through `onConsumed`: the channel reopens its receive window from that report,
 * so a peer can never send more than the window beyond what the application has read.
 *
 * Text streams keep the received bytes and decode them as reads reach them, with one streaming
 * TextDecoder, so a character split across packets decodes right and a strict decode error
 * surfaces after the text that preceded it.
 * @module
 */

import { ConcurrentReadError, IncompleteReadError, LimitOverrunError, StreamDecodeError } from './errors.ts';

/** How undecodable input is handled in a text stream: thrown (`strict`) or replaced by U+FFFD. */
export type DecodeErrors = 'strict' | 'replace';

export interface ReadBufferOptions {
  /** A WHATWG encoding label ('utf-8', ...) for a text stream; null for a byte stream. */
  readonly encoding: string | null;
  /** Default 'strict'. */
  readonly errors?: DecodeErrors;
  /**
   * A streaming decoder to use instead of `new TextDecoder(encoding, { fatal })` (to map labels
   * differently); `errors` is then the decoder's business.
   */
  readonly decoder?: TextStreamDecoder;
  /**
   * Called with the number of bytes reads removed from the buffer (reopen the channel window by
   * it); with 0 when a read took only an exception (there is room for more).
   */
  readonly onConsumed?: (bytes: number) => void;
  /**
   * Takes back a pushed chunk nothing refers to any more, for a producer whose chunks are its
   * own (received payloads go back to the transport to take later packets): a text stream's
   * once decoded (the decoder copies what it keeps), a byte stream's when a reader that took it
   * whole gives it back (`releaseChunk`).
   */
  readonly recycle?: (chunk: Uint8Array) => void;
}

/** What a text stream decodes with: TextDecoder's streaming interface. */
export interface TextStreamDecoder {
  readonly encoding: string;
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/** A run of data; `bytes` is how many received bytes it still accounts for (the window credit). */
interface DataEntry {
  readonly kind: 'data';
  /** Received bytes not yet decoded (text streams only). */
  raw: Uint8Array | undefined;
  value: string | Uint8Array;
  bytes: number;
  /** A pushed chunk of the producer's that no read has handed out a part of: recyclable once read whole. */
  owned: boolean;
}

/** An exception delivered in order with the data; thrown by one read. */
interface ErrorEntry {
  readonly kind: 'error';
  readonly error: Error;
}

type Entry = DataEntry | ErrorEntry;

/** What a stream's values support: strings for text streams, Uint8Array for byte streams. */
interface ValueOps<V extends string | Uint8Array> {
  readonly empty: V;
  slice(value: V, start: number, end?: number): V;
  join(parts: readonly V[], total: number): V;
  indexOf(haystack: V, needle: V): number;
  isValue(value: unknown): value is V;
}

const textOps: ValueOps<string> = {
  empty: '',
  slice: (value, start, end) => value.slice(start, end),
  join: (parts) => (parts.length === 1 ? (parts[0] ?? '') : parts.join('')),
  indexOf: (haystack, needle) => haystack.indexOf(needle),
  isValue: (value): value is string => typeof value === 'string',
};

const bytesOps: ValueOps<Uint8Array> = {
  empty: new Uint8Array(0),
  slice: (value, start, end) => value.subarray(start, end),
  join(parts, total) {
    if (parts.length === 1 && parts[0] !== undefined) return parts[0];
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  },
  indexOf(haystack, needle) {
    const first = needle[0] ?? 0;
    const last = haystack.length - needle.length;
    for (let i = haystack.indexOf(first); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
      let j = 1;
      while (j < needle.length && haystack[i + j] === needle[j]) j++;
      if (j === needle.length) return i;
    }
    return -1;
  },
  isValue: (value): value is Uint8Array => value instanceof Uint8Array,
};

/** UTF-8 length of a string, counting a lone surrogate as U+FFFD (3 bytes). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Compact the queue once this many consumed entries sit before its head. */
const COMPACT_AFTER = 1024;

/**
 * One ordered receive queue. Producer side (the channel): `push`, `pushEof`, `pushError`, `fail`.
 * Consumer side (SSHReader): `read`, `readExactly`, `readUntil`, `atEof`; one read at a time.
 */
export class ReadBuffer<T extends string | Uint8Array = string | Uint8Array> {
  readonly encoding: string | null;
  readonly #ops: ValueOps<string | Uint8Array>;
  readonly #decoder: TextStreamDecoder | undefined;
  readonly #onConsumed: ((bytes: number) => void) | undefined;
  readonly #recycle: ((chunk: Uint8Array) => void) | undefined;
  readonly #utf8: boolean;

  /**
   * Entries from `#head` on are queued; slots before it are consumed and hold undefined, so that a
   * read chunk is garbage as soon as the application drops it. A stream whose queue never quite
   * empties (a reader a packet or two behind) would otherwise keep up to COMPACT_AFTER read
   * payloads alive (33 MiB of 32 KiB packets), long enough for the collector to promote them, and
   * their memory then waited for a full collection.
   */
  #queue: (Entry | undefined)[] = [];
  #head = 0;
  #buffered = 0;
  #unacked = 0;
  /** Exceptions queued and not yet thrown by a read. */
  #errors = 0;
  /** A read took an exception since onConsumed was last called. */
  #errorTaken = false;
  #eof = false;
  #flushed = false;
  #failure: Error | undefined;
  #reading = false;
  #wake: (() => void) | undefined;
  /** Bumped by every producer event. */
  #version = 0;
  /** The last owned chunk a read took whole: the one `releaseChunk` may recycle. */
  #lent: Uint8Array | undefined;

  constructor(options: ReadBufferOptions) {
    this.encoding = options.encoding;
    this.#onConsumed = options.onConsumed;
    this.#recycle = options.recycle;
    if (options.encoding === null) {
      this.#ops = bytesOps;
      this.#utf8 = false;
    } else {
      this.#ops = textOps;
      // Throws RangeError for a label the platform does not know.
      this.#decoder = options.decoder ?? new TextDecoder(options.encoding, { fatal: (options.errors ?? 'strict') === 'strict' });
      this.#utf8 = this.#decoder.encoding === 'utf-8';
    }
  }

  /**
   * Hands over everything received and never read, as the raw bytes that arrived, and empties
   * the buffer (the bytes stay unacknowledged: the new owner reports them consumed). For a
   * session that turns out to speak a byte protocol (SFTP, SCP) after input was queued as text.
   * Undefined when a read already decoded part of the data.
   */
  takeUnread(): Uint8Array[] | undefined {
    const out: Uint8Array[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i] as Entry;
      if (entry.kind !== 'data') return undefined;
      const raw = entry.raw ?? (entry.value instanceof Uint8Array ? entry.value : undefined);
      if (raw === undefined || raw.length !== entry.bytes) return undefined;
      out.push(raw);
    }
    this.#queue = [];
    this.#head = 0;
    this.#buffered = 0;
    return out;
  }

  /** Received bytes not yet consumed by a read. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Exceptions queued by pushError() that no read has thrown yet. */
  get pendingErrors(): number {
    return this.#errors;
  }

  /** Whether `fail()` was called or a strict decode failed: reads throw once the buffered data is gone. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  // ---- producer side ----

  /**
   * Queue received data. Data after EOF or failure is dropped (and reported consumed). A chunk
   * that is not `owned` (some other reader may hold a part of it) is never recycled.
   */
  push(chunk: Uint8Array, owned = true): void {
    if (chunk.length === 0) return;
    if (this.#eof || this.#failure !== undefined) {
      this.#release(chunk.length);
      this.#flushAck();
      return;
    }
    const decoding = this.#decoder !== undefined;
    this.#queue.push({ kind: 'data', raw: decoding ? chunk : undefined, value: decoding ? '' : chunk, bytes: chunk.length, owned: owned && this.#recycle !== undefined });
    this.#buffered += chunk.length;
    this.#notify();
  }

  /**
   * Queue a value as if it had been received (SSHReader.feedData): a string for a text stream,
   * bytes for a byte stream. It was never received, so reading it reports nothing consumed (the
   * peer's window is untouched). Dropped after EOF or failure, as received data is.
   */
  feed(value: T): void {
    if (!this.#ops.isValue(value)) throw new TypeError(`feedData takes ${this.encoding === null ? 'a Uint8Array' : 'a string'} on this stream`);
    if (value.length === 0 || this.#eof || this.#failure !== undefined) return;
    this.#queue.push({ kind: 'data', raw: undefined, value, bytes: 0, owned: false });
    this.#notify();
  }

  /** The peer sent EOF: reads return what is queued, then the empty value. */
  pushEof(): void {
    if (this.#eof || this.#failure !== undefined) return;
    this.#eof = true;
    this.#notify();
  }

  /** Queue an exception after the data received so far: the read that reaches it throws it, once. */
  pushError(error: Error): void {
    if (this.#eof || this.#failure !== undefined) return;
    this.#queue.push({ kind: 'error', error });
    this.#errors++;
    this.#notify();
  }

  /**
   * The stream broke (connection lost, channel gone): reads return what is queued, then every
   * read throws `error`. Ignored after EOF, whose stream is already complete.
   */
  fail(error: Error): void {
    if (this.#eof || this.#failure !== undefined) return;
    this.#failure = error;
    this.#notify();
  }

  // ---- consumer side ----

  /** Whether EOF was received and every byte read (false while an exception or failure is pending). */
  atEof(): boolean {
    if (!this.#eof || this.#failure !== undefined) return false;
    for (let i = this.#head; ; i++) {
      const entry = this.#entryAt(i);
      if (entry === undefined) return this.#failure === undefined;
      if (entry.kind === 'error' || entry.value.length > 0) return false;
    }
  }

  /**
   * Up to `n` units (bytes, or characters of a text stream) already available, waiting only when
   * nothing is; `n < 0` reads until EOF. Returns the empty value at EOF. Data queued before an
   * exception is returned first; the next read throws the exception.
   */
  async read(n = -1): Promise<T> {
    if (!Number.isInteger(n)) throw new RangeError(`read size must be an integer, got ${n}`);
    this.#enter();
    try {
      if (n === 0) return this.#ops.empty as T;
      const parts: (string | Uint8Array)[] = [];
      let got = 0;
      for (;;) {
        for (let entry = this.#entryAt(this.#head); entry !== undefined; entry = this.#entryAt(this.#head)) {
          if (entry.kind === 'error') {
            if (got > 0) return this.#ops.join(parts, got) as T;
            throw this.#takeError();
          }
          // A byte stream's read(n) hands over the data it holds without copying: once it has a
          // chunk it stops before a second one (a read returns at most n bytes, not exactly n).
          if (n > 0 && got > 0 && this.encoding === null) return this.#ops.join(parts, got) as T;
          const part = this.#take(entry, n < 0 ? entry.value.length : n - got);
          if (part.length > 0) parts.push(part);
          got += part.length;
          if (got === n) return this.#ops.join(parts, got) as T;
        }
        if (this.#failure !== undefined) {
          if (got > 0) return this.#ops.join(parts, got) as T;
          throw this.#failure;
        }
        if ((n > 0 && got > 0) || this.#eof) return this.#ops.join(parts, got) as T;
        await this.#wait();
      }
    } finally {
      this.#leave();
    }
  }

  /** Exactly `n` units; throws IncompleteReadError (with what was consumed) when the stream ends first. */
  async readExactly(n: number): Promise<T> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`readexactly size must be a non-negative integer, got ${n}`);
    this.#enter();
    try {
      const parts: (string | Uint8Array)[] = [];
      let got = 0;
      const incomplete = (cause?: Error): IncompleteReadError<T> =>
        new IncompleteReadError(this.#ops.join(parts, got) as T, n, cause === undefined ? undefined : { cause });
      for (;;) {
        if (got === n) return this.#ops.join(parts, got) as T;
        for (let entry = this.#entryAt(this.#head); entry !== undefined && got < n; entry = this.#entryAt(this.#head)) {
          if (entry.kind === 'error') {
            if (got > 0) throw incomplete(entry.error);
            throw this.#takeError();
          }
          const part = this.#take(entry, n - got);
          if (part.length > 0) parts.push(part);
          got += part.length;
        }
        if (got === n) continue;
        if (this.#failure !== undefined) throw got > 0 ? incomplete(this.#failure) : this.#failure;
        if (this.#eof) throw incomplete();
        await this.#wait();
      }
    } finally {
      this.#leave();
    }
  }

  /**
   * Data through the first (shortest-result) match of any of `separators`. At EOF or at a queued
   * exception without a match, consumes what is there and throws IncompleteReadError. Throws
   * LimitOverrunError, leaving the data buffered, when no separator starts within `limit` units.
   */
  async readUntil(separators: readonly T[], limit: number): Promise<T> {
    const ops = this.#ops;
    if (separators.length === 0) throw new RangeError('readuntil needs at least one separator');
    let maxSep = 0;
    for (const sep of separators) {
      if (!ops.isValue(sep)) throw new TypeError(`separator must be a ${this.encoding === null ? 'Uint8Array' : 'string'}`);
      if (sep.length === 0) throw new RangeError('separator cannot be empty');
      maxSep = Math.max(maxSep, sep.length);
    }
    this.#enter();
    try {
      // Scan without consuming: `scanned` units examined, `tail` their last maxSep - 1 units (a
      // separator split across entries), `ahead` how many entries past the head were examined.
      let scanned = 0;
      let tail = ops.empty;
      let ahead = 0;
      for (;;) {
        for (let entry = this.#entryAt(this.#head + ahead); entry !== undefined; entry = this.#entryAt(this.#head + ahead)) {
          if (entry.kind === 'error') {
            if (scanned > 0) throw new IncompleteReadError(this.#takeUnits(scanned) as T, undefined, { cause: entry.error });
            this.#takeUnits(0);
            throw this.#takeError();
          }
          ahead++;
          if (entry.value.length === 0) continue;
          const window = tail.length === 0 ? entry.value : ops.join([tail, entry.value], tail.length + entry.value.length);
          // The match ending first (the shortest result); on a tie, the longer separator.
          let end = -1;
          let start = -1;
          for (const sep of separators) {
            const at = ops.indexOf(window, sep);
            if (at === -1) continue;
            if (end === -1 || at + sep.length < end || (at + sep.length === end && at < start)) {
              end = at + sep.length;
              start = at;
            }
          }
          const base = scanned - tail.length;
          scanned += entry.value.length;
          if (end !== -1) {
            if (base + start > limit) throw new LimitOverrunError(`separator found ${base + start} units in, beyond the limit of ${limit}`, base + start);
            return this.#takeUnits(base + end) as T;
          }
          if (scanned > limit + maxSep - 1) throw new LimitOverrunError(`no separator within the limit of ${limit} units`, scanned);
          tail = window.length < maxSep ? window : ops.slice(window, window.length - (maxSep - 1));
        }
        if (this.#failure !== undefined) {
          if (scanned > 0) throw new IncompleteReadError(this.#takeUnits(scanned) as T, undefined, { cause: this.#failure });
          throw this.#failure;
        }
        if (this.#eof) throw new IncompleteReadError(this.#takeUnits(scanned) as T, undefined);
        await this.#wait();
      }
    } finally {
      this.#leave();
    }
  }

  /**
   * Gives back a chunk a byte stream's read returned, which the caller no longer refers to: when
   * it is the last one a read took whole, as received, it is recycled (see the `recycle`
   * option); otherwise (a part, a joined copy, fed data, an older chunk) this does nothing.
   */
  releaseChunk(chunk: Uint8Array): void {
    if (chunk !== this.#lent) return;
    this.#lent = undefined;
    this.#recycle?.(chunk);
  }

  // ---- internals ----

  #enter(): void {
    if (this.#reading) throw new ConcurrentReadError();
    this.#reading = true;
  }

  #leave(): void {
    this.#reading = false;
    this.#compact();
    this.#flushAck();
  }

  #wait(): Promise<void> {
    this.#compact();
    // Reopen the window before sleeping: the data we wait for may need it. onConsumed may push
    // synchronously, in which case there is no need to sleep.
    const version = this.#version;
    this.#flushAck();
    if (this.#version !== version) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    this.#version++;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The entry at `index`, decoded; at the end of a text stream at EOF, the decoder's final output. */
  #entryAt(index: number): Entry | undefined {
    const entry = this.#queue[index];
    const decoder = this.#decoder;
    if (decoder === undefined) return entry;
    if (entry === undefined) {
      if (!this.#eof || this.#flushed || this.#failure !== undefined) return undefined;
      this.#flushed = true;
      try {
        const rest = decoder.decode();
        if (rest.length === 0) return undefined;
        const last: DataEntry = { kind: 'data', raw: undefined, value: rest, bytes: 0, owned: false };
        this.#queue.push(last);
        return last;
      } catch (cause) {
        this.#decodeFailed(index, cause);
        return undefined;
      }
    }
    if (entry.kind === 'data' && entry.raw !== undefined) {
      try {
        const raw = entry.raw;
        entry.value = decoder.decode(raw, { stream: true });
        entry.raw = undefined;
        if (entry.owned) this.#recycle?.(raw);
        // Text from here on: nothing of it to recycle.
        entry.owned = false;
      } catch (cause) {
        this.#decodeFailed(index, cause);
        return undefined;
      }
    }
    return entry;
  }

  /** A strict decode failed at `index`: drop the rest (reporting it consumed) and fail the stream. */
  #decodeFailed(index: number, cause: unknown): void {
    for (let i = index; i < this.#queue.length; i++) {
      const entry = this.#queue[i];
      if (entry?.kind === 'data') this.#release(entry.bytes);
      else if (entry?.kind === 'error') this.#errors--;
    }
    this.#queue.length = index;
    this.#failure = new StreamDecodeError(this.#decoder?.encoding ?? String(this.encoding), { cause });
  }

  /** Removes the exception at the head, to be thrown. */
  #takeError(): Error {
    const entry = this.#queue[this.#head] as ErrorEntry;
    this.#queue[this.#head++] = undefined;
    this.#errors--;
    this.#errorTaken = true;
    return entry.error;
  }

  /** Remove up to `units` from the head entry (which `entry` is) and return them. */
  #take(entry: DataEntry, units: number): string | Uint8Array {
    const length = entry.value.length;
    if (units >= length) {
      this.#queue[this.#head++] = undefined;
      this.#release(entry.bytes);
      if (entry.owned) this.#lent = entry.value as Uint8Array;
      return entry.value;
    }
    // The part shares the chunk's buffer with the rest, which can no longer be recycled.
    entry.owned = false;
    const part = this.#ops.slice(entry.value, 0, units);
    entry.value = this.#ops.slice(entry.value, units);
    // The bytes behind a prefix of decoded text: exact for UTF-8 up to characters split across
    // entries, proportional otherwise; the entry's remaining credit is released with its end.
    const bytes = this.#decoder === undefined ? units : Math.min(entry.bytes, this.#utf8 ? utf8Length(part as string) : Math.floor((entry.bytes * units) / length));
    entry.bytes -= bytes;
    this.#release(bytes);
    return part;
  }

  /** Consume exactly `units` from the (already decoded) head entries, then any emptied ones. */
  #takeUnits(units: number): string | Uint8Array {
    const parts: (string | Uint8Array)[] = [];
    let got = 0;
    for (;;) {
      const entry = this.#queue[this.#head];
      if (entry === undefined || entry.kind !== 'data' || entry.raw !== undefined) break;
      if (got === units && entry.value.length > 0) break;
      const part = this.#take(entry, units - got);
      if (part.length > 0) parts.push(part);
      got += part.length;
    }
    return this.#ops.join(parts, got);
  }

  #release(bytes: number): void {
    if (bytes === 0) return;
    this.#buffered -= bytes;
    this.#unacked += bytes;
  }

  #flushAck(): void {
    const bytes = this.#unacked;
    if (bytes === 0 && !this.#errorTaken) return;
    this.#unacked = 0;
    this.#errorTaken = false;
    // State is consistent here: onConsumed may push more data synchronously.
    this.#onConsumed?.(bytes);
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
