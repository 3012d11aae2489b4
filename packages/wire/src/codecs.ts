/**
 * Field codecs of the message DSL: the RFC 4251 §5 data types and the few combinators SSH
 * messages need (counted lists, repeated tails, optional tails, flag-guarded fields, nested
 * strings, tails keyed by an earlier string field). RFC 4251 §5, RFC 4254 §8 (PTY modes).
 *
 * A codec is a plain object: `kind` (plus its parameters) describes it, `minSize`/`size`/`write`
 * encode, `read` decodes from a bounds-checked `Reader`. Codecs are built once, at module load;
 * encoding and decoding allocate no closures. `siblings` is the object of the enclosing struct,
 * through which `when` and `keyed` see the fields they depend on.
 * @module
 */

import { mpintByteLength } from './mpint.ts';
import { type Reader } from './reader.ts';
import { type FieldEntry, fieldEntries, readFields, sizeFields, writeFields } from './fields.ts';
import { Writer } from './writer.ts';

/** The enclosing struct's values (decoded so far, or being encoded). */
export type Siblings = Readonly<Record<string, unknown>>;

/** What every codec provides. `T` is the decoded (and encodable) value. */
export interface Codec<T> {
  readonly kind: CodecKind;
  /** Fewest bytes an encoding takes (bounds the item count of lists before reading them). */
  readonly minSize: number;
  /** The field may be absent: the struct omits the property (`optional`, `when`). */
  readonly optional?: true;
  /** The codec consumes the rest of its input, so it must be the last field of a struct. */
  readonly tail?: true;
  size(value: T, siblings: Siblings): number;
  write(w: Writer, value: T, siblings: Siblings): void;
  read(r: Reader, field: string, siblings: Siblings): T;
}

export type CodecKind =
  | 'u8'
  | 'bool'
  | 'u32'
  | 'u64'
  | 'mpint'
  | 'bytes'
  | 'utf8'
  | 'latin1'
  | 'nameList'
  | 'fixed'
  | 'rest'
  | 'restUtf8'
  | 'restNameList'
  | 'list'
  | 'many'
  | 'optional'
  | 'when'
  | 'struct'
  | 'wrapped'
  | 'keyed'
  | 'ptyModes';

/** The value type of a codec. */
export type ValueOf<C> = C extends { read(r: Reader, field: string, siblings: Siblings): infer T } ? T : never;

/** A record of named fields; key order is wire order. */
export type Fields = Readonly<Record<string, Codec<unknown>>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { readonly optional: true } ? K : never }[keyof F];

/** The object type a record of fields decodes to (optional fields become optional properties). */
export type InferFields<F extends Fields> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: ValueOf<F[K]> } & {
    -readonly [K in OptionalKeys<F>]?: Exclude<ValueOf<F[K]>, undefined>;
  }
>;

// ---------------------------------------------------------------------------------------------
// Primitive codecs
// ---------------------------------------------------------------------------------------------

/** byte */
export const u8: Codec<number> = {
  kind: 'u8',
  minSize: 1,
  size: () => 1,
  write: (w, v) => void w.u8(v),
  read: (r, field) => r.u8(field),
};

/** boolean (decoding accepts only 0 and 1, so re-encoding is byte-exact) */
export const bool: Codec<boolean> = {
  kind: 'bool',
  minSize: 1,
  size: () => 1,
  write: (w, v) => void w.bool(v),
  read: (r, field) => r.bool(field),
};

/** uint32 */
export const u32: Codec<number> = {
  kind: 'u32',
  minSize: 4,
  size: () => 4,
  write: (w, v) => void w.u32(v),
  read: (r, field) => r.u32(field),
};

/** uint64, as a bigint */
export const u64: Codec<bigint> = {
  kind: 'u64',
  minSize: 8,
  size: () => 8,
  write: (w, v) => void w.u64(v),
  read: (r, field) => r.u64(field),
};

/** mpint, as a bigint; decoding rejects non-minimal encodings */
export const mpint: Codec<bigint> = {
  kind: 'mpint',
  minSize: 4,
  size: (v) => 4 + mpintByteLength(v),
  write: (w, v) => void w.mpint(v),
  read: (r, field) => r.mpint(field),
};

/** string as bytes; decoded values are views on the input (no copy) */
export const bytes: Codec<Uint8Array> = {
  kind: 'bytes',
  minSize: 4,
  size: (v) => 4 + v.length,
  write: (w, v) => void w.bytes(v),
  read: (r, field) => r.bytes(field),
};

