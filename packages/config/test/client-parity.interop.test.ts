/**
 * Hand-written ssh_config cases compared with `ssh -G` one by one: where the generated corpus of
 * client-openssh.interop.test.ts does not reach (empty arguments, `none` spellings, expansions in
 * less common keywords, Include corner cases). Each case either is refused by both sides (ours
 * with a ConfigParseError) or prints the same values for the keywords it names.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLIENT_KEYWORDS, CLIENT_OPTION_MAP, ConfigParseError, parseClientConfigAsync, resolveClientConfigAsync, type ForwardSpec, type ResolvedClientConfig } from '../src/index.ts';
import { nodeEnvironmentAsync } from '../src/node/index.ts';
import { ALGORITHM_LIST_CASES, runDump, writeCaseFiles, type DumpResult } from './helpers/openssh.ts';

interface Case {
  /** Files by name relative to the case directory; the first is given to -F. `$D` is the case directory. */
  readonly files: Readonly<Record<string, string>>;
  readonly host?: string;
  /** Keywords (lowercase, as ssh -G prints them) whose values must agree. */
  readonly keys?: readonly string[];
  /** $HOME for both sides (`$D` is the case directory); the password database's home stays as it is. */
  readonly homeEnv?: string;
}

let root = '';
let baseline: DumpResult | undefined;
// ssh takes ~ and %d from the password database, not from $HOME: so do we here.
const home = userInfo().homedir;
const procEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, SHELL: '/bin/sh', PARITYVAR: '/parity/var' };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ssh-parity-'));
  writeFileSync(join(root, 'empty'), '');
  baseline = await runDump('ssh', ['-G', '-F', join(root, 'empty'), 'alpha'], procEnv);
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Our value for a keyword the way ssh -G prints it; undefined when we hold no value (ssh prints its default). */
function printed(key: string, res: ResolvedClientConfig): string[] | undefined {
  if (key === 'hostname') return [res.hostname];
  if (key === 'port') return [String(res.port)];
  if (key === 'user') return [res.user];
  const s = res.settings.get(key);
  if (!s || s.sources.length === 0) return undefined;
  const v = s.value;
  if (key === 'proxyjump') {
    // ssh -G prints the hops before the last as written and the last one normalised: the cases
    // here write every hop in its normal form.
    if (v === 'none') return undefined;
    const hops = v as readonly { user?: string; host: string; port?: number }[];
    const fmt = (h: { user?: string; host: string; port?: number }): string =>
      `${h.user !== undefined ? `${h.user}@` : ''}${h.host.includes(':') ? `[${h.host}]` : h.host}${h.port !== undefined ? `:${h.port}` : ''}`;
    return [hops.map(fmt).join(',')];
  }
  if (key === 'localforward' || key === 'remoteforward' || key === 'dynamicforward') {
    const side = (host: string | undefined, port: number | undefined, path: string | undefined): string =>
      path ?? (host === undefined ? String(port) : `[${host}]:${port}`);
    return (v as ForwardSpec[]).map((f) => {
      const listen = side(f.listenHost, f.listenPort, f.listenPath);
      if (key === 'dynamicforward') return listen;
      const connect = f.connectPath ?? (f.connectHost === undefined ? '[socks]:0' : `[${f.connectHost}]:${f.connectPort}`);
      return `${listen} ${connect}`;
    });
  }
  if (key === 'forwardagent') {
    const a = v as { enabled?: boolean; path?: string };
    return [a.path ?? (a.enabled === true ? 'yes' : 'no')];
  }
  // ssh -G prints these lists on one line.
  if (['userknownhostsfile', 'globalknownhostsfile', 'canonicaldomains', 'canonicalizepermittedcnames'].includes(key)) {
    return v === 'none' ? undefined : [(v as string[]).join(' ')];
  }
  // Multi-state keywords print yes/no as true/false.
  if (['requesttty', 'pubkeyauthentication', 'canonicalizehostname'].includes(key) && (v === 'yes' || v === 'no')) return [v === 'yes' ? 'true' : 'false'];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'boolean') return [v ? 'yes' : 'no'];
  return [String(v)];
}

