/**
 * Local TUN/TAP devices for tun@openssh.com forwarding, and the session object that moves packets
 * between a device and a channel: packets read from the device go out as channel messages (dropped
 * while the channel's outbound buffer is full, as a congested link drops them), and each message
 * received is written to the device.
 * @module
 */

import { TunTapDeviceError, openTunTapDevice, type TunTapDevice } from '@ssh/crypto-native';
import type { SSHChannel, SSHTunTapSession, TunMode } from '@ssh/connection';
import { TunTapDeviceUnavailable } from './errors.ts';

/** Outbound bytes a forwarding channel may hold before packets from the device are dropped. */
const MAX_QUEUED = 256 * 1024;

/** Opens a local device, or throws TunTapDeviceUnavailable saying why not. */
export function openLocalDevice(mode: TunMode, unit: number | undefined, onPacket: (packet: Uint8Array) => void, onError: (error: Error) => void): TunTapDevice {
  const kind = mode === 1 ? 'TUN' : 'TAP';
  try {
    return openTunTapDevice({ mode, unit, onPacket, onError });
  } catch (err) {
    if (err instanceof TunTapDeviceError) {
      const hint = err.code === 'EPERM' || err.code === 'EACCES' ? ' (CAP_NET_ADMIN is needed)' : '';
      throw new TunTapDeviceUnavailable(err.code, `cannot open a local ${kind} device${unit === undefined ? '' : ` unit ${unit}`}: ${err.message}${hint}`, { cause: err });
    }
    throw err;
  }
}

/** A device bridged to a channel: install `session` on the channel, then call `start` once it is open. */
export interface DeviceRelay {
  readonly device: TunTapDevice;
  readonly session: SSHTunTapSession;
  start(channel: SSHChannel<Uint8Array>): void;
}

/** Opens a local device and makes the session object that relays it once its channel is open. */
export function deviceRelay(mode: TunMode, unit: number | undefined, onClosed?: () => void): DeviceRelay {
  let channel: SSHChannel<Uint8Array> | undefined;
  const device = openLocalDevice(
    mode,
    unit,
    (packet) => {
      if (channel === undefined || channel.isClosing() || channel.getWriteBufferSize() > MAX_QUEUED) return;
      channel.write(packet);
    },
    () => channel?.close(),
  );
  const session: SSHTunTapSession = {
    dataReceived: (packet) => {
      if (packet.length > 0) device.write(packet);
    },
    eofReceived: () => false,
    connectionLost: () => {
      device.close();
      onClosed?.();
    },
  };
  return {
    device,
    session,
    start: (c) => {
      channel = c;
    },
  };
}
