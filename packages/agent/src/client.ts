/**
 * `SSHAgentClient`: the client side of the agent protocol over any byte stream, and
 * `SSHAgentKeyPair`, a key the agent holds. draft-miller-ssh-agent §3 (requests), §3.8.1
 * (query), OpenSSH PROTOCOL.agent (session-bind@openssh.com).
 *
 * Requests go out one at a time, in call order: the protocol has no request ids, so a reply
 * answers the oldest outstanding request, and the client never has more than one. A reply that
 * is oversized, truncated, malformed, of the wrong type or unsolicited is fatal: the pending and
 * queued requests reject with typed errors and the stream is closed. There are no timers here;
 * the adapter may pass one (`timer` + `timeoutMs`).
 * @module
 */

import { type SSHCertificate, type SSHKey, SSHKeyPair, importCertificate, importPublicKey } from '@ssh/keys';
import { Reader, type MessageSchema, SshError, WireError, Writer } from '@ssh/wire';
import { AGENT, AGENT_EXTENSIONS, AGENT_MAX_MESSAGE_LENGTH, AGENT_SIGN_FLAGS } from './constants.ts';
import { AgentClosedError, AgentFailureError, AgentKeyError, AgentProtocolError, AgentTimeoutError } from './errors.ts';
import { AgentFrameReader, frameAgentMessage } from './framing.ts';
import { type AgentKeyInput, agentKeyBody } from './key-encoding.ts';
import {
  AgentAddIdConstrained,
  AgentAddIdentity,
  AgentAddSmartcardKey,
  AgentAddSmartcardKeyConstrained,
  type AgentConstraint,
  AgentExtension,
  AgentExtensionResponse,
  AgentIdentitiesAnswer,
  AgentLock,
  AgentRemoveAllIdentities,
  AgentRemoveIdentity,
  AgentRemoveSmartcardKey,
  AgentRequestIdentities,
  AgentSignRequest,
  AgentSignResponse,
  AgentUnlock,
  ExtensionNames,
  SessionBind,
  encodeConstraints,
} from './messages.ts';
import type { AgentByteStream, AgentTimer } from './stream.ts';

export interface AgentClientOptions {
  /** Largest reply accepted, in bytes (default 256 KiB, OpenSSH's own limit). Longer replies are refused unread. */
  readonly maxReplyLength?: number;
  /** How long to wait for each reply; needs `timer`. */
  readonly timeoutMs?: number;
  /** The clock for `timeoutMs` (the Node adapter passes setTimeout). */
  readonly timer?: AgentTimer;
}

/** Constraints for keys being added. */
export interface AddKeysOptions {
  /** Seconds after which the agent forgets the keys. */
  readonly lifetime?: number;
  /** Ask the agent to have each use confirmed (ssh-askpass). */
  readonly confirm?: boolean;
  /**
   * The security-key middleware library the agent signs sk-* keys through (ssh-add -S; the
   * sk-provider@openssh.com constraint). OpenSSH's agent loads only libraries its -P allows.
   */
  readonly skProvider?: string;
  /** Further constraints (extension constraints), sent after the ones above. */
  readonly constraints?: readonly AgentConstraint[];
}

/** What an extension request got back. */
export type AgentExtensionReply =
  | { readonly type: 'success'; readonly contents: Uint8Array }
  | { readonly type: 'response'; readonly extensionType: string; readonly contents: Uint8Array }
  | { readonly type: 'failure' }
  | { readonly type: 'extension-failure' };

/** Something naming a key the agent holds. */
export type AgentKeyRef = SSHAgentKeyPair | SSHKey | SSHKeyPair | Uint8Array;

const encoder = new TextEncoder();
const asBytes = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? encoder.encode(v) : v);
const looseText = new TextDecoder('utf-8', { fatal: false });

interface Pending {
  readonly name: string;
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
}

/** A connection to an ssh-agent. */
export class SSHAgentClient {
  private readonly stream: AgentByteStream;
  private readonly frames: AgentFrameReader;
  private readonly timeoutMs: number | undefined;
  private readonly timer: AgentTimer | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private fatal: Error | undefined;
  private readonly done: Promise<void>;

