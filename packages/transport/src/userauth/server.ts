/**
 * Server side of user authentication as a sans-I/O machine over a `Transport`. RFC 4252 (service
 * request, none, password with password change, publickey with PK_OK, hostbased), RFC 4256
 * (keyboard-interactive), OpenSSH PROTOCOL §2.5 (publickey-hostbound-v00@openssh.com), OpenSSH
 * certificates (PROTOCOL.certkeys), RFC 4462 §3 (gssapi-with-mic, Kerberos V5: the GSS-API calls
 * are the application's, asked for with `gss-step` and `gss-verify-mic` events; a MIC is required).
 *
 * The machine verifies signatures itself and asks the application, through events answered with
 * `resolve(id, value)`, only what it cannot know: whether a user needs authentication, a password
 * is right, a key or CA is trusted, a challenge and its answers. For a signed request it asks only
 * after the signature verified (`proven: true`), so an application never takes a key that was
 * merely offered for a key that authenticated. Partial success follows `authenticationMethods`
 * (OpenSSH's AuthenticationMethods); failures beyond `maxAttempts` disconnect, and so do requests
 * beyond 1024 whatever their outcome (as sshd).
 * @module
 */

import { skSignatureFlags, x509Algorithms, x509BaseSigAlgorithm, type SSHCertificate, type SSHKey, type SSHX509Certificate } from '@ssh/keys';
import {
  MSG,
  ServiceAccept,
  ServiceRequest,
  UserauthBanner,
  UserauthFailure,
  UserauthGssapiError,
  UserauthGssapiErrtok,
  UserauthGssapiExchangeComplete,
  UserauthGssapiMic,
  UserauthGssapiResponse,
  UserauthGssapiToken,
  UserauthInfoRequest,
  UserauthInfoResponse,
  UserauthPasswdChangereq,
  UserauthPkOk,
  UserauthRequest,
  UserauthSuccess,
  userauthGssapiMicData,
  userauthSignedData,
  type UserauthMethodOf,
} from '@ssh/wire';
import { ConnectionLost, DisconnectError, PermissionDenied, ProtocolError, ServiceNotAvailable } from '../errors.ts';
import {
  CONNECTION_SERVICE,
  GSS_KRB5_MECHANISM,
  METHOD,
  USERAUTH_SERVICE,
  baseSigAlgorithm,
  blobKeyType,
  isGssStepFailure,
  isGssStepResult,
  readKeyBlob,
  type AuthTransport,
  type GssStepFailure,
  type GssStepResult,
  type ReceivedKey,
  type TransportEvent,
} from './common.ts';
import { sameBytes } from '../bytes.ts';
import { X509_RSA2048, X509_RSA2048_SIGNATURE, renameSignature } from '../x509-signatures.ts';

export type ServerMethod = 'publickey' | 'password' | 'keyboard-interactive' | 'hostbased' | 'gssapi-with-mic' | 'gssapi-keyex';

export interface UserauthServerOptions {
  /** Methods offered (AsyncSSH's *_auth_supported); default publickey, keyboard-interactive, password. */
  readonly methods?: readonly ServerMethod[];
  /** Lists of methods that must all succeed (OpenSSH AuthenticationMethods); default: any one method. */
  readonly authenticationMethods?: readonly (readonly ServerMethod[])[];
  /**
   * Failed attempts before disconnecting; default 6, as OpenSSH's MaxAuthTries. As in OpenSSH,
   * refused key queries count, and so does every none request but the first. An integer from 1
   * to 2^32-1: the constructor throws a RangeError for anything else.
   */
  readonly maxAttempts?: number;
  /** Sent before the first reply (RFC 4252 §5.4). */
  readonly banner?: string;
  /** Our host keys' public blobs, to check publickey-hostbound requests against. */
  readonly hostKeys?: readonly SSHKey[];
  /** Service the client must ask for (default ssh-connection). */
  readonly serviceName?: string;
  /**
   * Signature algorithms accepted from clients (plain names: 'rsa-sha2-256', 'ssh-ed25519', ...);
   * default every one the key supports. Pass the transport's `serverSigAlgorithms` to keep the two
   * in step (and leave out 'ssh-rsa' to refuse SHA-1 signatures, as OpenSSH does).
   */
  readonly signatureAlgorithms?: readonly string[];
  /** Milliseconds before an unauthenticated client is disconnected by `checkTimeout()` (default 120 s, as AsyncSSH; 0: never). */
  readonly loginTimeoutMs?: number;
  /** Milliseconds clock, for the login timeout and certificate validity (default Date.now). */
  readonly now?: () => number;
  /**
   * The client's IP address, which a user certificate's source-address must list (sshd's rule).
   * Unset, such certificates are refused: the address they are bound to cannot be checked.
   */
  readonly clientAddress?: string;
  /**
   * Why a request was turned away, for the server's log, where the client is told no more than
   * "failure" (as sshd logs "signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms"): a
   * publickey signature algorithm the key has but `signatureAlgorithms` leaves out.
   */
  readonly onRefused?: (message: string) => void;
}

