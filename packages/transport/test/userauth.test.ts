/** Our authentication client against our server, in memory: every method and the ways each fails. */
import { generateKeyPairSync } from 'node:crypto';
import { SSHKeyPair, generatePrivateKey, importPrivateKey, importPublicKey, type SSHKey } from '@ssh/keys';
import { softSecurityKey } from '@ssh/interop';
import { MSG, UserauthRequest } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { DisconnectError, PasswordChangeRequired, PermissionDenied, ProtocolError, chooseSigAlgorithm, type UserauthServerEvent } from '../src/index.ts';
import { authRun, clientOutcome, testHostKey, types } from './userauth-helpers.ts';

const ed = generatePrivateKey('ssh-ed25519');
const ecdsa = generatePrivateKey('ecdsa-sha2-nistp256');
const rsa = generatePrivateKey('ssh-rsa', { keySize: 2048 });
const other = generatePrivateKey('ssh-ed25519');

const trusts = (...keys: SSHKey[]) => ({
  'validate-public-key': (e: { key: SSHKey }) => keys.some((k) => k.equals(e.key)),
});

function requests(payloads: readonly Uint8Array[]): UserauthRequest[] {
  return payloads.filter((p) => p[0] === MSG.USERAUTH_REQUEST).map((p) => UserauthRequest.decode(p));
}

function serverEvent<T extends UserauthServerEvent['type']>(events: readonly UserauthServerEvent[], type: T): Extract<UserauthServerEvent, { type: T }>[] {
  return events.filter((e): e is Extract<UserauthServerEvent, { type: T }> => e.type === type);
}

