/**
 * MiddlewareBackend against @ssh/interop's soft provider (a real sk-api.h library forwarding to
 * a software authenticator in this process): enrollment of ECDSA and Ed25519 credentials,
 * resident or not; signatures checked with node:crypto over what PROTOCOL.u2f says the
 * authenticator signs, and by our own sk key verifier; resident keys as OpenSSH keeps them; the
 * provider's return codes as SecurityKeyError kinds; and the refusal of libraries that cannot
 * be used.
 */
import { verify } from 'node:crypto';
import { buildSoftSkLibrary, startSoftSkProvider, type SoftSkProvider } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SK_FLAG_FORCE_OPERATION, SK_FLAG_RESIDENT_KEY, SK_FLAG_USER_PRESENCE_REQD, SK_FLAG_USER_VERIFICATION_REQD, SecurityKeyError } from '../../src/node/security-key/backend.ts';
import { MiddlewareBackend } from '../../src/node/security-key/middleware.ts';
import { keyObject, sha256, sshKey, sshSignature, text, u2fVerifies } from './middleware-helpers.ts';

const UP = SK_FLAG_USER_PRESENCE_REQD;
const UV = SK_FLAG_USER_VERIFICATION_REQD;
const RESIDENT = SK_FLAG_RESIDENT_KEY;

let soft: SoftSkProvider;
let backend: MiddlewareBackend;

beforeAll(async () => {
  soft = await startSoftSkProvider();
  // The provider library reads it on the thread pool at each call: set once, before any.
  Object.assign(process.env, soft.env);
  backend = new MiddlewareBackend(soft.library);
});

afterAll(async () => {
  await soft.stop();
});

const zeros = new Uint8Array(32);

/** The SecurityKeyError a call rejects with. */
async function failure(call: Promise<unknown>): Promise<SecurityKeyError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecurityKeyError);
  return error as SecurityKeyError;
}

