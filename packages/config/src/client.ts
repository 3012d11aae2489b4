/**
 * ssh_config as ssh(1) reads it: documents read once (Includes followed), then resolved for one
 * destination with Host and Match evaluated, first-obtained-value-wins, the accumulating
 * keywords, host name canonicalisation (through the environment's resolver), the final pass
 * (`Match final`, CanonicalizeHostname) and token expansion.
 * ssh_config(5); OpenSSH 9.2 readconf.c and ssh.c.
 * @module
 */

import { BadArgument, includeHome, readDocument, type ConfigDocument, type ConfigLine, type Dialect } from './document.ts';
import { assembleProblem } from './algorithms.ts';
import { homeDirsTask, runAsync, runSync, type HostEnvironment, type HostTask } from './environment.ts';
import { ConfigEnvironmentError, ConfigParseError } from './errors.ts';
import { forwardKey, type ForwardSpec } from './forwards.ts';
import { validHostname, validRemoteUser } from './target-names.ts';
import { CLIENT_KEYWORDS, MAX_LIST_ENTRIES, type AddressFamily, type CanonicalizeHostnameMode, type ClientKeyword, type ForwardAgentValue } from './client-keywords.ts';
import { canonicalizeHost, type CanonicalizeSettings } from './canonicalize.ts';
import { evaluateClientMatch, parseClientMatch, type ClientCriterion } from './client-match.ts';
import { matchPattern, matchPatternList } from '@ssh/wire';
import { clientTokens, expandEnvReferences, expandTokens, pickTokens, tildeExpand, type TokenTable } from './tokens.ts';
import { buildClientOptions, type ClientConfigOptions } from './client-options.ts';
import { flagWord } from './values.ts';

export type ClientDocument = ConfigDocument<ClientKeyword, readonly ClientCriterion[]>;

/** A parsed set of ssh_config files, in the order ssh(1) reads them. */
export interface ClientConfig {
  readonly documents: readonly ClientDocument[];
}

/** One configuration text to read. */
export interface ClientConfigSource {
  readonly text: string;
  /** Name for messages and Include loop detection (a path when read from disk). */
  readonly file: string;
  /**
   * `'user'` (default; like ~/.ssh/config and `ssh -F`): relative Includes are under ~/.ssh and
   * `~` is allowed. `'system'` (like /etc/ssh/ssh_config): relative Includes are under /etc/ssh.
   */
  readonly scope?: 'user' | 'system';
  /** Overrides the directory relative Includes are resolved in. */
  readonly includeDir?: string;
}

const clientDialect: Dialect<ClientKeyword, readonly ClientCriterion[]> = {
  lookup: (k) => CLIENT_KEYWORDS.get(k),
  parseValue: (spec, line, services) => (spec.parse && !spec.obsolete ? spec.parse(line, services) : line.args),
  parseMatch: parseClientMatch,
  hasHost: true,
  checkIncludedFiles: true,
  skipMissingIncludes: true,
  deferUnknown: true,
};

function* readAll(sources: readonly ClientConfigSource[], env: HostEnvironment): HostTask<ClientConfig> {
  const documents: ClientDocument[] = [];
  for (const s of sources) {
    const user = (s.scope ?? 'user') === 'user';
    const includeDir = s.includeDir ?? (user ? `${includeHome(env).replace(/\/+$/, '')}/.ssh` : '/etc/ssh');
    documents.push(yield* readDocument(s.text, { file: s.file, includeDir, allowTilde: user }, clientDialect, env));
  }
  return { documents };
}

/** Reads ssh_config texts (and their Includes) with a synchronous environment. */
export function parseClientConfig(sources: ClientConfigSource | readonly ClientConfigSource[], env: HostEnvironment): ClientConfig {
  return runSync(readAll(Array.isArray(sources) ? sources : [sources as ClientConfigSource], env), env);
}

/** Reads ssh_config texts (and their Includes) with an environment that may answer asynchronously. */
export function parseClientConfigAsync(
  sources: ClientConfigSource | readonly ClientConfigSource[],
  env: HostEnvironment,
): Promise<ClientConfig> {
  return runAsync(readAll(Array.isArray(sources) ? sources : [sources as ClientConfigSource], env), env);
}

