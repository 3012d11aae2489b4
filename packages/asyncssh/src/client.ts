/**
 * SSHClientConnection and connect(): a client connection over TCP (or a given socket) with host
 * key checking, user authentication through the SSHClient callbacks, and sessions on top.
 * @module
 */

import net from 'node:net';
import type { Duplex } from 'node:stream';
import os from 'node:os';
import { createStandardRegistry, type Registry } from '@ssh/crypto';
import type { IncomingChannelOpen } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE, DISCONNECT } from '@ssh/wire';
import { SSHCertificate, SSHKey, SSHKeyPair } from '@ssh/keys';
import {
  ConnectionLost,
  DEFAULT_HOST_KEY_ALGORITHMS,
  DisconnectError,
  Transport,
  UserauthClient,
  type ClientKey,
  type ClientMethod,
  type HostBasedIdentity,
  type PresentedHostKey,
  type TransportEvent,
  type UserauthClientEvent,
} from '@ssh/transport';
import { connectTcp } from '@ssh/transport/node';
import { SSHClient, overrides } from './client-handlers.ts';
import type { CertificatesRef, SecurityKeyPrompts, SecurityKeyProvider } from '@ssh/keys/node';
import { loadClientKeys, type ClientKeysOption, type HostBasedCredentials } from './client-keys.ts';
import { KeysignError, keysign, localHostName, socketFd } from './keysign.ts';
import { applyClientConfig } from './client-config.ts';
import { openTunnel, type TunnelOption } from './tunnel.ts';
import { SSHConnection } from './connection.ts';
import { createHostKeyVerifier, type HostKeyVerifier, type KnownHostsOption, type X509TrustedCertsOption } from './host-key-policy.ts';
import { CONNECTION_OPTION_NAMES, caSignatureAlgorithms, checkOptionNames, connectionSettings, seconds, transportSettings, type SSHConnectionOptions } from './options.ts';
import { ClientSessions, SESSION_OPTION_NAMES, type SessionDefaults } from './client-sessions.ts';
import { VERSION } from './version.ts';
import { ClientForwarding } from './forward/client-forward.ts';
import * as sshTunnel from './ssh-tunnel.ts';
import type { SSHAcceptor, SSHServerConnection, SSHServerConnectionOptions } from './server.ts';
import { ClientTunTap } from './tuntap/client-tuntap.ts';
import { GssClientAuth, GssClientKex } from './gss.ts';
import { openProxyCommand } from './proxy-command.ts';

/** The algorithm registry every connection shares (immutable; building one per connection cost ~0.1 ms). */
let standardRegistry: Registry | undefined;

