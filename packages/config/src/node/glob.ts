/**
 * A small glob(3) for Include: `*`, `?` and `[...]` within path segments, leading dots matched
 * only explicitly, results sorted. Only absolute patterns (the reader expands `~` first).
 * @module
 */

import { lstatSync, readdirSync, statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';

const MAGIC = /[*?[]/;

/** One character of a glob segment: `*` (any run), or a test of one character. */
type Token = '*' | ((c: string) => boolean);

/**
 * A matcher for one glob segment (fnmatch without FNM_PERIOD subtleties). Not one RegExp with a
 * [^/]* per star: that tries every way of sharing a name among the stars before failing,
 * exponential in their number; here a failed match backs up to the last star only (glob(3)'s
 * match() does the same).
 */
export function segmentMatcher(segment: string): { test(name: string): boolean } {
  const tokens: Token[] = [];
  const cps = [...segment];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === '*') {
      if (tokens.at(-1) !== '*') tokens.push('*');
    } else if (c === '?') tokens.push((ch) => ch !== '/');
    else if (c === '\\' && i + 1 < cps.length) tokens.push(literal(cps[++i] as string));
    else if (c === '[') {
      const close = cps.indexOf(']', i + 2);
      if (close < 0) {
        tokens.push(literal('['));
        continue;
      }
      let body = cps.slice(i + 1, close).join('');
      let neg = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      const re = new RegExp(`^[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]$`, 'u');
      tokens.push((ch) => re.test(ch));
      i = close;
    } else tokens.push(literal(c));
  }
  return { test: (name) => matchTokens(tokens, [...name]) };
}

function literal(c: string): Token {
  return (ch) => ch === c;
}

function matchTokens(tokens: readonly Token[], chars: readonly string[]): boolean {
  let t = 0;
  let c = 0;
  let starT = -1;
  let starC = 0;
  while (c < chars.length) {
    const tok = tokens[t];
    if (tok === '*') {
      starT = t++;
      starC = c;
    } else if (tok !== undefined && tok(chars[c] as string)) {
      t++;
      c++;
    } else if (starT >= 0 && chars[starC] !== '/') {
      t = starT + 1;
      c = ++starC;
    } else return false;
  }
  while (tokens[t] === '*') t++;
  return t === tokens.length;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function splitPattern(pattern: string): string[] {
  return pattern.split('/').filter((s, i) => i === 0 || s !== '');
}

/** Synchronous glob. */
export function globSync(pattern: string): string[] {
  if (!pattern.startsWith('/')) return [];
  let paths = ['/'];
  const segs = splitPattern(pattern).slice(1);
  segs.forEach((seg) => {
    const next: string[] = [];
    for (const base of paths) {
      const prefix = base.endsWith('/') ? base : `${base}/`;
      if (!MAGIC.test(seg)) {
        next.push(prefix + seg);
        continue;
      }
      let names: string[];
      try {
        if (!statSync(base).isDirectory()) continue;
        names = readdirSync(base);
      } catch {
        continue;
      }
      const re = segmentMatcher(seg);
      for (const n of names.sort(byteOrder)) {
        if (n.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(n)) next.push(prefix + n);
      }
    }
    paths = next;
  });
  return paths.filter((p) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

/** Asynchronous glob. */
export async function globAsync(pattern: string): Promise<string[]> {
  if (!pattern.startsWith('/')) return [];
  let paths = ['/'];
  for (const seg of splitPattern(pattern).slice(1)) {
    const next: string[] = [];
    for (const base of paths) {
      const prefix = base.endsWith('/') ? base : `${base}/`;
      if (!MAGIC.test(seg)) {
        next.push(prefix + seg);
        continue;
      }
      let names: string[];
      try {
        if (!(await stat(base)).isDirectory()) continue;
        names = await readdir(base);
      } catch {
        continue;
      }
      const re = segmentMatcher(seg);
      for (const n of names.sort(byteOrder)) {
        if (n.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(n)) next.push(prefix + n);
      }
    }
    paths = next;
  }
  const out: string[] = [];
  for (const p of paths) {
    try {
      await lstat(p);
      out.push(p);
    } catch {
      // a literal path that does not exist matches nothing
    }
  }
  return out;
}
