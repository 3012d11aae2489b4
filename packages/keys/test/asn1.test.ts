import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Asn1Error, KeyExportError } from '../src/index.ts';
import { DerReader, derBitString, derInteger, derOctetString, derOid, derSequence, derNull, derExplicit, contextTag } from '../src/asn1.ts';
import { fromHex, toHex } from '../src/internal/bytes.ts';

describe('DER writer (X.690 examples)', () => {
  test('INTEGER', () => {
    expect(toHex(derInteger(0))).toBe('020100');
    expect(toHex(derInteger(127))).toBe('02017f');
    expect(toHex(derInteger(128))).toBe('02020080');
    expect(toHex(derInteger(256))).toBe('02020100');
    expect(toHex(derInteger(-128))).toBe('020180');
    expect(toHex(derInteger(-129))).toBe('0202ff7f');
  });

  test('OID, NULL, long lengths', () => {
    expect(toHex(derOid('1.2.840.113549.1.1.1'))).toBe('06092a864886f70d010101');
    expect(toHex(derOid('1.3.101.112'))).toBe('06032b6570');
    expect(toHex(derNull())).toBe('0500');
    expect(toHex(derOctetString(new Uint8Array(200))).slice(0, 6)).toBe('0481c8');
    expect(toHex(derOctetString(new Uint8Array(300))).slice(0, 8)).toBe('0482012c');
  });

  test('round trips', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 600n), max: 1n << 600n }), fc.uint8Array({ maxLength: 300 }), (n, bytes) => {
        const der = derSequence(derInteger(n), derOctetString(bytes), derBitString(bytes), derExplicit(3, derNull()));
        const r = new DerReader(der).sequence();
        expect(r.integer()).toBe(n);
        expect(r.octetString()).toEqual(bytes);
        expect(r.bitString()).toEqual(bytes);
        expect(r.peekTag()).toBe(contextTag(3));
        DerReader.of(r.element()).null();
        r.end();
      }),
      { numRuns: 200 },
    );
  });

  test('OID round trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 8 }), (a, b, rest) => {
        const oid = [a, b, ...rest].join('.');
        expect(new DerReader(derOid(oid)).oid()).toBe(oid);
      }),
    );
  });
});

describe('DER OBJECT IDENTIFIER writer takes only OIDs it can write exactly', () => {
  test('arcs past what a number holds exactly, or past what the reader takes, are refused, not rounded', () => {
    // 2^53 + 1 is not a JavaScript number: Number() made it 2^53, a different OID.
    expect(() => derOid('1.2.9007199254740993')).toThrow(KeyExportError);
    expect(() => derOid(`1.2.${Math.floor(Number.MAX_SAFE_INTEGER / 128) + 1}`)).toThrow(KeyExportError);
    const largest = `1.2.${Math.floor(Number.MAX_SAFE_INTEGER / 128)}`;
    expect(new DerReader(derOid(largest)).oid()).toBe(largest);
    expect(new DerReader(derOid('2.999.3')).oid()).toBe('2.999.3');
  });

  test('hundreds of digits (Infinity as a number) are refused at once, not a loop without end', () => {
    expect(() => derOid(`1.2.${'9'.repeat(400)}`)).toThrow(KeyExportError);
  });

  test('what is not a dotted OID is refused, not written as 0s', () => {
    for (const bad of ['', '1', '3.1', '1.40', '0.40.1', '1.2.', '.1.2', '1..2', '1.2.0x10', '1.2.1e3', '1.2.-1', '1.2. 3', '1.02', 'a.b']) {
      expect(() => derOid(bad), JSON.stringify(bad)).toThrow(KeyExportError);
    }
    expect(() => derOid(`1.2${'.1'.repeat(64)}`)).toThrow(KeyExportError);
  });
});

describe('DER reader rejects malformed input', () => {
  const bad: [string, string][] = [
    ['', 'empty'],
    ['30', 'missing length'],
    ['3005', 'length beyond data'],
    ['3080', 'indefinite length'],
    ['308105' + '00'.repeat(5), 'non-minimal long length'],
    ['3085ffffffffff', 'length field too large'],
    ['3084ffffffff', 'huge length'],
    ['1f00', 'multi-byte tag'],
  ];
  test.each(bad)('%s (%s)', (hex) => {
    expect(() => new DerReader(fromHex(hex) as Uint8Array).element()).toThrow(Asn1Error);
  });

  test('typed value errors', () => {
    expect(() => new DerReader(fromHex('0200') as Uint8Array).integer()).toThrow(Asn1Error);
    expect(() => new DerReader(fromHex('02020001') as Uint8Array).integer()).toThrow(/non-minimal/);
    expect(() => new DerReader(fromHex('0201ff') as Uint8Array).unsigned()).toThrow(/negative/);
    expect(() => new DerReader(fromHex('030101') as Uint8Array).bitString()).toThrow(Asn1Error);
    expect(() => new DerReader(fromHex('0600') as Uint8Array).oid()).toThrow(Asn1Error);
    expect(() => new DerReader(fromHex('060188') as Uint8Array).oid()).toThrow(Asn1Error);
    expect(() => new DerReader(fromHex('050101') as Uint8Array).null()).toThrow(Asn1Error);
    expect(() => new DerReader(fromHex('0400') as Uint8Array).integer()).toThrow(/expected INTEGER/);
    const e = (() => {
      try {
        new DerReader(fromHex('3003020100' + '05') as Uint8Array).sequence().end();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(Asn1Error);
  });

  test('deep nesting is bounded', () => {
    let der: Uint8Array = derNull();
    for (let i = 0; i < 100; i++) der = derSequence(der);
    let r = new DerReader(der);
    expect(() => {
      for (;;) r = r.sequence();
    }).toThrow(Asn1Error);
  });

  test('random bytes: only Asn1Error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const r = new DerReader(bytes);
          while (!r.atEnd) {
            const el = r.element();
            if (el.tag === 0x30) DerReader.of(el).element();
            if (el.tag === 0x02) new DerReader(el.raw).integer();
            if (el.tag === 0x06) new DerReader(el.raw).oid();
          }
        } catch (e) {
          expect(e).toBeInstanceOf(Asn1Error);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
