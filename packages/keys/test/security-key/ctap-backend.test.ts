/**
 * The CTAP2/HID backend end to end against the software authenticator of @ssh/interop (an
 * independent implementation of CTAP 2.1 and U2F at the 64-byte report level): enrollment and
 * signatures checked with node:crypto as PROTOCOL.u2f defines them, PINs, refusals, resident key
 * listing, U2F-only tokens, several tokens, bounded timeouts.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { type SoftFido, softFido } from '@ssh/interop';
import {
  SK_FLAG_FORCE_OPERATION,
  SK_FLAG_RESIDENT_KEY,
  SK_FLAG_USER_PRESENCE_REQD,
  SK_FLAG_USER_VERIFICATION_REQD,
  SecurityKeyError,
  type SkEnrollResult,
  type SkKeyAlgorithm,
} from '../../src/node/security-key/backend.ts';
import { Ctap2Session } from '../../src/node/security-key/ctap/ctap2.ts';
import { CtapBackend, type CtapBackendOptions, CtapHidChannel, type HidDevice } from '../../src/node/security-key/ctap/index.ts';

const APP = 'ssh:';
const enc = new TextEncoder();

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function backendFor(devices: SoftFido[], options: Omit<CtapBackendOptions, 'devices'> = {}): CtapBackend {
  return new CtapBackend({ devices: async () => devices, timeoutMs: 5_000, ...options });
}

function keyObject(alg: SkKeyAlgorithm, publicKey: Uint8Array): KeyObject {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return alg === 'ecdsa'
    ? createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(publicKey.subarray(1, 33)), y: b64(publicKey.subarray(33)) }, format: 'jwk' })
    : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(publicKey) }, format: 'jwk' });
}

/** PROTOCOL.u2f: the token signs SHA256(application) || flags || counter || SHA256(message). */
function verifySkSignature(alg: SkKeyAlgorithm, publicKey: Uint8Array, application: string, message: Uint8Array, r: { flags: number; counter: number; signature: Uint8Array }): boolean {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(r.counter);
  const signed = Buffer.concat([sha256(application), Buffer.from([r.flags]), counter, sha256(message)]);
  if (alg === 'ecdsa') return verify('sha256', signed, { key: keyObject(alg, publicKey), dsaEncoding: 'ieee-p1363' }, r.signature);
  return verify(null, signed, keyObject(alg, publicKey), r.signature);
}

function enrollRequest(alg: SkKeyAlgorithm, flags: number, extra: { pin?: string; userId?: Uint8Array; application?: string } = {}) {
  return { alg, application: extra.application ?? APP, challenge: enc.encode('enroll challenge'), userId: extra.userId ?? new Uint8Array(32), flags, ...(extra.pin === undefined ? {} : { pin: extra.pin }) };
}

async function rejection(p: Promise<unknown>): Promise<SecurityKeyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SecurityKeyError);
    return err as SecurityKeyError;
  }
  throw new Error('expected a rejection');
}

