/**
 * Hostile peers over loopback sockets, through driveTransport: each misbehaving connection ends in
 * a typed disconnect and a closed socket, while a well-behaved client of the same server completes
 * its handshake at the same time. Also our client against a scripted hostile server.
 */
import net from 'node:net';
import { Ignore, MSG, ServiceRequest } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DisconnectError, MACError, PacketReader, ProtocolError, Transport, type TransportEvent } from '../src/index.ts';
import { driveTransport } from '../src/node/index.ts';
import { concat, enc, hostKeys, inject, rawPacket, splitIdentification } from './helpers/hostile.ts';
import { clientHandshake, startOurServer, type OurServer } from './helpers/node-peer.ts';

const BOUND_MS = 15_000; // a bound against hanging, not a timing assertion

let server: OurServer;
beforeAll(async () => {
  server = await startOurServer(hostKeys());
});
afterAll(async () => {
  await server.close();
});

interface RawResult {
  /** Everything the server wrote. */
  readonly received: Uint8Array;
  /** Bytes we managed to write before the server closed. */
  readonly written: number;
}

/**
 * Connects, runs `script` (which writes), and settles when the server closes the connection.
 * `script` may return a function that is called on each write drain to write more (floods).
 */
function rawSession(script: (socket: net.Socket) => (() => boolean) | void): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const chunks: Uint8Array[] = [];
    let written = 0;
    const write = socket.write.bind(socket);
    socket.write = ((data: Uint8Array, ...rest: never[]) => {
      written += data.length;
      return write(data, ...rest);
    }) as typeof socket.write;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the hostile connection'));
    }, BOUND_MS);
    socket.on('data', (d: Uint8Array) => chunks.push(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: concat(...chunks), written });
    });
    socket.on('connect', () => {
      const more = script(socket);
      if (!more) return;
      const pumpMore = (): void => {
        while (!socket.destroyed && more()) {
          // keep writing while the socket takes it
        }
      };
      socket.on('drain', pumpMore);
      pumpMore();
    });
  });
}

