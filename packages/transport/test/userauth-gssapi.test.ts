/**
 * gssapi-with-mic (RFC 4462 §3) through both machines with a stand-in mechanism (the GSS-API
 * calls are the application's: here a two-token exchange and a keyed checksum as the MIC), the
 * refusals that fall through to the next method, and malformed or out-of-order GSSAPI messages,
 * which end in ProtocolError.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MSG,
  ServiceAccept,
  ServiceRequest,
  UserauthFailure,
  UserauthGssapiError,
  UserauthGssapiErrtok,
  UserauthGssapiExchangeComplete,
  UserauthGssapiMic,
  UserauthGssapiResponse,
  UserauthGssapiToken,
  UserauthRequest,
  userauthGssapiMicData,
} from '@ssh/wire';
import { type DisconnectError, ProtocolError, UserauthClient, UserauthServer, type ClientAnswer, type ServerAnswer } from '../src/index.ts';
import { authRun, clientOutcome, types, type ClientHandlers, type ServerHandlers } from './userauth-helpers.ts';

const KRB5 = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02);
const OTHER_MECH = Uint8Array.of(0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02); // SPNEGO
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const mic = (data: Uint8Array): Uint8Array => createHash('sha256').update('shared context key').update(data).digest();

/** The client side of the stand-in mechanism: AP-REQ, then the server's AP-REP completes it. */
const clientGss: ClientHandlers = {
  'gss-step': (e) => (e.token === null ? { token: text('AP-REQ'), complete: false } : { token: new Uint8Array(0), complete: Buffer.from(e.token).toString() === 'AP-REP' }),
  'gss-mic': (e) => mic(e.data),
};

/** The server side: AP-REQ establishes the context and answers AP-REP; MICs check against the same key. */
function serverGss(principal = 'k@TEST.SSH', extra: ServerHandlers = {}): ServerHandlers {
  return {
    'gss-step': (e) => (Buffer.from(e.token).toString() === 'AP-REQ' && e.first ? { token: text('AP-REP'), complete: true } : { error: 'bad token' }),
    'gss-verify-mic': (e) => (Buffer.compare(mic(e.data), e.mic) === 0 ? { userPrincipal: principal, hostPrincipal: 'host/localhost@TEST.SSH' } : false),
    'validate-gss-principal': (e) => e.userPrincipal === `${e.username}@TEST.SSH`,
    ...extra,
  };
}