/** string holding UTF-8 text; invalid UTF-8 is a `WireError` */
export const utf8: Codec<string> = {
  kind: 'utf8',
  minSize: 4,
  size: (v) => 4 + utf8Length(v),
  write: (w, v) => void w.utf8(v),
  read: (r, field) => r.utf8(field),
};

/**
 * string read one char per byte: for names the RFCs call US-ASCII (services, methods, request
 * types, algorithms). Any byte decodes, so an unknown name still reaches the handler that
 * answers "unsupported", and re-encoding is byte-exact.
 */
export const latin1: Codec<string> = {
  kind: 'latin1',
  minSize: 4,
  size: (v) => 4 + v.length,
  write: (w, v) => void w.latin1(v),
  read: (r, field) => r.latin1(field),
};

/** name-list: comma-separated, non-empty, printable US-ASCII names */
export const nameList: Codec<string[]> = {
  kind: 'nameList',
  minSize: 4,
  size: (v) => 4 + nameListLength(v),
  write: (w, v) => void w.nameList(v),
  read: (r, field) => r.nameList(field),
};

/** Every remaining byte, as a view on the input. Last field only. */
export const rest: Codec<Uint8Array> = {
  kind: 'rest',
  minSize: 0,
  tail: true,
  size: (v) => v.length,
  write: (w, v) => void w.raw(v),
  read: (r) => r.rest(),
};

/** Every remaining byte as UTF-8 text (no length prefix). Last field only. */
export const restUtf8: Codec<string> = {
  kind: 'restUtf8',
  minSize: 0,
  tail: true,
  size: (v) => utf8Length(v),
  write: (w, v) => void w.raw(utf8Encoder.encode(v)),
  read: (r, field) => {
    const start = r.offset;
    const raw = r.rest();
    try {
      return utf8Decoder.decode(raw);
    } catch {
      throw r.error('invalid-utf8', field, 'invalid UTF-8', start);
    }
  },
};

/** Every remaining byte as a name-list without its length prefix (ext-info values). Last field only. */
export const restNameList: Codec<string[]> = {
  kind: 'restNameList',
  minSize: 0,
  tail: true,
  size: (v) => nameListLength(v),
  write: (w, v) => {
    Writer.checkNames(v);
    for (let i = 0; i < v.length; i++) {
      if (i > 0) w.u8(0x2c);
      const name = v[i] as string;
      for (let j = 0; j < name.length; j++) w.u8(name.charCodeAt(j));
    }
  },
  read: (r, field) => r.restNameList(field),
};

// ---------------------------------------------------------------------------------------------
// Combinators
// ---------------------------------------------------------------------------------------------

export interface FixedCodec extends Codec<Uint8Array> {
  readonly kind: 'fixed';
  readonly length: number;
}

/** `byte[n]`: exactly `n` bytes with no length prefix, as a view on the input. */
export function fixed(length: number): FixedCodec {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`fixed() needs a positive length, got ${length}`);
  return {
    kind: 'fixed',
    length,
    minSize: length,
    size: () => length,
    write: (w, v) => {
      if (v.length !== length) throw new RangeError(`expected ${length} bytes, got ${v.length}`);
      w.raw(v);
    },
    read: (r, field) => r.raw(length, field),
  };
}

export interface ListCodec<T> extends Codec<T[]> {
  readonly kind: 'list';
  readonly item: Codec<T>;
}

/** `uint32 n` followed by `n` items. A count the remaining bytes cannot hold is refused before reading. */
export function list<T>(item: Codec<T>): ListCodec<T> {
  if (item.minSize < 1 || item.tail || item.optional) throw new RangeError('list() items must take at least one byte');
  return {
    kind: 'list',
    item,
    minSize: 4,
    size: (v, siblings) => {
      let n = 4;
      for (let i = 0; i < v.length; i++) n += item.size(v[i] as T, siblings);
      return n;
    },
    write: (w, v, siblings) => {
      w.u32(v.length);
      for (let i = 0; i < v.length; i++) item.write(w, v[i] as T, siblings);
    },
    read: (r, field, siblings) => {
      const start = r.offset;
      const count = r.u32(field);
      if (count * item.minSize > r.remaining) {
        throw r.error('too-long', field, `count ${count} exceeds what the ${r.remaining} remaining bytes can hold`, start);
      }
      const out: T[] = [];
      for (let i = 0; i < count; i++) out.push(item.read(r, field, siblings));
      return out;
    },
  };
}

export interface ManyCodec<T> extends Codec<T[]> {
  readonly kind: 'many';
  readonly item: Codec<T>;
}