export interface SSHClientConnectionOptions extends SSHConnectionOptions, SessionDefaults {
  /** Host to connect to (default 'localhost'); ignored with `sock`. */
  readonly host?: string;
  readonly port?: number;
  /** Login name (default: the local user). */
  readonly username?: string;
  readonly password?: string;
  /** Keys to authenticate with: paths, keys, key pairs; null or [] for none. Default: ~/.ssh/id_*. */
  readonly clientKeys?: ClientKeysOption | null;
  /**
   * OpenSSH certificates (paths, data or loaded) paired with whichever of the local keys they
   * certify, clientKeys or the default ones (AsyncSSH client_certs; ssh_config CertificateFile).
   */
  readonly clientCerts?: CertificatesRef;
  readonly passphrase?: string | Uint8Array;
  /** Skip encrypted default keys for which no passphrase was given (default true). */
  readonly ignoreEncrypted?: boolean;
  readonly knownHosts?: KnownHostsOption;
  readonly hostKeyAlias?: string;
  readonly x509TrustedCerts?: X509TrustedCertsOption;
  readonly x509TrustedCertPaths?: readonly string[];
  readonly x509Purposes?: string | readonly string[];
  readonly serverHostKeyAlgs?: string | readonly string[];
  /** The software version in our identification string. */
  readonly clientVersion?: string;
  /** Seconds to establish the TCP connection (default: no limit beyond loginTimeout). */
  readonly connectTimeout?: number | string;
  /** ssh-agent socket: default SSH_AUTH_SOCK; null to not use an agent. */
  readonly agentPath?: string | null;
  /** A PKCS#11 provider whose tokens' keys are offered when no clientKeys are given (see loadPkcs11Keys). */
  readonly pkcs11Provider?: string | null;
  /** The PIN of the provider's tokens. */
  readonly pkcs11Pin?: string;
  /**
   * What signs for security-key (sk-*) client keys: 'internal' (CTAP2 over USB HID, the
   * default), an OpenSSH middleware library's path (ssh_config SecurityKeyProvider; default
   * SSH_SK_PROVIDER), or a SecurityKeyBackend.
   */
  readonly securityKeyProvider?: SecurityKeyProvider;
  /** The authenticator PIN, for security keys that ask for user verification (ssh-keygen -O verify-required). */
  readonly securityKeyPin?: string;
  /**
   * Tells the user that the authenticator waits for a touch, and asks for its PIN when it wants
   * one and `securityKeyPin` is not given (the CLI prints and reads the terminal, as ssh does).
   */
  readonly securityKeyPrompts?: SecurityKeyPrompts;
  /** See SessionDefaults.agentForwarding: true, or the socket of the agent to forward. */
  readonly agentForwarding?: boolean | string;
  /** Methods to try, in order ('gssapi-with-mic', 'hostbased', 'publickey', 'keyboard-interactive', 'password'). */
  readonly preferredAuth?: string | readonly string[];
  readonly publicKeyAuth?: boolean;
  readonly passwordAuth?: boolean;
  readonly kbdintAuth?: boolean;
  readonly hostBasedAuth?: boolean;
  /** gssapi-with-mic (Kerberos): default on when MIT's GSS-API library loads and KRB5CCNAME (or the default cache) holds a ticket. */
  readonly gssAuth?: boolean;
  /** The server's name for Kerberos: its service is host@<gssHost> (default: the host connected to). */
  readonly gssHost?: string;
  /** Forward (delegate) the Kerberos ticket to the server (default false). */
  readonly gssDelegateCreds?: boolean;
  /**
   * GSS-API key exchange (RFC 4462, RFC 8732) and then gssapi-keyex authentication, Kerberos V5:
   * default on, as AsyncSSH's gss_kex, when gssAuth is not false and a ticket is cached (KRB5CCNAME
   * or the default /tmp/krb5cc_<uid>); false turns it off (ssh_config GSSAPIKeyExchange).
   */
  readonly gssKex?: boolean;
  readonly clientHostKeys?: ClientKeysOption;
  /**
   * Host-based authentication signed by OpenSSH's set-uid ssh-keysign, for host keys the user
   * cannot read (AsyncSSH client_host_keysign; ssh_config EnableSSHKeysign): true to find it
   * where OpenSSH installs it, or its path. clientHostKeys are then public keys (default
   * /etc/ssh/ssh_host_*_key.pub), and the client host name, unless clientHost is given, is the
   * name of the connection's local address, which ssh-keysign checks. Needs a direct TCP
   * connection (ssh-keysign is handed its socket): with a tunnel or a proxy command connect()
   * fails with KeysignError.
   */
  readonly clientHostKeysign?: boolean | string;
  readonly clientHost?: string;
  readonly clientUsername?: string;
  /** Makes the SSHClient whose callbacks this connection uses. */
  readonly clientFactory?: () => SSHClient;
  /** An already-connected socket (or any duplex byte stream) to run SSH over instead of connecting. */
  readonly sock?: Duplex;
  /**
   * Connect through other SSH connections (OpenSSH's ProxyJump): a connection of yours,
   * `[user@]host[:port]`, a comma-separated list of hops, or a list; the last hop opens a
   * direct-tcpip channel to the target. Hops opened here close with this connection.
   */
  readonly tunnel?: TunnelOption | null;
  /**
   * Run SSH over the standard input and output of this local command instead of a TCP connection
   * (AsyncSSH's proxy_command, ssh_config's ProxyCommand with %h %n %p %r expanded): a string is
   * split with shell quoting and run without a shell, a list is run as given. The command is
   * stopped when the connection closes. `tunnel` wins when both are given; null: none (over
   * ssh_config).
   */
  readonly proxyCommand?: string | readonly string[] | null;
  readonly localAddr?: readonly [host: string, port: number];
  readonly family?: 4 | 6 | 0;
  /** Where default keys and known_hosts live (default: the user's home directory). */
  readonly homeDirectory?: string;
  /** ssh_config files to read (default ~/.ssh/config and /etc/ssh/ssh_config); null: none. */
  readonly config?: string | readonly string[] | null;
}