describe('publickey', () => {
  it.each([
    ['ed25519', ed],
    ['ecdsa', ecdsa],
    ['rsa', rsa],
  ])('%s: sent signed at once, one request; the server checks the key once, proven', (_, key) => {
    const run = authRun({ client: { username: 'alice', keys: [key] }, serverHandlers: trusts(key) });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'publickey' });
    const reqs = requests(run.toServer).filter((r) => r.methodName === 'publickey');
    expect(reqs.map((r) => !(r.method instanceof Uint8Array) && r.method.type === 'publickey' && r.method.hasSignature)).toEqual([true]);
    expect(serverEvent(run.serverEvents, 'validate-public-key').map((e) => e.proven)).toEqual([true]);
    expect(serverEvent(run.serverEvents, 'auth-completed')).toEqual([{ type: 'auth-completed', username: 'alice', methods: ['publickey'] }]);
    expect(run.server.authenticated).toBe(true);
    expect(run.client.authenticated).toBe(true);
  });

  it.each([
    ['ed25519', ed],
    ['ecdsa', ecdsa],
    ['rsa', rsa],
  ])('%s with queryFirst: query first, then signed; the application hears of the key as proven only after the signature', (_, key) => {
    const run = authRun({ client: { username: 'alice', keys: [key], queryFirst: true }, serverHandlers: trusts(key) });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'publickey' });
    const reqs = requests(run.toServer).filter((r) => r.methodName === 'publickey');
    expect(reqs.map((r) => !(r.method instanceof Uint8Array) && r.method.type === 'publickey' && r.method.hasSignature)).toEqual([false, true]);
    expect(serverEvent(run.serverEvents, 'validate-public-key').map((e) => e.proven)).toEqual([false, true]);
    expect(serverEvent(run.serverEvents, 'auth-completed')).toEqual([{ type: 'auth-completed', username: 'alice', methods: ['publickey'] }]);
    expect(run.server.authenticated).toBe(true);
    expect(run.server.user).toBe('alice');
    expect(run.client.authenticated).toBe(true);
  });

  it('RSA signs with rsa-sha2-256 when the server lists it in server-sig-algs', () => {
    const run = authRun({ client: { username: 'u', keys: [rsa] }, serverHandlers: trusts(rsa) });
    const alg = requests(run.toServer).flatMap((r) => (r.method instanceof Uint8Array || r.method.type !== 'publickey' ? [] : [r.method.algorithm]));
    expect(alg).toEqual(['rsa-sha2-256']);
    const queried = authRun({ client: { username: 'u', keys: [rsa], queryFirst: true }, serverHandlers: trusts(rsa) });
    const algs = requests(queried.toServer).flatMap((r) => (r.method instanceof Uint8Array || r.method.type !== 'publickey' ? [] : [r.method.algorithm]));
    expect(algs).toEqual(['rsa-sha2-256', 'rsa-sha2-256']);
  });

  it('tries each key in turn, each signed', () => {
    const run = authRun({ client: { username: 'u', keys: [other, ecdsa] }, serverHandlers: trusts(ecdsa) });
    expect(clientOutcome(run)?.type).toBe('success');
    expect(serverEvent(run.serverEvents, 'validate-public-key').map((e) => [e.key.algorithm, e.proven])).toEqual([
      ['ssh-ed25519', true],
      ['ecdsa-sha2-nistp256', true],
    ]);
  });

  it('a key without its private half is skipped without a request', () => {
    const run = authRun({ client: { username: 'u', keys: [importPublic(ed) as unknown as SSHKey, ecdsa] }, serverHandlers: trusts(ed, ecdsa) });
    expect(clientOutcome(run)?.type).toBe('success');
    expect(serverEvent(run.serverEvents, 'validate-public-key').map((e) => e.key.algorithm)).toEqual(['ecdsa-sha2-nistp256']);
  });

  it('with queryFirst, tries each key in turn, the refused one without a signature', () => {
    const run = authRun({ client: { username: 'u', keys: [other, ecdsa], queryFirst: true }, serverHandlers: trusts(ecdsa) });
    expect(clientOutcome(run)?.type).toBe('success');
    expect(serverEvent(run.serverEvents, 'validate-public-key').map((e) => [e.key.algorithm, e.proven])).toEqual([
      ['ssh-ed25519', false],
      ['ecdsa-sha2-nistp256', false],
      ['ecdsa-sha2-nistp256', true],
    ]);
  });

  it('a wrong key ends in PermissionDenied and a disconnect', () => {
    const run = authRun({ client: { username: 'u', keys: [other] }, serverHandlers: trusts(ed) });
    const out = clientOutcome(run);
    expect(out?.type).toBe('failure');
    expect(out?.type === 'failure' && out.error).toBeInstanceOf(PermissionDenied);
    expect(run.clientTransport.isClosed).toBe(true);
    expect(run.serverTransportEvents.find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: true });
  });

  it('signatureAlgorithms: a server that refuses SHA-1 turns away ssh-rsa signatures', () => {
    const sha1 = authRun({
      client: { username: 'u', keys: [rsa] },
      clientExtra: [],
      server: { signatureAlgorithms: ['rsa-sha2-256', 'rsa-sha2-512'] },
      serverHandlers: trusts(rsa),
      mangleClient: (p) => (p[0] === MSG.USERAUTH_REQUEST ? forceSsha1(p) : p),
    });
    expect(clientOutcome(sha1)?.type).toBe('failure');
    expect(serverEvent(sha1.serverEvents, 'validate-public-key')).toEqual([]);
    const sha2 = authRun({ client: { username: 'u', keys: [rsa] }, server: { signatureAlgorithms: ['rsa-sha2-256'] }, serverHandlers: trusts(rsa) });
    expect(clientOutcome(sha2)?.type).toBe('success');
  });

  it('signatureAlgorithms: says why through onRefused when it turns away an algorithm the key has', () => {
    const notes: string[] = [];
    const sha1 = authRun({
      client: { username: 'u', keys: [rsa] },
      clientExtra: [],
      server: { signatureAlgorithms: ['rsa-sha2-256', 'rsa-sha2-512'], onRefused: (m) => notes.push(m) },
      serverHandlers: trusts(rsa),
      mangleClient: (p) => (p[0] === MSG.USERAUTH_REQUEST ? forceSsha1(p) : p),
    });
    expect(clientOutcome(sha1)?.type).toBe('failure');
    expect(notes.length).toBeGreaterThan(0);
    expect(notes[0]).toBe('publickey: signature algorithm ssh-rsa is not among the accepted signature algorithms (rsa-sha2-256,rsa-sha2-512)');
    notes.length = 0;
    const sha2 = authRun({ client: { username: 'u', keys: [rsa] }, server: { signatureAlgorithms: ['rsa-sha2-256'], onRefused: (m) => notes.push(m) }, serverHandlers: trusts(rsa) });
    expect(clientOutcome(sha2)?.type).toBe('success');
    expect(notes).toEqual([]);
  });

  it('a key held elsewhere signs through the sign event', () => {
    const run = authRun({
      client: { username: 'u', keys: [{ publicKey: importPublic(ed) }] },
      clientHandlers: { sign: (e) => ed.sign(e.data, e.algorithm) },
      serverHandlers: trusts(ed),
    });
    expect(types(run.clientEvents)).toEqual(['sign', 'success']);
  });

  it("a security key's proven request carries what its token attested; the application decides", () => {
    const token = softSecurityKey();
    const key = importPublicKey(token.publicLine);
    for (const flags of [0x00, 0x01, 0x05]) {
      const run = authRun({
        client: { username: 'u', keys: [{ publicKey: key }] },
        clientHandlers: { sign: (e) => token.sign(e.data, flags) },
        // Announced by default, or a client that follows server-sig-algs would not offer the key.
        serverHandlers: { 'validate-public-key': (e) => e.key.equals(key) && (!e.proven || e.skFlags === flags) },
      });
      expect(clientOutcome(run)?.type).toBe('success');
      // A key held elsewhere is queried first: the query attests nothing.
      expect(serverEvent(run.serverEvents, 'validate-public-key').map((e) => [e.proven, e.skFlags])).toEqual([
        [false, undefined],
        [true, flags],
      ]);
    }
    const plain = authRun({ client: { username: 'u', keys: [ed] }, serverHandlers: trusts(ed) });
    expect(serverEvent(plain.serverEvents, 'validate-public-key').map((e) => 'skFlags' in e)).toEqual([false]);
  });

  it('a refused signature skips the key', () => {
    const run = authRun({ client: { username: 'u', keys: [{ publicKey: importPublic(ed) }] }, serverHandlers: trusts(ed) });
    expect(types(run.clientEvents)).toEqual(['sign', 'failure']);
  });

  it('asks the application for more keys when publicKeyAuthRequested', () => {
    let asked = 0;
    const run = authRun({
      client: { username: 'u', publicKeyAuthRequested: true },
      clientHandlers: { 'public-key-requested': () => (asked++ === 0 ? ecdsa : null) },
      serverHandlers: trusts(ecdsa),
    });
    expect(clientOutcome(run)?.type).toBe('success');
  });

  it('user certificates: the server checks the certificate and asks about the CA', () => {
    const ca = generatePrivateKey('ssh-ed25519');
    const cert = ca.generateUserCertificate(ed, 'id', { principals: ['carol'] });
    const seen: string[] = [];
    const run = authRun({
      client: { username: 'carol', keys: [new SSHKeyPair(ed, cert)], queryFirst: true },
      serverHandlers: { 'validate-ca-key': (e) => (seen.push(e.certificate.keyId), e.caKey.equals(ca)) },
    });
    expect(clientOutcome(run)?.type).toBe('success');
    expect(seen).toEqual(['id', 'id']);
    const signed: string[] = [];
    const once = authRun({
      client: { username: 'carol', keys: [new SSHKeyPair(ed, cert)] },
      serverHandlers: { 'validate-ca-key': (e) => (signed.push(e.certificate.keyId), e.caKey.equals(ca)) },
    });
    expect(clientOutcome(once)?.type).toBe('success');
    expect(signed).toEqual(['id']);
    expect(serverEvent(run.serverEvents, 'validate-public-key')).toEqual([]);
  });

  it('an RSA certificate signs as rsa-sha2-256-cert-v01@openssh.com, also through an external signer', () => {
    const ca = generatePrivateKey('ecdsa-sha2-nistp256');
    const cert = ca.generateUserCertificate(rsa, 'rsa-id', { principals: ['carol'] });
    const signed: string[] = [];
    let asked = 0; // the key pair's query is refused, so the external key is offered and signs
    const run = authRun({
      client: { username: 'carol', keys: [new SSHKeyPair(rsa, cert), { publicKey: cert }] },
      clientHandlers: { sign: (e) => (signed.push(e.algorithm), rsa.sign(e.data, e.algorithm)) },
      serverHandlers: { 'validate-ca-key': (e) => e.caKey.equals(ca) && asked++ >= 1 },
    });
    expect(clientOutcome(run)?.type).toBe('success');
    const algs = requests(run.toServer).flatMap((r) => (r.method instanceof Uint8Array || r.method.type !== 'publickey' ? [] : [r.method.algorithm]));
    expect(new Set(algs)).toEqual(new Set(['rsa-sha2-256-cert-v01@openssh.com']));
    expect(signed).toEqual(['rsa-sha2-256']);
  });

  it('a certificate must name the user, unless the answer names other principals (principals=)', () => {
    const ca = generatePrivateKey('ssh-ed25519');
    const cert = ca.generateUserCertificate(ed, 'id', { principals: ['carol', 'ops'] });
    const login = (username: string, answer: boolean | { principals: string[] }) =>
      clientOutcome(authRun({ client: { username, keys: [new SSHKeyPair(ed, cert)] }, serverHandlers: { 'validate-ca-key': () => answer } }))?.type;
    expect(login('carol', true)).toBe('success');
    expect(login('mallory', true)).toBe('failure');
    expect(login('mallory', { principals: ['ops', 'dba'] })).toBe('success');
    expect(login('carol', { principals: ['dba'] })).toBe('failure');
    expect(login('carol', { principals: [] })).toBe('failure');
    expect(login('carol', false)).toBe('failure');
    // A certificate naming no one is valid for any user (AsyncSSH's rule), but matches no principals= list.
    const anyone = ca.generateUserCertificate(ed, 'id');
    const anyLogin = (answer: boolean | { principals: string[] }) =>
      clientOutcome(authRun({ client: { username: 'u', keys: [new SSHKeyPair(ed, anyone)] }, serverHandlers: { 'validate-ca-key': () => answer } }))?.type;
    expect(anyLogin(true)).toBe('success');
    expect(anyLogin({ principals: ['u'] })).toBe('failure');
  });

  it('publickey-hostbound when the server announces it; a foreign host key is refused', () => {
    const ext = { type: 'ext-info' as const, extensions: new Map([['publickey-hostbound@openssh.com', { type: 'publickey-hostbound@openssh.com' as const, version: '0' }]]) };
    const run = authRun({ client: { username: 'u', keys: [ed], queryFirst: true }, serverHandlers: trusts(ed), clientExtra: [ext] });
    expect(clientOutcome(run)?.type).toBe('success');
    const reqs = requests(run.toServer).filter((r) => r.methodName !== 'none');
    expect(reqs.map((r) => r.methodName)).toEqual(['publickey-hostbound-v00@openssh.com', 'publickey-hostbound-v00@openssh.com']);
    const signed = authRun({ client: { username: 'u', keys: [ed] }, serverHandlers: trusts(ed), clientExtra: [ext] });
    expect(clientOutcome(signed)?.type).toBe('success');
    const once = requests(signed.toServer).filter((r) => r.methodName !== 'none');
    expect(once.map((r) => [r.methodName, !(r.method instanceof Uint8Array) && r.method.type === 'publickey-hostbound-v00@openssh.com' && r.method.hostKey])).toEqual([
      ['publickey-hostbound-v00@openssh.com', testHostKey().publicData],
    ]);
    const m = reqs[0]?.method;
    expect(m && !(m instanceof Uint8Array) && m.type === 'publickey-hostbound-v00@openssh.com' && m.hostKey).toEqual(testHostKey().publicData);

    const refused = authRun({ client: { username: 'u', keys: [ed] }, server: { hostKeys: [other] }, serverHandlers: trusts(ed), clientExtra: [ext] });
    expect(clientOutcome(refused)?.type).toBe('failure');
  });
});

