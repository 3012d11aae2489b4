import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Reader, ValueParseError, Writer } from '@ssh/wire';
import {
  certTypeFor,
  CertificateError,
  encodeCertifiedPrivateFields,
  importCertificate,
  importCertificateList,
  importPublicKey,
  KeyImportError,
  readCertifiedPrivateFields,
  SSHCertificate,
  SSHKeyPair,
  SIGNATURE_ALGORITHMS,
  parseTimeValue,
} from '../src/index.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';

const NOW = 1_700_000_000;

describe.each(GENERATABLE)('CA %s', (caType) => {
  const ca = testKey(caType);
  test.each(['ssh-ed25519', 'ecdsa-sha2-nistp384', 'ssh-rsa'])('user certificate for %s', (subjectType) => {
    const subject = testKey(subjectType).convertToPublic();
    const cert = ca.generateUserCertificate(subject, 'alice@example', {
      principals: ['alice', 'root'],
      serial: 42n,
      validAfter: '-1h',
      validBefore: '+1w',
      forceCommand: 'uptime',
      sourceAddress: ['10.0.0.0/8', '::1'],
      permitPty: false,
      comment: 'cert comment',
      now: NOW,
    });
    expect(cert.algorithm).toBe(subject.algorithm === 'ssh-rsa' ? 'ssh-rsa-cert-v01@openssh.com' : `${subject.algorithm}-cert-v01@openssh.com`);
    const back = importCertificate(cert.exportCertificate());
    expect(back.publicData).toEqual(cert.publicData);
    expect(back.getComment()).toBe('cert comment');
    expect(back.key.equals(subject)).toBe(true);
    expect(back.signingKey.equals(ca)).toBe(true);
    expect(back.kind).toBe('user');
    expect(back.keyId).toBe('alice@example');
    expect(back.serial).toBe(42n);
    expect(back.principals).toEqual(['alice', 'root']);
    expect(back.validAfter).toBe(BigInt(NOW - 3600));
    expect(back.validBefore).toBe(BigInt(NOW + 7 * 86400));
    expect(back.forceCommand).toBe('uptime');
    expect(back.sourceAddress).toEqual(['10.0.0.0/8', '::1']);
    expect([...back.extensions.keys()]).toEqual(['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-user-rc']);
    expect(back.verifySignature()).toBe(true);
    back.validate({ kind: 'user', principal: 'alice', now: NOW, trustedCAs: [ca] });
    expect(importCertificate(cert.exportCertificate('rfc4716')).publicData).toEqual(cert.publicData);
    expect(importCertificate(cert.publicData).publicData).toEqual(cert.publicData);
  });
});