  constructor(stream: AgentByteStream, options: AgentClientOptions = {}) {
    this.stream = stream;
    this.frames = new AgentFrameReader(options.maxReplyLength ?? AGENT_MAX_MESSAGE_LENGTH);
    this.timeoutMs = options.timeoutMs;
    this.timer = options.timer;
    this.done = this.pump();
  }

  /** True once the connection is closed (by `close()` or by a fatal error). */
  get closed(): boolean {
    return this.fatal !== undefined;
  }

  // --- the byte stream -----------------------------------------------------------------------

  private async pump(): Promise<void> {
    try {
      for await (const chunk of this.stream.readable) {
        if (this.fatal !== undefined) break;
        for (const payload of this.frames.push(chunk)) this.deliver(payload);
      }
      if (this.fatal === undefined) {
        this.frames.end();
        this.fail(new AgentClosedError('the agent closed the connection'));
      }
    } catch (error) {
      this.fail(error instanceof SshError ? error : new AgentClosedError('agent connection failed', { cause: error }));
    }
  }

  private deliver(payload: Uint8Array): void {
    const p = this.pending;
    if (p === undefined) {
      throw new AgentProtocolError('unexpected-message', `message ${payload[0]} arrived with no request outstanding`);
    }
    this.pending = undefined;
    p.resolve(payload);
  }

