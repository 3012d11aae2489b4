/**
 * A small DER reader and writer: just what key formats need (X.690 §8, §10).
 *
 * The reader is bounds-checked and never allocates on the word of a length field; every failure
 * is an `Asn1Error` carrying the offset of the element at fault. Nesting depth is limited.
 * @module
 */

import { bigintToUnsignedBytes } from '@ssh/wire';
import { Asn1Error, KeyExportError } from './errors.ts';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag byte of a context-specific element `[n]`, constructed or primitive. */
export function contextTag(n: number, constructed = true): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One decoded element: its tag, its content (a view on the input) and where it starts. */
export interface DerElement {
  readonly tag: number;
  readonly content: Uint8Array;
  /** Offset of the tag byte within the outermost input. */
  readonly offset: number;
  /** The whole encoding (tag, length, content). */
  readonly raw: Uint8Array;
}

const MAX_DEPTH = 32;

/** Reads consecutive DER elements from a buffer. */
export class DerReader {
  private readonly buf: Uint8Array;
  private readonly base: number;
  private readonly depth: number;
  private pos = 0;

  constructor(bytes: Uint8Array, baseOffset = 0, depth = 0) {
    if (depth > MAX_DEPTH) throw new Asn1Error('nesting too deep', baseOffset);
    this.buf = bytes;
    this.base = baseOffset;
    this.depth = depth;
  }

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Offset of the cursor within the outermost input. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.buf[this.pos];
  }

  /** The next element of any tag. */
  element(): DerElement {
    const start = this.pos;
    const at = this.base + start;
    if (start >= this.buf.length) throw new Asn1Error('unexpected end of data', at);
    const tag = this.buf[start] as number;
    if ((tag & 0x1f) === 0x1f) throw new Asn1Error('multi-byte tags are not supported', at);
    let p = start + 1;
    if (p >= this.buf.length) throw new Asn1Error('missing length', at);
    let len = this.buf[p++] as number;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw new Asn1Error('indefinite length is not DER', at);
      if (n > 4) throw new Asn1Error('length field too large', at);
      if (p + n > this.buf.length) throw new Asn1Error('truncated length', at);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (this.buf[p++] as number);
      if (len < 0x80 || (n > 1 && (this.buf[p - n] as number) === 0)) throw new Asn1Error('non-minimal length', at);
    }
    if (len > this.buf.length - p) throw new Asn1Error(`length ${len} exceeds the ${this.buf.length - p} bytes that remain`, at);
    const content = this.buf.subarray(p, p + len);
    this.pos = p + len;
    return { tag, content, offset: at, raw: this.buf.subarray(start, p + len) };
  }

  /** The next element, which must carry `tag`. */
  expect(tag: number, what: string): DerElement {
    const at = this.offset;
    const el = this.element();
    if (el.tag !== tag) {
      throw new Asn1Error(`expected ${what} (tag 0x${tag.toString(16)}), got tag 0x${el.tag.toString(16)}`, at);
    }
    return el;
  }

  /** A reader over the content of the next constructed element with `tag` (SEQUENCE by default). */
  sequence(what = 'SEQUENCE', tag: number = TAG.SEQUENCE): DerReader {
    const el = this.expect(tag, what);
    return new DerReader(el.content, el.offset + (el.raw.length - el.content.length), this.depth + 1);
  }

  /** Reader over an element's content (for explicit tags and OCTET STRING-wrapped structures). */
  static of(el: DerElement, depth = 0): DerReader {
    return new DerReader(el.content, el.offset + (el.raw.length - el.content.length), depth + 1);
  }

  /** INTEGER as a bigint (two's complement). */
  integer(what = 'INTEGER'): bigint {
    const el = this.expect(TAG.INTEGER, what);
    const c = el.content;
    if (c.length === 0) throw new Asn1Error(`${what}: empty INTEGER`, el.offset);
    if (c.length > 1 && ((c[0] === 0 && ((c[1] as number) & 0x80) === 0) || (c[0] === 0xff && ((c[1] as number) & 0x80) !== 0))) {
      throw new Asn1Error(`${what}: non-minimal INTEGER`, el.offset);
    }
    if (c.length > 2048) throw new Asn1Error(`${what}: INTEGER too large`, el.offset);
    let v = 0n;
    for (const b of c) v = (v << 8n) | BigInt(b);
    if ((c[0] as number) & 0x80) v -= 1n << BigInt(c.length * 8);
    return v;
  }

  /** A non-negative INTEGER. */
  unsigned(what = 'INTEGER'): bigint {
    const at = this.offset;
    const v = this.integer(what);
    if (v < 0n) throw new Asn1Error(`${what}: negative`, at);
    return v;
  }

  /** A small non-negative INTEGER as a number. */
  smallInt(what = 'INTEGER'): number {
    const at = this.offset;
    const v = this.unsigned(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Asn1Error(`${what}: too large`, at);
    return Number(v);
  }

  octetString(what = 'OCTET STRING'): Uint8Array {
    return this.expect(TAG.OCTET_STRING, what).content;
  }

  /** BIT STRING content without its unused-bits byte (which must be 0). */
  bitString(what = 'BIT STRING'): Uint8Array {
    const el = this.expect(TAG.BIT_STRING, what);
    if (el.content.length === 0 || el.content[0] !== 0) throw new Asn1Error(`${what}: unsupported unused bits`, el.offset);
    return el.content.subarray(1);
  }

  null(what = 'NULL'): void {
    const el = this.expect(TAG.NULL, what);
    if (el.content.length !== 0) throw new Asn1Error(`${what}: NULL with content`, el.offset);
  }

  /** OBJECT IDENTIFIER in dotted form. */
  oid(what = 'OBJECT IDENTIFIER'): string {
    const el = this.expect(TAG.OID, what);
    return decodeOid(el.content, el.offset);
  }

  /** Fails unless every element has been read. */
  end(what = 'structure'): void {
    if (!this.atEnd) throw new Asn1Error(`unexpected data at the end of ${what}`, this.offset);
  }
}

