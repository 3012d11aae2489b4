/**
 * A hostile peer against one multiplexer: random runs of connection-protocol messages, mostly
 * what a peer would send for the channels that exist at that moment (confirmations, data up to
 * and beyond the window and maximum packet, adjustments up to 2^32 - 1, EOF, close, requests,
 * replies, opens of its own), now and then one cut short, bit-flipped, padded with garbage or
 * addressed to a channel that does not exist, interleaved with local writes, reads, EOFs, closes
 * and requests. Whatever the peer sends: handle() never throws, a broken rule is reported once as
 * a DisconnectError, our data never exceeds the window and maximum packet the peer granted, the
 * peer never makes us buffer more than our window, and every channel closes exactly once when
 * the connection goes.
 */
import fc from 'fast-check';
import { MSG } from '@ssh/wire';
import { ConnectionLost, DisconnectError } from '@ssh/transport';
import { describe, expect, it } from 'vitest';
import { type Channel, type ChannelHandler, ChannelClosedError, ConnectionMux } from '../src/index.ts';

const MAX_PACKET = 8 * 1024;
/** Four full packets: a peer that ignores the window soon overruns it. */
const WINDOW = 4 * MAX_PACKET;
/** Channels we open before the peer speaks. */
const OPENED = 3;

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function str(s: string): number[] {
  const bytes = new TextEncoder().encode(s);
  return [...u32(bytes.length), ...bytes];
}

/** A message from bytes, byte arrays and buffers, in order. */
function msg(...parts: (number | readonly number[] | Uint8Array)[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += typeof p === 'number' ? 1 : p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'number') out[at++] = p;
    else {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

const word = fc.oneof(fc.constantFrom(0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, WINDOW, MAX_PACKET), fc.integer({ min: 0, max: 0xffff_ffff }));
/** A window or packet size a peer might grant: mostly ordinary, sometimes extreme. */
const grantSize = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4 * MAX_PACKET }) }, { weight: 1, arbitrary: word });
/** Mostly what the maximum packet allows, now and then more. */
const dataSize = fc.oneof(
  { weight: 3, arbitrary: fc.constant(MAX_PACKET) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: MAX_PACKET }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * MAX_PACKET }) },
);
const channelRequest: fc.Arbitrary<number[]> = fc.oneof(
  word.map((v) => [...str('exit-status'), ...u32(v)]),
  fc.boolean().map((b) => [...str('xon-xoff'), b ? 1 : 0]),
  fc.constant<number[]>([...str('env'), ...str('LANG'), ...str('C')]),
  fc.constant<number[]>([...str('exit-signal'), ...str('TERM'), 0, ...str(''), ...str('')]),
  fc.constant<number[]>([...str('unknown@example.com'), ...u32(7)]),
);
const openType = fc.constantFrom('session', 'x11', 'forwarded-tcpip', 'direct-tcpip', 'auth-agent@openssh.com', 'unknown@example.com');
const openBody = (type: string): number[] =>
  type === 'x11' ? [...str('127.0.0.1'), ...u32(6000)] : type.endsWith('tcpip') ? [...str('127.0.0.1'), ...u32(22), ...str('127.0.0.1'), ...u32(4000)] : [];

/** What a peer message is made for: the channels of the moment, and fresh ids of the peer's. */
interface PeerState {
  /** One of our channels in the state the message needs (a confirmation for one being opened, data for an open one). */
  pick(wanted: 'opening' | 'open'): number | undefined;
  /**
   * A sender channel id not used before: a peer that gave two channels one id would leave our
   * data with nothing to tell which window it counts against.
   */
  newId(): number;
}

/** A peer message for the state of the moment, so that runs go deep instead of ending at the first message for a channel that does not exist. */
type PeerMessage = (state: PeerState) => Uint8Array | undefined;

const forChannel = (wanted: 'opening' | 'open', make: (id: number, state: PeerState) => Uint8Array): PeerMessage => (state) => {
  const id = state.pick(wanted);
  return id === undefined ? undefined : make(id, state);
};

