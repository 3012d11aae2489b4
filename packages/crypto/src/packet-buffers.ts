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

import { SizeClassPools } from '@ssh/wire';

// Not zero-filled: a cipher writes every byte of the packet it is given (and takePacketBuffer
// clears the rest). Marked buffers: a stream reader never hands its packets back, and a WeakSet
// entry per packet cost it a tenth of its CPU. Below 4 KiB node's own small-buffer pool is cheaper.
const pools = new SizeClassPools({
  minBits: 13,
  maxBits: 18,
  slack: 1024,
  minimum: 4096,
  freeBytes: 4 * 1024 * 1024,
  freeBuffers: 128,
  allocate: (n) => Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer,
  markBuffers: true,
  unpooled: (n) => Buffer.allocUnsafe(n),
  clearSlack: true,
});

/**
 * A buffer of exactly `n` bytes for a packet; its contents are undefined (the cipher writes every
 * byte). The rest of a pooled buffer is cleared: a received packet's view reaches applications,
 * and its `.buffer` must not show an earlier packet, perhaps another connection's.
 */
export function takePacketBuffer(n: number): Uint8Array {
  return pools.take(n);
}

/**
 * A packet buffer (any view of it: a sealed packet, a received payload, channel data in it) that
 * nothing refers to any more: it may carry a later packet, of this connection or another. Only
 * call this when the bytes are really done with (a socket write that completed, a payload
 * copied), never while a stream may still hold a view. Buffers that did not come from
 * `takePacketBuffer()`, and buffers handed back twice, are ignored.
 */
export function recyclePacketBuffer(packet: Uint8Array): void {
  pools.give(packet);
}
