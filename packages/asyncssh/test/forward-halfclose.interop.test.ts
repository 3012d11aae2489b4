/**
 * Half-close through every kind of forward, both ways: a side that shuts down its writing
 * (shutdown(SHUT_WR), Node's end()) reaches the other side as an end of input, and data still
 * flows back until that side ends too. Through our client's local, remote and SOCKS forwards
 * (sshd on the far side), through our server with our client, and with OpenSSH's ssh -L, -R
 * and -D against our server. And a connection open when its listener closes (a local listener,
 * a remote one cancelled) carries on both ways, as in AsyncSSH.
 */
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, freePort, generateKey, knownHostsLines, makeTempDir, startSsh, startSshd, type KeyPair, type PeerProcess, type SshdServer } from '@ssh/interop';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, connect, listen, type SSHAcceptor, type SSHClientConnection } from '../src/index.ts';
import { bounded, tryConnect, waitListening } from './forward-helpers.ts';

/**
 * The destination. A connection whose first bytes are 'dest-first' is answered 'hello' and
 * ended at once, and what comes after is recorded once the client ends too. Any other is
 * recorded when the client ends, then answered 'pong:<what it sent>' (100 ms later) and ended.
 */
interface Destination {
  readonly port: number;
  /** What each connection sent, recorded at its end of input. */
  readonly got: string[];
  close(): Promise<void>;
}

async function startDestination(): Promise<Destination> {
  const got: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.setEncoding('utf8');
    let received = '';
    s.on('data', (d: string) => {
      if (received === '' && d.startsWith('dest-first')) s.end('hello');
      received += d;
    });
    s.on('end', () => {
      got.push(received);
      if (!received.startsWith('dest-first')) setTimeout(() => s.end(`pong:${received}`), 100);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    got,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type Dial = () => Promise<net.Socket>;

/** A connection to 127.0.0.1:`port`, keeping its side open when the peer ends its own. */
const direct =
  (port: number): Dial =>
  () =>
    bounded(
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        s.once('error', reject);
        s.once('connect', () => resolve(s));
      }),
      10_000,
      'connect',
    );

/** A connection through the SOCKS 5 proxy on `proxyPort` to 127.0.0.1:`port` (IPv4 address, no authentication). */
const viaSocks5 =
  (proxyPort: number, port: number): Dial =>
  async () => {
    const s = await direct(proxyPort)();
    s.write(Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff));
    return bounded(
      new Promise<net.Socket>((resolve, reject) => {
        let buf = Buffer.alloc(0);
        const onData = (c: Buffer): void => {
          buf = Buffer.concat([buf, c]);
          if (buf.length < 12) return;
          s.off('data', onData);
          s.pause();
          // Method choice (2 bytes), then the reply (10 bytes with an IPv4 bound address).
          if (buf[0] !== 5 || buf[1] !== 0 || buf[3] !== 0) reject(new Error(`SOCKS 5 refused: ${buf.toString('hex')}`));
          if (buf.length > 12) s.unshift(buf.subarray(12));
          resolve(s);
        };
        s.on('data', onData);
      }),
      10_000,
      'SOCKS 5 handshake',
    );
  };

/** Collects what `s` receives until its end of input. */
function received(s: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('error', reject);
    s.on('end', () => resolve(text));
    s.resume();
  });
}

/**
 * The client ends its side first: the destination hears the end and answers afterwards. Then
 * the destination ends first: the client hears it, then sends more, which the destination gets.
 */
async function halfCloseBothWays(dial: Dial): Promise<void> {
  const first = await dial();
  const reply = received(first);
  first.end('ping');
  expect(await bounded(reply, 10_000, 'answer after our end of input')).toBe('pong:ping');

  const recorded = dest.got.length;
  const second = await dial();
  const hello = received(second);
  second.write('dest-first');
  expect(await bounded(hello, 10_000, "the destination's end of input")).toBe('hello');
  second.end(' late');
  await bounded(
    (async () => {
      while (dest.got.length === recorded) await new Promise((r) => setTimeout(r, 20));
    })(),
    10_000,
    'data sent after the end of input from the other side',
  );
  expect(dest.got.at(-1)).toBe('dest-first late');
}

let dest: Destination;
let sshd: SshdServer;
let key: KeyPair;
let hostKey: KeyPair;
let conn: SSHClientConnection;
let ours: SSHAcceptor;
const running: PeerProcess[] = [];

class Forwarding extends SSHServer {
  override connectionRequested(): boolean {
    return true;
  }

