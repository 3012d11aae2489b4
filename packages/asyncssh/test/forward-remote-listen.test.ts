/**
 * The client's remote listeners (RemoteForwards through ClientForwarding, connection stubbed)
 * when the server's reply to tcpip-forward / streamlocal-forward@openssh.com and its first
 * forwarded channel arrive in one read: the transport hands both messages over in the same
 * turn, so the listener must be in place as the reply is handled, not a promise step later.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelConnection, ConnectionMux } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { ClientForwarding } from '../src/forward/client-forward.ts';
import { bounded, channelOpen, recordUnhandledRejections } from './forward-helpers.ts';

const unhandled = recordUnhandledRejections();

/** Client forwarding over a stub mux that keeps each global request's reply callback for the test to call. */
function clientForwarding(): { fwd: ClientForwarding; replies: ((ok: boolean, data: Uint8Array) => void)[] } {
  const replies: ((ok: boolean, data: Uint8Array) => void)[] = [];
  const mux = {
    isClosed: false,
    globalRequest: (_name: string, _body: unknown, onReply?: (ok: boolean, data: Uint8Array) => void) => {
      if (onReply) replies.push(onReply);
    },
  } as unknown as ConnectionMux;
  const fwd = new ClientForwarding({ mux, connection: {} as ChannelConnection, flush: () => undefined }, () => undefined);
  return { fwd, replies };
}

describe('a remote listener whose first connection comes in the same read as the reply granting it', () => {
  it('tcpip-forward of a port the server picked (port 0): the connection reaches the factory', async () => {
    const { fwd, replies } = clientForwarding();
    const asked: [string, number][] = [];
    const listening = fwd.createServer((h, p) => (asked.push([h, p]), false), 'localhost', 0);
    const { request, answer } = channelOpen({ type: 'forwarded-tcpip', connectedAddress: 'localhost', connectedPort: 40000, originatorAddress: '127.0.0.1', originatorPort: 5555 });
    // REQUEST_SUCCESS (bound port 40000), then CHANNEL_OPEN, handled one after the other.
    replies[0]?.(true, Uint8Array.of(0, 0, 0x9c, 0x40));
    expect(fwd.acceptIncoming(request)).toBe(true);
    expect((await bounded(listening, 2_000, 'listen')).getPort()).toBe(40000);
    // Refused by the factory (ADMINISTRATIVELY_PROHIBITED too), not for want of a listener: it was asked.
    expect(await bounded(answer, 2_000, 'answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
    expect(asked).toEqual([['127.0.0.1', 5555]]);
  });

  it('tcpip-forward of a fixed port: the connection reaches the factory', async () => {
    const { fwd, replies } = clientForwarding();
    const asked: [string, number][] = [];
    const listening = fwd.createServer((h, p) => (asked.push([h, p]), false), '127.0.0.1', 8022);
    const { request } = channelOpen({ type: 'forwarded-tcpip', connectedAddress: '127.0.0.1', connectedPort: 8022, originatorAddress: '127.0.0.1', originatorPort: 5556 });
    replies[0]?.(true, new Uint8Array(0));
    fwd.acceptIncoming(request);
    await bounded(listening, 2_000, 'listen');
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toEqual([['127.0.0.1', 5556]]);
  });

  it('streamlocal-forward: the connection reaches the factory', async () => {
    const { fwd, replies } = clientForwarding();
    let asked = 0;
    const listening = fwd.createUnixServer(() => (asked++, false), '/tmp/remote.sock');
    const { request } = channelOpen({ type: 'forwarded-streamlocal@openssh.com', socketPath: '/tmp/remote.sock', reserved: new Uint8Array(0) });
    replies[0]?.(true, new Uint8Array(0));
    fwd.acceptIncoming(request);
    expect((await bounded(listening, 2_000, 'listen')).getPath()).toBe('/tmp/remote.sock');
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toBe(1);
  });

  it('a refused request leaves no listener: a forwarded channel for it is refused unasked', async () => {
    const { fwd, replies } = clientForwarding();
    let asked = 0;
    const listening = fwd.createServer(() => (asked++, false), '127.0.0.1', 8023);
    const { request, answer } = channelOpen({ type: 'forwarded-tcpip', connectedAddress: '127.0.0.1', connectedPort: 8023, originatorAddress: '127.0.0.1', originatorPort: 1 });
    replies[0]?.(false, new Uint8Array(0));
    fwd.acceptIncoming(request);
    await expect(bounded(listening, 2_000, 'listen')).rejects.toThrow(/refused to listen/);
    expect(await bounded(answer, 2_000, 'answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
    expect(asked).toBe(0);
    expect(unhandled).toEqual([]);
  });
});
