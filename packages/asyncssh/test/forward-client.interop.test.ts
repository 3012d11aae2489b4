/**
 * Our client's forwarding through OpenSSH's sshd (AllowTcpForwarding and
 * AllowStreamLocalForwarding on in the harness): local, remote and dynamic (SOCKS 4, 4a, 5)
 * forwarding to local echo and HTTP servers, direct connections as streams and session objects,
 * UNIX socket forwarding both ways, refused destinations, and listeners that go away on close.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, knownHostsLines, makeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelOpenError, SSHTCPChannel, connect, type SSHClientConnection, type SSHTCPSession } from '../src/index.ts';
import { bounded, curl, roundTrip, socks5RoundTrip, startEcho, startHttp, tryConnect, type EchoServer } from './forward-helpers.ts';

let sshd: SshdServer;
let key: KeyPair;
let conn: SSHClientConnection;
let echo: EchoServer;
let unixEcho: EchoServer;
let web: { port: number; close(): Promise<void> };
let dir: string;

beforeAll(async () => {
  key = await defaultClientKey();
  sshd = await startSshd();
  dir = await makeTempDir('forward-client');
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  echo = await startEcho();
  unixEcho = await startEcho(path.join(dir, 'echo.sock'));
  web = await startHttp('hello through socks\n');
  conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null, config: null });
});

afterAll(async () => {
  conn?.close();
  await echo?.close();
  await unixEcho?.close();
  await web?.close();
  await sshd?.stop();
});

describe('forwarding through sshd', () => {
  it('forwards a local port to a TCP destination, 1 MiB both ways, and stops listening on close', async () => {
    const listener = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', echo.port);
    const port = listener.getPort();
    expect(port).toBeGreaterThan(0);
    const data = randomBytes(1024 * 1024);
    const [a, b] = await Promise.all([roundTrip({ host: '127.0.0.1', port }, data), roundTrip({ host: '127.0.0.1', port }, Buffer.from('second'))]);
    expect(a.equals(data)).toBe(true);
    expect(b.toString()).toBe('second');
    // A connection open across the close carries on; new ones are refused.
    const open = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    await bounded(new Promise((resolve) => open.once('connect', resolve)), 10_000, 'connect');
    listener.close();
    await bounded(listener.waitClosed(), 10_000, 'listener close');
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
    const reply = new Promise<string>((resolve) => {
      let text = '';
      open.on('data', (d: Buffer) => (text += d.toString()));
      open.on('end', () => resolve(text));
    });
    open.end('still here');
    expect(await bounded(reply, 10_000, 'reply')).toBe('still here');
    open.destroy();
  });

  it('forwards a remote port (port 0: the server picks) back to a local destination, and cancels it on close', async () => {
    const listener = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    const port = listener.getPort();
    expect(port).toBeGreaterThan(0);
    const data = randomBytes(300_000);
    expect((await roundTrip({ host: '127.0.0.1', port }, data)).equals(data)).toBe(true);
    await bounded(listener.waitClosed(), 10_000, 'cancel-tcpip-forward');
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
  });

  it('holds back a sender while the destination does not read, then delivers every byte in order', async () => {
    let destArrived: (s: net.Socket) => void = () => undefined;
    const arrived = new Promise<net.Socket>((resolve) => (destArrived = resolve));
    const sink = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
      sink.close();
      destArrived(s);
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const listener = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', (sink.address() as net.AddressInfo).port);
    const src = net.connect({ host: '127.0.0.1', port: listener.getPort(), allowHalfOpen: true });
    await bounded(new Promise((resolve) => src.once('connect', resolve)), 10_000, 'connect');
    const socket = await bounded(arrived, 10_000, 'destination connection');
    // Write until the pipeline stops taking data (no drain for a while). Without flow control
    // every byte up to the limit would be taken into memory somewhere along the way.
    const LIMIT = 96 * 1024 * 1024;
    const chunk = randomBytes(256 * 1024);
    const sent = createHash('sha256');
    let written = 0;
    while (written < LIMIT) {
      sent.update(chunk);
      written += chunk.length;
      if (!src.write(chunk)) {
        const drained = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 1500);
          src.once('drain', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (!drained) break;
      }
    }
    expect(written).toBeLessThan(LIMIT);
    const got = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        got.update(d);
        received += d.length;
      });
      socket.on('end', () => resolve());
    });
    socket.resume();
    src.end();
    await bounded(done, 60_000, 'delivery');
    expect(received).toBe(written);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    socket.destroy();
    src.destroy();
    await listener.waitClosed();
  });

  it('serves SOCKS 5, 4a and 4 (curl) and passes data after the handshake (our SOCKS 5 client)', async () => {
    const socks = await conn.forwardSocks('127.0.0.1', 0);
    const proxy = `127.0.0.1:${socks.getPort()}`;
    expect(await curl(['--socks5', proxy, `http://127.0.0.1:${web.port}/`])).toBe('hello through socks\n');
    expect(await curl(['--socks5-hostname', proxy, `http://localhost:${web.port}/`])).toBe('hello through socks\n');
    expect(await curl(['--socks4a', proxy, `http://localhost:${web.port}/`])).toBe('hello through socks\n');
    expect(await curl(['--socks4', proxy, `http://127.0.0.1:${web.port}/`])).toBe('hello through socks\n');
    const data = randomBytes(100_000);
    const r = await socks5RoundTrip(socks.getPort(), '127.0.0.1', echo.port, data);
    expect(r.reply).toBe(0);
    expect(r.data.equals(data)).toBe(true);
    await socks.waitClosed();
  });

  it('answers a SOCKS 5 request for a refused destination with "connection refused"', async () => {
    const socks = await conn.forwardSocks('127.0.0.1', 0);
    const closed = await startEcho();
    const deadPort = closed.port;
    await closed.close();
    const r = await socks5RoundTrip(socks.getPort(), '127.0.0.1', deadPort, new Uint8Array(0));
    expect(r.reply).toBe(5);
    await socks.waitClosed();
  });

  it('opens a direct connection as streams', async () => {
    const [reader, writer] = await conn.openConnection('127.0.0.1', echo.port);
    writer.write(new TextEncoder().encode('ping over direct-tcpip'));
    writer.writeEof();
    expect(new TextDecoder().decode(await bounded(reader.read(), 10_000, 'read'))).toBe('ping over direct-tcpip');
  });

  it('opens a direct connection run by a session object', async () => {
    let got = '';
    let made: unknown;
    const done = new Promise<void>((resolve) => {
      class Collect implements SSHTCPSession<string> {
        connectionMade(channel: unknown): void {
          made = channel;
        }
        dataReceived(data: string): void {
          got += data;
        }
        connectionLost(): void {
          resolve();
        }
      }
      void conn.createConnection(() => new Collect(), '127.0.0.1', echo.port, { encoding: 'utf-8' }).then(([channel]) => {
        channel.write('text both ways');
        channel.writeEof();
      });
    });
    await bounded(done, 10_000, 'session');
    expect(made).toBeInstanceOf(SSHTCPChannel);
    expect(got).toBe('text both ways');
  });

  it('rejects a direct connection to a closed port with CONNECT_FAILED', async () => {
    const closed = await startEcho();
    const deadPort = closed.port;
    await closed.close();
    const err = await conn.openConnection('127.0.0.1', deadPort).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.CONNECT_FAILED);
  });

  it('forwards UNIX sockets both ways, and TCP to UNIX', async () => {
    const localPath = path.join(dir, 'local-fwd.sock');
    const local = await conn.forwardLocalPath(localPath, unixEcho.server.address() as string);
    expect((await roundTrip({ path: localPath }, Buffer.from('unix local'))).toString()).toBe('unix local');
    await local.waitClosed();
    expect(await tryConnect({ path: localPath })).toMatch(/ENOENT|ECONNREFUSED/);

    const remotePath = path.join(dir, 'remote-fwd.sock');
    const remote = await conn.forwardRemotePath(remotePath, unixEcho.server.address() as string);
    expect((await roundTrip({ path: remotePath }, Buffer.from('unix remote'))).toString()).toBe('unix remote');
    await bounded(remote.waitClosed(), 10_000, 'cancel-streamlocal-forward');

    const portToPath = await conn.forwardLocalPortToPath('127.0.0.1', 0, unixEcho.server.address() as string);
    expect((await roundTrip({ host: '127.0.0.1', port: portToPath.getPort() }, Buffer.from('tcp to unix'))).toString()).toBe('tcp to unix');
    await portToPath.waitClosed();

    const [reader, writer] = await conn.openUnixConnection<string>(unixEcho.server.address() as string, { encoding: 'utf-8' });
    writer.write('direct streamlocal');
    writer.writeEof();
    expect(await bounded(reader.read(), 10_000, 'read')).toBe('direct streamlocal');
  });

  it('runs remote connections with a stream handler (startServer)', async () => {
    const listener = await conn.startServer(
      (origHost) => async (reader, writer) => {
        const data = await reader.read();
        writer.write(new TextEncoder().encode(`from ${origHost}: ${new TextDecoder().decode(data).toUpperCase()}`));
        writer.writeEof();
      },
      '127.0.0.1',
      0,
    );
    expect((await roundTrip({ host: '127.0.0.1', port: listener.getPort() }, Buffer.from('shout'))).toString()).toBe('from 127.0.0.1: SHOUT');
    await listener.waitClosed();
  });

  it('runs remote UNIX socket connections with a stream handler (startUnixServer)', async () => {
    const remotePath = path.join(dir, 'handler.sock');
    const listener = await conn.startUnixServer(
      () => async (reader, writer) => {
        const data = await reader.read();
        writer.write(Uint8Array.from([...new TextEncoder().encode('unix handler: '), ...data]));
        writer.writeEof();
      },
      remotePath,
    );
    expect(listener.getPath()).toBe(remotePath);
    expect((await roundTrip({ path: remotePath }, Buffer.from('yo'))).toString()).toBe('unix handler: yo');
    await bounded(listener.waitClosed(), 10_000, 'cancel');
  });

  it('runs remote connections with session objects (createServer), refusing when the factory says false', async () => {
    let made = 0;
    const listener = await conn.createServer(
      (origHost) => {
        if (made++ > 0) return false;
        let channel: SSHTCPChannel | undefined;
        return {
          connectionMade: (c: SSHTCPChannel) => (channel = c),
          dataReceived: (data: Uint8Array) => channel?.write(Uint8Array.from([...new TextEncoder().encode(`${origHost} says `), ...data])),
        };
      },
      '127.0.0.1',
      0,
    );
    expect((await roundTrip({ host: '127.0.0.1', port: listener.getPort() }, Buffer.from('hi'))).toString()).toBe('127.0.0.1 says hi');
    // Refused: sshd closes the connection, with a reset when our bytes were still unread.
    const refused = await roundTrip({ host: '127.0.0.1', port: listener.getPort() }, Buffer.from('again')).then(
      (b) => b.toString(),
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(['', 'ECONNRESET', 'EPIPE']).toContain(refused);
    expect(made).toBe(2);
    await listener.waitClosed();
  });

  it('closes its local listeners with the connection', async () => {
    const other = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const listener = await other.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', echo.port);
    other.close();
    await other.waitClosed();
    await bounded(listener.waitClosed(), 10_000, 'listener close');
    expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('ECONNREFUSED');
  });
});
