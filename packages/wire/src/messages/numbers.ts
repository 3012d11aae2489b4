/**
 * SSH message numbers. RFC 4250 §4.1, with RFC 4419 (DH group exchange), RFC 4462 (GSS-API),
 * RFC 5656 (ECDH/ECMQV), RFC 8308 (EXT_INFO, NEWCOMPRESS) and OpenSSH's PROTOCOL (PING/PONG).
 *
 * Numbers 30-49 belong to the active key exchange method and 60-79 to the active user
 * authentication method, so several names share a number there; their schemas live in the
 * per-method tables (`kexDhMessages`, `userauthPublickeyMessages`, ...), never in the generic one.
 * Every name here has exactly one declaration `SSH_MSG_<name>` (a test checks both directions).
 * @module
 */

export const MSG = {
  // Transport layer generic. RFC 4253 §11-12, RFC 8308 §2.3 and §3.2.
  DISCONNECT: 1,
  IGNORE: 2,
  UNIMPLEMENTED: 3,
  DEBUG: 4,
  SERVICE_REQUEST: 5,
  SERVICE_ACCEPT: 6,
  EXT_INFO: 7,
  NEWCOMPRESS: 8,
  // Algorithm negotiation. RFC 4253 §7.
  KEXINIT: 20,
  NEWKEYS: 21,
  // Key exchange method specific (30-49).
  KEXDH_INIT: 30, // RFC 4253 §8
  KEXDH_REPLY: 31,
  KEX_ECDH_INIT: 30, // RFC 5656 §7.1
  KEX_ECDH_REPLY: 31,
  ECMQV_INIT: 30, // RFC 5656 §7.2
  ECMQV_REPLY: 31,
  KEX_DH_GEX_REQUEST_OLD: 30, // RFC 4419 §5
  KEX_DH_GEX_GROUP: 31,
  KEX_DH_GEX_INIT: 32,
  KEX_DH_GEX_REPLY: 33,
  KEX_DH_GEX_REQUEST: 34,
  KEXGSS_INIT: 30, // RFC 4462 §2.5
  KEXGSS_CONTINUE: 31,
  KEXGSS_COMPLETE: 32,
  KEXGSS_HOSTKEY: 33,
  KEXGSS_ERROR: 34,
  KEXGSS_GROUPREQ: 40,
  KEXGSS_GROUP: 41,
  // User authentication generic. RFC 4252 §6.
  USERAUTH_REQUEST: 50,
  USERAUTH_FAILURE: 51,
  USERAUTH_SUCCESS: 52,
  USERAUTH_BANNER: 53,
  // User authentication method specific (60-79).
  USERAUTH_PK_OK: 60, // RFC 4252 §7
  USERAUTH_PASSWD_CHANGEREQ: 60, // RFC 4252 §8
  USERAUTH_INFO_REQUEST: 60, // RFC 4256 §5
  USERAUTH_INFO_RESPONSE: 61,
  USERAUTH_GSSAPI_RESPONSE: 60, // RFC 4462 §3.9
  USERAUTH_GSSAPI_TOKEN: 61,
  USERAUTH_GSSAPI_EXCHANGE_COMPLETE: 63,
  USERAUTH_GSSAPI_ERROR: 64,
  USERAUTH_GSSAPI_ERRTOK: 65,
  USERAUTH_GSSAPI_MIC: 66,
  // Connection protocol. RFC 4254 §9.
  GLOBAL_REQUEST: 80,
  REQUEST_SUCCESS: 81,
  REQUEST_FAILURE: 82,
  CHANNEL_OPEN: 90,
  CHANNEL_OPEN_CONFIRMATION: 91,
  CHANNEL_OPEN_FAILURE: 92,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
  CHANNEL_SUCCESS: 99,
  CHANNEL_FAILURE: 100,
  // OpenSSH transport-level ping (PROTOCOL §1.9, "ping@openssh.com" ext-info).
  PING: 192,
  PONG: 193,
} as const;

export type MsgName = keyof typeof MSG;
