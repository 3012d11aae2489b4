/**
 * Key exchange interfaces (sans-I/O): messages in, messages out, then the shared secret K and the
 * exchange hash H. RFC 4253 §7-8.
 * @module
 */

import type { KeyObject } from 'node:crypto';
import type { HashName } from '../hash.ts';

export type KexRole = 'client' | 'server';

/** The transcript both sides hash into H (RFC 4253 §8). */
export interface KexTranscript {
  /** V_C and V_S: identification strings without CR LF. */
  readonly clientVersion: string;
  readonly serverVersion: string;
  /** I_C and I_S: the payloads of both SSH_MSG_KEXINIT messages. */
  readonly clientKexInit: Uint8Array;
  readonly serverKexInit: Uint8Array;
}

/** Group-exchange preferences of a client (RFC 4419 §3), in bits. */
export interface GexBounds {
  readonly min: number;
  readonly preferred: number;
  readonly max: number;
}

/** A safe prime group (p, g) offered by a group-exchange server. */
export interface DhGroup {
  readonly p: bigint;
  readonly g: bigint;
}

export interface KexOptions {
  /** Server only: K_S, the host key blob sent to the client (GSS-API methods: optional). */
  readonly hostKey?: Uint8Array;
  /** Random bytes (defaults to node:crypto); for deterministic tests. */
  readonly random?: (length: number) => Uint8Array;
  /** Group exchange, client: the bounds to request (default 2048/3072/8192). */
  readonly gexBounds?: GexBounds;
  /** Group exchange, server: candidate groups (default: the RFC 3526 groups 14-18). */
  readonly gexGroups?: readonly DhGroup[];
  /** RSA key exchange, server: the transient RSA private key (default: a fresh one per exchange). */
  readonly transientRsaKey?: KeyObject;
}

/** What a finished key exchange yields. */
export interface KexResult {
  /** K as it enters the hashes: mpint or string encoding, length prefix included. */
  readonly sharedSecret: Uint8Array;
  /** H. The first H of a connection is also its session identifier. */
  readonly exchangeHash: Uint8Array;
  /** K_S, the server's host key blob (empty after a GSS-API key exchange without one). */
  readonly hostKey: Uint8Array;
  /** Client side: the server's signature over H, for the caller to verify with K_S. */
  readonly signature: Uint8Array | undefined;
  /** The hash H and key derivation use. */
  readonly hash: HashName;
  /**
   * GSS-API key exchange (RFC 4462 §2): the established context's MIC over H authenticated the
   * server, so there is no signature and K_S (possibly empty) needs no check.
   */
  readonly gss?: true;
}

/** What `receive()` asks of the caller next. */
export type KexStep =
  /** Send these messages and wait for the next one. */
  | { readonly type: 'send'; readonly messages: readonly Uint8Array[] }
  /** Server: sign `exchangeHash` with the host key and call `sign(signature)`. */
  | { readonly type: 'sign'; readonly exchangeHash: Uint8Array }
  /** Finished: send `messages` (server's reply) if any; client must verify `result.signature`. */
  | { readonly type: 'done'; readonly messages: readonly Uint8Array[]; readonly result: KexResult }
  /**
   * GSS-API key exchange: send `messages`, then run one step of the security context (the
   * initiator's first with `token` null; the acceptor's with the client's token, `first` for a new
   * context) and give the outcome to `answerGss()`.
   */
  | { readonly type: 'gss-step'; readonly messages: readonly Uint8Array[]; readonly token: Uint8Array | null; readonly first: boolean }
  /** GSS-API key exchange, server: the established context's MIC over `data` (H), to `answerGss()`. */
  | { readonly type: 'gss-mic'; readonly data: Uint8Array }
  /** GSS-API key exchange, client: whether `mic` is the context's MIC over `data` (H), to `answerGss()`. */
  | { readonly type: 'gss-verify-mic'; readonly data: Uint8Array; readonly mic: Uint8Array };

/** What the caller of a GSS-API key exchange answers a `gss-*` step with. */
export type GssKexAnswer =
  /** A context step succeeded: the token for the peer (empty for none), and whether it is established. */
  | { readonly kind: 'step'; readonly token: Uint8Array; readonly complete: boolean }
  /** A context step failed: why, with the GSS major status and the error token for the peer when there is one. */
  | { readonly kind: 'step-failed'; readonly error: string; readonly major?: number; readonly token?: Uint8Array }
  /** Server: the MIC over H (null: the context could not make one). */
  | { readonly kind: 'mic'; readonly mic: Uint8Array | null }
  /** Client: whether the server's MIC over H verified. */
  | { readonly kind: 'verified'; readonly ok: boolean };

/** One key exchange in progress. */
export interface KexExchange {
  readonly algorithm: string;
  readonly role: KexRole;
  /** Messages to send as soon as the algorithm is chosen (client's INIT or GEX request; server: none). */
  start(): readonly Uint8Array[];
  /** Feeds one kex message (its payload, message number first). Throws `KeyExchangeError` on bad input. */
  receive(payload: Uint8Array): KexStep;
  /** Server: the host key signature over H; returns the final step with the reply to send. */
  sign(signature: Uint8Array): KexStep;
  /**
   * GSS-API methods: the first step, instead of `start()` (the initiator's first message carries a
   * context token, which takes a `gss-step` first).
   */
  begin?(): KexStep;
  /**
   * GSS-API methods: the answer to the last `gss-*` step. Throws `KeyExchangeError` when the
   * exchange cannot go on; its `messages` (a KEXGSS_ERROR, an error token) go to the peer first.
   */
  answerGss?(answer: GssKexAnswer): KexStep;
}

/** Registry entry for a key exchange method. */
export interface KexImpl {
  /** The hash of the exchange hash H and of key derivation. */
  readonly hash: HashName;
  create(role: KexRole, transcript: KexTranscript, options?: KexOptions): KexExchange;
}
