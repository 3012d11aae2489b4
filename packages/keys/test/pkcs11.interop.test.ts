/**
 * loadPkcs11Keys against SoftHSM 2 tokens made by the interop harness: every key type, signatures
 * with every algorithm the key offers (checked by @ssh/keys and by node:crypto), the
 * token's X.509 certificates, the filters, and the typed errors of a wrong or missing PIN and an
 * unloadable provider.
 */
import { verify } from 'node:crypto';
import { nativePkcs11 } from '@ssh/crypto-native';
import { SOFTHSM_PROVIDER, softToken, softTokenAvailable, type SoftToken } from '@ssh/interop';
import { beforeAll, describe, expect, it } from 'vitest';
import { importPublicKey, importX509Certificate, type SSHKey } from '../src/index.ts';
import { loadPkcs11Keys, Pkcs11Error, type SSHPkcs11KeyPair } from '../src/node/index.ts';

if (!softTokenAvailable()) throw new Error('SoftHSM 2 and pkcs11-tool are missing: run tooling/scripts/ensure-peers.sh');

let keysToken: SoftToken;
let otherToken: SoftToken;

// Every token must exist before the provider is first loaded in this process (SoftHSM lists its
// tokens when initialized).
beforeAll(async () => {
  keysToken = await softToken('keys-a', '1357', [
    { type: 'rsa', label: 'rsa key', id: '0a', certificate: true },
    { type: 'ec-p256', label: 'p256', id: '0b' },
    { type: 'ec-p384', label: 'p384', id: '0c' },
    { type: 'ec-p521', label: 'p521', id: '0d' },
    { type: 'ed25519', label: 'ed', id: '0e' },
  ]);
  otherToken = await softToken('keys-b', '8642', [{ type: 'ec-p256', label: 'other', id: '01' }]);
  await softToken('keys-c', '1111', [{ type: 'ed25519', label: 'c', id: '01' }]);
  await softToken('keys-d', '2222', [{ type: 'ed25519', label: 'd', id: '01' }]);
});

const publicKeyOf = (token: SoftToken, label: string): SSHKey => importPublicKey(token.keys.find((k) => k.label === label)?.publicKeyPem as string);

