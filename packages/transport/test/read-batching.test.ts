/**
 * Read batching (SO_RCVLOWAT while a bulk transfer streams in): when the mark goes up and comes
 * back down, with a fake socket and clock; then on real loopback sockets from connectTcp() and
 * acceptTcp(), that a short message after a bulk transfer still arrives at once (with the mark
 * left up it would wait for bytes that never come) and that the mark was really raised.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BULK_READ, LOW_WATER, MIN_MARK, PAUSE_MS, SETTLED_MS, batchReads, type ReadBatchingDeps } from '../src/node/read-batching.ts';
import { acceptTcp, connectTcp, readSinkOf } from '../src/node/socket-reads.ts';
import type * as CryptoNative from '@ssh/crypto-native';

const marks = vi.hoisted(() => [] as number[]);
vi.mock('@ssh/crypto-native', async (importOriginal) => {
  const real = await importOriginal<typeof CryptoNative>();
  return {
    ...real,
    setReceiveLowWater: (fd: number, bytes: number): boolean => {
      marks.push(bytes);
      return real.setReceiveLowWater(fd, bytes);
    },
  };
});

interface FakeHandle {
  fd: number;
  reading: boolean;
  readStop: ReturnType<typeof vi.fn>;
  readStart: ReturnType<typeof vi.fn>;
}

function fakeSocket(): net.Socket & { _handle: FakeHandle } {
  const socket = new EventEmitter() as unknown as net.Socket & { _handle: FakeHandle; destroyed: boolean };
  socket._handle = { fd: 7, reading: true, readStop: vi.fn(), readStart: vi.fn() };
  socket.destroyed = false;
  return socket;
}

/** Fake dependencies; the clock is the fake timers' (Date.now()). */
function deps(answer = true): ReadBatchingDeps & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    platform: 'linux',
    now: () => Date.now(),
    setMark: (fd, bytes) => {
      calls.push([fd, bytes]);
      return answer;
    },
  };
}

describe('batchReads', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('raises the mark on a bulk-sized read only, once', () => {
    vi.useFakeTimers();
    const d = deps();
    const b = batchReads(fakeSocket(), d);
    b?.read(BULK_READ - 1);
    b?.read(32 * 1024);
    expect(d.calls).toEqual([]);
    b?.read(LOW_WATER * 2);
    b?.read(BULK_READ);
    expect(d.calls).toEqual([[7, LOW_WATER]]);
  });

  it('raises it no higher than the read that showed the bulk transfer', () => {
    vi.useFakeTimers();
    const d = deps();
    batchReads(fakeSocket(), d)?.read(BULK_READ + 100);
    // A peer with a window of about that much sends no more before we read and adjust it.
    expect(d.calls).toEqual([[7, BULK_READ + 100]]);
  });

  it('keeps the mark up while reads keep coming and lowers it, re-arming the descriptor, once they stop', () => {
    vi.useFakeTimers();
    const d = deps();
    const socket = fakeSocket();
    const b = batchReads(socket, d);
    b?.read(LOW_WATER);
    for (let i = 0; i < 5; i++) {
      b?.read(1000);
      vi.advanceTimersByTime(PAUSE_MS);
    }
    expect(d.calls).toEqual([[7, LOW_WATER]]);
    vi.advanceTimersByTime(PAUSE_MS);
    expect(d.calls).toEqual([
      [7, LOW_WATER],
      [7, 1],
    ]);
    expect(socket._handle.readStop).toHaveBeenCalledTimes(1);
    expect(socket._handle.readStart).toHaveBeenCalledTimes(1);
    // And up again with the next bulk read.
    b?.read(LOW_WATER);
    expect(d.calls.at(-1)).toEqual([7, LOW_WATER]);
  });

  it('caps the mark at the bursts of a peer that stalls it soon after it went up, and lets the cap grow back', () => {
    vi.useFakeTimers();
    const d = deps();
    const b = batchReads(fakeSocket(), d);
    // A window's worth, then bursts of half a window that never reach the mark.
    b?.read(BULK_READ);
    vi.advanceTimersByTime(PAUSE_MS);
    expect(d.calls).toEqual([
      [7, BULK_READ],
      [7, 1],
    ]);
    b?.read(BULK_READ / 2); // the burst that waited below the mark
    b?.read(BULK_READ);
    expect(d.calls.at(-1)).toEqual([7, BULK_READ / 2]);
    // Raised to the burst size, the mark holds: no more stalls.
    for (let i = 0; i < 10; i++) {
      b?.read(BULK_READ / 2);
      vi.advanceTimersByTime(PAUSE_MS);
    }
    expect(d.calls.length).toBe(3);
    vi.advanceTimersByTime(PAUSE_MS);
    expect(d.calls.at(-1)).toEqual([7, 1]);
    // The cap doubles back each SETTLED_MS.
    vi.advanceTimersByTime(SETTLED_MS * 3);
    b?.read(LOW_WATER);
    expect(d.calls.at(-1)).toEqual([7, LOW_WATER]);
  });

  it('does not take the end of a long transfer, or a read long after, for a stall', () => {
    vi.useFakeTimers();
    const d = deps();
    const b = batchReads(fakeSocket(), d);
    b?.read(LOW_WATER);
    for (let t = 0; t < SETTLED_MS; t += PAUSE_MS) {
      b?.read(LOW_WATER);
      vi.advanceTimersByTime(PAUSE_MS);
    }
    vi.advanceTimersByTime(PAUSE_MS);
    b?.read(100); // the tail of the transfer
    b?.read(LOW_WATER);
    expect(d.calls.at(-1)).toEqual([7, LOW_WATER]);
    // A mark that stalls at once, and the next read only much later: the stream had ended.
    vi.advanceTimersByTime(PAUSE_MS * 2);
    vi.advanceTimersByTime(1000);
    b?.read(BULK_READ);
    expect(d.calls.at(-1)).toEqual([7, BULK_READ]);
  });

  it('keeps the mark down for bursts too small to be worth raising it', () => {
    vi.useFakeTimers();
    const d = deps();
    const b = batchReads(fakeSocket(), d);
    b?.read(BULK_READ);
    vi.advanceTimersByTime(PAUSE_MS);
    b?.read(1000);
    b?.read(BULK_READ);
    // The cap is now below MIN_MARK: nothing raised until it grows back.
    expect(d.calls).toEqual([
      [7, BULK_READ],
      [7, 1],
    ]);
    vi.advanceTimersByTime(SETTLED_MS);
    b?.read(BULK_READ);
    expect(d.calls.at(-1)).toEqual([7, MIN_MARK]);
  });

  it('leaves a paused socket paused when it lowers the mark', () => {
    vi.useFakeTimers();
    const socket = fakeSocket();
    const b = batchReads(socket, deps());
    b?.read(BULK_READ);
    socket._handle.reading = false;
    vi.advanceTimersByTime(PAUSE_MS * 2);
    expect(socket._handle.readStart).not.toHaveBeenCalled();
  });

  it('gives up for good where the option cannot be set', () => {
    vi.useFakeTimers();
    const d = deps(false);
    const b = batchReads(fakeSocket(), d);
    b?.read(LOW_WATER);
    vi.advanceTimersByTime(PAUSE_MS * 3);
    b?.read(LOW_WATER);
    expect(d.calls).toEqual([[7, LOW_WATER]]);
  });

  it('stops its timer when the socket closes', () => {
    vi.useFakeTimers();
    const d = deps();
    const socket = fakeSocket();
    batchReads(socket, d)?.read(LOW_WATER);
    socket.emit('close');
    vi.advanceTimersByTime(PAUSE_MS * 3);
    expect(d.calls).toEqual([[7, LOW_WATER]]);
  });

  it('does nothing off Linux', () => {
    expect(batchReads(fakeSocket(), { ...deps(), platform: 'darwin' })).toBeUndefined();
  });
});