describe.each(['ecdsa', 'ed25519'] as const)('%s', (alg) => {
  test.each([
    ['not resident', SK_FLAG_USER_PRESENCE_REQD],
    ['resident', SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY],
  ])('enroll (%s), sign and verify', async (_name, flags) => {
    const token = softFido({ pin: '123456' });
    const backend = backendFor([token]);
    const userId = enc.encode('alice');
    const enrolled = await backend.enroll({ ...enrollRequest(alg, flags, { pin: '123456', userId }), userName: 'alice' });
    expect(enrolled.publicKey.length).toBe(alg === 'ecdsa' ? 65 : 32);
    expect(enrolled.flags).toBe(flags);
    const stored = token.credentials.at(-1);
    expect(stored?.resident).toBe((flags & SK_FLAG_RESIDENT_KEY) !== 0);
    expect(stored?.alg).toBe(alg === 'ecdsa' ? -7 : -8);
    expect(Buffer.from(enrolled.keyHandle).equals(Buffer.from(stored?.id ?? []))).toBe(true);
    // Self attestation: signed by the new key over authData || SHA256(challenge).
    expect(enrolled.attestationCertificate.length).toBe(0);
    const attested = Buffer.concat([enrolled.authData, sha256(enc.encode('enroll challenge'))]);
    const attKey = keyObject(alg, enrolled.publicKey);
    expect(alg === 'ecdsa' ? verify('sha256', attested, attKey, enrolled.attestationSignature) : verify(null, attested, attKey, enrolled.attestationSignature)).toBe(true);

    const message = enc.encode('data to sign');
    const signed = await backend.sign({ alg, application: APP, keyHandle: enrolled.keyHandle, message, flags: SK_FLAG_USER_PRESENCE_REQD });
    expect(signed.flags & 0x01).toBe(1);
    expect(signed.counter).toBe(token.counter);
    expect(signed.signature.length).toBe(64);
    expect(signed.extensions.length).toBe(0);
    expect(verifySkSignature(alg, enrolled.publicKey, APP, message, signed)).toBe(true);
    expect(verifySkSignature(alg, enrolled.publicKey, APP, enc.encode('other data'), signed)).toBe(false);
  });

  test('no-touch-required keys sign with up=false', async () => {
    const token = softFido();
    const backend = backendFor([token]);
    const enrolled = await backend.enroll(enrollRequest(alg, 0));
    const message = enc.encode('no touch');
    const signed = await backend.sign({ alg, application: APP, keyHandle: enrolled.keyHandle, message, flags: 0 });
    expect(signed.flags & 0x01).toBe(0);
    expect(verifySkSignature(alg, enrolled.publicKey, APP, message, signed)).toBe(true);
  });
});