  /** Ends the connection for good: rejects the pending request and every later call with `error`. */
  private fail(error: Error): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(error);
    this.stream.close();
  }

  /** Sends one request after the earlier ones are answered; resolves to the reply payload. */
  private request(name: string, payload: Uint8Array): Promise<Uint8Array> {
    const run = (): Promise<Uint8Array> => this.exchange(name, payload);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async exchange(name: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.fatal !== undefined) {
      throw this.fatal instanceof AgentClosedError ? this.fatal : new AgentClosedError('agent connection is unusable', { cause: this.fatal });
    }
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      this.pending = { name, resolve, reject };
    });
    // A write that throws is handled below without awaiting `reply`, which fail() then rejects.
    reply.catch(() => undefined);
    let cancel: (() => void) | undefined;
    if (this.timer !== undefined && this.timeoutMs !== undefined) {
      const ms = this.timeoutMs;
      cancel = this.timer(ms, () => this.fail(new AgentTimeoutError(name, ms)));
    }
    try {
      const wrote = this.stream.write(frameAgentMessage(payload));
      if (wrote !== undefined) await Promise.race([wrote, reply]);
      return await reply;
    } catch (error) {
      if (!(error instanceof SshError)) this.fail(new AgentClosedError('cannot write to the agent', { cause: error }));
      throw error instanceof SshError ? error : (this.fatal ?? error);
    } finally {
      cancel?.();
    }
  }

  /** Decodes `reply` as `schema`; FAILURE becomes AgentFailureError; anything else is fatal. */
  private expect<S extends MessageSchema>(name: string, reply: Uint8Array, schema: S): ReturnType<S['decode']> {
    const type = reply[0];
    if (type === AGENT.FAILURE && reply.length === 1) throw new AgentFailureError(name);
    if (type !== schema.number) {
      this.protocolError(new AgentProtocolError('unexpected-message', `${name} answered by message ${type}, expected ${schema.name}`));
    }
    try {
      return schema.decode(reply) as ReturnType<S['decode']>;
    } catch (cause) {
      this.protocolError(new AgentProtocolError('malformed', `${schema.name} does not decode`, { cause }));
    }
  }

  private protocolError(error: AgentProtocolError): never {
    this.fail(error);
    throw error;
  }

  /** For requests answered by SUCCESS or FAILURE. */
  private async simple(name: string, payload: Uint8Array): Promise<void> {
    const reply = await this.request(name, payload);
    if (reply.length === 1 && reply[0] === AGENT.SUCCESS) return;
    if (reply.length === 1 && reply[0] === AGENT.FAILURE) throw new AgentFailureError(name);
    this.protocolError(new AgentProtocolError('unexpected-message', `${name} answered by message ${reply[0]} of ${reply.length} bytes, expected SSH_AGENT_SUCCESS`));
  }

  // --- the API -------------------------------------------------------------------------------

  /** The keys the agent holds (AsyncSSH get_keys). Keys of types @ssh/keys cannot read are listed too, with `key` undefined. */
  async getKeys(): Promise<SSHAgentKeyPair[]> {
    const name = AgentRequestIdentities.name;
    const reply = await this.request(name, AgentRequestIdentities.encode({}));
    const answer = this.expect(name, reply, AgentIdentitiesAnswer);
    return answer.keys.map((k) => new SSHAgentKeyPair(this, k.publicKey.slice(), k.comment.slice()));
  }

  /**
   * Asks the agent to sign `data` with the key whose public blob is `publicKey`; `flags` are
   * AGENT_SIGN_FLAGS. Returns the SSH signature blob.
   */
  async signBlob(publicKey: Uint8Array, data: Uint8Array, flags = 0): Promise<Uint8Array> {
    const name = AgentSignRequest.name;
    const reply = await this.request(name, AgentSignRequest.encode({ publicKey, data, flags }));
    return this.expect(name, reply, AgentSignResponse).signature.slice();
  }

  /** Adds keys (AsyncSSH add_keys), each in its own request; stops at the first refusal. */
  async addKeys(keys: readonly AgentKeyInput[], options: AddKeysOptions = {}): Promise<void> {
    const constraints: AgentConstraint[] = [];
    if (options.lifetime !== undefined) {
      if (!Number.isInteger(options.lifetime) || options.lifetime < 1 || options.lifetime > 0xffffffff) {
        throw new RangeError(`lifetime must be a whole number of seconds, got ${options.lifetime}`);
      }
      constraints.push({ type: 'lifetime', seconds: options.lifetime });
    }
    if (options.confirm === true) constraints.push({ type: 'confirm' });
    if (options.skProvider !== undefined) constraints.push({ type: 'extension', name: 'sk-provider@openssh.com', data: new Writer(64).utf8(options.skProvider).finish() });
    constraints.push(...(options.constraints ?? []));
    const encoded = encodeConstraints(constraints);
    const schema = constraints.length > 0 ? AgentAddIdConstrained : AgentAddIdentity;
    const payloads = keys.map((key) => schema.encode(agentKeyBody(key, encoded)));
    for (const payload of payloads) await this.simple(schema.name, payload);
  }

  /** Loads the keys of a PKCS#11 provider into the agent (AsyncSSH add_smartcard_keys). */
  async addSmartcardKeys(provider: string, pin = '', options: Omit<AddKeysOptions, 'lifetime'> & { readonly lifetime?: number } = {}): Promise<void> {
    const constraints: AgentConstraint[] = [];
    if (options.lifetime !== undefined) constraints.push({ type: 'lifetime', seconds: options.lifetime });
    if (options.confirm === true) constraints.push({ type: 'confirm' });
    constraints.push(...(options.constraints ?? []));
    if (constraints.length === 0) {
      await this.simple(AgentAddSmartcardKey.name, AgentAddSmartcardKey.encode({ providerId: provider, pin }));
    } else {
      const payload = AgentAddSmartcardKeyConstrained.encode({ providerId: provider, pin, constraints: encodeConstraints(constraints) });
      await this.simple(AgentAddSmartcardKeyConstrained.name, payload);
    }
  }

  /** Unloads a PKCS#11 provider's keys (AsyncSSH remove_smartcard_keys). */
  async removeSmartcardKeys(provider: string, pin = ''): Promise<void> {
    await this.simple(AgentRemoveSmartcardKey.name, AgentRemoveSmartcardKey.encode({ providerId: provider, pin }));
  }

  /** Removes keys (AsyncSSH remove_keys); stops at the first the agent does not hold. */
  async removeKeys(keys: readonly AgentKeyRef[]): Promise<void> {
    for (const key of keys) await this.simple(AgentRemoveIdentity.name, AgentRemoveIdentity.encode({ publicKey: agentBlob(key) }));
  }

  /** Removes every key (AsyncSSH remove_all). */
  async removeAll(): Promise<void> {
    await this.simple(AgentRemoveAllIdentities.name, AgentRemoveAllIdentities.encode({}));
  }

  /** Locks the agent with a passphrase: it lists no keys and signs nothing until unlocked. */
  async lock(passphrase: string | Uint8Array): Promise<void> {
    await this.simple(AgentLock.name, AgentLock.encode({ passphrase: asBytes(passphrase) }));
  }

  /** Unlocks the agent; a wrong passphrase is an AgentFailureError. */
  async unlock(passphrase: string | Uint8Array): Promise<void> {
    await this.simple(AgentUnlock.name, AgentUnlock.encode({ passphrase: asBytes(passphrase) }));
  }

  /** Sends an extension request and returns the reply as it came. */
  async extension(extensionType: string, contents: Uint8Array = new Uint8Array(0)): Promise<AgentExtensionReply> {
    const name = `${AgentExtension.name} ${JSON.stringify(extensionType)}`;
    const reply = await this.request(name, AgentExtension.encode({ extensionType, contents }));
    const type = reply[0];
    if (type === AGENT.SUCCESS) return { type: 'success', contents: reply.slice(1) };
    if (type === AGENT.FAILURE && reply.length === 1) return { type: 'failure' };
    if (type === AGENT.EXTENSION_FAILURE && reply.length === 1) return { type: 'extension-failure' };
    if (type === AGENT.EXTENSION_RESPONSE) {
      const r = this.expect(name, reply, AgentExtensionResponse);
      return { type: 'response', extensionType: r.extensionType, contents: r.contents.slice() };
    }
    this.protocolError(new AgentProtocolError('unexpected-message', `${name} answered by message ${reply[0]} of ${reply.length} bytes`));
  }

  /**
   * The extensions the agent supports, by the "query" extension (AsyncSSH query_extensions);
   * empty when the agent does not implement "query".
   */
  async queryExtensions(): Promise<string[]> {
    const reply = await this.extension(AGENT_EXTENSIONS.QUERY);
    let contents: Uint8Array;
    if (reply.type === 'success') contents = reply.contents;
    else if (reply.type === 'response' && reply.extensionType === AGENT_EXTENSIONS.QUERY) contents = reply.contents;
    else if (reply.type === 'response') {
      this.protocolError(new AgentProtocolError('unexpected-message', `query answered for extension ${JSON.stringify(reply.extensionType)}`));
    } else return [];
    try {
      const r = new Reader(contents);
      const names = ExtensionNames.read(r, 'query', {});
      r.end('query');
      return names.names;
    } catch (cause) {
      if (!(cause instanceof WireError)) throw cause;
      this.protocolError(new AgentProtocolError('malformed', 'query reply does not decode', { cause }));
    }
  }

  /**
   * Binds this agent connection to an SSH session (session-bind@openssh.com), as ssh does after
   * key exchange: the host key blob, the session identifier, the host's signature over it, and
   * whether the connection is a forwarded one. An agent without the extension refuses with
   * AgentFailureError.
   */
  async bindSession(bind: SessionBind): Promise<void> {
    const w = new Writer(SessionBind.size(bind, {}));
    SessionBind.write(w, bind, {});
    const reply = await this.extension(AGENT_EXTENSIONS.SESSION_BIND, w.finish());
    if (reply.type === 'success' && reply.contents.length === 0) return;
    if (reply.type === 'failure' || reply.type === 'extension-failure') throw new AgentFailureError(AGENT_EXTENSIONS.SESSION_BIND);
    this.protocolError(new AgentProtocolError('unexpected-message', 'session-bind@openssh.com answered with data'));
  }

  /** Closes the connection; pending and later requests reject with AgentClosedError. */
  close(): void {
    this.fail(new AgentClosedError());
  }

  /** Resolves once the connection has stopped reading. */
  async waitClosed(): Promise<void> {
    await this.done;
  }
}

