/**
 * State matrix of the authentication server: messages out of place in each state are refused
 * (the auth-bypass class of libssh CVE-2018-10933 and paramiko CVE-2018-1000805), and the login
 * timeout.
 */
import { generatePrivateKey } from '@ssh/keys';
import { MSG, ServiceRequest, UserauthInfoResponse, UserauthRequest } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { ConnectionLost, DisconnectError, PermissionDenied, ProtocolError, UserauthServer, type AuthTransport } from '../src/index.ts';

function fake(): AuthTransport & { sent: number[]; closed: number[] } {
  const sent: number[] = [];
  const closed: number[] = [];
  return {
    sessionId: new Uint8Array(32),
    sent,
    closed,
    send: (p) => void sent.push(p[0] ?? -1),
    disconnect: (code = 11) => void closed.push(code),
  };
}

const serviceRequest = ServiceRequest.encode({ serviceName: 'ssh-userauth' });
const kbdintRequest = UserauthRequest.encode({
  userName: 'u',
  serviceName: 'ssh-connection',
  methodName: 'keyboard-interactive',
  method: { type: 'keyboard-interactive', languageTag: '', submethods: '' },
});

/** Puts a server in a state: fresh, service accepted, or waiting for an INFO_RESPONSE. */
function serverIn(state: 'fresh' | 'service-accepted' | 'kbdint'): { server: UserauthServer; t: ReturnType<typeof fake> } {
  const t = fake();
  const server = new UserauthServer(t);
  if (state !== 'fresh') server.receive(serviceRequest);
  if (state === 'kbdint') {
    server.receive(kbdintRequest);
    const begin = server.nextEvent();
    if (begin?.type !== 'begin-auth') throw new Error('no begin-auth');
    server.resolve(begin.id, true);
    const ask = server.nextEvent();
    if (ask?.type !== 'kbdint-challenge-requested') throw new Error('no challenge request');
    server.resolve(ask.id, { prompts: [{ prompt: 'Code: ', echo: false }] });
  }
  return { server, t };
}

const intruders: readonly (readonly [string, Uint8Array])[] = [
  ['USERAUTH_SUCCESS', new Uint8Array([MSG.USERAUTH_SUCCESS])],
  ['USERAUTH_FAILURE', new Uint8Array([MSG.USERAUTH_FAILURE, 0, 0, 0, 0, 0])],
  ['USERAUTH_PK_OK', new Uint8Array([MSG.USERAUTH_PK_OK, 0, 0, 0, 0, 0, 0, 0, 0])],
  ['GLOBAL_REQUEST', new Uint8Array([MSG.GLOBAL_REQUEST, 0, 0, 0, 1, 0x78, 1])],
  ['CHANNEL_OPEN', new Uint8Array([MSG.CHANNEL_OPEN, 0, 0, 0, 7, ...new TextEncoder().encode('session'), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])],
  ['CHANNEL_DATA', new Uint8Array([MSG.CHANNEL_DATA, 0, 0, 0, 0, 0, 0, 0, 0])],
  ['SERVICE_ACCEPT', new Uint8Array([MSG.SERVICE_ACCEPT, 0, 0, 0, 0])],
];

