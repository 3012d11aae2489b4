/** Wires two transports together in memory (Go's memPipe, AsyncSSH's ConnectionStub). */
import type { Transport, TransportEvent } from '../../src/index.ts';

export interface Side {
  readonly transport: Transport;
  readonly events: TransportEvent[];
  /** Payloads of `message` events, in arrival order. */
  readonly messages: Uint8Array[];
}

export function side(transport: Transport): Side {
  return { transport, events: [], messages: [] };
}

/** Moves bytes both ways, in chunks of `chunk` bytes, until neither side has anything to say. */
export function pump(a: Side, b: Side, options: { chunk?: number; trustHostKey?: boolean; maxRounds?: number; onEvent?: (from: Side, e: TransportEvent) => void } = {}): void {
  const chunk = options.chunk ?? Number.MAX_SAFE_INTEGER;
  for (let round = 0; round < (options.maxRounds ?? 10_000); round++) {
    let moved = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let out = from.transport.takeOutput(); out; out = from.transport.takeOutput()) {
        moved = true;
        for (let i = 0; i < out.length; i += chunk) to.transport.receive(out.subarray(i, i + chunk));
      }
      for (let e = from.transport.nextEvent(); e; e = from.transport.nextEvent()) {
        moved = true;
        from.events.push(e);
        if (e.type === 'message') from.messages.push(e.payload.slice());
        if (e.type === 'verify-host-key') from.transport.resolveHostKey(e.id, options.trustHostKey ?? true);
        options.onEvent?.(from, e);
      }
    }
    if (!moved) return;
  }
  throw new Error('pump did not settle');
}
