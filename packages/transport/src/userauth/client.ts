/**
 * Client side of user authentication as a sans-I/O machine over a `Transport`. RFC 4252 (none,
 * password with password change, publickey, hostbased), RFC 4256 (keyboard-interactive), OpenSSH
 * PROTOCOL §2.5 (publickey-hostbound-v00@openssh.com), RFC 8332 §3.3 and RFC 8308 (rsa-sha2-*
 * chosen from server-sig-algs), RFC 4462 §3 (gssapi-with-mic, Kerberos V5: the GSS-API calls are
 * the application's, asked for with `gss-step` and `gss-mic` events).
 *
 * Feed it every transport event with `handle()`; it sends the service request once the first key
 * exchange completes, then tries methods in AsyncSSH's order (hostbased, publickey,
 * keyboard-interactive, password) among those the server allows. A key held here is sent signed
 * at once, saving the query's round trip (RFC 4252 §7 allows both); a key held elsewhere (an
 * agent) is first offered without a signature, so that it signs only for a key the server
 * accepts (`queryFirst` queries for every key, as OpenSSH and AsyncSSH do).
 *
 * Each request waits for the answer to the one before (the `none` request is not pipelined behind
 * the service request): sshd keeps Nagle's algorithm on during authentication, so two answers in a
 * row would leave the second waiting for our delayed ACK, some 40 ms. Questions for the application
 * (a password, answers to a challenge, a signature from an agent) come out of `nextEvent()` with an
 * `id`, answered by `resolve(id, value)`. A server that misbehaves never makes `handle()` throw:
 * the machine disconnects and reports a `failure` event.
 * @module
 */

import { SSHKey, encodeX509Blob, x509Algorithms, x509BaseSigAlgorithm, type SSHCertificate, type SSHKeyPair, type SSHX509Certificate } from '@ssh/keys';
import {
  MSG,
  ServiceAccept,
  ServiceRequest,
  UserauthBanner,
  UserauthFailure,
  UserauthGssapiError,
  UserauthGssapiErrtok,
  UserauthGssapiMic,
  UserauthGssapiResponse,
  UserauthGssapiToken,
  UserauthInfoRequest,
  UserauthInfoResponse,
  UserauthPasswdChangereq,
  UserauthPkOk,
  UserauthRequest,
  userauthGssapiMicData,
  userauthSignedData,
} from '@ssh/wire';
import { DisconnectError, PermissionDenied, ProtocolError } from '../errors.ts';
import {
  CONNECTION_SERVICE,
  GSS_KRB5_MECHANISM,
  HOSTBOUND_EXTENSION,
  METHOD,
  USERAUTH_SERVICE,
  baseSigAlgorithm,
  chooseSigAlgorithm,
  isGssStepFailure,
  isGssStepResult,
  type AuthTransport,
  type GssStepFailure,
  type GssStepResult,
  type TransportEvent,
} from './common.ts';
import { sameBytes } from '../bytes.ts';
import { X509_RSA2048, X509_RSA2048_SIGNATURE, renameSignature, signatureName } from '../x509-signatures.ts';

/** A key held elsewhere (an agent, a token): signatures are asked for with a `sign` event. */
export interface ExternalKey {
  readonly publicKey: SSHKey | SSHCertificate;
  /**
   * An X.509 chain for the key (end certificate first), presented with the x509v3-* algorithms
   * (RFC 6187) instead of the key; the `sign` event then names the plain algorithm behind them.
   */
  readonly x509Chain?: readonly SSHX509Certificate[];
}

/** A private key, a key with its certificate (SSHKeyPair), or a key signed for elsewhere. */
export type ClientKey = SSHKey | SSHKeyPair | ExternalKey;

export type ClientMethod = 'gssapi-keyex' | 'gssapi-with-mic' | 'hostbased' | 'publickey' | 'keyboard-interactive' | 'password';

export interface HostBasedIdentity {
  /**
   * The client host's private key (or key pair with a host certificate), or its public key (or
   * certificate) when the signature comes from elsewhere (OpenSSH's ssh-keysign): the signed data
   * is then asked for with a `sign` event.
   */
  readonly key: SSHKey | SSHKeyPair | ExternalKey;
  /** The client host's name, as the server will look it up ('client.example.'). */
  readonly clientHostName: string;
  /** The user's name on the client host. */
  readonly clientUserName: string;
}

