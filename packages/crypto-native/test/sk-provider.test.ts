/**
 * The security-key provider calls (sk-api.h) against @ssh/interop's soft provider, a real
 * provider library that forwards to a software authenticator in this process: enrollment,
 * signatures checked with node:crypto as PROTOCOL.u2f defines them, resident keys, the options
 * and PIN passed, the provider's error codes, the structure layouts of API majors 7 to 10, and
 * the refusals of libraries that are no provider or implement another API version, and of
 * arguments of the wrong kind.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { SK_ERR, buildSharedLibrary, buildSoftSkLibrary, startSoftSkProvider, type SoftSkProvider } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SK_PROVIDER_ECDSA, SK_PROVIDER_ED25519, nativeSkProvider, type NativeSkProvider, type SkProviderAlg } from '../src/index.ts';

const UP = 0x01;
const UV = 0x04;
const FORCE = 0x10;
const RESIDENT = 0x20;

let soft: SoftSkProvider;
let sk: NativeSkProvider;

function load(library: string): NativeSkProvider {
  const provider = nativeSkProvider(library);
  if (provider === undefined) throw new Error('the native binding has no security-key provider calls: build it (node scripts/build-native.mjs --strict)');
  return provider;
}

beforeAll(async () => {
  soft = await startSoftSkProvider();
  // Read by the provider library on the thread pool, at each call: set once, before any.
  Object.assign(process.env, soft.env);
  sk = load(soft.library);
});

afterAll(async () => {
  await soft.stop();
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

function publicKeyObject(alg: SkProviderAlg, raw: Uint8Array): KeyObject {
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  if (alg === SK_PROVIDER_ED25519) return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(raw) }, format: 'jwk' });
  expect(raw[0]).toBe(0x04);
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33)) }, format: 'jwk' });
}

/** PROTOCOL.u2f: the authenticator signed SHA256(application) || flags || counter || SHA256(message). */
function verifies(alg: SkProviderAlg, publicKey: Uint8Array, application: string, message: Uint8Array, sig: { flags: number; counter: number; sigR: Uint8Array; sigS: Uint8Array }): boolean {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(sig.counter);
  const signed = Buffer.concat([sha256(application), Buffer.of(sig.flags), counter, sha256(message)]);
  const key = publicKeyObject(alg, publicKey);
  if (alg === SK_PROVIDER_ED25519) return sig.sigS.length === 0 && verify(null, signed, key, sig.sigR);
  const pad = (n: Uint8Array): Buffer => Buffer.concat([Buffer.alloc(32 - n.length), n]);
  return verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([pad(sig.sigR), pad(sig.sigS)]));
}

