/**
 * GSS-API key exchange (RFC 4462 §2, RFC 8732) in the transport, and gssapi-keyex user
 * authentication (§4) on top, with a stand-in mechanism (AP-REQ, AP-REP, a keyed checksum as the
 * MIC): the offer (mechanism-suffixed names first, "null" host key), no host key check, a server
 * without a host key, rekeying through GSS-API again, and failures ending in typed disconnects.
 */
import { createHash } from 'node:crypto';
import { createStandardRegistry } from '@ssh/crypto';
import { KexInit, MSG, UserauthRequest, userauthGssapiMicData } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { KeyExchangeFailed, Transport, type TransportEvent, type TransportOptions } from '../src/index.ts';
import { hostKeys } from './helpers/hostile.ts';
import { pump, side, type Side } from './helpers/pump.ts';
import { authRun, clientOutcome, type GssKexHandler, type ServerHandlers } from './userauth-helpers.ts';

const SUFFIX = 'toWM5Slw5Ew8Mqkay+al2g==';
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | null): string => (b === null ? '' : Buffer.from(b).toString());
const mic = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update('context key').update(data).digest());

const clientGss: GssKexHandler = (e) => {
  if (e.type === 'gss-kex-step') return e.token === null ? { token: text('AP-REQ'), complete: false } : { token: new Uint8Array(0), complete: str(e.token) === 'AP-REP' };
  if (e.type === 'gss-kex-verify-mic') return Buffer.compare(mic(e.data), e.mic) === 0;
  return null;
};
const serverGss: GssKexHandler = (e) => {
  if (e.type === 'gss-kex-step') return str(e.token) === 'AP-REQ' && e.first ? { token: text('AP-REP'), complete: true } : { error: 'bad token' };
  if (e.type === 'gss-kex-mic') return mic(e.data);
  return null;
};

function gssPair(client: Partial<TransportOptions> = {}, server: Partial<TransportOptions> = {}): [Side, Side] {
  return [side(new Transport({ role: 'client', gssKex: true, ...client })), side(new Transport({ role: 'server', hostKeys: hostKeys(), gssKex: true, ...server }))];
}

function run(c: Side, s: Side, handlers: { client?: GssKexHandler; server?: GssKexHandler } = {}): void {
  pump(c, s, {
    onEvent(from, e) {
      const h = from === c ? (handlers.client ?? clientGss) : (handlers.server ?? serverGss);
      if (e.type === 'gss-kex-step' || e.type === 'gss-kex-mic' || e.type === 'gss-kex-verify-mic') from.transport.resolveGssKex(e.id, h(e));
    },
  });
}

const firstKexInit = (bytes: Uint8Array): KexInit => {
  // The identification line, then the first packet (unencrypted): length, padding length, payload.
  const start = bytes.indexOf(10) + 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start);
  const length = view.getUint32(0);
  const padding = bytes[start + 4] as number;
  return KexInit.decode(bytes.subarray(start + 5, start + 4 + length - padding));
};
const kinds = (s: Side): string[] => s.events.map((e) => e.type);
const disconnect = (s: Side): Extract<TransportEvent, { type: 'disconnect' }> | undefined => s.events.find((e) => e.type === 'disconnect') as never;

