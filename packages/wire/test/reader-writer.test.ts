/** Reader/Writer round trips of the RFC 4251 §5 data types. */
import { describe, expect, it } from 'vitest';
import { Reader, WireError, Writer } from '../src/index.ts';

describe('Writer and Reader', () => {
  it('round-trip every data type', () => {
    const bytes = new Writer(16)
      .u8(7)
      .bool(true)
      .u32(0xdeadbeef)
      .u64(0x0123456789abcdefn)
      .utf8('héllo')
      .mpint(-1234567890123456789n)
      .nameList(['a', 'b-c@d'])
      .finish();
    const r = new Reader(bytes);
    expect(r.u8()).toBe(7);
    expect(r.bool()).toBe(true);
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.u64()).toBe(0x0123456789abcdefn);
    expect(r.utf8()).toBe('héllo');
    expect(r.mpint()).toBe(-1234567890123456789n);
    expect(r.nameList()).toEqual(['a', 'b-c@d']);
    r.end();
  });

  it('refuses a string length beyond what remains, naming the field and offset', () => {
    const r = new Reader(Uint8Array.of(0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0xff));
    r.u32('pad');
    r.u8('x');
    const err = (() => {
      try {
        r.bytes('payload');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WireError);
    expect(err).toMatchObject({ field: 'payload', offset: 5, reason: 'too-long' });
  });
});
