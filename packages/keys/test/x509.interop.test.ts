/** X.509 certificates against OpenSSL 3: ours parse and verify there, theirs here. */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { importPrivateKey, importX509Certificate, verifyX509Chain } from '../src/index.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());

function openssl(args: readonly string[]): string {
  return execFileSync('/usr/bin/openssl', args, { timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

describe.each(GENERATABLE)('our chains with a %s root in openssl', (type) => {
  test('openssl x509 -text and openssl verify', () => {
    const rootKey = testKey(type);
    const leafKey = testKey(type === 'ssh-rsa' ? 'ssh-ed25519' : 'ssh-rsa');
    const root = rootKey.generateX509CaCertificate(rootKey, 'CN=Test Root,O=Example', { validAfter: '-1d', validBefore: '+1w' });
    const leaf = rootKey.generateX509HostCertificate(leafKey, 'CN=host.example,O=Example', { issuerCert: root, principals: ['host.example'], validAfter: '-1d', validBefore: '+1d' });
    const rootPath = dir.write(root.exportCertificate());
    const leafPath = dir.write(leaf.exportCertificate());
    const text = openssl(['x509', '-in', leafPath, '-noout', '-text']);
    expect(text).toContain('Subject: O = Example, CN = host.example');
    expect(text).toContain('Issuer: O = Example, CN = Test Root');
    expect(text).toContain('DNS:host.example');
    expect(text).toContain('SSH Server');
    expect(openssl(['verify', '-CAfile', rootPath, leafPath]).trim()).toBe(`${leafPath}: OK`);
  });
});

describe('openssl certificates here', () => {
  test.each([['ed25519', ['-newkey', 'ed25519']], ['ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']], ['rsa', ['-newkey', 'rsa:2048']]])('%s root and leaf', (_name, keyArgs) => {
    const rootKey = dir.path();
    const rootCert = dir.path();
    openssl(['req', '-x509', ...keyArgs, '-nodes', '-keyout', rootKey, '-out', rootCert, '-subj', '/O=OpenSSL/CN=OpenSSL Root', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE']);
    const leafKey = dir.path();
    const csr = dir.path();
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', '/CN=client']);
    const ext = dir.write('extendedKeyUsage=1.3.6.1.5.5.7.3.21,1.3.6.1.5.5.7.3.2\nsubjectAltName=email:user@example.com\n');
    const leafCert = dir.path();
    openssl(['x509', '-req', '-in', csr, '-CA', rootCert, '-CAkey', rootKey, '-CAcreateserial', '-out', leafCert, '-days', '1', '-extfile', ext]);
    const root = importX509Certificate(dir.read(rootCert));
    const leaf = importX509Certificate(dir.read(leafCert));
    expect(root.isSelfSigned).toBe(true);
    expect(root.extensions.isCA).toBe(true);
    expect(root.key.equals(importPrivateKey(dir.read(rootKey)))).toBe(true);
    expect(leaf.key.equals(importPrivateKey(dir.read(leafKey)))).toBe(true);
    expect(leaf.subjectName).toBe('CN=client');
    verifyX509Chain([leaf], [root], { purposes: 'secureShellClient', principal: 'user@example.com', principalKind: 'user' });
    expect(root.subjectName).toBe('CN=OpenSSL Root,O=OpenSSL');
    expect(() => verifyX509Chain([root], [leaf])).toThrow();
  });

  test('a CA whose key usage does not include keyCertSign issues nothing (as openssl verify says)', () => {
    const caKey = dir.path();
    const caCert = dir.path();
    openssl(['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', caKey, '-out', caCert, '-subj', '/CN=Signing Only', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature']);
    const leafKey = dir.path();
    const csr = dir.path();
    openssl(['req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', '/CN=host.example']);
    const leafCert = dir.path();
    openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', leafCert, '-days', '1', '-extfile', dir.write('subjectAltName=DNS:host.example\n')]);
    expect(() => openssl(['verify', '-CAfile', caCert, leafCert])).toThrow();
    const ca = importX509Certificate(dir.read(caCert));
    expect(ca.extensions.keyCertSign).toBe(false);
    expect(() => verifyX509Chain([importX509Certificate(dir.read(leafCert))], [ca], { principal: 'host.example' })).toThrow(/may not sign certificates/);
  });
});
