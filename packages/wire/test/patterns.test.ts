import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { matchAddressList, matchCidrList, matchHostAndIp, matchHostname, matchPattern, matchPatternList, parseAddress, unmapAddress } from '../src/index.ts';

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
  test('a list may come split (known_hosts, allowed signers) or as written', () => {
    expect(matchPatternList('bad.com', ['*.com', '!bad.com'])).toBe(-1);
    expect(matchPatternList('good.com', ['*.com', '!bad.com'])).toBe(1);
    expect(matchPatternList('good.com', ['*.org'])).toBe(0);
    expect(matchPatternList('GOOD.COM', ['*.com'], true)).toBe(1);
    expect(matchPatternList('good.com', ['*.COM'], true)).toBe(1);
    expect(matchPatternList('GOOD.COM', ['*.com'])).toBe(0);
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

describe('CIDR lists (certificate source-address)', () => {
  test.each([
    ['10.1.2.3', '10.0.0.0/8', 1],
    ['11.1.2.3', '10.0.0.0/8', 0],
    ['192.168.1.7', '192.168.1.7', 1],
    ['192.168.1.7', '10.0.0.0/8,192.168.1.0/24', 1],
    ['2001:db8:1::5', '2001:db8::/32', 1],
    ['2001:db9::5', '2001:db8::/32', 0],
    ['10.0.0.1', '::/0', 0],
    ['10.0.0.1', '0.0.0.0/0', 1],
    ['not-an-address', '10.0.0.0/8', 0],
  ])('%s in %s = %d', (addr, list, want) => {
    expect(matchCidrList(addr, list)).toBe(want);
  });

  test.each([
    ['10.0.0.1/8', 'host bits set'],
    ['10.0.0.0/33', 'mask too long'],
    ['10.0.0.*', 'a wildcard'],
    ['!10.0.0.0/8', 'a negation'],
    ['10.0.0.0/8,', 'an empty entry'],
    ['example.com', 'a name'],
    [`${'1:'.repeat(30)}1`, 'an overlong entry'],
    ['10.0.0.0/x', 'a non-numeric mask'],
  ])('%s is malformed (%s), whatever the address', (list) => {
    expect(matchCidrList('10.0.0.1', list)).toBe(-1);
    expect(matchCidrList(undefined, list)).toBe(-1);
  });

  test('a list is checked on its own without an address', () => {
    expect(matchCidrList(undefined, '10.0.0.0/8,::1')).toBe(0);
    expect(matchCidrList(undefined, ['10.0.0.0/8', '::1'])).toBe(0);
  });
});

describe('from= (match_host_and_ip)', () => {
  test('the address as an address list, the host name as host patterns', () => {
    expect(matchHostAndIp('x.example.com', '1.2.3.4', '*.example.com,10.0.0.0/8,!10.9.9.9')).toBe(1);
    expect(matchHostAndIp(undefined, '10.1.1.1', ['10.0.0.0/8', '!10.9.9.9'])).toBe(1);
    expect(matchHostAndIp('host', '11.0.0.1', '10.0.0.0/8')).toBe(0);
  });
  test('a negated match of either refuses', () => {
    expect(matchHostAndIp(undefined, '10.9.9.9', '10.0.0.0/8,!10.9.9.9')).toBe(0);
    expect(matchHostAndIp('bad.example.com', '10.1.1.1', '10.0.0.0/8,!bad.example.com')).toBe(0);
    expect(matchHostAndIp('BAD.example.com', '10.1.1.1', '10.0.0.0/8,!bad.example.com')).toBe(0);
  });
  test('without a host name the address stands for it, as sshd without UseDNS', () => {
    expect(matchHostAndIp(undefined, '192.0.2.7', '192.0.2.*')).toBe(1);
    expect(matchHostAndIp(undefined, '192.0.2.7', 'host.example.com')).toBe(0);
  });
  test('a bad mask makes the whole list invalid', () => {
    expect(matchHostAndIp(undefined, '10.0.0.1', '10.0.0.1/8')).toBe(-1);
    expect(matchHostAndIp('x', '10.0.0.1', '*,!10.0.0.1/8')).toBe(-1);
  });
});

describe('addresses', () => {
  test.each([
    ['127.0.0.1', 4, [127, 0, 0, 1]],
    ['::1', 6, [...new Array<number>(15).fill(0), 1]],
    ['fe80::1%eth0', 6, [0xfe, 0x80, ...new Array<number>(13).fill(0), 1]],
    ['::ffff:1.2.3.4', 6, [...new Array<number>(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]],
  ])('%s parses', (text, family, bytes) => {
    expect(parseAddress(text)).toEqual({ family, bytes: Uint8Array.from(bytes) });
  });
  test.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '', 'host', '01234::1'])('%j is not an address', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
  test('an IPv4 client on an IPv6 socket is matched as IPv4', () => {
    expect(unmapAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(unmapAddress('::FFFF:a01:203')).toBe('10.1.2.3');
    expect(unmapAddress('::1')).toBe('::1');
    expect(unmapAddress('::fffe:10.1.2.3')).toBe('::fffe:10.1.2.3');
    expect(unmapAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(unmapAddress('not an address')).toBe('not an address');
  });
});