/** The public blob by which the agent knows `key`. */
function agentBlob(key: AgentKeyRef): Uint8Array {
  if (key instanceof Uint8Array) return key;
  if (key instanceof SSHAgentKeyPair) return key.agentPublicData;
  if (key instanceof SSHKeyPair) return key.publicData;
  return key.publicData;
}

/** The signature algorithm name without a certificate suffix. */
function plainSigAlgorithm(sigAlgorithm: string): string {
  const m = /^(.*)-cert-v01@openssh\.com$/.exec(sigAlgorithm);
  if (m === null) return sigAlgorithm;
  const base = m[1] as string;
  return base.startsWith('sk-') ? `${base}@openssh.com` : base;
}

/** The key type at the start of a public key blob, or '' when the blob has none. */
function blobKeyType(blob: Uint8Array): string {
  try {
    return new Reader(blob).latin1('key type', 256);
  } catch {
    return '';
  }
}

/**
 * A key held by an agent (AsyncSSH SSHAgentKeyPair): its public half and comment, and signing
 * through the agent. `setCertificate` presents a certificate for it while the agent keeps
 * signing with the plain key.
 */
export class SSHAgentKeyPair {
  readonly agent: SSHAgentClient;
  /** The blob the agent listed (and knows the key by). */
  readonly agentPublicData: Uint8Array;
  /** The public key, or undefined for a key type @ssh/keys cannot read. */
  readonly key: SSHKey | undefined;
  private cert: SSHCertificate | undefined;
  private commentRaw: Uint8Array;

