/**
 * Disconnect errors, one class per RFC 4253 §11.1 reason that AsyncSSH names, and `fromCode()`
 * to build the right one from a received SSH_MSG_DISCONNECT.
 *
 * AsyncSSH's `exc.code` (the numeric reason) is `reasonCode` here, because `code` is the stable
 * string every `SshError` carries.
 * @module
 */

import { DISCONNECT, SshError, codeName } from '@ssh/wire';

/** The connection ended, by our decision or the peer's, with an RFC 4253 §11.1 reason code. */
export class DisconnectError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.DisconnectError');

  /** The disconnect reason code (RFC 4253 §11.1). */
  readonly reasonCode: number;
  /** The human-readable reason, as sent or received. */
  readonly reason: string;
  /** The language tag of `reason`. */
  readonly lang: string;

  constructor(reasonCode: number, reason: string, lang = 'en-US', options?: { cause?: unknown }) {
    const label = codeName(DISCONNECT, reasonCode);
    super(`SSH_ERR_DISCONNECT_${label ?? reasonCode}`, `${reason} (${label ?? `reason ${reasonCode}`})`, options);
    this.reasonCode = reasonCode;
    this.reason = reason;
    this.lang = lang;
  }
}

type Subclass = new (reason: string, lang?: string, options?: { cause?: unknown }) => DisconnectError;

function reasonClass(reasonCode: number, brand: string): Subclass {
  const cls = class extends DisconnectError {
    static override readonly brand: symbol = Symbol.for(`@ssh/error.${brand}`);
    constructor(reason: string, lang?: string, options?: { cause?: unknown }) {
      super(reasonCode, reason, lang, options);
    }
  };
  return cls;
}

/** Reason 2: the peer broke the protocol. */
export const ProtocolError = reasonClass(DISCONNECT.PROTOCOL_ERROR, 'ProtocolError');
export type ProtocolError = DisconnectError;
/** Reason 3: no common algorithm, a bad signature over the exchange hash, ... */
export const KeyExchangeFailed = reasonClass(DISCONNECT.KEY_EXCHANGE_FAILED, 'KeyExchangeFailed');
export type KeyExchangeFailed = DisconnectError;
/** Reason 5: a packet failed its integrity check. */
export const MACError = reasonClass(DISCONNECT.MAC_ERROR, 'MACError');
export type MACError = DisconnectError;
/** Reason 6 */
export const CompressionError = reasonClass(DISCONNECT.COMPRESSION_ERROR, 'CompressionError');
export type CompressionError = DisconnectError;
/** Reason 7: the requested service does not exist. */
export const ServiceNotAvailable = reasonClass(DISCONNECT.SERVICE_NOT_AVAILABLE, 'ServiceNotAvailable');
export type ServiceNotAvailable = DisconnectError;
/** Reason 8: the peer speaks another SSH version. */
export const ProtocolNotSupported = reasonClass(DISCONNECT.PROTOCOL_VERSION_NOT_SUPPORTED, 'ProtocolNotSupported');
export type ProtocolNotSupported = DisconnectError;
/** Reason 9: the server's host key was not trusted. */
export const HostKeyNotVerifiable = reasonClass(DISCONNECT.HOST_KEY_NOT_VERIFIABLE, 'HostKeyNotVerifiable');
export type HostKeyNotVerifiable = DisconnectError;
/** Reason 10: the connection closed, failed or timed out. */
export const ConnectionLost = reasonClass(DISCONNECT.CONNECTION_LOST, 'ConnectionLost');
export type ConnectionLost = DisconnectError;
/** Reason 14: authentication failed with every method. */
export const PermissionDenied = reasonClass(DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE, 'PermissionDenied');
export type PermissionDenied = DisconnectError;
/** Reason 15 */
export const IllegalUserName = reasonClass(DISCONNECT.ILLEGAL_USER_NAME, 'IllegalUserName');
export type IllegalUserName = DisconnectError;

const BY_CODE: ReadonlyMap<number, Subclass> = new Map([
  [DISCONNECT.PROTOCOL_ERROR, ProtocolError],
  [DISCONNECT.KEY_EXCHANGE_FAILED, KeyExchangeFailed],
  [DISCONNECT.MAC_ERROR, MACError],
  [DISCONNECT.COMPRESSION_ERROR, CompressionError],
  [DISCONNECT.SERVICE_NOT_AVAILABLE, ServiceNotAvailable],
  [DISCONNECT.PROTOCOL_VERSION_NOT_SUPPORTED, ProtocolNotSupported],
  [DISCONNECT.HOST_KEY_NOT_VERIFIABLE, HostKeyNotVerifiable],
  [DISCONNECT.CONNECTION_LOST, ConnectionLost],
  [DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE, PermissionDenied],
  [DISCONNECT.ILLEGAL_USER_NAME, IllegalUserName],
]);

/**
 * AsyncSSH's PasswordChangeRequired(prompt, lang=''): what a server's password check throws (or
 * returns) when the password is right but has expired, to send SSH_MSG_USERAUTH_PASSWD_CHANGEREQ
 * (RFC 4252 §8) with `prompt`, asking the client for a new one. Its `changePrompt` and
 * `languageTag` make it a PasswordChangeRequest, the plain answer object the userauth machine takes.
 */
export class PasswordChangeRequired extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.PasswordChangeRequired');

  readonly changePrompt: string;
  readonly languageTag: string;

  constructor(prompt: string, lang = '') {
    super('SSH_ERR_PASSWORD_CHANGE_REQUIRED', `password change required: ${prompt}`);
    this.changePrompt = prompt;
    this.languageTag = lang;
  }

  /** The prompt for the new password (AsyncSSH's `prompt`). */
  get prompt(): string {
    return this.changePrompt;
  }

  /** Its language tag (AsyncSSH's `lang`). */
  get lang(): string {
    return this.languageTag;
  }
}

/** The error class for a reason code (DisconnectError itself for codes without their own class). */
export function disconnectErrorFromCode(reasonCode: number, reason: string, lang?: string): DisconnectError {
  const cls = BY_CODE.get(reasonCode);
  return cls ? new cls(reason, lang) : new DisconnectError(reasonCode, reason, lang);
}
