/**
 * User authentication through the public API against real peers (issue 7): our client (connect
 * with clientKeys, certificates, clientHostKeys, passwords and SSHClient callbacks) against sshd
 * and an AsyncSSH server; OpenSSH ssh and an AsyncSSH client against our server (listen with
 * SSHServer callbacks and authorizedClientKeys). Banners and password changes included.
 */
import { lookupService } from 'node:dns/promises';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import {
  generateKey,
  knownHostsLines,
  makeTempDir,
  removeTempDir,
  runAsyncsshClient,
  runSsh,
  signCertificate,
  startAsyncsshServer,
  startHostbasedSshd,
  startSshd,
  type AsyncsshServer,
  type KeyPair,
  type SshdServer,
} from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PermissionDenied,
  SSHClient,
  SSHServer,
  connect,
  generatePrivateKey,
  importPublicKey,
  listen,
  type SSHAcceptor,
  type SSHClientConnectionOptions,
  type SSHKey,
  type SSHServerConnection,
  type SSHServerProcess,
} from '../src/index.ts';

type KbdintPromptInfo = Parameters<SSHClient['kbdintChallengeReceived']>[3][number];

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An SSHClient that records what the server said and answers challenges and password changes. */
class Recorder extends SSHClient {
  readonly banners: string[] = [];
  readonly challenges: { name: string; instructions: string; prompts: readonly KbdintPromptInfo[] }[] = [];
  readonly changePrompts: string[] = [];
  changed = false;
  changeFailed = false;
  private readonly answers: { kbdint?: (name: string) => string[] | null; change?: readonly [string, string] };
  constructor(answers: { kbdint?: (name: string) => string[] | null; change?: readonly [string, string] } = {}) {
    super();
    this.answers = answers;
  }
  override authBannerReceived(message: string): void {
    this.banners.push(message);
  }
  override kbdintChallengeReceived(name: string, instructions: string, _lang: string, prompts: readonly KbdintPromptInfo[]): string[] | null {
    this.challenges.push({ name, instructions, prompts });
    return this.answers.kbdint ? this.answers.kbdint(name) : null;
  }
  override passwordChangeRequested(prompt: string): readonly [string, string] | null {
    this.changePrompts.push(prompt);
    return this.answers.change ?? null;
  }
  override passwordChanged(): void {
    this.changed = true;
  }
  override passwordChangeFailed(): void {
    this.changeFailed = true;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('auth-interop');
});
afterAll(async () => {
  if (dir !== undefined) await removeTempDir(dir);
});

// ------------------------------------------------------------------------------ against sshd

