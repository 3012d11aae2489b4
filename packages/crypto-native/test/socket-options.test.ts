/**
 * setReceiveLowWater(): the kernel behaviour @ssh/transport builds on, on a loopback TCP pair.
 * A raised SO_RCVLOWAT keeps a reader asleep while fewer bytes are there; lowering it wakes the
 * reader at once for the bytes already waiting (a transport lowers it when a stream pauses, and
 * must not then wait for more). Bad arguments are refused; a descriptor that is no socket is not.
 */
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeStatus, setReceiveLowWater } from '../src/index.ts';

interface Pair {
  readonly reader: net.Socket;
  readonly writer: net.Socket;
  readonly fd: number;
  received: number;
}

const open: net.Socket[] = [];
let server: net.Server | undefined;

afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
  server?.close();
  server = undefined;
});

async function pair(): Promise<Pair> {
  const accepted = new Promise<net.Socket>((resolve) => {
    server = net.createServer(resolve);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server?.address() as net.AddressInfo;
  const reader = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => reader.once('connect', resolve));
  const writer = await accepted;
  open.push(reader, writer);
  const fd = (reader as unknown as { _handle: { fd: number } })._handle.fd;
  const p: Pair = { reader, writer, fd, received: 0 };
  reader.on('data', (d: Buffer) => (p.received += d.length));
  return p;
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(process.platform === 'linux')('setReceiveLowWater on Linux', () => {
  it('is available from the built binding', () => {
    expect(nativeStatus()).toEqual({ available: true, reason: 'loaded' });
  });

  it('holds back fewer bytes than the mark and delivers once the mark is reached', async () => {
    const p = await pair();
    expect(setReceiveLowWater(p.fd, 4096)).toBe(true);
    p.writer.write(Buffer.alloc(1000));
    await settle(50);
    expect(p.received).toBe(0);
    p.writer.write(Buffer.alloc(3096));
    await settle(50);
    expect(p.received).toBe(4096);
  });

  it('wakes the reader at once for bytes already waiting when the mark is lowered', async () => {
    const p = await pair();
    expect(setReceiveLowWater(p.fd, 65536)).toBe(true);
    p.writer.write(Buffer.alloc(100));
    await settle(50);
    expect(p.received).toBe(0);
    expect(setReceiveLowWater(p.fd, 1)).toBe(true);
    await settle(50);
    expect(p.received).toBe(100);
  });

  it('does not hold back the end of the stream', async () => {
    const p = await pair();
    expect(setReceiveLowWater(p.fd, 65536)).toBe(true);
    const ended = new Promise((resolve) => p.reader.once('end', resolve));
    p.writer.end(Buffer.alloc(10));
    await ended;
    expect(p.received).toBe(10);
  });
});

describe('setReceiveLowWater arguments', () => {
  it('answers false for a descriptor that is not a socket', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(setReceiveLowWater(fd, 4096)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it.each([
    [-1, 4096],
    [1.5, 4096],
    [Number.NaN, 4096],
    [3, 0],
    [3, 64 * 1024 * 1024 + 1],
    [3, 2.5],
  ])('refuses fd %s, bytes %s with a RangeError', (fd, bytes) => {
    expect(() => setReceiveLowWater(fd, bytes)).toThrow(RangeError);
  });
});

describe('the binding itself', () => {
  it('checks its arguments in C as well', async () => {
    const { createRequire } = await import('node:module');
    const raw = createRequire(import.meta.url)('../build/Release/ssh_crypto_native.node') as { setReceiveLowWater(fd: unknown, bytes?: unknown): boolean };
    expect(() => raw.setReceiveLowWater(-1, 10)).toThrow(RangeError);
    expect(() => raw.setReceiveLowWater(3, 0)).toThrow(RangeError);
    expect(() => raw.setReceiveLowWater('3', 10)).toThrow();
    expect(() => raw.setReceiveLowWater(3)).toThrow(RangeError);
  });
});