  constructor(agent: SSHAgentClient, publicData: Uint8Array, comment: Uint8Array) {
    this.agent = agent;
    this.agentPublicData = publicData;
    this.commentRaw = comment;
    let key: SSHKey | undefined;
    try {
      if (blobKeyType(publicData).endsWith('-cert-v01@openssh.com')) {
        this.cert = importCertificate(publicData);
        key = this.cert.key;
      } else key = importPublicKey(publicData);
    } catch {
      key = undefined;
    }
    this.key = key;
  }

  /** The certificate presented for this key: the one the agent listed, or the one set here. */
  get certificate(): SSHCertificate | undefined {
    return this.cert;
  }

  /** The key type: the certificate type when there is a certificate. */
  get algorithm(): string {
    return this.cert?.algorithm ?? blobKeyType(this.agentPublicData);
  }

  getKeyType(): string {
    return this.algorithm;
  }

  getAlgorithm(): string {
    return this.algorithm;
  }

  /** The blob to present in authentication: the certificate's when one is set. */
  get publicData(): Uint8Array {
    return this.cert?.publicData ?? this.agentPublicData;
  }

  /** Signature algorithms this key can make through the agent, preferred first. */
  get sigAlgorithms(): readonly string[] {
    if (this.cert !== undefined) return this.cert.sigAlgorithms;
    return this.key?.sigAlgorithms ?? [this.algorithm];
  }

  /** The comment the agent holds (AsyncSSH get_comment_bytes). */
  getCommentBytes(): Uint8Array {
    return this.commentRaw;
  }

  /** The comment as text (invalid UTF-8 replaced). */
  getComment(): string {
    return looseText.decode(this.commentRaw);
  }

  get comment(): string {
    return this.getComment();
  }

  /** Changes the comment kept here (the agent's copy is unchanged). */
  setComment(comment: string | Uint8Array): void {
    this.commentRaw = asBytes(comment);
  }

  /** Presents `cert` (which must certify this key) for this key, or with undefined stops doing so. */
  setCertificate(cert: SSHCertificate | undefined): void {
    if (cert !== undefined && (this.key === undefined || !cert.key.equals(this.key))) {
      throw new AgentKeyError('certificate does not certify this key');
    }
    this.cert = cert;
  }

  /**
   * Signs `data` through the agent with `sigAlgorithm` (default: the first of `sigAlgorithms`);
   * rsa-sha2-256 and rsa-sha2-512 (plain or certificate names) set the matching agent flag.
   * Returns the SSH signature blob.
   */
  async sign(data: Uint8Array, sigAlgorithm: string = this.sigAlgorithms[0] as string): Promise<Uint8Array> {
    if (!this.sigAlgorithms.includes(sigAlgorithm)) throw new AgentKeyError(`${this.algorithm} cannot sign with ${sigAlgorithm}`);
    const plain = plainSigAlgorithm(sigAlgorithm);
    const flags = plain === 'rsa-sha2-256' ? AGENT_SIGN_FLAGS.RSA_SHA2_256 : plain === 'rsa-sha2-512' ? AGENT_SIGN_FLAGS.RSA_SHA2_512 : 0;
    return this.agent.signBlob(this.agentPublicData, data, flags);
  }

  /** Removes this key from the agent (AsyncSSH remove). */
  async remove(): Promise<void> {
    await this.agent.removeKeys([this]);
  }
}
