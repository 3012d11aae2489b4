/**
 * loadClientKeys reads plain key files at once and hands anything else to loadKeypairs: a key
 * file alone, one with its -cert.pub beside it, an encrypted one, and one that cannot be read
 * must give what loadKeypairs gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyEncryptionError, KeyImportError, generatePrivateKey } from '@ssh/keys';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClientKeys } from '../src/client-keys.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'client-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = generatePrivateKey('ssh-ed25519');
const other = generatePrivateKey('ssh-ed25519');
const ca = generatePrivateKey('ssh-ed25519');
const write = (name: string, data: Uint8Array | string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, data, { mode: 0o600 });
  return file;
};

describe('loadClientKeys', () => {
  it('loads a plain key file, without a certificate', async () => {
    const file = write('plain', key.exportPrivateKey('openssh'));
    const { keys } = await loadClientKeys({ clientKeys: [file], agentPath: null });
    expect(keys).toHaveLength(1);
    const [pair] = keys;
    expect(pair && 'publicData' in pair && Buffer.from(pair.publicData).equals(Buffer.from(key.publicData))).toBe(true);
    expect(pair && 'certificate' in pair ? pair.certificate : undefined).toBeUndefined();
  });

  it('picks up <name>-cert.pub for its key, and ignores one for another key', async () => {
    const file = write('certified', key.exportPrivateKey('openssh'));
    write('certified-cert.pub', ca.generateUserCertificate(key, 'mine', { principals: ['u'] }).exportCertificate('openssh'));
    const [pair] = (await loadClientKeys({ clientKeys: file, agentPath: null })).keys;
    expect(pair && 'certificate' in pair ? pair.certificate?.keyId : undefined).toBe('mine');

    const stray = write('stray', key.exportPrivateKey('openssh'));
    write('stray-cert.pub', ca.generateUserCertificate(other, 'theirs', { principals: ['u'] }).exportCertificate('openssh'));
    const [plain] = (await loadClientKeys({ clientKeys: stray, agentPath: null })).keys;
    expect(plain && 'certificate' in plain ? plain.certificate : undefined).toBeUndefined();
  });

  it('decrypts with the passphrase, and refuses without it', async () => {
    const file = write('encrypted', key.exportPrivateKey('openssh', { passphrase: 'pw' }));
    expect((await loadClientKeys({ clientKeys: [file], passphrase: 'pw', agentPath: null })).keys).toHaveLength(1);
    await expect(loadClientKeys({ clientKeys: [file], agentPath: null })).rejects.toBeInstanceOf(KeyEncryptionError);
  });

  it('reports a file it cannot read as KeyImportError naming it', async () => {
    const missing = path.join(dir, 'missing');
    await expect(loadClientKeys({ clientKeys: [missing], agentPath: null })).rejects.toThrow(KeyImportError);
    await expect(loadClientKeys({ clientKeys: [missing], agentPath: null })).rejects.toThrow(`cannot read ${missing}`);
  });
});
