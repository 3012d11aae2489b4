/** Errors of TUN/TAP forwarding: a local device that cannot be opened. @module */

import { SshError } from '@ssh/wire';

/**
 * A local TUN or TAP device could not be opened: the native module is not built or the platform
 * is not Linux (`reason` ERR_SSH_TUN_UNAVAILABLE), /dev/net/tun is missing (ENOENT), the process
 * lacks CAP_NET_ADMIN (EPERM), or the unit is in use (EBUSY).
 */
export class TunTapDeviceUnavailable extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.TunTapDeviceUnavailable');

  /** ERR_SSH_TUN_UNAVAILABLE or the errno name the system gave. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_TUNTAP_UNAVAILABLE', message, options);
    this.reason = reason;
  }
}
