/**
 * gssapi-with-mic (RFC 4462 §3) with a real Kerberos realm on loopback (@ssh/interop's
 * startKerberosRealm: a KDC, host/localhost and host/127.0.0.1 in a keytab, the user's ticket in a
 * credential cache): our client against OpenSSH sshd (GSSAPIAuthentication yes), OpenSSH ssh
 * against our server, our client against our server, and the refusals (no ticket, a principal
 * validateGssPrincipal refuses, gssAuth false on either side).
 *
 * MIT's library reads KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME from this process's environment:
 * they are set in beforeAll, before the first GSS-API call of this file's process. AsyncSSH is
 * not tested here: Debian's python3-asyncssh finds no `gssapi` module on this machine
 * (python3-gssapi is not installed), so its GSS support is off.
 */
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { knownHostsLines, runSsh, startSshd, type SshdServer } from '@ssh/interop';
import { useKerberosRealm } from '@ssh/interop/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDenied, SSHServer, connect, generatePrivateKey, listen, type SSHAcceptor, type SSHClientConnectionOptions, type SSHServerProcess } from '../src/index.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const user = userInfo().username;

const realm = useKerberosRealm({ otherUsers: ['other'], hosts: ['127.0.0.1', 'localhost'] });

/** Runs `body` with KRB5CCNAME naming another credential cache. */
async function withCcache<T>(ccache: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env['KRB5CCNAME'];
  process.env['KRB5CCNAME'] = `FILE:${ccache}`;
  try {
    return await body();
  } finally {
    process.env['KRB5CCNAME'] = saved;
  }
}

describe('our client against OpenSSH sshd', () => {
  let sshd: SshdServer;
  let base: () => SSHClientConnectionOptions;

  beforeAll(async () => {
    sshd = await startSshd({
      config: ['GSSAPIAuthentication yes', 'GSSAPIStrictAcceptorCheck no', 'PubkeyAuthentication no'],
      env: { KRB5_CONFIG: realm().krb5Config, KRB5_KTNAME: realm().env['KRB5_KTNAME'], KRB5RCACHEDIR: realm().dir },
    });
    const knownHosts = text(knownHostsLines(sshd).join('\n') + '\n');
    base = () => ({ host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, agentPath: null, config: null, clientKeys: null });
  });
  afterAll(async () => sshd?.stop());

  it('logs in by gssapi-with-mic (gssAuth on by default with a ticket), gssHost defaulting to the host', async () => {
    const conn = await connect(base());
    try {
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-with-mic');
      const r = await conn.run('echo kerberos', { check: true });
      expect(r.stdout).toBe('kerberos\n');
    } finally {
      conn.close();
      await conn.waitClosed();
    }
    await sshd.waitForLog(`Accepted gssapi-with-mic for ${user} from 127.0.0.1`);
  });

  it('delegates the ticket with gssDelegateCreds, and takes gssHost', async () => {
    const conn = await connect({ ...base(), gssDelegateCreds: true, gssHost: 'localhost' });
    try {
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-with-mic');
      // sshd stores a delegated ticket in a cache of its own and names it in KRB5CCNAME.
      const r = await conn.run('echo "$KRB5CCNAME"', { check: true });
      expect(r.stdout).toMatch(/^FILE:\/tmp\/krb5cc_/);
    } finally {
      conn.close();
      await conn.waitClosed();
    }
  });

  it('without a ticket (gssAuth: true), the method fails and nothing else is left: PermissionDenied', async () => {
    await withCcache(realm().emptyCcache, async () => {
      await expect(connect({ ...base(), gssAuth: true })).rejects.toBeInstanceOf(PermissionDenied);
    });
  });

  it('a principal sshd does not map to the user is refused', async () => {
    await withCcache(realm().ccacheFor('other'), async () => {
      await expect(connect(base())).rejects.toBeInstanceOf(PermissionDenied);
    });
  });

  it('gssAuth false, and ssh_config GSSAPIAuthentication no, leave it untried', async () => {
    await expect(connect({ ...base(), gssAuth: false })).rejects.toBeInstanceOf(PermissionDenied);
    const file = `${realm().dir}/ssh_config`;
    await writeFile(file, 'Host *\n  GSSAPIAuthentication no\n');
    await expect(connect({ ...base(), config: file })).rejects.toBeInstanceOf(PermissionDenied);
    await writeFile(file, 'Host *\n  GSSAPIAuthentication yes\n  GSSAPIDelegateCredentials yes\n');
    const conn = await connect({ ...base(), config: file });
    try {
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-with-mic');
      expect((await conn.run('echo "$KRB5CCNAME"', { check: true })).stdout).toMatch(/^FILE:/);
    } finally {
      conn.close();
      await conn.waitClosed();
    }
  });
});

/** Our server: records what validateGssPrincipal was asked, accepts the password 'sesame'. */
class GssServer extends SSHServer {
  static asked: [string, string, string][] = [];
  static refuse = false;
  override validateGssPrincipal(username: string, userPrincipal: string, hostPrincipal: string): boolean {
    GssServer.asked.push([username, userPrincipal, hostPrincipal]);
    return !GssServer.refuse && super.validateGssPrincipal(username, userPrincipal, hostPrincipal) === true;
  }
  override passwordAuthSupported(): boolean {
    return true;
  }
  // Passwords by the password method only (not also through a keyboard-interactive "Password:"
  // prompt, the default that ties the two), so that authMethod tells which one was used.
  override kbdintAuthSupported(): boolean {
    return false;
  }
  override validatePassword(_username: string, password: string): boolean {
    return password === 'sesame';
  }
}

