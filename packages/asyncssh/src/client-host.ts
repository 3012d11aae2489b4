/**
 * The name of a client's host as host-based authentication may trust it: the reverse lookup of
 * its address, kept only when that name's own addresses include the client's (sshd's check).
 * Whoever runs the DNS zone of the client's address can make it say any name; the forward lookup
 * of that name answers from the name's own zone. Without a confirmed name the address itself is
 * the client host, and matches only entries written for the address.
 * @module
 */

import { isIP } from 'node:net';
import { lookup, lookupService } from 'node:dns/promises';
import { unmapAddress } from '@ssh/wire';

/** The lookups used (node:dns by default; tests give their own). */
export interface HostResolver {
  /** Reverse lookup: the name of `address` (dns.lookupService). */
  reverse(address: string, port: number): Promise<string>;
  /** Forward lookup: every address of `name` (dns.lookup with `all`). */
  forward(name: string): Promise<readonly string[]>;
}

const systemResolver: HostResolver = {
  reverse: async (address, port) => (await lookupService(address, port)).hostname,
  forward: async (name) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address),
};

/**
 * The client host for `address` (already unmapped from IPv4-in-IPv6): its reverse-lookup name in
 * lower case when a forward lookup of that name gives `address` back, else `address`. A name that
 * is itself an address literal (a PTR record saying "10.0.0.1") is not a name.
 */
export async function resolveClientHost(address: string, port: number, resolver: HostResolver = systemResolver): Promise<string> {
  let name: string;
  try {
    name = (await resolver.reverse(address, port)).replace(/\.$/, '').toLowerCase();
  } catch {
    return address;
  }
  if (name === '' || isIP(name) !== 0) return address;
  let addresses: readonly string[];
  try {
    addresses = await resolver.forward(name);
  } catch {
    return address;
  }
  const wanted = normalize(address);
  return addresses.some((a) => normalize(a) === wanted) ? name : address;
}

/** One spelling per address: IPv4-mapped IPv6 unmapped, IPv6 in lower case without a zone. */
function normalize(address: string): string {
  return unmapAddress(address).replace(/%.*$/, '').toLowerCase();
}
