/**
 * SSHServerConnection and listen(): a server connection per accepted socket, user
 * authentication through the SSHServer callbacks and authorized_keys, and session channels run
 * by a process factory, a session factory or the SSHServer's own sessions; sshd_config files
 * (`config`) fill in what the options leave unset, per connection and per user.
 * @module
 */

import net from 'node:net';
import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import {
  SSHLineEditorChannel,
  SSHServerChannel,
  ServerProcessSession,
  type ServerChannelPolicy,
  type IncomingChannelOpen,
  type IncomingGlobalRequest,
  type ProcessFactory,
  type SSHServerSession,
  type ConnectionMux,
  type SSHTunTapChannel,
  type X11ServerRequest,
} from '@ssh/connection';
import { nodePump } from '@ssh/connection/node';
import { createStandardRegistry, type Registry } from '@ssh/crypto';
import { CHANNEL_OPEN_FAILURE, DISCONNECT, unmapAddress } from '@ssh/wire';
import {
  SK_USER_PRESENCE_REQD,
  SK_USER_VERIFICATION_REQD,
  SSHAuthorizedKeys,
  SSHKeyPair,
  importAuthorizedKeys,
  verifyX509Chain,
  x509Algorithms,
  type AuthorizedKeyOptions,
  type SSHCertificate,
  type SSHKey,
  type SSHX509Certificate,
} from '@ssh/keys';
import { loadCertificates, loadKeypairs, type KeyPairRef } from '@ssh/keys/node';
import { ConnectionLost, DEFAULT_USERAUTH_SIG_ALGORITHMS, Transport, type DisconnectError, UserauthServer, type ServerAnswer, type ServerMethod, type TransportEvent, type UserauthServerEvent } from '@ssh/transport';
import { acceptTcp } from '@ssh/transport/node';
import type { ResolvedServerConfig, ServerConnection } from '@ssh/config';
import { resolveClientHost } from './client-host.ts';
import { bindAddresses, listenAll } from './listen-addresses.ts';
import { SSHConnection } from './connection.ts';
import {
  CONNECTION_OPTION_NAMES,
  caSignatureAlgorithms as caSignatureAlgorithmsOf,
  checkOptionNames,
  connectionSettings,
  positiveInt,
  seconds,
  transportSettings,
  type SSHConnectionOptions,
} from './options.ts';
import {
  configPorts,
  connectionPolicy,
  ignoredKeywords,
  listenerOptions,
  loadUserAuthorizedKeys,
  readServerConfigFile,
  resolveFor,
  type ConnectionPolicy,
  type ServerConfigFile,
} from './server-config.ts';
import { SSHServer, passwordAnswer } from './server-handlers.ts';
import { startAgentForwarding } from './agent-forwarding.ts';
import { startX11Forwarding, x11ServerOptions } from './x11/server-x11.ts';
import { serverForwarding, type ServerForwarding } from './forward/server-forward.ts';
import { acceptTunTap, makeTuntapChannel } from './tuntap/server-tuntap.ts';
import type { TunTapChannelOptions } from './tuntap/client-tuntap.ts';
import type { ForwardChannelOptions, SSHTCPChannel, SSHUNIXChannel } from './forward/channel.ts';
import type { SSHListener } from './forward/listener.ts';
import { fileServiceFactory, servesSubsystem, type FileServiceOptions } from './sftp.ts';
import { VERSION } from './version.ts';
import { resolveX509Roots, type X509TrustedCertsOption } from './host-keys/trust-sources.ts';
import { logFor } from './logging.ts';
import { GssServerAuth, GssServerKex } from './gss.ts';

/** The algorithm registry every connection shares (immutable; building one per connection cost ~0.1 ms). */
let standardRegistry: Registry | undefined;

/** A certificate: a file to read, its bytes, or one already loaded. */
type CertificateRef = string | Uint8Array | SSHCertificate;

/** The keyboard-interactive challenge that stands for a password prompt (see kbdintMode). */
const PASSWORD_CHALLENGE = { name: '', instruction: '', prompts: [{ prompt: 'Password:', echo: false }] } as const;

/**
 * Options of a server connection. `T` is what its processes' streams carry: text (the default
 * encoding) or bytes (`encoding: null`); listen() and the other entry points take it from a
 * processFactory's parameter, text when nothing says otherwise, so that an unannotated
 * `processFactory: async (process) => ...` gets text streams.
 */
export interface SSHServerConnectionOptions<T extends string | Uint8Array = string | Uint8Array> extends SSHConnectionOptions, FileServiceOptions {
  /** Host keys: paths, keys or key pairs. Required. */
  readonly serverHostKeys?: KeyPairRef | readonly KeyPairRef[];
  /**
   * Host certificates to offer with the host keys they certify (files, blobs or certificates), in
   * addition to those paired with `serverHostKeys` (a key file's `-cert.pub` companion included).
   */
  readonly serverHostCerts?: CertificateRef | readonly CertificateRef[];
  readonly passphrase?: string | Uint8Array;
  /** authorized_keys for every user: a path, its text, or a parsed list. */
  readonly authorizedClientKeys?: string | SSHAuthorizedKeys;
  /**
   * Roots trusted for X.509 client certificates (RFC 6187 x509v3-* user authentication, whose
   * end certificates authorized_keys must list or match by subject): certificates, files or data.
   * Default ~/.ssh/ca-bundle.crt when it exists; null turns X.509 client authentication off.
   */
  readonly x509TrustedCerts?: X509TrustedCertsOption;
  /** Files or directories of further trusted X.509 roots. */
  readonly x509TrustedCertPaths?: readonly string[];
  /** Purposes a client's X.509 certificate must allow (default 'secureShellClient'; 'any' skips the check). */
  readonly x509Purposes?: string | readonly string[];
  readonly publicKeyAuth?: boolean;
  readonly passwordAuth?: boolean;
  readonly kbdintAuth?: boolean;
  readonly hostBasedAuth?: boolean;
  /**
   * gssapi-with-mic (Kerberos): default on when MIT's GSS-API library loads and the keytab
   * (KRB5_KTNAME, default /etc/krb5.keytab) holds keys for host/<gssHost>; false turns it off.
   */
  readonly gssAuth?: boolean;
  /** The name clients know this server by for Kerberos: its service is host@<gssHost> (default: the local host name). */
  readonly gssHost?: string;
  /**
   * GSS-API key exchange (RFC 4462, RFC 8732) and gssapi-keyex authentication: default on when
   * gssAuth is not false and the keytab allows it, as AsyncSSH's gss_kex; false turns it off
   * (sshd_config GSSAPIKeyExchange).
   */
  readonly gssKex?: boolean;
  /**
   * Host-based authentication: judge the client host by the name it claims (true), instead of
   * the reverse lookup of its address (the default, as sshd and AsyncSSH do).
   */
  readonly trustClientHost?: boolean;
  /** Accept pty requests (default true). */
  readonly allowPty?: boolean;
  /** Echo and line editing for sessions with a pty (default true). */
  readonly lineEditor?: boolean;
  readonly lineHistory?: number;
  readonly maxLineLength?: number;
  /** Runs each session as a process. */
  readonly processFactory?: ProcessFactory<T>;
  /** Makes the SSHServerSession of each session. */
  readonly sessionFactory?: () => SSHServerSession<string> | SSHServerSession<Uint8Array>;
  /** Makes the SSHServer whose callbacks each connection uses. */
  readonly serverFactory?: () => SSHServer;
  readonly serverVersion?: string;
  /** Sent before authentication (RFC 4252 §5.4). */
  readonly banner?: string;
  /** Failed authentication attempts before disconnecting (default 6, as OpenSSH). */
  readonly maxAuthTries?: number;
  readonly agentForwarding?: boolean;
  /** Accept X11 forwarding requests (default false); see x11/server-x11.ts. */
  readonly x11Forwarding?: boolean;
  /** The first X11 display number to try (default 10, as sshd's X11DisplayOffset). */
  readonly x11DisplayOffset?: number;
  /** Listen for forwarded X11 connections on the loopback address only (default true). */
  readonly x11UseLocalhost?: boolean;
  /**
   * The Xauthority file to add sessions' X11 cookies to (AsyncSSH's x11_auth_path); by default
   * each session gets a file of its own, as with sshd, which XAUTHORITY names.
   */
  readonly x11AuthPath?: string;
  /**
   * sshd_config files (a path or paths, read in order, first value winning) whose settings act as
   * defaults for the options not given here, resolved per connection (Match Address,
   * LocalAddress, LocalPort, Host) and again per user (Match User, Group); see the README for the
   * keywords applied. None by default (`null` too). A missing file or a bad line makes listen()
   * reject with ConfigParseError.
   */
  readonly config?: string | readonly string[] | null;
  /** Address family to listen on when `host` is '' or a name: 4, 6, or 0 for both (the default). */
  readonly family?: 0 | 4 | 6;
  /**
   * Look up the client's host name (reverse lookup, confirmed by a forward one) when it connects,
   * for authorized_keys `from=` host patterns and sshd_config `Match Host` (default false: the
   * client's address stands for its host, as with sshd's `UseDNS no`).
   */
  readonly rdnsLookup?: boolean;
}

