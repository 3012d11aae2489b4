/**
 * Key exchanges with one round trip: the client sends its public value (INIT, message 30), the
 * server answers with its host key, public value and signature (REPLY, message 31). Covers
 * diffie-hellman-group* (RFC 4253 §8, values as mpint), ecdh-sha2-* (RFC 5656 §4), curve25519 /
 * curve448 (RFC 8731) and the post-quantum hybrids (values as strings).
 * @module
 */

import { bytesToMpint, unsignedBytesToBigint, Writer, type Reader } from '@ssh/wire';
import { KeyExchangeError } from '../errors.ts';
import type { HashName } from '../hash.ts';
import { digest, misuse, readMessage, transcriptWriter, type RandomSource } from './common.ts';
import type { KexExchange, KexImpl, KexOptions, KexResult, KexRole, KexStep, KexTranscript } from './types.ts';

export const MSG_KEX_INIT = 30;
export const MSG_KEX_REPLY = 31;

/** The math of one method: key pairs and the shared secret. Values are raw bytes. */
export interface Agreement {
  /** How public values travel and are hashed: ECDH strings, or DH mpints (unsigned magnitude here). */
  readonly valueEncoding: 'string' | 'mpint';
  /** How K is hashed: mpint (classical) or string (hybrid post-quantum methods). */
  readonly secretEncoding: 'mpint' | 'string';
  /**
   * Client: a key pair; `complete` takes the server's value and returns K. `random` is the
   * injected source, undefined for the default (node:crypto, possibly inside OpenSSL).
   */
  client(random: RandomSource | undefined): { readonly publicValue: Uint8Array; complete(serverValue: Uint8Array): Uint8Array };
  /** Server: answers the client's value with its own and K. */
  server(clientValue: Uint8Array, random: RandomSource | undefined): { readonly publicValue: Uint8Array; readonly secret: Uint8Array };
}

export function writeValue(w: Writer, enc: 'string' | 'mpint', v: Uint8Array): Writer {
  return enc === 'string' ? w.bytes(v) : w.mpint(unsignedBytesToBigint(v));
}

export function encodeSecret(enc: 'mpint' | 'string', k: Uint8Array): Uint8Array {
  return enc === 'string' ? new Writer(k.length + 4).bytes(k).finish() : new Writer(k.length + 5).mpint(unsignedBytesToBigint(k)).finish();
}

/** A `KexImpl` over an agreement. */
export function oneRoundKex(algorithm: string, hash: HashName, agreement: (name: string) => Agreement): KexImpl {
  return {
    hash,
    create(role: KexRole, transcript: KexTranscript, options?: KexOptions): KexExchange {
      const a = agreement(algorithm);
      const random = options?.random;
      const readValue = (r: Reader, field: string): Uint8Array => {
        if (a.valueEncoding === 'string') return r.bytes(field);
        const raw = r.bytes(field);
        const v = bytesToMpint(raw);
        if (v <= 0n) throw new KeyExchangeError(algorithm, `${field} is not positive`);
        return raw[0] === 0 ? raw.subarray(1) : raw;
      };
      const exchangeHash = (hostKey: Uint8Array, qc: Uint8Array, qs: Uint8Array, k: Uint8Array): Uint8Array => {
        const w = transcriptWriter(transcript, hostKey);
        writeValue(w, a.valueEncoding, qc);
        writeValue(w, a.valueEncoding, qs);
        w.raw(k);
        return digest(hash, w.bytesView());
      };

      let phase: 'idle' | 'sent' | 'signing' | 'done' = 'idle';
      let pendingClient: ReturnType<Agreement['client']> | undefined;
      let pendingReply: { hostKey: Uint8Array; value: Uint8Array; result: KexResult } | undefined;

      return {
        algorithm,
        role,
        start() {
          if (phase !== 'idle') throw misuse(algorithm, 'start() called twice');
          if (role === 'server') {
            if (options?.hostKey === undefined) throw misuse(algorithm, 'the server needs options.hostKey');
            phase = 'sent';
            return [];
          }
          pendingClient = a.client(random);
          phase = 'sent';
          return [writeValue(new Writer(256).u8(MSG_KEX_INIT), a.valueEncoding, pendingClient.publicValue).finish()];
        },
        receive(payload): KexStep {
          if (phase !== 'sent') throw misuse(algorithm, `unexpected message in phase ${phase}`);
          if (role === 'client') {
            const reply = readMessage(algorithm, payload, MSG_KEX_REPLY, 'KEX reply', (r) => ({
              hostKey: r.bytes('host key'),
              value: readValue(r, 'server public value'),
              signature: r.bytes('signature'),
            }));
            const c = pendingClient;
            if (c === undefined) throw misuse(algorithm, 'start() was not called');
            const k = encodeSecret(a.secretEncoding, c.complete(reply.value));
            const result: KexResult = {
              sharedSecret: k,
              exchangeHash: exchangeHash(reply.hostKey, c.publicValue, reply.value, k),
              hostKey: Uint8Array.from(reply.hostKey),
              signature: Uint8Array.from(reply.signature),
              hash,
            };
            phase = 'done';
            return { type: 'done', messages: [], result };
          }
          const clientValue = readMessage(algorithm, payload, MSG_KEX_INIT, 'KEX init', (r) => readValue(r, 'client public value'));
          const hostKey = options?.hostKey as Uint8Array;
          const s = a.server(clientValue, random);
          const k = encodeSecret(a.secretEncoding, s.secret);
          const h = exchangeHash(hostKey, clientValue, s.publicValue, k);
          pendingReply = { hostKey, value: s.publicValue, result: { sharedSecret: k, exchangeHash: h, hostKey, signature: undefined, hash } };
          phase = 'signing';
          return { type: 'sign', exchangeHash: h };
        },
        sign(signature): KexStep {
          const p = pendingReply;
          if (phase !== 'signing' || p === undefined) throw misuse(algorithm, 'sign() without a pending signature request');
          phase = 'done';
          const w = new Writer(p.hostKey.length + p.value.length + signature.length + 32).u8(MSG_KEX_REPLY).bytes(p.hostKey);
          writeValue(w, a.valueEncoding, p.value).bytes(signature);
          return { type: 'done', messages: [w.finish()], result: p.result };
        },
      };
    },
  };
}
