/**
 * Parsers for the value syntaxes that options and config files share: byte counts ("1G",
 * RekeyLimit) and time intervals ("1h30m", ConnectTimeout), as OpenSSH and AsyncSSH accept them.
 * @module
 */

import { ValueParseError } from './errors.ts';

// OpenSSH's scan_scaled() units: B (bytes) and binary K, M, G, T, P, E.
const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };
const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A byte count such as `1000`, `64K`, `1.5G`, `1P` (binary multiples, case-insensitive); at most 2^53 - 1. */
export function parseByteCount(input: string): number {
  const m = /^(\d+(?:\.\d*)?)([a-z]?)$/i.exec(input.trim());
  const unit = m ? BYTE_UNITS[(m[2] as string).toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ValueParseError('byte count', input, 'expected a number with an optional B, K, M, G, T, P or E suffix');
  const value = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(value)) throw new ValueParseError('byte count', input, 'too large');
  return value;
}

/** A time interval in seconds: `30`, `90s`, `1h30m`, `1w2d` (units s, m, h, d, w, case-insensitive). */
export function parseTimeInterval(input: string): number {
  const text = input.trim();
  if (text === '') throw new ValueParseError('time interval', input, 'empty');
  let total = 0;
  let pos = 0;
  const term = /(\d+(?:\.\d*)?)([a-z]?)/iy;
  while (pos < text.length) {
    term.lastIndex = pos;
    const m = term.exec(text);
    const unit = m ? TIME_UNITS[(m[2] as string).toLowerCase()] : undefined;
    if (!m || unit === undefined) throw new ValueParseError('time interval', input, 'expected numbers with s, m, h, d or w units');
    total += Number(m[1]) * unit;
    pos = term.lastIndex;
  }
  return total;
}
