/**
 * The SOCKS listener (forwardSocks) facing a hostile local client: refused handshakes are
 * answered and the connection released, whatever the client does with its side afterwards.
 * The SSH side is a stub: these handshakes never get as far as opening a channel.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelOpenError, type ChannelConnection, type ConnectionMux } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import type { ForwardContext } from '../src/forward/channel.ts';
import type { LocalListener } from '../src/forward/listener.ts';
import { forwardSocks } from '../src/forward/local.ts';
import { MAX_SOCKS_HANDSHAKE, parseSocks, socks5Reply } from '../src/forward/socks.ts';
import { bounded } from './forward-helpers.ts';

interface Opened {
  readonly type: string;
  readonly body: unknown;
}

/**
 * A context whose mux records channel opens and refuses them (`refuse`: as sshd refuses a
 * destination that does not answer, or with the error given) or never answers them.
 */
function stubContext(refuse: boolean | Error): { ctx: ForwardContext; opened: Opened[] } {
  const opened: Opened[] = [];
  const refusal = refuse === true ? new ChannelOpenError(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'connect failed: Connection refused') : refuse;
  const mux = {
    isClosed: false,
    openChannel: (type: string, body: unknown, handler: { onOpenFailed(e: Error): void }) => {
      opened.push({ type, body });
      if (refusal !== false) setTimeout(() => handler.onOpenFailed(refusal), 5);
    },
  } as unknown as ConnectionMux;
  return { ctx: { mux, connection: {} as ChannelConnection, flush: () => undefined }, opened };
}

let listener: LocalListener | undefined;
const clients = new Set<net.Socket>();

afterEach(async () => {
  for (const c of clients) c.destroy();
  clients.clear();
  await listener?.waitClosed();
  listener = undefined;
});

async function startSocks(refuse: boolean | Error = false): Promise<{ port: number; opened: Opened[] }> {
  const { ctx, opened } = stubContext(refuse);
  listener = await forwardSocks(ctx, { host: '127.0.0.1', port: 0 }, () => undefined);
  return { port: listener.getPort(), opened };
}

interface Outcome {
  /** Every byte the proxy sent. */
  readonly received: Buffer;
  /** The proxy ended its side. */
  readonly ended: boolean;
}

/**
 * Connects (keeping our side open after the proxy ends its own, as a hostile client may), sends
 * `chunks` one by one, optionally half-closes, and resolves once the proxy has released the
 * connection — or rejects after `ms`. Released: once the proxy has ended its side, bytes we send
 * are refused (the kernel resets the connection) instead of waiting in a socket nobody reads.
 */
function exchange(port: number, chunks: readonly Uint8Array[], options: { end?: boolean; ms?: number } = {}): Promise<Outcome> {
  return bounded(
    new Promise<Outcome>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      clients.add(socket);
      const received: Buffer[] = [];
      let ended = false;
      socket.on('data', (c: Buffer) => received.push(c));
      let poke: NodeJS.Timeout | undefined;
      socket.on('end', () => {
        ended = true;
        poke = setInterval(() => socket.write(Uint8Array.of(0)), 50);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(poke);
        resolve({ received: Buffer.concat(received), ended });
      });
      socket.on('connect', () => {
        void (async () => {
          for (const c of chunks) {
            if (socket.destroyed) return;
            socket.write(c);
            await new Promise((r) => setTimeout(r, 5));
          }
          if (options.end === true && !socket.destroyed) socket.end();
        })();
      });
    }),
    options.ms ?? 5_000,
    'SOCKS proxy releasing the connection',
  );
}