/** Sends `bulk` bytes in one write, then after a pause `tail`; answers when the reader got all of it. */
async function bulkThenTail(reader: net.Socket, writer: net.Socket, bulk: number, tail: number): Promise<number> {
  let got = 0;
  let tailAt = 0;
  const done = new Promise<number>((resolve) => {
    readSinkOf(reader)?.attach((chunk) => {
      got += chunk.length;
      if (got === bulk + tail) resolve(performance.now() - tailAt);
    });
  });
  await new Promise<void>((resolve) => writer.write(Buffer.alloc(bulk), () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 30));
  tailAt = performance.now();
  writer.write(Buffer.alloc(tail));
  return done;
}

describe.runIf(process.platform === 'linux')('read batching on loopback sockets', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
    marks.length = 0;
  });

  async function pair(): Promise<{ server: net.Socket; client: net.Socket }> {
    const listener = net.createServer({ pauseOnConnect: true });
    const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const client = connectTcp({ host: '127.0.0.1', port: (listener.address() as net.AddressInfo).port });
    const server = await accepted;
    acceptTcp(server);
    await new Promise((resolve) => (client.connecting ? client.once('connect', resolve) : resolve(undefined)));
    cleanup.push(() => {
      client.destroy();
      server.destroy();
      listener.close();
    });
    return { server, client };
  }

  it('a client socket delivers a short message right after a bulk transfer', async () => {
    const { server, client } = await pair();
    const wait = await bulkThenTail(client, server, 8 * 1024 * 1024, 10);
    expect(marks.some((m) => m >= BULK_READ && m <= LOW_WATER)).toBe(true);
    expect(marks).toContain(1);
    // Well under what a raised mark would mean (never), with room for a loaded machine.
    expect(wait).toBeLessThan(500);
  });

  it('an accepted socket does the same', async () => {
    const { server, client } = await pair();
    const wait = await bulkThenTail(server, client, 8 * 1024 * 1024, 10);
    expect(marks.some((m) => m >= BULK_READ && m <= LOW_WATER)).toBe(true);
    expect(wait).toBeLessThan(500);
  });
});
