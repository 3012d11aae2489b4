/** A session channel carrying bytes with a StreamSession on it, as the session tests build them. */
import { SSHChannel, StreamSession, type Channel, type IncomingChannelOpen } from '../../src/index.ts';
import { muxPair } from './mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

/**
 * One side's SSHChannel (bytes, window reopened by its reader) with a StreamSession on it: a
 * byte stream, or text in `encoding`, made by `make` (a subclass) when given.
 */
export function streamChannel<T extends string | Uint8Array = Uint8Array>(
  encoding: string | null = null,
  make: (channel: SSHChannel<Uint8Array>, options: { encoding: string | null }) => StreamSession<T> = (channel, options) => new StreamSession<T>(channel, options),
): { channel: SSHChannel<Uint8Array>; session: StreamSession<T> } {
  const channel = new SSHChannel<Uint8Array>(connection, { encoding: null, manualWindow: true });
  const session = make(channel, { encoding });
  channel.setSession(session);
  return { channel, session };
}

/**
 * `server` (from streamChannel) accepting a session a client opens over a multiplexer pair in
 * memory: the client's channel, a function sending chunks to the server (one message each, then
 * delivered), and the pair's pump.
 */
export function sessionTo(server: { channel: SSHChannel<Uint8Array> }): { client: Channel; send: (...chunks: readonly Uint8Array[]) => void; pump: () => void } {
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => server.channel.attach(req.accept(server.channel.handler)) });
  const client = streamChannel();
  const mux: Channel = p.client.openChannel('session', { type: 'session' }, client.channel.handler);
  p.pump();
  const send = (...chunks: readonly Uint8Array[]): void => {
    for (const chunk of chunks) mux.write(chunk);
    p.pump();
  };
  return { client: mux, send, pump: () => p.pump() };
}

/**
 * A `make` for streamChannel: a StreamSession subclass that sees received data first and keeps
 * every chunk in `kept` (as an application's dataReceived may), so nothing may recycle them.
 */
export function keepingSession<T extends string | Uint8Array>(kept: Uint8Array[]): (channel: SSHChannel<Uint8Array>, options: { encoding: string | null }) => StreamSession<T> {
  class Keeping extends StreamSession<T> {
    override dataReceived(data: Uint8Array, datatype: number | undefined): void {
      kept.push(data);
      super.dataReceived(data, datatype);
    }
  }
  return (channel, options) => new Keeping(channel, options);
}
