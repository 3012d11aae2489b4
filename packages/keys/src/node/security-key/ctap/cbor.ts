/**
 * CBOR as CTAP2 uses it. FIDO CTAP 2.1 §8 "Message Encoding": definite lengths only, no tags, no
 * floats, map keys sorted in the CTAP2 canonical order (major type, then encoded length, then
 * bytes), integers and lengths in their shortest form. RFC 8949 for the data model.
 *
 * The decoder reads what an authenticator sends, which may be hostile: every length is checked
 * against what remains before anything is allocated, nesting is bounded, and every failure is a
 * `WireError` naming the offset.
 * @module
 */

import { WireError } from '@ssh/wire';

/** A CBOR simple value other than false/true/null/undefined (major type 7, values 0-19 and 32-255). */
export class CborSimple {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

/** The map keys CTAP2 uses: integers and text strings. */
export type CborKey = number | string;
export type CborValue = number | bigint | string | Uint8Array | boolean | null | undefined | CborSimple | CborValue[] | CborMap;
export type CborMap = Map<CborKey, CborValue>;

export interface CborDecodeOptions {
  /** How deeply arrays and maps may nest (default 16; CTAP2 messages need 4 or 5). */
  readonly maxDepth?: number;
  /** Reject what CTAP2's canonical form forbids: long-form small numbers, unsorted map keys. Default false. */
  readonly canonical?: boolean;
}

const DEFAULT_MAX_DEPTH = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Encoding

function head(major: number, n: number | bigint, out: number[]): void {
  const m = major << 5;
  if (typeof n === 'bigint') {
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return head(major, Number(n), out);
    out.push(m | 27);
    for (let shift = 56n; shift >= 0n; shift -= 8n) out.push(Number((n >> shift) & 0xffn));
    return;
  }
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >>> 8, n & 0xff);
  else if (n < 0x100000000) out.push(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  else {
    const hi = Math.floor(n / 0x100000000);
    const lo = n >>> 0;
    out.push(m | 27, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
  }
}

function pushBytes(bytes: Uint8Array, out: number[]): void {
  for (const b of bytes) out.push(b);
}

function encodeInto(value: CborValue, out: number[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`CBOR: ${value} is not an integer CTAP2 can carry`);
    if (value >= 0) head(0, value, out);
    else head(1, -1 - value, out);
  } else if (typeof value === 'bigint') {
    if (value >= 0n) {
      if (value > 0xffffffffffffffffn) throw new TypeError('CBOR: integer beyond 64 bits');
      head(0, value, out);
    } else {
      if (value < -0x10000000000000000n) throw new TypeError('CBOR: integer beyond 64 bits');
      head(1, -1n - value, out);
    }
  } else if (typeof value === 'string') {
    const bytes = utf8Encoder.encode(value);
    head(3, bytes.length, out);
    pushBytes(bytes, out);
  } else if (value instanceof Uint8Array) {
    head(2, value.length, out);
    pushBytes(value, out);
  } else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (value === null) out.push(0xf6);
  else if (value === undefined) out.push(0xf7);
  else if (value instanceof CborSimple) {
    if (!Number.isInteger(value.value) || value.value < 0 || value.value > 255 || (value.value >= 20 && value.value < 32)) {
      throw new TypeError(`CBOR: simple(${value.value}) has no encoding`);
    }
    if (value.value < 24) out.push(0xe0 | value.value);
    else out.push(0xf8, value.value);
  } else if (Array.isArray(value)) {
    head(4, value.length, out);
    for (const item of value) encodeInto(item, out);
  } else {
    const entries = [...value].map(([k, v]) => {
      const key: number[] = [];
      encodeInto(k, key);
      return { key, v };
    });
    entries.sort((a, b) => compareKeys(a.key, b.key));
    head(5, entries.length, out);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as (typeof entries)[number];
      if (i > 0 && compareKeys((entries[i - 1] as (typeof entries)[number]).key, e.key) === 0) throw new TypeError('CBOR: duplicate map key');
      pushBytes(Uint8Array.from(e.key), out);
      encodeInto(e.v, out);
    }
  }
}

