/**
 * POSIX path helpers for remote paths (SFTP paths use `/`), and glob patterns as sftp(1) and
 * AsyncSSH's glob() read them: `*`, `?`, `[...]`, `[!...]`, and `**` for any depth of directories.
 * @module
 */

import { globMatcher } from '@ssh/wire';

/** Joins path parts; an absolute part restarts the path. */
export function joinPath(...parts: readonly string[]): string {
  let out = '';
  for (const p of parts) {
    if (p === '') continue;
    if (p.startsWith('/')) out = p;
    else if (out === '' || out.endsWith('/')) out += p;
    else out += `/${p}`;
  }
  return out === '' ? '.' : out;
}

/**
 * `path` without its trailing slashes. A loop, not `/\/+$/`: that RegExp tries each run of
 * slashes that does not end the path from every position in it, quadratic in the run's length.
 */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(0, end);
}

/** Last component (after the last `/`, ignoring trailing slashes). */
export function basename(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? trimmed : trimmed.slice(i + 1);
}

/** Everything before the last component ('' when there is none, '/' for the root). */
export function dirname(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '';
  if (i === 0) return '/';
  return trimmed.slice(0, i);
}

/** Lexical normalisation: collapses `//` and `.`, resolves `..`; never climbs above `/` for absolute paths. */
export function normalizePath(path: string): string {
  const abs = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined === '' ? '.' : joined;
}

/** True when `name` has glob magic characters. */
export function hasMagic(name: string): boolean {
  return /[*?[]/.test(name);
}

/**
 * Whether a directory entry name matches a glob component. As AsyncSSH's glob (Python's fnmatch),
 * a leading dot is not special: `*` matches hidden names, unlike a shell's (ssh-sftp and our SCP
 * server, which follow OpenSSH, leave them out themselves).
 */
export function globMatch(pattern: string, name: string): boolean {
  return globMatcher(pattern)(name);
}