let seq = 0;
async function compare(c: Case): Promise<void> {
  const dir = join(root, `case${seq++}`);
  const main = writeCaseFiles(dir, c.files);
  const host = c.host ?? 'alpha';
  const caseEnv = c.homeEnv === undefined ? procEnv : { ...procEnv, HOME: c.homeEnv.replaceAll('$D', dir) };
  const dump = await runDump('ssh', ['-G', '-F', main, '--', host], caseEnv);
  // The Node environment's own defaults: homeDir from the password database, Include's ~ from $HOME.
  const env = nodeEnvironmentAsync({ env: caseEnv, shell: '/bin/sh' });
  let res: ResolvedClientConfig | undefined;
  let err: unknown;
  try {
    const text = readFileSync(main, 'utf8');
    res = await resolveClientConfigAsync(await parseClientConfigAsync({ text, file: main }, env), { host }, env);
  } catch (e) {
    err = e;
  }
  if (!dump.ok) {
    expect(err, `ssh refused: ${dump.stderr.trim()}`).toBeInstanceOf(ConfigParseError);
    return;
  }
  expect(err, 'ssh accepted').toBeUndefined();
  const got: Record<string, string[] | undefined> = {};
  const want: Record<string, string[] | undefined> = {};
  for (const key of c.keys ?? []) {
    got[key] = dump.lines.get(key);
    want[key] = printed(key, res as ResolvedClientConfig) ?? baseline?.lines.get(key);
  }
  expect(want).toEqual(got);
}

const one = (text: string, keys: readonly string[] = [], host?: string): Case => ({ files: { config: text }, keys, ...(host ? { host } : {}) });

describe('an empty argument is a missing one', () => {
  const keywords = [
    'BindAddress',
    'CertificateFile',
    'ForwardAgent',
    'HostKeyAlias',
    'HostName',
    'IdentityAgent',
    'IdentityFile',
    'IgnoreUnknown',
    'PKCS11Provider',
    'PreferredAuthentications',
    'SecurityKeyProvider',
    'User',
  ];
  test.each(keywords)('%s ""', (k) => compare(one(`${k} ""\n`)));
  test.each(keywords)("%s ''", (k) => compare(one(`${k} ''\n`)));
});

describe('time values: `none` (in lower case only) leaves the keyword unset', () => {
  test.each(['ConnectTimeout', 'ServerAliveInterval'])('%s', async (k) => {
    const key = k.toLowerCase();
    await compare(one(`${k} none\n${k} 7\n`, [key]));
    await compare(one(`${k} none\n`, [key]));
    await compare(one(`${k} NONE\n${k} 7\n`, [key]));
    await compare(one(`${k} None\n`, [key]));
    await compare(one(`${k} 0\n${k} 7\n`, [key]));
  });
});

describe('ForwardAgent socket paths take ~, tokens and ${VAR}', () => {
  test.each(['~/agent_%h_%p_%r_%n_%u', '%d/a_%L_%l_%i_%k_%C', '/run/${PARITYVAR}/sock', '$SSH_AUTH_SOCK', '/x/%z', '/x/${PARITY_UNSET}', 'yes', 'No'])('%s', (v) =>
    compare(one(`ForwardAgent ${v}\n`, ['forwardagent'])),
  );
});

describe('IdentityAgent and ForwardAgent check their environment references when read, active or not', () => {
  const values = ['$a-b', '$', '$a-b/c', '$1x', 'x$a-b', '${PARITY_UNSET}', '/s/${PARITY_UNSET}', '${PARITYVAR}x$', '${}'];
  for (const k of ['IdentityAgent', 'ForwardAgent']) {
    test.each(values)(`${k} %s`, async (v) => {
      const key = k.toLowerCase();
      await compare(one(`${k} ${v}\n`, [key]));
      await compare(one(`Host nomatch\n  ${k} ${v}\n`, [key]));
    });
  }
});

