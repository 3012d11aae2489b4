/**
 * Reads and writes of one open file, gathered into readv and writev calls. While a call runs on
 * libuv's thread pool, the requests that arrive queue up; then each run of them that follow each
 * other in the file goes out in one call. Every call to the pool costs a wake-up of a worker and
 * one of the event loop, which on a virtual machine costs more than copying 32 KiB: a server
 * taking an upload in 32 KiB WRITEs, one pool call each, spent about a third of its main thread
 * on those calls, and one serving 32 KiB READs an eighth.
 *
 * Reads of one file then run one call at a time, and so do writes, which costs no parallelism
 * that was real: the data is mostly in the page cache, and Linux serialises buffered writes to
 * one file on its inode lock.
 * @module
 */

import type { FileHandle } from 'node:fs/promises';
import { writeAllAt } from './write-all.ts';

interface QueuedIo<R> {
  /** The bytes to write, or the buffer to read into. */
  readonly bytes: Uint8Array;
  readonly position: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/** Linux's IOV_MAX: the most parts one call takes. */
const MAX_PARTS = 1024;
/** The most bytes one call carries, so that one call never holds the pool for long. */
const MAX_BYTES = 8 * 1024 * 1024;

/** Requests queued while a call runs, taken out in runs that follow each other in the file. */
class RunQueue<R> {
  readonly #execute: (run: readonly QueuedIo<R>[]) => Promise<void>;
  #queue: QueuedIo<R>[] = [];
  #running = false;

  /** `execute` settles every request of the run it is given, and never rejects. */
  constructor(execute: (run: readonly QueuedIo<R>[]) => Promise<void>) {
    this.#execute = execute;
  }

  add(bytes: Uint8Array, position: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ bytes, position, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) await this.#execute(this.#takeRun());
    } finally {
      this.#running = false;
    }
  }

  #takeRun(): QueuedIo<R>[] {
    const queue = this.#queue;
    const first = queue[0] as QueuedIo<R>;
    let end = first.position + first.bytes.length;
    let bytes = first.bytes.length;
    let n = 1;
    for (; n < queue.length && n < MAX_PARTS; n++) {
      const next = queue[n] as QueuedIo<R>;
      if (next.position !== end || bytes + next.bytes.length > MAX_BYTES) break;
      end += next.bytes.length;
      bytes += next.bytes.length;
    }
    return queue.splice(0, n);
  }
}

export class GatheredWrites {
  readonly #fh: FileHandle;
  readonly #queue = new RunQueue<void>((run) => this.#writeRun(run));

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  /** Writes all of `data` at `position`; resolves once the file has it. */
  write(data: Uint8Array, position: number): Promise<void> {
    return this.#queue.add(data, position);
  }

  /** Writes `run` (adjacent writes) to its end, resolving each write once written; a failure rejects those left. */
  async #writeRun(run: readonly QueuedIo<void>[]): Promise<void> {
    let done = 0;
    try {
      await writeAllAt(
        this.#fh,
        run.map((w) => w.bytes),
        (run[0] as QueuedIo<void>).position,
        (i) => {
          (run[i] as QueuedIo<void>).resolve();
          done = i + 1;
        },
      );
    } catch (e) {
      for (let i = done; i < run.length; i++) (run[i] as QueuedIo<void>).reject(e);
    }
  }
}

export class GatheredReads {
  readonly #fh: FileHandle;
  readonly #queue = new RunQueue<number>((run) => this.#readRun(run));

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  /** Reads up to `buffer.length` bytes at `position` into `buffer`; resolves with how many (0 at the end of the file). */
  read(buffer: Uint8Array, position: number): Promise<number> {
    return this.#queue.add(buffer, position);
  }

  async #readOne(r: QueuedIo<number>): Promise<void> {
    try {
      r.resolve((await this.#fh.read(r.bytes, 0, r.bytes.length, r.position)).bytesRead);
    } catch (e) {
      r.reject(e);
    }
  }

  /**
   * One readv for the run. What it fills goes to the reads in order; a read it leaves empty is
   * then read on its own: a short readv means the end of a regular file, but need not for others.
   */
  async #readRun(run: readonly QueuedIo<number>[]): Promise<void> {
    const first = run[0] as QueuedIo<number>;
    if (run.length === 1) return this.#readOne(first);
    let got: number;
    try {
      got = (await this.#fh.readv(run.map((r) => r.bytes), first.position)).bytesRead;
    } catch (e) {
      for (const r of run) r.reject(e);
      return;
    }
    let i = 0;
    for (; i < run.length && got > 0; i++) {
      const r = run[i] as QueuedIo<number>;
      const n = Math.min(got, r.bytes.length);
      r.resolve(n);
      got -= n;
    }
    for (; i < run.length; i++) await this.#readOne(run[i] as QueuedIo<number>);
  }
}
