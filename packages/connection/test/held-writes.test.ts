/**
 * Small channel writes held to the end of the turn (MuxOptions.onHeldWrites) and sent merged:
 * what goes on the wire, in what order, and when.
 */
import fc from 'fast-check';
import { MSG } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import type { Channel, ChannelHandler, IncomingChannelOpen } from '../src/index.ts';
import { muxPair, type MuxPair } from './helpers/mux-pair.ts';

interface Peer extends ChannelHandler {
  channel?: Channel;
  /** Each data message received: its type (undefined for CHANNEL_DATA) and bytes. */
  readonly messages: { datatype: number | undefined; bytes: Uint8Array }[];
  readonly log: string[];
}

function peer(): Peer {
  const p: Peer = {
    messages: [],
    log: [],
    onData(data, datatype) {
      p.messages.push({ datatype, bytes: data.slice() });
      p.log.push(datatype === undefined ? 'data' : `ext${datatype}`);
    },
    onEof() {
      p.log.push('eof');
    },
    onRequest(type) {
      p.log.push(type);
      return true;
    },
    onClose() {
      p.log.push('close');
    },
  };
  return p;
}

interface Setup {
  readonly pair: MuxPair;
  readonly channel: Channel;
  readonly server: Peer;
  /** How often the client's mux asked for sendHeld(). */
  readonly scheduled: () => number;
}

/** A client channel whose small writes are held; the server side accepts with the given limits. */
function setup(server: { windowSize?: number; maxPacketSize?: number } = {}, options: { datagram?: boolean } = {}): Setup {
  let scheduled = 0;
  const serverPeer = peer();
  const pair = muxPair(
    { onHeldWrites: () => scheduled++ },
    {
      ...server,
      onChannelOpen: (req: IncomingChannelOpen) => {
        serverPeer.channel = req.accept(serverPeer, options);
      },
    },
  );
  const channel = pair.client.openChannel('session', { type: 'session' }, peer(), options);
  pair.pump();
  return { pair, channel, server: serverPeer, scheduled: () => scheduled };
}

/** CHANNEL_DATA and CHANNEL_EXTENDED_DATA messages waiting to reach the server. */
const dataInFlight = (pair: MuxPair): number => pair.toServer.filter((m) => m[0] === MSG.CHANNEL_DATA || m[0] === MSG.CHANNEL_EXTENDED_DATA).length;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (chunks: readonly { bytes: Uint8Array }[]): string => chunks.map((m) => new TextDecoder().decode(m.bytes)).join('');

