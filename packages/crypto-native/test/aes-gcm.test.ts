/**
 * The native AES-GCM binding: the GCM spec's vectors, byte-for-byte agreement with node:crypto's
 * OpenSSL over packet sizes, part splits and the invocation counter's wrap, tag failures, and
 * arguments that must be refused with a TypeError or RangeError instead of touching memory.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeAesGcm, nativeStatus, type NativeAesGcm } from '../src/index.ts';
import { passesSelfTest } from '../src/node/binding.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function binding(): NativeAesGcm {
  const native = nativeAesGcm();
  if (native === undefined) throw new Error(`native binding not available: ${nativeStatus().reason}`);
  return native;
}

/** aad || ciphertext || tag from node:crypto. */
function reference(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([aad, ct, c.getAuthTag()]);
}

/** The nonce after `count` increments of its 64-bit invocation counter. */
function nonceAfter(nonce: Uint8Array, count: number): Buffer {
  const out = Buffer.from(nonce);
  out.writeBigUInt64BE((out.readBigUInt64BE(4) + BigInt(count)) % (1n << 64n), 4);
  return out;
}

function sealed(native: NativeAesGcm, state: ReturnType<NativeAesGcm['create']>, aad: Uint8Array, parts: Uint8Array[]): Buffer {
  const n = parts.reduce((sum, p) => sum + p.length, 0);
  const out = Buffer.alloc(aad.length + n + 16, 0xee);
  out.set(aad);
  native.seal(state, aad, parts, out, aad.length);
  return out;
}

