/**
 * OpenSSH server configuration for listen(), runServer() and connectReverse() (AsyncSSH's
 * `config` of SSHServerConnectionOptions): sshd_config files read once per listener with
 * @ssh/config, resolved for each connection (Match Address, LocalAddress, LocalPort, Host when it
 * is accepted, Match User and Group again once the user name is known), filling in what the
 * caller's options leave unset. Explicit options always win, as in AsyncSSH. sshd_config(5).
 * @module
 */

import { readFile } from 'node:fs/promises';
import {
  ConfigParseError,
  expandTokens,
  resolveServerConfigAsync,
  type ConfigDocument,
  type HostEnvironment,
  type ResolvedServerConfig,
  type ServerConfig as ParsedServerConfig,
  type ServerConfigOptions,
  type ServerConnection,
  type ServerKeyword,
} from '@ssh/config';
import { lookupAccount, nodeEnvironmentAsync, readServerConfig, type LocalAccount } from '@ssh/config/node';
import type { Registry } from '@ssh/crypto';
import { importAuthorizedKeys, type SSHAuthorizedKeys } from '@ssh/keys';
import type { SSHLogger } from './logging.ts';
import { caSignatureAlgorithms } from './options.ts';
import type { SSHServerConnectionOptions } from './server.ts';

/** Server options an sshd_config may supply (the subset of SSHServerConnectionOptions it maps to). */
export type ConfigurableServerOptions = Pick<
  SSHServerConnectionOptions,
  | 'kexAlgs'
  | 'encryptionAlgs'
  | 'macAlgs'
  | 'compressionAlgs'
  | 'caSignatureAlgs'
  | 'rekeyBytes'
  | 'rekeySeconds'
  | 'loginTimeout'
  | 'keepaliveInterval'
  | 'keepaliveCountMax'
  | 'tcpKeepalive'
  | 'serverHostKeys'
  | 'serverHostCerts'
  | 'authorizedClientKeys'
  | 'publicKeyAuth'
  | 'passwordAuth'
  | 'kbdintAuth'
  | 'hostBasedAuth'
  | 'gssAuth'
  | 'gssKex'
  | 'allowPty'
  | 'agentForwarding'
  | 'rdnsLookup'
  | 'family'
>;

/** sshd_config keywords (lowercase) whose values our server applies. */
export const APPLIED_SERVER_KEYWORDS: ReadonlySet<string> = new Set([
  'addressfamily',
  'allowagentforwarding',
  'authorizedkeysfile',
  'casignaturealgorithms',
  'ciphers',
  'clientalivecountmax',
  'clientaliveinterval',
  'compression',
  'gssapiauthentication',
  'gssapikeyexchange',
  'hostbasedauthentication',
  'hostcertificate',
  'hostkey',
  'kbdinteractiveauthentication',
  'kexalgorithms',
  'logingracetime',
  'macs',
  'passwordauthentication',
  'permittty',
  'port',
  'pubkeyauthentication',
  'rekeylimit',
  'tcpkeepalive',
  'usedns',
]);

/** A server config read once for a listener (or one runServer / connectReverse call). */
export interface ServerConfigFile {
  readonly parsed: ParsedServerConfig;
  readonly env: HostEnvironment;
  /** What the global section says (sshd's start-up view); every keyword Match may not change comes from here. */
  readonly global: ResolvedServerConfig;
}

type Document = ConfigDocument<ServerKeyword, unknown>;

function* optionLines(doc: Document): Generator<{ keyword: string; value: unknown; file: string; line: number }> {
  for (const e of doc.entries) {
    if (e.kind === 'option') yield { keyword: e.spec.key, value: e.value, file: e.at.file, line: e.at.line };
    else if (e.kind === 'include') for (const d of e.documents) yield* optionLines(d);
  }
}

