/**
 * User authentication messages. RFC 4252 §5-9 (generic messages and the none, password,
 * publickey and hostbased methods), RFC 4256 §3 (keyboard-interactive), RFC 4462 §3
 * (gssapi-with-mic) and §4 (gssapi-keyex).
 *
 * Numbers 60-79 belong to the method in progress, so each method has its own table
 * (`userauthPublickeyMessages`, ...), never part of the generic one.
 * @module
 */

import * as W from '../codecs.ts';
import { type CaseValue, type Cases } from '../codecs.ts';
import { type Infer, defineMessage, defineMessageTable, defineTable } from '../schema.ts';
import { Writer } from '../writer.ts';
import { MSG } from './numbers.ts';

const methods = {
  /** RFC 4252 §5.2 */
  none: {},
  /** RFC 4252 §8: a login, or (changePassword) the old password then the new one. */
  password: {
    changePassword: W.bool,
    password: W.utf8,
    newPassword: W.when('changePassword', W.utf8),
  },
  /** RFC 4252 §7: a query (no signature) or an authentication (with signature). */
  publickey: {
    hasSignature: W.bool,
    algorithm: W.latin1,
    publicKey: W.bytes,
    signature: W.when('hasSignature', W.bytes),
  },
  /** OpenSSH PROTOCOL §2.5: publickey bound to the server's host key (the signature covers it). */
  'publickey-hostbound-v00@openssh.com': {
    hasSignature: W.bool,
    algorithm: W.latin1,
    publicKey: W.bytes,
    hostKey: W.bytes,
    signature: W.when('hasSignature', W.bytes),
  },
  /** RFC 4252 §9 */
  hostbased: {
    algorithm: W.latin1,
    hostKey: W.bytes,
    clientHostName: W.latin1,
    clientUserName: W.utf8,
    signature: W.bytes,
  },
  /** RFC 4256 §3.1 */
  'keyboard-interactive': {
    languageTag: W.latin1,
    submethods: W.utf8,
  },
  /** RFC 4462 §3.2: the OIDs of the mechanisms the client supports. */
  'gssapi-with-mic': {
    mechanisms: W.list(W.bytes),
  },
  /** RFC 4462 §4: the MIC, by the context a GSS-API key exchange established, over the request. */
  'gssapi-keyex': {
    mic: W.bytes,
  },
} as const satisfies Cases;

/** Method-specific fields of SSH_MSG_USERAUTH_REQUEST, keyed by method name. */
export const UserauthMethods = defineTable('userauth method', methods);
export type UserauthMethod = Infer<typeof UserauthMethods>;
export type UserauthMethodOf<K extends keyof typeof methods> = CaseValue<typeof methods, K>;

/** RFC 4252 §5: `method` holds the method's fields, or the raw bytes for a method the table lacks. */
export const UserauthRequest = defineMessage(MSG.USERAUTH_REQUEST, 'SSH_MSG_USERAUTH_REQUEST', {
  userName: W.utf8,
  serviceName: W.latin1,
  methodName: W.latin1,
  method: W.keyed('methodName', UserauthMethods),
});
export type UserauthRequest = Infer<typeof UserauthRequest>;

/** RFC 4252 §5.1 */
export const UserauthFailure = defineMessage(MSG.USERAUTH_FAILURE, 'SSH_MSG_USERAUTH_FAILURE', {
  methods: W.nameList,
  partialSuccess: W.bool,
});
export type UserauthFailure = Infer<typeof UserauthFailure>;

/** RFC 4252 §5.1 */
export const UserauthSuccess = defineMessage(MSG.USERAUTH_SUCCESS, 'SSH_MSG_USERAUTH_SUCCESS', {});
export type UserauthSuccess = Infer<typeof UserauthSuccess>;

/** RFC 4252 §5.4 */
export const UserauthBanner = defineMessage(MSG.USERAUTH_BANNER, 'SSH_MSG_USERAUTH_BANNER', {
  message: W.utf8,
  languageTag: W.latin1,
});
export type UserauthBanner = Infer<typeof UserauthBanner>;

/**
 * The data a publickey, publickey-hostbound or hostbased signature covers: the session identifier
 * as a string, then the request up to (not including) the signature, with the boolean TRUE for
 * the publickey methods. RFC 4252 §7 and §9, OpenSSH PROTOCOL §2.5.
 */
export function userauthSignedData(sessionId: Uint8Array, request: UserauthRequest): Uint8Array {
  const m = request.method;
  const w = new Writer(128 + sessionId.length);
  w.bytes(sessionId).u8(MSG.USERAUTH_REQUEST).utf8(request.userName).latin1(request.serviceName).latin1(request.methodName);
  if (m instanceof Uint8Array || m.type !== request.methodName) throw new RangeError('the request has no known method to sign');
  switch (m.type) {
    case 'publickey':
      w.bool(true).latin1(m.algorithm).bytes(m.publicKey);
      break;
    case 'publickey-hostbound-v00@openssh.com':
      w.bool(true).latin1(m.algorithm).bytes(m.publicKey).bytes(m.hostKey);
      break;
    case 'hostbased':
      w.latin1(m.algorithm).bytes(m.hostKey).latin1(m.clientHostName).utf8(m.clientUserName);
      break;
    case 'none':
    case 'password':
    case 'keyboard-interactive':
    case 'gssapi-with-mic':
    case 'gssapi-keyex':
      throw new RangeError(`method ${m.type} carries no signature`);
  }
  return w.finish();
}

/**
 * The data a gssapi-with-mic MIC (RFC 4462 §3.5) or gssapi-keyex MIC (§4) covers: the session
 * identifier as a string, SSH_MSG_USERAUTH_REQUEST, the user name, the service and the method name.
 */
