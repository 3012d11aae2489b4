/**
 * driveTransport hands sealed packets back for reuse (Transport.outputWritten) only once a plain
 * socket has written them, and never for other Duplexes, which may still hold a chunk after its
 * write callback. A buffer reused too early would corrupt a packet still queued: the server's
 * AES-GCM would refuse it and the connection would end before the service is accepted.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Ignore, MSG, ServiceRequest } from '@ssh/wire';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Transport } from '../src/index.ts';
import { driveTransport } from '../src/node/index.ts';
import { hostKeys } from './helpers/hostile.ts';
import { startOurServer, type OurServer } from './helpers/node-peer.ts';

const CIPHER = 'aes128-gcm@openssh.com';
const BOUND_MS = 20_000; // a bound against hanging, not a timing assertion
/** 6 MiB per burst: more than loopback socket buffers take, so part of each burst waits in libuv. */
const PACKETS_PER_BURST = 256;

let server: OurServer;
beforeAll(async () => {
  server = await startOurServer(hostKeys(), { encryptionAlgorithms: [CIPHER] });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A Duplex over a socket that calls back as soon as it queued a chunk, as a channel stream may. */
class EagerDuplex extends Duplex {
  private readonly socket: net.Socket;
  constructor(socket: net.Socket) {
    super();
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.push(d));
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk);
    callback();
  }
  override _read(): void {}
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

interface Outcome {
  readonly serviceAccepted: boolean;
  /** The chunks of each batch handed back, in order. */
  readonly handedBack: Uint8Array[][];
}

/**
 * Connects with AES-GCM and, once keys are in place, sends `bursts` bursts of IGNORE packets of
 * 24 KiB (each burst sealed while earlier ones may still sit in the socket's queue), then asks
 * for the ssh-userauth service.
 */
function floodThenAsk(wrap: (socket: net.Socket) => Duplex, bursts: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const stream = wrap(socket);
    const transport = new Transport({ role: 'client', encryptionAlgorithms: [CIPHER] });
    const handedBack: Uint8Array[][] = [];
    const original = transport.outputWritten.bind(transport);
    vi.spyOn(transport, 'outputWritten').mockImplementation((parts) => {
      handedBack.push([...parts]);
      original(parts);
    });
    let serviceAccepted = false;
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error('the connection did not finish'));
    }, BOUND_MS);
    const flood = (left: number): void => {
      if (left === 0) {
        transport.send(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
        driver.flush();
        return;
      }
      for (let i = 0; i < PACKETS_PER_BURST; i++) transport.send(Ignore.encode({ data: randomBytes(24 * 1024) }));
      driver.flush();
      setImmediate(() => flood(left - 1));
    };
    const driver = driveTransport(stream, transport, {
      onEvent(e) {
        if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
        if (e.type === 'kex-complete' && e.initial) flood(bursts);
        if (e.type === 'message' && e.payload[0] === MSG.SERVICE_ACCEPT) {
          serviceAccepted = true;
          driver.close();
        }
      },
      onClose() {
        clearTimeout(timer);
        stream.destroy();
        resolve({ serviceAccepted, handedBack });
      },
      rekeyCheckMs: 0,
    });
  });
}

describe('driveTransport and sealed packet buffers', () => {
  it('reuses the buffers of packets a plain socket has written, and every packet arrives intact', async () => {
    const { serviceAccepted, handedBack } = await floodThenAsk((socket) => socket, 6);
    // The server opened every packet (one corrupted by early reuse would have ended it).
    expect(serviceAccepted).toBe(true);
    expect(handedBack.length).toBeGreaterThan(0);
    // Later packets were sealed into buffers of earlier ones (AES-GCM on the native binding).
    const seen = new Map<ArrayBufferLike, number>();
    for (const part of handedBack.flat()) seen.set(part.buffer, (seen.get(part.buffer) ?? 0) + 1);
    expect([...seen.values()].some((n) => n > 1)).toBe(true);
  });

  it('hands nothing back over a Duplex that may still hold a written chunk', async () => {
    const { serviceAccepted, handedBack } = await floodThenAsk((socket) => new EagerDuplex(socket), 2);
    expect(serviceAccepted).toBe(true);
    expect(handedBack).toEqual([]);
  });
});

describe('driveTransport with onOutputDeferred', () => {
  it('writes what received bytes produced only when the owner flushes, and the handshake completes', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    const transport = new Transport({ role: 'client', encryptionAlgorithms: [CIPHER] });
    let received = false;
    let inOwnerFlush = false;
    let recording = true;
    let deferrals = 0;
    const early: boolean[] = []; // writes before any byte was received: the version and KEXINIT
    const replies: boolean[] = []; // later writes: whether the owner's flush made each
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    vi.spyOn(socket, 'write').mockImplementation((...args: unknown[]) => {
      if (recording) (received ? replies : early).push(inOwnerFlush);
      return write(...args);
    });
    let driver: ReturnType<typeof driveTransport> | undefined;
    const completed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), BOUND_MS);
      driver = driveTransport(socket, transport, {
        onBytes() {
          received = true;
        },
        onEvent(e) {
          if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
          if (e.type === 'kex-complete' && e.initial) {
            clearTimeout(timer);
            resolve(true);
          }
        },
        onOutputDeferred() {
          deferrals++;
          setImmediate(() => {
            inOwnerFlush = true;
            driver?.flush();
            inOwnerFlush = false;
          });
        },
        rekeyCheckMs: 0,
      });
    });
    recording = false;
    driver?.close();
    socket.destroy();
    expect(completed).toBe(true);
    expect(deferrals).toBeGreaterThan(0);
    expect(early.length).toBeGreaterThan(0);
    // Every reply to the server's messages (the key exchange init, NEWKEYS) waited for the owner.
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((owned) => owned)).toBe(true);
  });
});

describe('driveTransport with onOutputDeferred, closing', () => {
  it('writes a DISCONNECT queued by an event handler before it ends the stream', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    const transport = new Transport({ role: 'client', encryptionAlgorithms: [CIPHER] });
    const order: string[] = [];
    let disconnected = false;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    vi.spyOn(socket, 'write').mockImplementation((...args: unknown[]) => {
      if (disconnected) order.push('write');
      return write(...args);
    });
    const end = socket.end.bind(socket) as (...args: unknown[]) => net.Socket;
    vi.spyOn(socket, 'end').mockImplementation((...args: unknown[]) => {
      order.push('end');
      return end(...args);
    });
    let driver: ReturnType<typeof driveTransport> | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, BOUND_MS);
      driver = driveTransport(socket, transport, {
        onEvent(e) {
          if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
          if (e.type === 'kex-complete' && e.initial) {
            // As a connection does on a protocol error it finds while handling a message.
            transport.disconnect(2, 'protocol error');
            disconnected = true;
          }
        },
        onOutputDeferred() {
          // The owner flushes later in the turn; by then a closed transport has ended the stream.
          setImmediate(() => driver?.flush());
        },
        onClose() {
          clearTimeout(timer);
          resolve();
        },
        rekeyCheckMs: 0,
      });
    });
    socket.destroy();
    expect(disconnected).toBe(true);
    expect(order[0]).toBe('write');
    expect(order).toContain('end');
  });
});