const SERVER_OPTION_NAMES = [
  ...CONNECTION_OPTION_NAMES,
  'serverHostKeys',
  'passphrase',
  'authorizedClientKeys',
  'x509TrustedCerts',
  'x509TrustedCertPaths',
  'x509Purposes',
  'publicKeyAuth',
  'passwordAuth',
  'kbdintAuth',
  'hostBasedAuth',
  'gssAuth',
  'gssHost',
  'gssKex',
  'trustClientHost',
  'allowPty',
  'lineEditor',
  'lineHistory',
  'maxLineLength',
  'processFactory',
  'sessionFactory',
  'serverFactory',
  'serverVersion',
  'banner',
  'maxAuthTries',
  'agentForwarding',
  'x11Forwarding',
  'x11DisplayOffset',
  'x11UseLocalhost',
  'x11AuthPath',
  'sftpFactory',
  'sftpVersion',
  'allowScp',
  'serverHostCerts',
  'config',
  'family',
  'rdnsLookup',
];

export interface ServerConfig {
  readonly options: SSHServerConnectionOptions;
  readonly hostKeys: SSHKey[];
  /** What the transport presents: `hostKeys`, some paired with a host certificate or an X.509 chain. */
  readonly hostIdentities: (SSHKey | SSHKeyPair)[];
  readonly authorizedKeys: SSHAuthorizedKeys | undefined;
  /** Roots for X.509 client certificates; null: X.509 client authentication is off. */
  readonly x509Roots: readonly SSHX509Certificate[] | null;
  /** What `caSignatureAlgs` allows (OpenSSH's default when not given). */
  readonly caSignatureAlgorithms: readonly string[];
  /** The sshd_config files of `config`, read once. */
  readonly file?: ServerConfigFile;
}

/**
 * server-sig-algs with X.509 client authentication on: the default list and the x509v3-* names
 * of its key types (clients that honour the list offer X.509 chains only when it names them).
 */
const WITH_X509_SIG_ALGORITHMS: readonly string[] = [
  ...DEFAULT_USERAUTH_SIG_ALGORITHMS,
  ...new Set(DEFAULT_USERAUTH_SIG_ALGORITHMS.flatMap((a) => x509Algorithms(a))),
];

/** Whether each listener's server can accept Kerberos (the keytab read once per listener). */
const gssChecks = new WeakMap<ServerConfig, { readonly ok: boolean; readonly reason: string; warned?: boolean }>();

function gssChecked(config: ServerConfig, logger?: { warning(message: string): void }): { readonly ok: boolean; readonly reason: string } {
  let check = gssChecks.get(config);
  if (check === undefined) {
    check = GssServerAuth.check();
    gssChecks.set(config, check);
  }
  if (logger !== undefined && check.warned !== true) {
    check.warned = true;
    const o = config.options;
    if (!check.ok && (o.gssAuth === true || o.gssKex === true)) logger.warning(`gssapi-with-mic and GSS-API key exchange are off: ${check.reason}`);
  }
  return check;
}

/** What is known of a connection when it is accepted (with `config` or `rdnsLookup`). */
interface AcceptedConnection {
  /** The client's host name from rdnsLookup. */
  readonly clientHost?: string;
  /** Match criteria of the connection, and what the config says for them. */
  readonly match?: ServerConnection;
  readonly resolved?: ResolvedServerConfig;
}

/** The shared options with the policy's values for those Match may change. */
function withPolicy(o: SSHConnectionOptions, p: ConnectionPolicy): SSHConnectionOptions {
  return {
    ...o,
    ...(p.rekeyBytes !== undefined ? { rekeyBytes: p.rekeyBytes } : {}),
    ...(p.rekeySeconds !== undefined ? { rekeySeconds: p.rekeySeconds } : {}),
    ...(p.keepaliveInterval !== undefined ? { keepaliveInterval: p.keepaliveInterval } : {}),
    ...(p.keepaliveCountMax !== undefined ? { keepaliveCountMax: p.keepaliveCountMax } : {}),
  };
}

/**
 * Whether a security key's signature attests enough (sshd's rule): the user's touch unless the
 * key's options waive it (no-touch-required), their verification when required (verify-required).
 * `flags` is undefined for other keys, which attest nothing and need not.
 */
function tokenAttested(flags: number | undefined, touch: boolean, verify: boolean): boolean {
  if (flags === undefined) return true;
  if (touch && (flags & SK_USER_PRESENCE_REQD) === 0) return false;
  return !verify || (flags & SK_USER_VERIFICATION_REQD) !== 0;
}

export class SSHServerConnection extends SSHConnection {
  readonly server: SSHServer;
  private readonly config: ServerConfig;
  private readonly auth: UserauthServer;
  /** gssapi-with-mic's acceptor, when the keytab has keys for gssHost's service. */
  private readonly gss: GssServerAuth | undefined;
  /** GSS-API key exchange's acceptor, and gssapi-keyex's MIC check. */
  private readonly gssKex: GssServerKex | undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  /**
   * Why user authentication disconnected the client (too many failures, a malformed message): the
   * machine sent the DISCONNECT itself, so the socket closes as if cleanly; this is what it reports.
   */
  private authFailure: DisconnectError | undefined;
  private keyOptions: AuthorizedKeyOptions | undefined;
  private authorizedKeys: SSHAuthorizedKeys | undefined;
  private resolvedClientHost: Promise<string> | undefined;
  /** What the options and the config (for this connection, then this user) allow. */
  private policy: ConnectionPolicy;
  private readonly accepted: AcceptedConnection;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly ready: Promise<void>;
  private readonly forwarding: ServerForwarding;
  /** Channels of createServerChannel() not yet used, with their window and packet size. */
  private readonly serverChannels = new WeakMap<SSHServerChannel<string>, { windowSize: number; maxPacketSize: number }>();

