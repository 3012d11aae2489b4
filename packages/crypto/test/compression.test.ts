/** zlib / zlib@openssh.com: streaming per packet, interop with zlib itself (node:zlib), bombs, corruption. */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompressionError, createStandardRegistry } from '../src/index.ts';
import { detBytes } from './helpers/hex.ts';

const registry = createStandardRegistry();
const text = (n: number, seed: number) => new TextEncoder().encode(`packet ${seed} `.repeat(n));

describe('compression', () => {
  it('registers zlib@openssh.com (delayed) and none by default, zlib off', () => {
    expect(registry.names('compression', { defaultsOnly: true })).toEqual(['zlib@openssh.com', 'none']);
    expect(registry.require('compression', 'zlib@openssh.com').impl.delayed).toBe(true);
    expect(registry.require('compression', 'zlib').impl.delayed).toBe(false);
  });

  it.each(['zlib', 'zlib@openssh.com'])('%s: packets round-trip one by one and form one zlib stream', (name) => {
    const impl = registry.require('compression', name).impl;
    const c = impl.createCompressor();
    const d = impl.createDecompressor();
    const payloads = [text(50, 1), new Uint8Array(0), detBytes(3000, 5), text(400, 2), Uint8Array.of(94)];
    const wire: Uint8Array[] = [];
    for (const p of payloads) {
      const z = c.compress(p);
      wire.push(z);
      expect(d.decompress(z)).toEqual(p);
    }
    // zlib itself reads the concatenation as one stream (sync-flushed).
    const all = inflateSync(Buffer.concat(wire), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(new Uint8Array(all)).toEqual(new Uint8Array(Buffer.concat(payloads)));
    expect(wire[0]?.length).toBeLessThan(payloads[0]?.length ?? 0);
  });

  it('inflates what zlib deflates with a flush per packet', () => {
    const payloads = [text(10, 1), text(20, 2), detBytes(100, 3)];
    const whole = deflateSync(Buffer.concat(payloads), { finishFlush: constants.Z_SYNC_FLUSH });
    const d = registry.require('compression', 'zlib').impl.createDecompressor();
    // Split the stream at arbitrary points: output is the same bytes in order.
    const parts = [whole.subarray(0, 7), whole.subarray(7, 20), whole.subarray(20)];
    const out = Buffer.concat(parts.map((p) => d.decompress(p)));
    expect(new Uint8Array(out)).toEqual(new Uint8Array(Buffer.concat(payloads)));
  });

  it('a compression bomb ends in CompressionError at the per-packet limit', () => {
    const c = registry.require('compression', 'zlib').impl.createCompressor();
    const bomb = c.compress(new Uint8Array(1024 * 1024));
    expect(bomb.length).toBeLessThan(2048);
    const d = registry.require('compression', 'zlib').impl.createDecompressor({ maxInflatedLength: 64 * 1024 });
    expect(() => d.decompress(bomb)).toThrow(CompressionError);
    expect(() => d.decompress(Uint8Array.of(1))).toThrow(/unusable/);
    const dflt = registry.require('compression', 'zlib').impl.createDecompressor();
    expect(() => dflt.decompress(bomb)).toThrow(/exceeds 262144 bytes/);
  });

  it('corrupt input is a CompressionError', () => {
    const d = registry.require('compression', 'zlib').impl.createDecompressor();
    expect(() => d.decompress(Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff, 0xff))).toThrow(CompressionError);
    const g = registry.require('compression', 'zlib').impl.createDecompressor();
    expect(() => g.decompress(Uint8Array.of(1, 2, 3, 4))).toThrow(CompressionError);
  });

  it('none is the identity, with the same size limit', () => {
    const impl = registry.require('compression', 'none').impl;
    const p = detBytes(10);
    expect(impl.createCompressor().compress(p)).toBe(p);
    expect(() => impl.createDecompressor({ maxInflatedLength: 5 }).decompress(p)).toThrow(CompressionError);
  });
});
