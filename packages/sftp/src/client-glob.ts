/**
 * Glob on the server: `*`, `?`, `[...]` per path component and `**` for any depth of
 * directories, matched against READDIR listings (AsyncSSH's SFTPClient.glob semantics).
 * @module
 */

import { globMatcher } from '@ssh/wire';
import { type SFTPAttrs, type SFTPName, attrsType } from './attrs.ts';
import { FILEXFER_TYPE, FX } from './constants.ts';
import { SFTPError, SFTPFailure, SFTPNoSuchFile, SFTPNoSuchPath } from './errors.ts';
import { hasMagic, joinPath } from './paths.ts';

/** What glob needs from SFTPClient. */
export interface GlobClient {
  /** The negotiated SFTP version: 4 and up report no match as SFTPNoSuchPath (default 3). */
  readonly version?: number;
  stat(path: string): Promise<SFTPAttrs>;
  scandir(path: string): AsyncIterable<SFTPName>;
}

/**
 * Bounds on the work of one glob() call, whatever the server lists. `entries`: directory entries
 * looked at, all listings together (a listing that never ends). `path`: the longest path `**`
 * descends to, Linux's PATH_MAX (a server whose directories contain themselves).
 */
export interface GlobLimits {
  readonly entries: number;
  readonly path: number;
}

export const GLOB_LIMITS: GlobLimits = { entries: 1_000_000, path: 4096 };

/** The work one glob() call has done so far. */
interface GlobBudget {
  readonly limits: GlobLimits;
  entries: number;
}

/** A listed name that is one path component: anything else cannot be a directory entry. */
function isComponent(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/');
}

/**
 * The entries of `dir` that are single path components and that `keep` takes (only those are
 * held), or undefined when it cannot be listed (an SFTPError). Past the budget, an SFTPFailure.
 */
async function listDir(client: GlobClient, dir: string, budget: GlobBudget, keep: (entry: SFTPName) => boolean): Promise<SFTPName[] | undefined> {
  const out: SFTPName[] = [];
  let over = false;
  try {
    for await (const entry of client.scandir(dir)) {
      if (++budget.entries > budget.limits.entries) {
        over = true;
        break;
      }
      if (isComponent(entry.filename) && keep(entry)) out.push(entry);
    }
  } catch (e) {
    if (notThere(e)) return undefined;
    throw e;
  }
  if (over) throw new SFTPFailure(`glob: the server listed more than ${budget.limits.entries} entries`);
  return out;
}

/**
 * What glob takes as "nothing there", as AsyncSSH's: no such file or path, or permission denied
 * (a directory it may not list or a path it may not stat matches nothing). Any other error (a
 * failure, a lost connection) is the glob's error.
 */
function notThere(e: unknown): boolean {
  return e instanceof SFTPError && (e.status === FX.NO_SUCH_FILE || e.status === FX.NO_SUCH_PATH || e.status === FX.PERMISSION_DENIED);
}

/** The attributes `pending` resolves to, or undefined when the file does not exist. */
export async function statIfExists(pending: Promise<SFTPAttrs>): Promise<SFTPAttrs | undefined> {
  try {
    return await pending;
  } catch (e) {
    // NO_SUCH_FILE, or NO_SUCH_PATH from v4+ servers.
    if (e instanceof SFTPError && (e.status === 2 || e.status === 10)) return undefined;
    throw e;
  }
}

