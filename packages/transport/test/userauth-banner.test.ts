/** UserauthServer.sendBanner (RFC 4252 §5.4), and banners the client must not trust. */
import { MSG, UserauthBanner } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { ProtocolError, UserauthServer, type AuthTransport } from '../src/index.ts';
import { authRun, clientOutcome } from './userauth-helpers.ts';

function fake(): AuthTransport & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return { sessionId: new Uint8Array(32), sent, send: (p) => void sent.push(p), disconnect: () => undefined };
}

describe('UserauthServer.sendBanner', () => {
  it('sends in order with the method replies, and queues until the service is accepted', () => {
    const t = fake();
    const server = new UserauthServer(t, { methods: ['password'] });
    server.sendBanner('early');
    expect(t.sent).toEqual([]);
    server.receive(new Uint8Array([MSG.SERVICE_REQUEST, 0, 0, 0, 12, ...new TextEncoder().encode('ssh-userauth')]));
    expect(t.sent.map((p) => p[0])).toEqual([MSG.SERVICE_ACCEPT, MSG.USERAUTH_BANNER]);
    expect(UserauthBanner.decode(t.sent[1] as Uint8Array)).toEqual({ message: 'early', languageTag: '' });
    server.sendBanner('now', 'de');
    expect(UserauthBanner.decode(t.sent[2] as Uint8Array)).toEqual({ message: 'now', languageTag: 'de' });
  });

  it('is refused after authentication and for non-strings', () => {
    const run = authRun({ client: { username: 'u', password: 'pw', methods: ['password'] }, server: { methods: ['password'] }, serverHandlers: { 'validate-password': () => true } });
    expect(clientOutcome(run)?.type).toBe('success');
    expect(() => run.server.sendBanner('late')).toThrow(/already complete/);
    const server = new UserauthServer(fake());
    expect(() => server.sendBanner(42 as unknown as string)).toThrow(TypeError);
    expect(() => server.sendBanner('x', null as unknown as string)).toThrow(TypeError);
  });

  it('a banner sent from begin-auth arrives before the answer to the request', () => {
    const run = authRun({
      client: { username: 'u', password: 'pw', methods: ['password'] },
      server: { methods: ['password'] },
      manual: true,
    });
    // Answer begin-auth by hand, sending a banner first.
    const begin = run.serverEvents.find((e) => e.type === 'begin-auth');
    expect(begin).toBeDefined();
    run.server.sendBanner('Authorised use only\n', 'en');
    run.server.resolve((begin as { id: number }).id, true);
    run.pump();
    const banner = run.clientEvents.find((e) => e.type === 'banner');
    expect(banner).toEqual({ type: 'banner', message: 'Authorised use only\n', languageTag: 'en' });
  });
});

describe('hostile banners reaching the client', () => {
  it('a banner whose message is not UTF-8 ends authentication with ProtocolError', () => {
    const bad = (p: Uint8Array): Uint8Array => {
      if (p[0] !== MSG.USERAUTH_BANNER) return p;
      // Same length: 'xx' becomes two bytes that are not UTF-8.
      const out = p.slice();
      out[5] = 0xc3;
      out[6] = 0x28;
      return out;
    };
    const run = authRun({ client: { username: 'u', password: 'pw', methods: ['password'] }, server: { banner: 'xx', methods: ['password'] }, mangleServer: bad, serverHandlers: { 'validate-password': () => true } });
    const outcome = clientOutcome(run);
    expect(outcome?.type).toBe('failure');
    expect(outcome?.type === 'failure' && outcome.error).toBeInstanceOf(ProtocolError);
    expect(run.clientEvents.some((e) => e.type === 'banner')).toBe(false);
  });

  it('a truncated banner ends authentication with ProtocolError', () => {
    const cut = (p: Uint8Array): Uint8Array => (p[0] === MSG.USERAUTH_BANNER ? p.subarray(0, p.length - 3) : p);
    const run = authRun({ client: { username: 'u', password: 'pw', methods: ['password'] }, server: { banner: 'hello', methods: ['password'] }, mangleServer: cut, serverHandlers: { 'validate-password': () => true } });
    const outcome = clientOutcome(run);
    expect(outcome?.type === 'failure' && outcome.error).toBeInstanceOf(ProtocolError);
  });
});
