import { describe, expect, test } from 'vitest';
import {
  ConfigParseError,
  HostCanonicalizationError,
  parseClientConfig,
  parseClientConfigAsync,
  parseServerConfig,
  resolveClientConfig,
  resolveClientConfigAsync,
  type ClientTarget,
  type ResolvedClientConfig,
} from '../src/index.ts';
import { memEnv, type MemEnv, type MemEnvOptions } from './helpers/mem-env.ts';

function resolve(text: string, target: ClientTarget, o: MemEnvOptions = {}): ResolvedClientConfig & { env: MemEnv } {
  const env = memEnv(o);
  const r = resolveClientConfig(parseClientConfig({ text, file: '/home/alice/.ssh/config' }, env), target, env);
  return Object.assign(r, { env });
}

function parseError(text: string, o: MemEnvOptions = {}, target: ClientTarget = { host: 'h' }): ConfigParseError {
  try {
    resolve(text, target, o);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigParseError);
    return e as ConfigParseError;
  }
  throw new Error('expected a ConfigParseError');
}

describe('syntax', () => {
  test('keywords are case-insensitive, = or whitespace separate, quotes group, comments end lines', () => {
    const r = resolve('PORT=2200\nuser = "bob smith"\n# Port 1\n  IdentityFile "/k/a b" # comment\n', { host: 'x' });
    expect(r.options.port).toBe(2200);
    expect(r.options.username).toBe('bob smith');
    expect(r.options.clientKeys).toEqual(['/k/a b']);
  });

  test('first obtained value wins; accumulating keywords accumulate (duplicates dropped)', () => {
    const r = resolve(
      'Port 1\nPort 2\nIdentityFile /a\nIdentityFile /b\nIdentityFile /a\nCertificateFile /c1\nCertificateFile /c2\nSendEnv A B\nSendEnv C\nSendEnv -B\nLocalForward 80 h:80\nLocalForward 81 h:81\nLocalForward 80 h:80\nSetEnv X=1 X=2\nSetEnv Y=3\n',
      { host: 'x' },
    );
    expect(r.options.port).toBe(1);
    expect(r.options.clientKeys).toEqual(['/a', '/b']);
    expect(r.options.clientCerts).toEqual(['/c1', '/c2']);
    expect(r.options.sendEnv).toEqual(['A', 'C']);
    expect(r.options.localForwards).toEqual([
      { listenPort: 80, connectHost: 'h', connectPort: 80 },
      { listenPort: 81, connectHost: 'h', connectPort: 81 },
    ]);
    expect(r.options.env).toEqual({ X: '1' });
  });

  test('PKCS11Provider and SecurityKeyProvider name libraries; the first one given wins', () => {
    const r = resolve('SecurityKeyProvider /usr/lib/sk-one.so\nSecurityKeyProvider /usr/lib/sk-two.so\nPKCS11Provider none\n', { host: 'x' });
    expect(r.options.securityKeyProvider).toBe('/usr/lib/sk-one.so');
    expect(r.options.pkcs11Provider).toBeNull();
    expect(resolve('SecurityKeyProvider internal\n', { host: 'x' }).options.securityKeyProvider).toBe('internal');
  });

  test('command-line port and user win over the file', () => {
    const r = resolve('Port 1\nUser carol\n', { host: 'x', port: 2022, user: 'bob' });
    expect(r.port).toBe(2022);
    expect(r.user).toBe('bob');
  });

  test('durations and byte counts', () => {
    const r = resolve('ConnectTimeout 1m30s\nServerAliveInterval 2h\nRekeyLimit 1.5G 1h\nServerAliveCountMax 4\n', { host: 'x' });
    expect(r.options).toMatchObject({ connectTimeout: 90, keepaliveInterval: 7200, rekeyBytes: 1610612736, rekeySeconds: 3600, keepaliveCountMax: 4 });
  });
});

describe('Host', () => {
  const text = 'Host *.example.com !bad.example.com\n User web\nHost db? db??\n User db\nHost *\n User any\n Port 2\n';
  test.each([
    ['a.example.com', 'web'],
    ['bad.example.com', 'any'],
    ['db1', 'db'],
    ['db12', 'db'],
    ['db123', 'any'],
  ])('%s -> %s', (host, user) => {
    expect(resolve(text, { host }).user).toBe(user);
  });
  test('patterns compare case-sensitively against the name as given; hostname is lowercased', () => {
    const r = resolve('Host FOO\n HostName Real.Example\n', { host: 'FOO' });
    expect(r.hostname).toBe('real.example');
    expect(resolve('Host FOO\n Port 7\n', { host: 'foo' }).port).toBe(22);
  });
  test('HostName takes %h and %%', () => {
    expect(resolve('HostName %h.lan\n', { host: 'box' }).hostname).toBe('box.lan');
    expect(parseError('HostName %r.lan\n').line).toBe(1);
  });
});

