/**
 * GSS-API key exchange (RFC 4462 §2, RFC 8732) through both machines with a stand-in mechanism:
 * the client's first token is 'AP-REQ', the server answers 'AP-REP' and is established, the MIC is
 * an HMAC both sides know. The exchange hash is recomputed here from the messages on the wire, as
 * RFC 4462 §2.1/§2.3 and RFC 8732 §4 lay it out, and compared with both sides' H.
 */
import { createHash, createHmac } from 'node:crypto';
import { Reader, Writer } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import {
  GSS_KRB5_OID,
  GssKeyExchangeError,
  KeyExchangeError,
  MAX_GSS_TOKEN,
  createStandardRegistry,
  gssKexName,
  splitGssKexName,
  type GssKexAnswer,
  type KexExchange,
  type KexImpl,
  type KexResult,
  type KexStep,
  type KexTranscript,
} from '../src/index.ts';

const registry = createStandardRegistry();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | null): string => (b === null ? '<null>' : Buffer.from(b).toString());
const mic = (data: Uint8Array): Uint8Array => new Uint8Array(createHmac('sha256', 'context key').update(data).digest());
const HOST_KEY = new Writer(64).utf8('ssh-ed25519').bytes(new Uint8Array(32).fill(7)).finish();

const transcript: KexTranscript = {
  clientVersion: 'SSH-2.0-client',
  serverVersion: 'SSH-2.0-server',
  clientKexInit: Uint8Array.of(20, 1, 2, 3),
  serverKexInit: Uint8Array.of(20, 4, 5, 6),
};

function kexImpl(name: string): KexImpl {
  const spec = registry.get('kex', name);
  if (spec === undefined) throw new Error(`no ${name}`);
  return spec.impl;
}

const ALL = registry.names('kex', { includeUnavailable: true }).filter((n) => n.startsWith('gss-'));

interface Peer {
  readonly answer: (step: KexStep) => GssKexAnswer;
}

/** Kerberos-like initiator: AP-REQ first, established by AP-REP. */
const initiator: Peer = {
  answer(step) {
    if (step.type === 'gss-step') return step.token === null ? { kind: 'step', token: text('AP-REQ'), complete: false } : { kind: 'step', token: new Uint8Array(0), complete: str(step.token) === 'AP-REP' };
    if (step.type === 'gss-verify-mic') return { kind: 'verified', ok: Buffer.compare(mic(step.data), step.mic) === 0 };
    throw new Error(`client asked ${step.type}`);
  },
};

const acceptor: Peer = {
  answer(step) {
    if (step.type === 'gss-step') return str(step.token) === 'AP-REQ' && step.first ? { kind: 'step', token: text('AP-REP'), complete: true } : { kind: 'step-failed', error: 'bad token', major: 0x90000 };
    if (step.type === 'gss-mic') return { kind: 'mic', mic: mic(step.data) };
    throw new Error(`server asked ${step.type}`);
  },
};

/** Drives one side's steps until it has messages to send or is done. */
function drive(x: KexExchange, peer: Peer, step: KexStep, out: Uint8Array[]): KexResult | undefined {
  for (;;) {
    if (step.type === 'send') {
      out.push(...step.messages);
      return undefined;
    }
    if (step.type === 'done') {
      out.push(...step.messages);
      return step.result;
    }
    if (step.type === 'sign') throw new Error('GSS-API kex asked for a signature');
    if (step.type === 'gss-step') out.push(...step.messages);
    step = (x.answerGss as NonNullable<KexExchange['answerGss']>)(peer.answer(step));
  }
}

function run(name: string, opts: { hostKey?: Uint8Array; client?: Peer; server?: Peer } = {}) {
  const impl = kexImpl(name);
  const client = impl.create('client', transcript);
  const server = impl.create('server', transcript, opts.hostKey ? { hostKey: opts.hostKey } : {});
  const log: Uint8Array[] = [];
  let toServer: Uint8Array[] = [];
  let toClient: Uint8Array[] = [];
  let c = drive(client, opts.client ?? initiator, (client.begin as () => KexStep)(), toServer);
  let s = drive(server, opts.server ?? acceptor, (server.begin as () => KexStep)(), toClient);
  for (let i = 0; i < 10 && (c === undefined || s === undefined); i++) {
    const a = toServer;
    toServer = [];
    for (const m of a) {
      log.push(m);
      s = drive(server, opts.server ?? acceptor, server.receive(m), toClient) ?? s;
    }
    const b = toClient;
    toClient = [];
    for (const m of b) {
      log.push(m);
      c = drive(client, opts.client ?? initiator, client.receive(m), toServer) ?? c;
    }
  }
  if (c === undefined || s === undefined) throw new Error('exchange did not finish');
  return { client: c, server: s, log };
}

