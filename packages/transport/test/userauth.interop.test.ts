/**
 * User authentication against real peers: our client logs in to OpenSSH sshd and to an AsyncSSH
 * server; OpenSSH ssh and an AsyncSSH client log in to our server. No connection layer exists yet,
 * so a successful login ends right after USERAUTH_SUCCESS.
 */
import { SSHKeyPair, generatePrivateKey, importCertificate, importPrivateKey, type SSHKey } from '@ssh/keys';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateKey,
  makeTempDir,
  removeTempDir,
  runAsyncsshClient,
  runSsh,
  signCertificate,
  startAsyncsshServer,
  startSshd,
  type AsyncsshServer,
  type KeyPair,
  type SshdServer,
  type SshTarget,
} from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDenied } from '../src/index.ts';
import { authenticate, startAuthServer, type AuthServer } from './userauth-peer.ts';

const privateOf = (kp: KeyPair): SSHKey => importPrivateKey(kp.privateKey);

describe('our client against OpenSSH sshd', () => {
  let sshd: SshdServer;
  let keys: Record<'ed25519' | 'ecdsa' | 'rsa' | 'stranger' | 'ca' | 'certified', KeyPair>;

  beforeAll(async () => {
    const [ed25519, ecdsa, rsa, stranger, ca, certified] = await Promise.all([
      generateKey('ed25519'),
      generateKey('ecdsa-p256'),
      generateKey('rsa'),
      generateKey('ed25519', { label: 'userauth-stranger' }),
      generateKey('ed25519', { label: 'userauth-ca' }),
      generateKey('ecdsa-p256', { label: 'userauth-certified' }),
    ]);
    keys = { ed25519, ecdsa, rsa, stranger, ca, certified };
    sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [ed25519, ecdsa, rsa], logLevel: 'DEBUG1', config: [`TrustedUserCAKeys ${ca.publicKeyPath}`] });
  }, 60_000);
  afterAll(async () => sshd?.stop());

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('publickey with an %s key (publickey-hostbound, as sshd announces it)', async (name) => {
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [privateOf(keys[name])] });
    expect(r.outcome).toEqual({ type: 'success', method: 'publickey' });
    const ext = r.transportEvents.find((e) => e.type === 'ext-info');
    expect(ext?.type === 'ext-info' && ext.extensions.has('publickey-hostbound@openssh.com')).toBe(true);
    await sshd.waitForLog(/Accepted publickey for /);
    await sshd.waitForLog(/method publickey-hostbound-v00@openssh.com/);
  });

  it('RSA signs with an rsa-sha2 algorithm from server-sig-algs', async () => {
    // queryFirst: sshd logs the algorithm of a query ("test pkalg"), not of a signed request
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [privateOf(keys.rsa)], hostbound: false, queryFirst: true });
    expect(r.outcome?.type).toBe('success');
    await sshd.waitForLog(/Accepted publickey for \S+ from [\d.]+ port \d+ ssh2: RSA SHA256/);
    await sshd.waitForLog(/pkalg rsa-sha2-256/);
  });

  it('an unknown key first, then the right one', async () => {
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [privateOf(keys.stranger), privateOf(keys.ecdsa)] });
    expect(r.outcome?.type).toBe('success');
  });

  it('a key sshd does not know: PermissionDenied', async () => {
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [privateOf(keys.stranger)] });
    expect(r.outcome?.type).toBe('failure');
    expect(r.outcome?.type === 'failure' && r.outcome.error).toBeInstanceOf(PermissionDenied);
  });

  it('a user certificate signed by a trusted CA', async () => {
    const cert = await signCertificate(keys.ca, keys.certified, { principals: [sshd.user] });
    const pair = new SSHKeyPair(privateOf(keys.certified), importCertificate(cert.line));
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [pair] });
    expect(r.outcome?.type).toBe('success');
    await sshd.waitForLog(/Accepted publickey for .* ECDSA-CERT/);
  });
});

describe('our client against sshd requiring two keys, with a banner', () => {
  let sshd: SshdServer;
  let dir: string;
  let first: KeyPair;
  let second: KeyPair;

  beforeAll(async () => {
    [first, second] = await Promise.all([generateKey('ed25519'), generateKey('ecdsa-p256')]);
    dir = await makeTempDir('userauth-banner');
    await writeFile(join(dir, 'banner'), 'Authorised use only\n');
    sshd = await startSshd({
      hostKeyTypes: ['ed25519'],
      authorizedKeys: [first, second],
      config: ['AuthenticationMethods publickey,publickey', `Banner ${join(dir, 'banner')}`],
    });
  }, 60_000);
  afterAll(async () => Promise.all([sshd?.stop(), dir === undefined ? undefined : removeTempDir(dir)]));

  it('partial success after the first key, success after the second, the banner first', async () => {
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [privateOf(first), privateOf(second)] });
    expect(r.events.map((e) => e.type)).toEqual(['banner', 'partial-success', 'success']);
    expect(r.events[0]).toMatchObject({ message: 'Authorised use only\n' });
    expect(r.events[1]).toMatchObject({ method: 'publickey', methods: ['publickey'] });
  });

  it('one key alone is not enough', async () => {
    const r = await authenticate(sshd.port, { username: sshd.user, keys: [privateOf(first)] });
    expect(r.events.map((e) => e.type)).toEqual(['banner', 'partial-success', 'failure']);
  });
});

