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
/** Strings up to this many bytes are tried as ASCII by hand before calling the UTF-8 decoder. */
const SHORT_TEXT = 64;
const CHUNK = 8192;

/** The text of `raw` when every byte is ASCII, else undefined. */
function asciiOrUndefined(raw: Uint8Array): string | undefined {
  let s = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (c > 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/** One char per byte. Chunked so a long string never exceeds the engine's argument limit. */
function latin1Text(raw: Uint8Array): string {
  if (raw.length <= CHUNK) return String.fromCharCode.apply(null, raw as unknown as number[]);
  let s = '';
  for (let i = 0; i < raw.length; i += CHUNK) s += String.fromCharCode.apply(null, raw.subarray(i, i + CHUNK) as unknown as number[]);
  return s;
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
  private readonly dv: DataView;
  private readonly maxString: number;
  private readonly base: number;
  private pos = 0;

  constructor(bytes: Uint8Array, options: ReaderOptions = {}) {
    this.buf = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    const v = this.dv.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** uint64 */
  u64(field = 'uint64'): bigint {
    this.need(8, field);
    const v = this.dv.getBigUint64(this.pos);
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

  /** string as bytes: a view on the input, checked against what remains and the maximum. */
  bytes(field = 'string', maxLength: number = this.maxString): Uint8Array {
    const start = this.pos;
    this.need(4, field);
    const n = this.dv.getUint32(this.pos);
    if (n > maxLength) throw this.error('too-long', field, `length ${n} exceeds the maximum ${maxLength}`, start);
    if (n > this.buf.length - this.pos - 4) {
      throw this.error('too-long', field, `length ${n} exceeds the ${this.buf.length - this.pos - 4} bytes that remain`, start);
    }
    this.pos += 4;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** string holding UTF-8 text; invalid UTF-8 is an error. */
  utf8(field = 'string', maxLength?: number): string {
    const start = this.pos;
    const raw = this.bytes(field, maxLength);
    // Short ASCII strings (names, commands) are the common case: skip the decoder call.
    if (raw.length <= SHORT_TEXT) {
      const ascii = asciiOrUndefined(raw);
      if (ascii !== undefined) return ascii;
    }
    try {
      return utf8Decoder.decode(raw);
    } catch (cause) {
      throw new WireError('invalid-utf8', field, this.base + start, 'invalid UTF-8', { cause });
    }
  }

  /** string holding bytes read as Latin-1 (one char per byte), for fields that are not UTF-8. */
  latin1(field = 'string', maxLength?: number): string {
    return latin1Text(this.bytes(field, maxLength));
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

  /** name-list: comma-separated non-empty US-ASCII names. */
  nameList(field = 'name-list', maxLength?: number): string[] {
    const start = this.pos;
    return this.names(this.bytes(field, maxLength), field, start);
  }

  /** Every remaining byte as a name-list without length prefix (the value of server-sig-algs). */
  restNameList(field = 'name-list'): string[] {
    const start = this.pos;
    return this.names(this.rest(), field, start);
  }

  private names(raw: Uint8Array, field: string, start: number): string[] {
    if (raw.length === 0) return [];
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as number;
      if (c < 0x20 || c > 0x7e) throw this.error('invalid-value', field, `byte 0x${c.toString(16)} is not printable US-ASCII`, start);
    }
    const names = latin1Text(raw).split(',');
    if (names.some((n) => n.length === 0)) throw this.error('invalid-value', field, 'empty name in name-list', start);
    return names;
  }

  /** Fails unless every byte has been read. */
  end(field = 'message'): void {
    if (this.pos !== this.buf.length) {
      throw this.error('trailing-data', field, `${this.buf.length - this.pos} unexpected bytes after the end`);
    }
  }
}
