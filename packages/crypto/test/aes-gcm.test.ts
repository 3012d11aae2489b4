/**
 * AES-GCM packet sealing into one buffer (`sealInRoom`, aes-gcm.ts) and the GF(2^128) arithmetic
 * behind its tag correction: the GCM spec's test case 2 values, noble's GHASH, and byte-for-byte
 * agreement with OpenSSL's and noble's AES-GCM over many packet sizes and invocation counters.
 * Packets sealed on the native binding open on node:crypto and the other way round.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { gcm as nobleGcm } from '@noble/ciphers/aes.js';
import { ghash } from '@noble/ciphers/_polyval.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeStatus } from '@ssh/crypto-native';
import { aes128Gcm, aes128GcmNodeCrypto, aes256Gcm, aes256GcmNodeCrypto } from '../src/cipher/aes-gcm.ts';
import { GF_ONE, gfInverse, gfMultiply, gfMultiplyTable, gfTable, type Gf128 } from '../src/cipher/gf128.ts';
import { CryptoParameterError, createOpener, createSealer } from '../src/index.ts';
import { hex, toHex } from './helpers/hex.ts';

const words = (b: Uint8Array): Gf128 => {
  const v = new DataView(b.buffer, b.byteOffset, 16);
  return [v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12)];
};
const bytes = (w: ArrayLike<number>): Uint8Array => {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) v.setUint32(4 * i, (w[i] as number) >>> 0);
  return out;
};
const element = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(words);

describe('GF(2^128) as GCM uses it', () => {
  it('test case 2 (McGrew and Viega): X1 = C·H and the tag E(K, Y0) + (X1 + len)·H', () => {
    const h = words(hex('66e94bd4ef8a2c3b884cfa59ca342b2e'));
    const c = words(hex('0388dace60b6a392f328c2b971b2fe78'));
    const x1 = gfMultiply(c, h);
    expect(toHex(bytes(x1))).toBe('5e2ec746917062882c85b0685353deb7');
    const ghashValue = gfMultiply([x1[0], x1[1], x1[2], x1[3] ^ 0x80], h);
    const ek = createCipheriv('aes-128-ecb', Buffer.alloc(16), null).update(hex('00000000000000000000000000000001'));
    const tag = bytes(ghashValue).map((b, i) => b ^ (ek[i] as number));
    expect(toHex(tag)).toBe('ab6e47d42cec13bdf53a67b21257bddf');
  });

  it('multiplication agrees with noble GHASH of one block, by bits and by table', () => {
    fc.assert(
      fc.property(element, element, (x, y) => {
        const expected = toHex(ghash(bytes(x), bytes(y)));
        expect(toHex(bytes(gfMultiply(x, y)))).toBe(expected);
        const out = new Uint32Array(4);
        gfMultiplyTable(gfTable(y), x[0], x[1], x[2], x[3], out);
        expect(toHex(bytes(out))).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('inverse: y·y^-1 = 1; zero has none', () => {
    fc.assert(
      fc.property(element.filter((y) => (y[0] | y[1] | y[2] | y[3]) !== 0), (y) => {
        expect(gfMultiply(y, gfInverse(y))).toEqual(GF_ONE);
      }),
      { numRuns: 5 },
    );
    expect(() => gfInverse([0, 0, 0, 0])).toThrow(RangeError);
  });
});

/** The wire packet of RFC 5647 for body `body` (padding included) under `key` and 12-byte `iv`. */
function referencePacket(key: Uint8Array, iv: Uint8Array, body: Uint8Array): Buffer {
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32BE(body.length, 0);
  const c = createCipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, iv, { authTagLength: 16 });
  c.setAAD(lengthField);
  const ct = c.update(body);
  c.final();
  const packet = Buffer.concat([lengthField, ct, c.getAuthTag()]);
  // noble, independently of OpenSSL.
  const noble = nobleGcm(key, iv, lengthField).encrypt(body);
  expect(toHex(noble)).toBe(toHex(packet.subarray(4)));
  return packet;
}

/** The 12-byte IV after `count` increments of the 64-bit invocation counter. */
function ivAfter(iv: Uint8Array, count: number): Uint8Array {
  const out = Buffer.from(iv);
  out.writeBigUInt64BE((out.readBigUInt64BE(4) + BigInt(count)) % (1n << 64n), 4);
  return out;
}

function sealInRoom(aead: ReturnType<typeof aes128GcmNodeCrypto.createAead>, body: Uint8Array): Uint8Array {
  const input = new Uint8Array(16 + body.length + 16).fill(0xee);
  input.set(body, 16);
  const out = aead.sealInRoom?.(0, input, 16, 16 + body.length);
  if (out === undefined) throw new Error('no sealInRoom');
  expect(out.length).toBe(input.length);
  return out.subarray(12);
}

