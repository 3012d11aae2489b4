/**
 * Differential test against OpenSSH: a seeded generator writes random ssh_config files (Host
 * patterns, Match rules, Includes in a temporary directory, tokens, ${VAR}), resolves them with
 * this package and with `ssh -G -F <file>`, and compares every keyword both support.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigParseError, parseClientConfigAsync, resolveClientConfigAsync, type ResolvedClientConfig, type ForwardSpec, type JumpHost } from '../src/index.ts';
import { nodeEnvironmentAsync } from '../src/node/index.ts';
import { pool, rng, runDump, type DumpResult } from './helpers/openssh.ts';

const CONFIGS = 120;
const SEED = Number(process.env.CONFIG_SEED ?? 0x55c0f1);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssh-config-gen-'));
  mkdirSync(join(dir, '.ssh'));
});
afterAll(() => {
  if (dir && !process.env.KEEP_GEN) rmSync(dir, { recursive: true, force: true });
});

type R = ReturnType<typeof rng>;

const HOSTS = ['alpha', 'beta.example.com', 'gamma', 'db1.prod', 'web-2', 'Web3', '10.1.2.3'];
const HOST_PATTERNS = ['*', 'alpha', 'a*', '*.example.com', '?eta*', '!gamma', 'db?.prod', 'web-*', 'W*', '10.1.*', '!alpha', 'gamma', 'beta*', '*a*'];
const LISTS = ['alpha', 'alpha,gamma', '*.example.com', 'db*,!db1.prod', '*', 'web-2,web3', '!alpha,*', 'gamma*', '10.1.2.3', '*.prod'];
const USERS = ['bob', 'carol', 'root', 'dave'];
const USER_LISTS = ['bob', 'bob,carol', 'r*', '!root,*', 'd?ve', 'root'];
const EXECS = ['true', 'false', 'test %h = alpha', 'test %p = 22', 'test %r = bob', 'test %n = gamma', 'exit 1', 'test %L = %L'];

const ALG: Record<string, string[]> = {
  ciphers: ['aes128-ctr', 'aes256-ctr', 'chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com'],
  macs: ['hmac-sha2-256', 'hmac-sha2-512', 'umac-64@openssh.com', 'hmac-sha2-256-etm@openssh.com'],
  kexalgorithms: ['curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256'],
  hostkeyalgorithms: ['ssh-ed25519', 'rsa-sha2-256', 'ecdsa-sha2-nistp256'],
  casignaturealgorithms: ['ssh-ed25519', 'rsa-sha2-512', 'ecdsa-sha2-nistp384'],
};

function algList(r: R, k: string): string {
  const all = ALG[k] as string[];
  const n = 1 + r.int(all.length);
  const picked: string[] = [];
  for (const a of [...all].sort(() => r.next() - 0.5)) if (picked.length < n) picked.push(a);
  return picked.join(',');
}

const yn = (r: R): string => r.pick(['yes', 'no', 'YES', 'No', 'true', 'false']);

/** Value generators for the keywords compared with ssh -G. */
const VALUES: Record<string, (r: R) => string> = {
  AddressFamily: (r) => r.pick(['any', 'inet', 'inet6']),
  BindAddress: (r) => r.pick(['127.0.0.1', '::1', '10.0.0.5']),
  CanonicalizeFallbackLocal: yn,
  CanonicalizeHostname: (r) => r.pick(['no', 'yes', 'no', 'false']),
  CanonicalizeMaxDots: (r) => String(r.int(4)),
  CASignatureAlgorithms: (r) => algList(r, 'casignaturealgorithms'),
  CertificateFile: (r) => r.pick(['~/.ssh/cert_%h', '/tmp/c-%r-%p', '"/tmp/with space/%n"', '${GENVAR}/cert']),
  Ciphers: (r) => algList(r, 'ciphers'),
  ChallengeResponseAuthentication: yn,
  Compression: (r) => r.pick(['yes', 'no', 'YES', 'No']),
  ConnectTimeout: (r) => r.pick(['0', '10', '1m', '1m30s', '2h', 'none', '5S']),
  DynamicForward: (r) => r.pick(['1080', 'localhost:1081', '127.0.0.1:1082', '[::1]:1083', '/tmp/socks_d']),
  EnableSSHKeysign: yn,
  ForwardAgent: (r) => r.pick(['yes', 'no', '/tmp/agent.sock', '/tmp/fa_%h_%p_%r_%n', '${GENVAR}/fa', '$GENVAR']),
  ForwardX11Trusted: yn,
  GlobalKnownHostsFile: (r) => r.pick(['/etc/kh1', '/etc/kh1 /etc/kh2', 'none']),
  GSSAPIAuthentication: yn,
  GSSAPIDelegateCredentials: yn,
  GSSAPIKeyExchange: yn,
  HostbasedAuthentication: yn,
  HostKeyAlgorithms: (r) => algList(r, 'hostkeyalgorithms'),
  HostKeyAlias: (r) => r.pick(['alias1', 'kalias']),
  HostName: (r) => r.pick(['%h.example.net', 'real-%h', 'Target.Example.COM', '192.168.1.7', '%h', 'x%%y']),
  IdentitiesOnly: yn,
  IdentityAgent: (r) => r.pick(['/tmp/agent-%h-%p', '${GENVAR}/agent', 'none', 'SSH_AUTH_SOCK', '/tmp/a_%C']),
  IdentityFile: (r) => r.pick(['~/.ssh/id_%h', '/keys/%r@%h:%p', '~/.ssh/id_ed25519', '/keys/%u-%n', '"/keys/sp ace"', '/keys/%k']),
  KbdInteractiveAuthentication: yn,
  KexAlgorithms: (r) => algList(r, 'kexalgorithms'),
  LocalForward: (r) => r.pick(['8080 localhost:80', '127.0.0.1:8081 [::1]:80', '8082 db:5432', '[::1]:8083 h:22', '/tmp/l_%h_${GENVAR}.sock h:80', '+8084 h:+80', '8085 a\\:b:80']),
  MACs: (r) => algList(r, 'macs'),
  PasswordAuthentication: yn,
  Port: (r) => r.pick(['22', '2222', '443', '65535']),
  PreferredAuthentications: (r) => r.pick(['publickey', 'publickey,password', 'keyboard-interactive']),
  ProxyCommand: (r) => r.pick(['nc %h %p', 'ssh -W %h:%p jump', 'none', 'connect %r@%n']),
  ProxyJump: (r) => r.pick(['jump1', 'bob@jump2:2200', 'j1,j2', 'none', 'ssh://carol@j3:22', 'dave@j4:', 'ssh://e%40f;x=y@j5/', 'j6 j7', '[::1]:2201']),
  PubkeyAuthentication: (r) => r.pick(['yes', 'no', 'unbound', 'host-bound']),
  RekeyLimit: (r) => r.pick(['1G', '512M 1h', 'default none', '100K 30', '2G none', '0 15']),
  RemoteCommand: (r) => r.pick(['echo %h %p', 'tmux attach -t %r', 'ls "a b" %%', 'echo %C %L %l %i %u']),
  RemoteForward: (r) => r.pick(['9000', '*:9001 h:22', '9002 localhost:3000', 'localhost:9003', '/tmp/r_%r.sock /tmp/t_${GENVAR}_%p']),
  RequestTTY: (r) => r.pick(['no', 'yes', 'force', 'auto']),
  SendEnv: (r) => r.pick(['LANG', 'LC_* XMODIFIERS', '-LC_*', 'A B', '-A']),
  ServerAliveCountMax: (r) => String(r.int(10)),
  ServerAliveInterval: (r) => r.pick(['0', '15', '1m', '2m30s', 'none']),
  SetEnv: (r) => r.pick(['A=1', 'A=2 B=3', '"C=x y"', 'D=4 D=5']),
  TCPKeepAlive: yn,
  User: (r) => r.pick(USERS),
  UserKnownHostsFile: (r) => r.pick(['/tmp/kh_%h', '/tmp/kh_%h /tmp/kh2', '${GENVAR}/kh', 'none']),
};
const KEYWORDS = Object.keys(VALUES);