export interface UserauthClientOptions {
  readonly username: string;
  /** Keys tried in order: private keys signed at once, external keys with a query first. */
  readonly keys?: readonly ClientKey[];
  /** Tried once by password, and as the answer to a lone password prompt of keyboard-interactive. */
  readonly password?: string;
  /**
   * Host-based identities, tried in turn until the server accepts one (as AsyncSSH and ssh try
   * each client host key): a key the server does not know, or one that cannot sign, moves on.
   */
  readonly hostBased?: HostBasedIdentity | readonly HostBasedIdentity[];
  /**
   * Methods to try, in order (default: hostbased, publickey, keyboard-interactive, password).
   * 'gssapi-with-mic' (AsyncSSH tries it first) needs an application answering gss-step and gss-mic;
   * 'gssapi-keyex' (RFC 4462 §4, tried only after a GSS-API key exchange) a gss-mic with `keyex`.
   */
  readonly methods?: readonly ClientMethod[];
  /** Emit `public-key-requested` once the given keys are used up (AsyncSSH public_key_auth_requested). */
  readonly publicKeyAuthRequested?: boolean;
  /** Emit `password-requested` (AsyncSSH password_auth_requested), up to 3 attempts. */
  readonly passwordAuthRequested?: boolean;
  /** Emit `kbdint-requested` (AsyncSSH kbdint_auth_requested), up to 3 attempts. */
  readonly kbdintAuthRequested?: boolean;
  /**
   * Offer keys held here without a signature first too, and sign after USERAUTH_PK_OK (default
   * false: they are sent signed at once).
   */
  readonly queryFirst?: boolean;
  /** Use publickey-hostbound-v00@openssh.com when the server announces it (default true). */
  readonly hostbound?: boolean;
  /** Service to start after authentication (default ssh-connection). */
  readonly serviceName?: string;
}

export interface KbdintPrompt {
  readonly prompt: string;
  readonly echo: boolean;
}

export type UserauthClientEvent =
  | { readonly type: 'banner'; readonly message: string; readonly languageTag: string }
  /** Answer with a ClientKey, or null for no more keys. */
  | { readonly type: 'public-key-requested'; readonly id: number }
  /**
   * Answer with the SSH signature blob of `data` by `publicKey` (its key, for a certificate) with
   * `algorithm` (always a plain signature algorithm: 'rsa-sha2-256', never a certificate name),
   * or null to skip the key.
   */
  | { readonly type: 'sign'; readonly id: number; readonly publicKey: SSHKey | SSHCertificate; readonly algorithm: string; readonly data: Uint8Array }
  /** Answer with a password, or null to stop trying passwords. */
  | { readonly type: 'password-requested'; readonly id: number }
  /** Answer with { oldPassword, newPassword }, or null to decline. */
  | { readonly type: 'password-change-requested'; readonly id: number; readonly prompt: string; readonly languageTag: string }
  | { readonly type: 'password-changed' }
  | { readonly type: 'password-change-failed' }
  /** Answer with the submethods string (often ''), or null to skip keyboard-interactive. */
  | { readonly type: 'kbdint-requested'; readonly id: number }
  /** Answer with one response per prompt, or null to abandon keyboard-interactive. */
  | {
      readonly type: 'kbdint-challenge';
      readonly id: number;
      readonly name: string;
      readonly instruction: string;
      readonly languageTag: string;
      readonly prompts: readonly KbdintPrompt[];
    }
  /**
   * gssapi-with-mic, Kerberos V5: a step of the security context, the first (`token` null) once
   * the server chose the mechanism. Answer with a GssStepResult (the token for the server, empty
   * for none; `complete` once established), a GssStepFailure (the method is abandoned, its error
   * token sent), or null to abandon it.
   */
  | { readonly type: 'gss-step'; readonly id: number; readonly token: Uint8Array | null }
  /**
   * The established context's MIC over `data` (RFC 4462 §3.5), or null to abandon the method. With
   * `keyex`, for gssapi-keyex (§4): the context of the GSS-API key exchange.
   */
  | { readonly type: 'gss-mic'; readonly id: number; readonly data: Uint8Array; readonly keyex?: true }
  | { readonly type: 'partial-success'; readonly method: string; readonly methods: readonly string[] }
  | { readonly type: 'success'; readonly method: string }
  | { readonly type: 'failure'; readonly error: DisconnectError };

export type ClientAnswer =
  | ClientKey
  | Uint8Array
  | string
  | readonly string[]
  | { readonly oldPassword: string; readonly newPassword: string }
  | GssStepResult
  | GssStepFailure
  | null;

