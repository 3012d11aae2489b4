/**
 * The SSH transport as a sans-I/O state machine: version exchange, binary packets, key exchange
 * and re-exchange, strict kex, ext-info, and the generic transport messages. RFC 4253, RFC 8308,
 * OpenSSH PROTOCOL (§1.9 ping, §1.10 strict kex).
 *
 * `receive()` takes the peer's bytes; `takeOutput()` gives bytes to write; `nextEvent()` gives what
 * happened. Messages of the layers above (service requests, user authentication, connection) go
 * through `send()` and come out as `message` events; the machine holds outbound ones back while a
 * key exchange is under way, so nothing is lost or reordered across a rekey. Peer misbehaviour
 * never throws out of `receive()`: it becomes a `disconnect` event and an SSH_MSG_DISCONNECT.
 * @module
 */

import { randomBytes } from 'node:crypto';
import {
  CompressionError as CryptoCompressionError,
  GssKeyExchangeError,
  KeyExchangeError,
  MacError,
  NoCommonAlgorithmError,
  PacketLengthError,
  UnknownAlgorithmError,
  createStandardRegistry,
  deriveSessionKeys,
  isKexGuessCorrect,
  negotiateKexInit,
  recyclePacketBuffer,
  splitGssKexName,
  type Compressor,
  type GssKexAnswer,
  type Decompressor,
  type KexExchange,
  type KexOptions,
  type KexResult,
  type KexStep,
  type NegotiatedAlgorithms,
  type PacketProtectionOptions,
  type Registry,
} from '@ssh/crypto';
import { SSHKeyPair, decodeX509Blob, importCertificate, importPublicKey, x509BaseSigAlgorithm, type SSHCertificate, type SSHKey, type SSHX509Certificate } from '@ssh/keys';
import {
  DISCONNECT,
  Debug,
  Disconnect,
  ExtInfo,
  Ignore,
  KexInit,
  MSG,
  NewKeys,
  Pong,
  Reader,
  SshError,
  Unimplemented,
  WireError,
  type ExtInfoExtensionValue,
} from '@ssh/wire';
import {
  DEFAULT_HOST_KEY_ALGORITHMS,
  DEFAULT_USERAUTH_SIG_ALGORITHMS,
  EXT_INFO_C,
  EXT_INFO_S,
  KEX_STRICT_C,
  KEX_STRICT_S,
  NULL_HOST_KEY,
  encodeKexInit,
  kexInitLists,
  resolveOffer,
  type AlgorithmOffer,
  type OfferOptions,
} from './algorithms.ts';
import { CompressionError, DisconnectError, HostKeyNotVerifiable, KeyExchangeFailed, MACError, ProtocolError, ProtocolNotSupported, disconnectErrorFromCode } from './errors.ts';
import { concatBytes, sameBytes } from './bytes.ts';
import { PacketReader, PacketWriter } from './packet-stream.ts';
import { VersionExchange, VersionExchangeError, formatIdentification, type PeerIdentification } from './version.ts';
import { X509_RSA2048, X509_RSA2048_SIGNATURE, renameSignature, signatureName } from './x509-signatures.ts';

/** The name suffix of OpenSSH certificate algorithms. */
const CERT_SUFFIX = '-cert-v01@openssh.com';

/** What a server presented as its host key: a plain key, an OpenSSH certificate or an X.509 chain. */
export type PresentedHostKey = SSHKey | SSHCertificate | readonly SSHX509Certificate[];

/** The key behind what a server presented (the certified key, the end certificate's key). */
export function presentedKey(presented: PresentedHostKey): SSHKey {
  if (isX509Chain(presented)) return (presented[0] as SSHX509Certificate).key;
  return 'keyId' in presented ? presented.key : presented;
}

function isX509Chain(presented: PresentedHostKey): presented is readonly SSHX509Certificate[] {
  return Array.isArray(presented);
}

/** The signature algorithm a certificate algorithm is built on ('rsa-sha2-512-cert-v01@openssh.com' signs as 'rsa-sha2-512'). */
function certBaseAlgorithm(algorithm: string): string {
  return algorithm.slice(0, -CERT_SUFFIX.length);
}

export type TransportRole = 'client' | 'server';

export interface TransportOptions extends OfferOptions {
  readonly role: TransportRole;
  /** Algorithm registry (default: @ssh/crypto's standard one). */
  readonly registry?: Registry;
  /** Software version in our identification line. */
  readonly softwareVersion?: string;
  /** Client: host key algorithms to accept, in preference order. */
  readonly hostKeyAlgorithms?: readonly string[];
  /**
   * Server: host keys (private), each offered with every signature algorithm it supports. A key
   * pair with an OpenSSH host certificate (PROTOCOL.certkeys) or an X.509 chain (RFC 6187) is
   * offered under those algorithms first, and as its plain key too.
   */
  readonly hostKeys?: readonly (SSHKey | SSHKeyPair)[];
  /** Server: the signature algorithms announced in server-sig-algs (default: every one we verify). */
  readonly serverSigAlgorithms?: readonly string[];
  /** Re-exchange keys after this many bytes in either direction (default 1 GiB). */
  readonly rekeyBytes?: number;
  /** Re-exchange keys after this many seconds (default 3600). */
  readonly rekeySeconds?: number;
  /** Largest packet accepted (default 256 KiB, as OpenSSH). */
  readonly maxPacketLength?: number;
  /** Milliseconds clock, for rekeying by time (default Date.now). */
  readonly now?: () => number;
  /** Random bytes (default node:crypto). */
  readonly random?: (length: number) => Uint8Array;
  /** Passed to key exchange methods (group-exchange bounds, ...). */
  readonly kexOptions?: Omit<KexOptions, 'hostKey' | 'random'>;
  /**
   * GSS-API key exchange (RFC 4462 §2, RFC 8732), Kerberos V5: offer the gss-* methods of the kex
   * list (default: the registry's default ones) first, with the mechanism suffix. The context
   * steps and MICs are the application's, asked for with gss-kex-* events. A client then also
   * accepts the "null" host key algorithm; a server may have no host key and offers only "null".
   */
  readonly gssKex?: boolean;
}