/** H recomputed from the wire messages (RFC 4462 §2.1 and §2.3, RFC 8732 §4). */
function expectedHash(name: string, log: Uint8Array[], hostKey: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  const hash = name.endsWith('sha1') ? 'sha1' : name.endsWith('sha256') ? 'sha256' : name.endsWith('sha384') ? 'sha384' : 'sha512';
  const w = new Writer(4096).utf8(transcript.clientVersion).utf8(transcript.serverVersion).bytes(transcript.clientKexInit).bytes(transcript.serverKexInit).bytes(hostKey);
  const find = (n: number): Reader => {
    const m = log.find((p) => p[0] === n);
    if (m === undefined) throw new Error(`no message ${n}`);
    const r = new Reader(m);
    r.u8('n');
    return r;
  };
  if (name.includes('-gex-')) {
    const req = find(40);
    w.u32(req.u32('min')).u32(req.u32('n')).u32(req.u32('max'));
    const grp = find(41);
    w.mpint(grp.mpint('p')).mpint(grp.mpint('g'));
  }
  const init = find(30);
  init.bytes('token');
  const complete = find(32);
  // e, f (mpint) or Q_C, Q_S (string) are hashed exactly as the messages carry them.
  w.bytes(init.bytes('e')).bytes(complete.bytes('f'));
  w.raw(sharedSecret);
  return new Uint8Array(createHash(hash).update(w.bytesView()).digest());
}

describe('GSS-API method names', () => {
  it('carry base64(MD5(DER OID)) of Kerberos V5 (RFC 4462 §2.6)', () => {
    expect(gssKexName('gss-group14-sha256')).toBe('gss-group14-sha256-toWM5Slw5Ew8Mqkay+al2g==');
    expect(gssKexName('gss-gex-sha1', GSS_KRB5_OID)).toBe('gss-gex-sha1-toWM5Slw5Ew8Mqkay+al2g==');
    expect(splitGssKexName('gss-curve25519-sha256-toWM5Slw5Ew8Mqkay+al2g==')).toEqual({ method: 'gss-curve25519-sha256', suffix: 'toWM5Slw5Ew8Mqkay+al2g==' });
    expect(splitGssKexName('gss-curve25519-sha256')).toBeUndefined();
    expect(splitGssKexName('curve25519-sha256')).toBeUndefined();
  });

  it('are not in the registry lists a connection offers by default', () => {
    expect(registry.names('kex').some((n) => n.startsWith('gss-'))).toBe(false);
    expect(ALL).toHaveLength(15);
  });
});

describe('GSS-API key exchange through both machines', () => {
  it.each(ALL)('%s agrees on K and H, as recomputed from the wire, with and without a host key', (name) => {
    for (const hostKey of [HOST_KEY, undefined]) {
      const r = run(name, hostKey ? { hostKey } : {});
      expect(r.client.sharedSecret).toEqual(r.server.sharedSecret);
      expect(r.client.exchangeHash).toEqual(r.server.exchangeHash);
      expect(r.client.gss).toBe(true);
      expect(r.client.signature).toBeUndefined();
      expect(r.client.hostKey).toEqual(hostKey ?? new Uint8Array(0));
      expect(r.client.exchangeHash).toEqual(expectedHash(name, r.log, hostKey ?? new Uint8Array(0), r.client.sharedSecret));
      // HOSTKEY (33) only with a host key, and before COMPLETE (32).
      const types = r.log.map((m) => m[0]);
      if (hostKey) expect(types.indexOf(33)).toBeLessThan(types.indexOf(32));
      else expect(types).not.toContain(33);
    }
  });

  it('a two-round mechanism goes through KEXGSS_CONTINUE both ways', () => {
    let clientRound = 0;
    const client: Peer = {
      answer(step) {
        if (step.type === 'gss-step') {
          clientRound++;
          if (step.token === null) return { kind: 'step', token: text('T1'), complete: false };
          if (str(step.token) === 'R1') return { kind: 'step', token: text('T2'), complete: false };
          return { kind: 'step', token: new Uint8Array(0), complete: str(step.token) === 'R2' };
        }
        return initiator.answer(step);
      },
    };
    const server: Peer = {
      answer(step) {
        if (step.type === 'gss-step') return str(step.token) === 'T1' ? { kind: 'step', token: text('R1'), complete: false } : { kind: 'step', token: text('R2'), complete: true };
        return acceptor.answer(step);
      },
    };
    const r = run('gss-group14-sha256', { client, server, hostKey: HOST_KEY });
    expect(r.client.exchangeHash).toEqual(r.server.exchangeHash);
    expect(r.log.map((m) => m[0])).toEqual([30, 33, 31, 31, 32]);
    expect(clientRound).toBe(3);
  });
});

