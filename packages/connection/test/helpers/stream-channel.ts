/** A session channel carrying bytes with a StreamSession on it, as the session tests build them. */
import { SSHChannel, StreamSession } from '../../src/index.ts';

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
