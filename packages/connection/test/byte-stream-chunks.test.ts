/**
 * SSHReader.chunks(): received data chunk by chunk; with `transient` on a byte stream, each
 * chunk's buffer goes back to the transport's packet pool (releasePayload) once the consumer asks
 * for the next one or leaves the loop, never earlier, and only a chunk nothing else can hold a
 * view of: not one a read took a part of, not fed data, not data a subclass saw first.
 */
import type * as Transport from '@ssh/transport';
import { describe, expect, it, vi } from 'vitest';
import {
  type Channel,
  type IncomingChannelOpen,
  SSHLineEditorChannel,
  type SSHServerProcess,
  ServerProcessSession,
  type StreamSession,
  type SSHChannel,
} from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';
import { keepingSession, sessionTo, streamChannel } from './helpers/stream-channel.ts';

const released = vi.hoisted(() => [] as Uint8Array[]);
vi.mock('@ssh/transport', async (original) => ({
  ...(await original<typeof Transport>()),
  releasePayload: (payload: Uint8Array) => released.push(payload),
}));

function bytePair(make?: (channel: SSHChannel<Uint8Array>, options: { encoding: string | null }) => StreamSession<Uint8Array>) {
  const server = streamChannel<Uint8Array>(null, make);
  return { session: server.session, send: sessionTo(server).send };
}

const filled = (n: number, value: number): Uint8Array => new Uint8Array(n).fill(value);

describe('SSHReader.chunks', () => {
  it('with transient, releases a chunk once the next is asked for, and the last when the loop ends', async () => {
    released.length = 0;
    const { session, send } = bytePair();
    const reader = session.reader();
    send(filled(10, 1), filled(20, 2), filled(30, 3));
    const seen: number[] = [];
    for await (const chunk of reader.chunks({ transient: true })) {
      // Nothing is released while the consumer holds the chunk.
      expect(released.includes(chunk)).toBe(false);
      expect(chunk.every((b) => b === chunk.length / 10)).toBe(true);
      seen.push(chunk.length);
      expect(released.length).toBe(seen.length - 1);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([10, 20, 30]);
    expect(released.map((c) => c.length)).toEqual([10, 20, 30]);
  });

  it('without transient, hands over the chunks as they arrived and releases nothing', async () => {
    released.length = 0;
    const { session, send } = bytePair();
    const reader = session.reader();
    send(filled(10, 1), filled(20, 2));
    reader.feedEof();
    const lengths: number[] = [];
    for await (const chunk of reader.chunks()) lengths.push(chunk.length);
    expect(lengths).toEqual([10, 20]);
    expect(released).toEqual([]);
  });

  it('never releases a chunk a read took a part of, nor fed data', async () => {
    released.length = 0;
    const { session, send } = bytePair();
    const reader = session.reader();
    send(filled(10, 1), filled(20, 2));
    const head = await reader.readexactly(4);
    reader.feedData(filled(5, 9));
    reader.feedEof();
    const got: Uint8Array[] = [];
    for await (const chunk of reader.chunks({ transient: true })) got.push(chunk);
    expect(got.map((c) => c.length)).toEqual([6, 20, 5]);
    // Only the untouched received chunk went back; the part read out stays intact.
    expect(released).toEqual([got[1]]);
    expect(head.every((b) => b === 1)).toBe(true);
  });

  it('releases nothing when a subclass takes received data first', async () => {
    released.length = 0;
    const kept: Uint8Array[] = [];
    const { session, send } = bytePair(keepingSession(kept));
    const reader = session.reader();
    send(filled(10, 1), filled(20, 2));
    reader.feedEof();
    for await (const chunk of reader.chunks({ transient: true })) void chunk;
    expect(kept.length).toBe(2);
    expect(released).toEqual([]);
  });

  it('on a text stream yields the decoded text', async () => {
    released.length = 0;
    const server = streamChannel<string>('utf-8');
    const { send } = sessionTo(server);
    const reader = server.session.reader();
    send(new TextEncoder().encode('h\u00e9llo').subarray(0, 2), new TextEncoder().encode('h\u00e9llo').subarray(2));
    reader.feedEof();
    let text = '';
    for await (const chunk of reader.chunks({ transient: true })) text += chunk;
    expect(text).toBe('h\u00e9llo');
  });
});

describe('a process factory session', () => {
  /** A started exec session with a byte (encoding null) or text stdin; the client's channel and a send. */
  async function started(encoding: string | null) {
    const channel = new SSHLineEditorChannel<Uint8Array>({ getExtraInfo: () => undefined }, {}, { encoding: null, manualWindow: true });
    let proc: SSHServerProcess<string | Uint8Array> | undefined;
    const session = new ServerProcessSession<string | Uint8Array>(channel, { encoding, factory: (p: SSHServerProcess<string | Uint8Array>) => void (proc = p) });
    channel.bindSession(session);
    const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => channel.attach(req.accept(channel.handler)) });
    const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
    p.pump();
    client.sendRequest('exec', { type: 'exec', command: new TextEncoder().encode('x') });
    for (let i = 0; i < 5 && proc === undefined; i++) {
      await new Promise((r) => setTimeout(r, 0));
      p.pump();
    }
    if (proc === undefined) throw new Error('the session did not start');
    const send = (...chunks: readonly Uint8Array[]): void => {
      for (const chunk of chunks) client.write(chunk);
      p.pump();
    };
    return { proc, send };
  }

  it('recycles stdin read through transient chunks, and text stdin once decoded', async () => {
    released.length = 0;
    const bytes = await started(null);
    bytes.send(filled(10, 1), filled(20, 2));
    const it = bytes.proc.stdin.chunks({ transient: true });
    const first = (await it.next()).value as Uint8Array;
    expect(released).toEqual([]);
    await it.next();
    expect(released).toEqual([first]);

    released.length = 0;
    const text = await started('utf-8');
    text.send(new TextEncoder().encode('hello'));
    expect(await text.proc.stdin.read(100)).toBe('hello');
    expect(released.map((c) => c.length)).toEqual([5]);
  });
});
