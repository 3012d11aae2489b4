import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  createSshsig,
  hashHostname,
  importAllowedSigners,
  importAuthorizedKeys,
  importKnownHosts,
  matchCidrList,
  matchHostAndIp,
  matchHostname,
  matchKnownHosts,
  matchPattern,
  matchPatternList,
  parseAuthorizedKeyLine,
  KeyImportError,
  SignatureError,
  validateSshsig,
  verifySshsigForPrincipal,
} from '../src/index.ts';
import { testKey } from './helpers/keys.ts';

const ed = testKey('ssh-ed25519');
const ec = testKey('ecdsa-sha2-nistp256');
const rsa = testKey('ssh-rsa');
const line = (k: typeof ed) => new TextDecoder().decode(k.convertToPublic().exportPublicKey()).trim();

describe('patterns (shared with @ssh/config through @ssh/wire)', () => {
  test('string first, then the pattern or list, as match.c orders them', () => {
    expect(matchPattern('a.b.example.com', '*.example.com')).toBe(true);
    expect(matchPattern('host12', 'host?')).toBe(false);
    expect(matchPatternList('bad.com', ['*.com', '!bad.com'])).toBe(-1);
    expect(matchPatternList('good.com', '*.com,!bad.com')).toBe(1);
    expect(matchHostname('GOOD.COM', ['*.com'])).toBe(1);
    expect(matchCidrList('10.1.2.3', '10.0.0.0/8')).toBe(1);
    expect(matchHostAndIp(undefined, '10.9.9.9', ['10.0.0.0/8', '!10.9.9.9'])).toBe(0);
  });
});

describe('known_hosts', () => {
  const text = [
    '# comment',
    `example.com,192.0.2.1 ${line(ed)}`,
    `*.example.org,!evil.example.org ${line(ec)}`,
    `[alt.example.com]:2222 ${line(rsa)}`,
    `${hashHostname('hashed.example.net')} ${line(ec)}`,
    `@cert-authority *.example.com ${line(rsa)}`,
    `@revoked * ${line(testKey('ssh-dss'))}`,
    'this line is garbage',
    `@bogus host ${line(ed)}`,
  ].join('\n');
  const kh = importKnownHosts(text);

  test('parses and skips bad lines', () => {
    expect(kh.entries).toHaveLength(6);
    expect(kh.skippedLines).toEqual([8, 9]);
  });

  test('matching by host, address, port, wildcard, negation, hash, markers', () => {
    const m = kh.match('example.com');
    expect(m.hostKeys.map((k) => k.algorithm)).toEqual(['ssh-ed25519']);
    expect(m.revokedKeys).toHaveLength(1);
    expect(kh.match('unknown', '192.0.2.1').hostKeys[0]?.equals(ed)).toBe(true);
    expect(kh.match('www.example.org').hostKeys[0]?.equals(ec)).toBe(true);
    expect(kh.match('evil.example.org').hostKeys).toHaveLength(0);
    expect(kh.match('alt.example.com', undefined, 2222).hostKeys[0]?.equals(rsa)).toBe(true);
    expect(kh.match('alt.example.com').hostKeys).toHaveLength(0);
    expect(kh.match('hashed.example.net').hostKeys[0]?.equals(ec)).toBe(true);
    expect(kh.match('HASHED.example.net').hostKeys).toHaveLength(0);
    expect(kh.match('a.example.com').caKeys[0]?.equals(rsa)).toBe(true);
    expect(matchKnownHosts(text, 'example.com', undefined, 22).hostKeys).toHaveLength(1);
  });

  test('hashed names with ports', () => {
    const h = importKnownHosts(`${hashHostname('h', 2200)} ${line(ed)}`);
    expect(h.match('h', undefined, 2200).hostKeys).toHaveLength(1);
    expect(h.match('h').hostKeys).toHaveLength(0);
  });

  test('fuzz: never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = importKnownHosts(`${s}\n${s} ${line(ed)}`);
        r.match(s, s, 22);
      }),
      { numRuns: 500 },
    );
  });
});

