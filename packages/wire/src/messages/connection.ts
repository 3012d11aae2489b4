/**
 * Connection protocol messages. RFC 4254 §4-7 (global requests, channels, sessions, forwarding),
 * RFC 4335 (break), OpenSSH PROTOCOL §2 (streamlocal, tun, agent forwarding, hostkeys,
 * keepalive, no-more-sessions, eow).
 * @module
 */

import * as W from '../codecs.ts';
import { type CaseValue, type Cases } from '../codecs.ts';
import { type Infer, defineMessage, defineTable } from '../schema.ts';
import { MSG } from './numbers.ts';

// --- Global requests. RFC 4254 §4 -----------------------------------------------------------

const globalRequests = {
  /** RFC 4254 §7.1 */
  'tcpip-forward': { bindAddress: W.utf8, bindPort: W.u32 },
  /** RFC 4254 §7.1 */
  'cancel-tcpip-forward': { bindAddress: W.utf8, bindPort: W.u32 },
  /** OpenSSH PROTOCOL §2.4 */
  'streamlocal-forward@openssh.com': { socketPath: W.utf8 },
  /** OpenSSH PROTOCOL §2.4 */
  'cancel-streamlocal-forward@openssh.com': { socketPath: W.utf8 },
  /** OpenSSH PROTOCOL §2.5: the server's host keys, one string each, to the end. */
  'hostkeys-00@openssh.com': { hostKeys: W.many(W.bytes) },
  /** OpenSSH PROTOCOL §2.5: the keys the client wants proven. */
  'hostkeys-prove-00@openssh.com': { hostKeys: W.many(W.bytes) },
  /** OpenSSH keepalive probe; the answer (usually failure) is what matters. */
  'keepalive@openssh.com': {},
  /** OpenSSH PROTOCOL §2.2 */
  'no-more-sessions@openssh.com': {},
} as const satisfies Cases;

/** Request-specific fields of SSH_MSG_GLOBAL_REQUEST, keyed by request name. */
export const GlobalRequests = defineTable('global request', globalRequests);
export type GlobalRequestBody = Infer<typeof GlobalRequests>;
export type GlobalRequestOf<K extends keyof typeof globalRequests> = CaseValue<typeof globalRequests, K>;

/** RFC 4254 §4 */
export const GlobalRequest = defineMessage(MSG.GLOBAL_REQUEST, 'SSH_MSG_GLOBAL_REQUEST', {
  requestName: W.latin1,
  wantReply: W.bool,
  request: W.keyed('requestName', GlobalRequests),
});
export type GlobalRequest = Infer<typeof GlobalRequest>;

const globalRequestReplies = {
  /** RFC 4254 §7.1: the bound port, present when port 0 was requested. */
  'tcpip-forward': { boundPort: W.optional(W.u32) },
  /** OpenSSH PROTOCOL §2.5: one signature per requested key, in order. */
  'hostkeys-prove-00@openssh.com': { signatures: W.many(W.bytes) },
} as const satisfies Cases;

/**
 * The data of an SSH_MSG_REQUEST_SUCCESS, keyed by the name of the request it answers (the
 * reply does not name it): `GlobalRequestReplies.decode(name, success.data)`.
 */
export const GlobalRequestReplies = defineTable('global request reply', globalRequestReplies);
export type GlobalRequestReply = Infer<typeof GlobalRequestReplies>;

/** RFC 4254 §4: `data` is request-specific, see `GlobalRequestReplies`. */
export const RequestSuccess = defineMessage(MSG.REQUEST_SUCCESS, 'SSH_MSG_REQUEST_SUCCESS', {
  data: W.rest,
});
export type RequestSuccess = Infer<typeof RequestSuccess>;

/** RFC 4254 §4 */
export const RequestFailure = defineMessage(MSG.REQUEST_FAILURE, 'SSH_MSG_REQUEST_FAILURE', {});
export type RequestFailure = Infer<typeof RequestFailure>;

// --- Channels. RFC 4254 §5 ------------------------------------------------------------------

