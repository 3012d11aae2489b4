/**
 * Listening on a host as OpenSSH and AsyncSSH do: a host name stands for every address it
 * resolves to (getaddrinfo with AI_PASSIVE in both), each bound by a socket of its own on one
 * port. Node's listen() given a name binds only the first address, so a forward on a name that
 * resolves to both families answered on one of them only. A name that does not resolve is a
 * ListenHostError, as sshd refuses a ListenAddress it cannot resolve.
 * @module
 */

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { SshError } from '@ssh/wire';

/**
 * A listener's host gives nothing to bind: the name does not resolve (`reason` 'not-found', the
 * look-up's error as `cause`), or it has no address of the family asked for ('no-address').
 */
export class ListenHostError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ListenHostError');

  /** The host as given. */
  readonly host: string;
  readonly reason: 'not-found' | 'no-address';

  constructor(host: string, reason: ListenHostError['reason'], message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_LISTEN_HOST', `cannot listen on ${host}: ${message}`, options);
    this.host = host;
    this.reason = reason;
  }
}

/** One socket to bind: an address (undefined: every address, dual-stack) and its family's rule. */
export interface BindAddress {
  readonly host: string | undefined;
  /** An IPv6 socket takes IPv6 only, as sshd's and asyncio's do (IPV6_V6ONLY). */
  readonly ipv6Only: boolean;
}

/** Every address of a name (getaddrinfo's order); a testing seam. */
export type LookupAll = (host: string, family: 0 | 4 | 6) => Promise<readonly string[]>;

const lookupAll: LookupAll = async (host, family) => (await lookup(host, { all: true, family })).map((a) => a.address);

/** Whether a host is a name (not '' for every address, '*', or an address). */
function isName(host: string): boolean {
  return host !== '' && host !== '*' && net.isIP(host) === 0;
}

/**
 * Both loopback addresses: what a forward's listener on 'localhost' takes, as ssh's does (it
 * resolves no name for it: getaddrinfo of no host, not passive), whatever the hosts file says.
 */
export const LOOPBACK: readonly BindAddress[] = [
  { host: '127.0.0.1', ipv6Only: false },
  { host: '::1', ipv6Only: true },
];

/**
 * The sockets `host` takes: '' or '*' every address (of `family` when 4 or 6), an address itself,
 * a name each of its addresses (in `family` when 4 or 6) once. Throws ListenHostError when that
 * leaves nothing.
 */
export async function bindAddresses(host: string, family: 0 | 4 | 6 = 0, resolve: LookupAll = lookupAll): Promise<BindAddress[]> {
  if (host === '' || host === '*') {
    if (family === 4) return [{ host: '0.0.0.0', ipv6Only: false }];
    if (family === 6) return [{ host: '::', ipv6Only: true }];
    return [{ host: undefined, ipv6Only: false }];
  }
  let addresses = [host];
  if (isName(host)) {
    try {
      addresses = [...new Set(await resolve(host.toLowerCase(), family))];
    } catch (err) {
      throw new ListenHostError(host, 'not-found', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }
  const usable = addresses.filter((address) => family === 0 || net.isIP(address) === family);
  if (usable.length === 0) throw new ListenHostError(host, 'no-address', family === 0 ? 'no address' : `no IPv${family} address`);
  return usable.map((address) => ({ host: address, ipv6Only: net.isIPv6(address) }));
}

/** Errors that say an address cannot be bound on this machine at all (its family is missing). */
const UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/** server.listen(options), settled by its outcome. */
export function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Binds a server from `make` on each address, all on one port: `port`, or for 0 the port the
 * first one bound got. An address this machine cannot bind (an IPv6 one without IPv6, say) is
 * skipped, as sshd skips it, unless none is left; any other failure (the port taken on one
 * family) closes what was bound and throws, so that a listener never answers on fewer addresses
 * than it was asked for without saying so.
 */
export async function listenAll(addresses: readonly BindAddress[], port: number, make: () => net.Server): Promise<net.Server[]> {
  const servers: net.Server[] = [];
  let bound = port;
  let unavailable: unknown;
  try {
    for (const a of addresses) {
      const server = make();
      try {
        await listenOn(server, { port: bound, ...(a.host !== undefined ? { host: a.host } : {}), ...(a.ipv6Only ? { ipv6Only: true } : {}) });
      } catch (err) {
        server.close();
        if (!UNAVAILABLE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        unavailable ??= err;
        continue;
      }
      servers.push(server);
      if (bound === 0) bound = (server.address() as net.AddressInfo).port;
    }
    if (servers.length === 0) throw unavailable ?? new Error('no address to listen on');
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return servers;
}