export const CLIENT_OPTION_NAMES = [
  ...CONNECTION_OPTION_NAMES,
  ...SESSION_OPTION_NAMES,
  'host',
  'port',
  'username',
  'password',
  'clientKeys',
  'clientCerts',
  'passphrase',
  'ignoreEncrypted',
  'knownHosts',
  'hostKeyAlias',
  'x509TrustedCerts',
  'x509TrustedCertPaths',
  'x509Purposes',
  'serverHostKeyAlgs',
  'clientVersion',
  'connectTimeout',
  'agentPath',
  'pkcs11Provider',
  'pkcs11Pin',
  'securityKeyProvider',
  'securityKeyPin',
  'securityKeyPrompts',
  'agentForwarding',
  'preferredAuth',
  'publicKeyAuth',
  'passwordAuth',
  'kbdintAuth',
  'hostBasedAuth',
  'gssAuth',
  'gssHost',
  'gssDelegateCreds',
  'gssKex',
  'clientHostKeys',
  'clientHostKeysign',
  'clientHost',
  'clientUsername',
  'clientFactory',
  'sock',
  'tunnel',
  'proxyCommand',
  'localAddr',
  'family',
  'homeDirectory',
  'config',
];

interface Prepared {
  readonly options: SSHClientConnectionOptions;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly keys: ClientKey[];
  readonly agentSign: (key: SSHKey | SSHCertificate, algorithm: string, data: Uint8Array) => Promise<Uint8Array | null>;
  readonly closeAgent: () => void;
  readonly hostBased: HostBasedCredentials | undefined;
  /** ssh-keysign and the descriptor of the connection's socket, once connected (see withKeysignSocket). */
  readonly keysign?: { readonly path: string; readonly fd: number };
  readonly methods: ClientMethod[];
  readonly client: SSHClient;
  readonly gss: GssClientAuth | undefined;
  readonly gssKex: GssClientKex | undefined;
}

export class SSHClientConnection extends SSHConnection {
  readonly client: SSHClient;
  private readonly prepared: Prepared;
  private readonly verifier: HostKeyVerifier;
  private readonly auth: UserauthClient;
  private readonly sessions: ClientSessions;
  private readonly forwarding: ClientForwarding;
  private readonly tuntap: ClientTunTap;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly ready: Promise<void>;
  private loginTimer: NodeJS.Timeout | undefined;
  private serverHostKey: PresentedHostKey | undefined;
  private keysignFailed = false;

