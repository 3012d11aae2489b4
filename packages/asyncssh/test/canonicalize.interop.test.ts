/**
 * CanonicalizeHostname compared with OpenSSH's `ssh -G`, with no DNS server: each side runs in a
 * user and mount namespace (`unshare -rm`) where a temporary file is bind-mounted over /etc/hosts
 * (the machine's own file is not touched), so that getaddrinfo(3) — ssh's resolver and node:dns's
 * lookup() — knows `web.example.test` and `fqdn`. Skipped where unshare is not allowed.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.resolve(here, '../../../node_modules/.bin/tsx');
const canUnshare = spawnSync('unshare', ['-rm', 'true'], { stdio: 'ignore' }).status === 0 && spawnSync('ssh', ['-V'], { stdio: 'ignore' }).status === 0;

const HOSTS = '127.0.0.1 localhost\n127.0.0.2 web.example.test web.example.test.\n127.0.0.3 fqdn fqdn.\n';

/** name: [config text, host]. */
const CASES: Record<string, [string, string]> = {
  domain: ['CanonicalizeHostname yes\nCanonicalDomains nope.test example.test\n', 'web'],
  upper: ['CanonicalizeHostname yes\nCanonicalDomains example.test\n', 'WEB'],
  hostname: ['Host w\n HostName web\nHost *\n CanonicalizeHostname yes\n CanonicalDomains example.test\n', 'w'],
  trailingDot: ['CanonicalizeHostname yes\nCanonicalizeMaxDots 0\n', 'fqdn.'],
  noDomainFallback: ['CanonicalizeHostname yes\nCanonicalDomains nope.test\n', 'web'],
  noDomainFail: ['CanonicalizeHostname yes\nCanonicalDomains nope.test\nCanonicalizeFallbackLocal no\n', 'web'],
  maxDots: ['CanonicalizeHostname yes\nCanonicalDomains example.test\nCanonicalizeFallbackLocal no\n', 'a.b.c'],
  maxDots2: ['CanonicalizeHostname yes\nCanonicalizeMaxDots 2\nCanonicalDomains test\n', 'web.example'],
  address: ['CanonicalizeHostname yes\nCanonicalDomains example.test\nCanonicalizeFallbackLocal no\n', '127.0.0.1'],
  noneDomain: ['CanonicalizeHostname yes\nCanonicalDomains none\n', 'web'],
  noneNotAlone: ['CanonicalizeHostname yes\nCanonicalDomains example.test none\n', 'web'],
  domainCase: ['CanonicalizeHostname yes\nCanonicalDomains Example.TEST.\n', 'web'],
  yesProxied: ['CanonicalizeHostname yes\nCanonicalDomains example.test\nCanonicalizeFallbackLocal no\nProxyJump j\n', 'web'],
  alwaysProxied: ['CanonicalizeHostname always\nCanonicalDomains example.test\nProxyCommand nc %h %p\n', 'web'],
  off: ['CanonicalizeHostname no\nCanonicalDomains example.test\n', 'web'],
  cnameRulesNoAlias: ['CanonicalizeHostname yes\nCanonicalDomains example.test\nCanonicalizePermittedCNAMEs *:*\n', 'web'],
  bareUnresolved: ['CanonicalizeHostname yes\nCanonicalizePermittedCNAMEs *:*\n', 'nosuch'],
  finalPass: ['CanonicalizeHostname yes\nCanonicalDomains example.test\nMatch canonical host web.example.test\n Port 2200\nMatch !canonical\n User first\n', 'web'],
};

interface Outcome {
  hostname?: string;
  port?: number;
  error?: boolean;
}

let dir = '';
let ours: Record<string, Outcome> = {};
const theirs: Record<string, Outcome> = {};

beforeAll(async () => {
  if (!canUnshare) return;
  dir = await makeTempDir('canonicalize-interop');
  await writeFile(path.join(dir, 'hosts'), HOSTS);
  for (const [name, [text]] of Object.entries(CASES)) await writeFile(path.join(dir, `${name}.conf`), text);
  await writeFile(path.join(dir, 'cases.json'), JSON.stringify(Object.fromEntries(Object.entries(CASES).map(([n, [, h]]) => [n, h]))));
  // Our side: applyClientConfig with the node:dns resolver, as connect() runs it.
  await writeFile(
    path.join(dir, 'ours.mts'),
    `import { readFileSync } from 'node:fs';
import { applyClientConfig } from ${JSON.stringify(path.resolve(here, '../src/client-config.ts'))};
const dir = ${JSON.stringify(dir)};
const cases = JSON.parse(readFileSync(dir + '/cases.json', 'utf8'));
const out = {};
for (const [name, host] of Object.entries(cases)) {
  try {
    const o = await applyClientConfig({ host, config: dir + '/' + name + '.conf', homeDirectory: dir });
    out[name] = { hostname: o.host, port: o.port ?? 22 };
  } catch (e) {
    out[name] = { error: true, message: String(e) };
  }
}
process.stdout.write(JSON.stringify(out));
`,
  );
  const script = [
    `mount --bind ${dir}/hosts /etc/hosts || exit 99`,
    `${tsx} --conditions=@ssh/source ${dir}/ours.mts > ${dir}/ours.json || exit 98`,
    ...Object.entries(CASES).map(([name, [, host]]) => `ssh -G -F ${dir}/${name}.conf ${host} </dev/null > ${dir}/${name}.ssh 2>/dev/null; echo $? > ${dir}/${name}.rc`),
  ].join('\n');
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`namespace script failed (${r.status}): ${r.stderr}`);
  const { readFileSync } = await import('node:fs');
  ours = JSON.parse(readFileSync(path.join(dir, 'ours.json'), 'utf8')) as Record<string, Outcome>;
  for (const name of Object.keys(CASES)) {
    const rc = Number(readFileSync(path.join(dir, `${name}.rc`), 'utf8').trim());
    const text = readFileSync(path.join(dir, `${name}.ssh`), 'utf8');
    const get = (k: string): string | undefined => new RegExp(`^${k} (.*)$`, 'm').exec(text)?.[1];
    theirs[name] = rc === 0 ? { hostname: get('hostname') as string, port: Number(get('port')) } : { error: true };
  }
}, 90_000);

afterAll(async () => {
  if (dir) await removeTempDir(dir);
});

describe.skipIf(!canUnshare)('CanonicalizeHostname: connect() resolves as ssh -G does', () => {
  test.each(Object.keys(CASES))('%s', (name) => {
    const o = ours[name] as Outcome & { message?: string };
    const t = theirs[name] as Outcome;
    if (t.error) {
      expect(o.error, `ours: ${JSON.stringify(o)}`).toBe(true);
      expect(o.message).toMatch(/HostCanonicalizationError|ConfigParseError|Could not resolve/);
    } else {
      expect({ hostname: o.hostname, port: o.port }).toEqual(t);
    }
  });

  test('the cases cover both outcomes', () => {
    expect(theirs['domain']?.hostname).toBe('web.example.test');
    expect(theirs['trailingDot']?.hostname).toBe('fqdn');
    expect(theirs['noDomainFail']?.error).toBe(true);
    expect(theirs['finalPass']?.port).toBe(2200);
  });
});
