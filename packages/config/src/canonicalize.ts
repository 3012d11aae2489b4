/**
 * Host name canonicalisation (CanonicalizeHostname, CanonicalDomains, CanonicalizeMaxDots,
 * CanonicalizeFallbackLocal, CanonicalizePermittedCNAMEs): the decisions of ssh(1), with the
 * look-ups asked of the host environment. ssh_config(5); OpenSSH 9.2 ssh.c resolve_canonicalize,
 * check_follow_cname and the bare look-up after them in main().
 * @module
 */

import { matchPatternList, parseAddress } from '@ssh/wire';
import type { AddressFamily, CanonicalizeHostnameMode } from './client-keywords.ts';
import { resolveHostTask, type HostLookupHints, type HostTask } from './environment.ts';
import { HostCanonicalizationError } from './errors.ts';

/** The settings canonicalisation reads, as obtained by the first pass (defaults filled). */
export interface CanonicalizeSettings {
  readonly mode: CanonicalizeHostnameMode;
  readonly domains: readonly string[];
  readonly maxDots: number;
  readonly fallbackLocal: boolean;
  /** `source:target` rules; `'none'` or undefined for none. */
  readonly permittedCnames: readonly string[] | 'none' | undefined;
  readonly family: AddressFamily;
  /** Whether the connection is direct (no ProxyJump / ProxyCommand). */
  readonly direct: boolean;
  /** Whether look-ups can be made at all (the environment has a resolver). */
  readonly canResolve: boolean;
}

/** ssh's is_addr_fast(): looks like an address (so never canonicalised), even a malformed one. */
function looksLikeAddress(host: string): boolean {
  return host.includes(':') || host.includes('%') || /^[\d.]+$/.test(host) || parseAddress(host) !== undefined;
}

interface CnameRule {
  readonly source: string;
  readonly target: string;
}

function cnameRules(v: readonly string[] | 'none' | undefined): readonly CnameRule[] {
  if (v === undefined || v === 'none') return [];
  return v.map((r) => {
    const i = r.indexOf(':');
    return { source: r.slice(0, i), target: r.slice(i + 1) };
  });
}

/** check_follow_cname: the CNAME target when a rule permits following it from `name`. */
function followCname(name: string, cname: string | undefined, rules: readonly CnameRule[]): string {
  if (cname === undefined || cname === '' || rules.length === 0 || cname === name) return name;
  for (const rule of rules) {
    if (matchPatternList(name, rule.source, true) === 1 && matchPatternList(cname, rule.target, true) === 1) return cname;
  }
  return name;
}

/**
 * The host name after canonicalisation (`host` itself when ssh would leave it alone). Throws a
 * HostCanonicalizationError where ssh exits. Without a resolver nothing resolves.
 */
export function* canonicalizeHost(host: string, s: CanonicalizeSettings): HostTask<string> {
  // Addresses are never canonicalised, nor anything with CanonicalizeHostname no.
  if (host === '' || s.mode === 'no' || looksLikeAddress(host)) return host;
  // Names a proxy or jump host will resolve are left to it unless `always`.
  if (!s.direct && s.mode !== 'always') return host;
  const rules = cnameRules(s.permittedCnames);
  const hints: HostLookupHints = { family: s.family, wantCname: rules.length > 0 };
  const lookup = (name: string): HostTask<{ canonicalName?: string } | undefined> =>
    s.canResolve ? resolveHostTask(name, hints) : noLookup();

  const tried: string[] = [];
  if (host.endsWith('.')) {
    // Anchored: already fully qualified; resolve it as it is and drop the dot.
    const found = yield* lookup(host);
    if (found) return followCname(host.slice(0, -1), found.canonicalName, rules);
  } else {
    const dots = host.split('.').length - 1;
    // Sufficiently qualified names are not tried in the domains (ssh: "max dots").
    if (dots > s.maxDots) return yield* bareLookup(host, s, rules, lookup);
    for (const domain of s.domains) {
      if (domain.toLowerCase() === 'none') break;
      tried.push(domain);
      const full = `${host}.${domain}`;
      const found = yield* lookup(`${full}.`);
      if (found) return followCname(full, found.canonicalName, rules);
    }
  }
  if (!s.fallbackLocal) {
    throw new HostCanonicalizationError(host, tried, `Could not resolve host "${host}" (CanonicalizeFallbackLocal no${s.canResolve ? '' : '; no resolver'})`);
  }
  return yield* bareLookup(host, s, rules, lookup);
}

/**
 * Not canonicalised in a domain: with CNAME rules, ssh resolves the name as given (the system
 * resolver's search rules apply) and may follow its CNAME; a direct connection to a name that
 * does not resolve ends there.
 */
function* bareLookup(
  host: string,
  s: CanonicalizeSettings,
  rules: readonly CnameRule[],
  lookup: (name: string) => HostTask<{ canonicalName?: string } | undefined>,
): HostTask<string> {
  if (rules.length === 0 || !s.canResolve) return host;
  const found = yield* lookup(host);
  if (!found) {
    if (s.direct) throw new HostCanonicalizationError(host, [], `Could not resolve hostname ${host}: Name or service not known`);
    return host;
  }
  return followCname(host, found.canonicalName, rules);
}

// eslint-disable-next-line require-yield -- a task that answers without asking the environment
function* noLookup(): HostTask<undefined> {
  return undefined;
}
