/**
 * Server-side authentication policy through the API: per-connection authorized keys set in
 * beginAuth (AsyncSSH set_authorized_keys), authorized_keys options, and the options and
 * permissions of a user certificate (getCertificateOption / checkCertificatePermission).
 */
import { lookupService } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import {
  PermissionDenied,
  ProtocolError,
  SSHKeyPair,
  SSHClient,
  SSHServer,
  connect,
  generatePrivateKey,
  listen,
  type SSHServerConnection,
  type SSHServerProcess,
  type SSHServerSession,
  type SSHKey,
} from '../src/index.ts';
import { MSG, UserauthRequest } from '@ssh/wire';
import { rawAuthenticate } from './raw-auth-client.ts';

const hostKey = generatePrivateKey('ssh-ed25519');
const alice = generatePrivateKey('ssh-ed25519');
const bob = generatePrivateKey('ssh-ed25519');
const ca = generatePrivateKey('ssh-ed25519');
const line = (k: typeof alice, options = ''): string => `${options}${options ? ' ' : ''}${new TextDecoder().decode(k.exportPublicKey('openssh')).trim()}\n`;

const report = (p: SSHServerProcess): void => {
  const conn = p.getExtraInfo<SSHServerConnection>('connection');
  const original = p.env['SSH_ORIGINAL_COMMAND'];
  p.stdout.write(`${p.getExtraInfo('username')} pty=${String(conn?.checkKeyPermission('pty'))} cmd=${String(conn?.getCertificateOption('force-command') ?? conn?.getKeyOption('command') ?? '')}`);
  p.stdout.write(` ran=${p.command ?? ''}${original === undefined ? '' : ` orig=${String(original)}`}${p.env['GREETING'] === undefined ? '' : ` greeting=${String(p.env['GREETING'])}`}\n`);
  p.exit(0);
};

async function server(serverFactory: () => SSHServer, extra: object = {}) {
  return listen('127.0.0.1', 0, { serverHostKeys: [hostKey], serverFactory, processFactory: report, ...extra });
}

const opts = { knownHosts: null, agentPath: null, config: null } as const;