/** Malformed lines, occasionally inserted: both sides must refuse the file. */
const BAD_LINES = ['Port 0', 'Port 70000', 'Port abc', 'NoSuchKeyword yes', 'Compression maybe', 'ConnectTimeout 1.5', 'IdentityFile', 'Host', 'Match bogus x', 'Match host', 'Match all host x', 'LocalForward 80', 'SendEnv A=B', 'SetEnv NOEQUALS', 'IdentityFile a b', 'RekeyLimit 4', 'User "unterminated', 'RekeyLimit 1G default', 'Compression true', 'ProxyJump a, b', 'LocalForward 8080 h:0', 'ServerAliveInterval NONE', 'ForwardAgent $a-b', 'User ""'];

function randomCase(r: R, s: string): string {
  const mode = r.int(4);
  if (mode === 0) return s.toLowerCase();
  if (mode === 1) return s.toUpperCase();
  return s;
}

function optionLine(r: R, indent: string): string {
  const kw = r.pick(KEYWORDS);
  const v = (VALUES[kw] as (r: R) => string)(r);
  const sep = r.pick([' ', ' ', '=', ' = ', '\t']);
  const comment = r.chance(0.1) ? ' # trailing comment' : '';
  const isCommand = kw === 'ProxyCommand' || kw === 'RemoteCommand';
  return `${indent}${randomCase(r, kw)}${sep}${v}${isCommand ? '' : comment}`;
}

