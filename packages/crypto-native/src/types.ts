/** The binding's interface. @module */

/** One direction's cipher state: the key schedule and the nonce, held by the binding. */
export interface AesGcmState {
  readonly __brand: 'AesGcmState';
}

/** The binding's AES-GCM (OpenSSH PROTOCOL §1.6 nonces: the invocation counter advances per packet). */
export interface NativeAesGcm {
  /** A state for `key` (16 or 32 bytes) and the 12-byte initial nonce. */
  create(key: Uint8Array, nonce: Uint8Array, encrypt: boolean): AesGcmState;
  /**
   * Encrypts the parts' concatenation into `out` from `at`, the tag right after it, with `aad` as
   * associated data. A single part may lie exactly at `out[at]` (in place); nothing else may
   * overlap the output.
   */
  seal(state: AesGcmState, aad: Uint8Array, parts: Uint8Array | readonly Uint8Array[], out: Uint8Array, at: number): void;
  /**
   * `packet` = aad || ciphertext || tag: decrypts into `out` and returns whether the tag is
   * right. On a wrong tag `out` is zeroed and the nonce stays.
   */
  open(state: AesGcmState, packet: Uint8Array, aadLength: number, out: Uint8Array): boolean;
}
