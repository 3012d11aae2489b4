/**
 * Which user certificates a server lets in by their principals, ours against sshd and AsyncSSH,
 * the OpenSSH client presenting each certificate to all three:
 * - an authorized_keys cert-authority line without principals= takes a certificate that names
 *   the user or no one (sshd checks such lines with require_principal off; AsyncSSH alike);
 * - one with principals= takes only a certificate naming one of those, never one naming no one;
 * - a CA the application trusts in validateCaKey (AsyncSSH's validate_ca_key, asked for this
 *   user) is judged as AsyncSSH judges it: the user or no one. sshd's TrustedUserCAKeys, a CA for
 *   every account, refuses a certificate naming no one; we have no such option (see validateCaKey).
 */
import { generateKey, runSsh, signCertificate, startAsyncsshServer, startSshd, type AsyncsshServer, type KeyPair, type SshdServer, type SshTarget } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SSHServer, generatePrivateKey, importPublicKey, listen, type SSHAcceptor, type SSHKey, type SSHServerProcess } from '../src/index.ts';

let lineCa: KeyPair;
let listedCa: KeyPair;
let appCa: KeyPair;
let certified: KeyPair;
let sshd: SshdServer;
let theirs: AsyncsshServer;
let acceptor: SSHAcceptor;
let user: string;
const hostKey = generatePrivateKey('ssh-ed25519');

class AppCaServer extends SSHServer {
  static ca: SSHKey;
  override publicKeyAuthSupported(): boolean {
    return true;
  }
  override validateCaKey(_username: string, key: SSHKey): boolean {
    return key.equals(AppCaServer.ca);
  }
}

const APP_CA_SCRIPT = `
class AppCaServer(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True

    def public_key_auth_supported(self):
        return True

    def validate_ca_key(self, username, key):
        return key == asyncssh.import_public_key(params['appCa'])

server_factory = AppCaServer
`;

beforeAll(async () => {
  [lineCa, listedCa, appCa, certified] = await Promise.all([
    generateKey('ed25519', { label: 'cert-principals-line-ca' }),
    generateKey('ed25519', { label: 'cert-principals-listed-ca' }),
    generateKey('ed25519', { label: 'cert-principals-app-ca' }),
    generateKey('ed25519', { label: 'cert-principals-user' }),
  ]);
  const lines = [`cert-authority ${lineCa.publicKey}`, `cert-authority,principals="a,b" ${listedCa.publicKey}`];
  AppCaServer.ca = importPublicKey(appCa.publicKey);
  [sshd, theirs, acceptor] = await Promise.all([
    startSshd({ authorizedKeys: lines, hostKeyTypes: ['ed25519'], config: [`TrustedUserCAKeys ${appCa.publicKeyPath}`] }),
    startAsyncsshServer({ authorizedKeys: lines, hostKeyTypes: ['ed25519'], script: APP_CA_SCRIPT, params: { appCa: appCa.publicKey } }),
    listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      authorizedClientKeys: lines.join('\n'),
      serverFactory: () => new AppCaServer(),
      processFactory: (p: SSHServerProcess) => p.exit(0),
    }),
  ]);
  user = sshd.user;
}, 60_000);
afterAll(async () => {
  await Promise.all([sshd?.stop(), theirs?.stop(), acceptor?.waitClosed()]);
});

const ours = (): SshTarget => ({ host: '127.0.0.1', port: acceptor.getPort(), name: 'ours', hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()] });

async function loginWith(target: SshTarget, ca: KeyPair, principals: readonly string[]): Promise<boolean> {
  const cert = await signCertificate(ca, certified, { principals });
  const r = await runSsh(target, 'true', { identity: certified, user, config: [`CertificateFile ${cert.path}`], allowFailure: true });
  return r.exitCode === 0;
}

/** Ours, sshd, AsyncSSH: does each let the certificate in? */
async function verdicts(ca: () => KeyPair, principals: readonly string[]): Promise<{ ours: boolean; sshd: boolean; asyncssh: boolean }> {
  const named = principals.map((p) => (p === 'USER' ? user : p));
  const [o, s, a] = await Promise.all([loginWith(ours(), ca(), named), loginWith(sshd, ca(), named), loginWith(theirs, ca(), named)]);
  return { ours: o, sshd: s, asyncssh: a };
}

describe('user certificate principals: ours, sshd, AsyncSSH', () => {
  test.each<[string, () => KeyPair, readonly string[], boolean]>([
    ['cert-authority line, a certificate naming no one', () => lineCa, [], true],
    ['cert-authority line, a certificate naming the user', () => lineCa, ['USER'], true],
    ['cert-authority line, a certificate naming someone else', () => lineCa, ['someone-else'], false],
    ['cert-authority,principals= line, a certificate naming no one', () => listedCa, [], false],
    ['cert-authority,principals= line, a certificate naming one listed', () => listedCa, ['b'], true],
    ['cert-authority,principals= line, a certificate naming only the user', () => listedCa, ['USER'], false],
  ])('%s', async (_, ca, principals, accepted) => {
    expect(await verdicts(ca, principals)).toEqual({ ours: accepted, sshd: accepted, asyncssh: accepted });
  });

  test('validateCaKey / validate_ca_key: the user or no one, as AsyncSSH (sshd TrustedUserCAKeys refuses no one)', async () => {
    expect(await verdicts(() => appCa, ['USER'])).toEqual({ ours: true, sshd: true, asyncssh: true });
    expect(await verdicts(() => appCa, ['someone-else'])).toEqual({ ours: false, sshd: false, asyncssh: false });
    expect(await verdicts(() => appCa, [])).toEqual({ ours: true, sshd: false, asyncssh: true });
  });
});
