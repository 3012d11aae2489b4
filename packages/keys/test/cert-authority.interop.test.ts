/**
 * authorized_keys cert-authority lines against the real sshd: which user certificates (with no
 * principals, the user's name, other names) each line lets in, compared with what
 * SSHAuthorizedKeys.validate(ca, ..., true) makes of the same line. sshd checks these lines with
 * require_principal off (auth2-pubkeyfile.c), so a certificate naming no one passes a line
 * without principals=; TrustedUserCAKeys turns it on, and the same certificate is refused there.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importAuthorizedKeys, type SSHCertificate } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { AuthorizedKeysSshd } from './helpers/sshd.ts';

const key = testKey('ssh-ed25519');
const ca = testKey('ecdsa-sha2-nistp256');
/** The CA sshd trusts through TrustedUserCAKeys (never named in authorized_keys). */
const globalCa = testKey('ecdsa-sha2-nistp384');
const caText = new TextDecoder().decode(ca.convertToPublic().exportPublicKey()).trim();

let sshd: AuthorizedKeysSshd;
let user: string;
beforeAll(async () => {
  sshd = await AuthorizedKeysSshd.start(key, globalCa);
  user = sshd.server.user;
}, 60_000);
afterAll(async () => {
  await sshd.stop();
});

const certFor = (principals: readonly string[], signer = ca): SSHCertificate => signer.generateUserCertificate(key, 'id', { principals });

/** Does our parser let this certificate in through this cert-authority line? */
function oursAccepts(line: string, cert: SSHCertificate): boolean {
  return importAuthorizedKeys(`${line}\n`).validate(ca, { clientAddr: '127.0.0.1', clientHost: '127.0.0.1', user, certPrincipals: cert.principals }, true) !== undefined;
}

describe('cert-authority lines as sshd reads them', () => {
  // [case, options before the CA key (USER stands for the login name), certificate principals]
  test.each<[string, string, readonly string[]]>([
    ['no principals=, a certificate naming no one', 'cert-authority', []],
    ['no principals=, a certificate naming the user', 'cert-authority', ['USER']],
    ['no principals=, a certificate naming someone else', 'cert-authority', ['someone-else']],
    ['no principals=, a certificate naming the user among others', 'cert-authority', ['someone-else', 'USER']],
    ['principals=, a certificate naming no one', 'cert-authority,principals="someone-else,USER"', []],
    ['principals=, a certificate naming one of them', 'cert-authority,principals="a,b"', ['b']],
    ['principals=, a certificate naming only the user', 'cert-authority,principals="a,b"', ['USER']],
    ['principals=, a certificate naming one with a comma in it', 'cert-authority,principals="a,b"', ['x,b']],
    ['principals= with a space after its comma', 'cert-authority,principals="a, b"', ['b']],
    ['an empty principals=, a certificate naming the empty string', 'cert-authority,principals=""', ['']],
    ['no principals=, a certificate naming the user after a comma', 'cert-authority', ['x,USER']],
    ['principals= with an empty entry before the named one', 'cert-authority,principals="a,,b"', ['b']],
    ['principals= with an empty entry after the named one', 'cert-authority,principals="b,,a"', ['b']],
    ['principals= starting with a comma', 'cert-authority,principals=",b"', ['b']],
    ['principals= naming it 40th', `cert-authority,principals="${[...Array(39).keys()].map((i) => `p${i}`).join(',')},b"`, ['b']],
    ['principals= naming it 41st', `cert-authority,principals="${[...Array(40).keys()].map((i) => `p${i}`).join(',')},b"`, ['b']],
  ])('%s', async (_, options, principals) => {
    const line = `${options.replace('USER', user)} ${caText}`;
    const cert = certFor(principals.map((p) => p.replace('USER', user)));
    const theirs = await sshd.login(`${line}\n`, 'true', cert.exportCertificate());
    expect(oursAccepts(line, cert)).toBe(theirs.ok);
  });

  test('a cert-authority line whose key is the CA\'s own certificate', async () => {
    const caCert = testKey('ssh-ed25519').generateUserCertificate(ca, 'ca-cert', { principals: [user] });
    const line = `cert-authority ${new TextDecoder().decode(caCert.exportCertificate()).trim()}`;
    const cert = certFor([user]);
    const theirs = await sshd.login(`${line}\n`, 'true', cert.exportCertificate());
    expect(oursAccepts(line, cert)).toBe(theirs.ok);
  });

  test('the login works at all: a plain key line lets the key in', async () => {
    const keyText = new TextDecoder().decode(key.convertToPublic().exportPublicKey()).trim();
    expect((await sshd.login(`${keyText}\n`)).ok).toBe(true);
  });

  test('TrustedUserCAKeys (require_principal on) refuses a certificate naming no one, and takes one naming the user', async () => {
    expect((await sshd.login('', 'true', certFor([], globalCa).exportCertificate())).ok).toBe(false);
    expect((await sshd.login('', 'true', certFor([user], globalCa).exportCertificate())).ok).toBe(true);
  });
});