describe('GSS-API key exchange failures are typed', () => {
  const impl = kexImpl;

  it('a MIC that does not verify fails the client', () => {
    const bad: Peer = { answer: (s) => (s.type === 'gss-mic' ? { kind: 'mic', mic: text('forged') } : acceptor.answer(s)) };
    expect(() => run('gss-curve25519-sha256', { server: bad })).toThrow(GssKeyExchangeError);
  });

  it("a failed acceptor step sends KEXGSS_ERROR (and the error token) before the disconnect", () => {
    const failing: Peer = { answer: (s) => (s.type === 'gss-step' ? { kind: 'step-failed', error: 'no key for the service', major: 0x70000, token: text('KRB-ERROR') } : acceptor.answer(s)) };
    let err: unknown;
    try {
      run('gss-nistp256-sha256', { server: failing, hostKey: HOST_KEY });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GssKeyExchangeError);
    const messages = (err as GssKeyExchangeError).messages;
    expect(messages.map((m) => m[0])).toEqual([33, 31, 34]);
    const r = new Reader(messages[2] as Uint8Array);
    r.u8('n');
    expect(r.u32('major')).toBe(0x70000);
    r.u32('minor');
    expect(r.utf8('message')).toBe('no key for the service');
  });

  it("the client fails on the server's KEXGSS_ERROR, with its message", () => {
    const c = impl('gss-group14-sha256').create('client', transcript);
    const step = (c.begin as () => KexStep)();
    expect(step.type).toBe('gss-step');
    (c.answerGss as NonNullable<KexExchange['answerGss']>)({ kind: 'step', token: text('AP-REQ'), complete: false });
    const error = new Writer(64).u8(34).u32(851968).u32(5).utf8('Server not found in Kerberos database').latin1('').finish();
    expect(() => c.receive(error)).toThrow(/Server not found in Kerberos database/);
  });

  it('out-of-order messages, oversized tokens, a second HOSTKEY and garbage are KeyExchangeErrors', () => {
    const fresh = (): KexExchange => {
      const c = impl('gss-curve25519-sha256').create('client', transcript);
      (c.begin as () => KexStep)();
      (c.answerGss as NonNullable<KexExchange['answerGss']>)({ kind: 'step', token: text('AP-REQ'), complete: false });
      return c;
    };
    const hostkey = new Writer(64).u8(33).bytes(HOST_KEY).finish();
    const c1 = fresh();
    c1.receive(hostkey);
    expect(() => c1.receive(hostkey)).toThrow(KeyExchangeError);
    expect(() => fresh().receive(new Writer(MAX_GSS_TOKEN + 16).u8(31).bytes(new Uint8Array(MAX_GSS_TOKEN + 1)).finish())).toThrow(/exceeds/);
    expect(() => fresh().receive(Uint8Array.of(41, 0, 0))).toThrow(KeyExchangeError);
    expect(() => fresh().receive(Uint8Array.of(32, 1))).toThrow(/malformed/);
    // COMPLETE without a token while the context still waits for the server's.
    const q = new Uint8Array(32).fill(9);
    expect(() => fresh().receive(new Writer(64).u8(32).bytes(q).bytes(text('mic')).bool(false).finish())).toThrow(/not established/);

    const s = impl('gss-group14-sha256').create('server', transcript);
    (s.begin as () => KexStep)();
    expect(() => s.receive(new Writer(16).u8(31).bytes(text('x')).finish())).toThrow(KeyExchangeError);
    const s2 = impl('gss-group14-sha256').create('server', transcript);
    (s2.begin as () => KexStep)();
    // e = 1 is out of range for DH.
    expect(() => s2.receive(new Writer(16).u8(30).bytes(text('AP-REQ')).mpint(1n).finish())).toThrow(KeyExchangeError);
    // While a step is pending the peer may not send anything.
    const s3 = impl('gss-group14-sha256').create('server', transcript);
    (s3.begin as () => KexStep)();
    const c = impl('gss-group14-sha256').create('client', transcript);
    (c.begin as () => KexStep)();
    const init = (c.answerGss as NonNullable<KexExchange['answerGss']>)({ kind: 'step', token: text('AP-REQ'), complete: false });
    expect(init.type).toBe('send');
    expect(s3.receive((init as { messages: readonly Uint8Array[] }).messages[0] as Uint8Array).type).toBe('gss-step');
    expect(() => s3.receive(new Writer(16).u8(31).bytes(text('x')).finish())).toThrow(/out of order/);
  });

  it('rounds are bounded', () => {
    const c = impl('gss-group14-sha256').create('client', transcript);
    (c.begin as () => KexStep)();
    const answer = c.answerGss as NonNullable<KexExchange['answerGss']>;
    answer({ kind: 'step', token: text('T'), complete: false });
    expect(() => {
      for (let i = 0; i < 20; i++) {
        c.receive(new Writer(16).u8(31).bytes(text('R')).finish());
        answer({ kind: 'step', token: text('T'), complete: false });
      }
    }).toThrow(/rounds/);
  });

  it('gss-gex: a group outside the requested bounds is refused', () => {
    const c = impl('gss-gex-sha256').create('client', transcript, { gexBounds: { min: 2048, preferred: 3072, max: 4096 } });
    expect((c.begin as () => KexStep)().type).toBe('send');
    const small = new Writer(300).u8(41).mpint((1n << 1023n) + 1n).mpint(2n).finish();
    expect(() => c.receive(small)).toThrow(/outside the requested/);
  });
});
