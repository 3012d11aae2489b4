/**
 * Key exchange interfaces (sans-I/O). RFC 4253 §7-8.
 * @module
 */

import type { HashName } from '../hash.ts';

export interface KexImpl {
  /** The hash of the exchange hash H and of key derivation. */
  readonly hash: HashName;
}
