/**
 * zlib / zlib@openssh.com: streaming per packet, interop with zlib itself (node:zlib), bombs,
 * corruption; on both backends (node's zlib through the native binding, and pako) and across them.
 */
import { nativeZlib } from '@ssh/crypto-native';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompressionError, createStandardRegistry, type Compressor, type Decompressor } from '../src/index.ts';
import { zlibImpl, type ZlibBackend } from '../src/compression/zlib.ts';
import { detBytes } from './helpers/hex.ts';

const registry = createStandardRegistry();
const text = (n: number, seed: number) => new TextEncoder().encode(`packet ${seed} `.repeat(n));
const BACKENDS: readonly ZlibBackend[] = ['native', 'pako'];
/** A plain Uint8Array copy: backends hand back Buffers or Uint8Arrays, equal bytes either way. */
const bytes = (b: Uint8Array) => Uint8Array.from(b);

/** Payloads through one compressor and one decompressor, packet by packet; zlib reads the whole as one stream. */
function roundTrip(c: Compressor, d: Decompressor): void {
  const payloads = [text(50, 1), new Uint8Array(0), detBytes(3000, 5), text(400, 2), Uint8Array.of(94)];
  const wire: Uint8Array[] = [];
  for (const p of payloads) {
    const z = c.compress(p);
    wire.push(z);
    expect(bytes(d.decompress(z))).toEqual(bytes(p));
  }
  const all = inflateSync(Buffer.concat(wire), { finishFlush: constants.Z_SYNC_FLUSH });
  expect(new Uint8Array(all)).toEqual(new Uint8Array(Buffer.concat(payloads)));
  expect(wire[0]?.length).toBeLessThan(payloads[0]?.length ?? 0);
}

describe('compression', () => {
  it('registers zlib@openssh.com (delayed) and none by default, zlib off', () => {
    expect(registry.names('compression', { defaultsOnly: true })).toEqual(['zlib@openssh.com', 'none']);
    expect(registry.require('compression', 'zlib@openssh.com').impl.delayed).toBe(true);
    expect(registry.require('compression', 'zlib').impl.delayed).toBe(false);
  });

  it("runs on node's zlib through the native binding here (CI builds it)", () => {
    expect(nativeZlib()).toBeDefined();
  });

  it.each(['zlib', 'zlib@openssh.com'])('%s: packets round-trip one by one and form one zlib stream', (name) => {
    const impl = registry.require('compression', name).impl;
    roundTrip(impl.createCompressor(), impl.createDecompressor());
  });

  it('none is the identity, with the same size limit', () => {
    const impl = registry.require('compression', 'none').impl;
    const p = detBytes(10);
    expect(impl.createCompressor().compress(p)).toBe(p);
    expect(() => impl.createDecompressor({ maxInflatedLength: 5 }).decompress(p)).toThrow(CompressionError);
  });
});

describe.each(BACKENDS)('zlib on %s', (backend) => {
  const impl = zlibImpl(false, backend);
  const other = zlibImpl(false, backend === 'native' ? 'pako' : 'native');

  it('packets round-trip one by one and form one zlib stream', () => {
    roundTrip(impl.createCompressor(), impl.createDecompressor());
  });

  it("the other backend reads its stream, and it reads the other's", () => {
    roundTrip(impl.createCompressor(), other.createDecompressor());
    roundTrip(other.createCompressor(), impl.createDecompressor());
  });

  it('inflates what zlib deflates with a flush per packet, split anywhere', () => {
    const payloads = [text(10, 1), text(20, 2), detBytes(100, 3)];
    const whole = deflateSync(Buffer.concat(payloads), { finishFlush: constants.Z_SYNC_FLUSH });
    const d = impl.createDecompressor();
    const parts = [whole.subarray(0, 7), whole.subarray(7, 20), whole.subarray(20)];
    const out = Buffer.concat(parts.map((p) => d.decompress(p)));
    expect(new Uint8Array(out)).toEqual(new Uint8Array(Buffer.concat(payloads)));
  });

  it('incompressible payloads around the block sizes come back whole, barely larger', () => {
    const c = impl.createCompressor();
    const d = impl.createDecompressor();
    for (const n of [1, 15, 16_383, 16_384, 16_385, 65_535, 65_536, 200_000, 256 * 1024]) {
      const p = detBytes(n, n);
      const z = c.compress(p);
      expect(z.length).toBeLessThanOrEqual(n + 5 * Math.ceil(n / 16_384) + 16); // stored blocks' headers
      expect(bytes(d.decompress(z))).toEqual(p);
    }
  });

  it('a packet inflating to exactly the limit passes, one byte more does not', () => {
    const c = impl.createCompressor();
    const d = impl.createDecompressor({ maxInflatedLength: 100_000 });
    expect(d.decompress(c.compress(new Uint8Array(100_000).fill(7))).length).toBe(100_000);
    expect(() => d.decompress(c.compress(new Uint8Array(100_001)))).toThrow(/exceeds 100000 bytes/);
  });

  it('a compression bomb ends in CompressionError at the per-packet limit, and the stream stays failed', () => {
    const bomb = impl.createCompressor().compress(new Uint8Array(1024 * 1024));
    expect(bomb.length).toBeLessThan(2048);
    const d = impl.createDecompressor({ maxInflatedLength: 64 * 1024 });
    expect(() => d.decompress(bomb)).toThrow(CompressionError);
    expect(() => d.decompress(Uint8Array.of(1))).toThrow(/unusable/);
    expect(() => impl.createDecompressor().decompress(bomb)).toThrow(/exceeds 262144 bytes/);
  });

  it('corrupt data or an ended stream is a CompressionError, and the stream stays failed', () => {
    const corrupt = impl.createDecompressor();
    expect(() => corrupt.decompress(Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff, 0xff))).toThrow(CompressionError);
    expect(() => corrupt.decompress(impl.createCompressor().compress(text(1, 1)))).toThrow(/unusable/);
    expect(() => impl.createDecompressor().decompress(Uint8Array.of(1, 2, 3, 4))).toThrow(CompressionError);
    expect(() => impl.createDecompressor().decompress(deflateSync(Buffer.from('the end')))).toThrow(/stream ended/);
  });
});