const plausible: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.tuple(grantSize, grantSize).map(([w, m]) => forChannel('opening', (r, state) => msg(MSG.CHANNEL_OPEN_CONFIRMATION, u32(r), u32(state.newId()), u32(w), u32(m)))),
  word.map((code) => forChannel('opening', (r) => msg(MSG.CHANNEL_OPEN_FAILURE, u32(r), u32(code), str('no'), str('en')))),
  grantSize.map((n) => forChannel('open', (r) => msg(MSG.CHANNEL_WINDOW_ADJUST, u32(r), u32(n)))),
  { weight: 4, arbitrary: dataSize.map((n) => forChannel('open', (r) => msg(MSG.CHANNEL_DATA, u32(r), u32(n), new Uint8Array(n).fill(0x61)))) },
  fc.tuple(fc.constantFrom(1, 2, 0xffff_ffff), dataSize).map(([t, n]) => forChannel('open', (r) => msg(MSG.CHANNEL_EXTENDED_DATA, u32(r), u32(t), u32(n), new Uint8Array(n).fill(0x65)))),
  fc.constant(forChannel('open', (r) => msg(MSG.CHANNEL_EOF, u32(r)))),
  fc.constant(forChannel('open', (r) => msg(MSG.CHANNEL_CLOSE, u32(r)))),
  fc.tuple(fc.boolean(), channelRequest).map(([want, body]) => forChannel('open', (r) => msg(MSG.CHANNEL_REQUEST, u32(r), body.slice(0, 4 + (body[3] as number)), want ? 1 : 0, body.slice(4 + (body[3] as number))))),
  // Replies are right only while a request of ours waits: rarer, or most runs would end there.
  { weight: 1, arbitrary: fc.boolean().map((ok) => forChannel('open', (r) => msg(ok ? MSG.CHANNEL_SUCCESS : MSG.CHANNEL_FAILURE, u32(r)))) },
  fc.tuple(fc.constantFrom('keepalive@openssh.com', 'x@example.com'), fc.boolean()).map(([n, want]): PeerMessage => () => msg(MSG.GLOBAL_REQUEST, str(n), want ? 1 : 0)),
  fc.tuple(openType, grantSize, grantSize).map(([t, w, m]): PeerMessage => (state) => msg(MSG.CHANNEL_OPEN, str(t), u32(state.newId()), u32(w), u32(m), openBody(t))),
);

/** What only a broken or hostile peer sends: a plausible message damaged, or misaddressed. */
const hostile: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.tuple(plausible, fc.nat()).map(([p, at]): PeerMessage => (state) => {
    const m = p(state);
    return m?.subarray(0, at % m.length);
  }),
  fc.tuple(plausible, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([p, at, x]): PeerMessage => (state) => {
    const m = p(state)?.slice();
    if (m === undefined) return undefined;
    const i = at % m.length;
    m[i] = (m[i] as number) ^ x;
    return m;
  }),
  fc.tuple(plausible, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([p, garbage]): PeerMessage => (state) => {
    const m = p(state);
    return m === undefined ? undefined : msg(m, garbage);
  }),
  fc.tuple(plausible, word).map(([p, id]): PeerMessage => (state) => {
    const m = p(state)?.slice();
    if (m === undefined || m[0] === MSG.CHANNEL_OPEN || m[0] === MSG.GLOBAL_REQUEST) return m;
    m.set(u32(id | 0x1000), 1);
    return m;
  }),
  fc.constantFrom(msg(MSG.REQUEST_SUCCESS), msg(MSG.REQUEST_FAILURE), msg(MSG.CHANNEL_FAILURE + 5), msg(MSG.GLOBAL_REQUEST)).map((m): PeerMessage => () => m),
);

type LocalOp =
  | { readonly op: 'write'; readonly pick: number; readonly size: number; readonly stderr: boolean }
  | { readonly op: 'consume' | 'eof' | 'close'; readonly pick: number }
  | { readonly op: 'request'; readonly pick: number; readonly wantReply: boolean };

const localOp: fc.Arbitrary<LocalOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), pick: fc.nat(), size: fc.integer({ min: 1, max: 3 * MAX_PACKET }), stderr: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('consume' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('eof' as const, 'close' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('request' as const), pick: fc.nat(), wantReply: fc.boolean() }) },
);