type Pending =
  | { readonly kind: 'public-key' }
  | { readonly kind: 'sign'; readonly request: UserauthRequest; readonly publicKey: SSHKey | SSHCertificate; readonly algorithm: string }
  | { readonly kind: 'password' }
  | { readonly kind: 'password-change' }
  | { readonly kind: 'kbdint-start' }
  | { readonly kind: 'kbdint-challenge'; readonly count: number }
  | { readonly kind: 'gss-step' }
  | { readonly kind: 'gss-mic' }
  | { readonly kind: 'gss-keyex-mic' };

/** The method whose request is outstanding. */
type Current =
  | { readonly method: 'none' }
  | { readonly method: 'publickey'; readonly key: ClientKey; readonly algorithm: string; readonly blob: Uint8Array; signed: boolean }
  | { readonly method: 'hostbased' }
  | { readonly method: 'gssapi-keyex' }
  | { readonly method: 'password'; changing: boolean }
  | { readonly method: 'keyboard-interactive'; autoPassword: boolean; challenges: number }
  /** response: awaiting the server's choice; token: exchanging tokens; mic: the MIC is asked for or sent. */
  | { readonly method: 'gssapi-with-mic'; stage: 'response' | 'token' | 'mic'; rounds: number };

type Phase = 'idle' | 'service' | 'auth' | 'done';

const DEFAULT_METHODS: readonly ClientMethod[] = ['hostbased', 'publickey', 'keyboard-interactive', 'password'];
const MAX_ATTEMPTS = 3;
const MAX_CHALLENGES = 64;
/** Token rounds of one gssapi-with-mic attempt (Kerberos takes one or two). */
const MAX_GSS_ROUNDS = 16;

function isExternal(key: ClientKey): key is ExternalKey {
  return !(key instanceof SSHKey) && 'publicKey' in key;
}

function isHostBasedList(value: HostBasedIdentity | readonly HostBasedIdentity[]): value is readonly HostBasedIdentity[] {
  return Array.isArray(value);
}

function isClientKey(value: ClientAnswer): value is ClientKey {
  return value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value) && ('sign' in value || 'publicKey' in value);
}

/** An external key's X.509 chain, when it presents one for a key type that has x509v3 names. */
function externalChain(key: ClientKey): readonly SSHX509Certificate[] | undefined {
  if (!isExternal(key) || key.x509Chain === undefined || key.x509Chain.length === 0) return undefined;
  return key.publicKey instanceof SSHKey && x509Algorithms(key.publicKey.algorithm).length > 0 ? key.x509Chain : undefined;
}

function keyType(key: ClientKey): { type: string; sigAlgorithms: readonly string[]; blob: Uint8Array } {
  if (isExternal(key)) {
    const pk = key.publicKey;
    const chain = externalChain(key);
    if (chain !== undefined) {
      const algorithms = x509Algorithms(pk.algorithm);
      return { type: algorithms[0] as string, sigAlgorithms: algorithms, blob: encodeX509Blob(algorithms[0] as string, chain) };
    }
    return { type: pk.algorithm, sigAlgorithms: pk.sigAlgorithms, blob: pk.publicData };
  }
  if (key instanceof SSHKey) return { type: key.algorithm, sigAlgorithms: key.sigAlgorithms, blob: key.publicData };
  return { type: key.getKeyType(), sigAlgorithms: key.sigAlgorithms, blob: key.publicData };
}

export class UserauthClient {
  private readonly transport: AuthTransport;
  private readonly options: UserauthClientOptions;
  private readonly methods: readonly ClientMethod[];
  private readonly serviceName: string;
  private readonly events: UserauthClientEvent[] = [];
  private phase: Phase = 'idle';
  private allowed: readonly string[] | undefined;
  private current: Current | undefined;
  private pending: { id: number; what: Pending } | undefined;
  private nextId = 1;
  private keys: ClientKey[];
  private serverSigAlgs: readonly string[] | undefined;
  private serverHostbound = false;
  private serverHostKey: Uint8Array | undefined;
  private readonly hostBased: HostBasedIdentity[];
  private gssTried = false;
  private gssKeyexTried = false;
  private passwordOptionUsed = false;
  private passwordAttempts = 0;
  private kbdintAttempts = 0;
  private declined = new Set<string>();
  private successMethod: string | undefined;

  constructor(transport: AuthTransport, options: UserauthClientOptions) {
    this.transport = transport;
    this.options = options;
    this.methods = options.methods ?? DEFAULT_METHODS;
    this.serviceName = options.serviceName ?? CONNECTION_SERVICE;
    this.keys = [...(options.keys ?? [])];
    const hb = options.hostBased;
    this.hostBased = hb === undefined ? [] : isHostBasedList(hb) ? [...hb] : [hb];
  }

