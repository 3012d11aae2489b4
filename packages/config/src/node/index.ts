/**
 * Node host environment for @ssh/config: files through node:fs, Include globs, Match exec
 * through the user's shell, service names from /etc/services, loadClientConfig/readServerConfig/loadServerConfig conveniences, and
 * the local account lookup sshd's AuthorizedKeysFile expansion needs.
 * @module
 */

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { HostEnvironment } from '../environment.ts';
import { ConfigParseError } from '../errors.ts';
import {
  parseClientConfigAsync,
  resolveClientConfigAsync,
  type ClientConfigSource,
  type ClientTarget,
  type ResolvedClientConfig,
} from '../client.ts';
import {
  parseServerConfigAsync,
  resolveServerConfigAsync,
  type ServerConfig,
  type ServerConfigSource,
  type ServerConnection,
  type ResolvedServerConfig,
} from '../server.ts';
import { globAsync, globSync } from './glob.ts';

export { globSync, globAsync } from './glob.ts';

/** Overrides for the Node environment (tests point these at temporary directories). */
export interface NodeEnvironmentOptions {
  readonly localUser?: string;
  readonly localUid?: number;
  readonly homeDir?: string;
  readonly localHostname?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Shell for Match exec (default $SHELL, else /bin/sh). */
  readonly shell?: string;
  /** Match exec time limit in milliseconds (default 30 s); a command that runs over fails. */
  readonly execTimeoutMs?: number;
  /**
   * Host name look-ups for CanonicalizeHostname (HostEnvironment.resolveHost). None by default:
   * this package does no DNS; `@ssh/asyncssh`'s connect() passes one built on node:dns.
   */
  readonly resolveHost?: HostEnvironment['resolveHost'];
  /** The services(5) file service names are looked up in (default /etc/services). */
  readonly servicesFile?: string;
}

/** The TCP services of each services(5) file read, by path: each is read once, when first needed. */
const serviceTables = new Map<string, ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>>>();

/**
 * The TCP entries of a services(5) file: `name port/protocol [aliases...] [# comment]`, name and
 * aliases to port, the first entry for a name winning (as getservbyname's file look-up answers).
 */
function parseServices(text: string): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, portProto, ...aliases] = (line.split('#')[0] as string).split(/[ \t]+/).filter(Boolean);
    const m = portProto === undefined ? null : /^(\d+)\/tcp$/.exec(portProto);
    const port = m ? Number(m[1]) : NaN;
    if (name === undefined || !(port <= 65535)) continue;
    for (const n of [name, ...aliases]) if (!out.has(n)) out.set(n, port);
  }
  return out;
}

const EMPTY_SERVICES: ReadonlyMap<string, number> = new Map();

function servicesSync(path: string): ReadonlyMap<string, number> {
  const known = serviceTables.get(path);
  if (known instanceof Map) return known;
  let table = EMPTY_SERVICES;
  try {
    table = parseServices(readFileSync(path, 'utf8'));
  } catch {
    // no services file: no service names
  }
  serviceTables.set(path, table);
  return table;
}

function servicesAsync(path: string): ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>> {
  let table = serviceTables.get(path);
  if (table === undefined) {
    table = readFile(path, 'utf8').then(parseServices, () => EMPTY_SERVICES);
    serviceTables.set(path, table);
    void table.then((t) => serviceTables.set(path, t));
  }
  return table;
}

function base(o: NodeEnvironmentOptions) {
  const u = userInfo();
  const env = o.env ?? process.env;
  // glob(3) expands Include's ~ from $HOME (the password database when it is unset or empty);
  // a home directory given here stands for both.
  const envHome = env['HOME'];
  return {
    localUser: o.localUser ?? u.username,
    localUid: o.localUid ?? u.uid,
    homeDir: o.homeDir ?? u.homedir,
    includeHomeDir: o.homeDir ?? (envHome !== undefined && envHome !== '' ? envHome : u.homedir),
    localHostname: o.localHostname ?? hostname(),
    env,
    shell: o.shell ?? (env.SHELL || '/bin/sh'),
    timeout: o.execTimeoutMs ?? 30_000,
    servicesFile: o.servicesFile ?? '/etc/services',
  };
}

const isDirectoryError = (e: unknown): boolean => (e as NodeJS.ErrnoException | undefined)?.code === 'EISDIR';