describe('GSS-API key exchange offer', () => {
  it('off: the KEXINIT is what it was (no gss-* names, no "null" host key)', () => {
    const registry = createStandardRegistry();
    const t = new Transport({ role: 'client' });
    const init = firstKexInit(t.takeOutput() as Uint8Array);
    expect(init.kexAlgorithms).toEqual([...registry.names('kex', { defaultsOnly: true }), 'ext-info-c', 'kex-strict-c-v00@openssh.com']);
    expect(init.serverHostKeyAlgorithms).not.toContain('null');
    const named = new Transport({ role: 'client', kexAlgorithms: 'gss-group14-sha256,curve25519-sha256' });
    expect(firstKexInit(named.takeOutput() as Uint8Array).kexAlgorithms.slice(0, 1)).toEqual(['curve25519-sha256']);
  });

  it('on: the gss-* names come first with the Kerberos V5 suffix, and "null" ends the host key list', () => {
    const init = firstKexInit(new Transport({ role: 'client', gssKex: true }).takeOutput() as Uint8Array);
    expect(init.kexAlgorithms[0]).toBe(`gss-curve25519-sha256-${SUFFIX}`);
    expect(init.kexAlgorithms.filter((n) => n.startsWith('gss-'))).toHaveLength(13);
    expect(init.serverHostKeyAlgorithms.at(-1)).toBe('null');
    const only = firstKexInit(new Transport({ role: 'client', gssKex: true, kexAlgorithms: ['gss-gex-sha1', 'curve25519-sha256'] }).takeOutput() as Uint8Array);
    expect(only.kexAlgorithms.slice(0, 2)).toEqual([`gss-gex-sha1-${SUFFIX}`, 'curve25519-sha256']);
    const plus = firstKexInit(new Transport({ role: 'client', gssKex: true, kexAlgorithms: '+gss-gex-sha1' }).takeOutput() as Uint8Array);
    expect(plus.kexAlgorithms.filter((n) => n.startsWith('gss-'))).toHaveLength(14);
    expect(plus.kexAlgorithms.filter((n) => n.startsWith('gss-')).at(-1)).toBe(`gss-gex-sha1-${SUFFIX}`);
    expect(plus.kexAlgorithms).toContain('curve25519-sha256');
    const minus = firstKexInit(new Transport({ role: 'client', gssKex: true, kexAlgorithms: '-gss-curve25519-sha256,curve448-sha512' }).takeOutput() as Uint8Array);
    expect(minus.kexAlgorithms[0]).toBe(`gss-curve448-sha512-${SUFFIX}`);
    expect(minus.kexAlgorithms).not.toContain('curve448-sha512');
    const server = firstKexInit(new Transport({ role: 'server', gssKex: true, hostKeys: [] }).takeOutput() as Uint8Array);
    expect(server.serverHostKeyAlgorithms).toEqual(['null']);
    expect(() => new Transport({ role: 'server', hostKeys: [] })).toThrow(/host key/);
  });
});

describe('GSS-API key exchange through two transports', () => {
  for (const kex of ['gss-curve25519-sha256', 'gss-nistp256-sha256', 'gss-group14-sha256', 'gss-group16-sha512', 'gss-gex-sha1']) {
    it(`${kex}: completes without a host key check, the context authenticating the server`, () => {
      const [c, s] = gssPair({ kexAlgorithms: [kex] }, { kexAlgorithms: [kex, 'curve25519-sha256'] });
      run(c, s);
      expect(disconnect(c) ?? disconnect(s)).toBeUndefined();
      expect(c.transport.isReady && s.transport.isReady).toBe(true);
      expect(c.transport.sessionId).toEqual(s.transport.sessionId);
      expect(c.events.find((e) => e.type === 'kex-complete')).toMatchObject({ algorithms: { kex: `${kex}-${SUFFIX}`, hostKey: 'ssh-ed25519' } });
      expect(kinds(c)).not.toContain('verify-host-key');
      expect(kinds(c).filter((k) => k.startsWith('gss-kex'))).toEqual(['gss-kex-step', 'gss-kex-step', 'gss-kex-verify-mic']);
      expect(kinds(s).filter((k) => k.startsWith('gss-kex'))).toEqual(['gss-kex-step', 'gss-kex-mic']);
      expect(c.transport.gssKexEstablished && s.transport.gssKexEstablished).toBe(true);
    });
  }

  it('a server without a host key negotiates "null"', () => {
    const [c, s] = gssPair({}, { hostKeys: [] });
    run(c, s);
    expect(c.transport.isReady).toBe(true);
    expect(c.events.find((e) => e.type === 'kex-complete')).toMatchObject({ algorithms: { hostKey: 'null' } });
  });

  it('a client without GSS-API key exchange cannot reach a server without a host key', () => {
    const [c, s] = gssPair({ gssKex: false }, { hostKeys: [] });
    run(c, s);
    expect(disconnect(c)?.error).toBeInstanceOf(KeyExchangeFailed);
    expect(disconnect(c)?.error.message).toMatch(/host key/);
  });

  it('a client offering GSS-API falls back to an ordinary method with a server that does not', () => {
    const [c, s] = gssPair({}, { gssKex: false });
    run(c, s);
    expect(c.transport.isReady).toBe(true);
    expect(kinds(c)).toContain('verify-host-key');
    expect(c.transport.gssKexEstablished).toBe(false);
  });

  it('rekeying runs the GSS-API exchange again, with a new context', () => {
    const [c, s] = gssPair();
    run(c, s);
    const id = c.transport.sessionId;
    c.transport.rekey();
    run(c, s);
    expect(c.events.filter((e) => e.type === 'kex-complete')).toHaveLength(2);
    expect(c.transport.sessionId).toEqual(id);
    const firstSteps = c.events.filter((e) => e.type === 'gss-kex-step' && e.token === null);
    expect(firstSteps).toHaveLength(2);
    expect(s.events.filter((e) => e.type === 'gss-kex-step' && e.first)).toHaveLength(2);
  });

  it("a server MIC that does not verify is a KeyExchangeFailed on the client", () => {
    const [c, s] = gssPair();
    run(c, s, { server: (e) => (e.type === 'gss-kex-mic' ? text('forged') : serverGss(e)) });
    expect(disconnect(c)?.error).toBeInstanceOf(KeyExchangeFailed);
    expect(disconnect(c)?.error.message).toMatch(/MIC/);
    expect(c.transport.isReady).toBe(false);
  });

  it("the server's failed step reaches the client as KEXGSS_ERROR, then both disconnect", () => {
    const [c, s] = gssPair();
    run(c, s, { server: (e) => (e.type === 'gss-kex-step' ? { error: 'Server not found in Kerberos database', major: 0xd0000 } : serverGss(e)) });
    expect(disconnect(s)?.error).toBeInstanceOf(KeyExchangeFailed);
    // The client learns why from KEXGSS_ERROR (it arrives before the DISCONNECT).
    expect(disconnect(c)?.error.message).toMatch(/Server not found in Kerberos database/);
  });

  it('an unanswered step holds the exchange; a late or unknown answer id is ignored', () => {
    const [c, s] = gssPair();
    pump(c, s);
    const step = c.events.find((e) => e.type === 'gss-kex-step');
    expect(step).toBeDefined();
    expect(c.transport.isReady).toBe(false);
    c.transport.resolveGssKex(9999, { token: text('AP-REQ'), complete: false });
    expect(c.transport.takeOutput()).toBeUndefined();
  });
});