function matchLine(r: R): string {
  const parts: string[] = [];
  const n = 1 + r.int(2);
  if (r.chance(0.08)) return 'Match all';
  if (r.chance(0.05)) return `Match ${r.pick(['final', 'canonical', '!final'])} all`;
  for (let i = 0; i < n; i++) {
    const neg = r.chance(0.2) ? '!' : '';
    const kind = r.chance(0.06) ? 'exec' : r.pick(['host', 'originalhost', 'user', 'localuser', 'final', 'canonical', 'host', 'user', 'originalhost']);
    switch (kind) {
      case 'final':
      case 'canonical':
        parts.push(`${neg}${kind}`);
        break;
      case 'exec':
        parts.push(`${neg}exec "${r.pick(EXECS)}"`);
        break;
      case 'user':
        parts.push(`${neg}user ${r.pick(USER_LISTS)}`);
        break;
      case 'localuser':
        parts.push(`${neg}localuser ${r.pick(['root', 'nobody', 'r*,!x'])}`);
        break;
      default:
        parts.push(`${neg}${kind}${r.pick([' ', ' ', '='])}${r.pick(LISTS)}`);
    }
  }
  return `${r.pick(['Match', 'match', 'MATCH'])} ${parts.join(' ')}`;
}

function hostLine(r: R): string {
  const n = 1 + r.int(3);
  const pats: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = r.pick(HOST_PATTERNS);
    pats.push(r.chance(0.15) ? `"${p}"` : p);
  }
  return `${r.pick(['Host', 'host'])}${r.pick([' ', ' ', '=', ' = '])}${pats.join(' ')}`;
}

function body(r: R, name: string, depth: number, files: Map<string, string>, allowBad: boolean): string {
  const lines: string[] = [];
  const top = r.int(4);
  for (let i = 0; i < top; i++) lines.push(optionLine(r, ''));
  const blocks = 1 + r.int(5);
  for (let b = 0; b < blocks; b++) {
    lines.push(r.chance(0.5) ? hostLine(r) : matchLine(r));
    const n = 1 + r.int(4);
    for (let i = 0; i < n; i++) {
      if (depth < 2 && r.chance(0.12)) {
        const inc = `${name}_i${b}_${i}`;
        const style = r.int(3);
        const absolute = join(dir, inc);
        const relative = join(dir, '.ssh', inc);
        const target = style === 1 ? relative : absolute;
        files.set(target, body(r, inc, depth + 1, files, false));
        lines.push(`  Include ${style === 0 ? absolute : style === 1 ? inc : join(dir, `${name}_i${b}_*`)}`);
      } else {
        lines.push(optionLine(r, r.pick(['  ', '\t', ''])));
      }
    }
    if (r.chance(0.15)) lines.push('# a comment line', '');
  }
  if (allowBad && r.chance(0.06)) lines.splice(r.int(lines.length + 1), 0, r.pick(BAD_LINES));
  if (allowBad && r.chance(0.02)) lines.push(`Include ${join(dir, `config_${name.slice(1)}`)}`); // includes itself
  return lines.join('\n') + '\n';
}

// ---- formatting our result the way ssh -G prints it --------------------------------------

const FLAG_TRUE_FALSE = new Set(['pubkeyauthentication', 'requesttty', 'canonicalizehostname']);

function fmtForward(f: ForwardSpec, kind: 'local' | 'remote' | 'dynamic'): string {
  const listen = f.listenPath ?? (f.listenHost === undefined ? String(f.listenPort) : `[${f.listenHost}]:${f.listenPort}`);
  if (kind === 'dynamic') return listen;
  const connect =
    f.connectPath ?? (f.connectHost === undefined ? (kind === 'remote' ? '[socks]:0' : '') : `[${f.connectHost}]:${f.connectPort}`);
  return `${listen} ${connect}`;
}