/**
 * An included file's text. A directory (an Include glob can match one) gives no lines, as ssh's
 * and sshd's fopen + getline loops read it: it is skipped, not an error.
 */
function readIncludedSync(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (isDirectoryError(e)) return '';
    throw e;
  }
}

async function readIncluded(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (isDirectoryError(e)) return '';
    throw e;
  }
}

/** Owner and mode of a file, as ssh's fstat of the opened file sees them; undefined when it cannot be read. */
function statFileSync(path: string): { uid: number; mode: number } | undefined {
  try {
    const st = statSync(path);
    return { uid: st.uid, mode: st.mode };
  } catch {
    return undefined;
  }
}

async function statFileAsync(path: string): Promise<{ uid: number; mode: number } | undefined> {
  try {
    const st = await stat(path);
    return { uid: st.uid, mode: st.mode };
  } catch {
    return undefined;
  }
}

function groupsOfSync(user: string): readonly string[] | undefined {
  const r = spawnSync('id', ['-Gn', '--', user], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  return r.stdout.trim().split(/\s+/).filter(Boolean);
}

/** lookupAccount, blocking. */
function lookupAccountSync(name: string): LocalAccount | undefined {
  if (!validAccountName(name)) return undefined;
  const me = userInfo();
  if (name === me.username) return { name, uid: me.uid, homeDir: me.homedir };
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (!r.error) return r.status === 0 && typeof r.stdout === 'string' ? passwdEntry(r.stdout.trim(), name) : undefined;
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  return findPasswdEntry(passwd, name);
}

/** A synchronous Node environment (blocking file reads and Match exec). */
export function nodeEnvironment(options: NodeEnvironmentOptions = {}): HostEnvironment {
  const b = base(options);
  return {
    localUser: b.localUser,
    localUid: b.localUid,
    homeDir: b.homeDir,
    includeHomeDir: b.includeHomeDir,
    localHostname: b.localHostname,
    env: b.env,
    readFile: readIncludedSync,
    statFile: statFileSync,
    glob: globSync,
    exec: (command) => {
      const r = spawnSync(b.shell, ['-c', command], { stdio: 'ignore', timeout: b.timeout, env: { ...b.env } });
      if (r.error) throw r.error;
      return r.status ?? 255;
    },
    groupsOf: groupsOfSync,
    homeDirOf: (user) => lookupAccountSync(user)?.homeDir,
    servicePort: (name) => servicesSync(b.servicesFile).get(name),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  };
}

/** An asynchronous Node environment: nothing blocks the event loop. */
export function nodeEnvironmentAsync(options: NodeEnvironmentOptions = {}): HostEnvironment {
  const b = base(options);
  return {
    localUser: b.localUser,
    localUid: b.localUid,
    homeDir: b.homeDir,
    includeHomeDir: b.includeHomeDir,
    localHostname: b.localHostname,
    env: b.env,
    readFile: readIncluded,
    statFile: statFileAsync,
    glob: globAsync,
    exec: (command) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(b.shell, ['-c', command], { stdio: 'ignore', timeout: b.timeout, env: { ...b.env } });
        child.once('error', reject);
        child.once('exit', (code) => resolve(code ?? 255));
      }),
    groupsOf: (user) =>
      new Promise((resolve) => {
        const child = spawn('id', ['-Gn', '--', user], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d: string) => (out += d));
        child.once('error', () => resolve(undefined));
        child.once('exit', (code) => resolve(code === 0 ? out.trim().split(/\s+/).filter(Boolean) : undefined));
      }),
    homeDirOf: async (user) => (await lookupAccount(user))?.homeDir,
    servicePort: async (name) => (await servicesAsync(b.servicesFile)).get(name),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  };
}

