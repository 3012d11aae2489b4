/**
 * The ssh_config keyword table (OpenSSH 9.2 readconf.c, with Debian's GSSAPI additions): how
 * each keyword's arguments parse and how repeated settings combine. Keywords without a parser
 * are recognised (so they are not "Bad configuration option") and reported as ignored.
 * @module
 */

import { BadArgument, type ConfigLine } from './document.ts';
import { algorithmList, uncheckedAlgorithmList } from './algorithms.ts';
import { parseForward, type ForwardSpec } from './forwards.ts';
import {
  addKeysToAgent,
  bindMask,
  clientFlag,
  controlPersist,
  escapeChar,
  fingerprintHash,
  gssKexAlgorithms,
  ipqos,
  logLevel,
  logVerbose,
  nonNegative,
  oneString,
  permitList,
  syslogFacility,
  time,
  tunnelDevice,
  words,
} from './unused-values.ts';
import { a2port, cleanHostname, command, flag, flagWord, hpdelim, integer, list, multistate, port, rekeyLimit, single, singleNonEmpty, timeInterval, type ServiceLookup } from './values.ts';


/** How repeated settings of one keyword combine. */
export type CombineMode =
  | 'first' // the first obtained value wins
  | 'append' // every value is kept, in order, duplicates dropped (IdentityFile, CertificateFile, forwards)
  | 'sendenv' // names accumulate; `-pattern` removes earlier names
  | 'setenv' // the first line wins; within it the first value of each name
  | 'proxy' // ProxyCommand and ProxyJump: whichever is obtained first wins, the other is ignored
  | 'rekey' // RekeyLimit: the byte limit and the interval are each obtained separately
  | 'agent'; // ForwardAgent: the yes/no and the socket path are each obtained separately

export interface ClientKeyword {
  /** The keyword as ssh_config(5) spells it. */
  readonly name: string;
  /** Lowercase key shared by aliases (ChallengeResponseAuthentication -> kbdinteractiveauthentication). */
  readonly key: string;
  /** Typed parser; undefined for keywords this package recognises but does not interpret. */
  /** Parses the arguments; `services` looks up service names where ports go (none: decimal ports only). */
  readonly parse?: (line: ConfigLine, services?: ServiceLookup) => unknown;
  readonly combine: CombineMode;
  /** Deprecated/unsupported keywords are accepted and have no effect, as in OpenSSH. */
  readonly obsolete?: true;
}

/** Address family values. */
export type AddressFamily = 'any' | 'inet' | 'inet6';
export type CanonicalizeHostnameMode = 'no' | 'yes' | 'always';
export type RequestTtyMode = 'no' | 'yes' | 'force' | 'auto';
export type PubkeyAuthenticationMode = 'no' | 'yes' | 'unbound' | 'host-bound';

/** A ProxyJump hop. */
export interface JumpHost {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

/** a2port for a hop: 1-65535, else undefined. */
function hopPort(p: string, services?: ServiceLookup): number | undefined {
  const v = a2port(p, services);
  return v > 0 ? v : undefined;
}

/** misc.c valid_domain (without lowering): why `d` is not a domain name, or undefined when it is one. */
function domainProblem(d: string): string | undefined {
  if (!/^[A-Za-z0-9]/.test(d)) return `domain name "${d}" starts with invalid character`;
  if (d.includes('..')) return `domain name "${d}" contains consecutive separators`;
  if (!/^[A-Za-z0-9._-]+$/.test(d)) return `domain name "${d}" contains invalid characters`;
  return undefined;
}

/** misc.c urldecode: `+` is a space and `%XX` a byte; undefined for a bad escape. */
function urlDecode(s: string): string | undefined {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '+') bytes.push(0x20);
    else if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...enc.encode(c));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const hop = (user: string | undefined, host: string, p: number | undefined): JumpHost => ({
  ...(user !== undefined ? { user } : {}),
  host,
  ...(p !== undefined ? { port: p } : {}),
});

