import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodePump } from '../src/node/socket-relay.ts';
import { pipeReadableToWriter, pipeReaderToWritable, readerToReadable, writerToWritable } from '../src/node/streams.ts';
import { SSHChannel, SSHServerProcess, StreamSession, type Pump, type SSHServerChannel } from '../src/index.ts';
import { ReadBuffer, SSHReader, SSHWriter, type WriteSink } from '../src/stream/index.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The test pattern: byte i of the stream (period 2^32, so reordering or loss shows). */
const pat = (i: number): number => (i ^ (i >>> 8) ^ (i >>> 16) ^ (i >>> 24)) & 0xff;

function patternChunk(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = pat(offset + i);
  return out;
}

/** Checks `chunk` is the pattern at `offset`; returns the number of mismatches. */
function mismatches(chunk: Uint8Array, offset: number): number {
  let bad = 0;
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== pat(offset + i)) bad++;
  return bad;
}

/**
 * A peer sending `total` pattern bytes into `buf` in packets, never more than `window` bytes
 * ahead of what reads consumed (the channel window), refilled a tick after each consumption.
 */
function windowedPeer(total: number, window: number, packet: number): { buf: ReadBuffer<Uint8Array>; stats: { maxBuffered: number; consumed: number } } {
  const stats = { maxBuffered: 0, consumed: 0 };
  let sent = 0;
  let credit = window;
  let scheduled = false;
  const buf: ReadBuffer<Uint8Array> = new ReadBuffer<Uint8Array>({
    encoding: null,
    onConsumed: (n) => {
      stats.consumed += n;
      credit += n;
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    },
  });
  function pump(): void {
    scheduled = false;
    while (credit > 0 && sent < total) {
      const n = Math.min(credit, packet, total - sent);
      buf.push(patternChunk(sent, n));
      sent += n;
      credit -= n;
      stats.maxBuffered = Math.max(stats.maxBuffered, buf.buffered);
    }
    if (sent === total) buf.pushEof();
  }
  pump();
  return { buf, stats };
}

