/**
 * sshd_config as sshd reads it: the document read once (Includes followed, Match-only keywords
 * checked), then resolved per connection: global settings first-obtained-wins, settings from
 * matching Match blocks override them (servconf.c parse_server_match_config semantics).
 * sshd_config(5); OpenSSH 9.2 servconf.c.
 * @module
 */

import { readDocument, type ConfigDocument, type ConfigLine, type Dialect } from './document.ts';
import { assembleProblem, type AlgorithmListKind } from './algorithms.ts';
import { authMethodNames, type MaxStartupsLine } from './unused-values.ts';
import { homeDirsTask, runAsync, runSync, type HostEnvironment, type HostTask } from './environment.ts';
import { ConfigParseError } from './errors.ts';
import { evaluateServerMatch, parseServerMatch, type ServerConnection, type ServerCriterion, type ServerMatchCache } from './server-match.ts';
import { SERVER_KEYWORDS, type ServerAddressFamily, type ServerKeyword } from './server-keywords.ts';
import { expandTokens, tildeExpand, type TokenTable } from './tokens.ts';

export type { ServerConnection } from './server-match.ts';

export type ServerDocument = ConfigDocument<ServerKeyword, readonly ServerCriterion[]>;

export interface ServerConfig {
  readonly document: ServerDocument;
}

export interface ServerConfigSource {
  readonly text: string;
  readonly file: string;
  /** Directory relative Include paths are resolved in (default /etc/ssh). */
  readonly includeDir?: string;
}

const serverDialect: Dialect<ServerKeyword, readonly ServerCriterion[]> = {
  lookup: (k) => SERVER_KEYWORDS.get(k),
  parseValue: (spec, line, services) => {
    if (spec.obsolete) return line.args;
    if (spec.parse) return spec.parse(line, services);
    return spec.check ? spec.check(line, services) : line.args;
  },
  parseMatch: parseServerMatch,
  hasHost: false,
  checkIncludedFiles: false,
  skipMissingIncludes: false,
  deferUnknown: false,
};

function* readTask(sources: readonly ServerConfigSource[], env: HostEnvironment): HostTask<ServerConfig> {
  const documents: ServerDocument[] = [];
  for (const source of sources) {
    documents.push(
      yield* readDocument(source.text, { file: source.file, includeDir: source.includeDir ?? '/etc/ssh', allowTilde: true, expandTilde: false }, serverDialect, env),
    );
  }
  const [first] = documents;
  if (documents.length === 1 && first) return { document: first };
  // Several files are read as if a root file included each in turn: first obtained value wins
  // across them, and a Match block ends with its file.
  const at = (file: string): ConfigLine => ({ file: '', line: 0, keyword: 'include', keywordAsWritten: 'Include', args: [file], rest: file });
  return { document: { file: first?.file ?? '', entries: documents.map((d) => ({ kind: 'include' as const, at: at(d.file), documents: [d] })) } };
}

function list(sources: ServerConfigSource | readonly ServerConfigSource[]): readonly ServerConfigSource[] {
  return Array.isArray(sources) ? sources : [sources as ServerConfigSource];
}

/** Reads one sshd_config text, or several in order (as AsyncSSH reads a list of config files), and their Includes. */
export function parseServerConfig(sources: ServerConfigSource | readonly ServerConfigSource[], env: HostEnvironment): ServerConfig {
  return runSync(readTask(list(sources), env), env);
}

export function parseServerConfigAsync(sources: ServerConfigSource | readonly ServerConfigSource[], env: HostEnvironment): Promise<ServerConfig> {
  return runAsync(readTask(list(sources), env), env);
}

