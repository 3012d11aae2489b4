/**
 * AsyncSSH's server-side connection methods against real clients: sendAuthBanner (OpenSSH's ssh
 * shows it), createConnection / openConnection / createUnixConnection / openUnixConnection for
 * listeners the application runs itself (serverRequested answering with an SSHListener), to
 * OpenSSH's ssh -R, AsyncSSH's start_server and our own client; createServerChannel /
 * createTcpChannel answers; and what a client that never asked for a listener does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, generateKey, makeTempDir, runAsyncsshClient, runSsh, startSsh, type KeyPair, type PeerProcess } from '@ssh/interop';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelOpenError,
  SSHListener,
  SSHServer,
  SSHTCPChannel,
  connect,
  listen,
  type ForwardAnswer,
  type SSHAcceptor,
  type SSHServerChannel,
  type SSHServerConnection,
  type SSHServerSession,
} from '../src/index.ts';
import type { SSHSession } from '@ssh/connection';
import { bounded, startEcho, type EchoServer } from './forward-helpers.ts';

/** A listener the application runs itself: nothing is bound; connections are pushed with createConnection. */
class VirtualListener extends SSHListener {
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number) {
    super();
    this.host = host;
    this.port = port;
  }

  getAddresses(): [string, number][] {
    return [[this.host, this.port]];
  }
}

const VIRTUAL_PORT = 47_123;
let clientKey: KeyPair;
let hostKey: KeyPair;
let acceptor: SSHAcceptor;
let echo: EchoServer;
const conns: SSHServerConnection[] = [];
const listeners: VirtualListener[] = [];
const running: PeerProcess[] = [];
const bannerErrors: string[] = [];

class ApiServer extends SSHServer {
  private conn: SSHServerConnection | undefined;

  override connectionMade(conn: SSHServerConnection): void {
    this.conn = conn;
    conns.push(conn);
  }

  override beginAuth(username: string): boolean {
    this.conn?.sendAuthBanner(`Hello ${username}, from beginAuth\n`);
    return true;
  }

  override authCompleted(): void {
    try {
      this.conn?.sendAuthBanner('too late');
    } catch (e) {
      bannerErrors.push((e as Error).message);
    }
  }

  override publicKeyAuthSupported(): boolean {
    return true;
  }

  override serverRequested(listenHost: string, listenPort: number): SSHListener {
    const l = new VirtualListener(listenHost, listenPort === 0 ? VIRTUAL_PORT : listenPort);
    listeners.push(l);
    return l;
  }

  override unixServerRequested(listenPath: string): SSHListener {
    const l = new VirtualListener(listenPath, 0);
    listeners.push(l);
    return l;
  }

  override sessionRequested(): readonly [SSHServerChannel<Uint8Array>, SSHServerSession<Uint8Array>] {
    const conn = this.conn as SSHServerConnection;
    const channel = conn.createServerChannel<Uint8Array>({ encoding: null, window: 65536, maxPktsize: 16384 });
    let data = 0;
    return [
      channel,
      {
        execRequested: () => true,
        dataReceived: (d: Uint8Array) => {
          data += d.length;
        },
        eofReceived: () => {
          // The channel is a byte channel: writes take bytes.
          channel.write(new TextEncoder().encode(`got ${data} bytes as ${d(channel)}\n`));
          channel.exit(0);
          return false;
        },
      },
    ];
  }

  override connectionRequested(_h: string, destPort: number): ForwardAnswer {
    const conn = this.conn as SSHServerConnection;
    if (destPort === 1) {
      // A channel that is not ours: refused.
      return [new SSHTCPChannel(conn), {}];
    }
    const channel = conn.createTcpChannel<string>({ encoding: 'utf-8' });
    const session: SSHSession<string> = {
      dataReceived: (text: string) => channel.write(`text: ${typeof text} ${text.toUpperCase()}`),
      eofReceived: () => {
        channel.writeEof();
        return true;
      },
    };
    return [channel, session];
  }
}

/** How the session's data arrives: the channel of createServerChannel({ encoding: null }) carries bytes. */
function d(channel: SSHServerChannel<Uint8Array>): string {
  return channel.encoding === null ? 'bytes' : 'text';
}

