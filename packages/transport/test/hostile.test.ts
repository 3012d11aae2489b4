/**
 * A hostile peer scripted byte by byte against the sans-I/O transport: oversized lengths, bad
 * padding, bad MACs, messages out of place during key exchange (the Terrapin prefix injection
 * against strict kex), floods of IGNORE, endless banners and a slow trickle. Every case must end in
 * a typed DisconnectError and a `disconnect` event, never a throw out of `receive()`, without
 * buffering more than one packet.
 */
import { DISCONNECT, Debug, Ignore, KexInit, MSG, NewKeys, Ping, ServiceRequest, Unimplemented } from '@ssh/wire';
import { generatePrivateKey } from '@ssh/keys';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST_KEY_ALGORITHMS, DisconnectError, KeyExchangeFailed, MACError, PacketReader, ProtocolError, Transport, type TransportEvent } from '../src/index.ts';
import {
  buffered,
  concat,
  connected,
  deliver,
  drain,
  enc,
  hostKeys,
  inject,
  internalsOf,
  ownDisconnect,
  pair,
  replaceHostKey,
  rawPacket,
  splitIdentification,
  versionBuffer,
} from './helpers/hostile.ts';
import { pump, type Side } from './helpers/pump.ts';

const serviceRequest = ServiceRequest.encode({ serviceName: 'ssh-userauth' });
const MAX = 256 * 1024;

/** Feeds bytes to a transport, failing the test if receive() ever throws. */
function feed(t: Transport, ...chunks: Uint8Array[]): void {
  for (const c of chunks) expect(() => t.receive(c)).not.toThrow();
}

/** The single `disconnect` event a hostile input must produce (ours, not the peer's). */
function failure(t: Transport): DisconnectError {
  const events: TransportEvent[] = [];
  for (let e = t.nextEvent(); e; e = t.nextEvent()) events.push(e);
  const d = events.filter((e) => e.type === 'disconnect');
  expect(d).toHaveLength(1);
  const only = d[0];
  if (only?.type !== 'disconnect') throw new Error('no disconnect');
  expect(only.byPeer).toBe(false);
  expect(t.isClosed).toBe(true);
  return only.error;
}

/** A server that has seen a client identification and nothing else. */
function serverAfterVersion(options: { maxPacketLength?: number } = {}): Transport {
  const t = new Transport({ role: 'server', hostKeys: hostKeys(), ...options });
  feed(t, enc('SSH-2.0-hostile\r\n'));
  return t;
}

/** The DISCONNECT a transport wrote before its keys were set (it is the last unencrypted packet). */
function plainDisconnectReason(t: Transport): number | undefined {
  const out = t.takeOutput();
  if (!out) return undefined;
  const reader = new PacketReader(MAX);
  reader.push(splitIdentification(out)[1]);
  let reason: number | undefined;
  for (let p = reader.next(); p; p = reader.next()) if (p[0] === MSG.DISCONNECT) reason = new DataView(p.buffer, p.byteOffset).getUint32(1);
  return reason;
}

describe('oversized packet lengths', () => {
  it('are refused from the length field alone, before the packet is buffered', () => {
    for (const length of [MAX + 1, 0x0010_0000, 0x7fff_ffff, 0xffff_ffff]) {
      const t = serverAfterVersion();
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, length);
      feed(t, head);
      expect(failure(t)).toBeInstanceOf(ProtocolError);
      // The peer hears why, in a DISCONNECT it can read.
      expect(plainDisconnectReason(t)).toBe(2);
      // Whatever follows is dropped, not queued.
      feed(t, new Uint8Array(64 * 1024));
      expect(buffered(t)).toBeLessThanOrEqual(4);
    }
  });

  it('honours a smaller configured maximum, and accepts at least 35000 bytes by default', () => {
    const small = serverAfterVersion({ maxPacketLength: 35_000 });
    feed(small, rawPacket(Ignore.encode({ data: new Uint8Array(40_000) })).subarray(0, 16));
    expect(failure(small)).toBeInstanceOf(ProtocolError);

    const [c, s] = connected();
    inject(c.transport, Ignore.encode({ data: new Uint8Array(35_000) }));
    inject(c.transport, serviceRequest);
    pump(c, s);
    expect(s.messages).toHaveLength(1);
    expect(ownDisconnect(s)).toBeUndefined();
  });

  it('after key exchange an impossible length is a MACError, seen after one block', () => {
    const opts = { encryptionAlgorithms: ['aes128-ctr'], macAlgorithms: ['hmac-sha2-256-etm@openssh.com'] };
    const [c, s] = connected(opts, opts);
    // With encrypt-then-MAC the length travels in clear: the hostile peer writes 2^31 there.
    inject(c.transport, serviceRequest);
    const packet = c.transport.takeOutput() as Uint8Array;
    packet.set([0x80, 0, 0, 0], 0);
    feed(s.transport, packet.subarray(0, 4));
    expect(failure(s.transport)).toBeInstanceOf(MACError);
    expect(buffered(s.transport)).toBeLessThanOrEqual(4);
  });
});

