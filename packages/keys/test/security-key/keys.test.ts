import { createHash, generateKeyPairSync, randomBytes, sign as signWith, type KeyObject } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createSshsigAsync, importPrivateKey, validateSshsig } from '../../src/index.ts';
import {
  SK_FLAG_RESIDENT_KEY,
  SK_FLAG_USER_PRESENCE_REQD,
  SK_FLAG_USER_VERIFICATION_REQD,
  SSHSkKeyPair,
  SecurityKeyError,
  generateSecurityKey,
  isSecurityKey,
  loadResidentKeys,
  securityKeyBackend,
  signWithSecurityKey,
  type SecurityKeyBackend,
  type SkEnrollRequest,
  type SkKeyAlgorithm,
  type SkSignRequest,
} from '../../src/node/index.ts';

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

interface Credential {
  readonly alg: SkKeyAlgorithm;
  readonly application: string;
  readonly privateKey: KeyObject;
  readonly publicKey: Uint8Array;
  readonly userId: Uint8Array;
  readonly resident: boolean;
  readonly verify: boolean;
  counter: number;
}

/**
 * A backend that answers as an authenticator would (node:crypto keys, PROTOCOL.u2f signatures),
 * with knobs to make it misbehave, and a record of what it was asked.
 */
class FakeAuthenticator implements SecurityKeyBackend {
  readonly credentials = new Map<string, Credential>();
  readonly enrolled: SkEnrollRequest[] = [];
  readonly signed: SkSignRequest[] = [];
  pin: string | undefined;
  /** Sign with another key than the credential's (a broken or lying device). */
  wrongKey = false;
  extensions = new Uint8Array(0);

  enroll(request: SkEnrollRequest): Promise<never> | Promise<Awaited<ReturnType<SecurityKeyBackend['enroll']>>> {
    this.enrolled.push(request);
    if (this.pin !== undefined && request.pin !== this.pin) return Promise.reject(new SecurityKeyError(request.pin === undefined ? 'pin-required' : 'pin-invalid', 'PIN'));
    const { privateKey, publicKey } = request.alg === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const raw = request.alg === 'ecdsa' ? publicKey.export({ format: 'der', type: 'spki' }).subarray(-65) : publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const keyHandle = randomBytes(48);
    this.credentials.set(keyHandle.toString('hex'), {
      alg: request.alg,
      application: request.application,
      privateKey,
      publicKey: new Uint8Array(raw),
      userId: request.userId,
      resident: (request.flags & SK_FLAG_RESIDENT_KEY) !== 0,
      verify: (request.flags & SK_FLAG_USER_VERIFICATION_REQD) !== 0,
      counter: 0,
    });
    return Promise.resolve({ publicKey: new Uint8Array(raw), keyHandle, flags: request.flags, attestationSignature: new Uint8Array(0), attestationCertificate: new Uint8Array(0), authData: new Uint8Array(0) });
  }

