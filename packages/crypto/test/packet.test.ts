/** Packet protection: round trips for every cipher and MAC layout, tampering, bad lengths. */
import { createCipheriv } from 'node:crypto';
import { poly1305 as noblePoly1305 } from '@noble/ciphers/_poly1305.js';
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

  // seal() starts a new OpenSSL cipher per packet one block before the stream's position (the
  // IV minus one for the first packet); sealParts() and the opener run one long-lived cipher.
  // Counters about to carry across 32-bit words, and wrapping at 2^128, must agree.
  it.each([
    ['ffffffffffffffffffffffffffffff00', 'aes128-ctr', 'hmac-sha2-256-etm@openssh.com'],
    ['000000000000000000000000fffffffe', 'aes256-ctr', 'hmac-sha2-512'],
    ['00000000000000000000000000000000', 'aes192-ctr', 'umac-64-etm@openssh.com'],
    ['0123456789abcdef00000000ffffff80', 'aes128-ctr', undefined],
  ] as const)('CTR with IV %s (%s + %s): seal and sealParts mixed keep the counter running across packets', (ivHex, cipher, mac) => {
    const options = { ...optionsFor(cipher, mac), iv: Uint8Array.from(Buffer.from(ivHex, 'hex')) };
    const sealer = createSealer(options);
    const opener = createOpener(options);
    for (let seq = 0; seq < 60; seq++) {
      const payload = new Uint8Array((seq * 37) % 700).fill(seq);
      const wire = seq % 3 === 2 ? Buffer.concat(sealer.sealParts(seq, payload)) : sealer.seal(seq, payload);
      expect(opener.decryptLength(seq, wire.subarray(0, opener.headLength))).toBe(wire.length);
      expect(opener.open(seq, wire)).toEqual(payload);
    }
  });

  // chacha20-poly1305@openssh.com rebuilt from its definition (node's ChaCha20, noble's
  // Poly1305) for sequence numbers whose four bytes all differ: the nonce's byte order matters.
  it.each([0x01020304, 0x80000001, 0x00ff0100, 0xfffffffe])('chacha20-poly1305 at seq %i matches PROTOCOL.chacha20poly1305', (seq) => {
    const key = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff);
    const iv = (counter: number): Buffer => {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(counter, 0);
      b.writeUInt32BE(seq, 12);
      return b;
    };
    const options = { cipher: registry.require('cipher', 'chacha20-poly1305@openssh.com').impl, key, random: (out: Uint8Array) => void out.fill(5) };
    const payload = Uint8Array.from({ length: 333 }, (_, i) => i & 0xff);
    const wire = createSealer(options).seal(seq, payload);
    const padding = 8 - ((1 + payload.length) % 8) + (8 - ((1 + payload.length) % 8) < 4 ? 8 : 0);
    const plain = Buffer.concat([Buffer.of(padding), payload, Buffer.alloc(padding, 5)]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(plain.length);
    const encLength = createCipheriv('chacha20', key.subarray(32), iv(0)).update(length);
    const polyKey = createCipheriv('chacha20', key.subarray(0, 32), iv(0)).update(Buffer.alloc(32));
    const ct = createCipheriv('chacha20', key.subarray(0, 32), iv(1)).update(plain);
    const tag = noblePoly1305(Buffer.concat([encLength, ct]), polyKey);
    expect(Buffer.from(wire).equals(Buffer.concat([encLength, ct, tag]))).toBe(true);
    const opener = createOpener(options);
    expect(opener.decryptLength(seq, wire.subarray(0, 4))).toBe(wire.length);
    expect(opener.open(seq, wire)).toEqual(payload);
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
