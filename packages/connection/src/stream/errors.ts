/**
 * Errors of the channel streams (SSHReader / SSHWriter): the asyncio-style incomplete read and
 * limit overrun, a strict text decode failure, and misuse by concurrent reads.
 * @module
 */

import { SshError } from '@ssh/wire';

/**
 * The stream ended (EOF, or an exception queued with the data) before a read could complete:
 * `partial` holds what was read and consumed, `expected` the count `readexactly` asked for
 * (undefined for `readuntil`). asyncio's IncompleteReadError.
 */
export class IncompleteReadError<T extends string | Uint8Array = string | Uint8Array> extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.IncompleteReadError');

  readonly partial: T;
  readonly expected: number | undefined;

  constructor(partial: T, expected: number | undefined, options?: { cause?: unknown }) {
    super(
      'SSH_ERR_INCOMPLETE_READ',
      expected === undefined
        ? `stream ended after ${partial.length} units without the separator`
        : `stream ended after ${partial.length} of ${expected} expected units`,
      options,
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * `readuntil` / `readline` found no separator within the reader's limit. The data stays buffered
 * (read it with `read(n)`); `consumed` is how many units were examined. asyncio's LimitOverrunError.
 */
export class LimitOverrunError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.LimitOverrunError');

  readonly consumed: number;

  constructor(message: string, consumed: number) {
    super('SSH_ERR_LIMIT_OVERRUN', message);
    this.consumed = consumed;
  }
}

/** Received text is not valid in the stream's encoding (with `errors: 'strict'`). Sticky: later reads throw it too. */
export class StreamDecodeError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.StreamDecodeError');

  readonly encoding: string;

  constructor(encoding: string, options?: { cause?: unknown }) {
    super('SSH_ERR_STREAM_DECODE', `received data is not valid ${encoding}`, options);
    this.encoding = encoding;
  }
}

/** A read was started while another read on the same stream had not finished. */
export class ConcurrentReadError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ConcurrentReadError');

  constructor() {
    super('SSH_ERR_CONCURRENT_READ', 'another read on this stream is still pending; await it before reading again');
  }
}