describe('Match', () => {
  test('host matches after HostName, originalhost before; user, localuser', () => {
    const text = 'Host alias\n HostName real.example.com\nMatch host *.example.com\n Port 1\nMatch originalhost alias user bob\n User carol\nMatch localuser alice\n Compression yes\n';
    const r = resolve(text, { host: 'alias', user: 'bob' });
    expect(r.port).toBe(1);
    expect(r.user).toBe('bob');
    expect(r.options.compressionAlgs).toBe('zlib@openssh.com,zlib,none');
  });

  test('negation, all, canonical and final', () => {
    expect(resolve('Match !host x\n Port 1\n', { host: 'y' }).port).toBe(1);
    expect(resolve('Match !host y\n Port 1\n', { host: 'y' }).port).toBe(22);
    expect(resolve('Match all\n Port 3\n', { host: 'y' }).port).toBe(3);
    const f = resolve('Match final\n Port 4\nMatch canonical\n User c\n', { host: 'y' });
    expect(f.finalPass).toBe(true);
    expect(f.port).toBe(4);
    expect(f.user).toBe('c');
    // Naming final at all (even negated) asks for the final pass, as in OpenSSH.
    const n = resolve('Match !final\n Port 5\n', { host: 'y' });
    expect(n.finalPass).toBe(true);
    expect(n.port).toBe(5);
    expect(resolve('Port 6\n', { host: 'y' }).finalPass).toBe(false);
  });

  test('the final pass re-reads with the new host name and re-appends accumulating keywords', () => {
    const r = resolve('SendEnv X\nHost a\n HostName b\nHost b\n User bee\nMatch final\n', { host: 'a' });
    expect(r.user).toBe('bee');
    expect(r.options.sendEnv).toEqual(['X', 'X']);
  });

  test('exec runs with tokens, is skipped after a failed criterion, and its status decides', () => {
    const r = resolve('Match exec "test %h = %n" host nomatch exec "skipped %p"\n Port 1\nMatch exec "ok %r@%h:%p %u"\n Port 2\n', { host: 'web', user: 'bob' }, {
      exec: (c) => (c.startsWith('ok') ? 0 : 1),
    });
    expect(r.port).toBe(2);
    expect(r.env.execLog).toEqual(['test web = web', 'ok bob@web:22 alice']);
  });

  test('tagged (OpenSSH 9.4+) compares with Tag', () => {
    expect(resolve('Tag blue\nMatch tagged blue\n Port 9\n', { host: 'y' }).port).toBe(9);
    expect(resolve('Tag red\nMatch tagged blue\n Port 9\n', { host: 'y' }).port).toBe(22);
  });

  test.each([
    ['Match', /no argument/],
    ['Match host', /Missing Match criteria for host/],
    ['Match all host x', /cannot be combined/],
    ['Match bogus x', /Unsupported Match attribute bogus/],
    ['Match exec "unterminated', /invalid quotes/],
    ['Match exec "%Z"', /unknown token %Z/],
  ])('%j is refused', (line, re) => {
    const e = parseError(`Port 1\n${line}\n`);
    expect(e.line).toBe(2);
    expect(e.file).toBe('/home/alice/.ssh/config');
    expect(e.message).toMatch(re);
  });
});