const target = () => ({ name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] });
const ours = () => ({ host: '127.0.0.1', port: acceptor.getPort(), username: 'me', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
const lastConn = (): SSHServerConnection => conns.at(-1) as SSHServerConnection;

beforeAll(async () => {
  clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519');
  echo = await startEcho();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    serverFactory: () => new ApiServer(),
  });
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await echo?.close();
});

describe('sendAuthBanner', () => {
  it('OpenSSH ssh shows a banner sent from beginAuth; after authentication it is refused', async () => {
    const r = await runSsh(target(), 'x', { identity: clientKey, input: 'abc', args: ['-o', 'LogLevel=INFO'] });
    expect(r.stderr).toContain('from beginAuth');
    expect(r.stdout).toBe('got 3 bytes as bytes\n');
    expect(bannerErrors.at(-1)).toMatch(/already complete/);
  });

  it('our client hears it as authBannerReceived', async () => {
    const banners: string[] = [];
    const { SSHClient } = await import('../src/index.ts');
    class Listening extends SSHClient {
      override authBannerReceived(msg: string): void {
        banners.push(msg);
      }
    }
    await using _conn = await connect({ ...ours(), clientFactory: () => new Listening() });
    expect(banners).toEqual(['Hello me, from beginAuth\n']);
    expect(() => lastConn().sendAuthBanner('late')).toThrow(/already complete/);
  });
});

