/**
 * CanonicalizeHostname and friends with an injected resolver: the decisions of OpenSSH 9.2's
 * ssh.c resolve_canonicalize / check_follow_cname, and the final pass they trigger.
 */
import { describe, expect, test } from 'vitest';
import {
  HostCanonicalizationError,
  parseClientConfig,
  resolveClientConfig,
  resolveClientConfigAsync,
  type ClientTarget,
  type ResolvedClientConfig,
} from '../src/index.ts';
import { memEnv, type MemEnv, type MemEnvOptions } from './helpers/mem-env.ts';

// The fake DNS: `web.example.test` exists, `alias.example.test` is a CNAME for `real.example.net`.
const HOSTS: Record<string, string> = {
  'web.example.test.': '',
  'web.example.test': '',
  'alias.example.test.': 'real.example.net',
  'alias.example.test': 'real.example.net',
  'www.example.org': 'edge.cdn.example',
  'fqdn.': '',
  'other.test.': '',
};

function resolve(text: string, target: ClientTarget, o: MemEnvOptions = {}): ResolvedClientConfig & { env: MemEnv } {
  const env = memEnv({ hosts: HOSTS, ...o });
  const r = resolveClientConfig(parseClientConfig({ text, file: '/home/alice/.ssh/config' }, env), target, env);
  return Object.assign(r, { env });
}

function failure(text: string, target: ClientTarget): HostCanonicalizationError {
  try {
    resolve(text, target);
  } catch (e) {
    expect(e).toBeInstanceOf(HostCanonicalizationError);
    return e as HostCanonicalizationError;
  }
  throw new Error('expected a HostCanonicalizationError');
}

const YES = 'CanonicalizeHostname yes\nCanonicalDomains nope.test example.test\n';

describe('domains', () => {
  test('the first domain where host.domain. resolves wins; each is tried in order, anchored', () => {
    const r = resolve(YES, { host: 'web' });
    expect(r.hostname).toBe('web.example.test');
    expect(r.options.host).toBe('web.example.test');
    expect(r.env.lookupLog.map((l) => l.name)).toEqual(['web.nope.test.', 'web.example.test.']);
    expect(resolve('CanonicalizeHostname yes\nCanonicalDomains test example.test\n', { host: 'other' }).hostname).toBe('other.test');
  });

  test('the name and the domains are lowercased (as ssh does), the trailing dot of a domain dropped', () => {
    expect(resolve(YES, { host: 'WEB' }).hostname).toBe('web.example.test');
    expect(resolve('CanonicalizeHostname yes\nCanonicalDomains Example.Test.\n', { host: 'web' }).hostname).toBe('web.example.test');
  });

  test('CanonicalDomains is checked as ssh checks it (none alone, valid names)', () => {
    for (const [d, msg] of [
      ['x none', /"none" argument must appear alone/],
      ['-x', /starts with invalid character/],
      ['a..b', /consecutive separators/],
      ['a/b', /invalid characters/],
    ] as const) {
      expect(() => resolve(`CanonicalDomains ${d}\n`, { host: 'web' })).toThrow(msg);
    }
    expect(resolve('CanonicalDomains a_b\n', { host: 'web' }).settings.get('canonicaldomains')?.value).toEqual(['a_b']);
  });

  test('HostName is canonicalised, not the alias', () => {
    expect(resolve(`Host w\n HostName WEB\nHost *\n${YES}`, { host: 'w' }).hostname).toBe('web.example.test');
  });

  test('CanonicalDomains none: no domain is tried', () => {
    const r = resolve('CanonicalizeHostname yes\nCanonicalDomains none\n', { host: 'web' });
    expect(r.hostname).toBe('web');
    expect(r.env.lookupLog).toEqual([]);
  });

  test('no domain resolving: the name is kept (CanonicalizeFallbackLocal yes, the default)', () => {
    expect(resolve(YES, { host: 'nosuch' }).hostname).toBe('nosuch');
  });

  test('AddressFamily is passed to the resolver', () => {
    expect(resolve(`AddressFamily inet6\n${YES}`, { host: 'web' }).env.lookupLog[0]?.family).toBe('inet6');
    expect(resolve(YES, { host: 'web' }).env.lookupLog[0]?.family).toBe('any');
  });
});