/** The reason code of the server's unencrypted DISCONNECT, if it sent one before any NEWKEYS. */
function plainDisconnect(received: Uint8Array): number | undefined {
  const reader = new PacketReader(256 * 1024);
  reader.push(splitIdentification(received)[1]);
  try {
    for (let p = reader.next(); p; p = reader.next()) {
      if (p[0] === MSG.DISCONNECT) return new DataView(p.buffer, p.byteOffset).getUint32(1);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Runs a hostile session next to a good client; returns the server-side error of the hostile one. */
async function alongsideGoodClient(hostile: () => Promise<RawResult | DisconnectError | undefined>): Promise<{ serverError: DisconnectError; result: RawResult | DisconnectError | undefined }> {
  const before = server.connections.length;
  const [result, good] = await Promise.all([hostile(), clientHandshake(server.port, {}, BOUND_MS)]);
  expect(good.serviceAccepted).toBe(true);
  const mine = server.connections.slice(before);
  expect(mine).toHaveLength(2);
  const errors = mine.flatMap((events) => events.flatMap((e) => (e.type === 'disconnect' && !e.byPeer ? [e.error] : [])));
  expect(errors).toHaveLength(1);
  return { serverError: errors[0] as DisconnectError, result };
}

const clientHello = (): [Uint8Array, Uint8Array] => splitIdentification(new Transport({ role: 'client' }).takeOutput() as Uint8Array);

describe('our server against hostile clients over loopback', () => {
  it('an oversized packet length: ProtocolError, DISCONNECT, close', async () => {
    const { serverError, result } = await alongsideGoodClient(() =>
      rawSession((socket) => {
        socket.write(concat(enc('SSH-2.0-hostile\r\n'), Uint8Array.of(0x7f, 0xff, 0xff, 0xff)));
      }),
    );
    expect(serverError).toBeInstanceOf(ProtocolError);
    expect(plainDisconnect((result as RawResult).received)).toBe(2);
  });

  it('an endless identification line is cut off while we are still writing', async () => {
    const junk = new Uint8Array(64 * 1024).fill(0x41);
    const { serverError, result } = await alongsideGoodClient(() =>
      rawSession((socket) => {
        let sent = 0;
        return () => {
          if (sent >= 64 * 1024 * 1024) return false; // 64 MiB at most; the server must close long before
          sent += junk.length;
          return socket.write(junk);
        };
      }),
    );
    expect(serverError).toBeInstanceOf(ProtocolError);
    expect((result as RawResult).written).toBeLessThan(64 * 1024 * 1024);
  });

  it('the Terrapin prefix (IGNORE before KEXINIT) under strict kex', async () => {
    const [version, kexinit] = clientHello();
    const { serverError } = await alongsideGoodClient(() =>
      rawSession((socket) => {
        socket.write(concat(version, rawPacket(Ignore.encode({ data: new Uint8Array(0) })), kexinit));
      }),
    );
    expect(serverError.reason).toMatch(/KEXINIT was not the first packet/);
  });

  /** Our client over a socket that, once keys are set, runs `after` with the transport and socket. */
  function keyedClient(after: (t: Transport, socket: net.Socket) => void): Promise<DisconnectError | undefined> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const t = new Transport({ role: 'client' });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no end'));
      }, BOUND_MS);
      let peerError: DisconnectError | undefined;
      driveTransport(socket, t, {
        onEvent(e: TransportEvent) {
          if (e.type === 'verify-host-key') t.resolveHostKey(e.id, true);
          if (e.type === 'kex-complete' && e.initial) after(t, socket);
          if (e.type === 'disconnect' && e.byPeer) peerError = e.error;
        },
        onClose() {
          clearTimeout(timer);
          socket.destroy();
          resolve(peerError);
        },
        rekeyCheckMs: 0,
      });
      socket.on('error', () => socket.destroy());
    });
  }

  it('a bad MAC after key exchange: MACError on the server, reason 5 at the client', async () => {
    const { serverError, result } = await alongsideGoodClient(() =>
      keyedClient((t, socket) => {
        inject(t, ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
        // The output may still hold our NEWKEYS: corrupt the tag at the very end.
        const packet = t.takeOutput() as Uint8Array;
        packet[packet.length - 5] = (packet[packet.length - 5] as number) ^ 0x40;
        socket.write(packet);
      }),
    );
    expect(serverError).toBeInstanceOf(MACError);
    expect(result).toMatchObject({ reasonCode: 5 });
  });

  it('an IGNORE flood after key exchange is absorbed; the service request after it is answered', async () => {
    const before = server.connections.length;
    let accepted = false;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const t = new Transport({ role: 'client' });
      const timer = setTimeout(() => reject(new Error('no answer')), BOUND_MS);
      const driver = driveTransport(socket, t, {
        onEvent(e) {
          if (e.type === 'verify-host-key') t.resolveHostKey(e.id, true);
          if (e.type === 'kex-complete' && e.initial) {
            for (let i = 0; i < 20_000; i++) t.sendIgnore(new Uint8Array(32));
            t.send(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
          }
          if (e.type === 'message' && e.payload[0] === MSG.SERVICE_ACCEPT) {
            accepted = true;
            driver.close();
          }
        },
        onClose() {
          clearTimeout(timer);
          socket.destroy();
          resolve();
        },
        rekeyCheckMs: 0,
      });
      socket.on('error', () => socket.destroy());
    });
    expect(accepted).toBe(true);
    const events = server.connections[before] ?? [];
    expect(events.filter((e) => e.type === 'message')).toHaveLength(1);
  });

  it('a client trickling every byte separately completes its handshake', async () => {
    let accepted = false;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const t = new Transport({ role: 'client' });
      const timer = setTimeout(() => reject(new Error('trickle did not finish')), BOUND_MS * 2);
      const queue: number[] = [];
      let writing = false;
      const trickle = (): void => {
        if (socket.destroyed) return;
        const b = queue.shift();
        if (b === undefined) {
          writing = false;
          return;
        }
        socket.write(Uint8Array.of(b), () => setImmediate(trickle));
      };
      const flush = (): void => {
        for (let out = t.takeOutput(); out; out = t.takeOutput()) queue.push(...out);
        for (let e = t.nextEvent(); e; e = t.nextEvent()) {
          if (e.type === 'verify-host-key') t.resolveHostKey(e.id, true);
          if (e.type === 'kex-complete') t.send(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
          if (e.type === 'message' && e.payload[0] === MSG.SERVICE_ACCEPT) {
            accepted = true;
            socket.destroy();
          }
          if (e.type === 'disconnect') socket.destroy();
          for (let out = t.takeOutput(); out; out = t.takeOutput()) queue.push(...out);
        }
        if (!writing && queue.length > 0) {
          writing = true;
          trickle();
        }
      };
      socket.on('connect', flush);
      socket.on('data', (d: Uint8Array) => {
        t.receive(d);
        flush();
      });
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(accepted).toBe(true);
  });
});