  override serverRequested(): boolean {
    return true;
  }
}

beforeAll(async () => {
  key = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'forward-halfclose-host' });
  dest = await startDestination();
  sshd = await startSshd();
  const dir = await makeTempDir('forward-halfclose');
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null, config: null });
  ours = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'), serverFactory: () => new Forwarding() });
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

afterAll(async () => {
  conn?.close();
  await ours?.waitClosed();
  await dest?.close();
  await sshd?.stop();
});

/** Starts `ssh -N` to our server with `args` and waits for its listener on 127.0.0.1:`port`. */
async function sshTo(args: string[], port: number): Promise<void> {
  const target = { name: 'ours', host: '127.0.0.1', port: ours.getPort(), hostPublicKeys: [hostKey.publicKey] };
  running.push(await startSsh(target, '', { identity: key, args: ['-N', '-o', 'ExitOnForwardFailure=yes', ...args], stdin: 'ignore' }));
  await waitListening({ host: '127.0.0.1', port });
}

describe('half-close through our client (sshd on the far side)', () => {
  it('local port forwarding', async () => {
    const listener = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', dest.port);
    await halfCloseBothWays(direct(listener.getPort()));
    await listener.waitClosed();
  });

  it('remote port forwarding', async () => {
    const listener = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', dest.port);
    await halfCloseBothWays(direct(listener.getPort()));
    await listener.waitClosed();
  });

  it('SOCKS 5', async () => {
    const listener = await conn.forwardSocks('127.0.0.1', 0);
    await halfCloseBothWays(viaSocks5(listener.getPort(), dest.port));
    await listener.waitClosed();
  });

  it('a direct connection as streams: writeEof, then the answer is read', async () => {
    const [reader, writer] = await conn.openConnection<string>('127.0.0.1', dest.port, { encoding: 'utf8' });
    writer.write('ping');
    writer.writeEof();
    expect(await bounded(reader.read(), 10_000, 'read')).toBe('pong:ping');
    expect(await bounded(reader.read(), 10_000, 'read to the end')).toBe('');
    writer.close();
  });
});

describe('half-close through our server', () => {
  it('with our client: local and remote port forwarding', async () => {
    const client = await connect({ host: '127.0.0.1', port: ours.getPort(), username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    try {
      const local = await client.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', dest.port);
      await halfCloseBothWays(direct(local.getPort()));
      const remote = await client.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', dest.port);
      await halfCloseBothWays(direct(remote.getPort()));
    } finally {
      client.close();
    }
  });

  it('with ssh -L', async () => {
    const port = await freePort();
    await sshTo(['-L', `127.0.0.1:${port}:127.0.0.1:${dest.port}`], port);
    await halfCloseBothWays(direct(port));
  });

  it('with ssh -R', async () => {
    const port = await freePort();
    await sshTo(['-R', `127.0.0.1:${port}:127.0.0.1:${dest.port}`], port);
    await halfCloseBothWays(direct(port));
  });

  it('with ssh -D', async () => {
    const port = await freePort();
    await sshTo(['-D', `127.0.0.1:${port}`], port);
    await halfCloseBothWays(viaSocks5(port, dest.port));
  });
});

describe('a connection open across its listener closing carries on (AsyncSSH); new ones are refused', () => {
  async function acrossClose(listener: { getPort(): number; waitClosed(): Promise<void> }): Promise<void> {
    const port = listener.getPort();
    const open = await direct(port)();
    // The forward is in place (the destination answered) before the listener goes.
    const hello = received(open);
    open.write('dest-first');
    expect(await bounded(hello, 10_000, 'answer before the close')).toBe('hello');
    await bounded(listener.waitClosed(), 10_000, 'listener close');
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(await tryConnect({ host: '127.0.0.1', port }));
    const recorded = dest.got.length;
    open.end(' after');
    await bounded(
      (async () => {
        while (dest.got.length === recorded) await new Promise((r) => setTimeout(r, 20));
      })(),
      10_000,
      'data sent after the listener closed',
    );
    expect(dest.got.at(-1)).toBe('dest-first after');
  }

  it('local and remote port forwarding of our client through sshd', async () => {
    await acrossClose(await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', dest.port));
    await acrossClose(await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', dest.port));
  });

  it('a remote listener of our server cancelled by our client', async () => {
    const client = await connect({ host: '127.0.0.1', port: ours.getPort(), username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    try {
      await acrossClose(await client.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', dest.port));
    } finally {
      client.close();
    }
  });
});
