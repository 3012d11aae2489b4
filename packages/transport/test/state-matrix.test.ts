/**
 * State matrix: every message number 1..255 sent by the peer in every phase of the transport
 * (before the identification, before the peer's KEXINIT, during the first key exchange with and
 * without strict kex, after it, during a re-exchange), for both roles; then the same sweep against
 * the authentication server in each of its states. Each number is either handled as RFC 4253,
 * RFC 8308, RFC 4252 and OpenSSH PROTOCOL say, or refused with the right disconnect reason.
 * Also where EXT_INFO may come (RFC 8308 §2.4).
 */
import { createStandardRegistry } from '@ssh/crypto';
import {
  Debug,
  Disconnect,
  ExtInfo,
  Ignore,
  MSG,
  NewKeys,
  Ping,
  Pong,
  ServiceAccept,
  ServiceRequest,
  Unimplemented,
  UserauthInfoResponse,
  UserauthRequest,
} from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HOST_KEY_ALGORITHMS,
  ProtocolError,
  Transport,
  UserauthServer,
  encodeKexInit,
  resolveOffer,
  type AuthTransport,
  type TransportRole,
} from '../src/index.ts';
import { concat, connected, deliver, drain, enc, hostKeys, inject, internalsOf, pair, rawPacket, splitIdentification } from './helpers/hostile.ts';
import { pump, type Side } from './helpers/pump.ts';

const registry = createStandardRegistry();
const NUMBERS = Array.from({ length: 255 }, (_, i) => i + 1);
const extInfo = ExtInfo.encode({ extensions: [{ name: 'server-sig-algs', value: { type: 'server-sig-algs', algorithms: ['ssh-ed25519'] } }] });
const probe = Ignore.encode({ data: Uint8Array.of(0xee) });

/** A well-formed message of number n where we have a schema for it; otherwise n and four zero bytes. */
function payloadFor(n: number, peerRole: TransportRole): Uint8Array {
  switch (n) {
    case MSG.DISCONNECT:
      return Disconnect.encode({ reasonCode: 11, description: 'bye', languageTag: '' });
    case MSG.IGNORE:
      return Ignore.encode({ data: Uint8Array.of(1, 2) });
    case MSG.UNIMPLEMENTED:
      return Unimplemented.encode({ sequenceNumber: 3 });
    case MSG.DEBUG:
      return Debug.encode({ alwaysDisplay: false, message: 'dbg', languageTag: '' });
    case MSG.SERVICE_REQUEST:
      return ServiceRequest.encode({ serviceName: 'ssh-userauth' });
    case MSG.SERVICE_ACCEPT:
      return ServiceAccept.encode({ serviceName: 'ssh-userauth' });
    case MSG.EXT_INFO:
      return extInfo;
    case MSG.KEXINIT: {
      const hostKeyAlgs = peerRole === 'server' ? ['ssh-ed25519'] : [...DEFAULT_HOST_KEY_ALGORITHMS];
      return encodeKexInit(resolveOffer(registry, {}, hostKeyAlgs), peerRole, false, new Uint8Array(16));
    }
    case MSG.NEWKEYS:
      return NewKeys.encode({});
    case MSG.PING:
      return Ping.encode({ data: Uint8Array.of(7) });
    case MSG.PONG:
      return Pong.encode({ data: Uint8Array.of(7) });
    default:
      return Uint8Array.of(n, 0, 0, 0, 0);
  }
}

/**
 * What became of one injected message: the receiver's events since `marks` (and the peer's
 * answers), draining what is still queued. `marks` are the event counts taken before injecting.
 */
function classify(receiver: Side, peer: Side | undefined, marks: readonly [number, number] = [receiver.events.length, peer?.events.length ?? 0]): string {
  drain(receiver);
  if (peer) drain(peer);
  const own = receiver.events.slice(marks[0]);
  const theirs = peer ? peer.events.slice(marks[1]) : [];
  const fatal = own.find((e) => e.type === 'disconnect' && !e.byPeer);
  if (fatal?.type === 'disconnect') return `fatal:${fatal.error.reasonCode}`;
  const seen = new Set<string>();
  for (const e of own) {
    if (e.type === 'disconnect') seen.add('peer-disconnect');
    else if (e.type === 'kex-complete') seen.add(e.initial ? 'kex-complete' : 'rekey');
    else if (e.type !== 'verify-host-key' && e.type !== 'version') seen.add(e.type);
  }
  for (const e of theirs) if (e.type === 'unimplemented' || e.type === 'pong') seen.add(`answered-${e.type}`);
  return seen.size === 0 ? 'ignored' : [...seen].sort().join('+');
}