/** A keyboard-interactive challenge (AsyncSSH's get_kbdint_challenge result). */
export interface KbdintChallenge {
  readonly name?: string;
  readonly instruction?: string;
  readonly languageTag?: string;
  readonly prompts: readonly { readonly prompt: string; readonly echo: boolean }[];
}

/**
 * A password is right but must change: the prompt sent in PASSWD_CHANGEREQ. A
 * PasswordChangeRequired error (thrown or returned) is one; so is a plain object.
 */
export interface PasswordChangeRequest {
  readonly changePrompt: string;
  readonly languageTag?: string;
}

export type UserauthServerEvent =
  /** True when the user must authenticate; false lets them in at once (AsyncSSH begin_auth). */
  | { readonly type: 'begin-auth'; readonly id: number; readonly username: string }
  /** boolean, or a PasswordChangeRequest (such as a PasswordChangeRequired). */
  | { readonly type: 'validate-password'; readonly id: number; readonly username: string; readonly password: string }
  /** boolean, or a PasswordChangeRequest to ask again. */
  | { readonly type: 'change-password'; readonly id: number; readonly username: string; readonly oldPassword: string; readonly newPassword: string }
  /**
   * boolean. `proven`: the request carried a valid signature by this key (else it is a query).
   * `skFlags`: for a security key's proven request, what its token attested (SK_USER_PRESENCE_REQD,
   * SK_USER_VERIFICATION_REQD): the answer decides whether that is enough.
   */
  | { readonly type: 'validate-public-key'; readonly id: number; readonly username: string; readonly key: SSHKey; readonly proven: boolean; readonly skFlags?: number }
  /**
   * Is this X.509 chain (end certificate first; RFC 6187 x509v3-* user authentication) trusted for
   * `username`? Nothing about it is checked yet but the signature, when `proven`.
   */
  | { readonly type: 'validate-x509-chain'; readonly id: number; readonly username: string; readonly chain: readonly SSHX509Certificate[]; readonly proven: boolean }
  /**
   * Is `caKey` trusted to sign user certificates? The certificate itself already checked out.
   * `true`: the CA is trusted for this user's account alone (an authorized_keys cert-authority line,
   * AsyncSSH's validate_ca_key), and the certificate must name the user or no one. A CaPrincipals
   * answer (an authorized_keys `principals=` option): it must name one of those principals, so one
   * naming no one is refused. A CA trusted for every account (sshd's TrustedUserCAKeys) should
   * answer `{ principals: [username] }`, which refuses a certificate naming no one as sshd does.
   */
  | {
      readonly type: 'validate-ca-key';
      readonly id: number;
      readonly username: string;
      readonly caKey: SSHKey;
      readonly certificate: SSHCertificate;
      readonly proven: boolean;
      readonly skFlags?: number;
    }
  /** KbdintChallenge, true (accept now) or false. */
  | { readonly type: 'kbdint-challenge-requested'; readonly id: number; readonly username: string; readonly submethods: string }
  /** KbdintChallenge (another round), true or false. */
  | { readonly type: 'validate-kbdint-response'; readonly id: number; readonly username: string; readonly responses: readonly string[] }
  /** boolean: is this client host key trusted for this host? Its signature verified. */
  | {
      readonly type: 'validate-host-public-key';
      readonly id: number;
      readonly clientHostName: string;
      readonly clientUserName: string;
      readonly key: SSHKey;
    }
  /**
   * Is `caKey` trusted to sign host certificates? `true`: the certificate must name the host the
   * client claims (or no host); a HostNameAnswer: it must name that host instead.
   */
  | {
      readonly type: 'validate-host-ca-key';
      readonly id: number;
      readonly clientHostName: string;
      readonly clientUserName: string;
      readonly caKey: SSHKey;
      readonly certificate: SSHCertificate;
    }
  /** boolean: may clientUserName on clientHostName log in as username? */
  | { readonly type: 'validate-host-based-user'; readonly id: number; readonly username: string; readonly clientHostName: string; readonly clientUserName: string }
  /**
   * gssapi-with-mic, Kerberos V5: a token from the client for the accepting context (`first`: a
   * new context). Answer with a GssStepResult (the token for the client, empty for none;
   * `complete` once established) or a GssStepFailure (its error token is sent, then a failure).
   */
  | { readonly type: 'gss-step'; readonly id: number; readonly username: string; readonly token: Uint8Array; readonly first: boolean }
  /**
   * Does `mic` verify over `data` (RFC 4462 §3.5) with the established context? Answer with the
   * context's GssPrincipals when it does, false when not. With `keyex`, for gssapi-keyex (§4): the
   * context the GSS-API key exchange established.
   */
  | { readonly type: 'gss-verify-mic'; readonly id: number; readonly username: string; readonly data: Uint8Array; readonly mic: Uint8Array; readonly keyex?: true }
  /** boolean: may `userPrincipal`, authenticated to `hostPrincipal`, log in as `username`? */
  | { readonly type: 'validate-gss-principal'; readonly id: number; readonly username: string; readonly userPrincipal: string; readonly hostPrincipal: string }
  | { readonly type: 'auth-completed'; readonly username: string; readonly methods: readonly string[] }
  | { readonly type: 'failure'; readonly error: DisconnectError };

