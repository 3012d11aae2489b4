import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { KeyImportError, SSHKeyPair } from '../src/index.ts';
import {
  appendPublicKey,
  loadCertificates,
  loadKeypairs,
  loadPublicKeys,
  readAuthorizedKeys,
  readCertificate,
  readKnownHosts,
  readPrivateKey,
  readPrivateKeyList,
  readPublicKey,
  readPublicKeyList,
  writeCertificate,
  writePrivateKey,
  writePublicKey,
} from '../src/node/index.ts';
import { testKey } from './helpers/keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-keys-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file system helpers', () => {
  const key = testKey('ssh-ed25519');
  const ca = testKey('ecdsa-sha2-nistp256');

  test('write and read keys and certificates', async () => {
    const p = join(dir, 'id_test');
    await writePrivateKey(key, p, 'openssh', { passphrase: 'pw', rounds: 1 });
    await writePublicKey(key, `${p}.pub`);
    expect((await readPrivateKey(p, 'pw')).equals(key)).toBe(true);
    expect((await readPrivateKeyList(p, 'pw'))).toHaveLength(1);
    expect((await readPublicKey(`${p}.pub`)).equals(key)).toBe(true);
    await appendPublicKey(ca, `${p}.pub`);
    expect(await readPublicKeyList(`${p}.pub`)).toHaveLength(2);
    const cert = ca.generateUserCertificate(key, 'id');
    await writeCertificate(cert, `${p}-cert.pub`);
    expect((await readCertificate(`${p}-cert.pub`)).keyId).toBe('id');
    await expect(readPrivateKey(join(dir, 'missing'))).rejects.toThrow(KeyImportError);
  });

  test('loadKeypairs finds -cert.pub files; loadPublicKeys and loadCertificates accept mixes', async () => {
    const p = join(dir, 'id_pair');
    await writePrivateKey(key, p);
    const cert = ca.generateUserCertificate(key, 'pair');
    await writeCertificate(cert, `${p}-cert.pub`);
    const [pair] = await loadKeypairs(p);
    expect(pair?.getKeyType()).toBe('ssh-ed25519-cert-v01@openssh.com');
    expect(pair?.certificate?.keyId).toBe('pair');
    const sig = pair?.sign(new Uint8Array(1)) as Uint8Array;
    expect(key.verify(new Uint8Array(1), sig)).toBe(true);
    const pairs = await loadKeypairs([key, { key: p, cert: null }, new SSHKeyPair(ca), key.exportPrivateKey()]);
    expect(pairs.map((x) => x.getKeyType())).toEqual(['ssh-ed25519', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-ed25519']);
    await expect(loadPublicKeys([join(dir, 'no-such-file'), key])).rejects.toThrow(KeyImportError);
    writeFileSync(`${p}.pub`, key.exportPublicKey());
    expect(await loadPublicKeys([`${p}.pub`, key, ca.publicData])).toHaveLength(3);
    expect(await loadCertificates([`${p}-cert.pub`, cert, cert.publicData])).toHaveLength(3);
  });

  test('RSA certificates present rsa-sha2 certificate algorithms', () => {
    const rsa = testKey('ssh-rsa');
    const pair = new SSHKeyPair(rsa, ca.generateUserCertificate(rsa, 'r'));
    expect(pair.sigAlgorithms).toEqual(['rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com']);
    const sig = pair.sign(new Uint8Array(2), 'rsa-sha2-512-cert-v01@openssh.com');
    expect(new TextDecoder().decode(sig.subarray(4, 16))).toBe('rsa-sha2-512');
    expect(() => new SSHKeyPair(rsa.convertToPublic())).toThrow(KeyImportError);
    expect(() => new SSHKeyPair(key, ca.generateUserCertificate(rsa, 'r'))).toThrow(KeyImportError);
  });

  test('loadKeypairs picks X.509 certificates from the key file or a cert reference', async () => {
    const rsa = testKey('ssh-rsa');
    const cert = rsa.generateX509UserCertificate(rsa, 'CN=me');
    const p = join(dir, 'x509_key.pem');
    writeFileSync(p, Buffer.concat([rsa.exportPrivateKey('pkcs8-pem'), cert.exportCertificate()]));
    const [pair] = await loadKeypairs(p);
    expect(pair?.x509Chain?.[0]?.subjectName).toBe('CN=me');
    expect(pair?.getKeyType()).toBe('x509v3-rsa2048-sha256');
    const [pair2] = await loadKeypairs({ key: rsa, cert: cert.exportCertificate('der') });
    expect(pair2?.x509Chain).toHaveLength(1);
    await expect(loadKeypairs({ key, cert: cert.exportCertificate() })).rejects.toThrow(KeyImportError);
  });

  test('trust files', async () => {
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, `host ${new TextDecoder().decode(key.exportPublicKey())}`);
    expect((await readKnownHosts(kh)).match('host').hostKeys).toHaveLength(1);
    const ak = join(dir, 'authorized_keys');
    writeFileSync(ak, `no-pty ${new TextDecoder().decode(key.exportPublicKey())}`);
    expect((await readAuthorizedKeys(ak)).validate(key)?.pty).toBe(false);
  });
});
