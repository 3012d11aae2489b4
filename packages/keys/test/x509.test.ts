import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CertificateError, SSHKeyPair, decodeX509Blob, encodeX509Blob, importX509Certificate, KeyImportError, matchSubject, parseName, nameToString, verifyX509Chain } from '../src/index.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';

const NOW = 1_800_000_000;

describe.each(GENERATABLE)('X.509 with a %s CA', (type) => {
  test('root, intermediate, end certificate chain', () => {
    const root = testKey(type);
    const mid = testKey('ecdsa-sha2-nistp384');
    const leaf = testKey('ssh-ed25519');
    const rootCert = root.generateX509CaCertificate(root, 'CN=Root CA,O=Example', { validBefore: '+10w', now: NOW - 10 });
    expect(rootCert.isSelfSigned).toBe(true);
    expect(rootCert.extensions.isCA).toBe(true);
    const midCert = root.generateX509CaCertificate(mid, 'CN=Intermediate,O=Example', { issuerCert: rootCert, now: NOW });
    const leafCert = mid.generateX509UserCertificate(leaf, 'CN=alice,OU=Users,O=Example', { issuerCert: midCert, principals: ['alice@example.com'], now: NOW });
    const back = importX509Certificate(leafCert.exportCertificate());
    expect(back.data).toEqual(leafCert.data);
    expect(back.subjectName).toBe('CN=alice,OU=Users,O=Example');
    expect(back.issuerName).toBe('CN=Intermediate,O=Example');
    expect(back.key.equals(leaf)).toBe(true);
    expect(back.extensions.purposes).toEqual(['1.3.6.1.5.5.7.3.21']);
    expect(back.extensions.emails).toEqual(['alice@example.com']);
    expect(importX509Certificate(leafCert.exportCertificate('der')).serial).toBe(leafCert.serial);
    verifyX509Chain([back, midCert], [rootCert], { purposes: 'secureShellClient', principal: 'alice@example.com', principalKind: 'user', now: NOW, subjects: ['CN=alice,*'] });
    // A user's email is not a host name, and an SSH client certificate is no server's.
    expect(() => verifyX509Chain([back, midCert], [rootCert], { principal: 'alice@example.com', now: NOW })).toThrow(/not valid for/);
    expect(() => verifyX509Chain([back, midCert], [rootCert], { purposes: 'secureShellServer', now: NOW })).toThrow(/purposes/);
    expect(() => verifyX509Chain([back], [rootCert], { now: NOW })).toThrow(/no trusted issuer/);
    expect(() => verifyX509Chain([back, midCert], [rootCert], { purposes: 'serverAuth', now: NOW })).toThrow(/purposes/);
    expect(() => verifyX509Chain([back, midCert], [rootCert], { principal: 'bob', now: NOW })).toThrow(CertificateError);
    expect(() => verifyX509Chain([back, midCert], [rootCert], { subjects: ['CN=bob,*'], now: NOW })).toThrow(CertificateError);
    expect(() => verifyX509Chain([back, midCert], [rootCert], { now: NOW + 11 * 7 * 86400 })).toThrow(/expired/);
  });
});