describe('small writes held to the end of the turn', () => {
  it('sends the small writes of one turn as one message, in order, once sendHeld() comes', () => {
    const { pair, channel, server, scheduled } = setup();
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`);
    for (const line of lines) channel.write(bytes(line));
    expect(scheduled()).toBe(1);
    expect(dataInFlight(pair)).toBe(0);
    expect(channel.writeBufferSize).toBe(lines.join('').length);
    pair.client.sendHeld();
    expect(dataInFlight(pair)).toBe(1);
    pair.pump();
    expect(server.messages).toHaveLength(1);
    expect(text(server.messages)).toBe(lines.join(''));
    expect(channel.writeBufferSize).toBe(0);
    // The next turn holds again.
    channel.write(bytes('more'));
    expect(scheduled()).toBe(2);
    pair.client.sendHeld();
    pair.pump();
    expect(text(server.messages.slice(1))).toBe('more');
    expect(pair.failures).toEqual([]);
  });

  it('sends a million small writes of one turn (the queue does not slow down as it grows)', () => {
    const { pair, channel, server } = setup({ windowSize: 1 << 30 });
    const line = bytes('a line of output\n');
    for (let i = 0; i < 1_000_000; i++) channel.write(line);
    pair.client.sendHeld();
    pair.pump();
    expect(server.messages.reduce((n, m) => n + m.bytes.length, 0)).toBe(line.length * 1_000_000);
    // Full packets: as few messages as the maximum packet allows.
    expect(server.messages.length).toBe(Math.ceil((line.length * 1_000_000) / (Math.floor(32_768 / line.length) * line.length)));
  });

  it('fills messages up to the peer\'s maximum packet and waits for its window', () => {
    const { pair, channel, server } = setup({ windowSize: 2000, maxPacketSize: 1000 });
    for (let i = 0; i < 10; i++) channel.write(new Uint8Array(300).fill(i));
    pair.client.sendHeld();
    pair.pump();
    // Three writes per message of at most 1000 bytes, and the window of 2000 filled (a write
    // split at its edge, as any stream data); the 1000 bytes left wait for the server to consume.
    expect(server.messages.map((m) => m.bytes.length)).toEqual([900, 900, 200]);
    expect(channel.writeBufferSize).toBe(1000);
    server.channel?.consume(2000);
    pair.pump();
    expect(server.messages.map((m) => m.bytes.length)).toEqual([900, 900, 200, 1000]);
    const got = Buffer.concat(server.messages.map((m) => m.bytes));
    for (let i = 0; i < 10; i++) expect(got.subarray(i * 300, (i + 1) * 300).every((b) => b === i)).toBe(true);
    expect(pair.failures).toEqual([]);
  });

  it('never merges data with extended data, and keeps their order', () => {
    const { pair, channel, server } = setup();
    channel.write(bytes('a1'));
    channel.write(bytes('a2'));
    channel.write(bytes('e1'), 1);
    channel.write(bytes('e2'), 1);
    channel.write(bytes('a3'));
    pair.client.sendHeld();
    pair.pump();
    expect(server.messages.map((m) => [m.datatype, new TextDecoder().decode(m.bytes)])).toEqual([
      [undefined, 'a1a2'],
      [1, 'e1e2'],
      [undefined, 'a3'],
    ]);
  });

  it('sends held writes at once, ahead of a large write, an EOF, a request or a close', () => {
    const { pair, channel, server } = setup();
    channel.write(bytes('small'));
    channel.write(new Uint8Array(16 * 1024).fill(7));
    // No sendHeld(): the large write went out synchronously, after the small one.
    expect(dataInFlight(pair)).toBe(2);
    channel.write(bytes('tail'));
    channel.sendRequest('exit-status', { type: 'exit-status', exitStatus: 0 });
    channel.writeEof();
    channel.close();
    expect(dataInFlight(pair)).toBe(3);
    pair.pump();
    expect(server.messages.map((m) => m.bytes.length)).toEqual([5, 16 * 1024, 4]);
    expect(server.log).toEqual(['data', 'data', 'data', 'exit-status', 'eof', 'close']);
    // The host's later sendHeld() finds nothing left.
    pair.client.sendHeld();
    expect(pair.toServer).toEqual([]);
  });

  it('copies a held transient write: the caller may reuse its buffer at once', () => {
    const { pair, channel, server } = setup();
    const buf = new Uint8Array(100).fill(1);
    channel.write(buf, undefined, true);
    buf.fill(2);
    channel.write(buf, undefined, true);
    buf.fill(3);
    pair.client.sendHeld();
    pair.pump();
    const got = Buffer.concat(server.messages.map((m) => m.bytes));
    expect([...got.subarray(0, 100)].every((b) => b === 1)).toBe(true);
    expect([...got.subarray(100)].every((b) => b === 2)).toBe(true);
  });

  it('leaves datagram channels alone: each write is its own message, sent at once', () => {
    const { pair, channel, server, scheduled } = setup({}, { datagram: true });
    channel.write(bytes('one'));
    channel.write(bytes('two'));
    expect(scheduled()).toBe(0);
    expect(dataInFlight(pair)).toBe(2);
    pair.pump();
    expect(server.messages.map((m) => new TextDecoder().decode(m.bytes))).toEqual(['one', 'two']);
  });

  it('drops held writes with the connection, sending nothing', () => {
    const { pair, channel } = setup();
    channel.write(bytes('lost'));
    pair.client.teardown(new Error('gone'));
    pair.client.sendHeld();
    expect(dataInFlight(pair)).toBe(0);
    expect(channel.state).toBe('closed');
  });

  it('without onHeldWrites sends every write at once', () => {
    const server = peer();
    const pair = muxPair(
      {},
      {
        onChannelOpen: (req) => {
          server.channel = req.accept(server);
        },
      },
    );
    const channel = pair.client.openChannel('session', { type: 'session' }, peer());
    pair.pump();
    channel.write(bytes('x'));
    channel.write(bytes('y'));
    expect(dataInFlight(pair)).toBe(2);
    pair.pump();
    expect(server.messages.map((m) => new TextDecoder().decode(m.bytes))).toEqual(['x', 'y']);
  });
});

/** One step of a writer: a write of `size` bytes (stdout or stderr), the end of a turn, or the peer consuming. */
type Step = { kind: 'write'; size: number; stderr: boolean } | { kind: 'turn' } | { kind: 'consume'; bytes: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), size: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 7000, max: 9000 }), fc.integer({ min: 1, max: 40_000 })), stderr: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('turn' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('consume' as const), bytes: fc.integer({ min: 1, max: 20_000 }) }) },
);

describe('held writes, any sequence', () => {
  it('delivers every byte of each stream in order, never a message over the max packet or the window', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), fc.integer({ min: 1000, max: 40_000 }), fc.integer({ min: 2000, max: 64_000 }), (steps, maxPacketSize, windowSize) => {
        const { pair, channel, server } = setup({ windowSize, maxPacketSize });
        const sent: [Uint8Array[], Uint8Array[]] = [[], []];
        let next = 0;
        // The reader takes at most what it received (a receive window never grows past its size).
        let consumed = 0;
        let received = 0;
        let counted = 0;
        const consume = (bytes: number): void => {
          for (; counted < server.messages.length; counted++) received += (server.messages[counted] as { bytes: Uint8Array }).bytes.length;
          const n = Math.min(bytes, received - consumed);
          consumed += n;
          if (n > 0) server.channel?.consume(n);
        };
        for (const step of steps) {
          if (step.kind === 'write') {
            const bytes = Uint8Array.from({ length: step.size }, () => next++ & 0xff);
            sent[step.stderr ? 1 : 0].push(bytes.slice());
            channel.write(bytes, step.stderr ? 1 : undefined);
          } else if (step.kind === 'turn') {
            pair.client.sendHeld();
            pair.pump();
          } else {
            consume(step.bytes);
            pair.pump();
          }
        }
        // The end: the turn ends, and the reader takes everything.
        for (let i = 0; i < 10_000 && (channel.writeBufferSize > 0 || pair.toServer.length > 0); i++) {
          pair.client.sendHeld();
          pair.pump();
          consume(windowSize);
          pair.pump();
        }
        expect(channel.writeBufferSize).toBe(0);
        expect(pair.failures).toEqual([]);
        for (const m of server.messages) expect(m.bytes.length).toBeLessThanOrEqual(Math.min(maxPacketSize, windowSize));
        const got = (stderr: boolean): Buffer => Buffer.concat(server.messages.filter((m) => (m.datatype === 1) === stderr).map((m) => m.bytes));
        expect(got(false).equals(Buffer.concat(sent[0]))).toBe(true);
        expect(got(true).equals(Buffer.concat(sent[1]))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