const marks = (a: Side, b: Side): [number, number] => [a.events.length, b.events.length];

const ROLES = ['server', 'client'] as const;
const other = (r: TransportRole): TransportRole => (r === 'server' ? 'client' : 'server');
const unknownTransport = (n: number) => (n >= 8 && n <= 19) || (n >= 22 && n <= 29);
const kexMethod = (n: number) => n >= 30 && n <= 49;

/** Runs `one(n)` for every number and lists where it differs from `expected(n)`. */
function sweep(one: (n: number) => string, expected: (n: number) => string): void {
  const wrong: string[] = [];
  for (const n of NUMBERS) {
    const got = one(n);
    const want = expected(n);
    if (got !== want) wrong.push(`${n}: got ${got}, expected ${want}`);
  }
  expect(wrong).toEqual([]);
}

describe('transport state matrix', () => {
  for (const role of ROLES) {
    const peerRole = other(role);
    const pick = (c: Side, s: Side): [Side, Side] => (role === 'server' ? [s, c] : [c, s]);

    it(`${role}: any packet before the identification is refused`, () => {
      sweep(
        (n) => {
          const [c, s] = pair();
          const [receiver, peer] = pick(c, s);
          const [version] = splitIdentification(peer.transport.takeOutput() as Uint8Array);
          receiver.transport.receive(concat(rawPacket(payloadFor(n, peerRole)), version));
          return classify(receiver, undefined);
        },
        () => 'fatal:2',
      );
    });

    it(`${role}: anything before the peer's KEXINIT breaks strict kex (sequence numbers shifted)`, () => {
      sweep(
        (n) => {
          const [c, s] = pair();
          const [receiver, peer] = pick(c, s);
          const [version, kexinit] = splitIdentification(peer.transport.takeOutput() as Uint8Array);
          const injected = n === MSG.KEXINIT ? new Uint8Array(0) : rawPacket(payloadFor(n, peerRole));
          receiver.transport.receive(concat(version, injected, kexinit));
          return classify(receiver, undefined);
        },
        (n) => (n === MSG.DISCONNECT ? 'peer-disconnect' : n === MSG.KEXINIT ? 'ignored' : 'fatal:2'),
      );
    });

    for (const strict of [true, false]) {
      it(`${role}: during the first key exchange, ${strict ? 'strict' : 'without strict kex'}`, () => {
        sweep(
          (n) => {
            const [c, s] = pair();
            const [receiver, peer] = pick(c, s);
            deliver(peer, receiver); // identification and KEXINIT
            drain(receiver);
            receiver.transport.takeOutput();
            if (!strict) internalsOf(receiver.transport).strict = false; // as with a peer that did not offer it
            inject(peer.transport, payloadFor(n, peerRole));
            deliver(peer, receiver);
            const result = classify(receiver, undefined);
            // An answer (UNIMPLEMENTED) is written at once, before NEWKEYS.
            if (result === 'ignored' && receiver.transport.takeOutput()) return 'answered';
            return result;
          },
          (n) => {
            if (n === MSG.DISCONNECT) return 'peer-disconnect';
            if (kexMethod(n)) return 'fatal:3';
            if (strict) return 'fatal:2';
            if (n === MSG.IGNORE || n === MSG.PING) return 'ignored';
            if (n === MSG.UNIMPLEMENTED) return 'unimplemented';
            if (n === MSG.DEBUG) return 'debug';
            if (n === MSG.PONG) return 'pong';
            if (unknownTransport(n)) return 'answered';
            return 'fatal:2';
          },
        );
      });
    }

    it(`${role}: after the first key exchange`, () => {
      let c: Side | undefined;
      let s: Side | undefined;
      sweep(
        (n) => {
          // A fresh pair after a fatal message, and after the KEXINIT that started a re-exchange.
          if (!c || !s || c.transport.isClosed || s.transport.isClosed || n === MSG.KEXINIT + 1) {
            [c, s] = connected();
            // Past the first packet after NEWKEYS, where EXT_INFO would be allowed.
            inject(c.transport, probe);
            pump(c, s);
            drain(c);
            drain(s);
          }
          const [receiver, peer] = pick(c, s);
          const before = marks(receiver, peer);
          // A KEXINIT injected behind the peer's back would make it send its own too: let it start the re-exchange.
          if (n === MSG.KEXINIT) peer.transport.rekey();
          else inject(peer.transport, payloadFor(n, peerRole));
          inject(peer.transport, probe); // shows a held EXT_INFO was not followed by USERAUTH_SUCCESS
          pump(c, s);
          return classify(receiver, peer, before);
        },
        (n) => {
          if (n === MSG.DISCONNECT) return 'peer-disconnect';
          if (n === MSG.IGNORE) return 'ignored';
          if (n === MSG.UNIMPLEMENTED) return 'unimplemented';
          if (n === MSG.DEBUG) return 'debug';
          if (n === MSG.SERVICE_REQUEST || n === MSG.SERVICE_ACCEPT) return 'message';
          if (n === MSG.KEXINIT) return 'rekey';
          if (unknownTransport(n)) return 'answered-unimplemented';
          if (n === MSG.PING) return 'answered-pong';
          if (n === MSG.PONG) return 'pong';
          if (n >= 50) return 'message';
          return 'fatal:2'; // EXT_INFO out of place, NEWKEYS, kex method messages outside a key exchange
        },
      );
    });

    it(`${role}: during a re-exchange, after the peer's KEXINIT`, () => {
      let c: Side | undefined;
      let s: Side | undefined;
      sweep(
        (n) => {
          if (!c || !s || c.transport.isClosed || s.transport.isClosed) {
            [c, s] = connected();
            const [receiver, peer] = pick(c, s);
            peer.transport.rekey();
            deliver(peer, receiver);
            drain(receiver);
            receiver.transport.takeOutput(); // its KEXINIT (and first kex message) never reach the peer
          }
          const [receiver, peer] = pick(c, s);
          inject(peer.transport, payloadFor(n, peerRole));
          inject(peer.transport, probe);
          deliver(peer, receiver);
          const result = classify(receiver, undefined);
          if (result === 'ignored' && receiver.transport.takeOutput()) return 'answered';
          return result;
        },
        (n) => {
          if (n === MSG.DISCONNECT) return 'peer-disconnect';
          if (n === MSG.IGNORE) return 'ignored';
          if (n === MSG.UNIMPLEMENTED) return 'unimplemented';
          if (n === MSG.DEBUG) return 'debug';
          if (unknownTransport(n)) return 'answered';
          // A PING's PONG waits for the new keys, like every message of ours.
          if (n === MSG.PING) return 'ignored';
          if (n === MSG.PONG) return 'pong';
          if (kexMethod(n)) return 'fatal:3';
          // RFC 4253 §7.1 has the peer stop sending these after its KEXINIT; one that does not is
          // tolerated (the packets are authenticated under the current keys) and delivered in order.
          if (n === MSG.SERVICE_REQUEST || n === MSG.SERVICE_ACCEPT || n >= 50) return 'message';
          return 'fatal:2'; // EXT_INFO, a second KEXINIT, NEWKEYS before the exchange finished
        },
      );
    });
  }
});

