/**
 * SSHTunTapForwarder: what forwardTun / forwardTap return (the part of AsyncSSH's SSHForwarder they
 * use): a local device
 * bridged to a tun@openssh.com channel until either side closes.
 * @module
 */

import type { SSHTunTapChannel } from '@ssh/connection';
import type { TunTapDevice } from '@ssh/crypto-native';

export class SSHTunTapForwarder {
  readonly #channel: SSHTunTapChannel;
  readonly #device: TunTapDevice;

  /** @internal Made by forwardTun / forwardTap. */
  constructor(channel: SSHTunTapChannel, device: TunTapDevice) {
    this.#channel = channel;
    this.#device = device;
  }

  /** The tunnel channel. */
  get channel(): SSHTunTapChannel {
    return this.#channel;
  }

  /** The local interface's name (tun3, tap0...). */
  get localName(): string {
    return this.#device.name;
  }

  /** The local interface's unit number. */
  get localUnit(): number {
    return this.#device.unit;
  }

  /** 'localName' and 'localUnit', else the channel's and connection's extra info. */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    if (name === 'localName') return this.#device.name as V;
    if (name === 'localUnit') return this.#device.unit as V;
    return this.#channel.getExtraInfo(name, defaultValue);
  }

  /** Stops forwarding: closes the channel and the local device (which goes away if we created it). */
  close(): void {
    this.#channel.close();
    this.#device.close();
  }

  /** Resolves once the channel is closed (by us or by the peer). */
  waitClosed(): Promise<void> {
    return this.#channel.waitClosed();
  }
}