/** A validate-ca-key answer that trusts the CA for certificates naming one of `principals`. */
export interface CaPrincipals {
  readonly principals: readonly string[];
}

/**
 * A validate-host-ca-key answer that trusts the CA for a host certificate naming `hostName` (the
 * client host as the server resolved its address, rather than the name the client claims).
 */
export interface HostNameAnswer {
  readonly hostName: string;
}

/** A gss-verify-mic answer: the MIC verified, and these are the established context's principals. */
export interface GssPrincipals {
  readonly userPrincipal: string;
  readonly hostPrincipal: string;
}

export type ServerAnswer = boolean | CaPrincipals | HostNameAnswer | KbdintChallenge | PasswordChangeRequest | GssStepResult | GssStepFailure | GssPrincipals;

function isGssPrincipals(value: unknown): value is GssPrincipals {
  return typeof value === 'object' && value !== null && typeof (value as GssPrincipals).userPrincipal === 'string' && typeof (value as GssPrincipals).hostPrincipal === 'string';
}

function isHostNameAnswer(value: unknown): value is HostNameAnswer {
  return typeof value === 'object' && value !== null && typeof (value as Partial<HostNameAnswer>).hostName === 'string';
}

/** sshd's SSH_RSA_MINIMUM_MODULUS_SIZE: it cannot even parse a smaller RSA key. */
const RSA_MIN_BITS = 1024;

/**
 * The key, the certificate's CA or its certified key is an RSA key under 1024 bits. sshd refuses
 * such a request before any check ("Invalid key length", "invalid certificate signing key");
 * AsyncSSH takes them, but a modulus that small is no protection, so the server goes with sshd.
 */
function weakRsa(read: ReceivedKey): boolean {
  const small = (key: SSHKey): boolean => key.algorithm === 'ssh-rsa' && key.bits < RSA_MIN_BITS;
  return small(read.key) || (read.kind === 'cert' && small(read.cert.signingKey));
}

function isCaPrincipals(value: unknown): value is CaPrincipals {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<CaPrincipals>).principals);
}

type Phase = 'service' | 'auth' | 'done';

const DEFAULT_METHODS: readonly ServerMethod[] = ['publickey', 'keyboard-interactive', 'password'];

/** The signature algorithm a signature for `name` carries: the plain one behind a certificate or x509v3-* name. */
function plainSigAlgorithm(name: string): string {
  return name.startsWith('x509v3-') ? (x509BaseSigAlgorithm(name) ?? name) : baseSigAlgorithm(name);
}
const MAX_QUEUED = 32;
/**
 * And their bytes: with the packet limit alone, the messages held for a slow application check
 * could be 8 MiB per connection that has not authenticated yet. One largest packet still fits.
 */
const MAX_QUEUED_BYTES = 256 * 1024;
/**
 * Requests of one connection, whatever their outcome, as sshd's bound (auth2.c): key queries
 * answered with PK_OK, abandoned keyboard-interactive and gssapi-with-mic exchanges and password
 * change prompts are no failures, so `maxAttempts` alone would let a client repeat them (and the
 * application's checks behind them) until the login timeout.
 */
const MAX_REQUESTS = 1024;
/** Token rounds of one gssapi-with-mic attempt (Kerberos takes one or two). */
const MAX_GSS_ROUNDS = 16;
const DEFAULT_LOGIN_TIMEOUT_MS = 120_000;

type Pk = UserauthMethodOf<'publickey'> | UserauthMethodOf<'publickey-hostbound-v00@openssh.com'>;

