/**
 * OpenSSH patterns (ssh_config(5) PATTERNS): `*` and `?` wildcards, comma-separated lists with
 * `!` negation, and address lists with CIDR entries (match.c, addrmatch.c semantics).
 * @module
 */

/**
 * Wildcard match of the whole string: `*` any run, `?` one character, everything else literal.
 * Iterative with backtracking to the last star only, so it is linear-ish and cannot blow up.
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
 * A comma-separated pattern list: 1 when some positive entry matches and no negated one does,
 * -1 when a negated entry matches, 0 otherwise (match_pattern_list). `lower` lowercases the
 * patterns (the string is expected to be lowercased by the caller when it matters).
 */
export function matchPatternList(s: string, list: string, lower = false): 1 | 0 | -1 {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    let sub = negated ? raw.slice(1) : raw;
    if (lower) sub = sub.toLowerCase();
    if (matchPattern(s, sub)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** Host names compare case-insensitively (match_hostname). */
export function matchHostname(host: string, list: string): 1 | 0 | -1 {
  return matchPatternList(host.toLowerCase(), list, true);
}

interface ParsedAddress {
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

/** Parses a numeric IPv4 or IPv6 address; undefined when it is not one. */
export function parseAddress(s: string): ParsedAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 4, bytes: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseIPv6(s);
  return v6 ? { family: 6, bytes: v6 } : undefined;
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
 * Parses `addr[/bits]` as addr_pton_cidr does: `'unparsed'` when the address part is not numeric
 * (the entry is then a wildcard pattern), `'bad-mask'` for a mask that is too long or leaves host
 * bits set.
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
 * An address list as sshd's Match Address uses it (addr_match_list): entries are CIDR blocks or
 * wildcard patterns, `!` negates. Returns 1 (match), 0 (no match), -1 (negated match) or
 * -2 (an entry with a bad mask).
 */
export function matchAddressList(address: string | undefined, list: string): 1 | 0 | -1 | -2 {
  const addr = address === undefined ? undefined : parseAddress(address);
  let result: 1 | 0 = 0;
  for (const raw of list.split(',')) {
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