  sign(request: SkSignRequest): Promise<Awaited<ReturnType<SecurityKeyBackend['sign']>>> {
    this.signed.push(request);
    const cred = this.credentials.get(Buffer.from(request.keyHandle).toString('hex'));
    if (cred === undefined || cred.application !== request.application) return Promise.reject(new SecurityKeyError('device-not-found', 'no such credential'));
    if ((request.flags & SK_FLAG_USER_VERIFICATION_REQD) !== 0 && request.pin !== this.pin) return Promise.reject(new SecurityKeyError('pin-required', 'PIN'));
    cred.counter++;
    const flags = (request.flags & SK_FLAG_USER_PRESENCE_REQD) | (request.pin === undefined ? 0 : SK_FLAG_USER_VERIFICATION_REQD);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(cred.counter);
    const signed = Buffer.concat([sha256(Buffer.from(cred.application)), Buffer.from([flags]), counter, this.extensions, sha256(request.message)]);
    const key = this.wrongKey ? (cred.alg === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')).privateKey : cred.privateKey;
    const signature = cred.alg === 'ecdsa' ? signWith('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }) : signWith(null, signed, key);
    return Promise.resolve({ flags, counter: cred.counter, signature: new Uint8Array(signature), extensions: this.extensions });
  }

  loadResidentKeys(request: { readonly pin?: string }): Promise<Awaited<ReturnType<SecurityKeyBackend['loadResidentKeys']>>> {
    if (request.pin !== this.pin) return Promise.reject(new SecurityKeyError(request.pin === undefined ? 'pin-required' : 'pin-invalid', 'PIN'));
    return Promise.resolve(
      [...this.credentials.entries()]
        .filter(([, c]) => c.resident)
        .map(([handle, c]) => ({
          alg: c.alg,
          application: c.application,
          publicKey: c.publicKey,
          keyHandle: Buffer.from(handle, 'hex'),
          flags: SK_FLAG_RESIDENT_KEY | (c.verify ? SK_FLAG_USER_VERIFICATION_REQD : 0),
          userId: c.userId,
        })),
    );
  }
}

const message = new TextEncoder().encode('session id and userauth request');

describe.each([
  ['sk-ecdsa-sha2-nistp256@openssh.com', 'ecdsa'],
  ['sk-ssh-ed25519@openssh.com', 'ed25519'],
] as const)('%s', (algorithm, alg) => {
  test('a generated key signs through its authenticator, and its handle file does too', async () => {
    const token = new FakeAuthenticator();
    const key = await generateSecurityKey(algorithm, { provider: token, comment: 'fido' });
    expect(key.algorithm).toBe(algorithm);
    expect(key.getComment()).toBe('fido');
    expect(isSecurityKey(key)).toBe(true);
    expect(token.enrolled[0]).toMatchObject({ alg, application: 'ssh:', userName: 'AsyncSSH', flags: SK_FLAG_USER_PRESENCE_REQD });
    expect(token.enrolled[0]?.challenge).toHaveLength(32);

    const blob = await signWithSecurityKey(key, message);
    expect(key.verify(message, blob)).toBe(true);
    expect(token.signed[0]).toMatchObject({ alg, application: 'ssh:', flags: SK_FLAG_USER_PRESENCE_REQD });

    // What a key file stores is enough: the reloaded key signs through the same backend when told.
    const reloaded = importPrivateKey(key.exportPrivateKey());
    expect(isSecurityKey(reloaded)).toBe(true);
    const pair = new SSHSkKeyPair(reloaded, undefined, { provider: token });
    expect(pair.flags).toBe(SK_FLAG_USER_PRESENCE_REQD);
    expect(pair.application).toBe('ssh:');
    const again = await pair.sign(message, algorithm);
    expect(reloaded.verify(message, again)).toBe(true);
    expect(() => reloaded.sign(message)).toThrow(/authenticator/);
  });

  test('SSHSIG through the authenticator validates', async () => {
    const token = new FakeAuthenticator();
    const pair = new SSHSkKeyPair(await generateSecurityKey(algorithm, { provider: token }), undefined, { provider: token });
    const armored = await createSshsigAsync(pair, 'commit 1234', 'git');
    const sig = validateSshsig(armored, 'commit 1234', 'git');
    expect(sig.publicKey.equals(pair.key)).toBe(true);
    expect(() => validateSshsig(armored, 'commit 1235', 'git')).toThrow();
  });

  test('options become flags, application and user', async () => {
    const token = new FakeAuthenticator();
    token.pin = '1234';
    await generateSecurityKey(algorithm, { provider: token, application: 'ssh:work', user: 'alice', pin: '1234', resident: true, touchRequired: false, verifyRequired: true });
    expect(token.enrolled[0]).toMatchObject({ application: 'ssh:work', userName: 'alice', pin: '1234', flags: SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_VERIFICATION_REQD });
    expect(new TextDecoder().decode(token.enrolled[0]?.userId)).toBe('alice');
  });

  test('a signature that does not verify with the key is refused', async () => {
    const token = new FakeAuthenticator();
    const key = await generateSecurityKey(algorithm, { provider: token });
    token.wrongKey = true;
    await expect(signWithSecurityKey(key, message)).rejects.toMatchObject({ kind: 'general', message: /does not verify/ });
    token.wrongKey = false;
    token.extensions = new Uint8Array([0xa0]);
    await expect(signWithSecurityKey(key, message)).rejects.toMatchObject({ kind: 'unsupported', message: /extensions/ });
  });
});

describe('resident keys', () => {
  async function tokenWithKeys(): Promise<FakeAuthenticator> {
    const token = new FakeAuthenticator();
    token.pin = '0000';
    await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token, resident: true, user: 'alice', pin: '0000' });
    await generateSecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', { provider: token, resident: true, user: 'bob', pin: '0000' });
    await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token, resident: true, application: 'ssh:other', pin: '0000' });
    await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token, pin: '0000' });
    return token;
  }

  test('loaded by application and user, and they sign', async () => {
    const token = await tokenWithKeys();
    const all = await loadResidentKeys('0000', { provider: token });
    expect(all.map((p) => p.algorithm).sort()).toEqual(['sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ssh-ed25519@openssh.com']);
    for (const pair of all) {
      expect(pair.flags).toBe(SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_PRESENCE_REQD);
      expect(pair.key.verify(message, await pair.sign(message))).toBe(true);
    }
    const bob = await loadResidentKeys('0000', { provider: token, user: 'bob' });
    expect(bob.map((p) => p.algorithm)).toEqual(['sk-ecdsa-sha2-nistp256@openssh.com']);
    const other = await loadResidentKeys('0000', { provider: token, application: 'ssh:other', touchRequired: false });
    expect(other).toHaveLength(1);
    expect(other[0]?.flags).toBe(SK_FLAG_RESIDENT_KEY);
    expect(other[0]?.application).toBe('ssh:other');
    expect(await loadResidentKeys('0000', { provider: token, user: 'nobody' })).toEqual([]);
  });

  test('a credential that requires verification signs with the PIN it was listed with', async () => {
    const token = await tokenWithKeys();
    await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token, resident: true, application: 'ssh:uv', verifyRequired: true, pin: '0000' });
    const [pair] = await loadResidentKeys('0000', { provider: token, application: 'ssh:uv' });
    expect(pair?.flags).toBe(SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_USER_VERIFICATION_REQD);
    const blob = await (pair as SSHSkKeyPair).sign(message);
    expect(pair?.key.verify(message, blob)).toBe(true);
    expect(token.signed.at(-1)?.pin).toBe('0000');
  });

  test('PIN errors come through typed', async () => {
    const token = await tokenWithKeys();
    await expect(loadResidentKeys(undefined, { provider: token })).rejects.toMatchObject({ kind: 'pin-required', code: 'SSH_ERR_SECURITY_KEY' });
    await expect(loadResidentKeys('9999', { provider: token })).rejects.toBeInstanceOf(SecurityKeyError);
  });
});

