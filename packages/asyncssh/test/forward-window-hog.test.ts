/**
 * A peer that never opens its window on forwarded channels (a client asking for many direct
 * connections with a window of one byte) must not make our relay hold much per channel: the
 * relay pauses its socket after AsyncSSH's 64 KiB write buffer, as sshd reads no more than the
 * window. It used to buffer a whole MiB per channel, a GiB at the channel limit.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { defaultClientKey, generateKey } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, connect, listen, type SSHAcceptor, type SSHClientConnection } from '../src/index.ts';
import { bounded } from './forward-helpers.ts';

class Forwarding extends SSHServer {
  override connectionRequested(): boolean {
    return true;
  }
}

let acceptor: SSHAcceptor;
let conn: SSHClientConnection;
let source: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  const key = await defaultClientKey();
  const hostKey = await generateKey('ed25519', { label: 'forward-window-hog-host' });
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
    serverFactory: () => new Forwarding(),
  });
  // Sends as fast as it is read, forever.
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  source = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    const pump = (): void => {
      while (!s.destroyed && s.write(chunk));
    };
    s.on('drain', pump);
    pump();
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
});

afterAll(async () => {
  conn?.close();
  for (const s of sockets) s.destroy();
  source?.close();
  await acceptor?.waitClosed();
});

describe('forwarded channels whose peer keeps its window shut', () => {
  it('cost the relay about its 64 KiB write buffer each, not a MiB', async () => {
    const port = (source.address() as net.AddressInfo).port;
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1500));
    await settle();
    const before = process.memoryUsage().arrayBuffers;
    const n = 32;
    const readers = [];
    for (let i = 0; i < n; i++) readers.push(await conn.openConnection('127.0.0.1', port, { window: 1 }));
    // Every relay has read until its write buffer is over the limit (the source never stops).
    await settle();
    const perChannel = (process.memoryUsage().arrayBuffers - before) / n;
    expect(perChannel).toBeLessThan(384 * 1024);
    // The data still flows when the reader takes it: the window opens a byte at a time.
    const first = readers[0];
    if (first === undefined) throw new Error('no direct connection opened');
    expect((await bounded(first[0].read(1), 5_000, 'read')).length).toBe(1);
  });
});