/** The connection being configured, as given on the command line / to connect(). */
export interface ClientTarget {
  /** Destination host as given (an alias, a name or an address). */
  readonly host: string;
  /** An explicit port wins over Port (like `ssh -p`). */
  readonly port?: number;
  /** An explicit user wins over User (like `ssh -l`). */
  readonly user?: string;
  /**
   * Whether the connection goes through a proxy whatever the config says (true: like `ssh -J`
   * or `-o ProxyCommand`; false: like `-o ProxyJump=none -o ProxyCommand=none`). Unset: as
   * ProxyJump / ProxyCommand say. CanonicalizeHostname yes only canonicalises direct ones.
   */
  readonly proxied?: boolean;
  /**
   * The caller's own ProxyJump, over the config's (when `proxied` is unset): true, one is set
   * (like `ssh -J`); false, turned off (like `-o ProxyJump=none`). Unset: as the config says.
   */
  readonly proxyJump?: boolean;
  /** The caller's own ProxyCommand, over the config's, as `proxyJump`. */
  readonly proxyCommand?: boolean;
}

/** Where a value came from. */
export interface SettingSource {
  readonly file: string;
  readonly line: number;
  /** Keyword as written on that line. */
  readonly keyword: string;
  /** Arguments as written (after quote processing), before token expansion. */
  readonly args: readonly string[];
}

/** One keyword's resolved value. */
export interface ResolvedSetting {
  /** Canonical keyword (aliases resolved), e.g. `KbdInteractiveAuthentication`. */
  readonly keyword: string;
  /** The connect() option it feeds, when it feeds one. */
  readonly option?: keyof ClientConfigOptions;
  /** Parsed value, tokens and `${VAR}` expanded where OpenSSH expands them. Lists for accumulating keywords. */
  readonly value: unknown;
  /** Lines that contributed (one for first-wins keywords). */
  readonly sources: readonly SettingSource[];
}

/** A setting OpenSSH would apply that connect() has no use for. */
export interface IgnoredSetting {
  readonly keyword: string;
  readonly value: unknown;
  readonly sources: readonly SettingSource[];
}

/** ssh_config resolved for one destination. */
export interface ResolvedClientConfig {
  /** Options to pass to connect(), camelCase. */
  readonly options: ClientConfigOptions;
  /** Every keyword obtained, by lowercase canonical keyword. */
  readonly settings: ReadonlyMap<string, ResolvedSetting>;
  /** Settings obtained that connect() does not use. */
  readonly ignored: readonly IgnoredSetting[];
  /** Unknown keywords skipped because IgnoreUnknown matched them. */
  readonly unknownIgnored: readonly SettingSource[];
  /** Final host name (HostName applied, lowercased), as `ssh -G` prints `hostname`. */
  readonly hostname: string;
  readonly originalHost: string;
  readonly port: number;
  readonly user: string;
  /** Whether a final pass was made (Match final, CanonicalizeHostname). */
  readonly finalPass: boolean;
}

interface Slot {
  spec: ClientKeyword;
  value: unknown;
  sources: SettingSource[];
  /** Keys of the values an `append` slot holds, to drop duplicates without a scan. */
  seen?: Set<string>;
  /** SendEnv: where each name still held is in the list. */
  envIndex?: Map<string, number[]>;
  /** SendEnv: names tested against wildcard removals so far. */
  envMatches?: number;
}

const sourceOf = (at: ConfigLine): SettingSource => ({ file: at.file, line: at.line, keyword: at.keywordAsWritten, args: at.args });

const MAX_IDENTITY_FILES = 100;

/**
 * SendEnv `-pattern` with wildcards is tested against every name given before it (ssh does the
 * same, quadratic in the names). Real configurations make a few hundred such tests; a file that
 * needs millions is refused rather than stalling the reader.
 */
const MAX_SENDENV_MATCHES = 1 << 22;

class State {
  readonly slots = new Map<string, Slot>();
  readonly unknownIgnored: SettingSource[] = [];