describe('Include', () => {
  // glob(3)'s GLOB_TILDE, which ssh's Include uses, reads $HOME; IdentityFile's ~ and %d read the
  // password database.
  test('~ and relative paths follow $HOME', () =>
    compare({
      files: { config: 'Include ~/inc\nInclude relinc\nIdentityFile ~/id_%d\n', 'h/inc': 'Port 2345\n', 'h/.ssh/relinc': 'User relu\n' },
      homeEnv: '$D/h',
      keys: ['port', 'user'],
    }));
  // glob(3) reads ~user from the password database: an account whose home is /dev (Debian's
  // sys) reaches a file the test may write, in /dev/shm.
  test('~user is that account\'s home directory; an unknown account matches nothing', async () => {
    const account = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[5] === '/dev')?.[0];
    expect(account, 'an account whose home directory is /dev').toBeDefined();
    const shm = mkdtempSync('/dev/shm/ssh-parity-');
    try {
      writeFileSync(join(shm, 'inc'), 'Port 2346\n');
      writeFileSync(join(shm, 'g.conf'), 'User globbed\n');
      const rel = shm.slice('/dev/'.length);
      await compare({ files: { config: `Include ~${account as string}/${rel}/inc ~${account as string}//${rel}/*.conf\n` }, homeEnv: '$D/h', keys: ['port', 'user'] });
      await compare({ files: { config: 'Include ~nosuchuser-parity/inc\nPort 2347\n' }, keys: ['port'] });
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });
  test('a directory among the matches reads as an empty file', () =>
    compare({ files: { config: 'Include $D/conf.d/*\n', 'conf.d/a': 'Port 2201\n', 'conf.d/sub/b': 'User nested\n', 'conf.d/z': 'User zed\n' }, keys: ['port', 'user'] }));
  test('a directory named outright reads as an empty file', () =>
    compare({ files: { config: 'Include $D/conf.d\nPort 2202\n', 'conf.d/a': 'User inner\n' }, keys: ['port', 'user'] }));
});

describe('ProxyJump hops', () => {
  const hops = ['a;b', 'a|b', 'a b', 'a\tb', 'a b,c', 'c,a b', '"a b"', 'a "b"', '"a,b"', 'a\\ b', 'a#b', 'a,b#c', 'none x', 'none#x', '-a', 'a@-b', 'u;x@h', '[a b]:2', 'ssh://a/', 'ssh://a/x', 'ssh://u@a:22/', 'ssh://[::1]:22', 'ssh://a:0', 'a:0', 'a:65536', 'ssh://a;b', 'ssh://u;x@a', '@h', 'u@', 'a@b:', 'a@b@c:22', '[::1]:2222', 'a # b', 'none # x', 'NONE', 'ssh://u%40x@a', 'ssh://u+v%2b@a', 'ssh://u%zz@a', 'ssh://a.b-c_d', 'ssh://a..b', 'ssh://-a', 'ssh://a:22/', 'ssh://a:/', 'ssh://a:', 'ssh://u@', 'ssh://', 'ssh://A.B', 'a@[::1]', '[::1]x', '[::1]/x', 'a/b', 'a:22/x', 'a:+22'];
  test.each(hops)('%s', (h) => compare(one(`ProxyJump ${h}\n`, ['proxyjump'])));
  test.each(['a, b', '"a, b"', 'a,"b c"', 'a:22,b:x', 'a,,b', 'x,ssh://a/x', 'ssh://a/x,y'])('%s', (h) => compare(one(`ProxyJump ${h}\n`)));
});

describe('forwarding specifications', () => {
  const local = ['8080 h:80', '0 h:80', '8080 h:0', '127.0.0.1:8080 h:80', '[::1]:8080 [fe80::1]:80', '*:8080 h:80', ':8080 h:80', 'localhost:8080 h:80', '8080 /tmp/s', '/tmp/l h:80', '/tmp/l /tmp/r', '[/tmp/l]:x h:1', '8080 h', '8080 h:80:1', '65536 h:80', '8080 h:65536', 'a:b:c:d', '8080 :80', '8080 []:80', '[::1 h:80', '08080 h:80', '+80 h:80', ' 80 h:80', '80 h:+80', '8080', 'x:8080 y:80 z'];
  test.each(local)('LocalForward %s', (v) => compare(one(`LocalForward ${v}\n`, ['localforward'])));
  const remote = ['8080 h:80', '0 h:80', '8080', '0', '*:8080', '[::1]:0', '8080 /tmp/s', '/tmp/l', '/tmp/l h:80', 'h:8080:x', '8080 h:0'];
  test.each(remote)('RemoteForward %s', (v) => compare(one(`RemoteForward ${v}\n`, ['remoteforward'])));
  const dynamic = ['1080', '0', 'localhost:1080', '*:1080', '[::1]:1080', '/tmp/s', '1080 x', 'a:b:1080'];
  // ssh keeps the listen side of a two-field spec whose second field is a socket path (the path
  // is dropped), and stops at an empty last field.
  const dynamicPaths = ['1080:/tmp/s', '1080:a/b', '/a:/b', 'h/x:/b', '[a/b]:/c', '0:/x', '1080:/tmp/s:x', '1080:', '[::1]:', 'h:1080:', '1080::', `1080:/${'x'.repeat(120)}`, '[::1]/1080', '1080/x'];
  test.each(dynamicPaths)('DynamicForward %s', (v) => compare(one(`DynamicForward ${v}\n`, ['dynamicforward'])));
  test.each(['8080:', '[::1]:8080:', '8080:/x', '/a:/b'])('RemoteForward %s', (v) => compare(one(`RemoteForward ${v}\n`, ['remoteforward'])));
  test.each(['8080 h:80:', '8080: h:80', '8080 /tmp/s:'])('LocalForward %s', (v) => compare(one(`LocalForward ${v}\n`, ['localforward'])));
  test.each(dynamic)('DynamicForward %s', (v) => compare(one(`DynamicForward ${v}\n`, ['dynamicforward'])));
});

