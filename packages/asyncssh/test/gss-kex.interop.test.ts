/**
 * GSS-API key exchange (RFC 4462 §2, RFC 8732) and gssapi-keyex (§4) with a real Kerberos realm
 * on loopback (@ssh/interop's startKerberosRealm): our client against Debian's sshd with
 * GSSAPIKeyExchange yes, for each method it offers; Debian's ssh -o GSSAPIKeyExchange=yes against
 * our server; our client against our server, with a rekey. MIT's library reads KRB5_CONFIG,
 * KRB5CCNAME and KRB5_KTNAME from this process's environment, set in beforeAll.
 */
import { userInfo } from 'node:os';
import { knownHostsLines, runSsh, startSshd, type SshdServer } from '@ssh/interop';
import { useKerberosRealm } from '@ssh/interop/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, connect, generatePrivateKey, listen, type SSHAcceptor, type SSHClientConnectionOptions, type SSHServerProcess } from '../src/index.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const user = userInfo().username;
const KRB5 = 'toWM5Slw5Ew8Mqkay+al2g==';

const realm = useKerberosRealm({ otherUsers: ['other'], hosts: ['127.0.0.1', 'localhost'] });

describe('our client against sshd with GSSAPIKeyExchange yes', () => {
  let sshd: SshdServer;
  let base: () => SSHClientConnectionOptions;

  beforeAll(async () => {
    sshd = await startSshd({
      config: ['GSSAPIAuthentication yes', 'GSSAPIKeyExchange yes', 'GSSAPIStrictAcceptorCheck no', 'PubkeyAuthentication no', 'LogLevel DEBUG1'],
      env: { KRB5_CONFIG: realm().krb5Config, KRB5_KTNAME: realm().env['KRB5_KTNAME'], KRB5RCACHEDIR: realm().dir },
    });
    const knownHosts = text(knownHostsLines(sshd).join('\n') + '\n');
    base = () => ({ host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, agentPath: null, config: null, clientKeys: null });
  });
  afterAll(async () => sshd?.stop());

  for (const kex of ['gss-group14-sha256', 'gss-group16-sha512', 'gss-nistp256-sha256', 'gss-curve25519-sha256', 'gss-gex-sha1', 'gss-group14-sha1']) {
    it(`${kex}: the key exchange, then gssapi-keyex`, async () => {
      const conn = await connect({ ...base(), kexAlgs: [kex] });
      try {
        expect(conn.getExtraInfo('kex')).toBe(`${kex}-${KRB5}`);
        expect(conn.getExtraInfo('authMethod')).toBe('gssapi-keyex');
        expect((await conn.run('echo keyex', { check: true })).stdout).toBe('keyex\n');
      } finally {
        conn.close();
        await conn.waitClosed();
      }
    }, 30_000);
  }

  it('by default (a ticket, gssKex unset) the GSS-API methods come first; sshd logs gssapi-keyex', async () => {
    const conn = await connect(base());
    try {
      expect(conn.getExtraInfo('kex')).toMatch(new RegExp(`^gss-.*-${KRB5.replace(/[+]/g, '\\+')}$`));
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-keyex');
    } finally {
      conn.close();
      await conn.waitClosed();
    }
    await sshd.waitForLog(`Accepted gssapi-keyex for ${user} from 127.0.0.1`);
  });

  it('rekeying runs GSS-API key exchange again', async () => {
    const conn = await connect({ ...base(), kexAlgs: ['gss-curve25519-sha256'], rekeyBytes: 64 * 1024 });
    try {
      const r = await conn.run('head -c 400000 /dev/zero | wc -c', { check: true });
      expect(r.stdout?.trim()).toBe('400000');
    } finally {
      conn.close();
      await conn.waitClosed();
    }
  }, 30_000);

  it('a server principal the KDC does not know: GSS-API key exchange is not offered, so the key exchange still succeeds', async () => {
    // No service ticket can be had for host@unknown.invalid: only the login fails (this sshd
    // takes nothing but GSS-API), not the key exchange, as it would once gss-* were chosen.
    const error = await connect({ ...base(), gssHost: 'unknown.invalid', preferredAuth: 'gssapi-keyex,gssapi-with-mic' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('PermissionDenied');
  });

  it('gssKex false: an ordinary key exchange with a host key, then gssapi-with-mic', async () => {
    const conn = await connect({ ...base(), gssKex: false });
    try {
      expect(conn.getExtraInfo('kex')).not.toMatch(/^gss-/);
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-with-mic');
    } finally {
      conn.close();
      await conn.waitClosed();
    }
  });
});

class KexServer extends SSHServer {
  static asked: [string, string, string][] = [];
  override validateGssPrincipal(username: string, userPrincipal: string, hostPrincipal: string): boolean {
    KexServer.asked.push([username, userPrincipal, hostPrincipal]);
    return super.validateGssPrincipal(username, userPrincipal, hostPrincipal) === true;
  }
}

/** Our servers' sessions answer with the key exchange and the auth method of their connection. */
function reportKexAndAuth(p: SSHServerProcess): void {
  p.stdout.write(`${p.getExtraInfo('kex') as string} ${p.getExtraInfo('authMethod') as string}\n`);
  p.exit(0);
}

describe('our server with GSS-API key exchange', () => {
  const hostKey = generatePrivateKey('ssh-ed25519');
  let acceptor: SSHAcceptor;

  beforeAll(async () => {
    acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      gssHost: '127.0.0.1',
      // gss-gex-sha1 is off by default, as in AsyncSSH.
      kexAlgs: '+gss-gex-sha1',
      serverFactory: () => new KexServer(),
      processFactory: reportKexAndAuth,
    });
  });
  afterAll(async () => {
    acceptor?.close();
    await acceptor?.waitClosed();
  });

  const target = () => ({ host: '127.0.0.1', port: acceptor.getPort(), name: 'ours', hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()] });

  for (const kex of ['gss-curve25519-sha256', 'gss-group14-sha256', 'gss-nistp256-sha256', 'gss-gex-sha1']) {
    it(`OpenSSH ssh -o GSSAPIKeyExchange=yes with ${kex}, then gssapi-keyex`, async () => {
      KexServer.asked = [];
      const r = await runSsh(target(), 'true', {
        identity: null,
        user,
        env: { KRB5_CONFIG: realm().krb5Config, KRB5CCNAME: `FILE:${realm().ccache}` },
        args: ['-v', '-o', 'GSSAPIKeyExchange=yes', '-o', 'GSSAPIAuthentication=yes', '-o', `GSSAPIKexAlgorithms=${kex}-`, '-o', 'PreferredAuthentications=gssapi-keyex'],
      });
      expect(r.stderr).toMatch(/Authenticated to .* using "gssapi-keyex"/);
      expect(r.stdout).toBe(`${kex}-${KRB5} gssapi-keyex\n`);
      expect(KexServer.asked).toEqual([[user, realm().userPrincipal, 'host/127.0.0.1@TEST.SSH']]);
    }, 30_000);
  }

  it('our client: GSS-API key exchange and gssapi-keyex, and a rekey through it', async () => {
    const conn = await connect({
      host: '127.0.0.1',
      port: acceptor.getPort(),
      username: user,
      knownHosts: null,
      agentPath: null,
      config: null,
      clientKeys: null,
      rekeyBytes: 32 * 1024,
    });
    try {
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-keyex');
      for (let i = 0; i < 3; i++) expect((await conn.run('', { check: true })).stdout).toMatch(/^gss-curve25519-sha256-\S+ gssapi-keyex\n$/);
    } finally {
      conn.close();
      await conn.waitClosed();
    }
  }, 30_000);
});

