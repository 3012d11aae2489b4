/** RFC 4251 §5 examples and other fixed vectors of the data types, and canonical-form checks. */
import { describe, expect, it } from 'vitest';
import { Reader, WireError, Writer, bigintToUnsignedBytes, bytesToMpint, isCanonicalMpint, mpintByteLength, mpintToBytes, unsignedBytesToBigint } from '../src/index.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => Number.parseInt(b, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('RFC 4251 §5 mpint examples', () => {
  const examples: [bigint, string][] = [
    [0n, '00 00 00 00'],
    [0x9a378f9b2e332a7n, '00 00 00 08 09 a3 78 f9 b2 e3 32 a7'],
    [0x80n, '00 00 00 02 00 80'],
    [-0x1234n, '00 00 00 02 ed cc'],
    [-0xdeadbeefn, '00 00 00 05 ff 21 52 41 11'],
  ];
  for (const [value, encoding] of examples) {
    it(`${value < 0n ? '-' : ''}${(value < 0n ? -value : value).toString(16)}`, () => {
      expect(toHex(new Writer(1).mpint(value).finish())).toBe(encoding);
      expect(new Reader(hex(encoding)).mpint()).toBe(value);
      expect(mpintByteLength(value)).toBe(hex(encoding).length - 4);
    });
  }

  it('more boundaries: 0x7f, -0x80, -0x81, 0xff, -1, 2^64', () => {
    const cases: [bigint, string][] = [
      [0x7fn, '7f'],
      [-0x80n, '80'],
      [-0x81n, 'ff 7f'],
      [0xffn, '00 ff'],
      [-1n, 'ff'],
      [1n << 64n, '01 00 00 00 00 00 00 00 00'],
    ];
    for (const [v, body] of cases) {
      expect(toHex(mpintToBytes(v))).toBe(body);
      expect(bytesToMpint(hex(body))).toBe(v);
    }
  });

  it('rejects non-canonical encodings', () => {
    for (const body of ['00', '00 7f', 'ff 80', '00 00 80', 'ff ff 01']) {
      const bytes = hex(body);
      expect(isCanonicalMpint(bytes)).toBe(false);
      const framed = new Writer(1).bytes(bytes).finish();
      expect(thrown(() => new Reader(framed).mpint('e'))).toMatchObject({ reason: 'non-canonical', field: 'e', offset: 0 });
    }
    for (const body of ['', '01', '7f', '80', '00 80', 'ff 7f']) expect(isCanonicalMpint(hex(body))).toBe(true);
  });

  it('unsigned big-endian helpers', () => {
    expect(toHex(bigintToUnsignedBytes(0x0102n, 4))).toBe('00 00 01 02');
    expect(unsignedBytesToBigint(hex('ff ff'))).toBe(0xffffn);
    expect(bigintToUnsignedBytes(0n).length).toBe(0);
  });
});

describe('RFC 4251 §5 other examples', () => {
  it('uint32 699921578 is 29 b7 f4 aa', () => {
    expect(toHex(new Writer(4).u32(699921578).finish())).toBe('29 b7 f4 aa');
    expect(new Reader(hex('29 b7 f4 aa')).u32()).toBe(699921578);
  });
  it('uint64 big-endian', () => {
    expect(toHex(new Writer(8).u64(0x0102030405060708n).finish())).toBe('01 02 03 04 05 06 07 08');
    expect(new Reader(hex('ff ff ff ff ff ff ff ff')).u64()).toBe(0xffff_ffff_ffff_ffffn);
  });
  it('string "testing"', () => {
    expect(toHex(new Writer(1).utf8('testing').finish())).toBe('00 00 00 07 74 65 73 74 69 6e 67');
  });
  it('name-lists (), ("zlib"), ("zlib", "none")', () => {
    expect(toHex(new Writer(1).nameList([]).finish())).toBe('00 00 00 00');
    expect(toHex(new Writer(1).nameList(['zlib']).finish())).toBe('00 00 00 04 7a 6c 69 62');
    expect(toHex(new Writer(1).nameList(['zlib', 'none']).finish())).toBe('00 00 00 09 7a 6c 69 62 2c 6e 6f 6e 65');
    expect(new Reader(hex('00 00 00 09 7a 6c 69 62 2c 6e 6f 6e 65')).nameList()).toEqual(['zlib', 'none']);
    expect(new Reader(hex('00 00 00 00')).nameList()).toEqual([]);
  });
  it('boolean is one byte, 0 or 1', () => {
    expect(toHex(new Writer(1).bool(true).bool(false).finish())).toBe('01 00');
  });
  it('UTF-8 text, multi-byte and astral', () => {
    const s = 'é€😀';
    const bytes = new Writer(1).utf8(s).finish();
    expect(toHex(bytes)).toBe('00 00 00 09 c3 a9 e2 82 ac f0 9f 98 80');
    expect(new Reader(bytes).utf8()).toBe(s);
  });
  it('latin1 keeps every byte', () => {
    const bytes = new Writer(1).latin1('a\u00ff\u0000').finish();
    expect(toHex(bytes)).toBe('00 00 00 03 61 ff 00');
    expect(new Reader(bytes).latin1()).toBe('a\u00ff\u0000');
  });
});

describe('Writer refuses values it cannot encode', () => {
  it('out-of-range integers and names', () => {
    expect(() => new Writer().u8(256)).toThrow(RangeError);
    expect(() => new Writer().u32(-1)).toThrow(RangeError);
    expect(() => new Writer().u32(2 ** 32)).toThrow(RangeError);
    expect(() => new Writer().u64(1n << 64n)).toThrow(RangeError);
    expect(() => new Writer().nameList(['a,b'])).toThrow(RangeError);
    expect(() => new Writer().nameList([''])).toThrow(RangeError);
    expect(() => new Writer().nameList(['é'])).toThrow(RangeError);
    expect(() => new Writer().latin1('€')).toThrow(RangeError);
  });
  it('grows from a tiny capacity without losing bytes', () => {
    const w = new Writer(1);
    for (let i = 0; i < 1000; i++) w.u32(i);
    const r = new Reader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.u32()).toBe(i);
  });
  it('nested() backfills the length', () => {
    const bytes = new Writer(1).nested((w) => w.u8(1).u8(2)).finish();
    expect(toHex(bytes)).toBe('00 00 00 02 01 02');
  });
});

describe('Reader.nested', () => {
  it('reports offsets relative to the whole input', () => {
    const bytes = hex('00 00 00 00 00 00 00 03 00 00 01');
    const r = new Reader(bytes, { baseOffset: 100 });
    r.u32();
    const sub = r.nested('inner');
    const e = thrown(() => sub.u32('x'));
    expect(e).toBeInstanceOf(WireError);
    expect(e).toMatchObject({ offset: 108, field: 'x', reason: 'truncated' });
  });
});
