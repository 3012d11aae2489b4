/**
 * Bounded fast-check fuzz of the sans-I/O transport. A recorded session (seeded randomness, so a
 * fresh transport given the same seed answers the recorded peer exactly as before) is replayed:
 * split at random points it gives the same events; mutated (bytes flipped, inserted, deleted,
 * cut short) or replaced by random bytes, it never throws and fails only with typed disconnects
 * whose cause is one of our errors (no TypeError or RangeError from deep inside); random payloads
 * sealed with the live keys reach every decoder the same way.
 */
import { SshError, Debug, Ignore, ServiceRequest } from '@ssh/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DisconnectError, Transport, type TransportEvent, type TransportRole } from '../src/index.ts';
import { concat, connected, drain, enc, hostKeys, inject } from './helpers/hostile.ts';

const budget = { numRuns: Number(process.env.FUZZ_RUNS ?? 60), interruptAfterTimeLimit: Number(process.env.FUZZ_MS ?? 3_000) };

/** A deterministic byte source (xorshift32), so replays draw the same keys and cookies. */
function seeded(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

const CLIENT_SEED = 11;
const SERVER_SEED = 22;
// zlib from NEWKEYS on, so the decompressor sees the fuzz too (the delayed zlib@openssh.com would
// need the application's USERAUTH_SUCCESS replayed as well).
const common = { kexAlgorithms: ['curve25519-sha256'], compressionAlgorithms: ['zlib'] };
const fresh = (role: TransportRole): Transport =>
  role === 'client'
    ? new Transport({ role, random: seeded(CLIENT_SEED), ...common })
    : new Transport({ role, random: seeded(SERVER_SEED), hostKeys: hostKeys(), ...common });

/** The bytes each side wrote in a session: handshake, messages both ways, optionally a client-initiated re-exchange. */
function record(withRekey: boolean): { toServer: Uint8Array; toClient: Uint8Array } {
  const c = fresh('client');
  const s = fresh('server');
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const settle = (): void => {
    for (let moved = true; moved; ) {
      moved = false;
      for (let out = c.takeOutput(); out; out = c.takeOutput(), moved = true) {
        toServer.push(out.slice());
        s.receive(out);
      }
      for (let out = s.takeOutput(); out; out = s.takeOutput(), moved = true) {
        toClient.push(out.slice());
        c.receive(out);
      }
      for (let e = c.nextEvent(); e; e = c.nextEvent(), moved = true) if (e.type === 'verify-host-key') c.resolveHostKey(e.id, true);
      while (s.nextEvent()) moved = true;
    }
  };
  settle();
  c.send(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
  c.sendDebug('hello');
  settle();
  s.send(Uint8Array.of(52));
  s.sendIgnore(new Uint8Array(300));
  settle();
  if (withRekey) {
    c.rekey();
    c.send(Uint8Array.of(94, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3));
    settle();
  }
  c.send(Uint8Array.of(98, 0, 0, 0, 1));
  s.send(Uint8Array.of(99, 0, 0, 0, 2));
  settle();
  return { toServer: concat(...toServer), toClient: concat(...toClient) };
}

const withRekey = record(true);
const noRekey = record(false);

/** A stable description of an event, for comparing runs. */
function describeEvent(e: TransportEvent): string {
  switch (e.type) {
    case 'message':
    case 'pong':
      return `${e.type} ${Buffer.from(e.type === 'message' ? e.payload : e.data).toString('hex')}`;
    case 'kex-complete':
      return `kex-complete ${e.initial} ${e.algorithms.kex} ${e.algorithms.cipherClientToServer}`;
    case 'disconnect':
      return `disconnect ${e.byPeer} ${e.error.reasonCode} ${e.error.reason}`;
    case 'verify-host-key':
      return `verify ${e.algorithm}`;
    case 'version':
      return `version ${e.peer.line}`;
    case 'ext-info':
      return `ext-info ${[...e.extensions.keys()].join(',')}`;
    case 'debug':
      return `debug ${e.message}`;
    case 'unimplemented':
      return `unimplemented ${e.sequenceNumber}`;
    case 'gss-kex-step':
    case 'gss-kex-mic':
    case 'gss-kex-verify-mic':
      return e.type;
  }
}

/**
 * Feeds `bytes` to a fresh transport of `role`, cut at `cuts` (offsets, any order). A client answers
 * its host key check after the last byte, so the events do not depend on where the cuts fall.
 * Checks that receive() never throws and that a failure is a typed disconnect from a typed cause.
 */
function replay(role: TransportRole, bytes: Uint8Array, cuts: readonly number[] = []): string[] {
  const t = fresh(role);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let at = 0;
  for (const p of [...points, bytes.length]) {
    expect(() => t.receive(bytes.subarray(at, p))).not.toThrow();
    at = p;
  }
  const events: TransportEvent[] = [];
  for (let e = t.nextEvent(); e; e = t.nextEvent()) {
    events.push(e);
    if (e.type === 'verify-host-key') t.resolveHostKey(e.id, true);
  }
  for (const e of events) {
    if (e.type !== 'disconnect' || e.byPeer) continue;
    expect(e.error).toBeInstanceOf(DisconnectError);
    expect(e.error.reason).not.toMatch(/internal error/);
    const cause = (e.error as { cause?: unknown }).cause;
    if (cause !== undefined) expect(cause).toBeInstanceOf(SshError);
  }
  return events.map(describeEvent);
}

const cutsArb = fc.array(fc.nat(), { maxLength: 40 });

describe('replays split at random points', () => {
  const reference = {
    server: replay('server', withRekey.toServer),
    client: replay('client', noRekey.toClient),
  };

  it('the recording replays cleanly (so the fuzz below compares against a real session)', () => {
    expect(reference.server.filter((e) => e.startsWith('kex-complete'))).toHaveLength(2);
    expect(reference.server.filter((e) => e.startsWith('message'))).toHaveLength(3);
    expect(reference.server.some((e) => e.startsWith('disconnect'))).toBe(false);
    expect(reference.client.filter((e) => e.startsWith('message'))).toHaveLength(2);
    expect(reference.client.some((e) => e.startsWith('disconnect'))).toBe(false);
  });

  it('the server gives the same events however the client bytes are cut', () => {
    fc.assert(
      fc.property(cutsArb, (cuts) => {
        expect(replay('server', withRekey.toServer, cuts)).toEqual(reference.server);
      }),
      budget,
    );
  });

  it('the client gives the same events however the server bytes are cut', () => {
    fc.assert(
      fc.property(cutsArb, (cuts) => {
        expect(replay('client', noRekey.toClient, cuts)).toEqual(reference.client);
      }),
      budget,
    );
  });
});

type Mutation = { kind: 'flip'; at: number; mask: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'delete'; at: number; n: number } | { kind: 'cut'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    if (m.kind === 'flip' && at < out.length) {
      out = out.slice();
      out[at] = (out[at] as number) ^ m.mask;
    } else if (m.kind === 'insert') out = concat(out.subarray(0, at), m.bytes, out.subarray(at));
    else if (m.kind === 'delete') out = concat(out.subarray(0, at), out.subarray(at + m.n));
    else if (m.kind === 'cut') out = out.subarray(0, at);
  }
  return out;
}

describe('mutated and random streams', () => {
  for (const role of ['server', 'client'] as const) {
    const recorded = role === 'server' ? withRekey.toServer : noRekey.toClient;

    it(`${role}: a mutated session fails only with typed disconnects, the same way however it is cut`, () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), cutsArb, (mutations, cuts) => {
          const bytes = mutate(recorded, mutations);
          const whole = replay(role, bytes);
          expect(replay(role, bytes, cuts)).toEqual(whole);
        }),
        budget,
      );
    });

    it(`${role}: random bytes after a valid identification fail only with typed disconnects`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), cutsArb, (garbage, cuts) => {
          const bytes = concat(enc('SSH-2.0-fuzz\r\n'), garbage);
          expect(replay(role, bytes, cuts)).toEqual(replay(role, bytes));
        }),
        budget,
      );
    });
  }

  it('random payloads sealed with the live keys reach every decoder and fail only in typed ways', () => {
    const first = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 30, 31, 32, 33, 34, 52, 80, 94, 192, 193), fc.integer({ min: 0, max: 255 }));
    const payloadArb = fc.tuple(first, fc.uint8Array({ maxLength: 64 })).map(([n, rest]) => concat(Uint8Array.of(n), rest));
    const run = (payloads: readonly Uint8Array[]): string[] => {
      const [c, s] = connected(common, common);
      for (const p of payloads) inject(c.transport, p);
      inject(c.transport, Ignore.encode({ data: new Uint8Array(0) }));
      c.transport.send(Debug.encode({ alwaysDisplay: false, message: 'end', languageTag: '' }));
      const out = c.transport.takeOutput() ?? new Uint8Array(0);
      expect(() => s.transport.receive(out)).not.toThrow();
      const events = drain(s);
      for (const e of events) {
        if (e.type !== 'disconnect' || e.byPeer) continue;
        expect(e.error.reason).not.toMatch(/internal error/);
        const cause = (e.error as { cause?: unknown }).cause;
        if (cause !== undefined) expect(cause).toBeInstanceOf(SshError);
      }
      // Either it failed, or it read everything up to our closing DEBUG.
      expect(s.transport.isClosed || events.at(-1)?.type === 'debug').toBe(true);
      return events.map((e) => e.type);
    };
    fc.assert(
      fc.property(fc.array(payloadArb, { minLength: 1, maxLength: 8 }), (payloads) => {
        run(payloads);
      }),
      { numRuns: 80, interruptAfterTimeLimit: 4_000 },
    );
  });
});