/** An answer to a gss-kex-step event: a context step's token and state, or why it failed. */
export type GssKexStepAnswer =
  | { readonly token: Uint8Array; readonly complete: boolean }
  | { readonly error: string; readonly token?: Uint8Array; readonly major?: number };

export type TransportEvent =
  | { readonly type: 'version'; readonly peer: PeerIdentification }
  /** Client: the server proved it holds this key; call `resolveHostKey(id, trusted)`. */
  /**
   * `hostKey` is an SSHCertificate when a *-cert-v01@openssh.com algorithm was negotiated, the
   * X.509 chain (end certificate first) for an x509v3-* one.
   */
  | { readonly type: 'verify-host-key'; readonly id: number; readonly hostKey: PresentedHostKey; readonly hostKeyBlob: Uint8Array; readonly algorithm: string }
  | { readonly type: 'kex-complete'; readonly algorithms: NegotiatedAlgorithms; readonly initial: boolean }
  | { readonly type: 'ext-info'; readonly extensions: ReadonlyMap<string, ExtInfoExtensionValue | Uint8Array> }
  /** A message for the layers above (service request/accept, user authentication, connection). */
  | { readonly type: 'message'; readonly payload: Uint8Array }
  | { readonly type: 'debug'; readonly alwaysDisplay: boolean; readonly message: string; readonly languageTag: string }
  | { readonly type: 'unimplemented'; readonly sequenceNumber: number }
  | { readonly type: 'pong'; readonly data: Uint8Array }
  /**
   * GSS-API key exchange: one step of this exchange's security context (`first`: a new context;
   * a client's first step has `token` null). Answer with `resolveGssKex(id, GssKexStepAnswer)`.
   */
  | { readonly type: 'gss-kex-step'; readonly id: number; readonly token: Uint8Array | null; readonly first: boolean }
  /** Server: the established context's MIC over `data` (the exchange hash); answer with the MIC or null. */
  | { readonly type: 'gss-kex-mic'; readonly id: number; readonly data: Uint8Array }
  /** Client: whether `mic` is the established context's MIC over `data` (the exchange hash); answer with a boolean. */
  | { readonly type: 'gss-kex-verify-mic'; readonly id: number; readonly data: Uint8Array; readonly mic: Uint8Array }
  | { readonly type: 'disconnect'; readonly error: DisconnectError; readonly byPeer: boolean };

/** Where a key exchange stands. */
type KexState =
  | { readonly phase: 'idle' }
  /** We sent KEXINIT and wait for the peer's. */
  | { readonly phase: 'init-sent'; readonly ours: Uint8Array }
  /** Both KEXINITs are in; the method's messages flow. */
  | {
      readonly phase: 'exchange';
      readonly ours: Uint8Array;
      readonly negotiated: NegotiatedAlgorithms;
      readonly exchange: KexExchange;
      ignoreGuess: boolean;
      /** A gss-kex-* event waiting for its answer. */
      gssPending?: { readonly id: number; readonly kind: 'step' | 'mic' | 'verify' } | undefined;
    }
  /** The method finished; NEWKEYS cross (the client first checks the host key). */
  | {
      readonly phase: 'newkeys';
      readonly negotiated: NegotiatedAlgorithms;
      readonly result: KexResult;
      readonly keys: SessionKeys;
      verified: boolean;
      sent: boolean;
      received: boolean;
    };

/** Keys and algorithms of both directions, as @ssh/crypto's sealers and openers take them. */
interface SessionKeys {
  readonly clientToServer: PacketProtectionOptions;
  readonly serverToClient: PacketProtectionOptions;
}

const DEFAULT_REKEY_BYTES = 2 ** 30;
/** Bytes a peer may send ahead while a GSS-API step is in progress (it should send nothing). */
const MAX_HELD_DURING_GSS = 1024 * 1024;
/** Bytes of PONGs that may wait for a key exchange to end (a peer can PING while never finishing it). */
const MAX_HELD_PONGS = 1024 * 1024;
const DEFAULT_REKEY_SECONDS = 3600;
const SOFTWARE_VERSION = 'SSHTS_0.1';

export class Transport {
  readonly role: TransportRole;
  private readonly registry: Registry;
  private readonly offer: AlgorithmOffer;
  private readonly options: TransportOptions;
  private readonly now: () => number;
  private readonly random: (length: number) => Uint8Array;
  private readonly ourVersion: string;
  private readonly version: VersionExchange;
  private readonly reader: PacketReader;
  private readonly writer = new PacketWriter();
  private readonly hostIdentities: SSHKeyPair[];

  private output: Uint8Array[] = [];
  private readonly events: TransportEvent[] = [];
  private peer: PeerIdentification | undefined;
  private peerKexInit: { payload: Uint8Array; lists: ReturnType<typeof kexInitLists>; first: boolean } | undefined;
  private kex: KexState = { phase: 'idle' };
  private held: Uint8Array[] = []; // outbound messages waiting for the key exchange to end
  private heldPongBytes = 0; // of them, PONGs: answers the peer's PINGs call for
  private sessionIdValue: Uint8Array | undefined;
  /** Client: the host key of the first key exchange, which a re-exchange may not change. */
  private firstHostKey: Uint8Array | undefined;
  private strict = false;
  private peerWantsExtInfo = false;
  private closed = false;
  private nextVerifyId = 1;
  private nextGssId = 1;
  private gssKexDone = false;
  private bytesSinceKex = 0;
  private kexDoneAt: number;
  // Compression per direction; zlib@openssh.com waits for USERAUTH_SUCCESS (OpenSSH PROTOCOL §2.2).
  private compressor: Compressor | undefined;
  private decompressor: Decompressor | undefined;
  private authenticated = false;
  private compressionOut = 'none';
  private compressionIn = 'none';

