/**
 * UMAC's POLY-64 step (RFC 4418 §5.3) as umac-nh.wat computes it on i64 limbs, against BigInt
 * arithmetic: random and edge values, including the marker branch for m >= 2^64 - 2^32 that
 * messages reach only about once in 2^32 blocks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UMAC_NH_WASM_BASE64 } from '../src/primitives/umac-nh-wasm.ts';
import { instantiate } from '../src/primitives/wasm.ts';

const P64 = (1n << 64n) - 59n;
const M64 = (1n << 64n) - 1n;
const { poly } = instantiate<{ poly: (k: bigint, y: bigint, m: bigint) => bigint }>(UMAC_NH_WASM_BASE64);
/** i64 results come back signed. */
const wasmPoly = (k: bigint, y: bigint, m: bigint): bigint => BigInt.asUintN(64, poly(k, y, m));

function reference(k: bigint, y: bigint, m: bigint): bigint {
  if (m >= 0xffff_ffff_0000_0000n) {
    y = (k * y + (P64 - 1n)) % P64;
    return (k * y + (m - 59n)) % P64;
  }
  return (k * y + m) % P64;
}

const key = fc.bigInt({ min: 0n, max: M64 }).map((k) => k & 0x01ff_ffff_01ff_ffffn);
const y = fc.oneof(fc.bigInt({ min: 0n, max: P64 - 1n }), fc.constantFrom(0n, 1n, P64 - 1n, P64 - 2n, 1n << 63n));
const m = fc.oneof(
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0xffff_ffff_0000_0000n, max: M64 }),
  fc.constantFrom(0n, P64 - 1n, P64, M64, 0xffff_ffff_0000_0000n, 0xffff_fffe_ffff_ffffn),
);

describe('UMAC POLY-64 in WebAssembly', () => {
  it('agrees with BigInt arithmetic modulo 2^64 - 59', () => {
    fc.assert(
      fc.property(key, y, m, (k, yy, mm) => {
        expect(wasmPoly(k, BigInt.asIntN(64, yy), BigInt.asIntN(64, mm))).toBe(reference(k, yy, mm));
      }),
      { numRuns: 5000 },
    );
  });

  it('handles the largest key, the largest y and marker words', () => {
    const kMax = 0x01ff_ffff_01ff_ffffn;
    for (const [yy, mm] of [[P64 - 1n, M64], [P64 - 1n, P64 - 1n], [P64 - 1n, 0xffff_ffff_0000_0000n], [0n, 0n]] as const) {
      expect(wasmPoly(kMax, BigInt.asIntN(64, yy), BigInt.asIntN(64, mm))).toBe(reference(kMax, yy, mm));
    }
  });
});
