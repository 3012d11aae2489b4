/**
 * Certificates against ssh-keygen: `ssh-keygen -s` certificates parse and verify here; ours
 * print correctly under `ssh-keygen -L` (which also checks the CA signature).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { Reader, Writer } from '@ssh/wire';
import { CertificateError, importCertificate, importPrivateKey, importPublicKey, KeyImportError } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());

const TYPES: [string, number | undefined][] = [
  ['ed25519', undefined],
  ['ecdsa', 256],
  ['ecdsa', 521],
  ['rsa', 2048],
  ['dsa', 1024],
];

describe.each(TYPES)('ssh-keygen -s with a %s CA', (type, bits) => {
  test('user certificate with options parses and verifies', () => {
    const ca = dir.cachedKeygen(type, bits);
    const user = dir.convert(dir.cachedKeygen('ed25519', undefined));
    dir.run([
      '-q', '-s', ca, '-I', 'key id', '-n', 'alice,bob', '-z', '77', '-V', '20200101:20400101',
      '-O', 'force-command=/bin/true', '-O', 'source-address=192.168.0.0/16', '-O', 'no-pty', '-O', 'verify-required',
      `${user}.pub`,
    ]);
    const cert = importCertificate(dir.read(`${user}-cert.pub`));
    expect(cert.key.equals(importPublicKey(dir.read(`${user}.pub`)))).toBe(true);
    expect(cert.signingKey.equals(importPrivateKey(dir.read(ca)))).toBe(true);
    expect(cert.kind).toBe('user');
    expect(cert.keyId).toBe('key id');
    expect(cert.serial).toBe(77n);
    expect(cert.principals).toEqual(['alice', 'bob']);
    expect(cert.forceCommand).toBe('/bin/true');
    expect(cert.sourceAddress).toEqual(['192.168.0.0/16']);
    expect(cert.verifyRequired).toBe(true);
    expect(cert.extensions.has('permit-pty')).toBe(false);
    expect(cert.extensions.has('permit-agent-forwarding')).toBe(true);
    expect(cert.validAfter).toBe(BigInt(new Date(2020, 0, 1).getTime() / 1000));
    expect(cert.verifySignature()).toBe(true);
    cert.validate({ kind: 'user', principal: 'bob' });
    expect(() => cert.validate({ kind: 'host' })).toThrow();
  });

  test('host certificate', () => {
    const ca = dir.cachedKeygen(type, bits);
    const host = dir.convert(dir.cachedKeygen('ecdsa', 384));
    dir.run(['-q', '-s', ca, '-h', '-I', 'host id', '-n', 'example.com', `${host}.pub`]);
    const cert = importCertificate(dir.read(`${host}-cert.pub`));
    expect(cert.kind).toBe('host');
    expect(cert.algorithm).toBe('ecdsa-sha2-nistp384-cert-v01@openssh.com');
    expect(cert.validBefore).toBe((1n << 64n) - 1n);
    cert.validate({ kind: 'host', principal: 'example.com' });
  });
});

describe('the CA signature algorithm of ssh-keygen -s -t certificates', () => {
  test.each(['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'])('an RSA CA signing with %s', (sigAlg) => {
    const ca = dir.cachedKeygen('rsa', 2048);
    const host = dir.convert(dir.cachedKeygen('ed25519', undefined));
    dir.run(['-q', '-s', ca, '-t', sigAlg, '-h', '-I', 'host id', '-n', 'example.com', `${host}.pub`]);
    const text = dir.read(`${host}-cert.pub`);
    expect(dir.run(['-L', '-f', `${host}-cert.pub`])).toContain(`(using ${sigAlg})`);
    const cert = importCertificate(text);
    expect(cert.signatureAlgorithm).toBe(sigAlg);
    cert.validate({ kind: 'host', principal: 'example.com', caSignatureAlgorithms: [sigAlg] });
    const others = ['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'].filter((a) => a !== sigAlg);
    expect(() => cert.validate({ kind: 'host', principal: 'example.com', caSignatureAlgorithms: others })).toThrow(`"${sigAlg}"`);
  });
});

describe.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-dss'])('our certificates signed by %s', (caType) => {
  test('ssh-keygen -L prints them', () => {
    const ca = testKey(caType);
    const subject = testKey('ssh-rsa');
    const cert = ca.generateUserCertificate(subject, 'our id', {
      principals: ['carol'],
      serial: 5,
      validAfter: '20300102030405Z',
      validBefore: '20310102030405Z',
      forceCommand: 'echo hi',
      sourceAddress: '127.0.0.1',
      permitX11Forwarding: false,
    });
    const p = dir.write(cert.exportCertificate());
    const out = dir.run(['-L', '-f', p]);
    expect(out).toContain('Type: ssh-rsa-cert-v01@openssh.com user certificate');
    expect(out).toContain(`Public key: RSA-CERT ${subject.getFingerprint()}`);
    expect(out).toContain(`Signing CA: ${ca.label} ${ca.getFingerprint()} (using ${caType === 'ssh-rsa' ? 'rsa-sha2-512' : caType})`);
    expect(out).toContain('Key ID: "our id"');
    expect(out).toContain('Serial: 5');
    expect(out).toMatch(/Principals: \n\s+carol\n/);
    expect(out).toMatch(/force-command echo hi/);
    expect(out).toMatch(/source-address 127\.0\.0\.1/);
    expect(out).not.toContain('permit-X11-forwarding');
    expect(out).toContain('permit-pty');
    const host = ca.generateHostCertificate(testKey('ssh-ed25519'), 'h', { principals: ['h.example'] });
    const hp = dir.write(host.exportCertificate());
    expect(dir.run(['-L', '-f', hp])).toContain('ssh-ed25519-cert-v01@openssh.com host certificate');
  });
});

describe('at most 256 principals, as OpenSSH', () => {
  const ca = testKey('ssh-ed25519');
  const subject = testKey('ecdsa-sha2-nistp256');
  const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

  test('ssh-keygen -s signs 256 and refuses 257; so does generateUserCertificate', () => {
    const caPath = dir.write(ca.exportPrivateKey());
    for (const n of [256, 257]) {
      const pub = dir.write(subject.convertToPublic().exportPublicKey(), `subject${n}.pub`);
      const theirs = !dir.fails(['-q', '-s', caPath, '-I', 'id', '-n', names(n).join(','), pub]);
      let ours = true;
      try {
        ca.generateUserCertificate(subject, 'id', { principals: names(n) });
      } catch (e) {
        expect(e).toBeInstanceOf(CertificateError);
        ours = false;
      }
      expect(ours, `${n} principals`).toBe(theirs);
    }
  });

  test('ssh-keygen -L reads 256 and refuses 257; so does importCertificate', () => {
    const cert = ca.generateUserCertificate(subject, 'id', { principals: names(256) });
    // The same certificate with one more principal, signed again by the CA.
    const blob = cert.publicData;
    const r = new Reader(blob);
    r.utf8('type');
    r.bytes('nonce');
    r.utf8('curve');
    r.bytes('point');
    r.u64('serial');
    r.u32('kind');
    r.bytes('key id');
    const before = blob.subarray(0, r.offset);
    const principals = r.bytes('principals');
    const afterStart = r.offset;
    r.u64('valid after');
    r.u64('valid before');
    r.bytes('critical');
    r.bytes('extensions');
    r.bytes('reserved');
    r.bytes('signature key');
    const after = blob.subarray(afterStart, r.offset);
    const more = new Writer(principals.length + 16).raw(principals).utf8('p256').finish();
    const signed = new Writer(blob.length + 64).raw(before).bytes(more).raw(after).finish();
    const big = `${cert.algorithm} ${Buffer.from(new Writer(signed.length + 128).raw(signed).bytes(ca.sign(signed)).finish()).toString('base64')}\n`;
    expect(dir.run(['-L', '-f', dir.write(cert.exportCertificate())])).toContain('p255');
    expect(importCertificate(cert.exportCertificate()).principals).toHaveLength(256);
    expect(dir.fails(['-L', '-f', dir.write(big)])).toBe(true);
    expect(() => importCertificate(big)).toThrow(KeyImportError);
  });
});