  /** @internal Use connect(). */
  constructor(socket: Duplex, prepared: Prepared, verifier: HostKeyVerifier) {
    const o = prepared.options;
    const hostKeyAlgorithms =
      o.serverHostKeyAlgs !== undefined
        ? typeof o.serverHostKeyAlgs === 'string'
          ? o.serverHostKeyAlgs.split(',')
          : [...o.serverHostKeyAlgs]
        : verifier.preferredAlgorithms(DEFAULT_HOST_KEY_ALGORITHMS);
    const transport = new Transport({
      role: 'client',
      registry: (standardRegistry ??= createStandardRegistry()),
      ...transportSettings(o),
      hostKeyAlgorithms,
      softwareVersion: o.clientVersion ?? `AsyncSSH_TS_${VERSION}`,
      ...(prepared.gssKex !== undefined ? { gssKex: true } : {}),
    });
    super(socket, transport, connectionSettings(o), 'client');
    this.prepared = prepared;
    this.verifier = verifier;
    this.client = prepared.client;
    this.ready = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    const c = this.client;
    this.auth = new UserauthClient(transport, {
      username: prepared.username,
      keys: prepared.keys,
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(prepared.hostBased ? { hostBased: hostBasedIdentities(prepared.hostBased) } : {}),
      methods: prepared.methods,
      publicKeyAuthRequested: overrides(c, 'publicKeyAuthRequested'),
      passwordAuthRequested: overrides(c, 'passwordAuthRequested'),
      kbdintAuthRequested: overrides(c, 'kbdintAuthRequested') || overrides(c, 'kbdintChallengeReceived'),
    });
    this.setExtraInfo('username', prepared.username);
    this.setExtraInfo('host', prepared.host);
    this.setExtraInfo('port', prepared.port);
    this.sessions = new ClientSessions(this.mux, this, o, () => this.scheduleFlush());
    this.forwarding = new ClientForwarding({ mux: this.mux, connection: this, flush: () => this.scheduleFlush() }, (err) =>
      this.logger.warning(`forwarded connection handler failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    this.tuntap = new ClientTunTap({ mux: this.mux, connection: this, flush: () => this.scheduleFlush() });
    const loginTimeout = seconds('loginTimeout', o.loginTimeout, 120);
    if (loginTimeout > 0) {
      this.loginTimer = setTimeout(() => this.failConnect(new ConnectionLost('login timeout expired')), loginTimeout * 1000);
      this.loginTimer.unref();
    }
    this.client.connectionMade(this);
    this.start();
  }

  /** @internal Resolves once authenticated. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private failConnect(error: Error): void {
    this.rejectReady(error);
    if (!this.isClosed) {
      if (error instanceof DisconnectError) this.disconnect(error.reasonCode, error.reason);
      else this.disconnect(DISCONNECT.BY_APPLICATION, error.message);
    }
  }

  private rejectReady(error: Error): void {
    if (this.loginTimer) clearTimeout(this.loginTimer);
    const s = this.settle;
    this.settle = undefined;
    s?.reject(error);
  }

  protected handleTransportEvent(e: TransportEvent): void {
    switch (e.type) {
      case 'version':
        this.setExtraInfo('serverVersion', e.peer.softwareVersion);
        break;
      case 'verify-host-key':
        this.verifier.verify(e.hostKey, e.algorithm).then(
          () => {
            this.serverHostKey = e.hostKey;
            this.transport.resolveHostKey(e.id, true);
            this.flush();
          },
          (err: Error) => this.failConnect(err),
        );
        return;
      case 'gss-kex-step': {
        const kex = this.prepared.gssKex;
        const answer = kex === undefined ? Promise.resolve({ error: 'GSS-API key exchange is off' }) : kex.step(e.token);
        void answer.then((a) => {
          this.transport.resolveGssKex(e.id, a);
          this.flush();
        });
        return;
      }
      case 'gss-kex-verify-mic':
        this.transport.resolveGssKex(e.id, this.prepared.gssKex?.verifyMic(e.data, e.mic) ?? false);
        return;
      case 'gss-kex-mic':
        this.transport.resolveGssKex(e.id, null);
        return;
      case 'kex-complete':
        this.setExtraInfo('sendCipher', e.algorithms.cipherClientToServer);
        this.setExtraInfo('recvCipher', e.algorithms.cipherServerToClient);
        this.setExtraInfo('sendMac', e.algorithms.macClientToServer);
        this.setExtraInfo('recvMac', e.algorithms.macServerToClient);
        this.setExtraInfo('sendCompression', e.algorithms.compressionClientToServer);
        this.setExtraInfo('recvCompression', e.algorithms.compressionServerToClient);
        this.setExtraInfo('kex', e.algorithms.kex);
        this.setExtraInfo('serverHostKeyAlgorithm', e.algorithms.hostKey);
        break;
      case 'debug':
        this.client.debugMsgReceived(e.message, e.languageTag, e.alwaysDisplay);
        break;
      case 'disconnect':
      case 'ext-info':
      case 'message':
      case 'pong':
      case 'unimplemented':
        break;
    }
    if (this.auth.handle(e)) this.drainAuth();
    else if (e.type === 'message' && !this.authenticated) this.drainAuth();
  }

  private drainAuth(): void {
    for (let a = this.auth.nextEvent(); a; a = this.auth.nextEvent()) this.authEvent(a);
  }

  private authEvent(a: UserauthClientEvent): void {
    const c = this.client;
    const answer = (id: number, value: Parameters<UserauthClient['resolve']>[1] | Promise<Parameters<UserauthClient['resolve']>[1]>): void => {
      Promise.resolve(value).then(
        (v) =>
          this.guarded(() => {
            this.auth.resolve(id, v);
            this.drainAuth();
            this.flush();
          }),
        (err: unknown) => this.failConnect(err instanceof Error ? err : new Error(String(err))),
      );
    };
    switch (a.type) {
      case 'banner':
        c.authBannerReceived(a.message, a.languageTag);
        return;
      case 'public-key-requested':
        answer(a.id, Promise.resolve(c.publicKeyAuthRequested()));
        return;
      case 'sign': {
        const ks = this.prepared.keysign;
        const forHost = this.prepared.hostBased?.keys.some((k) => 'publicKey' in k && a.publicKey === k.publicKey) === true;
        if (ks !== undefined && forHost) answer(a.id, this.keysignHostbased(ks.path, ks.fd, a.data));
        else answer(a.id, this.prepared.agentSign(a.publicKey, a.algorithm, a.data));
        return;
      }
      case 'password-requested':
        answer(a.id, Promise.resolve(c.passwordAuthRequested()));
        return;
      case 'password-change-requested':
        answer(
          a.id,
          Promise.resolve(c.passwordChangeRequested(a.prompt, a.languageTag)).then((r) => (r ? { oldPassword: r[0], newPassword: r[1] } : null)),
        );
        return;
      case 'password-changed':
        c.passwordChanged();
        return;
      case 'password-change-failed':
        c.passwordChangeFailed();
        return;
      case 'kbdint-requested':
        answer(a.id, overrides(c, 'kbdintAuthRequested') ? Promise.resolve(c.kbdintAuthRequested()) : '');
        return;
      case 'gss-step':
        answer(a.id, this.prepared.gss?.step(a.token) ?? null);
        return;
      case 'gss-mic':
        answer(a.id, (a.keyex === true ? this.prepared.gssKex?.mic(a.data) : this.prepared.gss?.mic(a.data)) ?? null);
        return;
      case 'kbdint-challenge':
        answer(a.id, Promise.resolve(c.kbdintChallengeReceived(a.name, a.instruction, a.languageTag, a.prompts)).then((r) => (r ? [...r] : null)));
        return;
      case 'partial-success':
        return;
      case 'success':
        this.authenticated = true;
        if (this.loginTimer) clearTimeout(this.loginTimer);
        this.setExtraInfo('authMethod', a.method);
        c.authCompleted();
        this.settle?.resolve();
        this.settle = undefined;
        return;
      case 'failure':
        this.failConnect(a.error);
        return;
    }
  }

  /**
   * ssh-keysign's signature; when it fails, host-based authentication is given up with a warning,
   * as ssh does: the host keys left are declined without running it again.
   */
  private async keysignHostbased(path: string, fd: number, data: Uint8Array): Promise<Uint8Array | null> {
    if (this.keysignFailed) return null;
    try {
      return await keysign(path, fd, data);
    } catch (err) {
      this.keysignFailed = true;
      this.logger.warning(`host-based authentication: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  protected connectionClosed(error: Error | undefined): void {
    this.prepared.closeAgent();
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.rejectReady(error ?? new ConnectionLost('connection closed before authentication completed'));
    this.sessions.closeAll();
    this.forwarding.closeAll();
    this.client.connectionLost(error);
  }

  protected channelOpenRequested(request: IncomingChannelOpen): void {
    if (this.forwarding.acceptIncoming(request)) return;
    if (!this.sessions.acceptIncoming(request)) request.reject(CHANNEL_OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE, `unexpected channel type ${request.type}`);
  }

  /** The server's host key (or host certificate), as checked during the key exchange. */
  getServerHostKey(): PresentedHostKey | undefined {
    return this.serverHostKey;
  }

  // ------------------------------------------------------------------ sessions

  get createSession(): ClientSessions['createSession'] {
    return this.sessions.createSession;
  }

  get openSession(): ClientSessions['openSession'] {
    return this.sessions.openSession;
  }

  get createProcess(): ClientSessions['createProcess'] {
    return this.sessions.createProcess;
  }

  get run(): ClientSessions['run'] {
    return this.sessions.run;
  }

  get startSftpClient(): ClientSessions['startSftpClient'] {
    return this.sessions.startSftpClient;
  }

  get createSubprocess(): ClientSessions['createSubprocess'] {
    return this.sessions.createSubprocess;
  }

  // ------------------------------------------------------------------ SSH through this connection

  /**
   * An SSH client connection to `host`:`port`, tunnelled through this one (a direct-tcpip
   * channel its server opens), with connect()'s options: [connection, client].
   */
  createSshConnection<C extends SSHClient>(clientFactory: () => C, host: string, port?: number, options: SSHClientConnectionOptions = {}): Promise<[SSHClientConnection, C]> {
    return sshTunnel.createSshConnection(this, clientFactory, host, port, options);
  }

  /** As createSshConnection, resolving with the connection (connect() with `tunnel: this`). */
  connectSsh(host: string, port?: number, options: SSHClientConnectionOptions = {}): Promise<SSHClientConnection> {
    return sshTunnel.connectSsh(this, host, port, options);
  }

  /** Opens a channel to `host`:`port` through this connection and acts as the SSH server on it (connectReverse through this). */
  connectReverseSsh<T extends string | Uint8Array = string>(host: string, port = 22, options: SSHServerConnectionOptions<T> = {}): Promise<SSHServerConnection> {
    return sshTunnel.connectReverseSsh(this, host, port, options);
  }

  /** An SSH server listening on `host`:`port` of this connection's server (listen() through this). */
  listenSsh<T extends string | Uint8Array = string>(host = '', port = 22, options: SSHServerConnectionOptions<T> = {}): Promise<SSHAcceptor> {
    return sshTunnel.listenSsh(this, host, port, options);
  }

  /** Listens on `host`:`port` of this connection's server and acts as the SSH client on each connection (listenReverse through this). */
  listenReverseSsh(host = '', port = 22, options: SSHClientConnectionOptions = {}): Promise<SSHAcceptor> {
    return sshTunnel.listenReverseSsh(this, host, port, options);
  }

  // ------------------------------------------------------------------ forwarding

  get createConnection(): ClientForwarding['createConnection'] {
    return this.forwarding.createConnection;
  }

  get openConnection(): ClientForwarding['openConnection'] {
    return this.forwarding.openConnection;
  }

  get createUnixConnection(): ClientForwarding['createUnixConnection'] {
    return this.forwarding.createUnixConnection;
  }

  get openUnixConnection(): ClientForwarding['openUnixConnection'] {
    return this.forwarding.openUnixConnection;
  }

  get forwardLocalPort(): ClientForwarding['forwardLocalPort'] {
    return this.forwarding.forwardLocalPort;
  }

  get forwardLocalPath(): ClientForwarding['forwardLocalPath'] {
    return this.forwarding.forwardLocalPath;
  }

  get forwardLocalPortToPath(): ClientForwarding['forwardLocalPortToPath'] {
    return this.forwarding.forwardLocalPortToPath;
  }

  get forwardLocalPathToPort(): ClientForwarding['forwardLocalPathToPort'] {
    return this.forwarding.forwardLocalPathToPort;
  }

  get forwardRemotePort(): ClientForwarding['forwardRemotePort'] {
    return this.forwarding.forwardRemotePort;
  }

  get forwardRemotePath(): ClientForwarding['forwardRemotePath'] {
    return this.forwarding.forwardRemotePath;
  }

  get forwardRemotePortToPath(): ClientForwarding['forwardRemotePortToPath'] {
    return this.forwarding.forwardRemotePortToPath;
  }

  get forwardRemotePathToPort(): ClientForwarding['forwardRemotePathToPort'] {
    return this.forwarding.forwardRemotePathToPort;
  }

  get forwardSocks(): ClientForwarding['forwardSocks'] {
    return this.forwarding.forwardSocks;
  }

  get createServer(): ClientForwarding['createServer'] {
    return this.forwarding.createServer;
  }

  get startServer(): ClientForwarding['startServer'] {
    return this.forwarding.startServer;
  }

  get createUnixServer(): ClientForwarding['createUnixServer'] {
    return this.forwarding.createUnixServer;
  }

  get startUnixServer(): ClientForwarding['startUnixServer'] {
    return this.forwarding.startUnixServer;
  }

  // ------------------------------------------------------------------ TUN/TAP (tun@openssh.com)

  get createTun(): ClientTunTap['createTun'] {
    return this.tuntap.createTun;
  }

  get createTap(): ClientTunTap['createTap'] {
    return this.tuntap.createTap;
  }

  get openTun(): ClientTunTap['openTun'] {
    return this.tuntap.openTun;
  }

  get openTap(): ClientTunTap['openTap'] {
    return this.tuntap.openTap;
  }

  get forwardTun(): ClientTunTap['forwardTun'] {
    return this.tuntap.forwardTun;
  }

  get forwardTap(): ClientTunTap['forwardTap'] {
    return this.tuntap.forwardTap;
  }
}

/** Where to connect, checked before anything is opened. */
function target(options: SSHClientConnectionOptions): { host: string; port: number } {
  checkOptionNames('connect()', options, CLIENT_OPTION_NAMES);
  const host = options.host ?? 'localhost';
  const port = options.port ?? 22;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0-65535, not ${port}`);
  return { host, port };
}

async function prepare(options: SSHClientConnectionOptions, client: SSHClient): Promise<Prepared> {
  const { host, port } = target(options);
  const username = options.username ?? os.userInfo().username;
  const loaded = await loadClientKeys(options);
  const preferred =
    options.preferredAuth === undefined ? undefined : typeof options.preferredAuth === 'string' ? options.preferredAuth.split(',') : [...options.preferredAuth];
  const gss = GssClientAuth.create(options.gssHost ?? host, options.gssAuth, options.gssDelegateCreds === true);
  const gssKex = await GssClientKex.create(options.gssHost ?? host, options.gssKex, options.gssAuth, options.gssDelegateCreds === true);
  const methods = (preferred ?? ['gssapi-keyex', 'gssapi-with-mic', 'hostbased', 'publickey', 'keyboard-interactive', 'password']).filter(
    (m): m is ClientMethod =>
      (m === 'gssapi-keyex' && gssKex !== undefined) ||
      (m === 'gssapi-with-mic' && gss !== undefined) ||
      (m === 'hostbased' && options.hostBasedAuth !== false && loaded.hostBased !== undefined) ||
      (m === 'publickey' && options.publicKeyAuth !== false) ||
      (m === 'keyboard-interactive' && options.kbdintAuth !== false) ||
      (m === 'password' && options.passwordAuth !== false),
  );
  return { options, host, port, username, ...loaded, methods, client, gss, gssKex };
}

/** One identity per client host key, for the transport to try in turn. */
function hostBasedIdentities(hb: HostBasedCredentials): HostBasedIdentity[] {
  return hb.keys.map((key) => ({ key, clientHostName: hb.clientHostName, clientUserName: hb.clientUserName }));
}

/**
 * With clientHostKeysign, ssh-keysign gets the connection's socket (its descriptor 3) and signs
 * only for the client host name of the socket's local address: it needs a TCP socket of this
 * process, which a tunnel or a proxy command does not give. `given`: the caller asked for it
 * (rather than ssh_config).
 */
async function withKeysignSocket(prepared: Prepared, socket: Duplex, given: boolean): Promise<Prepared> {
  const hb = prepared.hostBased;
  if (hb?.keysign === undefined || !prepared.methods.includes('hostbased')) return prepared;
  const fd = socketFd(socket);
  if (fd === undefined) {
    // EnableSSHKeysign from ssh_config (often set for every host) does not stop a connection
    // through a jump host: only host-based authentication is left out.
    if (!given) return { ...prepared, hostBased: undefined, methods: prepared.methods.filter((m) => m !== 'hostbased') };
    throw new KeysignError(
      'no-socket',
      'clientHostKeysign needs a direct TCP connection: ssh-keysign is handed the connection\'s socket, and a tunnel, a proxy command or a given stream has none',
    );
  }
  const clientHostName = hb.keysign.clientHostGiven ? hb.clientHostName : await localHostName(socket as net.Socket);
  return { ...prepared, hostBased: { ...hb, clientHostName }, keysign: { path: hb.keysign.path, fd } };
}

/**
 * `given` holds the caller's own options (before ssh_config), `tunnel` the hops (which may come
 * from ssh_config's ProxyJump).
 */
async function openTunnelled(given: SSHClientConnectionOptions, tunnel: TunnelOption, host: string, port: number): Promise<{ stream: Duplex; close: () => void }> {
  // A hop authenticates like the target (the caller's keys, agent, known_hosts) under its own
  // name; what ssh_config says for the target does not carry over: the hop's name is looked up
  // in the config for itself, as ssh does for ProxyJump (its HostName, Port, User, IdentityFile).
  const { tunnel: _tunnel, sock: _sock, proxyCommand: _proxy, hostKeyAlias: _alias, command: _command, host: _host, port: _port, username: _user, ...rest } = given;
  return openTunnel(
    tunnel,
    host,
    port,
    (hop, through) =>
      connect({
        ...rest,
        host: hop.host,
        ...(hop.port !== undefined ? { port: hop.port } : {}),
        ...(hop.user !== undefined ? { username: hop.user } : {}),
        // The first hop connects directly: its own ssh_config ProxyJump must not send it round again.
        tunnel: through ?? null,
      }),
    (hop): hop is SSHClientConnection => hop instanceof SSHClientConnection,
  );
}

function openSocket(options: SSHClientConnectionOptions, host: string, port: number): Promise<Duplex> {
  if (options.sock) return Promise.resolve(options.sock);
  const timeout = seconds('connectTimeout', options.connectTimeout, 0);
  return new Promise((resolve, reject) => {
    const socket = connectTcp({
      host,
      port,
      ...(options.family ? { family: options.family } : {}),
      ...(options.localAddr ? { localAddress: options.localAddr[0], localPort: options.localAddr[1] } : {}),
    });
    const timer = timeout > 0 ? setTimeout(() => fail(new ConnectionLost(`connection to ${host} port ${port} timed out`)), timeout * 1000) : undefined;
    const fail = (err: Error): void => {
      if (timer) clearTimeout(timer);
      socket.destroy();
      reject(err instanceof DisconnectError ? err : new ConnectionLost(`cannot connect to ${host} port ${port}: ${err.message}`, undefined, { cause: err }));
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      if (timer) clearTimeout(timer);
      socket.off('error', fail);
      if (options.tcpKeepalive !== false) socket.setKeepAlive(true);
      resolve(socket);
    });
  });
}

/**
 * Connects, checks the server's host key, authenticates, and resolves with the connection.
 * Rejects with HostKeyNotVerifiable, PermissionDenied, ConnectionLost, ... (DisconnectError).
 */
export async function connect(host?: string | SSHClientConnectionOptions, options: SSHClientConnectionOptions = {}): Promise<SSHClientConnection> {
  const given: SSHClientConnectionOptions = typeof host === 'string' ? { ...options, host } : { ...host, ...options };
  checkOptionNames('connect()', given, CLIENT_OPTION_NAMES);
  const opts = await applyClientConfig(given);
  const { host: targetHost, port: targetPort } = target(opts);
  // A malformed list (given, or from ssh_config) fails here, before anything is opened.
  const caSignatureAlgs = caSignatureAlgorithms(opts.caSignatureAlgs);
  const client = opts.clientFactory ? opts.clientFactory() : new SSHClient();
  // The keys load (and known_hosts is read) while the connection opens and the server starts up.
  const preparing = prepare(opts, client);
  preparing.catch(() => undefined);
  let closeTunnel: (() => void) | undefined;
  let socket: Duplex;
  try {
    if (opts.tunnel !== undefined && opts.tunnel !== null && opts.sock === undefined) {
      const opened = await openTunnelled(given, opts.tunnel, targetHost, targetPort);
      socket = opened.stream;
      closeTunnel = opened.close;
    } else if (opts.proxyCommand !== undefined && opts.proxyCommand !== null && opts.sock === undefined) {
      const proxy = await openProxyCommand(opts.proxyCommand);
      socket = proxy.stream;
      closeTunnel = proxy.close;
    } else socket = await openSocket(opts, targetHost, targetPort);
  } catch (err) {
    // A key that fails to load is the better report (awaiting it throws that instead).
    (await preparing).closeAgent();
    throw err;
  }
  let prepared: Prepared | undefined;
  let conn: SSHClientConnection | undefined;
  try {
    const verifying = createHostKeyVerifier({
      host: targetHost,
      port: targetPort,
      ...(socket instanceof net.Socket && socket.remoteAddress ? { peerAddress: socket.remoteAddress } : {}),
      ...(opts.hostKeyAlias !== undefined ? { hostKeyAlias: opts.hostKeyAlias } : {}),
      ...(opts.knownHosts !== undefined ? { knownHosts: opts.knownHosts } : {}),
      ...(opts.x509TrustedCerts !== undefined ? { x509TrustedCerts: opts.x509TrustedCerts } : {}),
      ...(opts.x509TrustedCertPaths !== undefined ? { x509TrustedCertPaths: opts.x509TrustedCertPaths } : {}),
      ...(opts.x509Purposes !== undefined ? { x509Purposes: opts.x509Purposes } : {}),
      ...(opts.homeDirectory !== undefined ? { homeDirectory: opts.homeDirectory } : {}),
      caSignatureAlgs,
      ...hostKeyHooks(client),
    });
    verifying.catch(() => undefined);
    prepared = await preparing;
    prepared = await withKeysignSocket(prepared, socket, given.clientHostKeysign !== undefined && given.clientHostKeysign !== false);
    const verifier = await verifying;
    conn = new SSHClientConnection(socket, prepared, verifier);
    if (closeTunnel) void conn.waitClosed().then(closeTunnel);
    await conn.whenReady();
    return conn;
  } catch (err) {
    if (conn === undefined) {
      // Nothing listens on the stream yet: a proxy command's stream reports its destruction
      // before its end (an AbortError) as an error event, which would go unhandled.
      socket.on('error', () => undefined);
      socket.destroy();
    }
    closeTunnel?.();
    prepared?.closeAgent();
    throw err;
  }
}

function hostKeyHooks(client: SSHClient) {
  return {
    ...(overrides(client, 'validateHostPublicKey') ? { validateHostPublicKey: client.validateHostPublicKey.bind(client) } : {}),
    ...(overrides(client, 'validateHostCaKey') ? { validateHostCaKey: client.validateHostCaKey.bind(client) } : {}),
  };
}

export { SSHClient, SSHKey, SSHKeyPair, SSHCertificate };