describe('gssapi-with-mic through both machines', () => {
  it('exchanges tokens, sends the MIC over RFC 4462 §3.5 data, and asks about the principal', () => {
    const run = authRun({
      client: { username: 'k', methods: ['gssapi-with-mic'] },
      server: { methods: ['gssapi-with-mic'] },
      clientHandlers: clientGss,
      serverHandlers: serverGss(),
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'gssapi-with-mic' });
    expect(types(run.clientEvents)).toEqual(['gss-step', 'gss-step', 'gss-mic', 'success']);
    expect(types(run.serverEvents)).toEqual(['begin-auth', 'gss-step', 'gss-verify-mic', 'validate-gss-principal', 'auth-completed']);
    const request = UserauthRequest.decode(run.toServer.find((p) => p[0] === MSG.USERAUTH_REQUEST && UserauthRequest.decode(p).methodName === 'gssapi-with-mic') as Uint8Array);
    expect(request.method).toEqual({ type: 'gssapi-with-mic', mechanisms: [KRB5] });
    const sessionId = run.clientTransport.sessionId as Uint8Array;
    const data = userauthGssapiMicData(sessionId, 'k', 'ssh-connection');
    const layout = Buffer.concat([
      Buffer.from([0, 0, 0, sessionId.length]),
      sessionId,
      Buffer.from([50, 0, 0, 0, 1]),
      Buffer.from('k'),
      Buffer.from([0, 0, 0, 14]),
      Buffer.from('ssh-connection'),
      Buffer.from([0, 0, 0, 15]),
      Buffer.from('gssapi-with-mic'),
    ]);
    expect(Buffer.from(data)).toEqual(layout);
    const micEvent = run.clientEvents.find((e) => e.type === 'gss-mic');
    expect(micEvent).toMatchObject({ data });
    expect(run.serverEvents.find((e) => e.type === 'validate-gss-principal')).toMatchObject({
      username: 'k',
      userPrincipal: 'k@TEST.SSH',
      hostPrincipal: 'host/localhost@TEST.SSH',
    });
    expect(run.server.user).toBe('k');
  });

  it('a principal the server refuses fails the method; the client goes on to the next', () => {
    const run = authRun({
      client: { username: 'k', password: 'pw', methods: ['gssapi-with-mic', 'password'] },
      server: { methods: ['gssapi-with-mic', 'password'] },
      clientHandlers: clientGss,
      serverHandlers: { ...serverGss('intruder@TEST.SSH'), 'validate-password': (e) => e.password === 'pw' },
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'password' });
    expect(run.serverEvents.find((e) => e.type === 'validate-gss-principal')).toMatchObject({ userPrincipal: 'intruder@TEST.SSH' });
  });

  it('a wrong MIC fails the method; so does EXCHANGE_COMPLETE in its place (Kerberos has integrity)', () => {
    const wrong = authRun({
      client: { username: 'k', methods: ['gssapi-with-mic'] },
      server: { methods: ['gssapi-with-mic'] },
      clientHandlers: { ...clientGss, 'gss-mic': () => new Uint8Array(32) },
      serverHandlers: serverGss(),
    });
    expect(clientOutcome(wrong)).toMatchObject({ type: 'failure' });
    expect(types(wrong.serverEvents)).not.toContain('validate-gss-principal');
    const complete = authRun({
      client: { username: 'k', methods: ['gssapi-with-mic'] },
      server: { methods: ['gssapi-with-mic'] },
      clientHandlers: clientGss,
      serverHandlers: serverGss(),
      mangleClient: (p) => (p[0] === MSG.USERAUTH_GSSAPI_MIC ? UserauthGssapiExchangeComplete.encode({}) : p),
    });
    expect(clientOutcome(complete)).toMatchObject({ type: 'failure' });
    expect(types(complete.serverEvents)).not.toContain('gss-verify-mic');
  });

  it('a client without credentials sends its error token and moves on to the next method', () => {
    const run = authRun({
      client: { username: 'k', password: 'pw', methods: ['gssapi-with-mic', 'password'] },
      server: { methods: ['gssapi-with-mic', 'password'] },
      clientHandlers: { 'gss-step': () => ({ error: 'no credentials', token: text('KRB-ERROR') }) },
      serverHandlers: { ...serverGss(), 'validate-password': () => true },
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'password' });
    expect(run.toServer.filter((p) => p[0] === MSG.USERAUTH_GSSAPI_ERRTOK).map((p) => UserauthGssapiErrtok.decode(p).token)).toEqual([text('KRB-ERROR')]);
    expect(types(run.serverEvents)).not.toContain('gss-step');
  });

  it("the server's failed step sends its error token, then a failure; the client goes on", () => {
    const errtoks: Uint8Array[] = [];
    const run = authRun({
      client: { username: 'k', password: 'pw', methods: ['gssapi-with-mic', 'password'] },
      server: { methods: ['gssapi-with-mic', 'password'] },
      clientHandlers: clientGss,
      serverHandlers: { ...serverGss(), 'gss-step': () => ({ error: 'bad ticket', token: text('KRB-ERROR') }), 'validate-password': () => true },
      mangleServer: (p) => {
        if (p[0] === MSG.USERAUTH_GSSAPI_ERRTOK) errtoks.push(UserauthGssapiErrtok.decode(p).token);
        return p;
      },
    });
    expect(errtoks).toEqual([text('KRB-ERROR')]);
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'password' });
  });

  it('null answers abandon the method; a server that does not offer it is not asked', () => {
    const declined = authRun({
      client: { username: 'k', password: 'pw', methods: ['gssapi-with-mic', 'password'] },
      server: { methods: ['gssapi-with-mic', 'password'] },
      serverHandlers: { 'validate-password': () => true },
    });
    expect(clientOutcome(declined)).toEqual({ type: 'success', method: 'password' });
    const notOffered = authRun({
      client: { username: 'k', password: 'pw', methods: ['gssapi-with-mic', 'password'] },
      server: { methods: ['password'] },
      clientHandlers: clientGss,
      serverHandlers: { 'validate-password': () => true },
    });
    expect(clientOutcome(notOffered)).toEqual({ type: 'success', method: 'password' });
    expect(types(notOffered.clientEvents)).not.toContain('gss-step');
  });

  it('the server refuses a request listing no mechanism of its own', () => {
    const run = authRun({
      client: { username: 'k', methods: ['gssapi-with-mic'] },
      server: { methods: ['gssapi-with-mic'] },
      clientHandlers: clientGss,
      serverHandlers: serverGss(),
      mangleClient: (p) => {
        if (p[0] !== MSG.USERAUTH_REQUEST) return p;
        const r = UserauthRequest.decode(p);
        return r.methodName === 'gssapi-with-mic' ? UserauthRequest.encode({ ...r, method: { type: 'gssapi-with-mic', mechanisms: [OTHER_MECH] } }) : p;
      },
    });
    expect(clientOutcome(run)).toMatchObject({ type: 'failure' });
    expect(types(run.serverEvents)).not.toContain('gss-step');
  });
});