  constructor(options: TransportOptions) {
    this.options = options;
    this.role = options.role;
    this.registry = options.registry ?? createStandardRegistry();
    this.now = options.now ?? Date.now;
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.kexDoneAt = this.now();
    this.hostIdentities = this.role === 'server' ? hostIdentities(options.hostKeys ?? []) : [];
    const hostKeyAlgorithms =
      this.role === 'server'
        ? [...new Set(this.hostIdentities.flatMap((k) => k.sigAlgorithms))]
        : [...(options.hostKeyAlgorithms ?? DEFAULT_HOST_KEY_ALGORITHMS)];
    // RFC 4462 §5: "null" stands for no host key, usable only with GSS-API key exchange.
    if (options.gssKex === true && (this.role === 'client' || hostKeyAlgorithms.length === 0)) hostKeyAlgorithms.push(NULL_HOST_KEY);
    if (this.role === 'server' && hostKeyAlgorithms.length === 0) throw new RangeError('a server needs at least one host key');
    this.offer = resolveOffer(this.registry, options, hostKeyAlgorithms);
    this.ourVersion = formatIdentification(options.softwareVersion ?? SOFTWARE_VERSION);
    this.version = new VersionExchange(this.role);
    this.reader = new PacketReader(options.maxPacketLength ?? 256 * 1024);
    this.output.push(new TextEncoder().encode(this.ourVersion));
    // RFC 4253 §7.1: both sides may send KEXINIT right after the identification.
    this.startKex();
  }

  /** The session identifier (H of the first key exchange), once known. */
  get sessionId(): Uint8Array | undefined {
    return this.sessionIdValue;
  }

  /** The peer's identification, once received. */
  get peerIdentification(): PeerIdentification | undefined {
    return this.peer;
  }

  /** True once the first key exchange completed and until the connection closes. */
  get isReady(): boolean {
    return this.sessionIdValue !== undefined && !this.closed && this.kexComplete;
  }

  private kexComplete = false;
  private peerNewKeysSeen = false;
  // RFC 8308 §2.4: EXT_INFO may come only as the peer's first packet after its first NEWKEYS, or
  // (from a server) immediately before USERAUTH_SUCCESS; the latter is held until that arrives.
  private extInfoWindow = false;
  private extInfoBeforeSuccess: Extract<TransportEvent, { type: 'ext-info' }> | 'used' | undefined;

  get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------------ the sans-I/O surface

  /**
   * Bytes from the peer, in any chunking. A `transient` chunk is a view of a buffer the caller
   * reuses after this returns: nothing of it is kept (events carry fresh memory, the unread rest is
   * copied), which lets a socket read into one buffer instead of allocating one per read.
   */
  receive(chunk: Uint8Array, transient = false): void {
    if (this.closed) return;
    try {
      this.receiveChunk(chunk, transient);
    } finally {
      if (transient) this.reader.release();
    }
  }

  private receiveChunk(chunk: Uint8Array, transient: boolean): void {
    try {
      if (!this.peer) {
        this.version.receive(chunk);
        const id = this.version.identification;
        if (!id) return;
        this.peer = id;
        this.events.push({ type: 'version', peer: id });
        this.reader.push(this.version.takeRest());
      } else {
        this.reader.push(chunk, transient);
      }
      this.processPackets();
    } catch (err) {
      this.failWith(err);
    }
  }

  /**
   * Handles the packets buffered so far. While a GSS-API step of the key exchange is out with the
   * application, packets stay buffered undecrypted: the peer's NEWKEYS may follow its last kex
   * message at once, and what comes after it needs keys the step's outcome decides.
   */
  private processPackets(): void {
    for (;;) {
      if (this.closed) return;
      if (this.kex.phase !== 'idle' && this.waitingForApplication()) {
        if (this.reader.buffered > MAX_HELD_DURING_GSS) {
          throw new ProtocolError(this.kex.phase === 'exchange' ? 'the peer sent too much while a GSS-API step was in progress' : 'the server sent too much while its host key was being checked');
        }
        return;
      }
      const seq = this.reader.seq;
      const packet = this.reader.next();
      if (!packet) break;
      this.bytesSinceKex += packet.length;
      const payload = this.decompressor ? this.decompressor.decompress(packet) : packet;
      this.dispatch(payload, seq);
      // The client compresses from the packet after USERAUTH_SUCCESS on (delayed compression).
      if (this.role === 'client' && payload[0] === MSG.USERAUTH_SUCCESS) this.onAuthenticated();
    }
    this.maybeRekey();
  }

  /**
   * Whether packets must stay buffered until the application answers: a GSS-API step, or (client,
   * first exchange) the host key check, so that nothing from a server reaches the layers above
   * before its key is trusted.
   */
  private waitingForApplication(): boolean {
    const kex = this.kex;
    if (kex.phase === 'exchange') return kex.gssPending !== undefined;
    return kex.phase === 'newkeys' && !kex.verified && !this.kexComplete;
  }

  /** Fails the connection for `err`; a GSS-API key exchange's error messages go out first. */
  private failWith(err: unknown): void {
    if (err instanceof GssKeyExchangeError && !this.closed) {
      for (const m of err.messages) {
        try {
          this.writePacket(m);
        } catch {
          break;
        }
      }
    }
    this.fail(toDisconnect(err));
  }

