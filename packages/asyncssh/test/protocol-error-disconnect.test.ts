/**
 * A peer that breaks the connection protocol gets a DISCONNECT (PROTOCOL_ERROR) before the
 * connection ends: the message is queued while the bad packet is handled and must be written
 * before the socket is ended, not after (a write after end() is lost).
 */
import net from 'node:net';
import { Transport, UserauthClient, type UserauthClientEvent } from '@ssh/transport';
import { driveTransport } from '@ssh/transport/node';
import { ChannelData, DISCONNECT } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type SSHAcceptor } from '../src/index.ts';
import { loopbackKeys } from './loopback-keys.ts';

const keys = loopbackKeys();
let acceptor: SSHAcceptor;

beforeAll(async () => {
  acceptor = await listen('127.0.0.1', 0, keys.serverOptions);
});

afterAll(async () => {
  acceptor?.close();
  await acceptor?.waitClosed();
});

/** Authenticates, sends data for a channel that was never opened, and reports how it ended. */
function breakProtocol(port: number): Promise<{ reasonCode: number | undefined; byPeer: boolean | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const transport = new Transport({ role: 'client' });
    const auth = new UserauthClient(transport, { username: 'u', keys: [keys.userKey as never] });
    let ended: { reasonCode: number | undefined; byPeer: boolean | undefined } | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server neither disconnected nor closed'));
    }, 15_000);
    const driver = driveTransport(socket, transport, {
      onEvent(e) {
        if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
        if (e.type === 'disconnect') ended ??= { reasonCode: e.error.reasonCode, byPeer: e.byPeer };
        auth.handle(e);
        for (let a: UserauthClientEvent | undefined = auth.nextEvent(); a; a = auth.nextEvent()) {
          if ('id' in a) auth.resolve(a.id, null);
          if (a.type === 'success') {
            transport.send(ChannelData.encode({ recipientChannel: 99, data: new Uint8Array(4) }));
            driver.flush();
          }
        }
      },
      onClose() {
        clearTimeout(timer);
        socket.destroy();
        resolve(ended ?? { reasonCode: undefined, byPeer: undefined });
      },
      rekeyCheckMs: 0,
    });
    socket.on('error', () => socket.destroy());
  });
}

describe('a peer that breaks the connection protocol', () => {
  it('is told why: DISCONNECT with PROTOCOL_ERROR, then the connection ends', async () => {
    const outcome = await breakProtocol(acceptor.getPort());
    expect(outcome).toEqual({ reasonCode: DISCONNECT.PROTOCOL_ERROR, byPeer: true });
  });
});