// ------------------------------------------------------------------ malformed and out of order

function fakeTransport() {
  const t = {
    sessionId: new Uint8Array(32).fill(7),
    sent: [] as Uint8Array[],
    disconnected: undefined as number | undefined,
    send(p: Uint8Array) {
      t.sent.push(p);
    },
    disconnect(code?: number) {
      t.disconnected = code;
    },
  };
  return t;
}

/** A client machine whose gssapi-with-mic request is outstanding. */
function clientAwaitingResponse() {
  const t = fakeTransport();
  const client = new UserauthClient(t, { username: 'k', methods: ['gssapi-with-mic'] });
  client.start();
  client.receive(ServiceAccept.encode({ serviceName: 'ssh-userauth' }));
  client.receive(UserauthFailure.encode({ methods: ['gssapi-with-mic'], partialSuccess: false }));
  expect(UserauthRequest.decode(t.sent.at(-1) as Uint8Array).methodName).toBe('gssapi-with-mic');
  /** Answers the next question (only that one). */
  const answer = (value: ClientAnswer): void => {
    for (let e = client.nextEvent(); e; e = client.nextEvent()) {
      if ('id' in e) {
        client.resolve(e.id, value);
        return;
      }
    }
  };
  return { t, client, answer };
}

function clientFailure(client: UserauthClient): DisconnectError | undefined {
  for (let e = client.nextEvent(); e; e = client.nextEvent()) if (e.type === 'failure') return e.error;
  return undefined;
}

