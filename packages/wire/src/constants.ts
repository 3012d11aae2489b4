/**
 * Code tables of the SSH protocols: disconnect reasons (RFC 4250 §4.2.2, RFC 4253 §11.1),
 * channel open failure reasons (RFC 4250 §4.3, RFC 4254 §5.1), extended data types
 * (RFC 4254 §5.2), terminal mode opcodes (RFC 4254 §8, RFC 8160 for IUTF8), signal names
 * (RFC 4254 §6.10) and OpenSSH tunnel modes (PROTOCOL §2.3).
 * @module
 */

export const DISCONNECT = {
  HOST_NOT_ALLOWED_TO_CONNECT: 1,
  PROTOCOL_ERROR: 2,
  KEY_EXCHANGE_FAILED: 3,
  RESERVED: 4,
  MAC_ERROR: 5,
  COMPRESSION_ERROR: 6,
  SERVICE_NOT_AVAILABLE: 7,
  PROTOCOL_VERSION_NOT_SUPPORTED: 8,
  HOST_KEY_NOT_VERIFIABLE: 9,
  CONNECTION_LOST: 10,
  BY_APPLICATION: 11,
  TOO_MANY_CONNECTIONS: 12,
  AUTH_CANCELLED_BY_USER: 13,
  NO_MORE_AUTH_METHODS_AVAILABLE: 14,
  ILLEGAL_USER_NAME: 15,
} as const;
export type DisconnectReason = (typeof DISCONNECT)[keyof typeof DISCONNECT];

export const CHANNEL_OPEN_FAILURE = {
  ADMINISTRATIVELY_PROHIBITED: 1,
  CONNECT_FAILED: 2,
  UNKNOWN_CHANNEL_TYPE: 3,
  RESOURCE_SHORTAGE: 4,
  // AsyncSSH's local codes for a session whose setup request failed (never sent by peers we know).
  REQUEST_X11_FORWARDING_FAILED: 0xffff_fffd,
  REQUEST_PTY_FAILED: 0xffff_fffe,
  REQUEST_SESSION_FAILED: 0xffff_ffff,
} as const;
export type ChannelOpenFailureReason = (typeof CHANNEL_OPEN_FAILURE)[keyof typeof CHANNEL_OPEN_FAILURE];

export const EXTENDED_DATA = {
  STDERR: 1,
} as const;

/** Terminal mode opcodes of a pty-req's encoded modes. 1..159 take a uint32; 160..255 stop parsing. */
export const PTY_MODE = {
  TTY_OP_END: 0,
  VINTR: 1,
  VQUIT: 2,
  VERASE: 3,
  VKILL: 4,
  VEOF: 5,
  VEOL: 6,
  VEOL2: 7,
  VSTART: 8,
  VSTOP: 9,
  VSUSP: 10,
  VDSUSP: 11,
  VREPRINT: 12,
  VWERASE: 13,
  VLNEXT: 14,
  VFLUSH: 15,
  VSWTCH: 16,
  VSTATUS: 17,
  VDISCARD: 18,
  IGNPAR: 30,
  PARMRK: 31,
  INPCK: 32,
  ISTRIP: 33,
  INLCR: 34,
  IGNCR: 35,
  ICRNL: 36,
  IUCLC: 37,
  IXON: 38,
  IXANY: 39,
  IXOFF: 40,
  IMAXBEL: 41,
  IUTF8: 42,
  ISIG: 50,
  ICANON: 51,
  XCASE: 52,
  ECHO: 53,
  ECHOE: 54,
  ECHOK: 55,
  ECHONL: 56,
  NOFLSH: 57,
  TOSTOP: 58,
  IEXTEN: 59,
  ECHOCTL: 60,
  ECHOKE: 61,
  PENDIN: 62,
  OPOST: 70,
  OLCUC: 71,
  ONLCR: 72,
  OCRNL: 73,
  ONOCR: 74,
  ONLRET: 75,
  CS7: 90,
  CS8: 91,
  PARENB: 92,
  PARODD: 93,
  TTY_OP_ISPEED: 128,
  TTY_OP_OSPEED: 129,
} as const;

/** Signal names of "signal" and "exit-signal" requests (without the "SIG" prefix). */
export const SIGNALS = ['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2'] as const;
export type SignalName = (typeof SIGNALS)[number];

/** tun@openssh.com tunnel modes, and the unit number meaning "any free device". */
export const TUN_MODE = {
  POINTOPOINT: 1,
  ETHERNET: 2,
} as const;
export const TUN_UNIT_ANY = 0x7fff_ffff;

/** The name of `value` in a code table, for logs (undefined when the table has none). */
export function codeName<T extends Readonly<Record<string, number>>>(table: T, value: number): (keyof T & string) | undefined {
  for (const key of Object.keys(table)) if (table[key] === value) return key;
  return undefined;
}