  /** Closes the holes SendEnv removals left in its list. */
  finish(): void {
    const slot = this.slots.get('sendenv');
    if (slot) slot.value = (slot.value as (string | undefined)[]).filter((n) => n !== undefined);
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }
  get(key: string): unknown {
    return this.slots.get(key)?.value;
  }

  /** An empty list slot for an accumulating keyword. */
  private newList(spec: ClientKeyword): Slot {
    const slot: Slot = { spec, value: [], sources: [] };
    this.slots.set(spec.key, slot);
    return slot;
  }

  apply(spec: ClientKeyword, value: unknown, at: ConfigLine): void {
    const src = sourceOf(at);
    const slot = this.slots.get(spec.key);
    switch (spec.combine) {
      case 'first':
        // A time of `none` is ssh's "unset" value: a later setting still applies.
        if (value === 'none' && (spec.key === 'connecttimeout' || spec.key === 'serveraliveinterval')) return;
        if (!slot) this.slots.set(spec.key, { spec, value, sources: [src] });
        return;
      case 'proxy': {
        // ProxyCommand: first wins. ProxyJump: ignored once either is set; a real jump also
        // sets ProxyCommand to none, so a later ProxyCommand is ignored (readconf.c parse_jump).
        if (slot) return;
        if (spec.key === 'proxyjump') {
          if (this.slots.has('proxycommand')) return;
          if (value !== 'none') {
            this.slots.set('proxycommand', { spec: CLIENT_KEYWORDS.get('proxycommand') as ClientKeyword, value: 'none', sources: [] });
          }
        }
        this.slots.set(spec.key, { spec, value, sources: [src] });
        return;
      }
      case 'agent': {
        const v = value as ForwardAgentValue;
        const cur = (slot?.value ?? {}) as ForwardAgentValue;
        const enabled = cur.enabled ?? v.enabled;
        const path = cur.path ?? v.path;
        if (enabled === cur.enabled && path === cur.path) return;
        this.slots.set(spec.key, {
          spec,
          value: { ...(enabled !== undefined ? { enabled } : {}), ...(path !== undefined ? { path } : {}) },
          sources: [...(slot?.sources ?? []), src],
        });
        return;
      }
      case 'rekey': {
        const v = value as { bytes: number; seconds?: number };
        const cur = (slot?.value ?? {}) as { bytes?: number; seconds?: number };
        if (cur.bytes !== undefined && (cur.seconds !== undefined || v.seconds === undefined)) return;
        const merged = { bytes: cur.bytes ?? v.bytes, ...(cur.seconds !== undefined ? { seconds: cur.seconds } : v.seconds !== undefined ? { seconds: v.seconds } : {}) };
        this.slots.set(spec.key, { spec, value: merged, sources: [...(slot?.sources ?? []), src] });
        return;
      }
      case 'setenv': {
        if (slot) return;
        const seen = new Set<string>();
        const kept: string[] = [];
        for (const v of value as string[]) {
          const name = v.slice(0, v.indexOf('='));
          if (seen.has(name)) continue;
          seen.add(name);
          kept.push(v);
        }
        this.slots.set(spec.key, { spec, value: kept, sources: [src] });
        return;
      }
      // The lists below are grown in place (the slot owns them): copying them for every line
      // made many lines of one keyword quadratic.
      case 'sendenv': {
        // Names are kept with holes where a `-pattern` removed them, and indexed by name: a
        // literal pattern removes through the index, a wildcard one tests each distinct name
        // still there (bounded: MAX_SENDENV_MATCHES). finish() closes the holes.
        const cur = slot ?? this.newList(spec);
        const names = cur.value as (string | undefined)[];
        const index = (cur.envIndex ??= new Map());
        const drop = (name: string): void => {
          for (const i of index.get(name) ?? []) names[i] = undefined;
          index.delete(name);
        };
        for (const n of value as string[]) {
          if (!n.startsWith('-')) {
            const at = index.get(n);
            if (at) at.push(names.length);
            else index.set(n, [names.length]);
            names.push(n);
            continue;
          }
          const pattern = n.slice(1);
          if (!/[*?]/.test(pattern)) {
            drop(pattern);
            continue;
          }
          cur.envMatches = (cur.envMatches ?? 0) + index.size;
          if (cur.envMatches > MAX_SENDENV_MATCHES) {
            throw new ConfigParseError(at.file, at.line, `SendEnv: too many names and wildcard removals to match (over ${MAX_SENDENV_MATCHES} comparisons)`);
          }
          for (const name of [...index.keys()]) if (matchPattern(name, pattern)) drop(name);
        }
        cur.sources.push(src);
        return;
      }
      case 'append': {
        const cur = slot ?? this.newList(spec);
        const items = cur.value as unknown[];
        const seen = (cur.seen ??= new Set());
        const key = typeof value === 'string' ? value : forwardKey(value as ForwardSpec);
        if (seen.has(key)) return;
        if ((spec.key === 'identityfile' || spec.key === 'certificatefile') && items.length >= MAX_IDENTITY_FILES) {
          throw new ConfigParseError(at.file, at.line, `Too many ${spec.name} specified (max ${MAX_IDENTITY_FILES})`);
        }
        seen.add(key);
        items.push(value);
        cur.sources.push(src);
        return;
      }
    }
  }
}