  /** True once the server accepted us. */
  get authenticated(): boolean {
    return this.successMethod !== undefined;
  }

  /** The methods the server last said can continue (from USERAUTH_FAILURE), once known. */
  get serverMethods(): readonly string[] | undefined {
    return this.allowed;
  }

  /** True once authentication succeeded or failed for good. */
  get finished(): boolean {
    return this.phase === 'done';
  }

  /** The next event, or undefined. */
  nextEvent(): UserauthClientEvent | undefined {
    return this.events.shift();
  }

  /**
   * Takes a transport event; returns true when it was for user authentication. Starts on the
   * first `kex-complete` (or call `start()` yourself), learns server-sig-algs from `ext-info`.
   */
  handle(event: TransportEvent): boolean {
    switch (event.type) {
      case 'verify-host-key':
        this.serverHostKey ??= event.hostKeyBlob;
        return false;
      case 'ext-info': {
        const sig = event.extensions.get('server-sig-algs');
        if (sig && !(sig instanceof Uint8Array) && sig.type === 'server-sig-algs') this.serverSigAlgs = sig.algorithms;
        if (event.extensions.has(HOSTBOUND_EXTENSION)) this.serverHostbound = true;
        return false;
      }
      case 'kex-complete':
        if (event.initial) this.start();
        return false;
      case 'message':
        return this.receive(event.payload);
      case 'disconnect':
        // The connection ended first (the server gave up on us, the network went away).
        if (this.phase === 'service' || this.phase === 'auth') {
          this.phase = 'done';
          this.pending = undefined;
          this.events.push({ type: 'failure', error: event.error });
        }
        return false;
      case 'version':
      case 'debug':
      case 'unimplemented':
      case 'pong':
      case 'gss-kex-step':
      case 'gss-kex-mic':
      case 'gss-kex-verify-mic':
        return false;
    }
  }

