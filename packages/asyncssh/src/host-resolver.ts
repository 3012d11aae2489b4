/**
 * Host name look-ups for ssh_config's CanonicalizeHostname (the HostEnvironment.resolveHost
 * that @ssh/config, which does no I/O, asks for): node:dns's lookup() is getaddrinfo(3), as
 * ssh(1) resolves, so /etc/hosts and the system's search rules apply; CNAMEs, wanted only when
 * CanonicalizePermittedCNAMEs has rules, are followed in the DNS. ssh.c resolve_host.
 * @module
 */

import { Resolver, lookup } from 'node:dns/promises';
import type { HostLookup, HostLookupHints } from '@ssh/config';

/** CNAME hops followed at most (a loop or a very long chain stops there). */
const MAX_CNAME_HOPS = 8;

const strip = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name);

/**
 * Resolves `name` for the address family asked; undefined when it does not resolve (any
 * failure, as ssh treats a failed getaddrinfo()). With `wantCname`, the end of its CNAME chain
 * as `canonicalName`. getaddrinfo's own canonical name (AI_CANONNAME) is not available in Node:
 * an alias only /etc/hosts knows is not followed, a DNS CNAME is.
 */
export async function resolveHostName(name: string, hints: HostLookupHints): Promise<HostLookup | undefined> {
  try {
    await lookup(name, { family: hints.family === 'inet' ? 4 : hints.family === 'inet6' ? 6 : 0 });
  } catch {
    return undefined;
  }
  if (!hints.wantCname) return {};
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  const start = strip(name);
  let current = start;
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    let next: string | undefined;
    try {
      [next] = await resolver.resolveCname(current);
    } catch {
      break; // no CNAME record (or no answer): `current` is the canonical name
    }
    if (next === undefined || next === '') break;
    current = strip(next);
  }
  return current === start ? {} : { canonicalName: current };
}
