/**
 * Glob on the server: `*`, `?`, `[...]` per path component and `**` for any depth of
 * directories, matched against READDIR listings (AsyncSSH's SFTPClient.glob semantics).
 * @module
 */

import { type SFTPAttrs, type SFTPName, attrsType } from './attrs.ts';
import { FILEXFER_TYPE } from './constants.ts';
import { SFTPError, SFTPNoSuchFile } from './errors.ts';
import { globComponentMatcher, hasMagic, joinPath } from './paths.ts';

/** What glob needs from SFTPClient. */
export interface GlobClient {
  stat(path: string): Promise<SFTPAttrs>;
  readdir(path: string): Promise<SFTPName[]>;
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
export async function globNames(client: GlobClient, patterns: string | readonly string[], options: { errorHandler?: (e: Error) => void } = {}): Promise<SFTPName[]> {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  const out: SFTPName[] = [];
  for (const pattern of list) {
    const matches = await globOne(client, pattern);
    if (matches.length === 0) {
      const e = new SFTPNoSuchFile(`no matches found for ${pattern}`);
      if (options.errorHandler) options.errorHandler(e);
      else throw e;
    }
    out.push(...matches);
  }
  return out;
}

async function globOne(client: GlobClient, pattern: string): Promise<SFTPName[]> {
  const abs = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p) => p !== '');
  let current: SFTPName[] = [{ filename: abs ? '/' : '', longname: '', attrs: { type: FILEXFER_TYPE.DIRECTORY } }];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    const next: SFTPName[] = [];
    for (const base of current) {
      const dir = base.filename === '' ? '.' : base.filename;
      const prefix = base.filename;
      if (part === '**') {
        // Zero or more directories.
        next.push(base);
        for (const sub of await walkDirs(client, dir, prefix)) next.push(sub);
        continue;
      }
      if (!hasMagic(part)) {
        const candidate = joinPath(prefix, part);
        const attrs = await statIfExists(client.stat(candidate === '' ? '.' : candidate));
        if (attrs && (last || attrsType(attrs) === FILEXFER_TYPE.DIRECTORY)) next.push({ filename: candidate, longname: '', attrs });
        continue;
      }
      let entries: SFTPName[];
      try {
        entries = await client.readdir(dir);
      } catch (e) {
        if (e instanceof SFTPError) continue;
        throw e;
      }
      const matches = globComponentMatcher(part);
      for (const entry of entries) {
        if (entry.filename === '.' || entry.filename === '..') continue;
        if (!matches(entry.filename)) continue;
        if (!last && attrsType(entry.attrs) !== FILEXFER_TYPE.DIRECTORY && attrsType(entry.attrs) !== FILEXFER_TYPE.SYMLINK) continue;
        next.push({ ...entry, filename: joinPath(prefix, entry.filename) });
      }
    }
    const seen = new Set<string>();
    current = next.filter((n) => (seen.has(n.filename) ? false : (seen.add(n.filename), true)));
  }
  return current.filter((n) => n.filename !== '' && !(parts.at(-1) === '**' && n.filename === (abs ? '/' : ''))).sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
}

async function walkDirs(client: GlobClient, dir: string, prefix: string): Promise<SFTPName[]> {
  const out: SFTPName[] = [];
  let entries: SFTPName[];
  try {
    entries = await client.readdir(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.filename === '.' || e.filename === '..' || e.filename.startsWith('.')) continue;
    if (attrsType(e.attrs) !== FILEXFER_TYPE.DIRECTORY) continue;
    const path = joinPath(prefix, e.filename);
    out.push({ ...e, filename: path });
    out.push(...(await walkDirs(client, joinPath(dir, e.filename), path)));
  }
  return out;
}