describe('tokens and ${VAR}', () => {
  const env = { HOME: '/home/alice', SOCK: '/run/agent' };
  test('expanded in IdentityFile, CertificateFile, IdentityAgent, UserKnownHostsFile, RemoteCommand', () => {
    const r = resolve(
      'IdentityFile ~/.ssh/%r@%h-%p\nCertificateFile ${HOME}/c-%n\nIdentityAgent ${SOCK}/%u\nUserKnownHostsFile %d/kh-%k\nRemoteCommand echo %L %l %i %%\nHostKeyAlias ka\nProxyCommand nc %h %p\nUser bob\n',
      { host: 'srv' },
      { env },
    );
    expect(r.options.clientKeys).toEqual(['/home/alice/.ssh/bob@srv-22']);
    expect(r.options.clientCerts).toEqual(['/home/alice/c-srv']);
    expect(r.options.agentPath).toBe('/run/agent/alice');
    expect(r.options.knownHosts).toEqual(['/home/alice/kh-ka']);
    expect(r.options.command).toBe('echo box box.example.org 1000 %');
    expect(r.options.proxyCommand).toBe('nc srv 22');
  });
  test('Unix-socket forward paths take tokens and ${VAR}; host names do not', () => {
    const r = resolve('LocalForward /run/%u/${SOCK##}.s h:80\nRemoteForward /r/%r.sock ${HOME}/t\nLocalForward 8080 %h:80\n', { host: 'srv' }, {
      env: { ...env, 'SOCK##': 'x' },
    });
    expect(r.options.localForwards).toEqual([
      { listenPath: '/run/alice/x.s', connectHost: 'h', connectPort: 80 },
      { listenPort: 8080, connectHost: '%h', connectPort: 80 },
    ]);
    expect(r.options.remoteForwards).toEqual([{ listenPath: '/r/alice.sock', connectPath: '/home/alice/t' }]);
  });
  test('not expanded elsewhere, and ${VAR} not in RemoteCommand', () => {
    const r = resolve('User %h\nRemoteCommand echo ${HOME}\nBindAddress %h\n', { host: 'srv' }, { env });
    expect(r.user).toBe('%h');
    expect(r.options.command).toBe('echo ${HOME}');
    expect(r.options.localAddr).toBe('%h');
  });
  test('~user in the file names ssh tilde-expands is that account\'s home (password database), checked only for the value that wins', () => {
    const homes = { bob: '/home/bob', root: '/' };
    const r = resolve('IdentityFile ~bob/.ssh/id\nIdentityFile ~root//k\nCertificateFile ~bob\nIdentityAgent ~/\nUserKnownHostsFile ~bob/kh ~//kh2\nForwardAgent ~bob/fa\n', { host: 'h' }, { env, homes });
    expect(r.options.clientKeys).toEqual(['/home/bob/.ssh/id', '/k']);
    expect(r.options.clientCerts).toEqual(['/home/bob/']);
    expect(r.options.agentPath).toBe('/home/alice/');
    expect(r.options.knownHosts).toEqual(['/home/bob/kh', '/home/alice/kh2']);
    expect(r.settings.get('forwardagent')?.value).toEqual({ enabled: true, path: '/home/bob/fa' });
    const e = parseError('Port 1\nIdentityFile ~nobody/k\n', { env, homes });
    expect([e.line, e.message]).toEqual([2, expect.stringMatching(/IdentityFile: No such user nobody/)]);
    expect(resolve('IdentityAgent /a\nIdentityAgent ~nobody/a\n', { host: 'h' }, { env, homes }).options.agentPath).toBe('/a');
    // An environment that cannot look accounts up leaves ~user as written.
    expect(resolve('IdentityFile ~bob/k\n', { host: 'h' }, { env }).options.clientKeys).toEqual(['~bob/k']);
  });
  test('algorithm names this toolkit supports and OpenSSH 9.2 lacks are accepted; unknown ones are refused with ssh\'s message', () => {
    const ok = ['Ciphers seed-cbc@ssh.com,aes128-ctr', 'MACs +hmac-sha256@ssh.com', 'KexAlgorithms ^mlkem768x25519-sha256', 'HostKeyAlgorithms x509v3-ssh-ed448,ssh-ed448-cert-v01@openssh.com', 'CASignatureAlgorithms ssh-ed448', 'PubkeyAcceptedAlgorithms ssh-rsa-sha256@ssh.com'];
    for (const line of ok) expect(() => resolve(`${line}\n`, { host: 'h' })).not.toThrow();
    expect(parseError('Port 1\nCiphers aes128-ctr,nope\n')).toMatchObject({ line: 2, message: expect.stringMatching(/Bad SSH2 cipher spec 'aes128-ctr,nope'/) });
    expect(parseError('MACs nope\n').message).toMatch(/Bad SSH2 MAC spec 'nope'/);
    expect(parseError('KexAlgorithms +nope\n').message).toMatch(/Bad SSH2 KexAlgorithms '\+nope'/);
    expect(parseError('PubkeyAcceptedAlgorithms nope*\n').message).toMatch(/Bad key types 'nope\*'/);
    expect(parseError('HostKeyAlgorithms ssh-*,!ssh-rsa\n').message).toMatch(/HostKeyAlgorithms: invalid argument/);
  });
  test('an unset variable or a token not allowed there is an error on that line', () => {
    expect(parseError('Port 1\nIdentityAgent ${NOPE}\n', { env }).line).toBe(2);
    expect(parseError('ProxyCommand nc %u\n').message).toMatch(/unknown token %u/);
  });
});

