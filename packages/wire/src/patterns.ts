/**
 * OpenSSH's patterns (ssh_config(5) PATTERNS) and address lists, as match.c and addrmatch.c
 * define them: `*` and `?` wildcards, comma-separated lists with `!` negation, CIDR blocks.
 * ssh_config/sshd_config (Match), known_hosts, authorized_keys (`from=`), allowed signers and
 * certificates (`source-address`) all match through these, so each rule exists once.
 * @module
 */

/** A list as written in a file (comma-separated) or already split. */
export type PatternList = string | readonly string[];

function entries(list: PatternList): readonly string[] {
  return typeof list === 'string' ? list.split(',') : list;
}

/**
 * Wildcard match of the whole string `s` (match_pattern): `*` any run, `?` one character,
 * everything else literal. Backtracks to the last star only, so a hostile pattern stays cheap.
 */
export function matchPattern(s: string, pattern: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === '*') {
      starP = pi++;
      starS = si;
    } else if (pc !== undefined && (pc === '?' || pc === s[si])) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * A pattern list (match_pattern_list): 1 when some entry matches and no negated one does, -1 when
 * a negated entry matches, 0 otherwise. `lower` compares both sides lowercased.
 */
export function matchPatternList(s: string, list: PatternList, lower = false): 1 | 0 | -1 {
  const subject = lower ? s.toLowerCase() : s;
  let positive = false;
  for (const raw of entries(list)) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (matchPattern(subject, lower ? pattern.toLowerCase() : pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** Host names compare case-insensitively (match_hostname). */
export function matchHostname(host: string, list: PatternList): 1 | 0 | -1 {
  return matchPatternList(host, list, true);
}

/** A numeric address: 4 bytes for IPv4, 16 for IPv6. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail4) out.set(tail4, 12);
  return out;
}

/** Parses a numeric IPv4 or IPv6 address (an IPv6 zone is ignored); undefined when it is not one. */
export function parseAddress(s: string): ParsedAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 4, bytes: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseIPv6(s);
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

/**
 * An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) as its IPv4 address, as sshd
 * normalises the peer address before matching it; any other string unchanged.
 */
export function unmapAddress(address: string): string {
  const a = address.includes(':') ? parseAddress(address) : undefined;
  if (a === undefined || a.family !== 6) return address;
  const b = a.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return address;
  if (b[10] !== 0xff || b[11] !== 0xff) return address;
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
}

function cidrContains(addr: ParsedAddress, net: ParsedAddress, bits: number): boolean {
  if (addr.family !== net.family) return false;
  for (let i = 0; i < net.bytes.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
    if (((addr.bytes[i] as number) & mask) !== ((net.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/**
 * Parses `addr[/bits]` as addr_pton_cidr does: `'unparsed'` when it is not a numeric address
 * with a decimal mask, `'bad-mask'` for a mask that is too long or leaves host bits set.
 */
export function parseCidr(entry: string): { net: ParsedAddress; bits: number } | 'unparsed' | 'bad-mask' {
  const slash = entry.indexOf('/');
  const addrText = slash < 0 ? entry : entry.slice(0, slash);
  const net = parseAddress(addrText);
  if (!net) return 'unparsed';
  const max = net.family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b)) return 'unparsed';
    bits = Number(b);
    if (bits > max) return 'bad-mask';
  }
  for (let i = 0; i < net.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const hostMask = keep === 8 ? 0 : 0xff >> keep;
    if (((net.bytes[i] as number) & hostMask) !== 0) return 'bad-mask';
  }
  return { net, bits };
}

/**
 * An address list (addr_match_list: sshd's Match Address, the address half of `from=`): entries
 * are CIDR blocks or wildcard patterns, `!` negates. 1 (match), 0 (no match), -1 (a negated entry
 * matches) or -2 (an entry with a bad mask). Without an address it only checks the list.
 */
export function matchAddressList(address: string | undefined, list: PatternList): 1 | 0 | -1 | -2 {
  const addr = address === undefined ? undefined : parseAddress(address);
  let result: 1 | 0 = 0;
  for (const raw of entries(list)) {
    const negated = raw.startsWith('!');
    const entry = negated ? raw.slice(1) : raw;
    const cidr = parseCidr(entry);
    if (cidr === 'bad-mask') return -2;
    const matched =
      cidr === 'unparsed'
        ? address !== undefined && matchPattern(address, entry)
        : addr !== undefined && cidrContains(addr, cidr.net, cidr.bits);
    if (matched) {
      if (negated) return -1;
      result = 1;
    }
  }
  return result;
}

/** Longest CIDR entry addr_match_cidr_list reads: INET6_ADDRSTRLEN (46) and a mask. */
const MAX_CIDR_ENTRY = 46 + 3;

/**
 * A list of CIDR blocks only (addr_match_cidr_list: a certificate's `source-address`): no
 * wildcards, no negation. 1 when `address` lies in some block, 0 when in none (or when it is not
 * a numeric address), -1 when the list is malformed (an empty, overlong, non-numeric entry or a
 * bad mask), whatever the address. Without an address it only checks the list (0 or -1).
 */
export function matchCidrList(address: string | undefined, list: PatternList): 1 | 0 | -1 {
  const addr = address === undefined ? undefined : parseAddress(address);
  let result: 1 | 0 = 0;
  for (const entry of entries(list)) {
    if (entry === '' || entry.length > MAX_CIDR_ENTRY || !/^[0-9a-fA-F.:/]+$/.test(entry)) return -1;
    const cidr = parseCidr(entry);
    if (cidr === 'unparsed' || cidr === 'bad-mask') return -1;
    if (addr !== undefined && cidrContains(addr, cidr.net, cidr.bits)) result = 1;
  }
  return result;
}

/**
 * sshd's `from=` check (match_host_and_ip): the client's address against the list as an address
 * list and its host name (the address itself when no name is known, as sshd without UseDNS) as
 * host name patterns. 1 when allowed, 0 when not (a negated entry matches either, or nothing
 * matches), -1 when the list has a bad mask.
 */
export function matchHostAndIp(host: string | undefined, address: string, list: PatternList): 1 | 0 | -1 {
  const ip = matchAddressList(address, list);
  if (ip === -2) return -1;
  if (ip === -1) return 0;
  const name = matchHostname(host ?? address, list);
  if (name === -1) return 0;
  return ip === 1 || name === 1 ? 1 : 0;
}
