/**
 * Packet streams of a TUN/TAP channel (AsyncSSH's open_tun / open_tap readers and writers): an
 * SSHReader whose every read returns exactly one packet, as received, and an SSHWriter whose
 * every write sends one packet. The window reopens as packets are read.
 * @module
 */

import { StreamSession } from '../session/stream-session.ts';
import type { SSHChannel } from '../session/channel.ts';
import { SSHReader } from '../stream/reader.ts';

/** Reads one packet per call; `n` is ignored (except 0, which reads nothing). Empty at EOF. */
export class SSHPacketReader<C = unknown> extends SSHReader<Uint8Array, C> {
  override read(n = -1): Promise<Uint8Array> {
    // A byte stream's read(n) hands over one whole received chunk when n covers it.
    return super.read(n === 0 ? 0 : Number.MAX_SAFE_INTEGER);
  }

  /** Packets until EOF. */
  override async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const packet = await this.read();
      if (packet.length === 0) return;
      yield packet;
    }
  }
}

/** The session object behind a packet stream pair: install it on a channel opened with manualWindow. */
export class TunTapStreamSession extends StreamSession<Uint8Array> {
  constructor(channel: SSHChannel<Uint8Array>) {
    super(channel, { encoding: null });
  }

  override reader(datatype?: number): SSHPacketReader<SSHChannel<Uint8Array>> {
    return new SSHPacketReader<SSHChannel<Uint8Array>>(this.buffer(datatype), {
      channel: this.channel,
      getExtraInfo: (name) => this.channel.getExtraInfo(name),
    });
  }
}