describe('Include', () => {
  const home = '/home/alice';
  test('relative to ~/.ssh, globs sorted, nested, ~ expanded, inactive includes never match', () => {
    const files = {
      [`${home}/.ssh/conf.d/b`]: 'Port 2\n',
      [`${home}/.ssh/conf.d/a`]: 'Include ~/.ssh/inner\n',
      [`${home}/.ssh/inner`]: 'User inner\n',
      '/etc/other': 'Host *\n Compression yes\n',
    };
    const r = resolve('Host nomatch\n Include /etc/other\nHost *\n Include conf.d/*\n', { host: 'x' }, { files });
    expect(r.port).toBe(2);
    expect(r.user).toBe('inner');
    expect(r.options.compressionAlgs).toBeUndefined();
    expect(r.env.readLog).toEqual(['/etc/other', `${home}/.ssh/conf.d/a`, `${home}/.ssh/inner`, `${home}/.ssh/conf.d/b`]);
  });
  // ssh opens included files with SSHCONF_CHECKPERM: "Bad owner or permissions" (sshd does not check).
  test('an included file owned by someone else or writable by others is refused', () => {
    const files = { '/inc/a': 'Port 2\n' };
    const refused = (uid: number, mode: number): string =>
      parseError('Include /inc/a\n', { files, stats: { '/inc/a': { uid, mode } } }).detail;
    expect(refused(1001, 0o100644)).toBe('Bad owner or permissions on /inc/a');
    expect(refused(1000, 0o100646)).toBe('Bad owner or permissions on /inc/a');
    for (const [uid, mode] of [[1000, 0o100644], [0, 0o100600], [1000, 0o100664]] as const) {
      expect(resolve('Include /inc/a\n', { host: 'h' }, { files, stats: { '/inc/a': { uid, mode } } }).port).toBe(2);
    }
    const env = memEnv({ files, stats: { '/inc/a': { uid: 1001, mode: 0o100666 } } });
    expect(parseServerConfig({ text: 'Include /inc/a\n', file: 'f' }, env).document.entries).toHaveLength(1);
  });

  test('activity is restored after an Include', () => {
    const files = { '/x': 'Host other\n Port 5\n' };
    const r = resolve('Host h\n Include /x\n User after\n', { host: 'h' }, { files });
    expect(r.user).toBe('after');
    expect(r.port).toBe(22);
  });
  test('a glob matching nothing is fine; an unreadable match is an error with file and line', () => {
    expect(resolve('Include /none/*\nPort 3\n', { host: 'h' }).port).toBe(3);
    const env = memEnv({ files: { '/d/x': 'Port 1\n' } });
    const broken = { ...env, readFile: () => { throw new Error('EACCES'); } };
    let err: unknown;
    try {
      parseClientConfig({ text: '\nInclude /d/*\n', file: 'cfg' }, broken);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigParseError);
    expect(err).toMatchObject({ file: 'cfg', line: 2 });
  });
  test('loops and excessive depth are refused, not followed forever', () => {
    const loop = { '/a': 'Include /b\n', '/b': '\nInclude /a\n' };
    const e = parseError('Include /a\n', { files: loop });
    expect(e.message).toMatch(/Include loop/);
    expect(e).toMatchObject({ file: '/b', line: 2 });
    const deep: Record<string, string> = {};
    for (let i = 0; i < 20; i++) deep[`/d${i}`] = `Include /d${i + 1}\n`;
    deep['/d20'] = 'Port 1\n';
    expect(parseError('Include /d0\n', { files: deep }).message).toMatch(/too many recursive/);
  });
  // Without a bound, files that each include the next one k times (no loop, within the depth
  // limit) made k^16 documents: 15 short files with k = 3 read 14 million files and ran out of memory.
  test('the number of included files is bounded, whether by fan-out or by one glob', () => {
    const fan: Record<string, string> = { '/f15': 'Port 1\n' };
    for (let i = 0; i < 15; i++) fan[`/f${i}`] = `Include /f${i + 1} /f${i + 1}\n`;
    const e = parseError('Include /f0\n', { files: fan });
    expect(e.message).toMatch(/too many included files/);
    const wide: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) wide[`/d/${i}`] = 'Port 1\n';
    expect(parseError('\nInclude /d/*\n', { files: wide })).toMatchObject({ file: '/home/alice/.ssh/config', line: 2 });
    const fine: Record<string, string> = {};
    for (let i = 0; i < 4000; i++) fine[`/d/${i}`] = 'Port 1\n';
    expect(resolve('Include /d/*\n', { host: 'h' }, { files: fine }).port).toBe(1);
  });
  test('Include ~user/… reads that account\'s home directory (glob(3) GLOB_TILDE); an unknown account is left as written', () => {
    const files = { '/srv/bob/inc': 'Port 7\n', '/srv/bob/d/a.conf': 'User fromglob\n', '/home/alice/inc': 'Port 8\n' };
    const env = memEnv({ files, homes: { bob: '/srv/bob/' }, env: { HOME: '/home/alice' } });
    const r = resolveClientConfig(parseClientConfig({ text: 'Include ~bob/inc ~bob/d/*.conf\n', file: '/home/alice/.ssh/config' }, env), { host: 'h' }, env);
    expect([r.options.port, r.options.username]).toEqual([7, 'fromglob']);
    // No such account: the pattern stays as written and matches nothing here.
    const none = resolveClientConfig(parseClientConfig({ text: 'Include ~carol/inc\nPort 9\n', file: '/home/alice/.ssh/config' }, env), { host: 'h' }, env);
    expect(none.options.port).toBe(9);
    expect(env.readLog).not.toContain('~carol/inc');
    // Without homeDirOf, ~user is left as written too.
    const plain = memEnv({ files });
    expect(resolveClientConfig(parseClientConfig({ text: 'Include ~bob/inc\nPort 9\n', file: '/home/alice/.ssh/config' }, plain), { host: 'h' }, plain).options.port).toBe(9);
  });
  test('system configurations resolve relative includes in /etc/ssh and refuse ~', () => {
    const env = memEnv({ files: { '/etc/ssh/ssh_config.d/x.conf': 'Port 6\n' } });
    const cfg = parseClientConfig({ text: 'Include ssh_config.d/*.conf\n', file: '/etc/ssh/ssh_config', scope: 'system' }, env);
    expect(resolveClientConfig(cfg, { host: 'h' }, env).port).toBe(6);
    expect(() => parseClientConfig({ text: 'Include ~/x\n', file: '/etc/ssh/ssh_config', scope: 'system' }, env)).toThrow(ConfigParseError);
  });
  test('several files share one first-wins state (user config before system config)', () => {
    const env = memEnv();
    const cfg = parseClientConfig(
      [
        { text: 'Port 1\n', file: 'user' },
        { text: 'Port 2\nUser sys\n', file: 'sys', scope: 'system' },
      ],
      env,
    );
    const r = resolveClientConfig(cfg, { host: 'h' }, env);
    expect([r.port, r.user]).toEqual([1, 'sys']);
  });
});

