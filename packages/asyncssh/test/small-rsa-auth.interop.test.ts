/**
 * RSA keys under 1024 bits in user authentication: sshd cannot parse them ("Invalid key length",
 * "invalid certificate signing key") and refuses, even when authorized_keys lists the key or the
 * CA. Our server refuses them alike (AsyncSSH would take them). Our client presents them, since
 * OpenSSH's ssh will not even load such a key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { knownHostsLines, makeTempDir, removeTempDir, startSshd, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PermissionDenied, SSHKeyPair, connect, generatePrivateKey, importPrivateKey, listen, type SSHAcceptor, type SSHKey, type SSHServerProcess } from '../src/index.ts';

const rsa = (bits: number): SSHKey => importPrivateKey(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
const small = rsa(768);
const smallCa = rsa(768);
const least = rsa(1024);
const user = generatePrivateKey('ssh-ed25519');
const hostKey = generatePrivateKey('ssh-ed25519');
const line = (key: SSHKey): string => new TextDecoder().decode(key.convertToPublic().exportPublicKey()).trim();

let sshd: SshdServer;
let acceptor: SSHAcceptor;
let dir: string;
let sshdKnownHosts: string;
let oursKnownHosts: string;

beforeAll(async () => {
  const lines = [line(small), line(least), `cert-authority ${line(smallCa)}`];
  [sshd, acceptor, dir] = await Promise.all([
    startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: lines }),
    listen('127.0.0.1', 0, { serverHostKeys: [hostKey], authorizedClientKeys: lines.join('\n'), processFactory: (p: SSHServerProcess) => p.exit(0) }),
    makeTempDir('small-rsa'),
  ]);
  sshdKnownHosts = path.join(dir, 'sshd_known_hosts');
  oursKnownHosts = path.join(dir, 'ours_known_hosts');
  await writeFile(sshdKnownHosts, knownHostsLines(sshd).join('\n') + '\n');
  await writeFile(oursKnownHosts, `[127.0.0.1]:${acceptor.getPort()} ${line(hostKey)}\n`);
}, 60_000);
afterAll(async () => {
  await Promise.all([sshd?.stop(), acceptor?.waitClosed()]);
  if (dir !== undefined) await removeTempDir(dir);
});

/** 'in', or the error's class name, logging in as the sshd user with `key` to sshd and to ours. */
async function outcomes(key: SSHKey | SSHKeyPair): Promise<{ sshd: string; ours: string }> {
  const attempt = (port: number, knownHosts: string): Promise<string> =>
    connect({ host: '127.0.0.1', port, username: sshd.user, knownHosts, clientKeys: [key], agentPath: null, config: null }).then(
      (conn) => (conn.close(), 'in'),
      (e: unknown) => (e instanceof PermissionDenied ? 'PermissionDenied' : String(e)),
    );
  const [s, o] = await Promise.all([attempt(sshd.port, sshdKnownHosts), attempt(acceptor.getPort(), oursKnownHosts)]);
  return { sshd: s, ours: o };
}

describe('RSA keys under 1024 bits: ours as sshd', () => {
  test('a listed 768-bit user key is refused', async () => {
    expect(await outcomes(small)).toEqual({ sshd: 'PermissionDenied', ours: 'PermissionDenied' });
  });

  test('a certificate from a listed 768-bit CA is refused', async () => {
    const cert = smallCa.generateUserCertificate(user, 'id', { principals: [sshd.user], sigAlg: 'rsa-sha2-512' });
    expect(await outcomes(new SSHKeyPair(user, cert))).toEqual({ sshd: 'PermissionDenied', ours: 'PermissionDenied' });
  });

  test('a listed 1024-bit key gets in', async () => {
    expect(await outcomes(least)).toEqual({ sshd: 'in', ours: 'in' });
  });
});
