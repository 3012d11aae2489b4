/** Test helpers for forwarding: echo servers, bounded round trips, a tiny SOCKS client, curl. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { IncomingChannelOpen } from '@ssh/connection';
import type { ChannelOpenBody } from '@ssh/wire';
import { afterEach, beforeEach } from 'vitest';

/**
 * Unhandled rejections during each test of the calling file, for the test to assert empty
 * (installs beforeEach/afterEach hooks).
 */
export function recordUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return unhandled;
}

/** Rejects after `ms` unless `promise` settles first. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface EchoServer {
  readonly server: net.Server;
  readonly port: number;
  close(): Promise<void>;
}

/** An echo server (TCP on `host`, 127.0.0.1 by default, or a UNIX path) that half-closes after the client does. */
export async function startEcho(path?: string, host = '127.0.0.1'): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, host, resolve) : server.listen(path, resolve)));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP server answering every request with `body`. */
export async function startHttp(body: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends `data` on a new connection, half-closes, and collects everything until the peer ends. */
export function roundTrip(options: net.NetConnectOpts, data: Uint8Array, ms = 15_000): Promise<Buffer> {
  return bounded(
    new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect({ ...options, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('end', () => {
        socket.end();
        resolve(Buffer.concat(chunks));
      });
      socket.on('connect', () => socket.end(data));
    }),
    ms,
    'round trip',
  );
}

/** Resolves with the connect error code (ECONNREFUSED, ENOENT, ...) or 'connected'. */
export function tryConnect(options: net.NetConnectOpts): Promise<string> {
  return bounded(
    new Promise<string>((resolve) => {
      const socket = net.connect(options);
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    }),
    10_000,
    'connect',
  );
}

/** Polls until `options` accepts connections (a forwarder started by another process). */
export async function waitListening(options: net.NetConnectOpts, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while ((await tryConnect(options)) !== 'connected') {
    if (Date.now() > end) throw new Error(`nothing listening on ${JSON.stringify(options)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A SOCKS 5 CONNECT through `proxyPort` by domain name (or by IPv6 address, given as its 16
 * bytes); sends `data`, half-closes, returns the reply stream.
 */
export function socks5RoundTrip(proxyPort: number, host: string | readonly number[], port: number, data: Uint8Array): Promise<{ reply: number; data: Buffer }> {
  return bounded(
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: proxyPort, allowHalfOpen: true });
      let buf = Buffer.alloc(0);
      let stage = 0;
      let reply = -1;
      socket.on('error', reject);
      socket.on('connect', () => socket.write(Uint8Array.of(5, 1, 0)));
      socket.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (stage === 0 && buf.length >= 2) {
          buf = buf.subarray(2);
          stage = 1;
          const address = typeof host === 'string' ? Buffer.from([3, Buffer.byteLength(host), ...Buffer.from(host)]) : Buffer.from([4, ...host]);
          socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]));
        }
        if (stage === 1 && buf.length >= 10) {
          reply = buf[1] ?? -1;
          buf = buf.subarray(10);
          stage = 2;
          if (reply === 0) socket.end(data);
        }
      });
      socket.on('end', () => {
        socket.end();
        resolve({ reply, data: buf });
      });
    }),
    15_000,
    'SOCKS 5 round trip',
  );
}

/** Runs curl through a SOCKS proxy; resolves with its stdout. */
export function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/curl', ['-sS', '--max-time', '15', ...args], { timeout: 20_000, env: { PATH: '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** A channel open with `body` that records how it was answered (it is not expected to be accepted). */
export function channelOpen(body: ChannelOpenBody): { request: IncomingChannelOpen; answer: Promise<string> } {
  let settle: (s: string) => void = () => undefined;
  const answer = new Promise<string>((resolve) => (settle = resolve));
  const request = {
    type: body.type,
    body,
    peerWindow: 65536,
    peerMaxPacket: 32768,
    accept: () => {
      settle('accepted');
      throw new Error('not expected to be accepted');
    },
    reject: (code: number) => settle(`rejected ${code}`),
  } as unknown as IncomingChannelOpen;
  return { request, answer };
}