describe('validation', () => {
  const ca = testKey('ssh-ed25519');
  const subject = testKey('ecdsa-sha2-nistp256');
  const cert = ca.generateUserCertificate(subject, 'id', { principals: ['alice'], validAfter: NOW, validBefore: NOW + 100 });

  test('each failure is a CertificateError naming it', () => {
    expect(() => cert.validate({ kind: 'host', now: NOW })).toThrow(/not host/);
    expect(() => cert.validate({ kind: 'user', now: NOW - 1 })).toThrow(/not yet valid/);
    expect(() => cert.validate({ kind: 'user', now: NOW + 100 })).toThrow(/expired/);
    expect(() => cert.validate({ kind: 'user', now: NOW, principal: 'bob' })).toThrow(/principal/);
    expect(() => cert.validate({ kind: 'user', now: NOW, trustedCAs: [testKey('ssh-ed448')] })).toThrow(/trusted CA/);
    cert.validate({ kind: 'user', now: NOW, principal: 'alice' });
  });

  test('the CA signature algorithm is read from the signature blob and judged against caSignatureAlgorithms', () => {
    const rsaCa = testKey('ssh-rsa');
    const signed = (sigAlg?: string) => rsaCa.generateUserCertificate(subject, 'id', { principals: ['alice'], now: NOW, ...(sigAlg ? { sigAlg } : {}) });
    expect(signed().signatureAlgorithm).toBe('rsa-sha2-512');
    expect(signed('rsa-sha2-256').signatureAlgorithm).toBe('rsa-sha2-256');
    const sha1 = signed('ssh-rsa');
    expect(sha1.signatureAlgorithm).toBe('ssh-rsa');
    expect(cert.signatureAlgorithm).toBe('ssh-ed25519');
    const allowed = ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'];
    expect(() => sha1.validate({ kind: 'user', now: NOW, caSignatureAlgorithms: allowed })).toThrow(CertificateError);
    expect(() => sha1.validate({ kind: 'user', now: NOW, caSignatureAlgorithms: allowed })).toThrow(/signed with "ssh-rsa", which is not an allowed CA signature algorithm/);
    sha1.validate({ kind: 'user', now: NOW, caSignatureAlgorithms: [...allowed, 'ssh-rsa'] });
    sha1.validate({ kind: 'user', now: NOW });
    signed().validate({ kind: 'user', now: NOW, caSignatureAlgorithms: allowed });
    expect(() => signed('rsa-sha2-256').validate({ kind: 'user', now: NOW, caSignatureAlgorithms: ['rsa-sha2-512'] })).toThrow(/"rsa-sha2-256"/);
    expect(() => cert.validate({ kind: 'user', now: NOW, caSignatureAlgorithms: ['rsa-sha2-512'] })).toThrow(/"ssh-ed25519"/);
  });

  test('SIGNATURE_ALGORITHMS lists every plain signature algorithm, no certificate names', () => {
    expect(SIGNATURE_ALGORITHMS).toEqual(expect.arrayContaining(['ssh-ed25519', 'ssh-ed448', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']));
    expect(SIGNATURE_ALGORITHMS.some((a) => a.includes('-cert-'))).toBe(false);
    expect(new Set(SIGNATURE_ALGORITHMS).size).toBe(SIGNATURE_ALGORITHMS.length);
  });

  test('a tampered certificate fails its signature', () => {
    const blob = cert.publicData.slice();
    // The key id sits well before the signature key; change one of its bytes.
    let at = -1;
    for (let i = 0; i + 6 <= blob.length && at < 0; i++) {
      if (blob[i + 3] === 2 && blob[i + 4] === 0x69 && blob[i + 5] === 0x64 && blob[i] === 0 && blob[i + 1] === 0 && blob[i + 2] === 0) at = i + 4;
    }
    expect(at).toBeGreaterThan(0);
    blob[at] = 0x6a;
    const bad = new SSHCertificate(blob);
    expect(bad.verifySignature()).toBe(false);
    expect(() => bad.validate({ kind: 'user', now: NOW })).toThrow(CertificateError);
  });

  test('host certificates and empty principals', () => {
    const host = ca.generateHostCertificate(subject, 'host', { now: NOW });
    expect(host.kind).toBe('host');
    expect(host.extensions.size).toBe(0);
    host.validate({ kind: 'host', principal: 'anything', now: NOW });
  });

  test('unknown critical options are refused on validation', () => {
    const c = ca.generateUserCertificate(subject, 'id', { verifyRequired: true });
    expect(c.verifyRequired).toBe(true);
    c.validate({ kind: 'user' });
    expect(() => ca.generateUserCertificate(subject, 'id', { validAfter: 10, validBefore: 5 })).toThrow(CertificateError);
    expect(() => subject.convertToPublic().generateUserCertificate(subject, 'id')).toThrow(CertificateError);
  });

  test('source-address binds a user certificate to client addresses, when a server gives one', () => {
    const bound = ca.generateUserCertificate(subject, 'id', { sourceAddress: ['10.0.0.0/8', '2001:db8::/32'] });
    bound.validate({ kind: 'user', clientAddress: '10.1.2.3' });
    bound.validate({ kind: 'user', clientAddress: '2001:db8::7' });
    // An IPv4 client accepted on an IPv6 socket is matched as IPv4, as sshd does.
    bound.validate({ kind: 'user', clientAddress: '::ffff:10.1.2.3' });
    expect(() => bound.validate({ kind: 'user', clientAddress: '192.0.2.1' })).toThrow(/not valid from address "192.0.2.1"/);
    // An unknown address ('') cannot be checked, so it is refused.
    expect(() => bound.validate({ kind: 'user', clientAddress: '' })).toThrow(CertificateError);
    // Without a client address (a signature's certificate, SSHSIG) there is nothing to bind.
    bound.validate({ kind: 'user' });
    cert.validate({ kind: 'user', now: NOW, clientAddress: '192.0.2.1' });
  });

  test.each(['10.0.0.1/8', '10.0.0.*', 'example.com', '10.0.0.0/8,', '!10.0.0.0/8'])('a malformed source-address %j refuses every client', (list) => {
    const bound = ca.generateUserCertificate(subject, 'id', { sourceAddress: list });
    expect(() => bound.validate({ kind: 'user', clientAddress: '10.0.0.1' })).toThrow(/source-address is malformed/);
  });

  test('a force-command or source-address holding a NUL is corrupt (sshd reads them as C strings)', () => {
    expect(() => ca.generateUserCertificate(subject, 'id', { forceCommand: 'true\0rm -rf /' }).validate({ kind: 'user' })).toThrow(/"force-command" is corrupt/);
    expect(() => ca.generateUserCertificate(subject, 'id', { sourceAddress: '10.0.0.0/8\0' }).validate({ kind: 'user' })).toThrow(/"source-address" is corrupt/);
    ca.generateUserCertificate(subject, 'id', { forceCommand: 'true' }).validate({ kind: 'user' });
  });

  test('a host certificate with any critical option is refused, as OpenSSH and AsyncSSH do', () => {
    // ssh-keygen will not make one: turn a user certificate with force-command into a host one
    // (serial 0, type 1 -> 2, key id "id") and sign it again.
    const user = ca.generateUserCertificate(subject, 'id', { forceCommand: 'true' });
    const blob = user.publicData.slice();
    const marker = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x69, 0x64];
    const at = blob.findIndex((_, i) => marker.every((m, k) => blob[i + k] === m));
    expect(at).toBeGreaterThan(0);
    blob[at + 11] = 2;
    const signatureField = 4 + ca.sign(new Uint8Array(1)).length;
    const body = blob.subarray(0, blob.length - signatureField);
    const signature = ca.sign(body);
    const host = new SSHCertificate(new Writer(body.length + signature.length + 4).raw(body).bytes(signature).finish());
    expect(host.kind).toBe('host');
    expect(host.verifySignature()).toBe(true);
    expect(() => host.validate({ kind: 'host' })).toThrow(/host certificate carries critical option "force-command"/);
  });

  test('malformed certificates are KeyImportError', () => {
    for (let cut = 0; cut < cert.publicData.length; cut += 13) {
      expect(() => importCertificate(cert.publicData.subarray(0, cut))).toThrow(KeyImportError);
    }
    expect(() => importCertificate('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMmAQT8JYeXXv7hk6Xh3SNs5ozPw6d3NqFYxCe3/sRfc')).toThrow(KeyImportError);
  });

  // Found by fuzzing: text naming the RFC 4716 marker without a block on a line of its own gave an
  // empty list, and importCertificate returned undefined in place of a certificate.
  test('text with the RFC 4716 marker but no block is KeyImportError', () => {
    for (const text of ['---- BEGIN SSH2 PUBLIC KEY ----\x10AAAA\n---- END SSH2 PUBLIC KEY ----', 'x ---- BEGIN SSH2 PUBLIC KEY ----']) {
      expect(() => importCertificateList(text)).toThrow(KeyImportError);
      expect(() => importCertificate(text)).toThrow(KeyImportError);
    }
  });
});

describe('time values', () => {
  test('forms AsyncSSH accepts', () => {
    expect(parseTimeValue(0, NOW)).toBe(0n);
    expect(parseTimeValue('now', NOW)).toBe(BigInt(NOW));
    expect(parseTimeValue('+1h', NOW)).toBe(BigInt(NOW + 3600));
    expect(parseTimeValue('-1d', NOW)).toBe(BigInt(NOW - 86400));
    expect(parseTimeValue('20240102Z', NOW)).toBe(BigInt(Date.UTC(2024, 0, 2) / 1000));
    expect(parseTimeValue('20240102030405Z', NOW)).toBe(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000));
    expect(parseTimeValue(new Date(5000), NOW)).toBe(5n);
    expect(() => parseTimeValue('soon', NOW)).toThrow();
  });

  test('an interval too long for a number, an invalid Date or a day that does not exist is a ValueParseError, not a RangeError from BigInt', () => {
    for (const v of [`${'9'.repeat(400)}w`, `+${'9'.repeat(400)}`, `-${'9'.repeat(400)}s`, new Date('not a date')]) {
      expect(() => parseTimeValue(v, NOW)).toThrow(ValueParseError);
    }
    // Absolute times name a real day and time (20241301 used to roll over into 2025).
    for (const v of ['20241301', '20240230Z', '20240101240000', '20240101006000Z', '20240100']) expect(() => parseTimeValue(v, NOW), v).toThrow(ValueParseError);
    expect(parseTimeValue('20240229Z', NOW)).toBe(BigInt(Date.UTC(2024, 1, 29) / 1000));
    // Finite values past the u64 range still clamp, as they did.
    expect(parseTimeValue('99999999999999999999w', NOW)).toBe((1n << 64n) - 1n);
    const key = testKey('ssh-ed25519');
    expect(() => key.generateUserCertificate(key, 'id', { validBefore: `${'9'.repeat(400)}w` })).toThrow(ValueParseError);
  });
});

describe('certificate options out of range', () => {
  test('a serial that is not a u64 or an extension value that is not bytes is a CertificateError (was a RangeError from the writer)', () => {
    const key = testKey('ssh-ed25519');
    for (const serial of [-1, 1.5, Number.NaN, 1n << 64n, -1n]) {
      expect(() => key.generateUserCertificate(key, 'id', { serial })).toThrow(CertificateError);
    }
    expect(() => key.generateUserCertificate(key, 'id', { extensions: new Map([['x', 5 as unknown as Uint8Array]]) })).toThrow(CertificateError);
    expect(key.generateUserCertificate(key, 'id', { serial: (1n << 64n) - 1n }).serial).toBe((1n << 64n) - 1n);
  });
});

describe('certificates for every key type', () => {
  const ca = testKey('ssh-ed25519');
  const skLines = [
    'sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBKDVa5jRcT5V7E6ysmwVi7HJWh7p5D+hebLPakQcpnD2ajJZ6G/4WzuhlYWnclWY63JspDp299Rlhq5AT86/g8AAAAAEc3NoOg==',
    'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIJsaDYXQYruc6bilCYDIK4YSOeG+zmrRO2M9t03//7LHAAAABHNzaDo=',
  ];
  const subjects = [...GENERATABLE.map((t) => testKey(t).convertToPublic()), ...skLines.map((l) => importPublicKey(l))];
  test.each(subjects.map((k) => [k.algorithm, k] as const))('%s', (_name, subject) => {
    const cert = ca.generateUserCertificate(subject, 'k', { touchRequired: false });
    expect(cert.algorithm).toBe(certTypeFor(subject.algorithm));
    const back = importCertificate(cert.exportCertificate());
    expect(back.key.equals(subject)).toBe(true);
    expect(back.verifySignature()).toBe(true);
    expect(back.extensions.has('no-touch-required')).toBe(true);
  });

  test('sk certificate type names', () => {
    expect(certTypeFor('sk-ssh-ed25519@openssh.com')).toBe('sk-ssh-ed25519-cert-v01@openssh.com');
    expect(certTypeFor('sk-ecdsa-sha2-nistp256@openssh.com')).toBe('sk-ecdsa-sha2-nistp256-cert-v01@openssh.com');
  });

  test('fuzz: corrupted certificates are typed errors or fail verification', () => {
    const blob = ca.generateUserCertificate(testKey('ecdsa-sha2-nistp256'), 'k', { principals: ['a'] }).publicData;
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const bad = blob.slice();
        bad[at % bad.length] = v;
        try {
          const c = importCertificate(bad);
          if (bad[at % bad.length] !== blob[at % blob.length]) expect(c.verifySignature()).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(KeyImportError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('certified private fields (openssh-key-v1 / ssh-agent certificate layout)', () => {
  test.each(GENERATABLE)('%s round trip', (type) => {
    const key = testKey(type);
    const cert = testKey('ssh-ed25519').generateUserCertificate(key, 'k');
    const pair = new SSHKeyPair(key, cert);
    const body = new Writer().raw(encodeCertifiedPrivateFields(pair)).utf8('after').finish();
    const r = new Reader(body);
    const back = readCertifiedPrivateFields(cert.algorithm, r);
    expect(r.utf8()).toBe('after');
    expect(back.key.equals(key)).toBe(true);
    expect(back.certificate?.publicData).toEqual(cert.publicData);
    expect(back.key.verify(new Uint8Array(2), back.sign(new Uint8Array(2)))).toBe(true);
    expect(() => readCertifiedPrivateFields(cert.algorithm, new Reader(body.subarray(0, body.length - 20)))).toThrow(KeyImportError);
    expect(() => readCertifiedPrivateFields('ssh-ed25519', new Reader(body))).toThrow(KeyImportError);
    expect(() => encodeCertifiedPrivateFields(new SSHKeyPair(key))).toThrow();
  });
});
