/**
 * POSIX path helpers for remote paths (SFTP paths use `/`), and glob patterns as sftp(1) and
 * AsyncSSH's glob() read them: `*`, `?`, `[...]`, `[!...]`, and `**` for any depth of directories.
 * @module
 */

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

/** Last component (after the last `/`, ignoring trailing slashes). */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? trimmed : trimmed.slice(i + 1);
}

/** Everything before the last component ('' when there is none, '/' for the root). */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
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

/** One character of a glob pattern component: `*` (any run), or a test of one character. */
type GlobToken = '*' | ((c: string) => boolean);

/** A glob pattern component as tokens (runs of `*` as one). */
function globTokens(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  const cps = [...pattern];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === '*') {
      if (tokens.at(-1) !== '*') tokens.push('*');
    } else if (c === '?') tokens.push((ch) => ch !== '/');
    else if (c === '[') {
      const close = cps.indexOf(']', i + 2);
      if (close < 0) {
        tokens.push((ch) => ch === '[');
        continue;
      }
      let body = cps.slice(i + 1, close).join('');
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const re = new RegExp(`^[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]$`, 'u');
      tokens.push((ch) => re.test(ch));
      i = close;
    } else tokens.push((ch) => ch === c);
  }
  return tokens;
}

/**
 * Whether `name` matches the tokens. Not one RegExp with a [^/]* per star: that tries every way of
 * sharing the name among the stars before failing (a server picks the names); a mismatch here
 * backs up to the last star only, as glob(3)'s match() does.
 */
function matchGlobTokens(tokens: readonly GlobToken[], name: string): boolean {
  const chars = [...name];
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

/** Whether a directory entry name matches a glob component (hidden names only match a pattern starting with '.'). */
export function globMatch(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return matchGlobTokens(globTokens(pattern), name);
}