  /** The next event, or undefined when there is none. */
  nextEvent(): TransportEvent | undefined {
    return this.events.shift();
  }

  /** Whether bytes wait to be written (takeOutputParts() would give some). */
  get hasOutput(): boolean {
    return this.output.length > 0;
  }

  /**
   * Bytes to write to the peer as consecutive chunks (for a vectored write), or undefined when
   * there are none.
   */
  takeOutputParts(): Uint8Array[] | undefined {
    if (this.output.length === 0) return undefined;
    const parts = this.output;
    this.output = [];
    return parts;
  }

  /**
   * The chunks of one takeOutputParts() batch have been written out and copied (a socket write
   * completed): their buffers may carry later packets. Optional; call it only when nothing holds
   * the chunks any more, never for a stream that may still queue them.
   */
  outputWritten(parts: readonly Uint8Array[]): void {
    for (const part of parts) recyclePacketBuffer(part);
  }

  /** Bytes to write to the peer in one buffer, or undefined when there are none. */
  takeOutput(): Uint8Array | undefined {
    const parts = this.takeOutputParts();
    if (parts === undefined) return undefined;
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /**
   * Sends a message of a layer above (its payload, message number first). With `tail`, the
   * message is `payload` followed by `tail` (a header and the data it carries, sealed without
   * being joined first). Nothing refers to `payload` or `tail` once this returns: the packet is
   * sealed now, or copied while a key exchange holds it back, so the caller may reuse both.
   */
  send(payload: Uint8Array, tail?: Uint8Array): void {
    if (this.closed) throw new ProtocolError('connection is closed');
    const n = payload[0] ?? 0;
    if (n < 50 && n !== MSG.SERVICE_REQUEST && n !== MSG.SERVICE_ACCEPT && n !== MSG.IGNORE && n !== MSG.DEBUG) {
      throw new RangeError(`message ${n} belongs to the transport itself`);
    }
    if (this.kex.phase !== 'idle' || !this.kexComplete) this.held.push(tail === undefined ? payload : concatBytes(payload, tail));
    else this.writePacket(payload, tail);
    this.maybeRekey();
  }

  /** True once a GSS-API key exchange established a context (gssapi-keyex may then be used). */
  get gssKexEstablished(): boolean {
    return this.gssKexDone;
  }

  /**
   * The answer to a gss-kex-* event: a GssKexStepAnswer to gss-kex-step, the MIC (or null) to
   * gss-kex-mic, a boolean to gss-kex-verify-mic.
   */
  resolveGssKex(id: number, answer: GssKexStepAnswer | Uint8Array | boolean | null): void {
    const kex = this.kex;
    if (this.closed || kex.phase !== 'exchange' || kex.gssPending?.id !== id || kex.exchange.answerGss === undefined) return;
    const kind = kex.gssPending.kind;
    kex.gssPending = undefined;
    let a: GssKexAnswer;
    if (kind === 'mic') a = { kind: 'mic', mic: answer instanceof Uint8Array ? answer : null };
    else if (kind === 'verify') a = { kind: 'verified', ok: answer === true };
    else if (typeof answer === 'object' && answer !== null && !(answer instanceof Uint8Array) && 'complete' in answer) {
      a = { kind: 'step', token: answer.token, complete: answer.complete };
    } else if (typeof answer === 'object' && answer !== null && !(answer instanceof Uint8Array) && 'error' in answer) {
      a = { kind: 'step-failed', error: answer.error, ...(answer.token ? { token: answer.token } : {}), ...(answer.major !== undefined ? { major: answer.major } : {}) };
    } else a = { kind: 'step-failed', error: 'no answer to the GSS-API step' };
    try {
      this.onKexStep(kex, kex.exchange.answerGss(a));
      this.processPackets();
    } catch (err) {
      this.failWith(err);
    }
  }

  /** Client: the answer to a `verify-host-key` event. */
  resolveHostKey(id: number, trusted: boolean): void {
    const kex = this.kex;
    if (kex.phase !== 'newkeys' || kex.verified || id !== this.nextVerifyId - 1 || this.closed) return;
    if (!trusted) {
      this.fail(new HostKeyNotVerifiable('host key is not trusted'));
      return;
    }
    kex.verified = true;
    try {
      this.sendNewKeys(kex);
      this.processPackets();
    } catch (err) {
      this.failWith(err);
    }
  }

  /** Starts a key re-exchange now (ignored while one is under way). */
  rekey(): void {
    if (!this.closed && this.kexComplete && this.kex.phase === 'idle') this.startKex();
  }

  /** Re-exchanges keys if the byte or time limit is reached; the adapter calls this on a timer. */
  checkRekey(): void {
    this.maybeRekey();
  }

  /** Sends SSH_MSG_DISCONNECT and closes. */
  disconnect(reasonCode: number = DISCONNECT.BY_APPLICATION, description = 'disconnected by application', lang = 'en-US'): void {
    if (this.closed) return;
    this.writePacket(Disconnect.encode({ reasonCode, description, languageTag: lang }));
    this.closed = true;
  }

  /** SSH_MSG_IGNORE with `data` (keeps NAT mappings alive, hides traffic patterns). */
  sendIgnore(data: Uint8Array = new Uint8Array(0)): void {
    this.send(Ignore.encode({ data }));
  }

  /** SSH_MSG_DEBUG. */
  sendDebug(message: string, alwaysDisplay = false, lang = 'en-US'): void {
    this.send(Debug.encode({ alwaysDisplay, message, languageTag: lang }));
  }

  // ------------------------------------------------------------------ inbound dispatch

  private dispatch(payload: Uint8Array, seq: number): void {
    if (payload.length === 0) throw new ProtocolError('empty packet payload');
    const n = payload[0] as number;
    const extInfoAllowed = this.extInfoWindow;
    this.extInfoWindow = false;
    const heldExtInfo = this.extInfoBeforeSuccess;
    if (heldExtInfo !== undefined && heldExtInfo !== 'used') {
      if (n !== MSG.USERAUTH_SUCCESS) throw new ProtocolError('EXT_INFO was not followed by USERAUTH_SUCCESS');
      this.extInfoBeforeSuccess = 'used';
      this.events.push(heldExtInfo);
    }
    // Until the peer's first NEWKEYS, only key exchange messages may arrive.
    const initial = !this.peerNewKeysSeen;
    if (this.strict && initial && n !== MSG.KEXINIT && n !== MSG.NEWKEYS && n !== MSG.DISCONNECT && !(n >= 30 && n <= 49)) {
      throw new ProtocolError(`strict key exchange: unexpected message ${n} during the initial key exchange`);
    }
    switch (n) {
      case MSG.DISCONNECT: {
        const m = Disconnect.decode(payload);
        this.closed = true;
        this.events.push({ type: 'disconnect', error: disconnectErrorFromCode(m.reasonCode, m.description, m.languageTag), byPeer: true });
        return;
      }
      case MSG.IGNORE:
        return;
      case MSG.UNIMPLEMENTED:
        this.events.push({ type: 'unimplemented', sequenceNumber: Unimplemented.decode(payload).sequenceNumber });
        return;
      case MSG.DEBUG: {
        const m = Debug.decode(payload);
        this.events.push({ type: 'debug', alwaysDisplay: m.alwaysDisplay, message: m.message, languageTag: m.languageTag });
        return;
      }
      case MSG.KEXINIT:
        this.onKexInit(payload, seq);
        return;
      case MSG.NEWKEYS:
        this.onNewKeys(payload);
        return;
      case MSG.EXT_INFO: {
        const m = ExtInfo.decode(payload);
        const event = { type: 'ext-info', extensions: new Map(m.extensions.map((e) => [e.name, e.value])) } as const;
        if (extInfoAllowed) this.events.push(event);
        else if (this.role === 'client' && this.kexComplete && !this.authenticated && this.extInfoBeforeSuccess === undefined) {
          this.extInfoBeforeSuccess = event;
        } else throw new ProtocolError('EXT_INFO where RFC 8308 §2.4 does not allow it');
        return;
      }
      case MSG.PING: {
        if (initial) return;
        const pong = Pong.encode({ data: new Reader(payload.subarray(1)).bytes('data') });
        if (this.kex.phase !== 'idle') {
          this.heldPongBytes += pong.length;
          if (this.heldPongBytes > MAX_HELD_PONGS) throw new ProtocolError('too many PINGs during a key exchange');
        }
        this.send(pong);
        return;
      }
      case MSG.PONG:
        this.events.push({ type: 'pong', data: new Reader(payload.subarray(1)).bytes('data') });
        return;
      default:
        break;
    }
    if (n >= 30 && n <= 49) {
      this.onKexMessage(payload);
      return;
    }
    if (n < 50 && n !== MSG.SERVICE_REQUEST && n !== MSG.SERVICE_ACCEPT) {
      this.writePacket(Unimplemented.encode({ sequenceNumber: seq }));
      return;
    }
    if (initial) throw new ProtocolError(`message ${n} before the first key exchange completed`);
    this.events.push({ type: 'message', payload });
  }

  // ------------------------------------------------------------------ key exchange

  private startKex(): void {
    const ours = encodeKexInit(this.offer, this.role, this.sessionIdValue === undefined, this.random(16));
    this.kex = { phase: 'init-sent', ours };
    this.writePacket(ours);
    if (this.peerKexInit) this.beginExchange(ours);
  }

  private onKexInit(payload: Uint8Array, seq: number): void {
    if (this.peerKexInit || (this.kex.phase !== 'idle' && this.kex.phase !== 'init-sent')) {
      throw new ProtocolError('KEXINIT during a key exchange');
    }
    const msg = KexInit.decode(payload);
    const first = this.sessionIdValue === undefined;
    this.peerKexInit = { payload, lists: kexInitLists(msg), first };
    if (first) {
      const theirStrict = this.role === 'client' ? KEX_STRICT_S : KEX_STRICT_C;
      this.strict = msg.kexAlgorithms.includes(theirStrict);
      if (this.strict && seq !== 0) throw new ProtocolError('strict key exchange: KEXINIT was not the first packet');
      this.peerWantsExtInfo = msg.kexAlgorithms.includes(this.role === 'server' ? EXT_INFO_C : EXT_INFO_S);
    }
    if (this.kex.phase === 'idle') this.startKex();
    else this.beginExchange(this.kex.ours);
    const kex = this.kex as KexState; // beginExchange moved it on
    if (msg.firstKexPacketFollows && kex.phase === 'exchange') {
      const ours = kexInitLists(KexInit.decode(kex.ours));
      const [client, server] = this.role === 'client' ? [ours, this.peerKexInit.lists] : [this.peerKexInit.lists, ours];
      kex.ignoreGuess = !isKexGuessCorrect(client, server);
    }
  }

  private beginExchange(ours: Uint8Array): void {
    const theirs = this.peerKexInit;
    if (!theirs) return;
    const oursLists = kexInitLists(KexInit.decode(ours));
    const [client, server] = this.role === 'client' ? [oursLists, theirs.lists] : [theirs.lists, oursLists];
    const negotiated = negotiateKexInit(client, server, {
      isAead: (name) => this.registry.get('cipher', name)?.impl.aead === true,
    });
    const peerVersion = (this.peer as PeerIdentification).line;
    const ourVersion = this.ourVersion.slice(0, -2);
    const transcript =
      this.role === 'client'
        ? { clientVersion: ourVersion, serverVersion: peerVersion, clientKexInit: ours, serverKexInit: theirs.payload }
        : { clientVersion: peerVersion, serverVersion: ourVersion, clientKexInit: theirs.payload, serverKexInit: ours };
    const gss = splitGssKexName(negotiated.kex);
    if (negotiated.hostKey === NULL_HOST_KEY && gss === undefined) throw new KeyExchangeFailed(`${negotiated.kex} needs a host key, and "null" was negotiated`);
    // GSS-API methods: no KEXGSS_HOSTKEY and an empty K_S, as Debian's sshd does; Debian's ssh
    // (9.2p1) fails on a KEXGSS_HOSTKEY ("buffer is read-only"), and the MIC authenticates us anyway.
    const hostKey = this.role === 'server' && negotiated.hostKey !== NULL_HOST_KEY && gss === undefined ? this.hostKeyFor(negotiated.hostKey).blob : undefined;
    // GSS-API methods are off the registry's lists (they need a context); only a gssKex transport offers them.
    const impl = gss === undefined ? this.registry.require('kex', negotiated.kex).impl : this.registry.get('kex', gss.method)?.impl;
    if (impl === undefined || (gss !== undefined && this.options.gssKex !== true)) throw new KeyExchangeFailed(`unknown key exchange ${negotiated.kex}`);
    const exchange = impl.create(this.role, transcript, {
      ...this.options.kexOptions,
      // Only an injected source goes down: without one, each exchange draws its ephemeral keys
      // the fast way (OpenSSL's own key generation, not an import of bytes drawn here).
      ...(this.options.random ? { random: this.random } : {}),
      ...(hostKey ? { hostKey } : {}),
    });
    const kex: Extract<KexState, { phase: 'exchange' }> = { phase: 'exchange', ours, negotiated, exchange, ignoreGuess: false };
    this.kex = kex;
    if (exchange.begin !== undefined) this.onKexStep(kex, exchange.begin());
    else for (const m of exchange.start()) this.writePacket(m);
  }

  private onKexMessage(payload: Uint8Array): void {
    const kex = this.kex;
    if (kex.phase !== 'exchange') throw new ProtocolError(`key exchange message ${payload[0]} outside a key exchange`);
    if (kex.ignoreGuess) {
      kex.ignoreGuess = false;
      return;
    }
    this.onKexStep(kex, kex.exchange.receive(payload));
  }

  private onKexStep(kex: Extract<KexState, { phase: 'exchange' }>, step: KexStep): void {
    if (step.type === 'sign') {
      step = kex.exchange.sign(this.hostKeyFor(kex.negotiated.hostKey).sign(step.exchangeHash));
      if (step.type === 'sign') throw new KeyExchangeFailed(`${kex.negotiated.kex} asked for a second signature`);
    }
    switch (step.type) {
      case 'gss-step': {
        for (const m of step.messages) this.writePacket(m);
        const id = this.nextGssId++;
        kex.gssPending = { id, kind: 'step' };
        this.events.push({ type: 'gss-kex-step', id, token: step.token, first: step.first });
        return;
      }
      case 'gss-mic': {
        const id = this.nextGssId++;
        kex.gssPending = { id, kind: 'mic' };
        this.events.push({ type: 'gss-kex-mic', id, data: step.data });
        return;
      }
      case 'gss-verify-mic': {
        const id = this.nextGssId++;
        kex.gssPending = { id, kind: 'verify' };
        this.events.push({ type: 'gss-kex-verify-mic', id, data: step.data, mic: step.mic });
        return;
      }
      case 'send':
      case 'done':
        break;
    }
    for (const m of step.messages) this.writePacket(m);
    if (step.type !== 'done') return;
    const result = step.result;
    if (this.sessionIdValue === undefined) this.sessionIdValue = result.exchangeHash;
    const keys = this.deriveKeys(kex.negotiated, result);
    const next: KexState = { phase: 'newkeys', negotiated: kex.negotiated, result, keys, verified: this.role === 'server', sent: false, received: false };
    this.kex = next;
    if (result.gss === true) this.gssKexDone = true;
    if (this.role === 'server') {
      this.sendNewKeys(next);
      return;
    }
    // RFC 4462 §2.1: the context's MIC over H, checked by the exchange, authenticated the server;
    // K_S (if any) is not signed and has nothing to be checked against.
    if (result.gss === true) {
      next.verified = true;
      this.sendNewKeys(next);
      return;
    }
    const hostKey = this.checkHostKeySignature(result, kex.negotiated.hostKey);
    // A re-exchange must be signed by the key the first one was (OpenSSH's kex_verify_host_key):
    // a server switching keys mid-connection is refused even if that key is trusted too.
    if (this.firstHostKey === undefined) this.firstHostKey = result.hostKey;
    else if (!sameBytes(this.firstHostKey, result.hostKey)) throw new HostKeyNotVerifiable('server host key changed during re-key');
    this.events.push({ type: 'verify-host-key', id: this.nextVerifyId++, hostKey, hostKeyBlob: result.hostKey, algorithm: kex.negotiated.hostKey });
  }

  /**
   * Client: K_S must have signed H with the negotiated algorithm. For a host certificate
   * (PROTOCOL.certkeys) the certified key signs, with the plain algorithm the name is built on.
   */
  private checkHostKeySignature(result: KexResult, algorithm: string): PresentedHostKey {
    const certified = algorithm.endsWith(CERT_SUFFIX);
    const x509 = algorithm.startsWith('x509v3-');
    let presented: PresentedHostKey;
    let hostKey: SSHKey;
    try {
      if (certified) {
        const cert = importCertificate(result.hostKey);
        presented = cert;
        hostKey = cert.key;
      } else if (x509) {
        // RFC 6187 §3: the blob names its algorithm and carries the chain, end certificate first.
        const decoded = decodeX509Blob(result.hostKey);
        const end = decoded.chain[0];
        if (decoded.algorithm !== algorithm || end === undefined) throw new RangeError(`an ${decoded.algorithm} blob for ${algorithm}`);
        presented = decoded.chain;
        hostKey = end.key;
      } else {
        hostKey = importPublicKey(result.hostKey);
        presented = hostKey;
      }
    } catch (cause) {
      throw new KeyExchangeFailed('server host key is not a key we can read', undefined, { cause });
    }
    const rsa2048 = algorithm === X509_RSA2048;
    if (certified) algorithm = certBaseAlgorithm(algorithm);
    else if (x509) algorithm = x509BaseSigAlgorithm(algorithm) ?? algorithm;
    let signature = result.signature ?? new Uint8Array(0);
    let sigAlgorithm = signatureName(signature);
    // RFC 6187 names these signatures rsa2048-sha256; some servers send rsa-sha2-256: the same bytes.
    if (rsa2048 && sigAlgorithm === X509_RSA2048_SIGNATURE) {
      signature = renameSignature(signature, algorithm);
      sigAlgorithm = algorithm;
    }
    if (sigAlgorithm !== algorithm || !hostKey.verify(result.exchangeHash, signature)) {
      throw new KeyExchangeFailed(`server host key signature (${sigAlgorithm ?? 'malformed'}) does not verify as ${algorithm}`);
    }
    return presented;
  }

  private sendNewKeys(kex: Extract<KexState, { phase: 'newkeys' }>): void {
    this.writePacket(NewKeys.encode({}));
    this.writer.setKeys(this.role === 'client' ? kex.keys.clientToServer : kex.keys.serverToClient);
    if (this.strict) this.writer.seq = 0;
    this.compressionOut = this.role === 'client' ? kex.negotiated.compressionClientToServer : kex.negotiated.compressionServerToClient;
    this.compressor = undefined;
    this.startCompression();
    kex.sent = true;
    const initial = !this.kexComplete;
    if (initial && this.role === 'server' && this.peerWantsExtInfo) this.writePacket(this.serverExtInfo());
    // RFC 4253 §7.1: with NEWKEYS sent, messages held back during the exchange may go.
    const held = this.held;
    this.held = [];
    this.heldPongBytes = 0;
    if (!initial) for (const p of held) this.writePacket(p);
    else this.held = held;
    this.finishKexIfDone(kex);
  }

  private onNewKeys(payload: Uint8Array): void {
    NewKeys.decode(payload);
    const kex = this.kex;
    if (kex.phase !== 'newkeys' || kex.received) throw new ProtocolError('NEWKEYS out of sequence');
    this.reader.setKeys(this.role === 'client' ? kex.keys.serverToClient : kex.keys.clientToServer);
    if (this.strict) this.reader.seq = 0;
    this.compressionIn = this.role === 'client' ? kex.negotiated.compressionServerToClient : kex.negotiated.compressionClientToServer;
    this.decompressor = undefined;
    this.startCompression();
    kex.received = true;
    // We announced ext-info-c/-s in our first KEXINIT, so the peer may send EXT_INFO next.
    this.extInfoWindow = !this.peerNewKeysSeen;
    this.peerNewKeysSeen = true;
    this.finishKexIfDone(kex);
  }

  private finishKexIfDone(kex: Extract<KexState, { phase: 'newkeys' }>): void {
    if (!kex.sent || !kex.received) return;
    const initial = !this.kexComplete;
    this.kex = { phase: 'idle' };
    this.peerKexInit = undefined;
    this.kexComplete = true;
    this.bytesSinceKex = 0;
    this.kexDoneAt = this.now();
    this.events.push({ type: 'kex-complete', algorithms: kex.negotiated, initial });
    const held = this.held;
    this.held = [];
    this.heldPongBytes = 0;
    for (const p of held) this.writePacket(p);
  }

  /** RFC 4253 §7.2: the keys of both directions, with the algorithms that use them. */
  private deriveKeys(n: NegotiatedAlgorithms, r: KexResult): SessionKeys {
    const direction = (cipherName: string, macName: string | undefined) => {
      const cipher = this.registry.require('cipher', cipherName).impl;
      const mac = macName === undefined ? undefined : this.registry.require('mac', macName).impl;
      return { cipher, mac, sizes: { ivLength: cipher.ivLength, keyLength: cipher.keyLength, macKeyLength: mac?.keyLength ?? 0 } };
    };
    const c2s = direction(n.cipherClientToServer, n.macClientToServer);
    const s2c = direction(n.cipherServerToClient, n.macServerToClient);
    const keys = deriveSessionKeys(r.hash, r.sharedSecret, r.exchangeHash, this.sessionIdValue as Uint8Array, c2s.sizes, s2c.sizes);
    return {
      clientToServer: { cipher: c2s.cipher, mac: c2s.mac, ...keys.clientToServer },
      serverToClient: { cipher: s2c.cipher, mac: s2c.mac, ...keys.serverToClient },
    };
  }

  /**
   * Starts the negotiated compression of each direction once it may start: at NEWKEYS, or for a
   * delayed method after authentication. Every NEWKEYS starts a fresh zlib stream for its
   * direction, as OpenSSH (start_compression_out/in) and AsyncSSH do.
   */
  private startCompression(): void {
    const out = this.registry.require('compression', this.compressionOut).impl;
    if (this.compressionOut === 'none') this.compressor = undefined;
    else if (!this.compressor && (!out.delayed || this.authenticated)) this.compressor = out.createCompressor();
    const inbound = this.registry.require('compression', this.compressionIn).impl;
    if (this.compressionIn === 'none') this.decompressor = undefined;
    else if (!this.decompressor && (!inbound.delayed || this.authenticated)) {
      this.decompressor = inbound.createDecompressor({ maxInflatedLength: this.options.maxPacketLength ?? 256 * 1024 });
    }
  }

  private onAuthenticated(): void {
    if (this.authenticated) return;
    this.authenticated = true;
    this.startCompression();
  }

  /**
   * Server: K_S for the negotiated host key algorithm and how to sign H with it. A certificate
   * presents the certified key, which signs with the plain algorithm the name is built on.
   */
  private hostKeyFor(algorithm: string): { readonly blob: Uint8Array; sign(hash: Uint8Array): Uint8Array } {
    const identity = this.hostIdentities.find((k) => k.sigAlgorithms.includes(algorithm));
    if (!identity) throw new KeyExchangeFailed(`no host key for ${algorithm}`);
    const sign = (hash: Uint8Array): Uint8Array => identity.sign(hash, algorithm);
    if (algorithm !== X509_RSA2048) return { blob: identity.publicDataFor(algorithm), sign };
    // RFC 6187 §3: this algorithm's signatures are named rsa2048-sha256 (RSA PKCS#1 v1.5, SHA-256).
    return { blob: identity.publicDataFor(algorithm), sign: (hash) => renameSignature(sign(hash), X509_RSA2048_SIGNATURE) };
  }

  private serverExtInfo(): Uint8Array {
    const sigAlgs = this.options.serverSigAlgorithms ?? DEFAULT_USERAUTH_SIG_ALGORITHMS;
    return ExtInfo.encode({
      extensions: [
        { name: 'server-sig-algs', value: { type: 'server-sig-algs', algorithms: [...sigAlgs] } },
        { name: 'ping@openssh.com', value: { type: 'ping@openssh.com', version: '0' } },
      ],
    });
  }

  private maybeRekey(): void {
    if (this.closed || !this.kexComplete || this.kex.phase !== 'idle') return;
    const bytes = this.options.rekeyBytes ?? DEFAULT_REKEY_BYTES;
    const seconds = this.options.rekeySeconds ?? DEFAULT_REKEY_SECONDS;
    if (this.bytesSinceKex >= bytes || this.now() - this.kexDoneAt >= seconds * 1000) this.startKex();
  }

  // ------------------------------------------------------------------ output and failure

  private writePacket(payload: Uint8Array, tail?: Uint8Array): void {
    this.bytesSinceKex += payload.length + (tail?.length ?? 0);
    if (this.compressor) {
      this.output.push(this.writer.write(this.compressor.compress(tail === undefined ? payload : concatBytes(payload, tail))));
    } else {
      for (const part of this.writer.writeParts(payload, tail)) this.output.push(part);
    }
    // The server compresses from the packet after USERAUTH_SUCCESS on (delayed compression).
    if (this.role === 'server' && payload[0] === MSG.USERAUTH_SUCCESS) this.onAuthenticated();
  }

  private fail(error: DisconnectError): void {
    if (this.closed) return;
    try {
      this.writePacket(Disconnect.encode({ reasonCode: error.reasonCode, description: error.reason, languageTag: error.lang }));
    } catch {
      // The peer gets no reason when even the disconnect cannot be sealed.
    }
    this.closed = true;
    this.events.push({ type: 'disconnect', error, byPeer: false });
  }
}

/**
 * A server's host keys as what it can present: certificates and X.509 chains first (their pairs
 * sign with the certified key under the base algorithm), then every plain key.
 */
function hostIdentities(keys: readonly (SSHKey | SSHKeyPair)[]): SSHKeyPair[] {
  const presented: SSHKeyPair[] = [];
  const plain: SSHKeyPair[] = [];
  for (const k of keys) {
    const pair = k instanceof SSHKeyPair ? k : new SSHKeyPair(k);
    const cert = pair.certificate;
    if (cert !== undefined && cert.kind !== 'host') throw new RangeError(`certificate ${JSON.stringify(cert.keyId)} is a ${cert.kind} certificate, not a host certificate`);
    if (cert !== undefined || pair.x509Chain !== undefined) {
      presented.push(pair);
      plain.push(new SSHKeyPair(pair.key));
    } else plain.push(pair);
  }
  return [...presented, ...plain];
}

/** Maps what went wrong while reading the peer to the disconnect it calls for. */
function toDisconnect(err: unknown): DisconnectError {
  if (err instanceof DisconnectError) return err;
  if (err instanceof VersionExchangeError) return err.reason === 8 ? new ProtocolNotSupported(err.message.slice(5)) : new ProtocolError(err.message.slice(5));
  // One description for every integrity failure (tag, MAC, corrupt length), so the peer cannot tell them apart.
  if (err instanceof MacError) return new MACError('message authentication code incorrect', undefined, { cause: err });
  if (err instanceof CryptoCompressionError) return new CompressionError(err.message.slice(5), undefined, { cause: err });
  if (err instanceof KeyExchangeError || err instanceof NoCommonAlgorithmError || err instanceof UnknownAlgorithmError) {
    return new KeyExchangeFailed(err.message.slice(5), undefined, { cause: err });
  }
  if (err instanceof WireError || err instanceof PacketLengthError || err instanceof SshError) {
    return new ProtocolError(err.message.slice(5), undefined, { cause: err });
  }
  return new ProtocolError('internal error while reading from the peer', undefined, { cause: err });
}
