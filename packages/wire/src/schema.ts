/**
 * Declare each message once: `defineMessage(number, name, fields)` gives encode, decode and (via
 * `Infer`) the TypeScript type; `defineTable` declares second-level tables keyed by a string;
 * `defineMessageTable` groups messages for dispatch by number. RFC 4251 §5, RFC 4250 §4.1.
 * @module
 */

import { type Cases, type Codec, type Fields, type InferFields, type Table, type TableBody } from './codecs.ts';
import { WireError } from './errors.ts';
import { type FieldEntry, fieldEntries, readFields, sizeFields, writeFields } from './fields.ts';
import { Reader, type ReaderOptions } from './reader.ts';
import { Writer } from './writer.ts';

/** Options for decoding: the largest string length to accept, and the offset of the payload in a packet. */
export type DecodeOptions = ReaderOptions;

/** One SSH message: its number, name and fields. */
export interface MessageSchema<N extends number = number, Name extends string = string, F extends Fields = Fields> {
  readonly number: N;
  readonly name: Name;
  readonly fields: F;
  /** Field entries in wire order (prepared once). */
  readonly entries: readonly FieldEntry[];
  /** Size of the payload, message number byte included. */
  size(msg: InferFields<F>): number;
  /** The payload (message number first), in one exactly-sized allocation. */
  encode(msg: InferFields<F>): Uint8Array;
  /** Appends the payload to `w` (to build a packet around it without another copy). */
  encodeTo(w: Writer, msg: InferFields<F>): void;
  /**
   * Decodes a payload that starts with this message's number. Byte fields are views on `payload`.
   * Throws only `WireError`: wrong number, truncated, too long, non-canonical, trailing bytes.
   */
  decode(payload: Uint8Array, options?: DecodeOptions): InferFields<F>;
}

/** The TypeScript type of a message, a table's known cases, or a codec's values. */
export type Infer<T> =
  T extends MessageSchema<number, string, infer F>
    ? InferFields<F>
    : T extends Table<infer C>
      ? TableBody<C>
      : T extends Codec<unknown>
        ? ReturnType<T['read']>
        : never;

/** Declares a message. Field order is object key order (numeric keys are refused). */
export function defineMessage<const N extends number, const Name extends string, const F extends Fields>(
  number: N,
  name: Name,
  fields: F,
): MessageSchema<N, Name, F> {
  if (!Number.isInteger(number) || number < 1 || number > 255) throw new RangeError(`${name}: message number ${number} out of range`);
  const entries = fieldEntries(fields, name);
  const numberField = `${name}.messageNumber`;
  const size = (msg: InferFields<F>): number => 1 + sizeFields(entries, msg);
  const encodeTo = (w: Writer, msg: InferFields<F>): void => {
    w.u8(number);
    writeFields(entries, w, msg);
  };
  return {
    number,
    name,
    fields,
    entries,
    size,
    encodeTo,
    encode(msg) {
      const n = size(msg);
      const w = new Writer(n);
      encodeTo(w, msg);
      return w.length === n ? w.bytesView() : w.finish();
    },
    decode(payload, options) {
      const r = new Reader(payload, options);
      const got = r.u8(numberField);
      if (got !== number) throw r.error('invalid-value', numberField, `message number ${got}, expected ${number}`, 0);
      const msg = readFields(entries, r, {});
      r.end(name);
      return msg as InferFields<F>;
    },
  };
}

/** Declares a second-level table: for each key (request type, method name...), the fields that follow. */
export function defineTable<const C extends Cases>(label: string, cases: C): Table<C> {
  const entries = new Map<string, readonly FieldEntry[]>();
  for (const key of Object.keys(cases)) entries.set(key, fieldEntries(cases[key] as Fields, `${label} ${JSON.stringify(key)}`));
  return {
    label,
    cases,
    entries,
    has: (key: string): key is keyof C & string => entries.has(key),
    decode(key, data, options) {
      const e = entries.get(key);
      if (e === undefined) return data;
      const r = new Reader(data, options);
      const body = readFields(e, r, { type: key });
      r.end(`${label} ${JSON.stringify(key)}`);
      return body as TableBody<C>;
    },
    encode(body) {
      const type = (body as { type: string }).type;
      const e = entries.get(type);
      if (e === undefined) throw new RangeError(`${label}: unknown type ${JSON.stringify(type)}`);
      const n = sizeFields(e, body as Record<string, unknown>);
      const w = new Writer(n);
      writeFields(e, w, body as Record<string, unknown>);
      return w.length === n ? w.bytesView() : w.finish();
    },
  };
}

/** A decoded message tagged with its name, for `switch (d.name)`. */
export type Decoded<M extends MessageSchema> = M extends MessageSchema<number, infer Name, infer F>
  ? { readonly name: Name; readonly message: InferFields<F> }
  : never;

/** Messages that share a number space: the generic dispatch table, or a KEX/auth method's own. */
export interface MessageTable<M extends MessageSchema = MessageSchema> {
  readonly label: string;
  readonly messages: readonly M[];
  /** The schema for a message number, or undefined (the caller answers SSH_MSG_UNIMPLEMENTED). */
  get(number: number): M | undefined;
  /** The message name for a number, for logs (`undefined` when this table has none). */
  nameOf(number: number): M['name'] | undefined;
  /** Decodes by the payload's first byte; an unknown number is a `WireError` ('unknown-message'). */
  decode(payload: Uint8Array, options?: DecodeOptions): Decoded<M>;
}

/** Groups messages for dispatch by number; two messages with one number are refused. */
export function defineMessageTable<const M extends MessageSchema>(label: string, messages: readonly M[]): MessageTable<M> {
  const byNumber: (M | undefined)[] = new Array<M | undefined>(256).fill(undefined);
  for (const m of messages) {
    const prior = byNumber[m.number];
    if (prior !== undefined) throw new RangeError(`${label}: ${m.name} and ${prior.name} share number ${m.number}`);
    byNumber[m.number] = m;
  }
  return {
    label,
    messages,
    get: (number) => byNumber[number],
    nameOf: (number) => byNumber[number]?.name,
    decode(payload, options) {
      if (payload.length === 0) throw new WireError('truncated', `${label} message number`, options?.baseOffset ?? 0, 'empty payload');
      const m = byNumber[payload[0] as number];
      if (m === undefined) {
        throw new WireError('unknown-message', `${label} message number`, options?.baseOffset ?? 0, `no ${label} message has number ${payload[0]}`);
      }
      return { name: m.name, message: m.decode(payload, options) } as Decoded<M>;
    },
  };
}