describe('AES-GCM sealInRoom', () => {
  it.each([
    ['aes128-gcm', aes128GcmNodeCrypto],
    ['aes256-gcm', aes256GcmNodeCrypto],
  ] as const)('%s: the same packets as OpenSSL and noble, across mask batches and invocation-counter wrap', (_, impl) => {
    const key = randomBytes(impl.keyLength);
    // Invocation counter 2^64 - 40: wraps to 0 within the run.
    const iv = Buffer.concat([randomBytes(4), hex('ffffffffffffffd8')]);
    const aead = impl.createAead(key, iv);
    const sizes = [16, 32, 48, 1024, 4096 + 16, 32768 + 16, 65536];
    for (let p = 0; p < 100; p++) {
      const body = randomBytes(sizes[p % sizes.length] as number);
      const expected = referencePacket(key, ivAfter(iv, p), body);
      // Every seventh packet through the other sealing forms: the invocation counter (and with it
      // the precomputed masks) must stay in step whichever form sealed the packets before.
      if (p % 7 === 3) {
        const lengthField = expected.subarray(0, 4);
        expect(toHex(Buffer.concat(aead.sealParts(p, lengthField, [body.subarray(0, 1), body.subarray(1)])))).toBe(toHex(expected));
      } else if (p % 7 === 5) {
        expect(toHex(aead.seal(p, Buffer.concat([expected.subarray(0, 4), body]), 4))).toBe(toHex(expected));
      } else {
        expect(toHex(sealInRoom(aead, body))).toBe(toHex(expected));
      }
    }
  });

  it('rejects ranges it cannot seal', () => {
    const aead = aes128GcmNodeCrypto.createAead(new Uint8Array(16), new Uint8Array(12));
    const input = new Uint8Array(16 + 32 + 16);
    expect(() => aead.sealInRoom?.(0, input, 0, 32)).toThrow(CryptoParameterError); // no room before
    expect(() => aead.sealInRoom?.(0, input, 16, 40)).toThrow(CryptoParameterError); // not whole blocks
    expect(() => aead.sealInRoom?.(0, input, 16, 32)).toThrow(CryptoParameterError); // no room for the tag
    expect(() => aead.sealInRoom?.(0, input.subarray(0, 48), 16, 48)).toThrow(CryptoParameterError);
    expect(aead.sealInRoom?.(0, input, 16, 48)?.length).toBe(64);
  });
});

describe('AES-GCM packets of every size through seal, sealParts and open', () => {
  it('runs on the native binding here (CI builds it)', () => {
    expect(nativeStatus().available).toBe(true);
    expect(aes128Gcm.createAead(new Uint8Array(16), new Uint8Array(12)).sealInRoom).toBeUndefined();
  });

  it.each([
    ['native', aes128Gcm],
    ['node:crypto', aes128GcmNodeCrypto],
  ])('%s: the key and IV are copied, so wiping the caller\'s arrays after createAead changes nothing', (_, impl) => {
    const key = randomBytes(16);
    const iv = randomBytes(12);
    const body = randomBytes(64);
    const expected = referencePacket(key, iv, body);
    const keyArg = Uint8Array.from(key);
    const ivArg = Uint8Array.from(iv);
    const aead = impl.createAead(keyArg, ivArg);
    keyArg.fill(0);
    ivArg.fill(0);
    expect(toHex(aead.seal(0, Buffer.concat([expected.subarray(0, 4), body]), 4))).toBe(toHex(expected));
  });

  it.each([
    ['aes128-gcm@openssh.com', 'native', aes128Gcm, aes128Gcm],
    ['aes256-gcm@openssh.com', 'native', aes256Gcm, aes256Gcm],
    ['aes128-gcm@openssh.com', 'node:crypto', aes128GcmNodeCrypto, aes128GcmNodeCrypto],
    ['aes128-gcm@openssh.com', 'native to node:crypto', aes128Gcm, aes128GcmNodeCrypto],
    ['aes256-gcm@openssh.com', 'node:crypto to native', aes256GcmNodeCrypto, aes256Gcm],
  ])('%s, %s', (_, __, impl, openImpl) => {
    const options = { cipher: impl, key: randomBytes(impl.keyLength), iv: randomBytes(12), random: (out: Uint8Array) => void out.fill(5) };
    const a = createSealer(options);
    const b = createSealer(options);
    const opener = createOpener({ ...options, cipher: openImpl });
    // Around the size from which seal() seals in room, up to the largest packets.
    const sizes = [0, 1000, 1007, 1008, 1009, 1024, 5000, 32768, 200_000];
    sizes.forEach((n, seq) => {
      const payload = randomBytes(n);
      const whole = a.seal(seq, payload);
      expect(Buffer.concat(b.sealParts(seq, payload.subarray(0, 9), payload.subarray(9))).equals(Buffer.from(whole))).toBe(true);
      expect(opener.decryptLength(seq, whole.subarray(0, 4))).toBe(whole.length);
      expect(Buffer.from(opener.open(seq, whole)).equals(payload)).toBe(true);
    });
    // A flipped ciphertext bit in a large packet fails the tag.
    const wire = Uint8Array.from(a.seal(99, randomBytes(4000)));
    wire[100] = (wire[100] as number) ^ 1;
    opener.decryptLength(sizes.length, wire.subarray(0, 4));
    expect(() => opener.open(sizes.length, wire)).toThrow(/tag/);
  });
});
