/** globMatcher: glob(3) component matching, checked against a RegExp on small inputs and on hostile ones. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../src/index.ts';

/** The obvious RegExp translation: right on any input, exponential on some. */
function reference(pattern: string, escapes: boolean): RegExp {
  let re = '';
  const cps = [...pattern];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && escapes && i + 1 < cps.length) re += (cps[++i] as string).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    else if (c === '[' && cps.indexOf(']', i + 2) >= 0) {
      const close = cps.indexOf(']', i + 2);
      let body = cps.slice(i + 1, close).join('');
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `(?!/)[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

describe('globMatcher', () => {
  it('matches stars, question marks, classes and escapes as glob(3)', () => {
    const m = (p: string, n: string, escapes = false): boolean => globMatcher(p, { escapes })(n);
    expect(m('*.txt', 'notes.txt')).toBe(true);
    expect(m('*.txt', 'notes.txt.gz')).toBe(false);
    expect(m('a?c', 'abc')).toBe(true);
    expect(m('a?c', 'ac')).toBe(false);
    expect(m('[a-c]x', 'bx')).toBe(true);
    expect(m('[!a-c]x', 'bx')).toBe(false);
    expect(m('[^a-c]x', 'dx')).toBe(true);
    expect(m('[]]', ']')).toBe(true);
    expect(m('[', '[')).toBe(true);
    expect(m('a]', 'a]')).toBe(true);
    expect(m('**x', 'x')).toBe(true);
    expect(m('*x*', 'abc')).toBe(false);
    expect(m('?', '😀')).toBe(true);
    // Escapes only when asked for; without, a backslash is an ordinary character.
    expect(m('a\\*', 'a*', true)).toBe(true);
    expect(m('a\\*', 'ab', true)).toBe(false);
    expect(m('a\\b', 'a\\b')).toBe(true);
    // No wildcard takes a '/'.
    expect(m('a*b', 'a/b')).toBe(false);
    expect(m('a?b', 'a/b')).toBe(false);
    expect(m('a[!x]b', 'a/b')).toBe(false);
  });

  it('agrees with the RegExp translation on any small pattern and name', () => {
    const piece = fc.constantFrom('a', 'b', '/', '.', '*', '?', '[ab]', '[!a]', '[', ']', '\\', '\\*', '😀');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', '/', '.', '*', '[', '\\', '😀'), { maxLength: 10 }), fc.boolean(), (p, n, escapes) => {
        const pattern = p.join('');
        const name = n.join('');
        expect(globMatcher(pattern, { escapes })(name)).toBe(reference(pattern, escapes).test(name));
      }),
      { numRuns: 3000 },
    );
  });

  // The RegExp translation takes minutes to hours on these (the test's timeout catches a hang).
  it('stays linear on patterns and names that make the RegExp translation backtrack for hours', () => {
    const long = 'a'.repeat(100_000);
    const many = '*'.repeat(40);
    expect(globMatcher(`${many}b`)('a'.repeat(40))).toBe(false);
    expect(globMatcher('*a*a*a*a*a*a*b')(long)).toBe(false);
    expect(globMatcher('*-*.gz')(long)).toBe(false);
  });
});
