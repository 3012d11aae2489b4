import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { matchAddressList, matchHostname, matchPattern, matchPatternList } from '../src/index.ts';

describe('matchPattern', () => {
  test.each([
    ['alpha', 'alpha', true],
    ['alpha', 'a*', true],
    ['alpha', '*a', true],
    ['alpha', 'a?pha', true],
    ['alpha', 'a?ha', false],
    ['alpha', '*', true],
    ['', '*', true],
    ['', '?', false],
    ['a.b.c', '*.c', true],
    ['abc', 'a*b*c', true],
    ['ALPHA', 'alpha', false],
    ['a*b', 'a\\*b', false],
  ])('%j ~ %j = %j', (s, p, want) => {
    expect(matchPattern(s, p)).toBe(want);
  });

  test('a pathological pattern finishes quickly', () => {
    expect(matchPattern('a'.repeat(5000), `${'*a'.repeat(200)}b`)).toBe(false);
  });

  test('agrees with a regular-expression reference', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab.]{0,8}$/), fc.stringMatching(/^[ab.*?]{0,6}$/), (s, p) => {
        const re = new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
        expect(matchPattern(s, p)).toBe(re.test(s));
      }),
    );
  });
});

describe('pattern lists', () => {
  test('negation wins over any positive match', () => {
    expect(matchPatternList('db1.prod', 'db*,!db1.prod')).toBe(-1);
    expect(matchPatternList('db2.prod', 'db*,!db1.prod')).toBe(1);
    expect(matchPatternList('web', 'db*,!db1.prod')).toBe(0);
    expect(matchPatternList('x', '!y')).toBe(0);
  });
  test('host names compare case-insensitively', () => {
    expect(matchHostname('Host.Example.COM', '*.example.com')).toBe(1);
    expect(matchHostname('host', 'HOST')).toBe(1);
  });
});

describe('address lists (Match Address)', () => {
  test.each([
    ['10.1.2.3', '10.0.0.0/8', 1],
    ['10.1.2.3', '10.0.0.0/8,!10.1.2.0/24', -1],
    ['10.2.0.1', '10.0.0.0/8,!10.1.2.0/24', 1],
    ['192.168.1.9', '192.168.1.*', 1],
    ['127.0.0.1', '127.0.0.1/32', 1],
    ['::1', '::1', 1],
    ['2001:db8::5', '2001:db8::/32', 1],
    ['2001:db9::5', '2001:db8::/32', 0],
    ['10.0.0.1', '2001:db8::/32', 0],
    ['10.0.0.1', '10.0.0.1/8', -2],
    ['10.0.0.1', '10.0.0.0/33', -2],
    ['10.0.0.1', 'foo', 0],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.0/104', 1],
  ])('%s in %s = %d', (addr, list, want) => {
    expect(matchAddressList(addr, list)).toBe(want);
  });
  test('validation without an address (sshd start-up) still refuses bad masks', () => {
    expect(matchAddressList(undefined, '10.0.0.1/8')).toBe(-2);
    expect(matchAddressList(undefined, '10.0.0.0/8')).toBe(0);
  });
});
