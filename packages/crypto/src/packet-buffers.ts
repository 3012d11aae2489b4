/**
 * Buffers for sealed packets, shared by every connection of the process. A cipher that writes
 * its output where it is told (AES-GCM on the native binding) seals each packet into one of
 * these; whoever writes the packet out hands it back with `recycleSealedPacket()` once the bytes
 * have left (@ssh/transport's socket driver does, after each socket write). A bulk sender then
 * seals into the same few megabytes over and over instead of allocating a buffer per 32 KiB
 * packet outside the JavaScript heap: 32,000 of them per GiB, whose allocation, sweeping and the
 * collections they triggered took a quarter of an SFTP server's CPU.
 *
 * Buffers come in size classes of 2^k + 1 KiB, 9 KiB to 257 KiB: a packet is mostly a
 * power-of-two payload (a channel's maximum packet) plus its headers, padding and tag. Other
 * sizes get a buffer of their own, collected as usual.
 * @module
 */

import { BufferPool } from '@ssh/wire';

const SLACK = 1024;
/** Smallest size served from the pool: below it node's own small-buffer pool is cheaper. */
const POOLED_MIN = 4096;
/** Free bytes kept per size class, and the most buffers kept free in any class. */
const FREE_BYTES_PER_CLASS = 4 * 1024 * 1024;
const FREE_BUFFERS_MAX = 128;

const pools: readonly BufferPool[] = [13, 14, 15, 16, 17, 18].map((k, i, all) => {
  const size = 2 ** k + SLACK;
  const minimum = i === 0 ? POOLED_MIN : 2 ** (all[i - 1] as number) + SLACK + 1;
  return new BufferPool(size, minimum, Math.min(FREE_BUFFERS_MAX, Math.floor(FREE_BYTES_PER_CLASS / size)));
});

/** A buffer of exactly `n` bytes for a sealed packet; its contents are undefined (the cipher writes every byte). */
export function takePacketBuffer(n: number): Uint8Array {
  for (const pool of pools) {
    if (n <= pool.size) return n >= pool.minimum ? pool.take(n) : Buffer.allocUnsafe(n);
  }
  return Buffer.allocUnsafe(n);
}

/**
 * A sealed packet (any view of it) has been written out and nothing refers to its bytes any
 * more: its buffer may carry a later packet, of this connection or another. Only call this when
 * the bytes have really been copied (a socket write that completed), never while a stream may
 * still hold the chunk. Buffers that did not come from `takePacketBuffer()`, and buffers
 * handed back twice, are ignored.
 */
export function recycleSealedPacket(packet: Uint8Array): void {
  const size = packet.buffer.byteLength;
  for (const pool of pools) {
    if (pool.size === size) {
      pool.give(packet);
      return;
    }
  }
}