/** misc.c parse_user_host_port: `[user@]host[:port]`, the user up to the last `@`. */
function userHostPort(s: string, services?: ServiceLookup): JumpHost | undefined {
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  if (user === '') return undefined;
  const f = hpdelim(at >= 0 ? s.slice(at + 1) : s);
  if (!f || f.delim === '/' || f.host === '') return undefined;
  const host = cleanHostname(f.host);
  if (host === '') return undefined;
  let p: number | undefined;
  if (f.rest !== '') {
    p = hopPort(f.rest, services);
    if (p === undefined) return undefined;
  }
  return hop(user, host, p);
}

/**
 * misc.c parse_uri for `ssh://[user[;params]@]host[:port][/]`: the user (up to the first `@`,
 * connection parameters dropped) is URL-decoded, the host must be a domain name, and no path is allowed.
 */
function sshUri(u: string, services?: ServiceLookup): JumpHost | undefined {
  let rest = u;
  let user: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    let info = rest.slice(0, at);
    const semi = info.indexOf(';');
    if (semi >= 0) info = info.slice(0, semi);
    if (info === '') return undefined;
    user = urlDecode(info);
    if (user === undefined) return undefined;
    rest = rest.slice(at + 1);
  }
  const f = hpdelim(rest);
  if (!f || f.host === '') return undefined;
  const host = cleanHostname(f.host);
  if (domainProblem(host) !== undefined) return undefined;
  let p: number | undefined;
  let path = f.rest;
  if (f.delim === ':' && path !== '') {
    const slash = path.indexOf('/');
    p = hopPort(slash >= 0 ? path.slice(0, slash) : path, services);
    if (p === undefined) return undefined;
    path = slash >= 0 ? path.slice(slash + 1) : '';
  }
  if (path !== '') return undefined;
  return hop(user, host, p);
}

/** Parses one ProxyJump hop: `[user@]host[:port]` or `ssh://[user@]host[:port][/]`, as ssh's parse_jump checks it. */
export function parseJumpHop(text: string, services?: ServiceLookup): JumpHost {
  const h = text.startsWith('ssh://') ? sshUri(text.slice(6), services) : userHostPort(text, services);
  if (!h) throw new BadArgument(`invalid ProxyJump "${text}"`);
  return h;
}

/**
 * ProxyJump: `none` or a comma-separated list of hops. Like ssh, this reads the raw rest of the
 * line: `none` must stand alone (`none # comment` is a host called "none"), and the hop list ends
 * at the first blank or `#` (ssh 9.2 parses, and prints with -G, only that much: `a, b` has an
 * empty last hop, and `a b` is the hop `a`).
 */
