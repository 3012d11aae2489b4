/**
 * The byte stream SFTP runs over: an SSH channel, a child process's pipes, a socket, a test pipe.
 * @module
 */

/** A duplex byte stream. Node adapters are in `@ssh/sftp/node`; `createMemoryPipe()` links two in memory. */
export interface SftpByteStream {
  /** Chunks from the peer, in order; the iteration ends when the peer closes its side. */
  readonly readable: AsyncIterable<Uint8Array>;
  /**
   * True when a chunk of `readable` is valid only until the next one is asked for (its memory
   * is reused after): the SFTP machines then copy every packet out of it.
   */
  readonly transient?: boolean;
  /**
   * Queues bytes for the peer. Returns a promise when the caller should wait for it before writing
   * much more (backpressure), undefined when more can be written at once.
   */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Ends our side of the stream and releases it. */
  close(): void;
  /**
   * Optional: settles when what is written can no longer reach the peer (our output was closed
   * or destroyed: the connection or channel is gone). A stream that has it tells a half-close (the
   * end of `readable` alone) from the end of the connection: a server then finishes and answers
   * the requests it read before the end, a copy-data included, and stops such work once this
   * settles. Without it, the end of `readable` may be the connection's end, and a server stops a
   * running copy-data there (it still answers the other requests read before it).
   */
  readonly outputClosed?: Promise<void>;
  /**
   * Optional: settles once the stream is closed both ways after our close() (an SSH channel: the
   * peer answered our CHANNEL_CLOSE). A client's waitClosed() after exit() waits for it, as
   * AsyncSSH's wait_closed waits for the channel; without it, it resolves at exit(), since a peer
   * may never end its side of a plain stream.
   */
  readonly closed?: Promise<void>;
}

/** A queue that is also an async iterable: what one end of a memory pipe reads. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    if (this.ended) return;
    this.chunks.push(chunk);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.chunks.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/**
 * Two streams joined back to back in memory: what one writes, the other reads (chunks are copied).
 * Closing one end is a half-close: the other still writes to it (`outputClosed` never settles).
 */
export function createMemoryPipe(): [SftpByteStream, SftpByteStream] {
  const aToB = new ChunkQueue();
  const bToA = new ChunkQueue();
  // An end's output never goes away under it (the other end only ends its own side): a memory
  // pipe's ends half-close, and say so.
  const never = new Promise<void>(() => undefined);
  const end = (q: ChunkQueue): SftpByteStream => ({
    outputClosed: never,
    readable: q === aToB ? bToA : aToB,
    write(chunk) {
      q.push(chunk.slice());
      return undefined;
    },
    close() {
      q.end();
    },
  });
  return [end(aToB), end(bToA)];
}
