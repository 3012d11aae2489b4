/** encodeEnv: `env` and `sendEnv` as a session sends them (RFC 4254 §6.4). */
import { describe, expect, it } from 'vitest';
import { encodeEnv } from '../src/index.ts';

const text = (pairs: [string, Uint8Array][]): [string, string][] => pairs.map(([n, v]) => [n, new TextDecoder().decode(v)]);

describe('encodeEnv', () => {
  it('takes a record or NAME=VALUE strings, and refuses an entry without a name', () => {
    expect(text(encodeEnv({ LANG: 'C', DATA: new Uint8Array([0x61]) }, undefined, undefined))).toEqual([
      ['LANG', 'C'],
      ['DATA', 'a'],
    ]);
    expect(text(encodeEnv(['A=1', 'B=x=y'], undefined, undefined))).toEqual([
      ['A', '1'],
      ['B', 'x=y'],
    ]);
    expect(() => encodeEnv(['=1'], undefined, undefined)).toThrow(RangeError);
    expect(() => encodeEnv(['NOVALUE'], undefined, undefined)).toThrow(RangeError);
  });

  it('picks local variables by sendEnv patterns (* and ?), after env, which wins', () => {
    const local = { LANG: 'en_US.UTF-8', LC_ALL: 'C', LC_TIME: 'C', LC_X: undefined, PATH: '/bin', L1: 'one', L12: 'twelve' };
    expect(text(encodeEnv({ LANG: 'C' }, ['LANG', 'LC_*', 'L?'], local))).toEqual([
      ['LANG', 'C'],
      ['LC_ALL', 'C'],
      ['LC_TIME', 'C'],
      ['L1', 'one'],
    ]);
    // Everything else is literal: no RegExp syntax in a pattern.
    expect(encodeEnv(undefined, ['L.*', 'P[A]TH'], local)).toEqual([]);
  });

  it('matches a long name against a many-star pattern at once', () => {
    const local = { [`${'A'.repeat(50_000)}`]: 'v' };
    expect(encodeEnv(undefined, [`${'*A'.repeat(30)}B`], local)).toEqual([]);
  });
});