/** A channel's outbound side that sends `perTick` bytes per event-loop turn and verifies them. */
class SlowSink implements WriteSink {
  queued: Uint8Array[] = [];
  queuedBytes = 0;
  maxQueued = 0;
  /** The largest single write, and the most bytes already queued when a write came. */
  maxWrite = 0;
  maxQueuedAtWrite = 0;
  received = 0;
  bad = 0;
  eof = false;
  onWrite: (() => void) | undefined;
  #drainers: (() => void)[] = [];
  #ticking = false;
  #eofSeen: () => void = () => undefined;
  readonly eofSeen = new Promise<void>((resolve) => (this.#eofSeen = resolve));

  readonly lowWater: number;
  readonly perTick: number;
  /** Whether whenSent() tells when the queue is empty (else it answers "cannot tell"). */
  readonly tellsSent: boolean;
  #sentWaiters: (() => void)[] = [];

  constructor(lowWater: number, perTick: number, tellsSent = false) {
    this.lowWater = lowWater;
    this.perTick = perTick;
    this.tellsSent = tellsSent;
  }

  whenSent(): Promise<void> | undefined {
    if (!this.tellsSent || this.queuedBytes === 0) return undefined;
    return new Promise((resolve) => this.#sentWaiters.push(resolve));
  }

  transientWrites = 0;

  write(data: Uint8Array, _datatype?: number, transient?: boolean): void {
    if (this.eof) throw new Error('write after EOF');
    // A transient write's bytes are only valid during the call: keep a copy, as a channel would.
    if (transient === true) this.transientWrites++;
    this.maxWrite = Math.max(this.maxWrite, data.length);
    this.maxQueuedAtWrite = Math.max(this.maxQueuedAtWrite, this.queuedBytes);
    this.queued.push(transient === true ? data.slice() : data);
    this.queuedBytes += data.length;
    this.maxQueued = Math.max(this.maxQueued, this.queuedBytes);
    this.onWrite?.();
    this.#tick();
  }
  writeEof(): void {
    this.eof = true;
    this.#tick();
  }
  canWriteEof(): boolean {
    return !this.eof;
  }
  close(): void {}
  isClosing(): boolean {
    return false;
  }
  waitClosed(): Promise<void> {
    return Promise.resolve();
  }
  drain(): Promise<void> {
    if (this.queuedBytes <= this.lowWater) return Promise.resolve();
    return new Promise((resolve) => this.#drainers.push(resolve));
  }
  needsDrain(): boolean {
    return this.queuedBytes > this.lowWater;
  }
  #tick(): void {
    if (this.#ticking) return;
    this.#ticking = true;
    setImmediate(() => {
      this.#ticking = false;
      let budget = this.perTick;
      while (budget > 0 && this.queued.length > 0) {
        const head = this.queued[0] as Uint8Array;
        const part = head.subarray(0, budget);
        this.bad += mismatches(part, this.received);
        this.received += part.length;
        this.queuedBytes -= part.length;
        budget -= part.length;
        if (part.length === head.length) this.queued.shift();
        else this.queued[0] = head.subarray(part.length);
      }
      if (this.queuedBytes <= this.lowWater) for (const d of this.#drainers.splice(0)) d();
      if (this.queuedBytes === 0) for (const w of this.#sentWaiters.splice(0)) w();
      if (this.queued.length > 0) this.#tick();
      else if (this.eof) this.#eofSeen();
    });
  }
}

describe('Node adapters: 64 MiB through reader → Readable → Writable → writer', () => {
  it('moves every byte in order with every buffer bounded', async () => {
    const total = 64 * MiB;
    const window = 256 * KiB;
    const { buf, stats } = windowedPeer(total, window, 32 * KiB);
    const reader = new SSHReader(buf, { channel: null });
    const sink = new SlowSink(128 * KiB, 512 * KiB);
    const writer = new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null });
    const readable = readerToReadable(reader);
    const writable = writerToWritable(writer);
    let maxReadable = 0;
    let maxWritable = 0;
    sink.onWrite = () => {
      maxReadable = Math.max(maxReadable, readable.readableLength);
      maxWritable = Math.max(maxWritable, writable.writableLength);
    };
    await pipeline(readable, writable);
    await sink.eofSeen;
    expect(sink.received).toBe(total);
    expect(sink.bad).toBe(0);
    expect(stats.consumed).toBe(total);
    expect(stats.maxBuffered).toBeLessThanOrEqual(window);
    expect(sink.maxQueued).toBeLessThanOrEqual(128 * KiB + 64 * KiB);
    expect(maxReadable).toBeLessThanOrEqual(readable.readableHighWaterMark + 64 * KiB);
    expect(maxWritable).toBeLessThanOrEqual(writable.writableHighWaterMark + 64 * KiB);
  });
});

describe('readerToReadable', () => {
  it('reads from the reader only as the Readable is consumed', async () => {
    let consumed = 0;
    const buf = new ReadBuffer<Uint8Array>({ encoding: null, onConsumed: (n) => (consumed += n) });
    for (let i = 0; i < 64; i++) buf.push(patternChunk(i * 16 * KiB, 16 * KiB));
    buf.pushEof();
    const readable = readerToReadable(new SSHReader(buf, { channel: null }), { highWaterMark: 16 * KiB, chunkSize: 16 * KiB });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(consumed).toBe(0);
    readable.read(0); // a consumer asks: the Readable fills to its highWaterMark, no further
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(consumed).toBeGreaterThan(0);
    expect(consumed).toBeLessThanOrEqual(32 * KiB);
    let offset = 0;
    let bad = 0;
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      bad += mismatches(chunk, offset);
      offset += chunk.length;
    }
    expect(offset).toBe(MiB);
    expect(bad).toBe(0);
    expect(consumed).toBe(MiB);
  });

  it('pushes strings in object mode and Buffers otherwise', async () => {
    const make = (): SSHReader<string> => {
      const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
      buf.push(new TextEncoder().encode('héllo\nwörld'));
      buf.pushEof();
      return new SSHReader(buf, { channel: null });
    };
    const objects: unknown[] = await readerToReadable(make(), { objectMode: true, chunkSize: 4 }).toArray();
    expect(objects).toEqual(['héll', 'o\nwö', 'rld']);
    const buffers = (await readerToReadable(make()).toArray()) as Buffer[];
    expect(buffers.every((b) => Buffer.isBuffer(b))).toBe(true);
    expect(Buffer.concat(buffers).toString('utf8')).toBe('héllo\nwörld');
  });

  it('is destroyed with a read error', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    const signal = new Error('signal received');
    buf.push(Uint8Array.of(1, 2, 3));
    buf.pushError(signal);
    const readable = readerToReadable(new SSHReader(buf, { channel: null }));
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of readable as AsyncIterable<Buffer>) got.push(...chunk);
      })(),
    ).rejects.toBe(signal);
    expect(got).toEqual([1, 2, 3]);
  });
});

