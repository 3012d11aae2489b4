import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { createSshsig, createSshsigBlob, importPublicKey, KeyImportError, parseSshsig, SignatureError, validateSshsig } from '../src/index.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';

const VEC = join(import.meta.dirname, '../vectors/openssh-sshsig');

describe('OpenSSH security-key SSHSIG vectors', () => {
  const message = readFileSync(join(VEC, 'signed-data'));
  const namespace = readFileSync(join(VEC, 'namespace'), 'utf8');
  test.each(['ecdsa_sk', 'ed25519_sk', 'ecdsa_sk_webauthn'])('%s verifies', (name) => {
    const sigText = readFileSync(join(VEC, `${name}.sig`), 'utf8');
    const key = importPublicKey(readFileSync(join(VEC, `${name}.pub`), 'utf8'));
    const sig = validateSshsig(sigText, message, namespace);
    expect(sig.publicKey.equals(key)).toBe(true);
    expect(sig.hashAlgorithm).toBe('sha512');
    expect(key.label).toMatch(/-SK$/);
    expect(() => validateSshsig(sigText, new Uint8Array([...message, 0x21]), namespace)).toThrow(SignatureError);
    expect(() => validateSshsig(sigText, message, 'other')).toThrow(SignatureError);
    expect(() => key.sign(message)).toThrow(SignatureError);
  });
});

describe.each(GENERATABLE)('SSHSIG with %s', (type) => {
  const key = testKey(type);
  test.each(['sha256', 'sha512'] as const)('%s round trip', (hashAlgorithm) => {
    const sig = createSshsig(key, 'message', 'file', { hashAlgorithm });
    expect(sig).toMatch(/^-----BEGIN SSH SIGNATURE-----\n/);
    const parsed = validateSshsig(sig, 'message', 'file');
    expect(parsed.publicKey.equals(key)).toBe(true);
    expect(parsed.hashAlgorithm).toBe(hashAlgorithm);
    expect(() => validateSshsig(sig, 'massage', 'file')).toThrow(SignatureError);
    expect(() => validateSshsig(sig, 'message', 'git')).toThrow(SignatureError);
    expect(validateSshsig(createSshsigBlob(key, 'message', 'file'), 'message', 'file').namespace).toBe('file');
  });
});

describe('SSHSIG errors', () => {
  const key = testKey('ssh-ed25519');
  test('bad arguments and RSA SHA-1', () => {
    expect(() => createSshsig(key, 'm', '')).toThrow(SignatureError);
    expect(() => createSshsig(key, 'm', 'n', { hashAlgorithm: 'md5' as 'sha256' })).toThrow(SignatureError);
    const rsa = testKey('ssh-rsa');
    const sha1 = createSshsig(rsa, 'm', 'n', { sigAlgorithm: 'ssh-rsa' });
    expect(() => validateSshsig(sha1, 'm', 'n')).toThrow(SignatureError);
  });

  test('certificates as signers', () => {
    const ca = testKey('ecdsa-sha2-nistp256');
    const cert = ca.generateUserCertificate(key, 'id', { principals: ['me'] });
    const sig = validateSshsig(createSshsig(key, 'm', 'n', { certificate: cert }), 'm', 'n');
    expect(sig.certificate?.keyId).toBe('id');
    expect(sig.publicKey.equals(key)).toBe(true);
    expect(() => createSshsig(testKey('ssh-ed448'), 'm', 'n', { certificate: cert })).toThrow(SignatureError);
  });

  test('garbage and truncation are KeyImportError', () => {
    const blob = createSshsigBlob(key, 'm', 'n');
    for (let cut = 0; cut < blob.length; cut += 5) expect(() => parseSshsig(blob.subarray(0, cut))).toThrow(KeyImportError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          validateSshsig(bytes, 'm', 'n');
        } catch (e) {
          expect(e instanceof KeyImportError || e instanceof SignatureError).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
