/**
 * Timers of a connection: keepalive on both sides (answered probes keep it up; a silent peer is
 * dropped after keepaliveCountMax probes), and the server's login timeout before and during
 * authentication, with the server still serving others.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLost, SSHClient, SSHServer, connect, generatePrivateKey, listen, type SSHAcceptor, type SSHServerConnection, type SSHServerProcess } from '../src/index.ts';

const hostKey = generatePrivateKey('ssh-ed25519');
const userKey = generatePrivateKey('ssh-ed25519');
const authorized = new TextDecoder().decode(userKey.exportPublicKey('openssh'));
const base = { username: 'u', clientKeys: [userKey], knownHosts: null, agentPath: null, config: null } as const;
const serverConns: SSHServerConnection[] = [];

class Recorder extends SSHServer {
  override connectionMade(conn: SSHServerConnection): void {
    serverConns.push(conn);
  }
}

let acceptor: SSHAcceptor;

beforeAll(async () => {
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey],
    authorizedClientKeys: authorized,
    serverFactory: () => new Recorder(),
    processFactory: (p: SSHServerProcess) => p.exit(0),
    loginTimeout: 1,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
});

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);
}

describe('keepalive', () => {
  it('keeps a connection whose peer answers', async () => {
    await using conn = await connect({ ...base, host: '127.0.0.1', port: acceptor.getPort(), keepaliveInterval: 0.05, keepaliveCountMax: 2 });
    await new Promise((r) => setTimeout(r, 400));
    expect(conn.isClosed).toBe(false);
    expect((await conn.run('x')).exitStatus).toBe(0);
  });

  it('drops a server connection whose client stops reading', async () => {
    const conn = await connect({ ...base, host: '127.0.0.1', port: acceptor.getPort() });
    const server = serverConns.at(-1) as SSHServerConnection;
    (conn.getExtraInfo('socket') as net.Socket).pause();
    server.setKeepalive(0.05, 2);
    await within(server.waitClosed(), 5000, 'the server closing');
    expect(server.closeError).toBeInstanceOf(ConnectionLost);
    expect(server.closeError?.message).toMatch(/keepalive/);
    conn.abort();
  });

  it('drops a client connection whose server stops reading', async () => {
    const conn = await connect({ ...base, host: '127.0.0.1', port: acceptor.getPort(), keepaliveInterval: 0.05, keepaliveCountMax: 2 });
    const server = serverConns.at(-1) as SSHServerConnection;
    (server.getExtraInfo('socket') as net.Socket).pause();
    await within(conn.waitClosed(), 5000, 'the client closing');
    expect(conn.closeError?.message).toMatch(/keepalive/);
    server.abort();
  });
});

describe('login timeout', () => {
  it('closes a client that never starts the key exchange, and keeps serving others', async () => {
    const raw = net.connect(acceptor.getPort(), '127.0.0.1');
    const closed = new Promise<void>((r) => raw.on('close', () => r()));
    raw.on('error', () => undefined);
    raw.resume(); // read (and drop) what the server sends, so its close is seen
    raw.write('SSH-2.0-silent\r\n');
    const other = await connect({ ...base, host: '127.0.0.1', port: acceptor.getPort() });
    expect((await other.run('x')).exitStatus).toBe(0);
    other.close();
    await within(closed, 5000, 'the server closing the silent client');
  });

  it('closes a client stuck in authentication', async () => {
    class Stuck extends SSHClient {
      override passwordAuthRequested(): Promise<string | null> {
        return new Promise(() => undefined);
      }
    }
    const pwServer = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      loginTimeout: 0.5,
      serverFactory: () =>
        new (class extends SSHServer {
          override passwordAuthSupported(): boolean {
            return true;
          }
        })(),
    });
    const attempt = connect({ ...base, host: '127.0.0.1', port: pwServer.getPort(), clientKeys: null, clientFactory: () => new Stuck(), loginTimeout: 30 });
    await expect(within(attempt, 5000, 'the login timeout')).rejects.toBeInstanceOf(ConnectionLost);
    await pwServer.waitClosed();
  });
});