describe('loadPkcs11Keys', () => {
  it('loads each signing key of the token with its public key, label and certificate', async () => {
    const pairs = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a' });
    expect(pairs.map((p) => [p.keyLabel, p.algorithm]).sort()).toEqual([
      ['ed', 'ssh-ed25519'],
      ['p256', 'ecdsa-sha2-nistp256'],
      ['p384', 'ecdsa-sha2-nistp384'],
      ['p521', 'ecdsa-sha2-nistp521'],
      ['rsa key', 'ssh-rsa'],
    ]);
    for (const p of pairs) {
      expect(p.key.equals(publicKeyOf(keysToken, p.keyLabel))).toBe(true);
      expect(p.key.hasPrivate).toBe(false);
      expect(p.getComment()).toBe(p.keyLabel);
      expect(p.tokenLabel).toBe('keys-a');
    }
    const rsa = pairs.find((p) => p.keyLabel === 'rsa key') as SSHPkcs11KeyPair;
    expect(Buffer.from(rsa.keyId).toString('hex')).toBe('0a');
    expect(rsa.x509Certificates).toHaveLength(1);
    expect(Buffer.from(rsa.x509Certificates[0]?.data ?? []).equals(Buffer.from(keysToken.keys[0]?.certificateDer ?? []))).toBe(true);
    expect(importX509Certificate(keysToken.keys[0]?.certificateDer as Uint8Array).key.equals(rsa.key)).toBe(true);
    expect(rsa.x509Certificates[0]?.key.equals(rsa.key)).toBe(true);
    expect(pairs.filter((p) => p !== rsa).every((p) => p.x509Certificates.length === 0)).toBe(true);
    const withoutCerts = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a', loadCerts: false, keyLabel: 'rsa key' });
    expect(withoutCerts.map((p) => p.x509Certificates.length)).toEqual([0]);
  });

  it('signs with every signature algorithm of every key, as @ssh/keys verifies', async () => {
    const pairs = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a' });
    const data = new TextEncoder().encode('session id and userauth request');
    for (const p of pairs) {
      for (const alg of p.sigAlgorithms) {
        const sig = await p.sign(data, alg);
        expect(p.key.verify(data, sig), `${p.keyLabel} ${alg}`).toBe(true);
        expect(p.key.verify(new TextEncoder().encode('other data'), sig)).toBe(false);
      }
    }
    expect(pairs.find((p) => p.algorithm === 'ssh-rsa')?.sigAlgorithms).toEqual(expect.arrayContaining(['rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa']));
    await expect(pairs.find((p) => p.algorithm === 'ssh-ed25519')?.sign(data, 'rsa-sha2-256')).rejects.toBeInstanceOf(Pkcs11Error);
  });

  it('queues signatures asked for at once, and looks keys up meanwhile', async () => {
    const [ed] = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a', keyLabel: 'ed' });
    const [p256] = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a', keyLabel: 'p256' });
    const inputs = Array.from({ length: 12 }, (_, i) => new TextEncoder().encode(`message ${i}`));
    // Lookups while signatures are in flight: they use another session than the signatures.
    const [sigs, again] = await Promise.all([
      Promise.all(inputs.map((d, i) => ((i % 2 === 0 ? ed : p256) as SSHPkcs11KeyPair).sign(d))),
      Promise.all(Array.from({ length: 4 }, () => loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a' }))),
    ]);
    expect(again.map((pairs) => pairs.length)).toEqual([5, 5, 5, 5]);
    sigs.forEach((s, i) => expect(((i % 2 === 0 ? ed : p256) as SSHPkcs11KeyPair).key.verify(inputs[i] as Uint8Array, s)).toBe(true));
  });

  it('makes signatures that node:crypto verifies against the key the token was given', async () => {
    const pairs = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a' });
    const data = new TextEncoder().encode('checked outside @ssh/keys');
    const spki = (label: string): string => keysToken.keys.find((k) => k.label === label)?.publicKeyPem as string;
    // The signature is the last string of the SSH signature blob: PKCS#1 v1.5 bytes, or Ed25519's 64.
    const lastString = (blob: Uint8Array): Buffer => {
      const b = Buffer.from(blob);
      const n = b.readUInt32BE(0);
      return b.subarray(8 + n);
    };
    const rsa = pairs.find((p) => p.keyLabel === 'rsa key') as SSHPkcs11KeyPair;
    expect(verify('sha512', data, spki('rsa key'), lastString(await rsa.sign(data, 'rsa-sha2-512')))).toBe(true);
    const ed = pairs.find((p) => p.keyLabel === 'ed') as SSHPkcs11KeyPair;
    expect(verify(null, data, spki('ed'), lastString(await ed.sign(data)))).toBe(true);
  });

  it('selects by token serial, key label and key id (bytes or hex text)', async () => {
    const all = await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a' });
    expect(all).toHaveLength(5);
    expect((await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a', keyId: '0C' })).map((p) => p.keyLabel)).toEqual(['p384']);
    expect((await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a', keyId: Uint8Array.of(0x0d) })).map((p) => p.keyLabel)).toEqual(['p521']);
    expect(await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'keys-a', keyLabel: 'nothing' })).toEqual([]);
    expect(await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenLabel: 'no such token' })).toEqual([]);
    expect(await loadPkcs11Keys(SOFTHSM_PROVIDER, '1357', { tokenSerial: 'no such serial' })).toEqual([]);
    const p11 = nativePkcs11();
    const serial = p11?.tokens(p11.load(SOFTHSM_PROVIDER)).find((t) => t.label === 'keys-b')?.serial as string;
    expect(serial).toMatch(/^[0-9a-f]{16}$/);
    expect((await loadPkcs11Keys(SOFTHSM_PROVIDER, '8642', { tokenSerial: serial })).map((p) => p.tokenLabel)).toEqual(['keys-b']);
    expect((await loadPkcs11Keys(SOFTHSM_PROVIDER, '8642', { tokenSerial: new TextEncoder().encode(serial) })).map((p) => p.tokenLabel)).toEqual(['keys-b']);
    const other = await loadPkcs11Keys(SOFTHSM_PROVIDER, '8642', { tokenLabel: 'keys-b' });
    expect(other.map((p) => p.keyLabel)).toEqual(['other']);
    expect(other[0]?.key.equals(publicKeyOf(otherToken, 'other'))).toBe(true);
  });

  it('refuses a wrong PIN, a missing one and an unloadable provider with a Pkcs11Error', async () => {
    await expect(loadPkcs11Keys(SOFTHSM_PROVIDER, 'wrong', { tokenLabel: 'keys-c' })).rejects.toMatchObject({ name: 'Pkcs11Error', rv: 0xa0, message: expect.stringMatching(/CKR_PIN_INCORRECT/) });
    expect((await loadPkcs11Keys(SOFTHSM_PROVIDER, '1111', { tokenLabel: 'keys-c' })).map((p) => p.keyLabel)).toEqual(['c']);
    // Logged in now, the token would take any PIN: another one is refused here.
    await expect(loadPkcs11Keys(SOFTHSM_PROVIDER, 'wrong', { tokenLabel: 'keys-c' })).rejects.toThrow(/logged in with another PIN/);
    await expect(loadPkcs11Keys(SOFTHSM_PROVIDER, undefined, { tokenLabel: 'keys-d' })).rejects.toThrow(/needs a PIN/);
    await expect(loadPkcs11Keys('/nonexistent/libpkcs11.so', '1')).rejects.toBeInstanceOf(Pkcs11Error);
    await expect(loadPkcs11Keys('libz.so.1', '1')).rejects.toThrow(/C_GetFunctionList/);
  });
});
