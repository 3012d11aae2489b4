/**
 * The maximum packet size a channel advertises (maxPktsize) against what the transport accepts:
 * a peer that fills packets to the advertised size must get through, so channels never advertise
 * more than fits in the transport's packet_length limit, and asking for more raises that limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PACKET_OVERHEAD, DEFAULT_TRANSPORT_PACKET_LIMIT } from '@ssh/connection';
import { connect, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { loopbackKeys } from './loopback-keys.ts';

const keys = loopbackKeys();
const TOTAL = 4 * 1024 * 1024;
let acceptor: SSHAcceptor;

beforeAll(async () => {
  acceptor = await listen('127.0.0.1', 0, {
    ...keys.serverOptions,
    encoding: null,
    // The server sends in packets as large as the client allows: 1 MiB writes, split by its window.
    processFactory: async (p: SSHServerProcess<Uint8Array>) => {
      for (let sent = 0; sent < TOTAL; sent += 1 << 20) {
        p.stdout.write(new Uint8Array(1 << 20).fill(sent >>> 20));
        await p.stdout.drain();
      }
      p.exit(0);
    },
    window: 8 * 1024 * 1024,
    maxPktsize: 2 * 1024 * 1024,
  });
});

afterAll(async () => {
  acceptor?.close();
  await acceptor?.waitClosed();
});

/** Reads the process's output; the largest chunk is the largest data packet received. */
async function largestPacket(maxPktsize: number | undefined, channelMaxPktsize?: number): Promise<number> {
  const conn = await connect({
    ...keys.clientOptions(acceptor.getPort()),
    ...(maxPktsize === undefined ? {} : { maxPktsize }),
    window: 8 * 1024 * 1024,
  });
  try {
    const proc = await conn.createProcess<Uint8Array>('x', { encoding: null, ...(channelMaxPktsize === undefined ? {} : { maxPktsize: channelMaxPktsize }) });
    let got = 0;
    let largest = 0;
    for (let chunk = await proc.stdout.read(TOTAL); chunk.length > 0; chunk = await proc.stdout.read(TOTAL)) {
      expect(chunk.every((b) => b === chunk[0])).toBe(true);
      got += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    expect(got).toBe(TOTAL);
    expect((await proc.wait({ timeout: 20 })).exitStatus).toBe(0);
    return largest;
  } finally {
    conn.close();
    await conn.waitClosed();
  }
}

describe('maximum packet size', () => {
  it('caps a channel asking for more than the connection takes to what fits in its packets', async () => {
    expect(await largestPacket(undefined, 1 << 20)).toBe(DEFAULT_TRANSPORT_PACKET_LIMIT - DATA_PACKET_OVERHEAD);
  }, 30_000);

  it('takes full 256 KiB data packets when maxPktsize asks for them', async () => {
    expect(await largestPacket(256 * 1024)).toBe(256 * 1024);
  }, 30_000);

  it('raises the transport limit for a 1 MiB request on both sides', async () => {
    expect(await largestPacket(1 << 20)).toBe(1 << 20);
  }, 30_000);
});
