/**
 * The host environment: everything the configuration reader needs from the machine it runs on,
 * injected so that the reader stays sans-I/O. The reader is written as generators that yield
 * requests (read a file, expand a glob, run a Match exec command, look up a host name for
 * CanonicalizeHostname or a service name for a port); `runSync` and `runAsync`
 * answer them from a HostEnvironment whose methods may be synchronous or return Promises.
 * @module
 */

import { ConfigEnvironmentError } from './errors.ts';

/** What the reader needs from the local machine. `./node` provides `nodeEnvironment()`. */
export interface HostEnvironment {
  /** The local user name (%u, Match localuser, and the default remote user). */
  readonly localUser: string;
  /** The local user id (%i). */
  readonly localUid: number;
  /** The local user's home directory (%d and `~`), from the password database as ssh takes it. */
  readonly homeDir: string;
  /**
   * The directory `~` in Include paths (and the `~/.ssh` of relative ones) stands for, when it is
   * not homeDir: ssh and sshd expand Include with glob(3)'s GLOB_TILDE, which reads $HOME. The
   * Node environment sets it from $HOME. Defaults to homeDir.
   */
  readonly includeHomeDir?: string;
  /** The local host name including its domain (%l; %L is the part before the first dot). */
  readonly localHostname: string;
  /** Environment variables for `${NAME}` expansion. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The text of a file; throws (or rejects) when it cannot be read, with `code: 'ENOENT'` (as
   * node:fs errors have) when it does not exist. A directory should read as empty text, as it
   * does for OpenSSH (an Include glob may match one).
   */
  readFile(path: string): string | Promise<string>;
  /**
   * The paths matching a glob(3) pattern (`*`, `?`, `[...]`), sorted; empty when nothing matches.
   * The pattern is absolute: `~` has already been expanded. The reader passes `maxMatches`, the
   * number of files it may still include; an environment may stop walking once it has found more
   * than that and return the matches found so far (the reader then refuses the Include).
   */
  glob(pattern: string, options?: GlobOptions): readonly string[] | Promise<readonly string[]>;
  /**
   * Owner and mode bits of a file (stat(2), symbolic links followed); undefined when unknown.
   * Optional: without it included ssh_config files are not checked (see ReadOptions).
   */
  statFile?(path: string): FileStatus | undefined | Promise<FileStatus | undefined>;
  /** Runs a command with the user's shell (Match exec) and returns its exit status. */
  exec(command: string): number | Promise<number>;
  /** Group names the user belongs to (sshd Match Group); optional. */
  groupsOf?(user: string): readonly string[] | undefined | Promise<readonly string[] | undefined>;
  /**
   * Looks a host name up, as ssh's getaddrinfo() for CanonicalizeHostname: undefined when the
   * name does not resolve. `name` is passed as ssh passes it (`host.domain.`, anchored, when
   * trying CanonicalDomains). Optional: without it no name resolves (CanonicalizeHostname then
   * keeps names as given, or fails them with CanonicalizeFallbackLocal no). The reader has no
   * resolver of its own; `@ssh/asyncssh` supplies one built on node:dns.
   */
  resolveHost?(name: string, hints: HostLookupHints): HostLookup | undefined | Promise<HostLookup | undefined>;
  /**
   * The home directory of the local account `user` (getpwnam's pw_dir), for `~user/` in file
   * names; undefined when there is no such account. Optional: without it `~user` is left as
   * written (`~` and `~/` use homeDir and need no look-up).
   */
  homeDirOf?(user: string): string | undefined | Promise<string | undefined>;
  /**
   * The port of a TCP service name, as OpenSSH's a2port() asks getservbyname(name, "tcp") for a
   * port that is not a decimal number (`Port ssh`, `LocalForward 8080 host:http`); undefined
   * when there is no such service. Optional: without it only decimal ports are accepted. The
   * Node environment reads /etc/services.
   */
  servicePort?(name: string): number | undefined | Promise<number | undefined>;
}

