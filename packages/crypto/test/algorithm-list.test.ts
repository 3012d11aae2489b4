/** OpenSSH/AsyncSSH algorithm-list syntax. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlgorithmListError, createStandardRegistry, matchWildcard, UnknownAlgorithmError } from '../src/index.ts';

const r = createStandardRegistry();
const defaults = r.names('cipher', { defaultsOnly: true });

describe('algorithm lists', () => {
  it('plain comma lists keep their order and drop duplicates', () => {
    expect(r.parseList('cipher', 'aes128-ctr,aes256-cbc,aes128-ctr')).toEqual(['aes128-ctr', 'aes256-cbc']);
    expect(r.parseList('cipher', ' aes128-ctr , aes256-ctr ')).toEqual(['aes128-ctr', 'aes256-ctr']);
  });

  it('+ appends to the defaults', () => {
    expect(r.parseList('cipher', '+aes128-cbc,3des-cbc')).toEqual([...defaults, 'aes128-cbc', '3des-cbc']);
    expect(r.parseList('cipher', '+aes128-ctr')).toEqual(defaults);
  });

  it('- removes from the defaults, with wildcards', () => {
    expect(r.parseList('cipher', '-aes*-ctr')).toEqual(['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com']);
    expect(r.parseList('cipher', '-chacha20-poly1305@openssh.com')).toEqual(defaults.slice(1));
  });

  it('^ puts the matches in front of the defaults', () => {
    expect(r.parseList('cipher', '^aes128-ctr,aes128-cbc')).toEqual([
      'aes128-ctr',
      'aes128-cbc',
      ...defaults.filter((n) => n !== 'aes128-ctr'),
    ]);
  });

  it('wildcards match against every supported algorithm, in preference order', () => {
    expect(r.parseList('cipher', 'aes???-cbc')).toEqual(['aes256-cbc', 'aes192-cbc', 'aes128-cbc']);
    expect(r.parseList('mac', 'hmac-sha1*')).toEqual([
      'hmac-sha1-etm@openssh.com',
      'hmac-sha1',
      'hmac-sha1-96-etm@openssh.com',
      'hmac-sha1-96',
    ]);
  });

  it('default expands to the default list', () => {
    expect(r.parseList('cipher', 'default')).toEqual(defaults);
    expect(r.parseList('cipher', 'aes128-cbc,default')).toEqual(['aes128-cbc', ...defaults]);
  });

  it('arrays are exact names', () => {
    expect(r.parseList('cipher', ['aes128-ctr', 'aes128-cbc'])).toEqual(['aes128-ctr', 'aes128-cbc']);
    expect(() => r.parseList('cipher', ['aes*'])).toThrow(UnknownAlgorithmError);
  });

  it('reports unknown names, patterns that match nothing, empty items and empty results', () => {
    expect(() => r.parseList('cipher', 'aes128-ctr,rot13')).toThrow(UnknownAlgorithmError);
    expect(() => r.parseList('cipher', 'rot*')).toThrow(AlgorithmListError);
    expect(() => r.parseList('cipher', 'aes128-ctr,,aes256-ctr')).toThrow(AlgorithmListError);
    expect(() => r.parseList('cipher', '')).toThrow(AlgorithmListError);
    expect(() => r.parseList('cipher', '+')).toThrow(AlgorithmListError);
    expect(() => r.parseList('cipher', '-*')).toThrow(/no algorithm left/);
  });

  it('matchWildcard follows * and ? semantics', () => {
    expect(matchWildcard('*', '')).toBe(true);
    expect(matchWildcard('a*c', 'abbbc')).toBe(true);
    expect(matchWildcard('a?c', 'abc')).toBe(true);
    expect(matchWildcard('a?c', 'ac')).toBe(false);
    expect(matchWildcard('*@openssh.com', 'umac-64@openssh.com')).toBe(true);
    expect(matchWildcard('a*b*c', 'aXbYbZ')).toBe(false);
  });

  it('matchWildcard agrees with a regular expression on random input', () => {
    const alpha = fc.constantFrom('a', 'b', '-');
    const pat = fc.array(fc.constantFrom('a', 'b', '-', '*', '?'), { maxLength: 8 }).map((a) => a.join(''));
    const str = fc.array(alpha, { maxLength: 10 }).map((a) => a.join(''));
    fc.assert(
      fc.property(pat, str, (p, s) => {
        const re = new RegExp(`^${p.replace(/[-]/g, '\\-').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        expect(matchWildcard(p, s)).toBe(re.test(s));
      }),
    );
  });
});
