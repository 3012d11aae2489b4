/** gatherWrites: an SFTP byte stream's small writes gathered per event loop turn, in order. */
import { setImmediate as tick } from 'node:timers/promises';
import type { SftpByteStream } from '../src/index.ts';
import { describe, expect, it } from 'vitest';
import { gatherWrites } from '../src/node/index.ts';
import { dataBuffer, encodeResponse } from '../src/packets.ts';

function recorder(backpressure?: () => Promise<void> | undefined): { stream: SftpByteStream; writes: Uint8Array[]; closed: () => boolean } {
  const writes: Uint8Array[] = [];
  let closed = false;
  return {
    writes,
    closed: () => closed,
    stream: {
      readable: (async function* () {})(),
      write(chunk) {
        writes.push(chunk);
        return backpressure?.();
      },
      close() {
        closed = true;
      },
    },
  };
}

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('gatherWrites', () => {
  it('writes the small writes of one turn as one chunk, in order, on the next turn', async () => {
    const r = recorder();
    const g = gatherWrites(r.stream);
    expect(g.write(bytes(3, 1))).toBeUndefined();
    void g.write(bytes(2, 2));
    void g.write(bytes(1, 3));
    expect(r.writes).toHaveLength(0);
    await tick();
    expect(r.writes).toEqual([Uint8Array.of(1, 1, 1, 2, 2, 3)]);
    void g.write(bytes(1, 4));
    await tick();
    // A lone write goes out as it is.
    expect(r.writes).toHaveLength(2);
    expect(r.writes[1]).toEqual(Uint8Array.of(4));
  });

  it('sends a large write at once, after what was gathered before it', () => {
    const r = recorder();
    const g = gatherWrites(r.stream);
    const large = bytes(64 * 1024, 9);
    void g.write(bytes(2, 1));
    void g.write(large);
    expect(r.writes.map((w) => w.length)).toEqual([2, 64 * 1024]);
    expect(r.writes[1]).toBe(large);
  });

  it('writes a batch once it would pass 128 KiB, and everything on close', () => {
    const r = recorder();
    const g = gatherWrites(r.stream);
    for (let i = 0; i < 5; i++) void g.write(bytes(32 * 1024 + 13, i));
    expect(r.writes.map((w) => w.length)).toEqual([3 * (32 * 1024 + 13)]);
    g.close();
    expect(r.writes.map((w) => w.length)).toEqual([3 * (32 * 1024 + 13), 2 * (32 * 1024 + 13)]);
    expect(r.closed()).toBe(true);
  });

  it('hands back the stream backpressure until it settles, and a failure to the writer', async () => {
    let release: (() => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    let mode: 'pause' | 'fail' | 'free' = 'pause';
    const r = recorder(() => {
      if (mode === 'free') return undefined;
      return new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      });
    });
    const g = gatherWrites(r.stream);
    void g.write(bytes(1, 1));
    await tick();
    const p = g.write(bytes(1, 2));
    expect(p).toBeInstanceOf(Promise);
    release?.();
    await p;
    mode = 'free';
    expect(g.write(bytes(1, 3))).toBeUndefined();
    await tick();
    mode = 'fail';
    void g.write(bytes(80 * 1024, 4));
    const failing = g.write(bytes(1, 5));
    fail?.(new Error('gone'));
    await expect(failing).rejects.toThrow('gone');
  });

  it('lets the file system server reuse reply buffers it copied, and not one it passed on as is', async () => {
    const r = recorder();
    const g = gatherWrites(r.stream);
    const reply = (fill: number): Uint8Array => {
      const data = dataBuffer(20_000).fill(fill);
      return encodeResponse({ kind: 'data', id: fill, data }, 3);
    };
    const a = reply(1);
    const b = reply(2);
    expect(a.buffer).not.toBe(b.buffer);
    void g.write(a);
    void g.write(b);
    await tick();
    expect(r.writes).toHaveLength(1);
    const written = r.writes[0] as Uint8Array;
    // Both were copied: the next replies are built in their buffers, and the bytes sent stay.
    const reused = [reply(3), reply(4)].map((p) => p.buffer);
    expect(reused).toContain(a.buffer);
    expect(reused).toContain(b.buffer);
    expect(written.subarray(13, 20_013).every((x) => x === 1)).toBe(true);
    const alone = reply(5);
    void g.write(alone);
    await tick();
    expect(r.writes[1]).toBe(alone);
    expect(reply(6).buffer).not.toBe(alone.buffer);
  });

  it('with unsent(), reuses a reply buffer written as it is once the stream passed on all of its bytes', () => {
    const r = recorder();
    // What the stream still holds: set by the test, as a channel's write buffer would be.
    let held = 0;
    const g = gatherWrites(r.stream, { unsent: () => held });
    const size = 100_000;
    const reply = (fill: number): Uint8Array => encodeResponse({ kind: 'data', id: fill, data: dataBuffer(size).fill(fill) }, 3);
    const a = reply(1);
    const b = reply(2);
    held = 2 * a.length; // both queued, nothing sent yet
    void g.write(a);
    void g.write(b);
    expect(r.writes).toEqual([a, b]);
    // Nothing was passed on: a new reply needs a new buffer.
    const c = reply(3);
    expect([a.buffer, b.buffer].includes(c.buffer)).toBe(false);
    // All of `a` and part of `b` sent: only `a`'s buffer comes back (at the next write).
    held = a.length - 1 + a.length; // c is queued too
    void g.write(c);
    held = b.length - 1 + c.length;
    void g.write(bytes(0, 0));
    const d = reply(4);
    expect(d.buffer === a.buffer).toBe(true);
    expect(d.subarray(13).every((x) => x === 4)).toBe(true);
    // b is still one byte short: not reused, and its bytes as written are intact.
    const e = reply(5);
    expect(e.buffer === b.buffer).toBe(false);
    expect(b.subarray(13).every((x) => x === 2)).toBe(true);
    // Bytes of someone else on the same channel only delay the reuse.
    held = c.length + 500;
    void g.write(d);
    held = d.length + e.length + 500;
    void g.write(e);
    const f = reply(6);
    expect(f.buffer === b.buffer).toBe(true);
    expect([c.buffer, d.buffer, e.buffer].includes(f.buffer)).toBe(false);
  });

  it('without unsent(), never reuses a reply buffer written as it is', () => {
    const r = recorder();
    const g = gatherWrites(r.stream);
    const reply = (fill: number): Uint8Array => encodeResponse({ kind: 'data', id: fill, data: dataBuffer(90_000).fill(fill) }, 3);
    const a = reply(1);
    void g.write(a);
    void g.write(reply(2));
    expect(reply(3).buffer === a.buffer).toBe(false);
  });

  it('with unsent(), writes later gathered chunks into the buffer of one the stream passed on, and never into one it holds', async () => {
    const r = recorder();
    let held = 0;
    const g = gatherWrites(r.stream, { unsent: () => held });
    const turn = async (fill: number): Promise<Uint8Array> => {
      void g.write(bytes(1000, fill));
      void g.write(bytes(1000, fill));
      await tick();
      return r.writes.at(-1) as Uint8Array;
    };
    // What the stream holds, as a channel's write buffer would: all it was given so far.
    held = 2000;
    const first = await turn(1);
    expect(first.length).toBe(2000);
    // The stream still holds all of it: the next gathered chunk gets another buffer.
    held = 4000;
    const second = await turn(2);
    expect(second.buffer).not.toBe(first.buffer);
    expect(first.every((x) => x === 1)).toBe(true);
    // The stream passed both on: a later chunk reuses one of their buffers.
    held = 0;
    void g.write(bytes(0, 0));
    const third = await turn(3);
    expect([first.buffer, second.buffer]).toContain(third.buffer);
    expect(third.every((x) => x === 3)).toBe(true);
  });

  it('without unsent(), gathers each chunk into a buffer of its own', async () => {
    const r = recorder();
    const g = gatherWrites(r.stream);
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 3; i++) {
      void g.write(bytes(1000, i));
      void g.write(bytes(1000, i));
      await tick();
      buffers.add((r.writes.at(-1) as Uint8Array).buffer);
    }
    expect(buffers.size).toBe(3);
  });
});