/**
 * The largest OBJECT IDENTIFIER arc read or written here, about 2^46 (a number exact at each
 * step of the base-128 arithmetic), and the longest encoding: 64 bytes. Far above any OID in use.
 */
const MAX_OID_ARC = Math.floor(Number.MAX_SAFE_INTEGER / 128);
const MAX_OID_LENGTH = 64;

function decodeOid(c: Uint8Array, at: number): string {
  if (c.length === 0 || c.length > MAX_OID_LENGTH) throw new Asn1Error('bad OBJECT IDENTIFIER length', at);
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    const b = c[i] as number;
    if (v === 0 && b === 0x80) throw new Asn1Error('non-minimal OBJECT IDENTIFIER arc', at);
    v = v * 128 + (b & 0x7f);
    if (v > MAX_OID_ARC) throw new Asn1Error('OBJECT IDENTIFIER arc too large', at);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    } else if (i === c.length - 1) {
      throw new Asn1Error('truncated OBJECT IDENTIFIER', at);
    }
  }
  const first = arcs[0] as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

// ---------------------------------------------------------------------------------------------
// Writer: functions that return encodings, composed bottom-up.

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** An element from its tag and content. */
export function der(tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  return derOf(tag, content);
}

/**
 * An element from its tag and a list of content pieces of any length (a spread of a list of
 * some 125,000 into der() would overflow the stack).
 */
export function derOf(tag: number, content: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of content) n += c.length;
  const head = [tag, ...encodeLength(n)];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  let at = head.length;
  for (const c of content) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function derSequence(...items: readonly Uint8Array[]): Uint8Array {
  return derOf(TAG.SEQUENCE, items);
}

/** SEQUENCE of a list of elements of any length. */
export function derSequenceOf(items: readonly Uint8Array[]): Uint8Array {
  return derOf(TAG.SEQUENCE, items);
}

export function derInteger(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v >= 0n) {
    let bytes = bigintToUnsignedBytes(v);
    if (bytes.length === 0 || ((bytes[0] as number) & 0x80) !== 0) {
      const padded = new Uint8Array(bytes.length + 1);
      padded.set(bytes, 1);
      bytes = padded;
    }
    return der(TAG.INTEGER, bytes);
  }
  // Negative: two's complement in the fewest bytes.
  let n = 1;
  while (v < -(1n << BigInt(n * 8 - 1))) n++;
  v += 1n << BigInt(n * 8);
  return der(TAG.INTEGER, bigintToUnsignedBytes(v, n));
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return der(TAG.OCTET_STRING, bytes);
}

export function derBitString(bytes: Uint8Array): Uint8Array {
  return der(TAG.BIT_STRING, Uint8Array.of(0), bytes);
}

export function derNull(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}

/**
 * The encoded arcs of a dotted OID (X.660: the first 0-2, the second under 40 below 2, decimal
 * without leading zeros), or undefined when it is none or past MAX_OID_ARC / MAX_OID_LENGTH.
 */
function oidContent(dotted: string): Uint8Array | undefined {
  // At most 16 digits an arc, so Number() reads each exactly before the bound below.
  if (!/^[0-2](?:\.(?:0|[1-9][0-9]{0,15}))+$/.test(dotted)) return undefined;
  const arcs = dotted.split('.').map(Number);
  const first = arcs[0] as number;
  const second = arcs[1] as number;
  if (first < 2 && second >= 40) return undefined;
  arcs.splice(0, 2, first * 40 + second);
  if (arcs.length > MAX_OID_LENGTH) return undefined;
  const out: number[] = [];
  for (const arc of arcs) {
    if (arc > MAX_OID_ARC) return undefined;
    // Base-128 digits, most significant first, every one but the last with its top bit set.
    const start = out.length;
    for (let v = arc, last = true; last || v > 0; v = Math.floor(v / 128), last = false) out.push((v % 128) | (last ? 0 : 0x80));
    for (let i = start, j = out.length - 1; i < j; i++, j--) [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out.length > MAX_OID_LENGTH ? undefined : Uint8Array.from(out);
}

/** True when `dotted` is an OBJECT IDENTIFIER derOid writes (and DerReader reads back). */
export function isOid(dotted: string): boolean {
  return oidContent(dotted) !== undefined;
}

/** OBJECT IDENTIFIER from its dotted form; KeyExportError for what isOid refuses. */
export function derOid(dotted: string): Uint8Array {
  const content = oidContent(dotted);
  if (content === undefined) throw new KeyExportError(`not an OBJECT IDENTIFIER: ${JSON.stringify(dotted.length > 40 ? `${dotted.slice(0, 40)}...` : dotted)}`);
  return der(TAG.OID, content);
}

/** Explicit context tag `[n]` around an encoded element. */
export function derExplicit(n: number, inner: Uint8Array): Uint8Array {
  return der(contextTag(n), inner);
}

/** An AlgorithmIdentifier: SEQUENCE { OID, parameters? }. */
export function derAlgorithm(oid: string, params?: Uint8Array): Uint8Array {
  return params === undefined ? derSequence(derOid(oid)) : derSequence(derOid(oid), params);
}
