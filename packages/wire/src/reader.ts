/**
 * Bounds-checked decoder for the SSH data types. RFC 4251 §5.
 *
 * Every read checks what remains before touching memory, and strings are views on the input: a
 * length field alone never makes the reader allocate. Failures are `WireError`s naming the field.
 * @module
 */

import { WireError } from './errors.ts';
import { bytesToMpint, isCanonicalMpint } from './mpint.ts';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * Strings up to this many bytes are built char by char when ASCII; longer ones go through the
 * decoder, whose call costs about as much as building 16 chars by hand.
 */
const SHORT_TEXT = 16;
const CHUNK = 8192;
/** Non-empty names of printable US-ASCII other than the comma, separated by commas. RFC 4251 §5. */
const NAME_LIST = /^[\x20-\x2b\x2d-\x7e]+(?:,[\x20-\x2b\x2d-\x7e]+)*$/;
/** The same with empty names (`a,,b`, a trailing comma): printable US-ASCII and commas. */
const LOOSE_NAME_LIST = /^[\x20-\x7e]*$/;

/** The text of `b[from, to)` when every byte is ASCII, else undefined (short strings only). */
function shortAscii(b: Uint8Array, from: number, to: number): string | undefined {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c > 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Text of `b[from, to)`, known to be ASCII. */
function asciiText(b: Uint8Array, from: number, to: number): string {
  if (to - from > SHORT_TEXT) return utf8Decoder.decode(b.subarray(from, to));
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** One char per byte of `b[from, to)`. Chunked so a long string never exceeds the engine's argument limit. */
function latin1Text(b: Uint8Array, from: number, to: number): string {
  let ascii = true;
  for (let i = from; i < to; i++) {
    if ((b[i] as number) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return asciiText(b, from, to);
  let s = '';
  for (let i = from; i < to; i += CHUNK) s += String.fromCharCode.apply(null, b.subarray(i, Math.min(i + CHUNK, to)) as unknown as number[]);
  return s;
}

/**
 * Big-endian uint32 at `at` (bounds already checked). Plain byte arithmetic rather than a
 * DataView: making a DataView forces a small on-heap typed array out to a separate buffer, which
 * costs more than the whole decode of a small message.
 */
function readU32(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

export interface ReaderOptions {
  /** Largest string length accepted (default: whatever remains). */
  readonly maxStringLength?: number;
  /** Offset the first byte of `bytes` has in the enclosing input, for error messages. */
  readonly baseOffset?: number;
}

/** A cursor over SSH-encoded bytes. */
export class Reader {
  private readonly buf: Uint8Array;
  private readonly maxString: number;
  private readonly base: number;
  private pos = 0;

  constructor(bytes: Uint8Array, options: ReaderOptions = {}) {
    this.buf = bytes;
    this.maxString = options.maxStringLength ?? Number.MAX_SAFE_INTEGER;
    this.base = options.baseOffset ?? 0;
  }

  /** Position of the cursor within the input. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** True when every byte has been read. */
  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number, field: string): void {
    if (this.buf.length - this.pos < n) {
      throw new WireError('truncated', field, this.base + this.pos, `needs ${n} bytes, ${this.buf.length - this.pos} remain`);
    }
  }

  /** A `WireError` located at the cursor (for checks made by callers on decoded values). */
  error(reason: WireError['reason'], field: string, detail: string, at: number = this.pos): WireError {
    return new WireError(reason, field, this.base + at, detail);
  }

  /** byte */
  u8(field = 'byte'): number {
    this.need(1, field);
    return this.buf[this.pos++] as number;
  }

  /** boolean. RFC 4251 says any non-zero is true; we accept only 0 and 1 so re-encoding is exact. */
  bool(field = 'boolean'): boolean {
    this.need(1, field);
    const b = this.buf[this.pos] as number;
    if (b > 1) throw this.error('non-canonical', field, `boolean must be 0 or 1, got ${b}`);
    this.pos++;
    return b === 1;
  }

  /** uint32 */
  u32(field = 'uint32'): number {
    this.need(4, field);
    const v = readU32(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  /** uint64 */
  u64(field = 'uint64'): bigint {
    this.need(8, field);
    const v = (BigInt(readU32(this.buf, this.pos)) << 32n) | BigInt(readU32(this.buf, this.pos + 4));
    this.pos += 8;
    return v;
  }

  /** `n` bytes with no length prefix, as a view on the input. */
  raw(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Every remaining byte, as a view on the input. */
  rest(): Uint8Array {
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /**
   * Reads a string's length, checks it against what remains and the maximum, and skips the
   * string: returns where its content starts (it ends at the new cursor).
   */
  private skipString(field: string, maxLength: number): number {
    const start = this.pos;
    this.need(4, field);
    const n = readU32(this.buf, start);
    if (n > maxLength) throw this.error('too-long', field, `length ${n} exceeds the maximum ${maxLength}`, start);
    if (n > this.buf.length - start - 4) {
      throw this.error('too-long', field, `length ${n} exceeds the ${this.buf.length - start - 4} bytes that remain`, start);
    }
    this.pos = start + 4 + n;
    return start + 4;
  }

  /** string as bytes: a view on the input, checked against what remains and the maximum. */
  bytes(field = 'string', maxLength: number = this.maxString): Uint8Array {
    const from = this.skipString(field, maxLength);
    return this.buf.subarray(from, this.pos);
  }

  /** string holding UTF-8 text; invalid UTF-8 is an error. */
  utf8(field = 'string', maxLength: number = this.maxString): string {
    const from = this.skipString(field, maxLength);
    // Short ASCII strings (names, commands) are the common case: skip the decoder call.
    if (this.pos - from <= SHORT_TEXT) {
      const ascii = shortAscii(this.buf, from, this.pos);
      if (ascii !== undefined) return ascii;
    }
    try {
      return utf8Decoder.decode(this.buf.subarray(from, this.pos));
    } catch (cause) {
      throw new WireError('invalid-utf8', field, this.base + from - 4, 'invalid UTF-8', { cause });
    }
  }

  /** string holding bytes read as Latin-1 (one char per byte), for fields that are not UTF-8. */
  latin1(field = 'string', maxLength: number = this.maxString): string {
    const from = this.skipString(field, maxLength);
    return latin1Text(this.buf, from, this.pos);
  }

  /**
   * A string whose content is itself SSH-encoded: a new Reader over it, with the same maximum
   * string length and error offsets that count from the start of this reader's input.
   */
  nested(field = 'string', maxLength?: number): Reader {
    const raw = this.bytes(field, maxLength);
    return new Reader(raw, { maxStringLength: this.maxString, baseOffset: this.base + this.pos - raw.length });
  }

  /** mpint, rejecting non-minimal encodings. */
  mpint(field = 'mpint', maxLength?: number): bigint {
    const start = this.pos;
    const raw = this.bytes(field, maxLength);
    if (!isCanonicalMpint(raw)) throw this.error('non-canonical', field, 'mpint has a redundant leading byte', start);
    return bytesToMpint(raw);
  }

  /**
   * name-list: comma-separated US-ASCII names. Empty names are dropped: RFC 4251 §5 forbids
   * sending them, but libssh 0.10 ends its KEXINIT cipher lists with a comma, and sshd and
   * AsyncSSH ignore an empty name (it can match nothing) rather than refuse the list.
   */
  nameList(field = 'name-list', maxLength: number = this.maxString): string[] {
    const start = this.pos;
    const from = this.skipString(field, maxLength);
    return this.names(from, this.pos, field, start);
  }

  /** Every remaining byte as a name-list without length prefix (the value of server-sig-algs). */
  restNameList(field = 'name-list'): string[] {
    const start = this.pos;
    this.pos = this.buf.length;
    return this.names(start, this.pos, field, start);
  }

  private names(from: number, to: number, field: string, start: number): string[] {
    if (from === to) return [];
    let text: string | undefined;
    try {
      text = to - from > SHORT_TEXT ? utf8Decoder.decode(this.buf.subarray(from, to)) : shortAscii(this.buf, from, to);
    } catch {
      text = undefined; // invalid UTF-8, hence not ASCII: reported below
    }
    // One compiled regular expression checks the whole list faster than a loop over the bytes.
    if (text !== undefined && NAME_LIST.test(text)) return text.split(',');
    if (text === undefined || !LOOSE_NAME_LIST.test(text)) throw this.error('invalid-value', field, 'name-list holds a byte that is not printable US-ASCII', start);
    return text.split(',').filter((name) => name !== '');
  }


  /** Fails unless every byte has been read. */
  end(field = 'message'): void {
    if (this.pos !== this.buf.length) {
      throw this.error('trailing-data', field, `${this.buf.length - this.pos} unexpected bytes after the end`);
    }
  }
}