describe('X.509 details', () => {
  const key = testKey('ssh-rsa');
  test('host certificates, self-signed, SSH blob', () => {
    const cert = key.generateX509HostCertificate(key, 'CN=host.example', { principals: ['host.example', '192.0.2.1', '2001:db8::1'], hashAlg: 'sha512' });
    expect(cert.extensions.dnsNames).toEqual(['host.example']);
    expect(cert.extensions.ipAddresses).toEqual(['192.0.2.1', '2001:db8:0:0:0:0:0:1']);
    expect(cert.sigAlgorithms).toEqual(['x509v3-rsa2048-sha256', 'x509v3-ssh-rsa']);
    verifyX509Chain([cert], [cert], { purposes: 'secureShellServer', principal: 'host.example' });
    const blob = encodeX509Blob('x509v3-ssh-rsa', [cert]);
    const decoded = decodeX509Blob(blob);
    expect(decoded.chain[0]?.data).toEqual(cert.data);
    expect(() => decodeX509Blob(encodeX509Blob('x509v3-ssh-ed25519', [cert]))).toThrow(KeyImportError);
    for (let cut = 0; cut < blob.length; cut += 37) expect(() => decodeX509Blob(blob.subarray(0, cut))).toThrow(KeyImportError);
  });

  test('host names: the subjectAltName when there is one, the CN only when there is none', () => {
    const ca = testKey('ssh-ed25519');
    const root = ca.generateX509CaCertificate(ca, 'CN=Root', { now: NOW });
    const withSan = ca.generateX509HostCertificate(key, 'CN=victim.example', { issuerCert: root, principals: ['attacker.example', '192.0.2.7'], now: NOW });
    verifyX509Chain([withSan], [root], { principal: 'attacker.example', now: NOW });
    verifyX509Chain([withSan], [root], { principal: '192.0.2.7', now: NOW });
    expect(() => verifyX509Chain([withSan], [root], { principal: 'victim.example', now: NOW })).toThrow(/not valid for "victim.example"/);
    const cnOnly = ca.generateX509HostCertificate(key, 'CN=victim.example', { issuerCert: root, now: NOW });
    expect(cnOnly.extensions.hasAltNames).toBe(false);
    verifyX509Chain([cnOnly], [root], { principal: 'victim.example', now: NOW });
    verifyX509Chain([cnOnly], [root], { principal: 'victim.example', principalKind: 'user', now: NOW });
  });

  test("a user certificate's principals are e-mail names, as AsyncSSH writes and checks them; a host's are DNS names", () => {
    const user = key.generateX509UserCertificate(key, 'CN=alice', { principals: ['alice', 'ops'], now: NOW });
    expect(user.extensions.emails).toEqual(['alice', 'ops']);
    expect(user.extensions.dnsNames).toEqual([]);
    verifyX509Chain([user], [user], { principal: 'alice', principalKind: 'user', now: NOW });
    expect(() => verifyX509Chain([user], [user], { principal: 'alice', now: NOW })).toThrow(/not valid for/);
    const host = key.generateX509HostCertificate(key, 'CN=h', { principals: ['h.example', '192.0.2.1'], now: NOW });
    expect([host.extensions.dnsNames, host.extensions.emails]).toEqual([['h.example'], []]);
    const asHosts = key.generateX509UserCertificate(key, 'CN=x', { principals: ['x.example'], principalKind: 'host', now: NOW });
    expect(asHosts.extensions.dnsNames).toEqual(['x.example']);
  });

  test('150,000 principals, purposes or name attributes are written whole (no argument spread past the stack)', () => {
    const many = 150_000;
    const principals = Array.from({ length: many }, (_, i) => `u${i}`);
    const user = key.generateX509UserCertificate(key, 'CN=alice', { principals, now: NOW });
    expect(user.extensions.emails).toHaveLength(many);
    expect(user.extensions.emails[many - 1]).toBe(`u${many - 1}`);
    const purposes = Array.from({ length: many }, () => '1.3.6.1.5.5.7.3.1');
    expect(key.generateX509HostCertificate(key, 'CN=h', { purposes, now: NOW }).extensions.purposes).toHaveLength(many);
    const subject = Array.from({ length: many }, (_, i) => `OU=${i}`).join(',');
    expect(key.generateX509UserCertificate(key, subject, { now: NOW }).subject).toHaveLength(many);
  });

  test('a trusted self-signed certificate that says CA:FALSE issues nothing', () => {
    const rootKey = testKey('ssh-ed25519');
    const notCa = rootKey.generateX509HostCertificate(rootKey, 'CN=not a CA', { principals: ['a.example'], now: NOW });
    expect(notCa.isSelfSigned).toBe(true);
    expect(notCa.extensions).toMatchObject({ hasBasicConstraints: true, isCA: false });
    verifyX509Chain([notCa], [notCa], { principal: 'a.example', now: NOW });
    const leaf = rootKey.generateX509HostCertificate(key, 'CN=leaf', { issuerCert: notCa, principals: ['leaf.example'], now: NOW });
    expect(() => verifyX509Chain([leaf], [notCa], { principal: 'leaf.example', now: NOW })).toThrow(/trusted root is not a CA/);
  });

  test('pathLenConstraint bounds the CA certificates below an issuer', () => {
    const rootKey = testKey('ssh-ed25519');
    const midKey = testKey('ecdsa-sha2-nistp256');
    for (const [pathLength, ok] of [[0, false], [1, true]] as const) {
      const root = rootKey.generateX509CaCertificate(rootKey, 'CN=Root', { pathLength, now: NOW });
      const mid = rootKey.generateX509CaCertificate(midKey, 'CN=Mid', { issuerCert: root, now: NOW });
      const leaf = midKey.generateX509HostCertificate(key, 'CN=h', { issuerCert: mid, principals: ['h'], now: NOW });
      const check = () => verifyX509Chain([leaf, mid], [root], { principal: 'h', now: NOW });
      if (ok) check();
      else expect(check).toThrow(/allows 0 CA certificates below it/);
      // Directly under the root, no CA certificate is below it: allowed either way.
      verifyX509Chain([rootKey.generateX509HostCertificate(key, 'CN=h', { issuerCert: root, principals: ['h'], now: NOW })], [root], { now: NOW });
    }
  });

  test('a serial, pathLength or purpose out of range is a CertificateError, not a RangeError or a made-up OID', () => {
    const ca = testKey('ssh-ed25519');
    for (const serial of [1.5, -1, 1n << 160n]) expect(() => ca.generateX509CaCertificate(ca, 'CN=ca', { serial })).toThrow(CertificateError);
    for (const pathLength of [1.5, -1]) expect(() => ca.generateX509CaCertificate(ca, 'CN=ca', { pathLength })).toThrow(CertificateError);
    // An unknown purpose name used to be written as OID 0.0.
    for (const purposes of ['bogus', ['secureShellServer', '1'], '1.2.x', '3.1', `1.3.${'9'.repeat(400)}`, '1.3.9007199254740993']) {
      expect(() => ca.generateX509HostCertificate(ca, 'CN=h', { purposes })).toThrow(CertificateError);
    }
    const ok = ca.generateX509HostCertificate(ca, 'CN=h', { purposes: ['secureShellServer', '1.3.6.1.5.5.7.3.1'], serial: (1n << 159n) - 1n, ca: true, pathLength: 0 });
    expect(ok.extensions.purposes).toEqual(['1.3.6.1.5.5.7.3.22', '1.3.6.1.5.5.7.3.1']);
    expect(ok.serial).toBe((1n << 159n) - 1n);
  });

  test('a validity time with a month, day, hour, minute or second out of range is KeyImportError, not rolled over', () => {
    const ca = testKey('ssh-ed25519');
    const der = ca.generateX509CaCertificate(ca, 'CN=ca', { validAfter: '20300102030405Z', validBefore: '20310102030405Z' }).data;
    const at = Buffer.from(der).indexOf('300102030405Z');
    expect(at).toBeGreaterThan(0);
    const withTime = (text: string) => {
      const copy = der.slice();
      copy.set(new TextEncoder().encode(text), at);
      return copy;
    };
    expect(importX509Certificate(withTime('300228235959Z')).validAfter).toBe(BigInt(Date.UTC(2030, 1, 28, 23, 59, 59) / 1000));
    expect(importX509Certificate(withTime('320229000000Z')).validAfter).toBe(BigInt(Date.UTC(2032, 1, 29) / 1000));
    for (const bad of ['301301000000Z', '300100000000Z', '300132000000Z', '300101240000Z', '300101006000Z', '300101000060Z', '300229000000Z', '300431000000Z']) {
      expect(() => importX509Certificate(withTime(bad)), bad).toThrow(KeyImportError);
    }
  });

  test('names and subject patterns', () => {
    const attrs = parseName('CN=a\\,b, O=Org, C=US');
    expect(attrs.map((a) => a.value)).toEqual(['US', 'Org', 'a,b']);
    expect(nameToString(attrs)).toBe('CN=a\\,b,O=Org,C=US');
    expect(matchSubject('CN=a\\,b,O=Org,C=US', attrs)).toBe(true);
    expect(matchSubject('CN=a\\,b,*', attrs)).toBe(true);
    expect(matchSubject('CN=a\\,b', attrs)).toBe(false);
    expect(matchSubject('O=Org,*', attrs)).toBe(false);
    expect(() => parseName('XX=1')).toThrow(KeyImportError);
    // A dotted OID names an attribute, if it is one that can be written exactly (no Infinity, no rounding).
    expect(parseName('2.5.4.3=x, 1.3.6.1.4.1.99999.1=y').map((a) => a.oid)).toEqual(['1.3.6.1.4.1.99999.1', '2.5.4.3']);
    for (const bad of [`1.2.${'9'.repeat(400)}=x`, '1.2.9007199254740993=x', '1.40=x', '3.1=x']) expect(() => parseName(bad), bad).toThrow(KeyImportError);
    expect(() => key.generateX509UserCertificate(key, `CN=x, 1.2.${'9'.repeat(400)}=y`)).toThrow(KeyImportError);
  });

  test('garbage is KeyImportError', () => {
    const der = key.generateX509UserCertificate(key, 'CN=x').data;
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const bad = der.slice();
        bad[at % bad.length] = v;
        try {
          importX509Certificate(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(KeyImportError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('X.509 key pairs', () => {
  test('present x509v3 algorithms and sign with the base algorithm', () => {
    const rsa = testKey('ssh-rsa');
    const cert = rsa.generateX509UserCertificate(rsa, 'CN=me');
    const pair = new SSHKeyPair(rsa, [cert]);
    expect(pair.getKeyType()).toBe('x509v3-rsa2048-sha256');
    expect(pair.sigAlgorithms).toEqual(['x509v3-rsa2048-sha256', 'x509v3-ssh-rsa']);
    expect(decodeX509Blob(pair.publicDataFor('x509v3-ssh-rsa')).algorithm).toBe('x509v3-ssh-rsa');
    const sig = pair.sign(new Uint8Array(4), 'x509v3-rsa2048-sha256');
    expect(new TextDecoder().decode(sig.subarray(4, 16))).toBe('rsa-sha2-256');
    expect(rsa.verify(new Uint8Array(4), sig)).toBe(true);
    const ed = testKey('ssh-ed25519');
    expect(() => new SSHKeyPair(ed, [cert])).toThrow(KeyImportError);
  });
});