describe('our server', () => {
  const hostKey = generatePrivateKey('ssh-ed25519');
  let acceptor: SSHAcceptor;
  let plain: SSHAcceptor;
  const start = (options: { gssAuth?: boolean } = {}) =>
    listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      gssHost: '127.0.0.1',
      serverFactory: () => new GssServer(),
      processFactory: (p: SSHServerProcess) => {
        p.stdout.write(`${p.getExtraInfo('authMethod') as string}\n`);
        p.exit(0);
      },
      ...options,
    });
  const target = (a: SSHAcceptor) => ({ host: '127.0.0.1', port: a.getPort(), name: 'ours', hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()] });
  const ours = (a: SSHAcceptor, extra: SSHClientConnectionOptions = {}): SSHClientConnectionOptions => ({
    host: '127.0.0.1',
    port: a.getPort(),
    username: user,
    knownHosts: text(`[127.0.0.1]:${a.getPort()} ${new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()}\n`),
    agentPath: null,
    config: null,
    clientKeys: null,
    // gssapi-with-mic itself: GSS-API key exchange (which would log in by gssapi-keyex) has its own tests.
    gssKex: false,
    ...extra,
  });

  beforeAll(async () => {
    acceptor = await start();
    plain = await start({ gssAuth: false });
  });
  afterAll(async () => {
    acceptor?.close();
    plain?.close();
    await Promise.all([acceptor?.waitClosed(), plain?.waitClosed()]);
  });

  it('OpenSSH ssh -o GSSAPIAuthentication=yes logs in; validateGssPrincipal gets the user, their principal and ours', async () => {
    GssServer.asked = [];
    const r = await runSsh(target(acceptor), 'true', {
      identity: null,
      user,
      env: { KRB5_CONFIG: realm().krb5Config, KRB5CCNAME: `FILE:${realm().ccache}` },
      args: ['-v', '-o', 'GSSAPIAuthentication=yes', '-o', 'PreferredAuthentications=gssapi-with-mic'],
    });
    expect(r.stderr).toMatch(/Authenticated to .* using "gssapi-with-mic"/);
    expect(r.stdout).toBe('gssapi-with-mic\n');
    expect(GssServer.asked).toEqual([[user, realm().userPrincipal, 'host/127.0.0.1@TEST.SSH']]);
  });

  it('OpenSSH ssh with a principal validateGssPrincipal refuses: Permission denied', async () => {
    const r = await runSsh(target(acceptor), 'true', {
      identity: null,
      user,
      env: { KRB5_CONFIG: realm().krb5Config, KRB5CCNAME: `FILE:${realm().ccacheFor('other')}` },
      args: ['-o', 'GSSAPIAuthentication=yes', '-o', 'PreferredAuthentications=gssapi-with-mic'],
      allowFailure: true,
    });
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it('our client logs in by gssapi-with-mic, first of the methods', async () => {
    GssServer.asked = [];
    const conn = await connect(ours(acceptor, { password: 'sesame' }));
    try {
      expect(conn.getExtraInfo('authMethod')).toBe('gssapi-with-mic');
      expect((await conn.run('', { check: true })).stdout).toBe('gssapi-with-mic\n');
    } finally {
      conn.close();
      await conn.waitClosed();
    }
    expect(GssServer.asked).toEqual([[user, realm().userPrincipal, 'host/127.0.0.1@TEST.SSH']]);
  });

  it('a principal validateGssPrincipal refuses fails the method: the client goes on to its password', async () => {
    GssServer.refuse = true;
    GssServer.asked = [];
    try {
      const conn = await connect(ours(acceptor, { password: 'sesame' }));
      expect(conn.getExtraInfo('authMethod')).toBe('password');
      conn.close();
      await conn.waitClosed();
      await expect(connect(ours(acceptor))).rejects.toBeInstanceOf(PermissionDenied);
    } finally {
      GssServer.refuse = false;
    }
    expect(GssServer.asked.length).toBe(2);
  });

  it("another user's principal is refused by the default rule", async () => {
    await withCcache(realm().ccacheFor('other'), async () => {
      await expect(connect(ours(acceptor))).rejects.toBeInstanceOf(PermissionDenied);
    });
  });

  it('no ticket: with gssAuth unset the method is not tried; with gssAuth true it fails, and the password follows', async () => {
    await withCcache(realm().emptyCcache, async () => {
      GssServer.asked = [];
      for (const gssAuth of [undefined, true]) {
        const conn = await connect(ours(acceptor, { password: 'sesame', ...(gssAuth === undefined ? {} : { gssAuth }) }));
        expect(conn.getExtraInfo('authMethod')).toBe('password');
        conn.close();
        await conn.waitClosed();
      }
      expect(GssServer.asked).toEqual([]);
    });
  });

  it('gssAuth false on the client, or on the server: the password is used', async () => {
    for (const [a, extra] of [
      [acceptor, { gssAuth: false }],
      [plain, {}],
    ] as const) {
      const conn = await connect(ours(a, { password: 'sesame', ...extra }));
      expect(conn.getExtraInfo('authMethod')).toBe('password');
      conn.close();
      await conn.waitClosed();
    }
  });

  it('a server whose keytab has no key for gssHost fails the method on its first step; the password follows', async () => {
    const other = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], gssHost: 'nowhere.invalid', serverFactory: () => new GssServer() });
    try {
      const conn = await connect(ours(other, { password: 'sesame' }));
      expect(conn.getExtraInfo('authMethod')).toBe('password');
      conn.close();
      await conn.waitClosed();
    } finally {
      other.close();
      await other.waitClosed();
    }
  });
});
