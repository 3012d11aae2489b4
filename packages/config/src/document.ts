/**
 * Reading a configuration text into a document: every line split and validated, every Include
 * expanded (globs, `~`, relative paths, nesting with a depth bound and loop detection). The
 * document does not depend on the connection; resolving it for one connection is the job of
 * client.ts and server.ts.
 * @module
 */

import { globTask, homeDirTask, readFileTask, serviceTask, statTask, tildeUser, type HostEnvironment, type HostTask } from './environment.ts';
import { ConfigEnvironmentError, ConfigParseError } from './errors.ts';
import { splitArgs, splitLine } from './lexer.ts';
import { expandTilde } from './tokens.ts';
import type { ServiceLookup } from './values.ts';

/** Where a line came from and what it says. */
export interface ConfigLine {
  readonly file: string;
  readonly line: number;
  /** Lowercased keyword. */
  readonly keyword: string;
  /** Keyword as written. */
  readonly keywordAsWritten: string;
  /** Arguments after quote and escape processing. */
  readonly args: readonly string[];
  /** The text after the keyword, verbatim (commands and Match use it). */
  readonly rest: string;
}

/** A bad argument found by a keyword's parser; the reader turns it into a ConfigParseError. */
export class BadArgument extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadArgument';
  }
}

/** A parsed keyword: its table entry and the value parsed from its arguments. */
export interface OptionEntry<S> {
  readonly kind: 'option';
  readonly at: ConfigLine;
  readonly spec: S;
  readonly value: unknown;
}

export type ConfigEntry<S, M> =
  | { readonly kind: 'host'; readonly at: ConfigLine; readonly patterns: readonly string[] }
  | { readonly kind: 'match'; readonly at: ConfigLine; readonly criteria: M }
  | { readonly kind: 'include'; readonly at: ConfigLine; readonly documents: readonly ConfigDocument<S, M>[] }
  | OptionEntry<S>
  | { readonly kind: 'unknown'; readonly at: ConfigLine };

/** One file (or text) and the files it includes. */
export interface ConfigDocument<S, M> {
  readonly file: string;
  readonly entries: readonly ConfigEntry<S, M>[];
}

/** What differs between ssh_config and sshd_config. */
export interface Dialect<S, M> {
  /** Table entry for a lowercased keyword, undefined when OpenSSH does not know it. */
  lookup(keyword: string): S | undefined;
  /** Parses the arguments of a keyword (throws BadArgument); ports may be service names. */
  parseValue(spec: S, line: ConfigLine, services: ServiceLookup): unknown;
  /** Parses Match criteria (throws BadArgument). */
  parseMatch(line: ConfigLine, services: ServiceLookup): M;
  /** Whether `Host` is a keyword (ssh_config only). */
  readonly hasHost: boolean;
  /**
   * Included files must be owned by root or the user and not writable by others (ssh checks
   * them, sshd does not). Group write is left alone: Debian's ssh allows it for a private group.
   */
  readonly checkIncludedFiles: boolean;
  /** An included file that does not exist (ENOENT) is skipped (ssh) rather than refused (sshd). */
  readonly skipMissingIncludes: boolean;
  /** Unknown keywords are decided at resolve time (ssh_config IgnoreUnknown) instead of now. */
  readonly deferUnknown: boolean;
}

/** How to read one file. */
export interface ReadOptions {
  /** The name used in error messages and as the key for loop detection. */
  readonly file: string;
  /**
   * Directory that relative Include paths live in: `~/.ssh` for a user's ssh_config, `/etc/ssh`
   * for the system ssh_config and sshd_config.
   */
  readonly includeDir: string;
  /** `~` may start an Include path (user configuration only for ssh_config). */
  readonly allowTilde: boolean;
  /**
   * Include expands `~` and `~user` (ssh's glob(3) with GLOB_TILDE; default). sshd globs without
   * it: a `~` there is a literal file name character.
   */
  readonly expandTilde?: boolean;
  /** Maximum Include nesting (OpenSSH: 16). */
  readonly maxDepth?: number;
  /** Maximum number of files read through Include, all levels together. */
  readonly maxIncludedFiles?: number;
}

export const DEFAULT_MAX_INCLUDE_DEPTH = 16;

/**
 * The depth bound alone allows k^16 files when each file includes the next k times (or a glob
 * matches k files that do the same); OpenSSH re-reads them all. Far more than any real
 * configuration includes, and small enough that reading them all is quick.
 */
export const DEFAULT_MAX_INCLUDED_FILES = 4096;

/** Files read through Include so far, shared by every level of one top-level read. */
interface IncludeCount {
  files: number;
}

/**
 * Runs a (synchronous) parser, giving it service names' ports from the environment. A name not
 * yet known gets a stand-in port and is noted; once the parser is done (or has failed), the names
 * noted are looked up and the line is parsed again, its result (or error) taken only when no name
 * was missing. The parsers are pure, so parsing again is harmless; a line of many names is parsed
 * twice, not once per name, and each name is asked once per file.
 */
function* withServices<T>(parse: (services: ServiceLookup) => T, known: Map<string, number | undefined>): HostTask<T> {
  for (;;) {
    const missing = new Set<string>();
    const services: ServiceLookup = (name) => {
      if (known.has(name)) return known.get(name);
      missing.add(name);
      return 1;
    };
    let value: T | undefined;
    try {
      value = parse(services);
    } catch (e) {
      if (missing.size === 0) throw e;
    }
    if (missing.size === 0) return value as T;
    for (const name of missing) known.set(name, yield* serviceTask(name));
  }
}