describe('service names where a port goes (a2port: getservbyname(name, "tcp") from /etc/services)', () => {
  const cases: [string, string][] = [
    ['Port ssh', 'port'],
    ['Port www', 'port'],
    ['Port SSH', 'port'],
    ['Port tftp', 'port'],
    ['Port nosuchservice', 'port'],
    ['Port " ssh"', 'port'],
    ['LocalForward 8080 host:http', 'localforward'],
    ['LocalForward http host:80', 'localforward'],
    ['LocalForward 127.0.0.1:http-alt [::1]:webcache', 'localforward'],
    ['LocalForward 8080 host:nosuchservice', 'localforward'],
    ['RemoteForward http host:http', 'remoteforward'],
    ['RemoteForward ssh', 'remoteforward'],
    ['DynamicForward socks', 'dynamicforward'],
    ['DynamicForward localhost:socks', 'dynamicforward'],
    ['ProxyJump u@j:http', 'proxyjump'],
    ['ProxyJump ssh://u@j:http', 'proxyjump'],
    ['ProxyJump u@j:nosuchservice', 'proxyjump'],
    ['PermitRemoteOpen h:http', 'permitremoteopen'],
    ['PermitRemoteOpen h:nosuchservice', 'permitremoteopen'],
  ];
  test.each(cases)('%s', (line, key) => compare(one(`${line}\n`, [key])));
});

describe('forwarding specifications, escapes and limits', () => {
  const cases = ['LocalForward 8080 a\\\\:b:80', 'LocalForward 8080 a\\\\/b:80', 'LocalForward 8080 [a:b]:80', 'LocalForward 80\\\\ 80 h:1', 'LocalForward 8080 "h\\\\"', 'RemoteForward a:b:c:1', 'RemoteForward 8080:h:80', 'RemoteForward 8080 ""', 'LocalForward 8080 ""', 'LocalForward "" h:80', 'DynamicForward /tmp/s', `LocalForward /tmp/${'x'.repeat(110)} h:80`, `LocalForward /tmp/${'x'.repeat(100)} h:80`];
  // (Not compared: ssh 9.2 joins the two arguments into a 256-byte buffer and parses what is left
  // of a longer spec, so `8080 <248 letters>:80` forwards to port 8. We parse the whole spec.)
  test.each(cases)('%s', (line) => compare(one(`${line}\n`, ['localforward', 'remoteforward', 'dynamicforward'])));
});

describe('line spelling', () => {
  const lines = ['Port=2201', 'Port =2202', 'Port= 2203', 'Port==2204', 'Port = = 2205', '  Port\t2206', 'Port\t=\t2207', '"Port" 2208', 'Po"rt" 2209', 'Port "2210"', "Port '2211'", 'Port 2212 # c', 'Port 2213#c', 'Port #2214', '=Port 2215', 'Port\f2216', 'Port 2217\f', '\tPort 2218\t\r', 'Port 22"19"', 'Port 2220 2221'];
  test.each(lines)('%j', (line) => compare(one(`${line}\n`, ['port'])));
  const hosts = ['Host=alpha', 'Host = alpha', 'Host "alpha"', 'Host alpha#x', 'Host al"pha"', 'Host !beta alpha', 'Host alpha !alpha', 'HOST ALPHA', 'Host a*a', 'Host ?lpha', 'Host *', 'Host !*'];
  test.each(hosts)('%j', (line) => compare(one(`${line}\n  Port 2230\n`, ['port'])));
  const matches = ['Match host=alpha', 'Match host="alpha"', 'Match "host" alpha', 'Match host alpha,beta', 'Match host "alpha beta"', 'Match host alpha user', 'Match !host beta', 'Match host !beta', 'Match host !beta,*', 'Match all', 'Match all all', 'Match !all', 'Match canonical all', 'Match host alpha all', 'Match originalhost ALPHA', 'Match host=ALPHA', 'Match localuser *', 'Match user=*', 'Match exec=true', 'Match exec "exit 1"', 'Match !exec "exit 1"', 'Match host alpha exec "exit 1"', 'Match host beta exec "touch /nonexistent/x"', 'Match final', 'Match HOST alpha', 'Match host alpha # c', 'Match host alpha #c', 'Match host alpha#c', 'Match #c'];
  test.each(matches)('%j', (line) => compare(one(`${line}\n  Port 2240\n`, ['port'])));
});

