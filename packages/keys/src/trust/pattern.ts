/**
 * OpenSSH pattern matching (ssh_config(5) PATTERNS): `*` and `?` wildcards, comma-separated
 * lists with `!` negation, and address lists with CIDR ranges (sshd(8) `from=`).
 * @module
 */

/** Glob match of `text` against `pattern` (`*` any run, `?` one character). Linear time. */
export function matchPattern(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Matches `text` against a pattern list: -1 when a negated pattern matches, 1 when a positive
 * one does (and no negated one), 0 otherwise. `lower` lowercases both sides (host names).
 */
export function matchPatternList(patterns: readonly string[], text: string, lower = false): -1 | 0 | 1 {
  const subject = lower ? text.toLowerCase() : text;
  let result: 0 | 1 = 0;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = lower ? (negated ? raw.slice(1) : raw).toLowerCase() : negated ? raw.slice(1) : raw;
    if (matchPattern(pattern, subject)) {
      if (negated) return -1;
      result = 1;
    }
  }
  return result;
}

/** IPv4 or IPv6 address as bytes, or undefined when `text` is not one. */
export function parseIp(text: string): Uint8Array | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    return parts.every((n) => n <= 255) ? Uint8Array.from(parts) : undefined;
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let v4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = parseIp(text.slice(lastColon + 1));
    if (!v4 || v4.length !== 4) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const g = s.split(':');
    if (g.some((x) => !/^[0-9a-fA-F]{1,4}$/.test(x))) return undefined;
    return g.map((x) => Number.parseInt(x, 16));
  };
  const left = toGroups(halves[0] as string);
  const right = halves.length === 2 ? toGroups(halves[1] as string) : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...left, ...new Array<number>(Math.max(0, missing)).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/** True when `addr` lies in `cidr` ("10.0.0.0/8", "2001:db8::/32", or a bare address). */
export function matchCidr(cidr: string, addr: string): boolean {
  const [net = '', bitsText] = cidr.split('/');
  const netBytes = parseIp(net);
  const addrBytes = parseIp(addr);
  if (!netBytes || !addrBytes || netBytes.length !== addrBytes.length) return false;
  const bits = bitsText === undefined ? netBytes.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > netBytes.length * 8 || (bitsText !== undefined && !/^\d+$/.test(bitsText))) return false;
  for (let i = 0; i < netBytes.length; i++) {
    const take = Math.min(8, Math.max(0, bits - i * 8));
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
    if (((netBytes[i] as number) & mask) !== ((addrBytes[i] as number) & mask)) return false;
  }
  return true;
}

/**
 * sshd's `from=` check: each entry matches the host name (glob, case-insensitive) or the
 * address (glob or CIDR). -1 when a negated entry matches, 1 on a positive match, 0 otherwise.
 */
export function matchHostAndIp(patterns: readonly string[], host: string | undefined, addr: string | undefined): -1 | 0 | 1 {
  let result: 0 | 1 = 0;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    let hit = false;
    if (addr !== undefined) hit = pattern.includes('/') ? matchCidr(pattern, addr) : matchPattern(pattern, addr);
    if (!hit && host !== undefined && !pattern.includes('/')) hit = matchPattern(pattern.toLowerCase(), host.toLowerCase());
    if (hit) {
      if (negated) return -1;
      result = 1;
    }
  }
  return result;
}