/** Items repeated until the end of the input (OpenSSH hostkeys-00). Last field only. */
export function many<T>(item: Codec<T>): ManyCodec<T> {
  if (item.minSize < 1 || item.tail || item.optional) throw new RangeError('many() items must take at least one byte');
  return {
    kind: 'many',
    item,
    minSize: 0,
    tail: true,
    size: (v, siblings) => {
      let n = 0;
      for (let i = 0; i < v.length; i++) n += item.size(v[i] as T, siblings);
      return n;
    },
    write: (w, v, siblings) => {
      for (let i = 0; i < v.length; i++) item.write(w, v[i] as T, siblings);
    },
    read: (r, field, siblings) => {
      const out: T[] = [];
      while (!r.atEnd) out.push(item.read(r, field, siblings));
      return out;
    },
  };
}

export interface OptionalCodec<T> extends Codec<T | undefined> {
  readonly kind: 'optional';
  readonly optional: true;
  readonly inner: Codec<T>;
}

/**
 * An optional tail: present when bytes remain. Only optional fields may follow it (a struct
 * checks this), so absent fields are exactly the missing end of the message.
 */
export function optional<T>(inner: Codec<T>): OptionalCodec<T> {
  if (inner.optional) throw new RangeError('optional() of an optional codec');
  return {
    kind: 'optional',
    optional: true,
    inner,
    minSize: 0,
    size: (v, siblings) => (v === undefined ? 0 : inner.size(v, siblings)),
    write: (w, v, siblings) => {
      if (v !== undefined) inner.write(w, v, siblings);
    },
    read: (r, field, siblings) => (r.atEnd ? undefined : inner.read(r, field, siblings)),
  };
}

export interface WhenCodec<T> extends Codec<T | undefined> {
  readonly kind: 'when';
  readonly optional: true;
  readonly flag: string;
  readonly inner: Codec<T>;
}

/** A field present exactly when the earlier boolean field `flag` is true (RFC 4252 §7 signature). */
export function when<T>(flag: string, inner: Codec<T>): WhenCodec<T> {
  if (inner.optional) throw new RangeError('when() of an optional codec');
  const check = (v: T | undefined, siblings: Siblings): boolean => {
    const on = siblings[flag] === true;
    if (on !== (v !== undefined)) throw new RangeError(`field must be ${on ? 'present' : 'absent'} when ${flag} is ${String(on)}`);
    return on;
  };
  return {
    kind: 'when',
    optional: true,
    flag,
    inner,
    minSize: 0,
    size: (v, siblings) => (check(v, siblings) ? inner.size(v as T, siblings) : 0),
    write: (w, v, siblings) => {
      if (v !== undefined) inner.write(w, v, siblings);
    },
    read: (r, field, siblings) => (siblings[flag] === true ? inner.read(r, field, siblings) : undefined),
  };
}

export interface WrappedCodec<T> extends Codec<T> {
  readonly kind: 'wrapped';
  readonly inner: Codec<T>;
}