describe('our client against OpenSSH sshd', () => {
  let sshd: SshdServer;
  let keys: Record<'ed25519' | 'ecdsa' | 'rsa' | 'stranger' | 'ca' | 'certified', KeyPair>;
  let knownHosts: Uint8Array;
  const base = (): SSHClientConnectionOptions => ({ host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, agentPath: null, config: null });

  beforeAll(async () => {
    const [ed25519, ecdsa, rsa, stranger, ca, certified] = await Promise.all([
      generateKey('ed25519', { label: 'auth-ed25519' }),
      generateKey('ecdsa-p384', { label: 'auth-ecdsa' }),
      generateKey('rsa', { label: 'auth-rsa' }),
      generateKey('ed25519', { label: 'auth-stranger' }),
      generateKey('ed25519', { label: 'auth-ca' }),
      generateKey('ecdsa-p256', { label: 'auth-certified' }),
    ]);
    keys = { ed25519, ecdsa, rsa, stranger, ca, certified };
    await writeFile(path.join(dir, 'sshd-banner'), 'Authorised use only\n');
    sshd = await startSshd({
      hostKeyTypes: ['ed25519'],
      authorizedKeys: [ed25519, ecdsa, rsa, `cert-authority ${ca.publicKey}`],
      config: [`Banner ${path.join(dir, 'sshd-banner')}`],
    });
    knownHosts = text(knownHostsLines(sshd).join('\n') + '\n');
  }, 60_000);
  afterAll(async () => sshd?.stop());

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('publickey with an %s key from clientKeys, and the banner first', async (name) => {
    const client = new Recorder();
    await using conn = await connect({ ...base(), clientKeys: [keys[name].privateKeyPath], clientFactory: () => client });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect(client.banners).toEqual(['Authorised use only\n']);
    expect((await conn.run('true')).exitStatus).toBe(0);
    await sshd.waitForLog(`Accepted publickey for ${sshd.user} from 127.0.0.1`);
  });

  it('a user certificate ({key, cert}) accepted by a cert-authority line', async () => {
    const cert = await signCertificate(keys.ca, keys.certified, { principals: [sshd.user], identity: 'auth-cert-id' });
    await using conn = await connect({ ...base(), clientKeys: [{ key: keys.certified.privateKeyPath, cert: cert.path }] });
    expect((await conn.run('true')).exitStatus).toBe(0);
    await sshd.waitForLog(/Accepted publickey for \S+ from .* ECDSA-CERT .* ID auth-cert-id/);
  });

  it('a certificate for another principal is refused', async () => {
    const cert = await signCertificate(keys.ca, keys.certified, { principals: ['someone-else'] });
    await expect(connect({ ...base(), clientKeys: [{ key: keys.certified.privateKeyPath, cert: cert.path }] })).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('a key sshd does not know: PermissionDenied', async () => {
    await expect(connect({ ...base(), clientKeys: [keys.stranger.privateKeyPath] })).rejects.toBeInstanceOf(PermissionDenied);
  });
});

describe('our client against sshd by hostbased authentication', () => {
  // sshd reads the client host's key from /etc/ssh/ssh_known_hosts and the trusted host/user
  // pair from ~/.shosts of the user (no option moves them): sshd runs in its own mount namespace
  // (unshare -m, as root) with a directory of ours bound over each, and the machine's stay as
  // they are.
  let sshd: SshdServer;
  let clientHost: KeyPair;

  beforeAll(async () => {
    clientHost = await generateKey('ecdsa-p256', { label: 'auth-client-host' });
    sshd = await startHostbasedSshd(dir, { knownHosts: [`client.example ${clientHost.publicKey}`], shostsHosts: ['client.example'] });
  }, 60_000);
  afterAll(async () => sshd?.stop());

  const options = (clientHostKeys: NonNullable<SSHClientConnectionOptions['clientHostKeys']>): SSHClientConnectionOptions => ({
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    knownHosts: text(knownHostsLines(sshd).join('\n') + '\n'),
    agentPath: null,
    config: null,
    clientKeys: null,
    clientHostKeys,
    clientHost: 'client.example',
    clientUsername: sshd.user,
  });

  it('logs in with clientHostKeys, clientHost and clientUsername', async () => {
    await using conn = await connect(options([clientHost.privateKeyPath]));
    expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
    expect((await conn.run('true')).exitStatus).toBe(0);
    await sshd.waitForLog(/Accepted hostbased for \S+ from 127\.0\.0\.1/);
  });

  it('each client host key is tried in turn: one sshd does not know, then the one it knows', async () => {
    await using conn = await connect(options([generatePrivateKey('ssh-ed25519'), clientHost.privateKeyPath]));
    expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
    await sshd.waitForLog(/Failed hostbased for \S+ from 127\.0\.0\.1 port \d+ ssh2: ED25519/);
  });

  it('a host key sshd does not know is refused', async () => {
    await expect(connect(options([generatePrivateKey('ssh-ed25519')]))).rejects.toBeInstanceOf(PermissionDenied);
  });
});

// --------------------------------------------------------------------- against AsyncSSH server

describe('our client against an AsyncSSH server', () => {
  let server: AsyncsshServer;
  let userKey: KeyPair;
  let ca: KeyPair;
  let certified: KeyPair;
  let clientHost: KeyPair;
  let knownHosts: Uint8Array;
  const base = (username: string): SSHClientConnectionOptions => ({
    host: server.host,
    port: server.port,
    username,
    knownHosts,
    agentPath: null,
    config: null,
    clientKeys: null,
  });

  beforeAll(async () => {
    [userKey, ca, certified, clientHost] = await Promise.all([
      generateKey('ed25519', { label: 'auth-as-user' }),
      generateKey('ed25519', { label: 'auth-ca' }),
      generateKey('ecdsa-p256', { label: 'auth-certified' }),
      generateKey('ecdsa-p256', { label: 'auth-client-host' }),
    ]);
    const script = [
      "open('known_client_hosts', 'w').write('client.example ' + params['clientHost'] + '\\n')",
      "open('ca_keys', 'w').write('cert-authority ' + params['ca'] + '\\n')",
      'class Server(asyncssh.SSHServer):',
      '    def connection_made(self, conn): self._conn = conn',
      '    def begin_auth(self, username):',
      "        self._conn.send_auth_banner('Hello ' + username + '\\n')",
      "        if username == 'certuser': self._conn.set_authorized_keys('ca_keys')",
      '        return True',
      '    def password_auth_supported(self): return True',
      '    def validate_password(self, username, password):',
      "        if username == 'changer' and password == 'old-secret': raise asyncssh.PasswordChangeRequired('Password expired')",
      "        return (username, password) in (('alice', 'wonderland'), ('changer', 'new-secret'))",
      '    def change_password(self, username, old_password, new_password):',
      "        return (username, old_password, new_password) == ('changer', 'old-secret', 'new-secret')",
      '    def kbdint_auth_supported(self): return True',
      '    def get_kbdint_challenge(self, username, lang, submethods):',
      "        return ('Login', 'Two questions', 'en-US', [('Name: ', True), ('PIN: ', False)])",
      "    def validate_kbdint_response(self, username, responses): return list(responses) == [username, '1234']",
      'server_factory = Server',
      "server_options = dict(known_client_hosts='known_client_hosts', trust_client_host=True)",
    ].join('\n');
    server = await startAsyncsshServer({
      hostKeyTypes: ['ed25519'],
      authorizedKeys: [userKey],
      script,
      params: { clientHost: clientHost.publicKey, ca: ca.publicKey },
    });
    knownHosts = text(knownHostsLines(server).join('\n') + '\n');
  }, 60_000);
  afterAll(async () => server?.stop());

  it('publickey, with the banner of begin_auth', async () => {
    const client = new Recorder();
    await using conn = await connect({ ...base('alice'), clientKeys: [userKey.privateKeyPath], clientFactory: () => client });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect(client.banners).toEqual(['Hello alice\n']);
    expect((await conn.run('echo in')).stdout).toBe('in\n');
  });

  it('a user certificate trusted through a cert-authority line', async () => {
    const cert = await signCertificate(ca, certified, { principals: ['certuser'] });
    await using conn = await connect({ ...base('certuser'), clientKeys: [{ key: certified.privateKeyPath, cert: cert.path }] });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('password, and a wrong one', async () => {
    await using conn = await connect({ ...base('alice'), password: 'wonderland', preferredAuth: 'password' });
    expect(conn.getExtraInfo('authMethod')).toBe('password');
    await expect(connect({ ...base('alice'), password: 'looking-glass', preferredAuth: 'password' })).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('password from passwordAuthRequested', async () => {
    class Asker extends SSHClient {
      asked = 0;
      override passwordAuthRequested(): string | null {
        return this.asked++ === 0 ? 'wonderland' : null;
      }
    }
    const client = new Asker();
    await using conn = await connect({ ...base('alice'), preferredAuth: ['password'], clientFactory: () => client });
    expect(conn.getExtraInfo('authMethod')).toBe('password');
    expect(client.asked).toBe(1);
  });

  it('password change: passwordChangeRequested gives the new one, passwordChanged follows', async () => {
    const client = new Recorder({ change: ['old-secret', 'new-secret'] });
    await using conn = await connect({ ...base('changer'), password: 'old-secret', preferredAuth: 'password', clientFactory: () => client });
    expect(conn.getExtraInfo('authMethod')).toBe('password');
    expect(client.changePrompts).toEqual(['Password expired']);
    expect(client.changed).toBe(true);
  });

  it('password change declined: PermissionDenied', async () => {
    const client = new Recorder();
    await expect(connect({ ...base('changer'), password: 'old-secret', preferredAuth: 'password', clientFactory: () => client })).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    expect(client.changePrompts).toEqual(['Password expired']);
  });

  it('password change refused by the server: passwordChangeFailed, PermissionDenied', async () => {
    const client = new Recorder({ change: ['old-secret', 'not-what-it-wants'] });
    await expect(connect({ ...base('changer'), password: 'old-secret', preferredAuth: 'password', clientFactory: () => client })).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    expect(client.changeFailed).toBe(true);
    expect(client.changed).toBe(false);
  });

  it('keyboard-interactive through kbdintChallengeReceived', async () => {
    const client = new Recorder({ kbdint: (name) => (name === 'Login' ? ['bob', '1234'] : null) });
    await using conn = await connect({ ...base('bob'), preferredAuth: 'keyboard-interactive', clientFactory: () => client });
    expect(conn.getExtraInfo('authMethod')).toBe('keyboard-interactive');
    expect(client.challenges).toEqual([
      {
        name: 'Login',
        instructions: 'Two questions',
        prompts: [
          { prompt: 'Name: ', echo: true },
          { prompt: 'PIN: ', echo: false },
        ],
      },
    ]);
  });

  it('keyboard-interactive with wrong answers: PermissionDenied', async () => {
    const client = new Recorder({ kbdint: () => ['bob', '0000'] });
    await expect(connect({ ...base('bob'), preferredAuth: 'keyboard-interactive', clientFactory: () => client })).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('hostbased with clientHostKeys, against known_client_hosts', async () => {
    await using conn = await connect({ ...base('dora'), clientHostKeys: [clientHost.privateKeyPath], clientHost: 'client.example', clientUsername: 'dora' });
    expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
    // AsyncSSH wants the same user name on both sides by default.
    await expect(
      connect({ ...base('eve'), clientHostKeys: [clientHost.privateKeyPath], clientHost: 'client.example', clientUsername: 'dora', preferredAuth: 'hostbased' }),
    ).rejects.toBeInstanceOf(PermissionDenied);
  });
});

// ------------------------------------------------------------------------- against our server

/** Our server's authentication callbacks: every method, one account per way in. */
class AuthServer extends SSHServer {
  static completed: { username: string; method: string | undefined }[] = [];
  static changes: [string, string, string][] = [];
  static hostKey: SSHKey;
  static caKey: SSHKey;
  static appKey: SSHKey;
  static keysignHostKeys: SSHKey[] = [];
  static clientHosts: string[] = [];
  /** What 127.0.0.1 resolves to here: the client host our server judges, whatever name is claimed. */
  static loopbackName = '';
  static validated: string[] = [];
  private conn: SSHServerConnection | undefined;
  private user = '';
  override connectionMade(conn: SSHServerConnection): void {
    this.conn = conn;
  }
  override beginAuth(username: string): boolean {
    this.user = username;
    return true;
  }
  override authCompleted(): void {
    AuthServer.completed.push({ username: this.user, method: this.conn?.getExtraInfo<string>('authMethod') });
  }
  override passwordAuthSupported(): boolean {
    return true;
  }
  override publicKeyAuthSupported(): boolean {
    return true;
  }
  override validatePublicKey(username: string, key: SSHKey): boolean {
    AuthServer.validated.push(`key ${username}`);
    return username === 'appuser' && key.equals(AuthServer.appKey);
  }
  override validateCaKey(username: string, key: SSHKey): boolean {
    AuthServer.validated.push(`ca ${username}`);
    return username === 'appcert' && key.equals(AuthServer.caKey);
  }
  override validatePassword(username: string, password: string): boolean | { changePrompt: string } {
    if (username === 'changer' && password === 'old-secret') return { changePrompt: 'Password expired' };
    if (username === 'expiring' && password === 'sesame') return { changePrompt: 'Password expired' };
    return (username === 'zed' && password === 'sesame') || (username === 'changer' && password === 'new-secret');
  }
  override changePassword(username: string, oldPassword: string, newPassword: string): boolean {
    AuthServer.changes.push([username, oldPassword, newPassword]);
    if (username === 'expiring') return oldPassword === 'sesame' && newPassword === 'sesame';
    return username === 'changer' && oldPassword === 'old-secret' && newPassword === 'new-secret';
  }
  override kbdintAuthSupported(): boolean {
    return true;
  }
  override getKbdintChallenge(): { name: string; instruction: string; prompts: { prompt: string; echo: boolean }[] } {
    return { name: 'Login', instruction: 'One question', prompts: [{ prompt: 'Code: ', echo: false }] };
  }
  override validateKbdintResponse(_username: string, responses: readonly string[]): boolean {
    return responses[0] === 'sesame';
  }
  override hostBasedAuthSupported(): boolean {
    return true;
  }
  override validateHostPublicKey(clientHost: string, _addr: string | undefined, _port: number | undefined, key: SSHKey): boolean {
    AuthServer.clientHosts.push(clientHost);
    return (clientHost === AuthServer.loopbackName && key.equals(AuthServer.hostKey)) || AuthServer.keysignHostKeys.some((k) => k.equals(key));
  }
}

describe('OpenSSH ssh and AsyncSSH clients against our server', () => {
  let acceptor: SSHAcceptor;
  let userKey: KeyPair;
  let ca: KeyPair;
  let clientHost: KeyPair;
  const hostKey = generatePrivateKey('ssh-ed25519');
  const target = () => ({ host: '127.0.0.1', port: acceptor.getPort(), name: 'ours', hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()] });
  const last = () => AuthServer.completed.at(-1);

  beforeAll(async () => {
    [userKey, ca, clientHost] = await Promise.all([
      generateKey('ecdsa-p256', { label: 'auth-ours-user' }),
      generateKey('ed25519', { label: 'auth-ca' }),
      generateKey('ecdsa-p256', { label: 'auth-client-host' }),
    ]);
    AuthServer.hostKey = importPublicKey(clientHost.publicKey);
    AuthServer.loopbackName = await lookupService('127.0.0.1', 22).then((r) => r.hostname, () => '127.0.0.1');
    AuthServer.caKey = importPublicKey(ca.publicKey);
    acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      authorizedClientKeys: `${userKey.publicKey}\ncert-authority,principals="zed,certuser" ${ca.publicKey}\n`,
      serverFactory: () => new AuthServer(),
      processFactory: (p: SSHServerProcess) => p.exit(0),
      banner: 'Welcome to ours\n',
    });
  });
  afterAll(async () => acceptor?.waitClosed());

  it('ssh: publickey, and the banner shown', async () => {
    const r = await runSsh(target(), 'true', { identity: userKey, user: 'zed', args: ['-v'] });
    expect(r.stderr).toMatch(/Authenticated to .* using "publickey"/);
    expect(r.stderr).toContain('Welcome to ours');
    expect(last()).toEqual({ username: 'zed', method: 'publickey' });
  });

  it('ssh: a user certificate trusted by a cert-authority line', async () => {
    const certified = await generateKey('ed25519', { label: 'auth-ours-certified' });
    const cert = await signCertificate(ca, certified, { principals: ['certuser'] });
    const r = await runSsh(target(), 'true', { identity: certified, user: 'certuser', config: [`CertificateFile ${cert.path}`], args: ['-v'] });
    expect(r.stderr).toMatch(/Authenticated to .* using "publickey"/);
    expect(r.stderr).toMatch(/Server accepts key: .*ED25519-CERT/);
    expect(last()).toEqual({ username: 'certuser', method: 'publickey' });
  });

  it('ssh: a key the application accepts in validatePublicKey (asked only once proven)', async () => {
    const appKey = await generateKey('ed25519', { label: 'auth-ours-app' });
    AuthServer.appKey = importPublicKey(appKey.publicKey);
    AuthServer.validated = [];
    const r = await runSsh(target(), 'true', { identity: appKey, user: 'appuser', args: ['-v'] });
    expect(r.stderr).toMatch(/Authenticated to .* using "publickey"/);
    expect(AuthServer.validated).toEqual(['key appuser']);
    expect(last()).toEqual({ username: 'appuser', method: 'publickey' });
    const refused = await runSsh(target(), 'true', { identity: appKey, user: 'other', allowFailure: true });
    expect(refused.stderr).toMatch(/Permission denied/);
  });

  it('ssh: a certificate whose CA the application accepts in validateCaKey', async () => {
    const certified = await generateKey('ed25519', { label: 'auth-ours-certified' });
    const cert = await signCertificate(ca, certified, { principals: ['appcert'] });
    AuthServer.validated = [];
    const r = await runSsh(target(), 'true', { identity: certified, user: 'appcert', config: [`CertificateFile ${cert.path}`], args: ['-v'] });
    expect(r.stderr).toMatch(/Authenticated to .* using "publickey"/);
    expect(AuthServer.validated).toEqual(['ca appcert']);
  });

  it('ssh: a certificate whose principal the line does not allow is refused', async () => {
    const certified = await generateKey('ed25519', { label: 'auth-ours-certified' });
    const cert = await signCertificate(ca, certified, { principals: ['mallory'] });
    const r = await runSsh(target(), 'true', { identity: certified, user: 'mallory', config: [`CertificateFile ${cert.path}`], allowFailure: true });
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it('ssh: password through validatePassword', async () => {
    const r = await runSsh(target(), 'true', { identity: null, user: 'zed', password: 'sesame', args: ['-v', '-o', 'PreferredAuthentications=password'] });
    expect(r.stderr).toMatch(/Authenticated to .* using "password"/);
    expect(last()).toEqual({ username: 'zed', method: 'password' });
  });

  it('ssh: a wrong password is refused', async () => {
    const r = await runSsh(target(), 'true', { identity: null, user: 'zed', password: 'wrong', args: ['-o', 'PreferredAuthentications=password'], allowFailure: true });
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it('ssh: password change through changePassword (askpass answers every prompt)', async () => {
    const r = await runSsh(target(), 'true', { identity: null, user: 'expiring', password: 'sesame', args: ['-v', '-o', 'PreferredAuthentications=password'] });
    expect(r.stderr).toMatch(/Authenticated to .* using "password"/);
    expect(AuthServer.changes.at(-1)).toEqual(['expiring', 'sesame', 'sesame']);
    expect(last()).toEqual({ username: 'expiring', method: 'password' });
  });

  it('ssh: hostbased, signed by ssh-keysign with the client host keys, through validateHostPublicKey', async () => {
    // ssh reads the client host's public keys, and ssh-keysign its config and private keys, at
    // fixed paths in /etc/ssh: ssh runs in its own mount namespace (unshare -m, as root; its
    // ssh-keysign inherits it) with a directory of ours bound over /etc/ssh.
    const etc = path.join(dir, 'keysign-etc');
    await mkdir(etc);
    await writeFile(path.join(etc, 'ssh_config'), 'EnableSSHKeysign yes\n');
    const hostKeys = await Promise.all((['ed25519', 'ecdsa-p256'] as const).map((t) => generateKey(t, { label: `auth-keysign-${t}` })));
    for (const [i, k] of hostKeys.entries()) {
      const file = path.join(etc, `ssh_host_${i === 0 ? 'ed25519' : 'ecdsa'}_key`);
      await copyFile(k.privateKeyPath, file);
      await chmod(file, 0o600);
      await writeFile(`${file}.pub`, `${k.publicKey}\n`);
    }
    AuthServer.keysignHostKeys = hostKeys.map((k) => importPublicKey(k.publicKey));
    AuthServer.clientHosts = [];
    try {
      const r = await runSsh(target(), 'true', {
        identity: null,
        user: userInfo().username,
        config: ['HostbasedAuthentication yes', 'EnableSSHKeysign yes', 'PreferredAuthentications hostbased'],
        args: ['-v'],
        launcher: ['unshare', '-m', 'sh', '-c', `mount --bind '${etc}' /etc/ssh && exec "$0" "$@"`],
      });
      expect(r.stderr).toMatch(/Authenticated to .* using "hostbased"/);
      expect(last()).toEqual({ username: userInfo().username, method: 'hostbased' });
      // The host judged is the reverse lookup of the client's address (ssh-keysign claims the
      // same name, with a trailing dot).
      expect(AuthServer.clientHosts.at(-1)).toBe(AuthServer.loopbackName);
    } finally {
      AuthServer.keysignHostKeys = [];
    }
  });

  it('ssh: keyboard-interactive through getKbdintChallenge', async () => {
    const r = await runSsh(target(), 'true', {
      identity: null,
      user: 'zed',
      password: 'sesame',
      config: ['KbdInteractiveAuthentication yes', 'PreferredAuthentications keyboard-interactive'],
      args: ['-v'],
    });
    expect(r.stderr).toMatch(/Authenticated to .* using "keyboard-interactive"/);
    expect(last()).toEqual({ username: 'zed', method: 'keyboard-interactive' });
  });

  const asyncssh = (snippet: string, params: Record<string, string>) =>
    runAsyncsshClient(snippet, { params: { port: acceptor.getPort(), ...params }, identity: null, timeoutMs: 20_000 }).then((r) => r.result as Record<string, unknown>);

  const CLIENT = [
    'class Client(asyncssh.SSHClient):',
    '    banner = None',
    '    changed = False',
    '    def auth_banner_received(self, msg, lang): Client.banner = msg',
    "    def password_change_requested(self, prompt, lang): return ('old-secret', 'new-secret')",
    '    def password_changed(self): Client.changed = True',
    '    def kbdint_auth_requested(self): return ""',
    "    def kbdint_challenge_received(self, name, instructions, lang, prompts): return ['sesame'] * len(prompts)",
    'async def login(username, **opts):',
    '    try:',
    "        conn, _ = await asyncssh.create_connection(Client, '127.0.0.1', params['port'], username=username, known_hosts=None,",
    '                                                   agent_path=None, **opts)',
    '        async with conn:',
    "            r = await conn.run('true')",
    "            return {'ok': r.exit_status == 0, 'banner': Client.banner, 'changed': Client.changed}",
    '    except asyncssh.PermissionDenied:',
    "        return {'ok': False, 'banner': Client.banner}",
  ].join('\n');

  it('AsyncSSH: publickey, with the banner', async () => {
    const r = await asyncssh(`${CLIENT}\nresult = await login('zed', client_keys=[params['key']])`, { key: userKey.privateKeyPath });
    expect(r).toMatchObject({ ok: true, banner: 'Welcome to ours\n' });
    expect(last()).toEqual({ username: 'zed', method: 'publickey' });
  });

  it('AsyncSSH: a user certificate', async () => {
    const certified = await generateKey('ecdsa-p256', { label: 'auth-ours-certified-as' });
    const cert = await signCertificate(ca, certified, { principals: ['certuser'] });
    const r = await asyncssh(`${CLIENT}\nresult = await login('certuser', client_keys=[(params['key'], params['cert'])])`, { key: certified.privateKeyPath, cert: cert.path });
    expect(r).toMatchObject({ ok: true });
    expect(last()).toEqual({ username: 'certuser', method: 'publickey' });
  });

  it('AsyncSSH: password, and a password change', async () => {
    const ok = await asyncssh(`${CLIENT}\nresult = await login('zed', client_keys=None, password='sesame', preferred_auth='password')`, {});
    expect(ok).toMatchObject({ ok: true });
    expect(last()).toEqual({ username: 'zed', method: 'password' });
    const changed = await asyncssh(`${CLIENT}\nresult = await login('changer', client_keys=None, password='old-secret', preferred_auth='password')`, {});
    expect(changed).toMatchObject({ ok: true, changed: true });
    expect(last()).toEqual({ username: 'changer', method: 'password' });
  });

  it('AsyncSSH: keyboard-interactive', async () => {
    const r = await asyncssh(`${CLIENT}\nresult = await login('zed', client_keys=None, preferred_auth='keyboard-interactive')`, {});
    expect(r).toMatchObject({ ok: true });
    expect(last()).toEqual({ username: 'zed', method: 'keyboard-interactive' });
  });

  it('AsyncSSH: hostbased through validateHostPublicKey, and an unknown host key refused', async () => {
    // The client claims client.example; the server judges the host its address resolves to.
    AuthServer.clientHosts = [];
    const snippet = `${CLIENT}\nresult = await login('zed', client_keys=None, client_host_keys=[params['hostKey']], client_host='client.example', client_username='zed', preferred_auth='hostbased')`;
    expect(await asyncssh(snippet, { hostKey: clientHost.privateKeyPath })).toMatchObject({ ok: true });
    expect(last()).toEqual({ username: 'zed', method: 'hostbased' });
    expect(AuthServer.clientHosts).toEqual([AuthServer.loopbackName]);
    const stranger = await generateKey('ecdsa-p256', { label: 'auth-stranger-host' });
    expect(await asyncssh(snippet, { hostKey: stranger.privateKeyPath })).toMatchObject({ ok: false });
  });

  it('our own client: password change through SSHServer.changePassword', async () => {
    const client = new Recorder({ change: ['old-secret', 'new-secret'] });
    await using conn = await connect({
      host: '127.0.0.1',
      port: acceptor.getPort(),
      username: 'changer',
      password: 'old-secret',
      preferredAuth: 'password',
      knownHosts: text(knownHostsLines(target()).join('\n') + '\n'),
      agentPath: null,
      config: null,
      clientKeys: null,
      clientFactory: () => client,
    });
    expect(conn.getExtraInfo('authMethod')).toBe('password');
    expect(client.changed).toBe(true);
    expect(client.banners).toEqual(['Welcome to ours\n']);
    expect(last()).toEqual({ username: 'changer', method: 'password' });
  });
});

