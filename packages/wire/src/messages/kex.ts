/**
 * Key exchange method messages (numbers 30-49). RFC 4253 §8 (Diffie-Hellman), RFC 5656 §7
 * (ECDH, ECMQV; also the layout of curve25519 (RFC 8731) and the hybrid post-quantum methods),
 * RFC 4419 §3 and §5 (DH group exchange), RFC 4462 §2 (GSS-API key exchange).
 *
 * These numbers mean different things under different methods, so each method has its own
 * table, used only while that method runs; the generic table never contains them.
 * @module
 */

import * as W from '../codecs.ts';
import { type Infer, defineMessage, defineMessageTable } from '../schema.ts';
import { MSG } from './numbers.ts';

// --- Diffie-Hellman. RFC 4253 §8 -----------------------------------------------------------

/** RFC 4253 §8 */
export const KexdhInit = defineMessage(MSG.KEXDH_INIT, 'SSH_MSG_KEXDH_INIT', {
  e: W.mpint,
});
export type KexdhInit = Infer<typeof KexdhInit>;

/** RFC 4253 §8 */
export const KexdhReply = defineMessage(MSG.KEXDH_REPLY, 'SSH_MSG_KEXDH_REPLY', {
  hostKey: W.bytes,
  f: W.mpint,
  signature: W.bytes,
});
export type KexdhReply = Infer<typeof KexdhReply>;

export const kexDhMessages = defineMessageTable('kex-dh', [KexdhInit, KexdhReply]);

// --- Elliptic curve Diffie-Hellman. RFC 5656 §7.1 -------------------------------------------

/** RFC 5656 §7.1: the client's ephemeral public key Q_C. */
export const KexEcdhInit = defineMessage(MSG.KEX_ECDH_INIT, 'SSH_MSG_KEX_ECDH_INIT', {
  clientPublicKey: W.bytes,
});
export type KexEcdhInit = Infer<typeof KexEcdhInit>;

/** RFC 5656 §7.1 */
export const KexEcdhReply = defineMessage(MSG.KEX_ECDH_REPLY, 'SSH_MSG_KEX_ECDH_REPLY', {
  hostKey: W.bytes,
  serverPublicKey: W.bytes,
  signature: W.bytes,
});
export type KexEcdhReply = Infer<typeof KexEcdhReply>;

export const kexEcdhMessages = defineMessageTable('kex-ecdh', [KexEcdhInit, KexEcdhReply]);

// --- Elliptic curve MQV. RFC 5656 §7.2 ------------------------------------------------------

/** RFC 5656 §7.2 */
export const EcmqvInit = defineMessage(MSG.ECMQV_INIT, 'SSH_MSG_ECMQV_INIT', {
  clientPublicKey: W.bytes,
});
export type EcmqvInit = Infer<typeof EcmqvInit>;

/** RFC 5656 §7.2 */
export const EcmqvReply = defineMessage(MSG.ECMQV_REPLY, 'SSH_MSG_ECMQV_REPLY', {
  hostKey: W.bytes,
  serverPublicKey: W.bytes,
  hmacTag: W.bytes,
});
export type EcmqvReply = Infer<typeof EcmqvReply>;

export const kexEcmqvMessages = defineMessageTable('kex-ecmqv', [EcmqvInit, EcmqvReply]);

// --- Diffie-Hellman group exchange. RFC 4419 ------------------------------------------------

/** RFC 4419 §5: the old request, with only the preferred size. */
export const KexDhGexRequestOld = defineMessage(MSG.KEX_DH_GEX_REQUEST_OLD, 'SSH_MSG_KEX_DH_GEX_REQUEST_OLD', {
  n: W.u32,
});
export type KexDhGexRequestOld = Infer<typeof KexDhGexRequestOld>;

/** RFC 4419 §3: minimal, preferred and maximal group size in bits. */
export const KexDhGexRequest = defineMessage(MSG.KEX_DH_GEX_REQUEST, 'SSH_MSG_KEX_DH_GEX_REQUEST', {
  min: W.u32,
  n: W.u32,
  max: W.u32,
});
export type KexDhGexRequest = Infer<typeof KexDhGexRequest>;

