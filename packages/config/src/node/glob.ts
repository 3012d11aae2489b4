/**
 * A small glob(3) for Include: `*`, `?` and `[...]` within path segments, leading dots matched
 * only explicitly, results sorted. Only absolute patterns (the reader expands `~` first).
 * @module
 */

import { lstatSync, readdirSync, statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { globMatcher } from '@ssh/wire';

const MAGIC = /[*?[]/;

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
      const matches = globMatcher(seg, { escapes: true });
      for (const n of names.sort(byteOrder)) {
        if (n.startsWith('.') && !seg.startsWith('.')) continue;
        if (matches(n)) next.push(prefix + n);
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
      const matches = globMatcher(seg, { escapes: true });
      for (const n of names.sort(byteOrder)) {
        if (n.startsWith('.') && !seg.startsWith('.')) continue;
        if (matches(n)) next.push(prefix + n);
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
