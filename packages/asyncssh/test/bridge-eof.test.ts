/**
 * SSHForwarder started on a socket that was read before (a SOCKS handshake reads the request
 * first): an end of input the client sent meanwhile still travels to the channel.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SSHChannel } from '@ssh/connection';
import { SSHForwarder } from '../src/bridge.ts';
import { bounded } from './forward-helpers.ts';

/** The parts of a channel the forwarder uses, recording what it is told. */
function recordingChannel(): { channel: SSHChannel<Uint8Array>; events: string[]; data: number[] } {
  const events: string[] = [];
  const data: number[] = [];
  const channel = {
    isClosing: () => false,
    write: (chunk: Uint8Array) => {
      data.push(...chunk);
    },
    writeEof: () => events.push('eof'),
    close: () => events.push('close'),
    abort: () => events.push('abort'),
    resumeReading: () => undefined,
    pauseReading: () => undefined,
    setWriteBufferLimits: () => undefined,
  };
  return { channel: channel as unknown as SSHChannel<Uint8Array>, events, data };
}

/** Resolves once the channel was given EOF (fails after 5 s). */
function eofReached(events: readonly string[]): Promise<void> {
  return bounded(
    (async () => {
      while (!events.includes('eof')) await new Promise((r) => setTimeout(r, 10));
    })(),
    5_000,
    'end of input reaching the channel',
  );
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** A connected pair: the accepted socket (read like a SOCKS handshake reads it) and the client. */
async function pair(): Promise<{ accepted: net.Socket; client: net.Socket }> {
  let accept: (s: net.Socket) => void = () => undefined;
  const got = new Promise<net.Socket>((resolve) => (accept = resolve));
  const server = net.createServer({ allowHalfOpen: true }, (s) => accept(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, allowHalfOpen: true });
  const accepted = await got;
  cleanup.push(() => {
    client.destroy();
    accepted.destroy();
    server.close();
  });
  return { accepted, client };
}

describe('SSHForwarder.start after the socket was read', () => {
  it('passes on data and an end of input that arrived before start', async () => {
    const { accepted, client } = await pair();
    // Read the first bytes as a handshake does, then stop reading until the channel is open.
    const first = bounded(new Promise<Buffer>((resolve) => accepted.once('data', resolve)), 5_000, 'handshake bytes');
    client.write(Uint8Array.of(0));
    expect([...(await first)]).toEqual([0]);
    accepted.pause();
    client.end(Uint8Array.of(1, 2, 3));
    await new Promise((r) => setTimeout(r, 100));
    const { channel, events, data } = recordingChannel();
    new SSHForwarder(accepted).start(channel);
    await eofReached(events);
    expect(data).toEqual([1, 2, 3]);
  });

  it('passes on an end of input that arrived, with no data, before start', async () => {
    const { accepted, client } = await pair();
    const first = bounded(new Promise<Buffer>((resolve) => accepted.once('data', resolve)), 5_000, 'handshake bytes');
    client.end(Uint8Array.of(0));
    await first;
    accepted.pause();
    await new Promise((r) => setTimeout(r, 100));
    const { channel, events, data } = recordingChannel();
    new SSHForwarder(accepted).start(channel);
    await eofReached(events);
    expect(data).toEqual([]);
  });
});
