/**
 * Hostile input, time-boxed: decoding random bytes and mutated valid encodings of every declared
 * message returns or throws a WireError (never another error, never a hang), byte fields are views
 * on the input, decoded values are no larger than the input, and lengths that claim up to 4 GiB
 * fail at once with 'too-long'.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MessageSchema, type MessageTable, WireError, genericMessages, methodMessageTables } from '../src/index.ts';
import { arbFields, checkDecoded, declaredMessages, declaredTables } from './helpers/arbitraries.ts';

const TIME_BOX = { interruptAfterTimeLimit: 1500, markInterruptAsFailure: false, numRuns: 4000 };
const messages = declaredMessages();
const tables: readonly MessageTable[] = [genericMessages, ...methodMessageTables];

/** Decodes, expecting success or a WireError; checks what came out against the input. */
function probe(decode: (b: Uint8Array) => unknown, input: Uint8Array): 'ok' | WireError {
  let out: unknown;
  try {
    out = decode(input);
  } catch (e) {
    if (!(e instanceof WireError)) throw new Error(`decode threw ${String(e)}`, { cause: e });
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(input.length);
    expect(e.field.length).toBeGreaterThan(0);
    return e;
  }
  expect(checkDecoded(out, input)).toBeLessThanOrEqual(input.length);
  return 'ok';
}

/** Random bytes, sometimes inside a larger buffer (so views must respect byteOffset). */
const arbInput = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 300 })).map(([pad, body]) => {
    const buf = new Uint8Array(pad.length + body.length);
    buf.set(pad);
    buf.set(body, pad.length);
    return buf.subarray(pad.length);
  }),
);

describe('random bytes', () => {
  it('through every dispatch table', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        for (const t of tables) probe((b) => t.decode(b).message, input);
      }),
      TIME_BOX,
    );
  });

  it('after the right message number, for every message', () => {
    fc.assert(
      fc.property(fc.constantFrom(...messages), arbInput, (m, body) => {
        const input = Uint8Array.of(m.number, ...body);
        probe((b) => m.decode(b), input);
        probe((b) => m.decode(b, { maxStringLength: 16 }), input);
      }),
      TIME_BOX,
    );
  });

  it('through every second-level table', () => {
    const all = declaredTables();
    fc.assert(
      fc.property(fc.constantFrom(...all), arbInput, (t, input) => {
        for (const key of Object.keys(t.cases)) probe((b) => t.decode(key, b), input);
      }),
      TIME_BOX,
    );
  });
});

type Mutation = { at: number; kind: 'set' | 'cut' | 'insert' | 'len'; value: number; extra: Uint8Array };
const arbMutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('set', 'cut', 'insert', 'len'),
  value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xffff_ffff, 0x8000_0000, 0x7fff_ffff, 0x1_0000, 0)),
  extra: fc.uint8Array({ minLength: 1, maxLength: 6 }),
});

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'set':
        if (b.length > 0) b[at] = m.value & 0xff;
        break;
      case 'cut':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = Uint8Array.of(...b.subarray(0, at), ...m.extra, ...b.subarray(at));
        break;
      case 'len':
        // Overwrite a 4-byte window with a length claim (up to 4 GiB).
        if (b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4), m.value >>> 0);
        break;
    }
  }
  return b;
}

describe('mutated valid encodings', () => {
  const arbMutated = fc.constantFrom(...messages).chain((m) =>
    fc.tuple(fc.constant(m as MessageSchema), arbFields(m.fields), fc.array(arbMutation, { minLength: 1, maxLength: 4 })),
  );
  it('decode or fail with a WireError, for every message', () => {
    fc.assert(
      fc.property(arbMutated, ([m, msg, mutations]) => {
        const input = mutate(m.encode(msg as never), mutations);
        probe((b) => m.decode(b), input);
        probe((b) => genericMessages.decode(b).message, input);
      }),
      TIME_BOX,
    );
  });
});

describe('length claims up to 4 GiB', () => {
  const lengthFirst = messages.filter((m) => {
    const first = m.entries[0]?.codec.kind;
    return first === 'bytes' || first === 'utf8' || first === 'latin1' || first === 'nameList' || first === 'mpint' || first === 'list';
  });
  it('fail at once with too-long, before touching the claimed bytes', () => {
    expect(lengthFirst.length).toBeGreaterThan(20);
    for (const claim of [0xffff_ffff, 0x8000_0000, 0x1000_0000, 0x100]) {
      for (const m of lengthFirst) {
        const input = new Uint8Array(64);
        input[0] = m.number;
        new DataView(input.buffer).setUint32(1, claim);
        const e = probe((b) => m.decode(b), input);
        expect(e, m.name).toBeInstanceOf(WireError);
        expect((e as WireError).reason, m.name).toBe('too-long');
        expect((e as WireError).offset).toBe(1);
      }
    }
  });

  it('anywhere in a valid encoding', () => {
    for (const m of messages) {
      fc.assert(
        fc.property(arbFields(m.fields), (msg) => {
          const bytes = m.encode(msg as never);
          for (let at = 1; at + 4 <= bytes.length; at++) {
            const b = bytes.slice();
            new DataView(b.buffer).setUint32(at, 0xffff_ffff);
            probe((x) => m.decode(x), b);
          }
        }),
        { numRuns: 5 },
      );
    }
  });
});