function expectedLines(key: string, value: unknown, res: ResolvedClientConfig): string[] | undefined {
  const s = res.settings.get(key);
  switch (key) {
    case 'hostname':
      return [res.hostname];
    case 'port':
      return [String(res.port)];
    case 'user':
      return [res.user];
    case 'identityfile':
    case 'certificatefile':
      return (s?.sources ?? []).map((x) => x.args[0] as string);
    case 'proxyjump':
      return value === 'none' ? undefined : [];
    case 'connecttimeout':
      return [String(value)];
    case 'rekeylimit': {
      const v = value as { bytes: number; seconds?: number };
      return [`${v.bytes} ${v.seconds ?? 0}`];
    }
    case 'forwardagent': {
      const a = value as { enabled?: boolean; path?: string };
      return [a.path ?? (a.enabled === true ? 'yes' : 'no')];
    }
    case 'setenv':
    case 'sendenv':
      return value as string[];
    case 'localforward':
      return (value as ForwardSpec[]).map((f) => fmtForward(f, 'local'));
    case 'remoteforward':
      return (value as ForwardSpec[]).map((f) => fmtForward(f, 'remote'));
    case 'dynamicforward':
      return (value as ForwardSpec[]).map((f) => fmtForward(f, 'dynamic'));
    case 'globalknownhostsfile':
    case 'userknownhostsfile':
    case 'canonicaldomains':
      return [(value as string[]).join(' ')];
    default:
      break;
  }
  if (typeof value === 'boolean') return [value ? 'yes' : 'no'];
  if (FLAG_TRUE_FALSE.has(key)) return [value === 'yes' ? 'true' : value === 'no' ? 'false' : String(value)];
  return [String(value)];
}

interface Case {
  readonly index: number;
  readonly file: string;
  readonly target: { host: string; port?: number; user?: string };
}

const COMPARED = KEYWORDS.map((k) => k.toLowerCase()).filter((k) => k !== 'challengeresponseauthentication');
COMPARED.push('kbdinteractiveauthentication');

function sshArgs(file: string, t: Case['target']): string[] {
  const a = ['-G', '-F', file];
  if (t.port !== undefined) a.push('-p', String(t.port));
  if (t.user !== undefined) a.push('-l', t.user);
  a.push('--', t.host);
  return a;
}

describe('ssh_config resolution agrees with ssh -G', () => {
  test(`${CONFIGS} generated configurations`, async () => {
    const r = rng(SEED);
    const cases: Case[] = [];
    const files = new Map<string, string>();
    for (let i = 0; i < CONFIGS; i++) {
      const file = join(dir, `config_${i}`);
      files.set(file, body(r, `c${i}`, 0, files, true));
      const target: { host: string; port?: number; user?: string } = { host: r.pick(HOSTS) };
      if (r.chance(0.3)) target.port = r.pick([22, 2022, 8022]);
      if (r.chance(0.3)) target.user = r.pick(USERS);
      cases.push({ index: i, file, target });
    }
    for (const [f, t] of files) writeFileSync(f, t);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');

    const procEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SHELL: '/bin/sh', GENVAR: '/gen/var' };
    const env = nodeEnvironmentAsync({ homeDir: dir, env: procEnv, shell: '/bin/sh', execTimeoutMs: 5000 });

    // Both sides run concurrently: ssh -G in child processes, ours through the async environment.
    const outputs = await pool(cases, 4, async (c) => {
      const dump = await runDump('ssh', sshArgs(c.file, c.target), procEnv);
      let ours: { res?: ResolvedClientConfig; err?: unknown };
      try {
        const cfg = await parseClientConfigAsync({ text: files.get(c.file) as string, file: c.file }, env);
        ours = { res: await resolveClientConfigAsync(cfg, c.target, env) };
      } catch (e) {
        ours = { err: e };
      }
      return { dump, ours };
    });
    // Defaults do not depend on the destination for the keywords compared here.
    const baseline = await runDump('ssh', sshArgs(empty, { host: 'alpha' }), procEnv);

    let compared = 0;
    let refusedBoth = 0;
    const failures: string[] = [];
    for (const c of cases) {
      const { dump: out, ours } = outputs[c.index] as { dump: DumpResult; ours: { res?: ResolvedClientConfig; err?: unknown } };
      const res = ours.res;
      const err = ours.err;
      const where = `config_${c.index} for ${JSON.stringify(c.target)}`;
      if (!out.ok) {
        if (res !== undefined) failures.push(`${where}: ssh refused (${out.stderr.trim().split('\n').join(' | ')}) but we accepted`);
        else if (!(err instanceof ConfigParseError)) failures.push(`${where}: expected ConfigParseError, got ${String(err)}`);
        else refusedBoth++;
        continue;
      }
      if (res === undefined) {
        failures.push(`${where}: ssh accepted but we threw ${String(err)}`);
        continue;
      }
      const base = baseline;
      for (const key of [...COMPARED, 'hostname', 'port', 'user']) {
        const got = out.lines.get(key) ?? [];
        let want: string[] | undefined;
        const s = res.settings.get(key);
        if (key === 'hostname' || key === 'port' || key === 'user') want = expectedLines(key, undefined, res);
        else if (s && s.sources.length > 0) {
          if (key === 'proxycommand') want = s.value === 'none' ? [] : [commandOf(files, s)];
          else if (key === 'proxyjump') want = s.value === 'none' ? [] : [jumpOf(files, s, s.value as JumpHost[])];
          else want = expectedLines(key, s.value, res);
          if (want === undefined) want = [];
        } else want = base.lines.get(key) ?? [];
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(`${where}: ${key}: ssh ${JSON.stringify(got)} ours ${JSON.stringify(want)}`);
        }
      }
      compared++;
    }
    expect(failures.slice(0, 25)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(100);
    expect(refusedBoth).toBeGreaterThan(0);
  }, 120_000);
});

