/**
 * Line splitting as OpenSSH's readconf.c/servconf.c do it: the keyword ends at whitespace, a
 * double quote or one `=`; the rest of the line is split into arguments with quotes (`"` and
 * `'`), backslash escapes and `#` comments (misc.c argv_split). Match criteria use the simpler
 * splitter (misc.c strdelim) that only knows double quotes and `=`.
 * @module
 */

const WS = ' \t\r\n';

/** Result of splitting one line; undefined for blank and comment lines. */
export interface SplitLine {
  /** The keyword, lowercased. */
  readonly keyword: string;
  /** The keyword as written. */
  readonly keywordAsWritten: string;
  /** Everything after the keyword and its separator, untouched (commands keep it verbatim). */
  readonly rest: string;
}

export interface StrdelimResult {
  readonly token: string;
  /** The remaining text, or undefined when the input is used up. */
  readonly rest: string | undefined;
  /** An opening double quote without a closing one. */
  readonly unterminated?: true;
}

function skipWs(s: string, from: number): number {
  let i = from;
  while (i < s.length && WS.includes(s[i] as string)) i++;
  return i;
}

/**
 * One token of strdelim (split on whitespace, `"` quoting, and a single `=` when splitEquals):
 * returns the token and what follows it with the separating whitespace (and at most one `=`) skipped.
 */
export function strdelim(s: string, splitEquals = true): StrdelimResult {
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (WS.includes(c) || c === '"' || (splitEquals && c === '=')) break;
    i++;
  }
  if (i >= s.length) return { token: s, rest: undefined };
  const token = s.slice(0, i);
  if (s[i] === '"') {
    const body = s.slice(0, i) + s.slice(i + 1);
    const close = body.indexOf('"', i);
    if (close < 0) return { token: '', rest: undefined, unterminated: true };
    return { token: body.slice(0, close), rest: body.slice(skipWs(body, close + 1)) };
  }
  let j = i + 1;
  const sawEquals = splitEquals && s[i] === '=';
  j = skipWs(s, j);
  if (splitEquals && !sawEquals && s[j] === '=') j = skipWs(s, j + 1);
  return { token, rest: s.slice(j) };
}

/** Splits a configuration line into its keyword and the rest; undefined for blanks and comments. */
export function splitLine(rawLine: string): SplitLine | undefined {
  // ssh and sshd handle each line as a C string: whatever follows a NUL is not part of it.
  const nul = rawLine.indexOf('\0');
  let end = nul >= 0 ? nul : rawLine.length;
  while (end > 0 && ' \t\r\n\f'.includes(rawLine[end - 1] as string)) end--;
  const line = rawLine.slice(0, end);
  if (line === '') return undefined;
  let r = strdelim(line);
  if (r.token === '' && r.rest !== undefined) r = strdelim(r.rest);
  const kw = r.token;
  if (kw === '' || kw.startsWith('#')) return undefined;
  const rest = r.rest === undefined ? '' : r.rest.slice(skipWs(r.rest, 0));
  return { keyword: kw.toLowerCase(), keywordAsWritten: kw, rest };
}

/**
 * Splits arguments the way argv_split(…, terminate_on_comment=1) does. Returns undefined when a
 * quote is left open.
 */
export function splitArgs(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let quote = '';
    let arg = '';
    for (; i < s.length; i++) {
      const ch = s[i] as string;
      if (ch === '\\') {
        const nx = s[i + 1];
        if (nx === "'" || nx === '"' || nx === '\\' || (quote === '' && nx === ' ')) {
          i++;
          arg += nx;
        } else {
          arg += ch;
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break;
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else {
        arg += ch;
      }
    }
    if (quote !== '') return undefined;
    out.push(arg);
  }
  return out;
}

/** Match criteria split with strdelim until the text ends (a token starting with `#` ends it). */
export function splitMatchArgs(s: string): string[] | undefined {
  const out: string[] = [];
  let rest: string | undefined = s;
  while (rest !== undefined && rest !== '') {
    const r = strdelim(rest);
    if (r.unterminated) return undefined;
    if (r.token === '') break;
    out.push(r.token);
    rest = r.rest;
  }
  return out;
}
