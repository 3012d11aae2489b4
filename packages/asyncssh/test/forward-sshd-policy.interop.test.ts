/**
 * Our client's forwarding against sshd's forwarding policy: AllowTcpForwarding and
 * AllowStreamLocalForwarding off, PermitOpen, PermitListen. Each refusal reaches the
 * application in the form AsyncSSH gives it (ChannelOpenError for a direct connection,
 * ChannelListenError for a listener, a closed socket for a local forward, a SOCKS reply that
 * says why), and the connection to sshd carries on.
 */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, freePort, knownHostsLines, makeTempDir, startSshd, type SshdServer } from '@ssh/interop';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelListenError, ChannelOpenError, connect, type SSHClientConnection } from '../src/index.ts';
import { bounded, roundTrip, socks5RoundTrip, startEcho, tryConnect, type EchoServer } from './forward-helpers.ts';

let echo: EchoServer;
let dir: string;
let sshd: SshdServer | undefined;
let conn: SSHClientConnection | undefined;

beforeAll(async () => {
  echo = await startEcho();
  dir = await makeTempDir('forward-sshd-policy');
});

afterEach(async () => {
  conn?.close();
  conn = undefined;
  await sshd?.stop();
  sshd = undefined;
});

afterAll(async () => {
  await echo?.close();
});

/** Starts sshd with `config` first and connects our client to it. */
async function connectTo(config: string[]): Promise<SSHClientConnection> {
  const key = await defaultClientKey();
  sshd = await startSshd({ config });
  const knownHosts = path.join(dir, `known_hosts.${sshd.port}`);
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null, config: null });
  return conn;
}

/** The settled outcome of `promise`: 'ok' or the error. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return bounded(
    promise.then(
      () => 'ok',
      (e: unknown) => e,
    ),
    10_000,
    'forwarding request',
  );
}

/** Connects to `port`, sends a line and resolves once the connection is closed: true if nothing came back. */
function closedUnanswered(port: number): Promise<boolean> {
  return bounded(
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let answered = false;
      socket.on('data', () => (answered = true));
      // Closed with our line unread, the socket may end with a reset rather than an end of input.
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(!answered));
      socket.on('connect', () => socket.write('refused\n'));
    }),
    10_000,
    'refused local forward',
  );
}

function prohibited(error: unknown, type: abstract new (...args: never[]) => ChannelOpenError): void {
  expect(error).toBeInstanceOf(type);
  expect((error as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
}

describe('sshd forwarding policy', () => {
  it('AllowTcpForwarding no, AllowStreamLocalForwarding no: every kind refused, the connection lives on', async () => {
    const c = await connectTo(['AllowTcpForwarding no', 'AllowStreamLocalForwarding no']);
    prohibited(await outcome(c.openConnection('127.0.0.1', echo.port)), ChannelOpenError);
    // sshd answers a direct-streamlocal it will not serve with CONNECT_FAILED (its generic refusal).
    const unixOpen = await outcome(c.openUnixConnection(path.join(dir, 'none.sock')));
    expect(unixOpen).toBeInstanceOf(ChannelOpenError);
    expect((unixOpen as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.CONNECT_FAILED);
    prohibited(await outcome(c.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port)), ChannelListenError);
    prohibited(await outcome(c.forwardRemotePath(path.join(dir, 'remote.sock'), path.join(dir, 'none.sock'))), ChannelListenError);
    // A local forward listens here; each connection it takes is closed when sshd refuses its channel.
    const local = await c.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', echo.port);
    expect(await closedUnanswered(local.getPort())).toBe(true);
    const socks = await c.forwardSocks('127.0.0.1', 0);
    const r = await socks5RoundTrip(socks.getPort(), '127.0.0.1', echo.port, Buffer.from('x'));
    expect(r.reply).toBe(2); // connection not allowed by ruleset
    expect((await c.run('echo still here', { check: true })).stdout).toBe('still here\n');
  });

  it('PermitOpen: the permitted destination is reached, another refused (SOCKS 5: "not allowed by ruleset")', async () => {
    const c = await connectTo([`PermitOpen 127.0.0.1:${echo.port}`]);
    const [reader, writer] = await c.openConnection<string>('127.0.0.1', echo.port, { encoding: 'utf8' });
    writer.write('permitted');
    writer.writeEof();
    expect(await bounded(reader.read(), 10_000, 'echo')).toBe('permitted');
    prohibited(await outcome(c.openConnection('127.0.0.1', echo.port === 65535 ? 1 : echo.port + 1)), ChannelOpenError);
    const socks = await c.forwardSocks('127.0.0.1', 0);
    expect((await socks5RoundTrip(socks.getPort(), '127.0.0.1', echo.port, Buffer.from('through'))).data.toString()).toBe('through');
    expect((await socks5RoundTrip(socks.getPort(), 'localhost', echo.port, Buffer.from('x'))).reply).toBe(2);
  });

  it('PermitOpen [::1]:port: a SOCKS 5 request for that IPv6 address reaches it (named as sshd writes it)', async () => {
    const echo6 = await startEcho(undefined, '::1');
    try {
      const c = await connectTo(['AddressFamily any', `PermitOpen [::1]:${echo6.port}`]);
      const socks = await c.forwardSocks('127.0.0.1', 0);
      const loopback6 = [...new Array<number>(15).fill(0), 1];
      const r = await socks5RoundTrip(socks.getPort(), loopback6, echo6.port, Buffer.from('over IPv6'));
      expect(r.reply).toBe(0);
      expect(r.data.toString()).toBe('over IPv6');
    } finally {
      await echo6.close();
    }
  });

  it('PermitListen: the permitted port is listened on and cancelled on close; another port, or one sshd picks, refused', async () => {
    const port = await freePort();
    const c = await connectTo([`PermitListen 127.0.0.1:${port}`]);
    prohibited(await outcome(c.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port)), ChannelListenError);
    prohibited(await outcome(c.forwardRemotePort('127.0.0.1', port === 65535 ? 1 : port + 1, '127.0.0.1', echo.port)), ChannelListenError);
    const listener = await c.forwardRemotePort('127.0.0.1', port, '127.0.0.1', echo.port);
    expect(listener.getPort()).toBe(port);
    expect((await roundTrip({ host: '127.0.0.1', port }, Buffer.from('listened'))).toString()).toBe('listened');
    await bounded(listener.waitClosed(), 10_000, 'cancel');
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
    // Cancelled, the port may be asked for again.
    const again = await c.forwardRemotePort('127.0.0.1', port, '127.0.0.1', echo.port);
    expect((await roundTrip({ host: '127.0.0.1', port }, Buffer.from('again'))).toString()).toBe('again');
    again.close();
  });
});
