/**
 * Floods against our server: hundreds of unauthenticated connections held open, a password
 * guesser going past the attempt limit, a stream of connections dropped mid-handshake. Memory
 * stays bounded, the server keeps serving a real client meanwhile, and it ends up holding none
 * of the abandoned connections.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisconnectError, SSHClient, SSHServer, connect, listen, type SSHAcceptor, type SSHServerConnection, type SSHServerProcess } from '../src/index.ts';
import { loopbackKeys } from './loopback-keys.ts';

const keys = loopbackKeys();
const live = new Set<SSHServerConnection>();

class Tracked extends SSHServer {
  override connectionMade(conn: SSHServerConnection): void {
    live.add(conn);
    void conn.waitClosed().then(() => live.delete(conn));
  }
  override passwordAuthSupported(): boolean {
    return true;
  }
  override validatePassword(): boolean {
    return false;
  }
}

let acceptor: SSHAcceptor;
const client = () => connect(keys.clientOptions(acceptor.getPort()));

beforeAll(async () => {
  acceptor = await listen('127.0.0.1', 0, {
    ...keys.serverOptions,
    serverFactory: () => new Tracked(),
    processFactory: (p: SSHServerProcess) => p.exit(0),
    loginTimeout: 2,
    maxAuthTries: 4,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
});

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 25) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('floods', () => {
  it('holds 300 idle unauthenticated connections in bounded memory, serves others, and times them all out', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const s = net.connect(acceptor.getPort(), '127.0.0.1');
      s.on('error', () => undefined);
      s.resume();
      s.write('SSH-2.0-idle\r\n');
      sockets.push(s);
    }
    expect(await until(() => live.size >= 300, 10_000)).toBe(true);
    const conn = await client();
    expect((await conn.run('x')).exitStatus).toBe(0);
    conn.close();
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(200 * 1024 * 1024);
    // The login timeout (2 s) ends every one of them: no connection and no timer left behind.
    expect(await until(() => live.size === 0, 10_000)).toBe(true);
    for (const s of sockets) s.destroy();
  });

  it('disconnects a password guesser at the attempt limit', async () => {
    let asked = 0;
    class Guesser extends SSHClient {
      override passwordAuthRequested(): string {
        asked++;
        return `guess-${asked}`;
      }
    }
    const attempt = connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: null, knownHosts: null, agentPath: null, config: null, clientFactory: () => new Guesser(), preferredAuth: ['password'] });
    await expect(attempt).rejects.toBeInstanceOf(DisconnectError);
    expect(asked).toBeLessThanOrEqual(4);
  });

  it('survives 200 connections dropped at random points of the handshake', async () => {
    const drops: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      drops.push(
        new Promise<void>((resolve) => {
          const s = net.connect(acceptor.getPort(), '127.0.0.1');
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.on('data', () => s.destroy());
          s.write(i % 2 === 0 ? 'SSH-2.0-drop\r\n' : 'SSH-2.0-drop\r\n\0\0\0\x0c\x0a\x14garbage!');
          setTimeout(() => s.destroy(), i % 50);
        }),
      );
    }
    await Promise.all(drops);
    const conn = await client();
    expect((await conn.run('still here')).exitStatus).toBe(0);
    conn.close();
    expect(await until(() => live.size === 0, 5000)).toBe(true);
  });
});