/** Options for listen() obtained from sshd_config (AsyncSSH's SSHServerConnectionOptions names, camelCase). */
export interface ServerConfigOptions {
  readonly family?: ServerAddressFamily;
  /** Every Port, in order. */
  readonly ports?: readonly number[];
  readonly agentForwarding?: boolean;
  /** AuthorizedKeysFile entries, unexpanded (%h %u %U %% are expanded per user at authentication; see expandServerTokens). */
  readonly authorizedClientKeys?: readonly string[] | null;
  readonly caSignatureAlgs?: string;
  readonly encryptionAlgs?: string;
  readonly keepaliveCountMax?: number;
  readonly keepaliveInterval?: number;
  readonly compressionAlgs?: string;
  readonly gssAuth?: boolean;
  readonly gssKex?: boolean;
  readonly hostBasedAuth?: boolean;
  readonly serverHostCerts?: readonly string[];
  readonly serverHostKeys?: readonly string[];
  readonly kbdintAuth?: boolean;
  readonly kexAlgs?: string;
  readonly loginTimeout?: number;
  readonly macAlgs?: string;
  readonly passwordAuth?: boolean;
  readonly allowPty?: boolean;
  readonly publicKeyAuth?: boolean;
  readonly rekeyBytes?: number;
  readonly rekeySeconds?: number;
  readonly tcpKeepalive?: boolean;
  readonly rdnsLookup?: boolean;
}

/** sshd_config keyword (lowercase) -> listen() option. */
export const SERVER_OPTION_MAP: Readonly<Record<string, keyof ServerConfigOptions>> = {
  addressfamily: 'family',
  port: 'ports',
  allowagentforwarding: 'agentForwarding',
  authorizedkeysfile: 'authorizedClientKeys',
  casignaturealgorithms: 'caSignatureAlgs',
  ciphers: 'encryptionAlgs',
  clientalivecountmax: 'keepaliveCountMax',
  clientaliveinterval: 'keepaliveInterval',
  compression: 'compressionAlgs',
  gssapiauthentication: 'gssAuth',
  gssapikeyexchange: 'gssKex',
  hostbasedauthentication: 'hostBasedAuth',
  hostcertificate: 'serverHostCerts',
  hostkey: 'serverHostKeys',
  kbdinteractiveauthentication: 'kbdintAuth',
  kexalgorithms: 'kexAlgs',
  logingracetime: 'loginTimeout',
  macs: 'macAlgs',
  passwordauthentication: 'passwordAuth',
  permittty: 'allowPty',
  pubkeyauthentication: 'publicKeyAuth',
  rekeylimit: 'rekeyBytes',
  tcpkeepalive: 'tcpKeepalive',
  usedns: 'rdnsLookup',
};

export interface ServerSettingSource {
  readonly file: string;
  readonly line: number;
  readonly keyword: string;
  readonly args: readonly string[];
}

export interface ResolvedServerSetting {
  readonly keyword: string;
  readonly option?: keyof ServerConfigOptions;
  readonly value: unknown;
  readonly sources: readonly ServerSettingSource[];
  /** Obtained from a Match block rather than the global section. */
  readonly fromMatch: boolean;
}

export interface ResolvedServerConfig {
  readonly options: ServerConfigOptions;
  readonly settings: ReadonlyMap<string, ResolvedServerSetting>;
  readonly ignored: readonly ResolvedServerSetting[];
}

interface Slot {
  spec: ServerKeyword;
  value: unknown;
  sources: ServerSettingSource[];
}

/** The rate sshd's MaxStartups has until a line sets one (its default is 10:30:100). */
const DEFAULT_MAX_STARTUPS_RATE = 30;

/** sshd's MAX_PORTS: more Port lines are refused. */
const MAX_PORTS = 256;
/** sshd's MAX_SUBSYSTEMS: more Subsystem lines are refused. */
const MAX_SUBSYSTEMS = 256;

