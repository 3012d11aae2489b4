/**
 * A peer that opens a key re-exchange and then never finishes it, while sending messages that
 * call for an answer: the answers wait for the exchange to end (RFC 4253 §7.1), so what they
 * may hold must stay bounded.
 */
import { Ping } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../src/index.ts';
import { connected, deliver, drain, inject, ownDisconnect } from './helpers/hostile.ts';

const heldBytes = (t: unknown): number => (t as { held: Uint8Array[] }).held.reduce((n, p) => n + p.length, 0);

describe('a re-exchange the peer leaves open', () => {
  it('PINGs during it cannot pile up PONGs without bound: ProtocolError', () => {
    const [c, s] = connected();
    c.transport.rekey();
    deliver(c, s); // the server answers the KEXINIT and waits for the client's kex message
    drain(s);
    const data = new Uint8Array(200 * 1024);
    let maxHeld = 0;
    for (let i = 0; i < 100 && !s.transport.isClosed; i++) {
      inject(c.transport, Ping.encode({ data }));
      deliver(c, s);
      maxHeld = Math.max(maxHeld, heldBytes(s.transport));
    }
    drain(s);
    expect(ownDisconnect(s)).toBeInstanceOf(ProtocolError);
    expect(maxHeld).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('a few PINGs during it are answered once it completes', () => {
    const [c, s] = connected();
    c.transport.rekey();
    deliver(c, s);
    for (let i = 0; i < 8; i++) inject(c.transport, Ping.encode({ data: Uint8Array.of(i) }));
    deliver(c, s);
    for (let i = 0; i < 4; i++) {
      deliver(s, c);
      deliver(c, s);
    }
    drain(s);
    expect(ownDisconnect(s)).toBeUndefined();
    expect(drain(c).filter((e) => e.type === 'pong')).toHaveLength(8);
  });
});
