/**
 * Hand-written sshd_config cases compared with `sshd -T -f <file> -C ...` one by one, for what
 * the generated corpus of server-openssh.interop.test.ts does not reach. Each case is refused by
 * both sides (ours with a ConfigParseError) or prints the same values for the keywords it names.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigParseError, SERVER_KEYWORDS, parseServerConfig, resolveServerConfig, type ResolvedServerConfig, type ServerConnection } from '../src/index.ts';
import { nodeEnvironment } from '../src/node/index.ts';
import { ALGORITHM_LIST_CASES, runDump, writeCaseFiles, type DumpResult } from './helpers/openssh.ts';

const SSHD = '/usr/sbin/sshd';

interface Case {
  /** Files by name relative to the case directory; the first is given to -f. `$D` is the case directory. */
  readonly files: Readonly<Record<string, string>>;
  readonly conn?: ServerConnection;
  /** Keywords (lowercase, as sshd -T prints them) whose values must agree. */
  readonly keys?: readonly string[];
}

let root = '';
let hostKey = '';
let baseline: DumpResult | undefined;
const procEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const CONN: ServerConnection = { user: 'root', host: 'client.example.com', address: '10.1.2.3', localAddress: '10.9.9.9', localPort: 22 };

function spec(c: ServerConnection): string {
  return `user=${c.user ?? ''},host=${c.host ?? ''},addr=${c.address ?? ''},laddr=${c.localAddress ?? ''},lport=${c.localPort ?? ''}`;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sshd-parity-'));
  hostKey = join(root, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', hostKey], { timeout: 10_000 });
  // sshd -T insists on its privilege separation directory.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  writeFileSync(join(root, 'empty'), '');
  baseline = await runDump(SSHD, ['-T', '-f', join(root, 'empty'), '-h', hostKey, '-C', spec(CONN)], procEnv);
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Our value for a keyword the way sshd -T prints it; undefined when we hold no value (sshd prints its default). */
function printed(key: string, res: ResolvedServerConfig): string[] | undefined {
  const s = res.settings.get(key);
  if (!s) return undefined;
  const v = s.value;
  if (key === 'authorizedkeysfile' || key === 'authenticationmethods') return [(v as string[]).join(' ')];
  if (key === 'rekeylimit') {
    const x = v as { bytes: number; seconds?: number };
    return [`${x.bytes} ${x.seconds ?? 0}`];
  }
  if (key === 'subsystem') return (v as string[][]).map((line) => line.join(' '));
  if (key === 'maxstartups') {
    const m = v as { start: number; rate: number; full: number };
    return [`${m.start}:${m.rate}:${m.full}`];
  }
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'boolean') return [v ? 'yes' : 'no'];
  return [String(v)];
}

let seq = 0;
async function compare(c: Case): Promise<void> {
  const dir = join(root, `case${seq++}`);
  const main = writeCaseFiles(dir, c.files);
  const conn = c.conn ?? CONN;
  const dump = await runDump(SSHD, ['-T', '-f', main, '-h', hostKey, '-C', spec(conn)], procEnv);
  const env = nodeEnvironment({ env: procEnv });
  let res: ResolvedServerConfig | undefined;
  let err: unknown;
  try {
    const text = readFileSync(main, 'utf8');
    res = resolveServerConfig(parseServerConfig({ text, file: main, includeDir: dir }, env), conn, env);
  } catch (e) {
    err = e;
  }
  if (!dump.ok) {
    expect(err, `sshd refused: ${dump.stderr.trim()}`).toBeInstanceOf(ConfigParseError);
    return;
  }
  expect(err, 'sshd accepted').toBeUndefined();
  const got: Record<string, string[] | undefined> = {};
  const want: Record<string, string[] | undefined> = {};
  for (const key of c.keys ?? []) {
    got[key] = dump.lines.get(key);
    const ours = printed(key, res as ResolvedServerConfig);
    // sshd -T lists the -h host key before the configuration's.
    want[key] = ours === undefined ? baseline?.lines.get(key) : key === 'hostkey' ? [hostKey, ...ours] : ours;
  }
  expect(want).toEqual(got);
}

const one = (text: string, keys: readonly string[] = [], conn?: ServerConnection): Case => ({ files: { sshd_config: text }, keys, ...(conn ? { conn } : {}) });

describe('an empty file name is a missing one', () => {
  test.each(['HostKey', 'HostCertificate', 'HostDSAKey'])('%s ""', (k) => compare(one(`${k} ""\n`)));
});

describe('Include', () => {
  test('a directory among the matches reads as an empty file', () =>
    compare({
      files: { sshd_config: 'Include $D/conf.d/*\n', 'conf.d/a': 'Port 2201\n', 'conf.d/sub/b': 'PasswordAuthentication no\n', 'conf.d/z': 'PubkeyAuthentication no\n' },
      keys: ['port', 'passwordauthentication', 'pubkeyauthentication'],
    }));
});

describe('Include ~user', () => {
  // glob(3) reads ~user from the password database: an account whose home is /dev (Debian's sys)
  // reaches a file the test may write, in /dev/shm.
  test('is that account\'s home directory; an unknown account matches nothing', async () => {
    const account = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[5] === '/dev')?.[0];
    expect(account, 'an account whose home directory is /dev').toBeDefined();
    const shm = mkdtempSync('/dev/shm/sshd-parity-');
    try {
      writeFileSync(join(shm, 'inc'), 'Port 2346\n');
      await compare(one(`Include ~${account as string}/${shm.slice('/dev/'.length)}/inc\n`, ['port']));
      await compare(one('Include ~nosuchuser-parity/inc\nPort 2347\n', ['port']));
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });
});

describe('Match LocalPort takes what a2port takes', () => {
  test.each(['0', '22', '+22', '65535', '65536', '-1', 'x', '22x'])('%s', (p) =>
    compare(one(`Match LocalPort ${p}\n  PasswordAuthentication no\n`, ['passwordauthentication'])),
  );
});

describe('HostKey and HostCertificate expand ~ to the home directory', () => {
  test.each(['HostKey ~/host_key', 'HostKey ~', 'HostCertificate ~/host_key-cert.pub', 'HostKey /abs/key'])('%s', (line) =>
    compare(one(`${line}\n`, ['hostkey', 'hostcertificate'])),
  );
});

describe('~ and ~user in the file names sshd passes through tilde_expand', () => {
  // Another account than sshd's, from the password database sshd reads.
  const me = userInfo().username;
  const other = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')[0] ?? '').find((n) => n !== '' && n !== me) ?? 'root';
  const values = ['~', '~/', '~//k', `~${other}`, `~${other}/`, `~${other}//k/x`, `~${me}/k`, '~nosuchuser-parity/k'];
  for (const k of ['HostKey', 'HostCertificate', 'AuthorizedKeysFile']) {
    test.each(values)(`${k} %s`, (v) => compare(one(`${k} ${v}\n`, [k.toLowerCase()])));
  }
  // (HostKey and HostCertificate paths still relative after ~ are made absolute against sshd's
  // working directory, which the reader does not know: not compared.)
  test.each(['k/~', '%h/k', '.ssh/k'])('AuthorizedKeysFile %s', (v) => compare(one(`AuthorizedKeysFile ${v}\n`, ['authorizedkeysfile'])));
  test('AuthorizedKeysFile with several files', () => compare(one(`AuthorizedKeysFile ~/a ~${other}/b .ssh/c\n`, ['authorizedkeysfile'])));
  test('a HostKey line after one that names no such user', () => compare(one(`HostKey ~${other}/k\nHostKey ~nosuchuser-parity/k\n`, ['hostkey'])));
});

describe('Match blocks', () => {
  const criteria = [
    'User root',
    'User bob,root',
    'User !root,*',
    'User "bob,root"',
    'User=root',
    'USER root',
    'User root # c',
    'Group root',
    'Group !root,*',
    'Group nogroup,root',
    'Host *.EXAMPLE.com',
    'Host client.example.com,!client*',
    'Address 10.0.0.0/8',
    'Address !10.1.0.0/16,10.0.0.0/8',
    'Address 10.1.*',
    'Address 10.1.2.3/32',
    'Address 10.1.2.3/33',
    'Address 10.1.2.0/24,',
    'Address ,10.1.2.0/24',
    'Address 10.1.2.3,,10.0.0.0/8',
    'Address 10.1.2.3,!',
    'LocalAddress 10.9.9.9,',
    'Address 10.0.0.0/8, 1.2.3.4',
    'LocalAddress 10.9.0.0/16',
    'LocalAddress 10.9.9.9 LocalPort 22',
    'LocalPort 2222',
    'LocalPort 00022',
    'User root Address 192.168.0.0/16',
    'all',
    'All',
    'User root all',
    'all User root',
    'Bogus x',
    'User',
    '',
  ];
  test.each(criteria)('Match %s', (c) =>
    compare(one(`PasswordAuthentication yes\nMatch ${c}\n  PasswordAuthentication no\n  AuthorizedKeysFile /k/%u\n`, ['passwordauthentication', 'authorizedkeysfile'])),
  );
  test('a later Match does not override what an earlier one set; globals hold outside', () =>
    compare(
      one('PubkeyAuthentication no\nMatch User root\n  PasswordAuthentication no\nMatch all\n  PasswordAuthentication yes\n  KbdInteractiveAuthentication no\n', [
        'passwordauthentication',
        'pubkeyauthentication',
        'kbdinteractiveauthentication',
      ]),
    ));
  test('an Include inside a Match block, and Match blocks inside an included file', () =>
    compare({
      files: {
        sshd_config: 'Match User root\n  Include $D/inner\nMatch all\n  PermitTTY no\n',
        inner: 'PasswordAuthentication no\nMatch User bob\n  PubkeyAuthentication no\n',
      },
      keys: ['passwordauthentication', 'pubkeyauthentication', 'permittty'],
    }));
});

describe('typed values', () => {
  const cases: [string, string[]][] = [
    ['Port', ['0x10', '022', '+22', '-22', '65535', '65536', '0', '22 2222']],
    ['LoginGraceTime', ['1M', '1W', '10s5', '0', '1h1h', 'x', '2147483648', 'none']],
    ['ClientAliveInterval', ['1M', '0', '90', '2147483648', 'none', '+5', '-0', '1m+5', '5+5', '"1m 5"', '-1']],
    ['ClientAliveCountMax', ['-1', '+3', '03', '2147483647', '2147483648', '3x']],
    ['Compression', ['true', 'TRUE', 'delayed', 'Delayed', 'No']],
    ['AddressFamily', ['INET6', 'Any', 'inet4']],
    ['PermitTTY', ['Yes', 'true', 'ask']],
    ['UseDNS', ['Yes', 'FALSE', 'ask']],
    ['AuthorizedKeysFile', ['a b', 'none', 'NONE', '"a b" c', '%h/k %u %U %%']],
    ['RekeyLimit', ['1G', '1.5G 1h', 'default none', '15', '16', '1G 1h1h', '1G x']],
  ];
  for (const [k, values] of cases) {
    test.each(values)(`${k} %s`, (v) => compare(one(`${k} ${v}\n`, [k.toLowerCase()])));
  }
});

describe('deprecated keywords inside a Match block that does not apply', () => {
  test.each(['Protocol', 'UsePrivilegeSeparation', 'RhostsRSAAuthentication', 'RSAAuthentication', 'ServerKeyBits', 'KeyRegenerationInterval', 'UseLogin', 'AuthorizedKeysFile2', 'VerifyReverseMapping', 'ReverseMappingCheck', 'AFSTokenPassing', 'KerberosTgtPassing'])(
    '%s',
    (k) => compare(one(`Match User nomatch\n  ${k} x\n`)),
  );
});

describe('Include and Match together', () => {
  const keys = ['passwordauthentication', 'pubkeyauthentication', 'permittty', 'kbdinteractiveauthentication', 'allowagentforwarding'];
  const cases: [string, Record<string, string>][] = [
    ['before any Match: its globals and its Match blocks', { sshd_config: 'Include $D/a\nPermitTTY no\n', a: 'PasswordAuthentication no\nMatch User root\n  PubkeyAuthentication no\n' }],
    ['inside a Match that applies: Match all in the file applies', { sshd_config: 'Match User root\n  Include $D/a\n', a: 'PermitTTY no\nMatch all\n  PubkeyAuthentication no\n' }],
    ['inside a Match that does not apply: nothing in the file applies', { sshd_config: 'Match User bob\n  Include $D/a\nMatch all\n  AllowAgentForwarding no\n', a: 'PermitTTY no\nMatch all\n  PubkeyAuthentication no\n' }],
    ['a Match in the file ends with the file', { sshd_config: 'Match all\n  Include $D/a\n  PermitTTY no\n', a: 'Match User bob\n  PubkeyAuthentication no\n' }],
    ['nested: before any Match, twice', { sshd_config: 'Include $D/a\n', a: 'Include $D/b\nPermitTTY no\n', b: 'Match User root\n  PasswordAuthentication no\nMatch User bob\n  PubkeyAuthentication no\n' }],
    ['glob of several files, each with Match blocks', { sshd_config: 'Include $D/d/*\n', 'd/1': 'Match User root\n  PermitTTY no\n', 'd/2': 'KbdInteractiveAuthentication no\nMatch Address 10.0.0.0/8\n  PasswordAuthentication no\n' }],
  ];
  test.each(cases)('%s', (_name, files) => compare({ files, keys }));
});

describe('Port', () => {
  test.each([256, 257])('%i Port lines (sshd keeps at most 256)', (n) =>
    compare(one(Array.from({ length: n }, (_, i) => `Port ${1000 + i}\n`).join(''), ['port'])),
  );
});

describe('Include of a dangling symbolic link', () => {
  test('sshd refuses it (ssh skips it: see client-parity)', async () => {
    const dir = join(root, 'dangling');
    mkdirSync(join(dir, 'd'), { recursive: true });
    symlinkSync(join(dir, 'nowhere'), join(dir, 'd', 'broken'));
    writeFileSync(join(dir, 'd', 'ok'), 'PermitTTY no\n');
    await compare(one(`Include ${join(dir, 'd')}/*\n`, ['permittty']));
  });
});

describe('Subsystem', () => {
  const cases = [
    'Subsystem sftp /a\nSubsystem sftp /b\n',
    'Subsystem sftp /a\nSubsystem SFTP /b\n',
    'Subsystem sftp /a\nSubsystem other /b x "y z"\n',
    'Subsystem sftp /a\nSubsystem sftp\n',
    'Subsystem sftp\n',
    'Subsystem sftp ""\n',
    'Subsystem "" /a\n',
    'Subsystem sftp /a x y\n',
    'Subsystem sftp /a\nMatch User nobody\n  Subsystem sftp /b\n',
  ];
  test.each(cases)('%j', (text) => compare(one(text, ['subsystem'])));
  test('a name defined again in an included file', () =>
    compare({ files: { sshd_config: 'Subsystem sftp /a\nInclude $D/inc\n', inc: 'Subsystem sftp /c\n' }, keys: ['subsystem'] }));
  test.each([256, 257])('%i subsystems (sshd keeps at most 256)', (n) =>
    compare(one(Array.from({ length: n }, (_, i) => `Subsystem s${i} /bin/s${i}\n`).join(''), ['subsystem'])),
  );
});

describe('algorithm lists: unknown names are refused, `-` lists are not checked, lists sshd cannot assemble are refused', () => {
  test.each(ALGORITHM_LIST_CASES)('%s %s', (k, v) => compare(one(`${k} ${v}\n`)));
  test.each(ALGORITHM_LIST_CASES.filter(([k]) => ['CASignatureAlgorithms', 'PubkeyAcceptedAlgorithms', 'HostbasedAcceptedAlgorithms'].includes(k)))('in a Match block: %s %s', (k, v) =>
    compare(one(`Match User root\n  ${k} ${v}\n`)),
  );
});

describe('keywords listen() does not use still have their values checked, as sshd checks them', () => {
  const values = ['x', 'x y', 'yes', 'no', 'YES', 'true', 'ask', 'none', 'NONE', 'None', '1', '-1', '0', '+5', '5m', '077', '8', '0x10', '256', 'md5', 'SHA256', 'debug3', 'local0', 'af21', 'af21 cs1', 'af21 cs1 ef', '""', 'any', 'ANY', '*:*', '*', '1024', 'forced-commands-only', 'without-password', 'Prohibit-Password', 'shosts-only', 'local', 'remote', 'all', 'clientspecified', 'ethernet', 'point-to-point', 'Ethernet', 'touch-required', 'none verify-required', 'sftp /x', 'A=b', 'A=b c', 'A', '/x', '1h', 'localhost:80', 'h/80', '[::1]:80', 'h:0', 'h:*', 'any h:1', 'u@h', 'gss-gex-sha1-,gss-curve25519-sha256-', 'gss-group14-sha256-,bogus'];
  // ListenAddress looks its host names up (its own cases are below).
  const keywords = [...new Set([...SERVER_KEYWORDS.values()].filter((k) => k.check !== undefined && k.name !== 'ListenAddress').map((k) => k.name))];
  test.each(keywords.flatMap((k) => values.map((v) => [k, v] as const)))('%s %s', (k, v) => compare(one(`${k} ${v}\n`)));
  test.each(keywords.filter((k) => SERVER_KEYWORDS.get(k.toLowerCase())?.inMatch === true).flatMap((k) => ['x', 'yes', '""'].map((v) => [k, v] as const)))(
    'in a Match block that does not apply: %s %s',
    (k, v) => compare(one(`Match User nobody\n  ${k} ${v}\n`)),
  );
});

describe('AuthenticationMethods: method lists as auth2_methods_valid reads them, `any` alone, and enabled methods', () => {
  const values = ['publickey', 'publickey,password', 'publickey password', 'any', 'ANY', 'any publickey', 'publickey any', 'any any', 'none', 'publickey,', ',publickey', 'publickey,,password', ':', 'keyboard-interactive:pam', 'publickey:x:y', 'password:', 'bogus', 'PublicKey', 'publickey-hostbound-v00@openssh.com', '""', 'hostbased', 'gssapi-with-mic', 'gssapi-keyex', 'password,hostbased', 'hostbased password', 'publickey publickey'];
  test.each(values)('%s', (v) => compare(one(`AuthenticationMethods ${v}\n`, ['authenticationmethods'])));
  const files = [
    'Match User nobody\n  AuthenticationMethods publickey any\n',
    'Match User root\n  AuthenticationMethods publickey any\n',
    'Match User nobody\n  AuthenticationMethods any publickey\n',
    'Match User nobody\n  AuthenticationMethods bogus\n',
    'Match User nobody\n  AuthenticationMethods hostbased\n',
    'Match User root\n  AuthenticationMethods hostbased\n',
    'AuthenticationMethods password\nAuthenticationMethods publickey any\n',
    'AuthenticationMethods password\nAuthenticationMethods any\n',
    'AuthenticationMethods any\nAuthenticationMethods password\n',
    'AuthenticationMethods any\nAuthenticationMethods any\n',
    'AuthenticationMethods any\nAuthenticationMethods publickey any\n',
    'Match all\n  AuthenticationMethods any\nMatch all\n  AuthenticationMethods any\n',
    'AuthenticationMethods password\nMatch User nobody\n  AuthenticationMethods any\n',
    'Match User root\n  AuthenticationMethods password\nMatch all\n  AuthenticationMethods any\n',
    'Match User nobody\n  AuthenticationMethods password\nMatch all\n  AuthenticationMethods any\n',
    'PasswordAuthentication no\nAuthenticationMethods password\n',
    'PasswordAuthentication no\nAuthenticationMethods password publickey\n',
    'AuthenticationMethods any\nPasswordAuthentication no\n',
    'PubkeyAuthentication no\nAuthenticationMethods publickey,password\n',
    'KbdInteractiveAuthentication no\nAuthenticationMethods keyboard-interactive:pam\n',
    'HostbasedAuthentication yes\nAuthenticationMethods hostbased\n',
    'GSSAPIAuthentication yes\nAuthenticationMethods gssapi-with-mic gssapi-keyex\n',
    'AuthenticationMethods hostbased\nMatch User root\n  HostbasedAuthentication yes\n',
  ];
  test.each(files)('%j', (text) => compare(one(text, ['authenticationmethods'])));
});

describe('AuthorizedKeysCommand and AuthorizedPrincipalsCommand: an absolute path or none, the rest of the line, and a command user', () => {
  for (const k of ['AuthorizedKeysCommand', 'AuthorizedPrincipalsCommand']) {
    const user = `${k}User nobody\n`;
    const keys = [k.toLowerCase(), `${k.toLowerCase()}user`];
    test.each(['/bin/true', '/bin/true %u %f', '/bin/true "a  b"  # c', '= /bin/true  x', 'bin/true', '~/x', '""', '"/bin/a b" c', '"none"', 'none x'])(`${k} %s with a user`, (v) =>
      compare(one(`${k} ${v}\n${user}`, keys)),
    );
    test.each(['/bin/true', 'none', 'NONE', 'None'])(`${k} %s without a user`, (v) => compare(one(`${k} ${v}\n`, keys)));
    const files = [
      `${k}User nobody\n`,
      `${k}User none\n${k} /bin/true\n`,
      `${k} none\n${k} /bin/true\n`,
      `Match User root\n  ${k} /bin/true\n`,
      `Match User nobody\n  ${k} x\n`,
      `${k}User nobody\nMatch User root\n  ${k} /bin/true\n`,
      `${k} /bin/true\nMatch User root\n  ${k}User nobody\n`,
      `${k} /bin/true\nMatch all\n  ${k}User nobody\n`,
      `${k} /bin/a\n${k} /bin/b\n${k}User x\n`,
      `Match all\n  ${k} /bin/a\nMatch all\n  ${k} /bin/b\n`,
      `Match all\n  ${k} /bin/a\n  ${k}User x\nMatch all\n  ${k} /bin/b\n`,
    ];
    test.each(files)('%j', (text) => compare(one(text, keys)));
  }
});

describe('ChannelTimeout: type=interval entries, none first and alone', () => {
  const values = ['session=5m', 'session:*=5m', 'x11-connection=10 session=1m', 'Session=1', 'bogus=5', '*=5', 'session=1h1h', 'direct-tcpip=0', 'session=none', 'session', 'session=', '=5', 'session=1 =5', 'session=x', 'session=-1', 'session=0x10', 'session==1', 'a=b=1', 'session=5,global=1', 'session=2147483648', 'none', 'NONE', 'session=5m none', 'session=1 NONE', 'none session=1', 'None x', '""', 'session=5 ""', 'session=" 5"'];
  test.each(values)('%s', (v) => compare(one(`ChannelTimeout ${v}\n`)));
  test('in a Match block that does not apply', () => compare(one('Match User nobody\n  ChannelTimeout session=x\n')));
  test('the first line wins', () => compare(one('ChannelTimeout session=1\nChannelTimeout session=2 x11-connection=3\n', ['channeltimeout'])));
});

describe('ListenAddress: host[:port] or a bare IPv6 address, then rdomain', () => {
  const values = ['0.0.0.0', '::', '[::1]:2222', '127.0.0.1:22', '[::1]', '::1:22', '[1.2.3.4]:22', '1.2.3.4:+22', '1.2.3.4:022', '1.2.3.4:0', '1.2.3.4:65536', '1.2.3.4:x', '1.2.3.4:', '[::1', '[::1]x', '1.2.3.4/22', '""', ':22', '[]:22', '1.2.3.4 rdomain x', '1.2.3.4 rdomain 0', '1.2.3.4 rdomain', '1.2.3.4 RDOMAIN x', '1.2.3.4 x', '1.2.3.4 bogus x', '0.0.0.0 rdomain x y'];
  test.each(values)('%s', (v) => compare(one(`ListenAddress ${v}\n`)));
});

describe('service names where a port goes (a2port: getservbyname(name, "tcp") from /etc/services)', () => {
  const cases: [string, string][] = [
    ['Port ssh', 'port'],
    ['Port www', 'port'],
    ['Port SSH', 'port'],
    ['Port tftp', 'port'],
    ['Port nosuchservice', 'port'],
    ['ListenAddress 127.0.0.1:ssh', 'listenaddress'],
    ['ListenAddress [::1]:http', 'listenaddress'],
    ['ListenAddress 127.0.0.1:nosuchservice', 'listenaddress'],
    ['PermitOpen h:ssh', 'permitopen'],
    ['PermitOpen h:nosuchservice', 'permitopen'],
    ['PermitListen ssh', 'permitlisten'],
    ['PermitListen h:nosuchservice', 'permitlisten'],
  ];
  test.each(cases)('%s', (line, key) => compare(one(`${line}\n`, key === 'port' ? [key] : [])));
  test.each(['ssh', 'SSH', 'nosuchservice'])('Match LocalPort %s', (p) => compare(one(`Match LocalPort ${p}\n  PasswordAuthentication no\n`, ['passwordauthentication'])));
});

describe('ForceCommand and VersionAddendum: the rest of the line as written, `none` in any case', () => {
  const values = ['none', 'NONE', '"none"', 'none # x', '""', "''", '/bin/true', '/bin/echo "a b"  c', "'x y'", 'internal-sftp', 'echo # c', 'a\\tb', 'x\ty', 'x\u0001y', 'x\ry', 'x\u000by', '# x', 'a=b', '= /bin/x', 'x "unterminated', 'hello world  x  \t'];
  for (const k of ['ForceCommand', 'VersionAddendum']) {
    test.each(values)(`${k} %s`, (v) => compare(one(`${k} ${v}\n`, [k.toLowerCase()])));
  }
  test.each([
    ['a Match that applies overrides the global one', 'ForceCommand /a\nMatch User root\n  ForceCommand /b\n'],
    ['none in a Match that applies', 'ForceCommand /a\nMatch User root\n  ForceCommand NoNe\n'],
    ['the first line of a Match wins', 'Match User root\n  ForceCommand /b\n  ForceCommand /c\n'],
    ['a Match that does not apply', 'ForceCommand /a\nMatch User bob\n  ForceCommand /b\n'],
    ['bad quotes in a Match that does not apply', "Match User bob\n  ForceCommand 'x\n"],
    ['a comment alone in a Match that applies', 'Match User root\n  ForceCommand # x\n'],
  ])('%s', (_name, text) => compare(one(text, ['forcecommand'])));
  test.each(['VersionAddendum a\nVersionAddendum b\n', 'Match User root\n  VersionAddendum a\n', 'Match User bob\n  VersionAddendum a\n'])('%s', (text) =>
    compare(one(text, ['versionaddendum'])),
  );
});

describe('MaxStartups: start[:rate:full] as sscanf reads it', () => {
  const values = ['10', '10:30:100', '10:30:60', '10:100:60', '10:101:60', '10:30:5', '10:30:10', '5:30:10', '0', '-1', '10:30', '10:x:60', '10::60', '10:30:60:1', '10:30:60x', 'x', '+10', '010', '0x10', '0:0:0', '1:0:1', '10:-1:60', ':30:60', '10 20', '2147483647', '2147483648', '4294967297', '" 10: 30: 60"', '""'];
  test.each(values)('%s', (v) => compare(one(`MaxStartups ${v}\n`, ['maxstartups'])));
  test.each(['10:30:60\nMaxStartups 5', '20:40:60\nMaxStartups 10:x:60', '5\nMaxStartups 20:40:60', '3:50:9\nInclude $D/a', '10:30:100:5', '10x', '10:100:100'])('%s', (v) =>
    compare({ files: { sshd_config: `MaxStartups ${v}\n`, a: 'MaxStartups 7\n' }, keys: ['maxstartups'] }),
  );
  test('a bad value after a good one', () => compare(one('MaxStartups 10:30:60\nMaxStartups x\n')));
  test('the last line wins', () => compare(one('MaxStartups 10:30:60\nMaxStartups 20:40:80\n', ['maxstartups'])));
});

describe('PerSourceNetBlockSize: ipv4[:ipv6] as sscanf reads it', () => {
  const values = ['32', '32:128', '0', '0:0', '1:0', '16:64', '33', '32:129', '-1', '32:-1', 'x', '32:', ':128', '+8', '08', '8x', '32:x', '32:128x', '32:128:1', '32 128', '" 8"', '4294967304', '""'];
  test.each(values)('%s', (v) => compare(one(`PerSourceNetBlockSize ${v}\n`)));
  test('the last line wins', () => compare(one('PerSourceNetBlockSize 16:64\nPerSourceNetBlockSize 24:56\n', ['persourcenetblocksize'])));
});
