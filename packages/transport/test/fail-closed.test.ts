/**
 * Fail closed: an untrusted or unanswered host key, a bad signature over the exchange hash, and a
 * user authentication signature over the wrong session identifier (or by another key, for another
 * user, with another algorithm) each stop the connection or the attempt; and the server tells the
 * application only about keys whose possession a signature proved (the x/crypto/ssh CVE-2024-45337
 * mistake: taking the last key offered for the key that authenticated).
 */
import { generatePrivateKey, type SSHKey } from '@ssh/keys';
import { MSG, ServiceRequest, UserauthRequest, userauthSignedData } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, KeyExchangeFailed, UserauthServer, type AuthTransport, type UserauthServerEvent } from '../src/index.ts';
import { deliver, drain, hostKeys, ownDisconnect, pair } from './helpers/hostile.ts';
import { pump, type Side } from './helpers/pump.ts';

const serviceRequest = ServiceRequest.encode({ serviceName: 'ssh-userauth' });

describe('host key verification on the client', () => {
  /** Runs the key exchange up to the client's verify-host-key event, without answering it. */
  function untilVerify(): { c: Side; s: Side; id: number } {
    const [c, s] = pair();
    c.transport.send(serviceRequest); // held until the keys are in place
    for (let i = 0; i < 4; i++) {
      deliver(c, s);
      deliver(s, c);
    }
    const verify = drain(c).find((e) => e.type === 'verify-host-key');
    if (verify?.type !== 'verify-host-key') throw new Error('no verify-host-key');
    return { c, s, id: verify.id };
  }

  it('a key answered false ends the connection with HostKeyNotVerifiable before anything is sent', () => {
    const { c, s, id } = untilVerify();
    c.transport.resolveHostKey(id, false);
    expect(ownDisconnect({ ...c, events: drain(c) })).toBeInstanceOf(HostKeyNotVerifiable);
    pump(c, s);
    expect(s.messages).toEqual([]);
    expect(s.events.find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: true, error: { reasonCode: 9 } });
    expect(s.events.some((e) => e.type === 'kex-complete')).toBe(false);
  });

  it('an unanswered key holds everything back: no NEWKEYS, no data, not ready', () => {
    const { c, s } = untilVerify();
    deliver(c, s);
    deliver(s, c);
    expect(c.transport.isReady).toBe(false);
    expect(drain(s).some((e) => e.type === 'kex-complete' || e.type === 'message')).toBe(false);
    expect(c.transport.takeOutput()).toBeUndefined();
  });

  it('a stale id, or an answer after the connection closed, changes nothing', () => {
    const { c, s, id } = untilVerify();
    c.transport.resolveHostKey(id + 1, true);
    expect(c.transport.takeOutput()).toBeUndefined();
    c.transport.disconnect();
    c.transport.resolveHostKey(id, true);
    deliver(c, s);
    expect(drain(s).map((e) => e.type)).toEqual(['version', 'disconnect']);
  });
});

describe('the signature over the exchange hash', () => {
  /** A server host key whose signatures go wrong in a chosen way. */
  function lying(key: SSHKey, sign: (data: Uint8Array, alg: string | undefined) => Uint8Array): SSHKey {
    return Object.create(key, { sign: { value: sign } }) as SSHKey;
  }
  const ed = hostKeys()[0] as SSHKey;
  const otherEd = generatePrivateKey('ssh-ed25519');
  const rsa = generatePrivateKey('ssh-rsa', { keySize: 2048 });

  it.each([
    ['over other data', lying(ed, (d, a) => ed.sign(Uint8Array.from(d, (b, i) => (i === 0 ? b ^ 1 : b)), a)), undefined],
    ['by another key', lying(ed, (d, a) => otherEd.sign(d, a)), undefined],
    ['truncated', lying(ed, (d, a) => ed.sign(d, a).subarray(0, 40)), undefined],
    ['empty', lying(ed, () => new Uint8Array(0)), undefined],
    ['with SHA-1 when rsa-sha2-512 was negotiated', lying(rsa, (d) => rsa.sign(d, 'ssh-rsa')), ['rsa-sha2-512']],
    ['with rsa-sha2-256 when rsa-sha2-512 was negotiated', lying(rsa, (d) => rsa.sign(d, 'rsa-sha2-256')), ['rsa-sha2-512']],
  ] as const)('a signature %s aborts the key exchange; the application is never asked', (_, key, algs) => {
    const [c, s] = pair(algs ? { hostKeyAlgorithms: algs } : {}, { hostKeys: [key] });
    pump(c, s);
    expect(ownDisconnect(c)).toBeInstanceOf(KeyExchangeFailed);
    expect(c.events.some((e) => e.type === 'verify-host-key' || e.type === 'kex-complete')).toBe(false);
    expect(s.events.find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: true, error: { reasonCode: 3 } });
  });

  it('the honest key of the same setups passes (the test can tell)', () => {
    const [c, s] = pair({ hostKeyAlgorithms: ['rsa-sha2-512'] }, { hostKeys: [rsa] });
    pump(c, s);
    expect(c.transport.isReady).toBe(true);
  });
});

