/**
 * SSHForwarder hands each received payload's buffer back to the transport's packet pool once the
 * local socket has written it (so that a bulk forward reuses a few buffers instead of allocating
 * one per packet), and never while the bytes may still be needed: not before the write, and not
 * at all when a subclass overrides dataReceived() (it may keep the data).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { takePacketBuffer } from '@ssh/crypto';
import type { SSHChannel } from '@ssh/connection';
import { SSHForwarder } from '../src/bridge.ts';
import { bounded } from './forward-helpers.ts';

const SIZE = 32 * 1024 + 9;

/** The parts of a channel the forwarder uses when it is given data. */
const channel = { pauseReading: () => undefined } as unknown as SSHChannel<Uint8Array>;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** A connected pair: our end (the forwarder writes to it) and the peer, which collects what it reads. */
async function pair(): Promise<{ ours: net.Socket; received: () => Buffer; ended: Promise<void> }> {
  let accept: (s: net.Socket) => void = () => undefined;
  const got = new Promise<net.Socket>((resolve) => (accept = resolve));
  const server = net.createServer((s) => accept(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ours = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  const peer = await got;
  const chunks: Buffer[] = [];
  peer.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((resolve) => peer.once('end', () => resolve()));
  cleanup.push(() => {
    ours.destroy();
    peer.destroy();
    server.close();
  });
  return { ours, received: () => Buffer.concat(chunks), ended };
}

/** A payload as the transport opens one: a view of a pooled packet buffer, filled with `fill`. */
function payload(fill: number): Uint8Array {
  const packet = takePacketBuffer(SIZE);
  packet.fill(fill);
  return packet.subarray(9);
}

describe('SSHForwarder releases written payloads', () => {
  it('hands the buffer back once the socket wrote it, and the peer gets the bytes intact', async () => {
    const { ours, received, ended } = await pair();
    const bridge = new SSHForwarder(ours);
    bridge.connectionMade(channel);
    const data = payload(0x5a);
    bridge.dataReceived(data);
    // Until the write completes, the pool must not give the buffer to anyone else.
    const meanwhile = takePacketBuffer(SIZE);
    expect(meanwhile.buffer).not.toBe(data.buffer);
    await bounded(new Promise<void>((resolve) => ours.write(new Uint8Array(0), () => resolve())), 5_000, 'the write');
    const next = takePacketBuffer(SIZE);
    expect(next.buffer).toBe(data.buffer);
    next.fill(0x11);
    ours.end();
    await bounded(ended, 5_000, 'the peer reading to the end');
    expect(received()).toEqual(Buffer.alloc(SIZE - 9, 0x5a));
  });

  it('keeps the buffer of a subclass that overrides dataReceived()', async () => {
    const { ours } = await pair();
    const kept: Uint8Array[] = [];
    class Keeping extends SSHForwarder {
      override dataReceived(data: Uint8Array): void {
        kept.push(data);
        super.dataReceived(data);
      }
    }
    const bridge = new Keeping(ours);
    bridge.connectionMade(channel);
    const data = payload(0x33);
    bridge.dataReceived(data);
    await bounded(new Promise<void>((resolve) => ours.write(new Uint8Array(0), () => resolve())), 5_000, 'the write');
    const next = takePacketBuffer(SIZE);
    expect(next.buffer).not.toBe(data.buffer);
    next.fill(0x11);
    expect(kept[0]).toEqual(new Uint8Array(SIZE - 9).fill(0x33));
  });
});