/** Rewrites a publickey query to offer ssh-rsa (SHA-1). */
function forceSsha1(p: Uint8Array): Uint8Array {
  const r = UserauthRequest.decode(p);
  const m = r.method;
  if (m instanceof Uint8Array || m.type !== 'publickey') return p;
  return UserauthRequest.encode({ ...r, method: { ...m, algorithm: 'ssh-rsa' } });
}

function importPublic(key: SSHKey): SSHKey {
  return importPublicKey(key.publicData);
}

describe('password', () => {
  const check = { 'validate-password': (e: { username: string; password: string }) => e.username === 'bob' && e.password === 'secret' };

  it('accepts the right password', () => {
    const run = authRun({ client: { username: 'bob', password: 'secret', methods: ['password'] }, serverHandlers: check });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'password' });
  });

  it('a wrong password ends in PermissionDenied', () => {
    const run = authRun({ client: { username: 'bob', password: 'nope', methods: ['password'] }, serverHandlers: check });
    expect(clientOutcome(run)?.type === 'failure' && clientOutcome(run)).toMatchObject({ error: expect.any(PermissionDenied) });
  });

  it('asks for passwords up to three times with passwordAuthRequested', () => {
    const answers = ['a', 'b', 'secret'];
    const run = authRun({
      client: { username: 'bob', passwordAuthRequested: true, methods: ['password'] },
      clientHandlers: { 'password-requested': () => answers.shift() ?? null },
      serverHandlers: check,
    });
    expect(types(run.clientEvents)).toEqual(['password-requested', 'password-requested', 'password-requested', 'success']);
  });

  it('password change: PASSWD_CHANGEREQ, the new password, then success', () => {
    const run = authRun({
      client: { username: 'bob', password: 'old', methods: ['password'] },
      clientHandlers: { 'password-change-requested': (e) => (e.prompt === 'expired' ? { oldPassword: 'old', newPassword: 'new' } : null) },
      serverHandlers: {
        'validate-password': () => ({ changePrompt: 'expired' }),
        'change-password': (e) => e.oldPassword === 'old' && e.newPassword === 'new',
      },
    });
    expect(types(run.clientEvents)).toEqual(['password-change-requested', 'password-changed', 'success']);
  });

  it('a PasswordChangeRequired error as the answer: its prompt and language reach the client, and it can ask again', () => {
    const prompts: string[] = [];
    const required = new PasswordChangeRequired('Password expired', 'en');
    expect(required).toBeInstanceOf(Error);
    expect([required.prompt, required.lang, required.changePrompt, required.languageTag, required.code]).toEqual(['Password expired', 'en', 'Password expired', 'en', 'SSH_ERR_PASSWORD_CHANGE_REQUIRED']);
    expect(new PasswordChangeRequired('x').lang).toBe('');
    const run = authRun({
      client: { username: 'bob', password: 'old', methods: ['password'] },
      clientHandlers: {
        'password-change-requested': (e) => {
          prompts.push(e.prompt);
          return prompts.length === 1 ? { oldPassword: 'old', newPassword: 'weak' } : { oldPassword: 'old', newPassword: 'strong' };
        },
      },
      serverHandlers: {
        'validate-password': () => required,
        'change-password': (e) => (e.newPassword === 'strong' ? true : new PasswordChangeRequired('Too weak, again')),
      },
    });
    expect(prompts).toEqual(['Password expired', 'Too weak, again']);
    expect(types(run.clientEvents)).toEqual(['password-change-requested', 'password-change-requested', 'password-changed', 'success']);
  });

  it('a refused change reports password-change-failed', () => {
    const run = authRun({
      client: { username: 'bob', password: 'old', methods: ['password'] },
      clientHandlers: { 'password-change-requested': () => ({ oldPassword: 'old', newPassword: 'weak' }) },
      serverHandlers: { 'validate-password': () => ({ changePrompt: 'expired' }), 'change-password': () => false },
    });
    expect(types(run.clientEvents)).toEqual(['password-change-requested', 'password-change-failed', 'failure']);
  });

  it('the server disconnects after maxAttempts failures', () => {
    const run = authRun({
      client: { username: 'bob', passwordAuthRequested: true, methods: ['password'] },
      clientHandlers: { 'password-requested': () => 'wrong' },
      server: { maxAttempts: 2 },
      serverHandlers: check,
    });
    const failure = serverEvent(run.serverEvents, 'failure')[0];
    expect(failure?.error).toBeInstanceOf(PermissionDenied);
    expect(serverEvent(run.serverEvents, 'validate-password')).toHaveLength(2);
    expect(run.clientTransportEvents.find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: true });
    // The client hears of it as its outcome, with the server's reason.
    const out = clientOutcome(run);
    expect(out?.type === 'failure' && out.error).toBeInstanceOf(PermissionDenied);
    expect(run.client.finished).toBe(true);
  });
});