export function userauthGssapiMicData(sessionId: Uint8Array, userName: string, serviceName: string, method: 'gssapi-with-mic' | 'gssapi-keyex' = 'gssapi-with-mic'): Uint8Array {
  const w = new Writer(64 + sessionId.length + userName.length * 3 + serviceName.length);
  w.bytes(sessionId).u8(MSG.USERAUTH_REQUEST).utf8(userName).latin1(serviceName).latin1(method);
  return w.finish();
}

export const userauthMessages = [UserauthRequest, UserauthFailure, UserauthSuccess, UserauthBanner] as const;

// --- publickey. RFC 4252 §7 -----------------------------------------------------------------

/** RFC 4252 §7: the server would accept a signature by this key. */
export const UserauthPkOk = defineMessage(MSG.USERAUTH_PK_OK, 'SSH_MSG_USERAUTH_PK_OK', {
  algorithm: W.latin1,
  publicKey: W.bytes,
});
export type UserauthPkOk = Infer<typeof UserauthPkOk>;

export const userauthPublickeyMessages = defineMessageTable('userauth-publickey', [UserauthPkOk]);

// --- password. RFC 4252 §8 ------------------------------------------------------------------

/** RFC 4252 §8 */
export const UserauthPasswdChangereq = defineMessage(MSG.USERAUTH_PASSWD_CHANGEREQ, 'SSH_MSG_USERAUTH_PASSWD_CHANGEREQ', {
  prompt: W.utf8,
  languageTag: W.latin1,
});
export type UserauthPasswdChangereq = Infer<typeof UserauthPasswdChangereq>;

export const userauthPasswordMessages = defineMessageTable('userauth-password', [UserauthPasswdChangereq]);

// --- keyboard-interactive. RFC 4256 §3 ------------------------------------------------------

/** One prompt of an INFO_REQUEST: its text, and whether the answer may be echoed. */
export const InfoPrompt = W.struct({ prompt: W.utf8, echo: W.bool }, 'prompt');

/** RFC 4256 §3.2 */
export const UserauthInfoRequest = defineMessage(MSG.USERAUTH_INFO_REQUEST, 'SSH_MSG_USERAUTH_INFO_REQUEST', {
  name: W.utf8,
  instruction: W.utf8,
  languageTag: W.latin1,
  prompts: W.list(InfoPrompt),
});
export type UserauthInfoRequest = Infer<typeof UserauthInfoRequest>;

/** RFC 4256 §3.4 */
export const UserauthInfoResponse = defineMessage(MSG.USERAUTH_INFO_RESPONSE, 'SSH_MSG_USERAUTH_INFO_RESPONSE', {
  responses: W.list(W.utf8),
});
export type UserauthInfoResponse = Infer<typeof UserauthInfoResponse>;

export const userauthKeyboardInteractiveMessages = defineMessageTable('userauth-keyboard-interactive', [
  UserauthInfoRequest,
  UserauthInfoResponse,
]);

// --- gssapi-with-mic. RFC 4462 §3 -----------------------------------------------------------

/** RFC 4462 §3.3: the mechanism OID the server chose. */
export const UserauthGssapiResponse = defineMessage(MSG.USERAUTH_GSSAPI_RESPONSE, 'SSH_MSG_USERAUTH_GSSAPI_RESPONSE', {
  mechanism: W.bytes,
});
export type UserauthGssapiResponse = Infer<typeof UserauthGssapiResponse>;

/** RFC 4462 §3.4 */
export const UserauthGssapiToken = defineMessage(MSG.USERAUTH_GSSAPI_TOKEN, 'SSH_MSG_USERAUTH_GSSAPI_TOKEN', {
  token: W.bytes,
});
export type UserauthGssapiToken = Infer<typeof UserauthGssapiToken>;

/** RFC 4462 §3.5 */
export const UserauthGssapiExchangeComplete = defineMessage(
  MSG.USERAUTH_GSSAPI_EXCHANGE_COMPLETE,
  'SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE',
  {},
);
export type UserauthGssapiExchangeComplete = Infer<typeof UserauthGssapiExchangeComplete>;

/** RFC 4462 §3.8 */
export const UserauthGssapiError = defineMessage(MSG.USERAUTH_GSSAPI_ERROR, 'SSH_MSG_USERAUTH_GSSAPI_ERROR', {
  majorStatus: W.u32,
  minorStatus: W.u32,
  message: W.utf8,
  languageTag: W.latin1,
});
export type UserauthGssapiError = Infer<typeof UserauthGssapiError>;

/** RFC 4462 §3.9 */
export const UserauthGssapiErrtok = defineMessage(MSG.USERAUTH_GSSAPI_ERRTOK, 'SSH_MSG_USERAUTH_GSSAPI_ERRTOK', {
  token: W.bytes,
});
export type UserauthGssapiErrtok = Infer<typeof UserauthGssapiErrtok>;

/** RFC 4462 §3.5 */
export const UserauthGssapiMic = defineMessage(MSG.USERAUTH_GSSAPI_MIC, 'SSH_MSG_USERAUTH_GSSAPI_MIC', {
  mic: W.bytes,
});
export type UserauthGssapiMic = Infer<typeof UserauthGssapiMic>;

export const userauthGssapiMessages = defineMessageTable('userauth-gssapi', [
  UserauthGssapiResponse,
  UserauthGssapiToken,
  UserauthGssapiExchangeComplete,
  UserauthGssapiError,
  UserauthGssapiErrtok,
  UserauthGssapiMic,
]);

/** Every authentication method table, for name lookups in logs. */
export const userauthMessageTables = [
  userauthPublickeyMessages,
  userauthPasswordMessages,
  userauthKeyboardInteractiveMessages,
  userauthGssapiMessages,
] as const;
