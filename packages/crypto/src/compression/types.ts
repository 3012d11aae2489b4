/**
 * Compression interfaces. RFC 4253 §6.2, OpenSSH PROTOCOL §2.2 (zlib@openssh.com).
 * @module
 */

export interface CompressionImpl {
  /** True for zlib@openssh.com: compression starts only after user authentication succeeds. */
  readonly delayed: boolean;
}