async function readSource(path: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigParseError(path, 0, `can't open config file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Options for loadClientConfig. */
export interface LoadClientConfigOptions extends NodeEnvironmentOptions {
  /** Use this environment instead of the Node one. */
  readonly environment?: HostEnvironment;
}

/**
 * Reads ssh_config files and resolves them for `target`. With `paths` undefined, reads
 * ~/.ssh/config then /etc/ssh/ssh_config and skips those that do not exist (as ssh does), and
 * refuses a ~/.ssh/config that someone else owns or others may write, as ssh does; explicitly
 * named files must exist. Files under /etc are read with system scope.
 */
export async function loadClientConfig(
  paths: string | readonly string[] | undefined,
  target: ClientTarget,
  options: LoadClientConfigOptions = {},
): Promise<ResolvedClientConfig> {
  const env = options.environment ?? nodeEnvironmentAsync(options);
  const list = paths === undefined ? [`${env.homeDir}/.ssh/config`, '/etc/ssh/ssh_config'] : typeof paths === 'string' ? [paths] : paths;
  const sources: ClientConfigSource[] = [];
  for (const [i, file] of list.entries()) {
    const text = await readSource(file, paths !== undefined);
    if (text === undefined) continue;
    // ssh reads ~/.ssh/config (not a file given with -F, nor the system one) with SSHCONF_CHECKPERM.
    if (paths === undefined && i === 0) {
      const st = env.statFile ? await env.statFile(file) : undefined;
      if (st && ((st.uid !== 0 && st.uid !== env.localUid) || (st.mode & 0o002) !== 0)) {
        throw new ConfigParseError(file, 0, `Bad owner or permissions on ${file}`);
      }
    }
    sources.push({ text, file, scope: file.startsWith('/etc/') ? 'system' : 'user' });
  }
  const config = await parseClientConfigAsync(sources, env);
  return resolveClientConfigAsync(config, target, env);
}

/**
 * Reads sshd_config files (default /etc/ssh/sshd_config) once, for resolving per connection with
 * resolveServerConfigAsync. Several files are read in order, the first obtained value winning
 * across them. Every file named must exist: a missing or unreadable one is a ConfigParseError
 * (line 0), as is any bad line (with its file and line).
 */
export async function readServerConfig(paths: string | readonly string[] | undefined, options: LoadClientConfigOptions = {}): Promise<ServerConfig> {
  const env = options.environment ?? nodeEnvironmentAsync(options);
  const files = paths === undefined ? ['/etc/ssh/sshd_config'] : typeof paths === 'string' ? [paths] : paths;
  const sources: ServerConfigSource[] = [];
  for (const file of files) sources.push({ text: (await readSource(file, true)) as string, file });
  return parseServerConfigAsync(sources, env);
}

/** Reads sshd_config files (default /etc/ssh/sshd_config) and resolves them for one connection. */
export async function loadServerConfig(
  paths: string | readonly string[] | undefined,
  connection: ServerConnection,
  options: LoadClientConfigOptions = {},
): Promise<ResolvedServerConfig> {
  const env = options.environment ?? nodeEnvironmentAsync(options);
  return resolveServerConfigAsync(await readServerConfig(paths, { ...options, environment: env }), connection, env);
}

/** A local account, as expandAuthorizedKeysPath takes it. */
export interface LocalAccount {
  readonly name: string;
  readonly uid: number;
  readonly homeDir: string;
}

function passwdEntry(line: string, name: string): LocalAccount | undefined {
  const f = line.split(':');
  const uid = Number(f[2]);
  const homeDir = f[5];
  // getent answers a numeric key by uid: only an entry with exactly this name counts.
  if (f.length < 7 || f[0] !== name || !Number.isInteger(uid) || !homeDir) return undefined;
  return { name, uid, homeDir };
}

/**
 * The account `name` in the system's user database (getent passwd, else /etc/passwd), as sshd
 * finds the home directory for `%h` and relative AuthorizedKeysFile paths; undefined when there is
 * no such account.
 */
export async function lookupAccount(name: string): Promise<LocalAccount | undefined> {
  if (!validAccountName(name)) return undefined;
  const me = userInfo();
  if (name === me.username) return { name, uid: me.uid, homeDir: me.homedir };
  const viaGetent = await new Promise<string | null | undefined>((resolve) => {
    const child = spawn('getent', ['passwd', name], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    // null: no getent here (not Linux); undefined: getent knows no such account.
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code === 0 ? out : undefined));
  });
  if (typeof viaGetent === 'string') return passwdEntry(viaGetent.trim(), name);
  if (viaGetent === undefined) return undefined;
  let passwd: string;
  try {
    passwd = await readFile('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  return findPasswdEntry(passwd, name);
}

/** A name getent and /etc/passwd can be asked about (no field separator, no option). */
const validAccountName = (name: string): boolean => name !== '' && !name.includes(':') && !name.includes('\n') && !name.startsWith('-');

function findPasswdEntry(passwd: string, name: string): LocalAccount | undefined {
  for (const line of passwd.split('\n')) {
    const found = passwdEntry(line, name);
    if (found) return found;
  }
  return undefined;
}
