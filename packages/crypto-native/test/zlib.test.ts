/**
 * The binding's zlib streams: one stream per direction as SSH compression uses them, zlib's own
 * reading of what they write, limits, failures that stick, arguments refused, and arbitrary bytes
 * fed to inflate (an answer or a failure code, never a crash or more than the limit).
 */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeAesGcm, nativeStatus, nativeZlib, ZLIB_BROKEN, ZLIB_OVER_LIMIT, ZLIB_STREAM_END, type NativeZlib } from '../src/index.ts';

function binding(): NativeZlib {
  const z = nativeZlib();
  if (z === undefined) throw new Error(`native zlib not available: ${nativeStatus().reason}`);
  return z;
}

function ok(result: Uint8Array | number): Uint8Array {
  if (typeof result === 'number') throw new Error(`zlib failed with ${result}`);
  return result;
}

const text = (n: number) => Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(n));

describe('native zlib streams', () => {
  it('payloads deflate into one stream that zlib reads, and inflate back one by one', () => {
    const z = binding();
    const d = z.create(true, 6);
    const i = z.create(false, 0);
    const payloads = [text(100), Buffer.alloc(0), randomBytes(4000), text(3), Buffer.from([7])];
    const wire = payloads.map((p) => ok(z.deflate(d, p)));
    expect(wire[0]?.length).toBeLessThan(200);
    expect(wire[3]?.length).toBeLessThan(20); // refers back to the first payload
    wire.forEach((w, k) => expect(Buffer.from(ok(z.inflate(i, w, 256 * 1024)))).toEqual(payloads[k]));
    expect(inflateSync(Buffer.concat(wire), { finishFlush: constants.Z_SYNC_FLUSH })).toEqual(Buffer.concat(payloads));
  });

  it('inflates a stream zlib deflated with sync flushes, fed in arbitrary pieces', () => {
    const z = binding();
    const whole = deflateSync(Buffer.concat([text(50), randomBytes(5000)]), { finishFlush: constants.Z_SYNC_FLUSH });
    const i = z.create(false, 0);
    const cuts = [0, 1, 2, 90, 91, 3000, whole.length];
    const out = cuts.slice(1).map((end, k) => Buffer.from(ok(z.inflate(i, whole.subarray(cuts[k], end), 256 * 1024))));
    expect(Buffer.concat(out)).toEqual(inflateSync(whole, { finishFlush: constants.Z_SYNC_FLUSH }));
  });

  it('stops at the limit: exactly the limit passes, one byte more fails and the stream stays failed', () => {
    const z = binding();
    const d = z.create(true, 9);
    const i = z.create(false, 0);
    expect(ok(z.inflate(i, ok(z.deflate(d, Buffer.alloc(5000))), 5000)).length).toBe(5000);
    expect(z.inflate(i, ok(z.deflate(d, Buffer.alloc(5001))), 5000)).toBe(ZLIB_OVER_LIMIT);
    expect(z.inflate(i, ok(z.deflate(d, Buffer.alloc(1))), 5000)).toBe(ZLIB_BROKEN);
  });

  it('a stream that ends, or corrupt data, fails with a code', () => {
    const z = binding();
    expect(z.inflate(z.create(false, 0), deflateSync(Buffer.from('finished')), 1000)).toBe(ZLIB_STREAM_END);
    const corrupt = z.inflate(z.create(false, 0), Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff, 0xff]), 1000);
    expect(corrupt).toBe(constants.Z_DATA_ERROR);
  });

  it('large payloads grow the output buffer and still come back whole', () => {
    const z = binding();
    const d = z.create(true, 1);
    const i = z.create(false, 0);
    for (const p of [randomBytes(3 * 1024 * 1024), Buffer.alloc(8 * 1024 * 1024, 1), randomBytes(10)]) {
      const back = ok(z.inflate(i, ok(z.deflate(d, p)), 16 * 1024 * 1024));
      expect(Buffer.compare(back, p)).toBe(0); // (toEqual walks megabytes element by element)
    }
  });

  it('refuses wrong arguments with a RangeError: other objects, the wrong direction, limits, levels', () => {
    const z = binding();
    const d = z.create(true, 6);
    const i = z.create(false, 0);
    const gcm = nativeAesGcm()?.create(new Uint8Array(16), new Uint8Array(12), true);
    expect(() => z.deflate(i, Buffer.from('x'))).toThrow(RangeError);
    expect(() => z.inflate(d, Buffer.from('x'), 10)).toThrow(RangeError);
    expect(() => z.deflate(gcm as never, Buffer.from('x'))).toThrow(RangeError);
    expect(() => z.deflate({} as never, Buffer.from('x'))).toThrow(RangeError);
    expect(() => z.deflate(d, 'x' as never)).toThrow(RangeError);
    expect(() => z.deflate(d, new Uint16Array(2) as never)).toThrow(RangeError);
    for (const limit of [0, -1, 1.5, 64 * 1024 * 1024 + 1, Number.NaN]) expect(() => z.inflate(i, Buffer.from('x'), limit)).toThrow(RangeError);
    for (const level of [-2, 10, 0.5]) expect(() => z.create(true, level)).toThrow(RangeError);
    // The refusals left both streams working.
    expect(Buffer.from(ok(z.inflate(i, ok(z.deflate(d, text(2))), 1000)))).toEqual(text(2));
  });

  it('arbitrary bytes after a valid start: a buffer within the limit or a failure code, never more', () => {
    const z = binding();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 4096 }), fc.boolean(), (junk, limit, withHeader) => {
        const i = z.create(false, 0);
        const out = z.inflate(i, withHeader ? Buffer.concat([Buffer.from([0x78, 0x9c]), junk]) : junk, limit);
        if (typeof out === 'number') {
          expect(out).toBeLessThan(0);
          expect(z.inflate(i, Buffer.from([0]), limit)).toBe(ZLIB_BROKEN);
        } else expect(out.length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 2000 },
    );
  });
});