describe('a peer that keeps its half of the socket open', () => {
  it('is cut off after our DISCONNECT even if the application does not destroy the socket', async () => {
    let closedByEvent = false;
    let serverSocketClosed!: () => void;
    const closed = new Promise<void>((r) => (serverSocketClosed = r));
    const events: TransportEvent[] = [];
    const listener = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('close', () => {
        closedByEvent = true;
        serverSocketClosed();
      });
      socket.on('error', () => undefined);
      // The application is told, and does nothing about the socket.
      driveTransport(socket, new Transport({ role: 'server', hostKeys: hostKeys() }), { onEvent: (e) => events.push(e), rekeyCheckMs: 0 });
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const client = net.connect({ port: (listener.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    client.on('error', () => undefined);
    client.on('data', () => undefined); // read what we are sent, so 'end' can come
    const ended = new Promise<boolean>((r) => {
      client.on('end', () => r(true));
      client.on('close', () => r(false));
    });
    client.write(concat(enc('SSH-2.0-hostile\r\n'), Uint8Array.of(0xff, 0xff, 0xff, 0xff)));
    const timer = setTimeout(() => serverSocketClosed(), BOUND_MS);
    await closed;
    clearTimeout(timer);
    const sawEnd = await ended;
    const stillWritable = !client.writableEnded;
    client.destroy();
    await new Promise<void>((r) => listener.close(() => r()));
    expect(events.find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: false, error: expect.any(ProtocolError) });
    // Our side ended (the FIN after the DISCONNECT) and the socket closed, though the peer never ended its side.
    expect(sawEnd).toBe(true);
    expect(closedByEvent).toBe(true);
    expect(stillWritable).toBe(true);
  });
});

describe('our client against a hostile server over loopback', () => {
  /** A one-shot server writing `bytes` (then `more()` while it returns true); our client connects to it. */
  async function againstServer(bytes: Uint8Array, more?: () => Uint8Array | undefined): Promise<TransportEvent[]> {
    const sockets: net.Socket[] = [];
    const hostile = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => socket.destroy());
      socket.write(bytes);
      if (!more) return;
      const go = (): void => {
        for (let b = more(); b && !socket.destroyed; b = more()) if (!socket.write(b)) return;
      };
      socket.on('drain', go);
      go();
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const port = (hostile.address() as net.AddressInfo).port;
    try {
      return await new Promise<TransportEvent[]>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        const t = new Transport({ role: 'client' });
        const events: TransportEvent[] = [];
        const timer = setTimeout(() => reject(new Error('our client did not give up')), BOUND_MS);
        driveTransport(socket, t, {
          onEvent(e) {
            events.push(e);
            if (e.type === 'verify-host-key') t.resolveHostKey(e.id, true);
          },
          onClose() {
            clearTimeout(timer);
            socket.destroy();
            resolve(events);
          },
          rekeyCheckMs: 0,
        });
        socket.on('error', () => socket.destroy());
      });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hostile.close(() => r()));
    }
  }

  const own = (events: TransportEvent[]): DisconnectError | undefined => {
    const d = events.find((e) => e.type === 'disconnect' && !e.byPeer);
    return d?.type === 'disconnect' ? d.error : undefined;
  };

  it('an endless pre-banner flood ends in ProtocolError', async () => {
    let sent = 0;
    const line = enc('hello there\r\n'.repeat(1000));
    const events = await againstServer(new Uint8Array(0), () => {
      if (sent > 4_000_000) return undefined;
      sent += line.length;
      return line;
    });
    expect(own(events)).toBeInstanceOf(ProtocolError);
    expect(events.some((e) => e.type === 'version')).toBe(false);
  });

  it('a server injecting IGNORE before its KEXINIT (Terrapin) is refused', async () => {
    const s = new Transport({ role: 'server', hostKeys: hostKeys() });
    const [version, kexinit] = splitIdentification(s.takeOutput() as Uint8Array);
    const events = await againstServer(concat(version, rawPacket(Ignore.encode({ data: new Uint8Array(4) })), kexinit));
    expect(own(events)?.reason).toMatch(/strict key exchange/);
    expect(events.some((e) => e.type === 'kex-complete')).toBe(false);
  });
});
