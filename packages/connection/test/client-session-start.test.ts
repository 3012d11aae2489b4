/**
 * SSHClientChannel.start over the in-memory multiplexer pair: with stdin from /dev/null the EOF
 * goes right behind the exec request, before its reply (one write instead of a round trip more);
 * without it, nothing follows the request; a refused request still fails the start.
 */
import { MSG } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { ChannelOpenError, SSHClientChannel, type IncomingChannelOpen } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

/** A client channel open to a server that answers exec requests with `accept`. */
function openSession(accept: boolean) {
  const requests: string[] = [];
  const p = muxPair(
    {},
    {
      onChannelOpen: (req: IncomingChannelOpen) =>
        void req.accept({
          onData: () => undefined,
          onEof: () => requests.push('eof'),
          onClose: () => undefined,
          onRequest: (type: string) => {
            requests.push(type);
            return accept;
          },
        }),
    },
  );
  const channel = new SSHClientChannel<Uint8Array>({ getExtraInfo: () => undefined }, { encoding: null });
  let chan: Parameters<SSHClientChannel['start']>[0] | undefined;
  p.client.openChannel('session', { type: 'session' }, { ...channel.handler, onOpen: (c) => (chan = c) });
  p.pump();
  if (chan === undefined) throw new Error('channel did not open');
  return { p, channel, chan, requests };
}

describe('SSHClientChannel.start', () => {
  it('sends EOF right behind the exec request when stdin is /dev/null, before the reply', async () => {
    const { p, channel, chan, requests } = openSession(true);
    const started = channel.start(chan, {}, { command: 'true', eofAfterRequest: true });
    // Both are queued for the same write, before the server has said anything.
    expect(p.toServer.map((m) => m[0])).toEqual([MSG.CHANNEL_REQUEST, MSG.CHANNEL_EOF]);
    p.pump();
    await started;
    expect(requests).toEqual(['exec', 'eof']);
  });

  it('sends nothing after the request otherwise', async () => {
    const { p, channel, chan, requests } = openSession(true);
    const started = channel.start(chan, {}, { command: 'true' });
    expect(p.toServer.map((m) => m[0])).toEqual([MSG.CHANNEL_REQUEST]);
    p.pump();
    await started;
    expect(requests).toEqual(['exec']);
  });

  it('still fails the start when the server refuses the request', async () => {
    const { p, channel, chan } = openSession(false);
    const started = channel.start(chan, {}, { command: 'true', eofAfterRequest: true });
    p.pump();
    await expect(started).rejects.toBeInstanceOf(ChannelOpenError);
  });
});