interface PassContext {
  readonly env: HostEnvironment;
  readonly target: ClientTarget;
  /** Host compared with `Host` patterns. */
  readonly host: string;
  readonly finalPass: boolean;
  wantFinal: boolean;
}

function fail(at: ConfigLine, detail: string, cause?: unknown): ConfigParseError {
  return new ConfigParseError(at.file, at.line, detail, cause === undefined ? undefined : { cause });
}

function hostForMatch(state: State, pc: PassContext, at: ConfigLine): string {
  if (pc.finalPass) return String(state.get('hostname'));
  const hn = state.get('hostname');
  if (typeof hn !== 'string') return pc.target.host;
  const x = expandTokens(hn, { h: pc.target.host });
  if (typeof x !== 'string') throw fail(at, `HostName: ${x.message}`);
  return x;
}

const TOO_MANY: Readonly<Record<string, string>> = {
  canonicaldomains: 'too many hostname suffixes.',
  canonicalizepermittedcnames: 'too many permitted CNAMEs.',
  userknownhostsfile: 'too many userknownhostsfile entries.',
  globalknownhostsfile: 'too many globalknownhostsfile entries.',
};

/** ssh expands an agent path's `${VAR}` when it reads the line, active or not, and refuses it when that fails. */
function checkAgentPath(spec: ClientKeyword, value: unknown, at: ConfigLine, env: HostEnvironment): void {
  const path = spec.key === 'forwardagent' ? (value as ForwardAgentValue).path : (value as string);
  if (path !== undefined && typeof expandEnvReferences(path, env.env) !== 'string') throw fail(at, `Invalid environment expansion ${path}.`);
}