describe('which names are canonicalised', () => {
  test('at most CanonicalizeMaxDots dots (default 1)', () => {
    expect(resolve(YES, { host: 'a.b' }).env.lookupLog.map((l) => l.name)).toEqual(['a.b.nope.test.', 'a.b.example.test.']);
    const r = resolve(YES, { host: 'a.b.c' });
    expect(r.hostname).toBe('a.b.c');
    expect(r.env.lookupLog).toEqual([]);
    expect(resolve(`CanonicalizeMaxDots 0\n${YES}`, { host: 'a.b' }).env.lookupLog).toEqual([]);
    expect(resolve(`CanonicalizeMaxDots 2\n${YES}`, { host: 'a.b.c' }).env.lookupLog).toHaveLength(2);
  });

  test('a name with a trailing dot is looked up as it is and the dot dropped, whatever its dots', () => {
    const r = resolve(`CanonicalizeMaxDots 0\n${YES}`, { host: 'fqdn.' });
    expect(r.hostname).toBe('fqdn');
    expect(r.env.lookupLog.map((l) => l.name)).toEqual(['fqdn.']);
    expect(resolve(YES, { host: 'web.example.test.' }).hostname).toBe('web.example.test');
  });

  test('a trailing-dot name that does not resolve is kept as given (fallback) or fails', () => {
    expect(resolve(YES, { host: 'gone.' }).hostname).toBe('gone.');
    expect(failure(`${YES}CanonicalizeFallbackLocal no\n`, { host: 'gone.' }).host).toBe('gone.');
  });

  test('IP addresses are never looked up or changed', () => {
    for (const host of ['10.0.0.1', '::1', 'fe80::1%eth0', '127.1']) {
      const r = resolve(`${YES}CanonicalizeFallbackLocal no\n`, { host });
      expect(r.hostname).toBe(host);
      expect(r.env.lookupLog).toEqual([]);
    }
  });

  test('CanonicalizeHostname no (the default) looks nothing up and makes no final pass', () => {
    const r = resolve('CanonicalDomains example.test\nCanonicalizeFallbackLocal no\n', { host: 'web' });
    expect(r.hostname).toBe('web');
    expect(r.finalPass).toBe(false);
    expect(r.env.lookupLog).toEqual([]);
  });

  test("'yes' leaves proxied connections alone; 'always' canonicalises them too", () => {
    for (const proxy of ['ProxyJump j', 'ProxyCommand nc %h %p']) {
      const y = resolve(`${proxy}\n${YES}CanonicalizeFallbackLocal no\n`, { host: 'web' });
      expect(y.hostname).toBe('web');
      expect(y.env.lookupLog).toEqual([]);
      expect(resolve(`${proxy}\nCanonicalizeHostname always\nCanonicalDomains example.test\n`, { host: 'web' }).hostname).toBe('web.example.test');
    }
    // ProxyJump/ProxyCommand none is a direct connection.
    expect(resolve(`ProxyJump none\n${YES}`, { host: 'web' }).hostname).toBe('web.example.test');
  });

  test('the caller says whether the connection is proxied, over the config', () => {
    expect(resolve(YES, { host: 'web', proxied: true }).hostname).toBe('web');
    expect(resolve(`ProxyJump j\n${YES}`, { host: 'web', proxied: false }).hostname).toBe('web.example.test');
  });

  test("the caller's ProxyJump or ProxyCommand alone wins over the config's, the other stays the config's", () => {
    // Turned off by the caller (-o ProxyJump=none): direct, unless the config's ProxyCommand remains.
    expect(resolve(`ProxyJump j\n${YES}`, { host: 'web', proxyJump: false }).hostname).toBe('web.example.test');
    expect(resolve(`ProxyCommand nc %h %p\n${YES}`, { host: 'web', proxyCommand: false }).hostname).toBe('web.example.test');
    // (The first of the two in the config wins; the other is ignored, as in ssh.)
    expect(resolve(`ProxyCommand nc %h %p\nProxyJump j\n${YES}`, { host: 'web', proxyJump: false }).hostname).toBe('web');
    expect(resolve(`ProxyJump j\nProxyCommand nc %h %p\n${YES}`, { host: 'web', proxyJump: false }).hostname).toBe('web.example.test');
    expect(resolve(`ProxyJump j\n${YES}`, { host: 'web', proxyCommand: false }).hostname).toBe('web');
    expect(resolve(`ProxyJump j\nProxyCommand nc %h %p\n${YES}`, { host: 'web', proxyJump: false, proxyCommand: false }).hostname).toBe('web.example.test');
    // Set by the caller (ssh -J): proxied whatever the config says.
    expect(resolve(YES, { host: 'web', proxyJump: true }).hostname).toBe('web');
    expect(resolve(`ProxyJump none\n${YES}`, { host: 'web', proxyCommand: true }).hostname).toBe('web');
  });
});

