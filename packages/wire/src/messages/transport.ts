/**
 * Transport layer messages. RFC 4253 §7, §11 and §12; RFC 8308 §2.3 and §3.2 (EXT_INFO,
 * NEWCOMPRESS); OpenSSH PROTOCOL §1.9 (PING/PONG). Key exchange method messages (30-49) are in
 * `kex.ts`.
 * @module
 */

import * as W from '../codecs.ts';
import { type Infer, defineMessage } from '../schema.ts';
import { ExtInfoExtensions } from './ext-info.ts';
import { MSG } from './numbers.ts';

/** RFC 4253 §11.1 */
export const Disconnect = defineMessage(MSG.DISCONNECT, 'SSH_MSG_DISCONNECT', {
  reasonCode: W.u32,
  description: W.utf8,
  languageTag: W.latin1,
});
export type Disconnect = Infer<typeof Disconnect>;

/** RFC 4253 §11.2 */
export const Ignore = defineMessage(MSG.IGNORE, 'SSH_MSG_IGNORE', {
  data: W.bytes,
});
export type Ignore = Infer<typeof Ignore>;

/** RFC 4253 §11.4 */
export const Unimplemented = defineMessage(MSG.UNIMPLEMENTED, 'SSH_MSG_UNIMPLEMENTED', {
  sequenceNumber: W.u32,
});
export type Unimplemented = Infer<typeof Unimplemented>;

/** RFC 4253 §11.3 */
export const Debug = defineMessage(MSG.DEBUG, 'SSH_MSG_DEBUG', {
  alwaysDisplay: W.bool,
  message: W.utf8,
  languageTag: W.latin1,
});
export type Debug = Infer<typeof Debug>;

/** RFC 4253 §10 */
export const ServiceRequest = defineMessage(MSG.SERVICE_REQUEST, 'SSH_MSG_SERVICE_REQUEST', {
  serviceName: W.latin1,
});
export type ServiceRequest = Infer<typeof ServiceRequest>;

/** RFC 4253 §10 */
export const ServiceAccept = defineMessage(MSG.SERVICE_ACCEPT, 'SSH_MSG_SERVICE_ACCEPT', {
  serviceName: W.latin1,
});
export type ServiceAccept = Infer<typeof ServiceAccept>;

/** One extension of EXT_INFO: its name, and its value decoded by `ExtInfoExtensions` (raw bytes when unknown). */
export const ExtInfoExtension = W.struct({ name: W.latin1, value: W.wrapped(W.keyed('name', ExtInfoExtensions)) }, 'extension');

/** RFC 8308 §2.3 */
export const ExtInfo = defineMessage(MSG.EXT_INFO, 'SSH_MSG_EXT_INFO', {
  extensions: W.list(ExtInfoExtension),
});
export type ExtInfo = Infer<typeof ExtInfo>;

/** RFC 8308 §3.2 */
export const NewCompress = defineMessage(MSG.NEWCOMPRESS, 'SSH_MSG_NEWCOMPRESS', {});
export type NewCompress = Infer<typeof NewCompress>;

/** RFC 4253 §7.1 */
export const KexInit = defineMessage(MSG.KEXINIT, 'SSH_MSG_KEXINIT', {
  cookie: W.fixed(16),
  kexAlgorithms: W.nameList,
  serverHostKeyAlgorithms: W.nameList,
  encryptionAlgorithmsClientToServer: W.nameList,
  encryptionAlgorithmsServerToClient: W.nameList,
  macAlgorithmsClientToServer: W.nameList,
  macAlgorithmsServerToClient: W.nameList,
  compressionAlgorithmsClientToServer: W.nameList,
  compressionAlgorithmsServerToClient: W.nameList,
  languagesClientToServer: W.nameList,
  languagesServerToClient: W.nameList,
  firstKexPacketFollows: W.bool,
  reserved: W.u32,
});
export type KexInit = Infer<typeof KexInit>;

/** RFC 4253 §7.3 */
export const NewKeys = defineMessage(MSG.NEWKEYS, 'SSH_MSG_NEWKEYS', {});
export type NewKeys = Infer<typeof NewKeys>;

/** OpenSSH PROTOCOL §1.9: the peer answers with PONG carrying the same data. */
export const Ping = defineMessage(MSG.PING, 'SSH_MSG_PING', {
  data: W.bytes,
});
export type Ping = Infer<typeof Ping>;

/** OpenSSH PROTOCOL §1.9 */
export const Pong = defineMessage(MSG.PONG, 'SSH_MSG_PONG', {
  data: W.bytes,
});
export type Pong = Infer<typeof Pong>;

export const transportMessages = [
  Disconnect,
  Ignore,
  Unimplemented,
  Debug,
  ServiceRequest,
  ServiceAccept,
  ExtInfo,
  NewCompress,
  KexInit,
  NewKeys,
  Ping,
  Pong,
] as const;