describe('tokens after HostName', () => {
  test('%k is the alias or the name given, %h the HostName, %n the name given; %C hashes the HostName', () =>
    compare(one('HostName Real.Example\nIdentityAgent /agent_%k_%h_%n_%p_%r_%C\nUserKnownHostsFile /kh_%k_%h %d/kh2_%u_%i\n', ['identityagent', 'userknownhostsfile'])));
  test('%k with HostKeyAlias', () => compare(one('HostName real\nHostKeyAlias kal\nIdentityAgent /agent_%k_%h\n', ['identityagent'])));
});

describe('typed values', () => {
  const cases: [string, string[]][] = [
    ['Port', ['0x10', '022', '+22', '-22', '65535', '2e1', '22.0']],
    ['ConnectTimeout', ['1M', '1W', '10s5', '5S', '0', '1h1h', 'x', '2147483647', '2147483648', '-1', '+5', '-0', '1m+5', '1m-0', '5+5', '+', '-', '"1m 5"', '" 5"', '1m5s5', '0x5', '99999999999999999999', '1w1w1w1w1w1w1w1w1w1w']],
    ['ServerAliveInterval', ['1M', '0', '90', '1h1h', '2147483648']],
    ['ServerAliveCountMax', ['-1', '+3', '03', '2147483647', '2147483648', '3x']],
    ['CanonicalizeMaxDots', ['-1', '+3', '03', '2147483648']],
    ['Compression', ['true', 'TRUE', 'delayed', 'No']],
    ['AddressFamily', ['INET6', 'Any', 'inet4']],
    ['RequestTTY', ['TRUE', 'False', 'Force', 'AUTO', 'ask']],
    ['PubkeyAuthentication', ['HOST-BOUND', 'Unbound', 'true', 'ask']],
    ['CanonicalizeHostname', ['ALWAYS', 'true', 'False', 'ask']],
    ['ForwardAgent', ['TRUE', 'false', 'ask']],
    ['TCPKeepAlive', ['Yes', 'true', 'ask', '1']],
    ['IdentitiesOnly', ['Yes', 'no', 'ask']],
    ['CanonicalDomains', ['a.example b.example.', 'none', 'none x', 'A..B', '-a', 'a_b', 'a/b']],
    ['CanonicalizePermittedCNAMEs', ['*.a:*.b', '*.a:*.b,*.c *.d:*.e', 'none', 'NONE', 'none x', 'x none', 'a', ':b', 'a:', ':', '::', 'a::b', 'a:b:c']],
  ];
  for (const [k, values] of cases) {
    // An address is never canonicalised: no name to resolve for the CNAME rules.
    test.each(values)(`${k} %s`, (v) => compare(one(`${k} ${v}\n`, [k.toLowerCase()], '127.0.0.1')));
  }
});

describe('Include of a dangling symbolic link', () => {
  test('ssh skips an included file that is not there (sshd does not: see server-parity)', async () => {
    const dir = join(root, 'dangling');
    mkdirSync(join(dir, 'd'), { recursive: true });
    symlinkSync(join(dir, 'nowhere'), join(dir, 'd', 'broken'));
    writeFileSync(join(dir, 'd', 'ok'), 'Port 2468\n');
    await compare(one(`Include ${join(dir, 'd')}/*\nInclude ${join(dir, 'd', 'broken')}\n`, ['port']));
  });
});

describe('Include refuses files others may write, as ssh checks included files', () => {
  test.each([0o644, 0o600, 0o666, 0o646, 0o664, 0o640, 0o660])('mode %o', async (mode) => {
    const dir = join(root, `perm${mode.toString(8)}`);
    mkdirSync(dir, { recursive: true });
    const inc = join(dir, 'inc');
    writeFileSync(inc, 'Port 2401\n');
    chmodSync(inc, mode);
    await compare(one(`Include ${inc}\n`, ['port']));
  });
});

