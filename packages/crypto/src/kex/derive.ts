/**
 * Key derivation from K and H. RFC 4253 §7.2.
 *
 * Key X = HASH(K || H || letter || session_id), extended by HASH(K || H || K1 || ... ) until long
 * enough. Letters: 'A' IV client to server, 'B' IV server to client, 'C'/'D' encryption keys,
 * 'E'/'F' MAC keys.
 * @module
 */

import { createHash } from 'node:crypto';
import type { HashName } from '../hash.ts';

/** One derived key of `length` bytes. `sharedSecret` is K encoded as it is hashed. */
export function deriveKey(
  hash: HashName,
  sharedSecret: Uint8Array,
  exchangeHash: Uint8Array,
  letter: 'A' | 'B' | 'C' | 'D' | 'E' | 'F',
  sessionId: Uint8Array,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  if (length === 0) return out;
  let block: Uint8Array = createHash(hash).update(sharedSecret).update(exchangeHash).update(Uint8Array.of(letter.charCodeAt(0))).update(sessionId).digest();
  let have = Math.min(block.length, length);
  out.set(block.subarray(0, have));
  while (have < length) {
    block = createHash(hash).update(sharedSecret).update(exchangeHash).update(out.subarray(0, have)).digest();
    const take = Math.min(block.length, length - have);
    out.set(block.subarray(0, take), have);
    have += take;
  }
  return out;
}

/** Sizes to derive for one direction. */
export interface DirectionSizes {
  readonly ivLength: number;
  readonly keyLength: number;
  readonly macKeyLength: number;
}

export interface DirectionKeys {
  readonly iv: Uint8Array;
  readonly key: Uint8Array;
  readonly macKey: Uint8Array;
}

/** All six keys of RFC 4253 §7.2. */
export function deriveSessionKeys(
  hash: HashName,
  sharedSecret: Uint8Array,
  exchangeHash: Uint8Array,
  sessionId: Uint8Array,
  clientToServer: DirectionSizes,
  serverToClient: DirectionSizes,
): { readonly clientToServer: DirectionKeys; readonly serverToClient: DirectionKeys } {
  const d = (letter: 'A' | 'B' | 'C' | 'D' | 'E' | 'F', n: number): Uint8Array =>
    deriveKey(hash, sharedSecret, exchangeHash, letter, sessionId, n);
  return {
    clientToServer: { iv: d('A', clientToServer.ivLength), key: d('C', clientToServer.keyLength), macKey: d('E', clientToServer.macKeyLength) },
    serverToClient: { iv: d('B', serverToClient.ivLength), key: d('D', serverToClient.keyLength), macKey: d('F', serverToClient.macKeyLength) },
  };
}
