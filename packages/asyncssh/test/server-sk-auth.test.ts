/**
 * Security keys against our server: what the token attests (touch, user verification) is
 * checked as sshd checks it, for keys in authorized_keys and for certificates. The client is our
 * authentication machine with a software token that attests whatever each test asks.
 */
import { softSecurityKey, type SoftSecurityKey } from '@ssh/interop';
import { describe, expect, it } from 'vitest';
import { SSHServer, generatePrivateKey, importPublicKey, listen, type SSHCertificate } from '../src/index.ts';
import { rawAuthenticate } from './raw-auth-client.ts';

const hostKey = generatePrivateKey('ssh-ed25519');
const ca = generatePrivateKey('ssh-ed25519');
const token = softSecurityKey();
const tokenKey = importPublicKey(token.publicLine);

/** Authenticates as `alice` with the token (or a certificate of it), attesting `flags`. */
function authenticate(port: number, t: SoftSecurityKey, flags: number, cert?: SSHCertificate): Promise<string> {
  return rawAuthenticate(port, { username: 'alice', keys: [{ publicKey: cert ?? tokenKey }], sign: (data) => t.sign(data, flags) });
}

const PRESENT = 0x01;
const VERIFIED = 0x04;

async function outcomes(authorizedClientKeys: string, cert?: SSHCertificate): Promise<Record<string, string>> {
  const acceptor = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], authorizedClientKeys, serverFactory: () => new SSHServer() });
  try {
    const port = acceptor.getPort();
    return {
      none: await authenticate(port, token, 0, cert),
      touched: await authenticate(port, token, PRESENT, cert),
      verified: await authenticate(port, token, VERIFIED, cert),
      both: await authenticate(port, token, PRESENT | VERIFIED, cert),
    };
  } finally {
    acceptor.close();
    await acceptor.waitClosed();
  }
}

describe('security keys in authorized_keys', () => {
  it('need the user to touch the token, as sshd requires by default', async () => {
    expect(await outcomes(`${token.publicLine}\n`)).toEqual({ none: 'failure', touched: 'success', verified: 'failure', both: 'success' });
  });

  it('no-touch-required waives the touch', async () => {
    expect(await outcomes(`no-touch-required ${token.publicLine}\n`)).toEqual({ none: 'success', touched: 'success', verified: 'success', both: 'success' });
  });

  it('verify-required asks for user verification too', async () => {
    expect(await outcomes(`verify-required ${token.publicLine}\n`)).toEqual({ none: 'failure', touched: 'failure', verified: 'failure', both: 'success' });
  });

  it('a key of another token is not let in whatever it attests', async () => {
    const acceptor = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], authorizedClientKeys: `no-touch-required ${softSecurityKey().publicLine}\n` });
    try {
      expect(await authenticate(acceptor.getPort(), token, PRESENT | VERIFIED)).toBe('failure');
    } finally {
      acceptor.close();
      await acceptor.waitClosed();
    }
  });
});

describe('security key certificates', () => {
  const caLine = `cert-authority ${new TextDecoder().decode(ca.exportPublicKey('openssh')).trim()}\n`;

  it('need a touch unless both the certificate and the cert-authority line waive it', async () => {
    const plain = ca.generateUserCertificate(tokenKey, 'token', { principals: ['alice'] });
    expect(await outcomes(caLine, plain)).toEqual({ none: 'failure', touched: 'success', verified: 'failure', both: 'success' });
    const waived = ca.generateUserCertificate(tokenKey, 'token', { principals: ['alice'], touchRequired: false });
    expect(await outcomes(caLine, waived)).toEqual({ none: 'failure', touched: 'success', verified: 'failure', both: 'success' });
    expect(await outcomes(`no-touch-required,${caLine}`, waived)).toEqual({ none: 'success', touched: 'success', verified: 'success', both: 'success' });
  });

  it("the certificate's verify-required asks for user verification", async () => {
    const cert = ca.generateUserCertificate(tokenKey, 'token', { principals: ['alice'], verifyRequired: true });
    expect(await outcomes(caLine, cert)).toEqual({ none: 'failure', touched: 'failure', verified: 'failure', both: 'success' });
  });
});
