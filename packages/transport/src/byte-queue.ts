/**
 * A FIFO of received bytes that hands out contiguous views without quadratic copying: chunks are
 * kept as they arrive and joined only for the span a reader asks for. Every operation costs in
 * proportion to the chunks it touches, never to how many are queued behind them.
 * @module
 */

import { uninitializedBytes } from './bytes.ts';

/** What a consumed chunk's slot holds until compaction. */
const EMPTY = new Uint8Array(0);

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private first = 0; // index of the first live chunk
  private head = 0; // bytes of chunks[first] already consumed
  private size = 0;

  /** Bytes available. */
  get length(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The first `n` bytes (n <= length) as one contiguous view; copies only when they span chunks. */
  peek(n: number): Uint8Array {
    if (n > this.size) throw new RangeError(`peek(${n}) with ${this.size} bytes queued`);
    const front = this.chunks[this.first];
    if (front === undefined) return new Uint8Array(0);
    if (front.length - this.head >= n) return front.subarray(this.head, this.head + n);
    // Join the span into one chunk, which takes the place of the chunks it covers, so that later
    // peeks of the same span are free.
    const joined = uninitializedBytes(n);
    joined.set(front.subarray(this.head), 0);
    let filled = front.length - this.head;
    let i = this.first + 1;
    for (;;) {
      const chunk = this.chunks[i] as Uint8Array;
      const part = n - filled;
      if (chunk.length > part) {
        joined.set(chunk.subarray(0, part), filled);
        this.chunks[i] = chunk.subarray(part);
        i--;
        break;
      }
      joined.set(chunk, filled);
      filled += chunk.length;
      if (filled === n) break;
      i++;
    }
    // chunks[i] is the last slot the span used up entirely; the joined bytes live there now.
    this.chunks[i] = joined;
    this.first = i;
    this.head = 0;
    return joined;
  }

  /** Removes and returns the first `n` bytes (n <= length). */
  take(n: number): Uint8Array {
    const view = this.peek(n);
    this.skip(n);
    return view;
  }

  /** Drops the first `n` bytes (n <= length). */
  skip(n: number): void {
    if (n > this.size) throw new RangeError(`skip(${n}) with ${this.size} bytes queued`);
    this.size -= n;
    while (n > 0) {
      const front = this.chunks[this.first] as Uint8Array;
      const avail = front.length - this.head;
      if (avail > n) {
        this.head += n;
        return;
      }
      n -= avail;
      // Consumed chunks are not kept alive until compaction (received packets, up to 64 of them).
      this.chunks[this.first++] = EMPTY;
      this.head = 0;
    }
    this.compact();
  }

  /**
   * Copies what is queued into memory of its own, so that chunks pushed as views of a buffer the
   * caller will reuse no longer refer to it.
   */
  detach(): void {
    if (this.size === 0) {
      this.chunks.length = 0;
      this.first = 0;
      this.head = 0;
      return;
    }
    const copy = uninitializedBytes(this.size);
    this.moveInto(copy);
    this.push(copy);
  }

  /** Moves everything queued into `target` (at least `length` bytes long), leaving the queue empty. */
  moveInto(target: Uint8Array): void {
    let at = 0;
    for (let i = this.first; i < this.chunks.length; i++) {
      const chunk = i === this.first ? (this.chunks[i] as Uint8Array).subarray(this.head) : (this.chunks[i] as Uint8Array);
      target.set(chunk, at);
      at += chunk.length;
    }
    this.chunks.length = 0;
    this.first = 0;
    this.head = 0;
    this.size = 0;
  }

  /** Removes and returns everything queued. */
  takeAll(): Uint8Array {
    return this.take(this.size);
  }

  /** Drops the slots of consumed chunks once they outnumber the live ones (amortised O(1)). */
  private compact(): void {
    if (this.first === this.chunks.length) {
      this.chunks.length = 0;
      this.first = 0;
    } else if (this.first >= 64 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