function bad(at: { file: string; line: number }, detail: string, cause?: unknown): ConfigParseError {
  return new ConfigParseError(at.file, at.line, detail, cause === undefined ? undefined : { cause });
}

/** The home directory Include paths are resolved against (HostEnvironment.includeHomeDir). */
export function includeHome(env: HostEnvironment): string {
  return env.includeHomeDir ?? env.homeDir;
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** Reads `text` (named `opts.file`) into a document, following Includes through the environment. */
export function* readDocument<S, M>(
  text: string,
  opts: ReadOptions,
  dialect: Dialect<S, M>,
  env: HostEnvironment,
  depth = 0,
  stack: readonly string[] = [],
  included: IncludeCount = { files: 0 },
): HostTask<ConfigDocument<S, M>> {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_INCLUDE_DEPTH;
  const maxFiles = opts.maxIncludedFiles ?? DEFAULT_MAX_INCLUDED_FILES;
  const entries: ConfigEntry<S, M>[] = [];
  const services = new Map<string, number | undefined>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const split = splitLine(lines[i] as string);
    if (!split) continue;
    const where = { file: opts.file, line: lineNo };
    if (split.rest === '') throw bad(where, `no argument after keyword "${split.keyword}"`);
    const args = splitArgs(split.rest);
    if (!args) throw bad(where, 'invalid quotes');
    const at: ConfigLine = { ...where, keyword: split.keyword, keywordAsWritten: split.keywordAsWritten, args, rest: split.rest };

    if (split.keyword === 'host' && dialect.hasHost) {
      for (const a of args) if (a === '') throw bad(where, 'keyword host empty argument');
      entries.push({ kind: 'host', at, patterns: args });
      continue;
    }
    if (split.keyword === 'match') {
      let criteria: M;
      try {
        criteria = yield* withServices((svc) => dialect.parseMatch(at, svc), services);
      } catch (e) {
        if (e instanceof BadArgument) throw bad(where, `${e.message}; bad Match condition`);
        throw e;
      }
      entries.push({ kind: 'match', at, criteria });
      continue;
    }
    if (split.keyword === 'include') {
      const documents: ConfigDocument<S, M>[] = [];
      for (const arg of args) {
        if (arg === '') throw bad(where, 'keyword include empty argument');
        if (arg.startsWith('~') && !opts.allowTilde) throw bad(where, `bad include path ${arg}`);
        let path = !isAbsolute(arg) && !arg.startsWith('~') ? `${opts.includeDir.replace(/\/+$/, '')}/${arg}` : arg;
        const tilde = opts.expandTilde ?? true;
        if (tilde) path = expandTilde(path, includeHome(env));
        // glob(3)'s GLOB_TILDE: `~user` is that account's home; no such account (or no way to
        // ask) leaves the pattern as written.
        const user = tilde ? tildeUser(path) : undefined;
        if (user !== undefined) {
          const home = yield* homeDirTask(user);
          if (typeof home === 'string') {
            const rest = path.slice(1 + user.length);
            path = rest === '' ? home : `${home.replace(/\/+$/, '')}${rest}`;
          }
        }
        let matches: readonly string[];
        try {
          matches = yield* globTask(path, Math.max(0, maxFiles - included.files));
        } catch (e) {
          if (e instanceof ConfigEnvironmentError) throw e;
          throw bad(where, `include ${arg}: cannot expand: ${e instanceof Error ? e.message : String(e)}`, e);
        }
        // Refused before reading any of them (the walk stopped one match past the bound).
        if (depth + 1 <= maxDepth && included.files + matches.length > maxFiles) {
          throw bad(where, `too many included files (maximum ${maxFiles})`);
        }
        for (const file of matches) {
          if (depth + 1 > maxDepth) throw bad(where, `too many recursive configuration includes (maximum depth ${maxDepth})`);
          if (++included.files > maxFiles) throw bad(where, `too many included files (maximum ${maxFiles})`);
          const chain = [...stack, opts.file];
          if (chain.includes(file) || file === opts.file) {
            throw bad(where, `Include loop: ${[...chain, file].join(' -> ')}`);
          }
          if (dialect.checkIncludedFiles) {
            const st = yield* statTask(file);
            if (st && ((st.uid !== 0 && st.uid !== env.localUid) || (st.mode & 0o002) !== 0)) {
              throw bad(where, `Bad owner or permissions on ${file}`);
            }
          }
          let body: string;
          try {
            body = yield* readFileTask(file);
          } catch (e) {
            if (e instanceof ConfigEnvironmentError) throw e;
            // ssh passes over an included file that is not there (a dangling link a glob matched).
            if (dialect.skipMissingIncludes && (e as { code?: unknown } | null)?.code === 'ENOENT') continue;
            throw bad(where, `can't open included file ${file}: ${e instanceof Error ? e.message : String(e)}`, e);
          }
          const doc = yield* readDocument(body, { ...opts, file }, dialect, env, depth + 1, chain, included);
          documents.push(doc);
        }
      }
      entries.push({ kind: 'include', at, documents });
      continue;
    }
    const spec = dialect.lookup(split.keyword);
    if (spec === undefined) {
      if (!dialect.deferUnknown) throw bad(where, `Bad configuration option: ${split.keyword}`);
      entries.push({ kind: 'unknown', at });
      continue;
    }
    let value: unknown;
    try {
      value = yield* withServices((svc) => dialect.parseValue(spec, at, svc), services);
    } catch (e) {
      if (e instanceof BadArgument) throw bad(where, e.message);
      throw e;
    }
    entries.push({ kind: 'option', at, spec, value });
  }
  return { file: opts.file, entries };
}
