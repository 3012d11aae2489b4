import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ExpansionFailure, connectionHash, expandTilde, expandTokens } from '../src/index.ts';
import { expandEnvReferences } from '../src/tokens.ts';

describe('expandTokens', () => {
  const t = { h: 'host', p: '22', r: 'bob' };
  test('expands known tokens and %%', () => {
    expect(expandTokens('%r@%h:%p %%h', t)).toBe('bob@host:22 %h');
  });
  test('unknown tokens and a trailing % are refused', () => {
    expect(expandTokens('%x', t)).toBeInstanceOf(ExpansionFailure);
    expect(expandTokens('abc%', t)).toBeInstanceOf(ExpansionFailure);
  });
  test('${VAR} only when an environment is given, single pass', () => {
    const env = { A: '%h', B: 'two' };
    expect(expandTokens('${A}/%h/${B}', t, env)).toBe('%h/host/two');
    expect(expandTokens('${A}', t)).toBe('${A}');
    expect(expandTokens('${NOPE}', t, env)).toBeInstanceOf(ExpansionFailure);
    expect(expandTokens('${A', t, env)).toBeInstanceOf(ExpansionFailure);
    expect(expandTokens('${}', t, env)).toBeInstanceOf(ExpansionFailure);
    expect(expandTokens('$A ${B}', t, env)).toBe('$A two');
  });
});

test('%C is SHA-1 of local host, host, port and user (value checked against ssh -G)', () => {
  // ssh -G on host "vm" for bob@foo.x:22 printed c6da31fe7595f4fbe432deb88e050c1f5a700b2d.
  expect(connectionHash('vm', 'foo.x', 22, 'bob')).toBe('c6da31fe7595f4fbe432deb88e050c1f5a700b2d');
  expect(connectionHash('a', 'b', '1', 'c')).toBe(createHash('sha1').update('ab1c').digest('hex'));
});

test('expandTilde', () => {
  expect(expandTilde('~', '/home/a')).toBe('/home/a');
  expect(expandTilde('~/x', '/home/a')).toBe('/home/a/x');
  expect(expandTilde('~/x', '/')).toBe('/x');
  expect(expandTilde('~bob/x', '/home/a')).toBe('~bob/x');
  expect(expandTilde('/a/~', '/home/a')).toBe('/a/~');
});

test('expandEnvReferences expands ${VAR} only, leaving % alone', () => {
  expect(expandEnvReferences('%h/${A}/${B%}x', { A: '1', 'B%': '2' })).toBe('%h/1/2x');
  expect(expandEnvReferences('${A', { A: '1' })).toBeInstanceOf(ExpansionFailure);
  expect(expandEnvReferences('${}', {})).toBeInstanceOf(ExpansionFailure);
  expect(expandEnvReferences('${NOPE}', {})).toBeInstanceOf(ExpansionFailure);
});