describe('per-user authorized keys', () => {
  class PerUser extends SSHServer {
    private conn: SSHServerConnection | undefined;
    override connectionMade(conn: SSHServerConnection): void {
      this.conn = conn;
    }
    override beginAuth(username: string): boolean {
      this.conn?.setAuthorizedKeys(username === 'alice' ? line(alice, 'no-pty,command="restricted",environment="GREETING=hi"') : username === 'bob' ? line(bob) : null);
      return true;
    }
  }

  it('lets each user in with their own key only, with their line options', async () => {
    const acceptor = await server(() => new PerUser());
    const port = acceptor.getPort();
    await using a = await connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [alice], ...opts });
    expect((await a.run('x')).stdout).toBe('alice pty=false cmd=restricted ran=restricted orig=x greeting=hi\n');
    await using b = await connect({ host: '127.0.0.1', port, username: 'bob', clientKeys: [bob], ...opts });
    expect((await b.run('x')).stdout).toBe('bob pty=true cmd= ran=x\n');
    await expect(connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [bob], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    await expect(connect({ host: '127.0.0.1', port, username: 'carol', clientKeys: [alice], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    a.close();
    b.close();
    await acceptor.waitClosed();
  });
});

describe('a failing or switching beginAuth', () => {
  class Failing extends SSHServer {
    private readonly how: 'reject' | 'throw';
    constructor(how: 'reject' | 'throw') {
      super();
      this.how = how;
    }
    override passwordAuthSupported(): boolean {
      return true;
    }
    override validatePassword(): boolean {
      return false;
    }
    override beginAuth(): boolean | Promise<boolean> {
      // A handler that fails (a missing per-user file, a bug): the user must not get in.
      if (this.how === 'throw') throw new Error('no such user file');
      return Promise.reject(new Error('no such user file'));
    }
  }

  it.each(['reject', 'throw'] as const)('a beginAuth that fails (%s) ends the connection instead of letting the user in', async (how) => {
    const acceptor = await server(() => new Failing(how));
    const port = acceptor.getPort();
    // Before: a rejection let bob in unauthenticated; a throw took the whole process down.
    expect(await rawAuthenticate(port, { username: 'bob', password: 'wrong' })).not.toBe('success');
    // The server goes on serving.
    await using conn = await connect({ host: '127.0.0.1', port: (await server(() => new SSHServer(), { authorizedClientKeys: line(alice) })).getPort(), username: 'u', clientKeys: [alice], ...opts });
    expect(await rawAuthenticate(port, { username: 'carol', password: 'x' })).not.toBe('success');
    conn.close();
    acceptor.close();
    await acceptor.waitClosed();
  });

  it("keys loaded for one user name are gone when the client switches to another", async () => {
    class PerUser extends SSHServer {
      private conn: SSHServerConnection | undefined;
      override connectionMade(conn: SSHServerConnection): void {
        this.conn = conn;
      }
      override beginAuth(username: string): boolean {
        if (username === 'alice') this.conn?.setAuthorizedKeys(line(alice));
        return true;
      }
    }
    const acceptor = await server(() => new PerUser());
    const port = acceptor.getPort();
    // The first request (none) names alice, whose keys the server loads; then root with alice's key.
    let first = true;
    const asAlice = (p: Uint8Array): Uint8Array => {
      if (!first || p[0] !== MSG.USERAUTH_REQUEST) return p;
      first = false;
      const req = UserauthRequest.decode(p);
      return UserauthRequest.encode({ ...req, userName: 'alice' });
    };
    expect(await rawAuthenticate(port, { username: 'root', keys: [alice], mangle: asAlice })).toBe('failure');
    expect(first).toBe(false);
    expect(await rawAuthenticate(port, { username: 'alice', keys: [alice] })).toBe('success');
    acceptor.close();
    await acceptor.waitClosed();
  });
});

describe('a client our authentication ends', () => {
  class Watched extends SSHServer {
    static lost: ((error: Error | undefined) => void) | undefined;
    override passwordAuthSupported(): boolean {
      return true;
    }
    override validatePassword(): boolean {
      return false;
    }
    override connectionLost(error: Error | undefined): void {
      Watched.lost?.(error);
    }
  }

  const truncatedRequest = (p: Uint8Array): Uint8Array => (p[0] === MSG.USERAUTH_REQUEST ? p.subarray(0, p.length - 1) : p);

  it.each([
    ['too many failures', { maxAuthTries: 1 }, undefined, PermissionDenied],
    ['a malformed request', {}, truncatedRequest, ProtocolError],
  ] as const)('%s: connectionLost and whenAuthenticated() get the typed error it was disconnected with', async (_, extra, mangle, kind) => {
    let conn: SSHServerConnection | undefined;
    class Caught extends Watched {
      override connectionMade(c: SSHServerConnection): void {
        conn = c;
      }
    }
    const lost = new Promise<Error | undefined>((resolve) => {
      Watched.lost = resolve;
    });
    const acceptor = await server(() => new Caught(), extra);
    expect(await rawAuthenticate(acceptor.getPort(), { username: 'u', password: 'wrong', ...(mangle ? { mangle } : {}) })).not.toBe('success');
    expect(await lost).toBeInstanceOf(kind);
    await expect(conn?.whenAuthenticated()).rejects.toBeInstanceOf(kind);
    acceptor.close();
    await acceptor.waitClosed();
  });
});

describe('maxAuthTries', () => {
  it.each([Number.NaN, Infinity, 0, -1, 2.5])('listen() refuses %s, which would turn the attempt limit off or let no one try', async (maxAuthTries) => {
    // NaN compared false with every count: a bad value read from a setting disabled the limit.
    await expect(server(() => new SSHServer(), { maxAuthTries })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('no-pty', () => {
  type Mode = 'sessionFactory' | 'sessionRequested' | 'processFactory';
  /** Whether the application saw a pty for a session asked for one, for each way of serving. */
  async function ptyGranted(mode: Mode, keyOptions: string, extra: object = {}): Promise<string | undefined> {
    let term: string | undefined;
    const session = () =>
      ({
        connectionMade(channel: { exit(status: number): void }) {
          (this as unknown as { channel: typeof channel }).channel = channel;
        },
        ptyRequested: (t: string) => ((term = t), true),
        execRequested: () => true,
        sessionStarted() {
          (this as unknown as { channel: { exit(status: number): void } }).channel.exit(0);
        },
      }) as unknown as SSHServerSession;
    class Sessions extends SSHServer {
      override sessionRequested(): boolean | SSHServerSession {
        return mode === 'sessionRequested' ? session() : true;
      }
    }
    const acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      authorizedClientKeys: line(alice, keyOptions),
      serverFactory: () => new Sessions(),
      ...(mode === 'sessionFactory' ? { sessionFactory: session } : {}),
      ...(mode === 'processFactory'
        ? {
            processFactory: (p: SSHServerProcess) => {
              term = p.termType;
              p.exit(0);
            },
          }
        : {}),
      ...extra,
    });
    try {
      await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [alice], ...opts });
      await conn.run('x', { requestPty: 'force', termType: 'xterm-test' }).catch(() => undefined);
      conn.close();
    } finally {
      acceptor.close();
      await acceptor.waitClosed();
    }
    return term;
  }

  it.each(['sessionFactory', 'sessionRequested', 'processFactory'] as const)('is honoured however sessions are served (%s)', async (mode) => {
    expect(await ptyGranted(mode, '')).toBe('xterm-test');
    expect(await ptyGranted(mode, 'no-pty')).toBeUndefined();
    expect(await ptyGranted(mode, 'restrict')).toBeUndefined();
    expect(await ptyGranted(mode, 'restrict,pty')).toBe('xterm-test');
    expect(await ptyGranted(mode, '', { allowPty: false })).toBeUndefined();
  });
});

describe('user certificates', () => {
  it('reports critical options and withholds permissions the certificate does not grant', async () => {
    const acceptor = await server(() => new SSHServer(), { authorizedClientKeys: `cert-authority ${line(ca)}` });
    const cert = ca.generateUserCertificate(alice, 'alice-cert', { principals: ['alice'], forceCommand: 'only-this', permitPty: false });
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'alice', clientKeys: [new SSHKeyPair(alice, cert)], ...opts });
    expect((await conn.run('x')).stdout).toBe('alice pty=false cmd=only-this ran=only-this orig=x\n');
    conn.close();
    await acceptor.waitClosed();
  });

  it('refuses a certificate whose force-command differs from the command= of its cert-authority line, and runs the command when they agree', async () => {
    const acceptor = await server(() => new SSHServer(), { authorizedClientKeys: `cert-authority,command="only-this" ${line(ca)}` });
    const port = acceptor.getPort();
    const other = ca.generateUserCertificate(alice, 'alice-other', { principals: ['alice'], forceCommand: 'something-else' });
    await expect(connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [new SSHKeyPair(alice, other)], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    const same = ca.generateUserCertificate(alice, 'alice-same', { principals: ['alice'], forceCommand: 'only-this' });
    await using a = await connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [new SSHKeyPair(alice, same)], ...opts });
    expect((await a.run('x')).stdout).toMatch(/ran=only-this orig=x/);
    // A forced command on one side only is the one that runs.
    const none = ca.generateUserCertificate(alice, 'alice-none', { principals: ['alice'] });
    await using b = await connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [new SSHKeyPair(alice, none)], ...opts });
    expect((await b.run('x')).stdout).toMatch(/ran=only-this orig=x/);
    a.close();
    b.close();
    acceptor.close();
    await acceptor.waitClosed();
  });

  it('names permissions in either case (permit-X11-forwarding)', async () => {
    const seen: boolean[] = [];
    const acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      authorizedClientKeys: `cert-authority ${line(ca)}`,
      processFactory: (p: SSHServerProcess) => {
        const conn = p.getExtraInfo<SSHServerConnection>('connection');
        seen.push(...['x11-forwarding', 'X11-forwarding', 'pty'].map((perm) => conn?.checkCertificatePermission(perm) === true));
        p.exit(0);
      },
    });
    const cert = ca.generateUserCertificate(alice, 'alice-cert', { principals: ['alice'], permitPty: false });
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'alice', clientKeys: [new SSHKeyPair(alice, cert)], ...opts });
    await conn.run('x');
    expect(seen).toEqual([true, true, false]);
    conn.close();
    await acceptor.waitClosed();
  });

  it('accepts a certificate bound by source-address only from the addresses it lists', async () => {
    const acceptor = await server(() => new SSHServer(), { authorizedClientKeys: `cert-authority ${line(ca)}` });
    const port = acceptor.getPort();
    const bound = (sourceAddress: string) => new SSHKeyPair(alice, ca.generateUserCertificate(alice, 'alice-cert', { principals: ['alice'], sourceAddress }));
    await using conn = await connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [bound('10.0.0.0/8,127.0.0.0/8')], ...opts });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await expect(connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [bound('10.0.0.0/8')], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    await expect(connect({ host: '127.0.0.1', port, username: 'alice', clientKeys: [bound('127.0.0.1/8')], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    conn.close();
    await acceptor.waitClosed();
  });
});

