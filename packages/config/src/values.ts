/**
 * Argument parsers shared by ssh_config and sshd_config keywords: yes/no flags and other
 * multi-state words, integers, ports, time intervals (as OpenSSH's convtime reads them) and byte counts (as OpenSSH's scan_scaled reads them).
 * @module
 */

import { BadArgument, type ConfigLine } from './document.ts';

/** The single argument of a keyword that takes exactly one. */
export function single(line: ConfigLine): string {
  if (line.args.length === 0) throw new BadArgument(`missing argument for ${line.keyword}`);
  if (line.args.length > 1) throw new BadArgument(`keyword ${line.keyword} extra arguments at end of line`);
  return line.args[0] as string;
}

/** The single argument of a keyword that takes a string or a path: empty is missing, as ssh's parse_string says. */
export function singleNonEmpty(line: ConfigLine): string {
  const arg = single(line);
  if (arg === '') throw new BadArgument('Missing argument.');
  return arg;
}

/** Every argument, at least one, none empty. */
export function list(line: ConfigLine, allowEmpty = false): string[] {
  if (line.args.length === 0) throw new BadArgument(`missing argument for ${line.keyword}`);
  if (!allowEmpty && line.args.some((a) => a === '')) throw new BadArgument(`keyword ${line.keyword} empty argument`);
  return [...line.args];
}

/** A word from a fixed table, compared case-insensitively as OpenSSH does. */
export function multistate<T>(line: ConfigLine, table: Readonly<Record<string, T>>): T {
  const arg = single(line);
  const key = arg.toLowerCase();
  if (!Object.hasOwn(table, key)) throw new BadArgument(`unsupported option "${arg}"`);
  return table[key] as T;
}

const FLAG: Readonly<Record<string, boolean>> = { yes: true, true: true, no: false, false: false };

/** yes/no/true/false. */
export function flag(line: ConfigLine): boolean {
  return multistate(line, FLAG);
}

/** Whether a string is a yes/no word (used by options that also accept other values). */
export function flagWord(arg: string): boolean | undefined {
  const key = arg.toLowerCase();
  return Object.hasOwn(FLAG, key) ? FLAG[key] : undefined;
}

/** What strtonum reads: blanks, an optional `+`, decimal digits. */
const DECIMAL = /^[ \t]*\+?(\d+)$/;

/** A non-negative decimal integer no larger than INT_MAX (strtonum(…, 0, INT_MAX)). */
export function integer(arg: string): number {
  const m = DECIMAL.exec(arg);
  const v = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(v) || v > 2147483647) throw new BadArgument(`integer value invalid: ${arg}`);
  return v;
}

/**
 * getservbyname(name, "tcp"): the service's port, undefined when there is none. The reader
 * passes one to the keyword parsers (see readDocument).
 */
export type ServiceLookup = (name: string) => number | undefined;

/**
 * misc.c a2port: a decimal 0-65535 (strtonum), else the port of the TCP service of that name;
 * -1 when neither.
 */
export function a2port(text: string, services?: ServiceLookup): number {
  const m = DECIMAL.exec(text);
  const v = m ? Number(m[1]) : NaN;
  if (v <= 65535) return v;
  return services?.(text) ?? -1;
}

/** A TCP port 1-65535 (a2port). */
export function port(arg: string, services?: ServiceLookup): number {
  const v = a2port(arg, services);
  if (v <= 0) throw new BadArgument(`Bad port '${arg}'`);
  return v;
}

/** convtime's units. */
const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A time interval in seconds as OpenSSH's convtime reads it: one or more terms, each what
 * strtol reads (leading white space, an optional sign, decimal digits) and then an s, m, h, d or
 * w unit (either case), a term without a unit ending the text; no negative term (`-0` is 0), no
 * fractions, at most INT_MAX seconds.
 */
export function timeInterval(arg: string): number {
  const bad = (): BadArgument => new BadArgument(`invalid time value "${arg}"`);
  if (arg === '') throw bad();
  const term = /[ \t\n\v\f\r]*([+-]?)(\d+)([smhdwSMHDW]?)/y;
  let total = 0;
  let i = 0;
  while (i < arg.length) {
    term.lastIndex = i;
    const m = term.exec(arg);
    if (!m) throw bad();
    i = term.lastIndex;
    const unit = m[3] as string;
    if (unit === '' && i < arg.length) throw bad();
    const secs = Number(m[2]);
    if (m[1] === '-' && secs !== 0) throw bad();
    total += secs * (TIME_UNITS[unit.toLowerCase()] as number);
    if (total > 2147483647) throw new BadArgument(`time value too large "${arg}"`);
  }
  return total;
}

const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);
/** scan_scaled's digit budget: 21 digits before the point (the 21st overflows), 19 after it. */
const MAX_DIGITS = 21;
const UNITS = 'BKMGTPE';

function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isAsciiAlnum(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Za-z]$/.test(c);
}

