import { describe, expect, test } from 'vitest';
import { splitArgs, splitLine, splitMatchArgs, strdelim } from '../src/lexer.ts';

describe('splitLine (keyword and separator)', () => {
  test.each([
    ['Port 22', 'port', '22'],
    ['  port=22', 'port', '22'],
    ['PORT = 22', 'port', '22'],
    ['\tPort\t22  \r', 'port', '22'],
    ['Port= 22', 'port', '22'],
    ['Host="a b"', 'host', '"a b"'],
    ['IdentityFile "/a b/c"', 'identityfile', '"/a b/c"'],
  ])('%j', (line, kw, rest) => {
    expect(splitLine(line)).toMatchObject({ keyword: kw, rest });
  });

  test.each(['', '   ', '# comment', '   #Port 22', '\f'])('blank or comment %j', (line) => {
    expect(splitLine(line)).toBeUndefined();
  });

  test('a keyword with nothing after it has an empty rest', () => {
    expect(splitLine('Port')?.rest).toBe('');
    expect(splitLine('Port =')?.rest).toBe('');
  });
});

describe('splitArgs (argv_split)', () => {
  test.each([
    ['a b  c', ['a', 'b', 'c']],
    ['"a b" c', ['a b', 'c']],
    ["'a \"b' c", ['a "b', 'c']],
    ['a\\ b', ['a b']],
    ['"a\\"b"', ['a"b']],
    ['a\\x', ['a\\x']],
    ['a # comment', ['a']],
    ['a#b', ['a#b']],
    ['x"y z"w', ['xy zw']],
    ['""', ['']],
  ])('%j', (input, out) => {
    expect(splitArgs(input)).toEqual(out);
  });

  test('an unterminated quote is refused', () => {
    expect(splitArgs('"abc')).toBeUndefined();
    expect(splitArgs("a 'b")).toBeUndefined();
  });
});

describe('strdelim (Match criteria)', () => {
  test('splits on one = and whitespace, honours double quotes', () => {
    expect(splitMatchArgs('host=foo user bar')).toEqual(['host', 'foo', 'user', 'bar']);
    expect(splitMatchArgs('exec "test -f /x"')).toEqual(['exec', 'test -f /x']);
    expect(strdelim('"open').unterminated).toBe(true);
    expect(splitMatchArgs('exec "open')).toBeUndefined();
  });
});