const channelTypes = {
  /** RFC 4254 §6.1 */
  session: {},
  /** RFC 4254 §6.3.2 */
  x11: { originatorAddress: W.utf8, originatorPort: W.u32 },
  /** RFC 4254 §7.2 */
  'direct-tcpip': { hostToConnect: W.utf8, portToConnect: W.u32, originatorAddress: W.utf8, originatorPort: W.u32 },
  /** RFC 4254 §7.2 */
  'forwarded-tcpip': { connectedAddress: W.utf8, connectedPort: W.u32, originatorAddress: W.utf8, originatorPort: W.u32 },
  /** OpenSSH PROTOCOL §2.4 */
  'direct-streamlocal@openssh.com': { socketPath: W.utf8, reserved: W.bytes, reservedPort: W.u32 },
  /** OpenSSH PROTOCOL §2.4 */
  'forwarded-streamlocal@openssh.com': { socketPath: W.utf8, reserved: W.bytes },
  /** OpenSSH PROTOCOL §2.3: `tunnelMode` is a TUN_MODE, `remoteUnit` a device number or TUN_UNIT_ANY. */
  'tun@openssh.com': { tunnelMode: W.u32, remoteUnit: W.u32 },
  /** OpenSSH PROTOCOL (agent forwarding) */
  'auth-agent@openssh.com': {},
} as const satisfies Cases;

/** Type-specific fields of SSH_MSG_CHANNEL_OPEN, keyed by channel type. */
export const ChannelOpenTypes = defineTable('channel type', channelTypes);
export type ChannelOpenBody = Infer<typeof ChannelOpenTypes>;
export type ChannelOpenOf<K extends keyof typeof channelTypes> = CaseValue<typeof channelTypes, K>;

/** RFC 4254 §5.1 */
export const ChannelOpen = defineMessage(MSG.CHANNEL_OPEN, 'SSH_MSG_CHANNEL_OPEN', {
  channelType: W.latin1,
  senderChannel: W.u32,
  initialWindowSize: W.u32,
  maximumPacketSize: W.u32,
  channel: W.keyed('channelType', ChannelOpenTypes),
});
export type ChannelOpen = Infer<typeof ChannelOpen>;

/** RFC 4254 §5.1: `data` is channel-type specific (empty for every type we know). */
export const ChannelOpenConfirmation = defineMessage(MSG.CHANNEL_OPEN_CONFIRMATION, 'SSH_MSG_CHANNEL_OPEN_CONFIRMATION', {
  recipientChannel: W.u32,
  senderChannel: W.u32,
  initialWindowSize: W.u32,
  maximumPacketSize: W.u32,
  data: W.rest,
});
export type ChannelOpenConfirmation = Infer<typeof ChannelOpenConfirmation>;

/** RFC 4254 §5.1: `reasonCode` is a CHANNEL_OPEN_FAILURE. */
export const ChannelOpenFailure = defineMessage(MSG.CHANNEL_OPEN_FAILURE, 'SSH_MSG_CHANNEL_OPEN_FAILURE', {
  recipientChannel: W.u32,
  reasonCode: W.u32,
  description: W.utf8,
  languageTag: W.latin1,
});
export type ChannelOpenFailure = Infer<typeof ChannelOpenFailure>;

/** RFC 4254 §5.2 */
export const ChannelWindowAdjust = defineMessage(MSG.CHANNEL_WINDOW_ADJUST, 'SSH_MSG_CHANNEL_WINDOW_ADJUST', {
  recipientChannel: W.u32,
  bytesToAdd: W.u32,
});
export type ChannelWindowAdjust = Infer<typeof ChannelWindowAdjust>;

/** RFC 4254 §5.2: `data` is a view on the payload. */
export const ChannelData = defineMessage(MSG.CHANNEL_DATA, 'SSH_MSG_CHANNEL_DATA', {
  recipientChannel: W.u32,
  data: W.bytes,
});
export type ChannelData = Infer<typeof ChannelData>;

/** RFC 4254 §5.2: `dataTypeCode` is an EXTENDED_DATA code (1 = stderr). */
export const ChannelExtendedData = defineMessage(MSG.CHANNEL_EXTENDED_DATA, 'SSH_MSG_CHANNEL_EXTENDED_DATA', {
  recipientChannel: W.u32,
  dataTypeCode: W.u32,
  data: W.bytes,
});
export type ChannelExtendedData = Infer<typeof ChannelExtendedData>;

