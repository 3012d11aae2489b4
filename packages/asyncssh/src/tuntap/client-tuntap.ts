/**
 * TUN/TAP forwarding on a client connection, as AsyncSSH's SSHClientConnection has it: tunnels
 * to a device of the server's (OpenSSH PROTOCOL §2.3, tun@openssh.com) run by a session object
 * (createTun / createTap), as packet streams (openTun / openTap), or bridged to a local device
 * (forwardTun / forwardTap).
 * @module
 */

import { SSHTunTapChannel, TunTapStreamSession, tunUnitField, type SSHChannel, type SSHPacketReader, type SSHTunTapSession, type SSHWriter, type TunMode } from '@ssh/connection';
import { TUN_MODE } from '@ssh/wire';
import { muxOptions, openChannelFor, type ForwardContext } from '../forward/channel.ts';
import { deviceRelay } from './device.ts';
import { SSHTunTapForwarder } from './forwarder.ts';

/** Per-channel options of the TUN/TAP methods. */
export interface TunTapChannelOptions {
  readonly window?: number;
  readonly maxPktsize?: number;
}

/** A tunnel's packet streams: each read returns one packet, each write sends one. */
export type TunTapStreams = [SSHPacketReader<SSHChannel<Uint8Array>>, SSHWriter<Uint8Array, SSHChannel<Uint8Array>>];

function checkUnit(what: string, unit: number | null | undefined): number | undefined {
  if (unit === undefined || unit === null) return undefined;
  try {
    tunUnitField(unit);
  } catch {
    throw new RangeError(`${what} must be 0 to ${0x7fff_fffe} or undefined (any), not ${unit}`);
  }
  return unit;
}

export class ClientTunTap {
  private readonly ctx: ForwardContext;

  constructor(ctx: ForwardContext) {
    this.ctx = ctx;
  }

  private open(channel: SSHTunTapChannel, session: SSHTunTapSession, options: TunTapChannelOptions, opened?: () => void): Promise<void> {
    const body = { type: 'tun@openssh.com' as const, tunnelMode: channel.mode, remoteUnit: tunUnitField(channel.unit) };
    return openChannelFor(this.ctx, 'tun@openssh.com', body, channel, session, { ...muxOptions(options), datagram: true }, opened);
  }

  private async create<S extends SSHTunTapSession>(mode: TunMode, sessionFactory: () => S, remoteUnit: number | null | undefined, options: TunTapChannelOptions): Promise<[SSHTunTapChannel, S]> {
    const unit = checkUnit('remote unit', remoteUnit);
    const channel = new SSHTunTapChannel(this.ctx.connection, { mode, unit });
    const session = sessionFactory();
    await this.open(channel, session, options);
    return [channel, session];
  }

  private async streams(mode: TunMode, remoteUnit: number | null | undefined, options: TunTapChannelOptions): Promise<TunTapStreams> {
    const unit = checkUnit('remote unit', remoteUnit);
    const channel = new SSHTunTapChannel(this.ctx.connection, { mode, unit, manualWindow: true });
    const session = new TunTapStreamSession(channel);
    await this.open(channel, session, options);
    return [session.reader(), session.writer()];
  }

  private async forward(mode: TunMode, localUnit: number | null | undefined, remoteUnit: number | null | undefined): Promise<SSHTunTapForwarder> {
    const local = checkUnit('local unit', localUnit);
    const unit = checkUnit('remote unit', remoteUnit);
    if (this.ctx.mux.isClosed) throw new Error('connection is closed');
    // The local device first: without one there is nothing to ask the server for.
    const relay = deviceRelay(mode, local);
    const channel = new SSHTunTapChannel(this.ctx.connection, { mode, unit });
    try {
      await this.open(channel, relay.session, {}, () => relay.start(channel));
    } catch (err) {
      relay.device.close();
      throw err;
    }
    return new SSHTunTapForwarder(channel, relay.device);
  }

  /** Opens a layer 3 tunnel to the server's TUN device `remoteUnit` (any when undefined) run by a session object: [channel, session]. */
  readonly createTun = <S extends SSHTunTapSession>(sessionFactory: () => S, remoteUnit?: number | null, options: TunTapChannelOptions = {}): Promise<[SSHTunTapChannel, S]> =>
    this.create(TUN_MODE.POINTOPOINT, sessionFactory, remoteUnit, options);

  /** Opens a layer 2 tunnel to the server's TAP device `remoteUnit` run by a session object: [channel, session]. */
  readonly createTap = <S extends SSHTunTapSession>(sessionFactory: () => S, remoteUnit?: number | null, options: TunTapChannelOptions = {}): Promise<[SSHTunTapChannel, S]> =>
    this.create(TUN_MODE.ETHERNET, sessionFactory, remoteUnit, options);

  /** Opens a layer 3 tunnel as packet streams: [reader, writer], one IP packet per read and per write. */
  readonly openTun = (remoteUnit?: number | null, options: TunTapChannelOptions = {}): Promise<TunTapStreams> => this.streams(TUN_MODE.POINTOPOINT, remoteUnit, options);

  /** Opens a layer 2 tunnel as packet streams: [reader, writer], one Ethernet frame per read and per write. */
  readonly openTap = (remoteUnit?: number | null, options: TunTapChannelOptions = {}): Promise<TunTapStreams> => this.streams(TUN_MODE.ETHERNET, remoteUnit, options);

  /**
   * Forwards packets between a local TUN device (`localUnit`, the next free one when undefined) and
   * the server's (`remoteUnit`). Throws TunTapDeviceUnavailable when no local device can be opened,
   * ChannelOpenError when the server refuses.
   */
  readonly forwardTun = (localUnit?: number | null, remoteUnit?: number | null): Promise<SSHTunTapForwarder> => this.forward(TUN_MODE.POINTOPOINT, localUnit, remoteUnit);

  /** As forwardTun, for layer 2 TAP devices. */
  readonly forwardTap = (localUnit?: number | null, remoteUnit?: number | null): Promise<SSHTunTapForwarder> => this.forward(TUN_MODE.ETHERNET, localUnit, remoteUnit);
}