function* walk(doc: ClientDocument, state: State, pc: PassContext, startActive: boolean, neverMatch: boolean): HostTask<void> {
  let active = startActive;
  for (const e of doc.entries) {
    switch (e.kind) {
      case 'host': {
        active = false;
        if (neverMatch) break;
        for (const raw of e.patterns) {
          const negated = raw.startsWith('!');
          const pat = negated ? raw.slice(1) : raw;
          if (matchPattern(pc.host, pat)) {
            if (negated) {
              active = false;
              break;
            }
            active = true;
          }
        }
        break;
      }
      case 'match': {
        const env = pc.env;
        const host = hostForMatch(state, pc, e.at);
        const port = (state.get('port') as number | undefined) ?? 22;
        const user = (state.get('user') as string | undefined) ?? env.localUser;
        const alias = state.get('hostkeyalias') as string | undefined;
        const all = clientTokens({
          host,
          originalHost: pc.target.host,
          port,
          user,
          localUser: env.localUser,
          localUid: env.localUid,
          homeDir: env.homeDir,
          localHostname: env.localHostname,
          keyAlias: alias ?? host,
          jump: '',
        });
        let outcome;
        try {
          outcome = yield* evaluateClientMatch(e.criteria, {
            host,
            originalHost: pc.target.host,
            user,
            localUser: env.localUser,
            finalPass: pc.finalPass,
            tag: state.get('tag') as string | undefined,
            execTokens: pickTokens(all, 'CdhiklLnpru'),
          });
        } catch (err) {
          if (err instanceof BadArgument) throw fail(e.at, err.message);
          if (err instanceof ConfigParseError || err instanceof ConfigEnvironmentError) throw err;
          throw fail(e.at, `match exec failed: ${err instanceof Error ? err.message : String(err)}`, err);
        }
        if (outcome.wantFinal) pc.wantFinal = true;
        active = neverMatch ? false : outcome.matched;
        break;
      }
      case 'include':
        for (const d of e.documents) yield* walk(d, state, pc, active, neverMatch || !active);
        break;
      case 'unknown': {
        const ignore = state.get('ignoreunknown');
        if (typeof ignore === 'string' && matchPatternList(e.at.keyword, ignore, true) === 1) {
          state.unknownIgnored.push(sourceOf(e.at));
          break;
        }
        throw fail(e.at, `Bad configuration option: ${e.at.keyword}`);
      }
      case 'option':
        if (e.spec.key === 'identityagent' || e.spec.key === 'forwardagent') checkAgentPath(e.spec, e.value, e.at, pc.env);
        // ssh counts these only on the line that sets them (active, not yet set).
        if (active && Array.isArray(e.value) && e.value.length > MAX_LIST_ENTRIES && !state.has(e.spec.key)) {
          const tooMany = TOO_MANY[e.spec.key];
          if (tooMany !== undefined) throw fail(e.at, tooMany);
        }
        if (active && !e.spec.obsolete) state.apply(e.spec, e.value, e.at);
        break;
    }
  }
}

/** The first pass's canonicalisation settings (defaults already filled), for canonicalizeHost. */
function canonicalizeSettings(state: State, target: ClientTarget, env: HostEnvironment): CanonicalizeSettings {
  const proxy = state.get('proxycommand');
  const jump = state.get('proxyjump');
  // Each of ProxyJump and ProxyCommand the caller set wins over the config's (ssh -J, -o).
  const viaJump = target.proxyJump ?? (jump !== undefined && jump !== 'none');
  const viaCommand = target.proxyCommand ?? (proxy !== undefined && proxy !== 'none');
  const configDirect = !viaJump && !viaCommand;
  return {
    mode: state.get('canonicalizehostname') as CanonicalizeHostnameMode,
    domains: (state.get('canonicaldomains') as readonly string[] | undefined) ?? [],
    maxDots: state.get('canonicalizemaxdots') as number,
    fallbackLocal: state.get('canonicalizefallbacklocal') as boolean,
    permittedCnames: state.get('canonicalizepermittedcnames') as readonly string[] | 'none' | undefined,
    family: (state.get('addressfamily') as AddressFamily | undefined) ?? 'any',
    direct: target.proxied === undefined ? configDirect : !target.proxied,
    canResolve: env.resolveHost !== undefined,
  };
}

/** Options whose values take tokens, with the letters each accepts, and whether `${VAR}` works. */
const EXPANDING: Readonly<Record<string, { letters: string; env: boolean; tilde: boolean }>> = {
  certificatefile: { letters: 'CdhijklLnpru', env: true, tilde: true },
  identityfile: { letters: 'CdhijklLnpru', env: true, tilde: true },
  identityagent: { letters: 'CdhijklLnpru', env: true, tilde: true },
  userknownhostsfile: { letters: 'CdhijklLnpru', env: true, tilde: true },
  remotecommand: { letters: 'CdhijklLnpru', env: false, tilde: false },
  proxycommand: { letters: 'hnpr', env: false, tilde: false },
};

/** LocalForward/RemoteForward: tokens and ${VAR} in Unix-domain socket paths only. */
function expandForwards(slot: Slot, tokens: TokenTable, env: HostEnvironment): unknown {
  const table = pickTokens(tokens, 'CdhijklLnpru');
  return (slot.value as ForwardSpec[]).map((f, i) => {
    const at = slot.sources[i] ?? (slot.sources[0] as SettingSource);
    const one = (p: string): string => {
      const x = expandTokens(p, table, env.env);
      if (typeof x !== 'string') throw new ConfigParseError(at.file, at.line, `${slot.spec.name}: ${x.message}`);
      return x;
    };
    return {
      ...f,
      ...(f.listenPath !== undefined ? { listenPath: one(f.listenPath) } : {}),
      ...(f.connectPath !== undefined ? { connectPath: one(f.connectPath) } : {}),
    };
  });
}