  /** @internal Made by listen() for each accepted socket (through acceptServerConnection). */
  constructor(socket: Duplex, config: ServerConfig, accepted: AcceptedConnection = {}) {
    const o = config.options;
    const policy = connectionPolicy(o, accepted.resolved, config.caSignatureAlgorithms);
    const effective = withPolicy(o, policy);
    const signatureAlgorithms = o.signatureAlgs === undefined ? undefined : typeof o.signatureAlgs === 'string' ? o.signatureAlgs.split(',') : [...o.signatureAlgs];
    // Decided before the first KEXINIT, so Match blocks (which need the user) cannot change it.
    const gssKex = o.gssKex !== false && (o.gssKex === true || o.gssAuth !== false) && gssChecked(config).ok ? GssServerKex.create(o.gssHost ?? os.hostname()) : undefined;
    const transport = new Transport({
      role: 'server',
      registry: (standardRegistry ??= createStandardRegistry()),
      ...transportSettings(effective),
      ...(signatureAlgorithms ? { serverSigAlgorithms: signatureAlgorithms } : config.x509Roots !== null ? { serverSigAlgorithms: WITH_X509_SIG_ALGORITHMS } : {}),
      hostKeys: config.hostIdentities,
      softwareVersion: o.serverVersion ?? `AsyncSSH_TS_${VERSION}`,
      ...(gssKex !== undefined ? { gssKex: true } : {}),
    });
    super(socket, transport, connectionSettings(effective), 'server');
    this.gssKex = gssKex;
    if (socket instanceof net.Socket) socket.setKeepAlive(o.tcpKeepalive !== false);
    this.config = config;
    this.policy = policy;
    this.accepted = accepted;
    this.authorizedKeys = config.authorizedKeys;
    this.ready = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    this.server = o.serverFactory ? o.serverFactory() : new SSHServer();
    this.forwarding = serverForwarding(this, this.mux, () => this.scheduleFlush());
    const s = this.server;
    // Made whenever a keytab allows it: a Match User block may still turn it on or off (offeredMethods).
    this.gss = o.gssAuth !== false && gssChecked(config, this.logger).ok ? GssServerAuth.create(o.gssHost ?? os.hostname()) : undefined;
    this.auth = new UserauthServer(transport, {
      methods: this.offeredMethods(),
      ...(signatureAlgorithms ? { signatureAlgorithms } : {}),
      onRefused: (message) => this.logger.info(message),
      hostKeys: config.hostKeys,
      loginTimeoutMs: 0,
      ...(this.clientAddress !== undefined ? { clientAddress: this.clientAddress } : {}),
      ...(o.banner !== undefined ? { banner: o.banner } : {}),
      ...(o.maxAuthTries !== undefined ? { maxAttempts: o.maxAuthTries } : {}),
    });
    const loginTimeout = seconds('loginTimeout', o.loginTimeout, 120);
    if (loginTimeout > 0) {
      this.loginTimer = setTimeout(() => {
        this.logger.info('login timeout expired');
        this.disconnect(DISCONNECT.CONNECTION_LOST, 'login timeout expired');
      }, loginTimeout * 1000);
      this.loginTimer.unref();
    }
    s.connectionMade(this);
    this.start();
  }

  /** The client's IP address as sshd matches it (an IPv4 client on an IPv6 socket unmapped). */
  private get clientAddress(): string | undefined {
    const address = this.peerAddress;
    return address === undefined ? undefined : unmapAddress(address);
  }

  /**
   * The client host that host-based authentication judges: the name the client claims with
   * `trustClientHost`, else the reverse lookup of its address confirmed by a forward lookup (the
   * address itself when there is no such name, '' when there is no address), as sshd does.
   */
  private clientHostFor(claimed: string): Promise<string> {
    if (this.config.options.trustClientHost === true) return Promise.resolve(claimed.replace(/\.$/, ''));
    const address = this.clientAddress;
    if (address === undefined) return Promise.resolve('');
    this.resolvedClientHost ??= resolveClientHost(address, this.peerPort ?? 0);
    return this.resolvedClientHost;
  }

  /**
   * How keyboard-interactive authentication runs: the application's own challenges, a "Password:"
   * prompt checked by validatePassword (kbdintAuthSupported() left undefined and passwords
   * taken, AsyncSSH's default), or not at all.
   */
  private kbdintMode(): 'own' | 'password' | 'off' {
    const supported = this.server.kbdintAuthSupported();
    if (supported === true) return 'own';
    return supported === undefined && this.server.passwordAuthSupported() ? 'password' : 'off';
  }

  /** A "Password:" answer checked as a password; one that must change refuses (AsyncSSH does too). */
  private async kbdintPassword(username: string, responses: readonly string[]): Promise<boolean> {
    if (responses.length !== 1) return false;
    return (await passwordAnswer(() => this.server.validatePassword(username, responses[0] as string))) === true;
  }

  /** The methods offered: asked of the SSHServer (after beginAuth, which may set authorized keys). */
  private offeredMethods(): ServerMethod[] {
    const p = this.policy;
    const s = this.server;
    const methods: ServerMethod[] = [];
    if (p.publicKeyAuth && (this.authorizedKeys !== undefined || s.publicKeyAuthSupported())) methods.push('publickey');
    if (p.kbdintAuth && this.kbdintMode() !== 'off') methods.push('keyboard-interactive');
    if (p.passwordAuth && s.passwordAuthSupported()) methods.push('password');
    if (p.hostBasedAuth && s.hostBasedAuthSupported()) methods.push('hostbased');
    if (p.gssAuth !== false && this.gss !== undefined) methods.push('gssapi-with-mic');
    // Listed only once a GSS-API key exchange established a context (the auth machine checks).
    if (p.gssAuth !== false && this.gssKex !== undefined) methods.unshift('gssapi-keyex');
    return methods;
  }

  /**
   * The config again, now for `username` (Match User, Group), as AsyncSSH reloads it once the user
   * is known: what is allowed, keepalive, CA signature algorithms, and the keys AuthorizedKeysFile
   * names for this user (unless authorizedClientKeys was given).
   */
  private async applyUserConfig(username: string): Promise<void> {
    const file = this.config.file;
    if (!file) return;
    const resolved = await resolveFor(file, { ...this.accepted.match, user: username });
    const policy = connectionPolicy(this.config.options, resolved, this.config.caSignatureAlgorithms);
    this.policy = policy;
    this.setKeepalive(seconds('keepaliveInterval', policy.keepaliveInterval, 0), positiveInt('keepaliveCountMax', policy.keepaliveCountMax, 3));
    if (policy.authorizedKeysFiles === null) this.authorizedKeys = undefined;
    else if (policy.authorizedKeysFiles !== undefined) this.authorizedKeys = await loadUserAuthorizedKeys(policy.authorizedKeysFiles, username, this.logger);
  }

