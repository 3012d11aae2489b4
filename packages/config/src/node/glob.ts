/**
 * A small glob(3) for Include: `*`, `?` and `[...]` within path segments, leading dots matched
 * only explicitly, results sorted. Only absolute patterns (the reader expands `~` first). The walk
 * is depth-first in sorted order, so it can stop as soon as it has more matches than the caller
 * may use: a pattern with a star in every segment lists no more directories than it takes to
 * find that many.
 * @module
 */

import { lstatSync, readdirSync, statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { globMatcher } from '@ssh/wire';
import type { GlobOptions } from '../environment.ts';

const MAGIC = /[*?[]/;

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function splitPattern(pattern: string): string[] {
  return pattern.split('/').filter((s, i) => i === 0 || s !== '');
}

/** What the walk asks of the file system. */
type GlobOp = { readonly op: 'list'; readonly path: string } | { readonly op: 'exists'; readonly path: string };

/** The file system as the walk sees it: a directory's names (undefined when it is not one), and whether a path exists. */
export interface GlobFs {
  list(path: string): readonly string[] | undefined;
  exists(path: string): boolean;
}

/** GlobFs with Promises. */
export interface GlobFsAsync {
  list(path: string): Promise<readonly string[] | undefined>;
  exists(path: string): Promise<boolean>;
}

export const NODE_GLOB_FS: GlobFs = {
  list(path) {
    try {
      return statSync(path).isDirectory() ? readdirSync(path) : undefined;
    } catch {
      return undefined;
    }
  },
  exists(path) {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  },
};

export const NODE_GLOB_FS_ASYNC: GlobFsAsync = {
  async list(path) {
    try {
      return (await stat(path)).isDirectory() ? await readdir(path) : undefined;
    } catch {
      return undefined;
    }
  },
  async exists(path) {
    try {
      await lstat(path);
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * The walk, yielding file system requests. Children are visited in byte order, each subtree in
 * full before the next, so the matches come out in the order a level-by-level walk gives them
 * and the first `maxMatches + 1` of them are the first ones of the whole result.
 */
function* walk(pattern: string, options: GlobOptions): Generator<GlobOp, string[], unknown> {
  const out: string[] = [];
  if (!pattern.startsWith('/')) return out;
  const limit = options.maxMatches ?? Infinity;
  const segs = splitPattern(pattern).slice(1);
  function* visit(base: string, i: number): Generator<GlobOp, void, unknown> {
    if (i === segs.length) {
      // A literal path that does not exist matches nothing.
      if ((yield { op: 'exists', path: base }) === true) out.push(base);
      return;
    }
    const seg = segs[i] as string;
    const prefix = base.endsWith('/') ? base : `${base}/`;
    if (!MAGIC.test(seg)) {
      yield* visit(prefix + seg, i + 1);
      return;
    }
    const names = (yield { op: 'list', path: base }) as readonly string[] | undefined;
    if (names === undefined) return;
    const matches = globMatcher(seg, { escapes: true });
    for (const n of [...names].sort(byteOrder)) {
      if (out.length > limit) return;
      if (n.startsWith('.') && !seg.startsWith('.')) continue;
      if (matches(n)) yield* visit(prefix + n, i + 1);
    }
  }
  yield* visit('/', 0);
  return out;
}

/** Synchronous glob over a given file system. */
export function globSyncWith(pattern: string, options: GlobOptions, fs: GlobFs): string[] {
  const w = walk(pattern, options);
  let step = w.next();
  while (!step.done) step = w.next(step.value.op === 'list' ? fs.list(step.value.path) : fs.exists(step.value.path));
  return step.value;
}

/** Asynchronous glob over a given file system. */
export async function globAsyncWith(pattern: string, options: GlobOptions, fs: GlobFsAsync): Promise<string[]> {
  const w = walk(pattern, options);
  let step = w.next();
  while (!step.done) step = w.next(step.value.op === 'list' ? await fs.list(step.value.path) : await fs.exists(step.value.path));
  return step.value;
}

/**
 * Synchronous glob. With `maxMatches`, stops once it has found one match more than that and
 * returns those (the first ones of the full result).
 */
export function globSync(pattern: string, options: GlobOptions = {}): string[] {
  return globSyncWith(pattern, options, NODE_GLOB_FS);
}

/** Asynchronous glob; `maxMatches` as for globSync. */
export function globAsync(pattern: string, options: GlobOptions = {}): Promise<string[]> {
  return globAsyncWith(pattern, options, NODE_GLOB_FS_ASYNC);
}