describe('native AES-GCM', () => {
  it('is built here (CI builds it; SSH_CRYPTO_NATIVE=0 would turn it off)', () => {
    expect(nativeStatus()).toEqual({ available: true, reason: 'loaded' });
  });

  it.each([
    ['test case 2 (AES-128)', 16, '0388dace60b6a392f328c2b971b2fe78', 'ab6e47d42cec13bdf53a67b21257bddf'],
    ['test case 14 (AES-256)', 32, 'cea7403d4d606b6e074ec5d3baf39d18', 'd0d1c8a799996bf0265b98b5d48ab919'],
  ])('McGrew and Viega %s: zero key and IV, one zero block', (_, keyLength, ct, tag) => {
    const native = binding();
    const key = new Uint8Array(keyLength);
    const out = sealed(native, native.create(key, new Uint8Array(12), true), new Uint8Array(0), [new Uint8Array(16)]);
    expect(out.toString('hex')).toBe(ct + tag);
    const plain = new Uint8Array(16).fill(1);
    expect(native.open(native.create(key, new Uint8Array(12), false), out, 0, plain)).toBe(true);
    expect(Buffer.from(plain).toString('hex')).toBe('00'.repeat(16));
  });

  it.each([16, 32])('AES-%#: the packets node:crypto makes, in sequence across the invocation counter wrap, split into parts', (keyLength) => {
    const native = binding();
    const key = randomBytes(keyLength);
    const nonce = Buffer.concat([randomBytes(4), hex('fffffffffffffff0')]); // wraps after 16 packets
    const sealer = native.create(key, nonce, true);
    const opener = native.create(key, nonce, false);
    const sizes = [0, 1, 15, 16, 17, 1000, 32768 + 12, 65536];
    for (let p = 0; p < 40; p++) {
      const plain = randomBytes(sizes[p % sizes.length] as number);
      const aad = randomBytes(4);
      const expected = reference(key, nonceAfter(nonce, p), aad, plain);
      const cut = Math.floor(plain.length / 3);
      const parts = p % 3 === 0 ? [plain] : [plain.subarray(0, cut), plain.subarray(cut, 2 * cut), plain.subarray(2 * cut)];
      expect(sealed(native, sealer, aad, parts).equals(expected)).toBe(true);
      const out = Buffer.alloc(plain.length);
      expect(native.open(opener, expected, 4, out)).toBe(true);
      expect(out.equals(plain)).toBe(true);
    }
  });

  it('seals and opens in place', () => {
    const native = binding();
    const key = randomBytes(16);
    const nonce = randomBytes(12);
    const plain = randomBytes(1000);
    const buffer = Buffer.concat([hex('000003e8'), plain, Buffer.alloc(16)]);
    native.seal(native.create(key, nonce, true), buffer.subarray(0, 4), buffer.subarray(4, 1004), buffer, 4);
    expect(buffer.equals(reference(key, nonce, hex('000003e8'), plain))).toBe(true);
    expect(native.open(native.create(key, nonce, false), buffer, 4, buffer.subarray(4, 1004))).toBe(true);
    expect(buffer.subarray(4, 1004).equals(plain)).toBe(true);
  });

  it('a wrong tag or changed byte fails, zeroes the output and keeps the nonce', () => {
    const native = binding();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(), (plain, flip) => {
        const key = randomBytes(16);
        const nonce = randomBytes(12);
        const first = reference(key, nonce, hex('00000010'), plain);
        const second = reference(key, nonceAfter(nonce, 1), hex('00000010'), plain);
        const opener = native.create(key, nonce, false);
        const bad = Buffer.from(first);
        const at = flip % bad.length;
        bad[at] = (bad[at] as number) ^ (1 << flip % 8);
        const out = Buffer.alloc(plain.length, 0xaa);
        expect(native.open(opener, bad, 4, out)).toBe(false);
        expect(out.every((b) => b === 0)).toBe(true);
        // The nonce did not move: the good first packet opens, then the second.
        expect(native.open(opener, first, 4, out)).toBe(true);
        expect(native.open(opener, second, 4, out)).toBe(true);
        expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses bad arguments with a TypeError or RangeError', () => {
    const native = binding();
    const key = randomBytes(16);
    const nonce = randomBytes(12);
    const enc = native.create(key, nonce, true);
    const dec = native.create(key, nonce, false);
    const n = new Uint8Array(32);
    const call = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return (e as Error).constructor;
      }
      return undefined;
    };
    const any = native as unknown as Record<string, (...args: unknown[]) => unknown>;
    const cases: [string, () => unknown, unknown][] = [
      ['key of 24 bytes', () => native.create(randomBytes(24), nonce, true), RangeError],
      ['nonce of 16 bytes', () => native.create(key, randomBytes(16), true), RangeError],
      ['key as a string', () => any['create']?.('k'.repeat(16), nonce, true), TypeError],
      ['key as Uint16Array', () => any['create']?.(new Uint16Array(8), nonce, true), TypeError],
      ['key as DataView', () => any['create']?.(new DataView(new ArrayBuffer(16)), nonce, true), TypeError],
      ['no direction', () => any['create']?.(key, nonce), TypeError],
      ['state from elsewhere', () => native.seal({} as never, n.subarray(0, 4), [n], new Uint8Array(64), 4), TypeError],
      ['an object inheriting from a state', () => native.seal(Object.create(enc) as never, n.subarray(0, 4), [n], new Uint8Array(64), 4), TypeError],
      ['a number for a state', () => native.open(7 as never, new Uint8Array(40), 4, n), TypeError],
      ['sealing with an opener', () => native.seal(dec, n.subarray(0, 4), [n], new Uint8Array(64), 4), TypeError],
      ['opening with a sealer', () => native.open(enc, new Uint8Array(40), 4, n), TypeError],
      ['output too small', () => native.seal(enc, n.subarray(0, 4), [n], new Uint8Array(51), 4), RangeError],
      ['at past the end', () => native.seal(enc, n.subarray(0, 4), [], new Uint8Array(16), 17), RangeError],
      ['negative at', () => native.seal(enc, n.subarray(0, 4), [], new Uint8Array(16), -1), TypeError],
      ['fractional at', () => native.seal(enc, n.subarray(0, 4), [], new Uint8Array(32), 0.5), TypeError],
      ['a part not bytes', () => any['seal']?.(enc, n.subarray(0, 4), [n, 'x'], new Uint8Array(64), 4), TypeError],
      ['nine parts', () => native.seal(enc, n.subarray(0, 4), Array.from({ length: 9 }, () => n.subarray(0, 1)), new Uint8Array(64), 4), RangeError],
      ['a part overlapping the output', () => { const b = new Uint8Array(64); native.seal(enc, n.subarray(0, 4), [b.subarray(0, 20)], b, 8); }, RangeError],
      ['aad overlapping the output', () => { const b = new Uint8Array(64); native.seal(enc, b.subarray(4, 8), [n.subarray(0, 8)], b, 0); }, RangeError],
      ['long aad', () => native.seal(enc, new Uint8Array(65), [], new Uint8Array(16), 0), RangeError],
      ['packet shorter than aad and tag', () => native.open(dec, new Uint8Array(19), 4, n), RangeError],
      ['open output too small', () => native.open(dec, new Uint8Array(60), 4, new Uint8Array(39)), RangeError],
      ['open output overlapping the tag', () => { const b = new Uint8Array(60); native.open(dec, b, 4, b.subarray(8)); }, RangeError],
      ['aadLength as a string', () => any['open']?.(dec, new Uint8Array(60), '4', n), TypeError],
      ['huge aadLength', () => native.open(dec, new Uint8Array(60), 2 ** 40, n), TypeError],
    ];
    for (const [name, f, expected] of cases) expect([name, call(f)]).toEqual([name, expected]);
    // The states still work after all that.
    const out = sealed(native, enc, hex('00000020'), [n]);
    expect(out.equals(reference(key, nonce, hex('00000020'), n))).toBe(true);
  });

  it('a binding is used only when it passes its self-test', () => {
    const native = binding();
    expect(passesSelfTest(native)).toBe(true);
    const wrongBytes: NativeAesGcm = { ...native, seal: (state, aad, parts, out, at) => { native.seal(state, aad, parts, out, at); out[at] = (out[at] as number) ^ 1; } };
    const wrongOpen: NativeAesGcm = { ...native, open: () => true };
    const throwing: NativeAesGcm = { ...native, create: () => { throw new TypeError('old build'); } };
    const missing = { create: native.create, seal: native.seal } as unknown as NativeAesGcm;
    for (const broken of [wrongBytes, wrongOpen, throwing, missing]) expect(passesSelfTest(broken)).toBe(false);
  });

  it('SSH_CRYPTO_NATIVE=0 turns the binding off', () => {
    const script = "import('@ssh/crypto-native').then((m) => console.log(JSON.stringify(m.nativeStatus())))";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: import.meta.dirname,
      env: { ...process.env, SSH_CRYPTO_NATIVE: '0' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ available: false, reason: 'disabled by SSH_CRYPTO_NATIVE=0' });
  });
});