describe('calls through a provider library', () => {
  it('reports the version the library implements', () => {
    expect(sk.version).toBe(0x000a0000);
    expect(sk.path).toBe(soft.library);
  });

  it.each([
    ['ECDSA P-256', SK_PROVIDER_ECDSA, 65],
    ['Ed25519', SK_PROVIDER_ED25519, 32],
  ] as const)('enrolls an %s credential and signs with it, as node:crypto verifies', async (_name, alg, keyLength) => {
    const challenge = text('enrollment challenge');
    const e = await sk.enroll(alg, challenge, 'ssh:native', UP, undefined);
    expect(e.publicKey).toHaveLength(keyLength);
    expect(e.keyHandle.length).toBeGreaterThan(0);
    expect(e.flags).toBe(UP);
    expect(e.attestationCertificate).toHaveLength(0); // self-attested
    // The attestation: the authenticator data (CBOR byte string) and its signature over it and SHA256(challenge).
    const authData = Buffer.from(e.authData.subarray(2));
    expect(e.authData[0]).toBe(0x58);
    expect(authData.subarray(0, 32).equals(sha256('ssh:native'))).toBe(true);
    const attested = Buffer.concat([authData, sha256(challenge)]);
    const key = publicKeyObject(alg, e.publicKey);
    expect(alg === SK_PROVIDER_ECDSA ? verify('sha256', attested, key, e.signature) : verify(null, attested, key, e.signature)).toBe(true);

    const message = text('data to sign');
    const first = await sk.sign(alg, message, 'ssh:native', e.keyHandle, UP, undefined);
    const second = await sk.sign(alg, message, 'ssh:native', e.keyHandle, UP, undefined);
    expect([first.flags, first.counter, second.counter]).toEqual([UP, 1, 2]);
    expect(verifies(alg, e.publicKey, 'ssh:native', message, first)).toBe(true);
    expect(verifies(alg, e.publicKey, 'ssh:native', message, second)).toBe(true);
    expect(verifies(alg, e.publicKey, 'ssh:native', text('other data'), first)).toBe(false);
  });

  it('passes the PIN, the device and the user, and returns resident keys with their user ids', async () => {
    soft.setPin('4321');
    try {
      const e = await sk.enroll(SK_PROVIDER_ED25519, text('c'), 'ssh:resident', UP | UV | RESIDENT, '4321', { device: 'soft-sk', user: text('alice') });
      const calls = soft.calls;
      expect(calls[calls.length - 1]).toMatchObject({ op: 'enroll', pin: '4321', options: { device: 'soft-sk', user: 'alice' }, flags: UP | UV | RESIDENT, status: 0 });
      const listed = await sk.loadResidentKeys('4321', { device: 'soft-sk' });
      const mine = listed.find((k) => k.application === 'ssh:resident');
      expect(mine).toMatchObject({ alg: SK_PROVIDER_ED25519, flags: UP | UV });
      expect(Buffer.from(mine?.keyHandle ?? []).equals(Buffer.from(e.keyHandle))).toBe(true);
      expect(Buffer.from(mine?.publicKey ?? []).equals(Buffer.from(e.publicKey))).toBe(true);
      expect(Buffer.from(mine?.userId ?? []).toString('hex')).toBe(Buffer.concat([text('alice'), Buffer.alloc(27)]).toString('hex'));
      // Verification required: a signature with the PIN attests it.
      const sig = await sk.sign(SK_PROVIDER_ED25519, text('m'), 'ssh:resident', e.keyHandle, UP | UV, '4321');
      expect(sig.flags).toBe(UP | UV);
      expect(verifies(SK_PROVIDER_ED25519, e.publicKey, 'ssh:resident', text('m'), sig)).toBe(true);
    } finally {
      soft.setPin(undefined);
    }
  });

  it('rejects with the provider status: PIN required or wrong, no such device, credential exists, unsupported, general', async () => {
    const e = await sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:errors', UP | RESIDENT, undefined, { user: text('bob') });
    const status = (s: number): object => expect.objectContaining({ code: 'ERR_SK_PROVIDER', status: s });
    await expect(sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:errors', UP | RESIDENT, undefined, { user: text('bob') })).rejects.toEqual(status(SK_ERR.CREDENTIAL_EXISTS));
    const forced = await sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:errors', UP | RESIDENT | FORCE, undefined, { user: text('bob') });
    expect(forced.flags).toBe(UP | RESIDENT); // a v10 provider stores no FORCE in the key
    await expect(sk.sign(SK_PROVIDER_ECDSA, text('m'), 'ssh:errors', e.keyHandle, UP, undefined)).rejects.toEqual(status(SK_ERR.GENERAL)); // replaced
    await expect(sk.sign(SK_PROVIDER_ECDSA, text('m'), 'ssh:errors', forced.keyHandle, UP, undefined, { device: '/dev/hidraw9' })).rejects.toEqual(
      status(SK_ERR.DEVICE_NOT_FOUND),
    );
    await expect(sk.sign(SK_PROVIDER_ECDSA, text('m'), 'ssh:errors', forced.keyHandle, UP | UV, undefined)).rejects.toEqual(status(SK_ERR.UNSUPPORTED)); // no PIN set
    soft.setPin('1111');
    try {
      await expect(sk.loadResidentKeys(undefined)).rejects.toEqual(status(SK_ERR.PIN_REQUIRED));
      await expect(sk.loadResidentKeys('2222')).rejects.toThrow(/sk_load_resident_keys failed: SSH_SK_ERR_PIN_REQUIRED \(-3\)/);
    } finally {
      soft.setPin(undefined);
    }
  });

  it('runs calls one at a time, in the order they were made', async () => {
    const e = await sk.enroll(SK_PROVIDER_ED25519, text('c'), 'ssh:queue', UP, undefined);
    const sigs = await Promise.all([1, 2, 3].map((n) => sk.sign(SK_PROVIDER_ED25519, text(`m${n}`), 'ssh:queue', e.keyHandle, UP, undefined)));
    expect(sigs.map((s) => s.counter)).toEqual([1, 2, 3]);
    sigs.forEach((s, i) => expect(verifies(SK_PROVIDER_ED25519, e.publicKey, 'ssh:queue', text(`m${i + 1}`), s)).toBe(true));
  });

  it('fails with SSH_SK_ERR_GENERAL when the provider reaches no authenticator', async () => {
    const other = await startSoftSkProvider();
    const provider = load(other.library);
    await other.stop();
    // Same environment, but nothing listens there any more.
    const saved = process.env['SSH_SOFT_SK_SOCKET'];
    process.env['SSH_SOFT_SK_SOCKET'] = other.socket;
    try {
      await expect(provider.enroll(SK_PROVIDER_ED25519, text('c'), 'ssh:gone', UP, undefined)).rejects.toMatchObject({ code: 'ERR_SK_PROVIDER', status: -1 });
    } finally {
      process.env['SSH_SOFT_SK_SOCKET'] = saved;
    }
  });
});

describe.each([7, 8, 9])('a provider of API major %i', (major) => {
  it('is read with its own structure layout', async () => {
    const provider = load(await buildSoftSkLibrary(major));
    expect(provider.version).toBe(major << 16);
    const e = await provider.enroll(SK_PROVIDER_ECDSA, text('c'), `ssh:v${major}`, UP | RESIDENT | FORCE, undefined, { user: text(`user${major}`) });
    // Before major 9 the response had no flags: the key takes those asked for.
    expect(e.flags).toBe(major >= 9 ? UP | RESIDENT : UP | RESIDENT | FORCE);
    expect(e.publicKey).toHaveLength(65);
    expect(e.authData.length).toBeGreaterThan(37);
    const sig = await provider.sign(SK_PROVIDER_ECDSA, text('m'), `ssh:v${major}`, e.keyHandle, UP, undefined);
    expect(verifies(SK_PROVIDER_ECDSA, e.publicKey, `ssh:v${major}`, text('m'), sig)).toBe(true);
    const mine = (await provider.loadResidentKeys(undefined)).filter((k) => k.application === `ssh:v${major}`);
    expect(mine).toHaveLength(1);
    expect(Buffer.from(mine[0]?.keyHandle ?? []).equals(Buffer.from(e.keyHandle))).toBe(true);
    expect(mine[0]?.flags).toBe(UP);
    // Major 7 returned no user id.
    expect(Buffer.from(mine[0]?.userId ?? []).subarray(0, 5).toString()).toBe(major >= 8 ? `user${major}` : '');
  });
});

describe('refusals', () => {
  it('refuses a library of another API major, naming the version', async () => {
    for (const major of [6, 11]) {
      const library = await buildSoftSkLibrary(major);
      expect(() => nativeSkProvider(library)).toThrow(
        expect.objectContaining({ code: 'ERR_SK_PROVIDER_VERSION', version: major << 16, message: expect.stringMatching(/0x000[6b]0000; supported are majors 0x00070000 to 0x000a0000/) }),
      );
    }
  });

  it('refuses a missing library and libraries that are no provider', async () => {
    expect(() => nativeSkProvider('/nonexistent/provider.so')).toThrow(expect.objectContaining({ code: 'ERR_SK_PROVIDER_LOAD', message: expect.stringMatching(/nonexistent/) }));
    expect(() => nativeSkProvider('libz.so.1')).toThrow(expect.objectContaining({ code: 'ERR_SK_PROVIDER_LOAD', message: expect.stringMatching(/no sk_api_version/) }));
    const versionOnly = await buildSharedLibrary('#include <stdint.h>\nuint32_t sk_api_version(void) { return 0x000a0000; }\nint sk_enroll(void) { return -1; }\n');
    expect(() => nativeSkProvider(versionOnly)).toThrow(expect.objectContaining({ code: 'ERR_SK_PROVIDER_LOAD', message: expect.stringMatching(/no sk_sign/) }));
    expect(() => nativeSkProvider('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => nativeSkProvider(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('refuses arguments of the wrong kind before calling the provider', async () => {
    const before = soft.calls.length;
    const kh = new Uint8Array(16);
    const refused = (code: string): object => expect.objectContaining({ code });
    const bad = <T>(call: () => Promise<T>, code = 'ERR_INVALID_ARG_TYPE'): Promise<void> => expect(call()).rejects.toEqual(refused(code));
    await bad(() => sk.enroll(2 as SkProviderAlg, text('c'), 'ssh:', UP, undefined));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, new Uint16Array(2) as unknown as Uint8Array, 'ssh:', UP, undefined));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, new Uint8Array(64 * 1024 + 1), 'ssh:', UP, undefined), 'ERR_OUT_OF_RANGE');
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), '', UP, undefined));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:\0x', UP, undefined));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', 256, undefined));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', 1.5, undefined));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', UP, '12\x0034'));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', UP, 'x'.repeat(257)));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', UP, undefined, { device: '' }));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', UP, undefined, { user: Uint8Array.of(0x61, 0, 0x62) }));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', UP, undefined, { user: new Uint8Array(65).fill(0x61) }));
    await bad(() => sk.enroll(SK_PROVIDER_ECDSA, text('c'), 'ssh:', UP, undefined, { user: new Uint8Array(0) }));
    await bad(() => sk.sign(SK_PROVIDER_ECDSA, text('m'), 'ssh:', new Uint8Array(0), UP, undefined));
    await bad(() => sk.sign(SK_PROVIDER_ECDSA, new Uint8Array(1024 * 1024 + 1), 'ssh:', kh, UP, undefined), 'ERR_OUT_OF_RANGE');
    await bad(() => sk.sign(SK_PROVIDER_ECDSA, text('m'), 'ssh:', 'handle' as unknown as Uint8Array, UP, undefined));
    await bad(() => sk.loadResidentKeys(7 as unknown as string));
    await bad(() => sk.loadResidentKeys(undefined, { device: 7 as unknown as string }));
    expect(soft.calls.length).toBe(before);
  });
});
