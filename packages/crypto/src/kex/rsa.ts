/**
 * RSA key exchange (RFC 4432): rsa2048-sha256 and rsa1024-sha1. The server sends its host key and
 * a transient RSA key; the client picks K, sends it RSAES-OAEP-encrypted (OAEP and MGF1 over the
 * method's hash); the server decrypts and signs H. RSA through node:crypto.
 * @module
 */

import { createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, constants, type KeyObject } from 'node:crypto';
import { bigintToUnsignedBytes, Reader, unsignedBytesToBigint, Writer } from '@ssh/wire';
import { KeyExchangeError } from '../errors.ts';
import { hashLength, type HashName } from '../hash.ts';
import { digest, misuse, randomSource, readMessage, transcriptWriter } from './common.ts';
import type { KexExchange, KexImpl, KexOptions, KexResult, KexStep } from './types.ts';

export const MSG_KEXRSA_PUBKEY = 30;
export const MSG_KEXRSA_SECRET = 31;
export const MSG_KEXRSA_DONE = 32;

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const fromB64url = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));

/** The ssh-rsa public key blob of an RSA key. */
function rsaBlob(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Writer(600)
    .utf8('ssh-rsa')
    .mpint(unsignedBytesToBigint(fromB64url(jwk.e)))
    .mpint(unsignedBytesToBigint(fromB64url(jwk.n)))
    .finish();
}

function parseRsaBlob(algorithm: string, blob: Uint8Array): { key: KeyObject; bits: number } {
  try {
    const r = new Reader(blob);
    if (r.utf8('key type') !== 'ssh-rsa') throw new KeyExchangeError(algorithm, 'transient key is not ssh-rsa');
    const e = r.mpint('e');
    const n = r.mpint('n');
    r.end('transient key');
    if (e <= 1n || n <= 0n) throw new KeyExchangeError(algorithm, 'invalid transient RSA key');
    const key = createPublicKey({ key: { kty: 'RSA', e: b64url(bigintToUnsignedBytes(e)), n: b64url(bigintToUnsignedBytes(n)) }, format: 'jwk' });
    return { key, bits: n.toString(2).length };
  } catch (e) {
    if (e instanceof KeyExchangeError) throw e;
    throw new KeyExchangeError(algorithm, 'malformed transient RSA key', { cause: e });
  }
}

export function rsaKex(algorithm: string, hash: HashName, minBits: number): KexImpl {
  return {
    hash,
    create(role, transcript, options?: KexOptions): KexExchange {
      const random = randomSource(options);
      let phase: 'idle' | 'waiting' | 'signing' | 'done' = 'idle';
      let hostKey: Uint8Array = new Uint8Array(0);
      let transientBlob: Uint8Array = new Uint8Array(0);
      let transientPrivate: KeyObject | undefined;
      let client: { k: Uint8Array; encrypted: Uint8Array } | undefined;
      let pending: KexResult | undefined;

      const exchangeHash = (encrypted: Uint8Array, k: Uint8Array): Uint8Array =>
        digest(hash, transcriptWriter(transcript, hostKey).bytes(transientBlob).bytes(encrypted).raw(k).bytesView());

      return {
        algorithm,
        role,
        start() {
          if (phase !== 'idle') throw misuse(algorithm, 'start() called twice');
          phase = 'waiting';
          if (role === 'client') return [];
          if (options?.hostKey === undefined) throw misuse(algorithm, 'the server needs options.hostKey');
          hostKey = options.hostKey;
          transientPrivate = options.transientRsaKey ?? generateKeyPairSync('rsa', { modulusLength: minBits }).privateKey;
          transientBlob = rsaBlob(createPublicKey(transientPrivate));
          return [new Writer(1024).u8(MSG_KEXRSA_PUBKEY).bytes(hostKey).bytes(transientBlob).finish()];
        },
        receive(payload): KexStep {
          if (phase !== 'waiting') throw misuse(algorithm, `unexpected message in phase ${phase}`);
          if (role === 'client') {
            if (client === undefined) {
              const msg = readMessage(algorithm, payload, MSG_KEXRSA_PUBKEY, 'KEXRSA pubkey', (r) => ({
                hostKey: r.bytes('host key'),
                transient: r.bytes('transient key'),
              }));
              hostKey = Uint8Array.from(msg.hostKey);
              transientBlob = Uint8Array.from(msg.transient);
              const { key, bits } = parseRsaBlob(algorithm, transientBlob);
              if (bits < minBits) throw new KeyExchangeError(algorithm, `transient RSA key is ${bits} bits, needs ${minBits}`);
              // K < 2^(KLEN - 2*HLEN - 49), RFC 4432 §4.
              const kBits = bits - 2 * hashLength(hash) * 8 - 49;
              const raw = random(Math.ceil(kBits / 8));
              const excess = raw.length * 8 - kBits;
              raw[0] = (raw[0] as number) & (0xff >> excess);
              const k = new Writer(raw.length + 5).mpint(unsignedBytesToBigint(raw)).finish();
              let encrypted: Uint8Array;
              try {
                encrypted = new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, k));
              } catch (cause) {
                throw new KeyExchangeError(algorithm, 'RSA encryption failed', { cause });
              }
              client = { k, encrypted };
              return { type: 'send', messages: [new Writer(encrypted.length + 8).u8(MSG_KEXRSA_SECRET).bytes(encrypted).finish()] };
            }
            const signature = readMessage(algorithm, payload, MSG_KEXRSA_DONE, 'KEXRSA done', (r) => r.bytes('signature'));
            phase = 'done';
            return {
              type: 'done',
              messages: [],
              result: {
                sharedSecret: client.k,
                exchangeHash: exchangeHash(client.encrypted, client.k),
                hostKey,
                signature: Uint8Array.from(signature),
                hash,
              },
            };
          }
          const encrypted = readMessage(algorithm, payload, MSG_KEXRSA_SECRET, 'KEXRSA secret', (r) => r.bytes('encrypted secret'));
          let k: Uint8Array;
          try {
            k = new Uint8Array(
              privateDecrypt({ key: transientPrivate as KeyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, encrypted),
            );
          } catch (cause) {
            throw new KeyExchangeError(algorithm, 'RSA decryption failed', { cause });
          }
          try {
            const r = new Reader(k);
            r.mpint('K');
            r.end('K');
          } catch (cause) {
            throw new KeyExchangeError(algorithm, 'decrypted secret is not an mpint', { cause });
          }
          const h = exchangeHash(encrypted, k);
          pending = { sharedSecret: k, exchangeHash: h, hostKey, signature: undefined, hash };
          phase = 'signing';
          return { type: 'sign', exchangeHash: h };
        },
        sign(signature): KexStep {
          if (phase !== 'signing' || pending === undefined) throw misuse(algorithm, 'sign() without a pending signature request');
          phase = 'done';
          return { type: 'done', messages: [new Writer(signature.length + 8).u8(MSG_KEXRSA_DONE).bytes(signature).finish()], result: pending };
        },
      };
    },
  };
}
