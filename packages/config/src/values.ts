/**
 * Argument parsers shared by ssh_config and sshd_config keywords: yes/no flags and other
 * multi-state words, integers, ports, time intervals and byte counts (the last two through
 * @ssh/wire's shared parsers, with OpenSSH's stricter syntax checked first).
 * @module
 */

import { parseByteCount, parseTimeInterval, ValueParseError } from '@ssh/wire';
import { BadArgument, type ConfigLine } from './document.ts';

/** The single argument of a keyword that takes exactly one. */
export function single(line: ConfigLine): string {
  if (line.args.length === 0) throw new BadArgument(`missing argument for ${line.keyword}`);
  if (line.args.length > 1) throw new BadArgument(`keyword ${line.keyword} extra arguments at end of line`);
  return line.args[0] as string;
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

/** A non-negative decimal integer no larger than INT_MAX (strtonum(…, 0, INT_MAX)). */
export function integer(arg: string): number {
  const m = /^[ \t]*\+?(\d+)$/.exec(arg);
  const v = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(v) || v > 2147483647) throw new BadArgument(`integer value invalid: ${arg}`);
  return v;
}

/** A TCP port 1-65535 (a2port). */
export function port(arg: string): number {
  const m = /^[ \t]*\+?(\d+)$/.exec(arg);
  const v = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(v) || v <= 0 || v > 65535) throw new BadArgument(`Bad port '${arg}'`);
  return v;
}

/**
 * A time interval in seconds as OpenSSH's convtime accepts it: one or more terms of decimal
 * digits with an optional s, m, h, d or w unit, no fractions, at most INT_MAX seconds.
 */
export function timeInterval(arg: string): number {
  // Every term but the last ends in its unit: (\d+[unit]?)+ split a run of digits every possible
  // way before failing, exponential in its length.
  if (!/^(?:\d+[smhdwSMHDW])*\d+[smhdwSMHDW]?$/.test(arg)) throw new BadArgument(`invalid time value "${arg}"`);
  let seconds: number;
  try {
    seconds = parseTimeInterval(arg);
  } catch (e) {
    if (e instanceof ValueParseError) throw new BadArgument(`invalid time value "${arg}"`);
    throw e;
  }
  if (seconds > 2147483647) throw new BadArgument(`time value too large "${arg}"`);
  return seconds;
}

/**
 * A byte count as OpenSSH's scan_scaled accepts it: a decimal number with an optional fraction
 * and one unit among B, K, M, G, T (binary multiples, case-insensitive).
 */
export function byteCount(arg: string): number {
  const m = /^(\d+(?:\.\d+)?)([bBkKmMgGtT]?)$/.exec(arg);
  if (!m) throw new BadArgument(`Bad number "${arg}"`);
  const text = (m[2] as string).toLowerCase() === 'b' ? (m[1] as string) : arg;
  try {
    return parseByteCount(text);
  } catch (e) {
    if (e instanceof ValueParseError) throw new BadArgument(`Bad number "${arg}"`);
    throw e;
  }
}

/**
 * RekeyLimit: `bytes [seconds]`. `default` means 0 bytes; a second argument `none` leaves the
 * interval unset. The two halves are obtained independently (first value of each wins).
 */
export function rekeyLimit(line: ConfigLine): { readonly bytes: number; readonly seconds?: number } {
  const [b, s, ...extra] = line.args;
  if (b === undefined) throw new BadArgument('missing argument for rekeylimit');
  if (extra.length > 0) throw new BadArgument(`keyword ${line.keyword} extra arguments at end of line`);
  let bytes = 0;
  if (b !== 'default') {
    bytes = byteCount(b);
    if (bytes !== 0 && bytes < 16) throw new BadArgument(`RekeyLimit too small "${b}"`);
  }
  if (s === undefined || s === 'none') return { bytes };
  return { bytes, seconds: timeInterval(s) };
}

/** Commands (ProxyCommand, RemoteCommand, ...) take the rest of the line verbatim. */
export function command(line: ConfigLine): string {
  const v = line.rest.replace(/^[ \t\r\n=]+/, '');
  if (v === '') throw new BadArgument(`missing argument for ${line.keyword}`);
  return v;
}