describe('readerToReadable errors in flowing mode', () => {
  // (A pipeline destroys its destination on error, dropping writes it still holds: the
  // destination here completes each write at once so that everything it was given shows.)
  it('delivers the data before the error through a pipeline', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    const lost = new Error('connection lost');
    const got: number[] = [];
    const done = pipeline(
      readerToReadable(new SSHReader(buf, { channel: null })),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          got.push(...chunk);
          callback();
        },
      }),
    );
    buf.push(Uint8Array.of(1, 2));
    await new Promise((r) => setImmediate(r));
    buf.push(Uint8Array.of(3));
    buf.push(Uint8Array.of(4));
    buf.fail(lost);
    await expect(done).rejects.toBe(lost);
    expect(got).toEqual([1, 2, 3, 4]);
  });
});

describe('writerToWritable', () => {
  it('writes, then sends EOF when it ends', async () => {
    const sink = new SlowSink(0, 1 * MiB);
    const writable = writerToWritable(new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }));
    await pipeline(Readable.from([patternChunk(0, 1000), patternChunk(1000, 24)]), writable);
    await sink.eofSeen;
    expect(sink.received).toBe(1024);
    expect(sink.bad).toBe(0);
  });

  it('does not send EOF when the writer cannot, or when told not to', async () => {
    for (const [canEof, option] of [
      [false, true],
      [true, false],
    ] as const) {
      const sink = new SlowSink(0, 1 * MiB);
      let eofs = 0;
      sink.canWriteEof = () => canEof;
      sink.writeEof = () => void eofs++;
      const writable = writerToWritable(new SSHWriter<string>(sink, { channel: null, encoding: 'utf-8' }), { writeEof: option });
      await pipeline(Readable.from(['text']), writable);
      expect(eofs).toBe(0);
    }
  });

  it('fails the stream when the writer throws', async () => {
    const sink = new SlowSink(0, 1 * MiB);
    const closed = new Error('channel closed');
    sink.write = () => {
      throw closed;
    };
    const writable = writerToWritable(new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }));
    await expect(pipeline(Readable.from([Buffer.from('x')]), writable)).rejects.toBe(closed);
  });
});

