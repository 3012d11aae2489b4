/**
 * A small glob(3) for Include: `*`, `?` and `[...]` within path segments, leading dots matched
 * only explicitly, results sorted. Only absolute patterns (the reader expands `~` first).
 * @module
 */

import { lstatSync, readdirSync, statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';

const MAGIC = /[*?[]/;

/** Converts one glob segment to an anchored RegExp (fnmatch without FNM_PERIOD subtleties). */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < segment.length) re += escape(segment[++i] as string);
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      let neg = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      re += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, (m) => `\\${m}`);
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
      const re = segmentRegExp(seg);
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
      const re = segmentRegExp(seg);
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
