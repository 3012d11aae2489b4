/**
 * `%` tokens and `${VAR}` environment references (ssh_config(5) TOKENS and ENVIRONMENT
 * VARIABLES; misc.c percent_expand / percent_dollar_expand), and `~` expansion of file names.
 * @module
 */

import { createHash } from 'node:crypto';

/** Values for the single-letter tokens; a missing letter is an unknown token. */
export type TokenTable = Readonly<Partial<Record<string, string>>>;

/** Why an expansion failed; the caller adds the file and line. */
export class ExpansionFailure {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/**
 * Expands `%x` tokens from `tokens` and, when `env` is given, `${NAME}` from it, in one pass:
 * the result of one expansion is never expanded again. Returns an ExpansionFailure for an unknown
 * token, a trailing `%`, an unterminated `${` or an unset variable, as OpenSSH refuses them.
 */
export function expandTokens(
  input: string,
  tokens: TokenTable,
  env?: Readonly<Record<string, string | undefined>>,
): string | ExpansionFailure {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (env !== undefined && c === '$' && input[i + 1] === '{') {
      const ref = envReference(input, i, env);
      if (ref instanceof ExpansionFailure) return ref;
      out += ref.value;
      i = ref.close;
      continue;
    }
    if (c !== '%') {
      out += c;
      continue;
    }
    const k = input[i + 1];
    if (k === undefined) return new ExpansionFailure('invalid format: "%" at end of string');
    i++;
    if (k === '%') {
      out += '%';
      continue;
    }
    const value = Object.hasOwn(tokens, k) ? tokens[k] : undefined;
    if (value === undefined) return new ExpansionFailure(`unknown token %${k}`);
    out += value;
  }
  return out;
}

/**
 * Expands `${NAME}` references only (misc.c dollar_expand): `%` is left alone. Returns an
 * ExpansionFailure for an unterminated or empty reference or an unset variable.
 */
export function expandEnvReferences(input: string, env: Readonly<Record<string, string | undefined>>): string | ExpansionFailure {
  let out = '';
  let from = 0;
  for (let i = input.indexOf('${'); i >= 0; i = input.indexOf('${', from)) {
    const ref = envReference(input, i, env);
    if (ref instanceof ExpansionFailure) return ref;
    out += input.slice(from, i) + ref.value;
    from = ref.close + 1;
  }
  return out + input.slice(from);
}

/** The value of the `${NAME}` reference starting at `at`, and where its `}` is. */
function envReference(input: string, at: number, env: Readonly<Record<string, string | undefined>>): { value: string; close: number } | ExpansionFailure {
  const close = input.indexOf('}', at + 2);
  if (close < 0) return new ExpansionFailure('environment variable has no closing "}"');
  const name = input.slice(at + 2, close);
  if (name === '') return new ExpansionFailure('zero-length environment variable');
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  if (value === undefined) return new ExpansionFailure(`environment variable "${name}" is not set`);
  return { value, close };
}

/** `~` and `~/...` become the home directory; other text (including `~user`) is unchanged. */
export function expandTilde(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return homeDir.endsWith('/') ? homeDir + path.slice(2) : homeDir + path.slice(1);
  return path;
}

/** PATH_MAX: tilde_expand refuses a longer result. */
const PATH_MAX = 4096;

/**
 * misc.c tilde_expand, as ssh and sshd apply it to file names: `~`, `~/path`, `~user` and
 * `~user/path` become the home directory with one `/` and the rest of the path (slashes after
 * the `~` part collapsed). `homes` holds the other accounts' home directories (undefined for no
 * such account; see homeDirsTask); a `~user` it does not hold is left as written. Returns an
 * ExpansionFailure for no such user or a result of PATH_MAX bytes or more.
 */
export function tildeExpand(path: string, homeDir: string, homes: ReadonlyMap<string, string | undefined>): string | ExpansionFailure {
  if (!path.startsWith('~')) return path;
  let home = homeDir;
  let rest = path.slice(1);
  if (rest !== '' && !rest.startsWith('/')) {
    const slash = rest.indexOf('/');
    const user = slash < 0 ? rest : rest.slice(0, slash);
    if (!homes.has(user)) return path;
    const h = homes.get(user);
    if (h === undefined) return new ExpansionFailure(`No such user ${user}`);
    home = h;
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const out = `${home}${home === '' || !home.endsWith('/') ? '/' : ''}${rest.replace(/^\/+/, '')}`;
  if (new TextEncoder().encode(out).length >= PATH_MAX) return new ExpansionFailure('Path too long');
  return out;
}

/** %C: SHA-1 (hex) of local hostname, remote host, port and remote user, concatenated. */
export function connectionHash(localHostname: string, host: string, port: number | string, user: string): string {
  return createHash('sha1').update(`${localHostname}${host}${port}${user}`).digest('hex');
}

/** The information tokens are drawn from for one connection. */
export interface ClientTokenContext {
  /** %h: the remote host name after HostName. */
  readonly host: string;
  /** %n: the host as given by the caller. */
  readonly originalHost: string;
  readonly port: number;
  /** %r: the remote user name. */
  readonly user: string;
  /** %u */
  readonly localUser: string;
  /** %i */
  readonly localUid: number;
  /** %d */
  readonly homeDir: string;
  /** %l (full), %L is derived (up to the first dot). */
  readonly localHostname: string;
  /** %k: HostKeyAlias or, when unset, the original host. */
  readonly keyAlias: string;
  /** %j: the ProxyJump value, empty when unset (OpenSSH 9.4+). */
  readonly jump: string;
}

/** The full client token table (%%, %C, %d, %h, %i, %j, %k, %L, %l, %n, %p, %r, %u). */
export function clientTokens(ctx: ClientTokenContext): TokenTable {
  const short = ctx.localHostname.split('.')[0] as string;
  return {
    C: connectionHash(ctx.localHostname, ctx.host, ctx.port, ctx.user),
    d: ctx.homeDir,
    h: ctx.host,
    i: String(ctx.localUid),
    j: ctx.jump,
    k: ctx.keyAlias,
    L: short,
    l: ctx.localHostname,
    n: ctx.originalHost,
    p: String(ctx.port),
    r: ctx.user,
    u: ctx.localUser,
  };
}

/** Restricts a table to the given letters (an option that accepts only some tokens). */
export function pickTokens(table: TokenTable, letters: string): TokenTable {
  const out: Record<string, string> = {};
  for (const l of letters) {
    const v = table[l];
    if (v !== undefined) out[l] = v;
  }
  return out;
}