describe('pipeReadableToWriter', () => {
  it('reads the source only as fast as the writer drains, then sends EOF', async () => {
    const total = 8 * MiB;
    let produced = 0;
    const sink = new SlowSink(64 * KiB, 128 * KiB);
    let maxAhead = 0;
    const source = new Readable({
      highWaterMark: 16 * KiB,
      read() {
        maxAhead = Math.max(maxAhead, produced - sink.received);
        if (produced === total) this.push(null);
        else {
          this.push(patternChunk(produced, 16 * KiB));
          produced += 16 * KiB;
        }
      },
    });
    await pipeReadableToWriter(source, new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }));
    await sink.eofSeen;
    expect(sink.received).toBe(total);
    expect(sink.bad).toBe(0);
    expect(maxAhead).toBeLessThanOrEqual(256 * KiB);
  });

  it('writes strings as UTF-8 to a byte writer and can leave the writer open', async () => {
    const sink = new SlowSink(0, MiB);
    const writes: string[] = [];
    sink.write = (data) => void writes.push(new TextDecoder().decode(data));
    await pipeReadableToWriter(Readable.from(['né', Buffer.from('e')]), new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }), { end: false });
    expect(writes).toEqual(['né', 'e']);
    expect(sink.eof).toBe(false);
  });

  it("relays a child process's stdout from one reused read buffer, as fast as the writer drains", async () => {
    const total = 8 * MiB;
    const child = patternWriter(total);
    const sink = new SlowSink(64 * KiB, 128 * KiB);
    await pipeReadableToWriter(child.stdout, new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }));
    await sink.eofSeen;
    expect(sink.received).toBe(total);
    expect(sink.bad).toBe(0);
    expect(sink.transientWrites).toBeGreaterThan(1);
    // Reading stops above the low-water mark: at most one read more waits. (A pipe read is
    // usually its 64 KiB capacity, but one racing the writer on another CPU can take more.)
    expect(sink.maxQueuedAtWrite).toBeLessThanOrEqual(64 * KiB);
    expect(sink.maxQueued).toBeLessThanOrEqual(64 * KiB + sink.maxWrite);
  });

  it('stops reading while part of a read waits to be sent, when the writer can tell', async () => {
    const total = 8 * MiB;
    const child = patternWriter(total);
    const sink = new SlowSink(64 * KiB, 16 * KiB, true);
    await pipeReadableToWriter(child.stdout, new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }));
    await sink.eofSeen;
    expect(sink.received).toBe(total);
    expect(sink.bad).toBe(0);
    // Each read waits until the one before it has gone out: never two reads queued at once.
    expect(sink.maxQueuedAtWrite).toBe(0);
    expect(sink.maxQueued).toBe(sink.maxWrite);
    expect(sink.transientWrites).toBeGreaterThanOrEqual(total / (64 * KiB));
  });

  it('rejects with the writer\'s error and stops reading the child', async () => {
    const child = patternWriter(64 * MiB);
    const sink = new SlowSink(64 * KiB, 128 * KiB);
    let writes = 0;
    sink.onWrite = () => {
      if (++writes === 3) sink.eof = true;
    };
    const writer = new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null });
    await expect(pipeReadableToWriter(child.stdout, writer)).rejects.toThrow(/write after EOF/);
    expect(child.stdout.destroyed).toBe(true);
    // The fourth write threw; nothing is written after it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writes).toBe(3);
  });
});

describe('nodePump', () => {
  it("relays a child's stdout with transient writes, and anything else as pump() does", async () => {
    const total = 2 * MiB;
    const sink = new SlowSink(64 * KiB, 256 * KiB);
    await nodePump(patternWriter(total).stdout as Readable, new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }), { sendEof: false });
    expect(sink.received).toBe(total);
    expect(sink.bad).toBe(0);
    expect(sink.transientWrites).toBeGreaterThan(1);
    expect(sink.eof).toBe(false);

    const other = new SlowSink(64 * KiB, 256 * KiB);
    await nodePump(Readable.from([patternChunk(0, 1000)]), new SSHWriter<Uint8Array>(other, { channel: null, encoding: null }));
    await other.eofSeen;
    expect(other.received).toBe(1000);
    expect(other.transientWrites).toBe(0);
  });

  it("is what a process's redirect() copies its sources with, EOF going once stdout and stderr both ended", async () => {
    const calls: unknown[] = [];
    const finish = new Map<unknown, () => void>();
    const spy: Pump = (source, _target, options) => {
      calls.push([source, options]);
      return new Promise<void>((resolve) => finish.set(source, resolve));
    };
    const channel = new SSHChannel<Uint8Array>({ getExtraInfo: () => undefined }, { encoding: null, manualWindow: true });
    const streams = new StreamSession<Uint8Array>(channel, { encoding: null, pump: spy });
    const proc = new SSHServerProcess<Uint8Array>(channel as unknown as SSHServerChannel<Uint8Array>, streams);
    const eof = vi.spyOn(proc.stdout, 'writeEof').mockImplementation(() => undefined);
    vi.spyOn(proc.stdout, 'canWriteEof').mockReturnValue(true);
    const out = Readable.from([]);
    const err = Readable.from([]);
    const done = proc.redirect({ stdout: out, stderr: err });
    expect(calls).toEqual([
      [out, { sendEof: false }],
      [err, { sendEof: false }],
    ]);
    finish.get(out)?.();
    await new Promise((resolve) => setImmediate(resolve));
    // CHANNEL_EOF would end stderr too: not while its source still runs.
    expect(eof).not.toHaveBeenCalled();
    finish.get(err)?.();
    await done;
    expect(eof).toHaveBeenCalledTimes(1);
  });
});

