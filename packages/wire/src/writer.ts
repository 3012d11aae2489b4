/**
 * Growable encoder for the SSH data types. RFC 4251 §5.
 *
 * Capacity doubles when it runs out, so building a message of n bytes copies O(n) bytes in all.
 * @module
 */

import { encodeMpint, mpintByteLength } from './mpint.ts';

const utf8Encoder = new TextEncoder();
const MAX_U32 = 0xffff_ffff;
const MAX_U64 = (1n << 64n) - 1n;
const NAME = /^[\x20-\x2b\x2d-\x7e]+$/;
/** Strings up to this many UTF-16 units are copied by hand when ASCII, skipping the encoder call. */
const SHORT_TEXT = 64;

/**
 * Big-endian uint32 (room already ensured). Byte stores rather than a DataView: a DataView forces
 * a small on-heap typed array out to a separate buffer, which costs more than a small message.
 */
function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Writes `text` at `at` when it is all ASCII (room is already ensured); returns -1 otherwise. */
function writeAscii(text: string, buf: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[at + i] = c;
  }
  return text.length;
}

/** Appends SSH-encoded values to a buffer that grows as needed. Methods chain. */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  /** `initialCapacity` bytes are allocated up front; pass the exact size to get an exact buffer. */
  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(1, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** byte */
  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`byte out of range: ${value}`);
    this.ensure(1);
    this.buf[this.pos++] = value;
    return this;
  }

  /** boolean: 0 or 1. */
  bool(value: boolean): this {
    return this.u8(value ? 1 : 0);
  }

  /** uint32, big-endian. */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > MAX_U32) throw new RangeError(`uint32 out of range: ${value}`);
    this.ensure(4);
    putU32(this.buf, this.pos, value);
    this.pos += 4;
    return this;
  }

  /** uint64, big-endian. */
  u64(value: bigint): this {
    if (value < 0n || value > MAX_U64) throw new RangeError(`uint64 out of range: ${value}`);
    this.ensure(8);
    putU32(this.buf, this.pos, Number(value >> 32n));
    putU32(this.buf, this.pos + 4, Number(value & 0xffff_ffffn));
    this.pos += 8;
    return this;
  }

  /** Bytes with no length prefix. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** string: uint32 length then the bytes. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    return this.raw(bytes);
  }

  /** string holding UTF-8 text. */
  utf8(text: string): this {
    this.ensure(4 + text.length);
    const start = this.pos + 4;
    let written = -1;
    if (text.length <= SHORT_TEXT) written = writeAscii(text, this.buf, start);
    if (written < 0) {
      // Encode into what is free; when that was too small, reserve the worst case (3 bytes per
      // UTF-16 unit) and encode again, so a pre-sized writer never over-allocates.
      let result = utf8Encoder.encodeInto(text, this.buf.subarray(start));
      if (result.read < text.length) {
        this.ensure(4 + text.length * 3);
        result = utf8Encoder.encodeInto(text, this.buf.subarray(start));
      }
      written = result.written;
    }
    putU32(this.buf, this.pos, written);
    this.pos = start + written;
    return this;
  }

  /** string of bytes given as a Latin-1 string (one char per byte, each below U+0100). */
  latin1(text: string): this {
    this.u32(text.length);
    this.ensure(text.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) throw new RangeError(`character U+${c.toString(16)} has no Latin-1 byte`);
      buf[p++] = c;
    }
    this.pos = p;
    return this;
  }

  /** mpint: two's complement, big-endian, minimal length. RFC 4251 §5. */
  mpint(value: bigint): this {
    const n = mpintByteLength(value);
    this.u32(n);
    this.ensure(n);
    encodeMpint(value, this.buf, this.pos, n);
    this.pos += n;
    return this;
  }

  /** name-list: comma-separated US-ASCII names in a string. */
  nameList(names: readonly string[]): this {
    let n = names.length === 0 ? 0 : names.length - 1;
    for (let i = 0; i < names.length; i++) n += (names[i] as string).length;
    this.u32(n);
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      if (i > 0) buf[p++] = 0x2c;
      if (name.length === 0) throw new RangeError('empty name in name-list');
      for (let j = 0; j < name.length; j++) {
        const c = name.charCodeAt(j);
        if (c < 0x20 || c > 0x7e || c === 0x2c) throw new RangeError(`invalid name in name-list: ${JSON.stringify(name)}`);
        buf[p++] = c;
      }
    }
    this.pos = p;
    return this;
  }

  /** Throws unless every name is non-empty printable US-ASCII without a comma. RFC 4251 §5. */
  static checkNames(names: readonly string[]): void {
    for (const name of names) {
      if (!NAME.test(name)) throw new RangeError(`invalid name in name-list: ${JSON.stringify(name)}`);
    }
  }

  /** A string whose content is written by `body`: the length is filled in afterwards. */
  nested(body: (w: this) => void): this {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    body(this);
    putU32(this.buf, at, this.pos - at - 4);
    return this;
  }

  /** The bytes written, as a view on the internal buffer (valid until the next write). */
  bytesView(): Uint8Array {
    // The buffer itself when full: a subarray of a small array would force it out of the V8 heap.
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
  }

  /** The bytes written, as a fresh array of exactly that length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Forget what was written, keeping the allocated capacity. */
  reset(): this {
    this.pos = 0;
    return this;
  }
}
