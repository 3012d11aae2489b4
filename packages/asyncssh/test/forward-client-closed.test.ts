/**
 * Local forwarding and SOCKS listeners of a client connection (ClientForwarding, connection
 * stubbed) asked for just before the connection ends: the listener is still being bound when
 * the connection closes its listeners, so it must not be left listening for a connection that
 * is gone (every connection it took would be dropped, and its port or path held until exit).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir } from '@ssh/interop';
import { describe, expect, it } from 'vitest';
import type { ChannelConnection, ConnectionMux } from '@ssh/connection';
import { ClientForwarding } from '../src/forward/client-forward.ts';
import { bounded, tryConnect } from './forward-helpers.ts';

/** Client forwarding over a stub mux, and a way to end its connection as the client does (closeAll). */
function clientForwarding(): { fwd: ClientForwarding; close(): void } {
  const mux = { isClosed: false } as { isClosed: boolean };
  const fwd = new ClientForwarding({ mux: mux as unknown as ConnectionMux, connection: {} as ChannelConnection, flush: () => undefined }, () => undefined);
  return {
    fwd,
    close: () => {
      mux.isClosed = true;
      fwd.closeAll();
    },
  };
}

/** The outcome of `promise`: 'listening' or the rejection's message. */
function outcome(promise: Promise<unknown>): Promise<string> {
  return bounded(
    promise.then(
      () => 'listening',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    ),
    5_000,
    'listener',
  );
}

describe('a local listener asked for as the connection ends', () => {
  it('forwardLocalPort on localhost: rejected, and neither loopback address is left listening', async () => {
    const { fwd, close } = clientForwarding();
    const port = await freePort();
    const listening = fwd.forwardLocalPort('localhost', port, '127.0.0.1', 22);
    close();
    expect(await outcome(listening)).toMatch(/closed/);
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
    expect(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH']).toContain(await tryConnect({ host: '::1', port }));
  });

  it('forwardLocalPath: rejected, and the socket path is gone', async () => {
    const { fwd, close } = clientForwarding();
    const listenPath = path.join(await makeTempDir('forward-client-closed'), 'local.sock');
    const listening = fwd.forwardLocalPath(listenPath, '/tmp/none.sock');
    close();
    expect(await outcome(listening)).toMatch(/closed/);
    await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(listenPath)).toBe(false);
  });

  it('forwardSocks: rejected, and the port is not left listening', async () => {
    const { fwd, close } = clientForwarding();
    const port = await freePort();
    const listening = fwd.forwardSocks('127.0.0.1', port);
    close();
    expect(await outcome(listening)).toMatch(/closed/);
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
  });

  it('a listener bound before the end is closed with the connection', async () => {
    const { fwd, close } = clientForwarding();
    const listener = await fwd.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', 22);
    close();
    await bounded(listener.waitClosed(), 5_000, 'close');
    expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('ECONNREFUSED');
  });
});