describe('our client against an AsyncSSH server', () => {
  let server: AsyncsshServer;
  let kbdint: AsyncsshServer;
  let hostbased: AsyncsshServer;
  let key: KeyPair;
  let clientHost: KeyPair;

  beforeAll(async () => {
    [key, clientHost] = await Promise.all([generateKey('ed25519'), generateKey('ecdsa-p256', { label: 'userauth-client-host' })]);
    const hostbasedScript = [
      "open('known_client_hosts', 'w').write('client.example ' + params['hostKey'] + '\\n')",
      "server_options = dict(known_client_hosts='known_client_hosts', trust_client_host=True)",
    ].join('\n');
    const kbdintScript = [
      'class KbdintServer(asyncssh.SSHServer):',
      '    def begin_auth(self, username): return True',
      '    def kbdint_auth_supported(self): return True',
      "    def get_kbdint_challenge(self, username, lang, submethods): return ('Login', 'Two questions', 'en-US', [('Name: ', True), ('PIN: ', False)])",
      "    def validate_kbdint_response(self, username, responses): return list(responses) == [username, '1234']",
      'server_factory = KbdintServer',
    ].join('\n');
    [server, kbdint, hostbased] = await Promise.all([
      startAsyncsshServer({ hostKeyTypes: ['ed25519'], authorizedKeys: [key], passwords: { alice: 'wonderland' } }),
      startAsyncsshServer({ hostKeyTypes: ['ed25519'], authorizedKeys: [], script: kbdintScript }),
      startAsyncsshServer({ hostKeyTypes: ['ed25519'], authorizedKeys: [], script: hostbasedScript, params: { hostKey: clientHost.publicKey } }),
    ]);
  }, 60_000);
  afterAll(async () => Promise.all([server?.stop(), kbdint?.stop(), hostbased?.stop()]));

  it('hostbased, with a client host key from known_client_hosts', async () => {
    const identity = { key: privateOf(clientHost), clientHostName: 'client.example.', clientUserName: 'dora' };
    const ok = await authenticate(hostbased.port, { username: 'dora', hostBased: identity });
    expect(ok.outcome).toEqual({ type: 'success', method: 'hostbased' });
    // AsyncSSH's default validate_host_based_user wants the same name on both sides.
    const other = await authenticate(hostbased.port, { username: 'eve', hostBased: identity });
    expect(other.outcome?.type).toBe('failure');
  });

  it('publickey', async () => {
    const r = await authenticate(server.port, { username: 'alice', keys: [privateOf(key)] });
    expect(r.outcome).toEqual({ type: 'success', method: 'publickey' });
  });

  it('password, and a wrong one', async () => {
    const ok = await authenticate(server.port, { username: 'alice', password: 'wonderland', methods: ['password'] });
    expect(ok.outcome).toEqual({ type: 'success', method: 'password' });
    const bad = await authenticate(server.port, { username: 'alice', password: 'looking-glass', methods: ['password'] });
    expect(bad.outcome?.type).toBe('failure');
  });

  it("keyboard-interactive answered with the password (AsyncSSH's password-backed kbdint)", async () => {
    const r = await authenticate(server.port, { username: 'alice', password: 'wonderland', methods: ['keyboard-interactive'] });
    expect(r.outcome).toEqual({ type: 'success', method: 'keyboard-interactive' });
  });

  it('keyboard-interactive with a two-prompt challenge', async () => {
    const r = await authenticate(
      kbdint.port,
      { username: 'bob', kbdintAuthRequested: true, methods: ['keyboard-interactive'] },
      { 'kbdint-requested': () => '', 'kbdint-challenge': (e) => (e.name === 'Login' ? ['bob', '1234'] : null) },
    );
    expect(r.outcome).toEqual({ type: 'success', method: 'keyboard-interactive' });
    expect(r.events.find((e) => e.type === 'kbdint-challenge')).toMatchObject({ instruction: 'Two questions', prompts: [{ prompt: 'Name: ', echo: true }, { prompt: 'PIN: ', echo: false }] });
  });
});