describe('list keywords take at most 32 entries on the line that sets them', () => {
  const entries = (k: string, n: number): string =>
    Array.from({ length: n }, (_, i) => (k === 'CanonicalizePermittedCNAMEs' ? `a${i}:b` : `d${i}`)).join(' ');
  for (const k of ['CanonicalDomains', 'CanonicalizePermittedCNAMEs', 'UserKnownHostsFile', 'GlobalKnownHostsFile']) {
    test.each([32, 33])(`${k} with %i`, async (n) => {
      await compare(one(`${k} ${entries(k, n)}\n`, [], '127.0.0.1'));
      await compare(one(`Host nomatch\n  ${k} ${entries(k, n)}\n`, [], '127.0.0.1'));
      await compare(one(`${k} ${entries(k, 1)}\n${k} ${entries(k, n)}\n`, [], '127.0.0.1'));
    });
  }
  test.each(['UserKnownHostsFile none x', 'UserKnownHostsFile x none', 'GlobalKnownHostsFile none x', 'UserKnownHostsFile NONE'])('%s', (line) =>
    compare(one(`${line}\n`, ['userknownhostsfile', 'globalknownhostsfile'])),
  );
});

describe('~ and ~user in the file names ssh passes through tilde_expand', () => {
  // Another account than ours, from the password database ssh reads.
  const other = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')[0] ?? '').find((n) => n !== '' && n !== userInfo().username) ?? 'root';
  const values = ['~', '~/', '~//x', `~${other}`, `~${other}/`, `~${other}//x/y`, `~${userInfo().username}/z`, '~nosuchuser-parity/x', '~nosuchuser-parity', 'x/~', '~%u/x'];
  for (const k of ['IdentityAgent', 'ForwardAgent', 'UserKnownHostsFile']) {
    test.each(values)(`${k} %s`, (v) => compare(one(`${k} ${v}\n`, [k.toLowerCase()])));
  }
  test('only the value that wins is expanded', () => compare(one('IdentityAgent /a\nIdentityAgent ~nosuchuser-parity/x\n', ['identityagent'])));
});

describe('algorithm lists: unknown names are refused, `-` lists are not checked', () => {
  // (ssh reports a list it cannot assemble, other than HostKeyAlgorithms, and goes on: -G
  // succeeds, so those are accepted here too.)
  test.each(ALGORITHM_LIST_CASES)('%s %s', (k, v) => compare(one(`${k} ${v}\n`)));
  test.each(ALGORITHM_LIST_CASES.filter(([k]) => k !== 'HostKeyAlgorithms'))('inactive: %s %s', (k, v) => compare(one(`Host nomatch\n  ${k} ${v}\n`)));
});

describe('keywords connect() does not use still have their values checked, as ssh checks them', () => {
  const values = ['x', 'x y', 'yes', 'no', 'YES', 'true', 'ask', 'auto', 'autoask', 'confirm', 'none', 'NONE', '1', '-1', '0', '5m', 'off', 'accept-new', '077', '8', '0x10', '256', 'md5', 'SHA256', 'debug3', 'local0', 'af21', 'af21 cs1', 'af21 cs1 ef', 'yes x', '^A', '~', 'é', 'ethernet', 'subsystem', '""', 'any', '*:*', 'h:22', 'h:0', 'h', 'h/80', '[::1]:80', '[::1', 'any h:1', 'none h:1', '1024', '1:2', 'x:1', 'confirm 5m', 'confirm x', '1h', 'gss-gex-sha1-,gss-curve25519-sha256-', 'gss-group14-sha256-,bogus'];
  // ssh -G refuses ForkAfterAuthentication yes for want of a command, not for its value.
  const skip = (k: string, v: string): boolean => k === 'forkafterauthentication' && ['yes', 'YES', 'true', 'yes x'].includes(v);
  const keywords = [...CLIENT_KEYWORDS.values()].filter((k) => !k.obsolete && !Object.hasOwn(CLIENT_OPTION_MAP, k.key) && k.key !== 'tag').map((k) => k.name);
  const cases = [...new Set(keywords)].flatMap((k) => values.filter((v) => !skip(k.toLowerCase(), v)).map((v) => [k, v] as const));
  test.each(cases)('%s %s', (k, v) => compare(one(`${k} ${v}\n`)));
});
