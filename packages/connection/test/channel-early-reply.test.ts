/**
 * A channel request waits in the channel's queue behind data the peer's window does not take yet
 * (RFC 4254 §5.2: nothing overtakes the data before it), so it has not been sent. A
 * CHANNEL_SUCCESS or CHANNEL_FAILURE arriving meanwhile answers no request of ours (§5.4): it is
 * the peer's protocol error, and must not settle the request that is still to go out.
 */
import { MSG } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** A client channel to a server that took it with a window of `window` bytes. */
function openChannel(window: number) {
  let server: Channel | undefined;
  const p = muxPair({}, { windowSize: window, onChannelOpen: (req: IncomingChannelOpen) => void (server = req.accept({ onData: () => undefined, onClose: () => undefined, onRequest: () => true })) });
  const client = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  if (server === undefined) throw new Error('channel did not open');
  return { p, client };
}

describe('channel request replies', () => {
  it.each([MSG.CHANNEL_SUCCESS, MSG.CHANNEL_FAILURE])('refuses reply %i to a request still queued behind data', (reply) => {
    const { p, client } = openChannel(1024);
    client.write(new Uint8Array(4096));
    const answers: boolean[] = [];
    client.sendRequest('exec', { type: 'exec', command: new Uint8Array(0) }, (ok) => answers.push(ok));
    // The request has not gone out: it waits behind data beyond the window.
    expect(p.toServer.some((m) => m[0] === MSG.CHANNEL_REQUEST)).toBe(false);
    p.toServer.length = 0;
    p.client.handle(Uint8Array.from([reply, ...u32(client.localId)]));
    expect(p.failures.map((f) => f.side)).toEqual(['client']);
    expect(p.failures[0]?.error.message).toMatch(/reply without a request/);
    expect(answers).toEqual([]);
  });

  it('matches replies to requests once they went out, in order', () => {
    const { p, client } = openChannel(1024);
    client.write(new Uint8Array(4096));
    const answers: string[] = [];
    client.sendRequest('a', new Uint8Array(0), (ok) => answers.push(`a ${ok}`));
    client.sendRequest('b', new Uint8Array(0));
    client.sendRequest('c', new Uint8Array(0), (ok) => answers.push(`c ${ok}`));
    // The server reads, so its window reopens: the data and then the requests go, and are answered.
    for (let i = 0; i < 10; i++) {
      p.pump();
      const mux = p.server as unknown as { channels: Map<number, Channel> };
      for (const ch of mux.channels.values()) ch.consume(4096);
    }
    p.pump();
    expect(answers).toEqual(['a true', 'c true']);
    expect(p.failures).toEqual([]);
  });
});
