/**
 * fast-check arbitraries derived from codec declarations, so that every declared message, table
 * case and data type is round-trip tested without writing a generator for it.
 */
import fc from 'fast-check';
import * as wire from '../../src/index.ts';
import { type Cases, type Codec, type Fields, type MessageSchema, type Table, type W } from '../../src/index.ts';

type AnyCodec = Codec<unknown> & { readonly kind: W.CodecKind } & Record<string, unknown>;
type Rec = Record<string, unknown>;

const LATIN1_CHAR = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
export const arbLatin1 = fc.string({ unit: LATIN1_CHAR, maxLength: 24 });
export const arbUtf8 = fc.string({ unit: 'binary', maxLength: 24 });
export const arbName = fc.stringMatching(/^[\x20-\x2b\x2d-\x7e]{1,12}$/);
export const arbNameList = fc.array(arbName, { maxLength: 5 });
export const arbBytes = fc.uint8Array({ maxLength: 48 });
export const arbU32 = fc.integer({ min: 0, max: 0xffff_ffff });
export const arbU64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const arbMpint = fc.oneof(
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }),
  fc.bigInt({ min: -(1n << 1100n), max: 1n << 1100n }),
  fc.constantFrom(0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n),
);

/** An arbitrary for one codec that does not depend on sibling fields. */
export function arbCodec(codec: Codec<unknown>): fc.Arbitrary<unknown> {
  const c = codec as AnyCodec;
  switch (c.kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 255 });
    case 'bool':
      return fc.boolean();
    case 'u32':
      return arbU32;
    case 'u64':
      return arbU64;
    case 'mpint':
      return arbMpint;
    case 'bytes':
    case 'rest':
      return arbBytes;
    case 'utf8':
    case 'restUtf8':
      return arbUtf8;
    case 'latin1':
      return arbLatin1;
    case 'nameList':
    case 'restNameList':
      return arbNameList;
    case 'fixed':
      return fc.uint8Array({ minLength: c.length as number, maxLength: c.length as number });
    case 'list':
    case 'many':
      return fc.array(arbCodec(c.item as Codec<unknown>), { maxLength: 4 });
    case 'optional':
      return fc.option(arbCodec(c.inner as Codec<unknown>), { nil: undefined });
    case 'struct':
      return arbFields(c.fields as Fields);
    case 'wrapped':
      return arbCodec(c.inner as Codec<unknown>);
    case 'ptyModes':
      return fc.array(fc.tuple(fc.integer({ min: 1, max: 159 }), arbU32), { maxLength: 6 });
    case 'when':
    case 'keyed':
      throw new Error(`${c.kind} depends on a sibling field; use arbFields`);
    default:
      throw new Error(`no arbitrary for codec kind ${String(c.kind)}`);
  }
}

/** The keyed codec inside `codec` (directly or wrapped), if any. */
function keyedOf(codec: Codec<unknown>): W.KeyedCodec<Cases> | undefined {
  const c = codec as AnyCodec;
  if (c.kind === 'keyed') return c as unknown as W.KeyedCodec<Cases>;
  if (c.kind === 'wrapped') return keyedOf(c.inner as Codec<unknown>);
  return undefined;
}

/** A key and body for a keyed table: a known case, or an unknown key with raw bytes. */
export function arbTableBody(table: Table<Cases>): fc.Arbitrary<{ key: string; body: unknown }> {
  const known = Object.keys(table.cases).map((key) =>
    arbFields(table.cases[key] as Fields).map((fields) => ({ key, body: { type: key, ...fields } })),
  );
  const unknown = fc
    .record({ key: arbLatin1.filter((k) => !table.has(k)), body: arbBytes })
    .map(({ key, body }) => ({ key, body: body as unknown }));
  return fc.oneof(...known, unknown);
}

/** An arbitrary object for a record of fields, honouring `when` flags, keyed tails and optional tails. */
export function arbFields(fields: Fields): fc.Arbitrary<Rec> {
  const names = Object.keys(fields);
  const keyedFields = names.flatMap((n) => {
    const k = keyedOf(fields[n] as Codec<unknown>);
    return k ? [{ name: n, codec: k }] : [];
  });
  const keyNames = new Set(keyedFields.map((k) => k.codec.key));
  const plain = names.filter((n) => {
    const c = fields[n] as AnyCodec;
    return c.kind !== 'when' && !keyNames.has(n) && !keyedFields.some((k) => k.name === n);
  });
  let arb: fc.Arbitrary<Rec> = fc.record(Object.fromEntries(plain.map((n) => [n, arbCodec(fields[n] as Codec<unknown>)])));
  for (const { name, codec } of keyedFields) {
    arb = arb.chain((base) => arbTableBody(codec.table).map(({ key, body }) => ({ ...base, [codec.key]: key, [name]: body })));
  }
  for (const n of names) {
    const c = fields[n] as AnyCodec;
    if (c.kind !== 'when') continue;
    const flag = c.flag as string;
    const inner = arbCodec(c.inner as Codec<unknown>);
    arb = arb.chain((base) => (base[flag] === true ? inner.map((v) => ({ ...base, [n]: v })) : fc.constant(base)));
  }
  return arb.map((value) => {
    // Wire order, without absent optionals; once an optional tail field is absent, later ones are too.
    const out: Rec = {};
    let tailGone = false;
    for (const n of names) {
      const c = fields[n] as AnyCodec;
      if (c.kind === 'optional' && (tailGone || value[n] === undefined)) {
        tailGone = true;
        continue;
      }
      if (value[n] !== undefined) out[n] = value[n];
    }
    return out;
  });
}

/** Every message schema and second-level table the package exports (so a new one is tested for free). */
export function declaredMessages(): MessageSchema[] {
  return (Object.values(wire) as unknown[]).filter(
    (v): v is MessageSchema => typeof v === 'object' && v !== null && 'number' in v && 'entries' in v && 'decode' in v,
  );
}

export function declaredTables(): Table<Cases>[] {
  return (Object.values(wire) as unknown[]).filter(
    (v): v is Table<Cases> => typeof v === 'object' && v !== null && 'cases' in v && 'entries' in v && 'label' in v,
  );
}

/**
 * Checks a decoded value against its input: byte fields are views on it, no array has more items
 * than the input has bytes; returns the bytes of text and numbers it holds (at most the input's).
 */
export function checkDecoded(value: unknown, input: Uint8Array): number {
  if (value instanceof Uint8Array) {
    if (value.buffer !== input.buffer) throw new Error('a byte field is a copy, not a view on the input');
    return value.length;
  }
  if (typeof value === 'string') return value.length;
  if (typeof value === 'bigint') return value === 0n ? 0 : Math.ceil(value.toString(16).length / 2);
  if (Array.isArray(value)) {
    if (value.length > input.length) throw new Error(`an array of ${value.length} items from ${input.length} bytes`);
    return value.reduce((n: number, v) => n + checkDecoded(v, input), 0);
  }
  if (typeof value === 'object' && value !== null) {
    // A case's `type` repeats the key field it was chosen by (or a key the caller gave): not counted.
    return Object.entries(value).reduce((n: number, [k, v]) => (k === 'type' ? n : n + checkDecoded(v, input)), 0);
  }
  return 0;
}
