/**
 * sshd_config `Match` criteria (servconf.c match_cfg_line): User, Group, Host, Address,
 * LocalAddress, LocalPort, RDomain and All, evaluated against one connection. A criterion whose
 * connection field is unknown does not match, as with `sshd -T -C`.
 * @module
 */

import { BadArgument, type ConfigLine } from './document.ts';
import { groupsTask, type HostTask } from './environment.ts';
import { splitMatchArgs } from './lexer.ts';
import { matchAddressList, matchHostname, matchPatternList } from '@ssh/wire';
import { a2port, type ServiceLookup } from './values.ts';

export type ServerCriterionName = 'all' | 'user' | 'group' | 'host' | 'address' | 'localaddress' | 'localport' | 'rdomain';

export interface ServerCriterion {
  readonly name: ServerCriterionName;
  /** `!Criterion` (an extension over OpenSSH 9.2's sshd, as AsyncSSH and newer OpenSSH allow). */
  readonly negate: boolean;
  readonly arg?: string;
  /** LocalPort's port. */
  readonly port?: number;
}

/** The connection a Match is evaluated for; absent fields never match. */
export interface ServerConnection {
  /** User name being authenticated. */
  readonly user?: string;
  /** Client host name (after reverse lookup when UseDNS is on; the address otherwise). */
  readonly host?: string;
  /** Client address. */
  readonly address?: string;
  /** Address of the local end. */
  readonly localAddress?: string;
  /** Port of the local end. */
  readonly localPort?: number;
  /** Routing domain. */
  readonly rdomain?: string;
}

const NAMES: ReadonlySet<string> = new Set(['user', 'group', 'host', 'address', 'localaddress', 'localport', 'rdomain']);

/** Parses the criteria of a server Match line. */
export function parseServerMatch(line: ConfigLine, services?: ServiceLookup): readonly ServerCriterion[] {
  const tokens = splitMatchArgs(line.rest);
  if (!tokens) throw new BadArgument('invalid quotes');
  const out: ServerCriterion[] = [];
  let attributes = 0;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i] as string;
    if (raw.startsWith('#')) break;
    attributes++;
    const negate = raw.startsWith('!');
    const name = (negate ? raw.slice(1) : raw).toLowerCase();
    if (name === 'all') {
      const next = tokens[i + 1];
      if (attributes !== 1 || (next !== undefined && !next.startsWith('#'))) {
        throw new BadArgument(`'all' cannot be combined with other Match attributes`);
      }
      out.push({ name: 'all', negate });
      return out;
    }
    const arg = tokens[i + 1];
    if (arg === undefined || arg === '' || arg.startsWith('#')) throw new BadArgument(`Missing Match criteria for ${raw}`);
    i++;
    if (!NAMES.has(name)) throw new BadArgument(`Unsupported Match attribute ${raw}`);
    // addr_match_list refuses an empty entry (`a,`, `a,,b`, `!`) as it refuses a bad mask.
    const emptyEntry = (): boolean => arg.split(',').some((e) => e === '' || e === '!');
    if ((name === 'address' || name === 'localaddress') && (emptyEntry() || matchAddressList(undefined, arg) === -2)) {
      throw new BadArgument(`Invalid Match ${name} argument '${arg}'`);
    }
    if (name === 'localport') {
      // a2port: 0 to 65535 or a service name (unlike the Port keyword, 0 is a port here).
      const p = a2port(arg, services);
      if (p < 0) throw new BadArgument(`Invalid LocalPort '${arg}' on Match line`);
      out.push({ name, negate, arg, port: p });
      continue;
    }
    out.push({ name: name as ServerCriterionName, negate, arg });
  }
  if (attributes === 0) throw new BadArgument('One or more attributes required for Match');
  return out;
}

/**
 * Answers from the environment kept for one resolution. sshd asks for the groups on every Match
 * Group line (a cheap getgrouplist); an environment may need a process for it, as the Node one does.
 */
export interface ServerMatchCache {
  groups?: { readonly names: readonly string[] | undefined };
}

/** Evaluates a Match line; `conn` undefined is sshd's start-up parse, where only `all` matches. */
export function* evaluateServerMatch(
  criteria: readonly ServerCriterion[],
  conn: ServerConnection | undefined,
  cache: ServerMatchCache = {},
): HostTask<boolean> {
  let result = true;
  for (const c of criteria) {
    if (c.name === 'all') return result && !c.negate;
    const arg = c.arg ?? '';
    let r: boolean;
    switch (c.name) {
      case 'user':
        r = conn?.user !== undefined && matchPatternList(conn.user, arg) === 1;
        break;
      case 'group': {
        if (conn?.user === undefined) {
          r = false;
          break;
        }
        cache.groups ??= { names: yield* groupsTask(conn.user) };
        let found = false;
        for (const g of cache.groups.names ?? []) {
          const m = matchPatternList(g, arg);
          if (m === -1) {
            found = false;
            break;
          }
          if (m === 1) found = true;
        }
        r = found;
        break;
      }
      case 'host':
        r = conn?.host !== undefined && matchHostname(conn.host, arg) === 1;
        break;
      case 'address':
        r = conn?.address !== undefined && matchAddressList(conn.address, arg) === 1;
        break;
      case 'localaddress':
        r = conn?.localAddress !== undefined && matchAddressList(conn.localAddress, arg) === 1;
        break;
      case 'localport':
        r = conn?.localPort !== undefined && conn.localPort === c.port;
        break;
      case 'rdomain':
        r = conn?.rdomain !== undefined && matchPatternList(conn.rdomain, arg) === 1;
        break;
    }
    // Without a connection nothing but `all` matches, negated or not (sshd's start-up parse).
    if (conn === undefined) r = c.negate;
    if (r === c.negate) result = false;
  }
  return result;
}