/** A peer message, sent `repeat` times in a row (a burst of data, say). */
type Step = { readonly peer: PeerMessage; readonly pick: number; readonly repeat: number } | { readonly local: LocalOp };

const repeat = fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 6 }) });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(plausible, fc.nat(), repeat).map(([peer, pick, times]) => ({ peer, pick, repeat: times })) },
  { weight: 1, arbitrary: fc.tuple(hostile, fc.nat()).map(([peer, pick]) => ({ peer, pick, repeat: 1 })) },
  { weight: 6, arbitrary: localOp.map((local) => ({ local })) },
);

/** The peer confirms some of the channels we opened first, so that most runs get going. */
const confirmations: fc.Arbitrary<Step[]> = fc.array(
  fc.tuple(grantSize, grantSize, fc.nat()).map(([w, m, pick]) => ({ peer: forChannel('opening', (r, state) => msg(MSG.CHANNEL_OPEN_CONFIRMATION, u32(r), u32(state.newId()), u32(w), u32(m))), pick, repeat: 1 })),
  { maxLength: OPENED },
);

/** What the peer granted one of our channels: its id for it, and the flow control we must keep to. */
interface Grant {
  readonly remoteId: number;
  readonly maxPacket: number;
  window: number;
  sent: number;
}

/** One of our channels, as its handler saw it. */
interface Tracked {
  channel: Channel | undefined;
  unconsumed: number;
  closes: number;
}

function view(m: Uint8Array): DataView {
  return new DataView(m.buffer, m.byteOffset, m.byteLength);
}

