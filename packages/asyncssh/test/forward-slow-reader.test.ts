/**
 * A forwarded connection whose peer sends its last data, EOF and close while the local socket is
 * not taking more (a slow reader): the relay (SSHForwarder) has paused the channel, and what
 * the channel holds must still reach the socket, then its end. The close used to reach the relay
 * first, which ended the socket: the data still held was written after the end and lost.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { defaultClientKey, generateKey, makeTempDir } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, connect, listen, type SSHAcceptor, type SSHClientConnection } from '../src/index.ts';
import { bounded } from './forward-helpers.ts';

class Forwarding extends SSHServer {
  override unixConnectionRequested(): boolean {
    return true;
  }
}

let acceptor: SSHAcceptor;
let conn: SSHClientConnection;
let dir: string;

beforeAll(async () => {
  const key = await defaultClientKey();
  const hostKey = await generateKey('ed25519', { label: 'forward-slow-reader-host' });
  dir = await makeTempDir('forward-slow-reader');
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
    serverFactory: () => new Forwarding(),
  });
  conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
});

afterAll(async () => {
  conn?.close();
  await acceptor?.waitClosed();
});

describe('a slow reader behind a forward', () => {
  it('gets every byte, then the end, though the peer closed while the relay held data back', async () => {
    // A UNIX socket takes a few hundred KiB before its writer has to wait: the rest of the
    // megabyte waits in the server's channel, within the window the client's data came in.
    const data = randomBytes(1024 * 1024);
    const sockPath = path.join(dir, 'slow.sock');
    const received = new Promise<Buffer>((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('end', () => {
          server.close();
          resolve(Buffer.concat(chunks));
        });
        // Reads nothing until the client has sent everything and closed its channel.
        setTimeout(() => socket.resume(), 1500);
      });
      server.listen(sockPath);
    });
    await new Promise((r) => setTimeout(r, 50));
    const [, writer] = await conn.openUnixConnection(sockPath);
    writer.write(data);
    writer.writeEof();
    writer.close();
    const got = await bounded(received, 10_000, 'the slow reader');
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
  });
});
