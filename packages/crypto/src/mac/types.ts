/**
 * MAC interfaces. RFC 4253 §6.4, OpenSSH PROTOCOL §1.5 (encrypt-then-MAC).
 * @module
 */

export interface MacImpl {
  /** Key length derived by the key exchange. */
  readonly keyLength: number;
  /** Bytes of MAC appended to each packet (after any truncation). */
  readonly tagLength: number;
  /** Encrypt-then-MAC: the length is sent in clear and the MAC covers the ciphertext. */
  readonly etm: boolean;
  create(key: Uint8Array): Mac;
}

export interface Mac {
  /** MAC of uint32 `seq` followed by `data`. */
  compute(seq: number, data: Uint8Array): Uint8Array;
  /** MAC of uint32 `seq` followed by the concatenation of `parts`. */
  computeParts(seq: number, parts: readonly Uint8Array[]): Uint8Array;
  /** Constant-time check of `tag` against the MAC of `seq` || `data`. */
  verify(seq: number, data: Uint8Array, tag: Uint8Array): boolean;
}