describe('EXT_INFO placement (RFC 8308 §2.4)', () => {
  /** Key exchange up to the client having written its NEWKEYS, which the server has not read yet. */
  function clientJustSentNewKeys(): [Side, Side] {
    const [c, s] = pair();
    deliver(c, s);
    deliver(s, c);
    deliver(c, s);
    deliver(s, c);
    for (const e of drain(c)) if (e.type === 'verify-host-key') c.transport.resolveHostKey(e.id, true);
    return [c, s];
  }

  it("a server takes the client's EXT_INFO as the first packet after its NEWKEYS", () => {
    const [c, s] = clientJustSentNewKeys();
    inject(c.transport, extInfo);
    deliver(c, s);
    expect(classify(s, undefined)).toBe('ext-info+kex-complete');
  });

  it('a server refuses EXT_INFO anywhere else, and a second one', () => {
    const [c, s] = clientJustSentNewKeys();
    inject(c.transport, extInfo);
    inject(c.transport, extInfo);
    deliver(c, s);
    expect(classify(s, undefined)).toBe('fatal:2');
  });

  it('a client takes EXT_INFO right after the server NEWKEYS (the default flow)', () => {
    const [c] = connected();
    expect(c.events.filter((e) => e.type === 'ext-info')).toHaveLength(1);
  });

  it('a client takes a second EXT_INFO immediately before USERAUTH_SUCCESS, and delivers it first', () => {
    const [c, s] = connected();
    inject(s.transport, extInfo);
    deliver(s, c);
    expect(drain(c)).toEqual([]); // held until we know what follows
    inject(s.transport, Uint8Array.of(MSG.USERAUTH_SUCCESS));
    deliver(s, c);
    expect(drain(c).map((e) => e.type)).toEqual(['ext-info', 'message']);
  });

  it.each([
    ['followed by another message', [extInfo, Uint8Array.of(MSG.USERAUTH_FAILURE, 0, 0, 0, 0, 0)]],
    ['twice before USERAUTH_SUCCESS', [extInfo, Uint8Array.of(MSG.USERAUTH_SUCCESS), extInfo, Uint8Array.of(MSG.USERAUTH_SUCCESS)]],
    ['after USERAUTH_SUCCESS', [Uint8Array.of(MSG.USERAUTH_SUCCESS), extInfo]],
  ])('a client refuses EXT_INFO %s', (_, messages) => {
    const [c, s] = connected();
    for (const m of messages) inject(s.transport, m);
    deliver(s, c);
    expect(classify(c, undefined)).toBe('fatal:2');
  });

  it('EXT_INFO as the first packet after a re-exchange is refused', () => {
    for (const role of ROLES) {
      const [c, s] = connected();
      const [receiver, peer] = role === 'server' ? [s, c] : [c, s];
      inject(c.transport, probe);
      inject(s.transport, probe);
      pump(c, s);
      drain(receiver);
      peer.transport.rekey();
      // Stop the exchange right after the peer's second NEWKEYS, then inject.
      for (let i = 0; i < 10 && !internalsOf(peer.transport).kex.phase.startsWith('idle'); i++) {
        deliver(peer, receiver);
        deliver(receiver, peer);
        for (const e of drain(c)) if (e.type === 'verify-host-key') c.transport.resolveHostKey(e.id, true);
      }
      inject(peer.transport, extInfo);
      inject(peer.transport, probe); // a client holds it in case USERAUTH_SUCCESS follows
      deliver(peer, receiver);
      expect(classify(receiver, undefined), role).toBe('fatal:2');
    }
  });
});