describe('our server with no host key, only GSS-API key exchange', () => {
  let acceptor: SSHAcceptor;

  beforeAll(async () => {
    acceptor = await listen('127.0.0.1', 0, {
      gssKex: true,
      gssHost: '127.0.0.1',
      processFactory: reportKexAndAuth,
    });
  });
  afterAll(async () => {
    acceptor?.close();
    await acceptor?.waitClosed();
  });

  it('our client and OpenSSH ssh log in: the Kerberos service key stands for the host key', async () => {
    // With knownHosts checking on: there is no host key to check, and none is asked for.
    const conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: user, knownHosts: text(''), agentPath: null, config: null, clientKeys: null });
    try {
      expect((await conn.run('', { check: true })).stdout).toMatch(/^gss-curve25519-sha256-\S+ gssapi-keyex\n$/);
    } finally {
      conn.close();
      await conn.waitClosed();
    }
    const r = await runSsh({ host: '127.0.0.1', port: acceptor.getPort(), name: 'ours', hostPublicKeys: [] }, 'true', {
      identity: null,
      user,
      env: { KRB5_CONFIG: realm().krb5Config, KRB5CCNAME: `FILE:${realm().ccache}` },
      args: ['-v', '-o', 'GSSAPIKeyExchange=yes', '-o', 'GSSAPIAuthentication=yes', '-o', 'PreferredAuthentications=gssapi-keyex'],
    });
    expect(r.stdout).toMatch(/^gss-\S+ gssapi-keyex\n$/);
  }, 30_000);

  it('a client without GSS-API finds no key exchange in common', async () => {
    await expect(
      connect({ host: '127.0.0.1', port: acceptor.getPort(), username: user, knownHosts: null, agentPath: null, config: null, gssKex: false, gssAuth: false, password: 'x' }),
    ).rejects.toThrow(/no matching|key exchange|host key/i);
  });
});
