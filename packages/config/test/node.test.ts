import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigParseError, parseClientConfig, resolveClientConfig, resolveServerConfig } from '../src/index.ts';
import { globAsync, globSync, loadClientConfig, loadServerConfig, lookupAccount, nodeEnvironment, nodeEnvironmentAsync, readServerConfig } from '../src/node/index.ts';
import { globAsyncWith, globSyncWith, NODE_GLOB_FS, NODE_GLOB_FS_ASYNC } from '../src/node/glob.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssh-config-node-'));
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, '.ssh'));
  for (const f of ['b.conf', 'a.conf', '.hidden.conf', 'c.txt']) writeFileSync(join(dir, 'conf.d', f), '');
  symlinkSync(join(dir, 'missing'), join(dir, 'conf.d', 'dangling.conf'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('glob', () => {
  test('sorted, no hidden files unless asked, [..] classes, literal paths must exist', async () => {
    const want = ['a.conf', 'b.conf', 'dangling.conf'].map((f) => join(dir, 'conf.d', f));
    expect(globSync(join(dir, 'conf.d', '*.conf'))).toEqual(want);
    expect(await globAsync(join(dir, 'conf.d', '*.conf'))).toEqual(want);
    expect(globSync(join(dir, 'conf.d', '.*.conf'))).toEqual([join(dir, 'conf.d', '.hidden.conf')]);
    expect(globSync(join(dir, 'conf.d', '[ab].*'))).toEqual(want.slice(0, 2));
    expect(globSync(join(dir, 'conf.d', '[!ab]*'))).toEqual([join(dir, 'conf.d', 'c.txt'), join(dir, 'conf.d', 'dangling.conf')]);
    expect(globSync(join(dir, '*', 'a.conf'))).toEqual([join(dir, 'conf.d', 'a.conf')]);
    expect(globSync(join(dir, 'conf.d', 'nope'))).toEqual([]);
    expect(globSync('relative/*')).toEqual([]);
  });

  // Found by fuzzing Include: each '*' became [^/]* in one RegExp, which tried every way of sharing
  // a name among the stars before failing; '**********b' against a 40-character name took minutes.
  test('many stars match in linear time', async () => {
    const long = join(dir, 'stars');
    mkdirSync(long, { recursive: true });
    writeFileSync(join(long, 'a'.repeat(40)), '');
    const started = Date.now();
    for (const pattern of ['**********b', '*a*a*a*a*a*a*a*a*a*a*a*a*b', '*?*?*?*?*?*?*?*?*?*?*?[b]']) {
      expect(globSync(join(long, pattern))).toEqual([]);
      expect(await globAsync(join(long, pattern))).toEqual([]);
    }
    expect(Date.now() - started).toBeLessThan(1000);
    expect(globSync(join(long, '**a*?[a]'))).toEqual([join(long, 'a'.repeat(40))]);
    expect(globSync(join(dir, 'conf.d', '**.c*f'))).toEqual(globSync(join(dir, 'conf.d', '*.conf')));
  });
});

// Include /*/*/*/*/* or a ~/.ssh/** lookalike walked the whole tree before the reader counted the
// files it matched against the 4096-file bound: the walk itself now stops at the bound.
describe('glob with a bound on the matches', () => {
  const DIRS = 40;
  const FILES = 200;
  let wide = '';
  let all: string[] = [];
  beforeAll(() => {
    wide = join(dir, 'wide');
    for (let d = 0; d < DIRS; d++) {
      const sub = join(wide, `d${String(d).padStart(3, '0')}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < FILES; f++) {
        const name = `f${String(f).padStart(3, '0')}`;
        writeFileSync(join(sub, name), '');
        all.push(join(sub, name));
      }
    }
    all = all.sort();
  });

  function counting<T extends { list(path: string): unknown }>(fs: T): { fs: T; lists: () => number } {
    let n = 0;
    return { fs: { ...fs, list: (path: string) => (n++, fs.list(path)) }, lists: () => n };
  }

  test('stops listing directories once it has more matches than allowed', async () => {
    const pattern = join(wide, '*', '*');
    const whole = counting(NODE_GLOB_FS);
    expect(globSyncWith(pattern, {}, whole.fs)).toEqual(all);
    expect(whole.lists()).toBe(DIRS + 1);

    const want = all.slice(0, 4097);
    const sync = counting(NODE_GLOB_FS);
    expect(globSyncWith(pattern, { maxMatches: 4096 }, sync.fs)).toEqual(want);
    const leaves = Math.ceil(4097 / FILES);
    expect(sync.lists()).toBe(1 + leaves);
    const async = counting(NODE_GLOB_FS_ASYNC);
    expect(await globAsyncWith(pattern, { maxMatches: 4096 }, async.fs)).toEqual(want);
    expect(async.lists()).toBe(1 + leaves);

    expect(globSync(pattern, { maxMatches: 10 })).toEqual(all.slice(0, 11));
    expect(await globAsync(pattern, { maxMatches: 0 })).toEqual(all.slice(0, 1));
    expect(globSync(pattern, { maxMatches: DIRS * FILES })).toEqual(all);
  });

  test('Include asks the environment for no more than the files it may still read, and reads none when over', () => {
    const base = nodeEnvironment({ homeDir: dir });
    const asked: (number | undefined)[] = [];
    const returned: number[] = [];
    let reads = 0;
    const env = {
      ...base,
      glob: (pattern: string, o?: { maxMatches?: number }) => {
        asked.push(o?.maxMatches);
        const r = globSync(pattern, o);
        returned.push(r.length);
        return r;
      },
      readFile: (path: string) => (reads++, base.readFile(path)),
    };
    const e = (() => {
      try {
        parseClientConfig({ text: `Include ${join(wide, 'd000', 'f00*')}
Include ${join(wide, '*', '*')}
`, file: join(dir, 'config') }, env);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ConfigParseError);
    expect((e as ConfigParseError).line).toBe(2);
    expect((e as ConfigParseError).message).toMatch(/too many included files/);
    expect(asked).toEqual([4096, 4086]);
    expect(returned).toEqual([10, 4087]);
    expect(reads).toBe(10);
  });
});

describe('Node environment', () => {
  test('Match exec runs a real shell command; Include reads real files', () => {
    writeFileSync(join(dir, '.ssh', 'inc'), 'User included\n');
    const env = nodeEnvironment({ homeDir: dir, shell: '/bin/sh', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const text = `Include inc\nMatch exec "test %h = yes"\n Port 1\nMatch exec "exit 3"\n Port 2\nMatch exec "true"\n Port 3\n`;
    const r = resolveClientConfig(parseClientConfig({ text, file: join(dir, 'config') }, env), { host: 'no' }, env);
    expect(r.port).toBe(3);
    expect(r.user).toBe('included');
    expect(env.localUser).toBe(userInfo().username);
  });

  test('service names: tcp entries and aliases of the services file, read once when first needed', async () => {
    const file = join(dir, 'services');
    const sync = nodeEnvironment({ servicesFile: file });
    const async_ = nodeEnvironmentAsync({ servicesFile: file });
    // Not read yet: the file may appear after the environment is made.
    writeFileSync(file, '# comment\nssh\t\t22/tcp\t\t\t# SSH\ntftp\t69/udp\nhttp 80/tcp www # web\nhttp 8080/tcp\nmail 25/tcp smtp\nsmtp 26/tcp\nbad x/tcp\n');
    expect(sync.servicePort?.('ssh')).toBe(22);
    expect(await async_.servicePort?.('www')).toBe(80);
    writeFileSync(file, 'ssh 2222/tcp\n');
    // The first entry wins, names before aliases of later lines; udp-only names are not TCP ports.
    for (const env of [sync, async_]) {
      expect(await env.servicePort?.('ssh')).toBe(22);
      expect(await env.servicePort?.('http')).toBe(80);
      expect(await env.servicePort?.('smtp')).toBe(25);
      expect(await env.servicePort?.('tftp')).toBeUndefined();
      expect(await env.servicePort?.('SSH')).toBeUndefined();
      expect(await env.servicePort?.('bad')).toBeUndefined();
    }
    expect(nodeEnvironment({ servicesFile: join(dir, 'no-such-services') }).servicePort?.('ssh')).toBeUndefined();
    // The default is /etc/services.
    const r = resolveClientConfig(parseClientConfig({ text: 'Port ssh\n', file: 'f' }, nodeEnvironment()), { host: 'h' }, nodeEnvironment());
    expect(r.port).toBe(22);
  });

  test('loadClientConfig reads files in order and refuses a missing explicit file', async () => {
    const a = join(dir, 'cfg_a');
    const b = join(dir, 'cfg_b');
    writeFileSync(a, 'Host *\n Port 2200\n');
    writeFileSync(b, 'Port 1\nUser fromb\nMatch exec true\n Compression yes\n');
    const r = await loadClientConfig([a, b], { host: 'h' }, { homeDir: dir, shell: '/bin/sh' });
    expect(r.options).toMatchObject({ port: 2200, username: 'fromb', compressionAlgs: 'zlib@openssh.com,zlib,none' });
    await expect(loadClientConfig(join(dir, 'nope'), { host: 'h' }, { homeDir: dir })).rejects.toBeInstanceOf(ConfigParseError);
    const none = await loadClientConfig(undefined, { host: 'h' }, { homeDir: join(dir, 'empty-home') });
    expect(none.hostname).toBe('h');
  });

  test('loadClientConfig passes resolveHost on to the environment (CanonicalizeHostname)', async () => {
    const c = join(dir, 'cfg_canon');
    writeFileSync(c, 'CanonicalizeHostname yes\nCanonicalDomains example.test\n');
    const asked: string[] = [];
    const resolveHost = (name: string) => (asked.push(name), name === 'web.example.test.' ? {} : undefined);
    expect((await loadClientConfig(c, { host: 'web' }, { homeDir: dir, resolveHost })).hostname).toBe('web.example.test');
    expect(asked).toEqual(['web.example.test.']);
    expect((await loadClientConfig(c, { host: 'web' }, { homeDir: dir })).hostname).toBe('web');
    expect(nodeEnvironment({ resolveHost }).resolveHost).toBe(resolveHost);
  });

  test('the default ~/.ssh/config is refused when others may write it, as ssh refuses it; a file named outright is not checked', async () => {
    const home = join(dir, 'perm-home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    const cfg = join(home, '.ssh', 'config');
    writeFileSync(cfg, 'Port 2402\n');
    chmodSync(cfg, 0o666);
    await expect(loadClientConfig(undefined, { host: 'h' }, { homeDir: home })).rejects.toThrow(/Bad owner or permissions/);
    expect((await loadClientConfig(cfg, { host: 'h' }, { homeDir: home })).port).toBe(2402);
    chmodSync(cfg, 0o644);
    expect((await loadClientConfig(undefined, { host: 'h' }, { homeDir: home })).port).toBe(2402);
  });

  test("Include's ~ is $HOME (the password database's home when unset or empty); a homeDir given stands for both", () => {
    const pw = userInfo().homedir;
    expect(nodeEnvironment({ env: { HOME: '/env/home' } })).toMatchObject({ homeDir: pw, includeHomeDir: '/env/home' });
    expect(nodeEnvironment({ env: { HOME: '' } })).toMatchObject({ homeDir: pw, includeHomeDir: pw });
    expect(nodeEnvironment({ env: {} })).toMatchObject({ homeDir: pw, includeHomeDir: pw });
    expect(nodeEnvironment({ homeDir: '/given', env: { HOME: '/env/home' } })).toMatchObject({ homeDir: '/given', includeHomeDir: '/given' });
  });

  test('readServerConfig reads several files in order: first value wins across them, a Match block ends with its file', async () => {
    const a = join(dir, 'sshd_a');
    const b = join(dir, 'sshd_b');
    writeFileSync(a, 'PasswordAuthentication no\nMatch User bob\n PermitTTY no\n');
    writeFileSync(b, 'PasswordAuthentication yes\nPort 2222\nAllowAgentForwarding no\n');
    const env = nodeEnvironment({ homeDir: dir });
    const config = await readServerConfig([a, b], { homeDir: dir });
    const bob = resolveServerConfig(config, { user: 'bob' }, env).options;
    expect(bob).toMatchObject({ passwordAuth: false, ports: [2222], allowPty: false, agentForwarding: false });
    expect(resolveServerConfig(config, { user: 'eve' }, env).options).toMatchObject({ passwordAuth: false, agentForwarding: false, ports: [2222] });
    expect(resolveServerConfig(config, { user: 'eve' }, env).options.allowPty).toBeUndefined();
    expect((await loadServerConfig([a, b], { user: 'eve' })).options).toMatchObject({ passwordAuth: false, ports: [2222] });
    // One file is read as before.
    expect(resolveServerConfig(await readServerConfig(b), {}, env).options.passwordAuth).toBe(true);
    const missing = join(dir, 'no-sshd-config');
    const e = await readServerConfig([a, missing]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigParseError);
    expect(e).toMatchObject({ file: missing, line: 0 });
  });

  test('lookupAccount finds a local account by name only', async () => {
    const me = userInfo();
    expect(await lookupAccount(me.username)).toEqual({ name: me.username, uid: me.uid, homeDir: me.homedir });
    // Another account than ours goes through getent (or /etc/passwd).
    const other = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f.length >= 7 && f[0] !== me.username && f[0] !== '' && !f[0]?.startsWith('+'));
    if (other) expect(await lookupAccount(other[0] as string)).toEqual({ name: other[0], uid: Number(other[2]), homeDir: other[5] });
    expect(await lookupAccount('no-such-user-here-xyz')).toBeUndefined();
    // getent answers a number by uid: the account must have exactly the name asked for.
    expect(await lookupAccount('0')).toBeUndefined();
    for (const bad of ['', '-x', 'a:b', 'a\nb']) expect(await lookupAccount(bad), bad).toBeUndefined();
  });

  test('loadServerConfig resolves Match for a connection', async () => {
    const f = join(dir, 'sshd_config');
    writeFileSync(f, 'PasswordAuthentication no\nMatch User bob\n PasswordAuthentication yes\n');
    expect((await loadServerConfig(f, { user: 'bob' })).options.passwordAuth).toBe(true);
    expect((await loadServerConfig(f, { user: 'eve' })).options.passwordAuth).toBe(false);
  });
});
