/**
 * @ssh/keys/node as AsyncSSH's key file API: the write/append methods installed on SSHKey and
 * SSHCertificate, trust files read from lists of files, and load_keypairs' options (certlist,
 * skip_public, ignore_encrypted, a key listed with and without its certificate).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { KeyEncryptionError, KeyImportError, SSHCertificate, SSHKey, SSHKeyPair } from '../src/index.ts';
import {
  loadCertificates,
  loadKeypairs,
  loadPublicKeys,
  readAllowedSigners,
  readAuthorizedKeys,
  readCertificateList,
  readKnownHosts,
  readPrivateKey,
  readPrivateKeyList,
  readPublicKeyList,
} from '../src/node/index.ts';
import { testKey } from './helpers/keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-keys-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('SSHKey and SSHCertificate file methods', () => {
  const key = testKey('ssh-ed25519');
  const other = testKey('ecdsa-sha2-nistp256');

  test('are installed on the prototypes by @ssh/keys/node', () => {
    for (const name of ['writePrivateKey', 'appendPrivateKey', 'writePublicKey', 'appendPublicKey'] as const) expect(typeof SSHKey.prototype[name]).toBe('function');
    for (const name of ['writeCertificate', 'appendCertificate'] as const) expect(typeof SSHCertificate.prototype[name]).toBe('function');
  });

  test('write and append private keys, encrypted with a passphrase, mode 0600', async () => {
    const p = join(dir, 'id_methods');
    await key.writePrivateKey(p, 'openssh', { passphrase: 'pw', rounds: 1 });
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(text(readFileSync(p))).toContain('BEGIN OPENSSH PRIVATE KEY');
    await expect(readPrivateKey(p)).rejects.toBeInstanceOf(KeyEncryptionError);
    await expect(readPrivateKey(p, 'wrong')).rejects.toBeInstanceOf(KeyEncryptionError);
    expect((await readPrivateKey(p, 'pw')).equals(key)).toBe(true);
    await other.appendPrivateKey(p, 'openssh', { passphrase: 'pw', rounds: 1 });
    const both = await readPrivateKeyList(p, 'pw');
    expect(both.map((k) => k.algorithm)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    await key.writePrivateKey(p, 'pkcs8-pem');
    expect(text(readFileSync(p))).toContain('BEGIN PRIVATE KEY');
    expect((await readPrivateKey(p)).equals(key)).toBe(true);
  });

  test('write and append public keys and certificates', async () => {
    const p = join(dir, 'methods.pub');
    await key.writePublicKey(p);
    await other.appendPublicKey(p);
    expect((await readPublicKeyList(p)).map((k) => k.algorithm)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    await key.writePublicKey(p, 'rfc4716');
    expect(text(readFileSync(p))).toContain('---- BEGIN SSH2 PUBLIC KEY ----');
    const c = join(dir, 'methods-cert.pub');
    const cert = other.generateUserCertificate(key, 'one');
    await cert.writeCertificate(c);
    await other.generateUserCertificate(key, 'two').appendCertificate(c);
    expect((await readCertificateList(c)).map((x) => x.keyId)).toEqual(['one', 'two']);
  });

  test('errors: no private part, unwritable path', async () => {
    await expect(key.convertToPublic().writePrivateKey(join(dir, 'nope'))).rejects.toThrow(/no private part/);
    await expect(key.writePublicKey(join(dir, 'missing-dir', 'x.pub'))).rejects.toThrow(/ENOENT/);
  });
});

describe('reading files', () => {
  const key = testKey('ssh-ed25519');
  const other = testKey('ecdsa-sha2-nistp256');
  const line = (k: SSHKey): string => text(k.exportPublicKey()).trim();

  test('a corrupt key file gives a KeyImportError naming no secrets', async () => {
    const p = join(dir, 'corrupt');
    writeFileSync(p, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA!!!!\n-----END OPENSSH PRIVATE KEY-----\n');
    await expect(readPrivateKey(p)).rejects.toBeInstanceOf(KeyImportError);
    await expect(loadKeypairs(p)).rejects.toBeInstanceOf(KeyImportError);
    writeFileSync(p, new Uint8Array([0, 0, 0, 200, 1, 2, 3]));
    await expect(readPrivateKey(p)).rejects.toBeInstanceOf(KeyImportError);
    await expect(readPrivateKey(join(dir, 'no-such-file'))).rejects.toBeInstanceOf(KeyImportError);
  });

  // A read used to go on until EOF: a path to /dev/zero (a symlinked authorized_keys, say) never
  // finished and grew toward 2 GiB. Reads stop at 16 MiB for key and certificate files and at
  // 256 MiB for the trust files of one call.
  test.runIf(existsSync('/dev/zero'))('an endless file is a KeyImportError at the size bound, not a read that never ends', { timeout: 20_000 }, async () => {
    for (const read of [readPrivateKey, readPublicKeyList, readCertificateList, loadCertificates]) {
      await expect(read('/dev/zero')).rejects.toThrow(/\/dev\/zero holds more than 16777216 bytes/);
    }
    await expect(readKnownHosts('/dev/zero')).rejects.toThrow(KeyImportError);
    await expect(readAuthorizedKeys(['/dev/zero'])).rejects.toThrow(/holds more than 268435456 bytes/);
    // A key file at the size of a real one reads as before, whether or not stat gives its size.
    const p = join(dir, 'id_sized');
    writeFileSync(p, testKey('ssh-ed25519').exportPrivateKey());
    expect((await readPrivateKey(p)).algorithm).toBe('ssh-ed25519');
  });

  test('known_hosts, authorized_keys and allowed_signers from one file or a list', async () => {
    const kh1 = join(dir, 'kh1');
    const kh2 = join(dir, 'kh2');
    writeFileSync(kh1, `one ${line(key)}`); // no final line break
    writeFileSync(kh2, `two ${line(other)}\n`);
    expect((await readKnownHosts(kh1)).match('one').hostKeys).toHaveLength(1);
    const both = await readKnownHosts([kh1, kh2]);
    expect(both.match('one').hostKeys[0]?.equals(key)).toBe(true);
    expect(both.match('two').hostKeys[0]?.equals(other)).toBe(true);
    await expect(readKnownHosts([kh1, join(dir, 'no-such-file')])).rejects.toBeInstanceOf(KeyImportError);

    const ak1 = join(dir, 'ak1');
    const ak2 = join(dir, 'ak2');
    writeFileSync(ak1, `no-pty ${line(key)}\n`);
    writeFileSync(ak2, `${line(other)}\n`);
    const keys = await readAuthorizedKeys([ak1, ak2]);
    expect(keys.validate(key)?.pty).toBe(false);
    expect(keys.validate(other)).toBeDefined();
    expect((await readAuthorizedKeys(ak2)).validate(key)).toBeUndefined();

    const as = join(dir, 'allowed');
    writeFileSync(as, `alice@example ${line(key)}\n`);
    writeFileSync(`${as}2`, `bob@example ${line(other)}\n`);
    expect((await readAllowedSigners([as, `${as}2`])).entries.map((e) => e.principals)).toEqual([['alice@example'], ['bob@example']]);
  });
});

describe('loadKeypairs as AsyncSSH load_keypairs', () => {
  const key = testKey('ssh-ed25519');
  const ca = testKey('ecdsa-sha2-nistp256');

  test('a key with a certificate comes with it, then without it', async () => {
    const p = join(dir, 'id_both');
    await key.writePrivateKey(p);
    await ca.generateUserCertificate(key, 'both').writeCertificate(`${p}-cert.pub`);
    const pairs = await loadKeypairs(p);
    expect(pairs.map((x) => x.getKeyType())).toEqual(['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519']);
    const explicit = await loadKeypairs([{ key, cert: `${p}-cert.pub` }]);
    expect(explicit.map((x) => x.certificate?.keyId)).toEqual(['both', undefined]);
  });

  test('certlist pairs certificates with the keys they certify', async () => {
    const cert = ca.generateUserCertificate(key, 'listed');
    const pairs = await loadKeypairs([key, ca], { certlist: [cert] });
    expect(pairs.map((x) => [x.getKeyType(), x.certificate?.keyId])).toEqual([
      ['ssh-ed25519-cert-v01@openssh.com', 'listed'],
      ['ssh-ed25519', undefined],
      ['ecdsa-sha2-nistp256', undefined],
    ]);
    const pair = new SSHKeyPair(key);
    expect((await loadKeypairs(pair, { certlist: cert.exportCertificate() }))[0]?.certificate?.keyId).toBe('listed');
  });

  test('passphrase positional or in the options; ignoreEncrypted; skipPublic', async () => {
    const enc = join(dir, 'id_enc');
    const pub = join(dir, 'id_pub.pub');
    await key.writePrivateKey(enc, 'openssh', { passphrase: 'pw', rounds: 1 });
    await ca.writePublicKey(pub);
    expect(await loadKeypairs(enc, 'pw')).toHaveLength(1);
    expect(await loadKeypairs([enc], { passphrase: new TextEncoder().encode('pw') })).toHaveLength(1);
    await expect(loadKeypairs([enc, ca])).rejects.toBeInstanceOf(KeyEncryptionError);
    expect((await loadKeypairs([enc, ca], { ignoreEncrypted: true })).map((x) => x.key.algorithm)).toEqual(['ecdsa-sha2-nistp256']);
    // A wrong passphrase is an error even with ignoreEncrypted: only a missing one is skipped.
    await expect(loadKeypairs([enc], { passphrase: 'wrong', ignoreEncrypted: true })).rejects.toBeInstanceOf(KeyEncryptionError);
    await expect(loadKeypairs([pub, key])).rejects.toBeInstanceOf(KeyImportError);
    expect((await loadKeypairs([pub, key], { skipPublic: true })).map((x) => x.key.algorithm)).toEqual(['ssh-ed25519']);
  });
});

describe('loadPublicKeys and loadCertificates', () => {
  const key = testKey('ssh-ed25519');
  const other = testKey('ecdsa-sha2-nistp256');

  test('a single file gives every key; a list entry its first key', async () => {
    const p = join(dir, 'two.pub');
    await key.writePublicKey(p);
    await other.appendPublicKey(p);
    expect(await loadPublicKeys(p)).toHaveLength(2);
    const listed = await loadPublicKeys([p, other.exportPublicKey(), key]);
    expect(listed.map((k) => k.algorithm)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });

  test('certificates from a file, data, objects, alone or in a list', async () => {
    const cert = other.generateHostCertificate(key, 'h');
    const p = join(dir, 'host-cert.pub');
    await cert.writeCertificate(p);
    await cert.appendCertificate(p);
    expect(await loadCertificates(p)).toHaveLength(2);
    expect(await loadCertificates(cert)).toHaveLength(1);
    expect(await loadCertificates([p, cert.publicData, cert])).toHaveLength(4);
    await expect(loadCertificates(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(KeyImportError);
  });

  test('certificate data of 140,000 certificates loads whole (no argument spread past the stack)', async () => {
    const line = new TextDecoder().decode(key.generateUserCertificate(key, 'u').exportCertificate('openssh'));
    const many = 140_000;
    const certs = await loadCertificates(new TextEncoder().encode(line.repeat(many)));
    expect(certs).toHaveLength(many);
    expect(certs[many - 1]?.keyId).toBe('u');
  });
});
