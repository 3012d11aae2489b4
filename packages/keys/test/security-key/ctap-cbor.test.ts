/**
 * CTAP2 CBOR: RFC 8949 Appendix A examples (the subset CTAP2 allows), the CTAP2 canonical key
 * order (CTAP 2.1 §8, RFC 7049 §3.9's example), and hostile input: truncation, lengths beyond the
 * input, deep nesting, forbidden items, wrong types. Every failure is a WireError.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WireError } from '@ssh/wire';
import {
  type CborMap,
  type CborValue,
  CborSimple,
  asArray,
  asBool,
  asBytes,
  asInt,
  asMap,
  asText,
  decodeCbor,
  decodeCborPrefix,
  encodeCbor,
  need,
} from '../../src/node/security-key/ctap/cbor.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// RFC 8949 Appendix A: [diagnostic value, encoding].
const RFC8949: [CborValue, string][] = [
  [0, '00'],
  [1, '01'],
  [10, '0a'],
  [23, '17'],
  [24, '1818'],
  [25, '1819'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [18446744073709551615n, '1bffffffffffffffff'],
  [-18446744073709551616n, '3bffffffffffffffff'],
  [-1, '20'],
  [-10, '29'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [undefined, 'f7'],
  [new CborSimple(16), 'f0'],
  [new CborSimple(255), 'f8ff'],
  [new Uint8Array(0), '40'],
  [hex('01020304'), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['"\\', '62225c'],
  ['\u00fc', '62c3bc'],
  ['\u6c34', '63e6b0b4'],
  ['\u{10151}', '64f0908591'],
  [[], '80'],
  [[1, 2, 3], '83010203'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [new Map(), 'a0'],
  [
    new Map([
      [1, 2],
      [3, 4],
    ]),
    'a201020304',
  ],
  [
    new Map<string, CborValue>([
      ['a', 1],
      ['b', [2, 3]],
    ]),
    'a26161016162820203',
  ],
  [['a', new Map([['b', 'c']])], '826161a161626163'],
];

describe('RFC 8949 Appendix A', () => {
  test.each(RFC8949.map(([v, h]) => [h, v] as const))('%s', (encoding, value) => {
    expect(toHex(encodeCbor(value))).toBe(encoding);
    expect(decodeCbor(hex(encoding), { canonical: true })).toEqual(value);
  });
});

describe('CTAP2 canonical map order', () => {
  test('major type, then length, then bytes (RFC 7049 §3.9 example keys)', () => {
    // 10, 100, -1, "z", "aa": inserted backwards, encoded in order.
    const map: CborMap = new Map<string | number, CborValue>([
      ['aa', 5],
      ['z', 4],
      [-1, 3],
      [100, 2],
      [10, 1],
    ]);
    expect(toHex(encodeCbor(map))).toBe('a5' + '0a01' + '186402' + '2003' + '617a04' + '62616105');
  });

  test('integer keys before text keys even when longer (CTAP orders by major type first)', () => {
    const map: CborMap = new Map<string | number, CborValue>([
      ['a', 1],
      [1000, 2],
    ]);
    expect(toHex(encodeCbor(map))).toBe('a2' + '1903e802' + '616101');
  });

  test('the canonical decoder refuses unsorted keys and long-form numbers; the lenient one reads them', () => {
    for (const bad of ['a2616101' + '0102', '1817', '190017', 'a1' + '1801' + '01', '5800']) {
      expect(() => decodeCbor(hex(bad), { canonical: true })).toThrow(WireError);
      expect(() => decodeCbor(hex(bad))).not.toThrow();
    }
  });

  test('round trip: decode(encode(x)) = x, and the encoding is canonical', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
      fc.string(),
      fc.uint8Array({ maxLength: 40 }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 4 })), tie('v')), { maxLength: 4, selector: (e) => e[0] }).map((e) => new Map(e)),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const encoded = encodeCbor(v);
        expect(decodeCbor(encoded, { canonical: true })).toEqual(v);
      }),
    );
  });
});

describe('hostile input', () => {
  const bad: [string, string, string][] = [
    ['empty', '', 'truncated'],
    ['truncated head', '19 03', 'truncated'],
    ['truncated byte string', '44 0102', 'too-long'],
    ['array count beyond the input', '83 0102', 'too-long'],
    ['truncated array element', '82 01 19', 'truncated'],
    ['byte string longer than the input', '5a ffffffff 00', 'too-long'],
    ['64-bit length', '5b 0000000100000000', 'too-long'],
    ['array count beyond the input', '9a 7fffffff', 'too-long'],
    ['map count beyond the input', 'bb 0000000000000fff', 'too-long'],
    ['indefinite byte string', '5f 4101 ff', 'invalid-value'],
    ['indefinite array', '9f 01 ff', 'invalid-value'],
    ['indefinite map', 'bf 01 02 ff', 'invalid-value'],
    ['break', 'ff', 'invalid-value'],
    ['tag', 'c1 1a514b67b0', 'invalid-value'],
    ['half float', 'f9 3c00', 'invalid-value'],
    ['double', 'fb 3ff199999999999a', 'invalid-value'],
    ['reserved additional information', '1c', 'invalid-value'],
    ['simple value in two bytes below 32', 'f8 10', 'invalid-value'],
    ['byte-string map key', 'a1 4101 02', 'invalid-value'],
    ['array map key', 'a1 80 02', 'invalid-value'],
    ['duplicate map key', 'a2 01 02 01 03', 'invalid-value'],
    ['invalid UTF-8', '62 c328', 'invalid-utf8'],
    ['trailing bytes', '01 02', 'trailing-data'],
  ];
  test.each(bad)('%s', (_name, input, reason) => {
    try {
      decodeCbor(hex(input.replaceAll(' ', '')));
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
      expect((err as WireError).reason).toBe(reason);
      return;
    }
    throw new Error('accepted');
  });

  test('nesting is bounded (arrays and maps)', () => {
    const deepArray = hex('81'.repeat(20) + '01');
    expect(() => decodeCbor(deepArray)).toThrow(/nesting deeper than 16/);
    expect(() => decodeCbor(deepArray, { maxDepth: 32 })).not.toThrow();
    const deepMap = hex('a101'.repeat(5) + '01');
    expect(() => decodeCbor(deepMap, { maxDepth: 4 })).toThrow(WireError);
    // Deep enough to overflow the stack if unbounded: still a WireError.
    expect(() => decodeCbor(new Uint8Array(200_000).fill(0x81))).toThrow(WireError);
  });

  test('a huge announced length allocates nothing', () => {
    // 4 GiB claimed in a 9-byte input: refused before any buffer is made.
    expect(() => decodeCbor(hex('5affffffff00000000'))).toThrow(/beyond the/);
  });

  test('random bytes decode or throw WireError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCbor(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('decodeCborPrefix says where the first item ends', () => {
    expect(decodeCborPrefix(hex('a10102ff00'))).toEqual({ value: new Map([[1, 2]]), end: 3 });
  });
});

describe('typed access names the field', () => {
  const map = decodeCbor(hex('a4 01 02 02 6161 03 4101 04 f5'.replaceAll(' ', ''))) as CborMap;
  test('right types', () => {
    expect(asInt(need(map, 1, 'one'), 'one')).toBe(2);
    expect(asText(map.get(2), 'two')).toBe('a');
    expect(asBytes(map.get(3), 'three')).toEqual(hex('01'));
    expect(asBool(map.get(4), 'four')).toBe(true);
    expect(asMap(map, 'map')).toBe(map);
  });
  test.each([
    ['an integer as text', () => asText(map.get(1), 'field-a'), /field-a.*expected a text string, got number/],
    ['text as bytes', () => asBytes(map.get(2), 'field-b'), /field-b.*expected a byte string, got string/],
    ['bytes as an array', () => asArray(map.get(3), 'field-c'), /field-c.*expected an array, got byte string/],
    ['a boolean as a map', () => asMap(map.get(4), 'field-d'), /field-d.*expected a map, got boolean/],
    ['a missing key', () => need(map, 9, 'field-e'), /field-e.*missing/],
  ])('%s', (_name, access, message) => {
    expect(access).toThrow(WireError);
    expect(access).toThrow(message);
  });
});

describe('encoder misuse', () => {
  test.each([
    ['a fraction', 1.5],
    ['an unsafe integer', 2 ** 60],
    ['a bigint beyond 64 bits', 2n ** 64n],
    ['a reserved simple value', new CborSimple(24)],
  ])('%s', (_name, value) => {
    expect(() => encodeCbor(value)).toThrow(TypeError);
  });
});
