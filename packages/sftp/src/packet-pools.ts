/**
 * Pooled buffers for large SFTP packets (READ replies a client receives, WRITEs a server
 * receives): size classes of 2^k + 1 KiB from 17 KiB to 257 KiB (the default maximum packet), so
 * that a 32 KiB block takes a 33 KiB buffer, not one of the largest packet's size. Smaller packets,
 * and larger ones a raised packet limit lets through, get buffers of their own.
 * @module
 */

import { SizeClassPools } from '@ssh/wire';

/** Packets from this size on are pooled. */
const POOLED_MIN = 16 * 1024;

/** Pools keeping up to `freeBytes` (and `freeBuffers` buffers) free per size class. */
export function sftpPacketPools(freeBytes: number, freeBuffers: number): SizeClassPools {
  return new SizeClassPools({ minBits: 14, maxBits: 18, slack: 1024, minimum: POOLED_MIN, freeBytes, freeBuffers });
}