describe('bad input', () => {
  test.each([
    ['NoSuchKeyword yes', /Bad configuration option: nosuchkeyword/],
    ['Port', /no argument after keyword "port"/],
    ['Port 0', /Bad port/],
    ['Port 22x', /Bad port/],
    ['ServerAliveCountMax -1', /integer value invalid/],
    ['ConnectTimeout 1.5', /invalid time value/],
    ['Compression maybe', /unsupported option/],
    ['IdentityFile a b', /extra arguments/],
    ['User "bob', /invalid quotes/],
    ['RekeyLimit 4', /too small/],
    ['LocalForward 80', /Missing target/],
    ['SendEnv A=B', /Invalid environment name/],
    ['ProxyJump bad:port', /invalid ProxyJump/],
  ])('%j', (line, re) => {
    const e = parseError(`Host *\n  ${line}\n`);
    expect(e.line).toBe(2);
    expect(e.message).toMatch(re);
  });
  // Found by fuzzing: the time value check backtracked exponentially on a long run of digits that
  // did not match in the end; 40 digits and an 'x' stalled the parser for hours.
  test('a long invalid time value fails at once', () => {
    const started = Date.now();
    expect(parseError(`ConnectTimeout ${'1'.repeat(40)}x\n`).message).toMatch(/invalid time value/);
    expect(parseError(`ServerAliveInterval 1h${'9'.repeat(2000)}\\9m\n`).message).toMatch(/invalid time value/);
    expect(Date.now() - started).toBeLessThan(1000);
    const r = resolve('ConnectTimeout 1w2d3h4m5s\nServerAliveInterval 1h30\n', { host: 'h' });
    expect([r.settings.get('connecttimeout')?.value, r.settings.get('serveraliveinterval')?.value]).toEqual([788645, 3630]);
  });
  // Trimming the hop list with /[ \t\r\n]+$/ retried from every blank of an inner run of blanks:
  // quadratic, so one long ProxyJump line stalled the parser for minutes.
  test('a ProxyJump line with a long run of blanks is read in linear time', () => {
    // The hop list ends at the first blank, as in ssh 9.2: what follows is not read.
    const r = resolve(`ProxyJump j1,j2${' '.repeat(200_000)}j3 \n`, { host: 'h' });
    expect(r.options.tunnel).toEqual([{ host: 'j1' }, { host: 'j2' }]);
    expect(parseError(`ProxyJump j1,${' '.repeat(200_000)}j2\n`).detail).toBe('invalid ProxyJump ""');
  });
  // Accumulating keywords copied their whole list (and the lines it came from) for every line, and
  // LocalForward compared each new forwarding with every earlier one: quadratic in the lines.
  test('many lines of accumulating keywords are combined in linear time', () => {
    const n = 40_000;
    const lines = Array.from({ length: n }, (_, i) => `SendEnv V${i}\nLocalForward ${(i % 60_000) + 1} h${i}:22\n`).join('');
    const r = resolve(`${lines}LocalForward 1 h0:22\nSendEnv -V1* W ${'X '.repeat(n)}\n`, { host: 'h' });
    const sendEnv = r.options.sendEnv as readonly string[];
    expect(sendEnv).toHaveLength(n - 11_111 + 1 + n);
    expect(sendEnv.slice(0, 2)).toEqual(['V0', 'V2']);
    expect(r.options.localForwards).toHaveLength(n);
    expect(r.settings.get('localforward')?.sources).toHaveLength(n);
  });
  // Each `-pattern` scanned every name given before it: 40,000 names and as many negations took
  // minutes. Literal names are now removed through an index; wildcard patterns are bounded.
  test('SendEnv negations are linear for literal names and bounded for wildcards', () => {
    const n = 40_000;
    const names = Array.from({ length: n }, (_, i) => `A${i}`).join(' ');
    const literal = Array.from({ length: n }, (_, i) => `-X${i}`).join(' ');
    const r = resolve(`SendEnv ${names} A1
SendEnv ${literal} -A0 -A1 -A2?
`, { host: 'h' });
    const sendEnv = r.options.sendEnv as readonly string[];
    expect(sendEnv).toHaveLength(n - 12);
    expect(sendEnv.slice(0, 3)).toEqual(['A2', 'A3', 'A4']);
    expect(sendEnv).not.toContain('A25');
    const wild = Array.from({ length: n }, (_, i) => `-X*${i}`).join(' ');
    expect(parseError(`SendEnv ${names}
SendEnv ${wild}
`).detail).toMatch(/^SendEnv: too many/);
  });
  // ssh reads each line as a C string: a NUL ends it. Reading on made `Host a\0 *` match every
  // host where ssh -G shows it matching only "a", and passed NULs on into names and commands.
  test('a NUL byte ends its line, as for ssh', () => {
    const text = 'Host a\0 *\n User wrong\nHost *\n User bob\0evil\n ProxyCommand nc %h\0; touch /tmp/x\n';
    const r = resolve(text, { host: 'b' });
    expect([r.user, r.options.proxyCommand]).toEqual(['bob', 'nc b']);
    expect(parseError('Port 1\0 2\nPort\0 3\n')).toMatchObject({ line: 2 });
  });
  test('IgnoreUnknown skips named unknown keywords (only once set)', () => {
    const r = resolve('IgnoreUnknown Use*,Fancy\nUseKeychain yes\nFancy 1\n', { host: 'h' });
    expect(r.unknownIgnored.map((s) => s.keyword)).toEqual(['UseKeychain', 'Fancy']);
    expect(parseError('UseKeychain yes\nIgnoreUnknown UseKeychain\n').line).toBe(1);
  });
  test('deprecated keywords are accepted and have no effect', () => {
    const r = resolve('Protocol 2\nUseRoaming no\nCipher blowfish\n', { host: 'h' });
    expect(r.settings.size).toBe(0);
    expect(r.ignored).toEqual([]);
  });
});

