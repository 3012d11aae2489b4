/**
 * Writes to one open file, gathered into writev calls. While a write runs on libuv's thread
 * pool, the writes that arrive queue up; then each run of them that follow each other in the file
 * goes out in one writev. Every call to the pool costs a wake-up of a worker and one of the event
 * loop, which on a virtual machine costs more than copying 32 KiB: a server taking an upload in
 * 32 KiB WRITEs, one pool call each, spent about a third of its main thread on those calls.
 *
 * Writes to one file then run one call at a time, which costs no parallelism that was real:
 * Linux serialises buffered writes to one file on its inode lock.
 * @module
 */

import type { FileHandle } from 'node:fs/promises';

interface QueuedWrite {
  readonly data: Uint8Array;
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Linux's IOV_MAX: the most parts one writev takes. */
const MAX_PARTS = 1024;
/** The most bytes one writev carries, so that one call never holds the pool for long. */
const MAX_BYTES = 8 * 1024 * 1024;

export class GatheredWrites {
  readonly #fh: FileHandle;
  #queue: QueuedWrite[] = [];
  #running = false;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  /** Writes all of `data` at `position`; resolves once the file has it. */
  write(data: Uint8Array, position: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ data, position, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) await this.#writeRun(this.#takeRun());
    } finally {
      this.#running = false;
    }
  }

  /** The writes at the head of the queue that follow each other in the file. */
  #takeRun(): QueuedWrite[] {
    const queue = this.#queue;
    const first = queue[0] as QueuedWrite;
    let end = first.position + first.data.length;
    let bytes = first.data.length;
    let n = 1;
    for (; n < queue.length && n < MAX_PARTS; n++) {
      const next = queue[n] as QueuedWrite;
      if (next.position !== end || bytes + next.data.length > MAX_BYTES) break;
      end += next.data.length;
      bytes += next.data.length;
    }
    return queue.splice(0, n);
  }

  /** Writes `run` to its end, resolving each write once written; a failure rejects those left. */
  async #writeRun(run: readonly QueuedWrite[]): Promise<void> {
    let i = 0;
    let skip = 0;
    try {
      while (i < run.length) {
        const head = run[i] as QueuedWrite;
        let written: number;
        if (i === run.length - 1) {
          written = (await this.#fh.write(head.data, skip, head.data.length - skip, head.position + skip)).bytesWritten;
        } else {
          const parts = run.slice(i).map((w) => w.data);
          parts[0] = head.data.subarray(skip);
          written = (await this.#fh.writev(parts, head.position + skip)).bytesWritten;
        }
        const progressed = written > 0;
        for (let w = run[i]; w !== undefined && written >= w.data.length - skip; w = run[i]) {
          written -= w.data.length - skip;
          skip = 0;
          w.resolve();
          i++;
        }
        skip += written;
        if (!progressed && i < run.length) throw new Error('write to file made no progress');
      }
    } catch (e) {
      for (; i < run.length; i++) (run[i] as QueuedWrite).reject(e);
    }
  }
}
