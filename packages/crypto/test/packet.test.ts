/** Packet protection: round trips for every cipher and MAC layout, tampering, bad lengths. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createOpener,
  createSealer,
  createStandardRegistry,
  CryptoParameterError,
  MacError,
  PacketLengthError,
  SshErrorGuard,
  type PacketProtectionOptions,
} from './helpers/packet-helpers.ts';

const registry = createStandardRegistry();
const MACS = ['hmac-sha2-256', 'hmac-sha2-256-etm@openssh.com', 'umac-64-etm@openssh.com', 'umac-128@openssh.com', 'hmac-md5-96'];

function optionsFor(cipher: string, mac: string | undefined): PacketProtectionOptions {
  const c = registry.require('cipher', cipher).impl;
  const m = mac === undefined || c.aead ? undefined : registry.require('mac', mac).impl;
  return {
    cipher: c,
    key: new Uint8Array(c.keyLength).fill(1),
    iv: new Uint8Array(c.ivLength).fill(2),
    mac: m,
    macKey: new Uint8Array(m?.keyLength ?? 0).fill(3),
  };
}

const combos: [string, string | undefined][] = [];
for (const cipher of registry.names('cipher')) {
  if (registry.require('cipher', cipher).impl.aead) combos.push([cipher, undefined]);
  else for (const mac of MACS) combos.push([cipher, mac]);
}
combos.push(['aes128-ctr', undefined]);

describe('packet protection', () => {
  it.each(combos)('%s + %s: round trip with padding rules, tamper detection', (cipher, mac) => {
    const options = optionsFor(cipher, mac);
    const sealer = createSealer(options);
    const opener = createOpener(options);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (payload, seq) => {
        const wire = sealer.seal(seq, payload);
        const aligned = options.cipher?.aead === true || options.mac?.etm === true ? wire.length - 4 : wire.length;
        expect((aligned - sealer.tagLength) % sealer.blockLength).toBe(0);
        const total = opener.decryptLength(seq, wire.subarray(0, opener.headLength));
        expect(total).toBe(wire.length);
        expect(opener.open(seq, wire)).toEqual(payload);
      }),
      { numRuns: 15 },
    );
    if (mac === undefined && options.cipher?.aead !== true) return;
    // A flipped bit in the last byte (tag or MAC) fails; so does a wrong sequence number.
    const s2 = createSealer(options);
    const o2 = createOpener(options);
    const wire = s2.seal(5, new Uint8Array(40).fill(9));
    const bad = Uint8Array.from(wire);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    o2.decryptLength(5, bad.subarray(0, o2.headLength));
    expect(() => o2.open(5, bad)).toThrow(MacError);
  });

  it.each(combos.filter((_, i) => i % 3 === 0))('%s + %s: sealParts chunks concatenate to the sealed packet', (cipher, mac) => {
    const options = { ...optionsFor(cipher, mac), random: (out: Uint8Array) => void out.fill(7) };
    const a = createSealer(options);
    const b = createSealer(options);
    for (const [seq, n] of [[0, 0], [1, 33], [2, 1000]] as const) {
      const payload = new Uint8Array(n).fill(n & 0xff);
      const whole = a.seal(seq, payload);
      const parts = b.sealParts(seq, payload);
      expect(Buffer.concat(parts).equals(Buffer.from(whole))).toBe(true);
    }
  });

  it.each(combos.filter((_, i) => i % 2 === 1))('%s + %s: sealParts with a tail seals the header and data as one payload', (cipher, mac) => {
    const options = { ...optionsFor(cipher, mac), random: (out: Uint8Array) => void out.fill(7) };
    const a = createSealer(options);
    const b = createSealer(options);
    const opener = createOpener(options);
    // Headers short enough to share the length's buffer and longer ones; empty and long tails.
    for (const [seq, h, n] of [[0, 9, 0], [1, 9, 1000], [2, 100, 33], [3, 0, 5]] as const) {
      const header = new Uint8Array(h).fill(0xa0 + seq);
      const data = new Uint8Array(n).fill(n & 0xff);
      const payload = Buffer.concat([header, data]);
      const whole = a.seal(seq, payload);
      const wire = Buffer.concat(b.sealParts(seq, header, data));
      expect(wire.equals(Buffer.from(whole))).toBe(true);
      opener.decryptLength(seq, wire.subarray(0, opener.headLength));
      expect(Buffer.from(opener.open(seq, wire)).equals(payload)).toBe(true);
    }
  });

  it('plain (no cipher, no MAC) packets carry at least 4 bytes of padding to a multiple of 8', () => {
    const sealer = createSealer({});
    const opener = createOpener({});
    for (let n = 0; n < 20; n++) {
      const wire = sealer.seal(0, new Uint8Array(n));
      expect(wire.length % 8).toBe(0);
      expect(wire[4]).toBeGreaterThanOrEqual(4);
      expect(opener.decryptLength(0, wire.subarray(0, 4))).toBe(wire.length);
      expect(opener.open(0, wire)).toEqual(new Uint8Array(n));
    }
  });

  it('rejects out-of-range and misaligned packet lengths', () => {
    const opener = createOpener({});
    expect(() => opener.decryptLength(0, Uint8Array.of(0, 0, 0, 4))).toThrow(PacketLengthError);
    expect(() => opener.decryptLength(0, Uint8Array.of(0, 0x10, 0, 4))).toThrow(/exceeds the maximum/);
    expect(() => opener.decryptLength(0, Uint8Array.of(0, 0, 0, 13))).toThrow(/block size/);
    expect(() => opener.decryptLength(0, Uint8Array.of(0, 0, 0))).toThrow(PacketLengthError);
    const small = createOpener({ maxPacketLength: 1000 });
    expect(() => small.decryptLength(0, Uint8Array.of(0, 0, 4, 4))).toThrow(/exceeds the maximum 1000/);
  });

  it('rejects bad padding lengths and open() without decryptLength()', () => {
    const opener = createOpener({});
    const wire = Uint8Array.of(0, 0, 0, 12, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    opener.decryptLength(0, wire);
    expect(() => opener.open(0, wire)).toThrow(/bad padding length 3/);
    expect(() => opener.open(0, wire)).toThrow(PacketLengthError);
  });

  it('requires keys', () => {
    expect(() => createSealer({ cipher: registry.require('cipher', 'aes128-ctr').impl })).toThrow(CryptoParameterError);
  });

  it('garbage in: only typed errors, never RangeError/TypeError', () => {
    for (const [cipher, mac] of combos.filter((_, i) => i % 4 === 0)) {
      const opener = createOpener(optionsFor(cipher, mac));
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 64, maxLength: 200 }), (bytes) => {
          try {
            const total = opener.decryptLength(1, bytes.subarray(0, opener.headLength));
            const packet = new Uint8Array(total);
            packet.set(bytes.subarray(0, Math.min(total, bytes.length)));
            opener.open(1, packet);
          } catch (e) {
            expect(SshErrorGuard(e)).toBe(true);
          }
        }),
        { numRuns: 30 },
      );
    }
  });
});