describe('gssapi-keyex user authentication (RFC 4462 §4)', () => {
  const principal: ServerHandlers = {
    'gss-verify-mic': (e) => (e.keyex === true && Buffer.compare(mic(e.data), e.mic) === 0 ? { userPrincipal: 'k@TEST.SSH', hostPrincipal: 'host/localhost@TEST.SSH' } : false),
    'validate-gss-principal': (e) => e.userPrincipal === `${e.username}@TEST.SSH`,
  };

  it('after a GSS-API key exchange: a MIC over the session identifier logs in', () => {
    const r = authRun({
      client: { username: 'k', methods: ['gssapi-keyex', 'password'] },
      server: { methods: ['gssapi-keyex', 'password'] },
      clientHandlers: { 'gss-mic': (e) => (e.keyex === true ? mic(e.data) : null) },
      serverHandlers: principal,
      gssKex: { client: clientGss, server: serverGss, noHostKey: true },
    });
    expect(clientOutcome(r)).toEqual({ type: 'success', method: 'gssapi-keyex' });
    const requests = r.toServer.filter((p) => p[0] === MSG.USERAUTH_REQUEST).map((p) => UserauthRequest.decode(p));
    const req = requests.find((q) => q.methodName === 'gssapi-keyex') as UserauthRequest;
    const data = userauthGssapiMicData(r.clientTransport.sessionId as Uint8Array, 'k', 'ssh-connection', 'gssapi-keyex');
    expect(req.method).toEqual({ type: 'gssapi-keyex', mic: mic(data) });
    expect(r.serverEvents.map((e) => e.type)).toEqual(['begin-auth', 'gss-verify-mic', 'validate-gss-principal', 'auth-completed']);
  });

  it('a principal the server refuses falls through to the next method', () => {
    const r = authRun({
      client: { username: 'other', methods: ['gssapi-keyex', 'password'], password: 'pw' },
      server: { methods: ['gssapi-keyex', 'password'] },
      clientHandlers: { 'gss-mic': (e) => mic(e.data) },
      serverHandlers: { ...principal, 'validate-password': () => true },
      gssKex: { client: clientGss, server: serverGss },
    });
    expect(clientOutcome(r)).toEqual({ type: 'success', method: 'password' });
  });

  it('without a GSS-API key exchange neither side uses it', () => {
    const r = authRun({
      client: { username: 'k', methods: ['gssapi-keyex', 'password'], password: 'pw' },
      server: { methods: ['gssapi-keyex', 'password'] },
      clientHandlers: { 'gss-mic': (e) => mic(e.data) },
      serverHandlers: { ...principal, 'validate-password': () => true },
    });
    expect(r.clientEvents.map((e) => e.type)).not.toContain('gss-mic');
    expect(clientOutcome(r)).toEqual({ type: 'success', method: 'password' });
    expect(r.serverEvents.filter((e) => e.type === 'gss-verify-mic')).toEqual([]);
    const failures = r.toServer.length > 0 ? r.clientTransportEvents.filter((e) => e.type === 'message' && e.payload[0] === MSG.USERAUTH_FAILURE) : [];
    for (const f of failures) expect(new TextDecoder().decode((f as { payload: Uint8Array }).payload)).not.toContain('gssapi-keyex');
  });
});
