/** Byte counts and time intervals as OpenSSH and AsyncSSH options write them. */
import { describe, expect, it } from 'vitest';
import { ValueParseError, parseByteCount, parseTimeInterval } from '../src/index.ts';

describe('parseByteCount', () => {
  it('plain numbers and binary multiples, any case', () => {
    expect(parseByteCount('1000')).toBe(1000);
    expect(parseByteCount('64K')).toBe(65536);
    expect(parseByteCount('64k')).toBe(65536);
    expect(parseByteCount('1M')).toBe(2 ** 20);
    expect(parseByteCount('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseByteCount('2t')).toBe(2 * 2 ** 40);
    expect(parseByteCount(' 10 ')).toBe(10);
    expect(parseByteCount('0')).toBe(0);
    expect(parseByteCount('512B')).toBe(512);
    expect(parseByteCount('1P')).toBe(2 ** 50);
    expect(() => parseByteCount('1E')).toThrow(/too large/);
  });
  it('refuses what is not a byte count', () => {
    for (const bad of ['', 'K', 'abc', '1X', '-1', '1 K', '1KB', '0x10', '1e3', '99999999999999T']) {
      expect(() => parseByteCount(bad), bad).toThrow(ValueParseError);
    }
    try {
      parseByteCount('1X');
    } catch (e) {
      expect(e).toMatchObject({ code: 'SSH_ERR_VALUE', input: '1X' });
      expect((e as Error).message).toMatch(/^ssh: invalid byte count "1X"/);
    }
  });
});

describe('parseTimeInterval', () => {
  it('seconds by default, units s m h d w combined', () => {
    expect(parseTimeInterval('30')).toBe(30);
    expect(parseTimeInterval('90s')).toBe(90);
    expect(parseTimeInterval('10m')).toBe(600);
    expect(parseTimeInterval('1h30m')).toBe(5400);
    expect(parseTimeInterval('1w2d')).toBe(7 * 86400 + 2 * 86400);
    expect(parseTimeInterval('1H30M')).toBe(5400);
    expect(parseTimeInterval('1.5m')).toBe(90);
    expect(parseTimeInterval('0')).toBe(0);
  });
  it('refuses what is not an interval', () => {
    for (const bad of ['', ' ', 'h', '1y', '1h 30m', '-5', '1h-', 'abc']) {
      expect(() => parseTimeInterval(bad), bad).toThrow(ValueParseError);
    }
  });
});