describe('the server refuses what has no place before authentication', () => {
  for (const state of ['fresh', 'service-accepted', 'kbdint'] as const) {
    it.each(intruders)(`${state}: %s disconnects with ProtocolError and lets no one in`, (_, payload) => {
      const { server, t } = serverIn(state);
      expect(server.receive(payload)).toBe(true);
      const failure = server.nextEvent();
      expect(failure?.type).toBe('failure');
      expect(failure?.type === 'failure' && failure.error).toBeInstanceOf(ProtocolError);
      expect(server.authenticated).toBe(false);
      expect(t.closed).toEqual([2]);
      expect(t.sent).not.toContain(MSG.USERAUTH_SUCCESS);
      // After the failure, nothing more is processed.
      expect(server.receive(kbdintRequest)).toBe(true);
      expect(server.nextEvent()).toBeUndefined();
    });
  }

  it('a USERAUTH_REQUEST before the service request is refused', () => {
    const { server, t } = serverIn('fresh');
    server.receive(kbdintRequest);
    expect(server.nextEvent()).toMatchObject({ type: 'failure', error: expect.any(ProtocolError) });
    expect(t.sent).toEqual([]);
  });

  it('an INFO_RESPONSE with no challenge out is refused', () => {
    const { server } = serverIn('service-accepted');
    server.receive(UserauthInfoResponse.encode({ responses: ['x'] }));
    expect(server.nextEvent()).toMatchObject({ type: 'failure', error: expect.any(ProtocolError) });
  });

  it.each(['service-accepted', 'kbdint'] as const)(
    '%s: a repeated ssh-userauth service request is accepted again, as sshd does (paramiko sends one before each method)',
    (state) => {
      const { server, t } = serverIn(state);
      const before = t.sent.length;
      expect(server.receive(serviceRequest)).toBe(true);
      expect(server.nextEvent()).toBeUndefined();
      expect(t.sent.slice(before)).toEqual([MSG.SERVICE_ACCEPT]);
      expect(t.closed).toEqual([]);
      // Authentication goes on: a new request is taken up.
      server.receive(kbdintRequest);
      expect(server.nextEvent()?.type).toBe(state === 'kbdint' ? 'kbdint-challenge-requested' : 'begin-auth');
      expect(t.closed).toEqual([]);
      expect(server.authenticated).toBe(false);
      // (Another service than ssh-userauth stays a protocol error: state-matrix.test.ts.)
    },
  );

  it('another service than ssh-userauth is not available', () => {
    const { server, t } = serverIn('fresh');
    server.receive(ServiceRequest.encode({ serviceName: 'ssh-connection' }));
    const failure = server.nextEvent();
    expect(failure?.type === 'failure' && failure.error).toBeInstanceOf(DisconnectError);
    expect(t.closed).toEqual([7]);
  });

  it('after success, connection messages are left to the connection layer and auth messages ignored', () => {
    const t = fake();
    const server = new UserauthServer(t);
    server.receive(serviceRequest);
    server.receive(kbdintRequest);
    const begin = server.nextEvent();
    if (begin?.type === 'begin-auth') server.resolve(begin.id, false);
    expect(server.nextEvent()).toMatchObject({ type: 'auth-completed', username: 'u' });
    expect(server.authenticated).toBe(true);
    expect(server.receive(new Uint8Array([MSG.CHANNEL_OPEN]))).toBe(false);
    expect(server.receive(kbdintRequest)).toBe(true);
    expect(server.nextEvent()).toBeUndefined();
    expect(t.closed).toEqual([]);
  });
});

describe('login timeout', () => {
  it('disconnects an unauthenticated client after loginTimeoutMs, not before', () => {
    let now = 1_000;
    const t = fake();
    const server = new UserauthServer(t, { loginTimeoutMs: 5_000, now: () => now });
    server.receive(serviceRequest);
    now += 4_999;
    server.checkTimeout();
    expect(server.nextEvent()).toBeUndefined();
    now += 1;
    server.checkTimeout();
    expect(server.nextEvent()).toMatchObject({ type: 'failure', error: expect.any(ConnectionLost) });
    expect(t.closed).toEqual([10]);
  });

  it('never fires once authenticated', () => {
    let now = 0;
    const t = fake();
    const server = new UserauthServer(t, { loginTimeoutMs: 10, now: () => now });
    server.receive(serviceRequest);
    server.receive(kbdintRequest);
    const begin = server.nextEvent();
    if (begin?.type === 'begin-auth') server.resolve(begin.id, false);
    now = 1_000_000;
    server.checkTimeout();
    expect(server.authenticated).toBe(true);
    expect(t.closed).toEqual([]);
  });
});