function run(steps: readonly Step[], acceptOpens: boolean): void {
  const outgoing: Uint8Array[] = [];
  const failures: DisconnectError[] = [];
  const grants = new Map<number, Grant>(); // by our channel id
  const tracked = new Map<number, Tracked>(); // by our channel id
  let current: Uint8Array = new Uint8Array(0); // the peer message being handled
  let nextRemoteId = 0;
  let held = false;

  const handlerFor = (t: Tracked): ChannelHandler => ({
    onOpen(ch) {
      // Only a confirmation opens a channel of ours: it says what the peer granted.
      const v = view(current);
      grants.set(ch.localId, { remoteId: v.getUint32(5), window: v.getUint32(9), maxPacket: Math.max(1, v.getUint32(13)), sent: 0 });
    },
    onData(data) {
      t.unconsumed += data.length;
    },
    onClose() {
      t.closes++;
    },
    onRequest: (_type, _body, wantReply) => wantReply,
  });

  const mux = new ConnectionMux({
    send: (payload, tail) => outgoing.push(tail === undefined ? payload : msg(payload, tail)),
    fail: (error) => failures.push(error),
    onChannelOpen: (req) => {
      if (!acceptOpens || req.type === 'unknown@example.com') {
        req.reject(1, 'no');
        return;
      }
      const t: Tracked = { channel: undefined, unconsumed: 0, closes: 0 };
      const ch = req.accept(handlerFor(t));
      t.channel = ch;
      tracked.set(ch.localId, t);
      // The peer's sender channel follows the type string.
      grants.set(ch.localId, { remoteId: view(current).getUint32(5 + view(current).getUint32(1)), window: req.peerWindow, maxPacket: Math.max(1, req.peerMaxPacket), sent: 0 });
    },
    onGlobalRequest: (req) => req.reply(req.name === 'keepalive@openssh.com'),
    windowSize: WINDOW,
    maxPacketSize: MAX_PACKET,
    maxChannels: 4,
    maxPendingGlobalRequests: 8,
    // Small writes are held and merged until sendHeld(), which the Node glue calls once a turn.
    onHeldWrites: () => {
      held = true;
    },
  });

  for (let i = 0; i < OPENED; i++) {
    const t: Tracked = { channel: undefined, unconsumed: 0, closes: 0 };
    t.channel = mux.openChannel('session', { type: 'session' }, handlerFor(t));
    tracked.set(t.channel.localId, t);
  }

  const channelsIn = (wanted: 'opening' | 'open'): Tracked[] =>
    [...tracked.values()].filter((t) => (wanted === 'opening' ? t.channel?.state === 'opening' : t.channel?.state === 'open' || t.channel?.state === 'closing'));

  const checkOutgoing = (): void => {
    for (const out of outgoing.splice(0)) {
      if (out[0] !== MSG.CHANNEL_DATA && out[0] !== MSG.CHANNEL_EXTENDED_DATA) continue;
      const remoteId = view(out).getUint32(1);
      const length = view(out).getUint32(out[0] === MSG.CHANNEL_DATA ? 5 : 9);
      const grant = [...grants.values()].reverse().find((g) => g.remoteId === remoteId);
      expect(grant, `data for channel ${remoteId}, which the peer never granted`).toBeDefined();
      const g = grant as Grant;
      expect(length).toBeLessThanOrEqual(g.maxPacket);
      g.sent += length;
      expect(g.sent).toBeLessThanOrEqual(g.window);
    }
  };

  const peerState = (pick: number): PeerState => ({
    pick(wanted) {
      const candidates = channelsIn(wanted);
      return candidates.length === 0 ? undefined : (candidates[pick % candidates.length]?.channel as Channel).localId;
    },
    newId: () => 0x100 + nextRemoteId++,
  });

  const receive = (m: Uint8Array): void => {
    current = m;
    expect(typeof mux.handle(m)).toBe('boolean');
    if (failures.length === 0 && m[0] === MSG.CHANNEL_WINDOW_ADJUST && m.length === 9) {
      const g = grants.get(view(m).getUint32(1));
      if (g !== undefined) g.window += view(m).getUint32(5);
    }
  };

  const act = (l: LocalOp): void => {
    const open = channelsIn('open');
    const t = open[l.pick % Math.max(1, open.length)];
    const ch = t?.channel;
    if (t === undefined || ch === undefined) return;
    try {
      if (l.op === 'write') ch.write(new Uint8Array(l.size).fill(0x62), l.stderr ? 1 : undefined);
      else if (l.op === 'consume') {
        ch.consume(t.unconsumed);
        t.unconsumed = 0;
      } else if (l.op === 'eof') ch.writeEof();
      else if (l.op === 'close') ch.close();
      else if (l.op === 'request') ch.sendRequest('keepalive@openssh.com', new Uint8Array(0), l.wantReply ? () => undefined : undefined);
    } catch (err) {
      // Writing to a channel that is closing or sent EOF is refused, and only that.
      expect(err).toBeInstanceOf(ChannelClosedError);
    }
  };

  for (const s of steps) {
    if (failures.length > 0) break; // the transport disconnects: nothing more is read
    if ('peer' in s) {
      for (let n = 0; n < s.repeat && failures.length === 0; n++) {
        const m = s.peer(peerState(s.pick));
        if (m === undefined || m.length === 0) break;
        receive(m);
        checkOutgoing();
      }
    } else {
      act(s.local);
    }
    if (held) {
      held = false;
      mux.sendHeld();
    }
    checkOutgoing();
    for (const t of tracked.values()) {
      expect(t.unconsumed).toBeLessThanOrEqual(WINDOW);
      expect(t.closes).toBeLessThanOrEqual(1);
    }
  }

  expect(failures.length).toBeLessThanOrEqual(1);
  for (const f of failures) expect(f).toBeInstanceOf(DisconnectError);
  mux.teardown(new ConnectionLost('gone'));
  for (const t of tracked.values()) expect(t.closes).toBe(1);
  expect(mux.channelCount).toBe(0);
}

describe('the multiplexer against a hostile peer', () => {
  it('keeps its bounds and fails cleanly whatever the peer sends', () => {
    fc.assert(
      fc.property(confirmations, fc.array(step, { minLength: 1, maxLength: 120 }), fc.boolean(), (first, steps, acceptOpens) => run([...first, ...steps], acceptOpens)),
      { numRuns: 400, interruptAfterTimeLimit: 10_000 },
    );
  });
});
