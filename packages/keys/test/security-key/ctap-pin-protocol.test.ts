/**
 * PIN/UV auth protocols one and two (FIDO CTAP 2.1 §6.5.6, §6.5.7), checked against the
 * definitions computed another way: ECDH with @noble/curves, HKDF with @noble/hashes, AES-CBC
 * and HMAC step by step. The specification gives no vectors for these; fixed keys make the
 * expected values reproducible.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, test } from 'vitest';
import { SecurityKeyError } from '../../src/node/security-key/backend.ts';
import { ecdhPointFromCose } from '../../src/node/security-key/ctap/cose.ts';
import { paddedPin, pinHashLeft16, pinProtocolOne, pinProtocolTwo } from '../../src/node/security-key/ctap/pin-protocol.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Fixed scalars: SHA-256 of a label, each below the P-256 group order.
const PLATFORM_KEY = createHash('sha256').update('platform key').digest();
const AUTHENTICATOR_KEY = createHash('sha256').update('authenticator key').digest();
const AUTHENTICATOR_POINT = p256.getPublicKey(AUTHENTICATOR_KEY, false);
const PLATFORM_POINT = p256.getPublicKey(PLATFORM_KEY, false);
/** Z: the x coordinate of the shared point, computed by noble. */
const Z = p256.getSharedSecret(AUTHENTICATOR_KEY, PLATFORM_POINT).subarray(1);

describe('protocol one', () => {
  const one = pinProtocolOne(PLATFORM_KEY);
  const { platformKey, sharedSecret } = one.encapsulate(AUTHENTICATOR_POINT);

  test('the platform key is our point as a COSE ECDH-ES+HKDF-256 key', () => {
    expect(platformKey.get(1)).toBe(2);
    expect(platformKey.get(3)).toBe(-25);
    expect(platformKey.get(-1)).toBe(1);
    expect(toHex(ecdhPointFromCose(platformKey))).toBe(toHex(PLATFORM_POINT));
  });

  test('shared secret = SHA-256(Z)', () => {
    expect(toHex(sharedSecret)).toBe(toHex(sha256(Z)));
  });

  test('AES-256-CBC under a zero IV, no padding', () => {
    const plain = pinHashLeft16('1234');
    const c = createCipheriv('aes-256-cbc', sharedSecret, Buffer.alloc(16)).setAutoPadding(false);
    const expected = Buffer.concat([c.update(plain), c.final()]);
    const encrypted = one.encrypt(sharedSecret, plain);
    expect(toHex(encrypted)).toBe(toHex(expected));
    expect(toHex(one.decrypt(sharedSecret, encrypted))).toBe(toHex(plain));
    expect(() => one.encrypt(sharedSecret, new Uint8Array(15))).toThrow(SecurityKeyError);
  });

  test('authenticate = LEFT(HMAC-SHA-256, 16)', () => {
    const message = new TextEncoder().encode('clientDataHash');
    expect(toHex(one.authenticate(sharedSecret, message))).toBe(toHex(createHmac('sha256', sharedSecret).update(message).digest().subarray(0, 16)));
  });
});

describe('protocol two', () => {
  const IV = hex('000102030405060708090a0b0c0d0e0f');
  const two = pinProtocolTwo(PLATFORM_KEY, IV);
  const { sharedSecret } = two.encapsulate(AUTHENTICATOR_POINT);
  const salt = new Uint8Array(32);
  const hmacKey = hkdf(sha256, Z, salt, new TextEncoder().encode('CTAP2 HMAC key'), 32);
  const aesKey = hkdf(sha256, Z, salt, new TextEncoder().encode('CTAP2 AES key'), 32);

  test('shared secret = HKDF(Z, "CTAP2 HMAC key") || HKDF(Z, "CTAP2 AES key"), zero salt', () => {
    expect(toHex(sharedSecret)).toBe(toHex(hmacKey) + toHex(aesKey));
  });

  test('encrypt = IV || AES-256-CBC(AES key, IV), decrypt reverses it', () => {
    const plain = new Uint8Array(64).fill(0x5a);
    const c = createCipheriv('aes-256-cbc', aesKey, IV).setAutoPadding(false);
    const expected = Buffer.concat([IV, c.update(plain), c.final()]);
    const encrypted = two.encrypt(sharedSecret, plain);
    expect(toHex(encrypted)).toBe(toHex(expected));
    expect(toHex(two.decrypt(sharedSecret, encrypted))).toBe(toHex(plain));
  });

  test('a fresh IV per encryption when none is fixed', () => {
    const random = pinProtocolTwo(PLATFORM_KEY);
    const a = random.encrypt(sharedSecret, new Uint8Array(16));
    const b = random.encrypt(sharedSecret, new Uint8Array(16));
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(toHex(random.decrypt(sharedSecret, b))).toBe(toHex(new Uint8Array(16)));
  });

  test('authenticate: the HMAC half of a shared secret, or a whole token; all 32 bytes', () => {
    const message = new TextEncoder().encode('message');
    expect(toHex(two.authenticate(sharedSecret, message))).toBe(toHex(createHmac('sha256', hmacKey).update(message).digest()));
    const token = new Uint8Array(32).fill(7);
    expect(toHex(two.authenticate(token, message))).toBe(toHex(createHmac('sha256', token).update(message).digest()));
  });

  test('malformed ciphertexts and keys', () => {
    expect(() => two.decrypt(sharedSecret, new Uint8Array(15))).toThrow(/shorter than its IV/);
    expect(() => two.decrypt(sharedSecret, new Uint8Array(20))).toThrow(/AES blocks/);
    expect(() => two.encrypt(new Uint8Array(32), new Uint8Array(16))).toThrow(/64 bytes/);
  });
});

test('a key agreement key that is not on the curve', () => {
  const bad = new Uint8Array(65);
  bad[0] = 4;
  bad[64] = 1;
  expect(() => pinProtocolTwo().encapsulate(bad)).toThrow(/not a P-256 point/);
  expect(() => pinProtocolOne().encapsulate(bad)).toThrow(SecurityKeyError);
});

test('two encapsulations make two platform keys', () => {
  const one = pinProtocolOne();
  const a = one.encapsulate(AUTHENTICATOR_POINT);
  const b = one.encapsulate(AUTHENTICATOR_POINT);
  expect(toHex(a.sharedSecret)).not.toBe(toHex(b.sharedSecret));
});

describe('PIN encodings', () => {
  test('pinHash = LEFT(SHA-256(PIN), 16)', () => {
    // SHA-256("1234") = 03ac674216f3e15c761ee1a5e255f067953623c8b388b4459e13f978d7c846f4
    expect(toHex(pinHashLeft16('1234'))).toBe('03ac674216f3e15c761ee1a5e255f067');
  });

  test('a new PIN is UTF-8 padded with zeros to 64 bytes, 4 to 63 bytes long', () => {
    const padded = paddedPin('p\u00e4ss');
    expect(padded.length).toBe(64);
    expect(toHex(padded.subarray(0, 6))).toBe('70c3a4737300');
    expect(padded.subarray(5).every((b) => b === 0)).toBe(true);
    expect(() => paddedPin('123')).toThrow(SecurityKeyError);
    expect(() => paddedPin('x'.repeat(64))).toThrow(/4 to 63 bytes/);
    expect(paddedPin('x'.repeat(63))[62]).toBe(0x78);
  });
});