/** ForwardAgent's socket path: ~, tokens and ${VAR}, as ssh.c expands it after reading the config. */
function expandAgentPath(slot: Slot, tokens: TokenTable, env: HostEnvironment, homes: ReadonlyMap<string, string | undefined>): unknown {
  const v = slot.value as ForwardAgentValue;
  if (v.path === undefined) return v;
  const t = tildeExpand(v.path, env.homeDir, homes);
  const x = typeof t === 'string' ? expandTokens(t, pickTokens(tokens, 'CdhijklLnpru'), env.env) : t;
  if (typeof x !== 'string') {
    const at = slot.sources.find((s) => flagWord(s.args[0] ?? '') === undefined) ?? (slot.sources[0] as SettingSource);
    throw new ConfigParseError(at.file, at.line, `${slot.spec.name}: ${x.message}`);
  }
  return { ...v, path: x };
}

/** The values of `key` that ssh passes through tilde_expand_filename (the accounts `~user` names are looked up first). */
function tildePaths(key: string, slot: Slot): readonly string[] {
  if (key === 'forwardagent') {
    const p = (slot.value as ForwardAgentValue).path;
    return p === undefined ? [] : [p];
  }
  if (EXPANDING[key]?.tilde !== true) return [];
  return Array.isArray(slot.value) ? (slot.value as string[]) : [slot.value as string];
}

function expandSetting(key: string, slot: Slot, tokens: TokenTable, env: HostEnvironment, homes: ReadonlyMap<string, string | undefined>): unknown {
  if (key === 'localforward' || key === 'remoteforward') return expandForwards(slot, tokens, env);
  if (key === 'forwardagent') return expandAgentPath(slot, tokens, env, homes);
  const rule = EXPANDING[key];
  if (!rule) return slot.value;
  const table = pickTokens(tokens, rule.letters);
  const one = (v: string, at: SettingSource): string => {
    if (key === 'identityagent' && (v === 'none' || v === 'SSH_AUTH_SOCK')) return v;
    const t = rule.tilde ? tildeExpand(v, env.homeDir, homes) : v;
    const x = typeof t === 'string' ? expandTokens(t, table, rule.env ? env.env : undefined) : t;
    if (typeof x !== 'string') throw new ConfigParseError(at.file, at.line, `${slot.spec.name}: ${x.message}`);
    return x;
  };
  const first = slot.sources[0] as SettingSource;
  if (Array.isArray(slot.value)) return slot.value.map((v, i) => one(v as string, slot.sources[i] ?? first));
  return one(slot.value as string, first);
}

