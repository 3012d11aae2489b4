/**
 * Certificate validity times as AsyncSSH accepts them: epoch seconds, Date, 'now', absolute
 * 'YYYYMMDD[Z]' / 'YYYYMMDDHHMMSS[Z]', or a relative interval ('+1w', '-2d', '1h30m').
 * @module
 */

import { parseTimeInterval, ValueParseError } from '@ssh/wire';

/** A point in time: epoch seconds (number or bigint), a Date, or a string as above. */
export type TimeValue = number | bigint | Date | string;

const MAX_U64 = (1n << 64n) - 1n;

/** Epoch seconds for `value`, relative to `now` (epoch seconds) for 'now' and intervals. */
export function parseTimeValue(value: TimeValue, now: number): bigint {
  if (typeof value === 'bigint') return clamp(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValueParseError('time', String(value));
    return clamp(BigInt(Math.floor(value)));
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValueParseError('time', String(value));
    return clamp(BigInt(Math.floor(value.getTime() / 1000)));
  }
  const text = value.trim();
  if (text.toLowerCase() === 'now') return BigInt(Math.floor(now));
  const abs = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?(Z?)$/i.exec(text);
  if (abs) {
    const [y, mo, d, h = '0', mi = '0', s = '0'] = abs.slice(1, 7).map((x) => x ?? '0') as string[];
    const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
    if (!isCalendarTime(...fields)) throw new ValueParseError('time', value);
    const ms = abs[7] ? Date.UTC(...fields) : new Date(...fields).getTime();
    if (Number.isNaN(ms)) throw new ValueParseError('time', value);
    return clamp(BigInt(Math.floor(ms / 1000)));
  }
  const sign = text.startsWith('-') ? -1 : 1;
  const interval = parseTimeInterval(text.replace(/^[+-]/, ''));
  // An interval of hundreds of digits is Infinity as a number, which BigInt() refuses with a RangeError.
  const t = now + sign * interval;
  if (!Number.isFinite(t)) throw new ValueParseError('time', value);
  return clamp(BigInt(Math.floor(t)));
}

/**
 * True when the fields (month 0-11) name a real day and time of day: Date would roll 2024-13-01
 * into 2025 and February 30 into March. Checked in UTC, so a local time in a daylight-saving gap
 * still passes (and is normalized by Date, as mktime normalizes it for OpenSSH).
 */
export function isCalendarTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  const d = new Date(Date.UTC(year, month, day, hour, minute, second));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month && d.getUTCDate() === day && d.getUTCHours() === hour && d.getUTCMinutes() === minute && d.getUTCSeconds() === second;
}

function clamp(v: bigint): bigint {
  if (v < 0n) return 0n;
  return v > MAX_U64 ? MAX_U64 : v;
}

export { MAX_U64 };
