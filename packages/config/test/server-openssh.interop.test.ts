/**
 * Differential test against sshd: generated sshd_config files (global options, Match blocks on
 * User/Group/Host/Address/LocalAddress/LocalPort/RDomain, Includes) resolved for a connection
 * here and by `sshd -T -f <file> -C user=...,host=...,addr=...`, compared keyword by keyword.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigParseError, parseServerConfig, resolveServerConfig, type ResolvedServerConfig, type ServerConnection } from '../src/index.ts';
import { nodeEnvironment } from '../src/node/index.ts';
import { pool, rng, runDump, type DumpResult } from './helpers/openssh.ts';

const CONFIGS = 80;
const SEED = Number(process.env.CONFIG_SEED ?? 0x5d7);
const SSHD = '/usr/sbin/sshd';

let dir = '';
let hostKey = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sshd-config-gen-'));
  hostKey = join(dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', hostKey], { timeout: 10_000 });
  // sshd -T insists on its privilege separation directory.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
});
afterAll(() => {
  if (dir && !process.env.KEEP_GEN) rmSync(dir, { recursive: true, force: true });
});

type R = ReturnType<typeof rng>;
const yn = (r: R): string => r.pick(['yes', 'no', 'YES', 'No']);
const algs = (r: R, all: string[]): string => {
  const picked = all.filter(() => r.chance(0.6));
  return (picked.length ? picked : [all[0] as string]).join(',');
};

const GLOBAL: Record<string, (r: R) => string> = {
  AddressFamily: (r) => r.pick(['any', 'inet', 'inet6']),
  Ciphers: (r) => algs(r, ['aes128-ctr', 'aes256-ctr', 'chacha20-poly1305@openssh.com']),
  Compression: (r) => r.pick(['yes', 'no', 'delayed']),
  GSSAPIKeyExchange: yn,
  KexAlgorithms: (r) => algs(r, ['curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256']),
  LoginGraceTime: (r) => r.pick(['0', '30', '2m', '1h5s']),
  MACs: (r) => algs(r, ['hmac-sha2-256', 'hmac-sha2-512', 'umac-128@openssh.com']),
  Port: (r) => r.pick(['22', '2222', '8022']),
  TCPKeepAlive: yn,
  UseDNS: yn,
};
const MATCHABLE: Record<string, (r: R) => string> = {
  AllowAgentForwarding: yn,
  AuthorizedKeysFile: (r) => r.pick(['.ssh/authorized_keys', '.ssh/ak %h/.ssh/ak2', '/etc/ssh/keys/%u', 'none']),
  CASignatureAlgorithms: (r) => algs(r, ['ssh-ed25519', 'rsa-sha2-512', 'ecdsa-sha2-nistp256']),
  ClientAliveCountMax: (r) => String(r.int(6)),
  ClientAliveInterval: (r) => r.pick(['0', '15', '1m', '5m30s']),
  GSSAPIAuthentication: yn,
  HostbasedAuthentication: yn,
  KbdInteractiveAuthentication: yn,
  ChallengeResponseAuthentication: yn,
  PasswordAuthentication: yn,
  PermitTTY: yn,
  PubkeyAuthentication: yn,
  RekeyLimit: (r) => r.pick(['1G', '512M 1h', 'default none', '100K 30', 'default none']),
};

const CRITERIA: ((r: R) => string)[] = [
  (r) => `User ${r.pick(['root', 'alice', 'bob,carol', 'a*', '!root,*', 'daemon'])}`,
  (r) => `Group ${r.pick(['root', 'daemon', 'nogroup', 'root,daemon', '!root,*'])}`,
  (r) => `Host ${r.pick(['*.example.com', 'client1', 'CLIENT*', '*'])}`,
  (r) => `Address ${r.pick(['10.0.0.0/8', '192.168.1.*', '10.1.0.0/16,!10.1.2.0/24', '::1', '127.0.0.1/32', '2001:db8::/32'])}`,
  (r) => `LocalAddress ${r.pick(['10.9.9.9', '10.9.0.0/16', '127.0.0.*'])}`,
  (r) => `LocalPort ${r.pick(['22', '2222', '0'])}`,
  (r) => `RDomain ${r.pick(['red', 'r*', 'blue'])}`,
];

const BAD = ['Port 0', 'NoSuchOption yes', 'PasswordAuthentication maybe', 'Match Bogus x', 'Match User', 'Match Address 10.0.0.1/8', 'Match LocalPort 99999', 'LoginGraceTime 1.5', 'Match all User x', 'PasswordAuthentication true', 'Match Address 10.0.0.0/8,', 'HostKey ""', 'Compression false'];

function line(r: R, table: Record<string, (r: R) => string>, indent: string): string {
  const k = r.pick(Object.keys(table));
  const sep = r.pick([' ', '=', ' = ', '\t']);
  return `${indent}${r.chance(0.3) ? k.toLowerCase() : k}${sep}${(table[k] as (r: R) => string)(r)}`;
}

function gen(r: R, name: string, depth: number, files: Map<string, string>, bad: boolean): string {
  const out: string[] = depth === 0 ? [`HostKey ${hostKey}`] : [];
  const n = r.int(5);
  for (let i = 0; i < n; i++) out.push(line(r, r.chance(0.5) ? GLOBAL : MATCHABLE, ''));
  if (depth === 0 && r.chance(0.3)) {
    const inc = join(dir, `${name}_top`);
    files.set(inc, gen(r, `${name}_top`, depth + 1, files, false));
    out.push(`Include ${inc}`);
  }
  const blocks = r.int(4);
  for (let b = 0; b < blocks; b++) {
    if (r.chance(0.1)) out.push('Match all');
    else {
      const k = 1 + r.int(2);
      const crit: string[] = [];
      for (let i = 0; i < k; i++) crit.push((r.pick(CRITERIA) as (r: R) => string)(r));
      out.push(`Match ${crit.join(' ')}`);
    }
    const m = 1 + r.int(3);
    for (let i = 0; i < m; i++) {
      if (depth < 1 && r.chance(0.15)) {
        const inc = join(dir, `${name}_m${b}_${i}`);
        files.set(inc, gen(r, `${name}_m${b}_${i}`, depth + 1, files, false));
        out.push(`  Include ${inc}`);
      } else out.push(line(r, MATCHABLE, '  '));
    }
  }
  if (bad && r.chance(0.1)) out.splice(1 + r.int(out.length), 0, r.pick(BAD));
  return `${out.join('\n')}\n`;
}

function spec(c: ServerConnection): string {
  const p: string[] = [`user=${c.user ?? ''}`, `host=${c.host ?? ''}`, `addr=${c.address ?? ''}`];
  if (c.localAddress !== undefined) p.push(`laddr=${c.localAddress}`);
  if (c.localPort !== undefined) p.push(`lport=${c.localPort}`);
  if (c.rdomain !== undefined) p.push(`rdomain=${c.rdomain}`);
  return p.join(',');
}

const COMPARED = [...Object.keys(GLOBAL), ...Object.keys(MATCHABLE), 'HostKey']
  .map((k) => k.toLowerCase())
  .filter((k) => k !== 'challengeresponseauthentication');

function expected(key: string, res: ResolvedServerConfig): string[] | undefined {
  const s = res.settings.get(key);
  if (!s) return undefined;
  const v = s.value;
  switch (key) {
    case 'port':
      return (v as number[]).map(String);
    case 'hostkey':
      return v as string[];
    case 'authorizedkeysfile':
      return [(v as string[]).join(' ')];
    case 'rekeylimit': {
      const x = v as { bytes: number; seconds?: number };
      return [`${x.bytes} ${x.seconds ?? 0}`];
    }
    default:
      return [typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)];
  }
}

describe('sshd_config resolution agrees with sshd -T', () => {
  test(`${CONFIGS} generated configurations`, async () => {
    const r = rng(SEED);
    const files = new Map<string, string>();
    const cases: { file: string; conn: ServerConnection }[] = [];
    for (let i = 0; i < CONFIGS; i++) {
      const file = join(dir, `sshd_${i}`);
      files.set(file, gen(r, `s${i}`, 0, files, true));
      const conn: { -readonly [K in keyof ServerConnection]: ServerConnection[K] } = {
        user: r.pick(['root', 'alice', 'daemon', 'carol', 'nobody']),
        host: r.pick(['client1', 'host.example.com', 'other']),
        address: r.pick(['10.1.2.3', '10.2.0.1', '192.168.1.9', '127.0.0.1', '::1', '2001:db8::5']),
      };
      if (r.chance(0.5)) conn.localAddress = r.pick(['10.9.9.9', '127.0.0.1']);
      conn.localPort = r.pick([22, 2222]); // sshd -T insists on lport when Match LocalPort is used
      if (r.chance(0.4)) conn.rdomain = r.pick(['red', 'blue']);
      cases.push({ file, conn });
    }
    for (const [f, t] of files) writeFileSync(f, t);
    const empty = join(dir, 'empty');
    writeFileSync(empty, `HostKey ${hostKey}\n`);
    const env = nodeEnvironment({ homeDir: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const procEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const outs = await pool(cases, 4, (c) => runDump(SSHD, ['-T', '-f', c.file, '-C', spec(c.conn)], procEnv));
    const base = await runDump(SSHD, ['-T', '-f', empty, '-C', 'user=root,host=h,addr=10.0.0.1'], procEnv);
    expect(base.ok).toBe(true);

    const failures: string[] = [];
    let compared = 0;
    let refused = 0;
    cases.forEach((c, i) => {
      const out = outs[i] as DumpResult;
      let res: ResolvedServerConfig | undefined;
      let err: unknown;
      try {
        res = resolveServerConfig(parseServerConfig({ text: files.get(c.file) as string, file: c.file }, env), c.conn, env);
      } catch (e) {
        err = e;
      }
      const where = `sshd_${i} for ${spec(c.conn)}`;
      if (!out.ok) {
        if (res) failures.push(`${where}: sshd refused (${out.stderr.trim().split('\n').join(' | ')}) but we accepted`);
        else if (!(err instanceof ConfigParseError)) failures.push(`${where}: expected ConfigParseError, got ${String(err)}`);
        else refused++;
        return;
      }
      if (!res) {
        failures.push(`${where}: sshd accepted but we threw ${String(err)}`);
        return;
      }
      for (const key of COMPARED) {
        const got = out.lines.get(key) ?? [];
        const want = expected(key, res) ?? base.lines.get(key) ?? [];
        if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${where}: ${key}: sshd ${JSON.stringify(got)} ours ${JSON.stringify(want)}`);
      }
      compared++;
    });
    expect(failures.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(50);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});