function located(file: string, line: number, keyword: string, e: unknown): ConfigParseError {
  return new ConfigParseError(file, line, `${keyword}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Token values that only check whether an AuthorizedKeysFile entry expands at all. */
const PROBE_TOKENS = { h: '/', U: '0', u: 'u' };

/**
 * Reads the config files and checks, once, what would otherwise only fail for some connection:
 * every line's syntax and Includes (in @ssh/config), keywords Match may not hold, algorithm names
 * (also inside Match blocks) and AuthorizedKeysFile tokens. Throws ConfigParseError naming the file
 * and line.
 */
export async function readServerConfigFile(paths: string | readonly string[], registry: Registry): Promise<ServerConfigFile> {
  const env = nodeEnvironmentAsync();
  const parsed = await readServerConfig(paths, { environment: env });
  // sshd's start-up pass: refuses a keyword that Match may not hold inside a Match block.
  const global = await resolveServerConfigAsync(parsed, {}, env);
  const kinds: Readonly<Record<string, 'kex' | 'cipher' | 'mac'>> = { kexalgorithms: 'kex', ciphers: 'cipher', macs: 'mac' };
  for (const o of optionLines(parsed.document as Document)) {
    const kind = kinds[o.keyword];
    try {
      if (kind !== undefined) registry.parseList(kind, o.value as string);
      else if (o.keyword === 'casignaturealgorithms') caSignatureAlgorithms(o.value as string);
    } catch (e) {
      throw located(o.file, o.line, o.keyword, e);
    }
    if (o.keyword === 'authorizedkeysfile') {
      for (const entry of o.value as string[]) {
        const x = expandTokens(entry, PROBE_TOKENS);
        if (typeof x !== 'string') throw new ConfigParseError(o.file, o.line, `AuthorizedKeysFile ${JSON.stringify(entry)}: ${x.message}`);
      }
    }
  }
  return { parsed, env, global };
}

/** sshd's AddressFamily as the `family` option. */
const FAMILY = { any: 0, inet: 4, inet6: 6 } as const;

/**
 * The options of the global section that are the same for every connection (sshd allows none of
 * them in Match), under the explicit ones. Compression follows sshd: `no` offers no compression at
 * all, `yes` / `delayed` prefers zlib@openssh.com.
 */
export function listenerOptions<O extends ConfigurableServerOptions>(options: O, file: ServerConfigFile): O {
  const c: ServerConfigOptions = file.global.options;
  const out: Record<string, unknown> = {};
  const take = (key: keyof ConfigurableServerOptions, value: unknown): void => {
    if (options[key] === undefined && value !== undefined) out[key] = value;
  };
  take('kexAlgs', c.kexAlgs);
  take('encryptionAlgs', c.encryptionAlgs);
  take('macAlgs', c.macAlgs);
  const compression = file.global.settings.get('compression')?.value;
  if (compression !== undefined) take('compressionAlgs', compression === true ? 'zlib@openssh.com,zlib,none' : 'none');
  take('loginTimeout', c.loginTimeout);
  take('tcpKeepalive', c.tcpKeepalive);
  take('rdnsLookup', c.rdnsLookup);
  take('gssKex', c.gssKex);
  take('family', c.family === undefined ? undefined : FAMILY[c.family]);
  if (c.serverHostKeys !== undefined && c.serverHostKeys.length > 0) take('serverHostKeys', c.serverHostKeys);
  if (c.serverHostCerts !== undefined && c.serverHostCerts.length > 0) take('serverHostCerts', c.serverHostCerts);
  return { ...options, ...out };
}

/** The ports the global section lists (sshd listens on each), if any. */
export function configPorts(file: ServerConfigFile): readonly number[] | undefined {
  const ports = file.global.options.ports;
  return ports !== undefined && ports.length > 0 ? ports : undefined;
}

/** What a server connection does that Match may change: decided per connection, then per user. */
export interface ConnectionPolicy {
  readonly publicKeyAuth: boolean;
  readonly passwordAuth: boolean;
  readonly kbdintAuth: boolean;
  readonly hostBasedAuth: boolean;
  /** gssapi-with-mic: false off; otherwise on when a keytab allows it. */
  readonly gssAuth: boolean | undefined;
  readonly allowPty: boolean;
  readonly agentForwarding: boolean;
  readonly keepaliveInterval: number | string | undefined;
  readonly keepaliveCountMax: number | undefined;
  readonly rekeyBytes: number | string | undefined;
  readonly rekeySeconds: number | string | undefined;
  readonly caSignatureAlgorithms: readonly string[];
  /** AuthorizedKeysFile entries, unexpanded; null for `none`; undefined when the config names none (or authorizedClientKeys was given). */
  readonly authorizedKeysFiles: readonly string[] | null | undefined;
}

/**
 * The policy from the explicit options (always first) and a resolved config (then), else the
 * defaults. `resolved` undefined: no config, the options alone. `caFromOptions` is what
 * `caSignatureAlgs` already gave, so that a connection the config does not change parses nothing.
 */
export function connectionPolicy(
  options: ConfigurableServerOptions,
  resolved: ResolvedServerConfig | undefined,
  caFromOptions?: readonly string[],
): ConnectionPolicy {
  const c: ServerConfigOptions = resolved?.options ?? {};
  const first = <T>(explicit: T | undefined, fromConfig: T | undefined): T | undefined => (explicit !== undefined ? explicit : fromConfig);
  // sshd: ClientAliveCountMax 0 never drops the client; our count has to be positive.
  const countMax = c.keepaliveCountMax === 0 ? 0xffff_ffff : c.keepaliveCountMax;
  return {
    publicKeyAuth: first(options.publicKeyAuth, c.publicKeyAuth) !== false,
    passwordAuth: first(options.passwordAuth, c.passwordAuth) !== false,
    kbdintAuth: first(options.kbdintAuth, c.kbdintAuth) !== false,
    hostBasedAuth: first(options.hostBasedAuth, c.hostBasedAuth) !== false,
    gssAuth: first(options.gssAuth, c.gssAuth),
    allowPty: first(options.allowPty, c.allowPty) !== false,
    agentForwarding: first(options.agentForwarding, c.agentForwarding) === true,
    keepaliveInterval: first(options.keepaliveInterval, c.keepaliveInterval),
    keepaliveCountMax: first(options.keepaliveCountMax, countMax),
    // RekeyLimit's `default` (0 bytes) and a 0 or `none` interval leave our defaults.
    rekeyBytes: first(options.rekeyBytes, c.rekeyBytes === 0 ? undefined : c.rekeyBytes),
    rekeySeconds: first(options.rekeySeconds, c.rekeySeconds === 0 ? undefined : c.rekeySeconds),
    caSignatureAlgorithms:
      options.caSignatureAlgs === undefined && c.caSignatureAlgs !== undefined
        ? caSignatureAlgorithms(c.caSignatureAlgs)
        : (caFromOptions ?? caSignatureAlgorithms(options.caSignatureAlgs)),
    authorizedKeysFiles: options.authorizedClientKeys !== undefined ? undefined : c.authorizedClientKeys,
  };
}

/** Resolves the config for one connection (undefined fields never match, as with `sshd -T -C`). */
export function resolveFor(file: ServerConfigFile, connection: ServerConnection): Promise<ResolvedServerConfig> {
  return resolveServerConfigAsync(file.parsed, connection, file.env);
}

/** The longest file name (one path component) Linux and the BSDs allow, in bytes. */
const NAME_MAX = 255;

/**
 * Whether `user` may stand for %u in a file name. A name with a path separator or a leading `~`,
 * or `.` / `..`, would reach files outside the ones the pattern names (AsyncSSH's
 * CVE-2026-45309 and CVE-2026-54590): such a user gets no keys from AuthorizedKeysFile. Nor does
 * one no file can have (control characters, longer than NAME_MAX): the client chose it, and the
 * error for its path would carry it into a warning as sent, line breaks and all.
 */
export function safeForPath(user: string): boolean {
  if (user === '' || user === '.' || user === '..' || user.startsWith('~')) return false;
  return !/[/\\\p{Cc}]/u.test(user) && Buffer.byteLength(user, 'utf8') <= NAME_MAX;
}

/** A user name the client chose, quoted and cut short for the log. */
function loggedName(user: string): string {
  return JSON.stringify(user.length > 64 ? `${user.slice(0, 64)}...` : user);
}

/**
 * The files AuthorizedKeysFile names for `user`, as sshd expands them: `%%`, `%u`, and with the
 * user's local account `%h` and `%U`; a relative path is relative to that account's home. Without
 * an account, entries that need one are left out.
 */
export function authorizedKeysPaths(entries: readonly string[], user: string, account: LocalAccount | undefined): string[] {
  const tokens = account ? { h: account.homeDir, U: String(account.uid), u: user } : { u: user };
  const out: string[] = [];
  for (const entry of entries) {
    const x = expandTokens(entry, tokens);
    if (typeof x !== 'string') continue;
    if (x.startsWith('/')) out.push(x);
    else if (account) out.push(`${account.homeDir.replace(/\/+$/, '')}/${x}`);
  }
  return out;
}

/** Whether an entry needs the user's account (a relative path, `%h` or `%U`). */
function needsAccount(entry: string): boolean {
  return !entry.startsWith('/') || /%[hU]/.test(entry.replace(/%%/g, ''));
}

/**
 * The authorized keys AuthorizedKeysFile gives `user`: the files read now (so edits count at the
 * next login, as with sshd), missing ones skipped; undefined when there are none.
 */
export async function loadUserAuthorizedKeys(entries: readonly string[], user: string, logger: SSHLogger): Promise<SSHAuthorizedKeys | undefined> {
  if (!safeForPath(user)) {
    logger.info(`no AuthorizedKeysFile keys for user name ${loggedName(user)}: not usable in a file name`);
    return undefined;
  }
  const account = entries.some(needsAccount) ? await lookupAccount(user) : undefined;
  const texts: string[] = [];
  for (const path of authorizedKeysPaths(entries, user, account)) {
    try {
      texts.push(await readFile(path, 'utf8'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') logger.debug1(`AuthorizedKeysFile ${path}: not found`);
      else logger.warning(`AuthorizedKeysFile ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return texts.length > 0 ? importAuthorizedKeys(texts.join('\n')) : undefined;
}

/** The keywords the config sets that our server does not apply, for the debug log. */
export function ignoredKeywords(file: ServerConfigFile): string[] {
  const out: string[] = [];
  for (const o of optionLines(file.parsed.document as Document)) {
    if (!APPLIED_SERVER_KEYWORDS.has(o.keyword) && !out.includes(o.keyword)) out.push(o.keyword);
  }
  return out;
}