describe('MiddlewareBackend', () => {
  it('reports the API version of the library', () => {
    expect(backend.apiVersion).toBe(0x000a0000);
    expect(backend.path).toBe(soft.library);
  });

  describe.each(['ecdsa', 'ed25519'] as const)('%s', (alg) => {
    it.each([
      ['not resident', UP],
      ['resident', UP | RESIDENT],
    ])('enrolls a credential (%s) and signs with it', async (_name, flags) => {
      const application = `ssh:${alg}-${flags}`;
      const challenge = text('challenge');
      const e = await backend.enroll({ alg, application, challenge, userId: (flags & RESIDENT) !== 0 ? text('carol') : zeros, flags });
      expect(e.publicKey).toHaveLength(alg === 'ecdsa' ? 65 : 32);
      expect(e.flags).toBe(flags);
      expect(e.attestationCertificate).toHaveLength(0);
      const made = soft.credentials.find((k) => Buffer.from(k.keyHandle).equals(Buffer.from(e.keyHandle)));
      expect(made).toMatchObject({ alg, application, resident: (flags & RESIDENT) !== 0 });
      expect(Buffer.from(made?.publicKey ?? []).equals(Buffer.from(e.publicKey))).toBe(true);
      // Self attestation: the authenticator data (a CBOR byte string) and SHA256(challenge), signed by the new key.
      const attested = Buffer.concat([e.authData.subarray(2), sha256(challenge)]);
      expect(alg === 'ecdsa' ? verify('sha256', attested, keyObject(alg, e.publicKey), e.attestationSignature) : verify(null, attested, keyObject(alg, e.publicKey), e.attestationSignature)).toBe(true);

      const message = text('session id and userauth request');
      const sig = await backend.sign({ alg, application, keyHandle: e.keyHandle, message, flags: e.flags });
      expect(sig.signature).toHaveLength(64);
      expect([sig.flags, sig.counter, sig.extensions.length]).toEqual([UP, 1, 0]);
      expect(u2fVerifies(alg, e.publicKey, application, message, sig)).toBe(true);
      expect(u2fVerifies(alg, e.publicKey, application, text('another message'), sig)).toBe(false);
      const key = sshKey(alg, e.publicKey, application);
      expect(key.verify(message, sshSignature(alg, sig))).toBe(true);
      expect((await backend.sign({ alg, application, keyHandle: e.keyHandle, message, flags: e.flags })).counter).toBe(2);
    });
  });

  it('signs without a touch when the key does not require one', async () => {
    const e = await backend.enroll({ alg: 'ed25519', application: 'ssh:no-touch', challenge: text('c'), userId: zeros, flags: 0 });
    soft.setPresence(false);
    try {
      const sig = await backend.sign({ alg: 'ed25519', application: 'ssh:no-touch', keyHandle: e.keyHandle, message: text('m'), flags: 0 });
      expect(sig.flags).toBe(0);
      expect(u2fVerifies('ed25519', e.publicKey, 'ssh:no-touch', text('m'), sig)).toBe(true);
      const refused = await failure(backend.sign({ alg: 'ed25519', application: 'ssh:no-touch', keyHandle: e.keyHandle, message: text('m'), flags: UP }));
      expect([refused.kind, refused.status]).toEqual(['general', -1]);
    } finally {
      soft.setPresence(true);
    }
  });

  it.each(['short-r', 'padded'] as const)('takes ECDSA r and s of any length up to their value (%s)', async (ecdsaScalars) => {
    const other = await startSoftSkProvider({ ecdsaScalars });
    const saved = process.env['SSH_SOFT_SK_SOCKET'];
    process.env['SSH_SOFT_SK_SOCKET'] = other.socket;
    try {
      const e = await backend.enroll({ alg: 'ecdsa', application: 'ssh:scalars', challenge: text('c'), userId: zeros, flags: UP });
      const sig = await backend.sign({ alg: 'ecdsa', application: 'ssh:scalars', keyHandle: e.keyHandle, message: text('m'), flags: UP });
      if (ecdsaScalars === 'short-r') expect(sig.signature[0]).toBe(0);
      expect(u2fVerifies('ecdsa', e.publicKey, 'ssh:scalars', text('m'), sig)).toBe(true);
    } finally {
      process.env['SSH_SOFT_SK_SOCKET'] = saved;
      await other.stop();
    }
  });

  it('asks for the PIN as the authenticator does, and tells a missing PIN from a wrong one', async () => {
    soft.setPin('2580');
    try {
      const request = { alg: 'ed25519', application: 'ssh:pin', challenge: text('c'), userId: text('dave'), flags: UP | UV | RESIDENT } as const;
      const missing = await failure(backend.enroll(request));
      expect([missing.kind, missing.status]).toEqual(['pin-required', -3]);
      expect(missing.message).toMatch(/^ssh: security key provider .*: a PIN is required/);
      const wrong = await failure(backend.enroll({ ...request, pin: '0000' }));
      expect([wrong.kind, wrong.status]).toEqual(['pin-invalid', -3]);
      const e = await backend.enroll({ ...request, pin: '2580' });
      expect(e.flags).toBe(UP | UV | RESIDENT);

      const sign = { alg: 'ed25519', application: 'ssh:pin', keyHandle: e.keyHandle, message: text('m'), flags: e.flags } as const;
      expect((await failure(backend.sign(sign))).kind).toBe('pin-required');
      expect((await failure(backend.sign({ ...sign, pin: '1' }))).kind).toBe('pin-invalid');
      const sig = await backend.sign({ ...sign, pin: '2580' });
      expect(sig.flags).toBe(UP | UV);
      expect(u2fVerifies('ed25519', e.publicKey, 'ssh:pin', text('m'), sig)).toBe(true);

      expect((await failure(backend.loadResidentKeys({}))).kind).toBe('pin-required');
      expect((await failure(backend.loadResidentKeys({ pin: '' }))).kind).toBe('pin-required'); // an empty PIN is none
      expect((await failure(backend.loadResidentKeys({ pin: '9' }))).kind).toBe('pin-invalid');
      const listed = await backend.loadResidentKeys({ pin: '2580' });
      expect(listed.find((k) => k.application === 'ssh:pin')?.flags).toBe(UP | UV | RESIDENT);
      expect(soft.calls.at(-1)).toMatchObject({ op: 'load', pin: '2580' });
    } finally {
      soft.setPin(undefined);
    }
  });

  it('maps the other return codes: unsupported, no such device, credential exists (until forced)', async () => {
    const unsupported = await failure(backend.enroll({ alg: 'ecdsa', application: 'ssh:uv', challenge: text('c'), userId: zeros, flags: UP | UV }));
    expect([unsupported.kind, unsupported.status]).toEqual(['unsupported', -2]); // verification without a PIN set
    const noDevice = await failure(backend.enroll({ alg: 'ecdsa', application: 'ssh:dev', challenge: text('c'), userId: zeros, flags: UP, device: '/dev/hidraw7' }));
    expect([noDevice.kind, noDevice.status]).toEqual(['device-not-found', -4]);
    await backend.enroll({ alg: 'ecdsa', application: 'ssh:dev', challenge: text('c'), userId: zeros, flags: UP, device: 'soft-sk' });
    expect(soft.calls.at(-1)).toMatchObject({ op: 'enroll', options: { device: 'soft-sk' }, status: 0 });

    const resident = { alg: 'ecdsa', application: 'ssh:twice', challenge: text('c'), userId: text('erin'), flags: UP | RESIDENT } as const;
    const first = await backend.enroll(resident);
    const exists = await failure(backend.enroll(resident));
    expect([exists.kind, exists.status]).toEqual(['credential-exists', -5]);
    const forced = await backend.enroll({ ...resident, flags: resident.flags | SK_FLAG_FORCE_OPERATION });
    expect(forced.flags).toBe(UP | RESIDENT);
    const gone = await failure(backend.sign({ alg: 'ecdsa', application: 'ssh:twice', keyHandle: first.keyHandle, message: text('m'), flags: UP }));
    expect([gone.kind, gone.status]).toEqual(['general', -1]);
  });

  it('passes the user id without its zero padding, and refuses one that a C string cannot carry', async () => {
    const padded = new Uint8Array(64);
    padded.set(text('frank'));
    await backend.enroll({ alg: 'ed25519', application: 'ssh:user', challenge: text('c'), userId: padded, flags: UP | RESIDENT });
    expect(soft.calls.at(-1)?.options).toEqual({ user: 'frank' });
    await backend.enroll({ alg: 'ed25519', application: 'ssh:nouser', challenge: text('c'), userId: zeros, flags: UP });
    expect(soft.calls.at(-1)?.options).toEqual({});
    const inner = await failure(backend.enroll({ alg: 'ed25519', application: 'ssh:user', challenge: text('c'), userId: Uint8Array.of(1, 0, 2), flags: UP | RESIDENT }));
    expect(inner.kind).toBe('unsupported');
  });

  it('loads the resident keys of ssh: applications, with their user ids and the flags OpenSSH stores', async () => {
    const mine = await backend.enroll({ alg: 'ecdsa', application: 'ssh:listed', challenge: text('c'), userId: text('grace'), flags: UP | RESIDENT });
    await backend.enroll({ alg: 'ed25519', application: 'webauthn.example', challenge: text('c'), userId: text('grace'), flags: UP | RESIDENT });
    const keys = await backend.loadResidentKeys({ device: 'soft-sk' });
    expect(keys.some((k) => !k.application.startsWith('ssh:'))).toBe(false);
    const listed = keys.find((k) => k.application === 'ssh:listed');
    expect(listed).toMatchObject({ alg: 'ecdsa', flags: UP | RESIDENT });
    expect(Buffer.from(listed?.publicKey ?? []).equals(Buffer.from(mine.publicKey))).toBe(true);
    expect(Buffer.from(listed?.keyHandle ?? []).equals(Buffer.from(mine.keyHandle))).toBe(true);
    expect(Buffer.from(listed?.userId ?? []).toString('latin1')).toBe(`grace${'\0'.repeat(27)}`);
    expect(soft.credentials.filter((k) => k.resident).length).toBeGreaterThan(keys.length); // webauthn.example was dropped
    const sig = await backend.sign({ alg: 'ecdsa', application: 'ssh:listed', keyHandle: listed?.keyHandle ?? new Uint8Array(0), message: text('m'), flags: UP });
    expect(u2fVerifies('ecdsa', mine.publicKey, 'ssh:listed', text('m'), sig)).toBe(true);
  });

  it('works with a provider of an older API major (7: no enroll flags, no user ids)', async () => {
    const old = new MiddlewareBackend(await buildSoftSkLibrary(7));
    expect(old.apiVersion).toBe(0x00070000);
    const e = await old.enroll({ alg: 'ed25519', application: 'ssh:old', challenge: text('c'), userId: text('heidi'), flags: UP | RESIDENT | SK_FLAG_FORCE_OPERATION });
    expect(e.flags).toBe(UP | RESIDENT);
    const listed = (await old.loadResidentKeys({})).find((k) => k.application === 'ssh:old');
    expect(listed?.userId).toHaveLength(0);
    const sig = await old.sign({ alg: 'ed25519', application: 'ssh:old', keyHandle: e.keyHandle, message: text('m'), flags: e.flags });
    expect(u2fVerifies('ed25519', e.publicKey, 'ssh:old', text('m'), sig)).toBe(true);
  });

  it('refuses a library it cannot load or whose API version it does not implement', async () => {
    const missing = (() => {
      try {
        return new MiddlewareBackend('/nonexistent/libsk.so');
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(SecurityKeyError);
    expect(missing).toMatchObject({ kind: 'general', message: expect.stringMatching(/^ssh: security key provider \/nonexistent\/libsk\.so: cannot load/) });
    const newer = await buildSoftSkLibrary(11);
    expect(() => new MiddlewareBackend(newer)).toThrow(expect.objectContaining({ kind: 'unsupported', message: expect.stringMatching(/version 0x000b0000/) }));
    expect(() => new MiddlewareBackend('')).toThrow(SecurityKeyError);
  });
});