/** The ProxyCommand text as written on its line (what ssh -G prints). */
function commandOf(files: Map<string, string>, s: { sources: readonly { file: string; line: number }[] }): string {
  const src = s.sources[0];
  if (!src) return '';
  const text = files.get(src.file) ?? '';
  const line = text.split('\n')[src.line - 1] ?? '';
  return line.replace(/^\s*\S+?(\s*=\s*|\s+)/, '').replace(/[\s]+$/, '');
}

/** ssh -G prints the hops before the last one as written and the last one normalised. */
function jumpOf(files: Map<string, string>, s: { sources: readonly { file: string; line: number }[] }, hops: JumpHost[]): string {
  // ssh 9.2 reads the hop list up to its first blank or '#'.
  const raw = commandOf(files, s).replace(/[#\s].*$/, '');
  const last = hops[hops.length - 1] as JumpHost;
  const host = last.host.includes(':') ? `[${last.host}]` : last.host;
  const norm = `${last.user !== undefined ? `${last.user}@` : ''}${host}${last.port !== undefined ? `:${last.port}` : ''}`;
  const comma = raw.lastIndexOf(',');
  return comma < 0 ? norm : `${raw.slice(0, comma)},${norm}`;
}

describe('names given on the command line: refused where ssh -G refuses them', () => {
  const names: { host: string; user?: string }[] = [
    ...['a;b', 'a`id`', 'a$(id)', 'a b', 'a,b', 'a|b', 'a\\b', "a'b", 'a{b}', 'a&b', 'a<b', 'fe80::1%eth0', '[::1]', 'plain.example_1-x', 'a*b', 'a?b', 'a!b', 'a=b', 'a~b', 'a@b'].map((host) => ({ host })),
    ...['x;y', 'x`id`', 'a -b', 'trailing\\', 'a"b', 'bob smith', 'DOMAIN\\user', 'a-b.c', 'a$b', 'a,b', 'a@b', 'x(y)'].map((user) => ({ host: 'h', user })),
  ];

  test.each(names)('%j', async (target) => {
    const empty = join(dir, 'names-empty');
    writeFileSync(empty, '');
    const procEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SHELL: '/bin/sh' };
    const dump = await runDump('ssh', sshArgs(empty, target), procEnv);
    const env = nodeEnvironmentAsync({ homeDir: dir, env: procEnv, shell: '/bin/sh' });
    const ours = await resolveClientConfigAsync(await parseClientConfigAsync({ text: '', file: empty }, env), target, env).then(
      () => 'accepted',
      (e: unknown) => (e instanceof ConfigParseError ? 'refused' : String(e)),
    );
    expect(ours).toBe(dump.ok ? 'accepted' : 'refused');
  });
});