/** What statFile reports. */
export interface FileStatus {
  readonly uid: number;
  /** st_mode (permission bits at least). */
  readonly mode: number;
}

/** How far a glob need go. */
export interface GlobOptions {
  /** The caller uses at most this many matches: finding one more is enough to stop. */
  readonly maxMatches?: number;
}

/** What a host name lookup is asked for. */
export interface HostLookupHints {
  /** AddressFamily in effect: the address family to look for. */
  readonly family: 'any' | 'inet' | 'inet6';
  /** Whether the canonical (CNAME target) name is wanted: CanonicalizePermittedCNAMEs has rules. */
  readonly wantCname: boolean;
}

/** A name that resolved. */
export interface HostLookup {
  /** Its canonical name when it is an alias (a CNAME chain's end); absent or equal when not. */
  readonly canonicalName?: string;
}

/** A request from the reader to the environment. */
export type HostRequest =
  | { readonly kind: 'read'; readonly path: string }
  | { readonly kind: 'glob'; readonly pattern: string; readonly maxMatches: number }
  | { readonly kind: 'exec'; readonly command: string }
  | { readonly kind: 'stat'; readonly path: string }
  | { readonly kind: 'groups'; readonly user: string }
  | { readonly kind: 'resolve'; readonly name: string; readonly hints: HostLookupHints }
  | { readonly kind: 'home'; readonly user: string }
  | { readonly kind: 'service'; readonly name: string };

/** What a `home` request answers when the environment has no homeDirOf. */
const NO_HOME_LOOKUP: unique symbol = Symbol('no homeDirOf');

/** A reader computation: yields requests, receives their answers, returns T. */
export type HostTask<T> = Generator<HostRequest, T, unknown>;

function perform(env: HostEnvironment, req: HostRequest): unknown {
  switch (req.kind) {
    case 'read':
      return env.readFile(req.path);
    case 'glob':
      return env.glob(req.pattern, { maxMatches: req.maxMatches });
    case 'exec':
      return env.exec(req.command);
    case 'stat':
      return env.statFile ? env.statFile(req.path) : undefined;
    case 'groups':
      return env.groupsOf ? env.groupsOf(req.user) : undefined;
    case 'resolve':
      return env.resolveHost ? env.resolveHost(req.name, req.hints) : undefined;
    case 'home':
      return env.homeDirOf ? env.homeDirOf(req.user) : NO_HOME_LOOKUP;
    case 'service':
      return env.servicePort ? env.servicePort(req.name) : undefined;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs a task against an environment whose methods answer synchronously. */
export function runSync<T>(task: HostTask<T>, env: HostEnvironment): T {
  let step = task.next();
  while (!step.done) {
    let answer: unknown;
    let failure: { error: unknown } | undefined;
    try {
      answer = perform(env, step.value);
      if (isThenable(answer)) {
        failure = { error: new ConfigEnvironmentError('the host environment returned a Promise to a synchronous call; use the async variant') };
      }
    } catch (error) {
      failure = { error };
    }
    step = failure ? task.throw(failure.error) : task.next(answer);
  }
  return step.value;
}

/** Runs a task against an environment whose methods may return Promises. */
export async function runAsync<T>(task: HostTask<T>, env: HostEnvironment): Promise<T> {
  let step = task.next();
  while (!step.done) {
    let answer: unknown;
    let failure: { error: unknown } | undefined;
    try {
      answer = await perform(env, step.value);
    } catch (error) {
      failure = { error };
    }
    step = failure ? task.throw(failure.error) : task.next(answer);
  }
  return step.value;
}

/** Helpers to yield a typed request from inside a task. */
export function* readFileTask(path: string): HostTask<string> {
  const r = yield { kind: 'read', path };
  if (typeof r !== 'string') throw new ConfigEnvironmentError(`readFile(${JSON.stringify(path)}) did not return a string`);
  return r;
}

export function* globTask(pattern: string, maxMatches: number): HostTask<readonly string[]> {
  const r = yield { kind: 'glob', pattern, maxMatches };
  if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) {
    throw new ConfigEnvironmentError(`glob(${JSON.stringify(pattern)}) did not return a list of strings`);
  }
  return r as readonly string[];
}

/** A file's owner and mode through the environment; undefined when it cannot say. */
export function* statTask(path: string): HostTask<FileStatus | undefined> {
  const r = yield { kind: 'stat', path };
  if (r === undefined || r === null) return undefined;
  const { uid, mode } = r as { uid?: unknown; mode?: unknown };
  if (typeof uid !== 'number' || typeof mode !== 'number') {
    throw new ConfigEnvironmentError(`statFile(${JSON.stringify(path)}) did not return a file status`);
  }
  return { uid, mode };
}

export function* execTask(command: string): HostTask<number> {
  const r = yield { kind: 'exec', command };
  if (typeof r !== 'number') throw new ConfigEnvironmentError(`exec(${JSON.stringify(command)}) did not return an exit status`);
  return r;
}

export function* groupsTask(user: string): HostTask<readonly string[] | undefined> {
  const r = yield { kind: 'groups', user };
  if (r === undefined) return undefined;
  if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) {
    throw new ConfigEnvironmentError(`groupsOf(${JSON.stringify(user)}) did not return a list of strings`);
  }
  return r as readonly string[];
}

