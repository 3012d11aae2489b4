/**
 * Reusable buffers for large packets (SFTP's READ replies and WRITE requests, sealed SSH packets).
 * A fresh buffer per packet costs more than the bytes it carries: it is allocated outside the
 * JavaScript heap, faulted in page by page and freed by the garbage collector, whose collections
 * that memory also triggers (a 1 GiB download touched 4,000 new 256 KiB buffers). Buffers taken
 * here go back with `give()` once nothing refers to their bytes any more; buffers never given
 * back are simply collected.
 * @module
 */

export interface BufferPoolOptions {
  /**
   * Makes a new buffer (default: zero-filled). One whose users always write every byte they read
   * may skip the zeroing (node's `Buffer.allocUnsafeSlow(n).buffer`).
   */
  readonly allocate?: (size: number) => ArrayBuffer;
  /**
   * give() takes any buffer of exactly `size` bytes, keeping no record of the buffers it made:
   * for pools that make a buffer per packet when nobody gives them back, where a WeakSet entry
   * each cost more than the allocation. The default records them and takes back only those.
   */
  readonly adopt?: boolean;
}

export class BufferPool {
  /** Capacity of every pooled buffer. */
  readonly size: number;
  /** Smallest request served from the pool (smaller ones get a buffer of their own). */
  readonly minimum: number;
  private readonly max: number;
  private readonly free: ArrayBuffer[] = [];
  private readonly ours: WeakSet<ArrayBuffer> | undefined;
  private readonly allocate: (size: number) => ArrayBuffer;

  /** Buffers of `size` bytes for requests of `minimum` to `size` bytes; keeps up to `max` free ones. */
  constructor(size: number, minimum: number, max: number, options: BufferPoolOptions = {}) {
    this.size = size;
    this.minimum = minimum;
    this.max = max;
    this.allocate = options.allocate ?? ((n) => new ArrayBuffer(n));
    this.ours = options.adopt === true ? undefined : new WeakSet();
  }

  /** A buffer of `n` bytes (contents undefined when pooled: callers fill it). */
  take(n: number): Uint8Array {
    if (n < this.minimum || n > this.size) return new Uint8Array(n);
    let buffer = this.free.pop();
    if (buffer === undefined) {
      buffer = this.allocate(this.size);
      this.ours?.add(buffer);
    }
    return new Uint8Array(buffer, 0, n);
  }

  /**
   * Returns the buffer under `view` (any view of a buffer from `take()`) for reuse. The caller
   * promises that nothing reads or writes it any more. Anything else is ignored (with `adopt`,
   * anything not `size` bytes long), as is a buffer already given back.
   */
  give(view: Uint8Array): void {
    const buffer = view.buffer as ArrayBuffer;
    if (this.ours ? !this.ours.has(buffer) : buffer.byteLength !== this.size) return;
    if (this.free.length >= this.max || this.free.includes(buffer)) return;
    this.free.push(buffer);
  }
}