/** CTAP2 canonical key order: major type, then encoded length, then bytes. CTAP 2.1 §8. */
function compareKeys(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = (a[0] ?? 0) >> 5;
  const mb = (b[0] ?? 0) >> 5;
  if (ma !== mb) return ma - mb;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The CTAP2 canonical encoding of `value`. Throws TypeError for values CBOR cannot carry (API misuse). */
export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  encodeInto(value, out);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Decoder {
  pos = 0;
  readonly buf: Uint8Array;
  readonly maxDepth: number;
  readonly canonical: boolean;

  constructor(buf: Uint8Array, maxDepth: number, canonical: boolean) {
    this.buf = buf;
    this.maxDepth = maxDepth;
    this.canonical = canonical;
  }

  fail(reason: 'truncated' | 'too-long' | 'non-canonical' | 'invalid-utf8' | 'invalid-value', at: number, detail: string): never {
    throw new WireError(reason, 'cbor', at, detail);
  }

  byte(): number {
    const b = this.buf[this.pos];
    if (b === undefined) this.fail('truncated', this.pos, 'input ends inside an item');
    this.pos++;
    return b;
  }

  /** The argument of a head whose additional information is `info` (0-27), as number or bigint. */
  argument(info: number, start: number): number | bigint {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) {
      if (info === 31) this.fail('invalid-value', start, 'indefinite lengths are not allowed in CTAP2');
      this.fail('invalid-value', start, `reserved additional information ${info}`);
    }
    if (this.pos + size > this.buf.length) this.fail('truncated', start, 'input ends inside an item head');
    let n: number | bigint;
    if (size === 8) {
      let big = 0n;
      for (let i = 0; i < 8; i++) big = (big << 8n) | BigInt(this.buf[this.pos + i] as number);
      n = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    } else {
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + (this.buf[this.pos + i] as number);
      n = v;
    }
    this.pos += size;
    if (this.canonical) {
      const min = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x100000000;
      if ((typeof n === 'bigint' ? n < BigInt(min) : n < min)) this.fail('non-canonical', start, 'number not in its shortest form');
    }
    return n;
  }

  /** A length or count, which must fit in what remains (each element or byte needs at least one byte). */
  length(info: number, start: number): number {
    const n = this.argument(info, start);
    if (typeof n === 'bigint' || n > this.buf.length - this.pos) this.fail('too-long', start, `length ${n} beyond the ${this.buf.length - this.pos} bytes that remain`);
    return n;
  }

  item(depth: number): CborValue {
    const start = this.pos;
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info, start);
      case 1: {
        const n = this.argument(info, start);
        return typeof n === 'bigint' ? -1n - n : n === Number.MAX_SAFE_INTEGER ? -1n - BigInt(n) : -1 - n;
      }
      case 2: {
        const len = this.length(info, start);
        const out = this.buf.slice(this.pos, this.pos + len);
        this.pos += len;
        return out;
      }
      case 3: {
        const len = this.length(info, start);
        try {
          const text = utf8.decode(this.buf.subarray(this.pos, this.pos + len));
          this.pos += len;
          return text;
        } catch (cause) {
          throw new WireError('invalid-utf8', 'cbor', start, 'text string is not UTF-8', { cause });
        }
      }
      case 4: {
        if (depth >= this.maxDepth) this.fail('invalid-value', start, `nesting deeper than ${this.maxDepth}`);
        const count = this.length(info, start);
        const out: CborValue[] = [];
        for (let i = 0; i < count; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        if (depth >= this.maxDepth) this.fail('invalid-value', start, `nesting deeper than ${this.maxDepth}`);
        const count = this.length(info, start);
        const out: CborMap = new Map();
        let previous: Uint8Array | undefined;
        for (let i = 0; i < count; i++) {
          const keyStart = this.pos;
          const key = this.item(depth + 1);
          if (typeof key !== 'string' && typeof key !== 'number') this.fail('invalid-value', keyStart, 'map keys must be integers or text strings');
          const keyBytes = this.buf.subarray(keyStart, this.pos);
          if (out.has(key)) this.fail('invalid-value', keyStart, `duplicate map key ${JSON.stringify(key)}`);
          if (this.canonical && previous !== undefined && compareKeys(previous, keyBytes) >= 0) this.fail('non-canonical', keyStart, 'map keys out of canonical order');
          previous = keyBytes;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6:
        return this.fail('invalid-value', start, 'tags are not allowed in CTAP2');
      default: {
        if (info < 20) return new CborSimple(info);
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        if (info === 24) {
          const v = this.byte();
          if (v < 32) this.fail('invalid-value', start, `simple value ${v} in two bytes`);
          return new CborSimple(v);
        }
        if (info === 31) this.fail('invalid-value', start, 'break outside an indefinite-length item');
        return this.fail('invalid-value', start, info <= 27 ? 'floating-point values are not used by CTAP2' : `reserved additional information ${info}`);
      }
    }
  }
}

/** Decode one item that must fill `bytes` exactly. */
export function decodeCbor(bytes: Uint8Array, options: CborDecodeOptions = {}): CborValue {
  const { value, end } = decodeCborPrefix(bytes, options);
  if (end !== bytes.length) throw new WireError('trailing-data', 'cbor', end, `${bytes.length - end} bytes after the item`);
  return value;
}

/** Decode the item at the start of `bytes` and say where it ends (authenticator data holds a COSE key followed by more). */
export function decodeCborPrefix(bytes: Uint8Array, options: CborDecodeOptions = {}): { value: CborValue; end: number } {
  const d = new Decoder(bytes, options.maxDepth ?? DEFAULT_MAX_DEPTH, options.canonical ?? false);
  const value = d.item(0);
  return { value, end: d.pos };
}

// ---------------------------------------------------------------------------------------------
// Typed access to decoded maps: each failure names the field, so a malformed response says what was wrong.

export function isCborMap(v: CborValue): v is CborMap {
  return v instanceof Map;
}

function kindOf(v: CborValue): string {
  if (v instanceof Uint8Array) return 'byte string';
  if (v instanceof Map) return 'map';
  if (Array.isArray(v)) return 'array';
  if (v instanceof CborSimple) return 'simple value';
  if (v === null) return 'null';
  return typeof v;
}

function wrongType(field: string, want: string, got: CborValue): never {
  throw new WireError('invalid-value', field, 0, `expected ${want}, got ${kindOf(got)}`);
}

export function asMap(v: CborValue, field: string): CborMap {
  if (!(v instanceof Map)) wrongType(field, 'a map', v);
  return v;
}

export function asBytes(v: CborValue, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) wrongType(field, 'a byte string', v);
  return v;
}

export function asText(v: CborValue, field: string): string {
  if (typeof v !== 'string') wrongType(field, 'a text string', v);
  return v;
}

export function asInt(v: CborValue, field: string): number {
  if (typeof v !== 'number') wrongType(field, 'an integer', v);
  return v;
}

export function asBool(v: CborValue, field: string): boolean {
  if (typeof v !== 'boolean') wrongType(field, 'a boolean', v);
  return v;
}

export function asArray(v: CborValue, field: string): CborValue[] {
  if (!Array.isArray(v)) wrongType(field, 'an array', v);
  return v;
}

/** `map.get(key)`, which must be present. */
export function need(map: CborMap, key: CborKey, field: string): CborValue {
  if (!map.has(key)) throw new WireError('invalid-value', field, 0, 'missing');
  return map.get(key);
}
