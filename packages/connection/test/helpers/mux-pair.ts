/**
 * Two multiplexers wired back to back in memory (Go's memPipe for the connection layer): payloads
 * queue and are delivered by `pump()`, so tests control interleaving and re-entrancy is avoided.
 */

import type { DisconnectError } from '@ssh/transport';
import { ConnectionMux, type MuxOptions } from '../../src/index.ts';

export interface MuxPair {
  readonly client: ConnectionMux;
  readonly server: ConnectionMux;
  /** Payloads in flight, per direction. */
  readonly toServer: Uint8Array[];
  readonly toClient: Uint8Array[];
  readonly failures: { side: 'client' | 'server'; error: DisconnectError }[];
  /** Delivers everything in flight (and what that causes) until both queues are empty. */
  pump(): void;
}

type Side = Omit<MuxOptions, 'send' | 'fail'>;

/** The whole message as the transport would seal it: the payload, then its tail. */
function message(payload: Uint8Array, tail: Uint8Array | undefined): Uint8Array {
  if (tail === undefined) return payload;
  const out = new Uint8Array(payload.length + tail.length);
  out.set(payload, 0);
  out.set(tail, payload.length);
  return out;
}

export function muxPair(client: Side = {}, server: Side = {}): MuxPair {
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const failures: MuxPair['failures'] = [];
  const c = new ConnectionMux({ ...client, send: (p, tail) => toServer.push(message(p, tail)), fail: (error) => failures.push({ side: 'client', error }) });
  const s = new ConnectionMux({ ...server, send: (p, tail) => toClient.push(message(p, tail)), fail: (error) => failures.push({ side: 'server', error }) });
  return {
    client: c,
    server: s,
    toServer,
    toClient,
    failures,
    pump() {
      for (let guard = 0; toServer.length > 0 || toClient.length > 0; guard++) {
        if (guard > 1_000_000) throw new Error('pump does not settle');
        const a = toServer.shift();
        if (a) s.handle(a);
        const b = toClient.shift();
        if (b) c.handle(b);
      }
    },
  };
}
