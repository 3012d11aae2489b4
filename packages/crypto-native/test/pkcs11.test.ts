/**
 * The PKCS#11 calls against SoftHSM 2 (a token in software, installed by ensure-peers.sh): token
 * listing, login, object search, attributes, signatures checked with node:crypto, and the typed
 * errors of a wrong PIN, a bad handle, a closed module, a library that is no provider, and
 * arguments of the wrong kind.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { SOFTHSM_PROVIDER, softToken, softTokenAvailable, type SoftToken } from '@ssh/interop';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativePkcs11, type NativePkcs11, type Pkcs11Module } from '../src/index.ts';

const CKO_PRIVATE_KEY = 3;
const CKO_PUBLIC_KEY = 2;
const CKA_LABEL = 0x3;
const CKA_ID = 0x102;
const CKA_EC_PARAMS = 0x180;
const CKA_MODULUS = 0x120;
const CKA_PRIVATE_EXPONENT = 0x123;
const CKM_RSA_PKCS = 0x1;
const CKM_ECDSA = 0x1041;
const CKM_EDDSA = 0x1057;
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

if (!softTokenAvailable()) throw new Error('SoftHSM 2 and pkcs11-tool are missing: run tooling/scripts/ensure-peers.sh');

let token: SoftToken;
let p11: NativePkcs11;
let module: Pkcs11Module;
let session: number;

const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString();

/** The private key labelled `label`. */
function privateKey(label: string): number {
  const found = p11.findObjects(module, session, CKO_PRIVATE_KEY).filter((o) => text(p11.getAttributes(module, session, o, [CKA_LABEL])[0]) === label);
  expect(found).toHaveLength(1);
  return found[0] as number;
}

function publicKey(label: string): ReturnType<typeof createPublicKey> {
  return createPublicKey(token.keys.find((k) => k.label === label)?.publicKeyPem as string);
}

beforeAll(async () => {
  token = await softToken('native-test', '2468', [
    { type: 'rsa', label: 'rsa', id: '01' },
    { type: 'ec-p256', label: 'p256', id: '02' },
    { type: 'ed25519', label: 'ed', id: '03' },
  ]);
  const loaded = nativePkcs11();
  if (loaded === undefined) throw new Error('the native binding has no PKCS#11 calls: build it (node scripts/build-native.mjs --strict)');
  p11 = loaded;
  module = p11.load(SOFTHSM_PROVIDER);
  const t = p11.tokens(module).find((x) => x.label === 'native-test');
  if (t === undefined) throw new Error('token not listed');
  session = p11.openSession(module, t.slot);
});