describe('authentication server state matrix (RFC 4252; CVE-2018-10933, CVE-2018-1000805)', () => {
  function fake(): AuthTransport & { sent: number[]; closed: number[] } {
    const sent: number[] = [];
    const closed: number[] = [];
    return { sessionId: new Uint8Array(32), sent, closed, send: (p) => void sent.push(p[0] ?? -1), disconnect: (code = 11) => void closed.push(code) };
  }
  const kbdint = UserauthRequest.encode({
    userName: 'u',
    serviceName: 'ssh-connection',
    methodName: 'keyboard-interactive',
    method: { type: 'keyboard-interactive', languageTag: '', submethods: '' },
  });

  type State = 'fresh' | 'service-accepted' | 'kbdint' | 'authenticated';
  function serverIn(state: State): { server: UserauthServer; t: ReturnType<typeof fake> } {
    const t = fake();
    const server = new UserauthServer(t, { maxAttempts: 100 });
    if (state === 'fresh') return { server, t };
    server.receive(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
    if (state === 'service-accepted') return { server, t };
    server.receive(kbdint);
    const begin = server.nextEvent();
    if (begin?.type !== 'begin-auth') throw new Error('no begin-auth');
    server.resolve(begin.id, state === 'kbdint');
    if (state === 'kbdint') {
      const ask = server.nextEvent();
      if (ask?.type !== 'kbdint-challenge-requested') throw new Error('no challenge');
      server.resolve(ask.id, { prompts: [{ prompt: 'Code: ', echo: false }] });
    } else server.nextEvent();
    t.sent.length = 0;
    return { server, t };
  }

  /** What the server made of message n: 'transport' (not its business), 'ignored', 'failure-sent' or 'fatal:N'. */
  function outcome(state: State, n: number): string {
    const { server, t } = serverIn(state);
    const payload = n === MSG.SERVICE_REQUEST ? ServiceRequest.encode({ serviceName: 'ssh-connection' }) : Uint8Array.of(n, 0, 0, 0, 0);
    const mine = server.receive(payload);
    const e = server.nextEvent();
    if (state !== 'authenticated') expect(server.authenticated).toBe(false);
    expect(t.sent).not.toContain(MSG.USERAUTH_SUCCESS);
    if (!mine) return 'transport';
    if (e?.type === 'failure') return `fatal:${t.closed[0] ?? -1}`;
    if (e) return e.type;
    return t.sent.includes(MSG.USERAUTH_FAILURE) ? 'failure-sent' : 'ignored';
  }

  const notAuth = (n: number) => n < 50 && n !== MSG.SERVICE_REQUEST && n !== MSG.SERVICE_ACCEPT;

  it('fresh: only the ssh-userauth service request is taken; ssh-connection is not available', () => {
    sweep(
      (n) => outcome('fresh', n),
      (n) => (notAuth(n) ? 'transport' : n === MSG.SERVICE_REQUEST ? 'fatal:7' : 'fatal:2'),
    );
  });

  it('service accepted: USERAUTH_SUCCESS, CHANNEL_OPEN, GLOBAL_REQUEST and the rest are protocol errors', () => {
    sweep(
      (n) => outcome('service-accepted', n),
      (n) => (notAuth(n) ? 'transport' : 'fatal:2'),
    );
  });

  it('waiting for an INFO_RESPONSE: only that is taken (a wrong count is a counted failure)', () => {
    sweep(
      (n) => outcome('kbdint', n),
      (n) => (notAuth(n) ? 'transport' : n === MSG.USERAUTH_INFO_RESPONSE ? 'failure-sent' : 'fatal:2'),
    );
  });

  it('authenticated: auth messages are ignored, connection messages left to the connection layer', () => {
    sweep(
      (n) => outcome('authenticated', n),
      (n) => (notAuth(n) || n >= 80 ? 'transport' : n >= 50 ? 'ignored' : 'fatal:2'),
    );
  });

  it('messages queued while the application answers are bounded', () => {
    const { server, t } = serverIn('service-accepted');
    server.receive(kbdint); // begin-auth pending
    for (let i = 0; i < 100; i++) server.receive(UserauthInfoResponse.encode({ responses: [] }));
    const events = [server.nextEvent(), server.nextEvent()];
    expect(events[1]).toMatchObject({ type: 'failure', error: expect.any(ProtocolError) });
    expect(t.closed).toEqual([2]);
  });
});

describe('a client that skips authentication, through the transport', () => {
  const channelOpen = Uint8Array.of(MSG.CHANNEL_OPEN, 0, 0, 0, 7, ...enc('session'), 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x40, 0);
  it.each([
    ['USERAUTH_SUCCESS', Uint8Array.of(MSG.USERAUTH_SUCCESS), 2],
    ['CHANNEL_OPEN', channelOpen, 2],
    ['GLOBAL_REQUEST', Uint8Array.of(MSG.GLOBAL_REQUEST, 0, 0, 0, 1, 0x78, 1), 2],
    ['a request for ssh-connection', ServiceRequest.encode({ serviceName: 'ssh-connection' }), 7],
  ] as const)('%s before authentication: the server disconnects and lets no one in', (_, payload, reason) => {
    for (const afterService of [false, true]) {
      const [c, s] = connected();
      const auth = new UserauthServer(s.transport);
      if (afterService) inject(c.transport, ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
      inject(c.transport, payload);
      deliver(c, s);
      for (const e of drain(s)) auth.handle(e);
      const outcome = [auth.nextEvent(), auth.nextEvent()].find((e) => e?.type === 'failure');
      expect(outcome?.type === 'failure' && outcome.error.reasonCode).toBe(afterService && reason === 7 ? 2 : reason);
      expect(auth.authenticated).toBe(false);
      deliver(s, c);
      const seen = drain(c);
      expect(seen.some((e) => e.type === 'message' && e.payload[0] === MSG.USERAUTH_SUCCESS)).toBe(false);
      expect(seen.at(-1)).toMatchObject({ type: 'disconnect', byPeer: true });
      expect(s.transport.isClosed).toBe(true);
    }
  });
});

describe('the version exchange does not take a second identification', () => {
  it('a second SSH- line after the first is binary garbage: ProtocolError', () => {
    const t = new Transport({ role: 'server', hostKeys: hostKeys() });
    t.receive(enc('SSH-2.0-a\r\nSSH-2.0-b\r\n'));
    expect(classify({ transport: t, events: [], messages: [] }, undefined)).toBe('fatal:2');
  });
});