  /**
   * The authorized keys for this connection (AsyncSSH set_authorized_keys), usually called from
   * SSHServer.beginAuth for the user logging in: a file name, its text, or a parsed list.
   */
  setAuthorizedKeys(keys: string | SSHAuthorizedKeys | null): void {
    if (keys === null || keys instanceof SSHAuthorizedKeys) this.authorizedKeys = keys ?? undefined;
    else this.authorizedKeys = importAuthorizedKeys(looksLikeKeys(keys) ? keys : readFileSync(keys, 'utf8'));
    this.auth.setMethods(this.offeredMethods());
  }

  protected handleTransportEvent(e: TransportEvent): void {
    if (e.type === 'version') this.setExtraInfo('clientVersion', e.peer.softwareVersion);
    if (e.type === 'kex-complete') {
      const a = e.algorithms;
      this.setExtraInfo('kex', a.kex);
      this.setExtraInfo('serverHostKeyAlgorithm', a.hostKey);
      this.setExtraInfo('sendCipher', a.cipherServerToClient);
      this.setExtraInfo('recvCipher', a.cipherClientToServer);
      this.setExtraInfo('sendMac', a.macServerToClient);
      this.setExtraInfo('recvMac', a.macClientToServer);
      this.setExtraInfo('sendCompression', a.compressionServerToClient);
      this.setExtraInfo('recvCompression', a.compressionClientToServer);
    }
    if (e.type === 'debug') this.server.debugMsgReceived(e.message, e.languageTag, e.alwaysDisplay);
    if (e.type === 'gss-kex-step') {
      const kex = this.gssKex;
      void (kex === undefined ? Promise.resolve({ error: 'GSS-API key exchange is off' }) : kex.step(e.token ?? new Uint8Array(0), e.first)).then((a) => {
        this.transport.resolveGssKex(e.id, a);
        this.flush();
      });
      return;
    }
    if (e.type === 'gss-kex-mic') {
      this.transport.resolveGssKex(e.id, this.gssKex?.mic(e.data) ?? null);
      return;
    }
    if (e.type === 'gss-kex-verify-mic') {
      this.transport.resolveGssKex(e.id, false);
      return;
    }
    if (this.auth.handle(e)) this.drainAuth();
  }

  private drainAuth(): void {
    for (let a = this.auth.nextEvent(); a; a = this.auth.nextEvent()) this.authEvent(a);
  }

  /**
   * Answers auth event `id` with what `decide` gives (sync or async). A handler that throws or
   * rejects refuses (`false`: deny for every question but begin-auth) or, for begin-auth, whose
   * `false` would let the user in unauthenticated, ends the connection, as AsyncSSH does.
   */
  private answer(id: number, decide: () => ServerAnswer | Promise<ServerAnswer>, onFailure: 'deny' | 'disconnect' = 'deny'): void {
    new Promise<ServerAnswer>((resolve) => resolve(decide())).then(
      (v) =>
        this.guarded(() => {
          this.auth.resolve(id, v);
          this.drainAuth();
          this.flush();
        }),
      (err: unknown) =>
        this.guarded(() => {
          this.logger.warning(`authentication handler failed: ${err instanceof Error ? err.message : String(err)}`);
          if (onFailure === 'disconnect') {
            this.disconnect(DISCONNECT.BY_APPLICATION, 'authentication failed on the server');
            return;
          }
          this.auth.resolve(id, false);
          this.drainAuth();
          this.flush();
        }),
    );
  }

  private authEvent(a: UserauthServerEvent): void {
    const s = this.server;
    const keys = this.authorizedKeys;
    const host = this.accepted.clientHost;
    const peer = { clientAddr: this.clientAddress ?? '', ...(host !== undefined ? { clientHost: host } : {}) };
    switch (a.type) {
      case 'begin-auth':
        // A new user name: nothing loaded for the previous one (setAuthorizedKeys in beginAuth,
        // a matched line's options) may carry over to it.
        this.authorizedKeys = this.config.authorizedKeys;
        this.keyOptions = undefined;
        this.answer(
          a.id,
          async () => {
            await this.applyUserConfig(a.username);
            const required = await s.beginAuth(a.username);
            this.auth.setMethods(this.offeredMethods());
            return required;
          },
          'disconnect',
        );
        return;
      case 'validate-password':
        this.answer(a.id, () => passwordAnswer(() => s.validatePassword(a.username, a.password)));
        return;
      case 'change-password':
        this.answer(a.id, () => passwordAnswer(() => s.changePassword(a.username, a.oldPassword, a.newPassword)));
        return;
      case 'validate-public-key': {
        const listed = keys?.validate(a.key, { ...peer, user: a.username });
        if (a.proven && !tokenAttested(a.skFlags, !(listed?.noTouchRequired ?? false), listed?.verifyRequired ?? false)) {
          this.answer(a.id, () => false);
        } else if (listed) {
          if (a.proven) this.keyOptions = listed;
          this.answer(a.id, () => true);
        } else if (!a.proven) {
          // Queries are answered without asking the application: it only ever hears about keys
          // whose possession was proven (the mistake behind x/crypto/ssh CVE-2024-45337).
          this.answer(a.id, () => s.publicKeyAuthSupported());
        } else {
          this.answer(a.id, () => s.validatePublicKey(a.username, a.key));
        }
        return;
      }
      case 'validate-x509-chain':
        this.answer(a.id, () => this.x509ChainAllowed(a.chain, a.username, keys, peer, a.proven));
        return;
      case 'validate-ca-key': {
        const cert = a.certificate;
        if (!this.caSignatureAllowed(cert, 'user')) {
          this.answer(a.id, () => false);
          return;
        }
        const listed = keys?.validate(a.caKey, { ...peer, user: a.username, certPrincipals: cert.principals }, true);
        // As sshd merges a cert-authority line's options with the certificate's: touch may be
        // skipped only when both allow it, verification is required when either asks for it.
        const touch = !(cert.extensions.has('no-touch-required') && (listed?.noTouchRequired ?? false));
        if (a.proven && !tokenAttested(a.skFlags, touch, cert.verifyRequired || (listed?.verifyRequired ?? false))) {
          this.answer(a.id, () => false);
        } else if (listed?.command !== undefined && cert.forceCommand !== undefined && listed.command !== cert.forceCommand) {
          // Two forced commands that differ: sshd refuses rather than pick one of them.
          this.logger.info('certificate refused: its force-command differs from the command= of its cert-authority line');
          this.answer(a.id, () => false);
        } else if (listed) {
          if (a.proven) this.keyOptions = listed;
          // A principals= option stands for the user name among the certificate's principals.
          // Without one, `true`: this is the user's own file, so (as sshd reads authorized_keys, and
          // AsyncSSH) a certificate naming no one passes; the transport refuses one naming others.
          this.answer(a.id, () => (listed.principals !== undefined ? { principals: listed.principals } : true));
        } else if (!a.proven) this.answer(a.id, () => s.publicKeyAuthSupported());
        else this.answer(a.id, () => s.validateCaKey(a.username, a.caKey));
        return;
      }
      case 'kbdint-challenge-requested':
        this.answer(a.id, () => (this.kbdintMode() === 'password' ? PASSWORD_CHALLENGE : s.getKbdintChallenge(a.username, '', a.submethods)));
        return;
      case 'validate-kbdint-response':
        this.answer(a.id, () => (this.kbdintMode() === 'password' ? this.kbdintPassword(a.username, a.responses) : s.validateKbdintResponse(a.username, a.responses)));
        return;
      case 'validate-host-public-key':
        this.answer(a.id, async () => s.validateHostPublicKey(await this.clientHostFor(a.clientHostName), this.peerAddress, this.peerPort, a.key));
        return;
      case 'validate-host-ca-key':
        if (!this.caSignatureAllowed(a.certificate, 'host')) {
          this.answer(a.id, () => false);
          return;
        }
        this.answer(a.id, async () => {
          const host = await this.clientHostFor(a.clientHostName);
          // The certificate must then name that host, not the one the client claims.
          return (await s.validateHostCaKey(host, this.peerAddress, this.peerPort, a.caKey)) === true ? { hostName: host } : false;
        });
        return;
      case 'validate-host-based-user':
        this.answer(a.id, () => s.validateHostBasedUser(a.username, a.clientHostName, a.clientUserName));
        return;
      case 'gss-step':
        this.answer(a.id, () => this.gss?.step(a.token, a.first) ?? { error: 'gssapi-with-mic is off' });
        return;
      case 'gss-verify-mic':
        this.answer(a.id, () => (a.keyex === true ? this.gssKex : this.gss)?.verifyMic(a.data, a.mic) ?? false);
        return;
      case 'validate-gss-principal':
        this.answer(a.id, () => s.validateGssPrincipal(a.username, a.userPrincipal, a.hostPrincipal));
        return;
      case 'auth-completed':
        this.authenticated = true;
        if (this.loginTimer) clearTimeout(this.loginTimer);
        this.setExtraInfo('username', a.username);
        this.setExtraInfo('authMethod', a.methods.at(-1));
        s.authCompleted();
        this.settle?.resolve();
        this.settle = undefined;
        return;
      case 'failure':
        this.logger.info(`authentication failed: ${a.error.message}`);
        this.authFailure = a.error;
        return;
    }
  }

