/**
 * The byte stream the agent protocol runs over: a UNIX socket (`@ssh/agent/node`), a forwarded
 * SSH channel, or a test pipe.
 * @module
 */

/** A duplex byte stream. */
export interface AgentByteStream {
  /** Chunks from the peer, in order; the iteration ends when the peer closes its side. */
  readonly readable: AsyncIterable<Uint8Array>;
  /** Queues bytes for the peer; a returned promise asks the caller to wait before writing more. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Ends our side and releases the stream (ending the iteration of `readable`). */
  close(): void;
}

/** Arms a timer and returns its cancel function: how an adapter gives the client a clock. */
export type AgentTimer = (ms: number, onTimeout: () => void) => () => void;
