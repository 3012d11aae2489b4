/**
 * Compression interfaces. RFC 4253 §6.2, OpenSSH PROTOCOL §2.2 (zlib@openssh.com).
 * @module
 */

export interface DecompressorOptions {
  /** Largest inflated payload accepted per packet (default 256 KiB): a bomb ends in `CompressionError`. */
  readonly maxInflatedLength?: number;
}

/** One direction's compressor: state carries across packets (one zlib stream per direction). */
export interface Compressor {
  compress(payload: Uint8Array): Uint8Array;
}

export interface Decompressor {
  /** Throws `CompressionError` for corrupt data or output beyond the limit. */
  decompress(payload: Uint8Array): Uint8Array;
}

export interface CompressionImpl {
  /** True for zlib@openssh.com: compression starts only after user authentication succeeds. */
  readonly delayed: boolean;
  createCompressor(): Compressor;
  createDecompressor(options?: DecompressorOptions): Decompressor;
}