function apply(slots: Map<string, Slot>, spec: ServerKeyword, value: unknown, at: ConfigLine): void {
  const src = { file: at.file, line: at.line, keyword: at.keywordAsWritten, args: at.args };
  const cur = slots.get(spec.key);
  if (spec.combine === 'rekey') {
    // The byte limit and the interval are obtained (and copied from Match) separately.
    const v = value as { bytes: number; seconds?: number };
    const c = (cur?.value ?? {}) as { bytes?: number; seconds?: number };
    if (c.bytes !== undefined && (c.seconds !== undefined || v.seconds === undefined)) return;
    const seconds = c.seconds ?? v.seconds;
    slots.set(spec.key, { spec, value: { bytes: c.bytes ?? v.bytes, ...(seconds !== undefined ? { seconds } : {}) }, sources: [...(cur?.sources ?? []), src] });
    return;
  }
  if (spec.combine === 'last') {
    // sshd reads MaxStartups into its three fields: `start` alone leaves the rate an earlier line set.
    if (spec.key === 'maxstartups') {
      const m = value as MaxStartupsLine;
      value = { start: m.start, rate: m.rate ?? (cur?.value as MaxStartupsLine | undefined)?.rate ?? DEFAULT_MAX_STARTUPS_RATE, full: m.full };
    }
    slots.set(spec.key, { spec, value, sources: [src] });
    return;
  }
  if (spec.combine === 'first') {
    if (!cur) slots.set(spec.key, { spec, value, sources: [src] });
    return;
  }
  const add = Array.isArray(value) && spec.parse === undefined ? (value as unknown[]) : [value];
  // Grown in place (the slot owns its lists; `add` belongs to the document and is only read):
  // copying them for every line made many lines of one keyword quadratic.
  if (!cur) {
    slots.set(spec.key, { spec, value: [...add], sources: [src] });
    return;
  }
  const items = cur.value as unknown[];
  if (spec.key === 'port' && items.length + add.length > MAX_PORTS) throw new ConfigParseError(at.file, at.line, 'too many ports.');
  if (spec.key === 'subsystem') {
    const name = (value as readonly string[])[0] as string;
    if (items.length >= MAX_SUBSYSTEMS) throw new ConfigParseError(at.file, at.line, 'too many subsystems defined.');
    if (items.some((s) => (s as readonly string[])[0] === name)) throw new ConfigParseError(at.file, at.line, `Subsystem '${name}' already defined.`);
  }
  for (const v of add) items.push(v);
  cur.sources.push(src);
}

/**
 * AuthenticationMethods `any`: sshd refuses it once the pass holds a value (`any` included, even
 * on a line that does not apply), and after a method on a line that applies (whose methods it
 * has just taken).
 */
function checkAnyAlone(at: ConfigLine, slots: ReadonlyMap<string, Slot>, active: boolean): void {
  const i = at.args.indexOf('any');
  if (i < 0) return;
  if (slots.has('authenticationmethods') || (active && i > 0)) {
    throw new ConfigParseError(at.file, at.line, `"any" must appear alone in ${at.keywordAsWritten}`);
  }
}

/** The methods of AuthenticationMethods and the keywords that enable them (with sshd's defaults). */
const METHOD_ENABLED_BY: Readonly<Record<string, readonly [keyword: string, byDefault: boolean]>> = {
  publickey: ['pubkeyauthentication', true],
  password: ['passwordauthentication', true],
  'keyboard-interactive': ['kbdinteractiveauthentication', true],
  hostbased: ['hostbasedauthentication', false],
  'gssapi-with-mic': ['gssapiauthentication', false],
  'gssapi-keyex': ['gssapiauthentication', false],
};

/**
 * What sshd checks on its global settings once it has read them: one AuthenticationMethods list
 * at least must use enabled methods only, and a command to find keys or principals needs the
 * user to run it as.
 */
function checkGlobalSettings(global: ReadonlyMap<string, Slot>): void {
  const fail = (slot: Slot, detail: string): never => {
    const at = slot.sources[0] as ServerSettingSource;
    throw new ConfigParseError(at.file, at.line, detail);
  };
  const methods = global.get('authenticationmethods');
  const lists = (methods?.value ?? []) as readonly string[];
  if (methods && lists[0] !== 'any') {
    const enabled = (m: string): boolean => {
      const by = METHOD_ENABLED_BY[m];
      if (by === undefined) return true;
      const v = global.get(by[0])?.value;
      return typeof v === 'boolean' ? v : by[1];
    };
    if (!lists.some((l) => (authMethodNames(l) ?? []).every(enabled))) fail(methods, 'AuthenticationMethods cannot be satisfied by enabled authentication methods');
  }
  for (const k of ['AuthorizedKeysCommand', 'AuthorizedPrincipalsCommand']) {
    const command = global.get(k.toLowerCase());
    const value = (command?.value as readonly string[] | undefined)?.[0];
    if (command && value?.toLowerCase() !== 'none' && !global.has(`${k.toLowerCase()}user`)) fail(command, `${k} set without ${k}User`);
  }
}