/** A string whose content is the encoding of `inner`, which must use all of it. */
export function wrapped<T>(inner: Codec<T>): WrappedCodec<T> {
  return {
    kind: 'wrapped',
    inner,
    minSize: 4,
    size: (v, siblings) => 4 + inner.size(v, siblings),
    write: (w, v, siblings) => {
      w.u32(inner.size(v, siblings));
      inner.write(w, v, siblings);
    },
    read: (r, field, siblings) => {
      const sub = r.nested(field);
      const v = inner.read(sub, field, siblings);
      sub.end(field);
      return v;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Structs and keyed tails
// ---------------------------------------------------------------------------------------------

export interface StructCodec<F extends Fields> extends Codec<InferFields<F>> {
  readonly kind: 'struct';
  readonly fields: F;
}

/** A group of fields inside a field (list items such as keyboard-interactive prompts). */
export function struct<const F extends Fields>(fields: F, label = 'struct'): StructCodec<F> {
  const entries = fieldEntries(fields, label);
  const minSize = entries.reduce((n, e) => n + e.codec.minSize, 0);
  const tail = entries.some((e) => e.codec.tail);
  return {
    kind: 'struct',
    fields,
    minSize,
    ...(tail ? { tail: true as const } : {}),
    size: (v) => sizeFields(entries, v),
    write: (w, v) => writeFields(entries, w, v),
    read: (r) => readFields(entries, r, {}) as InferFields<F>,
  };
}

/** The cases of a keyed table: for each key, the fields that follow. */
export type Cases = Readonly<Record<string, Fields>>;

/** A decoded known case: its key as `type`, then its fields. */
export type CaseValue<C extends Cases, K extends keyof C & string> = Simplify<{ type: K } & InferFields<C[K]>>;

/** Any known case of a table. */
export type TableBody<C extends Cases> = { [K in keyof C & string]: CaseValue<C, K> }[keyof C & string];

/** A second-level table: fields keyed by a string (channel types, request types, auth methods...). */
export interface Table<C extends Cases> {
  readonly label: string;
  readonly cases: C;
  /** Field entries per key (prepared once). */
  readonly entries: ReadonlyMap<string, readonly FieldEntry[]>;
  has(key: string): key is keyof C & string;
  /** Bytes after the key-dependent point: a known case, or the bytes themselves for an unknown key. */
  decode(key: string, data: Uint8Array, options?: { readonly maxStringLength?: number; readonly baseOffset?: number }): TableBody<C> | Uint8Array;
  /** The encoding of a known case's fields (without its key, which lives in the enclosing message). */
  encode(body: TableBody<C>): Uint8Array;
}

export interface KeyedCodec<C extends Cases> extends Codec<TableBody<C> | Uint8Array> {
  readonly kind: 'keyed';
  readonly key: string;
  readonly table: Table<C>;
}

/**
 * The tail of a struct chosen by the earlier string field `key`: decodes to the table's case
 * (with `type` = the key) or, for keys the table does not know, to the raw bytes. When encoding,
 * a case's `type` must equal the key field. Last field only (wrap it in `wrapped()` otherwise).
 */
export function keyed<C extends Cases>(key: string, table: Table<C>): KeyedCodec<C> {
  const entriesFor = (v: TableBody<C>, siblings: Siblings): readonly FieldEntry[] => {
    const type = (v as { type: string }).type;
    if (siblings[key] !== type) throw new RangeError(`${table.label}: body type ${JSON.stringify(type)} differs from ${key} ${JSON.stringify(siblings[key])}`);
    const entries = table.entries.get(type);
    if (entries === undefined) throw new RangeError(`${table.label}: unknown type ${JSON.stringify(type)}; pass the bytes instead`);
    return entries;
  };
  return {
    kind: 'keyed',
    key,
    table,
    minSize: 0,
    tail: true,
    size: (v, siblings) => (v instanceof Uint8Array ? v.length : sizeFields(entriesFor(v, siblings), v as Siblings)),
    write: (w, v, siblings) => {
      if (v instanceof Uint8Array) w.raw(v);
      else writeFields(entriesFor(v, siblings), w, v as Siblings);
    },
    read: (r, _field, siblings) => {
      const type = siblings[key];
      const entries = typeof type === 'string' ? table.entries.get(type) : undefined;
      if (entries === undefined) return r.rest();
      return readFields(entries, r, { type }) as TableBody<C>;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PTY modes. RFC 4254 §8
// ---------------------------------------------------------------------------------------------

/** One terminal mode: an opcode 1..159 and its uint32 argument. */
export type PtyMode = [opcode: number, value: number];

export interface PtyModesCodec extends Codec<PtyMode[]> {
  readonly kind: 'ptyModes';
}

/**
 * The encoded terminal modes string of a pty-req: opcode/uint32 pairs ending with TTY_OP_END (0).
 * Decoding follows RFC 4254 §8: opcodes 160..255 stop parsing (their arguments are undefined),
 * and a string that ends without TTY_OP_END (some clients send an empty one) is accepted.
 */
export const ptyModes: PtyModesCodec = {
  kind: 'ptyModes',
  minSize: 4,
  size: (v) => 4 + v.length * 5 + 1,
  write: (w, v) => {
    w.u32(v.length * 5 + 1);
    for (const [opcode, value] of v) {
      if (!Number.isInteger(opcode) || opcode < 1 || opcode > 159) throw new RangeError(`PTY mode opcode out of range: ${opcode}`);
      w.u8(opcode).u32(value);
    }
    w.u8(0);
  },
  read: (r, field) => {
    const sub = r.nested(field);
    const out: PtyMode[] = [];
    while (!sub.atEnd) {
      const opcode = sub.u8(field);
      if (opcode === 0 || opcode >= 160) break;
      out.push([opcode, sub.u32(field)]);
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 byte length of `s` as TextEncoder encodes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}


function nameListLength(names: readonly string[]): number {
  if (names.length === 0) return 0;
  let n = names.length - 1;
  for (let i = 0; i < names.length; i++) n += (names[i] as string).length;
  return n;
}