describe('PIN', () => {
  test('a resident key on a token with a PIN needs it', async () => {
    const token = softFido({ pin: '123456' });
    const err = await rejection(backendFor([token]).enroll(enrollRequest('ed25519', SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY)));
    expect(err.kind).toBe('pin-required');
    expect(err.status).toBe(0x36);
  });

  test('a wrong PIN is pin-invalid and costs a retry', async () => {
    const token = softFido({ pin: '123456' });
    const err = await rejection(backendFor([token]).enroll(enrollRequest('ecdsa', SK_FLAG_USER_PRESENCE_REQD, { pin: '654321' })));
    expect(err.kind).toBe('pin-invalid');
    expect(err.status).toBe(0x31);
    expect(token.pinRetries).toBe(7);
  });

  test('three wrong PINs in a row block PIN use until the token is replugged', async () => {
    const token = softFido({ pin: '123456' });
    const backend = backendFor([token]);
    for (let i = 0; i < 2; i++) expect((await rejection(backend.enroll(enrollRequest('ecdsa', 1, { pin: 'wrong-pin' })))).status).toBe(0x31);
    const third = await rejection(backend.enroll(enrollRequest('ecdsa', 1, { pin: 'wrong-pin' })));
    expect([third.kind, third.status]).toEqual(['pin-invalid', 0x34]);
    expect((await rejection(backend.enroll(enrollRequest('ecdsa', 1, { pin: '123456' })))).status).toBe(0x34);
    token.powerCycle();
    await expect(backend.enroll(enrollRequest('ecdsa', 1, { pin: '123456' }))).resolves.toBeDefined();
    expect(token.pinRetries).toBe(8);
  });

  test.each([[[1]], [[2]], [[2, 1]]])('verify-required keys with PIN protocols %j', async (protocols) => {
    const token = softFido({ pin: '1234', pinUvAuthProtocols: protocols });
    const backend = backendFor([token]);
    const flags = SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_USER_VERIFICATION_REQD;
    const enrolled = await backend.enroll(enrollRequest('ecdsa', flags, { pin: '1234' }));
    expect(token.credentials.at(-1)?.credProtect).toBe(3);
    const message = enc.encode('verified');
    const noPin = await rejection(backend.sign({ alg: 'ecdsa', application: APP, keyHandle: enrolled.keyHandle, message, flags }));
    expect(noPin.kind).toBe('pin-required');
    const signed = await backend.sign({ alg: 'ecdsa', application: APP, keyHandle: enrolled.keyHandle, message, flags, pin: '1234' });
    expect(signed.flags & 0x05).toBe(0x05);
    expect(verifySkSignature('ecdsa', enrolled.publicKey, APP, message, signed)).toBe(true);
  });

  test.each([[[1]], [[2]]])('setting the first PIN (protocol %j), then using it', async (protocols) => {
    const token = softFido({ pinUvAuthProtocols: protocols });
    const op = { deadline: Date.now() + 5_000 };
    const session = await Ctap2Session.open(await CtapHidChannel.open(token, op), op);
    expect(session.option('clientPin')).toBe(false);
    await session.setPin('p\u00e4ssw\u00f6rd', op);
    expect(token.currentPin).toBe('p\u00e4ssw\u00f6rd');
    expect(await session.pinRetries(op)).toBe(8);
    const again = await rejection(session.setPin('other-pin', op));
    expect(again.status).toBe(0x30);
    await token.close();
    const enrolled = await backendFor([token]).enroll(enrollRequest('ecdsa', SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY, { pin: 'p\u00e4ssw\u00f6rd' }));
    expect(enrolled.keyHandle.length).toBe(32);
  });

  test('built-in user verification needs no PIN', async () => {
    const token = softFido({ builtInUv: true });
    const backend = backendFor([token]);
    const flags = SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_USER_VERIFICATION_REQD;
    const enrolled = await backend.enroll(enrollRequest('ed25519', flags));
    const signed = await backend.sign({ alg: 'ed25519', application: APP, keyHandle: enrolled.keyHandle, message: enc.encode('m'), flags });
    expect(signed.flags & 0x05).toBe(0x05);
  });

  test('verification on a token without a PIN or built-in UV cannot be had', async () => {
    const err = await rejection(backendFor([softFido()]).enroll(enrollRequest('ecdsa', SK_FLAG_USER_VERIFICATION_REQD)));
    expect(err.kind).toBe('general');
    expect(err.status).toBe(0x35);
  });

  test('a CTAP 2.0 token: getPinToken, PIN protocol one, credentialMgmtPreview', async () => {
    const token = softFido({ pin: '2468', ctap20: true, pinUvAuthProtocols: [1] });
    const backend = backendFor([token]);
    const userId = enc.encode('bob');
    const enrolled = await backend.enroll(enrollRequest('ecdsa', SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY, { pin: '2468', userId }));
    const keys = await backend.loadResidentKeys({ pin: '2468' });
    expect(keys.map((k) => Buffer.from(k.keyHandle).toString('hex'))).toEqual([Buffer.from(enrolled.keyHandle).toString('hex')]);
    expect(token.commands).toContain(0x41);
    expect(token.commands).not.toContain(0x0a);
  });
});