/**
 * One pass over the document. `conn` undefined is sshd's start-up parse (global lines active,
 * only `Match all` matches, keywords that Match does not allow are refused on inactive lines);
 * otherwise the per-connection reprocessing, where global lines are inactive and Includes met
 * before the first Match keep their Match blocks live (SSHCFG_MATCH_ONLY) while Includes inside
 * a non-matching Match never match (SSHCFG_NEVERMATCH).
 */
function* walk(
  doc: ServerDocument,
  slots: Map<string, Slot>,
  conn: ServerConnection | undefined,
  startActive: boolean,
  neverMatch: boolean,
  matchOnly: boolean,
  cache: ServerMatchCache,
): HostTask<void> {
  let active = startActive;
  let beforeMatch = matchOnly;
  for (const e of doc.entries) {
    switch (e.kind) {
      case 'match': {
        beforeMatch = false;
        const m = yield* evaluateServerMatch(e.criteria, conn, cache);
        active = !neverMatch && m;
        break;
      }
      case 'include':
        for (const d of e.documents) {
          if (beforeMatch) yield* walk(d, slots, conn, active, false, true, cache);
          else yield* walk(d, slots, conn, active, neverMatch || !active, false, cache);
        }
        break;
      case 'option':
        if (conn === undefined && !active && !e.spec.inMatch) {
          throw new ConfigParseError(e.at.file, e.at.line, `Directive '${e.at.keywordAsWritten}' is not allowed within a Match block`);
        }
        if (e.spec.key === 'authenticationmethods') checkAnyAlone(e.at, slots, active);
        if (active && !e.spec.obsolete) apply(slots, e.spec, e.value, e.at);
        break;
      case 'host':
      case 'unknown':
        throw new ConfigParseError(e.at.file, e.at.line, `Bad configuration option: ${e.at.keyword}`);
    }
  }
}

/**
 * Keywords whose file names sshd passes through tilde_expand_filename when it reads them (HostKey
 * and HostCertificate by way of derelativise_path; AuthorizedKeysFile directly): `~` and `~user`
 * are the home directories of sshd's user and of `user`.
 */
const TILDE_PATHS: ReadonlySet<string> = new Set(['hostkey', 'hostcertificate', 'authorizedkeysfile']);

/** The algorithm lists sshd assembles (servconf.c assemble_algorithms), by kind of name. */
const ASSEMBLED_LISTS: Readonly<Record<string, AlgorithmListKind>> = {
  ciphers: 'cipher',
  macs: 'mac',
  kexalgorithms: 'kex',
  hostkeyalgorithms: 'key',
  pubkeyacceptedalgorithms: 'key',
  hostbasedacceptedalgorithms: 'key',
  casignaturealgorithms: 'ca',
};

