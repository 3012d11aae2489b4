/**
 * Packet cipher interfaces. RFC 4253 §6.3, RFC 5647, OpenSSH PROTOCOL.chacha20poly1305.
 * @module
 */

/** Sizes every cipher declares (bytes). */
export interface CipherInfo {
  /** Key length. */
  readonly keyLength: number;
  /** IV length derived by the key exchange (0 when the cipher takes none). */
  readonly ivLength: number;
  /** Block size: packets are padded to a multiple of max(blockLength, 8). */
  readonly blockLength: number;
  /** Authentication tag appended to each packet (AEAD only, else 0). */
  readonly tagLength: number;
  /** True when the cipher authenticates (no MAC is negotiated for it). */
  readonly aead: boolean;
}

/** A keyed, stateful, length-preserving transform (CTR, CBC, stream): state carries across calls. */
export interface CipherStream {
  /** Transforms `data` (a multiple of the block length) and returns the result. */
  update(data: Uint8Array): Uint8Array;
  /**
   * True when `update` takes pieces of any length as long as their total is block-aligned
   * (OpenSSL buffers partial blocks; stream ciphers have none): the packet layer then encrypts a
   * payload in place of copying it first.
   */
  readonly acceptsPartial?: boolean;
}

/** A cipher without integrity (paired with a MAC by the packet layer). */
export interface StreamCipherImpl extends CipherInfo {
  readonly aead: false;
  createCipher(key: Uint8Array, iv: Uint8Array, direction: 'encrypt' | 'decrypt'): CipherStream;
}

/**
 * An authenticated packet cipher. The first `aadLength` bytes of a packet (the length field, 4 in
 * the packet protocol, 0 for whole-buffer use) are handled as the construction says: in clear as
 * associated data (AES-GCM) or encrypted with a separate key (chacha20-poly1305).
 */
export interface AeadCipher {
  /** Returns header' || ciphertext || tag for `data` = header || plaintext. */
  seal(seq: number, data: Uint8Array, aadLength: number): Uint8Array;
  /**
   * Packet form of `seal` without copying the body first: `lengthField` (4 bytes) then `parts`
   * (their concatenation is the plaintext). Returns the wire packet as consecutive chunks.
   */
  sealParts(seq: number, lengthField: Uint8Array, parts: readonly Uint8Array[]): Uint8Array[];
  /**
   * Optional packet form of `seal` whose result is node's output buffer itself (one buffer per
   * packet, no copy): `input` holds `start` bytes of room, the plaintext body (padding length,
   * payload, padding) at `[start, end)` and `tagLength` bytes of room after it. Returns a buffer of
   * `input.length` bytes with the 4-byte length field (`end - start`, big-endian) right before
   * `start`, the ciphertext at `[start, end)` and the tag after it; the packet is
   * `[start - 4, end + tagLength)`, other bytes are unspecified. AES-GCM takes `start` = 16.
   */
  sealInRoom?(seq: number, input: Uint8Array, start: number, end: number): Uint8Array;
  /** The packet length field from the first 4 bytes of a packet on the wire. */
  decryptLength(seq: number, head: Uint8Array): number;
  /** Checks the tag and returns the plaintext after the header; throws `MacError`. */
  open(seq: number, packet: Uint8Array, aadLength: number): Uint8Array;
}

export interface AeadCipherImpl extends CipherInfo {
  readonly aead: true;
  createAead(key: Uint8Array, iv: Uint8Array): AeadCipher;
}

export type CipherImpl = StreamCipherImpl | AeadCipherImpl;