describe('cert-authority principals=', () => {
  it('lets in certificates naming one of the listed principals, whatever the user name', async () => {
    const acceptor = await server(() => new SSHServer(), { authorizedClientKeys: `cert-authority,principals="ops,dba" ${line(ca)}` });
    const port = acceptor.getPort();
    const withPrincipals = (principals: string[]) => new SSHKeyPair(alice, ca.generateUserCertificate(alice, 'alice-cert', { principals }));
    await using conn = await connect({ host: '127.0.0.1', port, username: 'deploy', clientKeys: [withPrincipals(['ops'])], ...opts });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await expect(connect({ host: '127.0.0.1', port, username: 'deploy', clientKeys: [withPrincipals(['deploy'])], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    const plain = await server(() => new SSHServer(), { authorizedClientKeys: `cert-authority ${line(ca)}` });
    await expect(connect({ host: '127.0.0.1', port: plain.getPort(), username: 'deploy', clientKeys: [withPrincipals(['ops'])], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    conn.close();
    plain.close();
    await Promise.all([acceptor.waitClosed(), plain.waitClosed()]);
  });
});

describe('authorized_keys from=', () => {
  it('lets a key in only from the addresses its line allows', async () => {
    const allowed = await server(() => new SSHServer(), { authorizedClientKeys: line(alice, 'from="10.0.0.0/8,127.0.0.1"') });
    await using conn = await connect({ host: '127.0.0.1', port: allowed.getPort(), username: 'alice', clientKeys: [alice], ...opts });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    const refused = await server(() => new SSHServer(), { authorizedClientKeys: line(alice, 'from="127.0.0.0/8,!127.0.0.1"') });
    await expect(connect({ host: '127.0.0.1', port: refused.getPort(), username: 'alice', clientKeys: [alice], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    conn.close();
    refused.close();
    await Promise.all([allowed.waitClosed(), refused.waitClosed()]);
  });
});

describe('host-based authentication', () => {
  it('judges the host its address resolves to, or with trustClientHost the name it claims', async () => {
    const clientHostKey = generatePrivateKey('ecdsa-sha2-nistp256');
    const judged: string[] = [];
    class Hosts extends SSHServer {
      override hostBasedAuthSupported(): boolean {
        return true;
      }
      override validateHostPublicKey(host: string, _addr: string | undefined, _port: number | undefined, key: SSHKey): boolean {
        judged.push(host);
        return key.equals(clientHostKey);
      }
      override validateHostBasedUser(): boolean {
        return true;
      }
    }
    const resolved = await lookupService('127.0.0.1', 22).then(
      (r) => r.hostname,
      () => '127.0.0.1',
    );
    for (const trustClientHost of [false, true]) {
      const acceptor = await server(() => new Hosts(), { trustClientHost });
      const port = acceptor.getPort();
      await using conn = await connect({ host: '127.0.0.1', port, username: 'u', clientHostKeys: [clientHostKey], clientHost: 'claimed.example', clientUsername: 'local', preferredAuth: 'hostbased', clientKeys: null, ...opts });
      expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
      conn.close();
      acceptor.close();
      await acceptor.waitClosed();
    }
    expect(judged).toEqual([resolved, 'claimed.example']);
  });
});

describe('signature algorithms', () => {
  it('accepts only the signature algorithms the server allows, and announces them', async () => {
    const rsa = generatePrivateKey('ssh-rsa', { keySize: 2048 });
    const acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      authorizedClientKeys: line(rsa) + line(alice),
      signatureAlgs: ['rsa-sha2-512'],
      processFactory: report,
    });
    const port = acceptor.getPort();
    await using conn = await connect({ host: '127.0.0.1', port, username: 'u', clientKeys: [rsa], ...opts });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    await expect(connect({ host: '127.0.0.1', port, username: 'u', clientKeys: [alice], ...opts })).rejects.toBeInstanceOf(PermissionDenied);
    conn.close();
    await acceptor.waitClosed();
  });
});

describe('keyboard-interactive tied to password authentication (AsyncSSH kbdint_auth_supported default)', () => {
  const methods: string[] = [];
  class PasswordOnly extends SSHServer {
    override passwordAuthSupported(): boolean {
      return true;
    }
    override validatePassword(username: string, password: string): boolean {
      methods.push(`password ${username}`);
      return password === 'sesame';
    }
  }
  class ExplicitlyNone extends PasswordOnly {
    override kbdintAuthSupported(): boolean {
      return false;
    }
  }
  const kbdintOnly = { preferredAuth: ['keyboard-interactive'] } as const;

  it('prompts "Password:" over keyboard-interactive and checks the answer with validatePassword', async () => {
    const acceptor = await server(() => new PasswordOnly());
    const port = acceptor.getPort();
    let challenge: unknown;
    await using conn = await connect({
      host: '127.0.0.1',
      port,
      username: 'carol',
      ...opts,
      ...kbdintOnly,
      clientFactory: () =>
        new (class extends SSHClient {
          override kbdintAuthRequested(): string {
            return '';
          }
          override kbdintChallengeReceived(name: string, instruction: string, _lang: string, prompts: readonly { readonly prompt: string; readonly echo: boolean }[]): string[] {
            challenge = { name, instruction, prompts };
            return ['sesame'];
          }
        })(),
    });
    expect((await conn.run('x')).stdout).toBe('carol pty=true cmd= ran=x\n');
    expect(challenge).toEqual({ name: '', instruction: '', prompts: [{ prompt: 'Password:', echo: false }] });
    expect(methods).toEqual(['password carol']);
    await expect(connect({ host: '127.0.0.1', port, username: 'carol', password: 'wrong', ...opts, ...kbdintOnly })).rejects.toBeInstanceOf(PermissionDenied);
    await using viaPassword = await connect({ host: '127.0.0.1', port, username: 'dave', password: 'sesame', ...opts, ...kbdintOnly });
    expect((await viaPassword.run('x')).stdout).toBe('dave pty=true cmd= ran=x\n');
    acceptor.close();
  });

  it('offers no keyboard-interactive when the server says so, or when it takes no passwords', async () => {
    const refusing = await server(() => new ExplicitlyNone());
    await expect(connect({ host: '127.0.0.1', port: refusing.getPort(), username: 'carol', password: 'sesame', ...opts, ...kbdintOnly })).rejects.toBeInstanceOf(PermissionDenied);
    refusing.close();
    const keysOnly = await server(() => new SSHServer(), { authorizedClientKeys: line(alice) });
    await expect(connect({ host: '127.0.0.1', port: keysOnly.getPort(), username: 'carol', password: 'sesame', ...opts, ...kbdintOnly })).rejects.toBeInstanceOf(PermissionDenied);
    keysOnly.close();
  });
});
