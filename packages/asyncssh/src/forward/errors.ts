/** Errors of forwarding: a listener the peer would not set up. @module */

import { ChannelOpenError } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';

/** The server refused a remote listener (tcpip-forward or streamlocal-forward), as AsyncSSH's ChannelListenError. */
export class ChannelListenError extends ChannelOpenError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ChannelListenError');

  constructor(reason: string, options?: { cause?: unknown }) {
    super(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, reason, 'en-US', options);
  }
}
