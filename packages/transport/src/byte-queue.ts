/**
 * A FIFO of received bytes that hands out contiguous views without quadratic copying: chunks are
 * kept as they arrive and joined only for the span a reader asks for.
 * @module
 */

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes of chunks[0] already consumed
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
    const first = this.chunks[0];
    if (first === undefined) return new Uint8Array(0);
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    // Join the span into one chunk, so later peeks of the same span are free.
    const joined = new Uint8Array(n);
    let filled = 0;
    let offset = this.head;
    for (const chunk of this.chunks) {
      if (filled === n) break;
      const part = chunk.subarray(offset, offset + (n - filled));
      joined.set(part, filled);
      filled += part.length;
      offset = 0;
    }
    this.rejoin(joined, n);
    return joined;
  }

  /** Replaces the queued bytes [0, n) with `joined` (same contents) so the span is contiguous. */
  private rejoin(joined: Uint8Array, n: number): void {
    let remaining = n;
    const out: Uint8Array[] = [joined];
    let i = 0;
    let offset = this.head;
    for (; i < this.chunks.length && remaining > 0; i++) {
      const chunk = this.chunks[i] as Uint8Array;
      const avail = chunk.length - offset;
      if (avail > remaining) {
        out.push(chunk.subarray(offset + remaining));
        remaining = 0;
        i++;
        break;
      }
      remaining -= avail;
      offset = 0;
    }
    for (; i < this.chunks.length; i++) out.push(this.chunks[i] as Uint8Array);
    this.chunks = out;
    this.head = 0;
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
      const first = this.chunks[0] as Uint8Array;
      const avail = first.length - this.head;
      if (avail > n) {
        this.head += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Removes and returns everything queued. */
  takeAll(): Uint8Array {
    return this.take(this.size);
  }
}
