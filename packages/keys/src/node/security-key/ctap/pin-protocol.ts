/**
 * PIN/UV auth protocols one and two, platform side. FIDO CTAP 2.1 §6.5.6 and §6.5.7: ECDH on
 * P-256 with the authenticator's key agreement key; protocol one derives one key as SHA-256(Z),
 * encrypts with AES-256-CBC under a zero IV and authenticates with HMAC-SHA-256 cut to 16 bytes;
 * protocol two derives an HMAC key and an AES key with HKDF-SHA-256, encrypts under a random IV
 * sent in front of the ciphertext and keeps the whole HMAC.
 * @module
 */

import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { SecurityKeyError } from '../backend.ts';
import type { CborMap } from './cbor.ts';
import { ecdhCoseKey } from './cose.ts';

export type PinProtocolVersion = 1 | 2;

export interface PinUvAuthProtocol {
  readonly version: PinProtocolVersion;
  /** ECDH with the authenticator's key: our COSE key for the request, and the shared secret. */
  encapsulate(peerPoint: Uint8Array): { platformKey: CborMap; sharedSecret: Uint8Array };
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** The pinUvAuthParam of `message` under `key` (a shared secret or a pinUvAuthToken). */
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
}

function ecdh(peerPoint: Uint8Array, privateKey: Uint8Array | undefined): { publicKey: Uint8Array; z: Uint8Array } {
  const ec = createECDH('prime256v1');
  if (privateKey === undefined) ec.generateKeys();
  else ec.setPrivateKey(privateKey);
  try {
    return { publicKey: ec.getPublicKey(), z: ec.computeSecret(peerPoint) };
  } catch (cause) {
    throw new SecurityKeyError('general', "the security key's key agreement key is not a P-256 point", { cause });
  }
}

function aesCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length % 16 !== 0) throw new SecurityKeyError('general', `PIN protocol: ${data.length} bytes is not a whole number of AES blocks`);
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * Protocol one. `privateKey` fixes the platform's ECDH key (known-answer tests); otherwise each
 * encapsulation uses a fresh one, as the protocol asks.
 */
export function pinProtocolOne(privateKey?: Uint8Array): PinUvAuthProtocol {
  return {
    version: 1,
    encapsulate(peerPoint) {
      const { publicKey, z } = ecdh(peerPoint, privateKey);
      return { platformKey: ecdhCoseKey(publicKey), sharedSecret: createHash('sha256').update(z).digest() };
    },
    encrypt: (key, plaintext) => aesCbc(true, key, new Uint8Array(16), plaintext),
    decrypt: (key, ciphertext) => aesCbc(false, key, new Uint8Array(16), ciphertext),
    authenticate: (key, message) => createHmac('sha256', key).update(message).digest().subarray(0, 16),
  };
}

/** Protocol two: HMAC key then AES key, 64 bytes of shared secret. `privateKey` and `iv` fix the random parts for tests. */
export function pinProtocolTwo(privateKey?: Uint8Array, iv?: Uint8Array): PinUvAuthProtocol {
  return {
    version: 2,
    encapsulate(peerPoint) {
      const { publicKey, z } = ecdh(peerPoint, privateKey);
      const salt = new Uint8Array(32);
      const hmacKey = new Uint8Array(hkdfSync('sha256', z, salt, 'CTAP2 HMAC key', 32));
      const aesKey = new Uint8Array(hkdfSync('sha256', z, salt, 'CTAP2 AES key', 32));
      const sharedSecret = new Uint8Array(64);
      sharedSecret.set(hmacKey, 0);
      sharedSecret.set(aesKey, 32);
      return { platformKey: ecdhCoseKey(publicKey), sharedSecret };
    },
    encrypt(key, plaintext) {
      const nonce = iv ?? randomBytes(16);
      return Buffer.concat([nonce, aesCbc(true, aesKeyOf(key), nonce, plaintext)]);
    },
    decrypt(key, ciphertext) {
      if (ciphertext.length < 16) throw new SecurityKeyError('general', 'PIN protocol two: ciphertext shorter than its IV');
      return aesCbc(false, aesKeyOf(key), ciphertext.subarray(0, 16), ciphertext.subarray(16));
    },
    // A 64-byte shared secret authenticates with its HMAC half; a 32-byte token is used whole.
    authenticate: (key, message) => createHmac('sha256', key.length === 64 ? key.subarray(0, 32) : key).update(message).digest(),
  };
}

function aesKeyOf(sharedSecret: Uint8Array): Uint8Array {
  if (sharedSecret.length !== 64) throw new SecurityKeyError('general', 'PIN protocol two: a shared secret has 64 bytes');
  return sharedSecret.subarray(32);
}

export function pinProtocol(version: PinProtocolVersion): PinUvAuthProtocol {
  return version === 1 ? pinProtocolOne() : pinProtocolTwo();
}

/** LEFT(SHA-256(pin), 16): what getPinToken sends, encrypted. §6.5.5.7. */
export function pinHashLeft16(pin: string): Uint8Array {
  return createHash('sha256').update(pin.normalize('NFC'), 'utf8').digest().subarray(0, 16);
}

/** The PIN as setPIN sends it: UTF-8, 4 to 63 bytes, zero-padded to 64. §6.5.5.5. */
export function paddedPin(pin: string): Uint8Array {
  const bytes = Buffer.from(pin.normalize('NFC'), 'utf8');
  if (bytes.length < 4 || bytes.length > 63) throw new SecurityKeyError('pin-invalid', 'a PIN has 4 to 63 bytes of UTF-8');
  const out = new Uint8Array(64);
  out.set(bytes);
  return out;
}