describe('refusals', () => {
  test('presence denied', async () => {
    const token = softFido({ denyPresence: true, touchDelayMs: 30 });
    const err = await rejection(backendFor([token]).enroll(enrollRequest('ecdsa', SK_FLAG_USER_PRESENCE_REQD)));
    expect([err.kind, err.status]).toEqual(['cancelled', 0x27]);
  });

  test('a touch that never comes times out within the timeout, and the token is told to cancel', async () => {
    const token = softFido({ touchDelayMs: 60_000 });
    const touches: string[] = [];
    const started = Date.now();
    const err = await rejection(backendFor([token], { timeoutMs: 400, onTouchNeeded: (p) => touches.push(p) }).enroll(enrollRequest('ecdsa', 1)));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/not touched/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(touches).toEqual([token.path]);
    expect(token.cancels).toBe(1);
  });

  test('a device that never answers fails within the timeout', async () => {
    const started = Date.now();
    const err = await rejection(backendFor([softFido({ unresponsive: true })], { timeoutMs: 300 }).sign({ alg: 'ecdsa', application: APP, keyHandle: new Uint8Array(16), message: new Uint8Array(0), flags: 1 }));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('a slow touch within the timeout succeeds, with KEEPALIVEs meanwhile', async () => {
    const token = softFido({ touchDelayMs: 250 });
    let told = 0;
    const enrolled = await backendFor([token], { onTouchNeeded: () => told++ }).enroll(enrollRequest('ed25519', 1));
    expect(enrolled.keyHandle.length).toBeGreaterThan(0);
    expect(told).toBe(1);
  });

  test('an unknown key handle is refused before any touch', async () => {
    const token = softFido({ touchDelayMs: 60_000 });
    const err = await rejection(backendFor([token]).sign({ alg: 'ecdsa', application: APP, keyHandle: new Uint8Array(32).fill(7), message: new Uint8Array(1), flags: 1 }));
    expect([err.kind, err.status]).toEqual(['general', 0x2e]);
    expect(err.message).toMatch(/does not hold this credential/);
  });

  test('a token answering for another relying party is caught', async () => {
    const err = await rejection(backendFor([softFido({ lieAboutRpIdHash: true })]).enroll(enrollRequest('ecdsa', 1)));
    expect(err.kind).toBe('general');
    expect(err.message).toMatch(/rpIdHash mismatch/);
  });

  test('a user id longer than CTAP2 allows', async () => {
    const err = await rejection(backendFor([softFido()]).enroll(enrollRequest('ecdsa', 1, { userId: new Uint8Array(65) })));
    expect(err.message).toMatch(/65 bytes/);
  });

  test('no device at all', async () => {
    const err = await rejection(new CtapBackend({ devices: async () => [] }).enroll(enrollRequest('ecdsa', 1)));
    expect(err.kind).toBe('device-not-found');
    expect(err.message).toMatch(/SecurityKeyProvider/);
  });

  test('a named device that is not there', async () => {
    const err = await rejection(backendFor([softFido()]).enroll({ ...enrollRequest('ecdsa', 1), device: '/dev/hidraw99' }));
    expect(err.kind).toBe('device-not-found');
  });
});

describe('resident keys', () => {
  async function enrollResident(backend: CtapBackend, alg: SkKeyAlgorithm, user: string, extra: { application?: string; flags?: number } = {}): Promise<SkEnrollResult> {
    const flags = extra.flags ?? SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY;
    return backend.enroll(enrollRequest(alg, flags, { pin: '123456', userId: enc.encode(user), ...(extra.application ? { application: extra.application } : {}) }));
  }

  test('listing needs the PIN', async () => {
    const err = await rejection(backendFor([softFido({ pin: '123456' })]).loadResidentKeys({}));
    expect(err.kind).toBe('pin-required');
  });

  test('lists the ssh: credentials with their keys, users and flags', async () => {
    const token = softFido({ pin: '123456' });
    const backend = backendFor([token]);
    const a = await enrollResident(backend, 'ecdsa', 'alice');
    const b = await enrollResident(backend, 'ed25519', 'bob', { application: 'ssh:work' });
    const c = await enrollResident(backend, 'ecdsa', 'carol', { flags: SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_VERIFICATION_REQD });
    // A WebAuthn credential of a web site on the same token stays out of SSH's view.
    await enrollResident(backend, 'ecdsa', 'web', { application: 'example.org' });
    const keys = await backend.loadResidentKeys({ pin: '123456' });
    const byHandle = new Map(keys.map((k) => [Buffer.from(k.keyHandle).toString('hex'), k]));
    expect(keys).toHaveLength(3);
    const ka = byHandle.get(Buffer.from(a.keyHandle).toString('hex'));
    expect(ka).toMatchObject({ alg: 'ecdsa', application: 'ssh:', flags: SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_PRESENCE_REQD });
    expect(Buffer.from(ka?.publicKey ?? []).equals(Buffer.from(a.publicKey))).toBe(true);
    expect(new TextDecoder().decode(ka?.userId)).toBe('alice');
    const kb = byHandle.get(Buffer.from(b.keyHandle).toString('hex'));
    expect(kb).toMatchObject({ alg: 'ed25519', application: 'ssh:work' });
    expect(Buffer.from(kb?.publicKey ?? []).equals(Buffer.from(b.publicKey))).toBe(true);
    // credProtect uvRequired on a token without built-in UV: verification is required (sk-usbhid.c).
    expect(byHandle.get(Buffer.from(c.keyHandle).toString('hex'))?.flags).toBe(SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_USER_VERIFICATION_REQD);
  });

  test('with built-in UV the token verifies by itself: no verification flag', async () => {
    const token = softFido({ pin: '123456', builtInUv: true });
    const backend = backendFor([token]);
    await enrollResident(backend, 'ecdsa', 'dave', { flags: SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_VERIFICATION_REQD });
    const [key] = await backend.loadResidentKeys({ pin: '123456' });
    expect(key?.flags).toBe(SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_PRESENCE_REQD);
  });

  test('an empty token lists nothing; a wrong PIN is refused', async () => {
    const token = softFido({ pin: '123456' });
    expect(await backendFor([token]).loadResidentKeys({ pin: '123456' })).toEqual([]);
    expect((await rejection(backendFor([token]).loadResidentKeys({ pin: '000000' }))).kind).toBe('pin-invalid');
  });

  test('an existing resident key of the same user is kept unless forced', async () => {
    const token = softFido({ pin: '123456' });
    const backend = backendFor([token]);
    await enrollResident(backend, 'ecdsa', 'erin');
    const err = await rejection(enrollResident(backend, 'ecdsa', 'erin'));
    expect(err.kind).toBe('credential-exists');
    const again = await enrollResident(backend, 'ecdsa', 'erin', { flags: SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY | SK_FLAG_FORCE_OPERATION });
    expect(again.flags & SK_FLAG_FORCE_OPERATION).toBe(0);
    expect(token.credentials.filter((c) => c.resident)).toHaveLength(1);
  });

  test('a resident key signs', async () => {
    const token = softFido({ pin: '123456' });
    const backend = backendFor([token]);
    await enrollResident(backend, 'ed25519', 'frank');
    const [key] = await backend.loadResidentKeys({ pin: '123456' });
    if (key === undefined) throw new Error('no key listed');
    const message = enc.encode('resident');
    const signed = await backend.sign({ alg: key.alg, application: key.application, keyHandle: key.keyHandle, message, flags: key.flags });
    expect(verifySkSignature(key.alg, key.publicKey, key.application, message, signed)).toBe(true);
  });
});

describe('U2F-only tokens', () => {
  test('ECDSA enroll and sign over U2F, with polling for the touch', async () => {
    const token = softFido({ u2fOnly: true, touchDelayMs: 150 });
    let told = 0;
    const backend = backendFor([token], { onTouchNeeded: () => told++ });
    const enrolled = await backend.enroll(enrollRequest('ecdsa', SK_FLAG_USER_PRESENCE_REQD));
    expect(told).toBe(1);
    expect(enrolled.attestationCertificate.length).toBeGreaterThan(0);
    expect(token.commands).toEqual([]);
    const message = enc.encode('u2f');
    const signed = await backend.sign({ alg: 'ecdsa', application: APP, keyHandle: enrolled.keyHandle, message, flags: SK_FLAG_USER_PRESENCE_REQD });
    expect(signed.flags).toBe(1);
    expect(verifySkSignature('ecdsa', enrolled.publicKey, APP, message, signed)).toBe(true);
    // The synthesized authData is what a fido-u2f attestation implies: rpIdHash, UP|AT, counter 0, the key.
    expect(Buffer.from(enrolled.authData.subarray(0, 32)).equals(sha256(APP))).toBe(true);
    expect(enrolled.authData[32]).toBe(0x41);
  });

  test('Ed25519, resident keys and verification are unsupported', async () => {
    const backend = backendFor([softFido({ u2fOnly: true })]);
    expect((await rejection(backend.enroll(enrollRequest('ed25519', 1)))).kind).toBe('unsupported');
    expect((await rejection(backend.enroll(enrollRequest('ecdsa', SK_FLAG_RESIDENT_KEY)))).kind).toBe('unsupported');
    expect((await rejection(backend.sign({ alg: 'ed25519', application: APP, keyHandle: new Uint8Array(64), message: new Uint8Array(0), flags: 1 }))).kind).toBe('unsupported');
  });

  test('a U2F token that is never touched times out', async () => {
    const token = softFido({ u2fOnly: true, denyPresence: true });
    const err = await rejection(backendFor([token], { timeoutMs: 350 }).enroll(enrollRequest('ecdsa', 1)));
    expect(err.kind).toBe('timeout');
  });
});

describe('several tokens', () => {
  test('the token that holds the key signs; the others are only asked without a touch', async () => {
    const first = softFido({ path: 'first', touchDelayMs: 60_000 });
    const second = softFido({ path: 'second' });
    const third = softFido({ path: 'third', u2fOnly: true });
    const enrolled = await backendFor([second]).enroll(enrollRequest('ecdsa', 1));
    const message = enc.encode('which one');
    const signed = await backendFor([first, second, third]).sign({ alg: 'ecdsa', application: APP, keyHandle: enrolled.keyHandle, message, flags: 1 });
    expect(verifySkSignature('ecdsa', enrolled.publicKey, APP, message, signed)).toBe(true);
    // The others were asked (GetAssertion up=false, U2F check-only) and said no, without a touch or a signature.
    expect(first.commands).toEqual([0x04, 0x02]);
    expect(first.counter).toBe(0);
    expect(second.commands).toEqual([0x04, 0x01, 0x04, 0x02, 0x02]);
    expect(third.counter).toBe(0);
  });

  test('a key on a U2F-only token among CTAP2 tokens', async () => {
    const ctap2 = softFido({ path: 'ctap2' });
    const u2f = softFido({ path: 'u2f', u2fOnly: true });
    const enrolled = await backendFor([u2f]).enroll(enrollRequest('ecdsa', 1));
    const message = enc.encode('u2f among others');
    const signed = await backendFor([ctap2, u2f]).sign({ alg: 'ecdsa', application: APP, keyHandle: enrolled.keyHandle, message, flags: 1 });
    expect(verifySkSignature('ecdsa', enrolled.publicKey, APP, message, signed)).toBe(true);
  });

  test('a token that hangs does not use up the time of the one with the key', async () => {
    const hung = softFido({ path: 'hung', unresponsive: true });
    const good = softFido({ path: 'good' });
    const enrolled = await backendFor([good]).enroll(enrollRequest('ed25519', 1));
    const started = Date.now();
    const message = enc.encode('past the hung one');
    const signed = await backendFor([hung, good], { timeoutMs: 3_000, probeTimeoutMs: 200 }).sign({ alg: 'ed25519', application: APP, keyHandle: enrolled.keyHandle, message, flags: 1 });
    expect(verifySkSignature('ed25519', enrolled.publicKey, APP, message, signed)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('none holds it', async () => {
    const err = await rejection(backendFor([softFido({ path: 'a' }), softFido({ path: 'b' })]).sign({ alg: 'ecdsa', application: APP, keyHandle: new Uint8Array(40), message: new Uint8Array(0), flags: 1 }));
    expect(err.message).toMatch(/none of the 2 security keys/);
  });

  test('enroll asks every token for a touch, enrolls on the one touched and cancels the others', async () => {
    const first = softFido({ path: 'first', touchDelayMs: 60_000 });
    const second = softFido({ path: 'second', touchDelayMs: 150 });
    const third = softFido({ path: 'third', u2fOnly: true, touchDelayMs: 60_000 });
    const told: string[] = [];
    const started = Date.now();
    const enrolled = await backendFor([first, second, third], { timeoutMs: 20_000, onTouchNeeded: (p) => told.push(p) }).enroll(enrollRequest('ed25519', 1));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(second.credentials).toHaveLength(1);
    expect(Buffer.from(enrolled.keyHandle)).toEqual(Buffer.from(second.credentials[0]?.id ?? []));
    // authenticatorSelection on the CTAP 2.1 tokens, then the credential on the chosen one.
    expect(second.commands).toEqual([0x04, 0x0b, 0x01]);
    expect(first.commands).toEqual([0x04, 0x0b]);
    // The token nobody touched was told to stop waiting.
    expect(first.cancels).toBe(1);
    expect(first.credentials).toHaveLength(0);
    expect(third.credentials).toHaveLength(0);
    // Told to touch for the choice, and again for the credential.
    expect(told).toHaveLength(2);
    expect(told[1]).toBe('second');
  });

  test('a CTAP 2.0 token is chosen by a makeCredential without pinAuth, which makes no credential', async () => {
    const old = softFido({ path: 'old', ctap20: true, pin: '1234', touchDelayMs: 150 });
    const other = softFido({ path: 'other', touchDelayMs: 60_000 });
    await backendFor([other, old], { timeoutMs: 20_000 }).enroll(enrollRequest('ecdsa', 1, { pin: '1234' }));
    expect(old.commands.filter((c) => c === 0x01).length).toBe(2);
    expect(old.credentials).toHaveLength(1);
    expect(other.credentials).toHaveLength(0);
  });

  test('a U2F-only token is chosen by a registration for a dummy application', async () => {
    const u2f = softFido({ path: 'u2f', u2fOnly: true, touchDelayMs: 150 });
    const ctap2 = softFido({ path: 'ctap2', touchDelayMs: 60_000 });
    const enrolled = await backendFor([ctap2, u2f], { timeoutMs: 20_000 }).enroll(enrollRequest('ecdsa', 1));
    expect(u2f.credentials.map((c) => Buffer.from(c.id))).toContainEqual(Buffer.from(enrolled.keyHandle));
    expect(ctap2.credentials).toHaveLength(0);
  });

  test('nobody touches any: a timeout, with every token let go', async () => {
    const a = softFido({ path: 'a', touchDelayMs: 60_000 });
    const b = softFido({ path: 'b', u2fOnly: true, touchDelayMs: 60_000 });
    const err = await rejection(backendFor([a, b], { timeoutMs: 800 }).enroll(enrollRequest('ecdsa', 1)));
    expect(err.kind).toBe('timeout');
    expect(a.credentials).toHaveLength(0);
  });

  test('a named device is used, the others are left alone', async () => {
    const a = softFido({ path: 'a' });
    const b = softFido({ path: 'b' });
    await backendFor([a, b]).enroll({ ...enrollRequest('ed25519', 1), device: 'b' });
    expect(a.credentials).toHaveLength(0);
    expect(b.credentials).toHaveLength(1);
  });

  test('resident keys of every token are listed', async () => {
    const a = softFido({ path: 'a', pin: '123456' });
    const b = softFido({ path: 'b', pin: '123456' });
    const u2f = softFido({ path: 'u', u2fOnly: true });
    await backendFor([a]).enroll(enrollRequest('ecdsa', SK_FLAG_RESIDENT_KEY | 1, { pin: '123456', userId: enc.encode('x') }));
    await backendFor([b]).enroll(enrollRequest('ed25519', SK_FLAG_RESIDENT_KEY | 1, { pin: '123456', userId: enc.encode('y') }));
    const keys = await backendFor([a, u2f, b]).loadResidentKeys({ pin: '123456' });
    expect(keys.map((k) => k.alg).sort()).toEqual(['ecdsa', 'ed25519']);
  });
});

describe('devices are closed after each call', () => {
  test.each(['enroll', 'sign'] as const)('%s', async (call) => {
    const token = softFido();
    let closed = 0;
    const wrapped: HidDevice = { path: token.path, write: (r) => token.write(r), read: (t) => token.read(t), close: async () => void closed++ };
    const backend = new CtapBackend({ devices: async () => [wrapped], timeoutMs: 5_000 });
    const enrolled = await backend.enroll(enrollRequest('ecdsa', 1));
    if (call === 'sign') await backend.sign({ alg: 'ecdsa', application: APP, keyHandle: enrolled.keyHandle, message: new Uint8Array(0), flags: 1 });
    expect(closed).toBe(call === 'sign' ? 2 : 1);
  });
});