describe('resolved options', () => {
  // ssh reads the socket from $SSH_AUTH_SOCK for `IdentityAgent SSH_AUTH_SOCK`, and from the named
  // variable for `$NAME` (none when it is unset); connect() was given the word itself as a path.
  // ssh_config(5): a SecurityKeyProvider starting with `$` names the variable holding the library.
  test('SecurityKeyProvider $NAME reads the library from that variable (the default when unset)', () => {
    const env = { HOME: '/home/alice', SK_LIB: '/usr/lib/sk.so' };
    const provider = (v: string): unknown => resolve(`SecurityKeyProvider ${v}\n`, { host: 'h' }, { env }).options.securityKeyProvider;
    expect(provider('$SK_LIB')).toBe('/usr/lib/sk.so');
    expect(provider('$SK_UNSET')).toBeUndefined();
    expect(provider('/lib/sk.so')).toBe('/lib/sk.so');
    expect(provider('internal')).toBe('internal');
  });
  test('ForwardAgent: yes/no, a socket path, or $NAME naming the variable that holds one (false when unset)', () => {
    const env = { HOME: '/home/alice', SSH_AUTH_SOCK: '/run/agent.sock', OTHER: '/run/other.sock' };
    const fwd = (v: string): unknown => resolve(`ForwardAgent ${v}\n`, { host: 'h' }, { env }).options.agentForwarding;
    expect(fwd('yes')).toBe(true);
    expect(fwd('no')).toBe(false);
    expect(fwd('/run/fwd.sock')).toBe('/run/fwd.sock');
    expect(fwd('~/fwd')).toBe('/home/alice/fwd');
    expect(fwd('${OTHER}/x')).toBe('/run/other.sock/x');
    expect(fwd('$OTHER')).toBe('/run/other.sock');
    expect(fwd('$SSH_AUTH_SOCK')).toBe('/run/agent.sock');
    expect(fwd('$UNSET_AGENT')).toBe(false);
  });
  test('IdentityAgent SSH_AUTH_SOCK and $NAME name environment variables holding the socket', () => {
    const env = { HOME: '/home/alice', SSH_AUTH_SOCK: '/run/agent.sock', OTHER: '/run/other.sock' };
    const agent = (v: string): unknown => resolve(`IdentityAgent ${v}\n`, { host: 'h' }, { env }).options.agentPath;
    expect(agent('SSH_AUTH_SOCK')).toBe('/run/agent.sock');
    expect(agent('$OTHER')).toBe('/run/other.sock');
    expect(agent('$UNSET_AGENT')).toBeNull();
    expect(agent('${OTHER}/x')).toBe('/run/other.sock/x');
    expect(agent('~/agent')).toBe('/home/alice/agent');
    expect(agent('none')).toBeNull();
    expect(resolve('IdentityAgent SSH_AUTH_SOCK\n', { host: 'h' }, { env: { HOME: '/home/alice' } }).options.agentPath).toBeNull();
  });

  // The names were assigned into a plain object, where `__proto__` is the prototype setter: the
  // variable was dropped without a word, though ssh sends it like any other.
  test('SetEnv keeps every name, __proto__ included', () => {
    const r = resolve('SetEnv __proto__=x constructor=y A=1\n', { host: 'h' });
    expect(Object.entries(r.options.env ?? {})).toEqual([['__proto__', 'x'], ['constructor', 'y'], ['A', '1']]);
  });
  test('settings carry keyword, option and source; ignored lists what connect() does not use', () => {
    const r = resolve('Host h\n ControlMaster auto\n ForwardAgent yes\n ChallengeResponseAuthentication no\n', { host: 'h' });
    expect(r.settings.get('kbdinteractiveauthentication')).toMatchObject({ keyword: 'KbdInteractiveAuthentication', option: 'kbdintAuth', value: false });
    expect(r.settings.get('forwardagent')?.sources[0]).toMatchObject({ line: 3, keyword: 'ForwardAgent', args: ['yes'] });
    expect(r.ignored.map((i) => i.keyword)).toEqual(['ControlMaster']);
    expect(r.options).toMatchObject({ agentForwarding: true, kbdintAuth: false });
  });
  test('ProxyJump hops and none', () => {
    expect(resolve('ProxyJump bob@j1:2200,ssh://j2\n', { host: 'h' }).options.tunnel).toEqual([{ user: 'bob', host: 'j1', port: 2200 }, { host: 'j2' }]);
    expect(resolve('ProxyJump none\nProxyCommand nc %h\n', { host: 'h' }).options).toMatchObject({ tunnel: null, proxyCommand: 'nc h' });
    expect(resolve('ProxyJump j\nProxyCommand nc\n', { host: 'h' }).options.proxyCommand).toBeUndefined();
  });
  test('async variants give the same result', async () => {
    const env = memEnv({ files: { '/inc': 'Port 8\n' }, exec: () => 0 });
    const text = 'Include /inc\nMatch exec true\n User e\n';
    const sync = resolveClientConfig(parseClientConfig({ text, file: 'f' }, env), { host: 'h' }, env);
    const async_ = await resolveClientConfigAsync(await parseClientConfigAsync({ text, file: 'f' }, env), { host: 'h' }, env);
    expect(async_.options).toEqual(sync.options);
    expect(async_.options).toMatchObject({ port: 8, username: 'e' });
  });
});