/**
 * A byte count as OpenSSH's scan_scaled reads it, exactly, in 64-bit signed arithmetic: leading
 * white space, one optional sign, decimal digits with at most one point, then either the end (the
 * fraction is dropped) or one unit among B, K, M, G, T, P, E (binary multiples, either case) that
 * scales the fraction too and may be followed by anything but a letter or digit. `K` alone and
 * `.` are zero. Too many digits, or a result outside a signed 64-bit integer, is out of range.
 */
export function scaledCount(arg: string): bigint {
  const invalid = (): BadArgument => new BadArgument(`Bad number '${arg}': Invalid argument`);
  const range = (): BadArgument => new BadArgument(`Bad number '${arg}': Numerical result out of range`);
  let p = 0;
  while (isCSpace(arg[p])) p++;
  let sign = 0n;
  for (let c = arg[p]; c === '-' || c === '+'; c = arg[++p]) {
    if (sign !== 0n) throw invalid();
    sign = c === '-' ? -1n : 1n;
  }
  let whole = 0n;
  let fpart = 0n;
  let wholeDigits = 0;
  // 0 before the point; 1 + the fraction digits kept after it.
  let fractDigits = 0;
  for (; p < arg.length; p++) {
    const c = arg[p] as string;
    if (c === '.') {
      if (fractDigits > 0) throw invalid();
      fractDigits = 1;
      continue;
    }
    if (c < '0' || c > '9') break;
    const d = BigInt(c.charCodeAt(0) - 48);
    if (fractDigits > 0) {
      if (fractDigits >= MAX_DIGITS - 1) continue;
      fractDigits++;
      fpart = fpart * 10n + d;
      if (fpart > LLONG_MAX) throw range();
    } else {
      if (++wholeDigits >= MAX_DIGITS) throw range();
      whole = whole * 10n + d;
      if (whole > LLONG_MAX) throw range();
    }
  }
  if (sign !== 0n) whole *= sign;
  if (p === arg.length) return whole;

  const c = arg[p] as string;
  const unit = UNITS.indexOf(c.toUpperCase());
  // Compared byte for byte: a non-ASCII letter whose upper case is a unit is not one.
  if (unit < 0 || (c !== UNITS[unit] && c !== UNITS[unit]?.toLowerCase())) throw invalid();
  if (isAsciiAlnum(arg[p + 1])) throw invalid();
  const scale = 1n << BigInt(10 * unit);
  // BigInt division truncates toward zero, as C's does.
  if (whole > LLONG_MAX / scale || whole < LLONG_MIN / scale) throw range();
  whole *= scale;
  // Fraction digits that would overflow once scaled are dropped from the right.
  while (fpart >= LLONG_MAX / scale) {
    fpart /= 10n;
    fractDigits--;
  }
  fpart *= scale;
  if (fractDigits > 1) fpart /= 10n ** BigInt(fractDigits - 1);
  return sign === -1n ? whole - fpart : whole + fpart;
}

/**
 * RekeyLimit: `bytes [seconds]`. `default` means 0 bytes; a second argument `none` leaves the
 * interval unset. The two halves are obtained independently (first value of each wins). Bytes
 * are read as scan_scaled reads them (so `0.5` is 0 and `1.5G` is 1610612736) and must be 0 or at
 * least 16; a count beyond 2^53 is carried as the nearest double.
 */
export function rekeyLimit(line: ConfigLine): { readonly bytes: number; readonly seconds?: number } {
  const [b, s, ...extra] = line.args;
  if (b === undefined || b === '') throw new BadArgument('missing argument for rekeylimit');
  if (extra.length > 0) throw new BadArgument(`keyword ${line.keyword} extra arguments at end of line`);
  let bytes = 0n;
  if (b !== 'default') {
    bytes = scaledCount(b);
    if (bytes !== 0n && bytes < 16n) throw new BadArgument(`RekeyLimit too small "${b}"`);
  }
  if (s === undefined || s === 'none') return { bytes: Number(bytes) };
  return { bytes: Number(bytes), seconds: timeInterval(s) };
}

/** Commands (ProxyCommand, RemoteCommand, ...) take the rest of the line verbatim. */
export function command(line: ConfigLine): string {
  const v = line.rest.replace(/^[ \t\r\n=]+/, '');
  if (v === '') throw new BadArgument(`missing argument for ${line.keyword}`);
  return v;
}

/**
 * misc.c hpdelim2: the host field of `host[:rest]`, `host[/rest]` or `[v6addr][:rest]` (brackets
 * kept), the delimiter after it and what follows; undefined when malformed.
 */
export function hpdelim(s: string): { readonly host: string; readonly delim: '' | ':' | '/'; readonly rest: string } | undefined {
  let i: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    i = close + 1;
  } else {
    const d = s.search(/[:/]/);
    i = d < 0 ? s.length : d;
  }
  if (i === s.length) return { host: s, delim: '', rest: '' };
  const delim = s[i];
  if (delim !== ':' && delim !== '/') return undefined;
  return { host: s.slice(0, i), delim, rest: s.slice(i + 1) };
}

/** misc.c cleanhostname: `[addr]` loses its brackets. */
export const cleanHostname = (h: string): string => (h.length >= 2 && h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);