/** Looks a host name up through the environment; undefined when it does not resolve. */
export function* resolveHostTask(name: string, hints: HostLookupHints): HostTask<HostLookup | undefined> {
  const r = yield { kind: 'resolve', name, hints };
  if (r === undefined || r === null) return undefined;
  const cname = (r as { canonicalName?: unknown }).canonicalName;
  if (typeof r !== 'object' || (cname !== undefined && typeof cname !== 'string')) {
    throw new ConfigEnvironmentError(`resolveHost(${JSON.stringify(name)}) did not return a lookup result`);
  }
  return cname === undefined ? {} : { canonicalName: cname };
}

/** The port of a TCP service name through the environment; undefined when it names none. */
export function* serviceTask(name: string): HostTask<number | undefined> {
  const r = yield { kind: 'service', name };
  if (r === undefined || r === null) return undefined;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r > 65535) {
    throw new ConfigEnvironmentError(`servicePort(${JSON.stringify(name)}) did not return a port number`);
  }
  return r;
}

/**
 * A local account's home directory through the environment: the directory, undefined when there
 * is no such account, or null when the environment cannot look accounts up.
 */
export function* homeDirTask(user: string): HostTask<string | undefined | null> {
  const r = yield { kind: 'home', user };
  if (r === NO_HOME_LOOKUP) return null;
  if (r === undefined || r === null) return undefined;
  if (typeof r !== 'string') throw new ConfigEnvironmentError(`homeDirOf(${JSON.stringify(user)}) did not return a string`);
  return r;
}

/**
 * Looks up the accounts that `~user` prefixes of `paths` name (each once), for tildeExpand: user
 * -> home directory, undefined for no such account; empty when the environment cannot look up.
 */
export function* homeDirsTask(paths: Iterable<string>): HostTask<ReadonlyMap<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const p of paths) {
    const user = tildeUser(p);
    if (user === undefined || out.has(user)) continue;
    const home = yield* homeDirTask(user);
    if (home === null) return new Map();
    out.set(user, home);
  }
  return out;
}

/** The account a leading `~user` names (misc.c tilde_expand), or undefined for `~`, `~/...` and other paths. */
export function tildeUser(path: string): string | undefined {
  if (!path.startsWith('~') || path.length === 1 || path[1] === '/') return undefined;
  const slash = path.indexOf('/');
  return slash < 0 ? path.slice(1) : path.slice(1, slash);
}