describe('padding and framing (RFC 4253 §6)', () => {
  const payload = KexInit.encode({
    cookie: new Uint8Array(16),
    kexAlgorithms: ['curve25519-sha256'],
    serverHostKeyAlgorithms: ['ssh-ed25519'],
    encryptionAlgorithmsClientToServer: ['aes128-ctr'],
    encryptionAlgorithmsServerToClient: ['aes128-ctr'],
    macAlgorithmsClientToServer: ['hmac-sha2-256'],
    macAlgorithmsServerToClient: ['hmac-sha2-256'],
    compressionAlgorithmsClientToServer: ['none'],
    compressionAlgorithmsServerToClient: ['none'],
    languagesClientToServer: [],
    languagesServerToClient: [],
    firstKexPacketFollows: false,
    reserved: 0,
  });
  const cases: readonly (readonly [string, Uint8Array])[] = [
    ['padding shorter than 4 bytes', rawPacket(payload.subarray(0, 4), { padding: 3 })],
    ['a padding length beyond the packet', rawPacket(payload, { paddingByte: 250 })],
    ['a length not a multiple of the block size', rawPacket(payload, { length: 1 + payload.length + 5 })],
    ['a packet shorter than the smallest one', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0)],
    ['a zero length', new Uint8Array(8)],
    ['an empty payload', rawPacket(new Uint8Array(0), { padding: 11, length: 12 })],
  ];
  it.each(cases)('%s is a ProtocolError', (_, bytes) => {
    const t = serverAfterVersion();
    feed(t, bytes, new Uint8Array(32));
    expect(failure(t)).toBeInstanceOf(ProtocolError);
  });

  it('the well-formed packet of the same payload is accepted', () => {
    const t = serverAfterVersion();
    feed(t, rawPacket(payload));
    expect(t.isClosed).toBe(false);
  });
});

describe('bad MACs', () => {
  for (const [cipher, mac] of [
    ['chacha20-poly1305@openssh.com', 'hmac-sha2-256'],
    ['aes256-gcm@openssh.com', 'hmac-sha2-256'],
    ['aes128-ctr', 'hmac-sha2-256'],
    ['aes128-ctr', 'umac-64-etm@openssh.com'],
  ] as const) {
    it(`a tag off by one bit is a MACError with ${cipher} / ${mac}, in both directions`, () => {
      const opts = { encryptionAlgorithms: [cipher], macAlgorithms: [mac] };
      for (const direction of ['to-server', 'to-client'] as const) {
        const [c, s] = connected(opts, opts);
        const [from, to] = direction === 'to-server' ? [c, s] : [s, c];
        inject(from.transport, serviceRequest);
        const packet = from.transport.takeOutput() as Uint8Array;
        packet[packet.length - 1] = (packet[packet.length - 1] as number) ^ 0x01;
        feed(to.transport, packet);
        expect(failure(to.transport)).toBeInstanceOf(MACError);
        // The DISCONNECT goes out sealed with the current keys; the peer reads reason 5.
        deliver(to, from);
        expect(drain(from).find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: true, error: { reasonCode: 5 } });
      }
    });
  }
});

