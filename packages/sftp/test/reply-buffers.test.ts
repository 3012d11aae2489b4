/** The client machine assembling large replies in buffers handed back with recycle(). */
import { describe, expect, it } from 'vitest';
import { FXP, SftpClientMachine, encodeInit, encodeResponse } from '../src/index.ts';

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
