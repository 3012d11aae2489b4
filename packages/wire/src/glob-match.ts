/**
 * One path component against a glob(3) / fnmatch pattern component: `*` (any run), `?` (any one
 * character), `[...]` classes (`!` or `^` negates, ranges), and optionally `\` escapes. Neither
 * wildcard matches `/`. Used wherever names are matched against globs (ssh_config Include, SFTP
 * client globs), so the rule exists once.
 *
 * Not one RegExp with a `[^/]*` per star: that tries every way of sharing a name among the stars
 * before it fails, exponential in their number, and the names may come from a hostile peer (an
 * SFTP server's listing). A mismatch here backs up to the last star only, as glob(3)'s match()
 * does: linear in the name for each star.
 * @module
 */

/** A pattern character: `*` (any run), or a test of one character. */
type Token = '*' | ((c: string) => boolean);

export interface GlobMatchOptions {
  /** `\x` matches `x` literally (glob(3) without GLOB_NOESCAPE). Default false: `\` is literal. */
  readonly escapes?: boolean;
}

const literal =
  (c: string): Token =>
  (ch) =>
    ch === c;

function tokens(pattern: string, escapes: boolean): Token[] {
  const out: Token[] = [];
  // By code point, so that `?` takes a whole astral character.
  const cps = [...pattern];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === '*') {
      if (out.at(-1) !== '*') out.push('*');
    } else if (c === '?') out.push((ch) => ch !== '/');
    else if (c === '\\' && escapes && i + 1 < cps.length) out.push(literal(cps[++i] as string));
    else if (c === '[') {
      // A `]` right after the opening (or after `!`/`^`) is part of the class, as in glob(3).
      const close = cps.indexOf(']', i + 2);
      if (close < 0) {
        out.push(literal('['));
        continue;
      }
      let body = cps.slice(i + 1, close).join('');
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const re = new RegExp(`^[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]$`, 'u');
      out.push((ch) => ch !== '/' && re.test(ch));
      i = close;
    } else out.push(literal(c));
  }
  return out;
}

/** A matcher for one pattern component: call it with names to test. */
export function globMatcher(pattern: string, options: GlobMatchOptions = {}): (name: string) => boolean {
  const toks = tokens(pattern, options.escapes === true);
  return (name) => {
    const chars = [...name];
    let t = 0;
    let c = 0;
    let starT = -1;
    let starC = 0;
    while (c < chars.length) {
      const tok = toks[t];
      if (tok === '*') {
        starT = t++;
        starC = c;
      } else if (tok !== undefined && tok(chars[c] as string)) {
        t++;
        c++;
      } else if (starT >= 0 && chars[starC] !== '/') {
        // Let the last star take one more character and retry what follows it.
        t = starT + 1;
        c = ++starC;
      } else return false;
    }
    while (toks[t] === '*') t++;
    return t === toks.length;
  };
}