describe('service names for ports (a2port: a decimal port, else getservbyname(name, "tcp"))', () => {
  const services = { ssh: 22, http: 80, www: 80, socks: 1080 };
  test('Port, forwardings and ProxyJump hops take a service name the environment knows', () => {
    const r = resolve('Port ssh\nLocalForward 8080 host:http\nRemoteForward www localhost:ssh\nDynamicForward localhost:socks\nProxyJump u@j:http,ssh://k:ssh\n', { host: 'h' }, { services });
    expect(r.port).toBe(22);
    expect(r.settings.get('localforward')?.value).toEqual([{ listenPort: 8080, connectHost: 'host', connectPort: 80 }]);
    expect(r.settings.get('remoteforward')?.value).toEqual([{ listenPort: 80, connectHost: 'localhost', connectPort: 22 }]);
    expect(r.settings.get('dynamicforward')?.value).toEqual([{ listenHost: 'localhost', listenPort: 1080 }]);
    expect(r.options.tunnel).toEqual([{ user: 'u', host: 'j', port: 80 }, { host: 'k', port: 22 }]);
    expect(resolve('PermitRemoteOpen h:http\n', { host: 'h' }, { services }).settings.get('permitremoteopen')?.value).toEqual(['h:http']);
  });
  test('each name is looked up once per file; a decimal port is not looked up', () => {
    const r = resolve('Port 22\nLocalForward 1 h:ssh\nLocalForward 2 h:ssh\n', { host: 'h' }, { services });
    expect(r.env.serviceLog).toEqual(['ssh']);
  });
  test('a name the environment does not know (case matters), or no lookup at all, is the same error as before', () => {
    expect(parseError('Port SSH\n', { services }).message).toContain("Bad port 'SSH'");
    expect(parseError('Port ssh\n').message).toContain("Bad port 'ssh'");
    expect(parseError('LocalForward 8080 host:nosuch\n', { services }).message).toContain('Bad forwarding specification');
    expect(parseError('ProxyJump u@j:nosuch\n', { services }).message).toContain('invalid ProxyJump');
    expect(parseError('PermitRemoteOpen h:nosuch\n', { services }).message).toContain('bad port number');
  });
  test('an asynchronous lookup works with the async reader', async () => {
    const env = { ...memEnv(), servicePort: (name: string) => Promise.resolve(name === 'ssh' ? 22 : undefined) };
    const cfg = await parseClientConfigAsync({ text: 'Port ssh\n', file: 'f' }, env);
    expect((await resolveClientConfigAsync(cfg, { host: 'h' }, env)).port).toBe(22);
  });
});