function* resolveTask(config: ServerConfig, conn: ServerConnection, homeDir: string): HostTask<ResolvedServerConfig> {
  const global = new Map<string, Slot>();
  yield* walk(config.document, global, undefined, true, false, false, {});
  checkGlobalSettings(global);
  const matched = new Map<string, Slot>();
  // One connection, one user: the groups are asked for once, not once per Match Group line.
  yield* walk(config.document, matched, conn, false, false, true, {});
  const settings = new Map<string, ResolvedServerSetting>();
  const ignored: ResolvedServerSetting[] = [];
  const o: Record<string, unknown> = {};
  const keys = new Set([...global.keys(), ...matched.keys()]);
  const tildeSlots = [...TILDE_PATHS].flatMap((k) => [global.get(k), matched.get(k)]).filter((x): x is Slot => x !== undefined);
  const homes = yield* homeDirsTask(tildeSlots.flatMap((slot) => slot.value as string[]));
  for (const key of keys) {
    // Only keywords allowed in Match are taken from Match blocks (copy_set_server_options).
    const m = matched.get(key);
    const g = global.get(key);
    const fromMatch = m !== undefined && m.spec.inMatch;
    if (!fromMatch && g === undefined) continue;
    let slot = (fromMatch ? m : g) as Slot;
    if (key === 'rekeylimit' && fromMatch && g) {
      const mv = m.value as { bytes: number; seconds?: number };
      const gv = g.value as { bytes: number; seconds?: number };
      const seconds = mv.seconds ?? gv.seconds;
      slot = { spec: m.spec, value: { bytes: mv.bytes, ...(seconds !== undefined ? { seconds } : {}) }, sources: [...m.sources, ...g.sources] };
    }
    if (TILDE_PATHS.has(key)) {
      const value = (slot.value as string[]).map((p, i) => {
        const x = tildeExpand(p, homeDir, homes);
        // HostKey and HostCertificate keep one line per file; AuthorizedKeysFile's files share one.
        const at = (slot.sources[i] ?? slot.sources[0]) as ServerSettingSource;
        if (typeof x !== 'string') throw new ConfigParseError(at.file, at.line, `${slot.spec.name}: ${x.message}`);
        return x;
      });
      slot = { ...slot, value };
    }
    const listKind = Object.hasOwn(ASSEMBLED_LISTS, key) ? ASSEMBLED_LISTS[key] : undefined;
    if (listKind !== undefined) {
      // sshd assembles its algorithm lists when it starts, and refuses one it cannot use.
      const v = slot.value;
      const problem = assembleProblem(listKind, (Array.isArray(v) ? v[0] : v) as string);
      const at = slot.sources[0] as ServerSettingSource;
      if (problem !== undefined) throw new ConfigParseError(at.file, at.line, `${slot.spec.name}: ${problem}`);
    }
    const option = SERVER_OPTION_MAP[key];
    const s: ResolvedServerSetting = { keyword: slot.spec.name, value: slot.value, sources: slot.sources, fromMatch, ...(option ? { option } : {}) };
    settings.set(key, s);
    if (!option) {
      ignored.push(s);
      continue;
    }
    const v = slot.value;
    switch (key) {
      case 'rekeylimit': {
        const r = v as { bytes: number; seconds?: number };
        o.rekeyBytes = r.bytes;
        if (r.seconds !== undefined) o.rekeySeconds = r.seconds;
        break;
      }
      case 'authorizedkeysfile': {
        const files = v as string[];
        o.authorizedClientKeys = files.length === 1 && files[0]?.toLowerCase() === 'none' ? null : files;
        break;
      }
      case 'compression':
        o.compressionAlgs = v === true ? 'zlib@openssh.com,zlib,none' : 'none,zlib@openssh.com,zlib';
        break;
      default:
        o[option] = v;
    }
  }
  return { options: o as ServerConfigOptions, settings, ignored };
}

/** Resolves sshd_config for one connection (Match Group asks the environment synchronously). */
export function resolveServerConfig(config: ServerConfig, conn: ServerConnection, env: HostEnvironment): ResolvedServerConfig {
  return runSync(resolveTask(config, conn, env.homeDir), env);
}

export function resolveServerConfigAsync(config: ServerConfig, conn: ServerConnection, env: HostEnvironment): Promise<ResolvedServerConfig> {
  return runAsync(resolveTask(config, conn, env.homeDir), env);
}

/**
 * Expands the tokens sshd allows in AuthorizedKeysFile / AuthorizedPrincipalsFile (%%, %h home,
 * %U uid, %u user) and makes a relative result relative to the home directory, as sshd does at
 * authentication time.
 */
export function expandAuthorizedKeysPath(path: string, user: { name: string; uid: number; homeDir: string }): string {
  const table: TokenTable = { h: user.homeDir, U: String(user.uid), u: user.name };
  const x = expandTokens(path, table);
  if (typeof x !== 'string') throw new ConfigParseError('', 0, `AuthorizedKeysFile ${JSON.stringify(path)}: ${x.message}`);
  if (x.startsWith('/')) return x;
  return `${user.homeDir.replace(/\/+$/, '')}/${x}`;
}
