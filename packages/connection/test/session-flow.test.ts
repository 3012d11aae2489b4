/**
 * Session-level flow control and faults over the in-memory multiplexer pair: a StreamSession
 * reopens the window only as its reader takes data (an unread stream stops the peer), writers
 * see the peer's close as ChannelClosedError, and drain() and reads never hang on a closed
 * channel or a lost connection. RFC 4254 §5.2.
 */
import { ConnectionLost } from '@ssh/transport';
import { describe, expect, it } from 'vitest';
import { type Channel, ChannelClosedError, type IncomingChannelOpen } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';
import { streamChannel } from './helpers/stream-channel.ts';

const WINDOW = 64 * 1024;

/** A client stream channel and the server's, open to each other, the server's window WINDOW. */
function openPair() {
  const server = streamChannel();
  const p = muxPair({}, { windowSize: WINDOW, onChannelOpen: (req: IncomingChannelOpen) => server.channel.attach(req.accept(server.channel.handler)) });
  const client = streamChannel();
  const mux: Channel = p.client.openChannel('session', { type: 'session' }, client.channel.handler);
  p.pump();
  expect(client.channel.muxChannel).toBe(mux);
  return { p, client, server, mux };
}

describe('StreamSession flow control', () => {
  it('holds the peer at the window while nobody reads, and lets it go on as the reader reads', async () => {
    const { p, client, server, mux } = openPair();
    const sent = 10 * WINDOW;
    const payload = new Uint8Array(sent).map((_, i) => i & 0xff);
    client.session.writer().write(payload);
    p.pump();
    // Only the window crossed: the rest waits on the sender, not in the receiver's memory.
    expect(server.session.buffer(undefined).buffered).toBe(WINDOW);
    expect(mux.writeBufferSize).toBe(sent - WINDOW);
    const reader = server.session.reader();
    const received: Uint8Array[] = [];
    let total = 0;
    while (total < sent) {
      const chunk = await reader.read(WINDOW / 4);
      received.push(chunk);
      total += chunk.length;
      p.pump();
      expect(server.session.buffer(undefined).buffered).toBeLessThanOrEqual(WINDOW);
    }
    expect(total).toBe(sent);
    expect(mux.writeBufferSize).toBe(0);
    expect(Buffer.concat(received).equals(Buffer.from(payload))).toBe(true);
  });

  it('drain() waits above the write limit and resolves once the reader took the data', async () => {
    const { p, client, server } = openPair();
    client.channel.setWriteBufferLimits(2 * WINDOW, WINDOW);
    const writer = client.session.writer();
    writer.write(new Uint8Array(4 * WINDOW));
    p.pump();
    let drained = false;
    const draining = writer.drain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    // Read (and let window adjustments cross) until drain() resolves: before all data was read.
    const reader = server.session.reader();
    let read = 0;
    while (!drained && read < 4 * WINDOW) {
      read += (await reader.read(WINDOW / 4)).length;
      p.pump();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(drained).toBe(true);
    expect(read).toBeLessThan(4 * WINDOW);
    await draining;
  });
});

describe('StreamSession whenSent', () => {
  it('is undefined while nothing waits for the window, and resolves once what waited went out', async () => {
    const { p, client, server } = openPair();
    const writer = client.session.writer();
    expect(writer.whenSent()).toBeUndefined();
    writer.write(new Uint8Array(WINDOW / 2));
    p.pump();
    expect(writer.whenSent()).toBeUndefined();
    writer.write(new Uint8Array(WINDOW));
    p.pump();
    let sent = false;
    const sending = writer.whenSent()?.then(() => (sent = true));
    expect(sending).toBeDefined();
    const reader = server.session.reader();
    let read = 0;
    while (!sent) {
      read += (await reader.read(WINDOW / 4)).length;
      p.pump();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // It resolved once the last bytes crossed, before the reader took them all.
    expect(read).toBeLessThan(WINDOW + WINDOW / 2);
    expect(writer.whenSent()).toBeUndefined();
    await sending;
  });
});

describe('StreamSession faults', () => {
  it('the peer closes while we write: writes throw ChannelClosedError, drain() resolves, reads end', async () => {
    const { p, client, server } = openPair();
    const writer = client.session.writer();
    writer.write(new Uint8Array(4 * WINDOW));
    p.pump();
    const draining = writer.drain();
    server.channel.close();
    p.pump();
    await draining;
    expect(() => writer.write(new Uint8Array(1))).toThrow(ChannelClosedError);
    await client.channel.waitClosed();
    expect(await client.session.reader().read()).toEqual(new Uint8Array(0));
    await writer.drain();
  });

  it('the connection is lost: reads fail with ConnectionLost after the data before it, drain() resolves', async () => {
    const { p, client, server } = openPair();
    server.session.writer().write(new TextEncoder().encode('before'));
    client.session.writer().write(new Uint8Array(4 * WINDOW));
    p.pump();
    const draining = client.session.writer().drain();
    const lost = new ConnectionLost('peer went away');
    p.client.teardown(lost);
    await draining;
    const reader = client.session.reader();
    expect(new TextDecoder().decode(await reader.read())).toBe('before');
    await expect(reader.read()).rejects.toBe(lost);
    await expect(client.session.reader(1).read()).rejects.toBe(lost);
    expect(client.channel.closedWith).toBe(lost);
    expect(() => client.session.writer().write(new Uint8Array(1))).toThrow(ChannelClosedError);
  });
});
