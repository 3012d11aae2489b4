/**
 * A server that runs the command, sends its output, exit status and CHANNEL_CLOSE, and only then
 * (or never) answers the exec request, as a Paramiko server that runs the command inside its
 * exec handler does. The command ran: OpenSSH's ssh shows its output and status, and so does
 * our client, rather than failing the session start. A close with no sign of the command having
 * run still fails it (REQUEST_SESSION_FAILED), as it did.
 */
import { describe, expect, it } from 'vitest';
import { ChannelOpenError, type Channel, type IncomingChannelOpen, SSHClientChannel } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

function startExec() {
  let server: Channel | undefined;
  const p = muxPair({}, {
    onChannelOpen: (req: IncomingChannelOpen) =>
      void (server = req.accept({ onData: () => undefined, onClose: () => undefined, onRequest: () => new Promise<boolean>(() => undefined) })),
  });
  const client = new SSHClientChannel<Uint8Array>({ getExtraInfo: () => undefined }, { encoding: null });
  let chan: Channel | undefined;
  p.client.openChannel('session', { type: 'session' }, { ...client.handler, onOpen: (c) => (chan = c) });
  p.pump();
  if (server === undefined || chan === undefined) throw new Error('channel did not open');
  const events: string[] = [];
  const session = {
    dataReceived: (data: Uint8Array) => events.push(`data ${new TextDecoder().decode(data)}`),
    sessionStarted: () => events.push('started'),
    connectionLost: () => events.push('lost'),
  };
  const starting = client.start(chan, session, { command: 'ls' });
  starting.catch(() => undefined);
  p.pump();
  return { p, client, server, starting, events };
}

describe('a session closed by the server before it answered exec', () => {
  it('starts when the exit status came first, with the output delivered', async () => {
    const { p, client, server, starting, events } = startExec();
    server.write(new TextEncoder().encode('out'));
    server.sendRequest('exit-status', { type: 'exit-status', exitStatus: 3 });
    server.close();
    p.pump();
    await expect(starting).resolves.toBeUndefined();
    expect(client.getExitStatus()).toBe(3);
    expect(events).toEqual(['data out', 'lost', 'started']);
    expect(p.failures).toEqual([]);
  });

  it('fails as before when the channel closed without an exit status', async () => {
    const { p, server, starting } = startExec();
    server.close();
    p.pump();
    await expect(starting).rejects.toBeInstanceOf(ChannelOpenError);
  });
});