describe('messages out of place during key exchange', () => {
  /** A server that has our client's KEXINIT: the method's messages are expected next. */
  function midKex(): [Side, Side] {
    const [c, s] = pair();
    deliver(c, s);
    drain(s);
    return [c, s];
  }

  it.each([
    ['a service request', serviceRequest, ProtocolError],
    ['a connection message', Uint8Array.of(MSG.CHANNEL_OPEN, 0, 0, 0, 0)],
    ['NEWKEYS before the exchange finished', NewKeys.encode({})],
    ['a second KEXINIT', null],
    ['the server reply of the method, sent to the server', Uint8Array.of(31, 0, 0, 0, 0), KeyExchangeFailed],
    ['EXT_INFO', Uint8Array.of(MSG.EXT_INFO, 0, 0, 0, 0)],
  ] as const)('%s is fatal', (_, payload, type = ProtocolError) => {
    const [c, s] = midKex();
    const bytes = payload ?? (internalsOf(c.transport).kex.ours as Uint8Array);
    feed(s.transport, rawPacket(bytes));
    const err = failure(s.transport);
    expect(err).toBeInstanceOf(DisconnectError);
    expect(err.reasonCode).toBe(type === KeyExchangeFailed ? 3 : 2);
  });

  it('a client refuses a kex reply with a garbage host key blob (KeyExchangeFailed)', () => {
    const [c, s] = pair();
    deliver(s, c);
    deliver(c, s);
    feed(c.transport, rawPacket(Uint8Array.of(31, 0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 32, ...new Uint8Array(32), 0, 0, 0, 0)));
    expect(failure(c.transport).reasonCode).toBe(3);
  });
});

describe('first_kex_packet_follows (RFC 4253 §7)', () => {
  /** The client announces a guessed packet and sends a junk one (number 30) right after its KEXINIT. */
  function guessing(clientKex: string[], serverKex: string[]): [Side, Side] {
    // Plain host key algorithms first, as the server's: a guess is right only if both lists agree.
    const hostKeyAlgorithms = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !a.endsWith('-cert-v01@openssh.com'));
    const [c, s] = pair({ kexAlgorithms: clientKex, hostKeyAlgorithms }, { kexAlgorithms: serverKex });
    const [version, rest] = splitIdentification(c.transport.takeOutput() as Uint8Array);
    const reader = new PacketReader(MAX);
    reader.push(rest);
    const guessed = KexInit.encode({ ...KexInit.decode(reader.next() as Uint8Array), firstKexPacketFollows: true });
    internalsOf(c.transport).kex = { phase: 'init-sent', ours: guessed }; // what the exchange hash covers
    feed(s.transport, concat(version, rawPacket(guessed), rawPacket(Uint8Array.of(30, 0, 0, 0, 1, 9))));
    pump(c, s);
    return [c, s];
  }

  it('a wrong guess: the guessed packet is ignored and the exchange completes', () => {
    const [c, s] = guessing(['ecdh-sha2-nistp256', 'curve25519-sha256'], ['curve25519-sha256', 'ecdh-sha2-nistp256']);
    expect(ownDisconnect(s)).toBeUndefined();
    expect(s.events.find((e) => e.type === 'kex-complete')).toMatchObject({ algorithms: { kex: 'ecdh-sha2-nistp256' } });
    expect(c.transport.isReady).toBe(true);
  });

  it('a right guess: the guessed packet is the exchange (here junk, so it fails)', () => {
    const [, s] = guessing(['curve25519-sha256'], ['curve25519-sha256']);
    expect(ownDisconnect(s)).toBeInstanceOf(KeyExchangeFailed);
  });
});

