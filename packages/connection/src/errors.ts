/**
 * Errors of the connection layer: channel open failures with their RFC 4254 §5.1 reason codes,
 * and the errors a channel's users see when it goes away.
 * @module
 */

import { CHANNEL_OPEN_FAILURE, SshError, codeName } from '@ssh/wire';

/** A channel could not be opened: `reasonCode` is an RFC 4254 §5.1 CHANNEL_OPEN_FAILURE code. */
export class ChannelOpenError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ChannelOpenError');

  /** The reason code (AsyncSSH's `code`). */
  readonly reasonCode: number;
  readonly reason: string;
  readonly lang: string;

  constructor(reasonCode: number, reason: string, lang = 'en-US', options?: { cause?: unknown }) {
    const label = codeName(CHANNEL_OPEN_FAILURE, reasonCode);
    super(`SSH_ERR_CHANNEL_OPEN_${label ?? reasonCode}`, `${reason} (${label ?? `reason ${reasonCode}`})`, options);
    this.reasonCode = reasonCode;
    this.reason = reason;
    this.lang = lang;
  }
}

/** A write, request or read on a channel that is closed (AsyncSSH raises BrokenPipeError). */
export class ChannelClosedError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ChannelClosedError');

  constructor(message = 'channel is closed', options?: { cause?: unknown }) {
    super('SSH_ERR_CHANNEL_CLOSED', message, options);
  }
}