describe('keyboard-interactive', () => {
  it('a two-prompt challenge answered by the application', () => {
    const run = authRun({
      client: { username: 'k', kbdintAuthRequested: true, methods: ['keyboard-interactive'] },
      clientHandlers: {
        'kbdint-requested': () => '',
        'kbdint-challenge': (e) => e.prompts.map((p) => (p.echo ? 'k' : 'pin')),
      },
      serverHandlers: {
        'kbdint-challenge-requested': () => ({ name: 'n', instruction: 'i', prompts: [{ prompt: 'User: ', echo: true }, { prompt: 'PIN: ', echo: false }] }),
        'validate-kbdint-response': (e) => e.responses.join(',') === 'k,pin',
      },
    });
    expect(types(run.clientEvents)).toEqual(['kbdint-requested', 'kbdint-challenge', 'success']);
    const challenge = run.clientEvents[1];
    expect(challenge).toMatchObject({ name: 'n', instruction: 'i', prompts: [{ prompt: 'User: ', echo: true }, { prompt: 'PIN: ', echo: false }] });
  });

  it('a lone password prompt is answered with the password option; several rounds work', () => {
    let round = 0;
    const run = authRun({
      client: { username: 'k', password: 'pw', methods: ['keyboard-interactive'] },
      clientHandlers: { 'kbdint-challenge': () => ['otp'] },
      serverHandlers: {
        'kbdint-challenge-requested': () => ({ prompts: [{ prompt: 'Password: ', echo: false }] }),
        'validate-kbdint-response': (e) =>
          round++ === 0 ? e.responses[0] === 'pw' && { prompts: [{ prompt: 'OTP: ', echo: true }] } : e.responses[0] === 'otp',
      },
    });
    expect(types(run.clientEvents)).toEqual(['kbdint-challenge', 'success']);
  });

  it('wrong answers fail; abandoning a challenge moves on to password', () => {
    const run = authRun({
      client: { username: 'k', password: 'pw', kbdintAuthRequested: true },
      clientHandlers: { 'kbdint-requested': () => '', 'kbdint-challenge': () => null },
      serverHandlers: {
        'kbdint-challenge-requested': () => ({ prompts: [{ prompt: 'Token: ', echo: false }] }),
        'validate-password': (e) => e.password === 'pw',
      },
    });
    expect(types(run.clientEvents)).toEqual(['kbdint-requested', 'kbdint-challenge', 'success']);
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'password' });
  });
});