export function parseProxyJump(line: ConfigLine, services?: ServiceLookup): readonly JumpHost[] | 'none' {
  const raw = line.rest.replace(/^[ \t\r\n=]+/, '');
  if (raw.toLowerCase() === 'none') return 'none';
  const end = raw.search(/[# \t\r\n]/);
  const text = end >= 0 ? raw.slice(0, end) : raw;
  if (text === '') throw new BadArgument('missing argument for proxyjump');
  return text.split(',').map((h) => parseJumpHop(h, services));
}

const path = (line: ConfigLine): string => singleNonEmpty(line);
const str = (line: ConfigLine): string => singleNonEmpty(line);
const int = (line: ConfigLine): number => integer(single(line));
/** ConnectTimeout, ServerAliveInterval: a time, or `none` (exactly so, as readconf.c's strcmp) for unset. */
const timeOrNone = (line: ConfigLine): number | 'none' => {
  const a = single(line);
  return a === 'none' ? 'none' : timeInterval(a);
};

function fwd(kind: 'local' | 'remote' | 'dynamic') {
  return (line: ConfigLine, services?: ServiceLookup): ForwardSpec => {
    const a = line.args;
    if (kind === 'dynamic') return parseForward(single(line), true, false, services);
    if (a.length === 0 || a.length > 2) throw new BadArgument(`Missing target argument for ${line.keyword}`);
    if (a.length === 1 || a[1] === '') {
      if (kind === 'local') throw new BadArgument('Missing target argument.');
      // RemoteForward with one argument is a dynamic (SOCKS) forwarding on the server.
      return parseForward(a[0] as string, true, true, services);
    }
    return parseForward(`${a[0] as string}:${a[1] as string}`, false, kind === 'remote', services);
  };
}

function envNames(line: ConfigLine): string[] {
  const names = list(line, true);
  for (const n of names) if (n === '' || n.includes('=')) throw new BadArgument('Invalid environment name.');
  return names;
}

function envSettings(line: ConfigLine): string[] {
  const vals = list(line, true);
  for (const v of vals) if (!v.includes('=')) throw new BadArgument('Invalid SetEnv.');
  return vals;
}

/** ForwardAgent value: yes/no, or a socket path (which also means yes). */
export interface ForwardAgentValue {
  readonly enabled?: boolean;
  readonly path?: string;
}

/**
 * An agent socket path (IdentityAgent, ForwardAgent): `$NAME` alone names an environment
 * variable read when connecting, so NAME must be a valid one (readconf.c parse_agent_path).
 */
export function agentPath(line: ConfigLine): string {
  const a = singleNonEmpty(line);
  if (a.startsWith('$') && a[1] !== '{' && !/^[A-Za-z0-9_]+$/.test(a.slice(1))) throw new BadArgument(`Invalid environment name ${a}.`);
  return a;
}

/** ForwardAgent: yes/no or a socket path / environment variable name. */
function forwardAgent(line: ConfigLine): ForwardAgentValue {
  const f = flagWord(singleNonEmpty(line));
  return f === undefined ? { enabled: true, path: agentPath(line) } : { enabled: f };
}

/**
 * CanonicalDomains: `none` only alone; each name checked and lowercased, a trailing dot dropped,
 * as OpenSSH's valid_domain() (misc.c) does when reading the line.
 */
/**
 * MAX_CANON_DOMAINS and SSH_MAX_HOSTS_FILES: the line that sets CanonicalDomains,
 * CanonicalizePermittedCNAMEs or a known-hosts list may name at most 32 (checked in client.ts,
 * where it is known whether the line sets it).
 */
export const MAX_LIST_ENTRIES = 32;

/** UserKnownHostsFile, GlobalKnownHostsFile: files, or `none` alone. */
function knownHostsFiles(line: ConfigLine): string[] {
  const a = list(line);
  if (a.length > 1 && a.some((f) => f.toLowerCase() === 'none')) throw new BadArgument(`keyword ${line.keyword} "none" argument must appear alone.`);
  return a.length === 1 && (a[0] as string).toLowerCase() === 'none' ? ['none'] : a;
}

function canonicalDomains(line: ConfigLine): readonly string[] {
  const a = list(line);
  const out: string[] = [];
  for (const d of a) {
    if (d.toLowerCase() === 'none' && a.length > 1) throw new BadArgument(`keyword ${line.keyword} "none" argument must appear alone.`);
    const problem = domainProblem(d);
    if (problem !== undefined) throw new BadArgument(problem);
    const lower = d.toLowerCase();
    out.push(lower.endsWith('.') ? lower.slice(0, -1) : lower);
  }
  return out;
}

function canonicalCnames(line: ConfigLine): readonly string[] | 'none' {
  const a = list(line);
  if (a.length === 1 && (a[0] as string).toLowerCase() === 'none') return 'none';
  for (const rule of a) {
    if (rule.toLowerCase() === 'none') throw new BadArgument(`keyword ${line.keyword} "none" argument must appear alone.`);
    // source:target split at the first colon; the target may not be empty, the source may.
    const colon = rule.indexOf(':');
    if (colon < 0 || colon === rule.length - 1) throw new BadArgument(`Invalid permitted CNAME "${rule}"`);
  }
  return a;
}

const FIRST = 'first';

type Row = readonly [name: string, parse?: ((line: ConfigLine, services?: ServiceLookup) => unknown) | undefined, combine?: CombineMode, aliasOf?: string];

const ROWS: readonly Row[] = [
  // Typed keywords (AsyncSSH's supported list plus forwards, IdentitiesOnly, PKCS11Provider, SecurityKeyProvider).
  ['AddressFamily', (l) => multistate<AddressFamily>(l, { any: 'any', inet: 'inet', inet6: 'inet6' })],
  ['BindAddress', str],
  ['CanonicalDomains', canonicalDomains],
  ['CanonicalizeFallbackLocal', flag],
  [
    'CanonicalizeHostname',
    (l) => multistate<CanonicalizeHostnameMode>(l, { no: 'no', false: 'no', yes: 'yes', true: 'yes', always: 'always' }),
  ],
  ['CanonicalizeMaxDots', int],
  ['CanonicalizePermittedCNAMEs', canonicalCnames],
  ['CASignatureAlgorithms', algorithmList('ca', 'key types')],
  ['CertificateFile', path, 'append'],
  ['Ciphers', algorithmList('cipher', 'SSH2 cipher spec')],
  ['Compression', (l) => multistate(l, { yes: true, no: false })],
  ['ConnectTimeout', timeOrNone],
  ['DynamicForward', fwd('dynamic'), 'append'],
  ['EnableSSHKeysign', flag],
  ['ForwardAgent', forwardAgent, 'agent'],
  ['ForwardX11Trusted', flag],
  ['GlobalKnownHostsFile', knownHostsFiles],
  ['GSSAPIAuthentication', flag],
  ['GSSAPIDelegateCredentials', flag],
  ['GSSAPIKeyExchange', flag],
  ['HostbasedAuthentication', flag],
  ['HostKeyAlgorithms', algorithmList('key', 'key types')],
  ['HostKeyAlias', str],
  ['HostName', str],
  ['IdentitiesOnly', flag],
  ['IdentityAgent', agentPath],
  ['IdentityFile', path, 'append'],
  ['KbdInteractiveAuthentication', flag],
  ['ChallengeResponseAuthentication', flag, FIRST, 'KbdInteractiveAuthentication'],
  ['SkeyAuthentication', flag, FIRST, 'KbdInteractiveAuthentication'],
  ['TisAuthentication', flag, FIRST, 'KbdInteractiveAuthentication'],
  ['KexAlgorithms', algorithmList('kex', 'SSH2 KexAlgorithms')],
  ['LocalForward', fwd('local'), 'append'],
  ['MACs', algorithmList('mac', 'SSH2 MAC spec')],
  ['PasswordAuthentication', flag],
  ['PKCS11Provider', path],
  ['SecurityKeyProvider', path],
  ['SmartcardDevice', path, FIRST, 'PKCS11Provider'],
  ['Port', (l, services) => port(single(l), services)],
  ['PreferredAuthentications', str],
  ['ProxyCommand', command, 'proxy'],
  ['ProxyJump', parseProxyJump, 'proxy'],
  [
    'PubkeyAuthentication',
    (l) =>
      multistate<PubkeyAuthenticationMode>(l, { no: 'no', false: 'no', yes: 'yes', true: 'yes', unbound: 'unbound', 'host-bound': 'host-bound' }),
  ],
  ['DSAAuthentication', flag, FIRST, 'PubkeyAuthentication'],
  ['RekeyLimit', (l) => rekeyLimit(l), 'rekey'],
  ['RemoteCommand', command],
  ['RemoteForward', fwd('remote'), 'append'],
  ['RequestTTY', (l) => multistate<RequestTtyMode>(l, { no: 'no', false: 'no', yes: 'yes', true: 'yes', force: 'force', auto: 'auto' })],
  ['SendEnv', envNames, 'sendenv'],
  ['ServerAliveCountMax', int],
  ['ServerAliveInterval', timeOrNone],
  ['SetEnv', envSettings, 'setenv'],
  ['TCPKeepAlive', flag],
  ['KeepAlive', flag, FIRST, 'TCPKeepAlive'],
  ['User', str],
  ['UserKnownHostsFile', knownHostsFiles],
  ['IdentityFile2', path, 'append', 'IdentityFile'],
  ['IgnoreUnknown', str],
  // Recognised, not interpreted: OpenSSH applies them, connect() has no use for them. Their
  // values are checked as ssh checks them (the setting keeps the arguments as written).
  ['AddKeysToAgent', addKeysToAgent],
  ['BatchMode', clientFlag],
  ['BindInterface', oneString],
  ['CheckHostIP', clientFlag],
  ['ClearAllForwardings', clientFlag],
  ['ConnectionAttempts', nonNegative(1)],
  ['ControlMaster', words(['yes', 'no', 'true', 'false', 'ask', 'auto', 'autoask'])],
  ['ControlPath', oneString],
  ['ControlPersist', controlPersist],
  ['EnableEscapeCommandline', clientFlag],
  ['EscapeChar', escapeChar],
  ['ExitOnForwardFailure', clientFlag],
  ['FingerprintHash', fingerprintHash],
  ['ForkAfterAuthentication', clientFlag],
  ['ForwardX11', clientFlag],
  ['ForwardX11Timeout', time(true)],
  ['GatewayPorts', clientFlag],
  ['GSSAPIClientIdentity', oneString],
  ['GSSAPIServerIdentity', oneString],
  ['GSSAPIRenewalForcesRekey', clientFlag],
  ['GSSAPITrustDns', clientFlag],
  ['GSSAPIKexAlgorithms', gssKexAlgorithms],
  ['HashKnownHosts', clientFlag],
  ['HostbasedAcceptedAlgorithms', uncheckedAlgorithmList('key')],
  ['HostbasedKeyTypes', uncheckedAlgorithmList('key'), FIRST, 'HostbasedAcceptedAlgorithms'],
  ['IPQoS', ipqos],
  ['KbdInteractiveDevices', oneString],
  ['KnownHostsCommand'],
  ['LocalCommand'],
  ['LogLevel', logLevel],
  ['LogVerbose', logVerbose],
  ['NoHostAuthenticationForLocalhost', clientFlag],
  ['NumberOfPasswordPrompts', nonNegative()],
  ['PermitLocalCommand', clientFlag],
  ['PermitRemoteOpen', permitList(false, false)],
  ['ProxyUseFdpass', clientFlag],
  ['PubkeyAcceptedAlgorithms', uncheckedAlgorithmList('key')],
  ['PubkeyAcceptedKeyTypes', uncheckedAlgorithmList('key'), FIRST, 'PubkeyAcceptedAlgorithms'],
  ['RequiredRSASize', nonNegative()],
  ['RevokedHostKeys', oneString],
  ['SessionType', words(['none', 'subsystem', 'default'])],
  ['StdinNull', clientFlag],
  ['StreamLocalBindMask', bindMask],
  ['StreamLocalBindUnlink', clientFlag],
  ['StrictHostKeyChecking', words(['yes', 'no', 'true', 'false', 'ask', 'off', 'accept-new'])],
  ['SyslogFacility', syslogFacility],
  ['Tunnel', words(['yes', 'no', 'true', 'false', 'ethernet', 'point-to-point'])],
  ['TunnelDevice', tunnelDevice],
  ['UpdateHostKeys', words(['yes', 'no', 'true', 'false', 'ask'])],
  ['VerifyHostKeyDNS', words(['yes', 'no', 'true', 'false', 'ask'])],
  ['VisualHostKey', clientFlag],
  ['XAuthLocation', oneString],
  ['Tag', str],
];

/** Keywords OpenSSH accepts and ignores (deprecated or unsupported in this build). */
const OBSOLETE: readonly string[] = [
  'Protocol',
  'Cipher',
  'FallBackToRsh',
  'GlobalKnownHostsFile2',
  'RhostsAuthentication',
  'UserKnownHostsFile2',
  'UseRoaming',
  'UseRsh',
  'UsePrivilegedPort',
  'AFSTokenPassing',
  'KerberosAuthentication',
  'KerberosTGTPassing',
  'RSAAuthentication',
  'RhostsRSAAuthentication',
  'CompressionLevel',
];

function build(): ReadonlyMap<string, ClientKeyword> {
  const m = new Map<string, ClientKeyword>();
  for (const [name, parse, combine = FIRST, aliasOf] of ROWS) {
    const key = (aliasOf ?? name).toLowerCase();
    m.set(name.toLowerCase(), { name: aliasOf ?? name, key, combine, ...(parse ? { parse } : {}) });
  }
  for (const name of OBSOLETE) m.set(name.toLowerCase(), { name, key: name.toLowerCase(), combine: FIRST, obsolete: true });
  return m;
}

/** Every keyword ssh_config accepts besides Host, Match and Include, by lowercase name. */
export const CLIENT_KEYWORDS: ReadonlyMap<string, ClientKeyword> = /* @__PURE__ */ build();