  /** Sends the ssh-userauth service request (once). */
  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'service';
    this.transport.send(ServiceRequest.encode({ serviceName: USERAUTH_SERVICE }));
  }

  /** One message payload from the server; returns true when it belongs to user authentication. */
  receive(payload: Uint8Array): boolean {
    const n = payload[0] ?? 0;
    if (n !== MSG.SERVICE_ACCEPT && (n < 50 || n > 79)) return false;
    if (this.phase === 'done') return true; // RFC 4252 §5.1: late auth messages are ignored
    try {
      this.dispatch(n, payload);
    } catch (err) {
      const error = err instanceof DisconnectError ? err : new ProtocolError(`malformed authentication message ${n}`, undefined, { cause: err });
      this.fail(error);
    }
    return true;
  }

  /** Answers an event carrying `id`; stale or unknown ids are ignored. */
  resolve(id: number, value: ClientAnswer): void {
    const pending = this.pending;
    if (!pending || pending.id !== id || this.phase !== 'auth') return;
    this.pending = undefined;
    try {
      this.answer(pending.what, value);
    } catch (err) {
      this.fail(err instanceof DisconnectError ? err : new ProtocolError('authentication failed', undefined, { cause: err }));
    }
  }

  private answer(what: Pending, value: ClientAnswer): void {
    switch (what.kind) {
      case 'public-key':
        if (isClientKey(value)) this.keys.push(value);
        else this.declined.add('public-key');
        this.advance();
        return;
      case 'sign':
        if (value instanceof Uint8Array) this.sendSigned(what.request, value);
        else this.advance();
        return;
      case 'password':
        if (typeof value === 'string') this.sendPassword(value);
        else {
          this.declined.add('password');
          this.advance();
        }
        return;
      case 'password-change':
        if (value !== null && typeof value === 'object' && 'newPassword' in value) {
          this.sendRequest(METHOD.PASSWORD, { type: 'password', changePassword: true, password: value.oldPassword, newPassword: value.newPassword });
          this.current = { method: 'password', changing: true };
        } else this.advance();
        return;
      case 'kbdint-start':
        if (typeof value === 'string') this.startKbdint(value, false);
        else {
          this.declined.add('keyboard-interactive');
          this.advance();
        }
        return;
      case 'gss-step':
        this.gssStepAnswered(value);
        return;
      case 'gss-mic':
        if (value instanceof Uint8Array && this.current?.method === 'gssapi-with-mic') this.transport.send(UserauthGssapiMic.encode({ mic: value }));
        else this.abandonGss();
        return;
      case 'gss-keyex-mic':
        if (value instanceof Uint8Array) {
          this.current = { method: 'gssapi-keyex' };
          this.sendRequest(METHOD.GSSAPI_KEYEX, { type: 'gssapi-keyex', mic: value });
        } else this.advance();
        return;
      case 'kbdint-challenge':
        if (Array.isArray(value) && value.length === what.count && value.every((v) => typeof v === 'string')) {
          this.transport.send(UserauthInfoResponse.encode({ responses: [...(value as readonly string[])] }));
        } else {
          // Abandoning: a fresh request ends the exchange (RFC 4256 §3.4); try the next method.
          this.declined.add('keyboard-interactive');
          this.current = undefined;
          this.advance();
        }
        return;
    }
  }

  // ------------------------------------------------------------------ inbound

  private dispatch(n: number, payload: Uint8Array): void {
    if (n === MSG.SERVICE_ACCEPT) {
      const m = ServiceAccept.decode(payload);
      if (this.phase !== 'service' || m.serviceName !== USERAUTH_SERVICE) throw new ProtocolError(`unexpected service accept for ${m.serviceName}`);
      this.phase = 'auth';
      this.current = { method: 'none' };
      this.sendRequest(METHOD.NONE, { type: 'none' });
      return;
    }
    if (this.phase !== 'auth') throw new ProtocolError(`authentication message ${n} before the service was accepted`);
    switch (n) {
      case MSG.USERAUTH_BANNER: {
        const m = UserauthBanner.decode(payload);
        this.events.push({ type: 'banner', message: m.message, languageTag: m.languageTag });
        return;
      }
      case MSG.USERAUTH_SUCCESS: {
        if (payload.length !== 1) throw new ProtocolError('malformed USERAUTH_SUCCESS');
        const current = this.current;
        if (!current) throw new ProtocolError('USERAUTH_SUCCESS without a request');
        if (current.method === 'password' && current.changing) this.events.push({ type: 'password-changed' });
        this.phase = 'done';
        this.pending = undefined;
        this.successMethod = current.method;
        this.events.push({ type: 'success', method: current.method });
        return;
      }
      case MSG.USERAUTH_FAILURE: {
        const m = UserauthFailure.decode(payload);
        const current = this.current;
        if (!current) throw new ProtocolError('USERAUTH_FAILURE without a request');
        if (current.method === 'password' && current.changing) this.events.push({ type: 'password-change-failed' });
        if (m.partialSuccess) this.events.push({ type: 'partial-success', method: current.method, methods: m.methods });
        this.allowed = m.methods;
        this.current = undefined;
        this.pending = undefined;
        this.advance();
        return;
      }
      default:
        this.methodMessage(n, payload);
    }
  }

  /** Numbers 60-79: their meaning belongs to the method in progress. */
  private methodMessage(n: number, payload: Uint8Array): void {
    const current = this.current;
    if (current?.method === 'publickey' && n === MSG.USERAUTH_PK_OK && !current.signed) {
      const m = UserauthPkOk.decode(payload);
      if (m.algorithm !== current.algorithm || !sameBytes(m.publicKey, current.blob)) throw new ProtocolError('USERAUTH_PK_OK for a key we did not offer');
      current.signed = true;
      this.signAndSend(current.key, current.algorithm, current.blob);
      return;
    }
    if (current?.method === 'password' && n === MSG.USERAUTH_PASSWD_CHANGEREQ && !this.pending) {
      const m = UserauthPasswdChangereq.decode(payload);
      this.ask({ kind: 'password-change' }, (id) => ({ type: 'password-change-requested', id, prompt: m.prompt, languageTag: m.languageTag }));
      return;
    }
    if (current?.method === 'keyboard-interactive' && n === MSG.USERAUTH_INFO_REQUEST && !this.pending) {
      const m = UserauthInfoRequest.decode(payload);
      if (++current.challenges > MAX_CHALLENGES) throw new ProtocolError('too many keyboard-interactive rounds');
      const lonePassword = m.prompts.length === 1 && !m.prompts[0]?.echo && /password/i.test(m.prompts[0]?.prompt ?? '');
      if (m.prompts.length === 0) {
        this.transport.send(UserauthInfoResponse.encode({ responses: [] }));
      } else if (current.autoPassword && lonePassword && current.challenges === 1 && this.options.password !== undefined) {
        this.transport.send(UserauthInfoResponse.encode({ responses: [this.options.password] }));
      } else {
        const prompts = m.prompts.map((p) => ({ prompt: p.prompt, echo: p.echo }));
        this.ask({ kind: 'kbdint-challenge', count: prompts.length }, (id) => ({
          type: 'kbdint-challenge',
          id,
          name: m.name,
          instruction: m.instruction,
          languageTag: m.languageTag,
          prompts,
        }));
      }
      return;
    }
    if (current?.method === 'gssapi-with-mic') {
      this.gssMessage(current, n, payload);
      return;
    }
    throw new ProtocolError(`unexpected authentication message ${n}`);
  }

  /** RFC 4462 §3.3-3.9, while gssapi-with-mic is in progress. */
  private gssMessage(current: Extract<Current, { method: 'gssapi-with-mic' }>, n: number, payload: Uint8Array): void {
    switch (n) {
      case MSG.USERAUTH_GSSAPI_RESPONSE: {
        const m = UserauthGssapiResponse.decode(payload);
        if (current.stage !== 'response' || this.pending) throw new ProtocolError('unexpected USERAUTH_GSSAPI_RESPONSE');
        if (!sameBytes(m.mechanism, GSS_KRB5_MECHANISM)) throw new ProtocolError('USERAUTH_GSSAPI_RESPONSE chose a mechanism we did not offer');
        current.stage = 'token';
        this.ask({ kind: 'gss-step' }, (id) => ({ type: 'gss-step', id, token: null }));
        return;
      }
      case MSG.USERAUTH_GSSAPI_TOKEN: {
        const m = UserauthGssapiToken.decode(payload);
        if (current.stage !== 'token' || this.pending) throw new ProtocolError('unexpected USERAUTH_GSSAPI_TOKEN');
        if (++current.rounds > MAX_GSS_ROUNDS) throw new ProtocolError('too many gssapi-with-mic rounds');
        this.ask({ kind: 'gss-step' }, (id) => ({ type: 'gss-step', id, token: m.token }));
        return;
      }
      case MSG.USERAUTH_GSSAPI_ERROR:
        // Informational (RFC 4462 §3.8): the server's failure or USERAUTH_FAILURE follows.
        UserauthGssapiError.decode(payload);
        return;
      case MSG.USERAUTH_GSSAPI_ERRTOK:
        // The server's context failed (RFC 4462 §3.9); its USERAUTH_FAILURE follows.
        UserauthGssapiErrtok.decode(payload);
        if (current.stage === 'response') throw new ProtocolError('USERAUTH_GSSAPI_ERRTOK before the exchange began');
        return;
      default:
        throw new ProtocolError(`unexpected authentication message ${n} during gssapi-with-mic`);
    }
  }

  private gssStepAnswered(value: ClientAnswer): void {
    const current = this.current;
    if (current?.method !== 'gssapi-with-mic') return;
    if (!isGssStepResult(value)) {
      if (isGssStepFailure(value) && value.token !== undefined && value.token.length > 0) this.transport.send(UserauthGssapiErrtok.encode({ token: value.token }));
      this.abandonGss();
      return;
    }
    if (value.token.length > 0) this.transport.send(UserauthGssapiToken.encode({ token: value.token }));
    if (!value.complete) return;
    current.stage = 'mic';
    const data = userauthGssapiMicData(this.sessionId(), this.options.username, this.serviceName);
    this.ask({ kind: 'gss-mic' }, (id) => ({ type: 'gss-mic', id, data }));
  }

  /** Gives up on gssapi-with-mic: a new request (of the next method) ends the exchange. */
  private abandonGss(): void {
    this.current = undefined;
    this.advance();
  }

  // ------------------------------------------------------------------ choosing what to try

  private advance(): void {
    if (this.phase !== 'auth' || this.pending) return;
    for (const method of this.methods) {
      if (this.allowed && !this.allowed.includes(method)) continue;
      if (this.tryMethod(method)) return;
    }
    this.fail(new PermissionDenied('authentication failed: no more methods to try'));
  }

  /** Starts one attempt with `method`; false when it has nothing left to try. */
  private tryMethod(method: ClientMethod): boolean {
    switch (method) {
      case 'gssapi-keyex': {
        if (this.gssKeyexTried || this.transport.gssKexEstablished !== true) return false;
        this.gssKeyexTried = true;
        const data = userauthGssapiMicData(this.sessionId(), this.options.username, this.serviceName, 'gssapi-keyex');
        this.ask({ kind: 'gss-keyex-mic' }, (id) => ({ type: 'gss-mic', id, data, keyex: true }));
        return true;
      }
      case 'gssapi-with-mic':
        if (this.gssTried) return false;
        this.gssTried = true;
        this.current = { method: 'gssapi-with-mic', stage: 'response', rounds: 0 };
        this.sendRequest(METHOD.GSSAPI_WITH_MIC, { type: 'gssapi-with-mic', mechanisms: [GSS_KRB5_MECHANISM] });
        return true;
      case 'hostbased':
        for (let hb = this.hostBased.shift(); hb; hb = this.hostBased.shift()) {
          if (this.sendHostbased(hb)) return true;
        }
        return false;
      case 'publickey':
        for (let key = this.keys.shift(); key; key = this.keys.shift()) {
          if (this.offerKey(key)) return true;
        }
        if (this.options.publicKeyAuthRequested && !this.declined.has('public-key')) {
          this.ask({ kind: 'public-key' }, (id) => ({ type: 'public-key-requested', id }));
          return true;
        }
        return false;
      case 'keyboard-interactive':
        if (this.kbdintAttempts >= MAX_ATTEMPTS || this.declined.has('keyboard-interactive')) return false;
        if (this.kbdintAttempts === 0 && this.options.password !== undefined && !this.options.kbdintAuthRequested) {
          this.startKbdint('', true);
          return true;
        }
        if (!this.options.kbdintAuthRequested) return false;
        this.ask({ kind: 'kbdint-start' }, (id) => ({ type: 'kbdint-requested', id }));
        return true;
      case 'password':
        if (this.options.password !== undefined && !this.passwordOptionUsed) {
          this.passwordOptionUsed = true;
          this.sendPassword(this.options.password);
          return true;
        }
        if (!this.options.passwordAuthRequested || this.passwordAttempts >= MAX_ATTEMPTS || this.declined.has('password')) return false;
        this.ask({ kind: 'password' }, (id) => ({ type: 'password-requested', id }));
        return true;
    }
  }

  private offerKey(key: ClientKey): boolean {
    const { type, sigAlgorithms } = keyType(key);
    const algorithm = chooseSigAlgorithm(type, sigAlgorithms, this.serverSigAlgs);
    if (algorithm === undefined) return false;
    // X.509 blobs name their algorithm (RFC 6187 §3): the blob follows the algorithm chosen.
    const chain = externalChain(key);
    const blob = chain !== undefined ? encodeX509Blob(algorithm, chain) : key instanceof SSHKey || isExternal(key) ? keyType(key).blob : key.publicDataFor(algorithm);
    const hostKey = this.hostboundKey();
    if (!isExternal(key) && this.options.queryFirst !== true) {
      // Signed at once: saves the query's round trip (and the server's second key lookup).
      this.current = { method: 'publickey', key, algorithm, blob, signed: true };
      const request = this.publickeyRequest(algorithm, blob);
      let signature: Uint8Array;
      try {
        signature = key.sign(userauthSignedData(this.sessionId(), request), algorithm);
      } catch {
        this.current = undefined;
        return false; // a key that cannot sign is skipped
      }
      this.sendSigned(request, signature);
      return true;
    }
    this.current = { method: 'publickey', key, algorithm, blob, signed: false };
    if (hostKey) {
      this.sendRequest(METHOD.PUBLICKEY_HOSTBOUND, { type: METHOD.PUBLICKEY_HOSTBOUND, hasSignature: false, algorithm, publicKey: blob, hostKey });
    } else {
      this.sendRequest(METHOD.PUBLICKEY, { type: METHOD.PUBLICKEY, hasSignature: false, algorithm, publicKey: blob });
    }
    return true;
  }

  private hostboundKey(): Uint8Array | undefined {
    return this.options.hostbound !== false && this.serverHostbound ? this.serverHostKey : undefined;
  }

  /** The signed publickey (or publickey-hostbound) request, its signature still empty. */
  private publickeyRequest(algorithm: string, blob: Uint8Array): UserauthRequest {
    const hostKey = this.hostboundKey();
    return hostKey
      ? this.request(METHOD.PUBLICKEY_HOSTBOUND, { type: METHOD.PUBLICKEY_HOSTBOUND, hasSignature: true, algorithm, publicKey: blob, hostKey, signature: new Uint8Array(0) })
      : this.request(METHOD.PUBLICKEY, { type: METHOD.PUBLICKEY, hasSignature: true, algorithm, publicKey: blob, signature: new Uint8Array(0) });
  }

  /** After PK_OK: the signed request, now or once the application signs. */
  private signAndSend(key: ClientKey, algorithm: string, blob: Uint8Array): void {
    const request = this.publickeyRequest(algorithm, blob);
    const data = userauthSignedData(this.sessionId(), request);
    if (isExternal(key)) {
      const publicKey = key.publicKey;
      const plain = externalChain(key) !== undefined ? (x509BaseSigAlgorithm(algorithm) ?? algorithm) : baseSigAlgorithm(algorithm);
      this.ask({ kind: 'sign', request, publicKey, algorithm }, (id) => ({ type: 'sign', id, publicKey, algorithm: plain, data }));
      return;
    }
    let signature: Uint8Array;
    try {
      signature = key.sign(data, algorithm);
    } catch {
      this.advance(); // a key that cannot sign is skipped
      return;
    }
    this.sendSigned(request, signature);
  }

  private sendSigned(request: UserauthRequest, signature: Uint8Array): void {
    const m = request.method;
    if (m instanceof Uint8Array || (m.type !== 'publickey' && m.type !== METHOD.PUBLICKEY_HOSTBOUND && m.type !== 'hostbased')) return;
    // RFC 6187 §3 names these signatures rsa2048-sha256 (the key signed as rsa-sha2-256).
    if (m.algorithm === X509_RSA2048 && signatureName(signature) !== X509_RSA2048_SIGNATURE) signature = renameSignature(signature, X509_RSA2048_SIGNATURE);
    this.transport.send(UserauthRequest.encode({ ...request, method: { ...m, signature } }));
  }

  private sendHostbased(hb: HostBasedIdentity): boolean {
    const { type, sigAlgorithms, blob } = keyType(hb.key);
    const algorithm = chooseSigAlgorithm(type, sigAlgorithms, this.serverSigAlgs);
    if (algorithm === undefined) return false;
    const request = this.request(METHOD.HOSTBASED, {
      type: 'hostbased',
      algorithm,
      hostKey: blob,
      clientHostName: hb.clientHostName,
      clientUserName: hb.clientUserName,
      signature: new Uint8Array(0),
    });
    const data = userauthSignedData(this.sessionId(), request);
    const key = hb.key;
    if (isExternal(key)) {
      // Signed elsewhere (ssh-keysign): a declined signature moves on to the next identity.
      this.current = { method: 'hostbased' };
      const publicKey = key.publicKey;
      this.ask({ kind: 'sign', request, publicKey, algorithm }, (id) => ({ type: 'sign', id, publicKey, algorithm: baseSigAlgorithm(algorithm), data }));
      return true;
    }
    let signature: Uint8Array;
    try {
      signature = key.sign(data, algorithm);
    } catch {
      return false;
    }
    this.current = { method: 'hostbased' };
    this.sendSigned(request, signature);
    return true;
  }

  private sendPassword(password: string): void {
    this.passwordAttempts++;
    this.current = { method: 'password', changing: false };
    this.sendRequest(METHOD.PASSWORD, { type: 'password', changePassword: false, password });
  }

  private startKbdint(submethods: string, autoPassword: boolean): void {
    this.kbdintAttempts++;
    this.current = { method: 'keyboard-interactive', autoPassword, challenges: 0 };
    this.sendRequest(METHOD.KEYBOARD_INTERACTIVE, { type: 'keyboard-interactive', languageTag: '', submethods });
  }

  // ------------------------------------------------------------------ plumbing

  private sessionId(): Uint8Array {
    const id = this.transport.sessionId;
    if (!id) throw new ProtocolError('user authentication before key exchange');
    return id;
  }

  private request(methodName: string, method: UserauthRequest['method']): UserauthRequest {
    return { userName: this.options.username, serviceName: this.serviceName, methodName, method } as UserauthRequest;
  }

  private sendRequest(methodName: string, method: UserauthRequest['method']): void {
    this.transport.send(UserauthRequest.encode(this.request(methodName, method)));
  }

  private ask(what: Pending, event: (id: number) => UserauthClientEvent): void {
    const id = this.nextId++;
    this.pending = { id, what };
    this.events.push(event(id));
  }

  /** Ends authentication: a protocol error keeps its reason code, running out of methods sends 14. */
  private fail(error: DisconnectError): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.pending = undefined;
    try {
      this.transport.disconnect(error.reasonCode, error.reason);
    } catch {
      // the transport is already closed
    }
    this.events.push({ type: 'failure', error });
  }
}
