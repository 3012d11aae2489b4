/**
 * Errors of @ssh/crypto. Every class extends `SshError` from @ssh/wire and carries its own brand,
 * so `instanceof` works across duplicated copies of the package.
 * @module
 */

import { SshError } from '@ssh/wire';

/** The kinds of algorithm the registry knows. */
export type AlgorithmKind = 'kex' | 'cipher' | 'mac' | 'compression';

/** A name no registered algorithm of that kind carries (or one that is registered but unavailable). */
export class UnknownAlgorithmError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.UnknownAlgorithmError');

  readonly kind: string;
  readonly algorithm: string;

  constructor(kind: string, algorithm: string, detail?: string) {
    super('SSH_ERR_UNKNOWN_ALGORITHM', `unknown ${kind} algorithm ${JSON.stringify(algorithm)}${detail ? `: ${detail}` : ''}`);
    this.kind = kind;
    this.algorithm = algorithm;
  }
}

/** Negotiation found no algorithm both sides support. RFC 4253 §7.1. Names both lists. */
export class NoCommonAlgorithmError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.NoCommonAlgorithmError');

  readonly kind: string;
  readonly client: readonly string[];
  readonly server: readonly string[];

  constructor(kind: string, client: readonly string[], server: readonly string[]) {
    super(
      'SSH_ERR_NO_COMMON_ALGORITHM',
      `no matching ${kind} algorithm: client offers [${client.join(',')}], server offers [${server.join(',')}]`,
    );
    this.kind = kind;
    this.client = client;
    this.server = server;
  }
}

/** An algorithm-list string (OpenSSH `Ciphers`-style syntax) that does not parse or selects nothing. */
export class AlgorithmListError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AlgorithmListError');

  readonly kind: string;
  readonly input: string;

  constructor(kind: string, input: string, detail: string) {
    super('SSH_ERR_ALGORITHM_LIST', `invalid ${kind} algorithm list ${JSON.stringify(input)}: ${detail}`);
    this.kind = kind;
    this.input = input;
  }
}

/** A message authentication code or AEAD tag did not verify. */
export class MacError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.MacError');

  constructor(detail = 'message authentication code incorrect', options?: { cause?: unknown }) {
    super('SSH_ERR_MAC', detail, options);
  }
}

/** A packet whose length field is out of range or not aligned to the cipher block. RFC 4253 §6. */
export class PacketLengthError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.PacketLengthError');

  readonly length: number;

  constructor(length: number, detail: string) {
    super('SSH_ERR_PACKET_LENGTH', `bad packet length ${length}: ${detail}`);
    this.length = length;
  }
}

/** A key, IV or data buffer of the wrong size handed to an algorithm (API misuse). */
export class CryptoParameterError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.CryptoParameterError');

  constructor(detail: string) {
    super('SSH_ERR_CRYPTO_PARAMETER', detail);
  }
}

/** Key exchange failed: a malformed message, an invalid peer public value, a bad group. */
export class KeyExchangeError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.KeyExchangeError');

  readonly algorithm: string;

  constructor(algorithm: string, detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_KEX', `${algorithm}: ${detail}`, options);
    this.algorithm = algorithm;
  }
}

/**
 * A GSS-API key exchange (RFC 4462 §2) that cannot go on: a context step failed, the peer sent
 * SSH_MSG_KEXGSS_ERROR, a MIC did not verify. `messages` (our KEXGSS_ERROR, an error token) are
 * for the peer, before the disconnect.
 */
export class GssKeyExchangeError extends KeyExchangeError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.GssKeyExchangeError');

  readonly messages: readonly Uint8Array[];

  constructor(algorithm: string, detail: string, messages: readonly Uint8Array[] = [], options?: { cause?: unknown }) {
    super(algorithm, detail, options);
    this.messages = messages;
  }
}

/** Compressed data that does not inflate, or inflates beyond the configured limit. */
export class CompressionError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.CompressionError');

  constructor(detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_COMPRESSION', detail, options);
  }
}