/** Expands `patterns` on the server: SFTPName entries whose `filename` is the matched path. */
export async function globNames(client: GlobClient, patterns: string | readonly string[], options: { errorHandler?: (e: Error) => void } = {}, limits: GlobLimits = GLOB_LIMITS): Promise<SFTPName[]> {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  const out: SFTPName[] = [];
  const budget: GlobBudget = { limits, entries: 0 };
  for (const pattern of list) {
    let matches: SFTPName[];
    try {
      matches = await globOne(client, pattern, budget);
      if (matches.length === 0) {
        // As AsyncSSH: v4+ has a status of its own for a path that does not exist.
        throw (client.version ?? 3) >= 4 ? new SFTPNoSuchPath(`no matches found for ${pattern}`) : new SFTPNoSuchFile(`no matches found for ${pattern}`);
      }
    } catch (e) {
      // A pattern's error, as AsyncSSH's: to the handler, which lets the other patterns go on.
      if (!(e instanceof SFTPError) || !options.errorHandler) throw e;
      options.errorHandler(e);
      continue;
    }
    // One by one: a spread call of more than ~120k arguments overflows the stack.
    for (const m of matches) out.push(m);
  }
  return out;
}

/**
 * A pattern's components as steps: a run of literal components is one step (one stat of the
 * path they make, as AsyncSSH's glob: a missing prefix costs one request, not one per
 * component), each component with magic another.
 */
function globSteps(parts: readonly string[]): { readonly part: string; readonly literal: boolean }[] {
  const steps: { part: string; literal: boolean }[] = [];
  for (const part of parts) {
    const literal = !hasMagic(part);
    const prev = steps.at(-1);
    if (literal && prev?.literal) prev.part = `${prev.part}/${part}`;
    else steps.push({ part, literal });
  }
  return steps;
}

async function globOne(client: GlobClient, pattern: string, budget: GlobBudget): Promise<SFTPName[]> {
  const abs = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p) => p !== '');
  const steps = globSteps(parts);
  let current: SFTPName[] = [{ filename: abs ? '/' : '', longname: '', attrs: { type: FILEXFER_TYPE.DIRECTORY } }];
  for (let i = 0; i < steps.length && current.length > 0; i++) {
    const { part, literal } = steps[i] as { part: string; literal: boolean };
    const last = i === steps.length - 1;
    const next: SFTPName[] = [];
    for (const base of current) {
      const dir = base.filename === '' ? '.' : base.filename;
      const prefix = base.filename;
      if (literal) {
        const candidate = joinPath(prefix, part);
        const attrs = await client.stat(candidate).catch((e: unknown) => {
          if (notThere(e)) return undefined;
          throw e;
        });
        if (attrs && (last || attrsType(attrs) === FILEXFER_TYPE.DIRECTORY)) next.push({ filename: candidate, longname: '', attrs });
        continue;
      }
      if (part === '**') {
        // Zero or more directories.
        next.push(base);
        await walkDirs(client, dir, prefix, budget, next);
        continue;
      }
      const matches = globMatcher(part);
      const entries = await listDir(client, dir, budget, (entry) => matches(entry.filename) && (last || attrsType(entry.attrs) === FILEXFER_TYPE.DIRECTORY || attrsType(entry.attrs) === FILEXFER_TYPE.SYMLINK));
      for (const entry of entries ?? []) next.push({ ...entry, filename: joinPath(prefix, entry.filename) });
    }
    const seen = new Set<string>();
    current = next.filter((n) => (seen.has(n.filename) ? false : (seen.add(n.filename), true)));
  }
  return current.filter((n) => n.filename !== '' && !(parts.at(-1) === '**' && n.filename === (abs ? '/' : ''))).sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
}

/** Appends to `out` every directory below `dir` (hidden ones too, as AsyncSSH's `**`), parents before children. */
async function walkDirs(client: GlobClient, dir: string, prefix: string, budget: GlobBudget, out: SFTPName[]): Promise<void> {
  const entries = await listDir(client, dir, budget, (e) => attrsType(e.attrs) === FILEXFER_TYPE.DIRECTORY);
  for (const e of entries ?? []) {
    const path = joinPath(prefix, e.filename);
    const sub = joinPath(dir, e.filename);
    if (sub.length > budget.limits.path) throw new SFTPFailure(`glob: ** reached a path longer than ${budget.limits.path} characters`);
    out.push({ ...e, filename: path });
    await walkDirs(client, sub, path, budget, out);
  }
}