describe('SOCKS listener, hostile client', () => {
  it('a SOCKS 5 greeting without an acceptable method: refused, and the connection released though the client keeps its side open', async () => {
    const { port, opened } = await startSocks();
    const r = await exchange(port, [Uint8Array.of(5, 1, 2)]);
    expect([...r.received]).toEqual([5, 0xff]);
    expect(opened).toEqual([]);
  });

  it('an unsupported SOCKS 5 command, sent byte by byte: "command not supported", then released', async () => {
    const { port, opened } = await startSocks();
    const bytes = [5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 22];
    const r = await exchange(port, bytes.map((b) => Uint8Array.of(b)));
    expect([...r.received]).toEqual([5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(opened).toEqual([]);
  });

  it('an unsupported SOCKS 5 address type: "address type not supported", then released', async () => {
    const { port } = await startSocks();
    const r = await exchange(port, [Uint8Array.of(5, 1, 0), Uint8Array.of(5, 1, 0, 7, 1, 2, 3, 4, 0, 80)]);
    expect([...r.received]).toEqual([5, 0, 5, 8, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('a SOCKS 4 BIND: rejected (0x5b), then released', async () => {
    const { port, opened } = await startSocks();
    const r = await exchange(port, [Uint8Array.of(4, 2, 0, 80, 127, 0, 0, 1, 0)]);
    expect([...r.received]).toEqual([0, 0x5b, 0, 0, 0, 0, 0, 0]);
    expect(opened).toEqual([]);
  });

  it('a destination the server refuses: "connection refused", then released though the client keeps its side open', async () => {
    const { port, opened } = await startSocks(true);
    const r = await exchange(port, [Uint8Array.of(5, 1, 0), Uint8Array.of(5, 1, 0, 1, 10, 0, 0, 1, 0, 80)]);
    expect([...r.received]).toEqual([5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(opened.map((o) => o.type)).toEqual(['direct-tcpip']);
    const s4 = await exchange(port, [Uint8Array.of(4, 1, 0, 80, 10, 0, 0, 1, 0)]);
    expect([...s4.received]).toEqual([0, 0x5b, 0, 0, 0, 0, 0, 0]);
  });

  it('a destination the server does not permit: "not allowed by ruleset" (SOCKS 5), rejected (SOCKS 4)', async () => {
    const { port } = await startSocks(new ChannelOpenError(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed'));
    const r = await exchange(port, [Uint8Array.of(5, 1, 0), Uint8Array.of(5, 1, 0, 1, 10, 0, 0, 1, 0, 80)]);
    expect([...r.received]).toEqual([5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
    const s4 = await exchange(port, [Uint8Array.of(4, 1, 0, 80, 10, 0, 0, 1, 0)]);
    expect([...s4.received]).toEqual([0, 0x5b, 0, 0, 0, 0, 0, 0]);
  });

  it('an open refused for another reason (no resources, the connection gone): "general failure"', async () => {
    for (const refusal of [new ChannelOpenError(CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE, 'too many channels'), new Error('connection is closed')]) {
      const { port } = await startSocks(refusal);
      const r = await exchange(port, [Uint8Array.of(5, 1, 0), Uint8Array.of(5, 1, 0, 1, 10, 0, 0, 1, 0, 80)]);
      expect([...r.received]).toEqual([5, 0, 5, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
      await listener?.waitClosed();
    }
  });

  it('a client that half-closes before finishing its request: released at once, not when the handshake times out', async () => {
    const { port, opened } = await startSocks();
    const start = Date.now();
    const r = await exchange(port, [Uint8Array.of(5, 1, 0), Uint8Array.of(5, 1, 0, 3)], { end: true, ms: 5_000 });
    expect([...r.received]).toEqual([5, 0]);
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(opened).toEqual([]);
  });

  it('a whole request, data and a half-close in one write still reach the channel open', async () => {
    const { port, opened } = await startSocks(true);
    const r = await exchange(port, [Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 1, 0, 80, 0x47, 0x45, 0x54)], { end: true });
    expect([...r.received]).toEqual([5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(opened.map((o) => o.type)).toEqual(['direct-tcpip']);
  });

  it('not SOCKS at all: closed without a reply', async () => {
    const { port } = await startSocks();
    const r = await exchange(port, [new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')]);
    expect(r.received.length).toBe(0);
  });
});

describe('SOCKS 5 host names that are no host name', () => {
  const request = (name: number[]): Uint8Array => Uint8Array.of(5, 1, 0, 3, name.length, ...name, 0, 80);
  const host = [...new TextEncoder().encode('example.com')];

  it('an empty host name or one with a NUL byte is refused with "general failure", not sent to the server', () => {
    // A NUL in the host of a direct-tcpip open makes OpenSSH's sshd drop the whole connection
    // (sshpkt_get_cstring refuses it as a protocol error).
    for (const name of [[], [...host, 0], [0, ...host], [...host.slice(0, 3), 0, ...host.slice(3)]]) {
      expect(parseSocks(request(name), true)).toMatchObject({ kind: 'error', reply: socks5Reply(1) });
    }
    expect(parseSocks(request(host), true)).toMatchObject({ kind: 'connect', host: 'example.com', port: 80 });
  });

  it('the listener answers such a request itself and opens no channel', async () => {
    const { port, opened } = await startSocks();
    const r = await exchange(port, [Uint8Array.of(5, 1, 0), request([...host, 0, 0x41])]);
    expect([...r.received]).toEqual([5, 0, ...socks5Reply(1)]);
    expect(opened).toEqual([]);
  });
});

describe('SOCKS 4 user ids and 4a host names longer than the handshake limit', () => {
  const long = new Array<number>(MAX_SOCKS_HANDSHAKE + 100).fill(0x61);

  it('are refused when they arrive whole (NUL included) in one read, as they are when they arrive in pieces', () => {
    const user = Uint8Array.of(4, 1, 0, 80, 10, 0, 0, 1, ...long, 0);
    const host = Uint8Array.of(4, 1, 0, 80, 0, 0, 0, 1, 0, ...long, 0);
    for (const msg of [user, host]) {
      expect(parseSocks(msg, false)).toMatchObject({ kind: 'error' });
      expect(parseSocks(msg.subarray(0, MAX_SOCKS_HANDSHAKE), false)).toMatchObject({ kind: 'error' });
    }
    // Within the limit they are served.
    const fits = new Array<number>(MAX_SOCKS_HANDSHAKE - 20).fill(0x61);
    expect(parseSocks(Uint8Array.of(4, 1, 0, 80, 10, 0, 0, 1, ...fits, 0), false)).toMatchObject({ kind: 'connect', host: '10.0.0.1' });
  });

  it('the listener drops such a request without opening a channel', async () => {
    const { port, opened } = await startSocks();
    const r = await exchange(port, [Uint8Array.of(4, 1, 0, 80, 0, 0, 0, 1, 0, ...long, 0)]);
    expect(r.received.length).toBe(0);
    expect(opened).toEqual([]);
  });
});

describe('SOCKS clients that take their time (slowloris)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a greeting trickled in a byte at a time is dropped 30 s after the connection, however often bytes come', async () => {
    const { port, opened } = await startSocks();
    // Only the proxy's handshake timer is faked; the sockets run on real time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const socket = net.connect({ host: '127.0.0.1', port });
    clients.add(socket);
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => undefined);
    let isClosed = false;
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    void closed.then(() => (isClosed = true));
    await new Promise((resolve) => socket.once('connect', resolve));
    const turns = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    // A greeting offering 255 methods, one byte every ten seconds: never whole.
    for (const b of [5, 255, 2]) {
      await turns();
      // 20 s in, with bytes still coming, the connection is open.
      if (b === 2) expect(isClosed).toBe(false);
      socket.write(Uint8Array.of(b));
      await turns();
      vi.advanceTimersByTime(10_000);
    }
    // 30 s of trickle: dropped, without an answer or a channel.
    vi.useRealTimers();
    await bounded(closed, 5_000, 'the proxy dropping a slow handshake');
    expect(received).toEqual([]);
    expect(opened).toEqual([]);
  });

  it('a client that finished its handshake is not dropped by the handshake timer', async () => {
    const { port, opened } = await startSocks();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const socket = net.connect({ host: '127.0.0.1', port });
    clients.add(socket);
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 1, 0, 80));
    // The open is waiting on the server (the stub never answers it).
    for (let i = 0; i < 50 && opened.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(opened.map((o) => o.type)).toEqual(['direct-tcpip']);
    vi.advanceTimersByTime(60_000);
    vi.useRealTimers();
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
  });
});
