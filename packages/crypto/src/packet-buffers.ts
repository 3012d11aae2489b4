/**
 * Buffers for packets, shared by every connection of the process. A cipher that writes its output
 * where it is told (AES-GCM on the native binding) seals each packet into one of these, and opens
 * each received packet into one. Whoever is done with the bytes hands the buffer back with
 * `recyclePacketBuffer()`: @ssh/transport's socket driver once the socket has written a sealed
 * packet, a consumer of received payloads once it has copied what it keeps (SFTP's client does).
 * A bulk transfer then works in the same few megabytes over and over instead of allocating a
 * buffer per 32 KiB packet outside the JavaScript heap: 32,000 of them per GiB, whose
 * allocation, sweeping and the collections they triggered took about a third of an SFTP server's
 * CPU. Buffers nobody hands back are collected as usual.
 *
 * Buffers come in size classes of 2^k + 1 KiB, 9 KiB to 257 KiB: a packet is mostly a
 * power-of-two payload (a channel's maximum packet) plus its headers, padding and tag. Other
 * sizes get a buffer of their own.
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
  // Not zero-filled: a cipher writes every byte of the packet it is given (and takePacketBuffer
  // clears the rest). Marked buffers: a stream reader never hands its packets back, and a WeakSet
  // entry per packet cost it a tenth of its CPU.
  return new BufferPool(size, minimum, Math.min(FREE_BUFFERS_MAX, Math.floor(FREE_BYTES_PER_CLASS / size)), {
    allocate: (n) => Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer,
    markBuffers: true,
  });
});

/**
 * A buffer of exactly `n` bytes for a packet; its contents are undefined (the cipher writes every
 * byte). The rest of a pooled buffer is cleared: a received packet's view reaches applications,
 * and its `.buffer` must not show an earlier packet, perhaps another connection's.
 */
export function takePacketBuffer(n: number): Uint8Array {
  for (const pool of pools) {
    if (n > pool.size) continue;
    if (n < pool.minimum) break;
    const view = pool.take(n);
    if (n < pool.size) new Uint8Array(view.buffer, n).fill(0);
    return view;
  }
  return Buffer.allocUnsafe(n);
}

/**
 * A packet buffer (any view of it: a sealed packet, a received payload, channel data in it) that
 * nothing refers to any more: it may carry a later packet, of this connection or another. Only
 * call this when the bytes are really done with (a socket write that completed, a payload
 * copied), never while a stream may still hold a view. Buffers that did not come from
 * `takePacketBuffer()`, and buffers handed back twice, are ignored.
 */
export function recyclePacketBuffer(packet: Uint8Array): void {
  const size = packet.buffer.byteLength;
  for (const pool of pools) {
    if (pool.size === size) {
      pool.give(packet);
      return;
    }
  }
}
