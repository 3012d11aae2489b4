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
   * Marks each buffer it makes with a property of its own instead of recording it in a WeakSet:
   * for pools that make a buffer per packet when nobody gives them back, where a WeakSet entry
   * each cost more than the allocation. Either way give() takes back only the pool's buffers.
   */
  readonly markBuffers?: boolean;
}

export class BufferPool {
  /** Capacity of every pooled buffer. */
  readonly size: number;
  /** Smallest request served from the pool (smaller ones get a buffer of their own). */
  readonly minimum: number;
  private readonly max: number;
  private readonly free: ArrayBuffer[] = [];
  private readonly ours: WeakSet<ArrayBuffer> | undefined;
  /** With `markBuffers`: the property set on this pool's buffers. */
  private readonly mark: symbol | undefined;
  private readonly allocate: (size: number) => ArrayBuffer;

  /** Buffers of `size` bytes for requests of `minimum` to `size` bytes; keeps up to `max` free ones. */
  constructor(size: number, minimum: number, max: number, options: BufferPoolOptions = {}) {
    this.size = size;
    this.minimum = minimum;
    this.max = max;
    this.allocate = options.allocate ?? ((n) => new ArrayBuffer(n));
    this.mark = options.markBuffers === true ? Symbol('BufferPool') : undefined;
    this.ours = this.mark === undefined ? new WeakSet() : undefined;
  }

  /** A buffer of `n` bytes (contents undefined when pooled: callers fill it). */
  take(n: number): Uint8Array {
    if (n < this.minimum || n > this.size) return new Uint8Array(n);
    let buffer = this.free.pop();
    if (buffer === undefined) {
      buffer = this.allocate(this.size);
      if (this.mark !== undefined) (buffer as unknown as Record<symbol, true>)[this.mark] = true;
      else this.ours?.add(buffer);
    }
    return new Uint8Array(buffer, 0, n);
  }

  /**
   * Returns the buffer under `view` (any view of a buffer from `take()`) for reuse. The caller
   * promises that nothing reads or writes it any more. Anything else is ignored, as is a buffer
   * already given back.
   */
  give(view: Uint8Array): void {
    const buffer = view.buffer as ArrayBuffer;
    if (this.mark !== undefined ? (buffer as unknown as Record<symbol, true | undefined>)[this.mark] !== true : this.ours?.has(buffer) !== true) return;
    if (this.free.length >= this.max || this.free.includes(buffer)) return;
    this.free.push(buffer);
  }
}
