/** Packet framing (filexfer-02 §3): any chunking, limits refused before buffering. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireError } from '@ssh/wire';
import { PacketFramer } from '../src/index.ts';

function frame(payloads: Uint8Array[]): Uint8Array {
  const total = payloads.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const p of payloads) {
    dv.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

describe('PacketFramer', () => {
  it('returns the same payloads however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (payloads, cuts) => {
        const bytes = frame(payloads);
        const f = new PacketFramer(1000);
        const got: Uint8Array[] = [];
        let at = 0;
        let i = 0;
        while (at < bytes.length) {
          const n = cuts[i++ % cuts.length] as number;
          got.push(...f.push(bytes.subarray(at, at + n)).map((p) => p.slice()));
          at += n;
        }
        expect(got).toEqual(payloads);
        expect(f.idle).toBe(true);
      }),
    );
  });

  it('with transient chunks, returns payloads that survive the chunks being overwritten', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1 }), (payloads, cuts) => {
        const bytes = frame(payloads);
        const f = new PacketFramer(1000, undefined, true);
        const got: Uint8Array[] = [];
        let at = 0;
        let i = 0;
        while (at < bytes.length) {
          const n = cuts[i++ % cuts.length] as number;
          const chunk = bytes.slice(at, at + n);
          got.push(...f.push(chunk));
          chunk.fill(0xee); // the chunk's memory is reused once push() returned
          at += n;
        }
        expect(got).toEqual(payloads);
      }),
    );
  });

  it('refuses a length above the limit as soon as the length arrives', () => {
    const f = new PacketFramer(1000);
    expect(f.push(Uint8Array.of(0, 0))).toEqual([]);
    let err: unknown;
    try {
      f.push(Uint8Array.of(0x7f, 0xff));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    expect(err).toMatchObject({ reason: 'too-long', field: 'packet-length', offset: 0 });
    // The stream cannot be resynchronised: later input fails the same way.
    expect(() => f.push(Uint8Array.of(1))).toThrow(WireError);
  });

  it('refuses a 4 GiB length in one chunk without allocating', () => {
    const f = new PacketFramer(1 << 20);
    expect(() => f.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3))).toThrow(/exceeds the limit/);
  });

  it('refuses an empty packet', () => {
    expect(() => new PacketFramer(100).push(Uint8Array.of(0, 0, 0, 0))).toThrow(WireError);
  });

  it('reports a partial packet as not idle', () => {
    const f = new PacketFramer(100);
    f.push(Uint8Array.of(0, 0, 0, 5, 1, 2));
    expect(f.idle).toBe(false);
    expect(f.push(Uint8Array.of(3, 4, 5))).toEqual([Uint8Array.of(1, 2, 3, 4, 5)]);
    expect(f.idle).toBe(true);
  });
});

describe('PacketFramer errors after whole packets', () => {
  it('returns the packets before a bad length and reports the error afterwards', () => {
    const f = new PacketFramer(100);
    const got = f.push(Uint8Array.of(0, 0, 0, 1, 7, 0, 0, 1, 0));
    expect(got).toEqual([Uint8Array.of(7)]);
    expect(f.error).toBeInstanceOf(WireError);
    expect(() => f.push(Uint8Array.of(0))).toThrow(WireError);
  });
});