describe('relaying a pipe that already holds bytes', () => {
  it('relays them first, and rejects (never hangs) when the writer refuses them', async () => {
    const child = patternWriter(256 * KiB);
    const stdout = child.stdout as Readable;
    await new Promise<void>((resolve) => stdout.once('readable', () => resolve()));
    expect(stdout.readableLength).toBeGreaterThan(0);
    const sink = new SlowSink(64 * KiB, 128 * KiB);
    sink.eof = true;
    await expect(pipeReadableToWriter(stdout, new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null }))).rejects.toThrow(/write after EOF/);
    expect(stdout.destroyed).toBe(true);

    const again = patternWriter(256 * KiB);
    const held = again.stdout as Readable;
    await new Promise<void>((resolve) => held.once('readable', () => resolve()));
    const ok = new SlowSink(64 * KiB, 128 * KiB);
    await pipeReadableToWriter(held, new SSHWriter<Uint8Array>(ok, { channel: null, encoding: null }));
    await ok.eofSeen;
    expect(ok.received).toBe(256 * KiB);
    expect(ok.bad).toBe(0);
  });
});

/** A node child writing `bytes` of the test pattern to its stdout. */
function patternWriter(bytes: number) {
  const script = `const pat=(i)=>(i^(i>>>8)^(i>>>16)^(i>>>24))&0xff;const n=${bytes};const b=Buffer.alloc(n);for(let i=0;i<n;i++)b[i]=pat(i);process.stdout.write(b)`;
  // stderr ignored: the child reports EPIPE when a test stops reading it early.
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return child;
}

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe('pipeReaderToWritable', () => {
  it('moves a windowed stream into a slow Writable with bounded buffers', async () => {
    const total = 8 * MiB;
    const window = 128 * KiB;
    const { buf, stats } = windowedPeer(total, window, 32 * KiB);
    let received = 0;
    let bad = 0;
    let maxPending = 0;
    let finished = false;
    const writable: Writable = new Writable({
      highWaterMark: 32 * KiB,
      write(chunk: Buffer, _encoding, callback) {
        maxPending = Math.max(maxPending, writable.writableLength);
        bad += mismatches(chunk, received);
        received += chunk.length;
        setImmediate(callback);
      },
      final(callback) {
        finished = true;
        callback();
      },
    });
    await pipeReaderToWritable(new SSHReader(buf, { channel: null }), writable, { chunkSize: 16 * KiB });
    expect(finished).toBe(true);
    expect(received).toBe(total);
    expect(bad).toBe(0);
    expect(stats.maxBuffered).toBeLessThanOrEqual(window);
    expect(maxPending).toBeLessThanOrEqual(32 * KiB + 16 * KiB);
  });

  it('rejects when the Writable fails, and with a read error', async () => {
    const { buf } = windowedPeer(4 * MiB, 64 * KiB, 16 * KiB);
    const broken = new Error('EPIPE');
    const writable = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        setImmediate(() => callback(broken));
      },
    });
    await expect(pipeReaderToWritable(new SSHReader(buf, { channel: null }), writable)).rejects.toBe(broken);

    const failing = new ReadBuffer<string>({ encoding: 'utf-8' });
    failing.push(new TextEncoder().encode('partial'));
    const lost = new Error('connection lost');
    failing.fail(lost);
    const out: string[] = [];
    const sinkStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk.toString());
        callback();
      },
    });
    await expect(pipeReaderToWritable(new SSHReader(failing, { channel: null }), sinkStream)).rejects.toBe(lost);
    expect(out).toEqual(['partial']);
  });
});