describe('user authentication signatures on the server', () => {
  const sessionId = new Uint8Array(32).fill(0x5a);
  const otherSession = new Uint8Array(32).fill(0xa5);
  const alice = generatePrivateKey('ssh-ed25519');
  const mallory = generatePrivateKey('ssh-ed25519');
  const rsa = generatePrivateKey('ssh-rsa', { keySize: 2048 });

  function fake(): AuthTransport & { sent: number[]; closed: number[] } {
    const sent: number[] = [];
    const closed: number[] = [];
    return { sessionId, sent, closed, send: (p) => void sent.push(p[0] ?? -1), disconnect: (code = 11) => void closed.push(code) };
  }

  /** A publickey request for `key`; signed by `signer` over the data for `signedAs` (defaults: the same request, our session). */
  function request(
    key: SSHKey,
    o: { signer?: SSHKey; session?: Uint8Array; algorithm?: string; signAlgorithm?: string; signedAs?: { userName?: string; serviceName?: string }; query?: boolean } = {},
  ): Uint8Array {
    const algorithm = o.algorithm ?? (key.sigAlgorithms[0] as string);
    const base = { userName: 'alice', serviceName: 'ssh-connection', methodName: 'publickey' } as const;
    const method = { type: 'publickey' as const, hasSignature: false, algorithm, publicKey: key.publicData };
    if (o.query) return UserauthRequest.encode({ ...base, method });
    const signed = { ...base, ...o.signedAs, method: { ...method, hasSignature: true } } as UserauthRequest;
    const signature = (o.signer ?? key).sign(userauthSignedData(o.session ?? sessionId, signed), o.signAlgorithm ?? algorithm);
    return UserauthRequest.encode({ ...base, method: { ...method, hasSignature: true, signature } });
  }

  /** Feeds requests to a server that trusts every key it is asked about; returns its events and state. */
  function serve(...requests: Uint8Array[]): { events: UserauthServerEvent[]; server: UserauthServer; t: ReturnType<typeof fake> } {
    const t = fake();
    const server = new UserauthServer(t, { maxAttempts: 20 });
    server.receive(serviceRequest);
    const events: UserauthServerEvent[] = [];
    for (const r of requests) {
      server.receive(r);
      for (let e = server.nextEvent(); e; e = server.nextEvent()) {
        events.push(e);
        if ('id' in e) server.resolve(e.id, true);
      }
    }
    return { events, server, t };
  }

  it('the honest signature gets in, and names the key that signed', () => {
    const { server, events } = serve(request(alice));
    expect(server.authenticated).toBe(true);
    expect(server.authenticatedKey?.equals(alice)).toBe(true);
    expect(events.filter((e) => e.type === 'validate-public-key').map((e) => e.type === 'validate-public-key' && e.proven)).toEqual([true]);
  });

  it.each([
    ['over another session identifier', () => request(alice, { session: otherSession })],
    ["by another key over the first key's request", () => request(alice, { signer: mallory })],
    ['for another user', () => request(alice, { signedAs: { userName: 'root' } })],
    ['for another service', () => request(alice, { signedAs: { serviceName: 'ssh-userauth' } })],
    ['with another algorithm than the request names', () => request(rsa, { algorithm: 'rsa-sha2-512', signAlgorithm: 'ssh-rsa' })],
  ])('a signature %s is refused, and the key is never reported as proven', (_, make) => {
    const { server, events, t } = serve(make());
    expect(server.authenticated).toBe(false);
    expect(server.authenticatedKey).toBeUndefined();
    expect(events.some((e) => e.type === 'validate-public-key' || e.type === 'auth-completed')).toBe(false);
    expect(t.sent).toEqual([MSG.SERVICE_ACCEPT, MSG.USERAUTH_FAILURE]);
  });

  it('CVE-2024-45337: a key only queried is never the authenticated one', () => {
    // Mallory's key is offered and accepted in a query, then alice's key signs.
    const { server, events } = serve(request(mallory, { query: true }), request(alice));
    const validated = events.flatMap((e) => (e.type === 'validate-public-key' ? [[e.key.equals(alice) ? 'alice' : 'mallory', e.proven]] : []));
    expect(validated).toEqual([
      ['mallory', false],
      ['alice', true],
    ]);
    expect(server.authenticatedKey?.equals(alice)).toBe(true);
    expect(server.authenticatedKey?.equals(mallory)).toBe(false);
  });

  it('CVE-2024-45337: a queried key followed by a forged signature for it proves nothing', () => {
    const { server, events } = serve(request(alice, { query: true }), request(alice, { signer: mallory }), request(alice, { session: otherSession }));
    expect(events.filter((e) => e.type === 'validate-public-key').map((e) => e.type === 'validate-public-key' && e.proven)).toEqual([false]);
    expect(server.authenticated).toBe(false);
    expect(server.authenticatedKey).toBeUndefined();
  });

  it('after a password login there is no authenticated key, whatever was queried before', () => {
    const t = fake();
    const server = new UserauthServer(t);
    server.receive(serviceRequest);
    for (const r of [
      request(alice, { query: true }),
      UserauthRequest.encode({ userName: 'alice', serviceName: 'ssh-connection', methodName: 'password', method: { type: 'password', changePassword: false, password: 'pw' } }),
    ]) {
      server.receive(r);
      for (let e = server.nextEvent(); e; e = server.nextEvent()) if ('id' in e) server.resolve(e.id, true);
    }
    expect(server.authenticated).toBe(true);
    expect(server.authenticatedKey).toBeUndefined();
  });
});