describe('createConnection / openConnection', () => {
  it('pushes a connection to OpenSSH ssh -R, which relays it to its destination', async () => {
    const p = await startSsh(target(), '', { identity: clientKey, args: ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${VIRTUAL_PORT}:127.0.0.1:${echo.port}`], stdin: 'ignore' });
    running.push(p);
    await bounded(
      (async () => {
        while (!listeners.some((l) => l.port === VIRTUAL_PORT && !l.isClosed)) await new Promise((r) => setTimeout(r, 20));
      })(),
      15_000,
      'ssh -R request',
    );
    const listener = listeners.find((l) => l.port === VIRTUAL_PORT && !l.isClosed) as VirtualListener;
    const [reader, writer] = await lastConn().openConnection(listener.host, VIRTUAL_PORT, '192.0.2.1', 4321);
    writer.write(new TextEncoder().encode('pushed through ssh -R\n'));
    writer.writeEof();
    expect(new TextDecoder().decode(await bounded(reader.read(), 10_000, 'echo'))).toBe('pushed through ssh -R\n');
  });

  it('pushes a connection to an AsyncSSH client listener (start_server)', async () => {
    const snippet = `
got = asyncio.get_event_loop().create_future()
def handler_factory(orig_host, orig_port):
    async def handler(reader, writer):
        data = await reader.read()
        writer.write(b'asyncssh saw ' + data + (' from %s:%d' % (orig_host, orig_port)).encode())
        writer.write_eof()
        got.set_result(True)
    return handler
listener = await conn.start_server(handler_factory, '', 0)
print('PORT', listener.get_port(), flush=True)
await asyncio.wait_for(got, 15)
await asyncio.sleep(0.2)
result = listener.get_port()
`;
    const running = runAsyncsshClient(snippet, { target: target(), identity: clientKey, timeoutMs: 20_000 });
    await bounded(
      (async () => {
        while (!listeners.some((l) => l.port === VIRTUAL_PORT && l.host === '' && !l.isClosed)) await new Promise((r) => setTimeout(r, 20));
      })(),
      20_000,
      'asyncssh start_server',
    );
    const conn = lastConn();
    const replies: string[] = [];
    // The listener exists here once serverRequested answered; AsyncSSH knows it once our reply
    // reached it: until then it refuses the channel ("No such listener"), so try again.
    const open = () =>
      conn.createConnection(
        () => ({
          dataReceived: (data: Uint8Array) => replies.push(new TextDecoder().decode(data)),
          eofReceived: () => false,
        }),
        '',
        VIRTUAL_PORT,
        '198.51.100.7',
        999,
      );
    let opened: Awaited<ReturnType<typeof open>> | undefined;
    for (let i = 0; opened === undefined; i++) {
      try {
        opened = await open();
      } catch (e) {
        if (!(e instanceof ChannelOpenError) || i > 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const [channel] = opened;
    expect(channel).toBeInstanceOf(SSHTCPChannel);
    channel.write(new TextEncoder().encode('hello'));
    channel.writeEof();
    const r = await running;
    expect(r.result).toBe(VIRTUAL_PORT);
    expect(replies.join('')).toBe('asyncssh saw hello from 198.51.100.7:999');
  });

  it('our client: startServer and startUnixServer get what the server pushes; a listener it never asked for is refused', async () => {
    await using client = await connect(ours());
    const seen: string[] = [];
    const tcp = await bounded(client.startServer(
      (origHost, origPort) => async (reader, writer) => {
        seen.push(`${origHost}:${origPort} ${new TextDecoder().decode(await reader.read())}`);
        writer.write(new TextEncoder().encode('ack'));
        writer.writeEof();
      },
      'localhost',
      0,
    ), 5000, 'startServer');
    expect(tcp.getPort()).toBe(VIRTUAL_PORT);
    const conn = lastConn();
    const [reader, writer] = await bounded(conn.openConnection<string>('localhost', VIRTUAL_PORT, '203.0.113.5', 77, { encoding: 'utf-8' }), 5000, 'openConnection');
    writer.write('ping');
    writer.writeEof();
    expect(await bounded(reader.read(), 5000, 'ack')).toBe('ack');
    expect(seen).toEqual(['203.0.113.5:77 ping']);

    const dir = await makeTempDir('server-api');
    const sock = path.join(dir, 'remote.sock');
    await bounded(
      client.startUnixServer(() => async (r, w) => {
        w.write(await r.read());
        w.writeEof();
      }, sock),
      5000,
      'startUnixServer',
    );
    const [ur, uw] = await bounded(conn.openUnixConnection(sock), 5000, 'openUnixConnection');
    uw.write(Uint8Array.of(1, 2, 3));
    uw.writeEof();
    expect([...(await bounded(ur.read(), 5000, 'unix echo'))]).toEqual([1, 2, 3]);
    const [uchannel, usession] = await bounded(conn.createUnixConnection(() => ({ got: [] as number[], dataReceived(this: { got: number[] }, b: Uint8Array) { this.got.push(...b); } }), sock), 5000, 'createUnixConnection');
    uchannel.write(Uint8Array.of(9));
    uchannel.writeEof();
    await bounded(
      (async () => {
        while (usession.got.length === 0) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'unix echo to a session',
    );
    uchannel.close();
    expect(usession.got).toEqual([9]);

    // Hostile or mistaken: a forwarded channel to a client that never asked for that listener.
    await expect(conn.openConnection('localhost', 1, '', 0)).rejects.toBeInstanceOf(ChannelOpenError);
    await expect(conn.openUnixConnection('/nowhere.sock')).rejects.toBeInstanceOf(ChannelOpenError);
    await expect(conn.createConnection(() => ({}), 'localhost', 70000)).rejects.toThrow(RangeError);
    // Cancelling closes the application's listener.
    const virtual = listeners.find((l) => l.host === 'localhost' && l.port === VIRTUAL_PORT && !l.isClosed) as VirtualListener;
    await bounded(tcp.waitClosed(), 5000, 'tcp listener close');
    await bounded(virtual.waitClosed(), 5_000, 'cancel');
    expect(virtual.isClosed).toBe(true);
  });
});

describe('createServerChannel / createTcpChannel', () => {
  it('sessionRequested answers with a byte channel of createServerChannel', async () => {
    await using client = await connect(ours());
    const r = await client.run('anything', { input: 'hello' });
    expect(r.stdout).toBe('got 5 bytes as bytes\n');
  });

  it('connectionRequested answers with a text channel of createTcpChannel; a foreign channel is refused', async () => {
    await using client = await connect(ours());
    const [reader, writer] = await client.openConnection<string>('example.invalid', 9, { encoding: 'utf-8' });
    writer.write('abc');
    writer.writeEof();
    expect(await reader.read()).toBe('text: string ABC');
    await expect(client.openConnection('example.invalid', 1)).rejects.toBeInstanceOf(ChannelOpenError);
  });

  it('createServerChannel checks its sizes; methods of a connection not yet authenticated throw', async () => {
    await using client = await connect(ours());
    void client;
    const conn = lastConn();
    expect(() => conn.createServerChannel({ window: 0 })).toThrow(RangeError);
    expect(() => conn.createTcpChannel({ maxPktsize: -1 })).toThrow(RangeError);
    expect(conn.createUnixChannel()).toBeDefined();
  });
});