describe('RSA keys under 1024 bits', () => {
  // sshd cannot even parse them ("parse key: Invalid key length", "invalid certificate signing
  // key"): the request fails before anyone is asked, whatever the application would answer.
  const small = importPrivateKey(generateKeyPairSync('rsa', { modulusLength: 768 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const trustAll = {
    'validate-public-key': () => true,
    'validate-ca-key': () => true,
    'validate-host-public-key': () => true,
    'validate-host-based-user': () => true,
  };

  it('a user key is refused', () => {
    const run = authRun({ client: { username: 'u', keys: [small], queryFirst: true }, serverHandlers: trustAll });
    expect(clientOutcome(run)?.type).toBe('failure');
    expect(serverEvent(run.serverEvents, 'validate-public-key')).toEqual([]);
  });

  it('a certificate signed by one, or certifying one, is refused', () => {
    const signedBySmall = small.generateUserCertificate(ed, 'id', { principals: ['u'] });
    const certifiesSmall = ed.generateUserCertificate(small, 'id', { principals: ['u'] });
    for (const pair of [new SSHKeyPair(ed, signedBySmall), new SSHKeyPair(small, certifiesSmall)]) {
      const run = authRun({ client: { username: 'u', keys: [pair] }, serverHandlers: trustAll });
      expect(clientOutcome(run)?.type).toBe('failure');
      expect(serverEvent(run.serverEvents, 'validate-ca-key')).toEqual([]);
    }
  });

  it('a client host key is refused', () => {
    const run = authRun({
      client: { username: 'h', hostBased: { key: small, clientHostName: 'client.example.', clientUserName: 'local' } },
      server: { methods: ['hostbased'] },
      serverHandlers: trustAll,
    });
    expect(clientOutcome(run)?.type).toBe('failure');
    expect(serverEvent(run.serverEvents, 'validate-host-public-key')).toEqual([]);
  });

  it('a 1024-bit key still gets in', () => {
    const least = importPrivateKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    expect(clientOutcome(authRun({ client: { username: 'u', keys: [least] }, serverHandlers: trustAll }))?.type).toBe('success');
  });
});

describe('hostbased', () => {
  it('verifies the client host signature, then asks about the host key and the user', () => {
    const hostKey = generatePrivateKey('ecdsa-sha2-nistp256');
    const run = authRun({
      client: { username: 'h', hostBased: { key: hostKey, clientHostName: 'client.example.', clientUserName: 'local' } },
      server: { methods: ['hostbased'] },
      serverHandlers: {
        'validate-host-public-key': (e) => e.key.equals(hostKey) && e.clientHostName === 'client.example.',
        'validate-host-based-user': (e) => e.username === 'h' && e.clientUserName === 'local',
      },
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'hostbased' });
  });

  it('a host certificate names the claimed host, or the host a { hostName } answer gives', () => {
    const ca = generatePrivateKey('ssh-ed25519');
    const hostKey = generatePrivateKey('ecdsa-sha2-nistp256');
    const cert = ca.generateHostCertificate(hostKey, 'client', { principals: ['client.example'] });
    const login = (claimed: string, answer: boolean | { hostName: string }) =>
      clientOutcome(
        authRun({
          client: { username: 'h', hostBased: { key: new SSHKeyPair(hostKey, cert), clientHostName: claimed, clientUserName: 'local' } },
          server: { methods: ['hostbased'] },
          serverHandlers: { 'validate-host-ca-key': (e) => (e.caKey.equals(ca) ? answer : false), 'validate-host-based-user': () => true },
        }),
      )?.type;
    expect(login('client.example.', true)).toBe('success');
    expect(login('other.example', true)).toBe('failure');
    // The server resolved the address itself: the claimed name no longer counts.
    expect(login('other.example', { hostName: 'Client.Example.' })).toBe('success');
    expect(login('client.example', { hostName: 'other.example' })).toBe('failure');
    expect(login('client.example', false)).toBe('failure');
  });

  it('a host key signed for elsewhere (ssh-keysign) is signed through a sign event', () => {
    const hostKey = generatePrivateKey('ecdsa-sha2-nistp256');
    const asked: { algorithm: string; data: Uint8Array }[] = [];
    const run = authRun({
      client: { username: 'h', hostBased: { key: { publicKey: hostKey.convertToPublic() }, clientHostName: 'client.example.', clientUserName: 'local' } },
      clientHandlers: {
        sign: (e) => {
          asked.push({ algorithm: e.algorithm, data: e.data });
          return hostKey.sign(e.data, e.algorithm);
        },
      },
      server: { methods: ['hostbased'] },
      serverHandlers: {
        'validate-host-public-key': (e) => e.key.equals(hostKey) && e.clientHostName === 'client.example.',
        'validate-host-based-user': () => true,
      },
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'hostbased' });
    expect(asked.map((a) => a.algorithm)).toEqual(['ecdsa-sha2-nistp256']);
    // What is signed is the whole hostbased request (RFC 4252 §9), as ssh-keysign checks it.
    const signed = asked[0]?.data ?? new Uint8Array();
    expect(signed[4 + (signed[3] ?? 0)]).toBe(MSG.USERAUTH_REQUEST);
  });

  it('a declined signature moves on to the next method', () => {
    const run = authRun({
      client: { username: 'h', password: 'pw', hostBased: { key: { publicKey: ed.convertToPublic() }, clientHostName: 'c.', clientUserName: 'l' } },
      clientHandlers: { sign: () => null },
      server: { methods: ['hostbased', 'password'] },
      serverHandlers: { 'validate-password': (e) => e.password === 'pw' },
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'password' });
    expect(requests(run.toServer).map((r) => r.methodName)).toEqual(['none', 'password']);
  });

  it('each host identity is tried in turn until the server accepts one', () => {
    const unknown = generatePrivateKey('ecdsa-sha2-nistp256');
    const known = generatePrivateKey('ssh-ed25519');
    const identity = (key: SSHKey | { publicKey: SSHKey }) => ({ key, clientHostName: 'client.example.', clientUserName: 'local' });
    const server = { methods: ['hostbased'] } as const;
    const serverHandlers = {
      'validate-host-public-key': (e: { key: SSHKey }) => e.key.equals(known),
      'validate-host-based-user': () => true,
    };
    const local = authRun({ client: { username: 'h', hostBased: [identity(unknown), identity(known)] }, server, serverHandlers });
    expect(clientOutcome(local)).toEqual({ type: 'success', method: 'hostbased' });
    expect(requests(local.toServer).map((r) => r.methodName)).toEqual(['none', 'hostbased', 'hostbased']);
    // Signed elsewhere (ssh-keysign): one sign event per key offered.
    const signedFor: string[] = [];
    const external = authRun({
      client: { username: 'h', hostBased: [identity({ publicKey: unknown.convertToPublic() }), identity({ publicKey: known.convertToPublic() })] },
      clientHandlers: {
        sign: (e) => {
          signedFor.push(e.publicKey.algorithm);
          return (e.publicKey.algorithm === 'ssh-ed25519' ? known : unknown).sign(e.data, e.algorithm);
        },
      },
      server,
      serverHandlers,
    });
    expect(clientOutcome(external)).toEqual({ type: 'success', method: 'hostbased' });
    expect(signedFor).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });

  it('a declined signature moves on to the next host identity', () => {
    const run = authRun({
      client: {
        username: 'h',
        hostBased: [
          { key: { publicKey: ecdsa.convertToPublic() }, clientHostName: 'c.', clientUserName: 'l' },
          { key: { publicKey: ed.convertToPublic() }, clientHostName: 'c.', clientUserName: 'l' },
        ],
      },
      clientHandlers: { sign: (e) => (e.publicKey.algorithm === 'ssh-ed25519' ? ed.sign(e.data, e.algorithm) : null) },
      server: { methods: ['hostbased'] },
      serverHandlers: { 'validate-host-public-key': () => true, 'validate-host-based-user': () => true },
    });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'hostbased' });
    expect(requests(run.toServer).map((r) => r.methodName)).toEqual(['none', 'hostbased']);
  });

  it('an untrusted client host fails', () => {
    const run = authRun({
      client: { username: 'h', hostBased: { key: ed, clientHostName: 'c', clientUserName: 'l' } },
      server: { methods: ['hostbased'] },
      serverHandlers: { 'validate-host-public-key': () => false },
    });
    expect(clientOutcome(run)?.type).toBe('failure');
    expect(serverEvent(run.serverEvents, 'validate-host-based-user')).toEqual([]);
  });
});

describe('the server side', () => {
  it('partial success when two methods are required', () => {
    const run = authRun({
      client: { username: 'p', keys: [ed], password: 'pw' },
      server: { authenticationMethods: [['publickey', 'password']] },
      serverHandlers: { ...trusts(ed), 'validate-password': (e) => e.password === 'pw' },
    });
    expect(types(run.clientEvents)).toEqual(['partial-success', 'success']);
    expect(run.clientEvents[0]).toMatchObject({ method: 'publickey', methods: ['password'] });
    expect(serverEvent(run.serverEvents, 'auth-completed')[0]?.methods).toEqual(['publickey', 'password']);
  });

  it('a method listed twice must succeed twice, publickey with another key each time (OpenSSH publickey,publickey)', () => {
    const server = { authenticationMethods: [['publickey', 'publickey']] as const } as const;
    const two = authRun({ client: { username: 'p', keys: [ed, ecdsa] }, server, serverHandlers: trusts(ed, ecdsa) });
    expect(types(two.clientEvents)).toEqual(['partial-success', 'success']);
    expect(serverEvent(two.serverEvents, 'auth-completed')[0]?.methods).toEqual(['publickey', 'publickey']);
    // One key, even offered twice, is one factor: sshd refuses a key already used.
    const one = authRun({ client: { username: 'p', keys: [ed, ed] }, server, serverHandlers: trusts(ed) });
    expect(serverEvent(one.serverEvents, 'auth-completed')).toEqual([]);
    expect(one.server.authenticated).toBe(false);
  });

  it('refused key queries count towards maxAttempts, as in OpenSSH', () => {
    const run = authRun({ client: { username: 'q', keys: [other, ecdsa, rsa, ed] }, server: { maxAttempts: 3 }, serverHandlers: trusts(ed) });
    expect(serverEvent(run.serverEvents, 'failure')[0]?.error).toBeInstanceOf(PermissionDenied);
    expect(serverEvent(run.serverEvents, 'validate-public-key')).toHaveLength(3);
    expect(run.server.authenticated).toBe(false);
  });

  it('a client looping on none is cut off', () => {
    const none = UserauthRequest.encode({ userName: 'n', serviceName: 'ssh-connection', methodName: 'none', method: { type: 'none' } });
    const run = authRun({ client: { username: 'n', keys: [ed] }, manual: true, server: { maxAttempts: 4 } });
    for (let i = 0; i < 10; i++) run.server.receive(none);
    const begin = run.serverEvents.find((e) => e.type === 'begin-auth');
    if (begin?.type === 'begin-auth') run.server.resolve(begin.id, true);
    run.pump();
    expect(serverEvent(run.serverEvents, 'failure')[0]?.error).toBeInstanceOf(PermissionDenied);
  });

  it('sends the banner before its first answer', () => {
    const run = authRun({ client: { username: 'b', keys: [ed] }, server: { banner: 'Welcome\n' }, serverHandlers: trusts(ed) });
    expect(run.clientEvents[0]).toEqual({ type: 'banner', message: 'Welcome\n', languageTag: '' });
  });

  it('begin-auth false lets the user in with none', () => {
    const run = authRun({ client: { username: 'guest' }, serverHandlers: { 'begin-auth': () => false } });
    expect(clientOutcome(run)).toEqual({ type: 'success', method: 'none' });
  });

  it('offers only its methods; a client with nothing they accept gets PermissionDenied', () => {
    const run = authRun({ client: { username: 'x', keys: [ed] }, server: { methods: ['password'] } });
    expect(clientOutcome(run)?.type).toBe('failure');
    expect(requests(run.toServer).map((r) => r.methodName)).toEqual(['none']);
  });

  it('an unknown method is a counted failure, not a crash', () => {
    const run = authRun({
      client: { username: 'x', password: 'pw', methods: ['password'] },
      mangleClient: (p) => (p[0] === MSG.USERAUTH_REQUEST && UserauthRequest.decode(p).methodName === 'password' ? unknownMethod() : p),
      serverHandlers: { 'validate-password': () => true },
    });
    expect(clientOutcome(run)?.type).toBe('failure');
    expect(serverEvent(run.serverEvents, 'validate-password')).toEqual([]);
  });

  it('answers resolve() for stale ids with nothing', () => {
    const run = authRun({ client: { username: 'x', keys: [ed] }, manual: true });
    const begin = run.serverEvents[0];
    expect(begin?.type).toBe('begin-auth');
    run.server.resolve(999, true);
    run.pump();
    expect(run.serverEvents).toHaveLength(1);
    if (begin?.type === 'begin-auth') run.server.resolve(begin.id, true);
    run.pump();
    expect(run.serverEvents[1]?.type).toBe('validate-public-key');
  });
});

function unknownMethod(): Uint8Array {
  return UserauthRequest.encode({ userName: 'x', serviceName: 'ssh-connection', methodName: 'telepathy', method: new Uint8Array([1, 2, 3]) } as UserauthRequest);
}

describe('hostile input becomes typed errors', () => {
  const truncate = (n: number) => (p: Uint8Array) => (p[0] === n ? p.subarray(0, p.length - 1) : p);

  it.each([
    ['USERAUTH_FAILURE', MSG.USERAUTH_FAILURE],
    ['USERAUTH_PK_OK', MSG.USERAUTH_PK_OK],
    ['USERAUTH_BANNER', MSG.USERAUTH_BANNER],
    ['SERVICE_ACCEPT', MSG.SERVICE_ACCEPT],
  ])('a truncated %s from the server: ProtocolError on the client', (_, n) => {
    const run = authRun({ client: { username: 'x', keys: [ed], queryFirst: true }, server: { banner: 'hi' }, serverHandlers: trusts(ed), mangleServer: truncate(n) });
    const out = clientOutcome(run);
    expect(out?.type === 'failure' && out.error).toBeInstanceOf(ProtocolError);
    expect(run.clientTransport.isClosed).toBe(true);
  });

  it.each([
    ['SERVICE_REQUEST', MSG.SERVICE_REQUEST],
    ['USERAUTH_REQUEST', MSG.USERAUTH_REQUEST],
    ['USERAUTH_INFO_RESPONSE', MSG.USERAUTH_INFO_RESPONSE],
  ])('a truncated %s from the client: ProtocolError on the server', (_, n) => {
    const run = authRun({
      client: { username: 'x', password: 'pw', methods: ['keyboard-interactive'] },
      serverHandlers: { 'kbdint-challenge-requested': () => ({ prompts: [{ prompt: 'Password:', echo: false }] }) },
      mangleClient: truncate(n),
    });
    const failure = serverEvent(run.serverEvents, 'failure')[0];
    expect(failure?.error).toBeInstanceOf(ProtocolError);
    expect(run.server.authenticated).toBe(false);
  });

  it('USERAUTH_SUCCESS with trailing bytes, PK_OK for another key, and stray 60s are protocol errors', () => {
    for (const mangle of [
      (p: Uint8Array) => (p[0] === MSG.USERAUTH_SUCCESS ? new Uint8Array([MSG.USERAUTH_SUCCESS, 0]) : p),
      (p: Uint8Array) => (p[0] === MSG.USERAUTH_PK_OK ? p.map((b, i) => (i === p.length - 1 ? b ^ 1 : b)) : p),
      (p: Uint8Array) => (p[0] === MSG.USERAUTH_FAILURE ? new Uint8Array([MSG.USERAUTH_INFO_REQUEST, 0, 0, 0, 0]) : p),
    ]) {
      const run = authRun({ client: { username: 'x', keys: [ed], queryFirst: true }, serverHandlers: trusts(ed), mangleServer: mangle });
      const out = clientOutcome(run);
      expect(out?.type === 'failure' && out.error).toBeInstanceOf(ProtocolError);
    }
  });

  it('the server refuses a connection message and a second service request before authentication', () => {
    for (const inject of [new Uint8Array([MSG.CHANNEL_OPEN, 0, 0, 0, 0]), new Uint8Array([MSG.SERVICE_REQUEST, 0, 0, 0, 0])]) {
      const run = authRun({
        client: { username: 'x', keys: [ed] },
        manual: true,
        mangleClient: (p) => (p[0] === MSG.USERAUTH_REQUEST ? inject : p),
      });
      const failure = serverEvent(run.serverEvents, 'failure')[0];
      expect(failure?.error).toBeInstanceOf(DisconnectError);
      expect(run.server.authenticated).toBe(false);
    }
  });

  it('authentication messages after success are ignored, not acted on', () => {
    const run = authRun({ client: { username: 'x', keys: [ed] }, serverHandlers: trusts(ed) });
    expect(run.client.receive(new Uint8Array([MSG.USERAUTH_SUCCESS]))).toBe(true);
    expect(run.client.receive(new Uint8Array([MSG.USERAUTH_FAILURE]))).toBe(true);
    expect(run.client.nextEvent()).toBeUndefined();
    expect(run.client.authenticated).toBe(true);
  });

  it('USERAUTH_SUCCESS before the service was accepted is a protocol error', () => {
    const run = authRun({ client: { username: 'x', keys: [ed] }, mangleServer: (p) => (p[0] === MSG.SERVICE_ACCEPT ? new Uint8Array([MSG.USERAUTH_SUCCESS]) : p) });
    const out = clientOutcome(run);
    expect(out?.type === 'failure' && out.error).toBeInstanceOf(ProtocolError);
    expect(run.client.authenticated).toBe(false);
  });
});

describe('a server that never stops asking', () => {
  it('endless empty keyboard-interactive rounds end in ProtocolError', () => {
    const run = authRun({
      client: { username: 'k', password: 'pw', methods: ['keyboard-interactive'] },
      serverHandlers: { 'kbdint-challenge-requested': () => ({ prompts: [] }), 'validate-kbdint-response': () => ({ prompts: [] }) },
    });
    const out = clientOutcome(run);
    expect(out?.type === 'failure' && out.error).toBeInstanceOf(ProtocolError);
  });
});

describe('chooseSigAlgorithm', () => {
  const rsaAlgs = ['rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa-sha224@ssh.com', 'ssh-rsa'];
  it('follows server-sig-algs, plain and for certificates', () => {
    expect(chooseSigAlgorithm('ssh-rsa', rsaAlgs, ['rsa-sha2-512', 'ssh-ed25519'])).toBe('rsa-sha2-512');
    expect(chooseSigAlgorithm('ssh-rsa', rsaAlgs, ['ssh-ed25519'])).toBeUndefined();
    const certAlgs = ['rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com'];
    expect(chooseSigAlgorithm('ssh-rsa-cert-v01@openssh.com', certAlgs, ['rsa-sha2-256'])).toBe('rsa-sha2-256-cert-v01@openssh.com');
  });
  it('without server-sig-algs uses the key type (ssh-rsa for RSA)', () => {
    expect(chooseSigAlgorithm('ssh-rsa', rsaAlgs, undefined)).toBe('ssh-rsa');
    expect(chooseSigAlgorithm('ssh-ed25519', ['ssh-ed25519'], undefined)).toBe('ssh-ed25519');
  });
});