describe('environment contract', () => {
  test('a Promise returned to a synchronous call is a ConfigEnvironmentError, not a parse error', async () => {
    const { ConfigEnvironmentError } = await import('../src/index.ts');
    const env = { ...memEnv(), glob: () => Promise.resolve([]) };
    expect(() => parseClientConfig({ text: 'Include /x/*\n', file: 'f' }, env)).toThrow(ConfigEnvironmentError);
    const env2 = { ...memEnv(), exec: () => Promise.resolve(0) };
    const cfg = parseClientConfig({ text: 'Match exec x\n Port 1\n', file: 'f' }, env2);
    expect(() => resolveClientConfig(cfg, { host: 'h' }, env2)).toThrow(ConfigEnvironmentError);
    await expect(resolveClientConfigAsync(cfg, { host: 'h' }, env2)).resolves.toMatchObject({ port: 1 });
  });
});

test('CanonicalizeHostname with CanonicalizeFallbackLocal no fails as ssh does (no resolver here; see canonicalize.test.ts)', () => {
  const text = 'CanonicalizeHostname yes\nCanonicalizeFallbackLocal no\n';
  expect(() => resolve(text, { host: 'web' })).toThrow(HostCanonicalizationError);
  expect(resolve(text, { host: 'a.b.c' }).hostname).toBe('a.b.c'); // more dots than CanonicalizeMaxDots
  expect(resolve(text, { host: '10.0.0.1' }).hostname).toBe('10.0.0.1');
  expect(resolve(`${text}ProxyJump j\n`, { host: 'web' }).hostname).toBe('web');
});

describe('names given by the caller (ssh 9.6 refuses shell metacharacters in command-line names)', () => {
  // Match exec runs its command through a shell with %h and %r in it: a caller passing an
  // untrusted host name must not get it run (CVE-2023-51385).
  const config = 'Match exec "test %h = %r"\n  Port 2222\n';

  test.each(['evil;touch /tmp/x', 'a`id`', 'a$(id)', 'a b', '-oProxyCommand=x', 'a,b', 'a|b', 'a\\b', 'a\nb', "a'b", 'a{b}'])('host %j is refused before Match exec runs', (host) => {
    const err = parseError(config, {}, { host });
    expect(err.message).toMatch(/hostname contains invalid characters/);
  });

  test.each(['a;b', 'x`id`', '-l', 'a -b', 'trailing\\', 'a\tb\u0001', 'a"b'])('user %j is refused', (user) => {
    const err = parseError(config, {}, { host: 'h', user });
    expect(err.message).toMatch(/remote username contains invalid characters/);
  });

  test.each([
    ['fe80::1%eth0', undefined],
    ['[2001:db8::1]', undefined],
    ['host.example_1-x', 'DOMAIN\\user'],
    ['h', 'bob smith'],
    ['h', 'a-b.c@d'],
  ])('host %j with user %j pass', (host, user) => {
    const r = resolve('Host *\n  Port 2200\n', { host, ...(user !== undefined ? { user } : {}) });
    expect(r.options.port).toBe(2200);
  });

  test('names from the configuration are not checked (HostName, User)', () => {
    const r = resolve('Host alias\n  HostName odd;name\n  User odd|user\n', { host: 'alias' });
    expect(r.options.host).toBe('odd;name');
    expect(r.options.username).toBe('odd|user');
  });
});