describe('Terrapin prefix injection against strict kex (OpenSSH PROTOCOL §1.10)', () => {
  /** The server's first output with `inject` placed between its identification and its KEXINIT. */
  function withPrefix(s: Side, injected: Uint8Array): Uint8Array {
    const [version, rest] = splitIdentification(s.transport.takeOutput() as Uint8Array);
    return concat(version, injected, rest);
  }

  it.each([
    ['IGNORE', Ignore.encode({ data: new Uint8Array(0) })],
    ['DEBUG', Debug.encode({ alwaysDisplay: false, message: 'x', languageTag: '' })],
    ['UNIMPLEMENTED', Unimplemented.encode({ sequenceNumber: 0 })],
    ['an unknown message', Uint8Array.of(99)],
  ])('%s before the server KEXINIT shifts the client sequence number: fatal', (_, msg) => {
    const [c, s] = pair();
    feed(c.transport, withPrefix(s, rawPacket(msg)));
    const err = failure(c.transport);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.reason).toMatch(/strict key exchange|before the first key exchange/);
    expect(c.transport.sessionId).toBeUndefined();
  });

  it('the same injection before the client KEXINIT is fatal on the server', () => {
    const [c, s] = pair();
    const [version, rest] = splitIdentification(c.transport.takeOutput() as Uint8Array);
    feed(s.transport, concat(version, rawPacket(Ignore.encode({ data: Uint8Array.of(1) })), rest));
    expect(failure(s.transport).reason).toMatch(/KEXINIT was not the first packet/);
  });

  it('an IGNORE injected after KEXINIT and before NEWKEYS is fatal', () => {
    for (const target of ['client', 'server'] as const) {
      const [c, s] = pair();
      const victim = target === 'client' ? c : s;
      const other = target === 'client' ? s : c;
      deliver(other, victim);
      feed(victim.transport, rawPacket(Ignore.encode({ data: new Uint8Array(0) })));
      expect(failure(victim.transport).reason).toMatch(/strict key exchange: unexpected message 2/);
    }
  });

  it('the full attack (inject IGNORE, drop the first encrypted packet) fails at the injection', () => {
    const [c, s] = pair();
    feed(c.transport, withPrefix(s, rawPacket(Ignore.encode({ data: new Uint8Array(0) }))));
    // The attacker would now delete the server's EXT_INFO to realign the counters: too late.
    pump(c, s);
    expect(ownDisconnect(c)).toBeInstanceOf(ProtocolError);
    expect(c.events.some((e) => e.type === 'ext-info' || e.type === 'kex-complete')).toBe(false);
    expect(s.events.some((e) => e.type === 'kex-complete')).toBe(false);
  });

  it('sequence numbers restart at NEWKEYS on both sides', () => {
    const [c, s] = connected();
    // Since NEWKEYS: the server sent EXT_INFO (one packet); the client sent nothing.
    expect(internalsOf(c.transport).reader.seq).toBe(1);
    expect(internalsOf(s.transport).reader.seq).toBe(0);
    // And again at every re-exchange's NEWKEYS (OpenSSH PROTOCOL §1.10), after traffic moved them on.
    for (let i = 0; i < 5; i++) inject(c.transport, serviceRequest);
    pump(c, s);
    expect(internalsOf(s.transport).reader.seq).toBe(5);
    c.transport.rekey();
    pump(c, s);
    expect(s.events.filter((e) => e.type === 'kex-complete')).toHaveLength(2);
    expect(internalsOf(s.transport).reader.seq).toBe(0);
    expect(internalsOf(c.transport).reader.seq).toBe(0);
  });
});

describe('a server that changes host keys', () => {
  it('a re-exchange signed by another host key is refused, even one the client would trust', () => {
    const [c, s] = connected();
    c.transport.rekey();
    pump(c, s);
    expect(c.events.filter((e) => e.type === 'kex-complete')).toHaveLength(2);
    replaceHostKey(s.transport, generatePrivateKey('ssh-ed25519'));
    c.events.length = 0;
    c.transport.rekey();
    // pump answers every verify-host-key with trust: the refusal is the transport's own.
    pump(c, s);
    expect(c.transport.isClosed).toBe(true);
    const d = c.events.find((e) => e.type === 'disconnect');
    expect(d?.type === 'disconnect' && d.error.message).toMatch(/host key changed during re-key/);
    expect(d?.type === 'disconnect' && d.error.reasonCode).toBe(DISCONNECT.HOST_KEY_NOT_VERIFIABLE);
  });
});

