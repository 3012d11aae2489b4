/**
 * The binding's chacha20-poly1305@openssh.com under wrong arguments: other objects, the wrong
 * direction, sequence numbers out of range, outputs too small or overlapping. Each is a TypeError
 * or RangeError and the state keeps working. (@ssh/crypto's tests check its packets.)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeAesGcm, nativeChachaPoly, nativeStatus, type NativeChachaPoly } from '../src/index.ts';

function binding(): NativeChachaPoly {
  const c = nativeChachaPoly();
  if (c === undefined) throw new Error(`native chacha20-poly1305 not available: ${nativeStatus().reason}`);
  return c;
}

describe('native chacha20-poly1305 arguments', () => {
  it('refuses what is not a state of the right direction, and keys that are not 64 bytes', () => {
    const c = binding();
    const key = randomBytes(64);
    const sealer = c.create(key, true);
    const opener = c.create(key, false);
    const gcm = nativeAesGcm()?.create(new Uint8Array(16), new Uint8Array(12), true);
    const out = new Uint8Array(40);
    expect(() => c.seal(opener, 0, new Uint8Array(4), [], out, 0)).toThrow(TypeError);
    expect(() => c.open(sealer, 0, out, 4, out)).toThrow(TypeError);
    expect(() => c.seal(gcm as never, 0, new Uint8Array(4), [], out, 0)).toThrow(TypeError);
    expect(() => c.length({} as never, 0, out)).toThrow(TypeError);
    expect(() => c.create(randomBytes(32), true)).toThrow(RangeError);
  });

  it('refuses sequence numbers outside 0..2^32-1, odd length fields, short outputs and overlaps', () => {
    const c = binding();
    const key = randomBytes(64);
    const sealer = c.create(key, true);
    const opener = c.create(key, false);
    const body = randomBytes(32);
    for (const seq of [-1, 2 ** 32, 1.5, Number.NaN]) expect(() => c.seal(sealer, seq, new Uint8Array(4), [body], new Uint8Array(52), 0)).toThrow(RangeError);
    expect(() => c.seal(sealer, 0, new Uint8Array(3), [body], new Uint8Array(52), 0)).toThrow(RangeError);
    expect(() => c.seal(sealer, 0, new Uint8Array(4), [body], new Uint8Array(51), 0)).toThrow(RangeError);
    expect(() => c.seal(sealer, 0, new Uint8Array(4), Array.from({ length: 9 }, () => body), new Uint8Array(400), 0)).toThrow(RangeError);
    const space = new Uint8Array(100);
    expect(() => c.seal(sealer, 0, new Uint8Array(4), [space.subarray(10, 42)], space, 0)).toThrow(RangeError);
    expect(() => c.length(opener, 0, new Uint8Array(3))).toThrow(RangeError);
    expect(() => c.open(opener, 0, new Uint8Array(19), 4, new Uint8Array(10))).toThrow(RangeError);
    expect(() => c.open(opener, 0, new Uint8Array(52), 2 as never, new Uint8Array(40))).toThrow(RangeError);

    // In place works, and the states still do after every refusal.
    const packet = new Uint8Array(52);
    packet.set(body, 4);
    c.seal(sealer, 5, Uint8Array.of(0, 0, 0, 32), [packet.subarray(4, 36)], packet, 0);
    expect(c.length(opener, 5, packet)).toBe(32);
    expect(c.open(opener, 5, packet, 4, packet.subarray(4, 36))).toBe(true);
    expect(Buffer.compare(packet.subarray(4, 36), body)).toBe(0);
  });

  it('leaves the output untouched when the tag is wrong', () => {
    const c = binding();
    const key = randomBytes(64);
    const packet = new Uint8Array(4 + 64 + 16);
    c.seal(c.create(key, true), 1, Uint8Array.of(0, 0, 0, 64), [randomBytes(64)], packet, 0);
    packet[70] = (packet[70] as number) ^ 1;
    const out = new Uint8Array(64).fill(0xee);
    expect(c.open(c.create(key, false), 1, packet, 4, out)).toBe(false);
    expect(out.every((b) => b === 0xee)).toBe(true);
  });
});
