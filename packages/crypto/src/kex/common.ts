/**
 * Shared pieces of the key exchange machines: random bytes, the exchange hash, message reading.
 * @module
 */

import { createHash, randomBytes } from 'node:crypto';
import { Reader, WireError, Writer } from '@ssh/wire';
import { KeyExchangeError } from '../errors.ts';
import type { HashName } from '../hash.ts';
import type { KexOptions, KexTranscript } from './types.ts';

export type RandomSource = (n: number) => Uint8Array;

/** node:crypto's random bytes. */
export const defaultRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

export function randomSource(options: KexOptions | undefined): RandomSource {
  return options?.random ?? defaultRandom;
}

/** Writer primed with the common prefix of H: V_C, V_S, I_C, I_S, K_S. RFC 4253 §8. */
export function transcriptWriter(t: KexTranscript, hostKey: Uint8Array): Writer {
  return new Writer(1024)
    .utf8(t.clientVersion)
    .utf8(t.serverVersion)
    .bytes(t.clientKexInit)
    .bytes(t.serverKexInit)
    .bytes(hostKey);
}

export function digest(hash: HashName, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}

/** Reads a kex message, turning wire errors into `KeyExchangeError`s. */
export function readMessage<T>(algorithm: string, payload: Uint8Array, expected: number, name: string, body: (r: Reader) => T): T {
  try {
    const r = new Reader(payload);
    const n = r.u8('message number');
    if (n !== expected) throw new KeyExchangeError(algorithm, `expected ${name} (${expected}), got message ${n}`);
    const value = body(r);
    r.end(name);
    return value;
  } catch (e) {
    if (e instanceof WireError) throw new KeyExchangeError(algorithm, `malformed ${name}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** API misuse (wrong order of calls) in a kex machine. */
export function misuse(algorithm: string, detail: string): KeyExchangeError {
  return new KeyExchangeError(algorithm, detail);
}
