/**
 * StreamSession.rawByteStream(): each received message's data comes out whole, and with
 * `transient` its buffer goes back to the transport's packet pool (releasePayload) once the
 * consumer asks for the next chunk, never earlier.
 */
import type * as Transport from '@ssh/transport';
import { describe, expect, it, vi } from 'vitest';
import { sessionTo, streamChannel } from './helpers/stream-channel.ts';

const released = vi.hoisted(() => [] as Uint8Array[]);
vi.mock('@ssh/transport', async (original) => ({
  ...(await original<typeof Transport>()),
  releasePayload: (payload: Uint8Array) => released.push(payload),
}));

/**
 * The server's raw stream (made after `early` arrived) and a function sending chunks to it from
 * the client, one message each.
 */
function rawPair(transient: boolean, early: readonly Uint8Array[] = []) {
  const server = streamChannel();
  const { client, send, pump } = sessionTo(server);
  send(...early);
  const raw = server.session.rawByteStream({ transient });
  return { raw, send, client, pump };
}

const sizes = [1, 1000, 20_000, 32_768];
const chunksOf = (): Uint8Array[] => sizes.map((n, i) => new Uint8Array(n).fill(i + 1));

describe('rawByteStream', () => {
  it('hands over each message’s data whole and releases nothing when not transient', async () => {
    released.length = 0;
    const { raw, send } = rawPair(false);
    expect(raw.transient).toBe(false);
    send(...chunksOf());
    const it = raw.readable[Symbol.asyncIterator]();
    for (const [i, n] of sizes.entries()) {
      const value = (await it.next()).value as Uint8Array;
      expect(value.length).toBe(n);
      expect(value.every((b) => b === i + 1)).toBe(true);
    }
    // Asking for chunks 2 to 4 moved past the first three: still nothing released.
    expect(released).toEqual([]);
  });

  it('with transient, never releases chunks that arrived before it took over', async () => {
    released.length = 0;
    const [early, later] = chunksOf();
    const { raw, send } = rawPair(true, [early as Uint8Array]);
    send(later as Uint8Array);
    const it = raw.readable[Symbol.asyncIterator]();
    const first = (await it.next()).value as Uint8Array;
    const second = (await it.next()).value as Uint8Array;
    expect(first.every((b) => b === 1)).toBe(true);
    expect(released).toEqual([]);
    send(new Uint8Array(10));
    await it.next();
    expect(released).toEqual([second]);
  });

  it('with transient, releases a chunk once the next is asked for, and not before', async () => {
    released.length = 0;
    const { raw, send } = rawPair(true);
    expect(raw.transient).toBe(true);
    send(...chunksOf());
    const it = raw.readable[Symbol.asyncIterator]();
    const first = (await it.next()).value as Uint8Array;
    expect(released).toEqual([]);
    const second = (await it.next()).value as Uint8Array;
    expect(released).toEqual([first]);
    expect(second.every((b) => b === 2)).toBe(true);
    await it.next();
    expect(released).toEqual([first, second]);
  });

  it('settles outputClosed when the channel closes, not when the peer half-closes', async () => {
    const { raw, client, pump } = rawPair(false);
    let settled = false;
    void raw.outputClosed.then(() => (settled = true));
    client.writeEof();
    pump();
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    client.close();
    pump();
    await raw.outputClosed;
    expect(settled).toBe(true);
  });
});