/** RFC 4419 §3 */
export const KexDhGexGroup = defineMessage(MSG.KEX_DH_GEX_GROUP, 'SSH_MSG_KEX_DH_GEX_GROUP', {
  p: W.mpint,
  g: W.mpint,
});
export type KexDhGexGroup = Infer<typeof KexDhGexGroup>;

/** RFC 4419 §3 */
export const KexDhGexInit = defineMessage(MSG.KEX_DH_GEX_INIT, 'SSH_MSG_KEX_DH_GEX_INIT', {
  e: W.mpint,
});
export type KexDhGexInit = Infer<typeof KexDhGexInit>;

/** RFC 4419 §3 */
export const KexDhGexReply = defineMessage(MSG.KEX_DH_GEX_REPLY, 'SSH_MSG_KEX_DH_GEX_REPLY', {
  hostKey: W.bytes,
  f: W.mpint,
  signature: W.bytes,
});
export type KexDhGexReply = Infer<typeof KexDhGexReply>;

export const kexDhGexMessages = defineMessageTable('kex-dh-gex', [
  KexDhGexRequestOld,
  KexDhGexGroup,
  KexDhGexInit,
  KexDhGexReply,
  KexDhGexRequest,
]);

// --- GSS-API key exchange. RFC 4462 §2 ------------------------------------------------------

/** RFC 4462 §2.1 */
export const KexgssInit = defineMessage(MSG.KEXGSS_INIT, 'SSH_MSG_KEXGSS_INIT', {
  outputToken: W.bytes,
  e: W.mpint,
});
export type KexgssInit = Infer<typeof KexgssInit>;

/** RFC 4462 §2.1 */
export const KexgssContinue = defineMessage(MSG.KEXGSS_CONTINUE, 'SSH_MSG_KEXGSS_CONTINUE', {
  outputToken: W.bytes,
});
export type KexgssContinue = Infer<typeof KexgssContinue>;

/** RFC 4462 §2.1: the output token is present when the boolean says so. */
export const KexgssComplete = defineMessage(MSG.KEXGSS_COMPLETE, 'SSH_MSG_KEXGSS_COMPLETE', {
  f: W.mpint,
  perMsgToken: W.bytes,
  hasOutputToken: W.bool,
  outputToken: W.when('hasOutputToken', W.bytes),
});
export type KexgssComplete = Infer<typeof KexgssComplete>;

/** RFC 4462 §2.1 */
export const KexgssHostkey = defineMessage(MSG.KEXGSS_HOSTKEY, 'SSH_MSG_KEXGSS_HOSTKEY', {
  hostKey: W.bytes,
});
export type KexgssHostkey = Infer<typeof KexgssHostkey>;

/** RFC 4462 §2.1 */
export const KexgssError = defineMessage(MSG.KEXGSS_ERROR, 'SSH_MSG_KEXGSS_ERROR', {
  majorStatus: W.u32,
  minorStatus: W.u32,
  message: W.utf8,
  languageTag: W.latin1,
});
export type KexgssError = Infer<typeof KexgssError>;

/** RFC 4462 §2.3 (GSS-API group exchange) */
export const KexgssGroupreq = defineMessage(MSG.KEXGSS_GROUPREQ, 'SSH_MSG_KEXGSS_GROUPREQ', {
  min: W.u32,
  n: W.u32,
  max: W.u32,
});
export type KexgssGroupreq = Infer<typeof KexgssGroupreq>;

/** RFC 4462 §2.3 */
export const KexgssGroup = defineMessage(MSG.KEXGSS_GROUP, 'SSH_MSG_KEXGSS_GROUP', {
  p: W.mpint,
  g: W.mpint,
});
export type KexgssGroup = Infer<typeof KexgssGroup>;

export const kexGssMessages = defineMessageTable('kex-gss', [
  KexgssInit,
  KexgssContinue,
  KexgssComplete,
  KexgssHostkey,
  KexgssError,
  KexgssGroupreq,
  KexgssGroup,
]);

/** Every key-exchange method table, for name lookups in logs. */
export const kexMessageTables = [kexDhMessages, kexEcdhMessages, kexEcmqvMessages, kexDhGexMessages, kexGssMessages] as const;
