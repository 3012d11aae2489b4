/**
 * The client's remote listeners (ClientForwarding, connection stubbed) facing a hostile server:
 * forwarded-tcpip opens for listeners never asked for, with odd originator data, and a session
 * object that fails as the channel is answered. Every open is answered, nothing is unhandled.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelConnection, ConnectionMux, IncomingChannelOpen } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE, type ChannelOpenBody } from '@ssh/wire';
import { ClientForwarding } from '../src/forward/client-forward.ts';
import { bounded, recordUnhandledRejections } from './forward-helpers.ts';

const unhandled = recordUnhandledRejections();

/** Client forwarding over a stub mux whose server grants every tcpip-forward (port 0: 40000). */
function clientForwarding(): { fwd: ClientForwarding; errors: unknown[] } {
  const errors: unknown[] = [];
  const mux = {
    isClosed: false,
    globalRequest: (_name: string, _body: unknown, onReply?: (ok: boolean, data: Uint8Array) => void) => {
      onReply?.(true, Uint8Array.of(0, 0, 0x9c, 0x40));
    },
  } as unknown as ConnectionMux;
  const fwd = new ClientForwarding({ mux, connection: {} as ChannelConnection, flush: () => undefined }, (err) => errors.push(err));
  return { fwd, errors };
}

function forwardedTcpip(connectedAddress: string, connectedPort: number, originatorAddress: string, originatorPort: number, accept?: () => never): { request: IncomingChannelOpen; answer: Promise<string> } {
  let settle: (s: string) => void = () => undefined;
  const answer = new Promise<string>((resolve) => (settle = resolve));
  const body: ChannelOpenBody = { type: 'forwarded-tcpip', connectedAddress, connectedPort, originatorAddress, originatorPort };
  const request = {
    type: 'forwarded-tcpip',
    body,
    peerWindow: 65536,
    peerMaxPacket: 32768,
    accept:
      accept ??
      (() => {
        settle('accepted');
        throw new Error('not expected to be accepted');
      }),
    reject: (code: number) => settle(`rejected ${code}`),
  } as unknown as IncomingChannelOpen;
  return { request, answer };
}

describe('forwarded-tcpip from a hostile server', () => {
  it('for a listener never asked for: refused, the factory never called', async () => {
    const { fwd } = clientForwarding();
    const asked: [string, number][] = [];
    await fwd.createServer((h, p) => (asked.push([h, p]), false), 'localhost', 8022);
    const { request, answer } = forwardedTcpip('localhost', 9999, '\u0000evil', 0xffffffff);
    expect(fwd.acceptIncoming(request)).toBe(true);
    expect(await bounded(answer, 2_000, 'answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
    expect(asked).toEqual([]);
  });

  it('odd originator data reaches the factory as sent, and its refusal refuses the open', async () => {
    const { fwd } = clientForwarding();
    const asked: [string, number][] = [];
    await fwd.createServer((h, p) => (asked.push([h, p]), false), 'localhost', 8022);
    const { request, answer } = forwardedTcpip('localhost', 8022, '\u0000evil', 0xffffffff);
    fwd.acceptIncoming(request);
    expect(await bounded(answer, 2_000, 'answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
    expect(asked).toEqual([['\u0000evil', 0xffffffff]]);
  });

  it('a failure while the channel is answered refuses the open and reaches onError, not unhandled', async () => {
    const { fwd, errors } = clientForwarding();
    await fwd.createServer(() => ({}), 'localhost', 8022);
    const { request, answer } = forwardedTcpip('localhost', 8022, '192.0.2.1', 1, () => {
      throw new Error('accept failed');
    });
    fwd.acceptIncoming(request);
    expect(await bounded(answer, 2_000, 'answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.CONNECT_FAILED}`);
    expect(errors.map((e) => (e as Error).message)).toEqual(['accept failed']);
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});
