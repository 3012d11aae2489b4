/** BufferPool, and the client machine assembling large replies in recycled buffers. */
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.ts';
import { FXP, SftpClientMachine, encodeInit, encodeResponse } from '../src/index.ts';

describe('BufferPool', () => {
  it('serves sizes in range from reused buffers, others from fresh ones', () => {
    const pool = new BufferPool(1024, 256, 2);
    const a = pool.take(1000);
    expect(a.length).toBe(1000);
    expect(a.buffer.byteLength).toBe(1024);
    pool.give(a.subarray(10, 20));
    const b = pool.take(300);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(300);
    // Too small or too large: a buffer of its own, never pooled.
    const small = pool.take(100);
    const large = pool.take(2000);
    expect(small.buffer.byteLength).toBe(100);
    expect(large.buffer.byteLength).toBe(2000);
    pool.give(small);
    pool.give(large);
    expect(pool.take(300).buffer).not.toBe(small.buffer);
  });

  it('ignores foreign buffers and buffers given back twice, and keeps at most `max` free', () => {
    const pool = new BufferPool(1024, 256, 2);
    pool.give(new Uint8Array(1024));
    const [a, b, c] = [pool.take(512), pool.take(512), pool.take(512)];
    pool.give(a);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    const again = [pool.take(512), pool.take(512), pool.take(512)].map((v) => v.buffer);
    expect(again.filter((x) => x === a.buffer)).toHaveLength(1);
    expect(again.filter((x) => x === b.buffer)).toHaveLength(1);
    expect(again.filter((x) => x === c.buffer)).toHaveLength(0);
  });
});

describe('SftpClientMachine reply buffers', () => {
  function openMachine(): SftpClientMachine {
    const m = new SftpClientMachine({ version: 3 });
    m.start();
    m.takeOutput();
    m.receive(encodeInit(FXP.VERSION, { version: 3, extensions: [] }));
    m.nextEvent();
    return m;
  }

  /** Feeds a DATA reply in 1000-byte pieces and returns its data. */
  function dataReply(m: SftpClientMachine, fill: number): Uint8Array {
    const id = m.send({ kind: 'read', handle: Uint8Array.of(1), offset: 0, length: 40_000 });
    const packet = encodeResponse({ kind: 'data', id, data: new Uint8Array(40_000).fill(fill) }, 3);
    for (let at = 0; at < packet.length; at += 1000) m.receive(packet.slice(at, at + 1000));
    const ev = m.nextEvent();
    if (ev?.type !== 'response' || ev.response.kind !== 'data') throw new Error(`expected a DATA reply, got ${JSON.stringify(ev)}`);
    return ev.response.data;
  }

  it('assembles the next large reply in a buffer handed back with recycle(), and not in one still held', () => {
    const m = openMachine();
    const first = dataReply(m, 1);
    const held = dataReply(m, 2);
    expect(held.buffer).not.toBe(first.buffer);
    m.recycle(first);
    const third = dataReply(m, 3);
    expect(third.buffer).toBe(first.buffer);
    expect(third.every((b) => b === 3)).toBe(true);
    // The reply not handed back kept its bytes.
    expect(held.every((b) => b === 2)).toBe(true);
  });
});