describe('prompts', () => {
  test('a touch notice before each signature of a key that needs one, none for a key that does not', async () => {
    const token = new FakeAuthenticator();
    const touched: string[] = [];
    const prompts = { touch: (key: { algorithm: string }) => void touched.push(key.algorithm) };
    const key = await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token });
    await signWithSecurityKey(key, message, { prompts });
    await new SSHSkKeyPair(key, undefined, { provider: token, prompts }).sign(message);
    expect(touched).toEqual(['sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com']);
    // The notice comes before the authenticator is asked, so a program can print it first.
    expect(token.signed).toHaveLength(2);
    const quiet = await generateSecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', { provider: token, touchRequired: false });
    await signWithSecurityKey(quiet, message, { prompts });
    expect(touched).toHaveLength(2);
  });

  test('the PIN is asked for once when the authenticator wants it, and the signature retried with it', async () => {
    const token = new FakeAuthenticator();
    token.pin = '2468';
    const key = await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token, verifyRequired: true, pin: '2468' });
    const asked: string[] = [];
    const blob = await signWithSecurityKey(key, message, { prompts: { pin: async (k) => (asked.push(k.algorithm), '2468') } });
    expect(key.verify(message, blob)).toBe(true);
    expect(asked).toEqual(['sk-ssh-ed25519@openssh.com']);
    expect(token.signed.map((r) => r.pin)).toEqual([undefined, '2468']);

    // A PIN given up front is not asked for; a prompt that gives up leaves the authenticator's error.
    await signWithSecurityKey(key, message, { pin: '2468', prompts: { pin: () => {
          asked.push('again');
          return '2468';
        } } });
    expect(asked).toHaveLength(1);
    await expect(signWithSecurityKey(key, message, { prompts: { pin: () => undefined } })).rejects.toMatchObject({ kind: 'pin-required' });
    // A wrong answer is the authenticator's error, not a second prompt.
    let prompts = 0;
    await expect(signWithSecurityKey(key, message, { prompts: { pin: () => (prompts++, '0000') } })).rejects.toMatchObject({ kind: 'pin-required' });
    expect(prompts).toBe(1);
  });
});

describe('refusals', () => {
  test('unknown algorithms and keys that are not security keys', async () => {
    await expect(generateSecurityKey('ssh-ed25519', { provider: new FakeAuthenticator() })).rejects.toMatchObject({ kind: 'unsupported' });
    const plain = importPrivateKey((await import('../../src/index.ts')).generatePrivateKey('ssh-ed25519').exportPrivateKey());
    expect(isSecurityKey(plain)).toBe(false);
    await expect(signWithSecurityKey(plain, message)).rejects.toMatchObject({ kind: 'unsupported' });
    expect(() => new SSHSkKeyPair(plain)).toThrow(SecurityKeyError);
  });

  test('a pair refuses signature algorithms its key cannot make', async () => {
    const token = new FakeAuthenticator();
    const pair = new SSHSkKeyPair(await generateSecurityKey('sk-ssh-ed25519@openssh.com', { provider: token }), undefined, { provider: token });
    await expect(pair.sign(message, 'rsa-sha2-256')).rejects.toMatchObject({ kind: 'unsupported' });
    expect(token.signed).toHaveLength(0);
  });

  test('the provider is chosen as OpenSSH chooses it', () => {
    const token = new FakeAuthenticator();
    expect(securityKeyBackend(token)).toBe(token);
    expect(securityKeyBackend(undefined, {})).toBe(securityKeyBackend('internal'));
    // SSH_SK_PROVIDER names the library when nothing else does; one that cannot load says so.
    expect(() => securityKeyBackend(undefined, { SSH_SK_PROVIDER: '/nonexistent/provider.so' })).toThrow(/nonexistent\/provider\.so/);
    expect(() => securityKeyBackend('/nonexistent/other.so', { SSH_SK_PROVIDER: '/nonexistent/provider.so' })).toThrow(/nonexistent\/other\.so/);
  });
});