describe('authorized_keys', () => {
  test('every option, typed', () => {
    const e = parseAuthorizedKeyLine(
      `restrict,pty,command="echo \\"hi\\"",environment="A=1",environment="B=2",from="*.example.com,!bad.example.com,10.0.0.0/8",permitopen="host:80",permitopen="*:443",permitlisten="localhost:8080",expiry-time="20991231Z",tunnel="5",no-touch-required,verify-required ${line(ed)} the comment`,
    );
    const o = e.options;
    expect(o.restrict).toBe(true);
    expect(o.pty).toBe(true);
    expect(o.agentForwarding).toBe(false);
    expect(o.portForwarding).toBe(false);
    expect(o.x11Forwarding).toBe(false);
    expect(o.userRc).toBe(false);
    expect(o.command).toBe('echo "hi"');
    expect(o.environment).toEqual(['A=1', 'B=2']);
    expect(o.from).toEqual(['*.example.com', '!bad.example.com', '10.0.0.0/8']);
    expect(o.permitOpen).toEqual(['host:80', '*:443']);
    expect(o.permitListen).toEqual(['localhost:8080']);
    expect(o.expiryTime).toBe(BigInt(Date.UTC(2099, 11, 31) / 1000));
    expect(o.tunnel).toBe(5);
    expect(o.noTouchRequired && o.verifyRequired).toBe(true);
    expect(e.key?.getComment()).toBe('ssh-ed25519 test key the comment');
    const plain = parseAuthorizedKeyLine(`no-agent-forwarding,no-port-forwarding,no-pty,no-user-rc,no-X11-forwarding ${line(ec)}`).options;
    expect([plain.agentForwarding, plain.portForwarding, plain.pty, plain.userRc, plain.x11Forwarding]).toEqual([false, false, false, false, false]);
    const allow = parseAuthorizedKeyLine(`restrict,agent-forwarding,port-forwarding,user-rc,X11-forwarding ${line(ec)}`).options;
    expect([allow.agentForwarding, allow.portForwarding, allow.pty, allow.userRc, allow.x11Forwarding]).toEqual([true, true, false, true, true]);
  });

  test('the plain and no- forms of touch-required and verify-required; empty options; tunnel="any"', () => {
    const opts = (o: string) => parseAuthorizedKeyLine(`${o} ${line(ed)}`).options;
    expect(opts('no-touch-required,touch-required').noTouchRequired).toBe(false);
    expect(opts('touch-required,NO-touch-required').noTouchRequired).toBe(true);
    expect(opts('verify-required,no-verify-required').verifyRequired).toBe(false);
    expect(opts(',,no-pty,,').pty).toBe(false);
    expect(opts('tunnel="any"').tunnel).toBeUndefined();
    expect(opts('tunnel="2147483645"').tunnel).toBe(2147483645);
    expect(opts('expiry-time="20990101UTC"').expiryTime).toBe(opts('expiry-time="20990101Z"').expiryTime);
  });

  test('bad options are KeyImportError', () => {
    // expiry-time="20230231" (February 31) used to roll over into March; it names no day.
    for (const opts of ['bogus', 'command=unquoted', 'command="open', 'tunnel="x"', 'environment="A-B=2"', 'environment="=2"', 'command="a",command="a"', 'expiry-time="tomorrow"', 'expiry-time="20230231"', 'expiry-time="20230431Z"', 'pty="x"', 'from']) {
      expect(() => parseAuthorizedKeyLine(`${opts} ${line(ed)}`)).toThrow(KeyImportError);
    }
  });

  test('permitopen= / permitlisten= hold one host:port each, 4,097 at most; 300,000 of them are refused quickly', () => {
    const o = parseAuthorizedKeyLine(`permitopen="h:1",permitopen="[::1]:*",permitlisten="8080",permitlisten="*:22" ${line(ed)}`).options;
    expect(o.permitOpen).toEqual(['h:1', '[::1]:*']);
    expect(o.permitListen).toEqual(['8080', '*:22']);
    expect(parseAuthorizedKeyLine(`${Array(4097).fill('permitopen="h:1"').join(',')} ${line(ed)}`).options.permitOpen).toHaveLength(4097);
    const start = performance.now();
    expect(() => parseAuthorizedKeyLine(`${Array(300_000).fill('permitopen="h:1"').join(',')} ${line(ed)}`)).toThrow(KeyImportError);
    expect(() => parseAuthorizedKeyLine(`permitopen="${'h:1,'.repeat(299_999)}h:1" ${line(ed)}`)).toThrow(KeyImportError);
    expect(performance.now() - start).toBeLessThan(5000);
  });

  test('40,000 environment= options are read in linear time, the first of each name kept', () => {
    const start = performance.now();
    const env = parseAuthorizedKeyLine(`${Array.from({ length: 40_000 }, (_, i) => `environment="V${i % 20_000}=${i}"`).join(',')} ${line(ed)}`).options.environment;
    expect(performance.now() - start).toBeLessThan(3000);
    expect(env).toHaveLength(20_000);
    expect(env[19_999]).toBe('V19999=19999');
  });

  test('validate: from, expiry, cert-authority principals', () => {
    const ak = importAuthorizedKeys(
      [
        `from="10.0.0.0/8" ${line(ed)}`,
        `expiry-time="20000101" ${line(ec)}`,
        `cert-authority,principals="alice,bob" ${line(rsa)}`,
        'junk',
      ].join('\n'),
    );
    expect(ak.skippedLines).toEqual([4]);
    expect(ak.validate(ed, { clientAddr: '10.1.1.1' })).toBeDefined();
    expect(ak.validate(ed, { clientAddr: '11.1.1.1' })).toBeUndefined();
    expect(ak.validate(ec)).toBeUndefined();
    expect(ak.validate(rsa)).toBeUndefined();
    expect(ak.validate(rsa, { certPrincipals: ['bob'] }, true)?.principals).toEqual(['alice', 'bob']);
    expect(ak.validate(rsa, { certPrincipals: ['eve'] }, true)).toBeUndefined();
  });

  test('validate: a certificate naming no one passes a cert-authority line only without principals= (sshd, AsyncSSH)', () => {
    const open = importAuthorizedKeys(`cert-authority ${line(rsa)}`);
    const listed = importAuthorizedKeys(`cert-authority,principals="alice" ${line(rsa)}`);
    expect(open.validate(rsa, { user: 'alice', certPrincipals: [] }, true)).toBeDefined();
    expect(open.validate(rsa, { certPrincipals: [] }, true)).toBeDefined();
    expect(listed.validate(rsa, { user: 'alice', certPrincipals: [] }, true)).toBeUndefined();
    // A certificate that names anyone must still name the user (or, with principals=, one listed).
    expect(open.validate(rsa, { user: 'alice', certPrincipals: ['bob'] }, true)).toBeUndefined();
    expect(open.validate(rsa, { certPrincipals: ['bob'] }, true)).toBeUndefined();
    expect(open.validate(rsa, { user: 'alice', certPrincipals: ['bob', 'alice'] }, true)).toBeDefined();
    expect(listed.validate(rsa, { user: 'bob', certPrincipals: ['alice'] }, true)).toBeDefined();
  });

  test('principals= counts names up to its first empty entry, as sshd\'s match_list reads it', () => {
    const principals = (value: string) => importAuthorizedKeys(`cert-authority,principals="${value}" ${line(rsa)}`).entries[0]?.options.principals;
    expect(principals('a,b')).toEqual(['a', 'b']);
    expect(principals('a,,b')).toEqual(['a']);
    expect(principals(',b')).toEqual([]);
    expect(principals('')).toEqual([]);
    expect(importAuthorizedKeys(`cert-authority,principals="" ${line(rsa)}`).validate(rsa, { certPrincipals: [''] }, true)).toBeUndefined();
  });

  test('from= as sshd reads it: unknown address, negation, names, a bad mask', () => {
    const only = (from: string) => importAuthorizedKeys(`from="${from}" ${line(ed)}`);
    expect(only('10.0.0.0/8').validate(ed)).toBeUndefined();
    expect(only('10.0.0.0/8,!10.9.9.9').validate(ed, { clientAddr: '10.9.9.9' })).toBeUndefined();
    expect(only('10.0.0.0/8,!10.9.9.9').validate(ed, { clientAddr: '10.9.9.8' })).toBeDefined();
    expect(only('*.example.com').validate(ed, { clientAddr: '192.0.2.1', clientHost: 'A.Example.com' })).toBeDefined();
    expect(only('*.example.com,!bad.example.com').validate(ed, { clientAddr: '192.0.2.1', clientHost: 'bad.example.com' })).toBeUndefined();
    expect(only('192.0.2.*').validate(ed, { clientAddr: '192.0.2.1' })).toBeDefined();
    // A mask with host bits set invalidates the line, even where another entry would match.
    expect(only('*,10.0.0.1/8').validate(ed, { clientAddr: '192.0.2.1' })).toBeUndefined();
  });
});