export class UserauthServer {
  private readonly transport: AuthTransport;
  private readonly options: UserauthServerOptions;
  private methods: readonly ServerMethod[];
  private readonly events: UserauthServerEvent[] = [];
  private phase: Phase = 'service';
  private username: string | undefined;
  private authRequired: boolean | undefined;
  private completed: string[] = [];
  private provenKey: ReceivedKey | undefined; // the key that signed the completed publickey method
  /** Keys that completed publickey: each counts once (AuthenticationMethods publickey,publickey wants two). */
  private usedKeys: SSHKey[] = [];
  private failures = 0;
  private requests = 0;
  private bannerSent = false;
  /** Banners given to sendBanner() before the service request: sent once it is accepted. */
  private readonly earlyBanners: Uint8Array[] = [];
  private pending: { id: number; answer: (value: unknown) => void } | undefined;
  private queue: Uint8Array[] = [];
  private kbdintPrompts: number | undefined; // prompts of the challenge awaiting INFO_RESPONSE
  /** gssapi-with-mic in progress: exchanging tokens, or established and awaiting the MIC. */
  private gss: { stage: 'token' | 'mic'; first: boolean; rounds: number } | undefined;
  private nextId = 1;
  private failedWith: DisconnectError | undefined;

  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(transport: AuthTransport, options: UserauthServerOptions = {}) {
    // NaN or Infinity compares false with every failure count and would turn the limit off unseen.
    const { maxAttempts } = options;
    if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 0xffff_ffff)) {
      throw new RangeError(`maxAttempts must be an integer from 1 to 4294967295, not ${String(maxAttempts)}`);
    }
    // NaN would disconnect at the first check; a negative value would read as "never" (that is 0).
    const { loginTimeoutMs } = options;
    if (loginTimeoutMs !== undefined && !(Number.isFinite(loginTimeoutMs) && loginTimeoutMs >= 0)) {
      throw new RangeError(`loginTimeoutMs must be a number of milliseconds from 0 (never), not ${String(loginTimeoutMs)}`);
    }
    this.transport = transport;
    this.options = options;
    this.methods = options.methods ?? DEFAULT_METHODS;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Disconnects a client still unauthenticated after `loginTimeoutMs`; the adapter calls this on a timer. */
  checkTimeout(): void {
    const limit = this.options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    if (this.phase === 'done' || limit <= 0 || this.now() - this.startedAt < limit) return;
    this.fail(new ConnectionLost('login timeout expired'));
  }

  /**
   * Changes the methods offered from now on (AsyncSSH decides them after begin_auth, which may
   * have installed per-user authorized keys). Requests for methods no longer offered fail.
   */
  setMethods(methods: readonly ServerMethod[]): void {
    this.methods = [...methods];
  }

  /**
   * Sends an SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4) with `message` in `languageTag`: now, or,
   * before the client asked for the ssh-userauth service, right after accepting it. The RFC
   * allows a banner only until authentication succeeds: throws once it has (or has failed for good).
   */
  sendBanner(message: string, languageTag = ''): void {
    if (typeof message !== 'string' || typeof languageTag !== 'string') throw new TypeError('sendBanner takes a message and a language tag as strings');
    if (this.phase === 'done') throw new Error('authentication is already complete: a banner can no longer be sent');
    const payload = UserauthBanner.encode({ message, languageTag });
    if (this.phase === 'service') this.earlyBanners.push(payload);
    else this.transport.send(payload);
  }

  /** True once a user authenticated. */
  get authenticated(): boolean {
    return this.phase === 'done' && this.username !== undefined && this.failedWith === undefined;
  }

  /** The authenticated user name. */
  get user(): string | undefined {
    return this.authenticated ? this.username : undefined;
  }

  /**
   * Once authenticated with publickey: the key whose signature completed it (for a certificate, the
   * certified key). Never a key that was only offered in a query (the x/crypto/ssh CVE-2024-45337
   * mistake), nor one whose signature failed.
   */
  get authenticatedKey(): SSHKey | undefined {
    return this.authenticated && this.completed.includes('publickey') ? this.provenKey?.key : undefined;
  }

  /** Once authenticated with a user certificate: that certificate. */
  get authenticatedCertificate(): SSHCertificate | undefined {
    const proven = this.authenticated && this.completed.includes('publickey') ? this.provenKey : undefined;
    return proven?.kind === 'cert' ? proven.cert : undefined;
  }

  nextEvent(): UserauthServerEvent | undefined {
    return this.events.shift();
  }

  /**
   * Takes a transport event; returns true when it was for user authentication. Before success,
   * any message of the connection layer (80 and up) is a protocol violation and disconnects.
   */
  handle(event: TransportEvent): boolean {
    return event.type === 'message' ? this.receive(event.payload) : false;
  }

  receive(payload: Uint8Array): boolean {
    const n = payload[0] ?? 0;
    if (n < 50 && n !== MSG.SERVICE_REQUEST && n !== MSG.SERVICE_ACCEPT) return false;
    if (this.phase === 'done') {
      if (this.failedWith) return true;
      if (n >= 50 && n <= 79) return true; // RFC 4252 §5.1: ignored after success
      if (n >= 80) return false;
    }
    if (this.pending) {
      if (this.queue.length >= MAX_QUEUED || this.queuedBytes() + payload.length > MAX_QUEUED_BYTES) {
        this.fail(new ProtocolError('too many messages while authentication was pending'));
      } else this.queue.push(payload);
      return true;
    }
    this.process(payload);
    return true;
  }

  private queuedBytes(): number {
    let n = 0;
    for (const m of this.queue) n += m.length;
    return n;
  }

  /** Answers the event carrying `id`; stale ids are ignored. */
  resolve(id: number, value: ServerAnswer): void {
    const pending = this.pending;
    if (!pending || pending.id !== id || this.phase === 'done') return;
    this.pending = undefined;
    this.guard(() => pending.answer(value));
    while (!this.pending && this.queue.length > 0 && !this.failedWith) {
      const next = this.queue.shift() as Uint8Array;
      this.process(next);
    }
  }

  // ------------------------------------------------------------------ inbound

  private process(payload: Uint8Array): void {
    this.guard(() => this.dispatch(payload));
  }

  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.fail(err instanceof DisconnectError ? err : new ProtocolError('malformed authentication message', undefined, { cause: err }));
    }
  }

  private dispatch(payload: Uint8Array): void {
    const n = payload[0] ?? 0;
    if (this.phase === 'done') {
      if (n >= 50 && n <= 79) return;
      throw new ProtocolError(`unexpected message ${n} after authentication`);
    }
    if (n === MSG.SERVICE_REQUEST) {
      const m = ServiceRequest.decode(payload);
      if (this.phase !== 'service') {
        // Until authentication succeeds sshd (auth2.c) accepts ssh-userauth again, and paramiko
        // asks for it before each method it tries; RFC 4253 10 does not limit a client to one.
        if (m.serviceName !== USERAUTH_SERVICE) throw new ProtocolError(`service request for ${m.serviceName} during authentication`);
        this.transport.send(ServiceAccept.encode({ serviceName: USERAUTH_SERVICE }));
        return;
      }
      if (m.serviceName !== USERAUTH_SERVICE) throw new ServiceNotAvailable(`service ${m.serviceName} is not available`);
      this.phase = 'auth';
      this.transport.send(ServiceAccept.encode({ serviceName: USERAUTH_SERVICE }));
      for (const banner of this.earlyBanners.splice(0)) this.transport.send(banner);
      return;
    }
    if (this.phase === 'service') throw new ProtocolError(`message ${n} before the ssh-userauth service request`);
    if (n === MSG.USERAUTH_REQUEST) {
      this.onRequest(UserauthRequest.decode(payload));
      return;
    }
    if (this.gss !== undefined && n >= MSG.USERAUTH_GSSAPI_RESPONSE && n <= MSG.USERAUTH_GSSAPI_MIC) {
      this.onGssMessage(this.gss, n, payload);
      return;
    }
    if (n === MSG.USERAUTH_INFO_RESPONSE && this.kbdintPrompts !== undefined) {
      const m = UserauthInfoResponse.decode(payload);
      const expected = this.kbdintPrompts;
      this.kbdintPrompts = undefined;
      if (m.responses.length !== expected) {
        this.reject(true);
        return;
      }
      const username = this.username as string;
      this.ask((id) => ({ type: 'validate-kbdint-response', id, username, responses: m.responses }), (v) => this.onKbdintAnswer(v));
      return;
    }
    throw new ProtocolError(`unexpected message ${n} during authentication`);
  }

  private onRequest(req: UserauthRequest): void {
    if (++this.requests > MAX_REQUESTS) throw new PermissionDenied('too many authentication requests');
    this.kbdintPrompts = undefined; // a new request abandons keyboard-interactive (RFC 4256 §3.4)
    this.gss = undefined; // and gssapi-with-mic (RFC 4462 §3.4)
    const serviceName = this.options.serviceName ?? CONNECTION_SERVICE;
    if (req.serviceName !== serviceName) throw new ServiceNotAvailable(`service ${req.serviceName} is not available`);
    if (!this.bannerSent) {
      this.bannerSent = true;
      if (this.options.banner !== undefined) this.transport.send(UserauthBanner.encode({ message: this.options.banner, languageTag: '' }));
    }
    if (req.userName !== this.username) {
      this.username = req.userName;
      this.authRequired = undefined;
      this.completed = [];
      this.provenKey = undefined;
      this.usedKeys = [];
    }
    if (this.authRequired === undefined) {
      this.ask((id) => ({ type: 'begin-auth', id, username: req.userName }), (v) => {
        this.authRequired = v !== false;
        this.onMethod(req);
      });
      return;
    }
    this.onMethod(req);
  }

  private onMethod(req: UserauthRequest): void {
    const username = req.userName;
    if (!this.authRequired) {
      this.succeed(req.methodName);
      return;
    }
    const m = req.method;
    const offered = (name: ServerMethod) => this.allowedMethods().includes(name);
    if (m instanceof Uint8Array || m.type !== req.methodName) {
      this.reject(true);
      return;
    }
    switch (m.type) {
      case 'none':
        this.reject(this.requests > 1); // the first none only asks for the method list
        return;
      case 'password':
        if (!offered('password')) break;
        if (m.changePassword) {
          const newPassword = m.newPassword ?? '';
          this.ask((id) => ({ type: 'change-password', id, username, oldPassword: m.password, newPassword }), (v) => this.onPasswordAnswer(v));
        } else {
          this.ask((id) => ({ type: 'validate-password', id, username, password: m.password }), (v) => this.onPasswordAnswer(v));
        }
        return;
      case 'publickey':
      case 'publickey-hostbound-v00@openssh.com':
        if (!offered('publickey')) break;
        this.onPublicKey(req, m);
        return;
      case 'keyboard-interactive':
        if (!offered('keyboard-interactive')) break;
        this.ask((id) => ({ type: 'kbdint-challenge-requested', id, username, submethods: m.submethods }), (v) => this.onKbdintAnswer(v));
        return;
      case 'hostbased':
        if (!offered('hostbased')) break;
        this.onHostbased(req, m);
        return;
      case 'gssapi-with-mic':
        if (!offered('gssapi-with-mic')) break;
        // RFC 4462 §3.3: the first mechanism of ours the client lists; Kerberos V5 is our only one.
        if (!m.mechanisms.some((oid) => sameBytes(oid, GSS_KRB5_MECHANISM))) break;
        this.gss = { stage: 'token', first: true, rounds: 0 };
        this.transport.send(UserauthGssapiResponse.encode({ mechanism: GSS_KRB5_MECHANISM }));
        return;
      case 'gssapi-keyex': {
        if (!offered('gssapi-keyex')) break;
        const data = userauthGssapiMicData(this.sessionId(), username, this.options.serviceName ?? CONNECTION_SERVICE, 'gssapi-keyex');
        this.verifyGssMic(username, data, m.mic, 'gssapi-keyex');
        return;
      }
    }
    this.reject(true);
  }

  /** RFC 4462 §3.4-3.9: the client's messages while gssapi-with-mic is in progress. */
  private onGssMessage(gss: { stage: 'token' | 'mic'; first: boolean; rounds: number }, n: number, payload: Uint8Array): void {
    const username = this.username as string;
    switch (n) {
      case MSG.USERAUTH_GSSAPI_TOKEN: {
        const { token } = UserauthGssapiToken.decode(payload);
        if (gss.stage !== 'token') throw new ProtocolError('USERAUTH_GSSAPI_TOKEN after the context was established');
        if (++gss.rounds > MAX_GSS_ROUNDS) throw new ProtocolError('too many gssapi-with-mic rounds');
        const first = gss.first;
        gss.first = false;
        this.ask((id) => ({ type: 'gss-step', id, username, token, first }), (v) => this.onGssStep(v));
        return;
      }
      case MSG.USERAUTH_GSSAPI_MIC: {
        const { mic } = UserauthGssapiMic.decode(payload);
        if (gss.stage !== 'mic') throw new ProtocolError('USERAUTH_GSSAPI_MIC before the context was established');
        this.gss = undefined;
        const data = userauthGssapiMicData(this.sessionId(), username, this.options.serviceName ?? CONNECTION_SERVICE);
        this.verifyGssMic(username, data, mic, 'gssapi-with-mic');
        return;
      }
      case MSG.USERAUTH_GSSAPI_EXCHANGE_COMPLETE:
        UserauthGssapiExchangeComplete.decode(payload);
        if (gss.stage !== 'mic') throw new ProtocolError('USERAUTH_GSSAPI_EXCHANGE_COMPLETE before the context was established');
        // RFC 4462 §3.5: only for mechanisms without integrity; Kerberos V5 has it, so a MIC is required.
        this.gss = undefined;
        this.reject(true);
        return;
      case MSG.USERAUTH_GSSAPI_ERRTOK:
        // The client's context failed (RFC 4462 §3.9): it goes on with a new request.
        UserauthGssapiErrtok.decode(payload);
        this.gss = undefined;
        return;
      case MSG.USERAUTH_GSSAPI_ERROR:
        UserauthGssapiError.decode(payload); // informational (RFC 4462 §3.8)
        return;
      default:
        throw new ProtocolError(`unexpected message ${n} during gssapi-with-mic`);
    }
  }

  /** The MIC, then the principal it proves: the end of gssapi-with-mic and all of gssapi-keyex. */
  private verifyGssMic(username: string, data: Uint8Array, mic: Uint8Array, method: 'gssapi-with-mic' | 'gssapi-keyex'): void {
    const keyex = method === 'gssapi-keyex' ? { keyex: true as const } : {};
    this.ask((id) => ({ type: 'gss-verify-mic', id, username, data, mic, ...keyex }), (v) => {
      if (!isGssPrincipals(v)) {
        this.reject(true);
        return;
      }
      const { userPrincipal, hostPrincipal } = v;
      this.ask((id) => ({ type: 'validate-gss-principal', id, username, userPrincipal, hostPrincipal }), (ok) => {
        if (ok === true) this.accept(method);
        else this.reject(true);
      });
    });
  }

  private onGssStep(v: unknown): void {
    const gss = this.gss;
    if (gss === undefined) return;
    if (isGssStepResult(v)) {
      if (v.token.length > 0) this.transport.send(UserauthGssapiToken.encode({ token: v.token }));
      if (v.complete) gss.stage = 'mic';
      return;
    }
    // RFC 4462 §3.4: the error token (when the mechanism made one), then the failure.
    if (isGssStepFailure(v) && v.token !== undefined && v.token.length > 0) this.transport.send(UserauthGssapiErrtok.encode({ token: v.token }));
    this.gss = undefined;
    this.reject(true);
  }

  private onPasswordAnswer(v: unknown): void {
    if (v === true) this.accept('password');
    else if (isChangeRequired(v)) {
      this.transport.send(UserauthPasswdChangereq.encode({ prompt: v.changePrompt, languageTag: v.languageTag ?? '' }));
    } else this.reject(true);
  }

  private onKbdintAnswer(v: unknown): void {
    if (v === true) this.accept('keyboard-interactive');
    else if (isChallenge(v)) {
      this.kbdintPrompts = v.prompts.length;
      this.transport.send(
        UserauthInfoRequest.encode({
          name: v.name ?? '',
          instruction: v.instruction ?? '',
          languageTag: v.languageTag ?? '',
          prompts: v.prompts.map((p) => ({ prompt: p.prompt, echo: p.echo })),
        }),
      );
    } else this.reject(true);
  }

  private onPublicKey(req: UserauthRequest, m: Pk): void {
    const username = req.userName;
    if (m.type === METHOD.PUBLICKEY_HOSTBOUND && !(this.options.hostKeys ?? []).some((k) => sameBytes(k.publicData, m.hostKey))) {
      this.reject(true);
      return;
    }
    const read = readKeyBlob(m.publicKey, m.algorithm);
    // A key that already completed publickey is refused, as sshd does: it is no second factor.
    if (!read || weakRsa(read) || !this.algorithmOk(read, m.algorithm) || this.usedKeys.some((k) => k.equals(read.key))) {
      this.reject(true);
      return;
    }
    const proven = m.signature !== undefined;
    if (m.signature !== undefined && !this.verify(read.key, m.algorithm, userauthSignedData(this.sessionId(), req), m.signature)) {
      this.reject(true);
      return;
    }
    const skFlags = m.signature === undefined ? undefined : skSignatureFlags(m.signature);
    const attested = skFlags === undefined ? {} : { skFlags };
    const answer = (ok: unknown) => {
      if (ok !== true) this.reject(true);
      else if (proven) {
        this.provenKey = read;
        this.usedKeys.push(read.key);
        this.accept('publickey');
      }
      else this.transport.send(UserauthPkOk.encode({ algorithm: m.algorithm, publicKey: m.publicKey }));
    };
    if (read.kind === 'cert') {
      const certificate = read.cert;
      // Which principal it must name depends on the answer (the user, or a principals= list).
      if (!this.certValid(certificate, 'user', undefined)) {
        this.reject(true);
        return;
      }
      const names = certificate.principals;
      // `true` is trust for this account alone, which a certificate naming no one passes; a
      // principals answer never lets one in (see the validate-ca-key event).
      const principalAnswer = (ok: unknown): void => {
        if (isCaPrincipals(ok)) answer(names.some((p) => ok.principals.includes(p)));
        else answer(ok === true && (names.length === 0 || names.includes(username)));
      };
      this.ask((id) => ({ type: 'validate-ca-key', id, username, caKey: certificate.signingKey, certificate, proven, ...attested }), principalAnswer);
    } else if (read.kind === 'x509') {
      const chain = read.chain;
      this.ask((id) => ({ type: 'validate-x509-chain', id, username, chain, proven }), answer);
    } else {
      const key = read.key;
      this.ask((id) => ({ type: 'validate-public-key', id, username, key, proven, ...attested }), answer);
    }
  }

  private onHostbased(req: UserauthRequest, m: UserauthMethodOf<'hostbased'>): void {
    const read = readKeyBlob(m.hostKey, m.algorithm);
    if (!read || read.kind === 'x509' || weakRsa(read) || !this.algorithmOk(read, m.algorithm) || !this.verify(read.key, m.algorithm, userauthSignedData(this.sessionId(), req), m.signature)) {
      this.reject(true);
      return;
    }
    const { clientHostName, clientUserName } = m;
    const username = req.userName;
    const user = (ok: unknown) => {
      if (ok !== true) {
        this.reject(true);
        return;
      }
      this.ask((id) => ({ type: 'validate-host-based-user', id, username, clientHostName, clientUserName }), (v) => {
        if (v === true) this.accept('hostbased');
        else this.reject(true);
      });
    };
    if (read.kind === 'cert') {
      const certificate = read.cert;
      // Which host it must name depends on the answer (the claimed name, or a resolved one).
      if (!this.certValid(certificate, 'host', undefined)) {
        this.reject(true);
        return;
      }
      const names = certificate.principals.map((p) => p.toLowerCase());
      const hostAnswer = (ok: unknown): void => {
        const host = isHostNameAnswer(ok) ? ok.hostName : ok === true ? clientHostName : undefined;
        const wanted = host?.replace(/\.$/, '').toLowerCase();
        user(wanted !== undefined && (names.length === 0 || names.includes(wanted)));
      };
      this.ask((id) => ({ type: 'validate-host-ca-key', id, clientHostName, clientUserName, caKey: certificate.signingKey, certificate }), hostAnswer);
    } else {
      const key = read.key;
      this.ask((id) => ({ type: 'validate-host-public-key', id, clientHostName, clientUserName, key }), user);
    }
  }

  // ------------------------------------------------------------------ decisions

  /** The key can sign with `algorithm`, and we accept that algorithm. */
  private algorithmOk(read: ReceivedKey, algorithm: string): boolean {
    const supported = read.kind === 'cert' ? read.cert.sigAlgorithms : read.kind === 'x509' ? x509Algorithms(read.key.algorithm) : read.key.sigAlgorithms;
    if (!supported.includes(algorithm)) return false;
    const accepted = this.options.signatureAlgorithms;
    if (accepted === undefined || accepted.includes(plainSigAlgorithm(algorithm))) return true;
    this.options.onRefused?.(`publickey: signature algorithm ${algorithm} is not among the accepted signature algorithms (${accepted.join(',')})`);
    return false;
  }

  /** The signature names the algorithm's plain form and verifies over `data`. */
  private verify(key: SSHKey, algorithm: string, data: Uint8Array, signature: Uint8Array): boolean {
    const plain = plainSigAlgorithm(algorithm);
    const sig = algorithm === X509_RSA2048 && blobKeyType(signature) === X509_RSA2048_SIGNATURE ? renameSignature(signature, plain) : signature;
    return blobKeyType(sig) === plain && key.verify(data, sig);
  }

  private certValid(cert: SSHCertificate, kind: 'user' | 'host', principal: string | undefined): boolean {
    try {
      const now = Math.floor(this.now() / 1000);
      const named = principal === undefined ? {} : { principal };
      cert.validate(kind === 'user' ? { kind, ...named, now, clientAddress: this.options.clientAddress ?? '' } : { kind, ...named, now });
      return true;
    } catch {
      return false;
    }
  }

  /** Methods still worth offering: what the lists the completed methods fit in still need. */
  private allowedMethods(): ServerMethod[] {
    // gssapi-keyex exists only on a connection whose key exchange established a GSS-API context.
    const methods = this.transport.gssKexEstablished === true ? this.methods : this.methods.filter((m) => m !== 'gssapi-keyex');
    const lists = this.options.authenticationMethods;
    if (!lists) return [...methods];
    const open = new Set<ServerMethod>();
    for (const list of lists) for (const m of this.remaining(list) ?? []) if (methods.includes(m)) open.add(m);
    return methods.filter((m) => open.has(m));
  }

  /**
   * What `list` still needs once the completed methods are taken out of it, each as often as it
   * completed (a method listed twice must succeed twice); undefined when they do not all fit in it.
   */
  private remaining(list: readonly ServerMethod[]): ServerMethod[] | undefined {
    const left = [...list];
    for (const done of this.completed) {
      const i = left.indexOf(done as ServerMethod);
      if (i < 0) return undefined;
      left.splice(i, 1);
    }
    return left;
  }

  private accept(method: ServerMethod): void {
    this.completed.push(method);
    const lists = this.options.authenticationMethods;
    if (!lists || lists.some((list) => this.remaining(list)?.length === 0)) {
      this.succeed(method);
      return;
    }
    this.transport.send(UserauthFailure.encode({ methods: this.allowedMethods(), partialSuccess: true }));
  }

  private succeed(method: string): void {
    this.phase = 'done';
    this.queue = [];
    this.transport.send(UserauthSuccess.encode({}));
    const methods = this.completed.length > 0 ? [...this.completed] : [method];
    this.events.push({ type: 'auth-completed', username: this.username as string, methods });
  }

  private reject(counted: boolean): void {
    if (counted && ++this.failures >= (this.options.maxAttempts ?? 6)) {
      this.fail(new PermissionDenied('too many authentication failures'));
      return;
    }
    this.transport.send(UserauthFailure.encode({ methods: this.allowedMethods(), partialSuccess: false }));
  }

  // ------------------------------------------------------------------ plumbing

  private sessionId(): Uint8Array {
    const id = this.transport.sessionId;
    if (!id) throw new ProtocolError('user authentication before key exchange');
    return id;
  }

  private ask(event: (id: number) => UserauthServerEvent, answer: (value: unknown) => void): void {
    const id = this.nextId++;
    this.pending = { id, answer };
    this.events.push(event(id));
  }

  private fail(error: DisconnectError): void {
    if (this.failedWith) return;
    this.failedWith = error;
    this.phase = 'done';
    this.pending = undefined;
    this.queue = [];
    try {
      this.transport.disconnect(error.reasonCode, error.reason);
    } catch {
      // already closed
    }
    this.events.push({ type: 'failure', error });
  }
}

function isChangeRequired(v: unknown): v is PasswordChangeRequest {
  return typeof v === 'object' && v !== null && typeof (v as PasswordChangeRequest).changePrompt === 'string';
}

function isChallenge(v: unknown): v is KbdintChallenge {
  return typeof v === 'object' && v !== null && Array.isArray((v as KbdintChallenge).prompts);
}