describe('requests that never fail', () => {
  /** Answers every event as `answer` says until the server stops asking; the failure event, if any. */
  function drive(server: UserauthServer, answer: (type: string) => unknown): DisconnectError | undefined {
    for (let e = server.nextEvent(); e; e = server.nextEvent()) {
      if (e.type === 'failure') return e.error;
      if ('id' in e) server.resolve(e.id, answer(e.type) as never);
    }
    return undefined;
  }

  const query = UserauthRequest.encode({
    userName: 'u',
    serviceName: 'ssh-connection',
    methodName: 'publickey',
    method: { type: 'publickey', hasSignature: false, algorithm: 'ssh-ed25519', publicKey: generatePrivateKey('ssh-ed25519').publicData },
  });

  // Accepted key queries (PK_OK) and abandoned keyboard-interactive challenges are no failures,
  // so maxAttempts never ends them: as sshd, the requests themselves are bounded (1024).
  it.each([
    ['abandoned keyboard-interactive challenges', kbdintRequest, (type: string) => type === 'begin-auth' || { prompts: [{ prompt: 'Code: ', echo: false }] }],
    ['key queries answered with PK_OK', query, () => true],
  ] as const)('%s end in PermissionDenied after 1024 requests', (_, request, answer) => {
    const t = fake();
    const server = new UserauthServer(t);
    server.receive(serviceRequest);
    let error: DisconnectError | undefined;
    let sent = 0;
    while (error === undefined && sent < 5000) {
      server.receive(request);
      sent++;
      error = drive(server, answer);
    }
    expect(error).toBeInstanceOf(PermissionDenied);
    expect(sent).toBe(1025);
    expect(t.closed).toEqual([14]);
    expect(server.authenticated).toBe(false);
  });
});

describe('messages held while an application check is pending', () => {
  /** A USERAUTH_REQUEST of `bytes` bytes or so (its user name makes up the size). */
  const sized = (bytes: number): Uint8Array =>
    UserauthRequest.encode({ userName: 'u'.repeat(bytes), serviceName: 'ssh-connection', methodName: 'none', method: { type: 'none' } });

  /** A server waiting for the application's begin-auth answer to a first request. */
  function pendingServer(): { server: UserauthServer; t: ReturnType<typeof fake> } {
    const t = fake();
    const server = new UserauthServer(t);
    server.receive(serviceRequest);
    server.receive(kbdintRequest);
    expect(server.nextEvent()?.type).toBe('begin-auth');
    return { server, t };
  }

  it('are bounded by bytes too: two messages of 200 KiB disconnect with ProtocolError', () => {
    const { server, t } = pendingServer();
    server.receive(sized(200 * 1024));
    expect(server.nextEvent()).toBeUndefined();
    server.receive(sized(200 * 1024));
    expect(server.nextEvent()).toMatchObject({ type: 'failure', error: expect.any(ProtocolError) });
    expect(t.closed).toEqual([2]);
  });

  it('still hold one large message, and 32 small ones, for the check to finish', () => {
    const large = pendingServer();
    large.server.receive(sized(250 * 1024));
    expect(large.server.nextEvent()).toBeUndefined();
    expect(large.t.closed).toEqual([]);
    const many = pendingServer();
    for (let i = 0; i < 32; i++) many.server.receive(sized(100));
    expect(many.server.nextEvent()).toBeUndefined();
    expect(many.t.closed).toEqual([]);
    many.server.receive(sized(100));
    expect(many.server.nextEvent()).toMatchObject({ type: 'failure', error: expect.any(ProtocolError) });
  });
});

describe('maxAttempts', () => {
  // NaN and Infinity compared false with every failure count, so the limit was off; 0 or a
  // negative let the first failure end the connection; 2.5 was an odd way to write 3.
  it.each([Number.NaN, Infinity, -Infinity, 0, -1, 2.5, 2 ** 32])('the server refuses %s when it is made', (maxAttempts) => {
    expect(() => new UserauthServer(fake(), { maxAttempts })).toThrow(RangeError);
    expect(() => new UserauthServer(fake(), { maxAttempts })).toThrow(/maxAttempts must be an integer from 1 to 4294967295/);
  });

  it.each([1, 6, 2 ** 32 - 1, undefined])('accepts %s', (maxAttempts) => {
    expect(() => new UserauthServer(fake(), maxAttempts === undefined ? {} : { maxAttempts })).not.toThrow();
  });
});

describe('loginTimeoutMs', () => {
  // NaN made the first checkTimeout() disconnect (NaN <= 0 and elapsed < NaN are both false);
  // a negative value silently meant "never", as 0 does on purpose.
  it.each([Number.NaN, Infinity, -Infinity, -1])('the server refuses %s when it is made', (loginTimeoutMs) => {
    expect(() => new UserauthServer(fake(), { loginTimeoutMs })).toThrow(/loginTimeoutMs must be a number of milliseconds from 0/);
  });

  it.each([0, 1, 120_000, 2.5, undefined])('accepts %s', (loginTimeoutMs) => {
    expect(() => new UserauthServer(fake(), loginTimeoutMs === undefined ? {} : { loginTimeoutMs })).not.toThrow();
  });
});