describe('allowed_signers', () => {
  const ca = testKey('ssh-ed448');
  const signers = importAllowedSigners(
    [
      `alice@example.com,*@admins.example.com ${line(ed)}`,
      `bob@example.com namespaces="git,file",valid-before="20991231Z" ${line(ec)}`,
      `*@example.com cert-authority,namespaces="file" ${line(ca)}`,
      `carol@example.com valid-after="20990101" ${line(rsa)}`,
    ].join('\n'),
  );

  test('direct keys, namespaces, validity', () => {
    expect(verifySshsigForPrincipal(signers, createSshsig(ed, 'm', 'any'), 'm', 'any', 'x@admins.example.com').publicKey.equals(ed)).toBe(true);
    expect(() => verifySshsigForPrincipal(signers, createSshsig(ed, 'm', 'any'), 'm', 'any', 'bob@example.com')).toThrow(SignatureError);
    expect(verifySshsigForPrincipal(signers, createSshsig(ec, 'm', 'git'), 'm', 'git', 'bob@example.com')).toBeDefined();
    expect(() => verifySshsigForPrincipal(signers, createSshsig(ec, 'm', 'mail'), 'm', 'mail', 'bob@example.com')).toThrow(SignatureError);
    expect(() => verifySshsigForPrincipal(signers, createSshsig(rsa, 'm', 'n'), 'm', 'n', 'carol@example.com')).toThrow(SignatureError);
    expect(signers.findPrincipals(ed)).toEqual(['alice@example.com', '*@admins.example.com']);
  });

  test('certificates through cert-authority', () => {
    const cert = ca.generateUserCertificate(ec, 'dave', { principals: ['dave@example.com'] });
    const sig = validateSshsig(createSshsig(ec, 'm', 'file', { certificate: cert }), 'm', 'file');
    expect(signers.allows(sig, 'dave@example.com')).toBe(true);
    expect(signers.allows(sig, 'erin@example.com')).toBe(false);
    const gitSig = validateSshsig(createSshsig(ec, 'm', 'git', { certificate: cert }), 'm', 'git');
    expect(signers.allows(gitSig, 'dave@example.com')).toBe(false);
  });
});

