/**
 * Bounded fuzz of the authentication machines: random and mutated messages never make them throw,
 * give the same events for the same input, and never let anyone in on a key they did not sign with.
 */
import { generatePrivateKey } from '@ssh/keys';
import { MSG, ServiceAccept, ServiceRequest, UserauthFailure, UserauthInfoRequest, UserauthPkOk, UserauthRequest } from '@ssh/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserauthClient, UserauthServer, type AuthTransport } from '../src/index.ts';

const sessionId = new Uint8Array(32).fill(7);

function fakeTransport(): AuthTransport & { sent: Uint8Array[]; closed: number[] } {
  const sent: Uint8Array[] = [];
  const closed: number[] = [];
  return {
    sessionId,
    sent,
    closed,
    send(p) {
      if (closed.length > 0) throw new Error('closed');
      sent.push(p);
    },
    disconnect(code = 11) {
      closed.push(code);
    },
  };
}

const key = generatePrivateKey('ssh-ed25519');
const budget = { numRuns: 150, interruptAfterTimeLimit: 3_000 };

/** Bytes that look like an auth message often enough to go past the first field. */
const payload = fc.oneof(
  fc.tuple(fc.integer({ min: 50, max: 100 }), fc.uint8Array({ maxLength: 64 })).map(([n, rest]) => new Uint8Array([n, ...rest])),
  fc.constantFrom(
    UserauthFailure.encode({ methods: ['publickey', 'password', 'keyboard-interactive'], partialSuccess: false }),
    UserauthFailure.encode({ methods: ['password'], partialSuccess: true }),
    UserauthPkOk.encode({ algorithm: 'ssh-ed25519', publicKey: key.publicData }),
    UserauthInfoRequest.encode({ name: '', instruction: '', languageTag: '', prompts: [{ prompt: 'Password:', echo: false }] }),
    new Uint8Array([MSG.USERAUTH_SUCCESS]),
    new Uint8Array([MSG.USERAUTH_PASSWD_CHANGEREQ, 0, 0, 0, 1, 0x41, 0, 0, 0, 0]),
  ),
);

const mutated = fc.tuple(payload, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([p, at, b, cut]) => {
  if (p.length === 0) return p;
  const copy = p.slice();
  const i = at % copy.length;
  if (i > 0) copy[i] = b;
  return cut ? copy.subarray(0, Math.max(1, i)) : copy;
});

function runClient(messages: readonly Uint8Array[]): string[] {
  const t = fakeTransport();
  const c = new UserauthClient(t, { username: 'u', keys: [key], password: 'pw', passwordAuthRequested: true, kbdintAuthRequested: true });
  c.start();
  c.receive(ServiceAccept.encode({ serviceName: 'ssh-userauth' }));
  const log: string[] = [];
  for (const m of messages) {
    c.receive(m);
    for (let e = c.nextEvent(); e; e = c.nextEvent()) {
      log.push(e.type);
      if ('id' in e) c.resolve(e.id, e.type === 'kbdint-challenge' ? e.prompts.map(() => 'x') : e.type === 'password-requested' ? 'pw' : null);
    }
  }
  log.push(`sent ${t.sent.length}`, `closed ${t.closed.join(',')}`);
  return log;
}

const request = fc
  .record({
    userName: fc.constantFrom('u', 'v'),
    methodName: fc.constantFrom('none', 'password', 'publickey', 'publickey-hostbound-v00@openssh.com', 'hostbased', 'keyboard-interactive', 'other'),
    hasSignature: fc.boolean(),
    algorithm: fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'x'),
    signature: fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constant(key.sign(new Uint8Array(1)))),
    text: fc.string({ maxLength: 8 }),
  })
  .map((r) => {
    const method =
      r.methodName === 'password'
        ? { type: 'password' as const, changePassword: r.hasSignature, password: r.text, ...(r.hasSignature ? { newPassword: r.text } : {}) }
        : r.methodName === 'publickey'
          ? { type: 'publickey' as const, hasSignature: r.hasSignature, algorithm: r.algorithm, publicKey: key.publicData, ...(r.hasSignature ? { signature: r.signature } : {}) }
          : r.methodName === 'hostbased'
            ? { type: 'hostbased' as const, algorithm: r.algorithm, hostKey: key.publicData, clientHostName: r.text, clientUserName: r.text, signature: r.signature }
            : r.methodName === 'keyboard-interactive'
              ? { type: 'keyboard-interactive' as const, languageTag: '', submethods: r.text }
              : r.methodName === 'none'
                ? { type: 'none' as const }
                : new Uint8Array([1, 2]);
    return UserauthRequest.encode({ userName: r.userName, serviceName: 'ssh-connection', methodName: r.methodName, method } as UserauthRequest);
  });

function runServer(messages: readonly Uint8Array[]): { log: string[]; authenticated: boolean } {
  const t = fakeTransport();
  const s = new UserauthServer(t, { methods: ['publickey', 'password', 'keyboard-interactive', 'hostbased'], maxAttempts: 50 });
  s.receive(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
  const log: string[] = [];
  for (const m of messages) {
    s.receive(m);
    for (let e = s.nextEvent(); e; e = s.nextEvent()) {
      log.push(e.type);
      // Every key is welcome, every password and challenge wrong: only a real signature gets in.
      if ('id' in e) s.resolve(e.id, e.type !== 'validate-password' && e.type !== 'change-password' && e.type !== 'validate-kbdint-response' && e.type !== 'kbdint-challenge-requested');
    }
  }
  log.push(`sent ${t.sent.length}`, `closed ${t.closed.join(',')}`);
  return { log, authenticated: s.authenticated };
}

describe('userauth fuzz', () => {
  it('the client never throws, and the same input gives the same events', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(payload, mutated), { maxLength: 12 }), (messages) => {
        const a = runClient(messages);
        expect(runClient(messages)).toEqual(a);
      }),
      budget,
    );
  });

  it('the server never throws and lets no one in without a valid signature', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(request, mutated, payload), { maxLength: 12 }), (messages) => {
        const a = runServer(messages);
        expect(runServer(messages)).toEqual(a);
        expect(a.authenticated).toBe(false);
      }),
      budget,
    );
  });
});