/** RFC 4254 §5.3 */
export const ChannelEof = defineMessage(MSG.CHANNEL_EOF, 'SSH_MSG_CHANNEL_EOF', {
  recipientChannel: W.u32,
});
export type ChannelEof = Infer<typeof ChannelEof>;

/** RFC 4254 §5.3 */
export const ChannelClose = defineMessage(MSG.CHANNEL_CLOSE, 'SSH_MSG_CHANNEL_CLOSE', {
  recipientChannel: W.u32,
});
export type ChannelClose = Infer<typeof ChannelClose>;

const channelRequests = {
  /** RFC 4254 §6.2: `modes` are the encoded terminal modes (PTY_MODE opcodes). */
  'pty-req': {
    term: W.utf8,
    widthChars: W.u32,
    heightRows: W.u32,
    widthPixels: W.u32,
    heightPixels: W.u32,
    modes: W.ptyModes,
  },
  /** RFC 4254 §6.3.1 */
  'x11-req': { singleConnection: W.bool, authProtocol: W.latin1, authCookie: W.latin1, screenNumber: W.u32 },
  /** RFC 4254 §6.4: the value is bytes (environments need not be UTF-8). */
  env: { name: W.latin1, value: W.bytes },
  /** RFC 4254 §6.5 */
  shell: {},
  /** RFC 4254 §6.5: the command is bytes (it need not be UTF-8). */
  exec: { command: W.bytes },
  /** RFC 4254 §6.5 */
  subsystem: { name: W.latin1 },
  /** RFC 4254 §6.7 */
  'window-change': { widthChars: W.u32, heightRows: W.u32, widthPixels: W.u32, heightPixels: W.u32 },
  /** RFC 4254 §6.8 */
  'xon-xoff': { clientCanDo: W.bool },
  /** RFC 4254 §6.9: a SIGNALS name without "SIG". */
  signal: { signal: W.latin1 },
  /** RFC 4254 §6.10 */
  'exit-status': { exitStatus: W.u32 },
  /** RFC 4254 §6.10 */
  'exit-signal': { signal: W.latin1, coreDumped: W.bool, errorMessage: W.utf8, languageTag: W.latin1 },
  /** RFC 4335 §3: break length in milliseconds. */
  break: { breakLength: W.u32 },
  /** OpenSSH agent forwarding */
  'auth-agent-req@openssh.com': {},
  /** OpenSSH PROTOCOL §2.1: end of writing (half-close from the server side). */
  'eow@openssh.com': {},
  /** OpenSSH keepalive probe */
  'keepalive@openssh.com': {},
} as const satisfies Cases;

/** Type-specific fields of SSH_MSG_CHANNEL_REQUEST, keyed by request type. */
export const ChannelRequests = defineTable('channel request', channelRequests);
export type ChannelRequestBody = Infer<typeof ChannelRequests>;
export type ChannelRequestOf<K extends keyof typeof channelRequests> = CaseValue<typeof channelRequests, K>;

/** RFC 4254 §5.4 */
export const ChannelRequest = defineMessage(MSG.CHANNEL_REQUEST, 'SSH_MSG_CHANNEL_REQUEST', {
  recipientChannel: W.u32,
  requestType: W.latin1,
  wantReply: W.bool,
  request: W.keyed('requestType', ChannelRequests),
});
export type ChannelRequest = Infer<typeof ChannelRequest>;

/** RFC 4254 §5.4 */
export const ChannelSuccess = defineMessage(MSG.CHANNEL_SUCCESS, 'SSH_MSG_CHANNEL_SUCCESS', {
  recipientChannel: W.u32,
});
export type ChannelSuccess = Infer<typeof ChannelSuccess>;

/** RFC 4254 §5.4 */
export const ChannelFailure = defineMessage(MSG.CHANNEL_FAILURE, 'SSH_MSG_CHANNEL_FAILURE', {
  recipientChannel: W.u32,
});
export type ChannelFailure = Infer<typeof ChannelFailure>;

export const connectionMessages = [
  GlobalRequest,
  RequestSuccess,
  RequestFailure,
  ChannelOpen,
  ChannelOpenConfirmation,
  ChannelOpenFailure,
  ChannelWindowAdjust,
  ChannelData,
  ChannelExtendedData,
  ChannelEof,
  ChannelClose,
  ChannelRequest,
  ChannelSuccess,
  ChannelFailure,
] as const;