describe('floods', () => {
  it('20 000 IGNOREs cost no events, no replies and no buffer beyond one packet', () => {
    const [c, s] = connected();
    let maxBuffered = 0;
    for (let i = 0; i < 20_000; i++) {
      inject(c.transport, Ignore.encode({ data: new Uint8Array(i % 64) }));
      if (i % 1000 === 999) {
        const out = c.transport.takeOutput() as Uint8Array;
        for (let j = 0; j < out.length; j += 4096) {
          s.transport.receive(out.subarray(j, j + 4096));
          maxBuffered = Math.max(maxBuffered, buffered(s.transport));
        }
      }
    }
    expect(drain(s)).toEqual([]);
    expect(s.transport.takeOutput()).toBeUndefined();
    expect(maxBuffered).toBeLessThan(200);
    inject(c.transport, serviceRequest);
    deliver(c, s);
    expect(drain(s).map((e) => e.type)).toEqual(['message']);
  });

  it('a PING flood gets one PONG per PING and nothing else', () => {
    const [c, s] = connected();
    for (let i = 0; i < 500; i++) inject(c.transport, Ping.encode({ data: Uint8Array.of(i & 0xff) }));
    deliver(c, s);
    expect(drain(s)).toEqual([]);
    deliver(s, c);
    expect(drain(c).map((e) => e.type)).toEqual(Array(500).fill('pong'));
  });
});

describe('version banners', () => {
  it('a server stops at 255 bytes of an endless identification', () => {
    const t = new Transport({ role: 'server', hostKeys: hostKeys() });
    const junk = new Uint8Array(4096).fill(0x41);
    for (let i = 0; i < 256; i++) feed(t, junk); // 1 MiB offered
    expect(failure(t)).toBeInstanceOf(ProtocolError);
    expect(versionBuffer(t)).toBeLessThanOrEqual(8192);
  });

  it('a server refuses lines before the identification', () => {
    const t = new Transport({ role: 'server', hostKeys: hostKeys() });
    feed(t, enc('GET / HTTP/1.1\r\n'));
    expect(failure(t)).toBeInstanceOf(ProtocolError);
  });

  it('a client stops at 8 KiB of a line without end, and after 1024 pre-banner lines', () => {
    const endless = new Transport({ role: 'client' });
    for (let i = 0; i < 256; i++) feed(endless, new Uint8Array(4096).fill(0x42));
    expect(failure(endless)).toBeInstanceOf(ProtocolError);
    expect(versionBuffer(endless)).toBeLessThanOrEqual(16 * 1024);

    const lines = new Transport({ role: 'client' });
    for (let i = 0; i < 2000; i++) feed(lines, enc(`welcome line ${i}\r\n`));
    expect(failure(lines).reason).toMatch(/too many lines/);
  });

  it('a client refuses SSH-1 with ProtocolNotSupported (reason 8)', () => {
    const t = new Transport({ role: 'client' });
    feed(t, enc('SSH-1.5-old\r\n'));
    expect(failure(t).reasonCode).toBe(8);
  });
});

describe('slow trickle', () => {
  /** Event types of a handshake plus two messages each way, with bytes moved `chunk` at a time. */
  function run(chunk: number): string[][] {
    const [c, s] = pair();
    c.transport.send(serviceRequest);
    s.transport.send(ServiceRequest.encode({ serviceName: 'x' }));
    pump(c, s, { chunk });
    s.transport.rekey();
    c.transport.send(serviceRequest);
    pump(c, s, { chunk });
    return [c, s].map((x) => x.events.map((e) => (e.type === 'message' ? `message ${[...e.payload].join(',')}` : e.type)));
  }

  it('one byte at a time gives the same events as whole writes', () => {
    const whole = run(Number.MAX_SAFE_INTEGER);
    expect(whole[1]).toContain(`message ${[...serviceRequest].join(',')}`);
    expect(run(1)).toEqual(whole);
  });

  it('an oversized length trickled in is refused at its fourth byte', () => {
    const t = serverAfterVersion();
    feed(t, Uint8Array.of(0x01), Uint8Array.of(0x00), Uint8Array.of(0x00));
    expect(t.isClosed).toBe(false);
    feed(t, Uint8Array.of(0x00));
    expect(failure(t)).toBeInstanceOf(ProtocolError);
  });

  it('an encrypted packet trickled in byte by byte arrives intact', () => {
    const [c, s] = connected();
    inject(c.transport, serviceRequest);
    deliver(c, s, 1);
    expect(drain(s).map((e) => e.type)).toEqual(['message']);
    expect(s.transport.isClosed).toBe(false);
  });
});
