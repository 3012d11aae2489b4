/**
 * Reading, writing and sizing a record of fields in wire order: the loops behind every struct,
 * message and table case of the DSL. RFC 4251 §5.
 * @module
 */

import { type Codec, type Fields, type Siblings } from './codecs.ts';
import { type Reader } from './reader.ts';
import { type Writer } from './writer.ts';

/** A field with its codec and the name it has in errors. */
export interface FieldEntry {
  readonly name: string;
  readonly path: string;
  readonly codec: Codec<unknown>;
}

/** Checks a record of fields (no numeric keys, tails last, optionals at the end) and lists it. */
export function fieldEntries(fields: Fields, owner: string): readonly FieldEntry[] {
  const entries: FieldEntry[] = [];
  const names = Object.keys(fields);
  let sawOptionalTail = false;
  names.forEach((name, i) => {
    // Integer-like keys would be enumerated before the others, breaking "key order = wire order".
    if (/^(0|[1-9]\d*)$/.test(name)) throw new RangeError(`${owner}: field name ${name} is numeric; key order would not be wire order`);
    const codec = fields[name] as Codec<unknown>;
    if (codec.tail && i !== names.length - 1) throw new RangeError(`${owner}.${name} consumes the rest of the input, so it must be last`);
    if (codec.kind === 'optional') sawOptionalTail = true;
    else if (sawOptionalTail) throw new RangeError(`${owner}.${name} follows an optional tail field`);
    entries.push({ name, path: `${owner}.${name}`, codec });
  });
  return entries;
}

// The three loops below handle the common primitive kinds inline: one switch on an interned
// string instead of a call through a different function object per field, which V8 cannot inline.

/** Encoded size of `v` by `entries`. */
export function sizeFields(entries: readonly FieldEntry[], v: Siblings): number {
  let n = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as FieldEntry;
    const c = e.codec;
    switch (c.kind as string) { // only some kinds have a fast path; the rest go through the codec
      case 'u8':
      case 'bool':
        n += 1;
        break;
      case 'u32':
        n += 4;
        break;
      case 'bytes':
        n += 4 + (v[e.name] as Uint8Array).length;
        break;
      case 'latin1':
        n += 4 + (v[e.name] as string).length;
        break;
      default:
        n += c.size(v[e.name], v);
    }
  }
  return n;
}

/** Writes `v` by `entries`. */
export function writeFields(entries: readonly FieldEntry[], w: Writer, v: Siblings): void {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as FieldEntry;
    const c = e.codec;
    switch (c.kind as string) { // only some kinds have a fast path; the rest go through the codec
      case 'u8':
        w.u8(v[e.name] as number);
        break;
      case 'bool':
        w.bool(v[e.name] as boolean);
        break;
      case 'u32':
        w.u32(v[e.name] as number);
        break;
      case 'bytes':
        w.bytes(v[e.name] as Uint8Array);
        break;
      case 'latin1':
        w.latin1(v[e.name] as string);
        break;
      case 'utf8':
        w.utf8(v[e.name] as string);
        break;
      case 'nameList':
        w.nameList(v[e.name] as string[]);
        break;
      default:
        c.write(w, v[e.name], v);
    }
  }
}

/** Reads the fields into `out` (which may already hold a discriminant) and returns it. */
export function readFields(entries: readonly FieldEntry[], r: Reader, out: Record<string, unknown>): Record<string, unknown> {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as FieldEntry;
    const c = e.codec;
    switch (c.kind as string) { // only some kinds have a fast path; the rest go through the codec
      case 'u8':
        out[e.name] = r.u8(e.path);
        break;
      case 'bool':
        out[e.name] = r.bool(e.path);
        break;
      case 'u32':
        out[e.name] = r.u32(e.path);
        break;
      case 'bytes':
        out[e.name] = r.bytes(e.path);
        break;
      case 'latin1':
        out[e.name] = r.latin1(e.path);
        break;
      case 'utf8':
        out[e.name] = r.utf8(e.path);
        break;
      case 'nameList':
        out[e.name] = r.nameList(e.path);
        break;
      default: {
        const value = c.read(r, e.path, out);
        if (value !== undefined) out[e.name] = value;
      }
    }
  }
  return out;
}