  /**
   * Whether the CA signed `cert` with an algorithm `caSignatureAlgs` allows. As sshd, a certificate
   * signed otherwise is refused before anyone is asked about its CA, queries included.
   */
  /**
   * An X.509 client chain (x509v3-* user authentication), judged as AsyncSSH does: an
   * authorized_keys line must list its end certificate or match its subject, and the chain must
   * lead to a trusted root (x509TrustedCerts, or a cert-authority line's certificate), allow the
   * client purpose and name the user as a principal, unless that line has principals=.
   */
  private x509ChainAllowed(chain: readonly SSHX509Certificate[], username: string, keys: SSHAuthorizedKeys | undefined, peer: { clientAddr: string; clientHost?: string }, proven: boolean): boolean {
    const roots = this.config.x509Roots;
    const end = chain[0];
    if (roots === null || keys === undefined || end === undefined) return false;
    const context = { ...peer, user: username };
    const listed = keys.validateX509(end, context);
    if (listed === undefined) return false;
    try {
      verifyX509Chain(chain, [...roots, ...keys.x509Roots(context)], {
        purposes: this.config.options.x509Purposes ?? 'secureShellClient',
        ...(listed.principals === undefined ? { principal: username, principalKind: 'user' as const } : {}),
      });
    } catch (err) {
      this.logger.debug1(`X.509 client certificate refused: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    if (proven) this.keyOptions = listed;
    return true;
  }

  private caSignatureAllowed(cert: SSHCertificate, kind: 'user' | 'host'): boolean {
    if (this.policy.caSignatureAlgorithms.includes(cert.signatureAlgorithm)) return true;
    this.logger.info(`${kind} certificate refused: its CA signed it with ${JSON.stringify(cert.signatureAlgorithm)}, which caSignatureAlgs does not allow`);
    return false;
  }

  /**
   * An option of the authorized_keys line the client authenticated with, by its name in the file
   * ('command', 'environment', 'from', 'permitopen', 'permitlisten', 'principals', 'tunnel',
   * 'expiry-time', ...).
   */
  getKeyOption(name: string, defaultValue?: unknown): unknown {
    const o = this.keyOptions;
    if (!o) return defaultValue;
    const key = KEY_OPTION_NAMES[name.toLowerCase()];
    const value = key === undefined ? undefined : o[key];
    return value === undefined ? defaultValue : value;
  }

  /**
   * False when the authorized_keys line (no-pty, restrict, ...) or the user certificate withholds
   * `permission`: 'pty', 'port-forwarding', 'agent-forwarding', 'X11-forwarding', 'user-rc'.
   */
  checkKeyPermission(permission: string): boolean {
    if (!this.checkCertificatePermission(permission)) return false;
    const o = this.keyOptions;
    if (!o) return true;
    const key = PERMISSIONS[permission.toLowerCase()];
    return key === undefined ? true : o[key];
  }

  /** Resolves once the client authenticated; rejects if the connection ends first. */
  whenAuthenticated(): Promise<void> {
    return this.ready;
  }

  /** A critical option of the certificate the client authenticated with ('force-command', 'source-address', ...). */
  getCertificateOption(name: string, defaultValue?: string): string | undefined {
    const value = this.auth.authenticatedCertificate?.criticalOptions.get(name);
    if (value === undefined) return defaultValue;
    // The option's data is itself a string (PROTOCOL.certkeys): skip its length when present.
    const inner = value.length >= 4 && new DataView(value.buffer, value.byteOffset, 4).getUint32(0) === value.length - 4 ? value.subarray(4) : value;
    return new TextDecoder().decode(inner);
  }

  /**
   * False when the client's certificate withholds `permission` ('pty', 'port-forwarding',
   * 'agent-forwarding', 'X11-forwarding', 'user-rc'); true without a certificate.
   */
  checkCertificatePermission(permission: string): boolean {
    const cert = this.auth.authenticatedCertificate;
    if (cert === undefined) return true;
    // Compared without case: the extension is permit-X11-forwarding, the key option x11-forwarding.
    const wanted = `permit-${permission}`.toLowerCase();
    for (const name of cert.extensions.keys()) if (name.toLowerCase() === wanted) return true;
    return false;
  }

  private tuntapContext(): { mux: ConnectionMux; connection: SSHServerConnection; flush: () => void } {
    return { mux: this.mux, connection: this, flush: () => this.scheduleFlush() };
  }

  /**
   * A channel to answer tunRequested / tapRequested with, as [channel, session] (AsyncSSH's
   * create_tuntap_channel): for its window and packet size.
   */
  createTuntapChannel(options: TunTapChannelOptions = {}): SSHTunTapChannel {
    return makeTuntapChannel(this.tuntapContext(), options);
  }

  protected connectionClosed(closedWith: Error | undefined): void {
    const error = closedWith ?? this.authFailure;
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.settle?.reject(error ?? new ConnectionLost('connection closed before authentication completed'));
    this.settle = undefined;
    this.forwarding.closeAll();
    this.server.connectionLost(error);
  }

  /** tcpip-forward and streamlocal-forward requests (and their cancels) go to the SSHServer. */
  protected override globalRequested(request: IncomingGlobalRequest): void {
    if (!this.forwarding.globalRequest(request)) super.globalRequested(request);
  }

  protected channelOpenRequested(request: IncomingChannelOpen): void {
    if (this.forwarding.channelOpen(request)) return;
    if (acceptTunTap(this.tuntapContext(), request, (mode, unit) => (mode === 1 ? this.server.tunRequested(unit) : this.server.tapRequested(unit)), (m) => this.logger.warning(m))) return;
    if (request.type !== 'session') {
      request.reject(CHANNEL_OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE, `unsupported channel type ${request.type}`);
      return;
    }
    this.openSession(request).catch((err: unknown) => {
      // Once the channel is open, what threw is the session's own code (its connectionMade):
      // that ends the connection, as any session callback that throws does.
      if (request.answered) {
        this.internalError(err);
        return;
      }
      this.logger.warning(`session open failed: ${err instanceof Error ? err.message : String(err)}`);
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'session open failed');
    });
  }

  /** What a session channel may do, from the options and the client's key or certificate. */
  private sessionPolicy(): ServerChannelPolicy & { readonly allowPtyNow: boolean } {
    const agentForwarding = this.policy.agentForwarding && this.checkKeyPermission('agent-forwarding');
    const x11Forwarding = this.config.options.x11Forwarding === true && this.checkKeyPermission('X11-forwarding');
    const allowPty = this.policy.allowPty && this.checkKeyPermission('pty');
    return {
      allowPtyNow: allowPty,
      acceptEnv: () => true,
      allowPty: () => allowPty,
      forcedCommand: () => this.getCertificateOption('force-command') ?? (this.getKeyOption('command') as string | undefined),
      environment: () => (this.getKeyOption('environment', []) as readonly string[]),
      ...(agentForwarding ? { agentForwarding: (channel: SSHServerChannel) => startAgentForwarding(channel, this.mux, this, () => this.scheduleFlush()) } : {}),
      ...(x11Forwarding ? { x11Forwarding: (channel: SSHServerChannel, request: X11ServerRequest) => startX11Forwarding(channel, request, { mux: this.mux, connection: this, flush: () => this.scheduleFlush(), warn: (m) => this.logger.warning(m) }, x11ServerOptions(this.config.options)) } : {}),
    };
  }

  private async openSession(request: IncomingChannelOpen): Promise<void> {
    const o = this.config.options;
    const answer = await this.server.sessionRequested();
    if (answer === false) {
      request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'session refused');
      return;
    }
    if (Array.isArray(answer)) {
      // [channel, session]: a channel of createServerChannel() and what runs it.
      const [channel, session] = answer as readonly [SSHServerChannel<string>, SSHServerSession<string>];
      const made = this.serverChannels.get(channel);
      if (made === undefined || channel.muxChannel !== undefined) throw new TypeError('sessionRequested answered with a channel not made by createServerChannel(), or already in use');
      this.serverChannels.delete(channel);
      channel.attach(request.accept(channel.handler, made));
      channel.bindSession(session);
      this.flush();
      return;
    }
    const policy = this.sessionPolicy();
    const allowPty = policy.allowPtyNow;
    if (answer !== true) {
      const channel = new SSHServerChannel<string>(this, policy, { ...(o.encoding !== undefined ? { encoding: o.encoding } : {}) });
      channel.attach(request.accept(channel.handler, this.channelOptions()));
      channel.bindSession(answer as SSHServerSession<string>);
      this.flush();
      return;
    }
    const files = (o.sftpFactory !== undefined && o.sftpFactory !== false) || o.allowScp === true;
    if (o.processFactory || files) {
      // With the line editor on (the default), the channel is AsyncSSH's SSHLineEditorChannel.
      const channel =
        o.lineEditor === false
          ? new SSHServerChannel<Uint8Array>(this, policy, { encoding: null, manualWindow: true })
          : new SSHLineEditorChannel<Uint8Array>(this, policy, { encoding: null, manualWindow: true });
      const factory = files ? fileServiceFactory(o, o.processFactory as ProcessFactory<string> | undefined, () => session) : o.processFactory;
      const session: ServerProcessSession<string> = new ServerProcessSession<string>(channel, {
        factory: factory as ProcessFactory<string>,
        allowPty,
        acceptSubsystem: (name) => servesSubsystem(o, name) || o.processFactory !== undefined,
        ...(o.lineEditor !== undefined ? { lineEditor: o.lineEditor } : {}),
        ...(o.lineHistory !== undefined ? { lineHistory: o.lineHistory } : {}),
        ...(o.maxLineLength !== undefined ? { maxLineLength: o.maxLineLength } : {}),
        encoding: o.encoding === undefined ? 'utf-8' : o.encoding,
        ...(o.errors !== undefined ? { errors: o.errors } : {}),
        // redirect() from a local child's pipe or a socket reads it into a reused buffer.
        pump: nodePump,
        onError: (err) => this.logger.warning(`process factory failed: ${err instanceof Error ? err.message : String(err)}`),
      });
      channel.attach(request.accept(channel.handler, this.channelOptions()));
      channel.bindSession(session as unknown as SSHServerSession<Uint8Array>);
      this.flush();
      return;
    }
    if (o.sessionFactory) {
      const channel = new SSHServerChannel<string>(this, policy, { ...(o.encoding !== undefined ? { encoding: o.encoding } : {}) });
      channel.attach(request.accept(channel.handler, this.channelOptions()));
      channel.bindSession(o.sessionFactory() as SSHServerSession<string>);
      this.flush();
      return;
    }
    request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'no session handler');
  }

  private channelOptions() {
    const s = connectionSettings(this.config.options);
    return { windowSize: s.windowSize, maxPacketSize: s.maxPacketSize };
  }

  // ------------------------------------------------------------------ AsyncSSH's server-side methods

  /**
   * Sends an authentication banner (SSH_MSG_USERAUTH_BANNER) to the client while it
   * authenticates, typically from SSHServer.beginAuth. Throws once authentication is complete.
   */
  sendAuthBanner(msg: string, lang = 'en-US'): void {
    if (this.authenticated) throw new Error('authentication is already complete: a banner can no longer be sent');
    this.auth.sendBanner(msg, lang);
    this.scheduleFlush();
  }

  private requireAuthenticated(what: string): void {
    if (!this.authenticated) throw new Error(`${what}: the client has not authenticated yet`);
  }

  /**
   * Opens a forwarded-tcpip channel to the client, for a connection that arrived on
   * `remoteHost`:`remotePort` (a listener the client asked for with forwardRemotePort,
   * createServer, ...) from `origHost`:`origPort`, run by a session object of `sessionFactory`:
   * [channel, session]. A client that never asked for that listener refuses (ChannelOpenError).
   */
  get createConnection(): ServerForwarding['createConnection'] {
    return (...args) => {
      this.requireAuthenticated('createConnection');
      return this.forwarding.createConnection(...args);
    };
  }

  /** As createConnection, as streams: [reader, writer]. */
  get openConnection(): ServerForwarding['openConnection'] {
    return (...args) => {
      this.requireAuthenticated('openConnection');
      return this.forwarding.openConnection(...args);
    };
  }

  /** Opens a forwarded-streamlocal@openssh.com channel to the client for its listener on `remotePath`: [channel, session]. */
  get createUnixConnection(): ServerForwarding['createUnixConnection'] {
    return (...args) => {
      this.requireAuthenticated('createUnixConnection');
      return this.forwarding.createUnixConnection(...args);
    };
  }

  /** As createUnixConnection, as streams: [reader, writer]. */
  get openUnixConnection(): ServerForwarding['openUnixConnection'] {
    return (...args) => {
      this.requireAuthenticated('openUnixConnection');
      return this.forwarding.openUnixConnection(...args);
    };
  }

  /**
   * A session channel with its own encoding (default the connection's, 'utf-8'; null for bytes),
   * error handling, window and packet size, for SSHServer.sessionRequested to answer with
   * together with the session to run it: `[conn.createServerChannel({ encoding: null }), session]`.
   */
  createServerChannel<T extends string | Uint8Array = string>(options: ServerChannelOptions = {}): SSHServerChannel<T> {
    const o = this.config.options;
    const defaults = this.channelOptions();
    const windowSize = checkedSize('window', options.window) ?? defaults.windowSize;
    const maxPacketSize = checkedSize('maxPktsize', options.maxPktsize) ?? defaults.maxPacketSize;
    const encoding = options.encoding !== undefined ? options.encoding : o.encoding;
    const errors = options.errors ?? o.errors;
    const channel = new SSHServerChannel<T>(this, this.sessionPolicy(), {
      ...(encoding !== undefined ? { encoding } : {}),
      ...(errors !== undefined ? { errors } : {}),
    });
    this.serverChannels.set(channel as SSHServerChannel<string>, { windowSize, maxPacketSize });
    return channel;
  }

  /** A channel for SSHServer.connectionRequested to answer with, with its session object: [channel, session]. Bytes unless `encoding`. */
  createTcpChannel<T extends string | Uint8Array = Uint8Array>(options: ForwardChannelOptions = {}): SSHTCPChannel<T> {
    return this.forwarding.createTcpChannel<T>(options);
  }

  /** A channel for SSHServer.unixConnectionRequested to answer with, with its session object. */
  createUnixChannel<T extends string | Uint8Array = Uint8Array>(options: ForwardChannelOptions = {}): SSHUNIXChannel<T> {
    return this.forwarding.createUnixChannel<T>(options);
  }
}

/** Options of createServerChannel (AsyncSSH's create_server_channel arguments). */
export interface ServerChannelOptions {
  /** Text encoding of the session's data (default the connection's, 'utf-8'); null for bytes. */
  readonly encoding?: string | null;
  readonly errors?: 'strict' | 'replace';
  /** Receive window (default the connection's). */
  readonly window?: number;
  readonly maxPktsize?: number;
}

function checkedSize(what: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${what} must be a positive integer, not ${value}`);
  return value;
}

/** What an SSHAcceptor runs on each accepted stream, and how it takes new options (update()). */
export interface AcceptorHooks {
  /** Runs SSH (server side, or client side for listenReverse) on an accepted stream. */
  readonly start: (socket: Duplex) => SSHConnection | Promise<SSHConnection>;
  /** Checks and applies new options for connections accepted from now on. */
  readonly update?: (options: Readonly<Record<string, unknown>>) => Promise<void>;
}

/**
 * Where an acceptor's connections come from: TCP servers of ours, or listeners on the far side
 * of another connection (listenSsh, listenReverseSsh) whose connections arrive as streams.
 */
type AcceptorSource = net.Server | SSHListener;

/**
 * A running listener (AsyncSSH's SSHAcceptor): one socket, one per port an sshd_config lists, or
 * a listener on an SSH server that tunnels its connections here (listenSsh, listenReverseSsh).
 */
export class SSHAcceptor {
  private readonly sources: readonly AcceptorSource[];
  private readonly hooks: AcceptorHooks;
  private readonly connections = new Set<SSHConnection>();
  private closed: Promise<void> | undefined;

  /**
   * @internal `hooks.start` (or `hooks` itself, a function) runs SSH on each accepted socket. TCP
   * servers pause sockets on connect, so that acceptTcp() can set up their reads; an SSHListener
   * source hands its streams to acceptStream().
   */
  constructor(sources: AcceptorSource | readonly AcceptorSource[], hooks: AcceptorHooks | AcceptorHooks['start']) {
    this.sources = Array.isArray(sources) ? [...(sources as readonly AcceptorSource[])] : [sources as AcceptorSource];
    this.hooks = typeof hooks === 'function' ? { start: hooks } : hooks;
    for (const source of this.sources) {
      if (source instanceof net.Server) {
        source.on('connection', (socket: net.Socket) => {
          socket.on('error', () => socket.destroy());
          acceptTcp(socket);
          this.acceptStream(socket);
        });
      }
    }
  }

  /** @internal Runs SSH on one accepted stream (a TCP socket, or a tunnelled channel); `start` overrides the hooks' own. */
  acceptStream(socket: Duplex, start: AcceptorHooks['start'] = this.hooks.start): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const track = (conn: SSHConnection): void => {
      if (this.closed) conn.close();
      this.connections.add(conn);
      void conn.waitClosed().then(() => this.connections.delete(conn));
    };
    try {
      const conn = start(socket);
      if (conn instanceof Promise) conn.then(track, () => socket.destroy());
      else track(conn);
    } catch {
      socket.destroy();
    }
  }

  /**
   * Changes the options used for connections accepted from now on (AsyncSSH's update): those of
   * listen() for a listener of listen() or listenSsh(), those of connect() for listenReverse()
   * or listenReverseSsh(); connections already accepted keep theirs. Resolves once the new
   * options are in effect (host keys and authorized keys they name are loaded first); rejects,
   * changing nothing, for an unknown option or one that does not load.
   */
  async update(options: SSHServerConnectionOptions | Readonly<Record<string, unknown>>): Promise<void> {
    if (!this.hooks.update) throw new TypeError('this listener takes no option updates');
    await this.hooks.update(options as Readonly<Record<string, unknown>>);
  }

  /** The addresses listened on: [host, port] pairs. */
  getAddresses(): [string, number][] {
    const out: [string, number][] = [];
    for (const source of this.sources) {
      if (source instanceof net.Server) {
        const a = source.address();
        if (a && typeof a === 'object') out.push([a.address, a.port]);
      } else out.push(...source.getAddresses());
    }
    return out;
  }

  /** The port listened on (useful with port 0). */
  getPort(): number {
    return this.getAddresses()[0]?.[1] ?? 0;
  }

  /** Stops listening and closes every connection. */
  close(): void {
    this.closed ??= Promise.all(
      this.sources.map((source) => (source instanceof net.Server ? new Promise<void>((resolve) => source.close(() => resolve())) : source.waitClosed().catch(() => undefined))),
    ).then(() => undefined);
    for (const c of this.connections) c.close();
  }

  async waitClosed(): Promise<void> {
    this.close();
    await this.closed;
    await Promise.all([...this.connections].map((c) => c.waitClosed()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.waitClosed();
  }
}

/** authorized_keys option names (as written) to their fields. */
const KEY_OPTION_NAMES: Readonly<Record<string, keyof AuthorizedKeyOptions>> = {
  command: 'command',
  environment: 'environment',
  from: 'from',
  permitopen: 'permitOpen',
  permitlisten: 'permitListen',
  principals: 'principals',
  tunnel: 'tunnel',
  'expiry-time': 'expiryTime',
  'cert-authority': 'certAuthority',
  restrict: 'restrict',
  'no-touch-required': 'noTouchRequired',
  'verify-required': 'verifyRequired',
};

/** Permissions (AsyncSSH's names) to the effective flags of a line. */
const PERMISSIONS: Readonly<Record<string, 'pty' | 'portForwarding' | 'agentForwarding' | 'x11Forwarding' | 'userRc'>> = {
  pty: 'pty',
  'port-forwarding': 'portForwarding',
  'agent-forwarding': 'agentForwarding',
  'x11-forwarding': 'x11Forwarding',
  'user-rc': 'userRc',
};

/** Text that is authorized_keys content rather than a file name. */
function looksLikeKeys(value: string): boolean {
  return value.includes('\n') || /^(ssh-|ecdsa-|sk-|cert-authority|from=|command=|restrict)/.test(value);
}

async function loadAuthorizedKeys(value: string | SSHAuthorizedKeys | undefined): Promise<SSHAuthorizedKeys | undefined> {
  if (value === undefined || value instanceof SSHAuthorizedKeys) return value;
  return importAuthorizedKeys(looksLikeKeys(value) ? value : await readFile(value, 'utf8'));
}

/**
 * @internal Checks the options, reads the sshd_config files of `config` (whose global settings
 * fill in unset options), and loads host keys and authorized keys, once per listener.
 */
export async function buildServerConfig(what: string, explicit: SSHServerConnectionOptions): Promise<ServerConfig> {
  checkOptionNames(what, explicit, SERVER_OPTION_NAMES);
  // Checked here, not per connection: NaN or Infinity would turn the attempt limit off unseen.
  positiveInt(`${what}: maxAuthTries`, explicit.maxAuthTries, 6);
  const file = explicit.config === undefined || explicit.config === null ? undefined : await readServerConfigFile(explicit.config, (standardRegistry ??= createStandardRegistry()));
  const opts = file ? listenerOptions(explicit, file) : explicit;
  if (file) {
    const ignored = ignoredKeywords(file);
    if (ignored.length > 0) logFor('server').debug1(`${what}: sshd_config settings not applied: ${ignored.join(', ')}`);
  }
  // GSS-API key exchange authenticates the server by its Kerberos service key (RFC 4462 §2): a
  // server that asks for it may run without host keys, offering the 'null' host key algorithm.
  const gssOnly = opts.serverHostKeys === undefined && opts.gssKex === true;
  if (opts.serverHostKeys === undefined && !gssOnly) throw new TypeError(`${what}: serverHostKeys is required (or HostKey in config), unless gssKex is true`);
  const caSignatureAlgorithms = caSignatureAlgorithmsOf(opts.caSignatureAlgs);
  // loadKeypairs lists a certified key twice (with its certificate, then plain): one entry per key here.
  const pairs = gssOnly
    ? []
    : (await loadKeypairs(opts.serverHostKeys as KeyPairRef | KeyPairRef[], opts.passphrase)).filter((p, i, all) => all.findIndex((q) => q.key.equals(p.key)) === i);
  if (pairs.length === 0 && !gssOnly) throw new TypeError(`${what}: no server host keys`);
  const hostKeys = pairs.map((p) => p.key);
  // A key's -cert.pub companion may be a user certificate: then the key is offered plain.
  const hostIdentities: (SSHKey | SSHKeyPair)[] = pairs.map((p) => (p.certificate === undefined || p.certificate.kind === 'host' ? p : p.key));
  const extra = opts.serverHostCerts === undefined ? [] : await loadCertificates(opts.serverHostCerts as CertificateRef | CertificateRef[]);
  for (const cert of extra) {
    if (cert.kind !== 'host') throw new TypeError(`${what}: serverHostCerts: ${JSON.stringify(cert.keyId)} is a ${cert.kind} certificate`);
    const key = hostKeys.find((k) => k.equals(cert.key));
    if (!key) throw new TypeError(`${what}: serverHostCerts: ${JSON.stringify(cert.keyId)} certifies none of the server host keys`);
    hostIdentities.unshift(new SSHKeyPair(key, cert));
  }
  return {
    options: opts,
    hostKeys,
    hostIdentities,
    authorizedKeys: await loadAuthorizedKeys(opts.authorizedClientKeys),
    x509Roots: await resolveX509Roots(opts.x509TrustedCerts, opts.x509TrustedCertPaths, os.homedir()),
    caSignatureAlgorithms,
    ...(file ? { file } : {}),
  };
}

function unmapped(address: string | undefined): string | undefined {
  return address === undefined ? undefined : unmapAddress(address);
}

/**
 * @internal Starts the server side of SSH on a connected socket: at once, or, with `config` or
 * `rdnsLookup`, once the client's host name is looked up and the config resolved for this
 * connection's addresses (Match Address, LocalAddress, LocalPort, Host).
 */
export function acceptServerConnection(stream: Duplex, config: ServerConfig): SSHServerConnection | Promise<SSHServerConnection> {
  const o = config.options;
  const file = config.file;
  if (!file && o.rdnsLookup !== true) return new SSHServerConnection(stream, config);
  // A tunnelled stream has no addresses: Match Address and rdnsLookup then see none.
  const socket: Partial<Pick<net.Socket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort' | 'destroyed'>> = stream instanceof net.Socket ? stream : { destroyed: stream.destroyed };
  return (async () => {
    const address = unmapped(socket.remoteAddress);
    const clientHost = o.rdnsLookup === true && address !== undefined ? await resolveClientHost(address, socket.remotePort ?? 0) : undefined;
    let match: ServerConnection | undefined;
    let resolved: ResolvedServerConfig | undefined;
    if (file) {
      const localAddress = unmapped(socket.localAddress);
      // Without rdnsLookup (sshd's UseDNS no) the address stands for the host.
      const host = clientHost ?? address;
      match = {
        ...(address !== undefined ? { address } : {}),
        ...(host !== undefined ? { host } : {}),
        ...(localAddress !== undefined ? { localAddress } : {}),
        ...(socket.localPort !== undefined ? { localPort: socket.localPort } : {}),
      };
      resolved = await resolveFor(file, match);
    }
    if (stream.destroyed) throw new ConnectionLost('client left before the connection started');
    return new SSHServerConnection(stream, config, {
      ...(clientHost !== undefined ? { clientHost } : {}),
      ...(match !== undefined ? { match } : {}),
      ...(resolved !== undefined ? { resolved } : {}),
    });
  })();
}

/**
 * Listens for SSH clients: resolves once the sockets are bound. Without `port`, listens on every
 * Port of the `config` files, else 22.
 */
export async function listen<T extends string | Uint8Array = string>(host: string | SSHServerConnectionOptions<T> = '', port?: number, options: SSHServerConnectionOptions<T> = {}): Promise<SSHAcceptor> {
  const opts = typeof host === 'string' ? options : host;
  const bindHost = typeof host === 'string' ? host : '';
  const config = await buildServerConfig('listen()', opts);
  const ports = port !== undefined ? [port] : ((config.file ? configPorts(config.file) : undefined) ?? [22]);
  const servers: net.Server[] = [];
  try {
    const addresses = await bindAddresses(bindHost, config.options.family);
    for (const p of ports) servers.push(...(await listenAll(addresses, p, () => net.createServer({ pauseOnConnect: true }))));
  } catch (e) {
    for (const server of servers) server.close();
    throw e;
  }
  return new SSHAcceptor(servers, serverAcceptorHooks('listen()', opts, config));
}

/** @internal Runs the server side on accepted streams with `config`, rebuilt from the options merged by update(). */
export function serverAcceptorHooks(what: string, options: SSHServerConnectionOptions, initial: ServerConfig): AcceptorHooks {
  let given = options;
  let config = initial;
  return {
    start: (socket) => acceptServerConnection(socket, config),
    update: async (changes) => {
      const next = { ...given, ...changes } as SSHServerConnectionOptions;
      config = await buildServerConfig(`${what} update()`, next);
      given = next;
    },
  };
}

export { SSHServer };
