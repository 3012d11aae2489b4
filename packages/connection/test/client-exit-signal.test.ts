/**
 * The exit-signal a server sends (RFC 4254 §6.10) names the signal as it likes: a name we have no
 * number for gives returncode -99, as in AsyncSSH, including names that are properties of every
 * JavaScript object (they used to give NaN).
 */
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, SSHClientChannel } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

/** A client session channel, and the server's end of it. */
function openSession() {
  let server: Channel | undefined;
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => void (server = req.accept({ onData: () => undefined, onClose: () => undefined })) });
  const client = new SSHClientChannel<Uint8Array>({ getExtraInfo: () => undefined }, { encoding: null });
  p.client.openChannel('session', { type: 'session' }, { ...client.handler, onOpen: (c) => client.attach(c) });
  p.pump();
  if (server === undefined) throw new Error('channel did not open');
  client.setSession({});
  return { p, client, server };
}

describe('exit-signal', () => {
  it.each([
    ['TERM', -15],
    ['KILL', -9],
    ['WINCH', -99],
    ['constructor', -99],
    ['__proto__', -99],
    ['toString', -99],
    ['hasOwnProperty', -99],
  ])('%s gives returncode %i', (signal, returncode) => {
    const { p, client, server } = openSession();
    server.sendRequest('exit-signal', { type: 'exit-signal', signal, coreDumped: false, errorMessage: '', languageTag: '' });
    p.pump();
    expect(client.getExitSignal()?.signal).toBe(signal);
    expect(client.getReturncode()).toBe(returncode);
    expect(p.failures).toEqual([]);
  });
});
