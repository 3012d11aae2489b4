/**
 * WRITE packets built in the free bytes before their data (uploads read each block into its
 * packet): the same bytes as the copying encoder, the data not copied, and the copying encoder
 * used when there is not room enough.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WRITE_HEADROOM, decodeResponse, encodeRequest, encodeResponse } from '../src/index.ts';
import { dataBuffer } from '../src/packets.ts';

describe('WRITE with headroom', () => {
  it('encodes the same bytes as the copying encoder, as a view of the data buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 256 }),
        fc.uint8Array({ minLength: 0, maxLength: 4096 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 3, max: 6 }),
        (handle, bytes, offset, id, version) => {
          const buffer = new Uint8Array(WRITE_HEADROOM + bytes.length);
          buffer.set(bytes, WRITE_HEADROOM);
          const data = buffer.subarray(WRITE_HEADROOM);
          const copied = encodeRequest({ kind: 'write', id, handle, offset, data }, version);
          const inPlace = encodeRequest({ kind: 'write', id, handle, offset, data, headroom: true }, version);
          expect(inPlace).toEqual(copied);
          expect(inPlace.buffer).toBe(buffer.buffer);
          expect(copied.buffer).not.toBe(buffer.buffer);
        },
      ),
    );
  });

  it('copies when the headroom is too small for the header', () => {
    const handle = new Uint8Array(40).fill(7);
    const buffer = new Uint8Array(20 + 100).fill(1);
    const data = buffer.subarray(20);
    const packet = encodeRequest({ kind: 'write', id: 9, handle, offset: 5, data, headroom: true }, 3);
    expect(packet.buffer).not.toBe(buffer.buffer);
    expect(packet).toEqual(encodeRequest({ kind: 'write', id: 9, handle, offset: 5, data }, 3));
    // The bytes before the data were left alone.
    expect([...buffer.subarray(0, 20)].every((b) => b === 1)).toBe(true);
  });
});

describe('DATA replies around a dataBuffer()', () => {
  it('encode the same bytes as the copying encoder, without copying the data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat({ max: 4096 }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 3, max: 6 }), (bytes, cut, id, version) => {
        const buf = dataBuffer(bytes.length);
        buf.set(bytes);
        const data = buf.subarray(0, Math.min(cut, bytes.length));
        const expected = encodeResponse({ kind: 'data', id, data: Uint8Array.from(data) }, version);
        const packet = encodeResponse({ kind: 'data', id, data }, version);
        expect(packet).toEqual(expected);
        expect(packet.buffer).toBe(buf.buffer);
        expect(decodeResponse(packet.subarray(4), version)).toEqual({ kind: 'data', id, data: Uint8Array.from(data) });
      }),
    );
  });

  it('copies a v6 reply that carries the end-of-file flag after the data, and any other buffer', () => {
    const buf = dataBuffer(10).fill(3);
    const v6 = encodeResponse({ kind: 'data', id: 1, data: buf, eof: true }, 6);
    expect(v6.buffer).not.toBe(buf.buffer);
    expect(decodeResponse(v6.subarray(4), 6)).toMatchObject({ kind: 'data', id: 1, eof: true });
    const plain = new Uint8Array(64).subarray(20);
    expect(encodeResponse({ kind: 'data', id: 2, data: plain }, 3).buffer).not.toBe(plain.buffer);
  });
});
