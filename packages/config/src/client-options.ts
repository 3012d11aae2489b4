/**
 * The client connect() options a resolved ssh_config produces: one camelCase key per
 * connection option (the names AsyncSSH's SSHClientConnectionOptions uses, in camelCase), and
 * the table saying which ssh_config keyword feeds which option.
 * @module
 */

import type { ForwardSpec } from './forwards.ts';
import type {
  AddressFamily,
  ForwardAgentValue,
  CanonicalizeHostnameMode,
  JumpHost,
  PubkeyAuthenticationMode,
  RequestTtyMode,
} from './client-keywords.ts';
import type { IgnoredSetting, ResolvedSetting } from './client.ts';

/** Options for connect() obtained from ssh_config; absent keys were not configured. */
export interface ClientConfigOptions {
  /** HostName (after %h), lowercased, then canonicalised (CanonicalizeHostname); absent when neither applied. */
  readonly host?: string;
  /** Port (22 when unset). */
  readonly port?: number;
  /** User (the local user when unset). */
  readonly username?: string;
  /** ProxyJump hops; `null` when ProxyJump none. */
  readonly tunnel?: readonly JumpHost[] | null;
  /** ProxyCommand with %h %n %p %r expanded; `null` for `none`. */
  readonly proxyCommand?: string | null;
  readonly family?: AddressFamily;
  /** BindAddress. */
  readonly localAddr?: string;
  readonly tcpKeepalive?: boolean;
  readonly hostBasedAuth?: boolean;
  readonly publicKeyAuth?: boolean | PubkeyAuthenticationMode;
  readonly kbdintAuth?: boolean;
  readonly passwordAuth?: boolean;
  readonly rekeyBytes?: number;
  readonly rekeySeconds?: number;
  /** Seconds; absent for `none`. */
  readonly connectTimeout?: number;
  readonly keepaliveInterval?: number;
  readonly keepaliveCountMax?: number;
  /** UserKnownHostsFile then GlobalKnownHostsFile (expanded). */
  readonly knownHosts?: readonly string[];
  readonly hostKeyAlias?: string;
  readonly serverHostKeyAlgs?: string;
  readonly clientHostKeysign?: boolean;
  readonly gssKex?: boolean;
  readonly gssAuth?: boolean;
  readonly gssDelegateCreds?: boolean;
  readonly preferredAuth?: string;
  /**
   * IdentityAgent (expanded); `null` for `none`. `SSH_AUTH_SOCK` and `$NAME` are replaced by that
   * variable's value (`null` when it is unset), as ssh reads them.
   */
  readonly agentPath?: string | null;
  /** IdentityFile (expanded); an empty list for `IdentityFile none` alone. */
  readonly clientKeys?: readonly string[];
  readonly clientCerts?: readonly string[];
  readonly identitiesOnly?: boolean;
  readonly pkcs11Provider?: string | null;
  /** SecurityKeyProvider: 'internal' or an OpenSSH middleware library; `$NAME` reads it from that variable (absent when unset). */
  readonly securityKeyProvider?: string;
  /**
   * ForwardAgent: yes/no, or the socket path of the agent to forward (expanded; `$NAME` is
   * replaced by that variable's value, false when it is unset).
   */
  readonly agentForwarding?: boolean | string;
  /** RemoteCommand (tokens expanded). */
  readonly command?: string;
  /** SetEnv. */
  readonly env?: Readonly<Record<string, string>>;
  /** SendEnv patterns. */
  readonly sendEnv?: readonly string[];
  readonly requestPty?: boolean | 'force' | 'auto';
  /** ForwardX11Trusted yes: X11 forwarding requested, failure ignored. */
  readonly x11Forwarding?: 'ignore-failure' | false;
  readonly kexAlgs?: string;
  readonly encryptionAlgs?: string;
  readonly macAlgs?: string;
  readonly compressionAlgs?: string;
  readonly caSignatureAlgs?: string;
  readonly canonicalizeHostname?: boolean | 'always';
  readonly canonicalDomains?: readonly string[];
  readonly canonicalizeFallbackLocal?: boolean;
  readonly canonicalizeMaxDots?: number;
  readonly canonicalizePermittedCnames?: readonly string[] | null;
  /** Forwardings requested by LocalForward / RemoteForward / DynamicForward. */
  readonly localForwards?: readonly ForwardSpec[];
  readonly remoteForwards?: readonly ForwardSpec[];
  readonly dynamicForwards?: readonly ForwardSpec[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** ssh_config keyword (lowercase, canonical) -> the connect() option it sets. */
export const CLIENT_OPTION_MAP: Readonly<Record<string, keyof ClientConfigOptions>> = {
  hostname: 'host',
  port: 'port',
  user: 'username',
  proxyjump: 'tunnel',
  proxycommand: 'proxyCommand',
  addressfamily: 'family',
  bindaddress: 'localAddr',
  tcpkeepalive: 'tcpKeepalive',
  hostbasedauthentication: 'hostBasedAuth',
  pubkeyauthentication: 'publicKeyAuth',
  kbdinteractiveauthentication: 'kbdintAuth',
  passwordauthentication: 'passwordAuth',
  rekeylimit: 'rekeyBytes',
  connecttimeout: 'connectTimeout',
  serveraliveinterval: 'keepaliveInterval',
  serveralivecountmax: 'keepaliveCountMax',
  userknownhostsfile: 'knownHosts',
  globalknownhostsfile: 'knownHosts',
  hostkeyalias: 'hostKeyAlias',
  hostkeyalgorithms: 'serverHostKeyAlgs',
  enablesshkeysign: 'clientHostKeysign',
  gssapikeyexchange: 'gssKex',
  gssapiauthentication: 'gssAuth',
  gssapidelegatecredentials: 'gssDelegateCreds',
  preferredauthentications: 'preferredAuth',
  identityagent: 'agentPath',
  identityfile: 'clientKeys',
  certificatefile: 'clientCerts',
  identitiesonly: 'identitiesOnly',
  pkcs11provider: 'pkcs11Provider',
  securitykeyprovider: 'securityKeyProvider',
  forwardagent: 'agentForwarding',
  remotecommand: 'command',
  setenv: 'env',
  sendenv: 'sendEnv',
  requesttty: 'requestPty',
  forwardx11trusted: 'x11Forwarding',
  kexalgorithms: 'kexAlgs',
  ciphers: 'encryptionAlgs',
  macs: 'macAlgs',
  compression: 'compressionAlgs',
  casignaturealgorithms: 'caSignatureAlgs',
  canonicalizehostname: 'canonicalizeHostname',
  canonicaldomains: 'canonicalDomains',
  canonicalizefallbacklocal: 'canonicalizeFallbackLocal',
  canonicalizemaxdots: 'canonicalizeMaxDots',
  canonicalizepermittedcnames: 'canonicalizePermittedCnames',
  localforward: 'localForwards',
  remoteforward: 'remoteForwards',
  dynamicforward: 'dynamicForwards',
};

const noneToNull = (v: unknown): unknown => (typeof v === 'string' && v.toLowerCase() === 'none' ? null : v);

/** Builds connect() options from resolved settings. */
export function buildClientOptions(
  raw: ReadonlyMap<string, ResolvedSetting>,
  base: { host: string; port: number; user: string; canonicalized?: boolean; envVar?: (name: string) => string | undefined },
): { options: ClientConfigOptions; settings: ReadonlyMap<string, ResolvedSetting>; ignored: IgnoredSetting[] } {
  const o: Mutable<ClientConfigOptions> = {};
  const settings = new Map<string, ResolvedSetting>();
  const ignored: IgnoredSetting[] = [];
  for (const [key, s] of raw) {
    const option = CLIENT_OPTION_MAP[key];
    if (option === undefined) {
      if (s.sources.length > 0) ignored.push({ keyword: s.keyword, value: s.value, sources: s.sources });
      settings.set(key, s);
      continue;
    }
    settings.set(key, { ...s, option });
    const v = s.value;
    switch (key) {
      case 'hostname':
        if (s.sources.length > 0 || base.canonicalized === true) o.host = base.host;
        break;
      case 'port':
        o.port = v as number;
        break;
      case 'user':
        o.username = v as string;
        break;
      case 'proxyjump':
        o.tunnel = v === 'none' ? null : (v as readonly JumpHost[]);
        break;
      case 'proxycommand':
        o.proxyCommand = noneToNull(v) as string | null;
        break;
      case 'rekeylimit': {
        const r = v as { bytes: number; seconds?: number };
        o.rekeyBytes = r.bytes;
        if (r.seconds !== undefined) o.rekeySeconds = r.seconds;
        break;
      }
      case 'connecttimeout':
        if (v !== 'none') o.connectTimeout = v as number;
        break;
      case 'userknownhostsfile':
        o.knownHosts = [...(v as string[]), ...(o.knownHosts ?? [])];
        break;
      case 'globalknownhostsfile':
        o.knownHosts = [...(o.knownHosts ?? []), ...(v as string[])];
        break;
      case 'identityagent': {
        // `SSH_AUTH_SOCK` and `$NAME` name the variable that holds the socket (ssh.c): without
        // it there is no agent, as ssh unsets SSH_AUTH_SOCK.
        const a = noneToNull(v) as string | null;
        const variable = a === 'SSH_AUTH_SOCK' ? a : a?.startsWith('$') && a[1] !== '{' ? a.slice(1) : undefined;
        o.agentPath = variable === undefined ? a : (base.envVar?.(variable) ?? null);
        break;
      }
      case 'identityfile':
        o.clientKeys = (v as string[]).filter((x) => x !== 'none');
        break;
      case 'pkcs11provider':
        o.pkcs11Provider = noneToNull(v) as string | null;
        break;
      case 'securitykeyprovider':
        // `$NAME`: the library named by that variable; unset, the default provider (ssh.c).
        if ((v as string).length > 1 && (v as string).startsWith('$')) {
          const lib = base.envVar?.((v as string).slice(1));
          if (lib !== undefined) o.securityKeyProvider = lib;
        } else o.securityKeyProvider = v as string;
        break;
      case 'forwardagent': {
        const a = v as ForwardAgentValue;
        // `$NAME` names the variable that holds the socket (ssh_config(5)); unset, there is no
        // agent to forward. (ssh 9.2 itself tries the text as a path and fails to forward.)
        const variable = a.path?.startsWith('$') === true && a.path[1] !== '{' ? a.path.slice(1) : undefined;
        const path = variable === undefined ? a.path : base.envVar?.(variable);
        o.agentForwarding = a.enabled === true ? (variable === undefined ? (path ?? true) : (path ?? false)) : false;
        break;
      }
      case 'setenv':
        // fromEntries defines each name as an own property: assigning `env['__proto__']` would
        // call the prototype setter and lose that variable.
        o.env = Object.fromEntries((v as string[]).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
        break;
      case 'requesttty': {
        const m = v as RequestTtyMode;
        o.requestPty = m === 'yes' ? true : m === 'no' ? false : m;
        break;
      }
      case 'pubkeyauthentication': {
        const m = v as PubkeyAuthenticationMode;
        o.publicKeyAuth = m === 'yes' ? true : m === 'no' ? false : m;
        break;
      }
      case 'forwardx11trusted':
        o.x11Forwarding = v === true ? 'ignore-failure' : false;
        break;
      case 'compression':
        o.compressionAlgs = v === true ? 'zlib@openssh.com,zlib,none' : 'none,zlib@openssh.com,zlib';
        break;
      case 'canonicalizehostname': {
        const m = v as CanonicalizeHostnameMode;
        o.canonicalizeHostname = m === 'always' ? 'always' : m === 'yes';
        break;
      }
      case 'canonicalizepermittedcnames':
        o.canonicalizePermittedCnames = v === 'none' ? null : (v as string[]);
        break;
      default:
        (o as Record<string, unknown>)[option] = v;
    }
  }
  return { options: o, settings, ignored };
}
