/**
 * SSHTunTapChannel: a tun@openssh.com channel (OpenSSH PROTOCOL §2.3), as AsyncSSH's. It carries
 * bytes, one packet per message: writes are never split (the channel waits for a window that
 * holds a packet whole, and drops one larger than the peer's maximum packet, as OpenSSH does),
 * and in point-to-point mode the address family header is added to each packet written and
 * stripped from each packet received, so the application sees bare IP packets.
 * @module
 */

import { TUN_MODE } from '@ssh/wire';
import { SSHChannel, type ChannelConnection, type ChannelData, type SSHSession } from '../session/channel.ts';
import { TUN_HEADER_LENGTH, addTunHeader, stripTunHeader, type TunMode } from './packet.ts';

/** The callbacks of a TUN/TAP session object: dataReceived gets one packet per call. */
export type SSHTunTapSession = SSHSession<Uint8Array>;

export interface SSHTunTapChannelOptions {
  /** TUN_MODE.POINTOPOINT (layer 3, the default) or TUN_MODE.ETHERNET (layer 2). */
  readonly mode?: TunMode;
  /** The unit asked for or given (undefined: any). */
  readonly unit?: number | undefined;
  /** @internal The window reopens only through consume() (packet streams). */
  readonly manualWindow?: boolean;
}

export class SSHTunTapChannel extends SSHChannel<Uint8Array> {
  #mode: TunMode;
  #unit: number | undefined;
  readonly #manualWindow: boolean;

  constructor(connection: ChannelConnection, options: SSHTunTapChannelOptions = {}) {
    super(connection, { encoding: null, ...(options.manualWindow === true ? { manualWindow: true } : {}) });
    this.#mode = options.mode ?? TUN_MODE.POINTOPOINT;
    this.#unit = options.unit;
    this.#manualWindow = options.manualWindow === true;
  }

  /** TUN_MODE.POINTOPOINT (1) or TUN_MODE.ETHERNET (2). */
  get mode(): TunMode {
    return this.#mode;
  }

  /** The unit asked for (client side) or requested by the client (server side); undefined for any. */
  get unit(): number | undefined {
    return this.#unit;
  }

  /** Whether packets carry the layer 3 address family header on the wire. */
  get isLayer3(): boolean {
    return this.#mode === TUN_MODE.POINTOPOINT;
  }

  /** @internal Sets the mode and unit of a channel made before the open was known (createTuntapChannel). */
  setTunnel(mode: TunMode, unit: number | undefined): void {
    this.#mode = mode;
    this.#unit = unit;
  }

  protected override encode(data: ChannelData): Uint8Array {
    const packet = super.encode(data);
    return this.isLayer3 && packet.length > 0 ? addTunHeader(packet) : packet;
  }

  protected override decode(data: Uint8Array, _datatype: number | undefined): ChannelData {
    if (!this.isLayer3) return data;
    // The header never reaches a reader, so its bytes are given back to the window here.
    if (this.#manualWindow) this.consume(Math.min(TUN_HEADER_LENGTH, data.length));
    return stripTunHeader(data);
  }

  /** Tunnels have no channel requests. */
  protected override handleRequest(): boolean {
    return false;
  }
}
