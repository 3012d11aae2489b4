/**
 * The native binding under arbitrary arguments: views of one shared buffer at random offsets
 * (overlapping or not), random lengths, positions and part lists. Each call either does exactly
 * what node:crypto does or throws a TypeError or RangeError; the process never crashes and no
 * byte outside the output range changes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeAesGcm, nativeStatus, type NativeAesGcm } from '../src/index.ts';

function binding(): NativeAesGcm {
  const native = nativeAesGcm();
  if (native === undefined) throw new Error(`native binding not available: ${nativeStatus().reason}`);
  return native;
}

const view = fc.record({ at: fc.nat(300), length: fc.nat(300) });
const clip = (space: Uint8Array, v: { at: number; length: number }): Uint8Array => space.subarray(Math.min(v.at, space.length), Math.min(v.at + v.length, space.length));

describe('native AES-GCM under arbitrary arguments', () => {
  it('seal: node:crypto\'s bytes inside the output range, nothing outside it, or a TypeError/RangeError', () => {
    const native = binding();
    const seen = { sealed: 0, refused: 0 };
    fc.assert(
      fc.property(fc.boolean(), view, fc.array(view, { maxLength: 10 }), view, fc.integer({ min: -2, max: 400 }), fc.boolean(), (shared, aadV, partVs, outV, at, asArray) => {
        const key = randomBytes(16);
        const nonce = randomBytes(12);
        const space = randomBytes(512);
        // Shared: every view from one buffer (overlaps likely). Otherwise each from its own, with
        // the output inside `space` sized near what the call needs.
        const own = (v: { at: number; length: number }): Uint8Array => randomBytes(Math.min(v.length, 64));
        const aad = shared ? clip(space, aadV) : own(aadV);
        const parts = partVs.map((v) => (shared ? clip(space, v) : own(v)));
        const need = parts.reduce((sum, p) => sum + p.length, 0) + 16 + Math.max(at, 0);
        const out = shared ? clip(space, outV) : space.subarray(outV.at % 40, (outV.at % 40) + need + (outV.length % 7) - 2);
        // Expected bytes from copies taken before the call (the call may write over the inputs' memory only if allowed).
        const plain = Buffer.concat(parts.map((p) => Buffer.from(p)));
        const c = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
        c.setAAD(Buffer.from(aad));
        const expected = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
        const before = Buffer.from(space);
        const state = native.create(key, nonce, true);
        try {
          native.seal(state, aad, asArray || parts.length !== 1 ? parts : (parts[0] as Uint8Array), out, at);
        } catch (e) {
          expect([TypeError, RangeError]).toContain((e as Error).constructor);
          expect(Buffer.from(space).equals(before)).toBe(true);
          seen.refused++;
          return;
        }
        seen.sealed++;
        const start = out.byteOffset + at;
        expect(Buffer.from(space.subarray(start, start + expected.length)).equals(expected)).toBe(true);
        expect(Buffer.from(space.subarray(0, start)).equals(before.subarray(0, start))).toBe(true);
        expect(Buffer.from(space.subarray(start + expected.length)).equals(before.subarray(start + expected.length))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Both outcomes were exercised, not only one.
    expect(seen.sealed).toBeGreaterThan(200);
    expect(seen.refused).toBeGreaterThan(200);
  });

  it('open: the plaintext for a right tag, false for a wrong one, or a TypeError/RangeError', () => {
    const native = binding();
    const seen = { right: 0, wrong: 0, refused: 0 };
    fc.assert(
      fc.property(fc.nat(200), fc.nat(8), view, fc.boolean(), fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: fc.nat(80), weight: 1 }), (n, aadLength, outV, corrupt, aadArg) => {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const aad = randomBytes(aadLength);
        const plain = randomBytes(n);
        const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
        c.setAAD(aad);
        const packet = Buffer.concat([aad, c.update(plain), c.final(), c.getAuthTag()]);
        if (corrupt && packet.length > 0) packet[packet.length - 1] = (packet[packet.length - 1] as number) ^ 0x80;
        const space = randomBytes(512);
        // Half the time an output near the plaintext's size, else any view.
        const out = outV.length % 2 === 0 ? space.subarray(outV.at % 40, (outV.at % 40) + n + (outV.length % 9) - 3) : clip(space, outV);
        const before = Buffer.from(space);
        const claimed = aadArg < 0 ? aadLength : aadArg; // mostly the true split
        let ok: boolean;
        try {
          ok = native.open(native.create(key, nonce, false), packet, claimed, out);
        } catch (e) {
          expect([TypeError, RangeError]).toContain((e as Error).constructor);
          expect(Buffer.from(space).equals(before)).toBe(true);
          seen.refused++;
          return;
        }
        const m = packet.length - claimed - 16;
        // What OpenSSL says about the same split.
        const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
        d.setAAD(packet.subarray(0, claimed));
        d.setAuthTag(packet.subarray(claimed + m));
        const got = d.update(packet.subarray(claimed, claimed + m));
        let right = true;
        try {
          d.final();
        } catch {
          right = false;
        }
        expect(ok).toBe(right);
        seen[right ? 'right' : 'wrong']++;
        const written = Buffer.from(out.subarray(0, m));
        expect(written.equals(right ? got : Buffer.alloc(m))).toBe(true);
        const start = out.byteOffset;
        expect(Buffer.from(space.subarray(0, start)).equals(before.subarray(0, start))).toBe(true);
        expect(Buffer.from(space.subarray(start + m)).equals(before.subarray(start + m))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(seen.right).toBeGreaterThan(200);
    expect(seen.wrong).toBeGreaterThan(200);
    expect(seen.refused).toBeGreaterThan(200);
  });
});
