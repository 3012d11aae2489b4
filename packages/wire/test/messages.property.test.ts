/**
 * Round trips, derived from the declarations: every exported message schema and second-level
 * table (decode(encode(x)) equals x, re-encoding is byte-exact, size() is exact), and every data
 * type through the Writer and Reader.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MSG, Reader, Writer, bytesToMpint, isCanonicalMpint, mpintToBytes, W } from '../src/index.ts';
import {
  arbBytes,
  arbFields,
  arbLatin1,
  arbMpint,
  arbNameList,
  arbTableBody,
  arbU32,
  arbU64,
  arbUtf8,
  checkDecoded,
  declaredMessages,
  declaredTables,
} from './helpers/arbitraries.ts';

const RUNS = { numRuns: 150 };

describe('every declared message round-trips', () => {
  const messages = declaredMessages();
  it('finds the declarations', () => {
    expect(messages.length).toBe(Object.keys(MSG).length);
  });
  for (const m of messages) {
    it(`${m.name} (${m.number})`, () => {
      fc.assert(
        fc.property(arbFields(m.fields), (msg) => {
          const bytes = m.encode(msg as never);
          expect(bytes.length).toBe(m.size(msg as never));
          expect(bytes.byteLength).toBe(bytes.buffer.byteLength); // one exact allocation
          expect(bytes[0]).toBe(m.number);
          const back = m.decode(bytes);
          expect(back).toEqual(msg);
          checkDecoded(back, bytes);
          expect(m.encode(back as never)).toEqual(bytes);
        }),
        RUNS,
      );
    });
  }
});

describe('every second-level table round-trips', () => {
  for (const t of declaredTables()) {
    it(t.label, () => {
      fc.assert(
        fc.property(arbTableBody(t), ({ key, body }) => {
          if (body instanceof Uint8Array) {
            expect(t.decode(key, body)).toBe(body);
            return;
          }
          const bytes = t.encode(body as never);
          const back = t.decode(key, bytes);
          expect(back).toEqual(body);
          checkDecoded(back, bytes);
        }),
        RUNS,
      );
    });
  }
});

describe('data types round-trip through Writer and Reader', () => {
  it('every type, in any sequence', () => {
    type Op = { kind: 'u8' | 'bool' | 'u32' | 'u64' | 'mpint' | 'bytes' | 'utf8' | 'latin1' | 'nameList'; value: unknown };
    const op = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((value): Op => ({ kind: 'u8', value })),
      fc.boolean().map((value): Op => ({ kind: 'bool', value })),
      arbU32.map((value): Op => ({ kind: 'u32', value })),
      arbU64.map((value): Op => ({ kind: 'u64', value })),
      arbMpint.map((value): Op => ({ kind: 'mpint', value })),
      arbBytes.map((value): Op => ({ kind: 'bytes', value })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((value): Op => ({ kind: 'utf8', value })),
      arbLatin1.map((value): Op => ({ kind: 'latin1', value })),
      arbNameList.map((value): Op => ({ kind: 'nameList', value })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
        const w = new Writer(capacity);
        for (const o of ops) (w[o.kind] as (v: unknown) => Writer).call(w, o.value);
        const bytes = w.finish();
        const r = new Reader(bytes);
        for (const o of ops) expect((r[o.kind] as () => unknown).call(r)).toEqual(o.value);
        r.end();
      }),
      { numRuns: 300 },
    );
  });

  it('mpint: minimal encoding, both signs, canonical', () => {
    fc.assert(
      fc.property(arbMpint, (v) => {
        const b = mpintToBytes(v);
        expect(isCanonicalMpint(b)).toBe(true);
        expect(bytesToMpint(b)).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('utf8Length matches TextEncoder, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 10 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b, c) => {
        const s = a + b + c + '\ud800' + 'x\udc00';
        expect(W.utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      }),
    );
  });

  it('utf8 strings of any length round-trip', () => {
    fc.assert(
      fc.property(arbUtf8, fc.string({ unit: 'binary', minLength: 60, maxLength: 300 }), (a, b) => {
        const bytes = new Writer(1).utf8(a).utf8(b).finish();
        const r = new Reader(bytes);
        expect([r.utf8(), r.utf8()]).toEqual([a, b]);
      }),
    );
  });
});