describe('CanonicalizeFallbackLocal no', () => {
  test('fails with HostCanonicalizationError naming the host and the domains tried', () => {
    const e = failure(`${YES}CanonicalizeFallbackLocal no\n`, { host: 'nosuch' });
    expect(e.host).toBe('nosuch');
    expect(e.domains).toEqual(['nope.test', 'example.test']);
    expect(e.code).toBe('SSH_ERR_CANONICALIZE_HOSTNAME');
    expect(e.message).toMatch(/Could not resolve host "nosuch"/);
  });

  test('does not fail for names canonicalisation leaves alone', () => {
    const text = `${YES}CanonicalizeFallbackLocal no\n`;
    expect(resolve(text, { host: 'a.b.c' }).hostname).toBe('a.b.c');
    expect(resolve(`ProxyCommand x\n${text}`, { host: 'nosuch' }).hostname).toBe('nosuch');
  });

  test('without a resolver in the environment nothing resolves, as before', () => {
    const env = memEnv();
    const cfg = parseClientConfig({ text: `${YES}CanonicalizeFallbackLocal no\n`, file: 'f' }, env);
    expect(() => resolveClientConfig(cfg, { host: 'web' }, env)).toThrow(HostCanonicalizationError);
    expect(resolveClientConfig(parseClientConfig({ text: YES, file: 'f' }, env), { host: 'web' }, env).hostname).toBe('web');
  });
});

describe('CNAMEs (CanonicalizePermittedCNAMEs)', () => {
  const CN = 'CanonicalizeHostname yes\nCanonicalDomains example.test\n';

  test('followed only when a rule matches both the name and its target', () => {
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs *.example.test:*.example.net\n`, { host: 'alias' }).hostname).toBe('real.example.net');
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs *.example.test:*.other.net\n`, { host: 'alias' }).hostname).toBe('alias.example.test');
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs *.other.test:*\n`, { host: 'alias' }).hostname).toBe('alias.example.test');
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs *.other.test:* *.example.test:real.*\n`, { host: 'alias' }).hostname).toBe('real.example.net');
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs *.example.test:*,!real.*\n`, { host: 'alias' }).hostname).toBe('alias.example.test');
  });

  test('not followed without rules, or with none; the resolver is only asked for CNAMEs when there are rules', () => {
    const r = resolve(CN, { host: 'alias' });
    expect(r.hostname).toBe('alias.example.test');
    expect(r.env.lookupLog[0]?.wantCname).toBe(false);
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs none\n`, { host: 'alias' }).hostname).toBe('alias.example.test');
    expect(resolve(`${CN}CanonicalizePermittedCNAMEs *:*\n`, { host: 'alias' }).env.lookupLog[0]?.wantCname).toBe(true);
  });

  test('a name not canonicalised by a domain is looked up bare, and its CNAME followed by the rules', () => {
    const text = 'CanonicalizeHostname yes\nCanonicalizePermittedCNAMEs *.example.org:*.cdn.example\n';
    const r = resolve(text, { host: 'www.example.org' });
    expect(r.hostname).toBe('edge.cdn.example');
    expect(r.env.lookupLog.map((l) => l.name)).toEqual(['www.example.org']);
  });

  test('such a bare name that does not resolve fails a direct connection (ssh: Could not resolve hostname), not a proxied one', () => {
    const text = 'CanonicalizeHostname always\nCanonicalizePermittedCNAMEs *:*\n';
    expect(failure(text, { host: 'nosuch.example.org' }).message).toMatch(/Could not resolve hostname nosuch\.example\.org/);
    expect(resolve(`ProxyJump j\n${text}`, { host: 'nosuch.example.org' }).hostname).toBe('nosuch.example.org');
  });

  test("with 'yes', CNAMEs of proxied names are not followed", () => {
    const r = resolve('ProxyJump j\nCanonicalizeHostname yes\nCanonicalizePermittedCNAMEs *:*\n', { host: 'www.example.org' });
    expect(r.hostname).toBe('www.example.org');
    expect(r.env.lookupLog).toEqual([]);
  });
});

describe('the final pass sees the canonical name', () => {
  test('Host and Match canonical / final / host blocks apply in the second pass, with %h the canonical name', () => {
    const text = `${YES}Host web.example.test\n Port 2200\nMatch canonical host *.example.test\n User canon\nMatch final\n IdentityFile ~/.ssh/%h\nMatch !canonical\n SendEnv FIRST\nMatch canonical\n SendEnv CANON\n`;
    const r = resolve(text, { host: 'web' });
    expect(r.finalPass).toBe(true);
    expect(r.port).toBe(2200);
    expect(r.user).toBe('canon');
    expect(r.options.clientKeys).toEqual(['/home/alice/.ssh/web.example.test']);
    expect(r.options.sendEnv).toEqual(['FIRST', 'CANON']);
  });

  test('Match originalhost still sees the name given', () => {
    expect(resolve(`${YES}Match canonical originalhost web\n Port 7\n`, { host: 'web' }).port).toBe(7);
  });

  test('an asynchronous resolver works with resolveClientConfigAsync', async () => {
    const env = { ...memEnv(), resolveHost: (name: string) => Promise.resolve(name === 'web.example.test.' ? {} : undefined) };
    const cfg = parseClientConfig({ text: YES, file: 'f' }, env);
    await expect(resolveClientConfigAsync(cfg, { host: 'web' }, env)).resolves.toMatchObject({ hostname: 'web.example.test' });
  });
});