function* resolveTask(config: ClientConfig, target: ClientTarget, env: HostEnvironment): HostTask<ResolvedClientConfig> {
  if (target.port !== undefined && (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)) {
    throw new ConfigParseError('', 0, `bad port ${target.port}`);
  }
  if (!validHostname(target.host)) throw new ConfigParseError('', 0, `hostname contains invalid characters: ${JSON.stringify(target.host)}`);
  if (target.user !== undefined && !validRemoteUser(target.user)) {
    throw new ConfigParseError('', 0, `remote username contains invalid characters: ${JSON.stringify(target.user)}`);
  }
  const state = new State();
  const cmdline: ConfigLine = { file: '<command line>', line: 0, keyword: '', keywordAsWritten: '', args: [], rest: '' };
  if (target.port !== undefined) {
    state.apply(CLIENT_KEYWORDS.get('port') as ClientKeyword, target.port, { ...cmdline, keyword: 'port', keywordAsWritten: 'Port', args: [String(target.port)] });
  }
  if (target.user !== undefined) {
    state.apply(CLIENT_KEYWORDS.get('user') as ClientKeyword, target.user, { ...cmdline, keyword: 'user', keywordAsWritten: 'User', args: [target.user] });
  }
  const pass1: PassContext = { env, target, host: target.host, finalPass: false, wantFinal: false };
  for (const d of config.documents) yield* walk(d, state, pass1, true, false);

  let host = target.host;
  const hnSlot = state.slots.get('hostname');
  if (hnSlot) {
    const x = expandTokens(hnSlot.value as string, { h: target.host });
    const at = hnSlot.sources[0] as SettingSource;
    if (typeof x !== 'string') throw new ConfigParseError(at.file, at.line, `HostName: ${x.message}`);
    host = x;
  }
  host = host.toLowerCase();
  // ssh fills these before deciding on a final pass, so a final pass cannot change them.
  for (const [key, value] of [['canonicalizemaxdots', 1], ['canonicalizefallbacklocal', true], ['canonicalizehostname', 'no']] as const) {
    if (!state.has(key)) state.slots.set(key, { spec: CLIENT_KEYWORDS.get(key) as ClientKeyword, value, sources: [] });
  }
  const canon = state.get('canonicalizehostname');
  const named = host;
  host = yield* canonicalizeHost(host, canonicalizeSettings(state, target, env));
  let wantFinal = pass1.wantFinal || (canon !== undefined && canon !== 'no');
  if (wantFinal) {
    const src = hnSlot?.sources ?? [];
    state.slots.set('hostname', { spec: CLIENT_KEYWORDS.get('hostname') as ClientKeyword, value: host, sources: src });
    const pass2: PassContext = { env, target, host, finalPass: true, wantFinal: false };
    for (const d of config.documents) yield* walk(d, state, pass2, true, false);
    wantFinal = true;
  }

  state.finish();
  const port = (state.get('port') as number | undefined) ?? 22;
  const user = (state.get('user') as string | undefined) ?? env.localUser;
  const jump = state.get('proxyjump');
  const jumpSlot = state.slots.get('proxyjump');
  const tokens = clientTokens({
    host,
    originalHost: target.host,
    port,
    user,
    localUser: env.localUser,
    localUid: env.localUid,
    homeDir: env.homeDir,
    localHostname: env.localHostname,
    keyAlias: (state.get('hostkeyalias') as string | undefined) ?? target.host,
    jump: jump === undefined || jump === 'none' ? '' : ((jumpSlot?.sources[0]?.args[0] as string | undefined) ?? ''),
  });

  const homes = yield* homeDirsTask([...state.slots].flatMap(([key, slot]) => (slot.sources.length === 0 ? [] : tildePaths(key, slot))));
  const settings = new Map<string, ResolvedSetting>();
  for (const [key, slot] of state.slots) {
    if (slot.sources.length === 0 && key !== 'hostname') continue;
    const value = key === 'hostname' ? host : expandSetting(key, slot, tokens, env, homes);
    // ssh assembles HostKeyAlgorithms when it connects, and gives up on a list it cannot use.
    if (key === 'hostkeyalgorithms') {
      const problem = assembleProblem('key', value as string);
      const at = slot.sources[0] as SettingSource;
      if (problem !== undefined) throw new ConfigParseError(at.file, at.line, `${slot.spec.name}: ${problem}`);
    }
    settings.set(key, { keyword: slot.spec.name, value, sources: slot.sources });
  }
  const built = buildClientOptions(settings, { host, port, user, canonicalized: host !== named, envVar: (name) => env.env[name] });
  return {
    options: built.options,
    settings: built.settings,
    ignored: built.ignored,
    unknownIgnored: state.unknownIgnored,
    hostname: host,
    originalHost: target.host,
    port,
    user,
    finalPass: wantFinal,
  };
}

/** Resolves a parsed configuration for one destination (Match exec answered synchronously). */
export function resolveClientConfig(config: ClientConfig, target: ClientTarget, env: HostEnvironment): ResolvedClientConfig {
  return runSync(resolveTask(config, target, env), env);
}

/** Resolves a parsed configuration for one destination (Match exec may run asynchronously). */
export function resolveClientConfigAsync(config: ClientConfig, target: ClientTarget, env: HostEnvironment): Promise<ResolvedClientConfig> {
  return runAsync(resolveTask(config, target, env), env);
}
