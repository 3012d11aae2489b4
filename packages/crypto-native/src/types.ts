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

/** One direction's zlib stream (deflate or inflate), held by the binding. */
export interface ZlibState {
  readonly __brand: 'ZlibState';
}

/**
 * The binding's zlib for SSH compression (RFC 4253 §6.2): one stream per direction, each payload
 * deflated with a partial flush, each packet inflated with a sync flush. Failures are numbers, not
 * exceptions, and leave the stream refusing every later call.
 */
export interface NativeZlib {
  /** A deflate stream at `level` (-1 for zlib's default, 0 to 9), or an inflate stream. */
  create(deflating: boolean, level: number): ZlibState;
  /** The payload compressed and partially flushed, or a negative zlib error code. */
  deflate(state: ZlibState, payload: Uint8Array): Uint8Array | number;
  /**
   * The data inflated (at most `limit` bytes, 1 to 64 MiB), or a failure: `ZLIB_OVER_LIMIT`,
   * `ZLIB_BROKEN` (an earlier call failed), `ZLIB_STREAM_END` (the peer ended the stream, which
   * SSH never does), or zlib's own negative error code.
   */
  inflate(state: ZlibState, data: Uint8Array, limit: number): Uint8Array | number;
}

/** `NativeZlib.inflate()`: more than the limit. */
export const ZLIB_OVER_LIMIT = -100;
/** `NativeZlib.deflate()`/`inflate()`: the stream failed before. */
export const ZLIB_BROKEN = -101;
/** `NativeZlib.inflate()`: the stream ended. */
export const ZLIB_STREAM_END = -102;
