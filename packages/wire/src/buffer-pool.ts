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

/**
 * The property that marks a buffer made by a pool with `markBuffers`, holding that pool. One key
 * for every pool: the store that marks a new buffer stays monomorphic (a symbol per pool made it a
 * megamorphic keyed store, run for every packet a stream receives).
 */
const OWNER = Symbol('BufferPool owner');

export class BufferPool {
  /** Capacity of every pooled buffer. */
  readonly size: number;
  /** Smallest request served from the pool (smaller ones get a buffer of their own). */
  readonly minimum: number;
  private readonly max: number;
  private readonly free: ArrayBuffer[] = [];
  private readonly ours: WeakSet<ArrayBuffer> | undefined;
  /** With `markBuffers`: buffers are marked with OWNER instead of kept in `ours`. */
  private readonly marks: boolean;
  private readonly allocate: (size: number) => ArrayBuffer;

  /** Buffers of `size` bytes for requests of `minimum` to `size` bytes; keeps up to `max` free ones. */
  constructor(size: number, minimum: number, max: number, options: BufferPoolOptions = {}) {
    this.size = size;
    this.minimum = minimum;
    this.max = max;
    this.allocate = options.allocate ?? ((n) => new ArrayBuffer(n));
    this.marks = options.markBuffers === true;
    this.ours = this.marks ? undefined : new WeakSet();
  }

  /** A buffer of `n` bytes (contents undefined when pooled: callers fill it). */
  take(n: number): Uint8Array {
    if (n < this.minimum || n > this.size) return new Uint8Array(n);
    let buffer = this.free.pop();
    if (buffer === undefined) {
      buffer = this.allocate(this.size);
      if (this.marks) (buffer as unknown as Record<symbol, BufferPool>)[OWNER] = this;
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
    if (this.marks ? (buffer as unknown as Record<symbol, BufferPool | undefined>)[OWNER] !== this : this.ours?.has(buffer) !== true) return;
    if (this.free.length >= this.max || this.free.includes(buffer)) return;
    this.free.push(buffer);
  }
}

export interface SizeClassPoolsOptions extends BufferPoolOptions {
  /** The classes hold 2^k + `slack` bytes, for k from `minBits` to `maxBits`. */
  readonly minBits: number;
  readonly maxBits: number;
  /** Bytes beyond the power of two: the headers around a power-of-two body (default 0). */
  readonly slack?: number;
  /** Smallest request served from the pools (default: just above the class below the first). */
  readonly minimum?: number;
  /** Free bytes kept per class (default 4 MiB), and at most this many buffers (default 128). */
  readonly freeBytes?: number;
  readonly freeBuffers?: number;
  /** Makes the buffer for a request no class serves (default: a zeroed Uint8Array). */
  readonly unpooled?: (n: number) => Uint8Array;
  /**
   * Zero a pooled buffer beyond the `n` bytes taken, so that the view's `.buffer` never shows
   * what an earlier user left there (default false).
   */
  readonly clearSlack?: boolean;
}

/**
 * Pooled buffers in size classes of 2^k + slack bytes: a request takes a buffer of the smallest
 * class that holds it, so a 32 KiB packet does not tie up a 256 KiB buffer, and each class keeps
 * a byte budget of free buffers (many small ones, few large ones).
 */
export class SizeClassPools {
  private readonly pools: readonly BufferPool[];
  private readonly unpooled: (n: number) => Uint8Array;
  private readonly clearSlack: boolean;

  constructor(options: SizeClassPoolsOptions) {
    this.unpooled = options.unpooled ?? ((n) => new Uint8Array(n));
    this.clearSlack = options.clearSlack === true;
    const slack = options.slack ?? 0;
    const freeBytes = options.freeBytes ?? 4 * 1024 * 1024;
    const freeBuffers = options.freeBuffers ?? 128;
    const pools: BufferPool[] = [];
    for (let k = options.minBits; k <= options.maxBits; k++) {
      const size = 2 ** k + slack;
      const above = 2 ** (k - 1) + slack + 1;
      const minimum = k === options.minBits ? (options.minimum ?? above) : above;
      pools.push(new BufferPool(size, minimum, Math.max(1, Math.min(freeBuffers, Math.floor(freeBytes / size))), options));
    }
    this.pools = pools;
  }

  /** Capacity of the largest class. */
  get maxSize(): number {
    return (this.pools.at(-1) as BufferPool).size;
  }

  /**
   * A view of exactly `n` bytes: from the smallest class that holds it (contents undefined), or
   * from `unpooled` when `n` is below the smallest request pooled or above the largest class.
   */
  take(n: number): Uint8Array {
    for (const pool of this.pools) {
      if (n > pool.size) continue;
      if (n < pool.minimum) break;
      const view = pool.take(n);
      if (this.clearSlack && n < pool.size) new Uint8Array(view.buffer, n).fill(0);
      return view;
    }
    return this.unpooled(n);
  }

  /** Hands back the buffer under `view` (see BufferPool.give); others are ignored. */
  give(view: Uint8Array): void {
    const size = view.buffer.byteLength;
    for (const pool of this.pools) {
      if (pool.size === size) {
        pool.give(view);
        return;
      }
    }
  }
}
