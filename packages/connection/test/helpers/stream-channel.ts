/** A session channel carrying bytes with a StreamSession on it, as the session tests build them. */
import { SSHChannel, StreamSession } from '../../src/index.ts';

const connection = { getExtraInfo: () => undefined };

/** One side's SSHChannel (bytes, window reopened by its reader) with a StreamSession on it. */
export function streamChannel(): { channel: SSHChannel<Uint8Array>; session: StreamSession<Uint8Array> } {
  const channel = new SSHChannel<Uint8Array>(connection, { encoding: null, manualWindow: true });
  const session = new StreamSession<Uint8Array>(channel, { encoding: null });
  channel.setSession(session);
  return { channel, session };
}
