/**
 * Algorithm lists in the syntax of OpenSSH's `Ciphers`/`KexAlgorithms`/`MACs` options as AsyncSSH
 * accepts them: a comma list of names or `*`/`?` patterns; a leading `+` appends the matches to
 * the defaults, `-` removes them from the defaults, `^` puts them in front of the defaults; the
 * word `default` stands for the default list. Duplicates keep their first position.
 * @module
 */

import { AlgorithmListError, UnknownAlgorithmError } from './errors.ts';

/** True when `name` matches the OpenSSH wildcard `pattern` (`*` any run, `?` one character). */
export function matchWildcard(pattern: string, name: string): boolean {
  // Iterative matcher with single backtrack point: linear in practice, never exponential.
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc === '?' || (pc !== undefined && pc !== '*' && pc === name[n])) {
      p++;
      n++;
    } else if (pc === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Lookup answer for a literal name. */
export type NameStatus = 'ok' | 'unknown' | 'unavailable';

/**
 * Expands `input` against `defaults` and `supported` (both in preference order).
 * Unknown literal names and patterns matching nothing are errors, as in AsyncSSH.
 */
export function expandAlgorithmList(
  kind: string,
  input: string,
  defaults: readonly string[],
  supported: readonly string[],
  status: (name: string) => NameStatus,
): string[] {
  let body = input.trim();
  let mode: '' | '+' | '-' | '^' = '';
  const first = body[0];
  if (first === '+' || first === '-' || first === '^') {
    mode = first;
    body = body.slice(1);
  }
  if (body.length === 0) throw new AlgorithmListError(kind, input, 'empty list');
  const matched: string[] = [];
  for (const raw of body.split(',')) {
    const item = raw.trim();
    if (item.length === 0) throw new AlgorithmListError(kind, input, 'empty name');
    if (item === 'default') {
      matched.push(...defaults);
      continue;
    }
    if (item.includes('*') || item.includes('?')) {
      const hits = supported.filter((name) => matchWildcard(item, name));
      if (hits.length === 0) throw new AlgorithmListError(kind, input, `${JSON.stringify(item)} matches no ${kind} algorithm`);
      matched.push(...hits);
      continue;
    }
    const s = status(item);
    if (s === 'unknown') throw new UnknownAlgorithmError(kind, item);
    if (s === 'unavailable') throw new UnknownAlgorithmError(kind, item, 'not available in this runtime');
    matched.push(item);
  }
  let result: string[];
  switch (mode) {
    case '+':
      result = [...defaults, ...matched];
      break;
    case '^':
      result = [...matched, ...defaults];
      break;
    case '-': {
      const drop = new Set(matched);
      result = defaults.filter((name) => !drop.has(name));
      break;
    }
    case '':
      result = matched;
      break;
  }
  result = [...new Set(result)];
  if (result.length === 0) throw new AlgorithmListError(kind, input, 'no algorithm left');
  return result;
}