/** A server machine that answered a gssapi-with-mic request with USERAUTH_GSSAPI_RESPONSE. */
function serverExchanging(answers: Partial<Record<string, ServerAnswer>> = {}) {
  const t = fakeTransport();
  const server = new UserauthServer(t, { methods: ['gssapi-with-mic'] });
  const drain = (): DisconnectError | undefined => {
    for (let e = server.nextEvent(); e; e = server.nextEvent()) {
      if (e.type === 'failure') return e.error;
      if ('id' in e) server.resolve(e.id, answers[e.type] ?? e.type === 'begin-auth');
    }
    return undefined;
  };
  server.receive(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
  server.receive(UserauthRequest.encode({ userName: 'k', serviceName: 'ssh-connection', methodName: 'gssapi-with-mic', method: { type: 'gssapi-with-mic', mechanisms: [OTHER_MECH, KRB5] } }));
  drain();
  expect(UserauthGssapiResponse.decode(t.sent.at(-1) as Uint8Array).mechanism).toEqual(KRB5);
  return { t, server, drain };
}

const withTrailingByte = (p: Uint8Array): Uint8Array => Uint8Array.of(...p, 0);

describe('malformed gssapi-with-mic messages (client)', () => {
  it.each([
    ['a RESPONSE naming another mechanism', UserauthGssapiResponse.encode({ mechanism: OTHER_MECH })],
    ['a RESPONSE with a trailing byte', withTrailingByte(UserauthGssapiResponse.encode({ mechanism: KRB5 }))],
    ['a truncated RESPONSE', UserauthGssapiResponse.encode({ mechanism: KRB5 }).subarray(0, 6)],
    ['a TOKEN before the RESPONSE', UserauthGssapiToken.encode({ token: text('x') })],
    ['an ERRTOK before the RESPONSE', UserauthGssapiErrtok.encode({ token: text('x') })],
    ['a MIC from the server', UserauthGssapiMic.encode({ mic: text('x') })],
    ['message 62 (unassigned)', Uint8Array.of(62)],
    ['a truncated ERROR', UserauthGssapiError.encode({ majorStatus: 1, minorStatus: 2, message: 'm', languageTag: '' }).subarray(0, 7)],
  ])('%s is a ProtocolError', (_name, payload) => {
    const { t, client } = clientAwaitingResponse();
    client.receive(payload);
    const error = clientFailure(client);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(t.disconnected).toBe(2);
  });

  it('a second RESPONSE, a TOKEN while a step is pending, and a TOKEN after completion are ProtocolErrors', () => {
    const a = clientAwaitingResponse();
    a.client.receive(UserauthGssapiResponse.encode({ mechanism: KRB5 }));
    a.client.receive(UserauthGssapiResponse.encode({ mechanism: KRB5 }));
    expect(clientFailure(a.client)).toBeInstanceOf(ProtocolError);

    const b = clientAwaitingResponse();
    b.client.receive(UserauthGssapiResponse.encode({ mechanism: KRB5 }));
    b.client.receive(UserauthGssapiToken.encode({ token: text('early') }));
    expect(clientFailure(b.client)).toBeInstanceOf(ProtocolError);

    const c = clientAwaitingResponse();
    c.client.receive(UserauthGssapiResponse.encode({ mechanism: KRB5 }));
    c.answer({ token: text('AP-REQ'), complete: true });
    expect(UserauthGssapiToken.decode(c.t.sent.at(-1) as Uint8Array).token).toEqual(text('AP-REQ'));
    c.answer(text('the MIC'));
    expect(UserauthGssapiMic.decode(c.t.sent.at(-1) as Uint8Array).mic).toEqual(text('the MIC'));
    c.client.receive(UserauthGssapiToken.encode({ token: text('late') }));
    expect(clientFailure(c.client)).toBeInstanceOf(ProtocolError);
  });

  it('an ERROR message is informational; a well-formed ERRTOK during the exchange too', () => {
    const { t, client, answer } = clientAwaitingResponse();
    client.receive(UserauthGssapiResponse.encode({ mechanism: KRB5 }));
    answer({ token: text('AP-REQ'), complete: false });
    client.receive(UserauthGssapiError.encode({ majorStatus: 0xd0000, minorStatus: 5, message: 'no key', languageTag: '' }));
    client.receive(UserauthGssapiErrtok.encode({ token: text('KRB-ERROR') }));
    expect(clientFailure(client)).toBeUndefined();
    expect(t.disconnected).toBeUndefined();
  });
});

describe('malformed gssapi-with-mic messages (server)', () => {
  it.each([
    ['a truncated TOKEN', UserauthGssapiToken.encode({ token: text('AP-REQ') }).subarray(0, 5)],
    ['a TOKEN with a trailing byte', withTrailingByte(UserauthGssapiToken.encode({ token: text('AP-REQ') }))],
    ['a MIC before the context is established', UserauthGssapiMic.encode({ mic: text('x') })],
    ['EXCHANGE_COMPLETE before the context is established', UserauthGssapiExchangeComplete.encode({})],
    ['EXCHANGE_COMPLETE with a body', Uint8Array.of(MSG.USERAUTH_GSSAPI_EXCHANGE_COMPLETE, 1)],
    ['a RESPONSE from the client', UserauthGssapiResponse.encode({ mechanism: KRB5 })],
    ['message 62 (unassigned)', Uint8Array.of(62)],
    ['a truncated ERRTOK', UserauthGssapiErrtok.encode({ token: text('abc') }).subarray(0, 6)],
  ])('%s is a ProtocolError', (_name, payload) => {
    const { t, server, drain } = serverExchanging();
    server.receive(payload);
    expect(drain()).toBeInstanceOf(ProtocolError);
    expect(t.disconnected).toBe(2);
  });

  it('a TOKEN after the context is established, or a MIC outside gssapi-with-mic, is a ProtocolError', () => {
    const a = serverExchanging({ 'gss-step': { token: new Uint8Array(0), complete: true } });
    a.server.receive(UserauthGssapiToken.encode({ token: text('AP-REQ') }));
    expect(a.drain()).toBeUndefined();
    a.server.receive(UserauthGssapiToken.encode({ token: text('again') }));
    expect(a.drain()).toBeInstanceOf(ProtocolError);

    const b = serverExchanging();
    b.server.receive(UserauthRequest.encode({ userName: 'k', serviceName: 'ssh-connection', methodName: 'none', method: { type: 'none' } }));
    b.drain();
    b.server.receive(UserauthGssapiMic.encode({ mic: text('x') }));
    expect(b.drain()).toBeInstanceOf(ProtocolError);
  });

  it("the client's ERRTOK ends the exchange without a reply; its next request goes on", () => {
    const { t, server, drain } = serverExchanging();
    const before = t.sent.length;
    server.receive(UserauthGssapiErrtok.encode({ token: text('KRB-ERROR') }));
    expect(drain()).toBeUndefined();
    expect(t.sent.length).toBe(before);
    server.receive(UserauthGssapiToken.encode({ token: text('AP-REQ') }));
    expect(drain()).toBeInstanceOf(ProtocolError); // no exchange in progress any more
  });
});