describe('X.509 entries (AsyncSSH / PKIX-SSH syntax)', () => {
  const root = testKey('ecdsa-sha2-nistp256');
  const rootCert = root.generateX509CaCertificate(root, 'CN=Root,O=Example');
  const hostCert = root.generateX509HostCertificate(ed, 'CN=host.example,O=Example', { issuerCert: rootCert });
  const b64 = (c: typeof rootCert) => Buffer.from(c.data).toString('base64');

  test('known_hosts: certificates, roots, subjects, revocation', () => {
    const kh = importKnownHosts(
      [
        `host.example x509v3-ssh-ed25519 ${b64(hostCert)} pinned`,
        `@cert-authority *.example x509v3-ecdsa-sha2-nistp256 ${b64(rootCert)}`,
        `*.example x509v3-ssh-ed25519 Subject:CN=host.example,O=Example`,
        `@revoked bad.example x509v3-ssh-rsa Subject:CN=bad.example,*`,
        `broken.example x509v3-ssh-rsa ${b64(hostCert)}`,
      ].join('\n'),
    );
    expect(kh.skippedLines).toEqual([5]);
    const m = kh.match('host.example');
    expect(m.x509Certs.map((c) => c.subjectName)).toEqual(['CN=host.example,O=Example', 'CN=Root,O=Example']);
    expect(m.x509Subjects).toEqual(['CN=host.example,O=Example']);
    expect(m.hostKeys).toHaveLength(0);
    expect(kh.match('bad.example').revokedX509Subjects).toEqual(['CN=bad.example,*']);
    expect(kh.entries[0]?.key?.equals(ed)).toBe(true);
  });

  test('authorized_keys: certificate and subject lines, cert-authority roots', () => {
    const userCert = root.generateX509UserCertificate(ec, 'CN=alice,O=Example', { issuerCert: rootCert });
    const ak = importAuthorizedKeys(
      [
        `cert-authority,from="10.0.0.0/8" x509v3-ecdsa-sha2-nistp256 ${b64(rootCert)}`,
        `command="id" x509v3-ecdsa-sha2-nistp256 Subject:CN=alice,*`,
      ].join('\n'),
    );
    expect(ak.skippedLines).toEqual([]);
    expect(ak.validateX509(userCert)?.command).toBe('id');
    expect(ak.validateX509(hostCert)).toBeUndefined();
    expect(ak.x509Roots({ clientAddr: '10.1.1.1' })).toHaveLength(1);
    expect(ak.x509Roots({ clientAddr: '192.0.2.1' })).toHaveLength(0);
    expect(ak.validate(ec)).toBeUndefined();
  });

  test("subject lines in AsyncSSH's other spellings: subject=, DN:, Distinguished Name=, any case", () => {
    const userCert = root.generateX509UserCertificate(ec, 'CN=alice,O=Example', { issuerCert: rootCert });
    for (const prefix of ['subject=', 'Subject: ', 'DN:', 'dn=', 'Distinguished Name=', 'distinguished-name:', 'DistinguishedName=', 'Subject ']) {
      const ak = importAuthorizedKeys(`x509v3-ecdsa-sha2-nistp256 ${prefix}CN=alice,O=Example`);
      expect(ak.skippedLines, prefix).toEqual([]);
      expect(ak.validateX509(userCert), prefix).toBeDefined();
    }
    // Not a subject: a certificate's base64 (it starts MI), refused when it is not one.
    expect(importAuthorizedKeys('x509v3-ecdsa-sha2-nistp256 Issuer=CN=alice').skippedLines).toEqual([1]);
    expect(importAuthorizedKeys('x509v3-ecdsa-sha2-nistp256 subject=').skippedLines).toEqual([1]);
  });
});
