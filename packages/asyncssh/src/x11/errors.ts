/** Errors of X11 forwarding: a display, an Xauthority file or a connection setup that cannot be used. @module */

import { SshError } from '@ssh/wire';

/**
 * X11 forwarding cannot go ahead: the display name does not parse (`reason` 'display'), the
 * Xauthority file is missing, unreadable or malformed ('xauth'), it has no entry for the display
 * ('no-cookie'), or an X11 connection's setup message is malformed ('setup').
 */
export class X11ForwardingError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.X11ForwardingError');

  /** 'display', 'xauth', 'no-cookie' or 'setup'. */
  readonly reason: 'display' | 'xauth' | 'no-cookie' | 'setup';

  constructor(reason: X11ForwardingError['reason'], message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_X11_FORWARDING', message, options);
    this.reason = reason;
  }
}
