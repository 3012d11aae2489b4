/** Spelling does not matter: keyword case, `=` or whitespace, quoting of plain values, comments. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseClientConfig, resolveClientConfig } from '../src/index.ts';
import { memEnv } from './helpers/mem-env.ts';

const LINES: readonly (readonly [string, string])[] = [
  ['Port', '2222'],
  ['User', 'bob'],
  ['HostName', '%h.example.net'],
  ['IdentityFile', '~/.ssh/id_%h'],
  ['ConnectTimeout', '1m30s'],
  ['Compression', 'yes'],
  ['SendEnv', 'LANG'],
  ['RekeyLimit', '1G'],
  ['ProxyJump', 'bob@jump:22'],
  ['ServerAliveInterval', '15'],
];

const spelled = fc.record({
  keyCase: fc.constantFrom('as-is', 'lower', 'upper'),
  sep: fc.constantFrom(' ', '\t', '=', ' = ', '  =\t'),
  quote: fc.boolean(),
  indent: fc.constantFrom('', ' ', '\t'),
  comment: fc.boolean(),
});

type Style = typeof spelled extends fc.Arbitrary<infer T> ? T : never;

test('resolution does not depend on how lines are spelled', () => {
  const env = memEnv();
  const plain = (lines: readonly (readonly [string, string])[]): string => lines.map(([k, v]) => `${k} ${v}`).join('\n');
  fc.assert(
    fc.property(fc.subarray([...LINES], { minLength: 1 }), fc.array(spelled, { minLength: LINES.length, maxLength: LINES.length }), (lines, styles) => {
      const text = lines
        .map(([k, v], i) => {
          const s = styles[i % styles.length] as Style;
          const key = s.keyCase === 'lower' ? k.toLowerCase() : s.keyCase === 'upper' ? k.toUpperCase() : k;
          // ProxyJump reads the raw line, so it is neither quoted nor commented here.
          const raw = k === 'ProxyJump';
          const val = s.quote && !raw ? `"${v}"` : v;
          return `${s.indent}${key}${s.sep}${val}${s.comment && !raw ? ' # note' : ''}`;
        })
        .join('\n');
      const a = resolveClientConfig(parseClientConfig({ text, file: 'a' }, env), { host: 'web' }, env);
      const b = resolveClientConfig(parseClientConfig({ text: plain(lines), file: 'b' }, env), { host: 'web' }, env);
      expect(a.options).toEqual(b.options);
    }),
    { numRuns: 300 },
  );
});