describe('PKCS#11 calls on SoftHSM', () => {
  it('lists the token with its padded text fields trimmed, and refuses a wrong PIN with CKR_PIN_INCORRECT', () => {
    const t = p11.tokens(module).find((x) => x.label === 'native-test');
    expect(t).toMatchObject({ manufacturer: 'SoftHSM project', model: 'SoftHSM v2' });
    expect(t?.serial).toMatch(/^[0-9a-f]{16}$/);
    expect((t?.flags ?? 0) & 0x4).toBe(0x4); // CKF_LOGIN_REQUIRED
    // Before login only public objects are visible.
    expect(p11.findObjects(module, session, CKO_PRIVATE_KEY)).toEqual([]);
    expect(p11.findObjects(module, session, CKO_PUBLIC_KEY)).toHaveLength(3);
    expect(() => p11.login(module, session, new TextEncoder().encode('0000'))).toThrow(expect.objectContaining({ code: 'ERR_PKCS11', rv: 0xa0 }));
    p11.login(module, session, new TextEncoder().encode('2468'));
    p11.login(module, session, new TextEncoder().encode('2468')); // already logged in: no error
    expect(p11.findObjects(module, session, CKO_PRIVATE_KEY)).toHaveLength(3);
  });

  it('reads attributes, with null for secret and absent ones', () => {
    const rsa = privateKey('rsa');
    const [label, id, modulus, secret, params] = p11.getAttributes(module, session, rsa, [CKA_LABEL, CKA_ID, CKA_MODULUS, CKA_PRIVATE_EXPONENT, CKA_EC_PARAMS]);
    expect(text(label)).toBe('rsa');
    expect(Buffer.from(id as Uint8Array).toString('hex')).toBe('01');
    const jwk = publicKey('rsa').export({ format: 'jwk' });
    expect(Buffer.from(modulus as Uint8Array).toString('base64url')).toBe(jwk.n);
    expect(secret).toBeNull(); // CKA_SENSITIVE
    expect(params).toBeNull(); // not an EC key
    expect(Buffer.from(p11.getAttributes(module, session, privateKey('p256'), [CKA_EC_PARAMS])[0] as Uint8Array).toString('hex')).toBe('06082a8648ce3d030107');
  });

  it('signs on the thread pool with RSA PKCS#1, ECDSA and EdDSA, as node:crypto verifies', async () => {
    const data = new TextEncoder().encode('signed by a token');
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(data).digest()]);
    // Two at once, on two sessions: a session is used by one thread at a time, so the handles are
    // found (on `session`) before either signature starts.
    const slot = p11.tokens(module).find((x) => x.label === 'native-test')?.slot as number;
    const [rsaKey, ecKey, edKey] = [privateKey('rsa'), privateKey('p256'), privateKey('ed')];
    const second = p11.openSession(module, slot);
    const [rsaSig, ecSig] = await Promise.all([
      p11.sign(module, session, rsaKey, CKM_RSA_PKCS, digestInfo),
      p11.sign(module, second, ecKey, CKM_ECDSA, createHash('sha256').update(data).digest()),
    ]);
    p11.closeSession(module, second);
    const edSig = await p11.sign(module, session, edKey, CKM_EDDSA, data);
    expect(verify('sha256', data, publicKey('rsa'), rsaSig)).toBe(true);
    expect(verify('sha256', data, { key: publicKey('p256'), dsaEncoding: 'ieee-p1363' }, ecSig)).toBe(true);
    expect(verify(null, data, publicKey('ed'), edSig)).toBe(true);
  });

  it('rejects a signature with an invalid key handle or a mechanism the key does not do', async () => {
    await expect(p11.sign(module, session, 987654, CKM_RSA_PKCS, new Uint8Array(51))).rejects.toMatchObject({ code: 'ERR_PKCS11', rv: 0x82 });
    await expect(p11.sign(module, session, privateKey('rsa'), CKM_ECDSA, new Uint8Array(32))).rejects.toMatchObject({ code: 'ERR_PKCS11' });
    // The session is still usable afterwards.
    const sig = await p11.sign(module, session, privateKey('ed'), CKM_EDDSA, new Uint8Array(3));
    expect(sig).toHaveLength(64);
  });

  it('refuses arguments of the wrong kind before calling the module', () => {
    expect(() => p11.tokens({} as Pkcs11Module)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.openSession(module, -1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.openSession(module, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.getAttributes(module, session, 1, [])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.getAttributes(module, session, 1, new Array<number>(17).fill(3))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.login(module, session, 'pin' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.sign(module, session, 1, CKM_EDDSA, new Uint16Array(2) as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p11.sign(module, session, 1, CKM_EDDSA, new Uint8Array(1024 * 1024 + 1))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('refuses a missing library and one that is no PKCS#11 provider', () => {
    expect(() => p11.load('/nonexistent/provider.so')).toThrow(expect.objectContaining({ code: 'ERR_PKCS11_PROVIDER' }));
    expect(() => p11.load('libz.so.1')).toThrow(expect.objectContaining({ code: 'ERR_PKCS11_PROVIDER', message: expect.stringMatching(/C_GetFunctionList/) }));
    expect(() => p11.load('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('closes a module once no signature is in flight, after which every call is refused', async () => {
    const second = p11.load(SOFTHSM_PROVIDER); // initialized already: this handle does not finalize it
    const slot = p11.tokens(second).find((x) => x.label === 'native-test')?.slot as number;
    const s = p11.openSession(second, slot);
    const signing = p11.sign(second, s, privateKey('ed'), CKM_EDDSA, new Uint8Array(8));
    expect(() => p11.close(second)).toThrow(expect.objectContaining({ code: 'ERR_PKCS11_BUSY' }));
    expect(await signing).toHaveLength(64);
    p11.closeSession(second, s);
    p11.close(second);
    expect(() => p11.tokens(second)).toThrow(expect.objectContaining({ code: 'ERR_PKCS11_CLOSED' }));
    // The first handle, which initialized the provider, still works.
    expect(p11.tokens(module).some((x) => x.label === 'native-test')).toBe(true);
  });
});
