/**
 * connect()'s ssh_config host name canonicalisation (CanonicalizeHostname): what reaches
 * applyClientConfig, with the look-ups injected through its testing seam, and the node:dns
 * resolver on names this machine resolves without a DNS server.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostLookupHints } from '@ssh/config';
import { makeTempDir, removeTempDir } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HostCanonicalizationError, connect } from '../src/index.ts';
import { applyClientConfig } from '../src/client-config.ts';
import { resolveHostName } from '../src/host-resolver.ts';

let dir = '';
beforeAll(async () => {
  dir = await makeTempDir('canonicalize');
});
afterAll(async () => {
  if (dir) await removeTempDir(dir);
});

async function config(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const asked: string[] = [];
const fakeDns = (name: string) => (asked.push(name), name === 'web.example.test.' ? {} : undefined);

describe('applyClientConfig', () => {
  test('connects to the canonical name; Match canonical applies', async () => {
    const file = await config('yes', 'CanonicalizeHostname yes\nCanonicalDomains nope.test example.test\nMatch canonical host web.example.test\n Port 2200\n');
    asked.length = 0;
    const o = await applyClientConfig({ host: 'web', config: file, homeDirectory: dir }, { resolveHost: fakeDns });
    expect(o).toMatchObject({ host: 'web.example.test', port: 2200 });
    expect(asked).toEqual(['web.nope.test.', 'web.example.test.']);
  });

  test("'yes' skips connections the caller proxies; 'always' does not; tunnel and proxyCommand null make them direct", async () => {
    const yes = await config('yes-jump', 'CanonicalizeHostname yes\nCanonicalDomains example.test\nProxyJump jump\n');
    const always = await config('always', 'CanonicalizeHostname always\nCanonicalDomains example.test\n');
    const seam = { resolveHost: fakeDns };
    expect((await applyClientConfig({ host: 'web', config: yes }, seam)).host).toBe('web');
    expect((await applyClientConfig({ host: 'web', config: yes, tunnel: null, proxyCommand: null }, seam)).host).toBe('web.example.test');
    expect((await applyClientConfig({ host: 'web', config: always, tunnel: 'jump' }, seam)).host).toBe('web.example.test');
    const yesDirect = await config('yes-direct', 'CanonicalizeHostname yes\nCanonicalDomains example.test\n');
    expect((await applyClientConfig({ host: 'web', config: yesDirect, proxyCommand: 'nc %h %p' }, seam)).host).toBe('web');
  });

  test("'yes' follows what connect() does with tunnel or proxyCommand null alone: the config's other one still counts", async () => {
    const jump = await config('yes-jump-only', 'CanonicalizeHostname yes\nCanonicalDomains example.test\nProxyJump jump\n');
    const command = await config('yes-command-only', 'CanonicalizeHostname yes\nCanonicalDomains example.test\nProxyCommand nc %h %p\n');
    const seam = { resolveHost: fakeDns };
    // null turns the config's ProxyJump (or ProxyCommand) off: connect() goes direct.
    expect((await applyClientConfig({ host: 'web', config: jump, tunnel: null }, seam)).host).toBe('web.example.test');
    expect((await applyClientConfig({ host: 'web', config: command, proxyCommand: null }, seam)).host).toBe('web.example.test');
    // Turning off the one the config does not set leaves the connection proxied.
    expect((await applyClientConfig({ host: 'web', config: jump, proxyCommand: null }, seam)).host).toBe('web');
    expect((await applyClientConfig({ host: 'web', config: command, tunnel: null }, seam)).host).toBe('web');
  });

  test("the caller's family is the look-ups' address family, over AddressFamily", async () => {
    const file = await config('family', 'CanonicalizeHostname yes\nCanonicalDomains example.test\nAddressFamily inet\n');
    const families: string[] = [];
    const resolveHost = (name: string, hints: HostLookupHints) => (families.push(hints.family), fakeDns(name));
    await applyClientConfig({ host: 'web', config: file }, { resolveHost });
    await applyClientConfig({ host: 'web', config: file, family: 6 }, { resolveHost });
    await applyClientConfig({ host: 'web', config: file, family: 0 }, { resolveHost });
    expect(families).toEqual(['inet', 'inet6', 'any']);
  });

  test('CanonicalizeFallbackLocal no: connect() fails with HostCanonicalizationError before connecting', async () => {
    // `.invalid` never resolves (RFC 6761), with or without a DNS server.
    const file = await config('no-fallback', 'CanonicalizeHostname yes\nCanonicalDomains invalid\nCanonicalizeFallbackLocal no\n');
    const err = await connect({ host: 'nosuch', config: file, connectTimeout: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCanonicalizationError);
    expect(err).toMatchObject({ host: 'nosuch', domains: ['invalid'], code: 'SSH_ERR_CANONICALIZE_HOSTNAME' });
  });
});

describe('resolveHostName (node:dns)', () => {
  test('names in /etc/hosts resolve, .invalid ones do not; an address family is honoured', async () => {
    expect(await resolveHostName('localhost', { family: 'any', wantCname: false })).toEqual({});
    expect(await resolveHostName('localhost', { family: 'inet', wantCname: false })).toEqual({});
    expect(await resolveHostName('nosuch.invalid.', { family: 'any', wantCname: false })).toBeUndefined();
  });

  test('a name with no CNAME has no canonical name of its own', async () => {
    expect(await resolveHostName('localhost', { family: 'any', wantCname: true })).toEqual({});
  });
});
