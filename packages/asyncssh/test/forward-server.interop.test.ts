/**
 * Our server's forwarding against OpenSSH's ssh (-W, -L, -R, -D, UNIX sockets both ways) and
 * our own client: decided by SSHServer.connectionRequested / serverRequested and their UNIX
 * twins, refused by default and for keys with no-port-forwarding, listeners cancelled and
 * closed with the connection.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, freePort, generateKey, makeTempDir, runSsh, startSsh, type KeyPair, type PeerProcess } from '@ssh/interop';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelListenError,
  ChannelOpenError,
  SSHServer,
  connect,
  listen,
  type ForwardAnswer,
  type SSHAcceptor,
  type SSHServerConnection,
  type SSHTCPSession,
} from '../src/index.ts';
import type { SSHChannel } from '@ssh/connection';
import { MAX_LISTENERS } from '../src/forward/server-forward.ts';
import { bounded, curl, roundTrip, startEcho, startHttp, tryConnect, waitListening, type EchoServer } from './forward-helpers.ts';

let clientKey: KeyPair;
let hostKey: KeyPair;
let open: SSHAcceptor;
let plain: SSHAcceptor;
let restricted: SSHAcceptor;
let echo: EchoServer;
let unixEcho: EchoServer;
let web: { port: number; close(): Promise<void> };
let dir: string;
const HANDLER_PORT = 1; // tcpmux: never really connected to, answered by a stream handler
const SESSION_PORT = 2; // answered by a session object
const requests: string[] = [];
let serverConns: SSHServerConnection[] = [];

class ForwardingServer extends SSHServer {
  override connectionMade(conn: SSHServerConnection): void {
    serverConns.push(conn);
  }

  override connectionRequested(destHost: string, destPort: number, origHost: string, origPort: number): ForwardAnswer {
    requests.push(`open ${destHost}:${destPort} from ${origHost}:${origPort}`);
    if (destPort === SESSION_PORT) {
      let channel: SSHChannel<Uint8Array> | undefined;
      return {
        connectionMade: (c: SSHChannel<Uint8Array>) => (channel = c),
        dataReceived: (data: Uint8Array) => channel?.write(new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase())),
        eofReceived: () => undefined,
      } satisfies SSHTCPSession;
    }
    if (destPort !== HANDLER_PORT) return true;
    return async (reader, writer) => {
      const data = await reader.read();
      writer.write(new TextEncoder().encode(`handled ${new TextDecoder().decode(data)}`));
      writer.writeEof();
    };
  }

  override unixConnectionRequested(destPath: string): ForwardAnswer {
    requests.push(`open ${destPath}`);
    return true;
  }

  override serverRequested(listenHost: string, listenPort: number): boolean {
    requests.push(`listen ${listenHost}:${listenPort}`);
    return true;
  }

  override unixServerRequested(listenPath: string): boolean {
    requests.push(`listen ${listenPath}`);
    return true;
  }
}

const running: PeerProcess[] = [];

beforeAll(async () => {
  clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'forward-host' });
  dir = await makeTempDir('forward-server');
  const authorized = readFileSync(clientKey.publicKeyPath, 'utf8');
  const base = { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: authorized };
  open = await listen('127.0.0.1', 0, { ...base, serverFactory: () => new ForwardingServer() });
  plain = await listen('127.0.0.1', 0, base);
  restricted = await listen('127.0.0.1', 0, { ...base, authorizedClientKeys: `no-port-forwarding ${authorized}`, serverFactory: () => new ForwardingServer() });
  echo = await startEcho();
  unixEcho = await startEcho(path.join(dir, 'echo.sock'));
  web = await startHttp('hello from behind our server\n');
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

afterAll(async () => {
  await open?.waitClosed();
  await plain?.waitClosed();
  await restricted?.waitClosed();
  await echo?.close();
  await unixEcho?.close();
  await web?.close();
});

const target = (acceptor: SSHAcceptor) => ({ name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] });
const sshOptions = (args: string[]) => ({ identity: clientKey, args: ['-N', '-o', 'ExitOnForwardFailure=yes', ...args] });

async function ssh(acceptor: SSHAcceptor, args: string[]): Promise<PeerProcess> {
  const p = await startSsh(target(acceptor), '', { ...sshOptions(args), stdin: 'ignore' });
  running.push(p);
  return p;
}

describe('our server with OpenSSH ssh', () => {
  it('relays ssh -W to the destination the SSHServer allows', async () => {
    const r = await runSsh(target(open), '', { identity: clientKey, args: ['-W', `127.0.0.1:${echo.port}`], input: 'through -W\n' });
    expect(r.stdout).toBe('through -W\n');
    expect(requests.some((x) => x.startsWith(`open 127.0.0.1:${echo.port} from`))).toBe(true);
  });

  it('refuses forwarding by default and for keys with no-port-forwarding', async () => {
    requests.length = 0;
    for (const acceptor of [plain, restricted]) {
      const r = await runSsh(target(acceptor), '', { identity: clientKey, args: ['-W', `127.0.0.1:${echo.port}`], input: 'x', allowFailure: true });
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/administratively prohibited|open failed|stdio forwarding failed/i);
    }
    // The restricted key never reached the SSHServer's decision.
    expect(requests).toEqual([]);
  });

  it('serves ssh -L (local port forwarding)', async () => {
    const port = await freePort();
    await ssh(open, ['-L', `127.0.0.1:${port}:127.0.0.1:${echo.port}`]);
    await waitListening({ host: '127.0.0.1', port });
    const data = randomBytes(500_000);
    expect((await roundTrip({ host: '127.0.0.1', port }, data)).equals(data)).toBe(true);
  });

  it('serves ssh -R with port 0 (remote port forwarding) and stops listening when ssh goes', async () => {
    const p = await ssh(open, ['-o', 'LogLevel=INFO', '-R', `0:127.0.0.1:${echo.port}`]);
    const m = await p.waitForOutput(/Allocated port (\d+)/, { stream: 'both', timeoutMs: 15_000 });
    const port = Number(m[1]);
    const data = randomBytes(200_000);
    expect((await roundTrip({ host: '127.0.0.1', port }, data)).equals(data)).toBe(true);
    expect(requests).toContain('listen localhost:0');
    await p.stop();
    let result = await tryConnect({ host: '127.0.0.1', port });
    for (let i = 0; i < 100 && result === 'connected'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      result = await tryConnect({ host: '127.0.0.1', port });
    }
    expect(result).toBe('ECONNREFUSED');
  });

  it('serves ssh -D (SOCKS through our server, curl)', async () => {
    const port = await freePort();
    await ssh(open, ['-D', `127.0.0.1:${port}`]);
    await waitListening({ host: '127.0.0.1', port });
    expect(await curl(['--socks5-hostname', `127.0.0.1:${port}`, `http://localhost:${web.port}/`])).toBe('hello from behind our server\n');
    expect(await curl(['--socks4a', `127.0.0.1:${port}`, `http://localhost:${web.port}/`])).toBe('hello from behind our server\n');
  });

  it('forwards UNIX sockets both ways (ssh -L and -R with paths)', async () => {
    const local = path.join(dir, 'ssh-local.sock');
    await ssh(open, ['-L', `${local}:${unixEcho.server.address() as string}`]);
    await waitListening({ path: local });
    expect((await roundTrip({ path: local }, Buffer.from('unix -L'))).toString()).toBe('unix -L');

    const remote = path.join(dir, 'ssh-remote.sock');
    await ssh(open, ['-R', `${remote}:${unixEcho.server.address() as string}`]);
    await waitListening({ path: remote });
    expect((await roundTrip({ path: remote }, Buffer.from('unix -R'))).toString()).toBe('unix -R');
    expect(requests).toContain(`listen ${remote}`);
  });
});

describe('our server with OpenSSH ssh, TCP and UNIX sockets mixed', () => {
  it('serves ssh -L path:host:port and port:path, -R port:path and path:host:port', async () => {
    const echoPath = unixEcho.server.address() as string;
    const localPath = path.join(dir, 'mixed-local.sock');
    await ssh(open, ['-L', `${localPath}:127.0.0.1:${echo.port}`]);
    await waitListening({ path: localPath });
    expect((await roundTrip({ path: localPath }, Buffer.from('path to port'))).toString()).toBe('path to port');

    const localPort = await freePort();
    await ssh(open, ['-L', `127.0.0.1:${localPort}:${echoPath}`]);
    await waitListening({ host: '127.0.0.1', port: localPort });
    expect((await roundTrip({ host: '127.0.0.1', port: localPort }, Buffer.from('port to path'))).toString()).toBe('port to path');
    expect(requests).toContain(`open ${echoPath}`);

    const remotePort = await freePort();
    await ssh(open, ['-R', `127.0.0.1:${remotePort}:${echoPath}`]);
    await waitListening({ host: '127.0.0.1', port: remotePort });
    expect((await roundTrip({ host: '127.0.0.1', port: remotePort }, Buffer.from('remote port to path'))).toString()).toBe('remote port to path');
    expect(requests).toContain(`listen 127.0.0.1:${remotePort}`);

    const remotePath = path.join(dir, 'mixed-remote.sock');
    await ssh(open, ['-R', `${remotePath}:127.0.0.1:${echo.port}`]);
    await waitListening({ path: remotePath });
    expect((await roundTrip({ path: remotePath }, Buffer.from('remote path to port'))).toString()).toBe('remote path to port');
    expect(requests).toContain(`listen ${remotePath}`);
  });
});

describe('our server with our client', () => {
  const connectTo = (acceptor: SSHAcceptor) =>
    connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });

  it('refuses by default: ChannelOpenError for direct connections, ChannelListenError for listeners', async () => {
    await using conn = await connectTo(plain);
    const err = await conn.openConnection('127.0.0.1', echo.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
    await expect(conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port)).rejects.toBeInstanceOf(ChannelListenError);
    await expect(conn.forwardRemotePath(path.join(dir, 'never.sock'), '/nonexistent')).rejects.toBeInstanceOf(ChannelListenError);
  });

  it('limits destinations and listeners to the permitopen and permitlisten of the key line', async () => {
    const authorized = readFileSync(clientKey.publicKeyPath, 'utf8');
    const listenPort = await freePort();
    const limited = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey.privateKeyPath],
      authorizedClientKeys: `permitopen="127.0.0.1:${echo.port}",permitlisten="localhost:${listenPort}" ${authorized}`,
      serverFactory: () => new ForwardingServer(),
    });
    try {
      await using conn = await connectTo(limited);
      const [reader, writer] = await conn.openConnection('127.0.0.1', echo.port);
      writer.write(new TextEncoder().encode('permitted'));
      writer.writeEof();
      expect(new TextDecoder().decode(await bounded(reader.read(), 10_000, 'read'))).toBe('permitted');
      const err = await conn.openConnection('127.0.0.1', web.port).catch((e: unknown) => e);
      expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
      await expect(conn.forwardRemotePort('localhost', listenPort + 1 > 65535 ? 1 : listenPort + 1, '127.0.0.1', echo.port)).rejects.toBeInstanceOf(ChannelListenError);
      const ok = await conn.forwardRemotePort('localhost', listenPort, '127.0.0.1', echo.port);
      expect((await roundTrip({ host: '127.0.0.1', port: listenPort }, Buffer.from('listen ok'))).toString()).toBe('listen ok');
      await ok.waitClosed();
    } finally {
      await limited.waitClosed();
    }
  });

  it('runs a direct connection with the stream handler the SSHServer returns', async () => {
    await using conn = await connectTo(open);
    const [reader, writer] = await conn.openConnection<string>('example.invalid', HANDLER_PORT, { encoding: 'utf-8' });
    writer.write('hello');
    writer.writeEof();
    expect(await bounded(reader.read(), 10_000, 'read')).toBe('handled hello');
  });

  it('runs a direct connection with the session object the SSHServer returns', async () => {
    await using conn = await connectTo(open);
    const [reader, writer] = await conn.openConnection<string>('example.invalid', SESSION_PORT, { encoding: 'utf-8' });
    writer.write('quiet words');
    writer.writeEof();
    expect(await bounded(reader.read(), 10_000, 'read')).toBe('QUIET WORDS');
  });

  it('answers CONNECT_FAILED for a destination that refuses', async () => {
    await using conn = await connectTo(open);
    const closed = await startEcho();
    await closed.close();
    const err = await conn.openConnection('127.0.0.1', closed.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.CONNECT_FAILED);
  });

  it(`holds a client to ${MAX_LISTENERS} listeners, even when it asks for many at once`, async () => {
    const conn = await connectTo(open);
    // Sent in one burst: every request arrives before the first listener is in place.
    const asked = await Promise.allSettled(Array.from({ length: MAX_LISTENERS + 16 }, () => conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port)));
    const granted = asked.filter((r) => r.status === 'fulfilled');
    expect(granted).toHaveLength(MAX_LISTENERS);
    for (const r of asked) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ChannelListenError);
    // A cancelled listener makes room for another.
    const first = (granted[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof conn.forwardRemotePort>>>).value;
    first.close();
    await bounded(first.waitClosed(), 10_000, 'cancel');
    const more = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    expect(more.getPort()).toBeGreaterThan(0);
    conn.close();
    await conn.waitClosed();
  });

  it('forwards remote ports and paths, cancels them, and closes them with the connection', async () => {
    serverConns = [];
    const conn = await connectTo(open);
    const tcp = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    const port = tcp.getPort();
    expect((await roundTrip({ host: '127.0.0.1', port }, Buffer.from('remote tcp'))).toString()).toBe('remote tcp');
    await bounded(tcp.waitClosed(), 10_000, 'cancel');
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');

    const sock = path.join(dir, 'our-remote.sock');
    const unix = await conn.forwardRemotePathToPort(sock, '127.0.0.1', echo.port);
    expect((await roundTrip({ path: sock }, Buffer.from('remote unix'))).toString()).toBe('remote unix');
    const again = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    expect(unix.getPath()).toBe(sock);
    conn.close();
    await conn.waitClosed();
    await bounded(serverConns[0]?.waitClosed() ?? Promise.resolve(), 10_000, 'server side close');
    let result = await tryConnect({ host: '127.0.0.1', port: again.getPort() });
    for (let i = 0; i < 100 && result === 'connected'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      result = await tryConnect({ host: '127.0.0.1', port: again.getPort() });
    }
    expect(result).toBe('ECONNREFUSED');
    expect(await tryConnect({ path: sock })).toMatch(/ENOENT|ECONNREFUSED/);
  });
});