describe('OpenSSH ssh and AsyncSSH against our server', () => {
  let ours: AuthServer;
  let target: SshTarget;
  let userKey: KeyPair;
  let userPublic: SSHKey;
  let ca: KeyPair;
  let caPublic: SSHKey;
  let clientHost: KeyPair;
  let clientHostPublic: SSHKey;
  const hostKey = generatePrivateKey('ssh-ed25519');

  beforeAll(async () => {
    [userKey, ca, clientHost] = await Promise.all([
      generateKey('ecdsa-p256'),
      generateKey('ed25519', { label: 'userauth-ca' }),
      generateKey('ecdsa-p256', { label: 'userauth-client-host' }),
    ]);
    userPublic = privateOf(userKey);
    caPublic = privateOf(ca);
    clientHostPublic = privateOf(clientHost);
    ours = await startAuthServer(
      [hostKey],
      { methods: ['publickey', 'keyboard-interactive', 'password', 'hostbased'] },
      {
        'validate-public-key': (e) => e.key.equals(userPublic),
        'validate-ca-key': (e) => e.caKey.equals(caPublic),
        'validate-host-public-key': (e) => e.key.equals(clientHostPublic) && e.clientHostName === 'client.example',
        'validate-host-based-user': (e) => e.username === 'zed' && e.clientUserName === 'zed',
        'validate-password': (e) => e.password === 'sesame',
        'kbdint-challenge-requested': () => ({ prompts: [{ prompt: 'Password: ', echo: false }] }),
        'validate-kbdint-response': (e) => e.responses[0] === 'sesame',
      },
    );
    target = { host: '127.0.0.1', port: ours.port, name: 'ours', hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey('openssh'))] };
  });
  afterAll(async () => ours?.close());

  const completed = () => ours.connections.at(-1)?.find((e) => e.type === 'auth-completed');

  it('ssh -i key (BatchMode) authenticates by publickey', async () => {
    const r = await runSsh(target, 'true', { identity: userKey, args: ['-v'], allowFailure: true });
    expect(r.stderr).toMatch(/Authenticated to .* using "publickey"/);
    expect(completed()).toMatchObject({ methods: ['publickey'] });
  });

  it('ssh with a user certificate (CertificateFile)', async () => {
    const certified = await generateKey('ed25519', { label: 'userauth-certified-ssh' });
    const cert = await signCertificate(ca, certified, { principals: ['zed'] });
    const r = await runSsh(target, 'true', { identity: certified, user: 'zed', config: [`CertificateFile ${cert.path}`], args: ['-v'], allowFailure: true });
    expect(r.stderr).toMatch(/Authenticated to .* using "publickey"/);
    const asked = (ours.connections.at(-1) ?? []).flatMap((e) => (e.type === 'validate-ca-key' ? [e.proven] : []));
    expect(asked).toEqual([false, true]);
    expect(completed()).toMatchObject({ username: 'zed', methods: ['publickey'] });
  });

  it('AsyncSSH logs in by hostbased', async () => {
    const options = `dict(client_host_keys=['${clientHost.privateKeyPath}'], client_host='client.example', client_username='zed', preferred_auth='hostbased')`;
    const r = await runAsyncsshClient("result = 'in'", { target, identity: null, username: 'zed', connectOptions: options, timeoutMs: 15_000 });
    expect(r.result).toBe('in');
    expect(completed()).toMatchObject({ username: 'zed', methods: ['hostbased'] });
  });

  it('ssh with a password', async () => {
    const r = await runSsh(target, 'true', { identity: null, password: 'sesame', args: ['-v', '-o', 'PreferredAuthentications=password'], allowFailure: true });
    expect(r.stderr).toMatch(/Authenticated to .* using "password"/);
  });

  it('ssh with keyboard-interactive', async () => {
    const r = await runSsh(target, 'true', {
      identity: null,
      password: 'sesame',
      config: ['KbdInteractiveAuthentication yes', 'PreferredAuthentications keyboard-interactive'],
      args: ['-v'],
      allowFailure: true,
    });
    expect(r.stderr).toMatch(/Authenticated to .* using "keyboard-interactive"/);
  });

  it('ssh with a key we refuse fails', async () => {
    const stranger = await generateKey('ed25519', { label: 'userauth-stranger' });
    const r = await runSsh(target, 'true', { identity: stranger, allowFailure: true });
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it.each([
    ['publickey', { identity: undefined as KeyPair | undefined }],
    ['password', { identity: null, password: 'sesame', connectOptions: "dict(preferred_auth='password')" }],
    ['keyboard-interactive', { identity: null, password: 'sesame', connectOptions: "dict(preferred_auth='keyboard-interactive')" }],
  ] as const)('AsyncSSH logs in by %s', async (method, options) => {
    const r = await runAsyncsshClient("result = 'in'", { target, ...options, identity: options.identity === undefined ? userKey : null, username: 'zed', timeoutMs: 15_000 });
    expect(r.result).toBe('in');
    expect(completed()).toMatchObject({ username: 'zed', methods: [method] });
  });
});
